"""Keepalive cost only: a master and two workers with N agents on the workers (default
10,000), a 20 s window of rest once the first round of whole records and merged.mg pushes is
over, CPU of every node from /proc, keepalives from stats.json.  Then the floor in the same
run: two `floor echo-serve` processes with N/2 connections each, answering one message per
connection every 10 s with one ack (keepalive and ack of Vigil's sizes), CPU over the same
window.  Prints one JSON line: per_1000 (Vigil), floor_per_1000 and their ratio.

    bench/keepalive_cost.py BUILD_DIR [N]

Run it several times, alternating with another build for a ratio (bench/RESULTS.md)."""
import json
import math
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines  # noqa: E402
import dispatch  # noqa: E402
from vbench import proc_cpu_seconds  # noqa: E402

WINDOW_S = 20
KEEPALIVE_S = 10
# A vigil-sim keepalive and Vigil's ack on the wire, 4-byte frame header included: 334 and
# 105 bytes per keepalive on a worker's agent sockets (ss -ti, bench/README.md).
KA_SIZE = 334
KA_ACK = 105


def vigil_cost(build, n):
    """CPU seconds of the master and workers per 1,000 keepalives over the window."""
    b = dispatch.Bench(build)
    try:
        sims = b.add_sims(n, b.workers, args=["--keepalive", str(KEEPALIVE_S),
                                              "--enroll-concurrency", "100"])
        b.wait_active(sims, timeout=60 + n // 100)
        b.wait_master_active(n, timeout=60)
        time.sleep(15)        # past the first round of whole records and merged.mg pushes
        s0 = b.stats()
        time.sleep(WINDOW_S)
        s1 = b.stats()
    finally:
        b.close()
    ka = sum(s1[x]["keepalives"] - s0[x]["keepalives"] for x in s1)
    cpu = {x: round(s1[x]["cpu_proc_s"] - s0[x]["cpu_proc_s"], 3) for x in s1}
    return {"keepalives": ka, "cpu": cpu, "per_1000": round(sum(cpu.values()) / ka * 1000, 4)}


def floor_sample(servers):
    """Each echo server's counters and CPU seconds, by name."""
    out = {}
    deadline = time.monotonic() + 10
    for s in servers:
        s.send("stats\n")
        st = s.json(deadline)
        st["cpu_s"] = proc_cpu_seconds(s.p.pid)
        out[s.name] = st
    return out


def floor_cost(build, n):
    """The floor: two echo servers with n connections in all (≤ PER_PROCESS per client
    process), one keepalive-sized message per connection every KEEPALIVE_S, CPU of the servers
    per 1,000 messages over the window."""
    exe = os.path.join(os.path.abspath(build), "bench", "floor")
    if not os.access(exe, os.X_OK):
        raise RuntimeError("%s missing: make B=%s bench-tools" % (exe, build))
    tmp = tempfile.mkdtemp(prefix="vigil-kafloor-")
    servers, clients = [], []
    try:
        for i, count in enumerate(baselines.split(n, 2)):
            addr = "127.0.0.1:%d" % baselines.free_port()
            servers.append(baselines.Child(
                [exe, "echo-serve", "--listen", addr, "--conns", str(count),
                 "--ack", str(KA_ACK)], tmp, "serve%d" % i))
            parts = baselines.split(count, math.ceil(count / baselines.PER_PROCESS))
            for j, part in enumerate(parts):
                clients.append(baselines.Child(
                    [exe, "echo-clients", "--connect", addr, "--conns", str(part),
                     "--size", str(KA_SIZE), "--interval-ms", str(KEEPALIVE_S * 1000)],
                    tmp, "clients%d.%d" % (i, j)))
        deadline = time.monotonic() + baselines.setup_timeout(n)
        for c in servers + clients:
            c.expect_ready(deadline)
        time.sleep(KEEPALIVE_S)   # every connection has sent once
        s0 = floor_sample(servers)
        time.sleep(WINDOW_S)
        s1 = floor_sample(servers)
    finally:
        baselines.stop_all(clients + servers)
        shutil.rmtree(tmp, ignore_errors=True)
    closed = sum(s1[x]["closed"] for x in s1)
    if closed:
        raise RuntimeError("floor: %d connections closed during the run" % closed)
    msgs = sum(s1[x]["frames_in"] - s0[x]["frames_in"] for x in s1)
    cpu = {x: round(s1[x]["cpu_s"] - s0[x]["cpu_s"], 3) for x in s1}
    return {"floor_msgs": msgs, "floor_cpu": cpu,
            "floor_per_1000": round(sum(cpu.values()) / msgs * 1000, 4)}


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    res = {"build": build}
    res.update(vigil_cost(build, n))
    res.update(floor_cost(build, n))
    res["ratio"] = (round(res["per_1000"] / res["floor_per_1000"], 2)
                    if res["floor_per_1000"] > 0 else None)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
