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
    # white: no grant, so no agent (Wazuh's list filter answers none, not 403)
    assert ids(ok(master.api("GET", "/agents", token=token_of(master, "black")))) == []
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
    assert ids(ok(master.api("GET", "/agents", token=tok2))) == []
    assert master.api("GET", "/agents/001/key", token=tok2).status_code == 403

    # changing a rule revokes run_as tokens
    ok(master.api("PUT", "/security/rules/%d" % rule,
                  json={"rule": {"FIND": {"department": "sales"}}}))
    assert master.api("GET", "/agents", token=tok).status_code == 401
    r = run_as(master, "svc-user", {"department": "sales"})
    tok3 = r.json()["data"]["token"]
    assert ids(ok(master.api("GET", "/agents", token=tok3))) == ["001"]


def denied(r):
    assert r.status_code == 403, r.text
    assert r.json()["error"] == 4000, r.text


def test_lists_filtered_per_resource_as_wazuh(master):
    """Wazuh's expose_resources on every list route (its white-mode tavern suite in small):
    what the caller may not touch is left out when not named, fails with 4000 when named,
    and a request naming only such items is denied (403)."""
    for i in (1, 2, 3, 4):
        ok(master.api("POST", "/agents", json={"name": "a%d" % i, "ip": "10.9.1.%d" % i}))
    for g in ("g1", "g2", "g3"):
        ok(master.api("POST", "/groups", json={"group_id": g}))
    for a, g in (("001", "g1"), ("002", "g2"), ("003", "g3")):
        ok(master.api("PUT", "/agents/%s/group/%s" % (a, g)))
    pols = [
        add_policy(master, "read", ["agent:read"], ["agent:id:000", "agent:id:002",
                                                    "agent:id:004"]),
        add_policy(master, "delete", ["agent:delete"], ["agent:id:001", "agent:id:003"]),
        add_policy(master, "restart", ["agent:restart"], ["agent:id:*"]),
        add_policy(master, "no-restart-g2", ["agent:restart"], ["agent:group:g2"], "deny"),
        add_policy(master, "modify", ["agent:modify_group"],
                   ["agent:id:001", "agent:id:002", "agent:id:003"]),
        add_policy(master, "groups", ["group:read", "group:modify_assignments"], ["group:id:*"]),
        add_policy(master, "no-read-g3", ["group:read"], ["group:id:g3"], "deny"),
        add_policy(master, "no-assign-g1", ["group:modify_assignments"], ["group:id:g1"],
                   "deny"),
        add_policy(master, "delete-g1", ["group:delete"], ["group:id:g1"]),
    ]
    create_user(master, "lists", roles=[add_role(master, "lists", policies=pols)])
    tok = token_of(master, "lists")

    def api(method, path, **params):
        return master.api(method, path, params=params or None, token=tok)

    # group:read: GET /groups
    names = lambda b: [g["name"] for g in b["data"]["affected_items"]]
    assert names(ok(api("GET", "/groups"))) == ["default", "g1", "g2"]
    denied(api("GET", "/groups", groups_list="g3"))
    body = ok(api("GET", "/groups", groups_list="default,g3,nope"))
    assert names(body) == ["default"] and failed(body) == {"g3": 4000, "nope": 1710}

    # agent:read: a group's agents, the summaries and distinct counts
    assert ids(ok(api("GET", "/groups/g2/agents"))) == ["002"]
    assert ids(ok(api("GET", "/groups/g1/agents"))) == []
    summary = ok(api("GET", "/agents/summary/status"))["data"]
    assert summary["connection"]["total"] == 2 and summary["configuration"]["total"] == 2
    body = ok(api("GET", "/agents/stats/distinct", fields="status"))
    assert sum(x["count"] for x in body["data"]["affected_items"]) == 3   # 000, 002, 004
    assert ids(ok(api("GET", "/agents/no_group"))) == []

    # agent:restart by group: the group's readable agents, as if named
    denied(api("PUT", "/agents/group/g2/restart"))             # 002 only, and denied
    body = ok(api("PUT", "/agents/group/default/restart"))
    assert failed(body) == {"002": 4000}                        # 004 is inactive: left out
    denied(api("PUT", "/agents/restart", agents_list="002"))
    assert failed(ok(api("PUT", "/agents/restart", agents_list="002,004"))) == {
        "002": 4000, "004": 1707}

    # agent:modify_group and group:modify_assignments
    denied(api("PUT", "/agents/group", group_id="g1", agents_list="002"))
    denied(api("PUT", "/agents/group", group_id="g2", agents_list="004"))
    denied(api("PUT", "/agents/group", group_id="g1"))
    body = ok(api("PUT", "/agents/group", group_id="g2", agents_list="001,004"))
    assert body["data"]["affected_items"] == ["001"] and failed(body) == {"004": 4000}
    body = ok(api("PUT", "/agents/group", group_id="g3"))       # 004 left out silently
    assert body["data"]["affected_items"] == ["001", "002"] and failed(body) == {}
    denied(api("DELETE", "/agents/001/group", groups_list="g1"))
    body = ok(api("DELETE", "/agents/001/group", groups_list="g1,g2"))
    assert body["data"]["affected_items"] == ["g2"] and failed(body) == {"g1": 4000}
    body = ok(api("DELETE", "/agents/001/group"))               # g1 left out silently
    assert body["data"]["affected_items"] == ["default", "g3"] and failed(body) == {}
    denied(api("DELETE", "/agents/group", group_id="g1", agents_list="all"))
    body = ok(api("DELETE", "/agents/group", group_id="g3", agents_list="002,004"))
    assert body["data"]["affected_items"] == ["002"] and failed(body) == {"004": 4000}
    body = ok(api("DELETE", "/agents/group", group_id="g3", agents_list="all"))
    assert body["data"]["affected_items"] == ["003"]

    # group:delete
    denied(api("DELETE", "/groups", groups_list="g2"))
    body = ok(api("DELETE", "/groups", groups_list="g1,g2"))
    assert body["data"]["affected_items"] == ["g1"] and failed(body) == {"g2": 4000}
    assert ok(api("DELETE", "/groups", groups_list="all"))["data"]["affected_items"] == []

    # agent:delete
    denied(api("DELETE", "/agents", agents_list="002", status="all", older_than="0s"))
    body = ok(api("DELETE", "/agents", agents_list="000,001,002", status="all",
                  older_than="0s"))
    assert body["data"]["affected_items"] == ["001"] and failed(body) == {"000": 4000,
                                                                          "002": 4000}
    body = ok(api("DELETE", "/agents", agents_list="all", status="all", older_than="0s"))
    assert body["data"]["affected_items"] == ["003"] and failed(body) == {}
    assert sorted(master.agents()) == ["000", "002", "004"]


