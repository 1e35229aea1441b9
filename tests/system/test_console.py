"""The web console (issue 15), in a real browser: Debian's chromium, headless, driven over
the DevTools protocol (cdp.py).  A master and two workers with 2,000 simulated agents; an
administrator logs in, sees the nodes and the agents, filters and pages them, opens an
agent, starts a rolling restart of a group and watches it complete (the counts shown are
the API's), starts another and cancels it; a readonly user sees everything and can start
nothing (no form, no button, and the API refuses the call).  The page must raise no
JavaScript error and no Content-Security-Policy violation, and its polling must stay well
within the API's default per-user request limit.  Screenshots of each step go to the
test's tmp dir and to $VIGIL_BUILD/console-screens/."""

import json
import os
import shutil

import pytest
import requests

import cdp
import vigil
from test_cluster import key, start_master, start_worker  # noqa: F401

STATES = ("pending", "delivered", "completed", "failed", "expired", "cancelled")
CSP_MUST = ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
            "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'")
N_AGENTS = 2000
GROUP_EVERY = 10            # every 10th agent is in group "web": 200 agents over the 3 nodes
DEFAULT_LIMIT = 300         # --max-request-per-minute's default (docs/security.md)
PASSWORD = "Console-Test-Pass1!"


def need_browser():
    if cdp.chromium_path() is None:
        pytest.skip("chromium is not installed (sh scripts/deps.sh installs it)")
    if cdp.websocket is None:
        pytest.skip("python3-websocket is not installed (sh scripts/deps.sh installs it)")


