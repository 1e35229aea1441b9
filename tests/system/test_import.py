"""Moving a Wazuh manager's agents to Vigil: POST /agents/insert(/quick) as Wazuh v4.12's
API has them, and vigilctl agents import of a client.keys (issue 13)."""

import base64
import os

import vigil

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
