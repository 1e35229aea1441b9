#!/usr/bin/python3
"""Vigil's own measurements on a master and two workers (127.0.0.1):

- restart dispatch: PUT /agents/restart for every agent; the API's answer time, when each
  agent received the command (p50/p99/max from the request), when each was active again;
- state propagation: an agent moves between workers; time until the master's GET /agents
  shows the new node, at rest and under migration churn;
- cost: node memory per connected agent, CPU seconds per 1,000 keepalives, registry writes.

Used by bench/run.py; runnable alone:
    bench/dispatch.py --agents 10000 [--runs 5] [--propagation] [--build build] [--workers 2]
"""

import argparse
import json
import os
import random
import sys
import time

from vbench import Bench, log, med_min_max, pct, interrupt_guard
import vigil  # noqa: E402  (vbench put tests/system on the path)

RESTART_DELAY_MS = 500      # a simulated agent restarts in 0.5-1.0 s
RESTART_JITTER_MS = 500
KEEPALIVE_S = 10            # Wazuh's default notify_time
COST_WINDOW_S = 15


def setup(build, n, keep=False, workers=2, registry=None):
    """A cluster with n agents: on the workers while they fit, on every node beyond.
    registry: the master's --registry (a postgresql:// URI), or None for SQLite.
    Returns (bench, sims, info)."""
    b = Bench(build, workers=workers, keep=keep,
              master_args=["--registry", registry] if registry else ())
    try:
        return setup_agents(b, n)
    except BaseException:
        b.close()
        raise


