"""pytest fixtures: every process started through `procs` is stopped at the end of its test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vigil  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pg  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "registries: run the test on each registry backend (SQLite, PostgreSQL)")
    config.addinivalue_line(
        "markers", "heavy: a test whose point is scale (thousands of agents, long churn); "
        "make check runs it in the release build only (-m 'not heavy' in the sanitizer build)")


def pytest_generate_tests(metafunc):
    # a test marked registries runs twice: its masters on SQLite, then on PostgreSQL
    if metafunc.definition.get_closest_marker("registries") is not None:
        metafunc.parametrize("registry_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server per test process, started when a test first needs it."""
    if not pg.available():
        pytest.skip("PostgreSQL is not installed (sh scripts/deps.sh)")
    server = pg.PgServer(vigil.free_port())
    yield server
    server.stop()


@pytest.fixture
def registry_backend(request):
    """The registry the masters of a test use (vigil.REGISTRY): SQLite in their data dir,
    or a fresh PostgreSQL database (--registry) when the test is marked registries."""
    backend = getattr(request, "param", "sqlite")
    if backend != "postgresql":
        yield backend
        return
    server = request.getfixturevalue("pg_server")
    name, uri = server.create_db()
    vigil.REGISTRY = uri
    try:
        yield backend
    finally:
        vigil.REGISTRY = None
        server.drop_db(name)


@pytest.fixture
def procs(registry_backend):
    started = []
    yield started
    vigil.stop_all(started)


@pytest.fixture
def master(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    return node


@pytest.fixture
def wazuh_master(tmp_path, procs):
    """A master that treats inactive agents as Wazuh does, with no --restart-grace: an agent
    that has just disconnected fails a restart with 1707 (left out of "all") instead of
    getting it on its next session (that grace has its own tests, test_jobs.py)."""
    node = vigil.Node(tmp_path, args=["--restart-grace", "0"])
    procs.append(node)
    return node
