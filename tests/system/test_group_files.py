"""A group's shared files (GET /groups/{id}/files[/{file}]), q on GET /groups and
GET /cluster/nodes, and the group checks Wazuh makes (reserved names, a DELETE without
agents_list, an empty configuration), against a real master (and workers for the nodes)."""

import hashlib
import http.client
import ssl

import vigil
from test_cluster import key, start_master, start_worker  # noqa: F401  (fixture)
from test_cluster_api import problem
from test_groups import AR_CONF, TEMPLATE, create, merged, xml

HASHES = {"md5": "md5", "sha1": "sha1", "sha224": "sha224", "sha256": "sha256",
          "sha384": "sha384", "sha512": "sha512", "blake2b": "blake2b", "blake2s": "blake2s",
          "sha3_224": "sha3_224", "sha3_256": "sha3_256", "sha3_384": "sha3_384",
          "sha3_512": "sha3_512"}


def files(master, group="default", **params):
    r = master.api("GET", "/groups/%s/files" % group, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def items(body):
    return body["data"]["affected_items"]


def raw_get(master, path):
    """GET path exactly as written (no client-side normalisation of '..')."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", master.api_port, context=ctx, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + master.token()})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def test_group_files_listing(master):
    conf_md5 = "ab73af41699f13fdd81903b5f23d8d00"   # Wazuh's agent-template.conf
    body = files(master)
    assert body["error"] == 0
    assert body["message"] == "All selected groups files were returned"
    assert items(body) == [
        {"filename": "agent.conf", "hash": conf_md5},
        {"filename": "ar.conf", "hash": hashlib.md5(AR_CONF.encode()).hexdigest()},
        {"filename": "merged.mg", "hash": hashlib.md5(merged("default", TEMPLATE)).hexdigest()}]
    assert body["data"]["total_affected_items"] == 3
    assert body["data"]["failed_items"] == [] and body["data"]["total_failed_items"] == 0
    for name, algo in HASHES.items():
        got = {i["filename"]: i["hash"] for i in items(files(master, hash=name))}
        assert got["ar.conf"] == hashlib.new(algo, AR_CONF.encode()).hexdigest(), name
        assert got["merged.mg"] == hashlib.new(algo, merged("default", TEMPLATE)).hexdigest()
    problem(master.api("GET", "/groups/default/files", params={"hash": "crc32"}), 400, None)
    # Pagination, sort, search, q, select, distinct as Wazuh's process_array.
    body = files(master, limit="1", offset="1")
    assert [i["filename"] for i in items(body)] == ["ar.conf"]
    assert body["data"]["total_affected_items"] == 3
    assert items(files(master, offset="99")) == []
    hashes = [i["hash"] for i in items(files(master, sort="-hash"))]
    assert hashes == sorted(hashes, reverse=True)
    assert [i["filename"] for i in items(files(master, sort="-filename"))] == [
        "merged.mg", "ar.conf", "agent.conf"]
    assert [i["filename"] for i in items(files(master, search="agent.conf"))] == ["agent.conf"]
    assert items(files(master, search="wrong_search")) == []
    assert items(files(master, q="filename=agent.conf")) == [
        {"filename": "agent.conf", "hash": conf_md5}]
    assert [i["filename"] for i in items(files(master, q="filename~.conf,filename=merged.mg"))] \
        == ["agent.conf", "ar.conf", "merged.mg"]
    assert items(files(master, q="filename=AGENT.CONF")) == []
    assert items(files(master, q="nosuchfield=1")) == []
    problem(master.api("GET", "/groups/default/files", params={"q": "filename%=invalid"}),
            400, 1407)
    assert [sorted(i) for i in items(files(master, select="hash"))] == [["filename", "hash"]] * 3
    problem(master.api("GET", "/groups/default/files", params={"select": "noexists"}), 400, 1724)
    problem(master.api("GET", "/groups/default/files", params={"sort": "-wrong_sort"}), 400, 1403)
    assert len(items(files(master, distinct="true"))) == 3
    for params in ({"limit": "0"}, {"limit": "100001"}, {"offset": "-1"}, {"bogus": "1"}):
        problem(master.api("GET", "/groups/default/files", params=params), 400, None)
    # An unknown group is a failed item (200); a name outside the format is 400.
    body = files(master, "wrong_group")
    assert body["error"] == 1 and body["message"] == "No groups files were returned"
    assert body["data"]["failed_items"][0]["error"]["code"] == 1710
    assert body["data"]["failed_items"][0]["id"] == ["wrong_group"]
    problem(master.api("GET", "/groups/wrong_%25_group/files"), 400, None)
    # The listing follows the group's agent.conf (one source: the group itself).
    conf = "<agent_config>\n  <localfile><location>/x</location></localfile>\n</agent_config>\n"
    create(master, "web")
    r = master.api("PUT", "/groups/web/configuration", data=conf, headers=xml())
    assert r.status_code == 200, r.text
    got = {i["filename"]: i["hash"] for i in items(files(master, "web"))}
    assert got["agent.conf"] == hashlib.md5(conf.encode()).hexdigest()
    assert got["merged.mg"] == hashlib.md5(merged("web", conf)).hexdigest()
    assert master.api("GET", "/groups", params={"groups_list": "web"}).json()["data"][
        "affected_items"][0]["mergedSum"] == got["merged.mg"]


def test_group_file_raw_and_json(master):
    r = master.api("GET", "/groups/default/files/agent.conf", params={"raw": "true"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert r.text == TEMPLATE
    r = master.api("GET", "/groups/default/files/merged.mg", params={"raw": "true"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.content == merged("default", TEMPLATE)
    r = master.api("GET", "/groups/default/files/ar.conf", params={"raw": "true"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.text == AR_CONF
    # JSON forms.
    r = master.api("GET", "/groups/default/files/ar.conf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.json() == {"data": AR_CONF.split("\n")[:-1], "error": 0}
    body = master.api("GET", "/groups/default/files/merged.mg").json()
    assert body["error"] == 0
    assert body["data"] == [
        {"file_name": "ar.conf", "file_size": len(AR_CONF), "file_content": AR_CONF},
        {"file_name": "agent.conf", "file_size": len(TEMPLATE), "file_content": TEMPLATE}]
    body = master.api("GET", "/groups/default/files/agent.conf").json()
    assert body == {"data": {"total_affected_items": 1,
                             "affected_items": [{"filters": {}, "config": {}}]}, "error": 0}
    conf = ('<agent_config os="Linux" profile="web">\n'
            '  <localfile>\n    <log_format>syslog</log_format>\n'
            '    <location>/var/log/a</location>\n  </localfile>\n'
            '  <localfile><location>/var/log/b</location><log_format>syslog</log_format>'
            '</localfile>\n'
            '  <syscheck><frequency>60</frequency>'
            '<directories check_all="yes">/etc,/usr/bin</directories>'
            '<ignore>/etc/mtab</ignore></syscheck>\n'
            '  <labels><label key="team">red</label></labels>\n'
            '</agent_config>\n'
            '<agent_config>\n  <client_buffer><disabled>no</disabled></client_buffer>\n'
            '</agent_config>\n')
    create(master, "web")
    assert master.api("PUT", "/groups/web/configuration", data=conf,
                      headers=xml()).status_code == 200
    body = master.api("GET", "/groups/web/files/agent.conf").json()
    assert body["data"] == {"total_affected_items": 2, "affected_items": [
        {"filters": {"os": "Linux", "profile": "web"}, "config": {
            "localfile": [{"log_format": "syslog", "location": "/var/log/a"},
                          {"location": "/var/log/b", "log_format": "syslog"}],
            "syscheck": {"frequency": "60",
                         "directories": [{"check_all": "yes", "path": "/etc"},
                                         {"check_all": "yes", "path": "/usr/bin"}],
                         "ignore": ["/etc/mtab"]},
            "labels": [{"label": [{"value": "red", "key": "team"}]}]}},
        {"filters": {}, "config": {}}]}   # Wazuh drops sections it does not know
    assert master.api("GET", "/groups/web/files/agent.conf",
                      params={"type": "conf"}).json()["data"] == body["data"]
    problem(master.api("GET", "/groups/web/files/agent.conf", params={"type": "bogus"}),
            400, None)
    problem(master.api("GET", "/groups/web/files/agent.conf", params={"raw": "maybe"}),
            400, None)
    # Missing group, missing file, names outside the format, traversal.
    problem(master.api("GET", "/groups/wrong_group/files/agent.conf"), 404, 1710)
    problem(master.api("GET", "/groups/wrong_%25_group/files/agent.conf"), 400, None)
    problem(master.api("GET", "/groups/default/files/agent.mg"), 400, 1006)
    problem(master.api("GET", "/groups/default/files/agent-template.conf"), 400, 1006)
    problem(master.api("GET", "/groups/default/files/a;b"), 400, None)
    for path in ("/groups/default/files/..", "/groups/default/files/.",
                 "/groups/default/files/%2E%2E"):
        status, data = raw_get(master, path)
        assert status == 400 and b'"error": 1006' in data, (path, data)
    for path in ("/groups/default/files/..%2F..%2Fdefault%2Fagent.conf",
                 "/groups/default/files/..%2Fweb%2Fagent.conf",
                 "/groups/..%2Fdefault/files/agent.conf?raw=true"):
        status, data = raw_get(master, path)
        assert status in (400, 404) and b"agent_config" not in data, (path, data)


def test_group_configuration_json(master):
    """GET /groups/{id}/configuration: agent.conf as Wazuh's get_agent_conf gives it (JSON,
    offset/limit over the blocks); the raw file is GET .../files/agent.conf?raw=true."""
    r = master.api("GET", "/groups/default/configuration")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert r.json() == {"data": {"total_affected_items": 1,
                                 "affected_items": [{"filters": {}, "config": {}}]}, "error": 0}
    conf = ('<agent_config name="agent_name">\n  <localfile>\n'
            '    <location>/var/log/my.log</location>\n    <log_format>syslog</log_format>\n'
            '  </localfile>\n</agent_config>\n'
            '<agent_config os="Linux">\n  <localfile>\n'
            '    <location>/var/log/linux.log</location>\n    <log_format>syslog</log_format>\n'
            '  </localfile>\n</agent_config>\n'
            '<agent_config profile="database">\n  <localfile>\n'
            '    <location>/var/log/database.log</location>\n'
            '    <log_format>syslog</log_format>\n  </localfile>\n</agent_config>\n')
    create(master, "web")
    assert master.api("PUT", "/groups/web/configuration", data=conf,
                      headers=xml()).status_code == 200
    want = [{"filters": {"name": "agent_name"},
             "config": {"localfile": [{"location": "/var/log/my.log", "log_format": "syslog"}]}},
            {"filters": {"os": "Linux"},
             "config": {"localfile": [{"location": "/var/log/linux.log",
                                       "log_format": "syslog"}]}},
            {"filters": {"profile": "database"},
             "config": {"localfile": [{"location": "/var/log/database.log",
                                       "log_format": "syslog"}]}}]
    body = master.api("GET", "/groups/web/configuration").json()
    assert body == {"data": {"total_affected_items": 3, "affected_items": want}, "error": 0}
    # The same as the JSON form of the file itself.
    assert master.api("GET", "/groups/web/files/agent.conf").json() == body
    # offset/limit cut the blocks; the total stays (Wazuh's cut_array).
    for params, part in (({"limit": "1"}, want[:1]), ({"offset": "1", "limit": "1"}, want[1:2]),
                         ({"offset": "2"}, want[2:]), ({"offset": "3"}, []),
                         ({"offset": "9999999999999999999"}, [])):
        r = master.api("GET", "/groups/web/configuration", params=params)
        assert r.status_code == 200, (params, r.text)
        assert r.json()["data"] == {"total_affected_items": 3, "affected_items": part}, params
    for params in ({"limit": "0"}, {"limit": "100001"}, {"limit": "x"}, {"offset": "-1"},
                   {"offset": "x"}, {"raw": "true"}):
        problem(master.api("GET", "/groups/web/configuration", params=params), 400, None)
    problem(master.api("GET", "/groups/wrong_group/configuration"), 404, 1710)
    problem(master.api("GET", "/groups/wrong_%25group/configuration"), 400, None)
    # The raw file, as Wazuh serves it.
    r = master.api("GET", "/groups/web/files/agent.conf", params={"raw": "true"})
    assert r.status_code == 200 and r.text == conf


def test_groups_q(master):
    for g in ("web", "web2", "db"):
        create(master, g)
    get = lambda **p: [g["name"] for g in  # noqa: E731
                       master.api("GET", "/groups", params=p).json()["data"]["affected_items"]]
    assert get(q="name=web") == ["web"]
    assert get(q="name~web") == ["web", "web2"]
    assert get(q="name=db,name=web2") == ["db", "web2"]
    assert get(q="name~web;name!=web") == ["web2"]
    assert get(q="count=0") == ["db", "default", "web", "web2"]
    assert get(q="count>0") == []
    assert get(q="name=WEB") == []
    assert get(q="nosuchfield=1") == []
    assert get(q="name>e") == ["web", "web2"]
    # A quoted value keeps its operator; Python compares the quotes as they are.
    assert get(q="name!='web'") == ["db", "default", "web", "web2"]
    assert get(q="name='web'") == []
    body = master.api("GET", "/groups", params={"q": "name~web", "limit": "1"}).json()
    assert [g["name"] for g in body["data"]["affected_items"]] == ["web"]
    assert body["data"]["total_affected_items"] == 2
    # q filters before select (process_array): a field not selected still filters.
    assert get(q="configSum=ab73af41699f13fdd81903b5f23d8d00", select="count") == [
        "db", "default", "web", "web2"]
    problem(master.api("GET", "/groups", params={"q": "name%=x"}), 400, 1407)


def test_groups_hash_distinct_search(master):
    """GET /groups: Wazuh's 12 hash algorithms, distinct, and search over every field."""
    conf = "<agent_config/>"
    for g in ("web", "web2", "db"):
        create(master, g)
    assert master.api("PUT", "/groups/web/configuration", data=conf,
                      headers=xml()).status_code == 200
    want_conf = {"default": TEMPLATE, "db": TEMPLATE, "web": conf, "web2": TEMPLATE}
    for name, algo in HASHES.items():
        got = {g["name"]: g for g in master.api("GET", "/groups", params={"hash": name}).json()[
            "data"]["affected_items"]}
        assert sorted(got) == ["db", "default", "web", "web2"], name
        for g, c in want_conf.items():
            assert got[g]["configSum"] == hashlib.new(algo, c.encode()).hexdigest(), (name, g)
            assert got[g]["mergedSum"] == hashlib.new(algo, merged(g, c)).hexdigest(), (name, g)
    problem(master.api("GET", "/groups", params={"hash": "crc32"}), 400, None)
    get = lambda **p: master.api("GET", "/groups", params=p).json()["data"]  # noqa: E731
    names = lambda **p: [g["name"] for g in get(**p)["affected_items"]]  # noqa: E731
    # q, sort and select see the chosen hash.
    sha1_conf = hashlib.sha1(conf.encode()).hexdigest()
    assert names(hash="sha1", q="configSum=" + sha1_conf) == ["web"]
    assert get(hash="sha256", select="configSum", groups_list="web")["affected_items"] == [
        {"name": "web", "configSum": hashlib.sha256(conf.encode()).hexdigest()}]
    # search looks at every field (name, count, mergedSum, configSum), any case; '-' negates.
    tmpl_md5 = hashlib.md5(TEMPLATE.encode()).hexdigest()
    assert names(search=tmpl_md5[:12]) == ["db", "default", "web2"]
    assert names(search=tmpl_md5[:12].upper()) == ["db", "default", "web2"]
    assert names(search="-" + tmpl_md5[:12]) == ["web"]
    assert names(search=sha1_conf[:10], hash="sha1") == ["web"]
    assert names(search=sha1_conf[:10]) == []
    assert names(search="0") == ["db", "default", "web", "web2"]      # count 0
    assert names(search="-WEB") == ["db", "default"]
    # distinct: the selected fields, each combination once (name is not added).
    body = get(select="configSum", distinct="true")
    assert body["affected_items"] == [{"configSum": tmpl_md5},
                                      {"configSum": hashlib.md5(conf.encode()).hexdigest()}]
    assert body["total_affected_items"] == 2
    body = get(select="count", distinct="true", limit="1")
    assert body["affected_items"] == [{"count": 0}] and body["total_affected_items"] == 1
    assert get(select="configSum", distinct="true", sort="-name",
               groups_list="web,db")["affected_items"] == [
        {"configSum": hashlib.md5(conf.encode()).hexdigest()}, {"configSum": tmpl_md5}]
    assert names(distinct="true") == ["db", "default", "web", "web2"]
    assert names(distinct="false", select="count") == ["db", "default", "web", "web2"]
    problem(master.api("GET", "/groups", params={"distinct": "maybe"}), 400, None)


