#!/usr/bin/python3
"""Failover of the coordinator (issue 14): how long after a kill -9 of the coordinator the
standby serves the API, the worker has joined it, and the master sees every agent active.

    /usr/bin/python3 bench/failover.py [--build build] [--agents N] [--kills K]

Two master-capable nodes on a throwaway PostgreSQL server (fsync on), one worker given both
(--master a,b), N simulated agents on the worker.  K times: kill -9 the coordinator, time
the three events from the kill (polling every 20 ms), start the killed node again as the new
standby.  Prints each kill and the medians."""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from vbench import log, interrupt_guard, raise_nofile  # noqa: E402
import pg  # noqa: E402
import vigil  # noqa: E402


def api_up(n):
    return n.alive() and n._api_up()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=5)
    a = ap.parse_args()
    interrupt_guard()
    raise_nofile()
    vigil.BUILD = os.path.abspath(a.build)
    os.environ["PG_FSYNC"] = "on"
    import tempfile
    tmp = tempfile.mkdtemp(prefix="vigil-failover-")
    key = os.path.join(tmp, "cluster.key")
    with open(key, "w") as f:
        f.write("bench-cluster-key-0123456789abcdef\n")
    os.chmod(key, 0o600)
    server = pg.PgServer(vigil.free_port())
    procs = []
    out = []
    try:
        uri = server.uri()

        def master(name, ports=None, wait_up=True):
            args = ["--registry", uri, "--cluster-key-file", key, "--token-lifetime", "36000"]
            if ports:
                args += ["--cluster-port", str(ports[0]), "--api-port", str(ports[1])]
            m = vigil.Node(tmp, name=name, args=args, wait_up=wait_up)
            if ports:
                m.cluster_port, m.api_port = ports
                m.url = "https://127.0.0.1:%d" % m.api_port
            procs.append(m)
            return m

        ms = [master("master-a")]
        ms.append(master("master-b", wait_up=False))
        w = vigil.Node(tmp, name="worker1", role="worker",
                       args=["--master", ",".join("127.0.0.1:%d" % m.cluster_port for m in ms),
                             "--cluster-key-file", key])
        procs.append(w)
        sim = vigil.Sim(tmp, ms[0], a.agents, managers=w.agent_addr,
                        args=["--keepalive", "10", "--enroll-concurrency", "100"])
        procs.append(sim)
        vigil.wait_for(lambda: vigil.n_active(ms[0]) == a.agents + 1, 120, 0.2, "agents active")
        for k in range(a.kills):
            coord = 0 if api_up(ms[0]) else 1
            old, new = ms[coord], ms[1 - coord]
            t0 = time.monotonic()
            old.kill()
            t = {}
            while len(t) < 3 and time.monotonic() - t0 < 60:
                now = time.monotonic() - t0
                if "api" not in t and api_up(new):
                    t["api"] = now
                if "worker" not in t and "api" in t:
                    # the worker's link: the new coordinator lists it as a connected node
                    r = new.api("GET", "/cluster/nodes", timeout=5)
                    if r.status_code == 200 and any(
                            x["name"] == "worker1" for x in r.json()["data"]["affected_items"]):
                        t["worker"] = time.monotonic() - t0
                if "agents" not in t and "worker" in t and vigil.n_active(new) == a.agents + 1:
                    t["agents"] = time.monotonic() - t0
                time.sleep(0.02)
            row = {k2: round(v * 1000) for k2, v in t.items()}
            log("kill %d of %s: %s (ms after the kill)" % (k + 1, old.name, json.dumps(row)))
            out.append(row)
            ms[coord] = master(old.name, (old.cluster_port, old.api_port), wait_up=False)
            vigil.wait_for(lambda: "stands by" in ms[coord].output(), 30, 0.1, "standby")
        med = {k2: statistics.median(r[k2] for r in out if k2 in r)
               for k2 in ("api", "worker", "agents")}
        print(json.dumps({"agents": a.agents, "kills": out, "median_ms": med}, indent=1))
    finally:
        vigil.stop_all(procs)
        server.stop()


if __name__ == "__main__":
    main()
