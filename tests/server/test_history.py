"""strata-server's history endpoints (StrataHistory_1.*) over plain HTTP: item history with
who/when/why per version, the table log, reads at a commit or a time, diffs, restoring one item
and a whole table; x-strata-user/-message/-origin recorded in the commits; x-strata-commit."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from rawhttp import call  # noqa: E402

D = "DynamoDB_20120810."
H = "StrataHistory_1."


class History(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def ok(self, target, body, **kw):
        status, headers, out = call(self.srv, target, body, **kw)
        self.assertEqual(status, 200, out)
        return headers, out

    def test_history_flow(self):
        self.ok(D + "CreateTable", {"TableName": "Hist", "BillingMode": "PAY_PER_REQUEST",
                                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})
        key = {"id": {"S": "a"}}
        h1, _ = self.ok(D + "PutItem", {"TableName": "Hist", "Item": {"id": {"S": "a"}, "v": {"N": "1"}}},
                        headers={"x-strata-user": "alice", "x-strata-message": "first version", "x-strata-origin": "test"})
        c1 = h1["x-strata-commit"]
        self.assertEqual(len(c1), 64)
        t_between = time.time()
        time.sleep(0.05)
        self.ok(D + "UpdateItem", {"TableName": "Hist", "Key": key, "UpdateExpression": "SET v = :v",
                                   "ExpressionAttributeValues": {":v": {"N": "2"}}}, headers={"x-strata-user": "bob"})
        self.ok(D + "PutItem", {"TableName": "Hist", "Item": {"id": {"S": "b"}}})
        self.ok(D + "DeleteItem", {"TableName": "Hist", "Key": key})
        _, out = self.ok(H + "ItemHistory", {"TableName": "Hist", "Key": key})
        vs = out["Versions"]
        self.assertEqual(len(vs), 3)
        self.assertTrue(vs[0]["Deleted"])
        self.assertEqual(vs[0]["User"], "AKIDTEST")  # the access key id when no x-strata-user
        self.assertEqual(vs[1]["Item"]["v"], {"N": "2"})
        self.assertEqual(vs[1]["User"], "bob")
        self.assertEqual((vs[2]["User"], vs[2]["Message"], vs[2]["Origin"]), ("alice", "first version", "test"))
        self.assertEqual(vs[2]["Commit"], c1)
        _, log = self.ok(H + "TableLog", {"TableName": "Hist"})
        self.assertEqual(len(log["Commits"]), 5)  # create + 4 writes
        self.assertEqual(log["Commits"][-1]["Generation"], 1)
        _, out = self.ok(H + "GetItem", {"TableName": "Hist", "Key": key, "AtCommit": c1})
        self.assertEqual(out["Item"]["v"], {"N": "1"})
        _, out = self.ok(H + "Scan", {"TableName": "Hist", "AsOf": t_between})
        self.assertEqual(out["Items"], [{"id": {"S": "a"}, "v": {"N": "1"}}])
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_between)) + ".%06dZ" % int((t_between % 1) * 1e6)
        _, out = self.ok(H + "Query", {"TableName": "Hist", "AsOf": iso, "KeyConditionExpression": "id = :a",
                                       "ExpressionAttributeValues": {":a": {"S": "a"}}})
        self.assertEqual(out["Count"], 1)
        _, out = self.ok(H + "Diff", {"TableName": "Hist", "From": c1})
        changes = {c["Key"]["id"]["S"]: c for c in out["Changes"]}
        self.assertEqual(set(changes), {"a", "b"})
        self.assertNotIn("New", changes["a"])
        self.assertEqual(changes["b"]["New"], {"id": {"S": "b"}})
        # restore one item, then the whole table
        _, out = self.ok(H + "RestoreItem", {"TableName": "Hist", "Key": key, "AtCommit": c1})
        self.assertEqual(out["Item"]["v"], {"N": "1"})
        _, out = self.ok(D + "GetItem", {"TableName": "Hist", "Key": key})
        self.assertEqual(out["Item"]["v"], {"N": "1"})
        _, out = self.ok(H + "RestoreTable", {"TableName": "Hist", "AtCommit": c1})
        self.assertFalse(out["Unchanged"])
        _, out = self.ok(D + "Scan", {"TableName": "Hist"})
        self.assertEqual(out["Items"], [{"id": {"S": "a"}, "v": {"N": "1"}}])
        status, _, out = call(self.srv, H + "GetItem", {"TableName": "Hist", "Key": key, "AtCommit": "zz"})
        self.assertEqual((status, out["__type"].split("#")[1]), (400, "ValidationException"))


if __name__ == "__main__":
    harness.main()
