"""vigilctl top: the live view of a cluster in a terminal (a pty here), redrawn in place,
quitting on q or Ctrl-C with the terminal's modes as they were; and one snapshot when its
output is not a terminal (or with --once)."""

import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import termios

import vigil
from test_cluster import key, start_master, start_worker  # noqa: F401  (fixture)
from test_vigilctl import CTL, Ctl, table

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Term:
    """vigilctl top on a pty of its own, as the controlling terminal of a new session
    (so that Ctrl-C written to the pty is a SIGINT from the terminal driver)."""

    def __init__(self, ctl, args, cols=120, rows=40):
        self.master, self.slave = os.openpty()
        self.resize(cols, rows)
        self.before = termios.tcgetattr(self.slave)
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("VIGIL_") and k != "XDG_CONFIG_HOME"}
        e.update(HOME=ctl.home, VIGIL_URL=ctl.node.url, VIGIL_CA=ctl.ca(),
                 VIGIL_PASSWORD=vigil.API_PASSWORD, TERM="xterm")

        def controlling_tty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.p = subprocess.Popen([CTL, "top"] + list(args), env=e, stdin=self.slave,
                                  stdout=self.slave, stderr=self.slave,
                                  preexec_fn=controlling_tty)
        self.out = b""

    def resize(self, cols, rows):
        self.cols, self.rows = cols, rows
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def read(self):
        """What the program wrote so far (never blocks)."""
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:     # EIO: the program has closed its end
                break
            if not chunk:
                break
            self.out += chunk
        return self.out.decode(errors="replace")

    def frames(self):
        """The complete screens drawn so far: cursor home, lines, clear to the end."""
        return [p[:p.index("\x1b[J")] for p in self.read().split("\x1b[H")
                if "\x1b[J" in p]

    def screen(self):
        """The last complete screen as lines (None before the first)."""
        f = self.frames()
        if not f:
            return None
        return [l.replace("\x1b[K", "").rstrip("\r") for l in f[-1].split("\n")]

    def send(self, data):
        os.write(self.master, data)

    def wait_exit(self, timeout=30):
        vigil.wait_for(lambda: self.read() is not None and self.p.poll() is not None,
                       timeout, 0.05, "vigilctl top to exit")
        out = self.read()
        for m in SANITIZER_MARKERS:
            assert m not in out, out
        return self.p.returncode

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        os.close(self.master)
        os.close(self.slave)


def section(lines, first):
    """The lines of the table whose header starts with first, up to the next blank line."""
    for i, l in enumerate(lines):
        if l.startswith(first):
            end = i
            while end < len(lines) and lines[end].strip():
                end += 1
            return lines[i:end]
    return None


def nodes_of(lines):
    """The nodes table of a view as NODE -> row, or None when it has none yet."""
    t = section(lines or [], "NODE ")
    if t is None:
        return None
    names, rows = table("\n".join(t))
    assert names == ["NODE", "TYPE", "VERSION", "ACTIVE", "DISCONNECTED", "PENDING",
                     "NEVER CONNECTED"]
    return {r["NODE"]: r for r in rows}


def counts_shown(lines, want):
    """Whether the view's nodes table shows want: node -> (active, disconnected, pending,
    never connected)."""
    nodes = nodes_of(lines)
    if nodes is None or set(nodes) != set(want):
        return False
    return all((r["ACTIVE"], r["DISCONNECTED"], r["PENDING"], r["NEVER CONNECTED"]) ==
               tuple(str(x) for x in want[n]) for n, r in nodes.items())


def job_shown(lines, jid):
    """The job's row and the two lines under it (bar, counts), or None."""
    if not lines:
        return None
    for i, l in enumerate(lines):
        m = re.match(r"^(\d+)\s+(\S+)\s+(.+?)\s+(running|cancelling)\s+(\d+)\s+(\S+)$", l)
        if m and m.group(1) == str(jid) and i + 2 < len(lines):
            return m.groups(), lines[i + 1], lines[i + 2]
    return None


