"""The /cluster endpoints and PUT /agents/node/{node_id}/restart against a real cluster:
a master and two workers with simulated agents on both, and a standalone master."""

import os
import re
import signal


import pytest

import vigil
from test_cluster import key, start_master, start_worker, on_node  # noqa: F401  (fixture)

DATE_USEC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
NODE_KEYS = ["name", "type", "version", "ip"]
R3013 = ("Please, visit the official documentation (https://documentation.wazuh.com/4.12/"
         "user-manual/configuring-cluster/index.html) to get more information about how to "
         "configure a cluster")
R1730 = ("Make sure the name is correct and that the node is up. You can check it using "
         "`cluster_control -l` (https://documentation.wazuh.com/4.12/user-manual/reference/"
         "tools/cluster_control.html#get-connected-nodes)")


@pytest.fixture
def cluster(tmp_path, procs, key):  # noqa: F811
    # Wazuh's treatment of inactive agents (1707, left out of "all"): no --restart-grace
    master = start_master(tmp_path, procs, key, args=["--restart-grace", "0"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    s1 = vigil.Sim(tmp_path, master, 4, name="c1", managers=w1.agent_addr, args=["--keepalive", "1"])
    s2 = vigil.Sim(tmp_path, master, 3, name="c2", managers=w2.agent_addr, args=["--keepalive", "1"])
    procs += [s1, s2]
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 4 and
                   len(on_node(master, "worker2")) == 3, 30, 0.2, "agents on both workers")
    return master, w1, w2, s1, s2


def problem(r, status, code):
    """Checks a problem+json answer and returns its body."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/problem+json; charset=utf-8"
    body = r.json()
    if code is None:
        assert "error" not in body, body
    else:
        assert body["error"] == code, body
    return body


def test_standalone_master_has_no_cluster(master):
    r = master.api("GET", "/cluster/status")
    assert r.status_code == 200
    assert r.json() == {"data": {"enabled": "no", "running": "no"}, "error": 0}
    for path in ("/cluster/nodes", "/cluster/healthcheck"):
        body = problem(master.api("GET", path), 400, 3013)
        assert list(body) == ["title", "detail", "remediation", "dapi_errors", "error"]
        assert body["title"] == "Bad Request"
        assert body["detail"] == ("Cluster is not running, it might be disabled in "
                                  "`WAZUH_HOME/etc/ossec.conf`")
        assert body["remediation"] == R3013
        assert body["dapi_errors"] == {"master-node": {"error": body["detail"]}}
    body = problem(master.api("PUT", "/agents/node/worker1/restart"), 400, 3013)
    assert body["title"] == "Bad Request"
    # The schema is checked before the cluster: a bad parameter is a plain 400.
    problem(master.api("GET", "/cluster/nodes", params={"limit": "0"}), 400, None)
    problem(master.api("GET", "/cluster/healthcheck", params={"nodes_list": "a b"}), 400, None)
    problem(master.api("PUT", "/agents/node/bad%20name/restart"), 400, None)
    # Local info reads the node's own settings: it answers without a cluster too.
    body = master.api("GET", "/cluster/local/info").json()
    assert body == {"data": {"affected_items": [{"node": "master-node", "cluster": "vigil",
                                                 "type": "master"}],
                             "total_affected_items": 1, "total_failed_items": 0,
                             "failed_items": []},
                    "message": "All selected information was returned", "error": 0}


def test_status_and_local_info(cluster):
    master, _, _, _, _ = cluster
    # Only the master serves the API (docs/operations.md).
    assert master.api("GET", "/cluster/status").json() == \
        {"data": {"enabled": "yes", "running": "yes"}, "error": 0}
    body = master.api("GET", "/cluster/local/info").json()
    assert body["data"]["affected_items"] == [{"node": "master-node", "cluster": "vigil",
                                               "type": "master"}]
    assert list(body["data"]["affected_items"][0]) == ["node", "cluster", "type"]
    assert body["message"] == "All selected information was returned"
    problem(master.api("GET", "/cluster/status", params={"x": "1"}), 400, None)
    problem(master.api("GET", "/cluster/local/info", params={"wait_for_complete": "no"}),
            400, None)
    assert master.api("GET", "/cluster/local/info",
                      params={"pretty": "true", "wait_for_complete": "true"}).status_code == 200


def names(body):
    return [i["name"] for i in body["data"]["affected_items"]]


def test_cluster_nodes(cluster):
    master, _, _, _, _ = cluster
    r = master.api("GET", "/cluster/nodes")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["error"] == 0
    assert body["message"] == "All selected nodes information was returned"
    items = body["data"]["affected_items"]
    # Cluster order (the master first, then the workers as they joined).
    assert names(body) == ["master-node", "worker1", "worker2"]
    assert all(list(i) == NODE_KEYS for i in items)
    assert [i["type"] for i in items] == ["master", "worker", "worker"]
    assert all(i["version"] == "4.12.0" and i["ip"] for i in items)
    assert body["data"]["total_affected_items"] == 3
    assert body["data"]["failed_items"] == [] and body["data"]["total_failed_items"] == 0

    get = lambda **p: master.api("GET", "/cluster/nodes", params=p).json()  # noqa: E731
    assert names(get(sort="-name")) == ["worker2", "worker1", "master-node"]
    assert names(get(type="worker", sort="-name")) == ["worker2", "worker1"]
    assert names(get(type="MASTER")) == ["master-node"]
    assert names(get(search="worker1")) == ["worker1"]
    assert names(get(search="-worker")) == ["master-node"]
    body = get(type="worker", limit="1")
    assert names(body) == ["worker1"] and body["data"]["total_affected_items"] == 2
    body = get(offset="1", limit="1", sort="name")
    assert names(body) == ["worker1"] and body["data"]["total_affected_items"] == 3
    body = get(select="version,name")
    assert [list(i) for i in body["data"]["affected_items"]] == [["version", "name"]] * 3
    body = get(select="type", distinct="true")
    assert body["data"]["affected_items"] == [{"type": "master"}, {"type": "worker"}]
    body = get(search="nothing-matches")
    assert body["error"] == 0 and body["message"] == "No information was returned"

    body = get(nodes_list="worker1,nope")
    assert body["error"] == 2
    assert body["message"] == "Some nodes information was not returned"
    assert names(body) == ["worker1"]
    assert body["data"]["failed_items"] == [
        {"error": {"code": 1730, "message": "Node does not exist", "remediation": R1730},
         "id": ["nope"]}]
    body = get(nodes_list="ghost2,ghost1")
    assert body["error"] == 1 and body["message"] == "No information was returned"
    assert body["data"]["failed_items"][0]["id"] == ["ghost1", "ghost2"]

    body = problem(master.api("GET", "/cluster/nodes", params={"select": "bogus"}), 400, 1724)
    assert body["detail"] == "Not a valid select field: bogus"
    assert body["remediation"] == ("Please, use only allowed select fields: "
                                   "name, type, version, ip")
    body = problem(master.api("GET", "/cluster/nodes", params={"sort": "bogus"}), 400, 1403)
    assert body["detail"] == "Not a valid sort field "
    assert body["remediation"].endswith("Wrong fields: bogus")
    for params in ({"type": "king"}, {"limit": "0"}, {"limit": "100001"}, {"offset": "-1"},
                   {"x": "1"}, {"nodes_list": "a,,b"},
                   {"search": "a;b"}, {"distinct": "maybe"}, {"select": "na me"}):
        body = problem(master.api("GET", "/cluster/nodes", params=params), 400, None)
        assert body["title"] == "Bad Request", params
    r = master.api("GET", "/cluster/nodes", params={"pretty": "true"})
    assert r.text.startswith('{\n   "data": {')


def test_cluster_healthcheck(cluster):
    master, _, _, _, _ = cluster
    body = master.api("GET", "/cluster/healthcheck").json()
    assert body["error"] == 0
    assert body["message"] == "All selected nodes healthcheck information was returned"
    items = body["data"]["affected_items"]
    assert [i["info"]["name"] for i in items] == ["master-node", "worker1", "worker2"]
    assert list(items[0]) == ["info"]
    assert list(items[0]["info"]) == NODE_KEYS + ["n_active_agents"]
    assert items[0]["info"]["type"] == "master" and items[0]["info"]["version"] == "4.12.0"
    assert [i["info"]["n_active_agents"] for i in items] == [0, 4, 3]
    for it in items[1:]:
        assert list(it) == ["info", "status"]
        st = it["status"]
        assert list(st) == ["sync_integrity_free", "last_check_integrity", "last_sync_integrity",
                            "sync_agent_info_free", "last_sync_agentinfo", "last_sync_agentgroup",
                            "last_sync_full_agentgroup", "last_keep_alive"]
        assert st["sync_integrity_free"] is True and st["sync_agent_info_free"] is True
        assert DATE_USEC.match(st["last_keep_alive"]), st
        assert list(st["last_check_integrity"]) == ["date_start_master", "date_end_master"]
        assert list(st["last_sync_integrity"]) == ["date_start_master", "date_end_master",
                                                   "total_extra_valid", "total_files"]
        assert st["last_sync_integrity"]["total_files"] == \
            {"missing": 0, "shared": 0, "extra": 0, "extra_valid": 0}
        agentinfo = st["last_sync_agentinfo"]
        assert list(agentinfo) == ["date_start_master", "date_end_master", "n_synced_chunks"]
        assert agentinfo["n_synced_chunks"] > 0
        assert agentinfo["date_start_master"] <= agentinfo["date_end_master"]
        assert agentinfo["date_end_master"] == st["last_keep_alive"]
        for k in ("last_sync_agentgroup", "last_sync_full_agentgroup"):
            assert list(st[k]) == ["date_start", "date_end", "n_synced_chunks"]
            assert DATE_USEC.match(st[k]["date_start"])
    get = lambda **p: master.api("GET", "/cluster/healthcheck", params=p).json()  # noqa: E731
    body = get(nodes_list="worker2,master-node")
    assert [i["info"]["name"] for i in body["data"]["affected_items"]] == \
        ["master-node", "worker2"]
    # Master.get_health skips names it does not know: no failed item.
    body = get(nodes_list="worker2,ghost")
    assert [i["info"]["name"] for i in body["data"]["affected_items"]] == ["worker2"]
    assert body["error"] == 0 and body["data"]["failed_items"] == []
    body = get(nodes_list="ghost")
    assert body["error"] == 0 and body["data"]["total_affected_items"] == 0
    assert body["message"] == "No healthcheck information was returned"
    for params in ({"nodes_list": ""}, {"sort": "name"}, {"wait_for_complete": "x"}):
        problem(master.api("GET", "/cluster/healthcheck", params=params), 400, None)


def test_restart_by_node(cluster):
    master, _, w2, s1, s2 = cluster
    on_w1 = sorted(on_node(master, "worker1"))
    r = master.api("PUT", "/agents/node/worker1/restart")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 0, body
    assert body["message"] == "Restart command was sent to all agents"
    assert body["data"]["affected_items"] == on_w1
    assert body["data"]["total_affected_items"] == 4
    vigil.wait_for(lambda: (s1.summary() or {}).get("agents_restarted") == 4, 10, 0.1,
                   "worker1's agents restarted")
    assert s2.summary_after().get("agents_restarted", 0) == 0
    # The master holds no agent: nothing to do, and 000 is never reported.
    body = master.api("PUT", "/agents/node/master-node/restart").json()
    assert body == {"data": {"affected_items": [], "total_affected_items": 0,
                             "total_failed_items": 0, "failed_items": []},
                    "message": "Restart command was not sent to any agent", "error": 0}
    r = master.api("PUT", "/agents/node/notexists/restart")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 1
    assert body["message"] == "No information was returned"
    assert body["data"]["affected_items"] == [] and body["data"]["total_failed_items"] == 1
    assert body["data"]["failed_items"] == [
        {"error": {"code": 1730, "message": "Node does not exist", "remediation": R1730},
         "id": ["notexists"]}]
    problem(master.api("PUT", "/agents/node/worker1/restart", params={"agents_list": "001"}),
            400, None)
    problem(master.api("PUT", "/agents/node/worker1/restart",
                       params={"wait_for_complete": "maybe"}), 400, None)
    # Inactive agents on the node are left out, not failed (forced exclusions).
    s2.stop()
    vigil.wait_for(lambda: not on_node(master, "worker2"), 20, 0.2, "worker2's agents gone")
    body = master.api("PUT", "/agents/node/worker2/restart").json()
    assert body["error"] == 0 and body["data"]["affected_items"] == []
    assert body["data"]["failed_items"] == []
    # A node that left the cluster is no longer one of its nodes.
    w2.stop()
    vigil.wait_for(lambda: "worker2" not in names(master.api("GET", "/cluster/nodes").json()),
                   20, 0.2, "worker2 gone from /cluster/nodes")
    body = master.api("PUT", "/agents/node/worker2/restart").json()
    assert body["error"] == 1 and body["data"]["failed_items"][0]["error"]["code"] == 1730
    body = master.api("GET", "/cluster/healthcheck").json()
    assert [i["info"]["name"] for i in body["data"]["affected_items"]] == \
        ["master-node", "worker1"]


def test_a_restart_answers_at_once_and_a_frozen_worker_delivers_when_it_wakes(tmp_path, procs,
                                                                             key):  # noqa: F811
    """A restart no longer waits for the workers (it waited, and answered 3021 after
    --api-request-timeout): it is answered at once with the job; a worker frozen for longer
    than the cluster's command timeout gets the command once it wakes (it was on the link),
    and each agent restarts once and is counted completed, whatever the send's answer was."""
    master = start_master(tmp_path, procs, key, args=["--api-request-timeout", "1"])
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    sim = vigil.Sim(tmp_path, master, 3, name="t", managers=w1.agent_addr,
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    ids = sorted(vigil.wait_for(lambda: len(on_node(master, "worker1")) == 3 and
                                on_node(master, "worker1"), 30, 0.2, "3 agents on worker1"))

    def job():
        return master.api("GET", "/jobs/" + jid).json()["data"]["affected_items"][0]
    os.kill(w1.pid, signal.SIGSTOP)
    try:
        r = master.api("PUT", "/agents/restart", params={"agents_list": ",".join(ids)},
                       timeout=5)
        assert r.status_code == 200 and r.json()["data"]["affected_items"] == ids, r.text
        jid = r.headers["X-Vigil-Job"]
        # the worker cannot answer: the sends time out (1792) and wait for the agents
        vigil.wait_for(lambda: all(a["code"] == 1792 for a in job()["agents"]["affected_items"]),
                       30, 0.2, "the frozen worker's sends timed out")
    finally:
        os.kill(w1.pid, signal.SIGCONT)
    done = vigil.wait_for(lambda: (lambda j: j["status"] == "done" and j)(job()), 60, 0.2,
                          "the agents restarted once the worker woke up")
    assert done["counts"]["completed"] == 3
    assert all(a["restarts"] == 1 for a in sim.summary_after()["agent_list"])
