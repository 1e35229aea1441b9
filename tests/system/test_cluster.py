"""A master and workers on 127.0.0.1: agents on workers, state on the master, commands routed."""

import json
import sqlite3
import os
import signal
import time

import pytest

import vigil


@pytest.fixture
def key(tmp_path):
    k = tmp_path / "cluster.key"
    k.write_text("vigil-test-cluster-key-0123456789\n")
    os.chmod(k, 0o600)
    return str(k)


def start_master(tmp_path, procs, key, args=()):
    m = vigil.Node(tmp_path, args=["--cluster-key-file", key] + list(args))
    procs.append(m)
    return m


def start_worker(tmp_path, procs, key, master, name, args=(), wait_join=True, keyfile=None):
    w = vigil.Node(tmp_path, name=name, role="worker", wait_join=wait_join,
                   args=["--master", "127.0.0.1:%d" % master.cluster_port,
                         "--cluster-key-file", keyfile or key] + list(args))
    procs.append(w)
    return w


def on_node(master, node, status="active"):
    return {i: a for i, a in master.agents().items()
            if i != "000" and a.get("node_name") == node and a["status"] == status}


def test_agents_on_a_worker_are_known_and_restarted_through_the_master(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sim = vigil.Sim(tmp_path, master, 20, name="w1", managers=w1.agent_addr,
                    args=["--keepalive", "2"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 20, 30, 0.2,
                   "20 agents active on worker1, seen by the master")
    for a in on_node(master, "worker1").values():
        assert a["version"] == "Wazuh v4.12.0"
        assert a["os"]["platform"]
    r = master.api("PUT", "/agents/restart")
    body = r.json()
    assert r.status_code == 200, r.text
    assert body["error"] == 0 and body["data"]["total_affected_items"] == 20
    vigil.wait_for(lambda: (sim.summary() or {}).get("agents_restarted") == 20, 20, 0.2,
                   "every agent on the worker got the restart")
    s = sim.summary()
    assert s["min_restarts"] == 1 and s["max_restarts"] == 1
    # Until an agent is back with a new session the master may still show its old one.
    vigil.wait_for(lambda: (sim.summary() or {}).get("back_after_restart") == 20, 30, 0.2,
                   "every agent back with a new session")
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 20, 30, 0.2, "back active")
    # GET /agents?node_name= filters by the node holding the agent.
    r = master.api("GET", "/agents", params={"node_name": "worker1", "limit": "100"})
    assert r.json()["data"]["total_affected_items"] == 20


def test_a_restart_frame_of_many_tls_records_arrives_whole(tmp_path, procs, key):
    """4,000 agents on one worker: the master's RESTART frame for them spans several TLS
    records, which the worker reads in one go (link_read_more) rather than one per loop turn."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sim = vigil.Sim(tmp_path, master, 4000, name="big", managers=w1.agent_addr,
                    args=["--keepalive", "30", "--enroll-concurrency", "100",
                          "--restart-delay", "3000", "--summary-brief"])
    procs.append(sim)
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 4000, 180, 0.5,
                   "4,000 agents active on worker1")
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 4000, 60, 0.5,
                   "the master sees all 4,000")
    r = master.api("PUT", "/agents/restart")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 0, r.text[:500]
    assert body["data"]["total_affected_items"] == 4000
    vigil.wait_for(lambda: (sim.summary() or {}).get("agents_restarted") == 4000, 60, 0.5,
                   "every agent got its restart")
    vigil.wait_for(lambda: json.load(open(os.path.join(w1.data_dir, "stats.json")))
                   ["restarts_sent"] == 4000, 5, 0.2, "the worker's stats")
    with open(os.path.join(w1.data_dir, "stats.json")) as f:
        st = json.load(f)
    assert st["link_read_more"] > 0, st


def test_enrolled_agent_reaches_worker_quickly(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    procs.append(vigil.Agent(tmp_path, master, "late-2", managers=w1.agent_addr,
                             args=["--keepalive", "1"]))
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 1, 20, 0.1,
                   "a newly enrolled agent connects through the worker")


def test_wrong_key_and_duplicate_name_are_refused(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    start_worker(tmp_path, procs, key, master, "worker1")
    bad = tmp_path / "bad.key"
    bad.write_text("this-is-not-the-cluster-key-000000\n")
    os.chmod(bad, 0o600)
    wrong = start_worker(tmp_path, procs, key, master, "worker2", wait_join=False,
                         keyfile=str(bad))
    vigil.wait_for(lambda: "TLS handshake failed" in master.output(), 10,
                   what="master logs the failed handshake")
    vigil.wait_for(lambda: "wrong cluster key" in wrong.output(), 10,
                   what="worker logs the refusal")
    assert not wrong.joined()
    dup_dir = tmp_path / "dup"
    dup_dir.mkdir()
    dup = start_worker(dup_dir, procs, key, master, "worker1", wait_join=False)
    vigil.wait_for(lambda: "duplicate node name" in dup.output(), 10,
                   what="the duplicate is told why")
    assert "duplicate node name" in master.output()


def test_agents_move_when_a_worker_dies_and_return_when_it_comes_back(tmp_path, procs, key):
    # Wazuh's treatment of inactive agents (1707): no --restart-grace
    master = start_master(tmp_path, procs, key, args=["--node-grace", "2",
                                                      "--restart-grace", "0"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    # 10 agents that know both workers (they start on worker1 or worker2 and fail over),
    # 10 that know only worker1.
    both = vigil.Sim(tmp_path, master, 10, name="both",
                     managers="%s,%s" % (w1.agent_addr, w2.agent_addr), args=["--keepalive", "1"])
    only = vigil.Sim(tmp_path, master, 10, name="only", managers=w1.agent_addr,
                     args=["--keepalive", "1"])
    procs += [both, only]
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 21,
                   30, 0.2, "20 agents active")
    w1.kill()
    # Agents that can move are active on worker2; the others are disconnected, code 6,
    # once the grace period has passed.
    def settled():
        ag = master.agents()
        movers = [a for a in ag.values() if a["name"].startswith("both-")]
        stuck = [a for a in ag.values() if a["name"].startswith("only-")]
        return (all(a["status"] == "active" and a["node_name"] == "worker2" for a in movers)
                and all(a["status"] == "disconnected" and a["status_code"] == 6 for a in stuck))
    vigil.wait_for(settled, 20, 0.2, "movers on worker2, the rest disconnected (code 6)")
    # A restart now reaches the movers through worker2, and is a per-agent failure
    # for the others (not active).
    ag = master.agents()
    ids = sorted(i for i in ag if i != "000")
    r = master.api("PUT", "/agents/restart", params={"agents_list": ",".join(ids)})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 2
    affected = set(body["data"]["affected_items"])
    assert affected == {i for i in ids if ag[i]["name"].startswith("both-")}
    assert body["data"]["failed_items"][0]["error"]["code"] == 1707
    vigil.wait_for(lambda: (both.summary() or {}).get("agents_restarted") == 10, 20, 0.2,
                   "the movers got the restart")
    # worker1 comes back with the same name and data: its agents are active again.
    w1b = vigil.Node(tmp_path, name="worker1", role="worker",
                     args=["--master", "127.0.0.1:%d" % master.cluster_port,
                           "--cluster-key-file", key, "--agent-port", str(w1.agent_port)])
    procs.append(w1b)
    vigil.wait_for(lambda: all(a["status"] == "active" for a in master.agents().values()),
                   40, 0.25, "every agent active again")


def keepalives_applied(master, ids, times):
    """Waits until the master has applied `times` newer keepalives of each agent in ids,
    each time while the agent is active."""
    seen = {i: [master.agents()[i]["lastKeepAlive"]] for i in ids}

    def moved():
        ag = master.agents()
        for i in ids:
            if ag[i]["status"] == "active" and ag[i]["lastKeepAlive"] not in seen[i]:
                seen[i].append(ag[i]["lastKeepAlive"])
        return all(len(v) > times for v in seen.values())
    vigil.wait_for(moved, 30, 0.2, "%d newer keepalives of each of %d agents" % (times, len(ids)))


def fault(node, *cmds):
    path = os.path.join(node.data_dir, "faults.cmd")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(cmds) + "\n")
    os.rename(path + ".tmp", path)
    vigil.wait_for(lambda: not os.path.exists(path), 5, what="fault command taken")


def test_the_wazuh_race_cannot_happen(tmp_path, procs, key):
    """An agent moves worker1 -> worker2 while worker1's updates are held back; worker1's
    stale "active" and "disconnected" updates arrive after worker2's.  The master keeps the
    agent active on worker2 with its full record, and a restart reaches it there."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1", args=["--test-faults"])
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    sim = vigil.Sim(tmp_path, master, 1, name="mover",
                    managers="%s,%s" % (w1.agent_addr, w2.agent_addr), args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 1, 20, 0.1, "agent on worker1")
    fault(w1, "hold")
    # keepalives on worker1 after the hold: "active" updates, held
    held_from = w1.stats_after()["keepalives"]
    vigil.wait_for(lambda: w1.stats().get("keepalives", 0) >= held_from + 2, 20, 0.1,
                   "two keepalives on worker1 while its updates are held")
    fault(w1, "kick-agents")             # the agent leaves: a "disconnected" update, held
    vigil.wait_for(lambda: len(on_node(master, "worker2")) == 1, 20, 0.1, "agent on worker2")
    fault(w1, "release")                 # the stale updates now reach the master
    vigil.wait_for(lambda: "update from an older session" in master.output(), 10,
                   what="the master drops worker1's stale updates")
    # An enrollment through worker1 travels its link after the released updates: its
    # answer proves the master has read all of them.
    from test_agents import enroll_raw
    assert enroll_raw(w1, "OSSEC A:'barrier'\n", timeout=15).startswith("OSSEC K:'")
    # and keepalives through worker2 go on being applied after them
    seen = master.agents()["001"]["lastKeepAlive"]
    a = vigil.wait_for(lambda: (lambda a: a["lastKeepAlive"] > seen and a)(master.agents()["001"]),
                       10, 0.1, "a keepalive through worker2 after the stale updates")
    assert a["status"] == "active" and a["node_name"] == "worker2", a
    assert a["version"] == "Wazuh v4.12.0" and a["os"]["platform"], a
    r = master.api("PUT", "/agents/restart", params={"agents_list": "001"})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 0, body
    assert body["data"]["affected_items"] == ["001"]
    vigil.wait_for(lambda: (sim.summary() or {}).get("restarts_received") == 1, 10, 0.1,
                   "the restart reached the agent through worker2")


