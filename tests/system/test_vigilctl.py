"""vigilctl, the command-line client, against real vigild / vigil-sim / vigil-agent
processes: its output and its exit codes (0 ok, 1 API error or failed items, 2 usage,
3 connection/TLS, 4 authentication, 5 --wait timed out, 6 --wait: the job ended with agents
failed, expired or cancelled).  A restart is a job (GET /jobs/{id}): --wait follows it."""

import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
from datetime import datetime, timedelta

import pytest

import vigil
from test_cluster import key, start_master, start_worker, on_node  # noqa: F401  (fixture)

CTL = os.path.join(vigil.BUILD, "vigilctl")


class Ctl:
    """Runs vigilctl with a private HOME and none of the caller's VIGIL_* settings."""

    def __init__(self, tmp, node=None):
        self.home = os.path.join(str(tmp), "home")
        os.makedirs(self.home, exist_ok=True)
        self.node = node

    @property
    def dir(self):
        return os.path.join(self.home, ".config", "vigil")

    def ca(self, node=None):
        return os.path.join((node or self.node).data_dir, "sslmanager.cert")

    def run(self, *args, env=None, password=True, ca=True, url=True, timeout=120):
        """vigilctl args...; by default with the node's URL, its CA and the password."""
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("VIGIL_") and k != "XDG_CONFIG_HOME"}
        e["HOME"] = self.home
        if self.node is not None:
            if url:
                e["VIGIL_URL"] = self.node.url
            if ca:
                e["VIGIL_CA"] = self.ca()
        if password:
            e["VIGIL_PASSWORD"] = vigil.API_PASSWORD
        e.update(env or {})
        p = subprocess.run([CTL] + list(args), env=e, capture_output=True, text=True,
                           timeout=timeout)
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert marker not in p.stderr, p.stderr
        return p


def table(out):
    """An aligned table: its header's column names and each row as a dict.
    Also checks the alignment: every cell starts where its header does."""
    lines = [l for l in out.splitlines() if l.strip()]
    header = lines[0]
    # column names are separated by two or more spaces
    names = [p.strip() for p in header.split("  ") if p.strip()]
    starts, pos = [], 0
    for n in names:
        pos = header.index(n, pos)
        starts.append(pos)
        pos += len(n)
    rows = []
    for l in lines[1:]:
        row = {}
        for k, n in enumerate(names):
            end = starts[k + 1] if k + 1 < len(starts) else len(l)
            if k > 0:
                assert l[starts[k] - 1] == " ", "misaligned %r" % l
            cell = l[starts[k]:end]
            assert not cell.startswith(" "), "misaligned %r in %r" % (cell, l)
            row[n] = cell.strip()
        rows.append(row)
    return names, rows


def sim_up(tmp_path, procs, node, n, name="sim", args=()):
    sim = vigil.Sim(tmp_path, node, n, name=name, args=["--keepalive", "1"] + list(args))
    procs.append(sim)
    vigil.wait_for(lambda: sum(1 for a in node.agents().values()
                               if a["status"] == "active" and a["id"] != "000") == n,
                   30, 0.2, "%d simulated agents active" % n)
    return sim


def restarts(sim):
    """name -> restarts received, from the simulator's summary ({} while it is rewritten)."""
    s = sim.summary() or {}
    return {a["name"]: a.get("restarts", 0) for a in s.get("agent_list", [])}


def jobs_of(out):
    """The job ids of agents restart's "Job N: restart of M agents." lines, in order."""
    return re.findall(r"^Job (\d+): restart of \d+ agents?\.$", out, re.M)


def api_job(node, jid):
    r = node.api("GET", "/jobs/%s" % jid)
    assert r.status_code == 200, r.text
    return r.json()["data"]["affected_items"][0]


def sim_active(node, sim, n, total=None):
    """sim's n agents active, and total agents active on node (000 included)."""
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == n, 30, 0.1,
                   "%d simulated agents active" % n)
    vigil.wait_for(lambda: vigil.n_active(node) == (total or n + 1), 30, 0.2,
                   "the agents active on the node")
    return [a["id"] for a in sim.summary()["agent_list"]]


