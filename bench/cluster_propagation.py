#!/usr/bin/python3
"""Propagation of agent state from workers to the master, at rest and under migration churn.

Starts a master and two workers on 127.0.0.1 and N simulated agents spread over the workers,
then reads the master's own measurement (every applied record carries the time its worker saw
the change; the master logs p50/p99/max every 10 s).  Churn: every 5 s one worker drops all
its agents (they reconnect to the other worker), i.e. about N/2 moves per 5 s.

    bench/cluster_propagation.py [--agents 10000] [--seconds 30] [--build build]
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import vigil  # noqa: E402

LINE = re.compile(r"sync latency over (\d+) records: p50 (\d+) ms, p99 (\d+) ms, max (\d+) ms")


def fault(node, cmd):
    path = os.path.join(node.data_dir, "faults.cmd")
    with open(path + ".tmp", "w") as f:
        f.write(cmd + "\n")
    os.rename(path + ".tmp", path)


def reports(master, since):
    out = master.output()[since:]
    return [tuple(int(x) for x in m.groups()) for m in LINE.finditer(out)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    a = ap.parse_args()
    vigil.BUILD = os.path.abspath(a.build)
    tmp = tempfile.mkdtemp(prefix="vigil-bench-")
    key = os.path.join(tmp, "cluster.key")
    with open(key, "w") as f:
        f.write("bench-cluster-key-0123456789abcdef\n")
    os.chmod(key, 0o600)
    procs = []
    try:
        master = vigil.Node(tmp, args=["--cluster-key-file", key])
        procs.append(master)
        workers = []
        for name in ("worker1", "worker2"):
            w = vigil.Node(tmp, name=name, role="worker",
                           args=["--master", "127.0.0.1:%d" % master.cluster_port,
                                 "--cluster-key-file", key, "--test-faults"])
            procs.append(w)
            workers.append(w)
        sim = vigil.Sim(tmp, master, a.agents, name="bench",
                        managers=",".join(w.agent_addr for w in workers),
                        args=["--keepalive", "20", "--enroll-concurrency", "200"])
        procs.append(sim)
        t0 = time.monotonic()
        vigil.wait_for(lambda: master.api("GET", "/agents/summary/status").json()["data"]
                       ["connection"]["active"] == a.agents, 600, 1, "all agents active")
        print("%d agents active after %.1f s" % (a.agents, time.monotonic() - t0))
        mark = len(master.output())
        time.sleep(a.seconds)
        rest = reports(master, mark)
        mark = len(master.output())
        end = time.monotonic() + a.seconds
        i = 0
        while time.monotonic() < end:
            fault(workers[i % 2], "kick-agents")
            time.sleep(0.5)
            fault(workers[i % 2], "accept-agents")
            i += 1
            time.sleep(4.5)
        time.sleep(11)
        churn = reports(master, mark)
        for label, rows in (("at rest", rest), ("under churn", churn)):
            if not rows:
                print("%s: no records" % label)
                continue
            n = sum(r[0] for r in rows)
            print("%s: %d records in %d reports; per-report p50 %s ms; p99 %s ms; max %d ms"
                  % (label, n, len(rows), [r[1] for r in rows], [r[2] for r in rows],
                     max(r[3] for r in rows)))
        return 0
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
