#!/usr/bin/python3
"""Vigil's benchmark set, with its baselines measured in the same run.

    bench/run.py [--full] [--runs 5] [--build build] [--out FILE]

Quick set (`make bench`, a few minutes): N = 1,000 and 10,000 agents.  --full adds 50,000.
For each N: the floor and mosquitto (bench/baselines.py), then Vigil on a master and two
workers (bench/dispatch.py): restart dispatch, and at 10,000 the propagation and cost
measurements.  Every figure is the median of --runs runs with min and max; ratios are
Vigil / baseline of the medians.  Prints a Markdown report and writes the raw numbers as JSON.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import baselines  # noqa: E402
import dispatch  # noqa: E402
from vbench import log, med_min_max, interrupt_guard  # noqa: E402


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1),
            "kernel": platform.release(), "load_at_start": os.getloadavg()[0],
            "commit": subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                     capture_output=True, text=True).stdout.strip()}


def fmt(m, key="median"):
    v = m.get(key)
    return "-" if v is None else ("%.0f" % v if v >= 10 else "%.1f" % v)


def cell(m):
    return "%s (%s–%s)" % (fmt(m), fmt(m, "min"), fmt(m, "max"))


def ratio(a, b):
    return None if not a or not b else a / b


def log_baseline(name, runs):
    m = {k: med_min_max([r[k] for r in runs]) for k in ("p50_ms", "p99_ms", "max_ms")}
    log("  %s: median p50 %.1f ms, p99 %.1f ms, max %.1f ms (max %.1f-%.1f)" % (
        name, m["p50_ms"]["median"], m["p99_ms"]["median"], m["max_ms"]["median"],
        m["max_ms"]["min"], m["max_ms"]["max"]))


def one_n(n, runs, build, with_extra):
    out = {"agents": n}
    log("== N = %d: floor" % n)
    out["floor"] = baselines.floor_runs(n, runs, build)
    log_baseline("floor", out["floor"])
    log("== N = %d: mosquitto (QoS 1)" % n)
    out["mqtt"] = baselines.mqtt_runs(n, runs, build, qos=1)
    log_baseline("mosquitto", out["mqtt"])
    log("== N = %d: Vigil" % n)
    b, sims, info = dispatch.setup(build, n)
    try:
        info["restart_runs"] = dispatch.restart_runs(b, sims, n, runs)
        if with_extra:
            info["rolling"] = dispatch.rolling_run(b, n, n // 10)
            info["propagation"] = dispatch.propagation(b, sims, runs)
    finally:
        b.close()
    out["vigil"] = info
    return out


def summarize(res):
    s = {}
    for key in ("floor", "mqtt"):
        s[key] = {k: med_min_max([r[k] for r in res[key]]) for k in baselines.KEYS}
    runs = res["vigil"]["restart_runs"]
    s["vigil"] = {k: med_min_max([r[k] for r in runs]) for k in runs[0]}
    v = s["vigil"]
    s["ratios"] = {
        "command_max_vs_floor": ratio(v["command_max_ms"]["median"], s["floor"]["max_ms"]["median"]),
        "command_max_vs_mqtt": ratio(v["command_max_ms"]["median"], s["mqtt"]["max_ms"]["median"]),
        "api_vs_floor": ratio(v["api_ms"]["median"], s["floor"]["max_ms"]["median"]),
        "api_vs_mqtt": ratio(v["api_ms"]["median"], s["mqtt"]["max_ms"]["median"]),
    }
    prop = res["vigil"].get("propagation")
    if prop:
        s["propagation"] = {
            cond: {k: med_min_max([r[k] for r in prop[cond]]) for k in ("p50_ms", "p99_ms")}
            for cond in ("rest", "churn")}
    return s


def report(mach, results, summaries):
    lines = ["## Run of %s (commit %s)" % (time.strftime("%Y-%m-%d %H:%M"), mach["commit"]), "",
             "Machine: %s, %d cores, %.0f GiB, Linux %s; load %.2f at start." % (
                 mach["cpu"], mach["cores"], mach["memory_gib"], mach["kernel"],
                 mach["load_at_start"]), "",
             "Restart dispatch, ms from the request (median (min–max) of the runs):", "",
             "| N | floor max | mosquitto max | Vigil API answer | Vigil command p50 | "
             "Vigil command p99 | Vigil command max | Vigil all active again | "
             "Vigil job done | max ÷ floor | max ÷ mosquitto |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for res, s in zip(results, summaries):
        v = s["vigil"]
        r = s["ratios"]
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %.1f× | %.2f× |" % (
            res["agents"], cell(s["floor"]["max_ms"]), cell(s["mqtt"]["max_ms"]),
            cell(v["api_ms"]), cell(v["command_p50_ms"]), cell(v["command_p99_ms"]),
            cell(v["command_max_ms"]), cell(v["active_max_ms"]), cell(v["job_done_ms"]),
            r["command_max_vs_floor"] or 0, r["command_max_vs_mqtt"] or 0))
    for res in results:
        ro = res["vigil"].get("rolling")
        if ro:
            lines += ["", "Rolling restart of %d agents, max_in_flight %d: every agent proven "
                      "restarted in %.1f s (peak %d in flight, %d completed; one run)." % (
                          ro["agents"], ro["max_in_flight"], ro["done_ms"] / 1000,
                          ro["peak_in_flight"], ro["completed"])]
    for res, s in zip(results, summaries):
        if "propagation" in s:
            p = s["propagation"]
            lines += ["", "Propagation at %d agents (move between workers → master's GET /agents "
                      "shows the new node), ms:" % res["agents"], "",
                      "| condition | p50 | p99 |", "|---|---|---|",
                      "| at rest | %s | %s |" % (cell(p["rest"]["p50_ms"]), cell(p["rest"]["p99_ms"])),
                      "| %d%%/s migration churn | %s | %s |" % (
                          res["vigil"]["propagation"]["churn_pct_per_s"],
                          cell(p["churn"]["p50_ms"]), cell(p["churn"]["p99_ms"]))]
        c = res["vigil"].get("cost")
        if c and res["agents"] >= 10000:
            lines += ["", "Cost at %d agents (idle %d s, keepalive every %d s):" % (
                res["agents"], c["window_s"], c["keepalive_s"]), ""]
            for name, nd in c["nodes"].items():
                lines.append("- %s: %d sessions, RSS %d KiB, %s bytes per session, "
                             "%d registry rows/s" % (name, nd["sessions"], nd["rss_kb"],
                                                     nd["bytes_per_session"], nd["registry_rows_per_s"]))
            lines.append("- whole cluster: %d bytes of node memory per agent; %.3f CPU s per "
                         "1,000 keepalives; simulator %d bytes per agent" % (
                             c["cluster_bytes_per_agent"], c["cpu_s_per_1000_keepalives"] or 0,
                             c["sim_bytes_per_agent"]))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="add 50,000 agents")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default=None, help="comma list of N instead of the set")
    ap.add_argument("--build", default=os.environ.get("VIGIL_BUILD",
                                                      os.path.join(HERE, "..", "build")))
    ap.add_argument("--out", default=None, help="raw results (JSON); default BUILD/bench.json")
    a = ap.parse_args()
    interrupt_guard()
    build = os.path.abspath(a.build)
    sizes = [1000, 10000] + ([50000] if a.full else [])
    if a.sizes:
        sizes = [int(x) for x in a.sizes.split(",")]
    mach = machine()
    t0 = time.monotonic()
    out = a.out or os.path.join(build, "bench.json")
    results, summaries, failed = [], [], []
    for n in sizes:
        try:
            results.append(one_n(n, a.runs, build, n == 10000))
            summaries.append(summarize(results[-1]))
        except Exception as e:  # report what was measured; say what was not
            log("N = %d failed: %s" % (n, e))
            failed.append({"agents": n, "error": str(e)[:2000]})
        with open(out, "w") as f:
            json.dump({"machine": mach, "results": results, "summaries": summaries,
                       "failed": failed}, f, indent=1)
    print(report(mach, results, summaries))
    for f in failed:
        print("N = %d: not measured: %s" % (f["agents"], f["error"][:300]))
    log("done in %.0f s; raw numbers in %s" % (time.monotonic() - t0, out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
