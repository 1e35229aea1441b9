"""PUT /agents/reconnect on a standalone master and on a master with a worker, with
simulated agents and a real one."""

import json
import os

import pytest

import vigil
from test_cluster import key, start_master, start_worker, on_node  # noqa: F401  (fixture)
from test_cluster_api import problem

R1707 = ("Please, check non-active agents connection and try again. Visit "
         "https://documentation.wazuh.com/4.12/user-manual/registering/index.html and "
         "https://documentation.wazuh.com/4.12/user-manual/agents/agent-connection.html to "
         "obtain more information on registering and connecting agents")
RECONNECT_ALL = "Force reconnect command was sent to all agents"
RECONNECT_SOME = "Force reconnect command was not sent to some agents"
RECONNECT_NONE = "Force reconnect command was not sent to any agent"


def reconnects(sim):
    return (sim.summary() or {}).get("reconnects_received", 0)


def stats(node):
    try:
        with open(os.path.join(node.data_dir, "stats.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def test_reconnect_standalone(tmp_path, procs, wazuh_master):
    master = wazuh_master
    sim = vigil.Sim(tmp_path, master, 3, name="r", args=["--keepalive", "1"])
    gone = vigil.Sim(tmp_path, master, 1, name="g", args=["--keepalive", "1"])
    procs += [sim, gone]
    vigil.wait_for(lambda: len(on_node(master, "master-node")) == 4, 20, 0.2, "4 agents active")
    ids = sorted(i for i, a in master.agents().items()
                 if i != "000" and a["name"].startswith("r-"))
    gone_id = next(i for i, a in master.agents().items() if a["name"].startswith("g-"))
    gone.stop()
    vigil.wait_for(lambda: master.agents()[gone_id]["status"] == "disconnected", 20, 0.2,
                   "the stopped agent disconnected")
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 3, 10, 0.1, "sim summary")
    before = sim.summary()["sessions"]

    # Without agents_list: every agent; 000 and the inactive one are left out silently.
    r = master.api("PUT", "/agents/reconnect")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 0, body
    assert body["message"] == RECONNECT_ALL
    assert body["data"] == {"affected_items": ids, "total_affected_items": 3,
                            "total_failed_items": 0, "failed_items": []}
    vigil.wait_for(lambda: reconnects(sim) == 3, 10, 0.1, "3 reconnects received")
    vigil.wait_for(lambda: (sim.summary() or {}).get("sessions", 0) >= before + 3 and
                   (sim.summary() or {}).get("active") == 3, 20, 0.1, "agents back")
    vigil.wait_for(lambda: len(on_node(master, "master-node")) == 3, 20, 0.2,
                   "the agents active again on the node")
    s = sim.summary()
    assert s["restarts_received"] == 0 and s["commands_received"] == 0
    vigil.wait_for(lambda: stats(master).get("reconnects_sent") == 3, 5, 0.2,
                   "reconnects_sent in stats.json")

    # With agents_list: the failures stay, with Wazuh's codes.
    r = master.api("PUT", "/agents/reconnect",
                   params={"agents_list": "%s,000,999,%s" % (ids[0], gone_id)})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 2, body
    assert body["message"] == RECONNECT_SOME
    assert body["data"]["affected_items"] == [ids[0]]
    codes = {f["error"]["code"]: f["id"] for f in body["data"]["failed_items"]}
    assert codes == {1703: ["000"], 1701: ["999"], 1707: [gone_id]}
    f1707 = [f for f in body["data"]["failed_items"] if f["error"]["code"] == 1707][0]
    assert f1707["error"] == {"code": 1707, "message": "Cannot send request, agent is not active",
                              "remediation": R1707}
    vigil.wait_for(lambda: reconnects(sim) == 4, 10, 0.1, "one more reconnect")

    body = master.api("PUT", "/agents/reconnect", params={"agents_list": gone_id}).json()
    assert body["error"] == 1 and body["message"] == RECONNECT_NONE
    assert body["data"]["affected_items"] == [] and body["data"]["total_failed_items"] == 1

    problem(master.api("PUT", "/agents/reconnect", params={"agents_list": "abc"}), 400, None)
    problem(master.api("PUT", "/agents/reconnect", params={"status": "active"}), 400, None)
    problem(master.api("PUT", "/agents/reconnect", params={"wait_for_complete": "2"}), 400, None)
    assert master.api("GET", "/agents/reconnect").status_code == 405
    r = master.api("PUT", "/agents/reconnect", params={"pretty": "true", "agents_list": ids[1]})
    assert r.status_code == 200 and r.text.startswith('{\n   "data"')
    vigil.wait_for(lambda: len(on_node(master, "master-node")) == 3, 20, 0.2, "all back")
    assert sim.alive()


@pytest.fixture
def cluster(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sm = vigil.Sim(tmp_path, master, 2, name="m", args=["--keepalive", "1"])
    s1 = vigil.Sim(tmp_path, master, 3, name="c1", managers=w1.agent_addr,
                   args=["--keepalive", "1"])
    procs += [sm, s1]
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 3 and
                   len(on_node(master, "master-node")) == 2, 30, 0.2, "agents on both nodes")
    return master, w1, sm, s1


def test_reconnect_routes_to_the_worker(cluster):
    master, _, sm, s1 = cluster
    on_m = sorted(on_node(master, "master-node"))
    on_w = sorted(on_node(master, "worker1"))
    r = master.api("PUT", "/agents/reconnect")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 0, body
    assert body["message"] == RECONNECT_ALL
    assert body["data"]["affected_items"] == sorted(on_m + on_w, key=int)
    vigil.wait_for(lambda: reconnects(sm) == 2 and reconnects(s1) == 3, 10, 0.1,
                   "reconnects on both nodes")
    assert (sm.summary() or {})["restarts_received"] == 0
    assert (s1.summary() or {})["restarts_received"] == 0
    vigil.wait_for(lambda: (s1.summary() or {}).get("sessions", 0) >= 6 and
                   (sm.summary() or {}).get("sessions", 0) >= 4, 20, 0.1, "new sessions")
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 3 and
                   len(on_node(master, "master-node")) == 2, 30, 0.2, "all active again")
    # One agent of the worker, by id, with an unknown one beside it.
    body = master.api("PUT", "/agents/reconnect",
                      params={"agents_list": "%s,777" % on_w[0]}).json()
    assert body["error"] == 2 and body["data"]["affected_items"] == [on_w[0]]
    assert body["data"]["failed_items"][0]["error"]["code"] == 1701
    vigil.wait_for(lambda: reconnects(s1) == 4, 10, 0.1, "the fourth reconnect")
    assert reconnects(sm) == 2
    # A restart still restarts (the batch frame carries no "cmd" for it).
    body = master.api("PUT", "/agents/restart", params={"agents_list": on_w[1]}).json()
    assert body["error"] == 0 and body["data"]["affected_items"] == [on_w[1]]
    vigil.wait_for(lambda: (s1.summary() or {}).get("restarts_received") == 1, 10, 0.1,
                   "the restart")
    assert reconnects(s1) == 4


