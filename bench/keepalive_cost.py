"""Keepalive cost only: a master and two workers with N agents on the workers (default
10,000), a 20 s window of rest once the first round of whole records and merged.mg pushes is
over, CPU of every node from /proc, keepalives from stats.json.  Prints one JSON line.

    bench/keepalive_cost.py BUILD_DIR [N]

Run it several times, alternating with another build for a ratio (bench/RESULTS.md)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dispatch  # noqa: E402

b = dispatch.Bench(sys.argv[1])
try:
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    sims = b.add_sims(n, b.workers, args=["--keepalive", "10", "--enroll-concurrency", "100"])
    b.wait_active(sims, timeout=60 + n // 100)
    b.wait_master_active(n, timeout=60)
    time.sleep(15)        # past the first round of whole records and merged.mg pushes
    s0 = b.stats(); t0 = time.time()
    time.sleep(20)
    s1 = b.stats()
    ka = sum(s1[x]["keepalives"] - s0[x]["keepalives"] for x in s1)
    cpu = {x: round(s1[x]["cpu_proc_s"] - s0[x]["cpu_proc_s"], 3) for x in s1}
    print(json.dumps({"build": sys.argv[1], "keepalives": ka, "cpu": cpu,
                      "per_1000": round(sum(cpu.values()) / ka * 1000, 4)}), flush=True)
finally:
    b.close()