def test_cluster_nodes_q(tmp_path, procs, key):  # noqa: F811
    master = start_master(tmp_path, procs, key)
    start_worker(tmp_path, procs, key, master, "worker1")
    start_worker(tmp_path, procs, key, master, "worker2")

    def names(**p):
        r = master.api("GET", "/cluster/nodes", params=p)
        assert r.status_code == 200, r.text
        return [i["name"] for i in r.json()["data"]["affected_items"]], r.json()

    vigil.wait_for(lambda: len(names()[0]) == 3, 30, 0.1, "both workers in the cluster")
    assert names(q="version>3;type=worker")[0] == ["worker1", "worker2"]
    assert names(q="version<3")[0] == []
    assert names(q="name=worker2,type=master")[0] == ["master-node", "worker2"]
    assert names(q="name~worker", sort="-name")[0] == ["worker2", "worker1"]
    got, body = names(q="type=worker", limit="1", offset="1")
    assert got == ["worker2"] and body["data"]["total_affected_items"] == 2
    # q runs over the selected fields (Wazuh filters the items it built).
    assert names(q="type=worker", select="name")[0] == []
    assert names(q="nosuchfield=x")[0] == []
    problem(master.api("GET", "/cluster/nodes", params={"q": "name%=x"}), 400, 1407)


