"""Agents end to end: enrollment, connection, status, and restart through the API,
with real vigil-agent and vigil-sim processes."""

import os
import shutil
import signal
import socket
import ssl
import struct

import pytest

import vigil


def enroll_raw(node, line, timeout=5):
    """Sends one enrollment request over TLS and returns the reply text."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", node.enroll_port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw) as s:
            s.sendall(line.encode())
            data = b""
            while True:
                try:
                    chunk = s.recv(4096)
                except (ssl.SSLError, ConnectionResetError):
                    break
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace")


def status_of(node, agent_id):
    return node.agents().get(agent_id, {}).get("status")


@pytest.mark.registries
def test_enrollment_protocol(master):
    r = enroll_raw(master, "OSSEC A:'host-a'\n")
    assert r.startswith("OSSEC K:'001 host-a any ") and r.endswith("'") and "\n" not in r
    key = r[len("OSSEC K:'"):-1].split(" ")[3]
    assert len(key) == 64 and all(c in "0123456789abcdef" for c in key)
    r = enroll_raw(master, "OSSEC A:'host-b' V:'v4.12.0' G:'default' IP:'10.1.2.3'\n")
    assert r.startswith("OSSEC K:'002 host-b 10.1.2.3 ")
    # A duplicate of a freshly registered name is refused, as authd does.
    r = enroll_raw(master, "OSSEC A:'host-a'\n")
    assert r.startswith("ERROR: ") and "host-a" in r
    r = enroll_raw(master, "OSSEC A:'bad name!'\n")
    assert r.startswith("ERROR: ")
    r = enroll_raw(master, "OSSEC A:'host-c' V:'v5.0.0'\n")
    assert r == "ERROR: Agent version must be lower or equal to manager version. Unable to add agent"
    r = enroll_raw(master, "this is not a request\n")
    assert r.startswith("ERROR: ")
    agents = master.agents()
    assert sorted(agents) == ["000", "001", "002"]
    assert agents["001"]["status"] == "never_connected"
    assert agents["002"]["ip"] == "10.1.2.3"


def test_enrollment_password(tmp_path, procs):
    pw = tmp_path / "authd.pass"
    pw.write_text("s3cret\n")
    node = vigil.Node(tmp_path, args=["--enroll-password-file", str(pw)])
    procs.append(node)
    assert enroll_raw(node, "OSSEC A:'x1'\n").startswith("ERROR: Invalid password")
    assert enroll_raw(node, "OSSEC PASS: wrong OSSEC A:'x1'\n").startswith("ERROR: Invalid password")
    assert enroll_raw(node, "OSSEC PASS: s3cret OSSEC A:'x1'\n").startswith("OSSEC K:'001 x1 ")


@pytest.mark.registries
def test_single_agent_restart_real_agent(master, tmp_path, procs):
    agent = vigil.Agent(tmp_path, master, "web-01", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: status_of(master, "001") == "active", 20, what="agent active")
    a = master.agents()["001"]
    assert a["name"] == "web-01"
    assert a["version"] == "Wazuh v4.12.0"
    assert a["node_name"] == "master-node"
    assert a["os"]["platform"] and a["os"]["uname"]
    pid1 = vigil.wait_for(agent.current_pid, 5, what="agent pid file")

    r = master.api("PUT", "/agents/001/restart")
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"affected_items": ["001"], "total_affected_items": 1,
                                 "total_failed_items": 0, "failed_items": []},
                        "message": "Restart command was sent to all agents", "error": 0}
    pid2 = vigil.wait_for(lambda: (agent.current_pid() or pid1) != pid1 and agent.current_pid(),
                          20, what="agent re-executed with a new pid")
    assert pid2 != pid1
    os.kill(pid2, 0)   # the new process is running

    def back_active():
        a2 = master.agents()["001"]
        return a2["status"] == "active" and a2["lastKeepAlive"] >= a["lastKeepAlive"]
    vigil.wait_for(back_active, 20, what="agent active again after restart")

    # The manager itself cannot be restarted this way.
    r = master.api("PUT", "/agents/000/restart")
    body = r.json()
    assert r.status_code == 200 and body["error"] == 1
    assert body["data"]["failed_items"][0]["error"]["code"] == 1703
    assert body["message"] == "Restart command was not sent to any agent"


def restarts_by_name(sim):
    s = sim.summary() or {}
    return {a["name"]: a.get("restarts", 0) for a in s.get("agent_list", [])}


def test_batch_restart_200_mixed(wazuh_master, tmp_path, procs):
    master = wazuh_master
    sim = vigil.Sim(tmp_path, master, 200, name="fleet", args=["--keepalive", "2"])
    procs.append(sim)
    gone = vigil.Sim(tmp_path, master, 5, name="gone", args=["--keepalive", "2"])
    procs.append(gone)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 206,
                   60, 0.25, "205 agents + manager active")
    gone.stop()
    agents = master.agents()
    gone_ids = sorted(i for i, a in agents.items() if a["name"].startswith("gone-"))
    assert len(gone_ids) == 5
    vigil.wait_for(lambda: all(master.agents()[i]["status"] == "disconnected" for i in gone_ids),
                   10, what="stopped agents disconnected")
    fleet = {i: a["name"] for i, a in master.agents().items() if a["name"].startswith("fleet-")}
    assert len(fleet) == 200
    chosen = sorted(fleet)[:150]
    unknown = ["9999", "1234"]
    listed = chosen + gone_ids[:3] + unknown + ["000"]
    r = master.api("PUT", "/agents/restart", params={"agents_list": ",".join(listed)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["data", "message", "error"]
    assert body["error"] == 2
    assert body["message"] == "Restart command was not sent to some agents"
    d = body["data"]
    assert list(d) == ["affected_items", "total_affected_items", "total_failed_items",
                       "failed_items"]
    assert d["affected_items"] == sorted(chosen, key=int)
    assert d["total_affected_items"] == 150
    assert d["total_failed_items"] == 3 + 2 + 1
    codes = [f["error"]["code"] for f in d["failed_items"]]
    assert codes == [1701, 1703, 1707]
    f1701, f1703, f1707 = d["failed_items"]
    assert f1701["id"] == ["1234", "9999"]
    assert f1701["error"]["message"] == "Agent does not exist"
    assert f1701["error"]["remediation"].startswith("Please, use `GET /agents?select=id,name`")
    assert f1703["id"] == ["000"]
    assert f1703["error"]["message"] == "Action not available for Manager (agent 000)"
    assert f1707["id"] == gone_ids[:3]
    assert f1707["error"]["message"] == "Cannot send request, agent is not active"

    # Exactly the affected agents received a restart (the simulator's own count).
    want = {fleet[i] for i in chosen}
    vigil.wait_for(lambda: {n for n, k in restarts_by_name(sim).items() if k >= 1} == want,
                   20, 0.2, "the 150 chosen agents received the restart")
    got = restarts_by_name(sim)
    assert all(got[n] == 1 for n in want)
    assert all(got[n] == 0 for n in got if n not in want)
    # Back means a new session after the restart (the simulator's word): until then the
    # manager may still show an agent's old session as active, or none at all.
    vigil.wait_for(lambda: (sim.summary() or {}).get("back_after_restart") == 150, 30, 0.2,
                   "the 150 restarted agents back with new sessions")
    vigil.wait_for(lambda: all(master.agents()[i]["status"] == "active" for i in fleet),
                   30, 0.25, "restarted agents active again")

    # A bare PUT /agents/restart: every active agent, inactive ones silently left out.
    r = master.api("PUT", "/agents/restart")
    body = r.json()
    assert body["error"] == 0 and body["data"]["failed_items"] == []
    assert body["data"]["affected_items"] == sorted(fleet, key=int)
    assert body["message"] == "Restart command was sent to all agents"
    vigil.wait_for(lambda: sum(restarts_by_name(sim).values()) == 350, 20, 0.2,
                   "second round delivered")


def test_pending_agents_are_in_the_job_and_wait_for_their_first_keepalive(master, tmp_path,
                                                                          procs):
    """Agents connected but not yet through their first keepalive (pending) are in the job
    (Wazuh fails them with 1707, and a restart of "all" at that moment missed them for
    good); the command waits until they are active.  An active agent of the same job is
    restarted meanwhile."""
    # Keepalives far apart: the agents stay pending (startup seen, no keepalive yet).
    sim = vigil.Sim(tmp_path, master, 3, name="slow", args=["--keepalive", "3600",
                                                            "--first-keepalive", "3600"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "pending" for a in master.agents().values()) == 3,
                   20, what="3 pending agents")
    quick = vigil.Sim(tmp_path, master, 1, name="quick", args=["--keepalive", "1",
                                                              "--restart-delay", "100"])
    procs.append(quick)
    vigil.wait_for(lambda: vigil.n_active(master) == 2, 20, what="the quick agent active")
    r = master.api("PUT", "/agents/restart", params={"agents_list": "001,002,003,004"})
    assert r.status_code == 200
    body = r.json()
    assert body["error"] == 0 and body["data"]["affected_items"] == ["001", "002", "003", "004"]
    jid = r.headers["X-Vigil-Job"]

    def job():
        return master.api("GET", "/jobs/" + jid).json()["data"]["affected_items"][0]
    # the active one completes; by then the job has looked at the pending ones many times
    vigil.wait_for(lambda: job()["counts"]["completed"] == 1, 30, 0.2, "004 restarted")
    j = job()
    assert j["counts"]["pending"] == 3 and j["in_flight"] == 0 and j["status"] == "running"
    assert all(a["sends"] == 0 for a in j["agents"]["affected_items"] if a["id"] != "004")
    assert sim.summary_after().get("restarts_received", 0) == 0


def test_get_agents_filters(master, tmp_path, procs):
    sim = vigil.Sim(tmp_path, master, 12, name="lst", args=["--keepalive", "2"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 13,
                   30, what="12 agents active")
    r = master.api("GET", "/agents", params={"limit": "5", "offset": "2"})
    body = r.json()
    assert body["message"] == "All selected agents information was returned"
    ids = [a["id"] for a in body["data"]["affected_items"]]
    assert ids == ["002", "003", "004", "005", "006"]
    assert body["data"]["total_affected_items"] == 13
    r = master.api("GET", "/agents", params={"sort": "-id", "limit": "2", "select": "name,os.platform"})
    items = r.json()["data"]["affected_items"]
    assert [a["id"] for a in items] == ["012", "011"]
    assert set(items[0]) == {"id", "name", "os"} and set(items[0]["os"]) == {"platform"}
    r = master.api("GET", "/agents", params={"status": "ACTIVE", "search": "lst-0001"})
    assert r.status_code == 200
    names = sorted(a["name"] for a in r.json()["data"]["affected_items"])
    assert names and all("lst-0001" in n for n in names)
    r = master.api("GET", "/agents", params={"agents_list": "001,500"})
    body = r.json()
    assert body["error"] == 2
    assert body["message"] == "Some agents information was not returned"
    assert body["data"]["failed_items"][0]["error"]["code"] == 1701
    r = master.api("GET", "/agents/summary/status")
    assert r.json()["data"]["connection"]["active"] == 12


def frame(payload):
    return struct.pack("<I", len(payload)) + payload


def closed_by_peer(sock, timeout):
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_bad_input_everywhere(tmp_path, procs):
    # a frame begun has --agent-frame-deadline (60 s by default) to be complete
    master = vigil.Node(tmp_path, args=["--agent-frame-deadline", "5"])
    procs.append(master)
    sim = vigil.Sim(tmp_path, master, 10, name="ok", args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 11,
                   30, what="10 agents active")
    ap = master.agent_port
    cases = [
        os.urandom(3000),                                    # garbage
        struct.pack("<I", 0x7FFFFFFF) + b"x" * 10,           # oversized length
        struct.pack("<I", 0),                                # zero length
        frame(b"!001!#AES:" + os.urandom(64)),               # wrong key / garbage ciphertext
        frame(b"!999!#AES:" + os.urandom(64)),               # unknown agent
        frame(b"!001!:blowfish-not-supported"),              # not AES
        frame(b"#AES:" + os.urandom(32)),                    # no id, unknown address
    ]
    for data in cases:
        with socket.create_connection(("127.0.0.1", ap), timeout=5) as s:
            s.sendall(data)
            assert closed_by_peer(s, 5), data[:16]
    # A half-sent frame that never completes is dropped after the frame deadline.
    with socket.create_connection(("127.0.0.1", ap), timeout=5) as s:
        s.sendall(struct.pack("<I", 100) + b"#AES:")
        assert closed_by_peer(s, 20)
    # #ping works unauthenticated.
    with socket.create_connection(("127.0.0.1", ap), timeout=5) as s:
        s.sendall(frame(b"#ping"))
        s.settimeout(5)
        assert s.recv(64) == frame(b"#pong")
    # Garbage on the enrollment port (not TLS) and the API port (not TLS/HTTP).
    for port in (master.enroll_port, master.api_port):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(os.urandom(2000))
            assert closed_by_peer(s, 15)
    # Oversized enrollment line.
    r = enroll_raw_safe(master, "OSSEC A:'" + "x" * 10000 + "'\n")
    assert r == "" or r.startswith("ERROR: ")
    # The daemon is up and the good agents were not disturbed.
    assert master.alive()
    agents = master.agents()
    assert sum(a["status"] == "active" for a in agents.values()) == 11
    r = master.api("PUT", "/agents/restart")
    assert r.json()["data"]["total_affected_items"] == 10


def enroll_raw_safe(node, line):
    try:
        return enroll_raw(node, line)
    except (OSError, ssl.SSLError):
        return ""


def test_wrong_key_agent_is_refused(master, tmp_path, procs):
    r = enroll_raw(master, "OSSEC A:'mallory'\n")
    fields = r[len("OSSEC K:'"):-1].split(" ")
    d = tmp_path / "mallory"
    d.mkdir()
    bad_key = ("f" * 64) if fields[3] != "f" * 64 else ("e" * 64)
    (d / "client.keys").write_text("%s %s %s %s\n" % (fields[0], fields[1], fields[2], bad_key))
    agent = vigil.Agent(tmp_path, master, "mallory", args=["--keepalive", "1"])
    procs.append(agent)
    # Two attempts refused: the second proves the first one was over, and that it
    # left the agent never connected.
    vigil.wait_for(lambda: master.output().count("does not decrypt with its key") >= 2, 30,
                   what="two connection attempts refused")
    assert master.agents()["001"]["status"] == "never_connected"
    assert master.alive()


def agent_with_key(tmp_path, procs, master, name, reply, ip=None):
    """A vigil-agent using the key of an enrollment reply written by hand (its address
    replaced by ip if given)."""
    fields = reply[len("OSSEC K:'"):-1].split(" ")
    if ip is not None:
        fields[2] = ip
    d = tmp_path / name
    d.mkdir()
    (d / "client.keys").write_text(" ".join(fields) + "\n")
    agent = vigil.Agent(tmp_path, master, name, args=["--keepalive", "1"])
    procs.append(agent)
    return fields[0]


def test_a_key_bound_to_an_address_is_used_only_from_it(master, tmp_path, procs):
    # remoted's rule: an agent enrolled with IP:'10.66.77.88' connecting from 127.0.0.1 is
    # refused, and the refusal logged as remoted words it; a network holding the source lets
    # it in.  An agent whose key names one host sends no "!id!" and is looked up by its
    # source address (1213 when none matches); one that names its id anyway (a stolen key
    # written down as `any`) is checked against the address the key is bound to (1408).
    reply = enroll_raw(master, "OSSEC A:'far' IP:'10.66.77.88'\n")
    far = agent_with_key(tmp_path, procs, master, "far", reply)
    thief = agent_with_key(tmp_path, procs, master, "thief", reply, ip="any")
    near = agent_with_key(tmp_path, procs, master, "near",
                          enroll_raw(master, "OSSEC A:'near' IP:'127.0.0.0/8'\n"))
    vigil.wait_for(lambda: "(1408): Invalid ID %s for the source ip: '127.0.0.1' (name 'far')"
                   % far in master.output(), 20, what="the stolen key refused")
    vigil.wait_for(lambda: "(1213): Message from '127.0.0.1' not allowed" in master.output(),
                   20, what="the id-less agent refused")
    vigil.wait_for(lambda: status_of(master, near) == "active", 20, what="near active")
    assert far == thief
    assert status_of(master, far) == "never_connected"
    assert master.stats_after().get("agents_invalid_id", 0) >= 2


def test_an_unknown_agent_id_is_logged(master):
    with socket.create_connection(("127.0.0.1", master.agent_port), timeout=5) as s:
        s.sendall(frame(b"!4242!#AES:" + os.urandom(64)))
        assert closed_by_peer(s, 5)
    vigil.wait_for(lambda: "(1408): Invalid ID 4242 for the source ip: '127.0.0.1' "
                   "(name 'unknown')" in master.output(), 10, what="the unknown id logged")


def test_an_agent_flooding_pings_without_reading_is_cut_off(master):
    # Every #ping is answered with a #pong: one that never reads its answers must be cut
    # off at the outgoing cap, not make vigild hold them all (85 -> 756 MB in 9 s).
    s = socket.create_connection(("127.0.0.1", master.agent_port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    burst = frame(b"#ping") * 10000
    sent = 0
    try:
        while sent < 200 * 1024 * 1024:     # the cap is 1 MiB of pongs (~117,000)
            s.sendall(burst)
            sent += len(burst)
        raise AssertionError("200 MiB of pings and the connection is still open")
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    finally:
        s.close()
    assert master.stats_after().get("sessions_closed", 0) >= 1
    assert master.alive()


@pytest.mark.registries
def test_clean_shutdown_keeps_registry(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 5, name="persist", args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in node.agents().values()) == 6,
                   30, what="5 agents active")
    before = node.agents()
    assert node.stop() == 0
    sim.stop()
    node2 = vigil.Node(tmp_path)   # same name => same data dir
    procs.append(node2)
    after = node2.agents()
    assert sorted(after) == sorted(before)
    for i in before:
        if i == "000":
            continue
        assert after[i]["name"] == before[i]["name"]
        assert after[i]["version"] == before[i]["version"]
        assert after[i]["os"] == before[i]["os"]
        assert after[i]["status"] == "disconnected"


def test_unusable_version_is_a_per_agent_failure(master, tmp_path, procs):
    """An active agent whose version cannot pick a restart format fails alone (1790)."""
    good = vigil.Sim(tmp_path, master, 2, name="good", args=["--keepalive", "1"])
    procs.append(good)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 3,
                   20, what="2 good agents active")
    odd = vigil.Sim(tmp_path, master, 1, name="odd", args=["--keepalive", "1",
                                                          "--raw-version", "custom-build"])
    procs.append(odd)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in master.agents().values()) == 4,
                   20, what="odd agent active")
    r = master.api("PUT", "/agents/restart", params={"agents_list": "001,002,003"})
    assert r.status_code == 200
    body = r.json()
    assert body["error"] == 2
    assert body["data"]["affected_items"] == ["001", "002"]
    f = body["data"]["failed_items"]
    assert len(f) == 1 and f[0]["id"] == ["003"] and f[0]["error"]["code"] == 1790
    assert "version" in f[0]["error"]["message"]
    # Without agents_list it is still reported: it is not one of the exclusions.
    r = master.api("PUT", "/agents/restart")
    assert r.json()["data"]["failed_items"][0]["id"] == ["003"]


def test_identification_by_source_address(master, tmp_path, procs):
    """An agent registered with a single-host IP sends no !id! prefix: found by address."""
    r = enroll_raw(master, "OSSEC A:'byaddr' IP:'127.0.0.1'\n")
    assert r.startswith("OSSEC K:'001 byaddr 127.0.0.1 ")
    d = tmp_path / "byaddr"
    d.mkdir()
    (d / "client.keys").write_text(r[len("OSSEC K:'"):-1] + "\n")
    agent = vigil.Agent(tmp_path, master, "byaddr", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: status_of(master, "001") == "active", 20, what="agent active")


def test_shutdown_and_overtake(master, tmp_path, procs):
    agent = vigil.Agent(tmp_path, master, "twin", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: status_of(master, "001") == "active", 20, what="agent active")
    # Freeze the agent: its TCP connection stays open but silent (half-open).
    os.kill(agent.pid, signal.SIGSTOP)
    try:
        clone_dir = tmp_path / "twin-clone"
        shutil.copytree(agent.data_dir, clone_dir)
        clone = vigil.Agent(tmp_path, master, "twin", data_dir=clone_dir, args=["--keepalive", "1"])
        procs.append(clone)
        vigil.wait_for(lambda: "overtaken by a newer connection" in master.output(), 15,
                       what="old session overtaken")
        # The new session starts "pending" (its startup) and turns active with its first
        # keepalive, a moment later: wait for that, and for keepalives after it.
        before = master.agents()["001"]["lastKeepAlive"]

        def active_through_the_new_session():
            a = master.agents()["001"]
            return a["status"] == "active" and a["lastKeepAlive"] > before
        vigil.wait_for(active_through_the_new_session, 20,
                       what="agent active, keepalives through the new session")
    finally:
        # Killed while still frozen (SIGKILL works on a stopped process): resumed, even
        # for a moment, it would find its connection closed and reconnect, overtaking the
        # clone's session before the clean stop below.
        agent.kill()
    # A clean stop of the live agent sends "agent shutdown": disconnected, status_code 3.
    clone.stop()
    vigil.wait_for(lambda: master.agents()["001"]["status"] == "disconnected", 10,
                   what="agent disconnected after shutdown")
    a = master.agents()["001"]
    assert a["status_code"] == 3
    assert a["disconnection_time"]


def test_shutdown_then_reset_is_still_a_shutdown(master, tmp_path, procs):
    """An agent that said "agent shutdown" and whose connection then ends with a TCP reset
    (it closed with the manager's last message unread) is disconnected by shutdown (3),
    not as a lost connection (4)."""
    relay = vigil.Relay(master.agent_port)
    agent = vigil.Agent(tmp_path, master, "leaver", args=["--keepalive", "1"],
                        managers="127.0.0.1:%d" % relay.port)
    procs.append(agent)
    vigil.wait_for(lambda: status_of(master, "001") == "active", 20, what="agent active")
    agent.stop()                    # "agent shutdown"; the relay holds the connection open
    assert relay.agent_closed.wait(15)
    vigil.wait_for(lambda: master.agents()["001"]["status"] == "disconnected", 10,
                   what="the shutdown seen by the manager")
    relay.reset()
    vigil.wait_for(lambda: "closed: Connection reset by peer" in master.output(), 10,
                   what="the reset seen by the manager")
    a = master.agents()["001"]
    assert a["status"] == "disconnected" and a["status_code"] == 3, a
