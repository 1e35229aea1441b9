"""tests/tools/vigil-peer against a real master: the scripted worker that later tests use to
play a hostile or buggy node must itself join, fail and print the way they will rely on."""

import json
import os

import pytest

import vigil
from test_cluster import start_master


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
    assert got[0] == ("hello", {"proto": 4, "node": "master-node", "role": "master"})
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
