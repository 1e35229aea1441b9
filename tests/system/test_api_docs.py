"""docs/api.md is held to the code: the routes and permissions that `vigild --print-routes`
lists, and the query parameters each endpoint really accepts (asked of a running master)."""

import os
import re
import subprocess

import requests

import vigil

DOC = os.path.join(vigil.ROOT, "docs", "api.md")
SRC = os.path.join(vigil.ROOT, "src", "node")
HEADING = re.compile(r"^### (GET|POST|PUT|DELETE) (/\S*)$")
SENTINEL = "zz_not_a_parameter"
EXTRA = re.compile(r"^Extra parameter\(s\) (.*) not in spec$")
CHUNK = 8


def doc_endpoints():
    """{(method, path with * for {x}): {"params": set, "permission": set}} from docs/api.md."""
    out, cur = {}, None
    with open(DOC) as f:
        for line in f:
            line = line.rstrip("\n")
            m = HEADING.match(line)
            if m:
                path = re.sub(r"\{[^}/]+\}", "*", m.group(2))
                cur = (m.group(1), path)
                assert cur not in out, "documented twice: %s %s" % cur
                out[cur] = {"params": None, "permission": None}
            elif cur and line.startswith("Parameters:"):
                out[cur]["params"] = set(re.findall(r"`([^`]+)`", line))
            elif cur and line.startswith("Permission:"):
                out[cur]["permission"] = set(re.findall(r"`([^`]+)`", line))
    for k, v in out.items():
        assert v["params"] is not None, "%s %s: no Parameters: line" % k
        assert v["permission"] is not None, "%s %s: no Permission: line" % k
    return out


def code_routes():
    """{(method, path): set of permissions} from vigild --print-routes."""
    p = subprocess.run([os.path.join(vigil.BUILD, "vigild"), "--print-routes"],
                       capture_output=True, text=True, timeout=10, check=True)
    out = {}
    for line in p.stdout.splitlines():
        method, path, *perms = line.split()
        out[(method, path)] = set(perms)
    return out


def candidate_params(doc):
    """Every name that could be a query parameter: those documented, and every short
    lower-case string literal in the API's sources (parameter tables and lists)."""
    names = set()
    for v in doc.values():
        names |= v["params"]
    for fn in os.listdir(SRC):
        if fn.startswith("api") and fn.endswith(".c"):
            with open(os.path.join(SRC, fn)) as f:
                names |= set(re.findall(r'"([A-Za-z][A-Za-z_.]{0,30})"', f.read()))
    return sorted(names)


def concrete(path):
    """A path to request: each * becomes a value that names nothing that exists."""
    return path.replace("*", "999")


def accepted(node, method, path, names):
    """The subset of names that the endpoint does not refuse as unknown. Each request
    carries SENTINEL, an unknown parameter, so that it is refused before it acts.
    The login takes the password (basic auth), every other path a token."""
    ok = set()
    login = path == "/security/user/authenticate" and method != "DELETE"
    http = requests.Session()         # one kept-alive connection: not a TLS handshake each
    if not login:
        http.headers["Authorization"] = "Bearer " + node.token()
    for i in range(0, len(names), CHUNK):
        chunk = names[i:i + CHUNK]
        # the two booleans every endpoint takes are checked before the rest
        params = {n: "false" if n in ("pretty", "wait_for_complete") else "x" for n in chunk}
        params[SENTINEL] = "1"
        if login:
            r = http.request(method, node.url + path, params=params, verify=False,
                             auth=(vigil.API_USER, vigil.API_PASSWORD), timeout=30)
        else:
            r = http.request(method, node.url + concrete(path), params=params, verify=False,
                             timeout=30)
        assert r.status_code == 400, (method, path, r.status_code, r.text[:300])
        m = EXTRA.match(r.json().get("detail", ""))
        assert m, (method, path, "no strict parameter check", r.text[:300])
        extras = {x.strip("'") for x in m.group(1).split(", ")}
        assert SENTINEL in extras, (method, path, r.text[:300])
        ok |= set(chunk) - extras
    http.close()
    return ok


def test_every_route_is_documented_with_its_permission():
    doc, code = doc_endpoints(), code_routes()
    assert sorted(set(code) - set(doc)) == [], "routes missing from docs/api.md"
    assert sorted(set(doc) - set(code)) == [], "docs/api.md documents routes that do not exist"
    for k, perms in code.items():
        assert doc[k]["permission"] == perms, (k, doc[k]["permission"], perms)


def test_documented_parameters_are_the_accepted_ones(master):
    doc = doc_endpoints()
    names = candidate_params(doc)
    for (method, path), v in sorted(doc.items()):
        got = accepted(master, method, path, names)
        assert got == v["params"], "%s %s: the code accepts %s, docs/api.md says %s" % (
            method, path, sorted(got), sorted(v["params"]))
