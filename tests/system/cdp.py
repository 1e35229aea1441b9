"""A small client of the Chrome DevTools Protocol for the system tests: Debian's chromium,
headless, with its own profile in the test's tmp dir, driven over its websocket
(python3-websocket).

The browser trusts the node's certificate by its key alone
(--ignore-certificate-errors-spki-list with the SHA-256 of the certificate's
SubjectPublicKeyInfo): every other certificate error still fails a page load.

Every wait is for a state of the page (Runtime.evaluate polled, bounded), never a sleep.
Exceptions, console errors and log entries (CSP violations among them) are collected
from the moment the page is attached: errors() returns them."""

import base64
import json
import os
import shutil
import subprocess
import time

try:
    import websocket
except ImportError:      # the test skips (deps.sh installs python3-websocket)
    websocket = None


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


def spki_hash(cert_path):
    """base64(SHA-256(DER SubjectPublicKeyInfo)) of a PEM certificate, as chromium's
    --ignore-certificate-errors-spki-list takes it."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    dig = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                         capture_output=True, check=True).stdout
    return base64.b64encode(dig).decode()


class CDPError(Exception):
    pass


class Browser:
    """One headless chromium with one page (tab), attached over a flat session."""

    def __init__(self, tmp_dir, spki=None, width=1366, height=768, timeout=30):
        self.tmp_dir = str(tmp_dir)
        self.profile = os.path.join(self.tmp_dir, "chromium-profile")
        os.makedirs(self.profile, exist_ok=True)
        self.events = []
        self.requests = []          # (browser's monotonic seconds, method, url) of every request
        self._id = 0
        argv = [chromium_path(), "--headless=new", "--user-data-dir=" + self.profile,
                "--remote-debugging-port=0", "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--mute-audio", "--password-store=basic",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        if spki:
            argv.insert(1, "--ignore-certificate-errors-spki-list=" + spki)
        if os.geteuid() == 0:           # chromium's sandbox refuses to run as root
            argv.insert(1, "--no-sandbox")
        self.log_path = os.path.join(self.tmp_dir, "chromium.log")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        try:
            port, path = self._active_port(timeout)
            self.ws = websocket.create_connection("ws://127.0.0.1:%d%s" % (port, path),
                                                  timeout=timeout, suppress_origin=True)
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target,
                                     flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(domain + ".enable")
            self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                      deviceScaleFactor=1, mobile=False)
        except BaseException:
            self.close()
            raise

    def _active_port(self, timeout):
        """The port chromium chose (--remote-debugging-port=0), from DevToolsActivePort."""
        f = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CDPError("chromium exited (%s): %s" % (self.proc.returncode,
                                                              self.output()[-2000:]))
            try:
                with open(f) as fh:
                    lines = fh.read().split("\n")
                if len(lines) >= 2 and lines[0].strip() and lines[1].strip():
                    return int(lines[0]), lines[1].strip()
            except OSError:
                pass
            time.sleep(0.05)
        raise CDPError("chromium wrote no DevToolsActivePort within %ss" % timeout)

    def output(self):
        with open(self.log_path, "rb") as fh:
            return fh.read().decode(errors="replace")

    # ---- the protocol ----

    def call(self, method, session=None, **params):
        """One command; its result.  Events that arrive meanwhile are kept."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self._id:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self._event(m)

    def send(self, method, **params):
        """A command to the page."""
        return self.call(method, session=self.session, **params)

    def _event(self, m):
        self.events.append(m)
        if m["method"] == "Network.requestWillBeSent":
            p = m["params"]
            # the browser's own clock: events are read in batches, later than they happen
            self.requests.append((p["timestamp"], p["request"]["method"], p["request"]["url"]))

    # ---- the page ----

    def navigate(self, url):
        r = self.send("Page.navigate", url=url)
        if r.get("errorText"):
            raise CDPError("navigate %s: %s" % (url, r["errorText"]))
        self.wait("document.readyState === 'complete'", what="the page loaded")

    def evaluate(self, expr):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise CDPError("evaluate %r: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, expr, timeout=30, what=None, interval=0.1):
        """Polls expr until it is truthy (bounded); returns its value."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.evaluate(expr)
            if last:
                return last
            time.sleep(interval)
        raise AssertionError("timed out after %ss waiting for %s (last: %r)\nerrors: %s" %
                             (timeout, what or expr, last, self.errors()))

    def click(self, selector):
        """Clicks an element (it must exist and be enabled)."""
        ok = self.evaluate("(() => { const e = document.querySelector(%s); if (!e || e.disabled)"
                           " return false; e.click(); return true; })()" % json.dumps(selector))
        assert ok, "nothing to click at %s" % selector

    def fill(self, selector, text):
        """Types text into an input as a user would: focus, clear, insert."""
        ok = self.evaluate("(() => { const e = document.querySelector(%s); if (!e) return false;"
                           " e.focus(); e.select && e.select(); return true; })()"
                           % json.dumps(selector))
        assert ok, "no input at %s" % selector
        self.evaluate("document.activeElement.value = ''")
        self.send("Input.insertText", text=text)

    def key(self, key, code=None, vk=None):
        """One key press to the focused element (Enter, Tab, ...)."""
        params = {"key": key, "code": code or key}
        if vk:
            params["windowsVirtualKeyCode"] = vk
        if key == "Enter":
            params["text"] = "\r"
        self.send("Input.dispatchKeyEvent", type="keyDown", **params)
        self.send("Input.dispatchKeyEvent", type="keyUp", **params)

    def pump(self):
        """Takes in the events that arrived (a no-op command round trip)."""
        self.evaluate("1")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))
        return path

    def errors(self):
        """What went wrong in the page: uncaught exceptions, console.error/assert, and
        log entries of level error (CSP violations, failed loads)."""
        out = []
        for m in self.events:
            p = m.get("params", {})
            if m["method"] == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s %s" % (d.get("text"),
                                                 d.get("exception", {}).get("description", "")))
            elif m["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
            elif m["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                e = p["entry"]
                out.append("log (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))
        return out

    def close(self):
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                self.call("Browser.close")
            except Exception:
                pass
            try:
                ws.close()
            except Exception:
                pass
            self.ws = None
        if self.proc.poll() is None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
