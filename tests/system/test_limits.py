"""Descriptors are a budget: agents never take the ones the API and the cluster link need,
and running out pauses accepting instead of spinning (OpenBSD's accept_reserve).  At 50,000
agents the master ran out of descriptors during a restart storm and evhttp logged
'Too many open files' 15 million times while the API answered nothing."""

import json
import os
import socket

import vigil


def stats(node):
    try:
        with open(os.path.join(node.data_dir, "stats.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def test_agents_cannot_take_the_apis_descriptors(tmp_path, procs):
    # 700 descriptors: under twice the reserve of 512, agents may hold half of them
    node = vigil.Node(tmp_path, nofile=700)
    procs.append(node)
    socks = []
    try:
        for _ in range(500):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", node.agent_port))
            socks.append(s)
        vigil.wait_for(lambda: "accepting agents paused" in node.output(), 10,
                       what="the agent listener paused at its cap")
        vigil.wait_for(lambda: stats(node).get("accept_paused", 0) >= 1, 5,
                       what="the pause counted")
        # the API still takes connections and answers, while 500 agents knock
        for _ in range(20):
            r = node.api("GET", "/agents", params={"limit": 1})
            assert r.status_code == 200, r.text
        assert stats(node)["sessions"] <= 350
    finally:
        for s in socks:
            s.close()
    # the silent connections are closed (10 s) or gone: agents are accepted again
    vigil.wait_for(lambda: "accepting agents again" in node.output(), 30,
                   what="accepting agents again")
    assert node.output().count("Too many open files") <= 2
