"""Agent groups, POST /agents and the shared configuration push, against a real cluster:
a master and two workers with simulated agents on both, and real vigil-agents that receive
merged.mg and report its sum back (group_config_status)."""

import base64
import hashlib
import json
import os
import signal

import pytest

import vigil
from test_cluster import key, start_master, start_worker, on_node  # noqa: F401  (fixture)
from test_cluster_api import problem

AR_CONF = ("restart-ossec0 - restart-ossec.sh - 0\n"
           "restart-ossec0 - restart-ossec.cmd - 0\n"
           "restart-wazuh0 - restart-ossec.sh - 0\n"
           "restart-wazuh0 - restart-ossec.cmd - 0\n"
           "restart-wazuh0 - restart-wazuh - 0\n"
           "restart-wazuh0 - restart-wazuh.exe - 0\n")
TEMPLATE = "<agent_config>\n\n  <!-- Shared agent configuration here -->\n\n</agent_config>\n"
def xml():
    """A fresh header dict each time: Node.api adds the token to the dict it is given."""
    return {"Content-Type": "application/xml"}


def merged(group, conf):
    """merged.mg as Wazuh's remoted builds it: header, then each file with its size."""
    out = "#%s\n" % group
    for name, data in (("ar.conf", AR_CONF), ("agent.conf", conf)):
        out += "!%d %s\n%s" % (len(data.encode()), name, data)
    return out.encode()


def md5(b):
    return hashlib.md5(b).hexdigest()


