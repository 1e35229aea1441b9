"""GET /manager/info and GET /cluster/{node_id}/info on a standalone master and on a
master with a worker."""

import os
import re

import vigil  # noqa: F401
from test_cluster import key, start_master, start_worker  # noqa: F401  (fixture)
from test_cluster_api import problem

INFO_KEYS = ["path", "version", "type", "max_agents", "openssl_support", "tz_offset", "tz_name"]
ENVELOPE_KEYS = ["affected_items", "total_affected_items", "total_failed_items", "failed_items"]


def check_info(node, body, message):
    assert list(body) == ["data", "message", "error"], body
    assert body["error"] == 0 and body["message"] == message
    data = body["data"]
    assert list(data) == ENVELOPE_KEYS
    assert data["total_affected_items"] == 1 and data["failed_items"] == []
    item = data["affected_items"][0]
    assert list(item) == INFO_KEYS
    assert item["path"] == os.path.realpath(node.data_dir)
    assert item["version"] == "v4.12.0" and item["type"] == "server"
    assert item["max_agents"] == "unlimited" and item["openssl_support"] == "yes"
    assert re.match(r"^[+-]\d{4}$", item["tz_offset"]), item
    assert item["tz_name"]
    return item


def test_manager_info_standalone(master):
    r = master.api("GET", "/manager/info")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    check_info(master, r.json(), "Basic information was successfully read")
    r = master.api("GET", "/manager/info", params={"pretty": "true", "wait_for_complete": "true"})
    assert r.status_code == 200 and r.text.startswith('{\n   "data"')
    problem(master.api("GET", "/manager/info", params={"limit": "1"}), 400, None)
    problem(master.api("GET", "/manager/info", params={"wait_for_complete": "maybe"}), 400, None)
    problem(master.api("GET", "/manager/info", params={"pretty": "x"}), 400, None)
    assert master.api("GET", "/manager/info", token="bad").status_code == 401
    assert master.api("PUT", "/manager/info").status_code == 405
    # No cluster: the per-node form is Wazuh's get_system_nodes error.
    body = problem(master.api("GET", "/cluster/master-node/info"), 400, 3013)
    assert body["title"] == "Bad Request"


def test_info_in_a_cluster(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    msg = "Basic information was successfully read in specified node"
    check_info(master, master.api("GET", "/manager/info").json(), msg)
    mine = check_info(master, master.api("GET", "/cluster/master-node/info").json(), msg)
    # A worker is answered from what the master knows (docs/operations.md).
    theirs = master.api("GET", "/cluster/worker1/info").json()
    assert theirs["message"] == msg and theirs["data"]["affected_items"] == [mine]
    r = master.api("GET", "/cluster/ghost/info")
    body = problem(r, 500, 3022)
    assert list(body) == ["title", "detail", "remediation", "dapi_errors", "error"]
    assert body["title"] == "Wazuh Cluster Error"
    assert body["detail"] == "Unknown node ID: ghost"
    assert body["remediation"] == "Check the name of the node"
    assert list(body["dapi_errors"]) == ["master-node"]
    assert body["dapi_errors"]["master-node"]["error"] == "Unknown node ID: ghost"
    assert list(body["dapi_errors"]["master-node"]) == ["error", "logfile"]
    problem(master.api("GET", "/cluster/bad%20name/info"), 400, None)
    problem(master.api("GET", "/cluster/worker1/info", params={"q": "x"}), 400, None)
    assert master.api("GET", "/cluster/worker1/info",
                      params={"pretty": "true", "wait_for_complete": "true"}).status_code == 200
    # A worker that left is no longer a node of the cluster.
    w1.stop()
    vigil.wait_for(lambda: master.api("GET", "/cluster/worker1/info").status_code == 500,
                   20, 0.2, "worker1 gone")
