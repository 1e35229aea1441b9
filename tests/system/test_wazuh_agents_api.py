"""The rest of Wazuh v4.12's agents API, as its spec and framework answer it: repeated
query parameters, agent 000 as the manager host, node_name "unknown" for agents that
never connected, and GET /agents/stats/distinct, /agents/outdated, /agents/{id}/key,
/agents/summary/os, /agents/no_group, /agents/{id}/group/is_sync,
DELETE /agents/{id}/group, GET /manager/status.

One master with 2 simulated agents on 4.12.0 (001, 002), 1 on 4.9.2 (003) and 2
registered agents that never connected (004, 005)."""

import base64
import os
import platform

import pytest

import vigil
from test_agents import enroll_raw
from test_cluster_api import problem


def items(r):
    assert r.status_code == 200, r.text
    return r.json()["data"]["affected_items"]


def ids(r):
    return [a["id"] for a in items(r)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wazuh_agents_api")
    started = []
    try:
        node = vigil.Node(tmp)
        started.append(node)
        new = vigil.Sim(tmp, node, 2, name="new", args=["--keepalive", "1", "--version", "4.12.0",
                                                      "--enroll-concurrency", "1"])
        started.append(new)
        vigil.wait_for(lambda: vigil.n_active(node) == 3, 60, what="2 new agents active")
        old = vigil.Sim(tmp, node, 1, name="old", args=["--keepalive", "1", "--version", "4.9.2"])
        started.append(old)
        vigil.wait_for(lambda: vigil.n_active(node) == 4, 60, what="1 old agent active")
        for name in ("nc-1", "nc-2"):
            assert enroll_raw(node, "OSSEC A:'%s'\n" % name).startswith("OSSEC K:'")
        assert sorted(node.agents()) == ["%03d" % i for i in range(6)]
        yield node
    finally:
        vigil.stop_all(started)


# ---- a query parameter given twice ----

def test_repeated_list_parameter_restarts_both(lab):
    """connexion joins the values of an array parameter given twice (form, explode)."""
    r = lab.api("PUT", "/agents/restart", params=[("agents_list", "001"), ("agents_list", "002")])
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted(body["data"]["affected_items"]) == ["001", "002"], body
    assert body["data"]["failed_items"] == []
    # the restart is a job: wait until both proved it, then until both are active again (a
    # later test of this module counts them active)
    jid = r.headers["X-Vigil-Job"]
    vigil.wait_for(lambda: lab.api("GET", "/jobs/" + jid).json()["data"]["affected_items"][0]
                   ["status"] == "done", 60, 0.1, "001 and 002 restarted")
    vigil.wait_for(lambda: vigil.n_active(lab) == 4, 60, what="001 and 002 back after the restart")
    assert ids(lab.api("GET", "/agents", params=[("agents_list", "001"), ("agents_list", "003"),
                                                  ("agents_list", "004,005")])) == \
        ["001", "003", "004", "005"]
    got = items(lab.api("GET", "/agents", params=[("agents_list", "002"), ("select", "name"),
                                                  ("select", "status")]))
    assert got == [{"id": "002", "name": "new-00002", "status": "active"}]


def test_repeated_scalar_parameter_keeps_the_last(lab):
    """A string or integer parameter given twice is its last value (connexion's values[-1])."""
    r = lab.api("GET", "/agents", params=[("limit", "1"), ("limit", "3")])
    assert ids(r) == ["000", "001", "002"]
    r = lab.api("GET", "/agents", params=[("q", "id=001"), ("q", "id=003")])
    assert ids(r) == ["003"]
    # the last one is validated like any other
    problem(lab.api("GET", "/agents", params=[("limit", "3"), ("limit", "x")]), 400, None)


# ---- agent 000 and node_name ----

def os_release():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        out = {}
        for line in text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v.strip().strip('"').strip("'")
        return out
    return {}


def test_agent_000_is_the_manager_host(lab):
    a = items(lab.api("GET", "/agents", params={"agents_list": "000"}))[0]
    rel = os_release()
    u = os.uname()
    assert a["os"]["platform"] == rel["ID"], a
    assert a["os"]["name"] == rel["NAME"], a
    assert a["os"]["arch"] == platform.machine() == u.machine
    assert a["os"]["uname"] == "%s |%s |%s |%s |%s" % (u.sysname, u.nodename, u.release, u.version,
                                                       u.machine)
    assert a["os"]["version"] and a["os"]["major"], a
    # wazuh-db's row for the manager: a keepalive that never ages, configuration synced
    assert a["lastKeepAlive"] == "9999-12-31T23:59:59+00:00", a
    assert a["group_config_status"] == "synced", a
    assert a["status"] == "active" and a["node_name"] == "master-node"
    # q and sort see the same values
    assert ids(lab.api("GET", "/agents", params={"q": "os.platform=" + rel["ID"] + ";id=0"})) \
        == ["000"]
    assert ids(lab.api("GET", "/agents", params={"sort": "-lastKeepAlive", "limit": "1"})) \
        == ["000"]
    # the agents' summaries still leave the manager out
    summary = lab.api("GET", "/agents/summary/status").json()["data"]
    assert summary["connection"]["total"] == 5


def test_never_connected_agents_are_on_node_unknown(lab):
    agents = lab.agents()
    assert [agents[i]["node_name"] for i in ("004", "005")] == ["unknown", "unknown"]
    assert all(agents[i]["node_name"] == "master-node" for i in ("000", "001", "002", "003"))
    assert ids(lab.api("GET", "/agents", params={"node_name": "unknown"})) == ["004", "005"]
    assert ids(lab.api("GET", "/agents", params={"q": "node_name=unknown"})) == ["004", "005"]
    assert ids(lab.api("GET", "/agents", params={"search": "unknown"})) == ["004", "005"]


def test_delete_never_connected_on_node_unknown(tmp_path, procs):
    """The purge of Wazuh's documentation: every never connected agent, node_name unknown."""
    node = vigil.Node(tmp_path)
    procs.append(node)
    for name in ("nc-1", "nc-2"):
        assert enroll_raw(node, "OSSEC A:'%s'\n" % name).startswith("OSSEC K:'")
    params = {"agents_list": "all", "status": "never_connected", "node_name": "unknown",
              "older_than": "0s"}
    body = node.api("DELETE", "/agents", params=params).json()
    assert sorted(body["data"]["affected_items"]) == ["001", "002"], body
    assert sorted(node.agents()) == ["000"]


# ---- the endpoints ----

def test_get_agent_key(lab):
    r = lab.api("GET", "/agents/003/key")
    body = r.json()
    assert body["message"] == "Obtained keys for all selected agents", body
    item = body["data"]["affected_items"][0]
    assert list(item) == ["id", "key"] and item["id"] == "003"
    line = base64.b64decode(item["key"]).decode()
    agent_id, name, ip, key = line.split(" ")
    assert (agent_id, name) == ("003", "old-00001") and len(key) == 64
    body = lab.api("GET", "/agents/999/key").json()
    assert body["data"]["failed_items"][0]["error"]["code"] == 1701, body
    assert body["data"]["failed_items"][0]["id"] == ["999"]
    problem(lab.api("GET", "/agents/1/key"), 400, None)
    problem(lab.api("GET", "/agents/003/key", params={"limit": "1"}), 400, None)


def test_summary_os(lab):
    r = lab.api("GET", "/agents/summary/os")
    body = r.json()
    assert body["message"] == "Showing the operative system of all specified agents", body
    # the simulated agents' platform (this host's) once, the manager (000) left out
    assert body["data"]["affected_items"] == [os_release()["ID"]], body
    assert body["data"]["total_affected_items"] == 1


def test_outdated(lab):
    """Agents whose version is not the manager's (000 is the manager)."""
    r = lab.api("GET", "/agents/outdated")
    got = items(r)
    # 000 has the manager's version; never connected agents have none (NULL != v is not true)
    assert [a["id"] for a in got] == ["003"], got
    assert ids(lab.api("GET", "/agents/outdated", params={"q": "status=active"})) == ["003"]
    got = items(lab.api("GET", "/agents/outdated", params={"select": "version",
                                                           "q": "status=active"}))
    assert got == [{"id": "003", "version": "Wazuh v4.9.2"}]
    problem(lab.api("GET", "/agents/outdated", params={"agents_list": "001"}), 400, None)


def test_no_group(lab, tmp_path):
    """Agents with no group at all (000 never listed)."""
    assert items(lab.api("GET", "/agents/no_group")) == []
    # an agent only in default stays there: Wazuh's 1745, dropped from an unlisted request
    body = lab.api("DELETE", "/agents/004/group").json()
    assert body["message"] == "Specified agent was not removed from any group", body
    assert body["data"]["affected_items"] == [] and body["data"]["failed_items"] == []
    assert lab.agents()["004"]["group"] == ["default"]
    assert items(lab.api("GET", "/agents/no_group")) == []


def test_delete_agent_groups(lab):
    assert lab.api("POST", "/groups", json={"group_id": "g1"}).status_code == 200
    assert lab.api("POST", "/groups", json={"group_id": "g2"}).status_code == 200
    for g in ("g1", "g2"):
        r = lab.api("PUT", "/agents/005/group/" + g)
        assert r.status_code == 200, r.text
    assert lab.agents()["005"]["group"] == ["default", "g1", "g2"]
    # a list: only those; unknown groups fail with 1710
    body = lab.api("DELETE", "/agents/005/group",
                   params={"groups_list": "g2,nope"}).json()
    assert body["data"]["affected_items"] == ["g2"], body
    assert body["data"]["failed_items"][0]["error"]["code"] == 1710
    assert body["data"]["failed_items"][0]["id"] == ["nope"]
    assert lab.agents()["005"]["group"] == ["default", "g1"]
    # no list: every group; default last, and it stays (1745 dropped)
    body = lab.api("DELETE", "/agents/005/group").json()
    assert body["message"] == "Specified agent was removed from returned groups", body
    assert body["data"]["affected_items"] == ["g1"], body
    assert lab.agents()["005"]["group"] == ["default"]
    # out of its only group: back to default
    assert lab.api("PUT", "/agents/005/group/g2", params={"force_single_group": "true"}) \
        .status_code == 200
    assert lab.agents()["005"]["group"] == ["g2"]
    body = lab.api("DELETE", "/agents/005/group").json()
    assert body["data"]["affected_items"] == ["g2"], body
    assert lab.agents()["005"]["group"] == ["default"]
    # listed default of an agent only there: 1745
    body = lab.api("DELETE", "/agents/005/group", params={"groups_list": "default"}).json()
    assert body["data"]["failed_items"][0]["error"]["code"] == 1745, body
    assert problem(lab.api("DELETE", "/agents/000/group"), 400, 1703)
    assert problem(lab.api("DELETE", "/agents/999/group"), 404, 1701)


def test_is_sync(lab):
    body = lab.api("GET", "/agents/001/group/is_sync").json()
    assert body["message"] == "Sync info was returned for all selected agents", body
    assert body["data"]["affected_items"] == [{"id": "001", "synced": False}] or \
        body["data"]["affected_items"] == [{"id": "001", "synced": True}]
    body = lab.api("GET", "/agents/004/group/is_sync").json()
    assert body["data"]["affected_items"] == [{"id": "004", "synced": False}], body
    body = lab.api("GET", "/agents/000/group/is_sync").json()
    assert body["data"]["failed_items"][0]["error"]["code"] == 1703, body
    body = lab.api("GET", "/agents/999/group/is_sync").json()
    assert body["data"]["failed_items"][0]["error"]["code"] == 1701, body


def test_stats_distinct(lab):
    r = lab.api("GET", "/agents/stats/distinct", params={"fields": "os.platform"})
    body = r.json()
    assert body["message"] == "All selected agents information was returned", body
    got = body["data"]["affected_items"]
    # the manager and the simulated agents first (lowest id), then the never connected
    assert [g["os"]["platform"] for g in got][-1] == "N/A"
    assert {g["os"]["platform"]: g["count"] for g in got}["N/A"] == 2
    assert sum(g["count"] for g in got) == 6
    # total_affected_items counts agents, as Wazuh counts before its GROUP BY
    assert body["data"]["total_affected_items"] == 6
    got = items(lab.api("GET", "/agents/stats/distinct",
                        params=[("fields", "status"), ("fields", "version"), ("q", "id!=0")]))
    assert got == [{"count": 2, "status": "active", "version": "Wazuh v4.12.0"},
                   {"count": 1, "status": "active", "version": "Wazuh v4.9.2"},
                   {"count": 2, "status": "never_connected", "version": "N/A"}], got
    got = items(lab.api("GET", "/agents/stats/distinct",
                        params={"fields": "node_name", "search": "unknown"}))
    assert got == [{"count": 2, "node_name": "unknown"}]
    # no fields: every field, one row per agent; sort and limit as GET /agents
    got = items(lab.api("GET", "/agents/stats/distinct", params={"sort": "-id", "limit": "2"}))
    assert [g["id"] for g in got] == ["005", "004"] and got[0]["count"] == 1
    assert problem(lab.api("GET", "/agents/stats/distinct", params={"fields": "wrong_field"}),
                   400, 1724)
    assert problem(lab.api("GET", "/agents/stats/distinct", params={"sort": "-wrong"}), 400, 1403)
    assert problem(lab.api("GET", "/agents/stats/distinct", params={"offset": "-1"}), 400, None)
    assert problem(lab.api("GET", "/agents/stats/distinct", params={"select": "id"}), 400, None)


def test_manager_status(lab):
    body = lab.api("GET", "/manager/status").json()
    assert body["message"] == "Processes status was successfully read", body
    st = body["data"]["affected_items"][0]
    assert list(st) == ["wazuh-agentlessd", "wazuh-analysisd", "wazuh-authd", "wazuh-csyslogd",
                        "wazuh-dbd", "wazuh-monitord", "wazuh-execd", "wazuh-integratord",
                        "wazuh-logcollector", "wazuh-maild", "wazuh-remoted", "wazuh-reportd",
                        "wazuh-syscheckd", "wazuh-clusterd", "wazuh-modulesd", "wazuh-db",
                        "wazuh-apid"]
    # a standalone node: no cluster daemon
    running = sorted(k for k, v in st.items() if v == "running")
    assert running == ["wazuh-apid", "wazuh-authd", "wazuh-db", "wazuh-remoted"], st
    assert all(v in ("running", "stopped") for v in st.values())
    problem(lab.api("GET", "/manager/status", params={"limit": "1"}), 400, None)