def test_list_routes_without_any_grant_answer_no_items(master):
    """A list route with no grant at all on its items answers 200 with none, as Wazuh's
    'user agnostic' requests; a route naming the item, or a resourceless one, is 403."""
    add_agents(master)
    rid = add_role(master, "nothing", policies=[
        add_policy(master, "cluster", ["cluster:status"], ["*:*:*"])])
    create_user(master, "nothing", roles=[rid])
    tok = token_of(master, "nothing")
    for path in ("/agents", "/groups", "/agents/outdated", "/agents/no_group",
                 "/agents/summary/os"):
        body = ok(master.api("GET", path, token=tok))
        assert body["data"]["affected_items"] == [], (path, body)
    body = ok(master.api("GET", "/agents/stats/distinct", params={"fields": "status"}, token=tok))
    assert body["data"]["affected_items"] == []
    assert ok(master.api("GET", "/agents/summary/status",
                         token=tok))["data"]["connection"]["total"] == 0
    denied(master.api("GET", "/agents", params={"agents_list": "001"}, token=tok))
    denied(master.api("GET", "/agents/001/key", token=tok))
    denied(master.api("GET", "/groups/web/files", token=tok))
    denied(master.api("GET", "/groups/web/agents", token=tok))
    denied(master.api("POST", "/groups", json={"group_id": "x"}, token=tok))
    # restart and reconnect default to every agent ('*'), which Wazuh denies outright
    denied(master.api("PUT", "/agents/restart", token=tok))


