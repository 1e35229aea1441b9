"""Files only their owner can read: vigild's and vigil-agent's data dirs are 0700 and every
file in them 0600, whatever existed before; no write follows a link planted in them; and a
vigild started as root with --user runs as that user and owns its files."""

import os
import pwd
import shutil
import stat
import subprocess
import tempfile

import pytest

import vigil


def status_of(node, agent_id):
    a = node.agents().get(agent_id)
    return a["status"] if a else None


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def tree_modes(top):
    """{relative path: (mode, uid, is_dir)} for top and everything under it but links."""
    out = {".": (mode_of(top), os.lstat(top).st_uid, True)}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                continue        # (a link's own mode means nothing; planted ones stay)
            out[os.path.relpath(p, top)] = (stat.S_IMODE(st.st_mode), st.st_uid,
                                            stat.S_ISDIR(st.st_mode))
    return out


def assert_owner_only(top, uid=None):
    """top is 0700, every directory under it 0700 and every file 0600 (owned by uid)."""
    bad = {}
    for rel, (mode, owner, is_dir) in tree_modes(top).items():
        want = 0o700 if is_dir else 0o600
        if mode != want or (uid is not None and owner != uid):
            bad[rel] = (oct(mode), owner)
    assert not bad, "not owner-only in %s: %r" % (top, bad)


def node_files_ready(node):
    """The node has written every kind of file it keeps: the registry with its WAL, keys,
    the certificate and the per-second stats."""
    names = ("registry.db", "registry.db-wal", "registry.db-shm", "stats.json",
             "sslmanager.key", "sslmanager.cert", "api-jwt.key", "vigild.pid")
    return all(os.path.isfile(os.path.join(node.data_dir, f)) for f in names)


def start_with_agent(tmp, procs, node_args=(), node_tmp=None):
    node = vigil.Node(node_tmp or tmp, args=node_args)
    procs.append(node)
    agent = vigil.Agent(tmp, node, "files-01", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: status_of(node, "001") == "active", 20, what="agent active")
    vigil.wait_for(lambda: node_files_ready(node), 20, what="the node's files")
    vigil.wait_for(lambda: os.path.isfile(os.path.join(agent.data_dir, "client.keys")), 20,
                   what="client.keys")
    return node, agent


def test_data_dirs_and_files_are_owner_only(tmp_path, procs):
    # Data dirs made by someone else with a loose umask, as the review found them.
    os.mkdir(tmp_path / "master-node", 0o755)
    os.chmod(tmp_path / "master-node", 0o755)
    os.mkdir(tmp_path / "files-01", 0o755)
    os.chmod(tmp_path / "files-01", 0o755)
    node, agent = start_with_agent(tmp_path, procs)
    assert_owner_only(node.data_dir)
    assert_owner_only(agent.data_dir)
    assert "permissions" in node.output()       # the narrowing is logged
    agent.stop()
    procs.remove(agent)
    node.stop()
    procs.remove(node)

    # Files left wide by an older version (or a careless copy) are narrowed at the next start.
    for top in (node.data_dir, agent.data_dir):
        for rel, (mode, _, is_dir) in tree_modes(top).items():
            os.chmod(os.path.join(top, rel), 0o755 if is_dir else 0o644)
    node, agent = start_with_agent(tmp_path, procs)
    assert_owner_only(node.data_dir)
    assert_owner_only(agent.data_dir)


def plant(link, outside):
    """A symlink link -> outside, where outside is a file with known content."""
    with open(outside, "w") as f:
        f.write("precious\n")
    os.chmod(outside, 0o640)
    os.symlink(outside, link)


def test_links_planted_in_data_dirs_are_not_followed(tmp_path, procs):
    outside = tmp_path / "outside"
    outside.mkdir()
    ndir = tmp_path / "master-node"
    adir = tmp_path / "files-01"
    ndir.mkdir()
    adir.mkdir()
    planted = {
        # the node's files written through open(), and the stats temp name it used
        ndir / "stats.json": outside / "stats",
        ndir / ".stats.json.tmp": outside / "stats-tmp",
        ndir / "vigild.pid": outside / "pid",
        ndir / "api-password": outside / "password",
        # the agent's keys, counter and pid, written through "<name>.tmp" + rename
        adir / "client.keys.tmp": outside / "keys-tmp",
        adir / "agent.pid.tmp": outside / "pid-tmp",
        adir / "sender_counter.tmp": outside / "counter-tmp",
    }
    for link, target in planted.items():
        plant(link, target)
    # no API password given: the node writes a generated one to api-password
    node = vigil.Node(tmp_path, env={"VIGIL_API_PASSWORD": ""})
    procs.append(node)
    agent = vigil.Agent(tmp_path, node, "files-01", args=["--keepalive", "1"])
    procs.append(agent)
    vigil.wait_for(lambda: os.path.isfile(adir / "client.keys"), 20, what="client.keys")
    # stats.json is a file of the node's own, not a link, once it has been written
    vigil.wait_for(lambda: os.path.isfile(ndir / "stats.json") and
                   not os.path.islink(ndir / "stats.json"), 20, what="stats.json replaced")
    vigil.wait_for(lambda: os.path.isfile(ndir / "api-password") and
                   not os.path.islink(ndir / "api-password"), 20, what="api-password replaced")
    vigil.wait_for(lambda: not os.path.islink(ndir / "vigild.pid"), 20, what="pid file replaced")
    agent.stop()
    procs.remove(agent)
    node.stop()
    procs.remove(node)
    for link, target in planted.items():
        assert target.read_text() == "precious\n", "%s written through %s" % (target, link)
        assert mode_of(target) == 0o640, (target, oct(mode_of(target)))
    assert_owner_only(ndir)
    assert_owner_only(adir)