def test_usage_errors_exit_2(tmp_path):
    ctl = Ctl(tmp_path)
    for args in ([], ["frobnicate"], ["agents"], ["agents", "delete"], ["agents", "restart"],
                 ["agents", "restart", "--all", "001"], ["agents", "restart", "abc"],
                 ["agents", "list", "--wait"], ["agents", "list", "--limit", "0"],
                 ["login", "--bogus"], ["cluster", "nodes", "--status", "active"],
                 ["agents", "restart", "--all", "--timeout", "5"],
                 ["agents", "restart", "--node", "../etc"],
                 ["agents", "restart", "--all", "--max-in-flight", "-1"],
                 ["agents", "restart", "--all", "--expires-in", "0"],
                 ["jobs"], ["jobs", "show"], ["jobs", "show", "abc"], ["jobs", "cancel"],
                 ["jobs", "list", "--status", "asleep"], ["jobs", "show", "1", "--state", "x"],
                 ["jobs", "show", "1", "--wait", "--json"], ["jobs", "cancel", "1", "--wait"]):
        p = ctl.run(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert p.stderr.startswith("vigilctl: ") and "usage: vigilctl" in p.stderr, p.stderr
        assert p.stdout == ""
    p = ctl.run("--help")
    assert p.returncode == 0 and p.stdout.startswith("usage: vigilctl") and p.stderr == ""
    # A bad URL and a bad config file are usage errors too.
    p = ctl.run("agents", "list", "--url", "http://127.0.0.1:1", "--insecure")
    assert p.returncode == 2 and "https://" in p.stderr
    cfg = tmp_path / "bad.conf"
    cfg.write_text("url = https://127.0.0.1:1\ncolour = blue\n")
    p = ctl.run("agents", "list", "--config", str(cfg))
    assert p.returncode == 2 and "line 2: unknown key 'colour'" in p.stderr, p.stderr
    p = ctl.run("agents", "list", "--config", str(tmp_path / "missing.conf"))
    assert p.returncode == 2 and "missing.conf" in p.stderr
    # A user name that would break the Basic credentials or the token file.
    p = ctl.run("login", "--user", "a:b", "--insecure")
    assert p.returncode == 2 and "may not hold ':'" in p.stderr


def test_tls_verification(master, tmp_path):
    ctl = Ctl(tmp_path, master)
    # No CA and no --insecure: refused before connecting, with its own exit code.
    p = ctl.run("agents", "list", ca=False)
    assert p.returncode == 3, p.stderr
    assert "no CA certificate" in p.stderr and "--insecure" in p.stderr
    assert p.stdout == ""
    # The node's own certificate is the CA; it names 127.0.0.1 and localhost.
    p = ctl.run("agents", "list")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    p = ctl.run("agents", "list", "--url", master.url.replace("127.0.0.1", "localhost"))
    assert p.returncode == 0, p.stderr
    # Another certificate is not trusted.
    other_key, other = tmp_path / "other.key", tmp_path / "other.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(other_key), "-out",
                    str(other), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    p = ctl.run("agents", "list", "--ca", str(other))
    assert p.returncode == 3, p.stderr
    assert "not trusted" in p.stderr, p.stderr
    # A CA file that is not a certificate.
    p = ctl.run("agents", "list", "--ca", str(other_key.parent / "nothing.pem"))
    assert p.returncode == 3 and "cannot load the CA certificate" in p.stderr, p.stderr
    # --insecure works without a CA and says so.
    p = ctl.run("agents", "list", "--insecure", ca=False)
    assert p.returncode == 0
    assert "warning: --insecure" in p.stderr and "not verified" in p.stderr
    # Nothing listening: a connection failure.
    p = ctl.run("agents", "list", "--url", "https://127.0.0.1:%d" % vigil.free_port())
    assert p.returncode == 3 and "cannot connect" in p.stderr, p.stderr


def test_certificate_must_name_the_host(tmp_path, procs):
    """A trusted certificate that names another host is refused (SAN check)."""
    data = tmp_path / "master-node"
    data.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(data / "sslmanager.key"),
                    "-out", str(data / "sslmanager.cert"), "-days", "1",
                    "-subj", "/CN=other.example", "-addext", "subjectAltName=DNS:other.example"],
                   check=True, capture_output=True)
    node = vigil.Node(tmp_path)
    procs.append(node)
    ctl = Ctl(tmp_path, node)
    p = ctl.run("agents", "list")
    assert p.returncode == 3, p.stderr
    assert "not trusted" in p.stderr and "mismatch" in p.stderr, p.stderr
    p = ctl.run("agents", "list", "--url", node.url.replace("127.0.0.1", "localhost"))
    assert p.returncode == 3 and "mismatch" in p.stderr, p.stderr
    p = ctl.run("agents", "list", "--insecure")
    assert p.returncode == 0, p.stderr


def test_login_token_reuse_and_bad_credentials(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--token-lifetime", "2"])
    procs.append(node)
    ctl = Ctl(tmp_path, node)
    # Wrong password: authentication failure, nothing stored.
    p = ctl.run("login", env={"VIGIL_PASSWORD": "wrong"})
    assert p.returncode == 4, p.stderr
    assert "login as wazuh refused (HTTP 401)" in p.stderr and "Invalid credentials" in p.stderr
    assert not os.path.exists(os.path.join(ctl.dir, "token"))
    p = ctl.run("agents", "list", "--user", "nobody")
    assert p.returncode == 4
    # No password at all and no token.
    p = ctl.run("agents", "list", password=False)
    assert p.returncode == 4 and "no password" in p.stderr and "vigilctl login" in p.stderr

    p = ctl.run("login")
    assert p.returncode == 0, p.stderr
    assert "Logged in to %s as wazuh" % node.url in p.stdout
    tok = os.path.join(ctl.dir, "token")
    assert stat.S_IMODE(os.stat(tok).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ctl.dir).st_mode) == 0o700
    first = open(tok).read()
    # Later commands reuse the token: no password needed while it is valid.  The
    # token lives 2 s here, so repeat until one run falls within its lifetime.
    def reused():
        ctl.run("login")
        p2 = ctl.run("agents", "list", "--json", password=False)
        return p2.returncode == 0 and p2
    p = vigil.wait_for(reused, 30, 0, "a command that reuses the stored token")
    assert json.loads(p.stdout)[0]["id"] == "000"
    # Once it has expired: without a password the user is told to log in again ...
    vigil.wait_for(lambda: ctl.run("agents", "list", password=False).returncode == 4, 30, 0.5,
                   "the stored token to expire")
    p = ctl.run("agents", "list", password=False)
    assert "stored token was refused" in p.stderr and "vigilctl login" in p.stderr
    # ... with one, vigilctl logs in again transparently and stores the new token.
    before = open(tok).read()
    p = ctl.run("agents", "list")
    assert p.returncode == 0, p.stderr
    assert open(tok).read() not in (before, first)
    # A token stored for another server or user is not sent to this one.
    p = ctl.run("agents", "list", "--user", "other", password=False)
    assert p.returncode == 4 and "no password for other" in p.stderr
    # XDG_CONFIG_HOME takes the place of ~/.config.
    xdg = tmp_path / "xdg"
    p = ctl.run("login", env={"XDG_CONFIG_HOME": str(xdg)})
    assert p.returncode == 0 and os.path.exists(xdg / "vigil" / "token")


