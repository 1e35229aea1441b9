#!/usr/bin/python3
"""Agent reconnect->ack latency while clients log in to the API.

A master alone, one simulated agent.  The agent is told to reconnect (vigil-sim --control
"move 0": it closes its session cleanly, connects again, sends its startup message and waits
for the ack); its latency is from the command to the ack ("up" event, wall clock), R times,
0.2 s apart.  Scenarios:

  idle         nothing else happens;
  logins       CLIENTS threads log in with valid credentials as fast as they are answered,
               with the login limits off (the check queue alone bounds them);
  logins+lim   the same with the default login limits (60 per address, 30 per user a
               minute): once spent, the clients get 429 at once.

Prints one JSON line per scenario: median, p90 and max latency (ms), and the logins
answered 200 and 429 a second while it ran.  Builds without the login options (before the
checks left the loop) run the scenarios that do not need them.

    /usr/bin/python3 bench/login_storm.py [--build BUILD] [--runs 30] [--clients 32]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import shutil

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vbench  # noqa: E402
from vbench import ControlledSim, log, pct  # noqa: E402
import vigil  # noqa: E402

GAP_S = 0.2


class Master(vigil.Proc):
    """vigild as a master, started here so that builds without the newer options run."""

    def __init__(self, build, tmp, args):
        self.data_dir = os.path.join(tmp, "master")
        self.agent_port = vigil.free_port()
        self.enroll_port = vigil.free_port()
        self.api_port = vigil.free_port()
        argv = [os.path.join(build, "vigild"), "--foreground", "--listen", "127.0.0.1",
                "--data-dir", self.data_dir, "--agent-port", str(self.agent_port),
                "--enroll-port", str(self.enroll_port), "--cluster-port",
                str(vigil.free_port()), "--api-port", str(self.api_port),
                "--max-request-per-minute", "0"] + list(args)
        super().__init__(argv, os.path.join(tmp, "master.log"),
                         {"VIGIL_API_USER": vigil.API_USER,
                          "VIGIL_API_PASSWORD": vigil.API_PASSWORD})
        self.url = "https://127.0.0.1:%d" % self.api_port
        vigil.wait_for(self._up, 20, what="vigild API")

    def _up(self):
        if not self.alive():
            raise RuntimeError("vigild exited:\n" + self.output()[-2000:])
        try:
            return requests.get(self.url + "/", verify=False, timeout=2).status_code == 401
        except requests.RequestException:
            return False


def supports_login_options(build):
    out = subprocess.run([os.path.join(build, "vigild"), "--help"], capture_output=True,
                         text=True).stdout
    return "--max-logins-per-source" in out


def storm(url, clients, stop, counts, lock):
    def client():
        s = requests.Session()
        while not stop.is_set():
            try:
                r = s.post(url + "/security/user/authenticate",
                           auth=(vigil.API_USER, vigil.API_PASSWORD), verify=False, timeout=120)
                code = r.status_code
            except requests.RequestException:
                code = "error"
            with lock:
                counts[code] = counts.get(code, 0) + 1
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    return threads


def scenario(build, name, runs, clients, node_args):
    tmp = tempfile.mkdtemp(prefix="vigil-login-bench-")
    master = sim = None
    stop = threading.Event()
    counts, lock, threads = {}, threading.Lock(), []
    try:
        master = Master(build, tmp, node_args)
        sim = ControlledSim(build, tmp, "sim", "127.0.0.1:%d" % master.agent_port,
                            "127.0.0.1:%d" % master.enroll_port, 1)
        vigil.wait_for(lambda: sim.summary()["active"] == 1, 30, what="the agent active")
        if clients:
            threads = storm(master.url, clients, stop, counts, lock)
            vigil.wait_for(lambda: sum(counts.values()) >= clients, 60,
                           what="the login clients under way")
        with lock:
            before = dict(counts)
        lat = []
        w0 = time.monotonic()
        for _ in range(runs):
            time.sleep(GAP_S)       # samples spread over the storm, not one burst
            t0 = time.time()
            ev = sim.ask("move 0", "move")
            if ev.get("started") != 1:
                raise RuntimeError("move not started: %r" % ev)
            up = sim.ups.get(timeout=120)
            lat.append((up["up_us"] / 1e6 - t0) * 1000)
        with lock:
            during = {str(k): v - before.get(k, 0) for k, v in counts.items()}
        secs = time.monotonic() - w0
        return {"scenario": name, "build": build, "runs": runs, "clients": clients,
                "median_ms": round(pct(lat, 50), 2), "p90_ms": round(pct(lat, 90), 2),
                "max_ms": round(max(lat), 2), "seconds": round(secs, 1),
                "logins_per_s": {k: round(v / secs, 1) for k, v in during.items()}}
    finally:
        stop.set()
        for t in threads:
            t.join(130)
        if sim is not None:
            sim.stop()
        if master is not None:
            master.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("VIGIL_BUILD", "build"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--clients", type=int, default=32)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    vbench.raise_nofile()
    new = supports_login_options(build)
    plan = [("idle", 0, []), ("logins", a.clients,
                              ["--max-logins-per-source", "0", "--max-logins-per-user", "0"]
                              if new else [])]
    if new:
        plan.append(("logins+lim", a.clients, []))
    for name, clients, args in plan:
        log("%s: %s" % (build, name))
        print(json.dumps(scenario(build, name, a.runs, clients, args)), flush=True)


if __name__ == "__main__":
    main()
