"""GET /metrics (issue 15): Prometheus' text format 0.0.4, checked by a strict parser written
here, on the master's API port (metrics token or JWT) and on a worker's metrics port (off
unless asked); the numbers agree with the API's.  Every wait is for a state."""

import math
import os
import re
import socket
import ssl

import pytest
import requests

import vigil
from test_api_security import create_user, token_of
from test_cluster import key, start_master, start_worker  # noqa: F401

TOKEN = "metrics-token-0123456789abcdef"
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class ParseError(Exception):
    pass


def _labels(s, i, line):
    """Parses '{a="x",b="y"}' from s[i] == '{'; returns (dict, index after '}')."""
    out = {}
    i += 1
    while True:
        if s.startswith("}", i):
            if out and s[i - 1] == ",":
                raise ParseError("trailing comma: %r" % line)
            return out, i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        if not m:
            raise ParseError("bad label name: %r" % line)
        name = m.group(0)
        if name.startswith("__"):
            raise ParseError("reserved label name %s: %r" % (name, line))
        i = m.end()
        if not s.startswith('="', i):
            raise ParseError("expected =\": %r" % line)
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise ParseError("unterminated label value: %r" % line)
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ParseError("bad escape \\%s: %r" % (nxt, line))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ParseError("newline in label value: %r" % line)
            else:
                val.append(c)
                i += 1
        if name in out:
            raise ParseError("label %s twice: %r" % (name, line))
        out[name] = "".join(val)
        if s.startswith(",", i):
            i += 1
        elif not s.startswith("}", i):
            raise ParseError("expected , or }: %r" % line)


def _value(v, line):
    if v in ("+Inf", "Inf"):
        return math.inf
    if v == "-Inf":
        return -math.inf
    if v == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", v):
        raise ParseError("bad value %r: %r" % (v, line))
    return float(v)


def parse(text):
    """The exposition as {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Strict: HELP and TYPE (once each) before a family's samples, one group per family,
    valid names, escapes and values, no duplicate series, counters named *_total,
    histograms with cumulative monotone buckets ending in le="+Inf" equal to _count and
    a _sum; anything else raises ParseError."""
    if not text.endswith("\n"):
        raise ParseError("text does not end with a newline")
    fams, series, order = {}, set(), []
    current = None
    for line in text[:-1].split("\n"):
        if line == "":
            raise ParseError("empty line")
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (\S+) ?(.*)", line)
            if not m:
                raise ParseError("comment other than HELP/TYPE: %r" % line)
            kind, name, rest = m.groups()
            if not NAME.match(name):
                raise ParseError("bad metric name: %r" % line)
            f = fams.get(name)
            if f is None:
                f = fams[name] = {"type": None, "help": None, "samples": []}
                order.append(name)
            elif f["samples"]:
                raise ParseError("%s after samples of %s" % (kind, name))
            if current is not None and current != name and fams[current]["samples"] == [] \
                    and (fams[current]["type"] is None or fams[current]["help"] is None):
                raise ParseError("family %s left without HELP and TYPE" % current)
            current = name
            if kind == "TYPE":
                if f["type"] is not None:
                    raise ParseError("second TYPE for %s" % name)
                if rest not in TYPES:
                    raise ParseError("bad type: %r" % line)
                f["type"] = rest
            else:
                if f["help"] is not None:
                    raise ParseError("second HELP for %s" % name)
                if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                    raise ParseError("bad escape in HELP: %r" % line)
                f["help"] = rest.replace("\\n", "\n").replace("\\\\", "\\")
            continue
        m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(line)
        if not m:
            raise ParseError("bad sample name: %r" % line)
        name, i = m.group(0), m.end()
        labels = {}
        if line.startswith("{", i):
            labels, i = _labels(line, i, line)
        if not line.startswith(" ", i):
            raise ParseError("expected a space before the value: %r" % line)
        parts = line[i + 1:].split(" ")
        if len(parts) not in (1, 2) or (len(parts) == 2 and not re.fullmatch(r"-?\d+", parts[1])):
            raise ParseError("bad value or timestamp: %r" % line)
        value = _value(parts[0], line)
        fam = None
        for cand, suffixes in ((name, ("",)),
                               (re.sub(r"_(bucket|sum|count)$", "", name), ("_bucket", "_sum",
                                                                          "_count"))):
            if cand in fams and any(name == cand + s for s in suffixes):
                fam = cand
                break
        if fam is None or fam != current:
            raise ParseError("sample %s outside its family's group (or before HELP/TYPE)" % name)
        f = fams[fam]
        if f["type"] is None or f["help"] is None:
            raise ParseError("sample of %s before its HELP and TYPE" % fam)
        t = f["type"]
        if t in ("counter", "gauge", "untyped") and name != fam:
            raise ParseError("%s sample %s of family %s" % (t, name, fam))
        if t == "counter":
            if not fam.endswith("_total"):
                raise ParseError("counter %s does not end in _total" % fam)
            if not value >= 0:
                raise ParseError("counter %s negative or NaN" % fam)
        if t == "histogram":
            if name == fam:
                raise ParseError("histogram sample without a suffix: %s" % name)
            if (name.endswith("_bucket")) != ("le" in labels):
                raise ParseError("le on a non-bucket or a bucket without le: %r" % line)
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise ParseError("duplicate series: %r" % line)
        series.add(key)
        f["samples"].append((name, labels, value))
    for name in order:
        f = fams[name]
        if f["type"] is None or f["help"] is None:
            raise ParseError("family %s without HELP or TYPE" % name)
        if f["type"] == "histogram":
            _check_histogram(name, f["samples"])
    return fams


