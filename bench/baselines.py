#!/usr/bin/python3
"""The two baselines of the command-dispatch benchmark, measured like Vigil's dispatch.

 - floor: bench/floor (C): servers hold N established loopback connections and write one
   ~200-byte message to each; the physical limit of dispatch.
 - mqtt: mosquitto (Debian) with N libmosquitto clients, each subscribed to its own topic
   vigil/agent/<i>, and one publisher per broker that publishes one message per topic.

For every run the driver takes "go" (time.time()) right before writing `go` to the
senders; each receiver records when its message had fully arrived.  A run is summarised as
p50/p99/max of the per-receiver latency from "go" (max = the dispatch time) and send_ms,
the time until the last sender had written its last byte.  Connections are set up once per
N and held across the runs, like a real fleet.

Process layout (a process may hold 20,000 descriptors):
 - floor: one server/clients pair per 19,000 connections; above that N is split over 3
   pairs (like Vigil's 3 nodes), all sent `go` at once.
 - mqtt: one broker per 19,000 clients (at 50,000: 3 brokers of N/3, one publisher each);
   libmosquitto 2.0 spends 3 descriptors per client (socket + an internal socket pair),
   so a client process holds at most 6,000 clients.

    bench/baselines.py --agents 10000 --runs 5 [--which floor,mqtt] [--qos 0|1]
                       [--build build] [--size 200]
"""

import argparse
import json
import math
import os
import pwd
import queue
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PER_PROCESS = 19000        # connections one process may hold (20,000 descriptors)
MQTT_PER_PROCESS = 6000    # libmosquitto clients per process (3 descriptors each)
SIZE = 200                 # bytes; Vigil's restart command on the wire
PAUSE = 1.0                # seconds between runs
KEYS = ("p50_ms", "p99_ms", "max_ms", "send_ms")


def free_port():
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_nofile():
    """preexec_fn: the soft descriptor limit up to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def split(n, parts):
    """n as `parts` near-equal counts."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


class Child:
    """A benchmark process: commands on stdin, lines from stdout read by a thread (a round's
    line from a receiver holds up to 19,000 numbers), stderr to a log file."""

    def __init__(self, argv, tmp, name, preexec_fn=raise_nofile):
        self.name = name
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.log, preexec_fn=preexec_fn)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def line(self, deadline):
        """The next stdout line; raises if the process ends or deadline passes."""
        try:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError("%s: no output in time%s" % (self.name, self.tail())) from None
        if line is None:
            self.p.wait()
            raise RuntimeError("%s exited with %s%s" % (self.name, self.p.returncode,
                                                         self.tail()))
        return line

    def expect_ready(self, deadline):
        line = self.line(deadline)
        if line != "ready":
            raise RuntimeError("%s: expected ready, got %r" % (self.name, line[:200]))

    def json(self, deadline):
        return json.loads(self.line(deadline))

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()[-800:].decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return ("; stderr: " + data) if data else ""

    def stop(self, timeout=5.0):
        """EOF on stdin, then SIGTERM, then SIGKILL."""
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.terminate()
                try:
                    self.p.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.p.kill()
                    self.p.wait()
        self.log.close()


