"""A restart is a tracked job (issue 11): the Wazuh answer comes at once, names the job in
X-Vigil-Job and lists the agents the job will act on; each agent goes pending -> delivered
-> completed only when it comes back as a new process ("Agent started"), the command
follows an agent to its next session, nobody gets it twice, and GET /jobs/{id} says where
every agent stands.  Real vigild and vigil-sim processes; every wait is for a state."""

import json
import os
import re
import signal

import pytest

import vigil
from test_cluster import fault, key, on_node, start_master, start_worker  # noqa: F401

STATES = ("pending", "delivered", "completed", "failed", "expired", "cancelled")


def job(node, jid, **params):
    r = node.api("GET", "/jobs/%s" % jid, params=params or None)
    assert r.status_code == 200, r.text
    item = r.json()["data"]["affected_items"][0]
    assert sum(item["counts"][s] for s in STATES) == item["total"], item   # always add up
    return item


def wait_job(node, jid, pred, timeout=60, what="the job's state", check=None, **params):
    """Waits for pred(job); check(job), if given, is called on every job read meanwhile (it
    asserts what must hold all along).  params go to GET /jobs/{id} (limit=1 for a big job:
    its counts without 500 agent rows at each look)."""
    def once():
        j = job(node, jid, **params)
        if check is not None:
            check(j)
        return pred(j) and j
    return vigil.wait_for(once, timeout, 0.2, what)


def in_flight_at_most(cap):
    """A check for wait_job: the job never has more than cap agents in flight."""
    def check(j):
        assert j["in_flight"] <= cap, "%d in flight, max_in_flight %d: %r" % (
            j["in_flight"], cap, j)
    return check


def restart(node, path="/agents/restart", **params):
    r = node.api("PUT", path, params=params or None)
    assert r.status_code == 200, r.text
    return r


def sim_agents(sim):
    return {a["id"]: a for a in (sim.summary_after() or {})["agent_list"]}


def all_active(node, sim, n):
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == n, 60, 0.1,
                   "%d sim agents active" % n)
    vigil.wait_for(lambda: vigil.n_active(node) == n + 1, 60, 0.2, "%d agents active" % n)