def test_rbac_catalogue(master):
    """GET /security/actions and /security/resources as Wazuh v4.12's spec has them."""
    create_user(master, "plain", roles=[])
    tok = token_of(master, "plain")      # any token may read the catalogue
    data = ok(master.api("GET", "/security/actions", token=tok))["data"]
    restart = data["agent:restart"]
    assert restart["description"] == "Restart agents"
    assert restart["resources"] == ["agent:id", "agent:group"]
    assert restart["example"]["actions"] == ["agent:restart"]
    assert "PUT /agents/restart" in restart["related_endpoints"]
    assert "PUT /agents/{agent_id}/restart" in restart["related_endpoints"]
    assert "PUT /agents/group/{group_id}/restart" in restart["related_endpoints"]
    assert data["security:update"]["related_endpoints"].count(
        "PUT /security/users/{user_id}") == 1
    assert "manager:restart" not in data          # no endpoint of Vigil needs it
    body = ok(master.api("GET", "/security/actions", params={"endpoint": "GET /agents"},
                         token=tok))
    assert list(body["data"]) == ["agent:read"]
    assert body["data"]["agent:read"]["related_endpoints"] == ["GET /agents"]
    body = ok(master.api("GET", "/security/actions",
                         params={"endpoint": "PUT /agents/node/{node_id}/restart"}, token=tok))
    assert sorted(body["data"]) == ["agent:restart", "cluster:read"]
    r = master.api("GET", "/security/actions", params={"endpoint": "GET /nope"}, token=tok)
    assert r.status_code == 400 and r.json()["error"] == 4020

    data = ok(master.api("GET", "/security/resources", token=tok))["data"]
    assert list(data) == ["*:*", "agent:group", "agent:id", "group:id", "node:id",
                          "decoder:file", "list:file", "rule:file", "policy:id", "role:id",
                          "rule:id", "user:id"]
    assert data["agent:id"]["description"] == \
        "Reference agents via agent ID (i.e. agent:id:001)"
    body = ok(master.api("GET", "/security/resources", params={"resource": "group:id"},
                         token=tok))
    assert list(body["data"]) == ["group:id"]
    r = master.api("GET", "/security/resources", params={"resource": "x:y"}, token=tok)
    assert r.status_code == 400


def test_reserved_admin_may_run_as(master):
    """Wazuh's reserved users (wazuh, wazuh-wui) have allow_run_as; so has Vigil's one."""
    body = ok(master.api("GET", "/security/users", params={"user_ids": "1"}))
    assert body["data"]["affected_items"][0]["allow_run_as"] is True
    users = ok(master.api("GET", "/security/users"))["data"]["affected_items"]
    assert [u["allow_run_as"] for u in users if u["id"] != 1] == []


# Wazuh v4.12's api/test/integration security RBAC suites, replayed.  Their data
# (env/configurations/security/.../schema_security_test.sql) has users 100-105, roles
# 100-105, rules 100-105 and policies 100-109; Vigil gives created items ids from 100 on,
# so creating them in order gives the same ids.  The suites' caller is user 99 with role 99
# (ids Vigil reserves); here it is user and role 106, carrying the suite's policies
# (env/configurations/rbac/security/{white,black}_config.yaml).
WAZUH_USERS = ["administrator", "normal", "ossec", "python", "rbac", "guest"]
WAZUH_ROLES = ["wazuh", "wazuh-wui", "technical", "administrator_test", "normalUser", "ossec"]
WAZUH_RULES = ["administrator", "administrator-app", "technicalRule", "administratorRule",
               "normalRule", "ossecRule"]
WAZUH_POLICIES = [   # name, actions, resources, effect ("*:*" is no action: agent:read)
    ("wazuhPolicy", ["agent:read"], ["*:*:*"], "allow"),
    ("wazuh-wuiPolicy", ["agent:create"], ["agent:id:001", "agent:id:002", "agent:id:003"],
     "allow"),
    ("technicalPolicy", ["agent:create"], ["*:*:*"], "allow"),
    ("administratorPolicy", ["agent:update", "agent:delete"], ["agent:id:*"], "allow"),
    ("normalPolicy", ["agent:update", "agent:delete"], ["agent:id:*"], "deny"),
    ("ossecPolicy", ["role:read"], ["role:id:*"], "allow"),
    ("policy1", ["role:read"], ["role:id:*"], "deny"),
    ("policy2", ["role:read"], ["role:id:1"], "allow"),
    ("policy3", ["policy:read"], ["policy:id:1"], "allow"),
    ("policy4", ["policy:delete"], ["policy:id:*"], "deny"),
]
WAZUH_ROLE_POLICIES = {100: [100], 101: [100], 102: [101, 100, 107, 104], 103: [104, 103],
                       104: [101, 102, 109],
                       105: [101, 107, 106, 109, 104, 108, 100, 105, 102, 103]}
