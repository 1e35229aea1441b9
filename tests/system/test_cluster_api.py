"""The /cluster endpoints and PUT /agents/node/{node_id}/restart against a real cluster."""

import os

import pytest

import vigil
from test_cluster import key, start_master, start_worker, on_node  # noqa: F401  (fixture)


@pytest.fixture
def cluster(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    s1 = vigil.Sim(tmp_path, master, 4, name="c1", managers=w1.agent_addr, args=["--keepalive", "1"])
    s2 = vigil.Sim(tmp_path, master, 3, name="c2", managers=w2.agent_addr, args=["--keepalive", "1"])
    procs += [s1, s2]
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 4 and
                   len(on_node(master, "worker2")) == 3, 30, 0.2, "agents on both workers")
    return master, s1, s2


def test_standalone_master_has_no_cluster(master):
    r = master.api("GET", "/cluster/status")
    assert r.json() == {"data": {"enabled": "no", "running": "no"}, "error": 0}
    for path in ("/cluster/nodes", "/cluster/healthcheck", "/cluster/local/info"):
        r = master.api("GET", path)
        assert r.status_code == 400, path
        assert r.json()["error"] == 3013
        assert r.json()["title"] == "Bad Request"
    r = master.api("PUT", "/agents/node/worker1/restart")
    assert r.status_code == 400 and r.json()["error"] == 3013


def test_cluster_status_and_local_info(cluster):
    master, _, _ = cluster
    assert master.api("GET", "/cluster/status").json() == \
        {"data": {"enabled": "yes", "running": "yes"}, "error": 0}
    body = master.api("GET", "/cluster/local/info").json()
    assert body["error"] == 0
    assert body["data"]["affected_items"] == [{"node": "master-node", "cluster": "vigil",
                                               "type": "master"}]


def test_cluster_nodes(cluster):
    master, _, _ = cluster
    body = master.api("GET", "/cluster/nodes").json()
    assert body["message"] == "All selected nodes information was returned"
    items = body["data"]["affected_items"]
    assert [i["name"] for i in items] == ["master-node", "worker1", "worker2"]
    assert all(set(i) == {"name", "type", "version", "ip"} for i in items)
    assert [i["type"] for i in items] == ["master", "worker", "worker"]
    body = master.api("GET", "/cluster/nodes", params={"type": "worker", "sort": "-name"}).json()
    assert [i["name"] for i in body["data"]["affected_items"]] == ["worker2", "worker1"]
    body = master.api("GET", "/cluster/nodes", params={"nodes_list": "worker1,nope"}).json()
    assert body["error"] == 2
    assert body["message"] == "Some nodes information was not returned"
    assert [i["name"] for i in body["data"]["affected_items"]] == ["worker1"]
    assert body["data"]["failed_items"][0]["error"]["code"] == 1730
    assert body["data"]["failed_items"][0]["id"] == ["nope"]
    body = master.api("GET", "/cluster/nodes", params={"select": "name"}).json()
    assert all(set(i) == {"name"} for i in body["data"]["affected_items"])
    assert master.api("GET", "/cluster/nodes", params={"select": "bogus"}).json()["error"] == 1724
    assert master.api("GET", "/cluster/nodes", params={"type": "king"}).status_code == 400
    assert master.api("GET", "/cluster/nodes", params={"limit": "0"}).status_code == 400
    assert master.api("GET", "/cluster/nodes", params={"x": "1"}).status_code == 400


def test_cluster_healthcheck(cluster):
    master, _, _ = cluster
    body = master.api("GET", "/cluster/healthcheck").json()
    assert body["message"] == "All selected nodes healthcheck information was returned"
    items = body["data"]["affected_items"]
    assert [i["info"]["name"] for i in items] == ["master-node", "worker1", "worker2"]
    assert set(items[0]) == {"info"}
    assert items[0]["info"]["n_active_agents"] == 0
    assert items[1]["info"]["n_active_agents"] == 4
    assert items[2]["info"]["n_active_agents"] == 3
    st = items[1]["status"]
    assert st["last_keep_alive"].endswith("Z") and st["sync_integrity_free"] is True
    body = master.api("GET", "/cluster/healthcheck", params={"nodes_list": "ghost"}).json()
    assert body["error"] == 1 and body["data"]["failed_items"][0]["error"]["code"] == 1730
    assert body["message"] == "No healthcheck information was returned"


def test_restart_by_node(cluster):
    master, s1, s2 = cluster
    r = master.api("PUT", "/agents/node/worker1/restart")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 0, body
    assert body["data"]["total_affected_items"] == 4
    assert body["message"] == "Restart command was sent to all agents"
    vigil.wait_for(lambda: (s1.summary() or {}).get("agents_restarted") == 4, 10, 0.1,
                   "worker1's agents restarted")
    assert (s2.summary() or {}).get("restarts_received", 0) == 0
    r = master.api("PUT", "/agents/node/notexists/restart")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 1
    assert body["data"]["failed_items"][0]["error"]["code"] == 1730
    assert body["data"]["failed_items"][0]["id"] == ["notexists"]