def test_restart_all_is_a_job_that_completes_each_agent_once(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 30, args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    all_active(node, sim, 30)
    r = restart(node)
    jid = r.headers["X-Vigil-Job"]
    body = r.json()
    assert body["error"] == 0 and body["data"]["total_affected_items"] == 30
    assert body["message"] == "Restart command was sent to all agents"
    done = wait_job(node, jid, lambda j: j["status"] == "done", what="job done")
    assert done["counts"]["completed"] == 30 and done["command"] == "restart"
    assert done["in_flight"] == 0 and done["finished"] is not None
    agents = sim_agents(sim)
    # each agent: one restart command, one process start after its first
    assert all(a["restarts"] == 1 and a["process_starts"] == 2 for a in agents.values()), agents
    detail = job(node, jid, state="completed", limit=5, offset=10)
    assert detail["agents"]["total_affected_items"] == 30
    assert [a["id"] for a in detail["agents"]["affected_items"]] == sorted(agents)[10:15]
    for a in detail["agents"]["affected_items"]:
        assert a["state"] == "completed" and a["sends"] == 1 and a["node"] == "master-node"
        assert a["delivered"] is not None and a["done"] >= a["delivered"]
    listing = node.api("GET", "/jobs").json()["data"]
    assert listing["total_affected_items"] == 1 and listing["affected_items"][0]["id"] == int(jid)


def test_a_command_the_agent_did_not_act_on_follows_it_to_its_next_session(tmp_path, procs,
                                                                           key):  # noqa: F811
    """The agent gets the command and does not restart (its execd failed); it then moves to
    another node.  The job passes the command to its new session there, and only then is it
    completed: two sends, one restart."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sim = vigil.Sim(tmp_path, master, 2, control=True,
                    managers="%s,%s" % (w1.agent_addr, master.agent_addr),
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    all_active(master, sim, 2)
    agents = sim_agents(sim)
    aid = sorted(agents)[0]
    idx = agents[aid]["name"]
    idx = [i for i, a in enumerate(sim.summary()["agent_list"]) if a["id"] == aid][0]
    sim.send("deaf %d" % idx)
    vigil.wait_for(lambda: sim.events("deaf"), 10, 0.05, "the sim took the deaf command")
    jid = restart(master, "/agents/%s/restart" % aid).headers["X-Vigil-Job"]
    wait_job(master, jid, lambda j: j["counts"]["delivered"] == 1, what="delivered")
    vigil.wait_for(lambda: sim_agents(sim)[aid]["ignored"] == 1, 20, 0.1, "the command ignored")
    first = job(master, jid)["agents"]["affected_items"][0]
    assert first["state"] == "delivered" and first["sends"] == 1
    sim.send("move %d" % idx)
    done = wait_job(master, jid, lambda j: j["status"] == "done", what="job done")
    a = done["agents"]["affected_items"][0]
    assert a["state"] == "completed" and a["sends"] == 2, a
    assert a["node"] != first["node"]
    s = sim_agents(sim)[aid]
    assert s["restarts"] == 2 and s["ignored"] == 1 and s["process_starts"] == 2, s


def test_an_agent_between_sessions_is_targeted_and_restarted_on_its_next(tmp_path, procs):
    """An agent whose session just ended (within --restart-grace) is in the job and gets the
    command when it comes back; one offline for longer keeps Wazuh's 1707 unless the request
    queues for it."""
    node = vigil.Node(tmp_path, args=["--restart-grace", "3600"])
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 1, args=["--keepalive", "1"])
    procs.append(sim)
    all_active(node, sim, 1)
    aid = list(sim_agents(sim))[0]
    sim.stop()
    vigil.wait_for(lambda: node.agents()[aid]["status"] == "disconnected", 30, 0.2,
                   "the agent disconnected")
    r = restart(node, agents_list=aid)
    assert r.json()["data"]["affected_items"] == [aid]
    jid = r.headers["X-Vigil-Job"]
    assert job(node, jid)["counts"]["pending"] == 1
    sim2 = vigil.Sim(tmp_path, node, 1, args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim2)
    done = wait_job(node, jid, lambda j: j["status"] == "done", what="restarted when back")
    assert done["counts"]["completed"] == 1
    assert sim_agents(sim2)[aid]["restarts"] == 1


def test_offline_agents_fail_1707_unless_queued(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--restart-grace", "0"])
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 1, args=["--keepalive", "1"])
    procs.append(sim)
    all_active(node, sim, 1)
    aid = list(sim_agents(sim))[0]
    sim.stop()
    vigil.wait_for(lambda: node.agents()[aid]["status"] == "disconnected", 30, 0.2,
                   "the agent disconnected")
    r = restart(node, agents_list=aid)
    assert "X-Vigil-Job" not in r.headers
    assert r.json()["data"]["failed_items"][0]["error"]["code"] == 1707
    r = restart(node)        # all: left out silently, as Wazuh
    assert r.json()["data"]["total_affected_items"] == 0 and r.json()["error"] == 0
    r = restart(node, agents_list=aid, queue="true", expires_in="1")
    jid = r.headers["X-Vigil-Job"]
    done = wait_job(node, jid, lambda j: j["status"] == "done", what="expired")
    assert done["counts"]["expired"] == 1
    assert done["agents"]["affected_items"][0]["state"] == "expired"


def test_rolling_restart_holds_max_in_flight_and_can_be_cancelled(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 20, control=True,
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    all_active(node, sim, 20)
    # every agent ignores its first command: none completes, so in flight stays at the cap
    sim.send("deaf %s" % " ".join(str(i) for i in range(20)))
    vigil.wait_for(lambda: sim.events("deaf"), 10, 0.05, "the sim took the deaf command")
    jid = restart(node, max_in_flight="3").headers["X-Vigil-Job"]
    j = wait_job(node, jid, lambda j: j["counts"]["delivered"] == 3, what="3 delivered")
    assert j["counts"]["pending"] == 17 and j["in_flight"] == 3 and j["max_in_flight"] == 3
    r = node.api("PUT", "/jobs/%s/cancel" % jid)
    assert r.status_code == 200, r.text
    c = r.json()["data"]["affected_items"][0]
    assert c["status"] == "cancelling" and c["counts"]["cancelled"] == 17
    assert c["counts"]["delivered"] == 3
    # a second cancel: 400; the delivered ones are followed until they expire or restart
    assert node.api("PUT", "/jobs/%s/cancel" % jid).status_code == 400
    agents = sim_agents(sim)
    assert sum(a["restarts"] for a in agents.values()) == 3


def test_jobs_api_errors(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    assert node.api("GET", "/jobs/99").status_code == 404
    assert node.api("GET", "/jobs/x").status_code == 400
    assert node.api("PUT", "/jobs/99/cancel").status_code == 404
    assert node.api("GET", "/jobs/1", params={"state": "nope"}).status_code in (400, 404)
    assert node.api("PUT", "/agents/restart", params={"max_in_flight": "-1"}).status_code == 400
    assert node.api("PUT", "/agents/restart", params={"expires_in": "0"}).status_code == 400
    assert node.api("PUT", "/agents/restart", params={"queue": "maybe"}).status_code == 400
    r = node.api("GET", "/jobs")
    assert r.status_code == 200 and r.json()["data"]["total_affected_items"] == 0



def rolling_sim(tmp_path, procs, master, n, managers):
    """n sim agents cheap enough by the thousand (a keepalive every 5 s) and slow to restart
    (1 s): a rolling restart of 200 at a time lasts several seconds, so it can be interrupted
    in its middle."""
    sim = vigil.Sim(tmp_path, master, n, managers=managers,
                    args=["--keepalive", "5", "--restart-delay", "1000",
                          "--enroll-concurrency", "100"])
    procs.append(sim)
    return sim


def assert_each_restarted_once(sim, n):
    """Every agent of sim restarted exactly once: its first process and the one the job
    started (none twice, none missing), and was sent the job's command once."""
    agents = sim_agents(sim)
    assert len(agents) == n
    bad = {i: (a["process_starts"], a["restarts"]) for i, a in agents.items()
           if a["process_starts"] != 2 or a["restarts"] != 1}
    assert bad == {}, "%d agents not restarted exactly once (process_starts, restarts): %r" % (
        len(bad), sorted(bad.items())[:20])


@pytest.mark.registries
@pytest.mark.heavy
def test_a_master_restarted_in_the_middle_of_a_rolling_restart_finishes_it_once(tmp_path,
                                                                                procs,
                                                                                key):  # noqa: F811
    """A rolling restart (max_in_flight 200) of 2,000 agents on a worker; the master is
    stopped in the middle and started again on the same data: the job is read back and
    finishes, never more than 200 in flight, every agent restarted exactly once (none twice,
    none missing) and counted completed."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    n, cap = 2000, 200
    sim = rolling_sim(tmp_path, procs, master, n, w1.agent_addr)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == n, 240, 0.5,
                   "%d agents active on worker1" % n)
    jid = restart(master, max_in_flight=str(cap)).headers["X-Vigil-Job"]
    wait_job(master, jid, lambda j: j["counts"]["completed"] >= 400, 120, "400 completed",
             in_flight_at_most(cap), limit=1)
    master.stop()
    m2 = vigil.Node(tmp_path, args=["--cluster-key-file", key,
                                    "--cluster-port", str(master.cluster_port)])
    procs.append(m2)
    j = job(m2, jid, limit=1)
    assert j["total"] == n and j["max_in_flight"] == cap and j["in_flight"] <= cap, j
    # read back with agents left to do: the stop came in the middle of the job
    assert j["counts"]["completed"] < n and j["status"] == "running", j
    done = wait_job(m2, jid, lambda j: j["status"] == "done", 300, "the job finished",
                    in_flight_at_most(cap), limit=1)
    assert done["counts"]["completed"] == n, done["counts"]
    assert_each_restarted_once(sim, n)


@pytest.mark.heavy
def test_a_worker_killed_in_the_middle_of_a_rolling_restart(tmp_path, procs, key):  # noqa: F811
    """A rolling restart (max_in_flight 200) of 2,000 agents over two workers; one worker is
    killed -9 in the middle: its agents fail over to the other, and the job still restarts
    every agent exactly once, never more than 200 in flight."""
    master = start_master(tmp_path, procs, key, args=["--node-grace", "3"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    n, cap = 2000, 200
    sim = rolling_sim(tmp_path, procs, master, n, "%s,%s" % (w1.agent_addr, w2.agent_addr))
    vigil.wait_for(lambda: len(on_node(master, "worker1")) + len(on_node(master, "worker2"))
                   == n, 240, 0.5, "%d agents active on the workers" % n)
    on_w1 = set(on_node(master, "worker1"))
    assert on_w1, "the sim put no agent on worker1"
    jid = restart(master, max_in_flight=str(cap)).headers["X-Vigil-Job"]
    wait_job(master, jid, lambda j: j["counts"]["completed"] >= 400, 120, "400 completed",
             in_flight_at_most(cap), limit=1)
    w1.kill()
    # agents of worker1 not done after the kill were not done at the kill either
    left = job(master, jid, state="pending,delivered", limit=100000)
    assert left["counts"]["completed"] < n and left["status"] == "running", left["counts"]
    assert on_w1 & {a["id"] for a in left["agents"]["affected_items"]}, \
        "worker1 was killed after its agents were done"
    done = wait_job(master, jid, lambda j: j["status"] == "done", 300, "the job finished",
                    in_flight_at_most(cap), limit=1)
    assert done["counts"]["completed"] == n, done["counts"]
    # worker1's agents that had read the command when it died restart all the same
    # (test_an_agent_that_lost_its_link_with_the_command_read_restarts_once): one command each
    assert_each_restarted_once(sim, n)
    vigil.wait_for(lambda: len(on_node(master, "worker2")) == n, 60, 0.5,
                   "every agent on worker2")                        # the failover happened


def test_an_agent_offline_at_the_request_is_restarted_when_it_connects_to_another_node(
        tmp_path, procs, key):  # noqa: F811
    """The agent's session on worker1 ended long enough ago to make it offline (no
    --restart-grace), so only a queued request targets it; it comes back on worker2, where
    the job sends it the command once and sees it restart."""
    master = start_master(tmp_path, procs, key, args=["--restart-grace", "0"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    sim = vigil.Sim(tmp_path, master, 1, managers=w1.agent_addr, args=["--keepalive", "1"])
    procs.append(sim)
    aid = list(vigil.wait_for(lambda: on_node(master, "worker1"), 30, 0.2,
                              "the agent active on worker1"))[0]
    sim.stop()
    vigil.wait_for(lambda: master.agents()[aid]["status"] == "disconnected", 30, 0.2,
                   "the agent disconnected")
    # offline, not between sessions: Wazuh's 1707 without queue
    r = restart(master, agents_list=aid)
    assert "X-Vigil-Job" not in r.headers
    assert r.json()["data"]["failed_items"][0]["error"]["code"] == 1707, r.text
    r = restart(master, agents_list=aid, queue="true")
    assert r.json()["data"]["affected_items"] == [aid], r.text
    jid = r.headers["X-Vigil-Job"]
    assert job(master, jid)["counts"]["pending"] == 1
    # the same agent (same sim name: its saved key), now knowing worker2 alone
    sim2 = vigil.Sim(tmp_path, master, 1, managers=w2.agent_addr,
                     args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim2)
    done = wait_job(master, jid, lambda j: j["status"] == "done", what="restarted on worker2")
    assert done["counts"]["completed"] == 1, done["counts"]
    a = done["agents"]["affected_items"][0]
    assert a["id"] == aid and a["state"] == "completed", a
    assert a["node"] == "worker2" and a["sends"] == 1, a
    s = sim_agents(sim2)
    assert list(s) == [aid]                     # the same agent, not a new one
    assert s[aid]["restarts"] == 1 and s[aid]["process_starts"] == 2, s


@pytest.mark.heavy
def test_restart_all_under_churn_restarts_every_agent_exactly_once(tmp_path, procs,
                                                                    key):  # noqa: F811
    """The issue's scenario: master + 2 workers, 2,000 simulated agents (20 % on Wazuh
    3.13.2), agents moving between the workers 10 % a second and flapping 2 % a second, one
    PUT /agents/restart.  Every agent is in the job (those between sessions too), the job
    completes every one, and each agent restarted exactly once: none missing, none twice
    (Wazuh: 12 % never restarted)."""
    master = start_master(tmp_path, procs, key, args=["--node-grace", "3"])
    workers = [start_worker(tmp_path, procs, key, master, "worker%d" % i) for i in (1, 2)]
    n = 2000
    sim = vigil.Sim(tmp_path, master, n, name="churn", control=True,
                    managers=",".join(w.agent_addr for w in workers),
                    args=["--keepalive", "5", "--restart-delay", "300",
                          "--enroll-concurrency", "100",
                          "--version-mix", "4.12.0:80,3.13.2:20"])
    procs.append(sim)
    vigil.wait_for(lambda: master.api("GET", "/agents/summary/status").json()["data"]
                   ["connection"]["active"] == n, 180, 0.5, "2000 agents active")
    sim.send("rate migrate 10")
    sim.send("rate flap 2")
    vigil.wait_for(lambda: len(sim.events("rate")) == 2, 10, 0.1, "the churn started")
    vigil.wait_for(lambda: sim.summary_after().get("moves", 0) > 100, 30, 0.2,
                   "agents moving")
    r = restart(master)
    jid = r.headers["X-Vigil-Job"]
    assert r.json()["data"]["total_affected_items"] == n, r.json()["data"]["failed_items"]
    done = wait_job(master, jid, lambda j: j["status"] == "done", 180, "the job done under churn")
    sim.send("rate migrate 0")
    sim.send("rate flap 0")
    assert done["counts"]["completed"] == n, done["counts"]
    s = sim.summary_after()
    starts = {a["id"]: a["process_starts"] for a in s["agent_list"]}
    rows = {a["id"]: a for a in job(master, jid, limit=100000)["agents"]["affected_items"]}
    agents = {a["id"]: a for a in s["agent_list"]}
    missing = sorted(i for i, k in starts.items() if k < 2)
    twice = sorted(i for i, k in starts.items() if k > 2)
    assert missing == [], [(rows.get(i), agents[i]) for i in missing[:3]]
    with open(str(tmp_path / "twice.json"), "w") as f:
        json.dump([(rows.get(i), agents[i]) for i in twice[:5]], f, indent=1)
    assert twice == [], "%d restarted twice: %s" % (len(twice), twice[:10])
    old = sum(a["version"] == "3.13.2" for a in s["agent_list"])
    assert old > 0 and s["legacy_restarts"] >= old                  # the legacy form


def frozen_worker_cluster(tmp_path, procs, key, n, master_args=()):  # noqa: F811
    """A master, worker1 and n sim agents that know worker1 alone and stay on their
    sessions through a freeze of the worker (an agent gives a manager up after 3 keepalives
    without an ack: 30 s here, longer than the link lives)."""
    master = start_master(tmp_path, procs, key, args=list(master_args))
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sim = vigil.Sim(tmp_path, master, n, managers=w1.agent_addr,
                    args=["--keepalive", "10", "--restart-delay", "100"])
    procs.append(sim)
    ids = sorted(vigil.wait_for(lambda: len(on_node(master, "worker1")) == n and
                                on_node(master, "worker1"), 30, 0.2,
                                "%d agents active on worker1" % n))
    return master, w1, sim, ids


def connected(master):
    r = master.api("GET", "/cluster/nodes")
    assert r.status_code == 200, r.text
    return {i["name"] for i in r.json()["data"]["affected_items"]}


def test_a_worker_frozen_past_its_link_death_gets_the_command_once_it_is_back(tmp_path, procs,
                                                                            key):  # noqa: F811
    """The worker freezes for longer than the link lives (CLUSTER_DEAD_AFTER); within
    --node-grace its agents are still active on the master, on the same sessions, and the
    restart targets them.  Nothing can reach them while the link is down; once the worker is
    back with the same sessions (its agents never left them) each gets the command there,
    exactly once.  (Before: the send failed at once with 1792, and a session once sent to was
    never sent to again, so the agents stayed pending until the job expired.)"""
    master, w1, sim, ids = frozen_worker_cluster(tmp_path, procs, key, 3,
                                                 ["--node-grace", "3600"])
    os.kill(w1.pid, signal.SIGSTOP)
    try:
        vigil.wait_for(lambda: "worker1" not in connected(master), 30, 0.2,
                       "the master lost its link to the frozen worker")
        assert sorted(on_node(master, "worker1")) == ids      # the grace: still active there
        r = restart(master, agents_list=",".join(ids))
        assert r.json()["data"]["affected_items"] == ids, r.text
        jid = r.headers["X-Vigil-Job"]
        assert job(master, jid)["counts"]["pending"] == 3
    finally:
        os.kill(w1.pid, signal.SIGCONT)
    done = wait_job(master, jid, lambda j: j["status"] == "done", what="every agent restarted")
    assert done["counts"]["completed"] == 3, done
    for a in done["agents"]["affected_items"]:
        assert a["node"] == "worker1" and a["sends"] == 1, a   # none sent while it was away
    agents = sim_agents(sim)
    assert all(a["restarts"] == 1 and a["process_starts"] == 2 for a in agents.values()), agents


def test_a_command_resent_to_a_session_that_has_it_is_not_written_again(tmp_path, procs,
                                                                      key):  # noqa: F811
    """The worker freezes with the link still up: the job's command batch times out (1792:
    written or not, nobody knows), so the job sends it to the same sessions again.  Both
    batches wait in the frozen worker's socket; when it wakes it writes the first and, for
    the second, finds the job's command already written on each session: it answers
    delivered and writes nothing.  Each agent restarts once."""
    master, w1, sim, ids = frozen_worker_cluster(tmp_path, procs, key, 3)
    os.kill(w1.pid, signal.SIGSTOP)
    try:
        jid = restart(master, agents_list=",".join(ids)).headers["X-Vigil-Job"]
        # the batch times out after 5 s; the same sessions get the command again
        wait_job(master, jid, lambda j: all(a["sends"] >= 2 and a["code"] == 1792
                                            for a in j["agents"]["affected_items"]),
                 30, "the frozen worker's sessions sent to twice")
    finally:
        os.kill(w1.pid, signal.SIGCONT)
    done = wait_job(master, jid, lambda j: j["status"] == "done", what="every agent restarted")
    assert done["counts"]["completed"] == 3, done
    agents = sim_agents(sim)
    assert all(a["restarts"] == 1 and a["process_starts"] == 2 for a in agents.values()), agents
    # the worker wrote one command per session, whatever it was sent
    assert w1.stats_after()["restarts_sent"] == 3


def test_an_agent_that_lost_its_link_with_the_command_read_restarts_once(tmp_path, procs,
                                                                        key):  # noqa: F811
    """The agent reads the restart command and, before it acts on it, its worker is killed
    -9.  As a Wazuh agent (execd has the command, the manager's link does not matter) it
    restarts anyway and its new process fails over to worker2, where its "Agent started"
    proves the restart: one command, one send, one restart.  (The sim is frozen while the
    command is written and the worker killed, so it reads the command and the end of its
    link together.)"""
    master = start_master(tmp_path, procs, key, args=["--node-grace", "3"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    sim = vigil.Sim(tmp_path, master, 1, managers="%s,%s" % (w1.agent_addr, w2.agent_addr),
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    aid = list(vigil.wait_for(lambda: on_node(master, "worker1"), 30, 0.2,
                              "the agent active on worker1"))[0]
    os.kill(sim.pid, signal.SIGSTOP)
    try:
        jid = restart(master, agents_list=aid).headers["X-Vigil-Job"]
        wait_job(master, jid, lambda j: j["counts"]["delivered"] == 1,
                 what="the command written to the agent's session on worker1")
        w1.kill()
    finally:
        os.kill(sim.pid, signal.SIGCONT)
    done = wait_job(master, jid, lambda j: j["status"] == "done", what="the job done")
    assert done["counts"]["completed"] == 1, done["counts"]
    a = sim_agents(sim)[aid]
    assert a["process_starts"] == 2, a
    assert a["restarts"] == 1, a                # vigil-sim today: 2, the command sent again
    row = done["agents"]["affected_items"][0]
    assert row["sends"] == 1 and row["node"] == "worker1", row    # sent there only
    vigil.wait_for(lambda: aid in on_node(master, "worker2"), 30, 0.2,
                   "the agent active on worker2")               # where it proved its restart


def test_sends_of_a_master_stopped_before_saving_its_rows_are_not_made_again(tmp_path, procs,
                                                                            key):  # noqa: F811
    """The master records a tick's sends in one row before making them, and saves the
    agents' rows after (one row for 10,000 sends instead of 10,000 updates in the way of the
    commands).  A master killed after its sends but before that save (vigild-test's
    "jobs-unsaved": nothing but the record is written) is read back with the record replayed:
    the agents its commands restarted are completed by their proof, and none is sent the
    command a second time."""
    master = start_master(tmp_path, procs, key, args=["--test-faults"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    n = 5
    sim = vigil.Sim(tmp_path, master, n, managers=w1.agent_addr,
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == n, 60, 0.2, "agents on worker1")
    fault(master, "jobs-unsaved")
    jid = restart(master).headers["X-Vigil-Job"]
    wait_job(master, jid, lambda j: j["counts"]["completed"] == n, 60,
             "every agent completed in the first master's memory")
    vigil.wait_for(lambda: (lambda a: len(a) == n and all(x["process_starts"] == 2
                                                          for x in a.values()))(sim_agents(sim)),
                   30, 0.2, "every sim agent restarted")
    master.kill()
    m2 = vigil.Node(tmp_path, args=["--cluster-key-file", key,
                                    "--cluster-port", str(master.cluster_port)])
    procs.append(m2)
    assert "sends recorded before a stop replayed" in m2.output()
    done = wait_job(m2, jid, lambda j: j["status"] == "done", 60, "the job finished")
    assert done["counts"]["completed"] == n, done["counts"]
    assert [a["sends"] for a in done["agents"]["affected_items"]] == [1] * n, done
    assert_each_restarted_once(sim, n)


def test_sends_the_registry_would_not_record_are_made_at_a_later_tick(tmp_path, procs,
                                                                     key):  # noqa: F811
    """A tick's sends are made only once they are recorded; when the registry refuses the
    record (vigild-test's "jobs-record-fails", once) nothing is sent, and the same sessions
    get the command at a later tick: the job completes, each agent restarted once."""
    master = start_master(tmp_path, procs, key, args=["--test-faults"])
    n = 3
    sim = vigil.Sim(tmp_path, master, n, args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    all_active(master, sim, n)
    fault(master, "jobs-record-fails")
    jid = restart(master).headers["X-Vigil-Job"]
    done = wait_job(master, jid, lambda j: j["status"] == "done", 60, "the job finished")
    assert done["counts"]["completed"] == n, done["counts"]
    # (the agents settle one by one: the tick that failed may have held fewer than 3)
    assert re.search(r"cannot record \d+ sends \(fault injection\)", master.output())
    assert_each_restarted_once(sim, n)
