"""A worker given several master-capable nodes (--master a:P,b:P,...): it tries them in turn,
joins the one that answers, follows the master to another address when it goes, and resends
there what the old one never acknowledged."""

import os
import socket
import subprocess

import pytest

import vigil
from test_cluster import fault, on_node


@pytest.fixture
def key(tmp_path):
    k = tmp_path / "cluster.key"
    k.write_text("vigil-test-cluster-key-0123456789\n")
    os.chmod(k, 0o600)
    return str(k)


def start_worker(tmp_path, procs, key, masters, name="worker1", args=()):
    w = vigil.Node(tmp_path, name=name, role="worker",
                   args=["--master", ",".join(masters), "--cluster-key-file", key] + list(args))
    procs.append(w)
    return w


def addr(port):
    return "127.0.0.1:%d" % port


def joined_at(worker):
    """The address of the master the worker is joined to now, from its stats.json
    ("" while it is not joined; None before the first stats.json)."""
    return worker.stats().get("master")


def test_a_worker_passes_over_dead_and_silent_masters_to_the_live_one(tmp_path, procs, key):
    master = vigil.Node(tmp_path, args=["--cluster-key-file", key])
    procs.append(master)
    dead = vigil.free_port()                  # nothing listens there: connection refused
    silent = socket.socket()                  # accepts TCP (the backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        w = start_worker(tmp_path, procs, key,
                         [addr(dead), addr(silent.getsockname()[1]), addr(master.cluster_port)])
        sim = vigil.Sim(tmp_path, master, 5, name="w1", managers=w.agent_addr,
                        args=["--keepalive", "1"])
        procs.append(sim)
        vigil.wait_for(lambda: len(on_node(master, "worker1")) == 5, 30, 0.2,
                       "5 agents active on worker1, seen by the master")
    finally:
        silent.close()
    out = w.output()
    assert "cluster: joined master 'master-node' at %s" % addr(master.cluster_port) in out, out
    assert "master %s unreachable" % addr(dead) in out, out
    # the silent one was left for its join deadline, not the 10 s of a dead link
    assert "no answer from the master" in out, out
    vigil.wait_for(lambda: joined_at(w) == addr(master.cluster_port), 5, 0.1,
                   "worker1's stats.json names the master it joined")


@pytest.mark.registries
def test_a_worker_follows_the_master_to_its_next_address(tmp_path, procs, key):
    """The master (data dir D, cluster port P1) is killed; a master on the same data dir and
    registry (SQLite in D, or one PostgreSQL database) comes up on P2, the worker's second
    address.  The worker joins it, its agents are
    active there, and the records the old master never acknowledged reach the new one."""
    p2 = vigil.free_port()
    grace = ["--node-grace", "600"]           # no agent is marked by the grace in this test
    m1 = vigil.Node(tmp_path, args=["--cluster-key-file", key] + grace)
    procs.append(m1)
    w = start_worker(tmp_path, procs, key, [addr(m1.cluster_port), addr(p2)],
                     args=["--test-faults"])
    stay = vigil.Sim(tmp_path, m1, 10, name="stay", managers=w.agent_addr,
                     args=["--keepalive", "1"])
    procs.append(stay)
    leave = vigil.Sim(tmp_path, m1, 5, name="leave", managers=w.agent_addr,
                      args=["--keepalive", "1"])
    procs.append(leave)
    vigil.wait_for(lambda: len(on_node(m1, "worker1")) == 15, 30, 0.2, "15 agents active")
    leaving = {i for i, a in m1.agents().items() if a["name"].startswith("leave-")}
    assert len(leaving) == 5
    # The worker's updates are held back (never acknowledged): five agents shut down
    # ("agent shutdown": status_code 3), and the master dies before it hears of it.
    fault(w, "hold")
    leave.stop()
    vigil.wait_for(lambda: w.stats().get("sessions") == 10, 10, 0.1,
                   "worker1 closed the 5 sessions (their updates held)")
    m1.kill()
    vigil.wait_for(lambda: joined_at(w) == "", 10, 0.1, "worker1 saw its master go")
    fault(w, "cut")                           # the held frames died with the link
    # The new master loads the registry of the old one: the 5 agents come back
    # disconnected because no session survives a restart (status_code 4); only the
    # worker's resent records can say they shut down (3).
    m2 = vigil.Node(tmp_path, args=["--cluster-key-file", key, "--cluster-port", str(p2)] + grace)
    procs.append(m2)
    vigil.wait_for(lambda: joined_at(w) == addr(p2), 15, 0.1, "worker1 joined the master on P2")
    vigil.wait_for(lambda: len(on_node(m2, "worker1")) == 10, 20, 0.2,
                   "the 10 remaining agents active on worker1, seen by the new master")

    def shut_down():
        ag = m2.agents()
        return all(ag[i]["status"] == "disconnected" and ag[i]["status_code"] == 3
                   for i in leaving) and ag
    vigil.wait_for(shut_down, 20, 0.2, "the 5 shutdowns the old master never acknowledged")
    assert "cluster: joined master 'master-node' at %s" % addr(p2) in w.output()


def run_vigild(tmp_path, *args):
    """vigild as a worker that must refuse to start: (exit code, stderr).  Its ports are
    its own, should it start after all (then it is stopped and the test fails)."""
    argv = [os.path.join(vigil.BUILD, "vigild"), "--foreground", "--role", "worker",
            "--name", "w1", "--listen", "127.0.0.1", "--data-dir", str(tmp_path / "w1"),
            "--agent-port", str(vigil.free_port()), "--enroll-port", str(vigil.free_port())]
    try:
        r = subprocess.run(argv + list(args), capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("vigild %s started instead of refusing" % " ".join(args))
    return r.returncode, r.stderr


@pytest.mark.parametrize("value, message", [
    ("127.0.0.1:1516,,127.0.0.1:1517", "item 2 is empty"),
    ("127.0.0.1:1516,", "item 2 is empty"),
    ("127.0.0.1", "'127.0.0.1' has no port (expected HOST:PORT)"),
    (":1516", "':1516' has no host (expected HOST:PORT)"),
    ("127.0.0.1:0", "'127.0.0.1:0': port '0' is not a number in 1..65535"),
    ("a:1516,b:70000", "'b:70000': port '70000' is not a number in 1..65535"),
    ("a:1516,b:15x6", "'b:15x6': port '15x6' is not a number in 1..65535"),
    ("a:1516,a:1516", "'a:1516' is listed twice"),
    (",".join("h%d:1516" % i for i in range(9)), "more than 8 addresses"),
])
def test_bad_master_lists_are_refused_at_start(tmp_path, key, value, message):
    rc, err = run_vigild(tmp_path, "--cluster-key-file", key, "--master", value)
    assert rc == 2, err
    assert "vigild: master: " + message in err, err


def test_a_bad_master_list_in_the_config_file_is_refused_with_its_line(tmp_path, key):
    conf = tmp_path / "vigild.conf"
    conf.write_text("cluster-key-file = %s\nmaster = 127.0.0.1:1516, 127.0.0.1\n" % key)
    rc, err = run_vigild(tmp_path, "--config", str(conf))
    assert rc == 2, err
    assert "vigild: master: '127.0.0.1' has no port (expected HOST:PORT)" in err, err
    assert "vigild.conf:2: bad setting" in err, err
