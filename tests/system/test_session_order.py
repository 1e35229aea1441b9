"""Session order that does not trust counters blindly (docs/design/cluster-sync.md,
"Session order"): counters that repeat (Wazuh's own agent simulator), counters that
reset, replayed frames, and a node that lies.  Real vigild, vigil-agent, vigil-sim and
vigil-peer processes on 127.0.0.1."""

import json
import os
import socket
import struct
import threading

import vigil
from test_cluster import key, on_node, start_master, start_worker  # noqa: F401


def agent(node, aid):
    return node.agents().get(aid) or {}


def keepalives_advance(node, aid, times=2, timeout=20):
    """Waits until the agent's lastKeepAlive has moved on `times` times through node's API."""
    seen = [agent(node, aid).get("lastKeepAlive")]

    def moved():
        a = agent(node, aid)
        if a.get("status") == "active" and a.get("lastKeepAlive") not in seen:
            seen.append(a["lastKeepAlive"])
        return len(seen) > times
    vigil.wait_for(moved, timeout, 0.2, "agent %s's keepalives through the API" % aid)


class Recorder:
    """A TCP relay for one agent connection that keeps every byte the agent sent."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.sent = bytearray()
        self.lsn = socket.socket()
        self.lsn.bind(("127.0.0.1", 0))
        self.lsn.listen(1)
        self.lsn.settimeout(30)
        self.port = self.lsn.getsockname()[1]
        self.done = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _pipe(self, a, b, keep):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                if keep:
                    self.sent += data
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self):
        try:
            c, _ = self.lsn.accept()
        except OSError:
            self.done.set()
            return
        up = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        up.settimeout(None)
        c.settimeout(None)
        back = threading.Thread(target=self._pipe, args=(up, c, False), daemon=True)
        back.start()
        self._pipe(c, up, True)
        back.join(10)
        c.close()
        up.close()
        self.lsn.close()
        self.done.set()

    def frames(self):
        out, buf = [], bytes(self.sent)
        while len(buf) >= 4:
            n = struct.unpack("<I", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            out.append(buf[:4 + n])
            buf = buf[4 + n:]
        return out


def replay(port, frames):
    """Sends recorded frames byte for byte on a new connection; returns when the node has
    read them (it answers, or closes the connection)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        for f in frames:
            try:
                s.sendall(f)
            except OSError:          # the node refused the connection: it closed it
                return
        s.settimeout(3)
        try:
            while s.recv(65536):
                pass
        except (socket.timeout, OSError):
            pass
    finally:
        s.close()


def test_repeated_counters_like_wazuhs_simulator_move_between_workers(tmp_path, procs, key):
    """Wazuh's agent simulator sends 1234567891:227 on every message of every connection.
    Its agents move between workers and are told to reconnect: each time they are active
    again on their new node, without a master restart."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    w2 = start_worker(tmp_path, procs, key, master, "worker2")
    sim = vigil.Sim(tmp_path, master, 5, control=True,
                    managers="%s,%s" % (w1.agent_addr, w2.agent_addr),
                    args=["--keepalive", "1", "--counter", "fixed:1234567891:227"])
    procs.append(sim)

    node_of = {w1.agent_addr: "worker1", w2.agent_addr: "worker2"}

    def agrees(moves):
        """The master shows every agent active on the worker it really is on."""
        s = sim.summary() or {}
        if s.get("moves") != moves or s.get("active") != 5:
            return False
        truth = {a["id"]: node_of.get(a["manager"]) for a in s["agent_list"]}
        seen = {i: a["node_name"] for i, a in master.agents().items()
                if i != "000" and a["status"] == "active"}
        return seen == truth and seen

    vigil.wait_for(lambda: agrees(0), 30, 0.2, "5 agents active on the workers")
    sim.send("move 0 1 2 3 4")
    vigil.wait_for(lambda: agrees(5), 20, 0.2,
                   "the 5 agents active where they moved, with the same counter")
    r = master.api("PUT", "/agents/reconnect")
    assert r.status_code == 200 and r.json()["data"]["total_affected_items"] == 5, r.text
    vigil.wait_for(lambda: (sim.summary() or {}).get("reconnects_received") == 5, 20, 0.2,
                   "every agent told to reconnect")
    for aid in ("001", "005"):
        keepalives_advance(master, aid)
    sim.send("move 0 1 2 3 4")
    vigil.wait_for(lambda: agrees(10), 20, 0.2, "the 5 agents moved back")
    # and no agent was cut off on the way (a closed connection is a sim failure)
    assert all(a["failures"] == 0 for a in sim.summary()["agent_list"]), sim.summary()
    assert "refused" not in master.output(), master.output()[-3000:]


def test_counter_reset_is_tolerated_on_any_node(tmp_path, procs, key):
    """An agent that lost its counter file starts again from 0: once its old session has
    closed, its new one is current, on the node it had or another, with no master restart."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    d = tmp_path / "resetter"
    a = vigil.Agent(tmp_path, master, "resetter", managers=w1.agent_addr, data_dir=d,
                    args=["--keepalive", "1"])
    procs.append(a)
    vigil.wait_for(lambda: len(on_node(master, "worker1")) == 1, 30, 0.2, "agent on worker1")
    keepalives_advance(master, "001", 3)
    for where, node_name in ((w1.agent_addr, "worker1"), (master.agent_addr, "master-node"),
                             (w1.agent_addr, "worker1")):
        a.kill()                                  # a crash: the connection closes
        os.unlink(d / "sender_counter")           # and the counters are lost
        a = vigil.Agent(tmp_path, master, "resetter", managers=where, data_dir=d,
                        args=["--keepalive", "1"])
        procs.append(a)
        vigil.wait_for(lambda: agent(master, "001").get("node_name") == node_name and
                       agent(master, "001").get("status") == "active", 20, 0.2,
                       "the reset agent active on %s" % node_name)
        keepalives_advance(master, "001")
    assert "superseded" not in master.output()