WAZUH_USER_ROLES = {100: [100, 101], 101: [104, 105, 103], 102: [101, 104], 103: [101],
                    104: [104, 102, 103]}

SEC_WHITE = [
    (["security:read"], ["user:id:100", "user:id:101", "user:id:103", "user:id:105",
                         "role:id:*", "rule:id:*"], "allow"),
    (["security:read"], ["policy:id:*"], "deny"),
    (["security:update"], ["user:id:*"], "deny"),
    (["security:update"], ["role:id:103", "role:id:102", "role:id:105", "rule:id:102",
                           "policy:id:107", "policy:id:102", "policy:id:104"], "allow"),
    (["security:update"], ["policy:id:107", "policy:id:102"], "deny"),
    (["security:delete"], ["user:id:105", "user:id:101", "user:id:2", "policy:id:*"], "allow"),
    (["security:delete"], ["policy:id:*", "role:id:*"], "deny"),
    (["security:create_user"], ["*:*:*"], "deny"),
    (["security:create", "security:read_config", "security:update_config",
      "security:edit_run_as"], ["*:*:*"], "allow"),
]
SEC_BLACK = [
    (["security:read"], ["user:id:100", "user:id:101", "user:id:103", "user:id:105",
                         "role:id:*", "rule:id:103"], "deny"),
    (["security:read"], ["policy:id:*"], "allow"),
    (["security:update"], ["user:id:*"], "allow"),
    (["security:update"], ["role:id:103", "role:id:102", "role:id:105", "policy:id:107",
                           "policy:id:102", "policy:id:104", "rule:id:104"], "deny"),
    (["security:update"], ["policy:id:107", "policy:id:102"], "allow"),
    (["security:delete"], ["user:id:105", "user:id:101", "user:id:2", "user:id:99",
                           "policy:id:*", "rule:id:105"], "deny"),
    (["security:delete"], ["policy:id:*", "role:id:*"], "allow"),
    (["security:create_user"], ["*:*:*"], "allow"),
    (["security:create", "security:read_config", "security:update_config",
      "security:edit_run_as"], ["*:*:*"], "deny"),
]

D = 403   # a stage answered "permission denied" (4000)

