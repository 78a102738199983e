"""strata-server driven by the AWS SDK for JavaScript v3 (tests/server/js/session.mjs, pinned by
its package-lock.json and installed with `npm ci` on first use). Skipped, and said so, when node
or npm is missing or the packages cannot be installed."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


def ensure_packages():
    if not shutil.which("node") or not shutil.which("npm"):
        return "node or npm not installed"
    if os.path.isdir(os.path.join(JS, "node_modules", "@aws-sdk", "lib-dynamodb")):
        return None
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True, timeout=240)
    return None if p.returncode == 0 else "npm ci failed: " + p.stderr[-500:]


class JsSdk(unittest.TestCase):
    def test_session(self):
        why = ensure_packages()
        if why:
            self.skipTest(why)
        srv = harness.Server("--ttl-interval", "200")
        try:
            p = subprocess.run(["node", "--test", "session.mjs"], cwd=JS, capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, STRATA_URL=srv.url))
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-2000:])
        finally:
            srv.close()


if __name__ == "__main__":
    harness.main()