def test_replayed_frames_never_touch_the_live_session(tmp_path, procs, key):
    """The frames of an agent's earlier session, sent again byte for byte on new
    connections (to the node holding the agent and to another) while the agent's next
    session is live: that session stays, the agent stays active where it is, and the
    replays are counted."""
    master = start_master(tmp_path, procs, key)
    w1 = start_worker(tmp_path, procs, key, master, "worker1")
    rec = Recorder(master.agent_port)
    d = tmp_path / "victim"
    a = vigil.Agent(tmp_path, master, "victim", managers="127.0.0.1:%d" % rec.port,
                    data_dir=d, args=["--keepalive", "1"])
    procs.append(a)
    vigil.wait_for(lambda: agent(master, "001").get("status") == "active", 30, 0.2,
                   "agent active through the recorder")
    keepalives_advance(master, "001", 2)
    a.stop()                                      # "agent shutdown", recorded too
    assert rec.done.wait(15)
    frames = rec.frames()
    assert len(frames) >= 4, len(frames)

    a = vigil.Agent(tmp_path, master, "victim", data_dir=d, args=["--keepalive", "1"])
    procs.append(a)
    vigil.wait_for(lambda: agent(master, "001").get("status") == "active", 20, 0.2,
                   "the agent's next session active on the master")
    keepalives_advance(master, "001")
    before = master.stats()
    attached = master.output().count("agent victim identified")

    replay(master.agent_port, frames)             # to the node holding the agent
    vigil.wait_for(lambda: master.stats().get("sessions_refused", 0) >
                   before.get("sessions_refused", 0), 10, 0.1,
                   "the master refused the replay (counted)")
    replay(w1.agent_port, frames)                 # and to another node
    vigil.wait_for(lambda: master.stats().get("sync_pending", 0) >
                   before.get("sync_pending", 0), 10, 0.1,
                   "the worker's replayed session was held back (counted)")
    # The live session is the one the agent opened: it was never closed or overtaken,
    # and keeps the agent active on the master.
    keepalives_advance(master, "001")
    cur = agent(master, "001")
    assert cur["status"] == "active" and cur["node_name"] == "master-node", cur
    assert "overtaken" not in master.output()
    assert master.output().count("agent victim identified") == attached


def test_a_lying_node_cannot_take_an_agent(tmp_path, procs, key):
    """A node holding the cluster key sends a record for agent 001 with an absurd counter
    and a forged OS: the record waits, is refused when the genuine session shows life, the
    liar is told to close its 'session', and nothing of the record reaches the agent."""
    master = start_master(tmp_path, procs, key)
    a = vigil.Agent(tmp_path, master, "genuine", args=["--keepalive", "1"])
    procs.append(a)
    vigil.wait_for(lambda: agent(master, "001").get("status") == "active", 30, 0.2,
                   "genuine agent active")
    keepalives_advance(master, "001")
    forged = {"id": 1, "sid": 5, "kg": 4294967295, "kl": 0, "kf": [4294967295, 0], "kr": [4294967295, 9], "nrx": 1,
              "sseq": 1, "live": True, "t": 0, "status": 2, "status_code": 0,
              "last_keepalive": 1, "disconnection_time": 0, "manager": "evil",
              "version": "Wazuh v4.12.0", "os_uname": "Evil", "os_name": "forged",
              "os_version": "1", "os_major": "1", "os_minor": "", "os_build": "",
              "os_codename": "", "os_platform": "forged", "os_arch": "x", "config_sum": "",
              "merged_sum": "", "agent_ip": "", "labels": ""}
    r = vigil.peer(master, key, name="liar", wait_ms=5000,
                   sends=[("updates", json.dumps({"seq": 1, "records": [forged]}))])
    assert r.returncode == 0, r.stderr
    fences = [json.loads(l.split(" ", 1)[1]) for l in r.stdout.splitlines()
              if l.startswith("fence ")]
    assert {"id": 1, "sid": 5} in fences, r.stdout
    cur = agent(master, "001")
    assert cur["status"] == "active" and cur["node_name"] == "master-node", cur
    assert cur["os"].get("platform") != "forged" and cur.get("manager") != "evil", cur
    # the absurd counter was never admitted: the genuine agent still moves and restarts
    a.stop()
    a = vigil.Agent(tmp_path, master, "genuine", data_dir=tmp_path / "genuine",
                    args=["--keepalive", "1"])
    procs.append(a)
    keepalives_advance(master, "001")
    assert master.stats().get("sync_refused", 0) >= 1