# (method, path, query parameters, JSON body, expected: 403, 200, or (affected ids, failed
# {id: code}); [None]: one item of any id).  The suites' stages, in order; left out are
# those that answer "any" items, and white's PUT /security/config (it revokes the token).
WHITE_STAGES = [
    ("GET", "/security/users", None, None, ([100, 101, 103, 105], {})),
    ("GET", "/security/users", {"user_ids": "101"}, None, ([101], {})),
    ("GET", "/security/users", {"user_ids": "1"}, None, D),
    ("GET", "/security/users", {"user_ids": "101,103,105"}, None, ([101, 103, 105], {})),
    ("GET", "/security/users", {"user_ids": "1,102"}, None, D),
    ("GET", "/security/users", {"user_ids": "101,103,105,102,1,100"}, None,
     ([100, 101, 103, 105], {1: 4000, 102: 4000})),
    ("GET", "/security/roles", None, None,
     ([1, 2, 3, 4, 5, 6, 7, 100, 101, 102, 103, 104, 105, 106], {})),
    ("GET", "/security/roles", {"role_ids": "1"}, None, ([1], {})),
    ("GET", "/security/roles", {"role_ids": "999"}, None, ([], {999: 4002})),
    ("GET", "/security/roles", {"role_ids": "1,2,999"}, None, ([1, 2], {999: 4002})),
    ("GET", "/security/rules", None, None, ([1, 2, 100, 101, 102, 103, 104, 105], {})),
    ("GET", "/security/policies", None, None, ([], {})),
    ("GET", "/security/policies", {"policy_ids": "1,2,3"}, None, D),
    ("PUT", "/security/users/105", None, {"password": "stringA1!"}, D),
    ("PUT", "/security/users/1", None, {"password": "stringA1!"}, D),
    ("PUT", "/security/users/103/run_as", {"allow_run_as": "true"}, None, ([103], {})),
    ("PUT", "/security/roles/102", None, {"name": "technicalModified"}, ([102], {})),
    ("PUT", "/security/roles/2", None, {"name": "wazuh-wuiModified"}, D),
    ("PUT", "/security/rules/104", None, {"name": "modified_rule"}, D),
    ("PUT", "/security/policies/104", None, {"name": "normalPolicyModified", "policy": {
        "actions": ["agent:delete"], "effect": "deny",
        "resources": ["agent:id:099", "agent:id:002", "agent:id:003"]}}, ([104], {})),
    ("PUT", "/security/policies/106", None, {"name": "administratorPolicyModified", "policy": {
        "actions": ["agent:delete"], "effect": "allow", "resources": ["agent:id:*"]}}, D),
    ("POST", "/security/users/103/roles", {"role_ids": "102,103"}, None, D),
    ("POST", "/security/users/104/roles", {"role_ids": "102,103,104,105"}, None, D),
    ("POST", "/security/roles/103/policies", {"policy_ids": "104,105,106"}, None,
     ([], {105: 4000, 106: 4000, 104: 4011})),
    ("POST", "/security/roles/103/rules", {"rule_ids": "101"}, None, D),
    ("POST", "/security/roles/105/rules", {"rule_ids": "102,103"}, None, ([105], {103: 4000})),
    ("DELETE", "/security/roles/11/rules", {"rule_ids": "104,105,106"}, None, D),
    ("DELETE", "/security/users/103/roles", {"role_ids": "102,103"}, None, D),
    ("DELETE", "/security/users/104/roles", {"role_ids": "102,103,104,105"}, None, D),
    ("DELETE", "/security/roles/11/policies", {"policy_ids": "104,105,106"}, None, D),
    ("DELETE", "/security/users", {"user_ids": "105"}, None, ([105], {})),
    ("DELETE", "/security/users", {"user_ids": "all"}, None, ([101], {})),
    ("DELETE", "/security/users", {"user_ids": "all"}, None, ([], {})),
    ("DELETE", "/security/users", {"user_ids": "1,101,105"}, None,
     ([], {1: 4000, 101: 5001, 105: 5001})),
    ("DELETE", "/security/rules", {"rule_ids": "all"}, None, ([], {})),
    ("DELETE", "/security/rules", {"rule_ids": "101"}, None, D),
    ("DELETE", "/security/roles", {"role_ids": "all"}, None, ([], {})),
    ("DELETE", "/security/roles", {"role_ids": "101,102"}, None, D),
    ("DELETE", "/security/policies", {"policy_ids": "all"}, None, ([], {})),
    ("DELETE", "/security/policies", {"policy_ids": "101,102"}, None, D),
    ("POST", "/security/users", None, {"username": "newUser", "password": "stringA1!"}, D),
    ("POST", "/security/roles", None, {"name": "newUserRole"}, ([None], {})),
    ("POST", "/security/policies", None, {"name": "newUserPolicy", "policy": {
        "actions": ["security:delete"], "effect": "allow",
        "resources": ["role:id:*", "policy:id:*"]}}, ([None], {})),
    ("PUT", "/security/user/revoke", None, None, D),
]

