"""Shared parts of Vigil's benchmarks: a cluster of real vigild processes on 127.0.0.1,
simulators driven over their control channel, node counters, and statistics.

Every process started here is stopped by Bench.close(), also on errors and Ctrl-C."""

import json
import os
import queue
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import requests  # noqa: E402
import vigil  # noqa: E402

SIM_MAX = 19000          # agents per simulator process (20,000 open files per process here)


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pct(values, p):
    """Nearest-rank percentile (the same rule as vigil-sim)."""
    if not values:
        return None
    v = sorted(values)
    k = max(1, -(-len(v) * p // 100))
    return v[int(k) - 1]


def med_min_max(values):
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def split(n, parts):
    """n agents over parts simulators, as evenly as possible."""
    base, extra = divmod(n, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class ControlledSim:
    """A vigil-sim with --control: commands on stdin, JSON events read by a thread."""

    def __init__(self, build, tmp, name, managers, enroll, agents, args=()):
        self.name = name
        self.agents = agents
        self.data_dir = os.path.join(tmp, name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(tmp, name + ".log")
        self.logf = open(self.log_path, "ab")
        argv = [os.path.join(build, "vigil-sim"), "--manager", managers, "--enroll", enroll,
                "--agents", str(agents), "--data-dir", self.data_dir, "--name-prefix",
                name + "-", "--control", "--summary-brief"] + list(args)
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.logf)
        self.events = queue.Queue()
        self.ups = queue.Queue()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for raw in self.p.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            if ev.get("event") == "up":
                self.ups.put(ev)
            elif "event" in ev:
                self.events.put(ev)

    def ask(self, line, kind, timeout=30):
        """Sends a command and returns its answer (the next event of that kind)."""
        self.send(line)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.p.poll() is not None:
                raise RuntimeError("%s: no '%s' answer (log: %s)" % (self.name, kind,
                                                                       self.log_path))
            try:
                ev = self.events.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if ev.get("event") == kind:
                return ev
            if ev.get("event") == "error":
                raise RuntimeError("%s: %s" % (self.name, ev))

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def summary(self):
        return self.ask("summary", "summary")

    def dump(self, path):
        ev = self.ask("dump " + path, "dump", timeout=60)
        if not ev.get("ok"):
            raise RuntimeError("%s: dump to %s failed" % (self.name, path))
        return vigil.read_agent_file(path)

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.close()          # EOF on the control channel: the sim stops
            except OSError:
                pass
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.logf.close()


def proc_cpu_seconds(pid):
    """utime + stime of a process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


class Bench:
    """A master and workers on 127.0.0.1 with simulators attached."""

    def __init__(self, build, workers=2, keep=False, node_args=(), master_args=()):
        raise_nofile()
        self.build = os.path.abspath(build)
        vigil.BUILD = self.build
        self.tmp = tempfile.mkdtemp(prefix="vigil-bench-")
        self.keep = keep
        self.procs = []
        self.sims = []
        key = os.path.join(self.tmp, "cluster.key")
        with open(key, "w") as f:
            f.write("bench-cluster-key-0123456789abcdef\n")
        os.chmod(key, 0o600)
        common = ["--cluster-key-file", key, "--agents-disconnection-time", "600",
                  "--token-lifetime", "36000"] + \
            list(node_args)
        self.workers = []
        try:
            self.master = vigil.Node(self.tmp, args=common + list(master_args))
            self.procs.append(self.master)
            for i in range(workers):
                w = vigil.Node(self.tmp, name="worker%d" % (i + 1), role="worker",
                               args=["--master", "127.0.0.1:%d" % self.master.cluster_port] +
                               common)
                self.procs.append(w)
                self.workers.append(w)
            self.nodes = [self.master] + self.workers
            self.node_of_addr = {n.agent_addr: n.name for n in self.nodes}
            self.http = requests.Session()     # one kept-alive connection, as a dashboard would
            self.http.headers["Authorization"] = "Bearer " + self.master.token()
        except BaseException:
            self.close()
            raise

    def api(self, method, path, params=None):
        """A request to the master's API over the kept-alive connection."""
        return self.http.request(method, self.master.url + path, params=params, timeout=120,
                                 verify=False)

    def add_sims(self, n, nodes, args=(), prefix="sim"):
        """n agents over the given nodes, one simulator or more per node (≤ SIM_MAX each);
        each simulator lists its own node first and the others after it."""
        parts = []
        for i, cnt in enumerate(split(n, len(nodes))):
            k = max(1, -(-cnt // SIM_MAX))
            for c in split(cnt, k):
                parts.append((i, c))
        sims = []
        for j, (i, cnt) in enumerate(parts):
            if cnt == 0:
                continue
            order = nodes[i:] + nodes[:i]
            s = ControlledSim(self.build, self.tmp, "%s%d" % (prefix, j),
                              ",".join(x.agent_addr for x in order), self.master.enroll_addr,
                              cnt, args)
            self.sims.append(s)
            sims.append(s)
        return sims

    def wait_active(self, sims, timeout, what="agents active"):
        """Until every agent of the simulators is active, as they see it; returns seconds."""
        want = sum(s.agents for s in sims)
        t0 = time.monotonic()
        last = -1
        while True:
            active = sum(s.summary()["active"] for s in sims)
            if active == want:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("%s: %d of %d after %d s" % (what, active, want, timeout))
            if active != last and int(time.monotonic() - t0) % 5 == 0:
                log("  %s: %d / %d" % (what, active, want))
                last = active
            time.sleep(0.5)

    def master_active(self):
        r = self.api("GET", "/agents/summary/status")
        r.raise_for_status()
        return r.json()["data"]["connection"]["active"]

    def wait_master_active(self, n, timeout):
        t0 = time.monotonic()
        while self.master_active() < n:
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("master shows %d of %d active after %d s" %
                                   (self.master_active(), n, timeout))
            time.sleep(0.2)
        return time.monotonic() - t0

    def stats(self):
        out = {}
        for node in self.nodes:
            with open(os.path.join(node.data_dir, "stats.json")) as f:
                st = json.load(f)
            st["cpu_proc_s"] = proc_cpu_seconds(node.pid)
            out[node.name] = st
        return out

    def close(self):
        for s in self.sims:
            try:
                s.stop()
            except Exception as e:  # go on stopping the others
                log("stopping %s: %s" % (s.name, e))
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:
                p.kill()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log("kept %s" % self.tmp)


def interrupt_guard():
    """SIGTERM behaves like Ctrl-C, so `finally` blocks stop every process."""
    def handler(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)