def stats(node):
    try:
        with open(os.path.join(node.data_dir, "stats.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def whole_stats(node):
    """stats.json read whole (it is rewritten every second)."""
    box = {}
    vigil.wait_for(lambda: box.update(stats(node)) or "shared_pushes" in box, 10, 0.05,
                   "stats.json of " + node.name)
    return box


def groups(master, **params):
    r = master.api("GET", "/groups", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def group_of(master, agent_id):
    return master.agents()[agent_id].get("group")


def create(master, name):
    r = master.api("POST", "/groups", json={"group_id": name})
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Group '%s' created." % name, "error": 0}


@pytest.fixture
def cluster(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    s1 = vigil.Sim(tmp_path, master, 3, name="c1", managers=w1.agent_addr,
                   args=["--keepalive", "1"])
    s2 = vigil.Sim(tmp_path, master, 2, name="c2", managers=w2.agent_addr,
                   args=["--keepalive", "1"])
    procs += [s1, s2]
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 3 and
                   len(on_node(master, "worker2")) == 2, 30, 0.2, "agents on both workers")
    return master, w1, w2, s1, s2


@pytest.mark.registries
def test_default_group_and_post_groups(master):
    body = groups(master)
    assert body["message"] == "All selected groups information was returned"
    assert body["data"]["affected_items"] == [{
        "name": "default", "count": 0, "mergedSum": md5(merged("default", TEMPLATE)),
        "configSum": md5(TEMPLATE.encode())}]
    create(master, "web")
    create(master, "db.prod-1_x")
    names = [g["name"] for g in groups(master)["data"]["affected_items"]]
    assert names == ["db.prod-1_x", "default", "web"]
    # Errors: duplicate (default too), bad names, not JSON, missing id.
    for name in ("web", "default"):
        body = problem(master.api("POST", "/groups", json={"group_id": name}), 400, 1711)
        assert body["title"] == "Bad Request"
    for name in ("all", "..", "a b", "x/y", "", "a" * 129):
        problem(master.api("POST", "/groups", json={"group_id": name}), 400, 1722)
    body = problem(master.api("POST", "/groups", data="group_id=x",
                              headers={"Content-Type": "application/x-www-form-urlencoded"}),
                   406, 6002)
    assert body["title"] == "Not Acceptable"
    problem(master.api("POST", "/groups", json={}), 400, None)
    problem(master.api("POST", "/groups", json={"group_id": 3}), 400, None)
    # groups_list: unknown groups are failed items 1710; search and limit/offset.
    body = groups(master, groups_list="web,nope")
    assert [g["name"] for g in body["data"]["affected_items"]] == ["web"]
    assert body["error"] == 2 and body["message"] == "Some groups information was not returned"
    assert body["data"]["failed_items"][0]["error"]["code"] == 1710
    assert body["data"]["failed_items"][0]["id"] == ["nope"]
    # (search looks at the checksums too: "WEB" has a letter no hex digit is)
    assert [g["name"] for g in groups(master, search="WEB")["data"]["affected_items"]] == ["web"]
    body = groups(master, limit="1", offset="1")
    assert [g["name"] for g in body["data"]["affected_items"]] == ["default"]
    assert body["data"]["total_affected_items"] == 3
    problem(master.api("GET", "/groups", params={"bogus": "1"}), 400, None)
    # sort and select.
    master.api("PUT", "/groups/web/configuration", data="<agent_config/>", headers=xml())
    body = groups(master, sort="-name", select="configSum")
    assert body["data"]["affected_items"] == [
        {"name": "web", "configSum": md5(b"<agent_config/>")},
        {"name": "default", "configSum": md5(TEMPLATE.encode())},
        {"name": "db.prod-1_x", "configSum": md5(TEMPLATE.encode())}]
    body = groups(master, sort="+configSum,-name", select="name")
    sums = {"default": md5(TEMPLATE.encode()), "db.prod-1_x": md5(TEMPLATE.encode()),
            "web": md5(b"<agent_config/>")}
    want = sorted(sorted(sums, reverse=True), key=lambda n: sums[n])   # stable: sum, then -name
    assert [g["name"] for g in body["data"]["affected_items"]] == want
    assert problem(master.api("GET", "/groups", params={"sort": "nope"}), 400, 1403)
    assert problem(master.api("GET", "/groups", params={"select": "nope"}), 400, 1724)
    # Groups survive a restart of the master (they live in the registry); "all" below.
    master.stop()
    again = vigil.Node(master.tmp, name=master.name)
    try:
        names = [g["name"] for g in groups(again)["data"]["affected_items"]]
        assert names == ["db.prod-1_x", "default", "web"]
        # groups_list=all: every group but default, which is left out silently.
        body = again.api("DELETE", "/groups", params={"groups_list": "all"}).json()
        assert body == {"data": {"affected_items": ["db.prod-1_x", "web"],
                                 "total_affected_items": 2, "total_failed_items": 0,
                                 "failed_items": [], "affected_agents": []},
                        "message": "All selected groups were deleted", "error": 0}
        assert [g["name"] for g in groups(again)["data"]["affected_items"]] == ["default"]
    finally:
        again.stop()


def test_post_agents(cluster, tmp_path, procs):
    master, w1, w2, _, _ = cluster
    r = master.api("POST", "/agents", json={"name": "api-agent", "ip": "10.1.2.3"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["data", "error"] and body["error"] == 0
    new_id = body["data"]["id"]
    line = base64.b64decode(body["data"]["key"]).decode().split(" ")
    assert line[:3] == [new_id, "api-agent", "10.1.2.3"] and len(line[3]) == 64
    a = master.agents()[new_id]
    assert a["status"] == "never_connected" and a["group"] == ["default"]
    assert a["ip"] == "10.1.2.3" and a["registerIP"] == "10.1.2.3"
    # Errors.
    problem(master.api("POST", "/agents", json={"name": "api-agent", "ip": "any"}), 400, 1705)
    problem(master.api("POST", "/agents", json={"name": "other", "ip": "10.1.2.3"}), 400, 1706)
    problem(master.api("POST", "/agents", json={"name": "other", "ip": "10.1.2.300"}), 400, 1706)
    problem(master.api("POST", "/agents", json={"name": "x" * 129}), 400, 1738)
    problem(master.api("POST", "/agents", json={"name": "bad name"}), 400, None)
    problem(master.api("POST", "/agents", json={"ip": "any"}), 400, None)
    problem(master.api("POST", "/agents", data='{"name":"y"}',
                       headers={"Content-Type": "text/plain"}), 406, 6002)
    # Without ip: "any", as Wazuh's add_agent (test_wazuh_agents.py)
    r = master.api("POST", "/agents", json={"name": "from-peer"})
    assert r.status_code == 200, r.text
    assert master.agents()[r.json()["data"]["id"]]["ip"] == "any"
    # The key reaches every worker: an agent using it connects to a worker.
    r = master.api("POST", "/agents", json={"name": "keyed", "ip": "any"})
    assert r.status_code == 200, r.text
    kid = r.json()["data"]["id"]
    d = tmp_path / "keyed"
    d.mkdir()
    (d / "client.keys").write_text(base64.b64decode(r.json()["data"]["key"]).decode() + "\n")
    agent = vigil.Agent(tmp_path, master, "keyed", managers=w2.agent_addr, data_dir=d,
                        args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: master.agents()[kid]["status"] == "active" and
                   master.agents()[kid]["node_name"] == "worker2", 20, 0.2,
                   "the API-added agent active on worker2")


@pytest.mark.registries
def test_assign_unassign_and_delete(cluster):
    master, _, _, _, _ = cluster
    ids = sorted(i for i in master.agents() if i != "000")
    assert len(ids) == 5
    a, b, c = ids[0], ids[1], ids[3]
    create(master, "web")
    create(master, "db")
    # PUT /agents/{id}/group/{group}: added to the groups it has.
    r = master.api("PUT", "/agents/%s/group/web" % a)
    assert r.json() == {"data": {"affected_items": [a], "total_affected_items": 1,
                                 "total_failed_items": 0, "failed_items": []},
                        "message": "All selected agents were assigned to web", "error": 0}
    assert group_of(master, a) == ["default", "web"]
    body = master.api("PUT", "/agents/%s/group/web" % a).json()
    assert body["error"] == 1 and body["data"]["failed_items"][0]["error"]["code"] == 1751
    assert body["message"] == "No agents were assigned to web"
    body = master.api("PUT", "/agents/999/group/web").json()
    assert body["data"]["failed_items"][0]["error"]["code"] == 1701
    body = master.api("PUT", "/agents/000/group/web").json()
    assert body["data"]["failed_items"][0]["error"]["code"] == 1703
    problem(master.api("PUT", "/agents/%s/group/nope" % a), 404, 1710)
    problem(master.api("PUT", "/agents/%s/group/a%%20b" % a), 400, None)
    problem(master.api("PUT", "/agents/1/group/web"), 400, None)
    # force_single_group replaces the groups.
    r = master.api("PUT", "/agents/%s/group/db" % b, params={"force_single_group": "true"})
    assert r.json()["message"] == "All selected agents were assigned to db and removed from the other groups"
    assert group_of(master, b) == ["db"]
    # GET /agents?group= and GET /groups/{id}/agents, count in GET /groups.
    assert set(master.agents(group="web")) == {a}
    r = master.api("GET", "/groups/web/agents", params={"select": "name"})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["data"]["affected_items"]] == [a]
    problem(master.api("GET", "/groups/nope/agents"), 404, 1710)
    counts = {g["name"]: g["count"] for g in groups(master)["data"]["affected_items"]}
    assert counts == {"db": 1, "default": 4, "web": 1}
    # PUT /agents/group: a list; with bad ids as failed items.
    r = master.api("PUT", "/agents/group", params={"group_id": "web",
                                                  "agents_list": "%s,%s,999" % (b, c)})
    body = r.json()
    assert body["data"]["affected_items"] == [b, c] and body["error"] == 2
    assert body["message"] == "Some agents were not assigned to web"
    assert group_of(master, b) == ["db", "web"]
    problem(master.api("PUT", "/agents/group", params={"group_id": "nope",
                                                      "agents_list": a}), 404, 1710)
    problem(master.api("PUT", "/agents/group", params={"agents_list": a}), 400, None)
    # DELETE /agents/{id}/group/{group}.
    r = master.api("DELETE", "/agents/%s/group/web" % a)
    assert r.json() == {"message": "Agent '%s' removed from 'web'." % a, "error": 0}
    assert group_of(master, a) == ["default"]
    problem(master.api("DELETE", "/agents/%s/group/web" % a), 400, 1734)
    problem(master.api("DELETE", "/agents/%s/group/default" % a), 400, 1745)
    problem(master.api("DELETE", "/agents/999/group/web"), 404, 1701)
    problem(master.api("DELETE", "/agents/000/group/web"), 400, 1703)
    problem(master.api("DELETE", "/agents/%s/group/nope" % a), 404, 1710)
    r = master.api("DELETE", "/agents/%s/group/db" % b)
    assert r.json()["message"] == "Agent '%s' removed from 'db'." % b
    assert group_of(master, b) == ["web"]
    r = master.api("DELETE", "/agents/%s/group/web" % b)
    assert r.json()["message"] == ("Agent '%s' removed from 'web'. Agent reassigned to group "
                                   "default." % b)
    assert group_of(master, b) == ["default"]
    # DELETE /agents/group.
    body = master.api("DELETE", "/agents/group",
                      params={"group_id": "web", "agents_list": "%s,%s" % (c, a)}).json()
    assert body["data"]["affected_items"] == [c] and body["error"] == 2
    assert body["data"]["failed_items"][0]["error"]["code"] == 1734
    assert body["message"] == "Some agents were not removed from group web"
    # DELETE /groups: default stays; agents only in a deleted group go back to default.
    master.api("PUT", "/agents/%s/group/db" % a, params={"force_single_group": "true"})
    master.api("PUT", "/agents/%s/group/web" % c)
    body = master.api("DELETE", "/groups", params={"groups_list": "db,default,nope,web"}).json()
    assert body["data"]["affected_items"] == ["db", "web"]
    assert body["data"]["affected_agents"] == sorted([a, c])
    codes = {f["error"]["code"]: f["id"] for f in body["data"]["failed_items"]}
    assert codes == {1710: ["nope"], 1712: ["default"]}
    assert body["message"] == "Some groups were not deleted" and body["error"] == 2
    assert group_of(master, a) == ["default"] and group_of(master, c) == ["default"]
    assert [g["name"] for g in groups(master)["data"]["affected_items"]] == ["default"]
    problem(master.api("DELETE", "/groups"), 400, None)


def test_group_restart_on_both_workers(cluster):
    master, _, _, s1, s2 = cluster
    create(master, "fleet")
    create(master, "empty")
    w1_ids = sorted(on_node(master, "worker1"))
    w2_ids = sorted(on_node(master, "worker2"))
    chosen = [w1_ids[0], w1_ids[1], w2_ids[0]]
    r = master.api("PUT", "/agents/group", params={"group_id": "fleet",
                                                  "agents_list": ",".join(chosen)})
    assert r.json()["error"] == 0
    r = master.api("PUT", "/agents/group/fleet/restart")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data"]["affected_items"] == sorted(chosen)
    assert body["message"] == "Restart command was sent to all agents" and body["error"] == 0
    names = {a["id"]: a["name"] for a in master.agents().values()}

    def restarted(sim):
        s = sim.summary() or {}
        return {a["name"] for a in s.get("agent_list", []) if a.get("restarts", 0) >= 1}
    vigil.wait_for(lambda: restarted(s1) | restarted(s2) == {names[i] for i in chosen}, 20, 0.2,
                   "exactly the group's agents restarted on both workers")
    r = master.api("PUT", "/agents/group/empty/restart")
    assert r.json() == {"data": {"affected_items": [], "total_affected_items": 0,
                                 "total_failed_items": 0, "failed_items": []},
                        "message": "Restart command was not sent to any agent", "error": 0}
    body = problem(master.api("PUT", "/agents/group/nope/restart"), 404, 1710)
    assert body["title"] == "Resource Not Found"
    assert body["detail"] == "The group does not exist"
    problem(master.api("PUT", "/agents/group/a%20b/restart"), 400, None)


def stored_merged(agent):
    try:
        with open(os.path.join(agent.data_dir, "shared", "merged.mg"), "rb") as f:
            return f.read()
    except OSError:
        return None


def test_config_push_and_status(cluster, tmp_path, procs):
    master, w1, _, s1, s2 = cluster
    on_w1 = vigil.Agent(tmp_path, master, "real-w1", managers=w1.agent_addr,
                        args=["--keepalive", "1"])
    on_m = vigil.Agent(tmp_path, master, "real-m", args=["--keepalive", "1"])
    procs += [on_w1, on_m]
    byname = lambda: {a["name"]: a for a in master.agents().values()}  # noqa: E731
    vigil.wait_for(lambda: all(byname().get(n, {}).get("status") == "active"
                               for n in ("real-w1", "real-m")), 20, 0.2, "real agents active")
    want = merged("default", TEMPLATE)
    # Both receive default's merged.mg, store it, and report its sum: synced.
    vigil.wait_for(lambda: stored_merged(on_w1) == want and stored_merged(on_m) == want, 20, 0.2,
                   "merged.mg stored by both agents")
    vigil.wait_for(lambda: all(byname()[n]["group_config_status"] == "synced" and
                               byname()[n]["mergedSum"] == md5(want)
                               for n in ("real-w1", "real-m")), 20, 0.2, "both synced")
    # The simulated agents take the file too (they keep only its sum).  Filters and the
    # summary agree; agent 000, the manager, is "synced", as wazuh-db has it (the summary
    # leaves it out).
    vigil.wait_for(lambda: len(master.agents(group_config_status="synced")) == 8, 20, 0.2,
                   "simulated agents synced")
    assert list(master.agents(group_config_status="not synced")) == []
    # Synced agents are not sent the file again: worker1's pushes stop growing while its
    # four agents keep sending keepalives.  (Counters written after every agent was seen
    # synced, so after the last push.)
    first = w1.stats_after()
    vigil.wait_for(lambda: stats(w1).get("keepalives", 0) >= first["keepalives"] + 12, 20, 0.2,
                   "a dozen more keepalives on worker1")
    assert first["shared_pushes"] >= 4
    assert whole_stats(w1)["shared_pushes"] == first["shared_pushes"]
    s = master.api("GET", "/agents/summary/status").json()["data"]["configuration"]
    assert s == {"synced": 7, "total": 7, "not_synced": 0}
    # A new agent.conf: not synced at once, then pushed and synced again.
    # Several thousand bytes: the push takes several 900-byte messages.
    conf = ("<agent_config>\n  <localfile>\n    <log_format>syslog</log_format>\n"
            "    <location>/var/log/x.log</location>\n  </localfile>\n" +
            "".join("  <!-- line %04d of a long comment -->\n" % i for i in range(150)) +
            "</agent_config>\n")
    assert len(conf) > 5000
    # Every agent is frozen while it changes (the simulated ones too: they would take the
    # new file and report its sum within a keepalive or two), so "not synced" is seen
    # before any new sum.
    frozen = (on_w1, on_m, s1, s2)
    for p in frozen:
        p.signal(signal.SIGSTOP)
    try:
        r = master.api("PUT", "/groups/default/configuration", data=conf, headers=xml())
        assert r.json() == {"message": "Agent configuration was successfully updated",
                            "error": 0}
        assert list(master.agents(group_config_status="synced")) == ["000"]
    finally:
        for p in frozen:
            p.signal(signal.SIGCONT)
    want = merged("default", conf)
    vigil.wait_for(lambda: stored_merged(on_w1) == want and stored_merged(on_m) == want, 20, 0.2,
                   "new merged.mg stored by both agents")
    vigil.wait_for(lambda: all(byname()[n]["group_config_status"] == "synced" and
                               byname()[n]["mergedSum"] == md5(want)
                               for n in ("real-w1", "real-m")), 20, 0.2, "synced again")
    r = master.api("GET", "/groups/default/files/agent.conf", params={"raw": "true"})
    assert r.status_code == 200 and r.text == conf
    assert r.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert master.api("GET", "/groups/default/configuration").json()["data"] == {
        "total_affected_items": 1, "affected_items": [{"filters": {}, "config": {
            "localfile": [{"log_format": "syslog", "location": "/var/log/x.log"}]}}]}
    g = groups(master, groups_list="default")["data"]["affected_items"][0]
    assert g["mergedSum"] == md5(want) and g["configSum"] == md5(conf.encode())
    # Moving an agent to another group sends it that group's file.
    create(master, "web")
    rid = byname()["real-w1"]["id"]
    on_w1.signal(signal.SIGSTOP)
    try:
        master.api("PUT", "/agents/%s/group/web" % rid, params={"force_single_group": "true"})
        assert byname()["real-w1"]["group_config_status"] == "not synced"
        assert byname()["real-m"]["group_config_status"] == "synced"
    finally:
        on_w1.signal(signal.SIGCONT)
    want_web = merged("web", TEMPLATE)
    vigil.wait_for(lambda: stored_merged(on_w1) == want_web, 20, 0.2, "web's merged.mg on w1")
    vigil.wait_for(lambda: byname()["real-w1"]["group_config_status"] == "synced", 20, 0.2,
                   "synced in web")
    # Bad configurations are refused and change nothing.
    for data, code in (("", 1912), ("  \n", 1112), ("<agent_config>", 1113),
                       ("<agent_config></other>", 1113), ("text", 1113),
                       ("<ossec_config></ossec_config>", 1114)):
        problem(master.api("PUT", "/groups/web/configuration", data=data, headers=xml()), 400, code)
    problem(master.api("PUT", "/groups/web/configuration", data=conf,
                       headers={"Content-Type": "application/json"}), 406, 6002)
    big = "<agent_config>" + " " * (256 * 1024) + "</agent_config>"
    problem(master.api("PUT", "/groups/web/configuration", data=big, headers=xml()), 413, None)
    problem(master.api("PUT", "/groups/nope/configuration", data=conf, headers=xml()), 404, 1710)
    problem(master.api("GET", "/groups/nope/configuration"), 404, 1710)
    assert master.api("GET", "/groups/web/files/agent.conf",
                      params={"raw": "true"}).text == TEMPLATE


def test_enrollment_groups_and_multigroup_push(cluster, tmp_path, procs):
    from test_agents import enroll_raw
    master, w1, _, _, _ = cluster
    create(master, "web")
    web_conf = "<agent_config os=\"Linux\">\n</agent_config>\n"
    r = master.api("PUT", "/groups/web/configuration", data=web_conf, headers=xml())
    assert r.status_code == 200, r.text
    # authd's group checks, on the master and through a worker alike.
    for node in (master, w1):
        assert enroll_raw(node, "OSSEC A:'g-bad' G:'nope'\n") == \
            "ERROR: Invalid group: nope. Unable to add agent"
        assert enroll_raw(node, "OSSEC A:'g-dup' G:'web,web'\n") == \
            "ERROR: Duplicated group: web. Unable to add agent"
    reply = enroll_raw(w1, "OSSEC A:'multi' G:'web,default'\n")
    assert reply.startswith("OSSEC K:'"), reply
    fields = reply[len("OSSEC K:'"):-1].split(" ")
    assert master.agents()[fields[0]]["group"] == ["web", "default"]
    # A real agent in both groups gets one bundle naming both, and turns synced.
    d = tmp_path / "multi"
    d.mkdir()
    (d / "client.keys").write_text(" ".join(fields) + "\n")
    agent = vigil.Agent(tmp_path, master, "multi", managers=w1.agent_addr, data_dir=d,
                        args=["--keepalive", "1"])
    procs.append(agent)
    conf = web_conf + TEMPLATE
    want = ("#web,default\n!228 ar.conf\n%s!%d agent.conf\n%s" % (AR_CONF, len(conf), conf)).encode()
    vigil.wait_for(lambda: stored_merged(agent) == want, 20, 0.2, "the two groups' merged.mg")
    vigil.wait_for(lambda: master.agents()[fields[0]]["group_config_status"] == "synced", 20, 0.2,
                   "multigroup agent synced")
    assert master.agents()[fields[0]]["mergedSum"] == md5(want)


def test_worker_back_gets_groups_changed_while_it_was_away(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    agent = vigil.Agent(tmp_path, master, "roamer", managers=w1.agent_addr,
                        args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: master.agents().get("001", {}).get("group_config_status") == "synced",
                   20, 0.2, "agent synced on worker1")
    create(master, "web")
    r = master.api("PUT", "/agents/001/group/web", params={"force_single_group": "true"})
    assert r.json()["error"] == 0
    vigil.wait_for(lambda: stored_merged(agent) == merged("web", TEMPLATE), 20, 0.2,
                   "web's bundle through worker1")
    # worker1 goes away; web changes and a new group appears meanwhile.
    w1.stop()
    conf = "<agent_config>\n  <!-- changed while worker1 was down -->\n</agent_config>\n"
    r = master.api("PUT", "/groups/web/configuration", data=conf, headers=xml())
    assert r.status_code == 200, r.text
    create(master, "db")
    master.api("PUT", "/agents/001/group/db")
    # worker1 back (same name, same data dir): the full keys and groups bring it up to date.
    # It listens for agents on its old port again (the last --agent-port wins).
    start_worker(tmp_path, procs, key, master, "worker1", args=["--agent-port", str(w1.agent_port)])
    want = ("#web,db\n!228 ar.conf\n%s!%d agent.conf\n%s" %
            (AR_CONF, len(conf) + len(TEMPLATE), conf + TEMPLATE)).encode()
    vigil.wait_for(lambda: stored_merged(agent) == want, 30, 0.2,
                   "the changed bundle after worker1 came back")
    vigil.wait_for(lambda: master.agents()["001"]["group_config_status"] == "synced", 20, 0.2,
                   "synced again")


def test_post_agents_force_replaces_an_old_registration(master, procs, tmp_path):
    """force, as Wazuh's: a registration with a taken name or ip replaces the old agent
    when that one is old enough and (unless disconnected_time is off) not connected."""
    force = {"enabled": True, "disconnected_time": {"enabled": True, "value": "0s"},
             "after_registration_time": "0s"}
    old = master.api("POST", "/agents", json={"name": "web-01", "ip": "10.0.0.7"}).json()
    old_id = old["data"]["id"]
    # Without force, or with force but a registration too recent: refused.
    problem(master.api("POST", "/agents", json={"name": "web-01", "ip": "any"}), 400, 1705)
    problem(master.api("POST", "/agents", json={"name": "web-01", "ip": "any", "force": dict(
        force, after_registration_time="1h")}), 400, 1705)
    problem(master.api("POST", "/agents", json={"name": "web-01", "ip": "any", "force": dict(
        force, enabled=False)}), 400, 1705)
    problem(master.api("POST", "/agents", json={"name": "other", "ip": "10.0.0.7", "force": dict(
        force, after_registration_time="1h")}), 400, 1706)
    # Old enough and never connected: replaced, with a new id and key.
    r = master.api("POST", "/agents", json={"name": "web-01", "ip": "10.0.0.7", "force": force})
    assert r.status_code == 200, r.text
    new_id = r.json()["data"]["id"]
    assert new_id != old_id and r.json()["data"]["key"] != old["data"]["key"]
    agents = master.agents()
    assert old_id not in agents and agents[new_id]["name"] == "web-01"
    # A connected agent is kept unless disconnected_time is turned off.
    sim = vigil.Sim(tmp_path, master, 1, name="live", args=["--keepalive", "1"])
    procs.append(sim)
    live = vigil.wait_for(lambda: [i for i, a in master.agents().items()
                                   if a["name"] == "live-00001" and a["status"] == "active"],
                          30, 0.2, "the simulated agent active")[0]
    problem(master.api("POST", "/agents", json={"name": "live-00001", "force": force}),
            400, 1705)
    r = master.api("POST", "/agents", json={"name": "live-00001", "ip": "any", "force": dict(
        force, disconnected_time={"enabled": False})})
    assert r.status_code == 200, r.text
    assert live not in master.agents()
    # The manager's own entry (000) is never replaced, whatever force says.
    manager = master.agents()["000"]["name"]
    problem(master.api("POST", "/agents", json={"name": manager, "ip": "any", "force": dict(
        force, disconnected_time={"enabled": False})}), 400, 1705)
    assert "000" in master.agents()
    # Malformed force objects are schema errors.
    for bad in ({"enabled": "yes"}, {"disconnected_time": 5},
                {"disconnected_time": {"value": "1y"}}, {"after_registration_time": 3}):
        problem(master.api("POST", "/agents", json={"name": "z1", "force": bad}), 400, None)