BLACK_STAGES = [
    ("GET", "/security/users", None, None, ([1, 102, 104, 106], {})),
    ("GET", "/security/users", {"user_ids": "102"}, None, ([102], {})),
    ("GET", "/security/users", {"user_ids": "100"}, None, D),
    ("GET", "/security/users", {"user_ids": "1,102,104"}, None, ([1, 102, 104], {})),
    ("GET", "/security/users", {"user_ids": "100,101"}, None, D),
    ("GET", "/security/users", {"user_ids": "101,103,105,102,1,100"}, None,
     ([1, 102], {100: 4000, 101: 4000, 103: 4000, 105: 4000})),
    ("GET", "/security/roles", None, None, ([], {})),
    ("GET", "/security/roles", {"role_ids": "1"}, None, D),
    ("GET", "/security/rules", None, None, ([1, 2, 100, 101, 102, 104, 105], {})),
    ("GET", "/security/rules", {"rule_ids": "103"}, None, D),
    ("GET", "/security/policies", {"policy_ids": "999"}, None, ([], {999: 4007})),
    ("GET", "/security/config", None, None, D),
    ("PUT", "/security/config", None, {"auth_token_exp_timeout": 3000}, D),
    ("PUT", "/security/users/105", None, {"password": "stringA1!"}, ([105], {})),
    ("PUT", "/security/users/103", None, {"password": "stringA1!"}, ([103], {})),
    ("PUT", "/security/users/104/run_as", {"allow_run_as": "false"}, None, D),
    ("PUT", "/security/roles/104", None, {"name": "normalUserModified"}, ([104], {})),
    ("PUT", "/security/roles/103", None, {"name": "wazuh-wuiModified"}, D),
    ("PUT", "/security/roles/1", None, {"name": "wazuhModified"}, ([], {1: 4008})),
    ("PUT", "/security/rules/105", None, {"name": "normalRuleModified",
                                          "rule": {"MATCH": {"modified": "modified_rule"}}},
     ([105], {})),
    ("PUT", "/security/rules/104", None, {"name": "normalRuleModified",
                                          "rule": {"MATCH": {"modified": "modified_rule"}}}, D),
    ("PUT", "/security/rules/1", None, {"name": "normalRuleModified",
                                        "rule": {"MATCH": {"modified": "modified_rule"}}},
     ([], {1: 4008})),
    ("PUT", "/security/policies/103", None, {"name": "administratorPolicyModified", "policy": {
        "actions": ["agent:read"], "effect": "deny",
        "resources": ["agent:id:097", "agent:id:002", "agent:id:003"]}}, ([103], {})),
    ("PUT", "/security/policies/104", None, {"name": "normalPolicyModified", "policy": {
        "actions": ["agent:read"], "effect": "allow",
        "resources": ["agent:id:096", "agent:id:002", "agent:id:003"]}}, D),
    ("POST", "/security/users/103/roles", {"role_ids": "100,101,102,103,107"}, None,
     ([103], {102: 4000, 103: 4000, 107: 4002, 101: 4017})),
    ("POST", "/security/users/102/roles", {"role_ids": "100,104"}, None, ([102], {104: 4017})),
    ("POST", "/security/users", None, {"username": "newUser", "password": "stringA1!"},
     ([107], {})),
    ("POST", "/security/roles", None, {"name": "newUserRole"}, D),
    ("POST", "/security/policies", None, {"name": "newUserPolicy", "policy": {
        "actions": ["security:delete"], "effect": "allow",
        "resources": ["role:id:*", "policy:id:*"]}}, D),
    ("DELETE", "/security/users/104/roles", {"role_ids": "100,103,104,102,101,5"}, None,
     ([104], {5: 4016, 100: 4016, 101: 4016})),
    ("POST", "/security/roles/104/policies", {"policy_ids": "104,105,106"}, None,
     ([104], {104: 4000})),
    ("DELETE", "/security/roles/104/policies", {"policy_ids": "104,105,106"}, None,
     ([104], {104: 4010})),
    ("POST", "/security/roles/101/rules", {"rule_ids": "103,104,105"}, None,
     ([101], {104: 4000})),
    ("DELETE", "/security/roles/101/rules", {"rule_ids": "all"}, None, ([101], {})),
    ("DELETE", "/security/roles/101/rules", {"rule_ids": "105"}, None, D),
    ("DELETE", "/security/users", {"user_ids": "100"}, None, ([100], {})),
    ("DELETE", "/security/users", {"user_ids": "all"}, None, ([102, 103, 104, 107], {})),
    ("DELETE", "/security/users", {"user_ids": "all"}, None, ([], {})),
    ("DELETE", "/security/users", {"user_ids": "1,100,105"}, None,
     ([], {105: 4000, 100: 5001, 1: 5004})),
    ("DELETE", "/security/rules", {"rule_ids": "103"}, None, ([103], {})),
    ("DELETE", "/security/rules", {"rule_ids": "all"}, None, ([100, 101, 102, 104], {})),
    ("DELETE", "/security/rules", {"rule_ids": "105"}, None, D),
    ("DELETE", "/security/policies", {"policy_ids": "103"}, None, ([103], {})),
    ("DELETE", "/security/roles", {"role_ids": "103"}, None, ([103], {})),
    ("PUT", "/security/user/revoke", None, None, 200),
]