def test_registry_planted_as_link_refuses_to_start(tmp_path):
    outside = tmp_path / "outside.db"
    ndir = tmp_path / "master-node"
    ndir.mkdir(mode=0o700)
    outside.write_text("")          # SQLite would make an empty file its database
    os.symlink(outside, ndir / "registry.db")
    r = subprocess.run([os.path.join(vigil.BUILD, "vigild"), "--foreground", "--listen",
                        "127.0.0.1", "--data-dir", str(ndir),
                        "--agent-port", str(vigil.free_port()),
                        "--enroll-port", str(vigil.free_port()),
                        "--api-port", str(vigil.free_port())],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "registry" in r.stderr, r.stderr
    assert outside.read_text() == ""


def test_data_dir_that_is_a_link_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    os.symlink(real, tmp_path / "linked")
    r = subprocess.run([os.path.join(vigil.BUILD, "vigild"), "--foreground", "--listen",
                        "127.0.0.1", "--data-dir", str(tmp_path / "linked"),
                        "--agent-port", str(vigil.free_port()),
                        "--enroll-port", str(vigil.free_port()),
                        "--api-port", str(vigil.free_port())],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "symbolic link" in r.stderr, r.stderr
    assert os.listdir(real) == []


def need_root():
    if os.geteuid() != 0:
        pytest.skip("needs root (privilege drop and other users' files)")
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this machine")


def vigild_argv(data_dir, *extra):
    return [os.path.join(vigil.BUILD, "vigild"), "--foreground", "--listen", "127.0.0.1",
            "--data-dir", str(data_dir), "--agent-port", str(vigil.free_port()),
            "--enroll-port", str(vigil.free_port()), "--api-port", str(vigil.free_port()),
            *extra]


def test_data_dir_of_another_user_is_refused(tmp_path):
    nobody = need_root()
    ndir = tmp_path / "theirs"
    ndir.mkdir(mode=0o700)
    os.chown(ndir, nobody.pw_uid, nobody.pw_gid)
    r = subprocess.run(vigild_argv(ndir), capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "owned by" in r.stderr, r.stderr
    assert os.listdir(ndir) == []


@pytest.fixture
def shared_tmp():
    """A fresh dir in /tmp that other users may pass through (0711): pytest's tmp_path
    sits under root-only dirs, where an unprivileged vigild could not reach its data."""
    d = tempfile.mkdtemp(prefix="vigil-files-", dir="/tmp")
    os.chmod(d, 0o711)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def proc_ids(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return [int(x) for x in line.split()[1:]]
    return None


def test_root_drops_to_user(shared_tmp, tmp_path, procs):
    nobody = need_root()
    # a data dir left by an earlier run as root: the node hands it to the user
    ddir = os.path.join(shared_tmp, "master-node")
    os.mkdir(ddir, 0o755)
    with open(os.path.join(ddir, "stats.json"), "w") as f:
        f.write("{}")
    node, agent = start_with_agent(tmp_path, procs, node_args=["--user", "nobody"],
                                   node_tmp=shared_tmp)
    assert proc_ids(node.pid, "Uid") == [nobody.pw_uid] * 4
    assert proc_ids(node.pid, "Gid") == [nobody.pw_gid] * 4
    assert 0 not in (proc_ids(node.pid, "Groups") or [])
    assert_owner_only(node.data_dir, uid=nobody.pw_uid)
    # the node keeps working as that user: the API, the registry, a restart round trip
    r = node.api("PUT", "/agents/restart", params={"agents_list": "001"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["total_affected_items"] == 1, r.text
    assert node.stop() == 0, node.output()
    procs.remove(node)
    assert "dropped privileges" in node.output() or "running as" in node.output()


def test_user_option_needs_root_or_self(tmp_path):
    nobody = need_root()
    ddir = tmp_path / "d"
    ddir.mkdir(mode=0o700)
    os.chown(ddir, nobody.pw_uid, nobody.pw_gid)
    os.chmod(tmp_path, 0o711)
    # not root, --user names someone else: refused before anything is created
    r = subprocess.run(["setpriv", "--reuid", str(nobody.pw_uid), "--regid",
                        str(nobody.pw_gid), "--clear-groups"] + vigild_argv(ddir, "--user", "root"),
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--user" in r.stderr, r.stderr
    assert os.listdir(ddir) == []
    # an unknown user is refused too
    r = subprocess.run(vigild_argv(ddir, "--user", "no-such-user-vigil"), capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no-such-user-vigil" in r.stderr, r.stderr