def get(node, path, **params):
    r = node.api("GET", path, params=params or None)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def create_user(node, name, role_id):
    r = node.api("POST", "/security/users", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200 and r.json()["error"] == 0, r.text
    uid = r.json()["data"]["affected_items"][0]["id"]
    r = node.api("POST", "/security/users/%d/roles" % uid, params={"role_ids": str(role_id)})
    assert r.status_code == 200 and r.json()["error"] == 0, r.text


class Shots:
    """Numbered screenshots in tmp_path/screens, copied to $VIGIL_BUILD/console-screens."""

    def __init__(self, browser, tmp_path):
        self.b = browser
        self.dir = os.path.join(str(tmp_path), "screens")
        self.out = os.path.join(vigil.BUILD, "console-screens")
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        self.n = 0

    def __call__(self, name):
        self.n += 1
        path = self.b.screenshot(os.path.join(self.dir, "%02d-%s.png" % (self.n, name)))
        shutil.copy(path, self.out)


def js(s):
    return json.dumps(s)


def count(b, selector):
    """The data-count of the element at selector (None while it is not there)."""
    return b.evaluate("(() => { const e = document.querySelector(%s); return e ? +e.dataset.count"
                      " : null; })()" % js(selector))


def go(b, link):
    """Follows a link of the page's navigation (a real <a>, as a user would)."""
    b.click("a[href=%s]" % js(link))


def login(b, user):
    b.wait("!document.getElementById('login').hidden", what="the login form")
    b.fill("#login-user", user)
    b.fill("#login-pass", PASSWORD)
    b.key("Enter", vk=13)           # the keyboard submits the form
    b.wait("document.body.dataset.user === %s && !!document.querySelector('#nodes-table')"
           % js(user), what="%s logged in, on the nodes view" % user)


def node_counts(b):
    """The nodes table: {node: {status: count}} as shown."""
    return b.evaluate("""(() => { const out = {};
        for (const tr of document.querySelectorAll('#nodes-table tbody tr')) {
          out[tr.dataset.node] = {};
          for (const td of tr.querySelectorAll('td[data-status]'))
            out[tr.dataset.node][td.dataset.status] = +td.dataset.count; }
        return out; })()""")


def job_shown(b):
    """The job page's status and counts as shown."""
    return b.evaluate("""(() => { const s = document.querySelector('#job-status');
        if (!s) return null;
        const c = {};
        for (const d of document.querySelectorAll('#job-counts [data-state]'))
          c[d.dataset.state] = +d.dataset.count;
        return {status: s.dataset.status, counts: c,
                total: +document.querySelector('#job-total').dataset.count}; })()""")


def start_restart(b, shots, target, value, inflight, rate, expect):
    """The rolling-restart form: target and pace, review, confirm; returns the job id."""
    go(b, "#/restart")
    b.wait("!!document.querySelector('#restart-form')", what="the restart form")
    sel = {"group": "#r-group", "node": "#r-node"}[target]
    b.wait("!!document.querySelector(%s)" % js("%s option[value=%s]" % (sel, js(value))),
           what="%s %s among the choices" % (target, value))
    assert unlabelled(b) == []
    b.click("#t-" + target)
    b.evaluate("(() => { const s = document.querySelector(%s); s.value = %s;"
               " s.dispatchEvent(new Event('change')); })()" % (js(sel), js(value)))
    b.fill("#r-inflight", str(inflight))
    b.fill("#r-rate", str(rate))
    b.click("#restart-review")
    q = b.wait("(() => { const q = document.querySelector('#confirm-q'); return q && q.textContent;"
               " })()", what="the confirmation")
    assert expect in q, q
    shots("restart-confirm-%s" % target)
    b.click("#confirm-yes")
    jid = b.wait("(() => { const m = location.hash.match(/^#\\/job\\/(\\d+)$/); return m && m[1]; })()",
                 what="the job's page")
    b.wait("!!document.querySelector('#job-status')", what="the job shown")
    return jid


def unlabelled(b):
    """The view's inputs and selects that have no label (a <label for> or aria-label)."""
    return b.evaluate("[...document.querySelectorAll('#view input, #view select')].filter((e) =>"
                      " !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
                      ".map((e) => e.id || e.outerHTML)")


def api_rate(b):
    """The most API requests the page made in any 60 s (the console's files left out)."""
    t = sorted(ts for ts, _, url in b.requests if "/console/" not in url)
    most, j = 0, 0
    for i in range(len(t)):
        while t[i] - t[j] >= 60:
            j += 1
        most = max(most, i - j + 1)
    return most, len(t)


def test_console_files_and_their_headers(master):
    """No browser: what vigild answers under /console, and that the API is untouched."""
    base = master.url
    r = requests.get(base + "/console/", verify=False, timeout=10)
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = r.headers["Content-Security-Policy"]
    for d in CSP_MUST:
        assert d in csp, csp
    assert "unsafe" not in csp and "*" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-cache" and r.headers["ETag"].startswith('"')
    assert '<script src="app.js" defer></script>' in r.text
    for path, ctype in (("app.js", "text/javascript; charset=utf-8"),
                        ("app.css", "text/css; charset=utf-8"), ("favicon.svg", "image/svg+xml"),
                        ("index.html", "text/html; charset=utf-8")):
        r = requests.get(base + "/console/" + path, verify=False, timeout=10)
        assert r.status_code == 200 and r.headers["Content-Type"] == ctype, path
        assert r.headers["Content-Security-Policy"] == csp
        etag = r.headers["ETag"]
        r2 = requests.get(base + "/console/" + path, verify=False, timeout=10,
                          headers={"If-None-Match": 'W/"other", ' + etag})
        assert r2.status_code == 304 and r2.content == b"" and r2.headers["ETag"] == etag
        r3 = requests.get(base + "/console/" + path, verify=False, timeout=10,
                          headers={"If-None-Match": '"other"'})
        assert r3.status_code == 200 and r3.content == r.content
    r = requests.get(base + "/console", verify=False, timeout=10, allow_redirects=False)
    assert r.status_code == 301 and r.headers["Location"] == "/console/"
    for path in ("/console/nope.js", "/console/%2e%2e/agents", "/console/app.js/"):
        r = requests.get(base + path, verify=False, timeout=10)
        assert r.status_code == 404 and r.headers["Content-Security-Policy"] == csp, path
    r = requests.post(base + "/console/", verify=False, timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    r = requests.head(base + "/console/app.js", verify=False, timeout=10)
    assert r.status_code == 200 and r.content == b""
    # the console is public; the API behind it is not
    assert requests.get(base + "/agents", verify=False, timeout=10).status_code == 401
    assert "Content-Security-Policy" not in requests.get(base + "/", verify=False,
                                                         timeout=10).headers


def test_the_console_in_a_browser(tmp_path, procs, key):  # noqa: F811
    need_browser()
    # the default request limit: the console's polling must live within it
    master = start_master(tmp_path, procs, key, args=["--max-request-per-minute",
                                                      str(DEFAULT_LIMIT)])
    workers = [start_worker(tmp_path, procs, key, master, "worker%d" % i) for i in (1, 2)]
    sim = vigil.Sim(tmp_path, master, N_AGENTS, name="sim",
                    managers=",".join(n.agent_addr for n in [master] + workers),
                    args=["--keepalive", "5", "--restart-delay", "200",
                          "--enroll-concurrency", "100"])
    procs.append(sim)
    # (the test's own requests, as user wazuh, stay under the limit too: a poll a second)
    vigil.wait_for(lambda: get(master, "/agents/summary/status")["connection"]["active"]
                   == N_AGENTS, 240, 1.0, "%d agents active" % N_AGENTS)
    ids = sorted(a["id"] for a in get(master, "/agents", select="id", limit="100000")
                 ["affected_items"] if a["id"] != "000")
    web = ids[::GROUP_EVERY]
    assert master.api("POST", "/groups", json={"group_id": "web"}).status_code == 200
    r = master.api("PUT", "/agents/group", params={"group_id": "web",
                                                   "agents_list": ",".join(web)})
    assert r.status_code == 200 and r.json()["data"]["total_affected_items"] == len(web), r.text
    create_user(master, "operator", 1)          # administrator
    create_user(master, "viewer", 2)       # readonly

    b = cdp.Browser(tmp_path, spki=cdp.spki_hash(os.path.join(master.data_dir,
                                                               "sslmanager.cert")))
    # CSP violations as the page sees them, from the first document on
    b.send("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"))
    shots = Shots(b, tmp_path)
    try:
        b.navigate(master.url + "/console/")
        shots("login")
        # the keyboard reaches the page, and the focus can be seen
        b.wait("!document.getElementById('login').hidden", what="the login form")
        b.key("Tab", vk=9)
        assert b.evaluate("(() => { const e = document.activeElement; return e.matches("
                          "':focus-visible') && getComputedStyle(e).outlineStyle !== 'none'"
                          " && e.id; })()") == "login-pass"     # from the user's field
        login(b, "operator")

        # ---- the nodes and their agents by status: the API's numbers ----
        dist = get(master, "/agents/stats/distinct", fields="node_name,status", q="id!=000")
        want = {}
        for d in dist["affected_items"]:
            want.setdefault(d["node_name"], {})[d["status"]] = d["count"]
        assert set(want) == {"master-node", "worker1", "worker2"}, want
        b.wait("document.querySelectorAll('#nodes-table tbody tr').length === 3 &&"
               " +document.querySelector('#total').dataset.count === %d" % N_AGENTS,
               what="three nodes and %d agents" % N_AGENTS)
        shown = node_counts(b)
        for name, by in want.items():
            assert shown[name]["active"] == by["active"], (name, shown, want)
            assert shown[name]["total"] == sum(by.values())
        assert sum(s["total"] for s in shown.values()) == N_AGENTS
        assert b.evaluate("document.querySelector('#nodes-table tbody tr').dataset.node") == \
            "master-node"
        shots("nodes")

        # ---- the agents list: filters, search, pages ----
        go(b, "#/agents")
        b.wait("+(document.querySelector('#agents-total') || {dataset: {}}).dataset.count === %d"
               % (N_AGENTS + 1), what="every agent listed (000 too)")
        assert b.evaluate("document.querySelectorAll('#agents-table tbody tr').length") == 100
        assert unlabelled(b) == []
        shots("agents")
        b.evaluate("document.querySelector('#f-status').value = 'active'")
        b.fill("#f-node", "worker1")
        b.fill("#f-group", "web")
        b.key("Enter", vk=13)
        n_w1 = get(master, "/agents", status="active", node_name="worker1", group="web",
                   limit="1")["total_affected_items"]
        assert 0 < n_w1 < len(web)
        b.wait("location.hash.includes('node=worker1') && +(document.querySelector("
               "'#agents-total') || {dataset: {}}).dataset.count === %d" % n_w1,
               what="the filtered count")
        rows = b.evaluate("[...document.querySelectorAll('#agents-table tbody tr')]"
                          ".map((tr) => tr.dataset.id)")
        assert rows == [a["id"] for a in get(master, "/agents", status="active",
                                              node_name="worker1", group="web", sort="+id",
                                              limit="100", select="id")["affected_items"]]
        shots("agents-filtered")
        # search, and the second page of everything
        name = get(master, "/agents", agents_list=ids[-1], select="name")["affected_items"][0]["name"]
        b.evaluate("location.hash = '#/agents'")
        b.wait("!document.querySelector('#f-node').value && !!document.querySelector('#agents-table')")
        b.fill("#f-search", name)
        b.key("Enter", vk=13)
        n_s = get(master, "/agents", search=name, limit="1")["total_affected_items"]
        b.wait("location.hash.includes('search=') && +(document.querySelector('#agents-total')"
               " || {dataset: {}}).dataset.count === %d" % n_s, what="the search's count")
        b.evaluate("location.hash = '#/agents'")
        b.wait("+(document.querySelector('#agents-total') || {dataset: {}}).dataset.count === %d"
               " && !document.querySelector('#f-search').value" % (N_AGENTS + 1))
        b.click("#next")
        page2 = [a["id"] for a in get(master, "/agents", sort="+id", offset="100", limit="100",
                                      select="id")["affected_items"]]
        b.wait("location.hash.includes('offset=100') && document.querySelector('#agents-table"
               " tbody tr') && document.querySelector('#agents-table tbody tr').dataset.id === %s"
               % js(page2[0]), what="the second page")

        # ---- one agent ----
        b.click("#agents-table tbody tr a")
        b.wait("(document.querySelector('#agent-status') || {}).textContent === 'active'",
               what="the agent's page")
        assert b.evaluate("document.querySelector('#view h1').textContent") == "Agent " + page2[0]
        assert b.evaluate("!!document.querySelector('#agent-restart')")
        shots("agent")

        # ---- a rolling restart of the group, watched to the end ----
        jid = start_restart(b, shots, "group", "web", 20, 50,
                            "the agents of group web (%d active now)" % len(web))
        shots("job-running")
        b.wait("(document.querySelector('#job-status') || {dataset: {}}).dataset.status === 'done'",
               180, "the job done, on its page")
        shown = job_shown(b)
        api_job = get(master, "/jobs/%s" % jid)["affected_items"][0]
        assert api_job["status"] == "done" and api_job["total"] == len(web)
        assert shown["counts"] == api_job["counts"] and shown["total"] == api_job["total"]
        assert shown["counts"]["completed"] == len(web), shown
        assert api_job["scope"] == "group web" and api_job["user"] == "operator"
        assert b.evaluate("!document.querySelector('#job-cancel')")       # nothing to cancel
        shots("job-done")

        # ---- another, cancelled from its page ----
        jid2 = start_restart(b, shots, "node", "worker2", 1, 1, "the agents on node worker2")
        b.wait("!!document.querySelector('#job-cancel')", what="the cancel button")
        b.click("#job-cancel")
        b.wait("!!document.querySelector('#confirm-yes')", what="the cancel's confirmation")
        shots("job-cancel-confirm")
        b.click("#confirm-yes")
        b.wait("(document.querySelector('#job-status') || {dataset: {}}).dataset.status === 'done'",
               120, "the cancelled job done")
        shown = job_shown(b)
        api_job = get(master, "/jobs/%s" % jid2)["affected_items"][0]
        assert api_job["cancelled"] is not None
        assert shown["counts"] == api_job["counts"] and shown["counts"]["cancelled"] > 0, shown
        assert shown["total"] == api_job["total"] and api_job["scope"] == "node worker2"
        shots("job-cancelled")
        go(b, "#/jobs")
        b.wait("document.querySelectorAll('#jobs-table tbody tr').length === 2", what="two jobs")
        assert b.evaluate("[...document.querySelectorAll('#jobs-table tbody tr')]"
                          ".map((tr) => tr.dataset.job)") == [jid2, jid]
        shots("jobs")

        # ---- the readonly user: sees, cannot act ----
        # a running job (started through the API) that the viewer must not be offered to cancel
        r = master.api("PUT", "/agents/node/worker1/restart", params={"max_in_flight": "1",
                                                                       "rate": "1"})
        assert r.status_code == 200, r.text
        jid3 = r.headers["X-Vigil-Job"]
        b.click("#logout")
        login(b, "viewer")
        b.wait("+(document.querySelector('#total') || {dataset: {}}).dataset.count === %d"
               % N_AGENTS, what="the viewer sees every agent")
        assert b.evaluate("document.body.dataset.canRestart") == "no"
        assert b.evaluate("document.querySelector('#nav-restart').hidden")
        b.evaluate("location.hash = '#/restart'")
        b.wait("!!document.querySelector('#restart-denied')", what="the refusal")
        assert b.evaluate("!document.querySelector('#restart-form') &&"
                          " !document.querySelector('#restart-review')")
        shots("readonly-restart")
        b.evaluate("location.hash = '#/job/%s'" % jid3)
        b.wait("(document.querySelector('#job-status') || {dataset: {}}).dataset.status ==="
               " 'running' && !!document.querySelector('#job-agents')", what="the running job")
        assert b.evaluate("!document.querySelector('#job-cancel')")
        shots("readonly-job")
        b.evaluate("location.hash = '#/jobs'")
        b.wait("document.querySelectorAll('#jobs-table tbody tr').length === 3")
        assert b.evaluate("!document.querySelector('#new-restart')")
        b.evaluate("location.hash = '#/agent/%s'" % ids[0])
        b.wait("(document.querySelector('#agent-status') || {}).textContent === 'active'")
        assert b.evaluate("!document.querySelector('#agent-restart')")
        shots("readonly-agent")
        # and the API refuses the call the page does not offer
        tok = master.login("viewer", PASSWORD).json()["data"]["token"]
        for method, path in (("PUT", "/agents/group/web/restart"), ("PUT", "/agents/restart"),
                             ("PUT", "/jobs/%s/cancel" % jid3)):
            r = master.api(method, path, token=tok)
            assert r.status_code == 403 and r.json()["error"] == 4000, (path, r.text)
        assert len(get(master, "/jobs")["affected_items"]) == 3
        assert get(master, "/jobs/%s" % jid3)["affected_items"][0]["cancelled"] is None
        assert master.api("PUT", "/jobs/%s/cancel" % jid3).status_code == 200

        # ---- no JavaScript error, no CSP violation, polling within the limit ----
        b.pump()
        assert b.evaluate("window.__csp") == []
        assert b.errors() == []
        most, total = api_rate(b)
        print("console API requests: %d in all, at most %d in any minute" % (total, most))
        assert most <= DEFAULT_LIMIT // 2, most
    finally:
        b.close()
