"""REST API authentication, GET /, and request validation against a real vigild."""

import requests

import vigil


def test_login_returns_jwt(master):
    r = master.login()
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["error"] == 0
    token = body["data"]["token"]
    assert token.count(".") == 2
    r = master.api("GET", "/", token=token)
    assert r.status_code == 200


def test_login_raw(master):
    r = master.login(raw=True)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.text.count(".") == 2 and "{" not in r.text
    assert master.api("GET", "/", token=r.text).status_code == 200


def test_login_bad_credentials(master):
    for user, pw in (("wazuh", "wrong"), ("nobody", vigil.API_PASSWORD), ("", "")):
        r = master.login(user, pw)
        assert r.status_code == 401
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert r.json() == {"title": "Unauthorized", "detail": "Invalid credentials"}
    r = requests.post(master.url + "/security/user/authenticate", verify=False, timeout=10)
    assert r.status_code == 401
    r = requests.post(master.url + "/security/user/authenticate", verify=False, timeout=10,
                      headers={"Authorization": "Basic !!!notbase64"})
    assert r.status_code == 401


def test_missing_and_invalid_tokens(master):
    r = requests.get(master.url + "/agents", verify=False, timeout=10)
    assert r.status_code == 401
    assert r.json() == {"title": "Unauthorized", "detail": "No authorization token provided"}
    for bad in ("garbage", "a.b.c", master.token()[:-4] + "AAAA",
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3YXp1aCJ9."):
        r = master.api("GET", "/agents", token=bad)
        assert r.status_code == 401, bad
        assert r.json() == {"title": "Unauthorized", "detail": "Invalid token"}


def test_expired_token(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--token-lifetime", "1"])
    procs.append(node)
    # exp is whole seconds (as PyJWT's): a 1 s token lives until the next second starts,
    # which may be a moment after its login.  Log in until a token is seen working.
    def working_token():
        token = node.login().json()["data"]["token"]
        return node.api("GET", "/", token=token).status_code == 200 and token
    token = vigil.wait_for(working_token, 20, 0, "a token used within its lifetime")
    vigil.wait_for(lambda: node.api("GET", "/", token=token).status_code == 401, 10, 0.1,
                   "the token to expire")
    r = node.api("GET", "/", token=token)
    assert r.status_code == 401
    assert r.json() == {"title": "Unauthorized", "detail": "Token expired"}


def test_root(master):
    r = master.api("GET", "/")
    body = r.json()
    assert body["error"] == 0
    d = body["data"]
    assert d["title"] == "Wazuh API REST"
    assert d["api_version"] == "4.12.0"
    assert d["license_name"] == "GPL 2.0"
    assert set(d) >= {"revision", "license_url", "hostname", "timestamp"}
    assert d["timestamp"].endswith("Z") and "T" in d["timestamp"]


def test_pretty_output(master):
    r = master.api("GET", "/agents/summary/status", params={"pretty": "true"})
    assert r.status_code == 200
    assert "\n   \"data\"" in r.text
    r = master.api("GET", "/agents/summary/status")
    assert "\n" not in r.text.strip() and '", "' in r.text or '": ' in r.text


def test_unknown_route_and_method(master):
    r = master.api("GET", "/no/such/thing")
    assert r.status_code == 404
    assert r.json() == {"title": "Not Found", "detail": "404: Not Found"}
    r = master.api("DELETE", "/agents/restart")
    assert r.status_code == 405
    assert r.json() == {"title": "Method Not Allowed", "detail": "405: Method Not Allowed"}


def test_strict_query_validation(master):
    cases = [
        ("GET", "/agents", {"nosuchparam": "1"}),
        ("GET", "/agents", {"limit": "0"}),
        ("GET", "/agents", {"limit": "100001"}),
        ("GET", "/agents", {"limit": "abc"}),
        ("GET", "/agents", {"offset": "-1"}),
        ("GET", "/agents", {"status": "sleeping"}),
        ("GET", "/agents", {"agents_list": "1"}),
        ("GET", "/agents", {"agents_list": "abc"}),
        ("GET", "/agents", {"pretty": "maybe"}),
        ("PUT", "/agents/restart", {"agents_list": "0x1"}),
        ("PUT", "/agents/restart", {"bogus": "1"}),
        ("PUT", "/agents/12/restart", {}),
        ("PUT", "/agents/abc/restart", {}),
        ("GET", "/agents/summary/status", {"x": "y"}),
    ]
    for method, path, params in cases:
        r = master.api(method, path, params=params)
        assert r.status_code == 400, (method, path, params, r.text)
        body = r.json()
        assert body["title"] == "Bad Request", body
        assert isinstance(body["detail"], str) and body["detail"], body
    r = master.api("GET", "/agents", params={"select": "nosuchfield"})
    assert r.status_code == 400 and r.json()["error"] == 1724
    r = master.api("GET", "/agents", params={"sort": "+nosuchfield"})
    assert r.status_code == 400 and r.json()["error"] == 1403
    # The daemon is still fine.
    assert master.api("GET", "/").status_code == 200


def test_summary_and_manager_row(master):
    r = master.api("GET", "/agents/summary/status")
    assert r.json() == {"data": {
        "connection": {"active": 0, "disconnected": 0, "never_connected": 0, "pending": 0,
                       "total": 0},
        "configuration": {"synced": 0, "total": 0, "not_synced": 0}}, "error": 0}
    agents = master.agents()
    assert list(agents) == ["000"]
    m = agents["000"]
    assert m["status"] == "active" and m["node_name"] == "master-node"
    assert m["version"].startswith("Wazuh v")