class Broker:
    """A mosquitto on 127.0.0.1 with a generated config in its own temp dir."""

    def __init__(self, tmp, name):
        self.dir = os.path.join(tmp, name)
        os.mkdir(self.dir)
        self.port = free_port()
        conf = os.path.join(self.dir, "mosquitto.conf")
        self.log_path = os.path.join(self.dir, "mosquitto.log")
        with open(conf, "w") as f:
            f.write("\n".join([
                "listener %d 127.0.0.1" % self.port,
                "allow_anonymous true",
                "persistence false",
                "max_queued_messages 100000",
                "max_inflight_messages 0",
                "set_tcp_nodelay true",
                "connection_messages false",
                # as root mosquitto would switch to the mosquitto user and lose the log dir
                "user %s" % pwd.getpwuid(os.getuid()).pw_name,
                "log_dest file %s" % self.log_path,
                "log_type error", "log_type warning", "log_type notice",
                ""]))
        self.out = open(os.path.join(self.dir, "stdout.log"), "wb")
        self.p = subprocess.Popen(["mosquitto", "-c", conf], stdin=subprocess.DEVNULL,
                                  stdout=self.out, stderr=subprocess.STDOUT,
                                  preexec_fn=raise_nofile)
        deadline = time.monotonic() + 10
        while not self._running():
            if self.p.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mosquitto on port %d did not start: %s"
                                   % (self.port, self.log_tail()))
            time.sleep(0.05)

    def _running(self):
        """The listener accepts (its log file is buffered, so it cannot tell)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def log_tail(self):
        text = ""
        for path in (self.log_path, os.path.join(self.dir, "stdout.log")):
            try:
                with open(path, errors="replace") as f:
                    text += f.read()[-600:]
            except OSError:
                pass
        return text.strip()

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.out.close()


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def summarise(go_us, send_end_us, arrivals_us):
    lat = sorted((a - go_us) / 1000.0 for a in arrivals_us)
    return {"p50_ms": percentile(lat, 0.50), "p99_ms": percentile(lat, 0.99),
            "max_ms": lat[-1], "send_ms": (send_end_us - go_us) / 1000.0}


def do_runs(n, runs, senders, receivers, timeout):
    """Runs `runs` rounds: "go" to every sender at once, then one line from each sender and
    each receiver; returns one summary dict per run."""
    results = []
    for k in range(1, runs + 1):
        time.sleep(PAUSE)
        go_us = int(time.time() * 1e6)
        for s in senders:
            s.send("go\n")
        deadline = time.monotonic() + timeout
        sent = [s.json(deadline) for s in senders]
        arrivals = []
        for r in receivers:
            line = r.json(deadline)
            if line["round"] != k:
                raise RuntimeError("%s reported round %s, expected %d" % (r.name, line["round"], k))
            arrivals.extend(line["arrivals_us"])
        if len(arrivals) != n:
            raise RuntimeError("run %d: %d arrivals for %d receivers" % (k, len(arrivals), n))
        errors = sum(s.get("errors", 0) for s in sent)
        if errors:
            raise RuntimeError("run %d: %d write errors" % (k, errors))
        res = summarise(go_us, max(s["write_end_us"] for s in sent), arrivals)
        if "acked_us" in sent[0]:
            res["acked_ms"] = (max(s["acked_us"] for s in sent) - go_us) / 1000.0
        results.append(res)
    return results


def setup_timeout(n):
    return 60 + n / 200.0


def stop_all(children):
    """Receivers first, so that no receiver sees its sender go away."""
    for c in children:
        try:
            c.stop()
        except Exception as e:  # keep tearing down the rest
            print("teardown %s: %s" % (getattr(c, "name", c), e), file=sys.stderr)


def floor_runs(n, runs, build_dir, size=SIZE):
    """The floor: bench/floor pairs holding n connections in all; one dict per run."""
    exe = os.path.join(os.path.abspath(build_dir), "bench", "floor")
    if not os.access(exe, os.X_OK):
        raise RuntimeError("%s missing: make B=%s bench-tools" % (exe, build_dir))
    pairs = 1 if n <= PER_PROCESS else max(3, math.ceil(n / PER_PROCESS))
    tmp = tempfile.mkdtemp(prefix="vigil-floor-")
    servers, clients = [], []
    try:
        for i, count in enumerate(split(n, pairs)):
            addr = "127.0.0.1:%d" % free_port()
            servers.append(Child([exe, "serve", "--listen", addr, "--conns", str(count),
                                  "--size", str(size)], tmp, "serve%d" % i))
            clients.append(Child([exe, "clients", "--connect", addr, "--conns", str(count),
                                  "--size", str(size)], tmp, "clients%d" % i))
        deadline = time.monotonic() + setup_timeout(n)
        for c in servers + clients:
            c.expect_ready(deadline)
        return do_runs(n, runs, servers, clients, 60)
    finally:
        stop_all(clients + servers)
        shutil.rmtree(tmp, ignore_errors=True)


def mqtt_layout(n):
    """(brokers, client processes per broker) for n clients."""
    brokers = 1 if n <= PER_PROCESS else max(3, math.ceil(n / PER_PROCESS))
    per_broker = math.ceil(n / brokers)
    return brokers, math.ceil(per_broker / MQTT_PER_PROCESS)


def mqtt_runs(n, runs, build_dir, qos=1, size=SIZE):
    """The broker: mosquitto with n subscribed libmosquitto clients; one dict per run."""
    build = os.path.join(os.path.abspath(build_dir), "bench")
    for exe in ("mqtt_clients", "mqtt_pub"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            raise RuntimeError("%s missing: make B=%s bench-tools" % (exe, build_dir))
    if shutil.which("mosquitto") is None:
        raise RuntimeError("mosquitto missing: sh scripts/deps.sh bench")
    nbrokers, procs = mqtt_layout(n)
    tmp = tempfile.mkdtemp(prefix="vigil-mqtt-")
    brokers, pubs, clients = [], [], []
    try:
        first = 0
        for b, count in enumerate(split(n, nbrokers)):
            broker = Broker(tmp, "broker%d" % b)
            brokers.append(broker)
            addr = "127.0.0.1:%d" % broker.port
            sub_first = first
            for j, sub in enumerate(split(count, procs)):
                clients.append(Child([os.path.join(build, "mqtt_clients"), "--connect", addr,
                                      "--clients", str(sub), "--first", str(sub_first),
                                      "--qos", str(qos)], tmp, "clients%d.%d" % (b, j)))
                sub_first += sub
            pubs.append(Child([os.path.join(build, "mqtt_pub"), "--connect", addr,
                               "--topics", str(count), "--first", str(first),
                               "--qos", str(qos), "--size", str(size)], tmp, "pub%d" % b))
            first += count
        deadline = time.monotonic() + setup_timeout(n)
        for c in pubs + clients:
            c.expect_ready(deadline)
        return do_runs(n, runs, pubs, clients, 60)
    except RuntimeError as e:
        for broker in brokers:
            if broker.p.poll() is not None:
                raise RuntimeError("%s; mosquitto on port %d exited: %s"
                                   % (e, broker.port, broker.log_tail())) from None
        raise
    finally:
        stop_all(clients + pubs)
        for broker in brokers:
            broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def layout_note(which, n, qos):
    if which == "floor":
        pairs = 1 if n <= PER_PROCESS else max(3, math.ceil(n / PER_PROCESS))
        return "%d server/clients pair%s" % (pairs, "s" if pairs > 1 else "")
    brokers, procs = mqtt_layout(n)
    return ("QoS %d, %d mosquitto broker%s, %d publisher%s, %d client process%s"
            % (qos, brokers, "s" if brokers > 1 else "", brokers, "s" if brokers > 1 else "",
               brokers * procs, "es" if brokers * procs > 1 else ""))


def print_table(which, n, qos, results):
    keys = [k for k in KEYS + ("acked_ms",) if all(k in r for r in results)]
    print("%s, N=%d, %d runs (%s), latency from go, ms:" % (which, n, len(results),
                                                          layout_note(which, n, qos)))
    print("  %-9s %10s %10s %10s" % ("", "median", "min", "max"))
    for k in keys:
        vals = [r[k] for r in results]
        print("  %-9s %10.2f %10.2f %10.2f" % (k[:-3], statistics.median(vals), min(vals),
                                               max(vals)))
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", default="10000",
                    help="N, or several as a comma list (1000,10000)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--which", default="floor,mqtt")
    ap.add_argument("--qos", type=int, choices=(0, 1, 2), default=1)
    ap.add_argument("--size", type=int, default=SIZE)
    ap.add_argument("--build", default=os.environ.get("VIGIL_BUILD",
                                                      os.path.join(HERE, "..", "build")))
    ap.add_argument("--json", help="also write every run's figures to this file")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally blocks
    which = [w.strip() for w in a.which.split(",") if w.strip()]
    for w in which:
        if w not in ("floor", "mqtt"):
            ap.error("--which: floor and/or mqtt")
    out = []
    for n in (int(x) for x in a.agents.split(",")):
        for w in which:
            if w == "floor":
                res = floor_runs(n, a.runs, a.build, size=a.size)
            else:
                res = mqtt_runs(n, a.runs, a.build, qos=a.qos, size=a.size)
            print_table(w, n, a.qos, res)
            out.append({"which": w, "n": n, "qos": a.qos if w == "mqtt" else None,
                        "layout": layout_note(w, n, a.qos), "runs": res})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
