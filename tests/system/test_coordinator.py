"""Several master-capable nodes on one PostgreSQL registry (issue 14): one of them is the
coordinator, holding an advisory lock on its session and writing under a term the database
fences; the others stand by and take over when it goes.  Real PostgreSQL (tests/pg.py), real
vigild processes."""

import os
import sys

import pytest
import requests

import vigil
from test_cluster import key  # noqa: F401

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pg  # noqa: E402


def master(tmp_path, procs, name, uri, key, wait_up=True, args=()):  # noqa: F811
    n = vigil.Node(tmp_path, name=name, args=["--registry", uri, "--cluster-key-file", key] +
                   list(args), wait_up=wait_up)
    procs.append(n)
    return n


def coordinator(server, db):
    """(node, term) of the coordinator's row."""
    node, term = server.psql("SELECT node, term FROM vigil_coordinator", db).split("|")
    return node, int(term)


def standing_by(n, times=1):
    if not n.alive():
        raise AssertionError("vigild exited (%s):\n%s" % (n.p.returncode, n.output()))
    return n.output().count("stands by to take over") >= times


def up(n):
    return n._api_up()


def add_agent(n, name, token=None):
    return n.api("POST", "/agents", token=token, json={"name": name, "ip": "any"})


@pytest.fixture
def db(pg_server):
    name, uri = pg_server.create_db()
    yield name, uri
    pg_server.drop_db(name)


def test_a_standby_takes_over_when_the_coordinator_is_killed(tmp_path, procs, key, pg_server,  # noqa: F811
                                                              db):
    name, uri = db
    a = master(tmp_path, procs, "master-a", uri, key)
    r = add_agent(a, "web1")
    assert r.status_code == 200, r.text
    token = a.token()
    b = master(tmp_path, procs, "master-b", uri, key, wait_up=False)
    vigil.wait_for(lambda: standing_by(b), 20, what="master-b standing by")
    assert coordinator(pg_server, name) == ("master-a", 1)
    assert not up(b)                      # a standby serves nothing yet

    a.kill()                              # kill -9: its session, and the lock, go with it
    vigil.wait_for(lambda: up(b), 20, what="master-b serving as the coordinator")
    assert coordinator(pg_server, name) == ("master-b", 2)
    # what the old coordinator acknowledged is there, and its token is still good
    # (the signing key is the registry's, not a node's)
    r = b.api("GET", "/agents", params={"name": "web1"}, token=token)
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()["data"]["affected_items"]] == ["web1"]
    r = add_agent(b, "web2", token=token)
    assert r.status_code == 200, r.text
    assert pg_server.psql("SELECT string_agg(name, ',' ORDER BY id) FROM agent WHERE id > 0",
                          name) == "web1,web2"


def test_a_coordinator_whose_term_is_over_writes_nothing_and_steps_down(
        tmp_path, procs, key, pg_server, db):  # noqa: F811
    name, uri = db
    a = master(tmp_path, procs, "master-a", uri, key)
    b = master(tmp_path, procs, "master-b", uri, key, wait_up=False)
    vigil.wait_for(lambda: standing_by(b), 20, what="master-b standing by")
    token = a.token()
    # Another term begins in the database while master-a still holds the lock and has not
    # noticed: master-a is a deposed coordinator that does not know it yet.
    pg_server.psql("UPDATE vigil_coordinator SET term = term + 1, node = 'elsewhere'", name)
    try:
        r = add_agent(a, "late", token=token)
    except requests.ConnectionError:
        r = None                          # it had already noticed and stepped down
    if r is not None:
        assert r.status_code == 503, r.text
        assert r.json()["error"] == 1793, r.text
    vigil.wait_for(lambda: "stepping down" in a.output(), 20, what="master-a stepping down")
    # it starts again as a standby; one of the two takes the next term (master-a gives
    # master-b a head start, but either is right) and the other stands by
    vigil.wait_for(lambda: up(a) or up(b), 20, what="a coordinator serving")
    first, second = (a, b) if up(a) else (b, a)
    assert coordinator(pg_server, name) == (first.name, 3)
    vigil.wait_for(lambda: standing_by(second), 20, what="%s standing by" % second.name)
    assert not up(second)
    assert pg_server.psql("SELECT count(*) FROM agent WHERE name = 'late'", name) == "0"
    r = first.api("GET", "/agents", params={"name": "late"}, token=token)
    assert r.status_code == 200 and r.json()["data"]["total_affected_items"] == 0, r.text
    # and the other takes over in its turn
    first.kill()
    vigil.wait_for(lambda: up(second), 20, what="%s serving as the coordinator" % second.name)
    assert coordinator(pg_server, name) == (second.name, 4)
    r = add_agent(second, "after", token=token)
    assert r.status_code == 200, r.text


def test_the_coordinator_steps_down_while_the_database_is_stopped(tmp_path, procs, key):  # noqa: F811
    if not pg.available():
        pytest.skip("PostgreSQL is not installed (sh scripts/deps.sh)")
    server = pg.PgServer(vigil.free_port())     # its own: this test stops it
    try:
        uri = server.uri()
        a = master(tmp_path, procs, "master-a", uri, key)
        assert add_agent(a, "web1").status_code == 200
        token = a.token()
        server.pause()
        vigil.wait_for(lambda: "stepping down" in a.output(), 20, what="master-a stepping down")
        assert a.alive()
        vigil.wait_for(lambda: not up(a), 20, what="master-a no longer serving")
        server.resume()
        # back as the coordinator of a new term, with nothing lost
        vigil.wait_for(lambda: up(a), 30, what="master-a serving again")
        assert coordinator(server, "vigil") == ("master-a", 2)
        r = a.api("GET", "/agents", params={"name": "web1"}, token=token)
        assert r.status_code == 200 and r.json()["data"]["total_affected_items"] == 1, r.text
    finally:
        vigil.stop_all(procs)
        del procs[:]
        server.stop()
