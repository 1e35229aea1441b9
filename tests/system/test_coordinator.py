"""Several master-capable nodes on one PostgreSQL registry (issue 14): one of them is the
coordinator, holding an advisory lock on its session and writing under a term the database
fences; the others stand by and take over when it goes.  Real PostgreSQL (tests/pg.py), real
vigild processes."""

import os
import sys

import pytest
import requests

import vigil
from test_cluster import key, on_node  # noqa: F401

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


def test_a_coordinator_whose_database_session_is_cut_is_replaced(tmp_path, procs, key,  # noqa: F811
                                                                   pg_server, db):
    """The coordinator's connection to the database is cut (the server ends its session, as
    a network cut noticed by the server's keepalives does): the lock goes with it, the standby
    takes over, and the old coordinator steps down to stand by without writing again."""
    name, uri = db
    a = master(tmp_path, procs, "master-a", uri, key)
    b = master(tmp_path, procs, "master-b", uri, key, wait_up=False)
    vigil.wait_for(lambda: standing_by(b), 20, what="master-b standing by")
    token = a.token()
    assert pg_server.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE application_name = 'vigild master-a'", name) == "1"
    vigil.wait_for(lambda: up(b), 20, what="master-b serving as the coordinator")
    vigil.wait_for(lambda: "stepping down" in a.output(), 20, what="master-a stepping down")
    vigil.wait_for(lambda: standing_by(a), 20, what="master-a standing by")
    assert coordinator(pg_server, name) == ("master-b", 2)
    r = add_agent(b, "web1", token=token)
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


def test_the_coordinator_killed_in_the_middle_of_a_rolling_restart(tmp_path, procs, key,  # noqa: F811
                                                                    pg_server, db):
    """A rolling restart (max_in_flight 200) of 2,000 agents on a worker that knows both
    master-capable nodes; the coordinator is killed -9 in the middle: the standby takes over,
    reads the job back and finishes it, never more than 200 in flight, every agent restarted
    exactly once (none twice, none missing)."""
    from test_jobs import assert_each_restarted_once, in_flight_at_most, job, restart, \
        rolling_sim, wait_job
    name, uri = db
    a = master(tmp_path, procs, "master-a", uri, key)
    b = master(tmp_path, procs, "master-b", uri, key, wait_up=False)
    vigil.wait_for(lambda: standing_by(b), 20, what="master-b standing by")
    w1 = vigil.Node(tmp_path, name="worker1", role="worker",
                    args=["--master", "127.0.0.1:%d,127.0.0.1:%d" % (a.cluster_port,
                                                                   b.cluster_port),
                          "--cluster-key-file", key])
    procs.append(w1)
    n, cap = 2000, 200
    sim = rolling_sim(tmp_path, procs, a, n, w1.agent_addr)
    vigil.wait_for(lambda: len(on_node(a, "worker1")) == n, 240, 0.5,
                   "%d agents active on worker1" % n)
    jid = restart(a, max_in_flight=str(cap)).headers["X-Vigil-Job"]
    wait_job(a, jid, lambda j: j["counts"]["completed"] >= 400, 120, "400 completed",
             in_flight_at_most(cap), limit=1)
    a.kill()
    vigil.wait_for(lambda: up(b), 20, what="master-b serving as the coordinator")
    j = job(b, jid, limit=1)
    assert j["total"] == n and j["max_in_flight"] == cap and j["in_flight"] <= cap, j
    assert j["counts"]["completed"] < n and j["status"] == "running", j
    done = wait_job(b, jid, lambda j: j["status"] == "done", 300, "the job finished",
                    in_flight_at_most(cap), limit=1)
    assert done["counts"]["completed"] == n, done["counts"]
    assert_each_restarted_once(sim, n)


def serving(masters):
    """The master-capable nodes whose API answers (the coordinator; two for a moment)."""
    return [m for m in masters if m.alive() and up(m)]


