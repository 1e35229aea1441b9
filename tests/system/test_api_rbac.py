"""Custom RBAC as Wazuh 4.12 has it: policies, roles, security rules, their links, the
default ones, resource-specific grants, list filtering, black mode and run_as."""

import base64

import requests

from test_api_security import GOOD_PW, create_user, token_of


def ok(r):
    assert r.status_code == 200, r.text
    return r.json()


def add_policy(node, name, actions, resources, effect="allow"):
    body = ok(node.api("POST", "/security/policies", json={
        "name": name, "policy": {"actions": actions, "resources": resources, "effect": effect}}))
    assert body["error"] == 0, body
    return body["data"]["affected_items"][0]["id"]


def add_role(node, name, policies=(), rules=()):
    body = ok(node.api("POST", "/security/roles", json={"name": name}))
    assert body["error"] == 0, body
    rid = body["data"]["affected_items"][0]["id"]
    if policies:
        body = ok(node.api("POST", "/security/roles/%d/policies" % rid,
                           params={"policy_ids": ",".join(map(str, policies))}))
        assert body["error"] == 0, body
    if rules:
        body = ok(node.api("POST", "/security/roles/%d/rules" % rid,
                           params={"rule_ids": ",".join(map(str, rules))}))
        assert body["error"] == 0, body
    return rid


def add_agents(node):
    """001, 002, 003 (003 in group web); none connected."""
    for i in (1, 2, 3):
        ok(node.api("POST", "/agents", json={"name": "a%d" % i, "ip": "10.9.0.%d" % i}))
    ok(node.api("POST", "/groups", json={"group_id": "web"}))
    ok(node.api("PUT", "/agents/003/group/web"))


def failed(body):
    return {i: f["error"]["code"] for f in body["data"]["failed_items"] for i in f["id"]}


def ids(body):
    return [a["id"] for a in body["data"]["affected_items"]]


def test_defaults_are_wazuhs(master):
    body = ok(master.api("GET", "/security/roles"))
    assert [(x["id"], x["name"]) for x in body["data"]["affected_items"]] == [
        (1, "administrator"), (2, "readonly"), (3, "users_admin"), (4, "agents_readonly"),
        (5, "agents_admin"), (6, "cluster_readonly"), (7, "cluster_admin")]
    admin = body["data"]["affected_items"][0]
    assert admin["rules"] == [1, 2] and admin["users"] == [1] and len(admin["policies"]) == 23
    body = ok(master.api("GET", "/security/policies", params={"policy_ids": "1,35,36"}))
    first = body["data"]["affected_items"][0]
    assert first["name"] == "agents_all_resourceless" and first["roles"] == [1, 5]
    assert ids(body) == [1, 35] and failed(body) == {36: 4007}
    body = ok(master.api("GET", "/security/rules"))
    assert [(x["id"], x["rule"]) for x in body["data"]["affected_items"]] == [
        (1, {"FIND": {"username": "elastic"}}), (2, {"FIND": {"user_name": "admin"}})]
    # ids up to 99 are Wazuh's fixed resources
    assert failed(ok(master.api("PUT", "/security/roles/1", json={"name": "x"}))) == {1: 4008}
    assert failed(ok(master.api("DELETE", "/security/policies",
                                params={"policy_ids": "1"}))) == {1: 4008}
    assert failed(ok(master.api("POST", "/security/roles/2/policies",
                                params={"policy_ids": "1"}))) == {2: 4008}
    # bad policies and duplicates, as Wazuh
    body = ok(master.api("POST", "/security/policies", json={"name": "bad", "policy": {
        "actions": ["agent:read"], "resources": ["agent:id"], "effect": "allow"}}))
    assert failed(body) == {"bad": 4006}
    add_policy(master, "p", ["agent:read"], ["agent:id:001"])
    body = ok(master.api("POST", "/security/policies", json={"name": "p", "policy": {
        "actions": ["agent:read"], "resources": ["agent:id:002"], "effect": "allow"}}))
    assert failed(body) == {"p": 4009}


