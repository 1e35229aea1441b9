"""Moving a Wazuh manager's agents to Vigil: POST /agents/insert(/quick) as Wazuh v4.12's
API has them, and vigilctl agents import of a client.keys (issue 13)."""

import base64
import os

import pytest

import vigil
from test_cluster import key, start_master, start_worker  # noqa: F401
from test_vigilctl import Ctl

KEY = "ab12" * 16


def write_keys(sim_dir, lines):
    os.makedirs(sim_dir, exist_ok=True)
    with open(os.path.join(sim_dir, "sim-keys"), "w") as f:
        f.write("".join(line + "\n" for line in lines))


def test_insert_an_agent_with_its_id_and_key(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    r = node.api("POST", "/agents/insert",
                 json={"name": "imp-00001", "id": "042", "key": KEY, "ip": "any"})
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["id"] == "042"
    assert base64.b64decode(d["key"]).decode() == "042 imp-00001 any " + KEY
    a = node.agents()["042"]
    assert (a["name"], a["ip"], a["registerIP"], a["status"]) == \
        ("imp-00001", "any", "any", "never_connected")
    # the agent connects with the key it has
    write_keys(os.path.join(str(tmp_path), "imp"), ["042 imp-00001 any " + KEY])
    sim = vigil.Sim(tmp_path, node, 1, name="imp", args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: node.agents()["042"]["status"] == "active", 20,
                   what="the inserted agent active with its own key")
    # enrollment goes on after the highest id
    r = node.api("POST", "/agents", json={"name": "next"})
    assert r.status_code == 200 and r.json()["data"]["id"] == "043", r.text


def test_insert_conflicts_and_validation(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)

    def insert(body):
        return node.api("POST", "/agents/insert", json=body)

    assert insert({"name": "first", "id": "007", "key": KEY, "ip": "10.0.0.7"}).status_code == 200
    # the default force (enabled, 1h registered) does not replace a fresh agent
    for body, code in (({"name": "other", "id": "007"}, 1708),
                       ({"name": "other", "ip": "10.0.0.7"}, 1706),
                       ({"name": "first", "id": "008"}, 1705),
                       ({"name": node.agents()["000"]["name"]}, 1705),
                       ({"name": "x" * 129}, 1738),
                       ({"name": "bad-ip", "ip": "300.1.1.1"}, 1706),
                       ({"name": "zero", "id": "000"}, 1708)):
        r = insert(body)
        assert r.status_code == 400 and r.json()["error"] == code, (body, r.text)
    for body in ({"id": "009"}, {"name": "k", "key": "short"}, {"name": "k", "key": "-" * 64},
                 {"name": "k", "id": "12"}, {"name": "k", "id": "abc"},
                 {"name": "k", "extra": 1}, {"name": "k", "force": {"enabled": "yes"}}):
        r = insert(body)
        assert r.status_code == 400 and r.json().get("error", 0) == 0, (body, r.text)
    r = node.api("POST", "/agents/insert", data="{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 406
    # a force that allows it replaces the agent, keeping the id
    r = insert({"name": "second", "id": "007", "key": KEY,
                "force": {"enabled": True, "disconnected_time": {"enabled": False},
                          "after_registration_time": "0"}})
    assert r.status_code == 200, r.text
    agents = node.agents()
    assert agents["007"]["name"] == "second" and agents["007"]["ip"] == "any"
    assert [a["name"] for a in agents.values()].count("first") == 0
    # without id nor key: the next id and a fresh key
    r = insert({"name": "plain"})
    assert r.status_code == 200 and r.json()["data"]["id"] == "008", r.text


def test_insert_quick(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    r = node.api("POST", "/agents/insert/quick", params={"agent_name": "quick-1"})
    assert r.status_code == 200, r.text
    line = base64.b64decode(r.json()["data"]["key"]).decode().split(" ")
    assert line[:3] == ["001", "quick-1", "any"] and len(line[3]) == 64
    r = node.api("POST", "/agents/insert/quick", params={"agent_name": "quick-2"})
    assert r.status_code == 200 and r.json()["data"]["id"] == "002", r.text
    r = node.api("POST", "/agents/insert/quick", params={"agent_name": "quick-1"})
    assert r.status_code == 400 and r.json()["error"] == 1705
    r = node.api("POST", "/agents/insert/quick")
    assert r.status_code == 400 and "agent_name" in r.json()["detail"]
    r = node.api("POST", "/agents/insert/quick", params={"agent_name": "bad name"})
    assert r.status_code == 400


@pytest.mark.heavy
def test_500_agents_move_to_a_new_cluster_by_import_alone(tmp_path, procs, key):
    """A fleet enrolled on one manager moves to a fresh master and worker by vigilctl agents
    import of the old manager's client.keys alone: same ids, names and keys, no enrollment,
    through either node."""
    old = vigil.Node(tmp_path, name="old-master")
    procs.append(old)
    fleet = vigil.Sim(tmp_path, old, 500, name="fleet", args=["--keepalive", "5"])
    procs.append(fleet)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in old.agents().values()) == 501,
                   120, 0.5, "500 agents active on the old manager")
    before = {i: (a["name"], a["registerIP"]) for i, a in old.agents().items() if i != "000"}
    fleet.stop()
    old.stop()
    # the old manager's client.keys, with what such a file also holds
    with open(os.path.join(fleet.data_dir, "sim-keys")) as f:
        entries = [line for line in f.read().splitlines() if line.strip()]
    assert len(entries) == 500
    client_keys = tmp_path / "client.keys"
    client_keys.write_text("# a comment\n" + "\n".join(entries) + "\n" +
                           "501 !removed-agent any " + KEY + "\n" +
                           "502 bad name here\n")
    groups = tmp_path / "groups.txt"     # sqlite3 global.db 'SELECT id, "group" FROM agent'
    groups.write_text("001|default,web\n002|db,web\n")
    new = start_master(tmp_path, procs, key)
    worker = start_worker(tmp_path, procs, key, new, "worker1")
    p = Ctl(tmp_path, new).run("agents", "import", "--keys", str(client_keys),
                               "--groups", str(groups), timeout=600)
    assert p.returncode == 1, p.stdout + p.stderr     # the bad line
    assert "500 agents inserted, 0 failed, 1 bad lines, 2 lines skipped" in p.stdout, p.stdout
    assert "client.keys:503: " in p.stderr, p.stderr
    assert "import: 500 of 500 agents sent" in p.stderr
    agents = new.agents()
    assert {i: (a["name"], a["registerIP"]) for i, a in agents.items() if i != "000"} == before
    assert agents["001"]["group"] == ["default", "web"] and agents["002"]["group"] == ["db", "web"]
    # the agents come back with the keys they have, half through the worker
    fleet2 = vigil.Sim(tmp_path, new, 500, name="fleet", args=["--keepalive", "5"],
                       managers="127.0.0.1:%d,127.0.0.1:%d" % (new.agent_port,
                                                               worker.agent_port))
    procs.append(fleet2)
    vigil.wait_for(lambda: sum(a["status"] == "active" for a in new.agents().values()) == 501,
                   120, 0.5, "the 500 agents active on the new cluster")
    agents = new.agents()
    assert len(agents) == 501 and "501" not in agents
    nodes = {a.get("node_name") for i, a in agents.items() if i != "000"}
    assert nodes == {"master-node", "worker1"}, nodes
    assert "agents: 500 with saved keys, 0 to enroll" in fleet2.output()


def test_import_groups_from_a_wazuh_global_db_and_an_agent_groups_dir(tmp_path, procs):
    import sqlite3
    node = vigil.Node(tmp_path)
    procs.append(node)
    keys = tmp_path / "client.keys"
    keys.write_text("".join("%03d host-%d any %s\n" % (i, i, KEY[:-2] + "%02d" % i)
                            for i in (1, 2, 3, 4)))
    # a 4.x global.db: group(id, name), belongs(id_agent, id_group, priority)
    db = sqlite3.connect(str(tmp_path / "global.db"))
    db.executescript('CREATE TABLE "group" (id INTEGER PRIMARY KEY, name TEXT);'
                     'CREATE TABLE belongs (id_agent INTEGER, id_group INTEGER, '
                     'priority INTEGER);'
                     'INSERT INTO "group" VALUES (1, "default"), (2, "web"), (3, "eu");'
                     'INSERT INTO belongs VALUES (1, 3, 1), (1, 2, 0), (2, 1, 0);')
    db.commit()
    db.close()
    p = Ctl(tmp_path, node).run("agents", "import", "--keys", str(keys),
                                "--groups", str(tmp_path / "global.db"))
    assert p.returncode == 0, p.stdout + p.stderr
    agents = node.agents()
    assert agents["001"]["group"] == ["web", "eu"] and agents["002"]["group"] == ["default"]
    assert agents["003"]["group"] == ["default"]
    # a second run changes nothing and says why for each agent
    p = Ctl(tmp_path, node).run("agents", "import", "--keys", str(keys))
    assert p.returncode == 1 and "0 agents inserted, 4 failed" in p.stdout, p.stdout
    assert "client.keys:1: agent 001 'host-1' not imported: HTTP 400" in p.stderr, p.stderr
    # queue/agent-groups of older managers: a file per agent id
    gdir = tmp_path / "agent-groups"
    gdir.mkdir()
    (gdir / "005").write_text("db,web\n")
    keys.write_text("005 host-5 any %s\n" % KEY)
    p = Ctl(tmp_path, node).run("agents", "import", "--keys", str(keys), "--groups", str(gdir))
    assert p.returncode == 0, p.stdout + p.stderr
    assert node.agents()["005"]["group"] == ["db", "web"]