def test_link_drop_mid_sync_loses_nothing(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1", args=["--test-faults"])
    sim = vigil.Sim(tmp_path, master, 30, name="bulk", managers=w1.agent_addr,
                    args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 30, 30, 0.2, "30 agents active")
    fault(w1, "hold")
    sim.kill()                            # 30 "disconnected" updates, in flight
    vigil.wait_for(lambda: w1.stats().get("sessions") == 0, 10, 0.1,
                   "worker1 closed the 30 sessions (their updates held)")
    fault(w1, "cut")                      # the link dies with them
    # The worker rejoins and resends what was never acknowledged: every agent is
    # disconnected because its connection was lost (4), not by the node grace (6).
    vigil.wait_for(lambda: sum(1 for a in master.agents().values()
                               if a["status"] == "disconnected" and a["status_code"] == 4) == 30,
                   8, 0.2, "all 30 disconnections reached the master after the reconnect")
    # Dropped frames on a live link are detected as a gap and resent too.
    sim2 = vigil.Sim(tmp_path, master, 30, name="bulk", managers=w1.agent_addr,
                     args=["--keepalive", "1"])
    procs.append(sim2)
    fault(w1, "drop 2")
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 30, 30, 0.2,
                   "30 agents active again despite dropped sync frames")


def test_half_open_old_session_is_fenced(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    old = vigil.Agent(tmp_path, master, "ho", managers=w1.agent_addr, args=["--keepalive", "1"])
    procs.append(old)
    d1 = tmp_path / "ho"
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 1, 20, 0.1, "agent on worker1")
    os.kill(old.pid, signal.SIGSTOP)      # its TCP connection to worker1 stays open
    try:
        import shutil
        d2 = tmp_path / "ho2"
        shutil.copytree(d1, d2)
        procs.append(vigil.Agent(tmp_path, master, "ho", managers=w2.agent_addr, data_dir=d2,
                                 args=["--keepalive", "1"]))
        vigil.wait_for(lambda: len(on_node(master, "worker2")) == 1, 20, 0.1, "agent on worker2")
        vigil.wait_for(lambda: "fenced by the master" in w1.output(), 10,
                       what="worker1 closes the superseded session")
    finally:
        # Killed while still frozen (SIGKILL works on a stopped process): resumed, it
        # would reconnect to worker1 and take the agent back from the clone.
        vigil.Proc.kill(old)
    # Its death changes nothing: keepalives through worker2 go on, still active there.
    seen = master.agents()["001"]["lastKeepAlive"]
    a = vigil.wait_for(lambda: (lambda a: a["lastKeepAlive"] > seen and a)(master.agents()["001"]),
                       10, 0.1, "a keepalive through worker2 after the old agent died")
    assert a["status"] == "active" and a["node_name"] == "worker2", a


