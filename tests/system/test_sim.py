"""vigil-sim's scenarios and reports: version mix, latencies from a mark, the per-agent
file, migration and flapping between real nodes, and moves asked for on stdin."""

import json
import os

import vigil
from test_cluster import key, on_node, start_master, start_worker  # noqa: F401


def final_summary(sim):
    """The summary the simulator printed when it exited."""
    lines = [line for line in sim.output().splitlines()
             if line.startswith("{") and '"final":true' in line]
    assert lines, "no final summary in the simulator's output"
    return json.loads(lines[-1])


def test_version_mix_latencies_and_agent_file(tmp_path, procs, master):
    sim = vigil.Sim(tmp_path, master, 8, control=True,
                    args=["--version-mix", "4.1.5:1,4.12.0:3", "--keepalive", "2",
                          "--restart-delay", "100", "--reconnect-jitter", "200"])
    procs.append(sim)
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 8, 30, 0.1, "8 agents active")
    versions = sorted(a.get("version", "") for i, a in master.agents().items() if i != "000")
    vigil.wait_for(lambda: sorted(a.get("version", "") for i, a in master.agents().items()
                                  if i != "000") == ["Wazuh v4.1.5"] * 2 + ["Wazuh v4.12.0"] * 6,
                   10, 0.1, "the master sees two 4.1.5 agents and six 4.12.0 (saw %s)" % versions)
    assert sim.summary()["versions"] == {"4.1.5": 2, "4.12.0": 6}

    sim.send("mark")
    mark = vigil.wait_for(lambda: sim.events("mark"), 5, 0.05, "the mark answer")[0]["us"]
    r = master.api("PUT", "/agents/restart")
    assert r.status_code == 200 and r.json()["data"]["total_affected_items"] == 8, r.text
    vigil.wait_for(lambda: (sim.summary() or {}).get("back_after_restart") == 8, 20, 0.1,
                   "every agent restarted and came back")
    s = sim.summary()
    lat = s["latency"]
    assert lat["mark_us"] == mark
    assert lat["command_ms"]["count"] == 8 and lat["back_active_ms"]["count"] == 8
    assert 0 <= lat["command_ms"]["p50"] <= lat["command_ms"]["p99"] <= lat["command_ms"]["max"]
    # back means a new session after the command: restart delay (100 ms) at least
    assert lat["back_active_ms"]["p50"] >= 100
    # agents below 4.2.0 are sent restart-ossec0, the others restart-wazuh0
    assert s["legacy_restarts"] == 2
    assert s["memory_per_agent_bytes"] >= 0 and s["rss_kb"] > 0

    path = os.path.join(str(tmp_path), "agents.tsv")
    sim.send("dump " + path)
    ev = vigil.wait_for(lambda: sim.events("dump"), 5, 0.05, "the dump answer")[0]
    assert ev["ok"] is True
    rows = vigil.read_agent_file(path)
    assert len(rows) == 8
    for row in rows:
        assert row["version"] == ("4.1.5" if int(row["idx"]) % 4 == 0 else "4.12.0")
        assert row["legacy"] == ("1" if row["version"] == "4.1.5" else "0")
        arrivals = [int(x) for x in row["command_us"].split(",")]
        assert len(arrivals) == 1 and arrivals[0] >= mark
        assert int(row["up_us"]) > arrivals[0]
        assert row["state"] == "active" and row["restarts"] == "1"

    # the node's counters, as operators and benchmarks read them
    with open(os.path.join(master.data_dir, "stats.json")) as f:
        st = json.load(f)
    vigil.wait_for(lambda: json.load(open(os.path.join(master.data_dir, "stats.json")))
                   ["restarts_sent"] >= 8, 5, 0.2, "stats.json counting the restarts")
    assert st["role"] == "master" and st["rss_kb"] > 0 and st["cpu_user_s"] >= 0
    assert st["keepalives"] > 0 and st["registry_rows_written"] > 0 and st["registry_commits"] > 0

    # churn rates change at run time
    sim.send("rate flap 40")
    vigil.wait_for(lambda: sim.events("rate"), 5, 0.05, "the rate answer")
    vigil.wait_for(lambda: (sim.summary() or {}).get("flaps", 0) > 0, 10, 0.1, "agents flapping")
    sim.send("rate flap 0")
    vigil.wait_for(lambda: len(sim.events("rate")) == 2, 5, 0.05, "the second rate answer")
    assert sim.events("rate")[-1]["flap"] == 0

    sim.send("bogus")
    sim.send("rate sideways 5")
    vigil.wait_for(lambda: len(sim.events("error")) == 2, 5, 0.05, "error answers to bad commands")