def setup_agents(b, n):
    info = {"agents": n}
    time.sleep(1.5)
    before = b.stats()
    holders = b.workers if n <= len(b.workers) * 18000 else b.nodes
    info["agent_nodes"] = [x.name for x in holders]
    log("%d agents on %s: enrolling and connecting" % (n, ", ".join(info["agent_nodes"])))
    t0 = time.monotonic()
    sims = b.add_sims(n, holders, args=[
        "--keepalive", str(KEEPALIVE_S), "--restart-delay", str(RESTART_DELAY_MS),
        "--reconnect-jitter", str(RESTART_JITTER_MS), "--enroll-concurrency", "100"])
    b.wait_active(sims, timeout=60 + n // 100)
    b.wait_master_active(n, timeout=60)
    info["setup_s"] = round(time.monotonic() - t0, 1)
    log("  all %d active after %.1f s" % (n, info["setup_s"]))
    time.sleep(3)
    info["cost"] = cost(b, sims, n, before)
    return b, sims, info


def cost(b, sims, n, before):
    """Memory per agent from the nodes' RSS, then CPU and registry writes over an idle window."""
    s0 = b.stats()
    time.sleep(COST_WINDOW_S)
    s1 = b.stats()
    out = {"window_s": COST_WINDOW_S, "keepalive_s": KEEPALIVE_S, "nodes": {}}
    tot_cpu = tot_ka = 0
    for name in s1:
        sess = s1[name]["sessions"]
        rss_delta = (s1[name]["rss_kb"] - before[name]["rss_kb"]) * 1024
        cpu = s1[name]["cpu_proc_s"] - s0[name]["cpu_proc_s"]
        ka = s1[name]["keepalives"] - s0[name]["keepalives"]
        rows = s1[name]["registry_rows_written"] - s0[name]["registry_rows_written"]
        tot_cpu += cpu
        tot_ka += ka
        out["nodes"][name] = {
            "sessions": sess, "rss_kb": s1[name]["rss_kb"], "rss_delta_bytes": rss_delta,
            "bytes_per_session": round(rss_delta / sess) if sess else None,
            "cpu_s": round(cpu, 3), "keepalives": ka,
            "registry_rows_per_s": round(rows / COST_WINDOW_S, 1)}
    out["cluster_bytes_per_agent"] = round(
        sum(s1[x]["rss_kb"] - before[x]["rss_kb"] for x in s1) * 1024 / n)
    out["cpu_s_per_1000_keepalives"] = round(tot_cpu / tot_ka * 1000, 4) if tot_ka else None
    out["sim_bytes_per_agent"] = round(
        sum(s.summary()["memory_per_agent_bytes"] * s.agents for s in sims) / n)
    log("  cost: %s" % json.dumps({k: v for k, v in out.items() if k != "nodes"}))
    return out


def restart_run(b, sims, n, tag, timeout=180):
    """One PUT /agents/restart for every agent, followed to the end.  The run starts once
    the master shows every agent active; agents the answer leaves out (not active at that
    moment) are counted in "affected" and the latencies are over those that got it."""
    b.wait_master_active(n, timeout)
    for s in sims:
        s.ask("mark", "mark")
    t0 = time.time()
    # wait_for_complete: at 50,000 the answer may pass the 10 s request_timeout (3021)
    r = b.api("PUT", "/agents/restart", params={"wait_for_complete": "true"})
    api_s = time.time() - t0
    body = r.json()
    if r.status_code != 200:
        raise RuntimeError("restart answered %d: %s" % (r.status_code, r.text[:500]))
    affected = body["data"]["total_affected_items"]
    job = r.headers.get("X-Vigil-Job")
    deadline = time.monotonic() + timeout
    while True:
        sums = [s.summary()["latency"] for s in sims]
        got = sum(x["command_ms"]["count"] for x in sums)
        back = sum(x["back_active_ms"]["count"] for x in sums)
        if got >= affected and back >= affected:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("after %d s: %d/%d commands, %d/%d back" % (
                timeout, got, affected, back, affected))
        time.sleep(0.1)
    t_master = None
    while t_master is None:
        if b.master_active() >= n:
            t_master = time.time() - t0
        elif time.monotonic() > deadline:
            raise RuntimeError("the master does not show every agent active again")
        else:
            time.sleep(0.1)
    t_job = job_done_s(b, job, t0, deadline)
    t0us = int(t0 * 1e6)
    cmd, up = [], []
    for s in sims:
        for row in s.dump(os.path.join(b.tmp, "%s-%s.tsv" % (s.name, tag))):
            arrivals = [int(x) for x in row["command_us"].split(",") if x != "-"]
            first = next((a for a in arrivals if a >= t0us), None)
            if first is None:
                continue          # not active when the request came: not affected
            cmd.append((first - t0us) / 1000.0)
            up.append((int(row["up_us"]) - t0us) / 1000.0)
    res = {"api_ms": round(api_s * 1000, 1), "affected": affected,
           "command_p50_ms": pct(cmd, 50), "command_p99_ms": pct(cmd, 99),
           "command_max_ms": max(cmd),
           "active_p50_ms": pct(up, 50), "active_p99_ms": pct(up, 99), "active_max_ms": max(up),
           "master_all_active_ms": round(t_master * 1000),
           "job_done_ms": round(t_job * 1000)}
    log("  run %s: %d affected, api %.0f ms, command p50/p99/max %.0f/%.0f/%.0f ms, active max %.0f ms, "
        "master all active %.0f ms, job done %.0f ms" % (
            tag, affected, res["api_ms"], res["command_p50_ms"], res["command_p99_ms"],
            res["command_max_ms"], res["active_max_ms"], res["master_all_active_ms"],
            res["job_done_ms"]))
    return res


def job_done_s(b, job, t0, deadline):
    """Seconds from t0 until the job says every agent is done (completed, failed...): the
    restart proven by each agent's "Agent started", not only written."""
    while True:
        j = b.api("GET", "/jobs/%s" % job, params={"limit": 1}).json()
        item = j["data"]["affected_items"][0]
        if item["status"] == "done":
            if item["counts"]["completed"] != item["total"]:
                raise RuntimeError("job %s done with %s" % (job, item["counts"]))
            return time.time() - t0
        if time.monotonic() > deadline:
            raise RuntimeError("job %s not done: %s" % (job, item["counts"]))
        time.sleep(0.1)


def rolling_run(b, n, max_in_flight, timeout=600):
    """A rolling restart of every agent, max_in_flight at a time: seconds until the job is
    done, and the most agents in flight seen."""
    b.wait_master_active(n, timeout)
    t0 = time.time()
    r = b.api("PUT", "/agents/restart", params={"max_in_flight": str(max_in_flight)})
    job = r.headers["X-Vigil-Job"]
    deadline = time.monotonic() + timeout
    peak = 0
    while True:
        item = b.api("GET", "/jobs/%s" % job, params={"limit": 1}).json()["data"][
            "affected_items"][0]
        peak = max(peak, item["in_flight"])
        if item["status"] == "done":
            break
        if time.monotonic() > deadline:
            raise RuntimeError("rolling job %s not done: %s" % (job, item["counts"]))
        time.sleep(0.2)
    res = {"agents": n, "max_in_flight": max_in_flight, "done_ms": round((time.time() - t0) * 1000),
           "peak_in_flight": peak, "completed": item["counts"]["completed"]}
    log("  rolling restart of %d, max_in_flight %d: done in %.1f s, peak in flight %d, "
        "%d completed" % (n, max_in_flight, res["done_ms"] / 1000, peak, res["completed"]))
    return res


def restart_runs(b, sims, n, runs):
    out = []
    for i in range(runs):
        out.append(restart_run(b, sims, n, str(i)))
        time.sleep(2)
    return out


def node_of(b, manager):
    return b.node_of_addr.get(manager)


def probe_round(b, sims, per_sim, timeout=15.0):
    """Moves per_sim random agents of each simulator to its other worker and measures how
    long after each one's new session the master's GET /agents shows the new node."""
    pending = {}          # id -> (expected node, up time in s)
    seen = []
    started = 0
    for s in sims:
        idx = random.sample(range(s.agents), per_sim)
        started += s.ask("move " + " ".join(map(str, idx)), "move")["started"]
    ups = 0
    deadline = time.monotonic() + timeout
    while (ups < started or pending) and time.monotonic() < deadline:
        for s in sims:
            while not s.ups.empty():
                ev = s.ups.get()
                pending[ev["id"]] = (node_of(b, ev["manager"]), ev["up_us"] / 1e6)
                ups += 1
        if pending:
            r = b.api("GET", "/agents", params={
                "agents_list": ",".join(sorted(pending)), "select": "node_name",
                "limit": "1000"})
            now = time.time()
            for a in r.json()["data"]["affected_items"]:
                want = pending.get(a["id"])
                if want is not None and a.get("node_name") == want[0]:
                    seen.append(max(0.0, (now - want[1]) * 1000.0))
                    del pending[a["id"]]
        time.sleep(0.02)
    return {"samples": len(seen), "lost": started - len(seen),
            "p50_ms": pct(seen, 50), "p99_ms": pct(seen, 99), "max_ms": max(seen) if seen else None}


def propagation(b, sims, runs, per_sim=50, churn_pct=10):
    out = {"rest": [], "churn": [], "churn_pct_per_s": churn_pct, "probes_per_run": per_sim *
           len(sims), "poll_interval_ms": 20}
    log("propagation at rest")
    for _ in range(runs):
        out["rest"].append(probe_round(b, sims, per_sim))
        log("  %s" % out["rest"][-1])
        time.sleep(1)
    log("propagation under %d%%/s migration churn" % churn_pct)
    st0 = b.stats()
    for s in sims:
        s.ask("rate migrate %d" % churn_pct, "rate")
    time.sleep(3)
    try:
        for _ in range(runs):
            out["churn"].append(probe_round(b, sims, per_sim))
            log("  %s" % out["churn"][-1])
            time.sleep(1)
    finally:
        for s in sims:
            s.ask("rate migrate 0", "rate")
    st1 = b.stats()
    out["moves_during_churn"] = sum(s.summary()["moves"] for s in sims)
    out["master_sync_applied_per_s"] = None
    m = b.master.name
    dt = st1[m]["time"] - st0[m]["time"]
    if dt > 0:
        out["master_sync_applied_per_s"] = round(
            (st1[m]["sync_applied"] - st0[m]["sync_applied"]) / dt)
    out["master_log_sync_latency"] = [line for line in b.master.output().splitlines()
                                      if "sync latency" in line][-6:]
    return out


def summarize_runs(runs, keys):
    return {k: med_min_max([r[k] for r in runs]) for k in keys}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--propagation", action="store_true")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--postgresql", action="store_true",
                    help="the master's registry on a throwaway PostgreSQL server (fsync on)")
    ap.add_argument("--workers", type=int, default=2,
                    help="worker nodes beside the master (100,000 agents: 5, six processes)")
    a = ap.parse_args()
    interrupt_guard()
    server = None
    if a.postgresql:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "tests"))
        import pg
        os.environ["PG_FSYNC"] = "on"
        server = pg.PgServer(vigil.free_port())
    try:
        b, sims, info = setup(a.build, a.agents, a.keep, a.workers,
                              server.uri() if server else None)
    except BaseException:
        if server:
            server.stop()
        raise
    info["registry"] = "postgresql" if server else "sqlite"
    try:
        runs = restart_runs(b, sims, a.agents, a.runs)
        info["restart_runs"] = runs
        info["restart"] = summarize_runs(runs, runs[0].keys())
        if a.propagation:
            info["propagation"] = propagation(b, sims, a.runs)
    finally:
        b.close()
        if server:
            server.stop()
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