def test_custom_role_grants_per_resource(master):
    add_agents(master)
    read1 = add_policy(master, "read-001", ["agent:read"], ["agent:id:001"])
    restart_web = add_policy(master, "restart-web", ["agent:restart"], ["agent:group:web"])
    assert read1 >= 100 and restart_web == read1 + 1
    rid = add_role(master, "operator", policies=[read1, restart_web])
    assert rid >= 100
    create_user(master, "operator", roles=[rid])
    tok = token_of(master, "operator")

    # GET /agents: only what the role may read, silently; listed others fail with 4000
    body = ok(master.api("GET", "/agents", token=tok))
    assert ids(body) == ["001"] and body["data"]["total_affected_items"] == 1
    body = ok(master.api("GET", "/agents", params={"agents_list": "001,002"}, token=tok))
    assert ids(body) == ["001"] and failed(body) == {"002": 4000}
    r = master.api("GET", "/agents", params={"agents_list": "002"}, token=tok)
    assert r.status_code == 403 and r.json()["error"] == 4000

    # restart: allowed on the agents of group web only (003 is not connected: 1707)
    body = ok(master.api("PUT", "/agents/restart", params={"agents_list": "001,003"},
                         token=tok))
    assert failed(body) == {"001": 4000, "003": 1707}
    r = master.api("PUT", "/agents/002/restart", token=tok)
    assert r.status_code == 403 and r.json()["error"] == 4000
    assert master.api("PUT", "/agents/003/restart", token=tok).json()["error"] != 4000

    # a later deny overrides: the role's tokens are revoked when its policies change
    deny = add_policy(master, "deny-001", ["agent:read"], ["agent:id:001"], "deny")
    ok(master.api("POST", "/security/roles/%d/policies" % rid, params={"policy_ids": deny}))
    assert master.api("GET", "/agents", token=tok).status_code == 401
    tok = token_of(master, "operator")
    r = master.api("GET", "/agents", params={"agents_list": "001"}, token=tok)
    assert r.status_code == 403
    # position 0: the deny comes first, the allow after it wins again
    ok(master.api("DELETE", "/security/roles/%d/policies" % rid, params={"policy_ids": deny}))
    ok(master.api("POST", "/security/roles/%d/policies" % rid,
                  params={"policy_ids": deny, "position": 0}))
    body = ok(master.api("GET", "/security/roles", params={"role_ids": rid}))
    assert body["data"]["affected_items"][0]["policies"] == [deny, read1, restart_web]
    tok = token_of(master, "operator")
    assert ids(ok(master.api("GET", "/agents", token=tok))) == ["001"]
    pol = ok(master.api("GET", "/security/users/me/policies", token=tok))["data"]
    assert pol["agent:read"] == {"agent:id:001": "allow"}
    assert pol["agent:restart"] == {"agent:group:web": "allow"}

    # the readonly role still cannot act
    create_user(master, "reader", roles=[2])
    r = master.api("PUT", "/agents/restart", token=token_of(master, "reader"))
    assert r.status_code == 403 and r.json()["error"] == 4000

    # a deleted role takes its grants with it
    body = ok(master.api("DELETE", "/security/roles", params={"role_ids": rid}))
    assert ids(body) == [rid]
    assert master.api("GET", "/agents", token=tok).status_code == 401


def test_black_mode_allows_what_no_policy_denies(master):
    add_agents(master)
    deny = add_policy(master, "no-002", ["agent:read", "agent:restart"], ["agent:id:002"],
                      "deny")
    rid = add_role(master, "blacklisted", policies=[deny])
    create_user(master, "black", roles=[rid])
    assert master.api("GET", "/agents", token=token_of(master, "black")).status_code == 403
    ok(master.api("PUT", "/security/config", json={"rbac_mode": "black"}))
    tok = token_of(master, "black")
    assert ids(ok(master.api("GET", "/agents", token=tok))) == ["000", "001", "003"]
    body = ok(master.api("PUT", "/agents/restart", params={"agents_list": "001,002"}, token=tok))
    assert failed(body) == {"001": 1707, "002": 4000}
    assert ok(master.api("GET", "/security/users/me/policies",
                         token=tok))["data"]["rbac_mode"] == "black"


def run_as(node, user, ctx):
    auth = base64.b64encode(("%s:%s" % (user, GOOD_PW)).encode()).decode()
    return requests.post(node.url + "/security/user/authenticate/run_as", json=ctx,
                         headers={"Authorization": "Basic " + auth}, verify=False, timeout=10)


def test_run_as_with_rules(master):
    add_agents(master)
    read1 = add_policy(master, "read-001", ["agent:read"], ["agent:id:001"])
    body = ok(master.api("POST", "/security/rules", json={
        "name": "ops", "rule": {"AND": [{"FIND": {"department": "ops"}},
                                        {"FIND": {"groups": ["r'^adm.*'"]}}]}}))
    rule = body["data"]["affected_items"][0]["id"]
    assert rule >= 100
    rid = add_role(master, "ops-role", policies=[read1], rules=[rule])
    uid = create_user(master, "svc-user")

    # only a user allowed to run as
    r = run_as(master, "svc-user", {"department": "ops"})
    assert r.status_code == 403 and r.json()["error"] == 6004
    body = ok(master.api("PUT", "/security/users/%d/run_as" % uid,
                         params={"allow_run_as": "true"}))
    assert body["data"]["affected_items"][0]["allow_run_as"] is True

    r = run_as(master, "svc-user", {"user": {"department": "ops", "groups": ["admins", "x"]}})
    assert r.status_code == 200, r.text
    tok = r.json()["data"]["token"]
    me = ok(master.api("GET", "/security/users/me", token=tok))["data"]["affected_items"][0]
    assert [x["id"] for x in me["roles"]] == [rid]
    assert ids(ok(master.api("GET", "/agents", token=tok))) == ["001"]

    # a context no rule matches gives no role
    r = run_as(master, "svc-user", {"department": "sales", "groups": ["admins"]})
    tok2 = r.json()["data"]["token"]
    assert master.api("GET", "/agents", token=tok2).status_code == 403

    # changing a rule revokes run_as tokens
    ok(master.api("PUT", "/security/rules/%d" % rule,
                  json={"rule": {"FIND": {"department": "sales"}}}))
    assert master.api("GET", "/agents", token=tok).status_code == 401
    r = run_as(master, "svc-user", {"department": "sales"})
    tok3 = r.json()["data"]["token"]
    assert ids(ok(master.api("GET", "/agents", token=tok3))) == ["001"]