def test_churn_with_the_coordinator_and_workers_killed(tmp_path, procs, key, pg_server, db):  # noqa: F811
    """3 master-capable nodes, 2 workers given all three, 1,000 agents.  For about 30 s,
    restart requests and listings go to whichever node serves while the coordinator or a
    worker is killed -9 every few steps and started again.  No answer is a 5xx but a 503
    "try again" (1793); afterwards every agent is active on the worker the simulator says,
    with its version, within 20 s."""
    import random
    import time
    rnd = random.Random(14)
    name, uri = db
    grace = ["--node-grace", "3"]
    masters = [master(tmp_path, procs, "master-a", uri, key, args=grace)]
    for m in ("master-b", "master-c"):
        masters.append(master(tmp_path, procs, m, uri, key, wait_up=False, args=grace))
    for m in masters[1:]:
        vigil.wait_for(lambda: standing_by(m), 20, what="%s standing by" % m.name)
    mlist = ",".join("127.0.0.1:%d" % m.cluster_port for m in masters)

    def worker(wname, agent_port=None):
        args = ["--master", mlist, "--cluster-key-file", key]
        if agent_port is not None:
            args += ["--agent-port", str(agent_port)]
        w = vigil.Node(tmp_path, name=wname, role="worker", args=args)
        if agent_port is not None:
            w.agent_port = agent_port
        procs.append(w)
        return w

    def restarted_master(old):
        m = master(tmp_path, procs, old.name, uri, key, wait_up=False,
                   args=grace + ["--cluster-port", str(old.cluster_port),
                                 "--api-port", str(old.api_port)])
        m.cluster_port, m.api_port, m.url = old.cluster_port, old.api_port, old.url
        return m

    workers = [worker("worker1"), worker("worker2")]
    addr_to_node = {w.agent_addr: w.name for w in workers}
    n = 1000
    sim = vigil.Sim(tmp_path, masters[0], n, name="churn",
                    managers=",".join(w.agent_addr for w in workers),
                    args=["--keepalive", "5", "--restart-delay", "300",
                          "--enroll-concurrency", "100"])
    procs.append(sim)
    token = masters[0].token()
    vigil.wait_for(lambda: masters[0].api("GET", "/agents/summary/status", token=token).json()
                   ["data"]["connection"]["active"] == n, 120, 0.5, "%d agents active" % n)

    def answered(r):
        if r.status_code >= 500:
            assert r.status_code == 503 and r.json().get("error") == 1793, r.text
        return r.status_code

    codes = []
    kills = 0
    t_end = time.monotonic() + 30
    step = 0
    while time.monotonic() < t_end:
        step += 1
        if step % 6 == 0:
            if kills % 2 == 0:                          # the coordinator ...
                for i, m in enumerate(masters):
                    if m.alive() and up(m):
                        m.kill()
                        # another takes over; then the killed one comes back, to stand by
                        others = [x for x in masters if x is not m]
                        vigil.wait_for(lambda: serving(others), 20, 0.05, "a new coordinator")
                        masters[i] = restarted_master(m)
                        break
            else:                                       # ... or a worker
                i = rnd.randrange(2)
                old = workers[i]
                old.kill()
                workers[i] = worker(old.name, old.agent_port)
            kills += 1
        for m in serving(masters):
            try:
                codes.append(answered(m.api("PUT", "/agents/restart", token=token,
                                            timeout=10)))
                codes.append(answered(m.api("GET", "/agents", token=token,
                                            params={"limit": 500, "select": "status"},
                                            timeout=10)))
            except requests.ConnectionError:
                pass                                    # it went while we asked: the next
        time.sleep(0.3)
    assert kills >= 4 and codes.count(200) > 0, (kills, codes)
    # the churn stops: the simulator's agents settle, then the registry matches them
    def sim_settled():
        s1 = sim.summary()
        s2 = sim.summary_after()
        return (s1 and s2 and s1["active"] == n and s2["active"] == n and
                [a["manager"] for a in s1["agent_list"]] ==
                [a["manager"] for a in s2["agent_list"]] and s2)
    truth = {a["name"]: a for a in vigil.wait_for(sim_settled, 60, 0.1,
                                                   "the simulated agents settle")["agent_list"]}
    coord = vigil.wait_for(lambda: serving(masters), 20, what="a coordinator")[0]

    def right():
        ag = coord.api("GET", "/agents", token=token, params={"limit": 100000}).json()
        bad = [a["name"] for a in ag["data"]["affected_items"] if a["id"] != "000" and (
            a["status"] != "active" or a.get("version") != "Wazuh v4.12.0" or
            addr_to_node.get(truth[a["name"]]["manager"]) != a.get("node_name"))]
        return not bad and len(ag["data"]["affected_items"]) == n + 1
    vigil.wait_for(right, 20, 0.5, "every agent right on the coordinator")