def test_login_asks_for_the_password_on_the_terminal(master, tmp_path):
    import pty
    ctl = Ctl(tmp_path, master)
    e = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    e.update(HOME=ctl.home, VIGIL_URL=master.url, VIGIL_CA=ctl.ca())
    pid, fd = pty.fork()
    if pid == 0:   # the child: its controlling terminal is the pty
        try:
            os.execve(CTL, [CTL, "login"], e)
        finally:
            os._exit(127)
    out = b""

    def read_some():
        """More output, or b"" at its end; a test failure rather than a hang."""
        r, _, _ = select.select([fd], [], [], 30)
        assert r, "vigilctl login is silent: %r" % out
        try:
            return os.read(fd, 1024)
        except OSError:     # EIO: the child closed the terminal
            return b""
    try:
        while b"Password for wazuh at " not in out:
            chunk = read_some()
            assert chunk, out
            out += chunk
        os.write(fd, (vigil.API_PASSWORD + "\n").encode())
        while chunk:
            chunk = read_some()
            out += chunk
        _, status = os.waitpid(pid, 0)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert vigil.API_PASSWORD.encode() not in out      # not echoed
    assert b"Logged in to " in out
    assert os.path.exists(os.path.join(ctl.dir, "token"))


def test_config_file_and_precedence(master, tmp_path):
    ctl = Ctl(tmp_path, master)
    os.makedirs(ctl.dir)
    cfg = os.path.join(ctl.dir, "config")
    dead = "https://127.0.0.1:%d" % vigil.free_port()
    with open(cfg, "w") as f:
        f.write("# vigilctl\nurl = %s\nuser = wazuh\npassword = %s\nca = %s\n"
                % (master.url, vigil.API_PASSWORD, ctl.ca()))
    os.chmod(cfg, 0o644)
    # A password in a file others may read is refused, clearly.
    p = ctl.run("agents", "list", password=False, ca=False, url=False)
    assert p.returncode == 2
    assert "holds a password but others may read it" in p.stderr and "chmod 600" in p.stderr
    os.chmod(cfg, 0o600)
    # The file alone is enough.
    p = ctl.run("agents", "list", password=False, ca=False, url=False)
    assert p.returncode == 0, p.stderr
    # The environment beats the file; a flag beats the environment.
    p = ctl.run("agents", "list", password=False, ca=False, env={"VIGIL_URL": dead})
    assert p.returncode == 3 and "cannot connect" in p.stderr
    p = ctl.run("agents", "list", "--url", master.url, password=False, ca=False,
                env={"VIGIL_URL": dead})
    assert p.returncode == 0, p.stderr
    # (a stored token would hide which password is used: log in explicitly)
    p = ctl.run("login", password=False, ca=False, url=False,
                env={"VIGIL_PASSWORD": "wrong-from-env"})
    assert p.returncode == 4
    p = ctl.run("login", "--password", vigil.API_PASSWORD, password=False, ca=False, url=False,
                env={"VIGIL_PASSWORD": "wrong-from-env"})
    assert p.returncode == 0, p.stderr
    # A password file, readable by its owner only, instead of the password.
    pw = tmp_path / "pw"
    pw.write_text(vigil.API_PASSWORD + "\n")
    os.chmod(pw, 0o600)
    with open(cfg, "w") as f:
        f.write("url = %s\npassword-file = %s\nca = %s\n" % (master.url, pw, ctl.ca()))
    os.chmod(cfg, 0o644)     # no password in it: others may read it
    p = ctl.run("login", password=False, ca=False, url=False)
    assert p.returncode == 0, p.stderr
    # An explicit --config FILE.
    other = tmp_path / "other.conf"
    other.write_text("url = %s\ninsecure = yes\n" % master.url)
    p = ctl.run("agents", "list", "--config", str(other), ca=False, url=False)
    assert p.returncode == 0 and "warning: --insecure" in p.stderr


