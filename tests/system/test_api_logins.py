"""Logins are expensive on purpose (PBKDF2, 120,000 rounds): the password is checked by a
small pool of threads off the event loop, with a bounded queue (full: 429), and logins are
limited per source address and per user name, successful ones included.  32 clients
logging in with valid credentials once pushed an agent's startup->ack from 0.2 ms to
1.3 s, and every agent and API request waited behind the checks."""

import base64
import hashlib
import os
import socket
import sqlite3
import ssl
import threading

import requests

import vigil

PASSWORD = "Slow-Pass1!"
TOO_MANY = vigil.TOO_MANY_REQUESTS


class SourceAdapter(requests.adapters.HTTPAdapter):
    """Connects from a given local address (all of 127/8 is this host on Linux)."""

    def __init__(self, source, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def login_from(node, source, user, password=PASSWORD, session=None):
    s = session or requests.Session()
    if session is None:
        s.mount("https://", SourceAdapter(source))
    return s.post(node.url + "/security/user/authenticate",
                  headers={"Authorization": basic(user, password)}, verify=False, timeout=120)


def create_user(node, name, password=PASSWORD):
    r = node.api("POST", "/security/users", json={"username": name, "password": password})
    assert r.status_code == 200 and r.json()["error"] == 0, r.text


def pbkdf2_hash(password, rounds):
    """A stored hash as vigild writes them, with our own round count."""
    salt = os.urandom(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, rounds, 32)
    return "pbkdf2$%d$%s$%s" % (rounds, salt.hex(), dk.hex())


def node_with_slow_user(tmp_path, procs, args, rounds=2000000):
    """A master with user "slowpoke", whose stored hash has `rounds` rounds (2,000,000:
    about half a second a check, where 120,000 take 26 ms).  Hashes carry their round
    count, so an old or a raised one is checked with its own."""
    node = vigil.Node(tmp_path)
    procs.append(node)
    create_user(node, "slowpoke")
    node.stop()
    db = sqlite3.connect(os.path.join(node.data_dir, "registry.db"))
    db.execute("UPDATE user SET hash = ? WHERE name = 'slowpoke'", (pbkdf2_hash(PASSWORD, rounds),))
    db.commit()
    db.close()
    node = vigil.Node(tmp_path, args=args)
    procs.append(node)
    return node


def test_logins_do_not_stall_agents(tmp_path, procs):
    """32 clients keep logging in with valid credentials whose check takes half a second
    each; an agent still enrolls, connects and gets its startup acked, and the logins the
    queue cannot take are answered 429 at once.  With the checks on the event loop, each
    loop turn waited for up to 32 of them (16 s) and the agent for several turns."""
    node = node_with_slow_user(tmp_path, procs, ["--login-threads", "1", "--login-queue", "4",
                                                 "--max-logins-per-source", "0",
                                                 "--max-logins-per-user", "0"])
    stop = threading.Event()
    lock = threading.Lock()
    answers = []          # (status, body)

    def client():
        s = requests.Session()
        while not stop.is_set():
            try:
                r = login_from(node, "127.0.0.1", "slowpoke", session=s)
                item = (r.status_code, r.json())
            except (requests.RequestException, ValueError) as e:
                item = ("error", repr(e))
            with lock:
                answers.append(item)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(32)]
    for t in threads:
        t.start()
    try:
        agent = vigil.Agent(tmp_path, node, "busy-01", args=["--keepalive", "1"])
        procs.append(agent)
        vigil.wait_for(lambda: "connected to manager" in agent.output(), 30, interval=0.2,
                       what="the agent's startup acked while 32 clients log in")

        def seen(status):
            with lock:
                return any(a[0] == status for a in answers)
        # valid logins succeed, those beyond the queue are refused at once
        vigil.wait_for(lambda: seen(200), 60, interval=0.2, what="a login answered 200")
        vigil.wait_for(lambda: seen(429), 60, interval=0.2, what="a login answered 429")
    finally:
        stop.set()
        for t in threads:
            t.join(90)
    with lock:
        got = list(answers)
    assert all(a[0] in (200, 429) for a in got), [a for a in got if a[0] not in (200, 429)][:5]
    assert all(a[1] == TOO_MANY for a in got if a[0] == 429)
    assert all(a[1]["error"] == 0 and a[1]["data"]["token"] for a in got if a[0] == 200)
    # the node is whole: a login as the administrator works once the queue has room
    vigil.wait_for(lambda: node.login().status_code == 200, 30, interval=0.2,
                   what="a login once the crowd is gone")