def test_enrollment_through_a_worker_is_forwarded(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    procs.append(vigil.Agent(tmp_path, master, "via-w1", managers=w1.agent_addr,
                             enroll=w1.enroll_addr, args=["--keepalive", "1"]))
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 1, 20, 0.1,
                   "an agent enrolled through the worker is active on it")
    assert master.agents()["001"]["name"] == "via-w1"
    # With the master gone, the worker answers enrollments with a clear error.
    master.kill()
    from test_agents import enroll_raw
    class W:  # enroll_raw needs .enroll_port
        enroll_port = w1.enroll_port
    r = enroll_raw(W, "OSSEC A:'orphan'\n", timeout=15)
    assert r.startswith("ERROR: ") and "master" in r


def test_incomplete_knowledge_is_per_agent(tmp_path, procs, key):
    """Agents not yet through their first keepalive, or whose node is unreachable, are in
    the job but not restarted yet: the pending ones wait for a keepalive, the unreachable
    node's wait for a session elsewhere or for their node to be back (nothing is sent to a
    node whose link is down); the others are restarted at once."""
    master = start_master(tmp_path, procs, key, args=["--node-grace", "60"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    s1 = vigil.Sim(tmp_path, master, 5, name="ona", managers=w1.agent_addr,
                   args=["--keepalive", "1"])
    s2 = vigil.Sim(tmp_path, master, 5, name="onb", managers=w2.agent_addr,
                   args=["--keepalive", "1"])
    s3 = vigil.Sim(tmp_path, master, 3, name="slow", managers=w2.agent_addr,
                   args=["--keepalive", "3600", "--first-keepalive", "3600"])
    procs += [s1, s2, s3]

    def ready():
        ag = master.agents()
        return (sum(a["status"] == "active" for a in ag.values()) == 11 and
                sum(a["status"] == "pending" for a in ag.values()) == 3)
    vigil.wait_for(ready, 30, 0.2, "10 active agents and 3 pending")
    ag = master.agents()
    by = lambda prefix: sorted(i for i, a in ag.items() if a["name"].startswith(prefix))
    w1.kill()                              # within the grace period: still "active" here
    vigil.wait_for(lambda: "worker1" not in {
        n["name"] for n in master.api("GET", "/cluster/nodes").json()["data"]["affected_items"]},
        10, 0.1, "the master saw worker1's link go")
    ids = by("ona-") + by("onb-") + by("slow-")
    r = master.api("PUT", "/agents/restart", params={"agents_list": ",".join(ids)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["error"] == 0
    assert body["data"]["affected_items"] == sorted(ids, key=int)
    jid = r.headers["X-Vigil-Job"]

    def job():
        return master.api("GET", "/jobs/" + jid).json()["data"]["affected_items"][0]
    vigil.wait_for(lambda: job()["counts"]["completed"] == 5, 30, 0.2, "worker2's 5 restarted")
    j = job()
    by_id = {a["id"]: a for a in j["agents"]["affected_items"]}
    # the worker that is gone is not sent to (a send would be answered 1792 at once)
    assert all(by_id[i]["state"] == "pending" and by_id[i]["sends"] == 0 for i in by("ona-"))
    assert all(by_id[i]["state"] == "pending" and by_id[i]["sends"] == 0 for i in by("slow-"))
    assert s2.summary_after().get("agents_restarted") == 5
    assert s3.summary_after().get("restarts_received", 0) == 0


@pytest.mark.heavy
def test_soak_migration_churn_and_restarts(tmp_path, procs, key):
    """About 45 s: 3 nodes, 2,000 simulated agents moving between workers, a worker
    killed and restarted, restart requests all along.  No 5xx; every job completes every
    agent it listed, each agent restarted at least once and never more often than the jobs
    that listed it; afterwards the registry matches the simulator."""
    import random
    rnd = random.Random(7)
    master = start_master(tmp_path, procs, key, args=["--node-grace", "3"])
    workers = [start_worker(tmp_path, procs, key, master, "worker%d" % i,
                            args=["--test-faults"]) for i in (1, 2)]
    addr_to_node = {w.agent_addr: w.name for w in workers}
    n = 2000
    sim = vigil.Sim(tmp_path, master, n, name="soak",
                    managers=",".join(w.agent_addr for w in workers),
                    args=["--keepalive", "5", "--restart-delay", "300",
                          "--enroll-concurrency", "100"])
    procs.append(sim)
    vigil.wait_for(lambda: master.api("GET", "/agents/summary/status").json()["data"]
                   ["connection"]["active"] == n, 120, 0.5, "2000 agents active")
    affected = {}
    statuses = []
    t_end = time.monotonic() + 30
    step = 0
    killed = None
    while time.monotonic() < t_end:
        step += 1
        if step % 4 == 0:                              # churn: one worker drops its agents
            w = rnd.choice([w for w in workers if w.alive()])
            fault(w, "kick-agents")
            time.sleep(0.3)
            fault(w, "accept-agents")
        if step == 10:                                 # kill -9 a worker ...
            killed = workers[1]
            killed.kill()
        if step == 20 and killed is not None:          # ... and bring it back
            w = vigil.Node(tmp_path, name=killed.name, role="worker",
                           args=["--master", "127.0.0.1:%d" % master.cluster_port,
                                 "--cluster-key-file", key, "--test-faults",
                                 "--agent-port", str(killed.agent_port)])
            w.agent_port = killed.agent_port
            procs.append(w)
            workers[1] = w
        r = master.api("PUT", "/agents/restart")
        statuses.append(r.status_code)
        assert r.status_code < 500, r.text
        for i in r.json()["data"]["affected_items"]:
            affected[i] = affected.get(i, 0) + 1
        time.sleep(0.5)
    assert all(s == 200 for s in statuses)
    assert sum(affected.values()) > 0
    # Churn stops.  Every agent reported affected received at least that many commands
    # (a command written to a session that the agent then closed may be counted by the
    # agent only if it read it: the simulator counts what it read).
    def settled():
        s = sim.summary()
        if not s:
            return False
        ag = master.agents()
        truth = {a["name"]: a for a in s["agent_list"]}
        for i, a in ag.items():
            if i == "000":
                continue
            t = truth.get(a["name"])
            if t is None or t["state"] != "active" or a["status"] != "active":
                return False
            if addr_to_node.get(t["manager"]) != a["node_name"]:
                return False
            if a["version"] != "Wazuh v4.12.0":
                return False
        return True
    # Ground truth first: the simulator's agents have all reconnected (two summaries,
    # one written after the other was read, agree).
    def sim_settled():
        s1 = sim.summary()
        s2 = sim.summary_after()
        return (s1 and s2 and s1["active"] == n and s2["active"] == n and
                [a["manager"] for a in s1["agent_list"]] ==
                [a["manager"] for a in s2["agent_list"]])
    vigil.wait_for(sim_settled, 60, 0.1, "the simulated agents settle after the churn")
    # Then the registry matches it (a bounded wait, not a timing claim).
    vigil.wait_for(settled, 30, 0.2, "the registry matches the simulator (node, status, version)")
    # Every restart job finishes with every agent completed: each agent reported affected
    # restarted (a command written to a session it then left went to its next session).
    def jobs_done():
        items = master.api("GET", "/jobs", params={"limit": 1000}).json()["data"]
        return all(j["status"] == "done" for j in items["affected_items"]) and items
    jobs = vigil.wait_for(jobs_done, 120, 0.5, "every restart job done")["affected_items"]
    assert len(jobs) == len(statuses)
    assert all(j["counts"]["completed"] == j["total"] for j in jobs), \
        [(j["id"], j["counts"]) for j in jobs if j["counts"]["completed"] != j["total"]][:5]
    s = sim.summary_after()
    # process_starts - 1: the restarts the agent went through; a job restarts it at most
    # once, and an agent in a job restarted at least once
    done = {a["id"]: a["process_starts"] - 1 for a in s["agent_list"]}
    missing = [i for i in affected if done.get(i, 0) < 1]
    assert not missing, "affected but never restarted: %s" % missing[:20]
    over = [i for i, k in affected.items() if done.get(i, 0) > k]
    assert not over, "restarted more often than jobs asked: %s" % over[:20]


def test_workers_serve_agents_while_the_master_is_away(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sim = vigil.Sim(tmp_path, master, 10, name="away", managers=w1.agent_addr,
                    args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 10, 30, 0.2, "10 agents active")
    # The simulator rewrites its summary every second: wait until it shows them all.
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 10, 5, 0.1, "summary current")
    sessions_before = sim.summary()["sessions"]
    master.stop()
    # several keepalives of every agent, all acknowledged by worker1
    since = w1.stats_after()["keepalives"]
    vigil.wait_for(lambda: w1.stats().get("keepalives", 0) >= since + 30, 20, 0.1,
                   "three keepalives an agent on worker1 without the master")
    s = sim.summary_after()
    assert s["active"] == 10 and s["sessions"] == sessions_before, s
    # The master comes back (same data, same cluster port): the worker rejoins and
    # resynchronises; every agent is active on worker1 again.
    m2 = vigil.Node(tmp_path, args=["--cluster-key-file", key,
                                    "--cluster-port", str(master.cluster_port)])
    procs.append(m2)
    vigil.wait_for(lambda: len(on_node(m2, "worker1")) == 10, 20, 0.2,
                   "agents active on worker1 after the master returned")
    assert sim.summary_after()["sessions"] == sessions_before


def test_deleted_agent_is_refused_by_every_node(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    sim = vigil.Sim(tmp_path, master, 3, name="del",
                    managers="%s,%s" % (w1.agent_addr, w2.agent_addr), args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 4,
                   30, 0.2, "3 agents active")
    # Active agents are not older than the default 7d: not eligible (1731), with the reason.
    r = master.api("DELETE", "/agents", params={"agents_list": "001", "status": "all"})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 1, body
    f = body["data"]["failed_items"][0]
    assert f["error"]["code"] == 1731 and f["id"] == ["001"]
    assert f["error"]["message"] == ("Agent is not eligible for the action to be performed: "
                                     "some of the requirements are not met -> status: all, "
                                     "older_than: 7d")
    # The filters of GET /agents narrow a delete too; the reason names q.
    r = master.api("DELETE", "/agents", params={"agents_list": "001", "status": "all",
                                                "older_than": "0s", "q": "name=nosuch"})
    f = r.json()["data"]["failed_items"][0]
    assert f["error"]["code"] == 1731 and f["error"]["message"].endswith(
        "status: all, older_than: 0s, q: name=nosuch"), f
    body = master.api("DELETE", "/agents", params={"agents_list": "all", "status": "active",
                                                   "older_than": "0s",
                                                   "node_name": "nosuchnode"}).json()
    assert body["error"] == 0 and body["message"] == "No agents were deleted", body
    assert body["data"]["failed_items"] == []
    assert len(master.agents()) == 4
    r = master.api("DELETE", "/agents", params={"agents_list": "000,001,002,999",
                                                "status": "all", "older_than": "0s",
                                                "q": "status=active"})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 2, body
    assert body["message"] == "Some agents were not deleted"
    assert body["data"]["affected_items"] == ["001", "002"]
    assert {x["error"]["code"]: x["id"] for x in body["data"]["failed_items"]} == \
        {1701: ["999"], 1703: ["000"]}
    # Every node drops them: their sessions close and reconnections are refused.
    def active_in_sim():
        return sum(a["state"] == "active" for a in (sim.summary() or {}).get("agent_list", []))
    vigil.wait_for(lambda: active_in_sim() == 1, 10, 0.05,
                   "the deleted agents are disconnected everywhere")
    # Each deleted agent tries again, twice, and fails (a refused attempt is a failure).
    failed = {a["id"]: a["failures"] for a in sim.summary_after()["agent_list"]}

    def retried():
        s = sim.summary()
        return s and all(a["failures"] >= failed[a["id"]] + 2 for a in s["agent_list"]
                         if a["id"] in ("001", "002")) and s
    s = vigil.wait_for(retried, 30, 0.1, "two refused attempts of each deleted agent")
    assert sorted(a["id"] for a in s["agent_list"] if a["state"] == "active") == ["003"]
    assert sorted(master.agents()) == ["000", "003"]
    assert (w1.output() + w2.output()).count("closed: agent removed") == 2
    for params in ({"agents_list": "001"}, {"status": "all"},
                   {"agents_list": "001", "status": "all", "older_than": "7x"},
                   {"agents_list": "001", "status": "sleepy"},
                   {"agents_list": "001", "status": "all", "q": "nosuchfield=1"}):
        assert master.api("DELETE", "/agents", params=params).status_code == 400, params


def test_duplicated_reordered_and_delayed_sync_stays_correct(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1", args=["--test-faults"])
    sim = vigil.Sim(tmp_path, master, 20, name="dr", managers=w1.agent_addr,
                    args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 20, 30, 0.2, "20 agents active")
    fault(w1, "dup on")                   # every batch twice: re-acknowledged, not reapplied
    # Two keepalives of every agent applied on the master while batches come twice: the
    # later one proves the duplicate of the earlier one was read before it.
    keepalives_applied(master, sorted(on_node(master, "worker1")), 2)
    assert len(on_node(master, "worker1")) == 20
    fault(w1, "dup off", "hold")
    since = w1.stats_after()["keepalives"]
    vigil.wait_for(lambda: w1.stats().get("keepalives", 0) >= since + 40, 20, 0.1,
                   "keepalive batches held")
    sim.kill()                            # and the 20 disconnections
    vigil.wait_for(lambda: w1.stats().get("sessions") == 0, 10, 0.1,
                   "worker1 closed the 20 sessions (their updates held)")
    fault(w1, "release-reverse")          # newest first: a gap, the link resets, resend
    vigil.wait_for(lambda: sum(1 for a in master.agents().values()
                               if a["status"] == "disconnected" and a["status_code"] == 4) == 20,
                   10, 0.2, "the final state wins despite the reordering")
    # A delayed stream: nothing shows until the delay is over, then everything does.
    fault(w1, "delay 1500")
    sim2 = vigil.Sim(tmp_path, master, 20, name="dr", managers=w1.agent_addr,
                     args=["--keepalive", "1"])
    procs.append(sim2)
    vigil.wait_for(lambda: "delay over" in w1.output(), 10, 0.1, "the delay ends")
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 20, 10, 0.2,
                   "20 agents active after the delayed batches arrive")


def test_a_full_key_table_in_parts_keeps_every_agent(tmp_path, procs, key):
    """A worker that joins gets every agent key in parts (5,000 agents a frame; 3 here: at
    100,000 agents one frame passed the 8 MiB limit and a joining worker learnt no key).
    Agents of every part are known, the sessions of agents in early parts survive the later
    parts, and an agent the master no longer has goes once the last part is in."""
    master = start_master(tmp_path, procs, key, args=["--test-faults", "--test-keys-chunk", "3"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1", args=["--test-faults"])
    sim = vigil.Sim(tmp_path, master, 10, name="parts", managers=w1.agent_addr,
                    args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 10, 30, 0.2,
                   "10 agents active on worker1")
    def stats():
        try:
            with open(os.path.join(w1.data_dir, "stats.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}        # not written yet (every second, replaced whole)
    vigil.wait_for(lambda: stats().get("sessions") == 10, 10, 0.2, "stats.json shows 10 sessions")
    closed = stats()["sessions_closed"]
    fault(w1, "cut")
    vigil.wait_for(lambda: "agent keys: 10 agents in 4 parts" in w1.output(), 15, 0.1,
                   "worker1 joined again and took the 4 parts (3+3+3+1)")
    # removals are done and logged while the last part is applied, before anything after it
    assert "agent removed" not in w1.output(), "a part dropped agents of another part"
    # counters written after the parts were applied
    st = w1.stats_after()
    assert st["sessions"] == 10 and st["sessions_closed"] == closed, \
        "a part dropped sessions of another part: %s" % st
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 10, 20, 0.2,
                   "10 agents active on worker1 after the rejoin")

    # The worker, away, misses a deletion; on its return the table (9 agents, 3 parts)
    # removes that agent, and only it.
    w1.stop()
    r = master.api("DELETE", "/agents", params={"agents_list": "003", "status": "all",
                                                "older_than": "0s"})
    assert r.status_code == 200 and r.json()["data"]["affected_items"] == ["003"], r.text
    w1b = vigil.Node(tmp_path, name="worker1", role="worker",
                     args=["--master", "127.0.0.1:%d" % master.cluster_port,
                           "--cluster-key-file", key, "--agent-port", str(w1.agent_port)])
    procs.append(w1b)
    vigil.wait_for(lambda: "agent keys: 9 agents in 3 parts" in w1b.output(), 15, 0.1,
                   "worker1 took the table of 9 agents")
    db = os.path.join(w1b.data_dir, "registry.db")

    def worker_ids():
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        try:
            return sorted(r[0] for r in con.execute("SELECT id FROM agent WHERE id > 0"))
        finally:
            con.close()
    vigil.wait_for(lambda: worker_ids() == [1, 2, 4, 5, 6, 7, 8, 9, 10], 10, 0.2,
                   "agent 003 gone from the worker's registry, the other 9 kept")
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 9, 30, 0.2, "9 agents active again")
