"""Start and stop a strata-server for a test: a fresh database in a temporary directory, a
free loopback port (the server binds port 0 and writes the port it got to a file), every wait
bounded. Clients: boto3 (Debian's python3-boto3) with retries off, so errors surface at once."""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

BIN = os.environ.get("STRATA_SERVER_BIN", "build/strata-server")
TMP = os.environ.get("STRATA_TEST_TMP", tempfile.gettempdir())
_started = []


@atexit.register
def _kill_leftovers():
    """A test that failed before its cleanup never leaves a server behind."""
    for p in _started:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


class Server:
    def __init__(self, *args, db=None, keep=False):
        os.makedirs(TMP, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="server-", dir=TMP)
        self.db = db or os.path.join(self.dir, "db")
        self.args = list(args)
        self.keep = keep
        self.proc = None
        self.start()

    def start(self):
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [BIN, "--db", self.db, "--port", "0", "--port-file", port_file,
             "--access-log", os.path.join(self.dir, "access.log")] + self.args,
            stdout=self.log, stderr=self.log)
        _started.append(self.proc)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("strata-server exited with %d: %s" % (self.proc.returncode, self.output()))
            try:
                with open(port_file) as f:
                    self.port = int(f.read())
                self.url = "http://127.0.0.1:%d" % self.port
                return
            except (OSError, ValueError):
                time.sleep(0.02)
        self.proc.kill()
        raise RuntimeError("strata-server did not start in 15 s")

    def output(self):
        self.log.flush()
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, then wait (bounded) for a clean exit; returns the exit code."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise RuntimeError("strata-server did not stop in 20 s after SIGTERM")
        self.log.close()
        return rc

    def restart(self):
        assert self.stop() == 0
        self.start()

    def close(self):
        """Stop; a server that did not exit cleanly (a sanitizer report, a crash) fails the test."""
        rc = self.stop()
        if rc != 0:
            raise RuntimeError("strata-server exited with %s:\n%s" % (rc, self.output()[-4000:]))
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, akid="AKIDTEST", region="us-east-1"):
        import boto3
        from botocore.config import Config
        return boto3.client(
            "dynamodb", endpoint_url=self.url, region_name=region,
            aws_access_key_id=akid, aws_secret_access_key="secret",
            config=Config(retries={"max_attempts": 1, "mode": "standard"},
                          connect_timeout=5, read_timeout=30))


def main():
    warnings.simplefilter("ignore", ResourceWarning)
    result = unittest.main(exit=False, verbosity=2, warnings="ignore").result
    ok = result.wasSuccessful()
    print("%d passed, %d failed" % (max(0, result.testsRun - len(result.failures) - len(result.errors)),
                                    len(result.failures) + len(result.errors)))
    sys.exit(0 if ok else 1)