def cluster(tmp_path, procs, key):  # noqa: F811
    """A master with 2 simulated agents, a worker with 3, and an agent never connected."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    s1 = vigil.Sim(tmp_path, master, 3, name="t1", managers=w1.agent_addr,
                   args=["--keepalive", "1", "--restart-delay", "300"])
    s2 = vigil.Sim(tmp_path, master, 2, name="t2", args=["--keepalive", "1",
                                                          "--restart-delay", "300"])
    procs += [s1, s2]
    r = master.api("POST", "/agents", json={"name": "never1", "ip": "any"})
    assert r.status_code == 200, r.text
    vigil.wait_for(lambda: sum(a["status"] == "active" and a["id"] != "000"
                               for a in master.agents().values()) == 5, 30, 0.2,
                   "5 simulated agents active")
    return master


WANT = {"master-node": (2, 0, 0, 0), "worker1": (3, 0, 0, 0), "unknown": (0, 0, 0, 1)}


def test_top_live_view_follows_a_restart_job_and_quits_on_q(tmp_path, procs, key):  # noqa: F811
    master = cluster(tmp_path, procs, key)
    ctl = Ctl(tmp_path, master)
    t = Term(ctl, ["--interval", "1"])
    try:
        # The nodes and their agents by status, as the API counts them (000 left out).
        lines = vigil.wait_for(lambda: (lambda s: counts_shown(s, WANT) and s)(t.screen()),
                               30, 0.1, "the view to show the agents")
        assert lines[0].startswith("vigilctl top: %s as wazuh, every 1 s" % master.url)
        assert "Agents: 6 (5 active, 0 disconnected, 0 pending, 1 never connected)" in lines
        nodes = nodes_of(lines)
        assert nodes["master-node"]["TYPE"] == "master" and nodes["worker1"]["TYPE"] == "worker"
        assert nodes["worker1"]["VERSION"] == "4.12.0" and nodes["unknown"]["TYPE"] == "-"
        assert "Jobs: none running" in lines
        # on the alternate screen, with the cursor hidden, and stdin no longer canonical
        assert "\x1b[?1049h" in t.read() and "\x1b[?25l" in t.read()
        during = termios.tcgetattr(t.slave)
        assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
        assert during[3] & termios.ISIG         # Ctrl-C stays a signal
        # A restart of every agent, the one never connected queued: the job stays
        # running (1 pending) once the other 5 have restarted, until it expires (1 h).
        ids = sorted(i for i in master.agents() if i != "000")
        assert len(ids) == 6
        r = master.api("PUT", "/agents/restart", params={"agents_list": ",".join(ids),
                                                          "queue": "true",
                                                          "expires_in": "3600"})
        assert r.status_code == 200, r.text
        jobs = master.api("GET", "/jobs", params={"status": "running"}).json()
        jid = jobs["data"]["affected_items"][0]["id"]
        shown = vigil.wait_for(
            lambda: (lambda j: j and "5/6 completed (83%)" in j[1] and j)(
                job_shown(t.screen(), jid)), 60, 0.1, "the view to show job %s" % jid)
        row, bar, counts = shown
        assert row == (str(jid), "restart", row[2], "running", "6", row[5]), row
        assert re.match(r"^    \[#+\.+\] 5/6 completed \(83%\)$", bar), bar
        assert counts == "    0 delivered, 1 pending, 0 failed, 0 expired", counts
        lines = t.screen()
        assert "Jobs: 1 running" in lines
        # every line fits the terminal (one column to spare)
        assert all(len(l) <= t.cols - 1 for l in lines), lines
        # A narrower terminal (SIGWINCH): redrawn to its width, the bar shorter.
        t.resize(60, 40)
        vigil.wait_for(lambda: (lambda s: s and len(s[0]) <= 59 and
                                job_shown(s, jid) is not None and
                                all(len(l) <= 59 for l in s))(t.screen()),
                       30, 0.1, "the view redrawn 60 columns wide")
        _, bar60, _ = job_shown(t.screen(), jid)
        assert len(bar60) == 59 and len(bar60) < len(bar), (bar60, bar)
        # q quits: exit 0, the screen and the modes as they were
        t.send(b"q")
        assert t.wait_exit() == 0, t.read()
        out = t.read()
        assert out.rstrip().endswith("\x1b[?25h\x1b[?1049l"), repr(out[-200:])
        assert termios.tcgetattr(t.slave) == t.before
    finally:
        t.close()


def test_top_ctrl_c_restores_the_terminal(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    ctl = Ctl(tmp_path, master)
    t = Term(ctl, [], cols=80, rows=24)
    try:
        vigil.wait_for(lambda: counts_shown(t.screen(), {"master-node": (0, 0, 0, 0)}),
                       30, 0.1, "the first view")
        lines = t.screen()
        assert lines[0].startswith("vigilctl top: %s as wazuh, every 2 s" % master.url)
        assert len(lines) <= 24 and all(len(l) <= 79 for l in lines), lines
        assert termios.tcgetattr(t.slave) != t.before
        t.send(b"\x03")                         # Ctrl-C: SIGINT from the terminal
        assert t.wait_exit() == 130, t.read()
        assert t.read().rstrip().endswith("\x1b[?25h\x1b[?1049l")
        assert termios.tcgetattr(t.slave) == t.before
        # SIGTERM too
        t2 = Term(ctl, [], cols=80, rows=24)
        try:
            vigil.wait_for(lambda: t2.screen() is not None, 30, 0.1, "the first view")
            t2.p.send_signal(signal.SIGTERM)
            assert t2.wait_exit() == 128 + signal.SIGTERM, t2.read()
            assert termios.tcgetattr(t2.slave) == t2.before
            assert t2.read().rstrip().endswith("\x1b[?25h\x1b[?1049l")
        finally:
            t2.close()
    finally:
        t.close()


# A small job-control shell: it makes the pty its controlling terminal, runs vigilctl top
# in a process group of its own in the foreground, and answers commands on stdin with a
# JSON line each: "stopped" (waits until top stops: the signal, and whether the pty's modes
# were back to the shell's), "fg" (the terminal back to top, SIGCONT), "modes" (whether the
# pty is in canonical mode), "exit" (waits for top's exit: its status and the modes).
JOB_SHELL = r"""
import fcntl, json, os, signal, sys, termios
fd = os.open(sys.argv[1], os.O_RDWR)
os.setsid()
fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
before = termios.tcgetattr(fd)
go_r, go_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.read(go_r, 1)
    for i in (0, 1, 2):
        os.dup2(fd, i)
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    os.execv(sys.argv[2], sys.argv[2:])
os.setpgid(pid, pid)
os.tcsetpgrp(fd, pid)
os.write(go_w, b"x")
def say(**kw):
    print(json.dumps(kw), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "stopped":
        _, st = os.waitpid(pid, os.WUNTRACED)
        os.tcsetpgrp(fd, os.getpgrp())
        say(stopped=os.WSTOPSIG(st) if os.WIFSTOPPED(st) else None,
            modes_back=termios.tcgetattr(fd) == before)
    elif cmd == "fg":
        os.tcsetpgrp(fd, pid)
        os.kill(pid, signal.SIGCONT)
        say(ok=True)
    elif cmd == "modes":
        say(canonical=bool(termios.tcgetattr(fd)[3] & termios.ICANON))
    elif cmd == "exit":
        _, st = os.waitpid(pid, 0)
        say(status=os.waitstatus_to_exitcode(st), modes_back=termios.tcgetattr(fd) == before)
        break
"""


def test_top_ctrl_z_gives_the_terminal_back(tmp_path, master):
    """Ctrl-Z: the shell gets its terminal back as it was; fg: the view takes it again."""
    ctl = Ctl(tmp_path, master)
    pty_master, pty_slave = os.openpty()
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("VIGIL_") and k != "XDG_CONFIG_HOME"}
    e.update(HOME=ctl.home, VIGIL_URL=master.url, VIGIL_CA=ctl.ca(),
             VIGIL_PASSWORD=vigil.API_PASSWORD, TERM="xterm")
    sh = subprocess.Popen(["/usr/bin/python3", "-c", JOB_SHELL, os.ttyname(pty_slave), CTL,
                           "top"], env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
    out = [b""]

    def screens():
        while select.select([pty_master], [], [], 0)[0]:
            try:
                chunk = os.read(pty_master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out[0] += chunk
        return out[0].count(b"\x1b[J")

    def ask(cmd):
        sh.stdin.write(cmd + "\n")
        sh.stdin.flush()
        # keep reading the pty while waiting: top must never block on a full pty
        while not select.select([sh.stdout], [], [], 0.05)[0]:
            screens()
        return json.loads(sh.stdout.readline())

    try:
        vigil.wait_for(lambda: screens() >= 1, 30, 0.05, "the first view")
        assert ask("modes") == {"canonical": False}
        os.write(pty_master, b"\x1a")          # Ctrl-Z
        assert ask("stopped") == {"stopped": signal.SIGTSTP, "modes_back": True}
        vigil.wait_for(lambda: screens() is not None and
                       out[0].rstrip().endswith(b"\x1b[?25h\x1b[?1049l"), 10, 0.05,
                       "the shell's screen back")
        n = screens()
        assert ask("fg") == {"ok": True}
        vigil.wait_for(lambda: screens() > n, 30, 0.05, "the view drawn again")
        assert ask("modes") == {"canonical": False}
        os.write(pty_master, b"q")
        assert ask("exit") == {"status": 0, "modes_back": True}
        assert sh.wait(timeout=30) == 0
        screens()
        for m in SANITIZER_MARKERS:
            assert m.encode() not in out[0], out[0]
    finally:
        if sh.poll() is None:
            sh.kill()
            sh.wait()
        os.close(pty_master)
        os.close(pty_slave)


def test_top_without_a_terminal_prints_one_view(tmp_path, procs, key):  # noqa: F811
    master = cluster(tmp_path, procs, key)
    ctl = Ctl(tmp_path, master)
    p = vigil.wait_for(lambda: (lambda p: counts_shown(p.stdout.splitlines(), WANT) and p)(
        ctl.run("top")), 30, 0.2, "a view with the agents")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert "\x1b" not in p.stdout               # plain text: no screen, no redraw
    lines = p.stdout.splitlines()
    assert re.match(r"^vigilctl top: %s as wazuh, at \d\d:\d\d:\d\d$" % re.escape(master.url),
                    lines[0]), lines[0]
    assert "Agents: 6 (5 active, 0 disconnected, 0 pending, 1 never connected)" in lines
    assert lines[-1] == "Jobs: none running"
    # --once on a terminal: the same single view, the terminal left alone
    t = Term(ctl, ["--once"], cols=100, rows=5)
    try:
        assert t.wait_exit() == 0, t.read()
        out = t.read()
        assert "\x1b" not in out and "Jobs: none running" in out, out
        # as wide as the terminal, as tall as it needs
        lines = out.replace("\r\n", "\n").splitlines()
        assert len(lines) > 5 and all(len(l) <= 100 for l in lines), lines
        assert termios.tcgetattr(t.slave) == t.before
    finally:
        t.close()


def test_top_errors(tmp_path, master):
    ctl = Ctl(tmp_path, master)
    # a node without a cluster: the one node, from /cluster/local/info
    p = ctl.run("top")
    assert p.returncode == 0, p.stderr
    assert counts_shown(p.stdout.splitlines(), {"master-node": (0, 0, 0, 0)}), p.stdout
    assert nodes_of(p.stdout.splitlines())["master-node"]["VERSION"] == "4.12.0"
    for args in (["top", "--interval", "0"], ["top", "--interval", "x"],
                 ["top", "--json"], ["top", "extra"], ["agents", "list", "--once"]):
        p = ctl.run(*args)
        assert p.returncode == 2 and "usage: vigilctl" in p.stderr, (args, p.stderr)
    p = ctl.run("top", env={"VIGIL_URL": "https://127.0.0.1:1"})
    assert p.returncode == 3 and "cannot connect" in p.stderr, p.stderr
    # no password and no stored token (a HOME of its own): exit 4, nothing drawn
    p = Ctl(tmp_path / "other", master).run("top", password=False)
    assert p.returncode == 4 and p.stdout == "", p.stderr
    assert "no password" in p.stderr, p.stderr
