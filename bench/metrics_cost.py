"""What a Prometheus scrape costs the master: a master and two workers with N simulated agents
(default 10,000, a third on each node), then RUNS scrapes of GET /metrics on the master's API
port with the metrics token over one kept-alive connection.  Server side: the time the master
took to build each text (vigil_metrics_build_seconds, which the next scrape reports).  Client
side: each scrape's round trip against a trivial GET / (JWT) on the same connection in the
same run.  Prints one JSON line with the medians (and min, max) in milliseconds.

    bench/metrics_cost.py BUILD_DIR [N] [RUNS]

The issue's budget: under 5 ms of the node's time at 10,000 agents (bench/RESULTS.md)."""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vbench import Bench, log, med_min_max  # noqa: E402

TOKEN = "bench-metrics-token-0123456789"
BUILD_RE = re.compile(r"^vigil_metrics_build_seconds (\S+)$", re.M)
ACTIVE_RE = re.compile(r'^vigil_agents\{status="active",node="[^"]*"\} (\d+)$', re.M)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    tokdir = tempfile.mkdtemp(prefix="vigil-metrics-token-")
    tok = os.path.join(tokdir, "metrics.token")
    with open(tok, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tok, 0o600)
    b = Bench(build, node_args=["--metrics-token-file", tok])
    try:
        sims = b.add_sims(n, b.nodes, args=["--keepalive", "10", "--enroll-concurrency", "100"])
        b.wait_active(sims, timeout=60 + n // 100)
        b.wait_master_active(n, timeout=60)
        url = b.master.url
        scrape_h = {"Authorization": "Bearer " + TOKEN}
        built, scrape_ms, trivial_ms = [], [], []
        text = ""
        for i in range(runs + 1):
            t0 = time.perf_counter()
            r = b.http.get(url + "/", timeout=30, verify=False)
            t1 = time.perf_counter()
            assert r.status_code == 200, r.text
            r = b.http.get(url + "/metrics", headers=scrape_h, timeout=30, verify=False)
            t2 = time.perf_counter()
            assert r.status_code == 200, r.text
            text = r.text
            if i > 0:      # the first reports no earlier build; its connection is new
                built.append(float(BUILD_RE.search(text).group(1)) * 1000)
                trivial_ms.append((t1 - t0) * 1000)
                scrape_ms.append((t2 - t1) * 1000)
        active = sum(int(x) for x in ACTIVE_RE.findall(text))
        assert active == n, "the scrape counts %d active agents of %d" % (active, n)
        out = {"agents": n, "runs": runs, "bytes": len(text.encode()),
               "build_ms": med_min_max(built), "scrape_ms": med_min_max(scrape_ms),
               "trivial_get_ms": med_min_max(trivial_ms),
               "scrape_minus_trivial_ms": round(sorted(scrape_ms)[len(scrape_ms) // 2] -
                                                sorted(trivial_ms)[len(trivial_ms) // 2], 3)}
        print(json.dumps(out))
    finally:
        b.close()
        os.unlink(tok)
        os.rmdir(tokdir)


if __name__ == "__main__":
    log("metrics_cost: starting")
    main()
