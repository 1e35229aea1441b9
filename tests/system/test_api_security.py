"""The /security endpoints, per-endpoint RBAC, token revocation, the security configuration,
login lock-out and the per-user rate limit, against a real vigild."""

import os
import sqlite3

import pytest
import requests

import vigil

PERM_4000 = ("Please, make sure you have permissions to execute the current request. For more "
             "information on how to set up permissions, please visit "
             "https://documentation.wazuh.com/4.12/user-manual/api/rbac/configuration.html")
GOOD_PW = "Reader-Pass1!"


def create_user(node, name, password=GOOD_PW, roles=None, token=None):
    """Creates a user (and links roles); returns its id."""
    r = node.api("POST", "/security/users", json={"username": name, "password": password},
                 token=token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["error"] == 0 and body["message"] == "User was successfully created", body
    uid = body["data"]["affected_items"][0]["id"]
    if roles:
        r = node.api("POST", "/security/users/%d/roles" % uid,
                     params={"role_ids": ",".join(str(x) for x in roles)}, token=token)
        assert r.status_code == 200 and r.json()["error"] == 0, r.text
    return uid


def token_of(node, name, password=GOOD_PW):
    r = node.login(name, password)
    assert r.status_code == 200, r.text
    return r.json()["data"]["token"]


@pytest.mark.registries
def test_users_roles_and_me(master):
    r = master.api("GET", "/security/users")
    assert r.status_code == 200
    body = r.json()
    assert body["message"] == "All specified users were returned"
    assert body["data"]["affected_items"] == [
        {"id": 1, "username": "wazuh", "allow_run_as": True, "roles": [1]}]   # as Wazuh's

    r = master.api("GET", "/security/roles")
    names = {x["id"]: x["name"] for x in r.json()["data"]["affected_items"]}
    assert names == {1: "administrator", 2: "readonly", 3: "users_admin", 4: "agents_readonly",
                     5: "agents_admin", 6: "cluster_readonly", 7: "cluster_admin"}
    admin_role = r.json()["data"]["affected_items"][0]
    assert admin_role["users"] == [1]

    uid = create_user(master, "reader", roles=[2])
    assert uid >= 100       # ids up to 99 are reserved, as in Wazuh
    r = master.api("GET", "/security/users", params={"user_ids": "%d,555" % uid})
    body = r.json()
    assert body["error"] == 2 and body["message"] == "Some users were not returned"
    assert body["data"]["affected_items"] == [
        {"id": uid, "username": "reader", "allow_run_as": False, "roles": [2]}]
    assert body["data"]["failed_items"][0]["error"]["code"] == 5001

    tok = token_of(master, "reader")
    r = master.api("GET", "/security/users/me", token=tok)
    assert r.status_code == 200
    me = r.json()
    assert me["message"] == "Current user information was returned"
    assert me["data"]["affected_items"][0]["username"] == "reader"
    # as Wazuh's get_user_me: the token's roles whole, with their policies and rules
    role = me["data"]["affected_items"][0]["roles"]
    assert [(x["id"], x["name"]) for x in role] == [(2, "readonly")]
    assert {"id": 4, "name": "agents_read_agents",
            "policy": {"actions": ["agent:read"], "resources": ["agent:id:*", "agent:group:*"],
                       "effect": "allow"}} in role[0]["policies"]
    assert role[0]["rules"] == []

    r = master.api("GET", "/security/users/me/policies", token=tok)
    body = r.json()
    assert body["message"] == "Current user processed policies information was returned"
    pol = body["data"]
    assert pol["rbac_mode"] == "white"
    assert pol["agent:read"] == {"agent:id:*": "allow", "agent:group:*": "allow"}  # as Wazuh
    assert pol["cluster:status"] == {"*:*:*": "allow"}
    assert "agent:restart" not in pol and "security:read" not in pol

    # Duplicate user: a failed item 5000, as Wazuh.
    r = master.api("POST", "/security/users", json={"username": "reader", "password": GOOD_PW})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 1
    assert body["message"] == "User could not be created"
    assert body["data"]["failed_items"][0]["error"]["code"] == 5000


def test_password_policy_and_bad_bodies(master):
    for pw, code in (("Short1!", 5009), ("x" * 60 + "Aa1!x", 5009), ("alllower1!", 5007),
                     ("NoDigits!!", 5007), ("NoSymbol12", 5007)):
        r = master.api("POST", "/security/users", json={"username": "someone", "password": pw})
        assert r.status_code == 400, (pw, r.text)
        assert r.json()["error"] == code, (pw, r.text)
    cases = [
        {"username": "someone"},                                      # no password
        {"username": "abc", "password": GOOD_PW},                     # too short a name
        {"username": "bad name", "password": GOOD_PW},
        {"username": "someone", "password": GOOD_PW, "extra": 1},     # unknown field
        {"username": 5, "password": GOOD_PW},
    ]
    for c in cases:
        r = master.api("POST", "/security/users", json=c)
        assert r.status_code == 400, (c, r.text)
        assert r.json()["title"] == "Bad Request"
    r = master.api("POST", "/security/users", data="{not json",
                   headers={"Content-Type": "application/json",
                            "Authorization": "Bearer " + master.token()})
    assert r.status_code == 400
    r = master.api("POST", "/security/users", data="username=x",
                   headers={"Content-Type": "text/plain",
                            "Authorization": "Bearer " + master.token()})
    assert r.status_code == 406 and r.json()["error"] == 6002
    for params in ({"user_ids": "abc"}, {"user_ids": "1,,2"}, {"user_ids": "-1"},
                   {"bogus": "1"}, {"limit": "0"}):
        r = master.api("GET", "/security/users", params=params)
        assert r.status_code == 400, (params, r.text)
    r = master.api("DELETE", "/security/users")
    assert r.status_code == 400
    r = master.api("PUT", "/security/users/abc", json={"password": GOOD_PW})
    assert r.status_code == 400
    r = master.api("POST", "/security/users/100/roles", params={"role_ids": "x"})
    assert r.status_code == 400
    r = master.api("POST", "/security/users/100/roles")
    assert r.status_code == 400


def test_readonly_user_is_refused_writes(master, tmp_path, procs):
    sim = vigil.Sim(tmp_path, master, 2, name="ro", args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: len(master.agents(status="active")) == 3, 20, what="agents active")
    create_user(master, "reader", roles=[2])
    tok = token_of(master, "reader")

    for method, path, params in (("PUT", "/agents/restart", None),
                                 ("PUT", "/agents/001/restart", None),
                                 ("PUT", "/agents/reconnect", None),
                                 ("DELETE", "/agents", {"agents_list": "001", "status": "all"}),
                                 ("GET", "/security/users", {"user_ids": "1"}),
                                 ("PUT", "/security/user/revoke", None),
                                 ("GET", "/security/config", None)):
        r = master.api(method, path, params=params, token=tok)
        assert r.status_code == 403, (method, path, r.text)
        body = r.json()
        resource = "agent:id" if path.startswith("/agents") else \
            "user:id" if path == "/security/users" else "*:*"
        detail = "Permission denied: Resource type: " + resource
        # readonly may read node information, so the node is named.
        assert body == {"title": "Permission Denied", "detail": detail,
                        "remediation": PERM_4000,
                        "dapi_errors": {"master-node": {"error": detail}}, "error": 4000}, body
    assert r.headers["Content-Type"].startswith("application/problem+json")
    # Every agent, without naming them: none may be deleted, so none is (not 403, as Wazuh).
    r = master.api("DELETE", "/agents", params={"agents_list": "all", "status": "all",
                                                "older_than": "0s"}, token=tok)
    assert r.status_code == 200 and r.json()["data"]["affected_items"] == [], r.text
    # Nothing was restarted or deleted.
    assert len(master.agents()) == 3

    for path in ("/agents", "/agents/summary/status", "/cluster/status", "/cluster/local/info",
                 "/manager/info", "/", "/security/users/me"):
        r = master.api("GET", path, token=tok)
        assert r.status_code == 200, (path, r.text)


def test_agents_readonly_gets_unknown_node(master):
    create_user(master, "agentsro", roles=[4])
    tok = token_of(master, "agentsro")
    assert master.api("GET", "/agents", token=tok).status_code == 200
    r = master.api("GET", "/cluster/nodes", token=tok)
    assert r.status_code == 403
    assert r.json()["dapi_errors"] == {
        "unknown-node": {"error": "Permission denied: Resource type: node:id"}}
    r = master.api("GET", "/manager/info", token=tok)
    assert r.status_code == 403
    assert r.json()["detail"] == "Permission denied: Resource type: *:*"


@pytest.mark.registries
def test_role_changes_take_effect(master, tmp_path, procs):
    uid = create_user(master, "mover", roles=[4])
    tok = token_of(master, "mover")
    assert master.api("PUT", "/agents/restart", token=tok).status_code == 403

    r = master.api("POST", "/security/users/%d/roles" % uid, params={"role_ids": "5,4,99"})
    body = r.json()
    assert r.status_code == 200 and body["error"] == 2, body
    assert body["message"] == "Some roles were not linked to user mover"
    codes = {f["error"]["code"]: f["id"] for f in body["data"]["failed_items"]}
    assert codes == {4002: [99], 4017: [4]}
    assert body["data"]["affected_items"][0]["roles"] == [4, 5]

    # Wazuh revokes the user's tokens when its roles change; a new token has the new roles.
    r = master.api("PUT", "/agents/restart", token=tok)
    assert r.status_code == 401 and r.json()["detail"] == "Invalid token"
    tok = token_of(master, "mover")
    r = master.api("PUT", "/agents/restart", token=tok)
    assert r.status_code == 200, r.text

    r = master.api("DELETE", "/security/users/%d/roles" % uid, params={"role_ids": "5,7"})
    body = r.json()
    assert body["message"] == "Some roles were not unlinked from user mover"
    assert body["data"]["failed_items"][0]["error"]["code"] == 4016
    tok = token_of(master, "mover")
    assert master.api("PUT", "/agents/restart", token=tok).status_code == 403
    assert master.api("GET", "/agents", token=tok).status_code == 200

    # Reserved users keep their roles; unknown users are 5001 / 404.
    r = master.api("POST", "/security/users/1/roles", params={"role_ids": "2"})
    assert r.json()["data"]["failed_items"][0]["error"]["code"] == 4008
    r = master.api("DELETE", "/security/users/1/roles", params={"role_ids": "1"})
    assert r.json()["data"]["failed_items"][0]["error"]["code"] == 4008
    r = master.api("DELETE", "/security/users/777/roles", params={"role_ids": "1"})
    assert r.status_code == 404 and r.json()["error"] == 5001
    r = master.api("POST", "/security/users/777/roles", params={"role_ids": "1"})
    assert r.json()["data"]["failed_items"][0]["error"]["code"] == 5001


def test_users_admin_manages_users_only(master):
    create_user(master, "useradm", roles=[3])
    tok = token_of(master, "useradm")
    uid = create_user(master, "victim")
    # users_admin may create, update and delete users, but not read roles or link them.
    r = master.api("PUT", "/security/users/%d" % uid, json={"password": "Other-Pass2?"},
                   token=tok)
    assert r.status_code == 200 and r.json()["message"] == "User was successfully updated"
    assert master.login("victim", "Other-Pass2?").status_code == 200
    # a list it may not read is empty (Wazuh's "all denied"); naming a role is 403
    r = master.api("GET", "/security/roles", token=tok)
    assert r.status_code == 200 and r.json()["data"]["affected_items"] == []
    assert master.api("GET", "/security/roles", params={"role_ids": "1"},
                      token=tok).status_code == 403
    r = master.api("POST", "/security/users/%d/roles" % uid, params={"role_ids": "2"}, token=tok)
    assert r.status_code == 403 and r.json()["detail"].endswith("role:id")
    # Only reserved users may change a reserved user's password (5011).
    r = master.api("PUT", "/security/users/1", json={"password": "Other-Pass2?"}, token=tok)
    assert r.status_code == 400 and r.json()["error"] == 5011
    r = master.api("PUT", "/security/users/%d" % uid, json={}, token=tok)
    assert r.status_code == 400 and r.json()["error"] == 4001
    r = master.api("PUT", "/security/users/%d" % uid, json={"password": "weak"}, token=tok)
    assert r.status_code == 400 and r.json()["error"] == 5009
    r = master.api("PUT", "/security/users/555", json={"password": "Other-Pass2?"}, token=tok)
    assert r.json()["error"] == 1
    assert r.json()["data"]["failed_items"][0]["error"]["code"] == 5001

    r = master.api("DELETE", "/security/users", params={"user_ids": "1,%d,%d,999" % (uid, 100)},
                   token=tok)
    body = r.json()
    assert r.status_code == 200 and body["error"] == 2, body
    assert body["message"] == "Some users were not deleted"
    assert [u["username"] for u in body["data"]["affected_items"]] == ["victim"]
    codes = {f["error"]["code"]: f["id"] for f in body["data"]["failed_items"]}
    assert codes == {5001: [999], 5004: [1], 5008: [100]}, codes
    assert master.login("victim", "Other-Pass2?").status_code == 401


def test_recreated_user_does_not_inherit_tokens(master):
    uid = create_user(master, "phoenix", roles=[2])
    old = token_of(master, "phoenix")
    r = master.api("DELETE", "/security/users", params={"user_ids": str(uid)})
    assert r.json()["error"] == 0
    assert master.api("GET", "/agents", token=old).status_code == 401
    create_user(master, "phoenix", roles=[1])
    r = master.api("GET", "/agents", token=old)
    assert r.status_code == 401 and r.json()["detail"] == "Invalid token"
    assert master.api("GET", "/agents", token=token_of(master, "phoenix")).status_code == 200


def test_delete_all_users_spares_reserved_and_self(master):
    create_user(master, "one-user")
    create_user(master, "two-user")
    r = master.api("DELETE", "/security/users", params={"user_ids": "all"})
    body = r.json()
    assert body["error"] == 0 and body["message"] == "Users were successfully deleted"
    assert sorted(u["username"] for u in body["data"]["affected_items"]) == ["one-user",
                                                                             "two-user"]
    users = master.api("GET", "/security/users").json()["data"]["affected_items"]
    assert [u["username"] for u in users] == ["wazuh"]


@pytest.mark.registries
def test_revoke_and_logout(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    create_user(node, "someone", roles=[2])
    old_admin = node.token()
    old_user = token_of(node, "someone")
    r = node.api("PUT", "/security/user/revoke")
    assert r.status_code == 200
    assert r.json() == {"message": "Tokens were successfully revoked", "error": 0}
    for tok in (old_admin, old_user):
        r = node.api("GET", "/agents", token=tok)
        assert r.status_code == 401 and r.json() == {"title": "Unauthorized",
                                                     "detail": "Invalid token"}
    # A token issued right after the revocation works (same second included).
    fresh = token_of(node, vigil.API_USER, vigil.API_PASSWORD)
    assert node.api("GET", "/agents", token=fresh).status_code == 200

    # Logout revokes that user's tokens only.
    user_tok = token_of(node, "someone")
    r = node.api("DELETE", "/security/user/authenticate", token=user_tok)
    assert r.json() == {"message": "User someone was successfully logged out", "error": 0}
    assert node.api("GET", "/agents", token=user_tok).status_code == 401
    assert node.api("GET", "/agents", token=fresh).status_code == 200

    # Revocation survives a restart.
    node.stop()
    procs.remove(node)
    node2 = vigil.Node(tmp_path)
    procs.append(node2)
    assert node2.api("GET", "/agents", token=old_admin).status_code == 401
    assert node2.api("GET", "/agents", token=fresh).status_code == 200


@pytest.mark.registries
def test_security_config(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    r = node.api("GET", "/security/config")
    assert r.json() == {"data": {"auth_token_exp_timeout": 900, "rbac_mode": "white"},
                        "error": 0}
    old = node.token()
    r = node.api("PUT", "/security/config", json={"auth_token_exp_timeout": 3})
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Configuration was successfully updated", "error": 0}
    assert node.api("GET", "/", token=old).status_code == 401
    # a 3 s token: on a loaded machine a login and the next request can be further apart,
    # so the calls below that need a live one log in afresh until it is
    def fresh(method, path, **kw):
        # (a list: a Response answering 400 is false)
        return vigil.wait_for(lambda: (lambda r: r.status_code != 401 and [r])(node.api(
            method, path, token=token_of(node, vigil.API_USER, vigil.API_PASSWORD), **kw)),
            60, 0.1, "%s %s with a token still alive" % (method, path))[0]
    r = fresh("GET", "/security/config")
    assert r.json()["data"] == {"auth_token_exp_timeout": 3, "rbac_mode": "white"}
    tok = token_of(node, vigil.API_USER, vigil.API_PASSWORD)
    vigil.wait_for(lambda: node.api("GET", "/", token=tok).status_code == 401, 10, 0.1,
                   "the 3 s token to expire")
    r = node.api("GET", "/", token=tok)
    assert r.status_code == 401 and r.json()["detail"] == "Token expired"

    for bad in ({}, {"auth_token_exp_timeout": "x"}, {"auth_token_exp_timeout": 0},
                {"rbac_mode": "grey"}, {"other": 1}):
        r = fresh("PUT", "/security/config", json=bad)
        assert r.status_code == 400, (bad, r.text)

    # tokens live 3 s until the timeout is raised again
    assert fresh("PUT", "/security/config", json={"auth_token_exp_timeout": 900}).status_code \
        == 200

    # Black mode: what no policy denies is allowed, even with no role at all.
    tok = token_of(node, vigil.API_USER, vigil.API_PASSWORD)
    create_user(node, "norole", token=tok)
    nt = token_of(node, "norole")
    assert node.api("GET", "/agents", token=nt).json()["data"]["affected_items"] == []
    assert node.api("GET", "/security/config", token=nt).status_code == 403
    r = node.api("PUT", "/security/config", json={"rbac_mode": "black",
                                                  "auth_token_exp_timeout": 600}, token=tok)
    assert r.status_code == 200
    nt = token_of(node, "norole")
    assert node.api("GET", "/agents", token=nt).json()["data"]["affected_items"] != []
    assert node.api("GET", "/security/config", token=nt).json()["data"] == {
        "auth_token_exp_timeout": 600, "rbac_mode": "black"}
    # DELETE restores the defaults.
    r = node.api("DELETE", "/security/config", token=nt)
    assert r.status_code == 200
    tok = token_of(node, vigil.API_USER, vigil.API_PASSWORD)
    assert node.api("GET", "/security/config", token=tok).json()["data"] == {
        "auth_token_exp_timeout": 900, "rbac_mode": "white"}


def test_login_lockout(tmp_path, procs):
    # The block runs from the first failure in whole seconds: it may end block_time - 1 s
    # after it.  5 s leaves room for the five logins below on a loaded machine.
    node = vigil.Node(tmp_path, args=["--max-login-attempts", "3", "--block-time", "5"])
    procs.append(node)
    node.token()
    for _ in range(3):
        assert node.login("wazuh", "wrong").status_code == 401
    blocked = {"title": "Permission Denied",
               "detail": "Limit of login attempts reached. The current IP has been blocked "
                         "due to a high number of login attempts",
               "error": 6000}
    for user, pw in (("wazuh", "wrong"), (vigil.API_USER, vigil.API_PASSWORD)):
        r = node.login(user, pw)
        assert r.status_code == 403 and r.json() == blocked, r.text
    # Tokens issued before keep working; the block is on logins.
    assert node.api("GET", "/").status_code == 200
    vigil.wait_for(lambda: node.login().status_code == 200, 20, interval=0.25,
                   what="the block to end after block_time")


def test_successful_logins_do_not_count(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--max-login-attempts", "2", "--block-time", "60"])
    procs.append(node)
    for _ in range(5):
        assert node.login().status_code == 200
    assert node.login("wazuh", "wrong").status_code == 401
    assert node.login().status_code == 200


def test_rate_limit(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--max-request-per-minute", "5"])
    procs.append(node)
    create_user(node, "other", roles=[2])   # 2 requests of wazuh's 5 (logins do not count)
    other = token_of(node, "other")
    codes = [node.api("GET", "/").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429], codes
    r = node.api("GET", "/agents")
    assert r.status_code == 429
    assert r.json() == vigil.TOO_MANY_REQUESTS
    # The limit is per user: another user is not affected.
    assert node.api("GET", "/", token=other).status_code == 200


def test_existing_users_are_migrated(tmp_path, procs):
    """A registry of schema 1 (users without roles) keeps its users, as administrators."""
    data = os.path.join(str(tmp_path), "master-node")
    node = vigil.Node(tmp_path)
    node.stop()
    db = sqlite3.connect(os.path.join(data, "registry.db"))
    # Rebuild the version-1 user table by hand, with the hash vigild stored (and no
    # groups: they came in version 3; nor agent_seen, version 4; nor the RBAC, version 6;
    # nor jobs, versions 7 to 9).
    hash_ = db.execute("SELECT hash FROM user WHERE name = 'wazuh'").fetchone()[0]
    db.executescript("DROP TABLE user; DROP TABLE user_role; DROP TABLE grp;"
                     "DROP TABLE agent_seen; DROP TABLE role; DROP TABLE policy;"
                     "DROP TABLE rule; DROP TABLE role_policy; DROP TABLE role_rule;"
                     "DROP TABLE job; DROP TABLE job_agent; DROP TABLE job_sent; DROP TABLE job_wave;"
                     "CREATE TABLE user (name TEXT PRIMARY KEY, hash TEXT NOT NULL);"
                     "PRAGMA user_version = 1;")
    db.execute("INSERT INTO user (name, hash) VALUES ('wazuh', ?), ('legacy', ?)",
               (hash_, hash_))
    db.commit()
    db.close()
    node = vigil.Node(tmp_path, env={"VIGIL_API_PASSWORD": ""})
    procs.append(node)
    tok = token_of(node, "legacy", vigil.API_PASSWORD)
    users = node.api("GET", "/security/users", token=tok).json()["data"]["affected_items"]
    assert users == [{"id": 1, "username": "wazuh", "allow_run_as": False, "roles": [1]},
                     {"id": 2, "username": "legacy", "allow_run_as": False, "roles": [1]}]


def test_unauthenticated_security_paths(master):
    for method, path in (("GET", "/security/users"), ("PUT", "/security/user/revoke"),
                         ("DELETE", "/security/user/authenticate"),
                         ("GET", "/security/config")):
        r = requests.request(method, master.url + path, verify=False, timeout=10)
        assert r.status_code == 401, (method, path)
