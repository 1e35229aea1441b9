"""Enrollment verifies the manager: vigild serves a certificate given with --cert-file and
--key-file; vigil-agent and vigil-sim with --ca enroll only with a manager whose certificate
that CA signed for the address they connect to, and send the enrollment request (and its
password) to no one else; without --ca they enroll as before and warn."""

import os
import secrets
import socket
import ssl
import subprocess
import threading
import types

import vigil

PASSWORD = "s3cret-enroll"
NOT_VERIFIED = "the manager's certificate is not verified"


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=30)


def make_ca(tmp, name):
    """A CA (EC P-256, 2 days): returns (cert, key) paths."""
    crt, key = os.path.join(str(tmp), name + ".pem"), os.path.join(str(tmp), name + ".key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return crt, key


def make_cert(tmp, ca, name, san="IP:127.0.0.1"):
    """A server certificate signed by ca (a make_ca pair) for san: returns (cert, key)."""
    d = str(tmp)
    crt, key = os.path.join(d, name + ".cert"), os.path.join(d, name + ".key")
    csr, ext = os.path.join(d, name + ".csr"), os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n"
                "extendedKeyUsage = serverAuth\nsubjectAltName = %s\n" % san)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=" + name)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-days", "2",
            "-set_serial", "0x" + secrets.token_hex(16), "-extfile", ext, "-out", crt)
    return crt, key


def pem_of(path):
    with open(path) as f:
        return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(f.read()))


def served_cert(port):
    return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(
        ssl.get_server_certificate(("127.0.0.1", port), timeout=10)))


