"""GET /agents filters end to end, as Wazuh 4.12 answers them: q (operators,
AND/OR/parentheses, nested fields, dates, errors), older_than, distinct,
nested select, multi-field sort, search with negation, strict validation.

One master with 4 agents on 4.12.0 (001-004, "web-"), 3 on 4.9.2 (005-007,
"db-") and 2 registered agents that never connected (008, 009)."""

import pytest

import vigil
from test_agents import enroll_raw


def ids(body):
    return [a["id"] for a in body["data"]["affected_items"]]


def get(node, **params):
    r = node.api("GET", "/agents", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def bad(node, code, **params):
    """A 400 problem body for params; code None is a schema error (no "error" key)."""
    r = node.api("GET", "/agents", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["title"] == "Bad Request"
    assert body.get("error") == code, body
    return body


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agents_query")
    started = []
    try:
        node = vigil.Node(tmp)
        started.append(node)
        # One enrollment at a time: ids follow the names (web-00001 is 001, and so on).
        web = vigil.Sim(tmp, node, 4, name="web", args=["--keepalive", "1", "--version", "4.12.0",
                                                       "--enroll-concurrency", "1"])
        started.append(web)
        vigil.wait_for(lambda: vigil.n_active(node) == 5, 60, what="4 web agents active")
        db = vigil.Sim(tmp, node, 3, name="db", args=["--keepalive", "1", "--version", "4.9.2",
                                                    "--enroll-concurrency", "1"])
        started.append(db)
        vigil.wait_for(lambda: vigil.n_active(node) == 8, 60, what="3 db agents active")
        for name in ("nc-1", "nc-2"):
            assert enroll_raw(node, "OSSEC A:'%s'\n" % name).startswith("OSSEC K:'")
        agents = node.agents()
        assert sorted(agents) == ["%03d" % i for i in range(10)]
        assert [agents["%03d" % i]["name"] for i in range(1, 10)] == \
            ["web-%05d" % i for i in range(1, 5)] + ["db-%05d" % i for i in range(1, 4)] + \
            ["nc-1", "nc-2"]
        yield node
    finally:
        vigil.stop_all(started)


def test_q_each_operator(lab):
    assert ids(get(lab, q="name=web-00002")) == ["002"]
    assert ids(get(lab, q="name=WEB-00002")) == ["002"]          # COLLATE NOCASE
    assert ids(get(lab, q="version!=Wazuh v4.12.0;id!=0")) == ["005", "006", "007"]
    assert ids(get(lab, q="id<3")) == ["000", "001", "002"]
    assert ids(get(lab, q="id>7")) == ["008", "009"]
    assert ids(get(lab, q="id=004")) == ["004"]
    assert ids(get(lab, q="name~eb-0000")) == ["001", "002", "003", "004"]
    assert ids(get(lab, q="status=never_connected")) == ["008", "009"]
    # NULL never matches != (SQL), "null" means IS NULL
    assert ids(get(lab, q="version=null")) == ["008", "009"]
    assert ids(get(lab, q="version~4.9")) == ["005", "006", "007"]
    # version text as Wazuh rewrites it: "Wazuhv" -> "Wazuh v"
    assert ids(get(lab, q="version=Wazuhv4.9.2")) == ["005", "006", "007"]


def test_q_and_or_parentheses(lab):
    # ';' binds tighter than ','
    assert ids(get(lab, q="name~web;id>2,name~db;id<6")) == ["003", "004", "005"]
    assert ids(get(lab, q="name~web;(id>3,id<2)")) == ["001", "004"]
    assert ids(get(lab, q="(name~web,name~db);(id=1,id=7)")) == ["001", "007"]
    assert ids(get(lab, q="((status=active));((id>6))")) == ["007"]
    body = get(lab, q="name~web,name~nc", limit="2", offset="1")
    assert ids(body) == ["002", "003"] and body["data"]["total_affected_items"] == 6


def test_q_nested_fields_and_dates(lab):
    agents = lab.agents()
    plat = agents["001"]["os"]["platform"]
    osname = agents["001"]["os"]["name"]
    want = sorted(i for i, a in agents.items() if i != "000" and a.get("version") == "Wazuh v4.9.2"
                  and a.get("os", {}).get("platform") == plat)
    assert ids(get(lab, q="os.platform=%s;version=Wazuh v4.9.2" % plat)) == want == \
        ["005", "006", "007"]
    assert "001" in ids(get(lab, q="os.name=%s" % osname))
    assert ids(get(lab, q="os.name=null;id!=0")) == ["008", "009"]
    # dates: a timeframe is relative to now ('<' newer, '>' older), 000 never matches
    assert ids(get(lab, q="lastKeepAlive<1h")) == ["%03d" % i for i in range(1, 8)]
    assert ids(get(lab, q="lastKeepAlive>1h")) == []
    assert ids(get(lab, q="dateAdd<1d")) == ["%03d" % i for i in range(1, 10)]
    assert ids(get(lab, q="dateAdd>2000-01-01;dateAdd<2999-01-01T00:00:00Z;id<3")) == ["001", "002"]


def test_q_errors(lab):
    b = bad(lab, 1407, q="name=")
    assert b["detail"] == "Query does not match expected format: name="
    bad(lab, 1407, q="(name=x")
    bad(lab, 1407, q="name=x;")
    b = bad(lab, 1408, q="nope=1")
    assert b["detail"].startswith("Field does not exist.: Available fields: id, name, ip, ")
    assert b["detail"].endswith(". Field: nope")
    b = bad(lab, 1409, q="name==x")
    assert b["detail"] == "Invalid query operator: Valid operators: =, !=, <, >, ~. Used operator: =="
    b = bad(lab, 1409, q="group>default")
    assert "Valid operators for 'group' field" in b["detail"]
    b = bad(lab, 1412, q="dateAdd<tomorrow")
    assert b["detail"].endswith(": tomorrow")
    bad(lab, 1411, q="lastKeepAlive<7x")


def test_distinct(lab):
    agents = lab.agents()
    body = get(lab, distinct="true", select="version")
    items = body["data"]["affected_items"]
    assert sorted(i["version"] for i in items) == ["Wazuh v4.12.0", "Wazuh v4.9.2"]
    assert all(set(i) == {"version"} for i in items)
    assert body["data"]["total_affected_items"] == 2
    names = {a["os"]["name"] for a in agents.values() if a.get("os", {}).get("name")}
    body = get(lab, distinct="true", select="os.name")
    assert sorted(i["os"]["name"] for i in body["data"]["affected_items"]) == sorted(names)
    body = get(lab, distinct="true", select="status,version", q="id!=0")
    got = sorted((i["status"], i["version"]) for i in body["data"]["affected_items"])
    assert got == [("active", "Wazuh v4.12.0"), ("active", "Wazuh v4.9.2")]
    assert get(lab, distinct="false", select="version")["data"]["total_affected_items"] == 10


def test_select_nested_and_sort(lab):
    items = get(lab, select="os.platform,name", limit="3", q="id>0")["data"]["affected_items"]
    assert [set(i) for i in items] == [{"id", "name", "os"}] * 3
    assert all(set(i["os"]) == {"platform"} for i in items)
    agents = lab.agents()
    order = sorted(agents.values(), key=lambda a: (a["status"], a["name"], a["id"]))
    assert ids(get(lab, sort="status,name")) == [a["id"] for a in order]
    order = sorted(agents.values(), key=lambda a: (a["status"], a["name"]), reverse=True)
    assert ids(get(lab, sort="-status,name")) == [a["id"] for a in order]
    assert ids(get(lab, sort="-id", limit="3")) == ["009", "008", "007"]
    assert ids(get(lab, sort="os.platform,-id", q="id>0;id<3"))[0] in ("001", "002")


def test_search_and_negation(lab):
    web = ids(get(lab, search="web-000"))
    assert web == ["001", "002", "003", "004"]
    rest = ids(get(lab, search="-web-000"))
    assert rest == ["000", "005", "006", "007", "008", "009"]
    assert ids(get(lab, search="NC-")) == ["008", "009"]
    # the id matches whole: "7" is agent 007, not 017 or 070 (there are none) and not 000
    assert "007" in ids(get(lab, search="7"))


def test_legacy_filters_and_paging(lab):
    assert ids(get(lab, status="never_connected,DISCONNECTED")) == ["008", "009"]
    assert ids(get(lab, version="4.9.2")) == ["005", "006", "007"]
    assert ids(get(lab, version="v4.9.2", status="active", limit="1")) == ["005"]
    assert ids(get(lab, name="nc-2")) == ["009"]
    assert ids(get(lab, group="default", q="id<2")) == ["001"]
    assert ids(get(lab, node_name="master-node", q="id<3")) == ["000", "001", "002"]
    assert ids(get(lab, **{"group_config_status": "not synced", "q": "id=1"})) in (["001"], [])
    assert len(ids(get(lab))) == 10
    assert len(ids(get(lab, limit="100000"))) == 10
    assert ids(get(lab, offset="8")) == ["008", "009"]


def test_strict_validation(lab):
    b = bad(lab, None, foo="1")
    assert b["detail"] == "Extra parameter(s) foo not in spec"
    bad(lab, None, limit="0")
    bad(lab, None, limit="100001")
    bad(lab, None, offset="-1")
    bad(lab, None, distinct="maybe")
    b = bad(lab, None, older_than="7w")
    assert b["detail"] == "'7w' does not match '^(\\\\d+[dhms]?)$' - 'older_than'"
    bad(lab, None, status="bogus")
    bad(lab, None, search="a;b")
    bad(lab, 1724, select="bogus")
    bad(lab, 1403, sort="bogus")
    # Wazuh's order: the schema first, then select, then q, then sort
    bad(lab, None, select="bogus", limit="0")
    bad(lab, 1724, select="bogus", q="nope=1")
    bad(lab, 1408, q="nope=1", sort="bogus")


def test_older_than(tmp_path, procs):
    node = vigil.Node(tmp_path)
    procs.append(node)
    sim = vigil.Sim(tmp_path, node, 2, name="old", args=["--keepalive", "1"])
    procs.append(sim)
    vigil.wait_for(lambda: vigil.n_active(node) == 3, 60, what="2 agents active")
    assert enroll_raw(node, "OSSEC A:'never'\n").startswith("OSSEC K:'003 ")
    assert ids(get(node, older_than="1h")) == []
    # Silence the two agents; their keepalives age, the never-connected one ages by dateAdd.
    sim.stop()
    procs.remove(sim)
    # Ages only grow from here: wait until all three are older than 4 s.
    vigil.wait_for(lambda: ids(get(node, older_than="4s")) == ["001", "002", "003"], 20, 0.2,
                   "the three agents older than 4 s")
    assert ids(get(node, older_than="4")) == ["001", "002", "003"]
    assert ids(get(node, older_than="4s", q="id!=2")) == ["001", "003"]
    assert ids(get(node, older_than="4s", q="id=1,id=3")) == ["001", "003"]
    assert ids(get(node, older_than="1h")) == []
    assert ids(get(node, older_than="0s")) == ["000", "001", "002", "003"]
    assert ids(get(node, q="lastKeepAlive>4s")) == ["001", "002"]