def test_migration_between_workers_keeps_the_master_right(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    managers = "%s,%s" % (w1.agent_addr, w2.agent_addr)
    sim = vigil.Sim(tmp_path, master, 40, managers=managers, control=True,
                    args=["--keepalive", "2", "--reconnect-jitter", "300"])
    procs.append(sim)
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 40, 30, 0.1, "40 agents active")

    # a move asked for on stdin is reported once the agent is up on the other worker
    before = {a["idx"]: a for a in (dict(a, idx=i) for i, a in
                                    enumerate(sim.summary()["agent_list"]))}
    sim.send("move 0 1")
    ups = vigil.wait_for(lambda: len(sim.events("up")) == 2 and sim.events("up"), 10, 0.05,
                         "two moved agents up again")
    for ev in ups:
        assert ev["manager"] != before[ev["idx"]]["manager"]

    # churn: 25% of the agents per second change worker for 4 s, then it stops
    sim2 = vigil.Sim(tmp_path, master, 40, name="churn", managers=managers,
                     args=["--keepalive", "2", "--migrate-rate", "25",
                           "--reconnect-jitter", "300", "--duration", "5"])
    procs.append(sim2)
    vigil.wait_for(lambda: not sim2.alive(), 40, 0.2, "the churning simulator to finish")
    # while it ran, about 40 agents moved (the summary at exit counts them)
    s2 = final_summary(sim2)
    assert s2["moves"] >= 10 and s2["moves"] == sum(a["moves"] for a in s2["agent_list"])

    # the first simulator's agents: the master shows each on the worker it is on
    def consistent():
        s = sim.summary()
        if s is None or s["active"] != 40:
            return False
        want = {a["id"]: ("worker1" if a["manager"] == w1.agent_addr else "worker2")
                for a in s["agent_list"]}
        got = {i: a.get("node_name") for i, a in master.agents(status="active").items()}
        return all(got.get(i) == n for i, n in want.items())
    vigil.wait_for(consistent, 15, 0.2, "the master's view matches where the agents are")


def test_flapping_agents_come_back(tmp_path, procs, master):
    # --zlib best: these agents compress as Wazuh agents do (the others store)
    sim = vigil.Sim(tmp_path, master, 30,
                    args=["--keepalive", "2", "--flap-rate", "20", "--reconnect-jitter", "200",
                          "--duration", "4", "--zlib", "best"])
    procs.append(sim)
    vigil.wait_for(lambda: not sim.alive(), 40, 0.2, "the flapping simulator to finish")
    s = final_summary(sim)
    assert s["flaps"] >= 5 and s["flaps"] == sum(a["flaps"] for a in s["agent_list"])
    assert s["moves"] == 0
    # every flap ended in a new session, unless it was still reconnecting at the end
    assert s["sessions"] >= 30 + s["flaps"] - (30 - s["active"])


def test_fixed_counter_like_wazuh_simulator(tmp_path, procs, master):
    """Wazuh's agent simulator sends every message of every agent with the counter
    1234567891:0227: such agents become active and stay connected, keepalives and all."""
    sim = vigil.Sim(tmp_path, master, 3,
                    args=["--counter", "fixed:1234567891:227", "--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 3, 30, 0.1, "3 agents active")

    def active():
        got = {i: a for i, a in master.agents(status="active").items() if i != "000"}
        return got if len(got) == 3 else None

    def advanced(last):
        now = active()
        if now is None or any(now[i]["lastKeepAlive"] <= last[i] for i in last):
            return None
        return now
    seen = vigil.wait_for(active, 15, 0.1, "the master showing the 3 agents active")
    # two rounds: keepalives after the first one, with the same counter, count too
    # (lastKeepAlive is ISO 8601 UTC, so it compares as a string)
    for _ in range(2):
        last = {i: a["lastKeepAlive"] for i, a in seen.items()}
        seen = vigil.wait_for(lambda: advanced(last), 15, 0.2,
                              "every agent's lastKeepAlive advancing (from %s)" % last)
    s = sim.summary()
    # still the first session of each agent: none was dropped and made again
    assert s["active"] == 3 and s["sessions"] == 3, s
    assert all(a["failures"] == 0 and a["last_error"] == "" for a in s["agent_list"]), s