def test_login_limits_per_source_and_user(tmp_path, procs):
    """At most N login attempts per source address and M per user name a minute, successful
    ones included; beyond them 429 with Wazuh's body (6001).  Other sources and other users
    are not affected, and tokens already issued keep working."""
    node = vigil.Node(tmp_path, args=["--max-logins-per-source", "5",
                                      "--max-logins-per-user", "3"])
    procs.append(node)
    token = node.token()                          # wazuh 1, 127.0.0.1: 1
    create_user(node, "second")
    create_user(node, "third")
    for _ in range(2):                            # wazuh 2, 3; 127.0.0.1: 2, 3
        assert node.login().status_code == 200
    r = node.login()                              # wazuh 4: over; 127.0.0.1: 4
    assert r.status_code == 429 and r.json() == TOO_MANY, r.text
    r = node.login("second", PASSWORD)            # another user: 127.0.0.1: 5
    assert r.status_code == 200, r.text
    r = node.login("third", PASSWORD)             # 127.0.0.1: 6: over, whoever logs in
    assert r.status_code == 429 and r.json() == TOO_MANY, r.text
    # another source is not affected...
    r = login_from(node, "127.0.0.2", "third")    # third 1 (the refusal above did not count)
    assert r.status_code == 200, r.text
    # ...but a user's limit holds from any source
    r = login_from(node, "127.0.0.2", vigil.API_USER, vigil.API_PASSWORD)
    assert r.status_code == 429 and r.json() == TOO_MANY, r.text
    # failed logins count as well
    assert login_from(node, "127.0.0.3", "third", "Wrong-Pass1!").status_code == 401   # 2
    assert login_from(node, "127.0.0.3", "third").status_code == 200                   # 3
    r = login_from(node, "127.0.0.4", "third")                                         # 4
    assert r.status_code == 429 and r.json() == TOO_MANY, r.text
    # names that are no user are counted and answered alike: nothing tells them apart
    for want in (401, 401, 401, 429):
        r = login_from(node, "127.0.0.5", "nosuchuser")
        assert r.status_code == want, r.text
    # the limits are on logins: the tokens issued keep working
    assert node.api("GET", "/", token=token).status_code == 200
    vigil.wait_for(lambda: node.stats().get("logins_refused") == 5, 10,
                   what="the refusals counted in stats.json")


def raw_login(node, user, password=PASSWORD):
    """A login request on a TLS socket of our own, left for the caller to close."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # bounds only: on a loaded machine a check of 2,000,000 rounds may take seconds
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", node.api_port), timeout=120))
    s.sendall(("POST /security/user/authenticate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Authorization: %s\r\nContent-Length: 0\r\n\r\n" % basic(user, password)).encode())
    return s


def test_client_gone_during_login(tmp_path, procs):
    """Clients that hang up while their password is checked, and a shutdown with checks
    queued and running, leave nothing behind (the sanitizer build checks it)."""
    node = node_with_slow_user(tmp_path, procs, ["--login-threads", "1", "--login-queue", "8"])
    for _ in range(3):
        raw_login(node, "slowpoke").close()
    # a client that waits gets its answer (the abandoned checks may come before or after)
    s = raw_login(node, "slowpoke")
    head = s.recv(64).decode(errors="replace")
    s.close()
    assert head.startswith("HTTP/1.1 200"), head
    r = login_from(node, "127.0.0.1", vigil.API_USER, vigil.API_PASSWORD)
    assert r.status_code == 200, r.text
    # stop with checks in flight (4 of half a second or more each), their clients waiting
    waiting = [raw_login(node, "slowpoke") for _ in range(4)]
    vigil.wait_for(lambda: node.stats().get("logins_checking", 0) >= 1, 10,
                   what="the logins being checked")
    token = r.json()["data"]["token"]
    assert node.api("GET", "/", token=token).status_code == 200   # the loop answers meanwhile
    assert node.stop() == 0
    for s in waiting:
        s.close()


def test_new_passwords_are_hashed_off_the_loop(tmp_path, procs):
    """POST /security/users and PUT /security/users/{id} hash the password (PBKDF2, 26 ms)
    on the password threads, as a login's check: while those are busy the change waits
    there, and with their queue full it is answered 429 (6001) at once, never hashed on
    the event loop.  Once the queue has room the user is created and logs in, and its
    password changes.  Before, both endpoints hashed on the loop whatever the queue held.
    The room comes from a restart, which gives up the checks under way: waiting for two
    checks of 10,000,000 rounds took over a minute in the sanitizer build on a busy machine."""
    args = ["--login-threads", "1", "--login-queue", "2"]
    node = node_with_slow_user(tmp_path, procs, args, rounds=10000000)
    token = node.token()
    waiting = [raw_login(node, "slowpoke") for _ in range(2)]
    try:
        vigil.wait_for(lambda: node.stats().get("logins_checking", 0) == 2, 20,
                       what="two slow logins filling the queue")
        r = node.api("POST", "/security/users", token=token,
                      json={"username": "queued-out", "password": PASSWORD})
        assert r.status_code == 429 and r.json() == TOO_MANY, r.text
        r = node.api("PUT", "/security/users/1", token=token, json={"password": PASSWORD})
        assert r.status_code == 429 and r.json() == TOO_MANY, r.text
    finally:
        for s in waiting:
            s.close()
    assert node.stop() == 0
    node = vigil.Node(tmp_path, args=args)
    procs.append(node)
    token = node.token()
    create_user(node, "made-later")
    r = login_from(node, "127.0.0.1", "made-later")
    assert r.status_code == 200, r.text
    users = node.api("GET", "/security/users", token=token).json()["data"]["affected_items"]
    uid = [u["id"] for u in users if u["username"] == "made-later"][0]
    assert "queued-out" not in [u["username"] for u in users]
    r = node.api("PUT", "/security/users/%d" % uid, token=token,
                 json={"password": "Other-Pass2!"})
    assert r.status_code == 200 and r.json()["data"]["affected_items"][0]["id"] == uid, r.text
    assert login_from(node, "127.0.0.1", "made-later").status_code == 401
    assert login_from(node, "127.0.0.1", "made-later", "Other-Pass2!").status_code == 200
