"""tests/tools/vigil-peer against a real master: the scripted worker that later tests use to
play a hostile or buggy node must itself join, fail and print the way they will rely on."""

import json
import os
import socket
import ssl
import threading
import time

import pytest

import vigil
from test_cluster import start_master, start_worker


@pytest.fixture
def key(tmp_path):
    k = tmp_path / "cluster.key"
    k.write_text("vigil-test-cluster-key-0123456789\n")
    os.chmod(k, 0o600)
    return str(k)


def frames(r):
    """The tool's stdout as (type name, body) pairs; `closed:` lines as ("closed:", reason)."""
    out = []
    for line in r.stdout.splitlines():
        name, _, rest = line.partition(" ")
        out.append((name, rest if name == "closed:" else json.loads(rest)))
    return out


def test_peer_joins_and_gets_the_masters_hello_and_full_keys(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    r = master.api("POST", "/agents", json={"name": "web-01", "ip": "any"})
    assert r.status_code == 200, r.text
    r = vigil.peer(master, key, "peer1", wait_ms=500)
    assert r.returncode == 0, r.stderr
    got = frames(r)
    assert got[0] == ("hello", {"proto": 5, "node": "master-node", "role": "master"})
    assert got[1][0] == "keys" and got[1][1]["full"] is True, got
    assert [a["name"] for a in got[1][1]["agents"]] == ["web-01"]
    assert len(got[1][1]["agents"][0]["key"]) == 64
    assert not [f for f in got if f[0] == "closed:"], r.stdout
    assert "cluster: worker 'peer1' joined" in master.output()


def test_a_wrong_cluster_key_fails_the_handshake(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    bad = tmp_path / "bad.key"
    bad.write_text("this-is-not-the-cluster-key-000000\n")
    os.chmod(bad, 0o600)
    r = vigil.peer(master, str(bad), "peer1", wait_ms=500)
    assert r.returncode == 1
    assert "TLS handshake failed" in r.stderr
    assert r.stdout == ""
    vigil.wait_for(lambda: "TLS handshake failed" in master.output(), 5,
                   what="the master logs the failed handshake")


def test_an_updates_body_that_is_not_json_gets_the_link_closed(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    # The wait is long enough for the master's pings (2 s): only the bad frame may close it.
    r = vigil.peer(master, key, "peer1", sends=[("updates", '{"seq":1,"records":[')],
                   wait_ms=3000)
    assert r.returncode == 0, r.stderr   # it joined; the close came after
    got = frames(r)
    assert got[0][0] == "hello"
    assert got[-1][0] == "closed:", r.stdout
    assert "link closed: malformed frame" in master.output()
    # The master goes on: the same node name joins again at once.
    r = vigil.peer(master, key, "peer1", sends=[("ping", "{}")], wait_ms=300)
    assert r.returncode == 0 and ("pong", {}) in frames(r), r.stdout


def test_a_keys_frame_from_a_worker_closes_the_link_with_a_reason(tmp_path, procs, key):
    # keys is the master's frame: a worker that sends one is broken or not what it claims.
    master = start_master(tmp_path, procs, key)
    r = vigil.peer(master, key, "peer1",
                   sends=[("keys", '{"full":true,"agents":[],"removed":[]}')], wait_ms=1500)
    assert r.returncode == 0, r.stderr
    got = frames(r)
    why = "keys frame: only the master sends this frame"
    assert ("error", {"message": why}) in got, r.stdout
    assert got[-1][0] == "closed:", r.stdout
    vigil.wait_for(lambda: "cluster peer1: " + why in master.output(), 5,
                   what="the master logs why it closed the link")
    assert "link closed: " + why in master.output()


def test_a_second_hello_is_refused_as_sent_twice(tmp_path, procs, key):
    master = start_master(tmp_path, procs, key)
    r = vigil.peer(master, key, "peer1",
                   sends=[("hello", '{"proto":5,"node":"peer1","role":"worker"}')], wait_ms=1500)
    assert r.returncode == 0, r.stderr
    assert ("error", {"message": "hello sent twice"}) in frames(r), r.stdout
    assert "duplicate node name" not in master.output()


def test_an_enroll_the_master_refuses_fails_that_enrollment_not_the_link(tmp_path, procs, key):
    # A line that is not a request (here with non-ASCII text, valid JSON) is the
    # agent's problem: it gets an error reply, and the link goes on (the ping after it).
    master = start_master(tmp_path, procs, key)
    r = vigil.peer(master, key, "peer1",
                   sends=[("enroll", '{"req":1,"line":"OSSEC A:\'\\u00e9t\\u00e9\'\\n",'
                                     '"peer":"10.0.0.9"}'),
                          ("ping", "{}")], wait_ms=1500)
    assert r.returncode == 0, r.stderr
    got = frames(r)
    replies = [b for t, b in got if t == "enroll-reply"]
    assert len(replies) == 1 and replies[0]["req"] == 1, r.stdout
    assert replies[0]["reply"].startswith("ERROR"), replies
    assert ("pong", {}) in got, r.stdout
    assert not [f for f in got if f[0] == "closed:"], r.stdout


def enroll_bytes(node, line, timeout=5):
    """One enrollment request of raw bytes over TLS; the reply as text."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    data = b""
    with socket.create_connection(("127.0.0.1", node.enroll_port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(line)
            while True:
                try:
                    chunk = s.recv(4096)
                except (ssl.SSLError, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
    return data.decode(errors="replace")


def test_an_enrollment_line_that_is_not_utf8_fails_on_the_worker_not_the_link(
        tmp_path, procs, key):
    # No JSON string can carry it to the master: the worker answers it itself.  It used
    # to be sent anyway, and the master closed the link of every agent on that worker.
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    r = enroll_bytes(w1, b"OSSEC A:'caf\xe9-\xff'\n")
    assert r.startswith("ERROR") and "Invalid agent name" in r, r
    r = enroll_bytes(w1, b"OSSEC A:'after-it'\n")
    assert r.startswith("OSSEC K:'"), r
    assert "link closed" not in w1.output() and "link closed" not in master.output()


def test_a_bad_enrollment_line_is_answered_by_the_worker_and_never_forwarded(
        tmp_path, procs, key):
    # The hostile review's case: `OSSEC A:'x\0y'` sent to a worker over and over kept it
    # out of the cluster.  The worker checks the line as the master would and answers a bad
    # one itself; the master never sees it, the link stays, and a good line after all of
    # them enrolls.
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    bad = [b"OSSEC A:'x\0y'\n", b"OSSEC X:'nope'\n",
           b"OSSEC A:'a' G:'\xff'\n", b"OSSEC A:'ok' IP:'1.2.3.4/33'\n",
           b"OSSEC A:''\n", b"\0" * 64 + b"\n"]
    for _ in range(5):
        for line in bad:
            r = enroll_bytes(w1, line)
            assert r.startswith("ERROR"), (line, r)
    r = enroll_bytes(w1, b"OSSEC A:'after-them'\n")
    assert r.startswith("OSSEC K:'"), r
    assert master.agents()["001"]["name"] == "after-them"
    assert len(master.agents()) == 2
    assert w1.stats_after().get("enroll_failures") == 5 * len(bad)
    assert master.stats_after().get("enroll_failures") == 0
    refused = [l for l in master.output().splitlines() if "refused" in l]
    assert refused == [], refused
    assert "link closed" not in w1.output() and "link closed" not in master.output()
    r = master.api("GET", "/cluster/nodes")
    assert sorted(i["name"] for i in r.json()["data"]["affected_items"]) == [
        "master-node", "worker1"], r.text


def test_a_restart_answered_with_too_few_codes_is_not_resent_every_tick(tmp_path, procs, key):
    """A buggy worker holds agent 001's session and answers its restart with no code at all.
    The agent was not delivered (1000: the worker did not say), and the job does not send to
    that session again tick after tick, as it would for 1792 (maybe written): it waits for
    the agent's next session."""
    master = start_master(tmp_path, procs, key, args=["--restart-settle-ms", "0"])
    r = master.api("POST", "/agents", json={"name": "web-01", "ip": "any"})
    assert r.status_code == 200, r.text
    aid = r.json()["data"]["id"]
    rec = {"id": int(aid), "sid": 7, "kf": [1, 0], "kr": [1, 5], "nrx": 5, "sseq": 1,
           "live": True, "t": 0, "status": 2, "status_code": 0,
           "last_keepalive": int(time.time()), "disconnection_time": 0, "manager": "peer1",
           "proc_start_ms": 0, "version": "Wazuh v4.12.0", "os_uname": "Linux",
           "os_name": "Debian GNU/Linux", "os_version": "12", "os_major": "12",
           "os_minor": "", "os_build": "", "os_codename": "bookworm", "os_platform": "debian",
           "os_arch": "x86_64", "config_sum": "", "merged_sum": "", "agent_ip": "127.0.0.1",
           "labels": ""}
    done = {}
    t = threading.Thread(target=lambda: done.update(r=vigil.peer(
        master, key, "peer1", wait_ms=10000, answer_restart="[]",
        sends=[("updates", json.dumps({"seq": 1, "records": [rec]}))])))
    t.start()
    try:
        vigil.wait_for(lambda: (lambda a: a.get("node_name") == "peer1" and
                                a["status"] == "active")(master.agents()[aid]),
                       20, 0.1, "agent 001 active on the scripted worker")
        r = master.api("PUT", "/agents/restart", params={"agents_list": aid})
        assert r.status_code == 200, r.text
        jid = r.headers["X-Vigil-Job"]

        def first_answer():
            j = master.api("GET", "/jobs/%s" % jid).json()["data"]["affected_items"][0]
            a = j["agents"]["affected_items"][0]
            return a["code"] is not None and a
        a = vigil.wait_for(first_answer, 20, 0.1, "the worker's answer applied")
        assert a["state"] == "pending" and a["code"] == 1000, a
    finally:
        t.join(30)
    r = done["r"]
    assert r.returncode == 0, r.stderr
    restarts = [line for line in r.stdout.splitlines() if line.startswith("restart ")]
    assert len(restarts) == 1, r.stdout
    j = master.api("GET", "/jobs/%s" % jid).json()["data"]["affected_items"][0]
    assert j["agents"]["affected_items"][0]["sends"] == 1, j
    assert "gave 0 codes for a batch of 1" in master.output()
