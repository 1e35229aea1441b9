#!/usr/bin/python3
"""make demo: a master and 100 simulated agents on 127.0.0.1; restart them all
through the REST API and show that every one got the command and came back."""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import vigil  # noqa: E402


def step(msg):
    print("\n==> " + msg, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = ap.parse_args()
    vigil.BUILD = os.path.abspath(args.build)
    n = args.agents
    tmp = tempfile.mkdtemp(prefix="vigil-demo-")
    procs = []
    t0 = time.monotonic()
    try:
        step("starting a master node (data in %s)" % tmp)
        master = vigil.Node(tmp)
        procs.append(master)
        print("    REST API %s, agents on %s, enrollment on %s"
              % (master.url, master.agent_addr, master.enroll_addr))

        step("starting %d simulated agents (they enroll, connect, send keepalives)" % n)
        sim = vigil.Sim(tmp, master, n, args=["--keepalive", "2"])
        procs.append(sim)

        def active_count():
            agents = master.agents()
            return sum(1 for a in agents.values() if a["id"] != "000" and a["status"] == "active")
        last = [-1]

        def all_active():
            c = active_count()
            if c != last[0]:
                print("    %d/%d agents active" % (c, n), flush=True)
                last[0] = c
            return c == n
        vigil.wait_for(all_active, 40, 0.2, "all agents active")

        step("PUT /agents/restart (all agents)")
        t_req = time.monotonic()
        r = master.api("PUT", "/agents/restart")
        dt = time.monotonic() - t_req
        body = r.json()
        shown = json.loads(json.dumps(body))
        items = shown["data"]["affected_items"]
        if len(items) > 6:
            shown["data"]["affected_items"] = items[:3] + ["..."] + items[-2:]
        print("    HTTP %d in %.0f ms:" % (r.status_code, dt * 1000))
        print("    " + json.dumps(shown, indent=2).replace("\n", "\n    "))
        if r.status_code != 200 or body["data"]["total_affected_items"] != n:
            print("demo: FAILED: expected %d affected agents" % n)
            return 1

        step("waiting until every agent has received the command and is active again")

        def every_agent_restarted():
            s = sim.summary()
            if not s:
                return False
            per = [a.get("restarts", 0) for a in s.get("agent_list", [])]
            return len(per) == n and all(k >= 1 for k in per)
        vigil.wait_for(every_agent_restarted, 30, 0.2, "every simulated agent got a restart")
        s = sim.summary()
        per = [a.get("restarts", 0) for a in s["agent_list"]]
        print("    simulator: %d agents, restart commands received per agent: min %d, max %d"
              % (len(per), min(per), max(per)))
        last[0] = -1
        vigil.wait_for(all_active, 40, 0.2, "all agents active again")

        summary = master.api("GET", "/agents/summary/status").json()["data"]["connection"]
        print("    GET /agents/summary/status: %s" % json.dumps(summary))
        step("done in %.1f s: %d agents restarted through the API and back active"
             % (time.monotonic() - t0, n))
        return 0
    finally:
        for p in reversed(procs):
            p.stop()
        if args.keep:
            print("data kept in " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
