#!/usr/bin/python3
"""The registry's write rate on SQLite and on PostgreSQL, in the same run (issue 14).

    make bench-tools && /usr/bin/python3 bench/registry_write.py [--build build] [--agents N]
        [--rounds R]

Each round runs build/bench/regbench once on a fresh SQLite file and once on a fresh
PostgreSQL database (a throwaway server on 127.0.0.1 with fsync on, as a real one runs;
SQLite in WAL with synchronous=NORMAL, as vigild runs it), alternating which goes first.
Prints each run and the medians, and PostgreSQL's rate as a ratio of SQLite's."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "system"))

import pg  # noqa: E402
import vigil  # noqa: E402

KEYS = ["add_rows_per_s", "update_rows_per_s", "touch_rows_per_s", "job_s"]


def run(tool, where, n):
    out = subprocess.run([tool, where, str(n)], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=600).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tool = os.path.join(os.path.abspath(args.build), "bench", "regbench")
    os.environ["PG_FSYNC"] = "on"
    server = pg.PgServer(vigil.free_port())
    res = {"sqlite": [], "postgresql": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.rounds):
                db, uri = server.create_db()
                order = [("sqlite", os.path.join(tmp, "r%d.db" % i)), ("postgresql", uri)]
                if i % 2:
                    order.reverse()
                for backend, where in order:
                    r = run(tool, where, args.agents)
                    res[backend].append(r)
                    print(json.dumps(r), flush=True)
                server.drop_db(db)
    finally:
        server.stop()
    print("\nmedians of %d rounds, %d agents:" % (args.rounds, args.agents))
    print("| backend | add rows/s | update rows/s | keepalive rows/s | job of N (create, wave, "
          "save) |")
    print("|---|---|---|---|---|")
    med = {b: {k: statistics.median(r[k] for r in res[b]) for k in KEYS} for b in res}
    for b in ("sqlite", "postgresql"):
        m = med[b]
        print("| %s | %.0f | %.0f | %.0f | %.0f ms |" % (b, m["add_rows_per_s"],
              m["update_rows_per_s"], m["touch_rows_per_s"], m["job_s"] * 1000))
    print("| PostgreSQL / SQLite | %.2f× | %.2f× | %.2f× | %.2f× the time |" % tuple(
        med["postgresql"][k] / med["sqlite"][k] for k in KEYS))


if __name__ == "__main__":
    main()
