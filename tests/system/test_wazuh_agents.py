"""Wazuh agents as they are: slow first messages, startups as signs of life, enrollments
without an address, and versions newer than the manager's (issue 13)."""

import calendar
import socket
import time

import vigil
from test_agents import enroll_raw
from test_session_order import Recorder


def epoch(date):
    """An API date ("2025-01-02T03:04:05+00:00") in seconds."""
    return calendar.timegm(time.strptime(date[:19], "%Y-%m-%dT%H:%M:%S"))


def recorded_agent(tmp_path, procs, node, name):
    """A real vigil-agent that connects once through a Recorder and stops: the frames it
    sent (its startup first), to be sent again by the test.  The agent is disconnected."""
    rec = Recorder(node.agent_port)
    agent = vigil.Agent(tmp_path, node, name, args=["--keepalive", "1"],
                        managers="127.0.0.1:%d" % rec.port)
    procs.append(agent)
    vigil.wait_for(lambda: node.agents().get("001", {}).get("status") == "active", 20,
                   what="the agent active")
    agent.stop()
    vigil.wait_for(lambda: node.agents()["001"]["status"] == "disconnected", 20,
                   what="the agent gone")
    return rec.frames()


def still_open(sock):
    """True when the peer has not closed sock (nothing to read, no EOF)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_a_first_message_15_s_after_connecting_is_served(tmp_path, procs):
    # Wazuh's agent simulator connects and waits 10 s before its first message; a Wazuh
    # agent waits up to its time-reconnect (60 s).  Even told 2 s, vigild gives new
    # connections 60 s (and says so).
    node = vigil.Node(tmp_path, args=["--agent-deadline", "2"])
    procs.append(node)
    assert "--agent-deadline 2 is below the 60 s" in node.output()
    startup = recorded_agent(tmp_path, procs, node, "slowpoke")[0]
    opened = node.stats_after()["sessions_opened"]
    slow = socket.create_connection(("127.0.0.1", node.agent_port), timeout=10)
    silent = socket.create_connection(("127.0.0.1", node.agent_port), timeout=10)
    try:
        vigil.wait_for(lambda: node.stats().get("sessions_opened", 0) >= opened + 2, 10,
                       what="the node holds both connections")
        # The one sleep of this test, and it cannot be a wait for a state: what is tested
        # is that nothing happens to a connection that says nothing for 15 s.
        time.sleep(15)
        assert still_open(silent), "a silent connection was closed within 15 s"
        slow.sendall(startup)
        vigil.wait_for(lambda: node.output().count("agent slowpoke identified") == 2, 10,
                       what="the slow connection identified")
        vigil.wait_for(lambda: node.agents()["001"]["status"] == "pending", 10,
                       what="its startup taken")
        assert node.stats_after().get("deadline_closed", 0) == 0
    finally:
        slow.close()
        silent.close()


def test_a_startup_resets_the_keepalive_clock(tmp_path, procs):
    # remoted answers a startup with wazuh-db's update-keepalive (status pending): an agent
    # that starts and has not sent its first keepalive yet is alive as of its startup
    node = vigil.Node(tmp_path)
    procs.append(node)
    before = int(time.time())
    sim = vigil.Sim(tmp_path, node, 1, args=["--first-keepalive", "600"])
    procs.append(sim)
    vigil.wait_for(lambda: node.agents().get("001", {}).get("status") == "pending", 20,
                   what="the agent started, no keepalive yet")
    a = node.agents()["001"]
    assert "lastKeepAlive" in a and epoch(a["lastKeepAlive"]) >= before, a


def test_an_enrollment_without_an_address_registers_any(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    r = enroll_raw(node, "OSSEC A:'no-address'\n")
    assert r.startswith("OSSEC K:'001 no-address any "), r
    a = node.agents()["001"]
    assert a["ip"] == "any" and a["registerIP"] == "any", a
    # an address asked for is the registered one, whoever sends the request (authd)
    r = enroll_raw(node, "OSSEC A:'with-address' IP:'10.9.8.7'\n")
    assert r.startswith("OSSEC K:'002 with-address 10.9.8.7 "), r
    assert node.agents()["002"]["registerIP"] == "10.9.8.7"


def test_post_agents_without_an_ip_registers_any(tmp_path, procs):
    # framework/wazuh/agent.py add_agent(ip='any'): two agents without ip are no duplicate
    node = vigil.Node(tmp_path)
    procs.append(node)
    for name, want in (("api-one", "001"), ("api-two", "002")):
        r = node.api("POST", "/agents", json={"name": name})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["id"] == want
    agents = node.agents()
    for aid in ("001", "002"):
        assert agents[aid]["ip"] == "any" and agents[aid]["registerIP"] == "any", agents[aid]


NEWER = "OSSEC A:'%s' V:'v4.13.0'\n"
REFUSED = "ERROR: Agent version must be lower or equal to manager version. Unable to add agent"


def test_agents_newer_than_the_manager_are_refused(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    assert enroll_raw(node, NEWER % "from-the-future") == REFUSED
    assert enroll_raw(node, "OSSEC A:'same' V:'v4.12.0'\n").startswith("OSSEC K:'001 same ")
    assert enroll_raw(node, "OSSEC A:'older' V:'v4.9.2'\n").startswith("OSSEC K:'002 older ")
    # an agent enrolled with an older version, upgraded past the manager: remoted answers
    # its startup with the error and keeps it out (status_code 1)
    sim = vigil.Sim(tmp_path, node, 1, name="upgraded", args=["--version", "4.12.0"])
    procs.append(sim)
    vigil.wait_for(lambda: node.agents().get("003", {}).get("status") == "active", 20,
                   what="the agent active on 4.12.0")
    sim.stop()
    sim2 = vigil.Sim(tmp_path, node, 1, name="upgraded", args=["--version", "4.13.0"])
    procs.append(sim2)
    vigil.wait_for(lambda: '#!-err {"message":"Agent version must be lower or equal to '
                   'manager version"}' in sim2.output(), 20,
                   what="the newer agent refused at its startup")
    assert node.agents()["003"]["status"] == "disconnected"
    assert node.agents()["003"]["version"] == "Wazuh v4.12.0"


def test_newer_agents_are_allowed_by_option(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--allow-higher-versions", "yes"])
    procs.append(node)
    r = enroll_raw(node, NEWER % "from-the-future")
    assert r.startswith("OSSEC K:'001 from-the-future "), r
    sim = vigil.Sim(tmp_path, node, 1, name="newer", args=["--version", "4.13.0"])
    procs.append(sim)
    vigil.wait_for(lambda: node.agents().get("002", {}).get("status") == "active", 20,
                   what="the 4.13.0 agent active")
    assert node.agents()["002"]["version"] == "Wazuh v4.13.0"
    # another major is another protocol: never
    assert enroll_raw(node, "OSSEC A:'five' V:'v5.0.0'\n") == REFUSED
