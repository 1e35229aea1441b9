"""A throwaway PostgreSQL server for the system tests: initdb, pg_ctl start on 127.0.0.1
and a free port in a temporary directory (as "nobody" when run as root), one database per
test, stopped and removed at the end, also on failure (scripts/pg-test-server.sh does the
work; every wait is bounded by pg_ctl -w -t)."""

import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "pg-test-server.sh")
BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")


def available():
    return os.access(os.path.join(BIN, "initdb"), os.X_OK)


class PgServer:
    def __init__(self, port):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="vigil-pg-")
        self.started = False
        self._n = 0
        try:
            subprocess.run(["sh", SCRIPT, "start", self.dir, str(port)], check=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        except subprocess.CalledProcessError as e:
            self.stop()
            raise RuntimeError("PostgreSQL test server did not start:\n%s" %
                               e.stderr.decode(errors="replace")) from None
        self.started = True

    def uri(self, db="vigil"):
        return "postgresql://vigil@127.0.0.1:%d/%s" % (self.port, db)

    def psql(self, sql, db="vigil"):
        """Runs sql; its output (unaligned, tuples only)."""
        r = subprocess.run([os.path.join(BIN, "psql"), "-X", "-q", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-d", self.uri(db), "-c", sql],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        return r.stdout.decode().strip()

    def create_db(self):
        """A new empty database; its URI."""
        self._n += 1
        name = "t%d" % self._n
        self.psql("CREATE DATABASE %s" % name)
        return name, self.uri(name)

    def drop_db(self, name):
        self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)

    def pause(self):
        """Stops the server (its sessions end), keeping its data: resume() starts it again."""
        subprocess.run(["sh", SCRIPT, "pause", self.dir], check=True, timeout=120,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def resume(self):
        subprocess.run(["sh", SCRIPT, "resume", self.dir, str(self.port)], check=True,
                       timeout=120, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def stop(self):
        subprocess.run(["sh", SCRIPT, "stop", self.dir], check=False, timeout=120)