def test_group_checks_as_wazuh(master):
    # Names of files in Wazuh's etc/shared are reserved (1713); default is there (1711).
    for name in ("ar.conf", "agent-template.conf"):
        body = problem(master.api("POST", "/groups", json={"group_id": name}), 400, 1713)
        assert body["detail"].startswith(
            "Invalid group ID. Some IDs are restricted for internal purposes")
    problem(master.api("POST", "/groups", json={"group_id": "DEFAULT"}), 400, 1711)
    create(master, "my.conf")
    # agents_list is required on DELETE /agents/group ("all" takes every agent).
    body = problem(master.api("DELETE", "/agents/group", params={"group_id": "default"}),
                   400, None)
    assert "agents_list" in body["detail"]
    r = master.api("DELETE", "/agents/group", params={"group_id": "my.conf",
                                                      "agents_list": "all"})
    assert r.status_code == 200, r.text
    # An empty configuration body is 1912 (Wazuh's decode_body); bad UTF-8 is 1911.
    problem(master.api("PUT", "/groups/default/configuration", headers=xml()), 400, 1912)
    problem(master.api("PUT", "/groups/default/configuration", data=b"",
                       headers=xml()), 400, 1912)
    problem(master.api("PUT", "/groups/default/configuration",
                       data=b"<agent_config>\xff</agent_config>", headers=xml()), 400, 1911)
    problem(master.api("PUT", "/groups/default/configuration", data="<agent_config>",
                       headers=xml()), 400, 1113)
    problem(master.api("PUT", "/groups/default/configuration", data="<other/>",
                       headers=xml()), 400, 1114)
    r = master.api("GET", "/groups/default/files/agent.conf", params={"raw": "true"})
    assert r.text == TEMPLATE