def test_agents_list(master, tmp_path, procs):
    sim_up(tmp_path, procs, master, 5)
    # The shared-config push lands with the first keepalives and changes mergedSum: wait for
    # it, so that the listings compared below cannot straddle it.
    vigil.wait_for(lambda: all(a["group_config_status"] == "synced"
                               for i, a in master.agents().items() if i != "000"),
                   30, 0.2, "every agent's merged.mg synced")
    ctl = Ctl(tmp_path, master)
    p = ctl.run("agents", "list")
    assert p.returncode == 0, p.stderr
    names, rows = table(p.stdout)
    assert names == ["ID", "NAME", "IP", "STATUS", "VERSION", "NODE", "GROUP", "LAST KEEPALIVE"]
    assert [r["ID"] for r in rows] == ["000", "001", "002", "003", "004", "005"]
    api = master.agents()
    for r in rows[1:]:
        a = api[r["ID"]]
        assert r["NAME"] == a["name"] and r["STATUS"] == "active"
        assert r["VERSION"] == "Wazuh v4.12.0" and r["NODE"] == "master-node"
        assert r["GROUP"] == "default"
    # --json: the API's affected_items, every one of them.
    p = ctl.run("agents", "list", "--json")
    assert p.returncode == 0
    items = json.loads(p.stdout)
    assert [a["id"] for a in items] == ["000", "001", "002", "003", "004", "005"]
    assert items[1]["name"] == api["001"]["name"] and "os" in items[1]
    # Paging: two agents per request gives the same list.
    p = ctl.run("agents", "list", "--json", "--page-size", "2")
    def still(agents):   # without the keepalive time, which moves every second
        return [{k: v for k, v in a.items() if k != "lastKeepAlive"} for a in agents]
    assert still(json.loads(p.stdout)) == still(items)
    p = ctl.run("agents", "list", "--json", "--page-size", "2", "--limit", "3", "--offset", "2")
    assert [a["id"] for a in json.loads(p.stdout)] == ["002", "003", "004"]
    # Filters go to the API.
    name = api["002"]["name"]
    p = ctl.run("agents", "list", "--q", "name=" + name)
    assert [r["ID"] for r in table(p.stdout)[1]] == ["002"]
    p = ctl.run("agents", "list", "--name", name, "--json")
    assert [a["id"] for a in json.loads(p.stdout)] == ["002"]
    p = ctl.run("agents", "list", "--status", "disconnected")
    assert p.returncode == 0 and table(p.stdout)[1] == []
    p = ctl.run("agents", "list", "--status", "disconnected,active")
    assert len(table(p.stdout)[1]) == 6
    p = ctl.run("agents", "list", "--status", "active", "--node", "master-node", "--group",
                "default", "--sort", "-id", "--limit", "2")
    assert [r["ID"] for r in table(p.stdout)[1]] == ["005", "004"]
    p = ctl.run("agents", "list", "--select", "name,os.platform")
    names, rows = table(p.stdout)
    assert names == ["ID", "NAME", "OS.PLATFORM"] and rows[2]["NAME"] == api["002"]["name"]
    p = ctl.run("agents", "list", "--search", name)
    # by the ID column: the sim names its agents in its own order ("sim-00003" may be 002)
    assert [r["ID"] for r in table(p.stdout)[1]] == ["002"], p.stdout
    # The API's refusals are errors (1) with its message.
    p = ctl.run("agents", "list", "--select", "nosuchfield")
    assert p.returncode == 1 and "HTTP 400" in p.stderr and "1724" in p.stderr, p.stderr
    p = ctl.run("agents", "list", "--q", "nosuch=1")
    assert p.returncode == 1 and "1408" in p.stderr
    p = ctl.run("agents", "list", "--status", "sleeping")
    assert p.returncode == 1 and "HTTP 400" in p.stderr