def wazuh_security_setup(node, caller_policies, mode):
    """The suites' users, roles, rules and policies with their links, and the caller
    'testing' (106) with a role of caller_policies; mode set last.  Its token."""
    for name in WAZUH_USERS:
        create_user(node, name)
    for name in WAZUH_ROLES:
        add_role(node, name)
    for name in WAZUH_RULES:
        body = ok(node.api("POST", "/security/rules", json={
            "name": name, "rule": {"MATCH": {"definition": name}}}))
        assert body["error"] == 0, body
    for name, actions, resources, effect in WAZUH_POLICIES:
        add_policy(node, name, actions, resources, effect)
    for role, pols in WAZUH_ROLE_POLICIES.items():
        ok(node.api("POST", "/security/roles/%d/policies" % role,
                    params={"policy_ids": ",".join(map(str, pols))}))
    for user, roles in WAZUH_USER_ROLES.items():
        ok(node.api("POST", "/security/users/%d/roles" % user,
                    params={"role_ids": ",".join(map(str, roles))}))
    for rid in range(100, 106):
        ok(node.api("POST", "/security/roles/%d/rules" % rid, params={"rule_ids": str(rid)}))
    pols = [add_policy(node, "testing%d" % i, a, r, e)
            for i, (a, r, e) in enumerate(caller_policies)]
    assert create_user(node, "testing", roles=[add_role(node, "testing", policies=pols)]) == 106
    ok(node.api("PUT", "/security/config", json={"rbac_mode": mode}))
    node._token = None          # the change revoked every token
    return token_of(node, "testing")


def replay(node, tok, stages):
    for method, path, params, body, want in stages:
        stage = (method, path, params)
        r = node.api(method, path, params=params, json=body, token=tok)
        if want == D:
            assert r.status_code == 403 and r.json()["error"] == 4000, (stage, r.text)
            continue
        assert r.status_code == 200, (stage, r.text)
        if want == 200:
            continue
        got = r.json()
        if want[0] != [None]:
            assert ids(got) == want[0], (stage, got)
        else:
            assert len(ids(got)) == 1, (stage, got)
        assert failed(got) == want[1], (stage, got)


def test_wazuh_white_security_suite(master):
    """test_rbac_white_security_endpoints.tavern.yaml: per-item security:read, update and
    delete on users, roles, policies and rules, and on the user-role, role-policy and
    role-rule links."""
    replay(master, wazuh_security_setup(master, SEC_WHITE, "white"), WHITE_STAGES)


def test_wazuh_black_security_suite(master):
    """test_rbac_black_security_endpoints.tavern.yaml, as above in black mode."""
    replay(master, wazuh_security_setup(master, SEC_BLACK, "black"), BLACK_STAGES)


def test_delete_several_in_one_request(master):
    """Each deletion reloads the security store; the caller's compiled policies, checked
    for the next id, stay valid (they were freed under it: vigild crashed)."""
    for kind, key in (("rules", "rule_ids"), ("policies", "policy_ids"), ("roles", "role_ids")):
        made = []
        for i in range(4):
            if kind == "rules":
                body = ok(master.api("POST", "/security/rules", json={
                    "name": "r%d" % i, "rule": {"MATCH": {"definition": "x%d" % i}}}))
                made.append(body["data"]["affected_items"][0]["id"])
            elif kind == "policies":
                made.append(add_policy(master, "p%d" % i, ["agent:read"], ["agent:id:00%d" % i]))
            else:
                made.append(add_role(master, "role%d" % i))
        body = ok(master.api("DELETE", "/security/" + kind,
                             params={key: "%d,%d" % (made[0], made[1])}))
        assert ids(body) == made[:2], body
        body = ok(master.api("DELETE", "/security/" + kind, params={key: "all"}))
        assert ids(body) == made[2:], body
