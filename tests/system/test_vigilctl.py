"""vigilctl, the command-line client, against real vigild / vigil-sim / vigil-agent
processes: its output and its exit codes (0 ok, 1 API error or failed items, 2 usage,
3 connection/TLS, 4 authentication, 5 --wait timed out)."""

import json
import os
import select
import shutil
import signal
import stat
import subprocess

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


def test_usage_errors_exit_2(tmp_path):
    ctl = Ctl(tmp_path)
    for args in ([], ["frobnicate"], ["agents"], ["agents", "delete"], ["agents", "restart"],
                 ["agents", "restart", "--all", "001"], ["agents", "restart", "abc"],
                 ["agents", "list", "--wait"], ["agents", "list", "--limit", "0"],
                 ["login", "--bogus"], ["cluster", "nodes", "--status", "active"],
                 ["agents", "restart", "--all", "--timeout", "5"],
                 ["agents", "restart", "--node", "../etc"]):
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
    assert "002" in p.stdout and "003" not in p.stdout
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
    # By id, with an unknown one: the others restart and come back; the unknown one is
    # a per-agent failure, so the exit code is 1.
    p = ctl.run("agents", "restart", "1", "002", "999", "--wait", "--timeout", "60")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "Restart command sent to 2 agents." in p.stdout
    assert "Not sent to 1 agent:" in p.stdout
    assert "999    1701  Agent does not exist" in p.stdout
    assert "All 2 agents are back after" in p.stdout
    # Not a terminal: plain progress lines on stderr, no escape sequences.
    assert "agents back" in p.stderr and "\033" not in p.stderr and "\r" not in p.stderr
    # --all, waited for: every agent restarted and back, exit 0.
    before = vigil.wait_for(lambda: restarts(sim), 10, what="the simulator's summary")
    p = ctl.run("agents", "restart", "--all", "--wait")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "Restart command sent to 4 agents." in p.stdout
    assert "All 4 agents are back after" in p.stdout
    vigil.wait_for(lambda: (r := restarts(sim)) and all(r[n] > before[n] for n in before),
                   20, 0.2, "the simulator's count of restarts")
    assert all(a["status"] == "active" for a in master.agents().values())
    # Without --wait it returns at once; --json prints the merged result.
    p = ctl.run("agents", "restart", "003", "--json")
    assert p.returncode == 0
    assert json.loads(p.stdout) == {"affected_items": ["003"], "total_affected_items": 1,
                                    "total_failed_items": 0, "failed_items": []}
    p = ctl.run("agents", "restart", "000", "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["failed_items"][0]["error"]["code"] == 1703


def test_large_fleet_list_and_restart_wait(master, tmp_path, procs):
    """2,100 agents: the list pages through the API (1,000 a request) and --wait looks at
    the whole fleet page by page rather than naming the agents 500 at a time."""
    sim = sim_up(tmp_path, procs, master, 2100, args=["--restart-delay", "500"])
    ctl = Ctl(tmp_path, master)
    p = ctl.run("agents", "list", "--json", "--select", "status")
    assert p.returncode == 0, p.stderr
    items = json.loads(p.stdout)
    assert [a["id"] for a in items] == ["%03d" % i for i in range(2101)]
    p = ctl.run("agents", "list", "--status", "active")
    assert len(table(p.stdout)[1]) == 2101
    p = ctl.run("agents", "restart", "--all", "--wait", "--timeout", "120")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "Restart command sent to 2100 agents." in p.stdout
    assert "All 2100 agents are back after" in p.stdout
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
    assert p.stdout.startswith("Restart command sent to 1 agent.\n")
    assert "All 1 agent is back after" in p.stdout
    assert agent.current_pid() != pid1     # it really restarted (re-executed)


def test_restart_wait_times_out_on_an_agent_that_never_comes_back(master, tmp_path, procs):
    sim_up(tmp_path, procs, master, 2, args=["--restart-delay", "500"])
    agent = vigil.Agent(tmp_path, master, "frozen", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: master.agents().get("003", {}).get("status") == "active", 20,
                   what="the real agent active")
    ctl = Ctl(tmp_path, master)
    # Frozen: its connection stays open, so the restart is delivered, but it never
    # restarts.  It stays frozen until it is killed (SIGKILL works on a stopped
    # process), so it never acts on the restarts it was sent.
    agent.signal(signal.SIGSTOP)
    try:
        p = ctl.run("agents", "restart", "--all", "--wait", "--timeout", "8")
        assert p.returncode == 5, (p.stdout, p.stderr)
        assert "Restart command sent to 3 agents." in p.stdout
        assert "1 of 3 agents did not come back within 8 s:" in p.stdout
        names, rows = table(p.stdout.split("within 8 s:\n", 1)[1])
        assert names == ["AGENT", "STATUS", "RESTART SEEN"]
        assert rows == [{"AGENT": "003", "STATUS": "active",
                         "RESTART SEEN": "never seen going away"}]

        # Ctrl-C ends the wait with the summary so far, and exit code 130.
        e = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        e.update(HOME=ctl.home, VIGIL_URL=master.url, VIGIL_CA=ctl.ca(),
                 VIGIL_PASSWORD=vigil.API_PASSWORD)
        w = subprocess.Popen([CTL, "agents", "restart", "003", "--wait"], env=e, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = w.stdout.readline()      # vigilctl flushes this line before it waits
        assert out == "Restart command sent to 1 agent.\n"
        w.send_signal(signal.SIGINT)
        out2, err = w.communicate(timeout=60)
        assert w.returncode == 130, (out2, err)
        assert "Interrupted after" in out2 and "1 of 1 agents are not back yet:" in out2
        assert "003" in out2
    finally:
        # An agent that is killed: the restart fails for it (not active), the others go on.
        agent.kill()
    vigil.wait_for(lambda: master.agents()["003"]["status"] == "disconnected", 30, 0.2,
                   "the killed agent disconnected")
    p = ctl.run("agents", "restart", "001", "003", "--wait", "--timeout", "60")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "003    1707  Cannot send request, agent is not active" in p.stdout
    assert "All 1 agent is back after" in p.stdout


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
    assert "\r\033[K[" in err and "] 2/2 back (100%)" in err
    assert b"All 2 agents are back" in out


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
    assert "Restart command sent to 3 agents." in p.stdout
    assert "All 3 agents are back" in p.stdout
    assert vigil.wait_for(lambda: restarts(s2), 10, what="the simulator's summary") == before
    # An unknown node: the API's failed item, exit 1.
    p = ctl.run("agents", "restart", "--node", "nosuchnode")
    assert p.returncode == 1
    assert "1730" in p.stdout and "Node does not exist" in p.stdout, p.stdout
    # A group that does not exist: the API answers 404 (1710); vigilctl reports it, exits 1.
    p = ctl.run("agents", "restart", "--group", "nosuchgroup")
    assert p.returncode == 1, p.stderr
    assert "PUT /agents/group/nosuchgroup/restart: HTTP 404" in p.stderr
    assert p.stdout == ""
    # A real group with one agent of each node: only those two restart, and come back.
    members = [sorted(on_node(master, "worker1"))[0], sorted(on_node(master, "master-node"))[0]]
    assert master.api("POST", "/groups", json={"group_id": "web"}).status_code == 200
    r = master.api("PUT", "/agents/group", params={"group_id": "web",
                                                   "agents_list": ",".join(members)})
    assert r.status_code == 200 and r.json()["error"] == 0, r.text
    p = ctl.run("agents", "restart", "--group", "web", "--wait", "--timeout", "60")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "Restart command sent to 2 agents." in p.stdout
    assert "All 2 agents are back" in p.stdout


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
                 "4 Authentication failed", "5 --wait timed out", "130 --wait was interrupted"):
        assert code in text, code