class TlsTrap:
    """Plays a manager on an enrollment port with the certificate it is given: counts
    the connections, the TLS handshakes that completed, and keeps every byte a client
    sent after one (a real manager's enrollment request carries the password)."""

    def __init__(self, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.lock = threading.Lock()
        self.connections = 0
        self.handshakes = 0
        self.data = b""
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(5)
            with self.lock:
                self.connections += 1
            try:
                s = self.ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                conn.close()
                continue
            with self.lock:
                self.handshakes += 1
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    with self.lock:
                        self.data += chunk
                    if b"\n" in chunk:
                        break     # a whole request: close without a reply
            except (ssl.SSLError, OSError):
                pass
            s.close()

    def seen(self):
        with self.lock:
            return self.connections, self.handshakes, self.data

    def stop(self, timeout=5):
        self.stopping = True
        self.thread.join(timeout)
        self.sock.close()

    kill = stop


def trap_node(trap):
    """What vigil.Agent and vigil.Sim take as a node: enrollment at trap, agents nowhere
    (they never get that far)."""
    return types.SimpleNamespace(agent_addr="127.0.0.1:1", enroll_addr=trap.addr)


def pki(tmp_path):
    """The manager's CA and certificate (SAN IP:127.0.0.1), and a second, unrelated CA
    with a certificate of its own for the same address."""
    ca = make_ca(tmp_path, "ca")
    other = make_ca(tmp_path, "other-ca")
    return ca, make_cert(tmp_path, ca, "manager"), other, make_cert(tmp_path, other, "impostor")


def start_node(tmp_path, procs, cert):
    pw = tmp_path / "authd.pass"
    pw.write_text(PASSWORD + "\n")
    node = vigil.Node(tmp_path, args=["--enroll-password-file", str(pw),
                                      "--cert-file", cert[0], "--key-file", cert[1]])
    procs.append(node)
    return node, str(pw)


def registered(node):
    return sorted(i for i in node.agents() if i != "000")


def test_node_serves_the_certificate_it_is_given(tmp_path, procs):
    ca, cert, _, _ = pki(tmp_path)
    node, _ = start_node(tmp_path, procs, cert)
    assert served_cert(node.enroll_port) == pem_of(cert[0])
    assert served_cert(node.api_port) == pem_of(cert[0])
    # the API verifies against the CA and the address, as any client does
    r = vigil.requests.get(node.url + "/", verify=ca[0], timeout=10)
    assert r.status_code == 401
    # nothing generated beside it
    assert not os.path.exists(os.path.join(node.data_dir, "sslmanager.cert"))


def test_node_refuses_half_or_bad_certificate_options(tmp_path):
    ca, cert, _, other_cert = pki(tmp_path)
    base = [os.path.join(vigil.BUILD, "vigild"), "--foreground", "--listen", "127.0.0.1",
            "--data-dir", str(tmp_path / "d"), "--agent-port", "0", "--enroll-port", "0",
            "--cluster-port", "0", "--api-port", "0"]
    cases = [
        (["--cert-file", cert[0]], "--key-file"),
        (["--key-file", cert[1]], "--cert-file"),
        (["--cert-file", cert[0], "--key-file", other_cert[1]], cert[0]),
        (["--cert-file", str(tmp_path / "missing.pem"), "--key-file", cert[1]], "missing.pem"),
    ]
    for args, what in cases:
        p = subprocess.run(base + args, capture_output=True, text=True, timeout=30)
        assert p.returncode != 0, (args, p.stderr)
        assert what in p.stderr, (args, p.stderr)


def test_agent_with_the_ca_enrolls_and_connects(tmp_path, procs):
    ca, cert, _, _ = pki(tmp_path)
    node, pw = start_node(tmp_path, procs, cert)
    agent = vigil.Agent(tmp_path, node, "web-01",
                        args=["--ca", ca[0], "--password-file", pw])
    procs.append(agent)
    vigil.wait_for(lambda: node.agents().get("001", {}).get("status") == "active", 20, 0.1,
                   "agent 001 active")
    assert node.agents()["001"]["name"] == "web-01"
    assert NOT_VERIFIED not in agent.output()


def test_agent_trusts_the_nodes_own_certificate(tmp_path, procs, master):
    """The self-signed DATA_DIR/sslmanager.cert of a node is a CA for itself (README)."""
    agent = vigil.Agent(tmp_path, master, "web-01",
                        args=["--ca", os.path.join(master.data_dir, "sslmanager.cert")])
    procs.append(agent)
    vigil.wait_for(lambda: master.agents().get("001", {}).get("status") == "active", 20, 0.1,
                   "agent 001 active")
    assert NOT_VERIFIED not in agent.output()


def test_agent_with_another_ca_does_not_enroll(tmp_path, procs):
    _, cert, other, _ = pki(tmp_path)
    node, pw = start_node(tmp_path, procs, cert)
    agent = vigil.Agent(tmp_path, node, "web-01",
                        args=["--ca", other[0], "--password-file", pw])
    procs.append(agent)
    # it fails, says why, and tries again
    vigil.wait_for(lambda: agent.output().count(
        "cannot verify the manager's certificate: unable to get local issuer certificate") >= 2,
        20, 0.1, "two failed enrollments")
    assert "enrolled as" not in agent.output()
    assert registered(node) == []
    assert "agent 001" not in node.output()


def test_agent_sends_nothing_to_an_impostor(tmp_path, procs):
    """A manager whose certificate another CA signed gets no request (no password): the
    agent refuses the handshake; without --ca the same impostor receives the password."""
    ca, _, _, impostor = pki(tmp_path)
    pw = tmp_path / "authd.pass"
    pw.write_text(PASSWORD + "\n")
    trap = TlsTrap(*impostor)
    procs.append(trap)
    agent = vigil.Agent(tmp_path, trap_node(trap), "web-01",
                        args=["--ca", ca[0], "--password-file", str(pw)])
    procs.append(agent)
    vigil.wait_for(lambda: trap.seen()[0] >= 2 and agent.output().count(
        "cannot verify the manager's certificate") >= 2, 20, 0.1,
        "two refused handshakes with the impostor")
    agent.stop()
    _, handshakes, data = trap.seen()
    assert handshakes == 0 and data == b""

    # the control: the trap does get the password from an agent that verifies nothing,
    # and that agent says so, once
    agent = vigil.Agent(tmp_path, trap_node(trap), "web-02",
                        args=["--password-file", str(pw)])
    procs.append(agent)
    vigil.wait_for(lambda: trap.seen()[2].count(PASSWORD.encode()) >= 2, 20, 0.1,
                   "the impostor got two requests with the password")
    assert b"OSSEC PASS: " + PASSWORD.encode() in trap.seen()[2]
    assert agent.output().count(NOT_VERIFIED) == 1


def test_agent_checks_the_address_unless_told_not_to(tmp_path, procs):
    """A certificate of the right CA for another address is refused by default; with
    --no-host-check (Wazuh's agent checks the CA only) it is accepted."""
    ca = make_ca(tmp_path, "ca")
    elsewhere = make_cert(tmp_path, ca, "elsewhere", san="IP:127.0.0.2,DNS:elsewhere.example")
    pw = tmp_path / "authd.pass"
    pw.write_text(PASSWORD + "\n")
    trap = TlsTrap(*elsewhere)
    procs.append(trap)
    agent = vigil.Agent(tmp_path, trap_node(trap), "web-01",
                        args=["--ca", ca[0], "--password-file", str(pw)])
    procs.append(agent)
    vigil.wait_for(lambda: agent.output().count(
        "cannot verify the manager's certificate: IP address mismatch") >= 2, 20, 0.1,
        "two refused handshakes for the wrong address")
    agent.stop()
    assert trap.seen()[1:] == (0, b"")

    agent = vigil.Agent(tmp_path, trap_node(trap), "web-02",
                        args=["--ca", ca[0], "--no-host-check", "--password-file", str(pw)])
    procs.append(agent)
    vigil.wait_for(lambda: PASSWORD.encode() in trap.seen()[2], 20, 0.1,
                   "the request reached the manager")
    assert NOT_VERIFIED not in agent.output()


def test_agent_without_ca_enrolls_and_warns(tmp_path, procs):
    _, cert, _, _ = pki(tmp_path)
    node, pw = start_node(tmp_path, procs, cert)
    agent = vigil.Agent(tmp_path, node, "web-01", args=["--password-file", pw])
    procs.append(agent)
    vigil.wait_for(lambda: node.agents().get("001", {}).get("status") == "active", 20, 0.1,
                   "agent 001 active")
    assert agent.output().count(NOT_VERIFIED) == 1


def test_sim_with_the_ca_enrolls_and_connects(tmp_path, procs):
    ca, cert, _, _ = pki(tmp_path)
    node, pw = start_node(tmp_path, procs, cert)
    sim = vigil.Sim(tmp_path, node, 5, args=["--ca", ca[0], "--password-file", pw])
    procs.append(sim)
    vigil.wait_for(lambda: (sim.summary() or {}).get("active") == 5, 30, 0.1, "5 agents active")
    assert len(registered(node)) == 5
    assert NOT_VERIFIED not in sim.output()


def test_sim_with_another_ca_does_not_enroll(tmp_path, procs):
    _, cert, other, _ = pki(tmp_path)
    node, pw = start_node(tmp_path, procs, cert)
    sim = vigil.Sim(tmp_path, node, 3, args=["--ca", other[0], "--password-file", pw])
    procs.append(sim)
    # every agent failed at least once and the first tried again
    vigil.wait_for(lambda: (sim.summary() or {}).get("enroll_errors", 0) >= 4, 30, 0.1,
                   "every agent's enrollment failed, and again")
    assert (sim.summary() or {}).get("enrolled") == 0
    assert "cannot verify the manager's certificate: unable to get local issuer certificate" \
        in sim.output()
    assert registered(node) == []


def test_sim_sends_nothing_to_an_impostor_and_warns_without_ca(tmp_path, procs):
    ca, _, _, impostor = pki(tmp_path)
    pw = tmp_path / "authd.pass"
    pw.write_text(PASSWORD + "\n")
    trap = TlsTrap(*impostor)
    procs.append(trap)
    sim = vigil.Sim(tmp_path, trap_node(trap), 3,
                    args=["--ca", ca[0], "--password-file", str(pw)])
    procs.append(sim)
    vigil.wait_for(lambda: trap.seen()[0] >= 4 and
                   (sim.summary() or {}).get("enroll_errors", 0) >= 4, 30, 0.1,
                   "refused handshakes with the impostor")
    sim.stop()
    assert trap.seen()[1:] == (0, b"")

    sim = vigil.Sim(tmp_path, trap_node(trap), 3, name="sim2",
                    args=["--password-file", str(pw)])
    procs.append(sim)
    vigil.wait_for(lambda: trap.seen()[2].count(PASSWORD.encode()) >= 3, 30, 0.1,
                   "the impostor got the password")
    assert sim.output().count(NOT_VERIFIED) == 1