def _check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if sname.endswith("_bucket"):
            g["buckets"].append((_value(labels["le"], labels["le"]), value))
        elif sname.endswith("_sum"):
            g["sum"] = value
        else:
            g["count"] = value
    for rest, g in groups.items():
        b = g["buckets"]
        if not b or b[-1][0] != math.inf:
            raise ParseError("%s%s: last bucket is not le=\"+Inf\"" % (name, rest))
        if [x[0] for x in b] != sorted(x[0] for x in b) or len({x[0] for x in b}) != len(b):
            raise ParseError("%s%s: bucket bounds not ascending" % (name, rest))
        if any(b[k][1] > b[k + 1][1] for k in range(len(b) - 1)):
            raise ParseError("%s%s: buckets not cumulative" % (name, rest))
        if g["sum"] is None or g["count"] is None:
            raise ParseError("%s%s: _sum or _count missing" % (name, rest))
        if b[-1][1] != g["count"]:
            raise ParseError("%s%s: +Inf bucket %s != _count %s" % (name, rest, b[-1][1],
                                                                     g["count"]))


def value(fams, name, **labels):
    """The one sample of name whose labels include labels (0 when none; two: an error)."""
    fam = re.sub(r"_(bucket|sum|count)$", "", name) if name not in fams else name
    got = [v for n, lab, v in fams.get(fam, {"samples": []})["samples"]
           if n == name and all(lab.get(k) == str(x) for k, x in labels.items())]
    assert len(got) <= 1, (name, labels, got)
    return got[0] if got else 0


def total(fams, name, **labels):
    fam = re.sub(r"_(bucket|sum|count)$", "", name) if name not in fams else name
    return sum(v for n, lab, v in fams.get(fam, {"samples": []})["samples"]
               if n == name and all(lab.get(k) == str(x) for k, x in labels.items()))


GOOD = ("# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\na_total{x=\"2\"} 0\n"
        "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
        "h_sum 0.5\nh_count 2\n"
        "# TYPE g gauge\n# HELP g G \\\\ \\n.\ng{v=\"q\\\"\\\\\\n\"} -1.5e3\n")

