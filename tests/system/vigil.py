"""Helpers for Vigil's system tests: start real vigild / vigil-agent / vigil-sim
processes on 127.0.0.1 with their own ports and data dirs, and always stop them."""

import base64
import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import requests
import urllib3

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(ROOT, "build"))
# a postgresql:// URI every master is given (--registry) while set: conftest.py's
# registry_backend fixture sets it for the tests marked registries
REGISTRY = None
API_USER = "wazuh"
API_PASSWORD = "Vigil-Test-Pass1!"


# Wazuh's 429 body (error 6001), for the request and login limits
TOO_MANY_REQUESTS = {
    "title": "Too Many Requests",
    "detail": "Maximum number of requests per minute reached",
    "remediation": "This limit can be changed in api.yaml file. More information here: "
                   "https://documentation.wazuh.com/4.12/user-manual/api/configuration.html"
                   "#configuration-file",
    "error": 6001}


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


_EPHEMERAL = _ephemeral_range()
# Below the kernel's ephemeral range: a port asked of bind(0) comes from that range, where
# the thousands of outgoing connections of the simulators also take theirs, so one of them
# could hold it by the time vigild binds it (a CI run failed: "cannot listen on ...:
# Address already in use").  Ports here are never given to outgoing connections; each is
# handed out once per test session, starting at a place chosen by the process id so that
# two sessions on one machine rarely meet.
# Under pytest-xdist (make check runs two workers) each worker has a slice of its own.
_PORT_LO = 10000
_PORT_HI = _EPHEMERAL[0] - 1 if _EPHEMERAL[0] > 12000 else 0
if _PORT_HI and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    _w = int(os.environ["PYTEST_XDIST_WORKER"][2:])
    _nw = max(_w + 1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    _span = (_PORT_HI - _PORT_LO) // _nw
    _PORT_LO, _PORT_HI = _PORT_LO + _w * _span, _PORT_LO + (_w + 1) * _span - 1
_next_port = [_PORT_LO + (os.getpid() * 97) % max(1, _PORT_HI - _PORT_LO)]


def free_port():
    """A TCP port free on 127.0.0.1 now, outside the ephemeral range when there is room."""
    if _PORT_HI:
        for _ in range(_PORT_HI - _PORT_LO):
            port = _next_port[0]
            _next_port[0] = port + 1 if port < _PORT_HI else _PORT_LO
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_all(started):
    """Stops every process in started, newest first; then raises the first failure (a
    sanitizer report at exit fails the test that ran the process)."""
    failure = None
    for p in reversed(started):
        try:
            p.stop()
        except Exception as e:  # stop the others too, then report it
            p.kill()
            failure = failure or e
    if failure is not None:
        raise failure


def n_active(node):
    """How many of node's agents (000 included) are active."""
    return sum(a["status"] == "active" for a in node.agents().values())


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    """Polls pred() until it returns a truthy value or timeout passes (bounded)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


class Proc:
    """A child process whose output goes to a log file; stopped on cleanup."""

    def __init__(self, argv, log_path, env=None, stdin=subprocess.DEVNULL):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=stdin, env=e)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM, then SIGKILL after timeout; returns the exit code."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()
        self.check_sanitizers()
        return self.p.returncode

    def check_sanitizers(self):
        """A sanitizer report in a process's output fails the test that ran it."""
        out = self.output()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in out:
                raise AssertionError("%s reported by %s:\n%s" % (marker, self.argv[0], out[-4000:]))

    def kill(self):
        if self.alive():
            self.p.kill()
            self.p.wait(5)
        if not self.log.closed:
            self.log.close()

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


class Node(Proc):
    """A vigild on 127.0.0.1 with fresh ports and its own data dir."""

    def __init__(self, tmp, name="master-node", args=(), env=None, role="master",
                 wait_join=True, nofile=None, wait_up=True):
        """nofile: run with that many descriptors at most (soft and hard limit).
        wait_up False: a master is not waited for (a standby does not listen yet)."""
        self.tmp = str(tmp)
        self.name = name
        self.data_dir = os.path.join(self.tmp, name)
        self.agent_port = free_port()
        self.enroll_port = free_port()
        self.cluster_port = free_port()
        self.api_port = free_port()
        # fault injection exists only in the tests' build of vigild
        binary = "vigild-test" if "--test-faults" in args else "vigild"
        argv = [os.path.join(BUILD, binary), "--foreground", "--role", role,
                "--name", name, "--listen", "127.0.0.1",
                "--data-dir", self.data_dir,
                "--agent-port", str(self.agent_port),
                "--enroll-port", str(self.enroll_port),
                "--cluster-port", str(self.cluster_port),
                "--api-port", str(self.api_port)] + list(args)
        if REGISTRY is not None and role == "master" and "--registry" not in args:
            argv += ["--registry", REGISTRY]
        if nofile is not None:
            argv = ["prlimit", "--nofile=%d:%d" % (nofile, nofile), "--"] + argv
        # Tests poll the API far more often than a person would; the rate limit has
        # its own test (test_api_security.py), which sets the option itself.
        if role == "master" and "--max-request-per-minute" not in args:
            argv += ["--max-request-per-minute", "0"]
        # the same for the login limits (test_api_logins.py)
        for opt in ("--max-logins-per-source", "--max-logins-per-user"):
            if role == "master" and opt not in args:
                argv += [opt, "0"]
        # Simulators enroll thousands of agents from 127.0.0.1, 100 at a time; the
        # enrollment limits have their own tests (test_limits.py), which set them.
        for opt in ("--enroll-per-minute", "--enroll-max-per-source"):
            if opt not in args:
                argv += [opt, "0"]
        e = {"VIGIL_API_USER": API_USER, "VIGIL_API_PASSWORD": API_PASSWORD}
        if env:
            e.update(env)
        super().__init__(argv, os.path.join(self.tmp, name + ".log"), e)
        self.url = "https://127.0.0.1:%d" % self.api_port
        self._token = None
        try:
            if role == "master":
                if wait_up:
                    wait_for(self._api_up, 20, what="vigild API on port %d" % self.api_port)
            elif wait_join:
                wait_for(self.joined, 20, what="worker %s joined the master" % name)
        except BaseException:
            self.kill()      # not yet in anyone's cleanup list: do not leave it running
            raise

    def joined(self):
        if not self.alive():
            raise AssertionError("vigild exited (%s):\n%s" % (self.p.returncode, self.output()))
        return "joined master" in self.output()

    def _api_up(self):
        if not self.alive():
            raise AssertionError("vigild exited (%s):\n%s" % (self.p.returncode, self.output()))
        try:
            r = requests.get(self.url + "/", verify=False, timeout=2)
            return r.status_code == 401
        except requests.RequestException:
            return False

    def stats(self):
        """stats.json as a dict ({} before its first write; it is replaced whole)."""
        try:
            with open(os.path.join(self.data_dir, "stats.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def stats_after(self, timeout=10):
        """A stats.json written after this call (vigild rewrites it every second): its
        counters hold everything the node did before the call."""
        seen = self.stats().get("time")
        return wait_for(lambda: (lambda st: st.get("time", seen) != seen and st)(self.stats()),
                        timeout, 0.05, "a newer stats.json of " + self.name)

    @property
    def agent_addr(self):
        return "127.0.0.1:%d" % self.agent_port

    @property
    def enroll_addr(self):
        return "127.0.0.1:%d" % self.enroll_port

    def login(self, user=API_USER, password=API_PASSWORD, raw=False):
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        params = {"raw": "true"} if raw else {}
        return requests.post(self.url + "/security/user/authenticate", params=params,
                             headers={"Authorization": "Basic " + auth}, verify=False, timeout=10)

    def token(self):
        if self._token is None:
            r = self.login()
            assert r.status_code == 200, r.text
            self._token = r.json()["data"]["token"]
        return self._token

    def api(self, method, path, params=None, token=None, **kw):
        headers = kw.pop("headers", {})
        headers.setdefault("Authorization", "Bearer " + (token or self.token()))
        kw.setdefault("timeout", 30)
        return requests.request(method, self.url + path, params=params, headers=headers,
                                verify=False, **kw)

    def agents(self, **params):
        """GET /agents as a dict id -> agent (all of them, up to 100000)."""
        params.setdefault("limit", "100000")
        r = self.api("GET", "/agents", params=params)
        assert r.status_code == 200, r.text
        return {a["id"]: a for a in r.json()["data"]["affected_items"]}


class Relay:
    """A TCP relay on 127.0.0.1 for one agent connection to target_port.  When the agent
    closes its side, the relay keeps the node's side open (agent_closed is set) until
    reset() ends it with a TCP reset, as a peer that closes with unread data does."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.lsn = socket.socket()
        self.lsn.bind(("127.0.0.1", 0))
        self.lsn.listen(1)
        self.lsn.settimeout(30)
        self.port = self.lsn.getsockname()[1]
        self.agent_closed = threading.Event()
        self._reset = threading.Event()
        self._up_closed = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _to_node(self, c, up):
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                up.sendall(data)
        except OSError:
            pass
        self.agent_closed.set()
        c.close()

    def _run(self):
        try:
            c, _ = self.lsn.accept()
        except OSError:
            return
        finally:
            self.lsn.close()
        up = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        c.settimeout(None)
        threading.Thread(target=self._to_node, args=(c, up), daemon=True).start()
        # This thread owns the node's side: it reads with a short timeout so that it
        # is the one to close it when reset() asks (a close from another thread
        # while this one is blocked in recv would not end the connection).
        up.settimeout(0.05)
        try:
            while not self._reset.is_set():
                try:
                    data = up.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                if not self.agent_closed.is_set():
                    c.sendall(data)
        except OSError:
            pass
        if self._reset.is_set():
            up.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        up.close()
        self._up_closed.set()

    def reset(self):
        """Ends the node's side of the connection with a TCP reset (SO_LINGER 0)."""
        self._reset.set()
        assert self._up_closed.wait(10), "the relay did not close its node side"


def read_agent_file(path):
    """vigil-sim's --agent-file / dump output: one dict per agent, keyed by the header."""
    rows = []
    with open(path) as f:
        header = f.readline().lstrip("# ").rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


class Sim(Proc):
    """vigil-sim: many simulated agents; its --summary file is its live state."""

    def __init__(self, tmp, node, agents, name="sim", args=(), managers=None, control=False):
        """control: commands go to the simulator's stdin (send), its answers are events()."""
        self.data_dir = os.path.join(str(tmp), name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.summary_path = os.path.join(str(tmp), name + "-summary.json")
        argv = [os.path.join(BUILD, "vigil-sim"),
                "--manager", managers or node.agent_addr,
                "--enroll", node.enroll_addr,
                "--agents", str(agents), "--data-dir", self.data_dir,
                "--name-prefix", name + "-",
                "--summary", self.summary_path] + list(args)
        if control:
            argv.append("--control")
        super().__init__(argv, os.path.join(str(tmp), name + ".log"),
                         stdin=subprocess.PIPE if control else subprocess.DEVNULL)

    def summary(self):
        try:
            with open(self.summary_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def summary_after(self, timeout=10):
        """A summary written after this call (the simulator rewrites it every second):
        it shows the agents as they were at the call or later."""
        seen = (self.summary() or {}).get("elapsed_ms")
        return wait_for(lambda: (lambda s: s and s.get("elapsed_ms") != seen and s)(self.summary()),
                        timeout, 0.05, "a newer summary of " + os.path.basename(self.data_dir))

    def send(self, line):
        """A command line on the simulator's stdin (--control)."""
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def events(self, kind=None):
        """The JSON lines the simulator answered with, oldest first."""
        out = []
        for line in self.output().splitlines():
            if line.startswith("{") and '"event"' in line:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if kind is None or ev.get("event") == kind:
                    out.append(ev)
        return out

    def stop(self, timeout=15):
        if self.p.stdin is not None and not self.p.stdin.closed:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        return super().stop(timeout)


class Agent(Proc):
    """A real vigil-agent process."""

    def __init__(self, tmp, node, name="agent1", args=(), managers=None, enroll=None,
                 data_dir=None):
        """managers/enroll default to node's; data_dir defaults to tmp/name."""
        self.data_dir = str(data_dir) if data_dir else os.path.join(str(tmp), name)
        os.makedirs(self.data_dir, exist_ok=True)
        argv = [os.path.join(BUILD, "vigil-agent"), "--foreground",
                "--manager", managers or node.agent_addr, "--enroll", enroll or node.enroll_addr,
                "--name", name, "--data-dir", self.data_dir] + list(args)
        log = os.path.join(str(tmp), os.path.basename(self.data_dir) + ".log")
        super().__init__(argv, log)

    def current_pid(self):
        try:
            with open(os.path.join(self.data_dir, "agent.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def later_pids(self):
        """The processes this agent became by restarting: each logs its successor's pid
        ("restart: new agent process N") before it exits, even before the new one has
        written agent.pid."""
        pids = set()
        for line in self.output().splitlines():
            if "restart: new agent process " in line:
                try:
                    pids.add(int(line.rsplit(" ", 1)[1]))
                except ValueError:
                    pass
        pid = self.current_pid()
        if pid:
            pids.add(pid)
        pids.discard(self.p.pid)
        return pids

    def stop(self, timeout=15):
        # After a restart the agent runs as a new process: stop that one too.
        rc = super().stop(timeout)
        for pid in self.later_pids():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if b"vigil-agent" not in f.read():
                        continue        # gone, and its pid reused
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    os.kill(pid, 0)
                    time.sleep(0.05)
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, FileNotFoundError):
                pass
        return rc


def peer(node, keyfile, name="peer1", sends=(), wait_ms=1000, proto=None, answer_restart=None):
    """Runs tests/tools/vigil-peer (a scripted cluster worker) against node's cluster port.
    sends: (type, body text) pairs, sent verbatim; answer_restart: the codes (JSON array
    text) it answers every restart frame with.  Returns the CompletedProcess (text);
    its stdout has one line per frame received.  Bounded like the tool: its 10 s
    handshake budget plus wait_ms, with a margin."""
    argv = [os.path.join(BUILD, "tests", "tools", "vigil-peer"),
            "--master", "127.0.0.1:%d" % node.cluster_port, "--cluster-key", keyfile,
            "--name", name, "--wait-ms", str(wait_ms)]
    if proto is not None:
        argv += ["--proto", str(proto)]
    if answer_restart is not None:
        argv += ["--answer-restart", answer_restart]
    for ftype, body in sends:
        argv += ["--send", str(ftype), body]
    r = subprocess.run(argv, capture_output=True, text=True, errors="replace",
                       timeout=15 + wait_ms / 1000.0)
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        if marker in r.stderr:
            raise AssertionError("%s reported by vigil-peer:\n%s" % (marker, r.stderr[-4000:]))
    return r
