"""strata-server under hostile HTTP: malformed JSON, wrong content types, missing or unknown
targets, bodies over the limit (413), a slow client that stalls mid-body, many connections at
once, garbage bytes — the server stays up, answers each with the right error, and loses no
write it acknowledged; SIGTERM stops it cleanly with the database intact."""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from rawhttp import call  # noqa: E402

D = "DynamoDB_20120810."


def err(out):
    return out["__type"].split("#")[-1]


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server("--max-body", "65536", "--timeout", "2", "--max-connections", "200", "--threads", "4")
        status, _, _ = call(cls.srv, D + "CreateTable", {
            "TableName": "Hos1", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})
        assert status == 200

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def alive(self):
        status, _, out = call(self.srv, D + "ListTables", {})
        self.assertEqual(status, 200)
        self.assertIn("Hos1", out["TableNames"])

    def test_envelope_errors(self):
        s = self.srv
        cases = [
            (dict(target=D + "GetItem", body=None, raw=b"{not json"), 400, "SerializationException"),
            (dict(target=D + "GetItem", body=None, raw=b""), 400, "SerializationException"),
            (dict(target=D + "GetItem", body=None, raw=b"[1,2]"), 400, "SerializationException"),
            (dict(target=D + "GetItem", body=None, raw=b'{"a":1,"a":2}'), 400, "SerializationException"),
            (dict(target=D + "GetItem", body=None, raw=b"\xff\xfe\x00garbage"), 400, "SerializationException"),
            (dict(target=None, body={}), 400, "UnknownOperationException"),
            (dict(target=D + "FlyToTheMoon", body={}), 400, "UnknownOperationException"),
            (dict(target="Other_1.GetItem", body={}), 400, "UnknownOperationException"),
            (dict(target=D + "ListTables", body={}, content_type="text/plain"), 400, "SerializationException"),
            (dict(target=D + "GetItem", body={"TableName": 5}), 400, "SerializationException"),
            (dict(target=D + "GetItem", body={"TableName": "Hos1"}), 400, "ValidationException"),
            (dict(target=D + "GetItem", body={"TableName": "Hos1", "Key": {"id": {"Q": "x"}}}), 400, "ValidationException"),
            (dict(target=D + "GetItem", body={"TableName": "Hos1", "Key": {"id": {"N": "1e999"}}}), 400, "ValidationException"),
            (dict(target=D + "PutItem", body={"TableName": "Hos1", "Item": {"id": {"S": "x"}, "s": {"NS": ["1", "1.0"]}}}), 400, "ValidationException"),
            (dict(target=D + "Query", body={"TableName": "Hos1", "KeyConditionExpression": "id = :v"}), 400, "ValidationException"),
        ]
        for kw, status, name in cases:
            st, headers, out = call(s, **kw)
            self.assertEqual((st, err(out)), (status, name), kw)
            self.assertIn("x-amzn-requestid", headers)
            self.assertTrue(out["message"])
        # application/json is accepted as well
        st, _, _ = call(s, D + "ListTables", {}, content_type="application/json")
        self.assertEqual(st, 200)
        self.alive()

    def test_huge_body_is_413(self):
        big = b'{"TableName":"Hos1","Item":{"id":{"S":"' + b"x" * 200000 + b'"}}}'
        st, _, out = call(self.srv, D + "PutItem", None, raw=big)
        self.assertEqual(st, 413)
        self.alive()

    def test_get_is_health(self):
        conn = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        conn.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        self.assertIn(b"healthy", data)

    def test_slow_and_garbage_clients(self):
        # a client that sends half a body and stalls is dropped after the timeout; others are served
        slow = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n"
                     b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{")
        junk = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        junk.sendall(os.urandom(3000))
        self.alive()
        slow.settimeout(10)
        t0 = time.time()
        try:
            while slow.recv(4096):
                pass
        except OSError:
            pass
        self.assertLess(time.time() - t0, 9)
        slow.close()
        junk.close()
        self.alive()

    def test_many_connections_lose_nothing(self):
        socks = [socket.create_connection(("127.0.0.1", self.srv.port), timeout=10) for _ in range(100)]
        errors = []

        def writer(i):
            try:
                for k in range(10):
                    st, _, out = call(self.srv, D + "PutItem", {"TableName": "Hos1", "Item": {"id": {"S": "w%d-%d" % (i, k)}}})
                    if st != 200:
                        errors.append(out)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for s in socks:
            s.close()
        self.assertEqual(errors, [])
        st, _, out = call(self.srv, D + "Scan", {"TableName": "Hos1", "FilterExpression": "begins_with(id, :w)",
                                                  "ExpressionAttributeValues": {":w": {"S": "w"}}, "Select": "COUNT"})
        self.assertEqual(out["Count"], 160)
        # a clean stop and a restart keep every acknowledged write
        self.srv.restart()
        st, _, out = call(self.srv, D + "Scan", {"TableName": "Hos1", "FilterExpression": "begins_with(id, :w)",
                                                  "ExpressionAttributeValues": {":w": {"S": "w"}}, "Select": "COUNT"})
        self.assertEqual(out["Count"], 160)


class ReadOnly(unittest.TestCase):
    def test_read_only_refuses_writes(self):
        srv = harness.Server()
        try:
            call(srv, D + "CreateTable", {"TableName": "Ro1", "BillingMode": "PAY_PER_REQUEST",
                                           "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                                           "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})
            call(srv, D + "PutItem", {"TableName": "Ro1", "Item": {"id": {"S": "a"}}})
            srv.stop()
            ro = harness.Server("--read-only", db=srv.db)
            try:
                st, _, out = call(ro, D + "GetItem", {"TableName": "Ro1", "Key": {"id": {"S": "a"}}})
                self.assertEqual((st, out["Item"]), (200, {"id": {"S": "a"}}))
                st, _, out = call(ro, D + "PutItem", {"TableName": "Ro1", "Item": {"id": {"S": "b"}}})
                self.assertEqual((st, err(out)), (400, "ValidationException"))
            finally:
                ro.close()
        finally:
            srv.close()


if __name__ == "__main__":
    harness.main()
