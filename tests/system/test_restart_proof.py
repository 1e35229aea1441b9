"""What proves that an agent restarted (issue 11): Wazuh's "Agent started" event, which an
agent sends once per process, right after its first acked startup.  vigil-sim and
vigil-agent send it only when a process starts, never on a move, a flap or a reconnect;
the node holding the session counts it (stats.json agent_starts) and reports it with the
session's state (proc_start_ms; the master's per-agent value is held by
tests/unit/test_state.c).  Real vigild, vigil-sim and vigil-agent processes."""

import vigil
from test_cluster import key, start_master, start_worker  # noqa: F401


def agent_starts(*nodes):
    """agent_starts over nodes, from a stats.json written after the call on each: it counts
    every "Agent started" those nodes had received before it."""
    return sum(n.stats_after().get("agent_starts", 0) for n in nodes)


def live_on(master, aid, node_name, times=2, timeout=20):
    """Waits until the master shows agent aid active on node_name with its lastKeepAlive
    moved on `times` times while active.  Each move is a keepalive; a stale one of an older
    session can be at most one of them, so at least one came on the agent's newest session,
    after anything that session sent before it ("Agent started" comes right after the ack)
    had been read by the node holding it."""
    seen = [(master.agents().get(aid) or {}).get("lastKeepAlive")]

    def moved():
        a = master.agents().get(aid) or {}
        if (a.get("status") == "active" and a.get("node_name") == node_name and
                a.get("lastKeepAlive") not in seen):
            seen.append(a["lastKeepAlive"])
        return len(seen) > times
    vigil.wait_for(moved, timeout, 0.2, "agent %s's keepalives on %s" % (aid, node_name))


def sim_agent(sim, idx):
    return (sim.summary_after() or {})["agent_list"][idx]


def test_sim_restart_is_one_agent_start_moves_and_flaps_none(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    # The sim deals its agents out over both nodes (one that finds no key on worker1 yet,
    # right after enrolling, fails over to the master): the test reads where each is.
    sim = vigil.Sim(tmp_path, master, 3, control=True,
                    managers="%s,%s" % (w1.agent_addr, master.agent_addr),
                    args=["--keepalive", "1", "--restart-delay", "200"])
    procs.append(sim)
    nodes = {w1.agent_addr: w1, master.agent_addr: master}
    other = {w1.agent_addr: master.agent_addr, master.agent_addr: w1.agent_addr}
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 3, 30, 0.1, "3 agents active")
    before = sim.summary()["agent_list"]
    ids = [a["id"] for a in before]
    for a in before:
        live_on(master, a["id"], nodes[a["manager"]].name, times=1)
    # one process start each, said once, on its first acked session
    assert sim.summary_after()["process_starts"] == 3
    assert agent_starts(master, w1) == 3

    # agent 0 restarts by itself: a new process, one "Agent started" more where it is now
    sim.send("restart 0")
    up = vigil.wait_for(lambda: sim.events("up"), 20, 0.05, "agent 0 up again")[0]
    assert up["idx"] == 0 and up["process_starts"] == 2
    vigil.wait_for(lambda: sum(n.stats().get("agent_starts", 0) for n in (master, w1)) == 4,
                   10, 0.1, "the restarted process counted")
    live_on(master, ids[0], nodes[up["manager"]].name, times=1)

    # agent 1 moves to the other node (failover: the same process), agent 2 flaps
    sim.send("move 1")
    vigil.wait_for(lambda: len(sim.events("up")) == 2, 20, 0.05, "agent 1 up on the other node")
    moved = sim.events("up")[1]
    assert moved["idx"] == 1 and moved["manager"] == other[before[1]["manager"]]
    live_on(master, ids[1], nodes[moved["manager"]].name)
    sim.send("flap 2")
    vigil.wait_for(lambda: len(sim.events("up")) == 3, 20, 0.05, "agent 2 up again")
    flapped = sim.events("up")[2]
    assert flapped["idx"] == 2 and flapped["manager"] == before[2]["manager"]
    live_on(master, ids[2], nodes[flapped["manager"]].name)

    # neither said "Agent started": the nodes count only the 3 starts and the restart
    assert agent_starts(master, w1) == 4
    assert moved["process_starts"] == 1 and flapped["process_starts"] == 1
    s = sim.summary_after()
    assert s["process_starts"] == 4 and s["moves"] == 1 and s["flaps"] == 1
    assert [a["process_starts"] for a in s["agent_list"]] == [2, 1, 1]
    # and only the restart said "agent shutdown" (a move does not)
    assert master.output().count("agent shutdown") + w1.output().count("agent shutdown") == 1


def test_real_agent_restart_is_one_agent_start_reconnect_none(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    agent = vigil.Agent(tmp_path, master, "web-01", managers=w1.agent_addr,
                        args=["--keepalive", "1"])
    procs.append(agent)
    live_on(master, "001", "worker1", times=1)
    assert agent_starts(master, w1) == 1
    pid1 = vigil.wait_for(agent.current_pid, 5, what="agent pid file")

    # restarted through the API: the new process says "Agent started" once
    r = master.api("PUT", "/agents/001/restart")
    assert r.status_code == 200 and r.json()["data"]["affected_items"] == ["001"], r.text
    vigil.wait_for(lambda: (agent.current_pid() or pid1) != pid1, 20, 0.1,
                   "agent re-executed with a new pid")
    vigil.wait_for(lambda: w1.stats().get("agent_starts") == 2, 20, 0.1,
                   "worker1 counting the new process")
    live_on(master, "001", "worker1")
    assert agent_starts(master, w1) == 2

    # told to reconnect: a new session of the same process, no "Agent started"
    opened = w1.stats_after()["sessions_opened"]
    r = master.api("PUT", "/agents/reconnect")
    assert r.status_code == 200 and r.json()["data"]["affected_items"] == ["001"], r.text
    vigil.wait_for(lambda: w1.stats().get("sessions_opened", 0) > opened, 20, 0.1,
                   "the agent's new session on worker1")
    live_on(master, "001", "worker1")
    assert "force_reconnect from manager" in agent.output()
    assert agent_starts(master, w1) == 2