BAD = [
    ("no newline at the end", GOOD[:-1]),
    ("sample before TYPE", "# HELP g G.\ng 1\n# TYPE g gauge\n"),
    ("no HELP", "# TYPE g gauge\ng 1\n"),
    ("second TYPE", "# HELP g G.\n# TYPE g gauge\n# TYPE g gauge\ng 1\n"),
    ("bad metric name", "# HELP 1g G.\n# TYPE 1g gauge\n1g 1\n"),
    ("bad label name", "# HELP g G.\n# TYPE g gauge\ng{a-b=\"1\"} 1\n"),
    ("reserved label name", "# HELP g G.\n# TYPE g gauge\ng{__x=\"1\"} 1\n"),
    ("bad escape", "# HELP g G.\n# TYPE g gauge\ng{a=\"\\t\"} 1\n"),
    ("unquoted value", "# HELP g G.\n# TYPE g gauge\ng{a=1} 1\n"),
    ("duplicate series", "# HELP g G.\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"1\"} 2\n"),
    ("counter without _total", "# HELP c C.\n# TYPE c counter\nc 1\n"),
    ("negative counter", "# HELP c_total C.\n# TYPE c_total counter\nc_total -1\n"),
    ("family split in two groups", "# HELP g G.\n# TYPE g gauge\ng{a=\"1\"} 1\n"
     "# HELP k K.\n# TYPE k gauge\nk 1\ng{a=\"2\"} 1\n"),
    ("bad value", "# HELP g G.\n# TYPE g gauge\ng one\n"),
    ("empty line", "# HELP g G.\n# TYPE g gauge\n\ng 1\n"),
    ("other comment", "# HELP g G.\n# TYPE g gauge\n# hello\ng 1\n"),
    ("buckets not cumulative", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
     "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
    ("+Inf bucket not _count", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
     "h_sum 1\nh_count 3\n"),
    ("no +Inf bucket", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\n"
     "h_count 1\n"),
    ("no _sum", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"),
    ("bounds not ascending", "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"2\"} 0\n"
     "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"),
    ("bucket without le", "# HELP h H.\n# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n"),
    ("gauge with a suffix", "# HELP g G.\n# TYPE g gauge\ng_count 1\n"),
    ("unknown type", "# HELP g G.\n# TYPE g gauges\ng 1\n"),
]


def test_the_parser_takes_good_text_and_rejects_every_bad_one():
    fams = parse(GOOD)
    assert value(fams, "a_total", x=1) == 2 and value(fams, "h_count") == 2
    assert fams["g"]["samples"][0][1] == {"v": "q\"\\\n"} and fams["g"]["help"] == "G \\ \n."
    for why, text in BAD:
        with pytest.raises(ParseError):
            parse(text)
            pytest.fail("accepted: " + why)


# ---- the nodes ----

def token_file(tmp_path, name="metrics.token", text=TOKEN, mode=0o600):
    p = tmp_path / name
    p.write_text(text + "\n")
    os.chmod(p, mode)
    return str(p)


def scrape(url, token=TOKEN, expect=200):
    headers = {"Authorization": "Bearer " + token} if token else {}
    r = requests.get(url + "/metrics", headers=headers, verify=False, timeout=10)
    assert r.status_code == expect, r.text
    if expect != 200:
        return r
    assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(r.text)


def listening_ports(pid):
    """The TCP ports process pid listens on (its sockets in /proc/net/tcp{,6}, state 0A)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    ports.add(int(cols[1].split(":")[1], 16))
    return ports


def enroll_raw(node, line):
    """One enrollment request line; the node's answer."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", node.enroll_port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            t.sendall(line)
            return t.recv(4096).decode(errors="replace")


def test_the_master_serves_metrics_to_its_token_or_a_jwt_with_cluster_read(tmp_path, procs):
    port = vigil.free_port()
    node = vigil.Node(tmp_path, args=["--metrics-token-file", token_file(tmp_path),
                                      "--metrics-port", str(port)])
    procs.append(node)
    r = scrape(node.url, token=None, expect=401)
    assert r.json() == {"title": "Unauthorized", "detail": "No authorization token provided"}
    r = scrape(node.url, token="not-" + TOKEN, expect=401)
    assert r.json() == {"title": "Unauthorized", "detail": "Invalid token"}
    scrape(node.url, token=TOKEN + "x", expect=401)
    fams = scrape(node.url)
    assert value(fams, "vigil_node_info", node="master-node", role="master") == 1
    fams = scrape(node.url, token=node.token())
    # a user whose roles may read the cluster may scrape; one who may not gets 403
    create_user(node, "clusterro", roles=[6])
    create_user(node, "agentsro", roles=[4])
    scrape(node.url, token=token_of(node, "clusterro"))
    r = scrape(node.url, token=token_of(node, "agentsro"), expect=403)
    assert r.json()["error"] == 4000
    # the 401s and 403 above are counted with their route and code
    fams = scrape(node.url)
    assert value(fams, "vigil_api_requests_total", method="GET", route="/metrics", code=401) == 3
    assert value(fams, "vigil_api_requests_total", method="GET", route="/metrics", code=403) == 1
    assert value(fams, "vigil_api_requests_total", method="GET", route="/metrics", code=200) >= 3
    # its metrics port serves the same text; those scrapes are not API requests
    before = value(fams, "vigil_api_requests_total", method="GET", route="/metrics", code=200)
    scrape("https://127.0.0.1:%d" % port)
    scrape("https://127.0.0.1:%d" % port, token=None, expect=401)
    fams = scrape(node.url)
    assert value(fams, "vigil_api_requests_total", method="GET", route="/metrics",
                 code=200) == before + 1
    assert total(fams, "vigil_api_requests_total", route="none") == 0, \
        fams["vigil_api_requests_total"]
    assert value(fams, "vigil_api_requests_total", method="GET", route="/metrics", code=401) == 3


def test_a_token_file_others_may_read_or_too_short_stops_the_node(tmp_path):
    for name, text, mode in (("open.token", TOKEN, 0o644), ("short.token", "short", 0o600)):
        argv = [os.path.join(vigil.BUILD, "vigild"), "--foreground", "--data-dir",
                str(tmp_path / name) + ".d", "--listen", "127.0.0.1", "--metrics-token-file",
                token_file(tmp_path, name, text, mode)]
        import subprocess
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert p.returncode != 0, p.stderr
        assert "metrics token" in p.stderr and "cannot be used" in p.stderr, p.stderr


def test_the_api_answers_are_counted_by_route_template_and_code(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--metrics-token-file", token_file(tmp_path)])
    procs.append(node)
    assert node.login(password="wrong").status_code == 401
    assert requests.get(node.url + "/agents", verify=False, timeout=10).status_code == 401
    assert node.api("GET", "/agents/summary/status").status_code == 200
    assert node.api("PUT", "/agents/001/restart").status_code == 200
    assert node.api("PUT", "/agents/002/restart").status_code == 200
    assert node.api("GET", "/no/such/path").status_code == 404
    assert node.api("PATCH", "/agents").status_code == 405
    fams = scrape(node.url)
    req = "vigil_api_requests_total"
    assert value(fams, req, method="POST", route="/security/user/authenticate", code=401) == 1
    assert value(fams, req, method="GET", route="/agents", code=401) == 1
    assert value(fams, req, method="GET", route="/agents/summary/status", code=200) == 1
    assert value(fams, req, method="PUT", route="/agents/{agent_id}/restart", code=200) == 2
    assert value(fams, req, method="GET", route="none", code=404) == 1
    assert value(fams, req, method="OTHER", route="/agents", code=405) == 1
    routes = {lab["route"] for _, lab, _ in fams[req]["samples"]}
    assert not any(re.search(r"/\d", r) for r in routes), routes     # templates, never paths
    dur = "vigil_api_request_duration_seconds"
    assert value(fams, dur + "_count", method="PUT", route="/agents/{agent_id}/restart") == 2
    assert value(fams, dur + "_bucket", method="PUT", route="/agents/{agent_id}/restart",
                 le="+Inf") == 2
    # every route's histogram counts what the counter counts
    for sample, lab, v in fams[dur]["samples"]:
        if sample.endswith("_count"):
            assert v == total(fams, req, method=lab["method"], route=lab["route"]), lab


def on_node(fams, status, node):
    return value(fams, "vigil_agents", status=status, node=node)


def test_a_cluster_scraped_agrees_with_the_api(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key,
                          args=["--metrics-token-file", token_file(tmp_path)])
    w1_port = vigil.free_port()
    w1 = start_worker(tmp_path, procs, key, master, "worker1",
                      args=["--metrics-port", str(w1_port), "--metrics-token-file",
                            token_file(tmp_path)])
    w2_port = vigil.free_port()
    w2 = start_worker(tmp_path, procs, key, master, "worker2",
                      args=["--metrics-port", str(w2_port)])
    sims = {}
    for name, node, count in (("m", master, 4), ("a", w1, 6), ("b", w2, 3)):
        sims[name] = vigil.Sim(tmp_path, master, count, name=name, managers=node.agent_addr,
                               args=["--keepalive", "1", "--restart-delay", "100"])
        procs.append(sims[name])
    summary = lambda: master.api("GET", "/agents/summary/status").json()["data"]["connection"]  # noqa
    vigil.wait_for(lambda: summary()["active"] == 13, 60, 0.2, "13 agents active")

    def agree():
        fams, s = scrape(master.url), summary()
        by_status = {st: total(fams, "vigil_agents", status=st) for st in
                     ("active", "pending", "disconnected", "never_connected")}
        want = {st: s[st] for st in by_status}
        return (by_status == want and on_node(fams, "active", "master-node") == 4 and
                on_node(fams, "active", "worker1") == 6 and
                on_node(fams, "active", "worker2") == 3) and fams
    fams = vigil.wait_for(agree, 30, 0.2, "the scrape's agents by status and node = the API's")
    assert value(fams, "vigil_registry_agents") == 13
    assert value(fams, "vigil_enrollments_total") == 13
    assert value(fams, "vigil_cluster_node_up", node="worker1", type="worker") == 1
    assert value(fams, "vigil_sync_records_applied_total") >= 9
    assert value(fams, "vigil_sync_lag_seconds_count") >= 9
    assert value(fams, "vigil_registry_commit_seconds_count") >= 1

    # a worker's port: its own agents, its token; the other worker's, open
    wf = scrape("https://127.0.0.1:%d" % w1_port)
    assert value(wf, "vigil_node_info", node="worker1", role="worker") == 1
    assert on_node(wf, "active", "worker1") == 6 and "vigil_jobs" not in wf
    r = scrape("https://127.0.0.1:%d" % w1_port, token=None, expect=401)
    assert r.json()["detail"] == "No authorization token provided"
    scrape("https://127.0.0.1:%d" % w1_port, token="x" * 30, expect=401)
    wf2 = scrape("https://127.0.0.1:%d" % w2_port, token=None)
    assert on_node(wf2, "active", "worker2") == 3
    assert requests.get("https://127.0.0.1:%d/agents" % w2_port, verify=False,
                        timeout=10).status_code == 404
    assert requests.post("https://127.0.0.1:%d/metrics" % w2_port, verify=False,
                         timeout=10).status_code == 404
    # the worker's scrapes are not API requests
    assert "vigil_api_requests_total" not in scrape("https://127.0.0.1:%d" % w2_port, None)

    # a restart of every agent: the job's counts as GET /jobs says
    r = master.api("PUT", "/agents/restart")
    assert r.status_code == 200, r.text
    jid = r.headers["X-Vigil-Job"]
    vigil.wait_for(lambda: master.api("GET", "/jobs/" + jid).json()["data"]["affected_items"][0]
                   ["status"] == "done", 60, 0.2, "the restart job done")
    jobs = master.api("GET", "/jobs").json()["data"]["affected_items"]
    fams = scrape(master.url)
    assert value(fams, "vigil_jobs", command="restart", status="done") == len(jobs) == 1
    for st in ("pending", "delivered", "completed", "failed", "expired", "cancelled"):
        assert value(fams, "vigil_job_agents", command="restart", state=st) == \
            sum(j["counts"][st] for j in jobs), st
    assert value(fams, "vigil_job_agents", command="restart", state="completed") == 13
    assert value(fams, "vigil_api_requests_total", method="PUT", route="/agents/restart",
                 code=200) == 1
    # each node wrote the restarts of its own agents
    assert value(fams, "vigil_commands_sent_total", command="restart") == 4
    wf = vigil.wait_for(lambda: (lambda f: value(f, "vigil_commands_sent_total",
                                                 command="restart") == 6 and f)(
        scrape("https://127.0.0.1:%d" % w1_port)), 30, 0.2, "worker1's 6 restarts counted")

    # an enrollment refused: counted by its reason
    assert "Invalid request" in enroll_raw(master, b"hello\n")
    fams = vigil.wait_for(lambda: (lambda f: value(f, "vigil_enrollment_failures_total",
                                                   reason="request") == 1 and f)(
        scrape(master.url)), 10, 0.1, "the refused enrollment counted")
    assert total(fams, "vigil_enrollment_failures_total") == 1


def test_a_workers_metrics_port_is_off_unless_asked(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w = start_worker(tmp_path, procs, key, master, "worker1")
    assert listening_ports(w.pid) == {w.agent_port, w.enroll_port}
    assert "/metrics" not in w.output()
    port = vigil.free_port()
    w2 = start_worker(tmp_path, procs, key, master, "worker2",
                      args=["--metrics-port", str(port)])
    assert listening_ports(w2.pid) == {w2.agent_port, w2.enroll_port, port}
    assert "metrics     https://127.0.0.1:%d/metrics" % port in w2.output()
    scrape("https://127.0.0.1:%d" % port, token=None)
