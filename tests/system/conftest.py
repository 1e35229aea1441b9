"""pytest fixtures: every process started through `procs` is stopped at the end of its test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vigil  # noqa: E402


@pytest.fixture
def procs():
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
