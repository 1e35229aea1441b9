#!/usr/bin/python3
"""GET /agents at 50,000 agents: how long representative listings take.

Starts a master and three workers on 127.0.0.1 and one vigil-sim per worker
(at most 19,000 agents each: one process may hold 20,000 descriptors, and one
address pair has about 28,000 ephemeral ports), keepalive 60 s, three agent
versions.  Once the master's registry shows every agent active, each request
is sent `--runs` times over one kept-alive HTTPS connection and the median
wall time (request sent -> body received and parsed as JSON) is reported.

    bench/api_agents_query.py [--agents 50000] [--runs 5] [--build build]

Recorded 2026-11-27, build with -O2, 2 shared cores, 50,000 agents (active
after 76 s), medians of 5 runs (client time: request, transfer, json.loads):

    request                             median ms     min ms        items        total
    no filter (limit 500)                    23.5       21.2          500        50001
    q AND/OR                                 42.1       39.2          500         9860
    q dates and nested                       25.7       23.7          500        50000
    sort=name                                31.9       30.3          500        50001
    sort=-version,name                       78.2       70.5          500        50001
    search=s1-0001                           96.0       95.8           10           10
    search=-s1-0001                          64.8       64.2          500        49991
    distinct os.name                         80.0       75.9            1            1
    older_than=1h                            59.6       55.9            0            0
    limit=100000                           1272.4      978.8        50001        50001
    limit=100000 select=name,os.name        271.5      221.0        50001        50001
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import vigil  # noqa: E402

PER_SIM = 19000
VERSIONS = ("4.12.0", "4.10.1", "4.9.2")

REQUESTS = [
    ("no filter (limit 500)", {}),
    ("q AND/OR", {"q": "(version=Wazuh v4.12.0,version=Wazuh v4.9.2);status=active;name~9"}),
    ("q dates and nested", {"q": "lastKeepAlive<1h;os.platform!=windows,dateAdd>30d"}),
    ("sort=name", {"sort": "name"}),
    ("sort=-version,name", {"sort": "-version,name"}),
    ("search=s1-0001", {"search": "s1-0001"}),
    ("search=-s1-0001", {"search": "-s1-0001"}),
    ("distinct os.name", {"distinct": "true", "select": "os.name"}),
    ("older_than=1h", {"older_than": "1h"}),
    ("limit=100000", {"limit": "100000"}),
    ("limit=100000 select=name,os.name", {"limit": "100000", "select": "name,os.name"}),
]


def active(master):
    r = master.api("GET", "/agents/summary/status")
    return r.json()["data"]["connection"]["active"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    a = ap.parse_args()
    vigil.BUILD = os.path.abspath(a.build)
    tmp = tempfile.mkdtemp(prefix="vigil-bench-q-")
    key = os.path.join(tmp, "cluster.key")
    with open(key, "w") as f:
        f.write("bench-cluster-key-0123456789abcdef\n")
    os.chmod(key, 0o600)
    procs = []
    try:
        master = vigil.Node(tmp, args=["--cluster-key-file", key])
        procs.append(master)
        nsims = (a.agents + PER_SIM - 1) // PER_SIM
        t0 = time.monotonic()
        for i in range(nsims):
            n = min(PER_SIM, a.agents - i * PER_SIM)
            w = vigil.Node(tmp, name="worker%d" % (i + 1), role="worker",
                           args=["--master", "127.0.0.1:%d" % master.cluster_port,
                                 "--cluster-key-file", key])
            procs.append(w)
            sim = vigil.Sim(tmp, master, n, name="s%d" % i, managers=w.agent_addr,
                            args=["--keepalive", "60", "--enroll-concurrency", "100",
                                  "--version", VERSIONS[i % len(VERSIONS)]])
            procs.append(sim)
        vigil.wait_for(lambda: active(master) == a.agents, 1800, 2, "all agents active")
        print("%d agents active on the master after %.0f s" % (a.agents, time.monotonic() - t0))

        s = requests.Session()
        s.verify = False
        s.headers["Authorization"] = "Bearer " + master.token()
        print("%-34s %10s %10s %12s %12s" % ("request", "median ms", "min ms", "items", "total"))
        for name, params in REQUESTS:
            times = []
            for _ in range(a.runs):
                t = time.perf_counter()
                r = s.get(master.url + "/agents", params=params, timeout=120, verify=False)
                body = json.loads(r.content)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text[:500]
            d = body["data"]
            print("%-34s %10.1f %10.1f %12d %12d" % (name, statistics.median(times), min(times),
                                                     len(d["affected_items"]),
                                                     d["total_affected_items"]))
    finally:
        for p in reversed(procs):
            try:
                p.stop(30)
            except Exception as e:  # report and go on stopping the others
                print("stopping %s: %s" % (p.argv[0], e), file=sys.stderr)
                p.kill()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