def test_restart_ids_all_and_wait(master, tmp_path, procs):
    sim = sim_up(tmp_path, procs, master, 4, args=["--restart-delay", "1000"])
    ctl = Ctl(tmp_path, master)
    # By id, with an unknown one: the others restart and complete; the unknown one is
    # a per-agent failure, so the exit code is 1.
    p = ctl.run("agents", "restart", "1", "002", "999", "--wait", "--timeout", "60")
    assert p.returncode == 1, (p.stdout, p.stderr)
    [jid] = jobs_of(p.stdout)
    assert "Job %s: restart of 2 agents." % jid in p.stdout
    assert "Not restarted, 1 agent:" in p.stdout
    assert "999    1701  Agent does not exist" in p.stdout
    assert "All 2 agents restarted after" in p.stdout and "(job %s)" % jid in p.stdout
    # Not a terminal: plain progress lines on stderr, no escape sequences.
    assert "agents completed" in p.stderr and "\033" not in p.stderr and "\r" not in p.stderr
    # --all, waited for: every agent restarted (the job says so), exit 0.
    before = vigil.wait_for(lambda: restarts(sim), 10, what="the simulator's summary")
    p = ctl.run("agents", "restart", "--all", "--wait")
    assert p.returncode == 0, (p.stdout, p.stderr)
    [jid] = jobs_of(p.stdout)
    assert "Job %s: restart of 4 agents." % jid in p.stdout
    assert "All 4 agents restarted after" in p.stdout
    assert api_job(master, jid)["counts"]["completed"] == 4
    vigil.wait_for(lambda: (r := restarts(sim)) and all(r[n] > before[n] for n in before),
                   20, 0.2, "the simulator's count of restarts")
    # Without --wait it returns at once; --json prints the merged result and the jobs.
    p = ctl.run("agents", "restart", "003", "--json")
    assert p.returncode == 0
    out = json.loads(p.stdout)
    assert out == {"affected_items": ["003"], "total_affected_items": 1,
                   "total_failed_items": 0, "failed_items": [], "jobs": out["jobs"]}
    assert len(out["jobs"]) == 1 and api_job(master, out["jobs"][0])["scope"] == "003"
    p = ctl.run("agents", "restart", "000", "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["failed_items"][0]["error"]["code"] == 1703
    assert json.loads(p.stdout)["jobs"] == []


def test_large_fleet_list_and_restart_wait(master, tmp_path, procs):
    """2,100 agents: the list pages through the API (1,000 a request); a restart of 2,100
    named agents is 5 requests of at most 500, so 5 jobs, and --wait follows them all."""
    sim = sim_up(tmp_path, procs, master, 2100, args=["--restart-delay", "500"])
    ctl = Ctl(tmp_path, master)
    p = ctl.run("agents", "list", "--json", "--select", "status")
    assert p.returncode == 0, p.stderr
    items = json.loads(p.stdout)
    assert [a["id"] for a in items] == ["%03d" % i for i in range(2101)]
    p = ctl.run("agents", "list", "--status", "active")
    assert len(table(p.stdout)[1]) == 2101
    p = ctl.run("agents", "restart", *[str(i) for i in range(1, 2101)], "--wait",
                "--timeout", "120")
    assert p.returncode == 0, (p.stdout, p.stderr)
    jids = jobs_of(p.stdout)
    assert len(jids) == 5
    assert ["Job %s: restart of %d agents." % (j, n) in p.stdout
            for j, n in zip(jids, (500, 500, 500, 500, 100))] == [True] * 5
    assert "All 2100 agents restarted after" in p.stdout
    assert "(jobs %s)" % ", ".join(jids) in p.stdout
    assert [api_job(master, j)["counts"]["completed"] for j in jids] == [500] * 4 + [100]
    vigil.wait_for(lambda: (r := restarts(sim)) and len(r) == 2100 and
                   all(v == 1 for v in r.values()),
                   20, 0.2, "the simulator's count of restarts")


def test_restart_real_agent_and_wait(master, tmp_path, procs):
    agent = vigil.Agent(tmp_path, master, "web-01", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: master.agents().get("001", {}).get("status") == "active", 20,
                   what="the agent active")
    pid1 = vigil.wait_for(agent.current_pid, 5, what="agent pid file")
    ctl = Ctl(tmp_path, master)
    p = ctl.run("agents", "restart", "001", "--wait", "--timeout", "60")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert re.match(r"Job \d+: restart of 1 agent\.\n", p.stdout), p.stdout
    assert "All 1 agent restarted after" in p.stdout
    assert agent.current_pid() != pid1     # it really restarted (re-executed)


def test_restart_wait_times_out_on_an_agent_that_never_comes_back(master, tmp_path, procs):
    """An agent that gets the command and does not restart (deaf: it ignores it) keeps
    its job running: --wait ends at --timeout with exit 5 and names it, with its state;
    Ctrl-C ends with the summary so far (130); an agent that never connects again expires,
    and the job ends with exit 6."""
    sim = vigil.Sim(tmp_path, master, 3, control=True,
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    ids = sim_active(master, sim, 3)
    gone = vigil.Sim(tmp_path, master, 1, name="gone", args=["--keepalive", "1"])
    procs.append(gone)
    [gone_id] = sim_active(master, gone, 1, total=5)
    deaf = ids[2]
    sim.send("deaf 2")
    vigil.wait_for(lambda: len(sim.events("deaf")) == 1, 10, 0.05, "the sim took 'deaf'")
    ctl = Ctl(tmp_path, master)
    p = ctl.run("agents", "restart", "--all", "--wait", "--timeout", "8")
    assert p.returncode == 5, (p.stdout, p.stderr)
    [jid] = jobs_of(p.stdout)
    assert "Job %s: restart of 4 agents." % jid in p.stdout
    assert "1 of 4 agents had not completed within 8 s (job %s):\n" % jid in p.stdout
    names, rows = table(p.stdout.split("(job %s):\n" % jid, 1)[1])
    assert names == ["AGENT", "STATE", "NODE", "SENDS", "CODE"]
    assert rows == [{"AGENT": deaf, "STATE": "delivered", "NODE": "master-node",
                     "SENDS": "1", "CODE": "-"}]
    vigil.wait_for(lambda: ((sim.summary() or {}).get("agent_list") or [{}] * 3)[2]
                   .get("ignored") == 1, 10, 0.1, "the deaf agent ignored the command")

    # Ctrl-C ends the wait with the summary so far, and exit code 130.
    sim.send("deaf 2")
    vigil.wait_for(lambda: len(sim.events("deaf")) == 2, 10, 0.05, "the sim took 'deaf'")
    e = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    e.update(HOME=ctl.home, VIGIL_URL=master.url, VIGIL_CA=ctl.ca(),
             VIGIL_PASSWORD=vigil.API_PASSWORD)
    w = subprocess.Popen([CTL, "agents", "restart", deaf, "--wait"], env=e, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = w.stdout.readline()      # vigilctl flushes this line before it waits
    [jid2] = jobs_of(out)
    assert out == "Job %s: restart of 1 agent.\n" % jid2
    w.send_signal(signal.SIGINT)
    out2, err = w.communicate(timeout=60)
    assert w.returncode == 130, (out2, err)
    assert "Interrupted after" in out2
    assert "1 of 1 agents have not completed yet (job %s):" % jid2 in out2
    assert table(out2.split("(job %s):\n" % jid2, 1)[1])[1][0]["AGENT"] == deaf

    # An agent that is gone, queued for: it expires; the job ends without it (exit 6)
    # while the other agent of the job restarts.
    gone.stop()
    vigil.wait_for(lambda: master.agents()[gone_id]["status"] == "disconnected", 30, 0.2,
                   "the gone agent disconnected")
    p = ctl.run("agents", "restart", ids[0], gone_id, "--queue", "--expires-in", "10",
                "--wait", "--timeout", "60")
    assert p.returncode == 6, (p.stdout, p.stderr)
    [jid3] = jobs_of(p.stdout)
    assert "1 of 2 agents were not restarted (job %s):\n" % jid3 in p.stdout
    names, rows = table(p.stdout.split("(job %s):\n" % jid3, 1)[1])
    assert [(r["AGENT"], r["STATE"]) for r in rows] == [(gone_id, "expired")]
    j = api_job(master, jid3)
    assert j["status"] == "done" and j["counts"]["completed"] == 1 and \
        j["counts"]["expired"] == 1


def test_jobs_list_show_cancel(master, tmp_path, procs):
    """jobs list, jobs show (paged, filtered), jobs cancel, on a rolling restart that
    cannot advance: every agent ignores the command, so 2 stay delivered (--max-in-flight 2)
    and 2 pending."""
    sim = vigil.Sim(tmp_path, master, 4, control=True,
                    args=["--keepalive", "1", "--restart-delay", "100"])
    procs.append(sim)
    ids = sim_active(master, sim, 4)
    sim.send("deaf 0 1 2 3")
    vigil.wait_for(lambda: sim.events("deaf"), 10, 0.05, "the sim took 'deaf'")
    ctl = Ctl(tmp_path, master)
    p = ctl.run("jobs", "list")
    assert p.returncode == 0 and table(p.stdout)[1] == [], (p.stdout, p.stderr)
    p = ctl.run("agents", "restart", "--all", "--max-in-flight", "2")
    assert p.returncode == 0, (p.stdout, p.stderr)
    [jid] = jobs_of(p.stdout)
    vigil.wait_for(lambda: api_job(master, jid)["counts"]["delivered"] == 2, 30, 0.1,
                   "2 agents delivered")
    p = ctl.run("jobs", "list")
    assert p.returncode == 0, p.stderr
    names, rows = table(p.stdout)
    assert names == ["ID", "COMMAND", "STATUS", "USER", "SCOPE", "CREATED", "TOTAL", "PENDING",
                     "DELIVERED", "COMPLETED", "FAILED", "EXPIRED", "CANCELLED"]
    assert len(rows) == 1 and rows[0]["CREATED"].endswith("Z")
    del rows[0]["CREATED"]
    assert rows[0] == {"ID": jid, "COMMAND": "restart", "STATUS": "running",
                       "USER": vigil.API_USER, "SCOPE": "all", "TOTAL": "4", "PENDING": "2",
                       "DELIVERED": "2", "COMPLETED": "0", "FAILED": "0", "EXPIRED": "0",
                       "CANCELLED": "0"}
    assert table(ctl.run("jobs", "list", "--status", "done").stdout)[1] == []
    assert table(ctl.run("jobs", "list", "--command", "reconnect").stdout)[1] == []
    assert len(table(ctl.run("jobs", "list", "--status", "running", "--command",
                             "restart").stdout)[1]) == 1
    p = ctl.run("jobs", "list", "--json")
    [j] = json.loads(p.stdout)
    assert j["id"] == int(jid) and j["max_in_flight"] == 2 and j["counts"]["pending"] == 2

    # show: the job, then its agents; a page at a time (--page-size), filtered (--state)
    p = ctl.run("jobs", "show", jid, "--page-size", "1")
    assert p.returncode == 0, p.stderr
    head, agents = p.stdout.split("\n\n", 1)
    assert head.startswith("Job %s: restart of 4 agents, running\n" % jid)
    assert "\nLimits:     2 in flight, no rate limit\n" in head + "\n"
    assert head.endswith("Agents:     2 pending, 2 delivered, 0 completed, 0 failed, "
                         "0 expired, 0 cancelled; 2 in flight")
    names, rows = table(agents)
    assert names == ["AGENT", "STATE", "NODE", "SENDS", "DELIVERED", "DONE", "CODE"]
    assert [r["AGENT"] for r in rows] == sorted(ids)
    assert sorted(r["STATE"] for r in rows) == ["delivered"] * 2 + ["pending"] * 2
    for r in rows:
        assert r["DONE"] == "-" and r["CODE"] == "-"
        assert (r["NODE"], r["SENDS"]) == (("master-node", "1") if r["STATE"] == "delivered"
                                           else ("-", "0"))
        assert (r["DELIVERED"] == "-") == (r["STATE"] == "pending")
    p = ctl.run("jobs", "show", jid, "--state", "pending", "--json")
    j = json.loads(p.stdout)
    assert j["agents"]["total_affected_items"] == 2
    assert {a["state"] for a in j["agents"]["affected_items"]} == {"pending"}

    # cancel: the pending ones are cancelled, the delivered ones still followed
    p = ctl.run("jobs", "cancel", jid)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ("Job %s cancelled: 2 agents will not get the command; 2 that got it "
                        "are followed until they are done.\n" % jid)
    p = ctl.run("jobs", "cancel", jid)
    assert p.returncode == 1 and "HTTP 400" in p.stderr and "cancelled already" in p.stderr
    p = ctl.run("jobs", "list", "--status", "cancelling")
    assert [r["ID"] for r in table(p.stdout)[1]] == [jid]
    p = ctl.run("jobs", "show", "999")
    assert p.returncode == 1 and "HTTP 404" in p.stderr, p.stderr
    p = ctl.run("jobs", "cancel", "999")
    assert p.returncode == 1 and "HTTP 404" in p.stderr, p.stderr


def test_restart_options_reach_the_job_and_jobs_show_waits(master, tmp_path, procs):
    """--max-in-flight, --rate and --expires-in go to the API: the job has them; jobs show
    --wait follows an existing job to its end."""
    sim_up(tmp_path, procs, master, 3, args=["--restart-delay", "100"])
    ctl = Ctl(tmp_path, master)
    p = ctl.run("agents", "restart", "--all", "--max-in-flight", "1", "--rate", "5",
                "--expires-in", "600")
    assert p.returncode == 0, (p.stdout, p.stderr)
    [jid] = jobs_of(p.stdout)
    j = api_job(master, jid)
    assert j["max_in_flight"] == 1 and j["rate"] == 5 and j["total"] == 3
    created, expires = (datetime.strptime(j[k], "%Y-%m-%dT%H:%M:%S.%fZ")
                        for k in ("created", "expires"))
    assert expires - created == timedelta(seconds=600)
    p = ctl.run("jobs", "show", jid, "--wait", "--timeout", "60")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert p.stdout.startswith("All 3 agents restarted after")
    assert "(job %s)" % jid in p.stdout
    # (its status may say running a moment longer: the master ends jobs on its next tick)
    assert "Job %s: restart of 3 agents, " % jid in p.stdout
    rows = table(p.stdout.split("\n\n")[-1])[1]
    assert [r["STATE"] for r in rows] == ["completed"] * 3
    # an existing job already done: --wait ends at once
    p = ctl.run("jobs", "show", jid, "--wait", "--state", "failed")
    assert p.returncode == 0 and "All 3 agents restarted" in p.stdout
    assert table(p.stdout.split("\n\n")[-1])[1] == []


def test_tty_progress_bar(master, tmp_path, procs):
    """On a terminal the progress is a bar redrawn in place."""
    sim_up(tmp_path, procs, master, 2, args=["--restart-delay", "1500"])
    ctl = Ctl(tmp_path, master)
    import pty
    e = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    e.update(HOME=ctl.home, VIGIL_URL=master.url, VIGIL_CA=ctl.ca(),
             VIGIL_PASSWORD=vigil.API_PASSWORD)
    master_fd, slave_fd = pty.openpty()
    p = subprocess.Popen([CTL, "agents", "restart", "--all", "--wait"], env=e,
                         stdout=subprocess.PIPE, stderr=slave_fd, stdin=subprocess.DEVNULL)
    os.close(slave_fd)
    out, _ = p.communicate(timeout=120)
    err = b""
    while True:
        try:
            chunk = os.read(master_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master_fd)
    assert p.returncode == 0, (out, err)
    err = err.decode()
    assert "\r\033[K[" in err and "] 2/2 completed (100%)" in err
    assert b"All 2 agents restarted" in out


def test_cluster_commands_and_node_restart(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    s1 = vigil.Sim(tmp_path, master, 3, name="c1", managers=w1.agent_addr,
                   args=["--keepalive", "1", "--restart-delay", "500"])
    s2 = vigil.Sim(tmp_path, master, 2, name="c2", args=["--keepalive", "1"])
    procs += [s1, s2]
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 3 and
                   len(on_node(master, "master-node")) == 2, 30, 0.2, "agents on both nodes")
    ctl = Ctl(tmp_path, master)
    p = ctl.run("cluster", "nodes")
    assert p.returncode == 0, p.stderr
    names, rows = table(p.stdout)
    assert names == ["NAME", "TYPE", "VERSION", "IP"]
    assert {(r["NAME"], r["TYPE"]) for r in rows} == {("master-node", "master"),
                                                       ("worker1", "worker")}
    p = ctl.run("cluster", "nodes", "--json")
    assert {n["name"] for n in json.loads(p.stdout)} == {"master-node", "worker1"}
    p = ctl.run("cluster", "health")
    assert p.returncode == 0, p.stderr
    names, rows = table(p.stdout)
    assert names == ["NAME", "TYPE", "VERSION", "IP", "ACTIVE AGENTS", "LAST KEEPALIVE"]
    by = {r["NAME"]: r for r in rows}
    # 000 is not counted, as in Wazuh: only the master's 2 simulated agents
    assert by["master-node"]["ACTIVE AGENTS"] == "2" and by["master-node"]["LAST KEEPALIVE"] == "-"
    assert by["worker1"]["ACTIVE AGENTS"] == "3" and by["worker1"]["LAST KEEPALIVE"] != "-"
    p = ctl.run("cluster", "health", "--json")
    assert {i["info"]["name"] for i in json.loads(p.stdout)} == {"master-node", "worker1"}
    # Restart the agents of one node and wait for them.
    before = vigil.wait_for(lambda: restarts(s2), 10, what="the simulator's summary")
    p = ctl.run("agents", "restart", "--node", "worker1", "--wait", "--timeout", "60")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert re.search(r"^Job \d+: restart of 3 agents\.$", p.stdout, re.M), p.stdout
    assert "All 3 agents restarted" in p.stdout
    assert vigil.wait_for(lambda: restarts(s2), 10, what="the simulator's summary") == before
    # An unknown node: the API's failed item, exit 1.
    p = ctl.run("agents", "restart", "--node", "nosuchnode")
    assert p.returncode == 1
    assert "1730" in p.stdout and "Node does not exist" in p.stdout, p.stdout
    assert "No agent to restart." in p.stdout and jobs_of(p.stdout) == []
    # A group that does not exist: the API answers 404 (1710); vigilctl reports it, exits 1.
    p = ctl.run("agents", "restart", "--group", "nosuchgroup")
    assert p.returncode == 1, p.stderr
    assert "PUT /agents/group/nosuchgroup/restart: HTTP 404" in p.stderr
    assert p.stdout == ""
    # A real group with one agent of each node: only those two restart, and come back.
    # A job completes on the restarted process's first session, which is pending until
    # its first keepalive: wait for the agents to be active again before picking.
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 3 and
                   len(on_node(master, "master-node")) == 2, 30, 0.2, "agents active again")
    members = [sorted(on_node(master, "worker1"))[0], sorted(on_node(master, "master-node"))[0]]
    assert master.api("POST", "/groups", json={"group_id": "web"}).status_code == 200
    r = master.api("PUT", "/agents/group", params={"group_id": "web",
                                                   "agents_list": ",".join(members)})
    assert r.status_code == 200 and r.json()["error"] == 0, r.text
    p = ctl.run("agents", "restart", "--group", "web", "--wait", "--timeout", "60")
    assert p.returncode == 0, (p.stdout, p.stderr)
    [jid] = jobs_of(p.stdout)
    assert "Job %s: restart of 2 agents." % jid in p.stdout
    assert "All 2 agents restarted after" in p.stdout and "(job %s)" % jid in p.stdout
    # the job restarted one agent on each node, each once
    p = ctl.run("jobs", "show", jid)
    assert p.returncode == 0, p.stderr
    names, rows = table(p.stdout.split("\n\n", 1)[1])
    assert {(r["AGENT"], r["STATE"], r["NODE"], r["SENDS"]) for r in rows} == {
        (members[0], "completed", "worker1", "1"), (members[1], "completed", "master-node", "1")}


def test_cluster_commands_on_a_standalone_master(master, tmp_path):
    ctl = Ctl(tmp_path, master)
    for args in (["cluster", "nodes"], ["cluster", "health"],
                 ["agents", "restart", "--node", "master-node"]):
        p = ctl.run(*args)
        assert p.returncode == 1, p.stderr
        assert "HTTP 400: Bad Request: Cluster is not running" in p.stderr
        assert "(error 3013)" in p.stderr


@pytest.mark.skipif(not shutil.which("man"), reason="man is not installed")
def test_man_page_renders_without_warnings():
    page = os.path.join(vigil.ROOT, "docs", "vigilctl.1")
    p = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="80"), timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    # wide, so that no line is broken or hyphenated inside the phrases below
    p = subprocess.run(["man", "-l", page], capture_output=True, text=True,
                       env=dict(os.environ, MANWIDTH="250"), timeout=60)
    text = " ".join(p.stdout.split())
    # every exit code vigilctl uses is documented
    for code in ("0 Success.", "1 The API answered", "2 A usage error", "3 No connection",
                 "4 Authentication failed", "5 --wait timed out",
                 "6 --wait: the job ended with agents that were not restarted",
                 "130 --wait was interrupted"):
        assert code in text, code