def test_reconnect_real_agent(master, tmp_path, procs):
    agent = vigil.Agent(tmp_path, master, "web-01", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: len(on_node(master, "master-node")) == 1, 20, 0.2, "agent active")
    pid = vigil.wait_for(agent.current_pid, 5, what="agent pid file")
    opened = vigil.wait_for(lambda: stats(master).get("sessions_opened"), 5, 0.2, "stats")
    body = master.api("PUT", "/agents/reconnect", params={"agents_list": "001"}).json()
    assert body["error"] == 0 and body["data"]["affected_items"] == ["001"], body
    # Same process, a new session at once (no back-off, no restart).
    vigil.wait_for(lambda: "force_reconnect from manager: reconnecting" in agent.output(), 5, 0.1,
                   "the agent saw the force_reconnect")
    vigil.wait_for(lambda: stats(master).get("sessions_opened", 0) > opened, 5, 0.1,
                   "a new session")
    # The agent's own word that it is connected again: a back-off would come before it.
    vigil.wait_for(lambda: agent.output().count("connected to manager") >= 2, 10, 0.1,
                   "the agent connected again")
    vigil.wait_for(lambda: len(on_node(master, "master-node")) == 1, 10, 0.2, "active again")
    assert agent.current_pid() == pid and agent.alive()
    assert "again in" not in agent.output()
