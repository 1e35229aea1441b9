"""vigild as a program: defaults, files it creates, failover of agents, shutdown."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
import requests

import vigil


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def own_netns():
    """Whether this machine lets a test make a network namespace of its own (unshare -rn)."""
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_no_arguments_is_a_working_master(tmp_path):
    # In a network namespace of its own the default ports are free, whatever the other
    # tests hold: 55000 lies in the kernel's ephemeral range, and another test's simulated
    # agents (make check runs two at a time) may hold it for an outgoing connection.
    if own_netns():
        here = os.path.dirname(os.path.abspath(__file__))
        r = subprocess.run(
            ["unshare", "-rn", "sh", "-c", "PATH=$PATH:/usr/sbin:/sbin; ip link set lo up && "
             "exec \"$0\" -c 'import sys, test_node; test_node.no_arguments(sys.argv[1])' "
             "\"$1\"", sys.executable, str(tmp_path)],
            env=dict(os.environ, PYTHONPATH=here), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        return
    try:
        vigil.wait_for(lambda: all(port_free(p) for p in (1514, 1515, 55000)), 180,
                       interval=0.5, what="default ports free")
    except AssertionError:
        pytest.skip("default ports 1514/1515/55000 are in use on this machine")
    no_arguments(tmp_path)


def no_arguments(tmp_path):
    """vigild without arguments, in tmp_path, on the default ports."""
    data = os.path.join(str(tmp_path), "vigil-data")
    env = dict(os.environ)
    env.pop("VIGIL_API_USER", None)
    env.pop("VIGIL_API_PASSWORD", None)
    r = subprocess.run([os.path.join(vigil.BUILD, "vigild")], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    pid = None
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        out = r.stdout
        assert "1514" in out and "1515" in out and "55000" in out
        assert "password" in out
        pid = int(open(os.path.join(data, "vigild.pid")).read().strip())
        password = open(os.path.join(data, "api-password")).read().strip()
        assert password in out          # printed once
        for f in ("api-password", "sslmanager.cert", "sslmanager.key", "api-jwt.key"):
            mode = stat.S_IMODE(os.stat(os.path.join(data, f)).st_mode)
            assert mode == 0o600, (f, oct(mode))
        assert os.path.exists(os.path.join(data, "registry.db"))
        t = requests.post("https://127.0.0.1:55000/security/user/authenticate",
                          auth=("wazuh", password), verify=False, timeout=10)
        assert t.status_code == 200, t.text
        # A second start keeps the same password and does not print a new one.
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
    assert not os.path.exists(os.path.join(data, "vigild.pid"))   # removed on clean shutdown
    log = open(os.path.join(data, "vigild.log")).read()
    assert "stopped" in log


def test_bad_arguments(tmp_path):
    v = os.path.join(vigil.BUILD, "vigild")
    for argv in ([v, "--bogus", "1"], [v, "--api-port", "notaport"], [v, "--role", "king"],
                 [v, "--config", str(tmp_path / "missing.conf")]):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=tmp_path)
        assert r.returncode == 2, argv
        assert r.stderr.strip(), argv
    r = subprocess.run([v, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "usage" in r.stdout
    # --registry takes a PostgreSQL URI; SQLite needs no option
    r = subprocess.run([v, "--registry", "/tmp/x.db"], capture_output=True, text=True,
                       timeout=10, cwd=tmp_path)
    assert r.returncode == 2 and "postgresql://" in r.stderr, r.stderr


def test_registry_unreachable_is_a_clear_exit(tmp_path):
    """A PostgreSQL registry that cannot be reached: vigild exits with a message naming it
    (its password hidden), never a crash."""
    v = os.path.join(vigil.BUILD, "vigild")
    r = subprocess.run([v, "--foreground", "--data-dir", str(tmp_path / "d"),
                        "--listen", "127.0.0.1",
                        "--agent-port", str(vigil.free_port()),
                        "--enroll-port", str(vigil.free_port()),
                        "--cluster-port", str(vigil.free_port()),
                        "--api-port", str(vigil.free_port()), "--registry",
                        "postgresql://vigil:S3cret@127.0.0.1:1/vigil?connect_timeout=5"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    out = r.stdout + r.stderr
    assert r.returncode == 1, (r.returncode, out)
    assert "cannot open the registry postgresql://vigil:***@127.0.0.1:1/vigil" in out, out
    assert "cannot connect" in out, out
    assert "S3cret" not in out, out


@pytest.mark.registries
def test_config_file(tmp_path, procs):
    conf = tmp_path / "vigild.conf"
    conf.write_text("# test\nagents-disconnection-time = 3\ntoken-lifetime = 60\n")
    node = vigil.Node(tmp_path, args=["--config", str(conf)])
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 2, name="cf", args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in node.agents().values()) == 3,
                   20, what="2 agents active")
    # Stop the simulator without a word (SIGKILL): the keepalive timeout notices.
    sim.kill()
    vigil.wait_for(lambda: sum(a["status"] == "disconnected" for a in node.agents().values()) == 2,
                   15, what="agents disconnected by the connection loss or keepalive timeout")


@pytest.mark.registries
def test_keepalive_timeout_marks_disconnected(tmp_path, procs):
    node = vigil.Node(tmp_path, args=["--agents-disconnection-time", "2"])
    procs.append(node)
    # The simulated agents connect, then keep their sockets open but stay silent.
    sim = vigil.Sim(tmp_path, node, 2, name="quiet",
                    args=["--keepalive", "3600", "--first-keepalive", "0"])
    procs.append(sim)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in node.agents().values()) == 3,
                   20, what="2 agents active")
    # The two may time out in different ticks of the once-a-second check: wait for both.
    agents = vigil.wait_for(
        lambda: [a for a in node.agents().values() if a["status"] == "disconnected"]
        if sum(a["status"] == "disconnected" for a in node.agents().values()) == 2 else None,
        10, what="both silent agents disconnected by the keepalive timeout")
    assert len(agents) == 2
    assert all(a["status_code"] == 5 for a in agents)
    assert all(a.get("disconnection_time") for a in agents)


def test_agent_fails_over_to_the_next_manager(tmp_path, procs, master):
    dead = vigil.free_port()   # nothing listens here
    procs.append(vigil.Agent(tmp_path, master, "fo-1", args=["--keepalive", "1"],
                             managers="127.0.0.1:%d,%s" % (dead, master.agent_addr)))
    vigil.wait_for(lambda: master.agents().get("001", {}).get("status") == "active", 30,
                   what="agent active through the second manager address")
