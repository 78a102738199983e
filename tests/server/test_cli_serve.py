"""`strata serve`: the CLI runs strata-server (found beside the strata binary) on its --db with
the rest of the arguments; the process it leaves is the server (exec), which answers DynamoDB
requests, stops cleanly on SIGTERM, and whose tables the CLI then reads. Without a
strata-server beside it, `strata serve` says so and exits 4."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from rawhttp import call  # noqa: E402

STRATA = os.path.join(os.path.dirname(os.path.abspath(harness.BIN)), "strata")
D = "DynamoDB_20120810."


class Port:
    """What rawhttp.call needs."""

    def __init__(self, port):
        self.port = port


class CliServe(unittest.TestCase):
    def setUp(self):
        os.makedirs(harness.TMP, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="cli-serve-", dir=harness.TMP)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_serve(self):
        db = os.path.join(self.dir, "db")
        port_file = os.path.join(self.dir, "port")
        # the CLI's --db before 'serve'; everything after it is strata-server's
        proc = subprocess.Popen([STRATA, "--db", db, "serve", "--port", "0", "--port-file", port_file,
                                 "--tenant", "shop"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        harness._started.append(proc)
        try:
            deadline = time.time() + 15
            while not os.path.exists(port_file) or not open(port_file).read().strip():
                self.assertIsNone(proc.poll(), proc.stdout.read().decode(errors="replace") if proc.poll() is not None else "")
                self.assertLess(time.time(), deadline, "strata serve did not start in 15 s")
                time.sleep(0.02)
            srv = Port(int(open(port_file).read()))
            # the process is strata-server itself (exec, not a child)
            self.assertTrue(os.readlink("/proc/%d/exe" % proc.pid).endswith("strata-server"))
            status, _, out = call(srv, D + "CreateTable", {
                "TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})
            self.assertEqual(status, 200, out)
            status, _, out = call(srv, D + "PutItem", {"TableName": "Orders", "Item": {"id": {"S": "o1"}, "n": {"N": "2"}}})
            self.assertEqual(status, 200, out)
            status, _, out = call(srv, D + "ListTables", {})
            self.assertEqual((status, out["TableNames"]), (200, ["Orders"]))
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=20)
        self.assertEqual(rc, 0, proc.stdout.read().decode(errors="replace"))
        # --tenant went to the server: the CLI finds the table in tenant "shop" of the same --db
        p = subprocess.run([STRATA, "--db", db, "--tenant", "shop", "--compact", "get-item", "Orders", '{"id": "o1"}'],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('"n":2', p.stdout)

    def test_server_missing(self):
        lonely = os.path.realpath(os.path.join(self.dir, "bin"))
        os.makedirs(lonely)
        shutil.copy(STRATA, os.path.join(lonely, "strata"))
        p = subprocess.run([os.path.join(lonely, "strata"), "--db", os.path.join(self.dir, "db"), "serve", "--port", "0"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 4)
        self.assertIn("cannot run %s/strata-server" % lonely, p.stderr)

    def test_help(self):
        p = subprocess.run([STRATA, "help", "serve"], capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: strata serve [SERVER OPTIONS]", p.stdout)
        # 'strata serve --help' is strata-server's own help
        p = subprocess.run([STRATA, "serve", "--help"], capture_output=True, text=True, timeout=20)
        self.assertIn("--port", p.stdout + p.stderr)


if __name__ == "__main__":
    harness.main()
