"""The differential run: one scripted sequence of raw DynamoDB JSON requests sent to strata-server
and to dynalite (npm `dynalite`, pinned by tests/server/dynalite/package-lock.json, `npm ci` on
first use, started here on a free loopback port), the responses compared after normalising what
is volatile (timestamps, ids, ARNs, request ids, table status timing, ConsumedCapacity) or
unordered in DynamoDB (Scan order, segment membership, BatchGetItem order, set members). Errors
compare the HTTP status and __type always, the message only where DynamoDB's wording is
documented. Operations dynalite lacks (transactions, TTL updates, history) are not sent.

Accepted differences (ACCEPTED below), each with why, are the only ones tolerated; every other
mismatch fails the test with both responses. Skipped, and said so, when node or npm is missing
or the packages cannot be installed."""
import copy
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dynalite")
D = "DynamoDB_20120810."
VALIDATION = "com.amazon.coral.validate#ValidationException"

# Members whose value is volatile or an identity of one server: dropped before comparing.
VOLATILE = {"TableArn", "TableId", "CreationDateTime", "LastIncreaseDateTime", "LastDecreaseDateTime",
            "LastUpdateToPayPerRequestDateTime", "ConsumedCapacity", "ResourceArn"}

# The accepted differences: (operation, member) pairs not compared, each with why.
ACCEPTED = {
    # strata's tables are ACTIVE at once (docs/server.md); DynamoDB and dynalite answer CreateTable
    # with CREATING and DeleteTable with DELETING, then change it over time: status timing.
    ("CreateTable", "TableStatus"): "table status timing",
    ("DeleteTable", "TableStatus"): "table status timing",
    # DynamoDB refreshes TableSizeBytes every six hours and counts its own encoding; strata says
    # 0 (docs/server.md), dynalite sums its own estimate: both are legitimate.
    ("*", "TableSizeBytes"): "refreshed every six hours by DynamoDB, in its own encoding",
    # DynamoDB refreshes ItemCount every six hours too; strata's is exact, dynalite's stays 0.
    ("*", "ItemCount"): "refreshed every six hours by DynamoDB",
    # UpdateTable answers UPDATING with the old throughput until the change is done (DynamoDB,
    # dynalite); strata's change is done at once. DescribeTable afterwards is compared.
    ("UpdateTable", "TableStatus"): "table status timing",
    ("UpdateTable", "ProvisionedThroughput"): "table status timing",
    # dynalite's own member, not in DynamoDB's TableDescription (API reference).
    ("*", "TableThroughputModeSummary"): "dynalite's invention",
}

# Operations whose output DynamoDB documents as empty: strata answers {}, dynalite the JSON text
# "" (every SDK ignores both): only the status is compared.
NO_OUTPUT = {"TagResource", "UntagResource"}

# Requests where dynalite departs from DynamoDB's documented behaviour: strata's answer is
# checked against the documented one (status and __type); dynalite's is not compared.
PEER_GAPS = {
    "delete: ReturnValues ALL_NEW":
        "DeleteItem's ReturnValues is NONE or ALL_OLD (API reference); dynalite accepts every value",
    "query: Select COUNT with a projection":
        "with a ProjectionExpression Select can only be SPECIFIC_ATTRIBUTES (API reference); dynalite accepts COUNT",
    "scan: Segment without TotalSegments":
        "Segment needs TotalSegments (API reference); dynalite scans the whole table",
    "batch write: a request with both":
        "a WriteRequest holds one of PutRequest or DeleteRequest, not both (API reference); dynalite does both",
    "body not an object":
        "the awsJson1_0 body is a JSON object (a SerializationException otherwise); dynalite reads an array as {}",
    "legacy QueryFilter EQ on a BOOL":
        "EQ is supported for all data types (API reference, Condition); dynalite refuses BOOL",
    "scan with legacy ScanFilter, OR":
        "ConditionalOperator OR matches an item when any condition holds; dynalite tests only the first",
}


def ensure_packages():
    if not shutil.which("node") or not shutil.which("npm"):
        return "node or npm not installed"
    if os.path.isdir(os.path.join(PEER, "node_modules", "dynalite")):
        return None
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER, capture_output=True, text=True, timeout=240)
    return None if p.returncode == 0 else "npm ci failed: " + p.stderr[-500:]


class Endpoint:
    """One server: a keep-alive connection, every request bounded by a timeout."""

    def __init__(self, name, port):
        self.name, self.port = name, port
        self.conn = None

    def call(self, op, body):
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": D + op,
                   "X-Amz-Date": "20240101T000000Z",
                   "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDDIFF/20240101/us-east-1/dynamodb/aws4_request, "
                                    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00"}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            try:
                self.conn.request("POST", "/", body=data, headers=headers)
                r = self.conn.getresponse()
                text = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        try:
            out = json.loads(text) if text else None
        except ValueError:
            out = text.decode(errors="replace")
        return r.status, out

    def close(self):
        if self.conn:
            self.conn.close()


class Dynalite:
    def __init__(self):
        self.proc = subprocess.Popen(["node", os.path.join(PEER, "start.js")], cwd=PEER,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        harness._started.append(self.proc)
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=20):
            self.proc.kill()
            raise RuntimeError("dynalite did not start in 20 s")
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError("dynalite did not start: %r %s" % (line, self.proc.stderr.read()[-2000:]))
        self.port = int(line)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def diff_paths(a, b, path="", out=None):
    """Where two normalised responses differ: ["path: strata-value | dynalite-value", …]."""
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append("%s/%s: %s | %s" % (path, k, json.dumps(a.get(k, "(absent)"))[:300],
                                               json.dumps(b.get(k, "(absent)"))[:300]))
            else:
                diff_paths(a[k], b[k], "%s/%s" % (path, k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff_paths(x, y, "%s[%d]" % (path, i), out)
    elif a != b:
        out.append("%s: %s | %s" % (path or "/", json.dumps(a)[:300], json.dumps(b)[:300]))
    return out


def _sort_key(v):
    return json.dumps(v, sort_keys=True)


def normalise(op, status, body, msg=False, unordered=()):
    """The comparable form of one response."""
    if status != 200:
        out = {"status": status}
        if isinstance(body, dict):
            out["__type"] = body.get("__type")
            if msg:
                out["message"] = body.get("message", body.get("Message"))
        else:
            out["body"] = body
        return out
    if op in NO_OUTPUT:
        return {"status": 200}
    body = copy.deepcopy(body)

    def walk(v):
        if isinstance(v, dict):
            for k in list(v):
                if k in VOLATILE or (op, k) in ACCEPTED or ("*", k) in ACCEPTED:
                    del v[k]
                elif k in ("SS", "NS", "BS") and len(v) == 1 and isinstance(v[k], list):
                    v[k] = sorted(v[k])  # set members have no order
                else:
                    walk(v[k])
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(body)
    for path in unordered:  # lists whose order DynamoDB does not define
        node = body
        for p in path[:-1]:
            node = node.get(p, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict) and isinstance(node.get(path[-1]), list):
            node[path[-1]] = sorted(node[path[-1]], key=_sort_key)
        elif path[-1] == "*" and isinstance(node, dict):
            for k in node:
                if isinstance(node[k], list):
                    node[k] = sorted(node[k], key=_sort_key)
    return {"status": 200, "body": body}


class Differential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = ensure_packages()
        if why:
            raise unittest.SkipTest(why)
        cls.peer = Dynalite()
        cls.srv = harness.Server()
        cls.ends = [Endpoint("strata", cls.srv.port), Endpoint("dynalite", cls.peer.port)]
        cls.mismatches = []
        cls.steps = 0
        cls.ops = set()

    @classmethod
    def tearDownClass(cls):
        for e in cls.ends:
            e.close()
        cls.peer.close()
        cls.srv.close()

    # ---- the comparison -------------------------------------------------------------------

    def send(self, label, op, body, msg=False, unordered=(), expect=None):
        """Send to both, compare; returns strata's (status, body)."""
        got = [e.call(op, body) for e in self.ends]
        self.compare(label, op, got, [normalise(op, s, b, msg, unordered) for s, b in got], expect)
        return got[0]

    def compare(self, label, op, raw, norm, expect=None):
        self.steps += 1
        self.ops.add(op)
        if norm[0] != norm[1]:
            self.mismatches.append("%s (%s): strata | dynalite\n    %s\n  strata:   %s\n  dynalite: %s" % (
                label, op, "\n    ".join(diff_paths(norm[0], norm[1])),
                json.dumps(raw[0][1], sort_keys=True)[:400], json.dumps(raw[1][1], sort_keys=True)[:400]))
        elif expect is not None and norm[0]["status"] != expect:
            self.mismatches.append("%s (%s): both answered %s, the script expects %s: %s" % (
                label, op, norm[0]["status"], expect, json.dumps(raw[0][1])[:500]))

    def gap(self, label, op, body, status, type_, count=None):
        """A request in PEER_GAPS: strata's answer against the documented one only (for a
        success: the status, and the Count when given)."""
        assert label in PEER_GAPS, label
        self.steps += 1
        self.ops.add(op)
        s, out = self.ends[0].call(op, body)
        got = normalise(op, s, out)
        want = {"status": status, "__type": type_} if status != 200 else got
        if got != want or got["status"] != status or (count is not None and out.get("Count") != count):
            self.mismatches.append("%s (%s, dynalite not compared: %s):\n  strata: %s\n  wanted: %s" % (
                label, op, PEER_GAPS[label], json.dumps(out)[:500], json.dumps(want)))

    def ok(self, label, op, body, **kw):
        return self.send(label, op, body, expect=200, **kw)

    def bad(self, label, op, body, **kw):
        return self.send(label, op, body, expect=400, **kw)

    def pages(self, label, op, body, ordered=True, max_pages=50):
        """Page through a Query or Scan on each server separately (each following its own
        LastEvaluatedKey). Ordered: every page compared. Unordered (Scan): the page sizes and
        the union of the items compared."""
        results = []
        for e in self.ends:
            pages, start = [], None
            for _ in range(max_pages):
                b = dict(body)
                if start:
                    b["ExclusiveStartKey"] = start
                status, out = e.call(op, b)
                pages.append((status, out))
                if status != 200 or "LastEvaluatedKey" not in out:
                    break
                start = out["LastEvaluatedKey"]
            results.append(pages)
        if ordered:
            n = max(len(r) for r in results)
            for i in range(n):
                got = [r[i] if i < len(r) else (0, "no page %d" % i) for r in results]
                self.compare("%s, page %d" % (label, i + 1), op, got, [normalise(op, s, b) for s, b in got], 200)
        else:
            summary = []
            for r in results:
                if any(s != 200 for s, _ in r):
                    summary.append((r[-1][0], {"pages": [normalise(op, s, b) for s, b in r]}))
                    continue
                items = sorted((it for _, b in r for it in b.get("Items", [])), key=_sort_key)
                # the last page may be empty, with or without LastEvaluatedKey: count the full ones
                counts = [b["Count"] for _, b in r if b["Count"]]
                summary.append((200, {"Items": items, "PageCounts": counts,
                                      "ScannedCount": sum(b["ScannedCount"] for _, b in r),
                                      "Count": sum(b["Count"] for _, b in r)}))
            self.compare(label + ", all pages", op, summary, [normalise(op, s, b) for s, b in summary], 200)

    # ---- the script -------------------------------------------------------------------------

    def test_script(self):
        t0 = time.time()
        self.tables()
        self.items()
        self.updates()
        self.queries()
        self.scans()
        self.batches()
        self.tags()
        self.table_changes()
        print("%d steps, %d operations (%s) in %.1f s" % (self.steps, len(self.ops), ", ".join(sorted(self.ops)),
                                                          time.time() - t0))
        if self.mismatches:
            self.fail("%d of %d responses differ:\n%s" % (len(self.mismatches), self.steps, "\n".join(self.mismatches)))

    def tables(self):
        ad = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]
        ks = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
        self.ok("create Orders", "CreateTable", {"TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
                                                  "AttributeDefinitions": ad, "KeySchema": ks})
        self.ok("create Notes (S sort key, provisioned)", "CreateTable", {
            "TableName": "Notes", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3},
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "KeySchema": ks})
        self.ok("create Users (hash only)", "CreateTable", {
            "TableName": "Users", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})
        self.ok("create Blobs (B key)", "CreateTable", {
            "TableName": "Blobs", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "B"}],
            "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]})
        time.sleep(0.2)  # dynalite makes tables ACTIVE on a timer, even a 0 ms one
        self.bad("create an existing table", "CreateTable", {"TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
                                                             "AttributeDefinitions": ad, "KeySchema": ks})
        self.bad("create: no KeySchema", "CreateTable", {"TableName": "T1", "BillingMode": "PAY_PER_REQUEST",
                                                         "AttributeDefinitions": ad[:1]})
        self.bad("create: name too short", "CreateTable", {"TableName": "ab", "BillingMode": "PAY_PER_REQUEST",
                                                           "AttributeDefinitions": ad[:1], "KeySchema": ks[:1]})
        self.bad("create: name with a bad character", "CreateTable", {
            "TableName": "no/slash", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": ad[:1],
            "KeySchema": ks[:1]})
        self.bad("create: key attribute not defined", "CreateTable", {
            "TableName": "T2", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": ad[:1],
            "KeySchema": ks})
        self.bad("create: attribute defined but not a key", "CreateTable", {
            "TableName": "T3", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": ad, "KeySchema": ks[:1]})
        self.bad("create: two HASH keys", "CreateTable", {
            "TableName": "T4", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": ad,
            "KeySchema": [ks[0], {"AttributeName": "sk", "KeyType": "HASH"}]})
        self.bad("create: BOOL key type", "CreateTable", {
            "TableName": "T5", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "BOOL"}], "KeySchema": ks[:1]})
        self.bad("create: provisioned without throughput", "CreateTable", {
            "TableName": "T6", "AttributeDefinitions": ad[:1], "KeySchema": ks[:1]})
        self.bad("create: on-demand with throughput", "CreateTable", {
            "TableName": "T7", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": ad[:1], "KeySchema": ks[:1],
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
        for t in ("Orders", "Notes", "Users", "Blobs"):
            self.ok("describe " + t, "DescribeTable", {"TableName": t})
        self.bad("describe a missing table", "DescribeTable", {"TableName": "Nope"}, msg=True)
        self.bad("describe: name too short", "DescribeTable", {"TableName": "ab"})
        self.ok("list tables", "ListTables", {})
        self.ok("list tables, Limit 2", "ListTables", {"Limit": 2})
        self.ok("list tables after Notes", "ListTables", {"ExclusiveStartTableName": "Notes"})
        self.ok("list tables after Blobs, Limit 1", "ListTables", {"ExclusiveStartTableName": "Blobs", "Limit": 1})
        self.ok("list tables, Limit 4", "ListTables", {"Limit": 4})
        self.bad("list tables, Limit 0", "ListTables", {"Limit": 0})
        self.bad("list tables, Limit 101", "ListTables", {"Limit": 101})
        self.ok("describe TTL", "DescribeTimeToLive", {"TableName": "Users"})
        self.bad("describe TTL of a missing table", "DescribeTimeToLive", {"TableName": "Nope"})

    def items(self):
        u = "Users"
        alice = {"id": {"S": "alice"}, "age": {"N": "30"}, "name": {"S": "Alice"}, "tags": {"SS": ["b", "a", "c"]},
                 "scores": {"NS": ["3", "1.5", "-2"]}, "ok": {"BOOL": True}, "none": {"NULL": True},
                 "list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"S": "y"}}}]},
                 "map": {"M": {"a": {"N": "1"}, "b": {"L": []}, "c": {"M": {}}}},
                 "bin": {"B": "AAEC"}, "bins": {"BS": ["AQ==", "Ag=="]}}
        self.ok("put alice", "PutItem", {"TableName": u, "Item": alice})
        self.ok("get alice", "GetItem", {"TableName": u, "Key": {"id": {"S": "alice"}}})
        self.ok("get alice, consistent", "GetItem", {"TableName": u, "Key": {"id": {"S": "alice"}}, "ConsistentRead": True})
        self.ok("get a missing item", "GetItem", {"TableName": u, "Key": {"id": {"S": "nobody"}}})
        self.ok("get with projection", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "#n, age, #l[2].deep, #m.a, nothere",
            "ExpressionAttributeNames": {"#n": "name", "#l": "list", "#m": "map"}})
        self.ok("get with AttributesToGet", "GetItem", {"TableName": u, "Key": {"id": {"S": "alice"}},
                                                        "AttributesToGet": ["age", "ok"]})
        self.bad("get: projection with a reserved word", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "name"})
        self.bad("get: a reserved word after a dot", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "age.size"})
        self.bad("get: a reserved word in another case", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "Status"})
        self.bad("get: undefined name placeholder", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "#x"})
        self.bad("get: unused name placeholder", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "age",
            "ExpressionAttributeNames": {"#x": "name"}})
        self.bad("get: projection and AttributesToGet", "GetItem", {
            "TableName": u, "Key": {"id": {"S": "alice"}}, "ProjectionExpression": "age", "AttributesToGet": ["age"]})
        self.bad("get: key with an extra attribute", "GetItem", {"TableName": u, "Key": {"id": {"S": "alice"}, "x": {"S": "y"}}})
        self.bad("get: key of the wrong type", "GetItem", {"TableName": u, "Key": {"id": {"N": "1"}}})
        self.bad("get: no key", "GetItem", {"TableName": u})
        self.bad("get: key missing the range attribute", "GetItem", {"TableName": "Orders", "Key": {"pk": {"S": "a"}}})
        self.bad("get from a missing table", "GetItem", {"TableName": "Nope", "Key": {"id": {"S": "a"}}}, msg=True)

        # numbers come back in DynamoDB's canonical form
        self.ok("put numbers", "PutItem", {"TableName": u, "Item": {
            "id": {"S": "numbers"}, "a": {"N": "1.50"}, "b": {"N": "-0"}, "c": {"N": "1e3"}, "d": {"N": "0.000100"},
            "e": {"N": "12345678901234567890123456789012345678"}, "f": {"N": "-1E-130"},
            "h": {"N": "9.9999999999999999999999999999999999999E+125"}, "s": {"NS": ["1.0", "2", "3e0"]}}})
        self.ok("get numbers", "GetItem", {"TableName": u, "Key": {"id": {"S": "numbers"}}})
        self.bad("put: 39 significant digits", "PutItem", {"TableName": u, "Item": {
            "id": {"S": "n"}, "a": {"N": "123456789012345678901234567890123456789"}}})
        self.bad("put: number too large", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {"N": "1e126"}}})
        self.bad("put: number too small", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {"N": "1e-131"}}})
        self.bad("put: not a number", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {"N": "abc"}}})
        self.bad("put: number set with duplicates", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {"NS": ["1", "1.0"]}}})
        self.bad("put: string set with duplicates", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {"SS": ["x", "x"]}}})
        self.bad("put: empty set", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {"SS": []}}})
        self.bad("put: empty key string", "PutItem", {"TableName": u, "Item": {"id": {"S": ""}}})
        self.ok("put: empty non-key string and binary", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "empty"}, "a": {"S": ""}, "b": {"B": ""}}})
        self.ok("get empty strings", "GetItem", {"TableName": u, "Key": {"id": {"S": "empty"}}})
        self.bad("put: missing key attribute", "PutItem", {"TableName": u, "Item": {"name": {"S": "x"}}})
        self.bad("put: key of the wrong type", "PutItem", {"TableName": u, "Item": {"id": {"N": "1"}}})
        self.bad("put: attribute value with two types", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "n"}, "a": {"S": "x", "N": "1"}}})
        self.bad("put: attribute value with no type", "PutItem", {"TableName": u, "Item": {"id": {"S": "n"}, "a": {}}})
        self.bad("put: no item", "PutItem", {"TableName": u})
        self.bad("put into a missing table", "PutItem", {"TableName": "Nope", "Item": {"id": {"S": "a"}}}, msg=True)
        self.bad("put: ReturnValues ALL_NEW", "PutItem", {"TableName": u, "Item": {"id": {"S": "x"}}, "ReturnValues": "ALL_NEW"})
        self.bad("put: ReturnValues bogus", "PutItem", {"TableName": u, "Item": {"id": {"S": "x"}}, "ReturnValues": "SOME"})

        # conditions and ReturnValues
        self.ok("put bob, ALL_OLD of nothing", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}, "age": {"N": "40"}}, "ReturnValues": "ALL_OLD"})
        self.ok("put bob again, ALL_OLD", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}, "age": {"N": "41"}}, "ReturnValues": "ALL_OLD"})
        self.ok("put bob, ReturnValues NONE", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}, "age": {"N": "42"}}, "ReturnValues": "NONE"})
        self.bad("put if not exists (it does)", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_not_exists(id)"}, msg=True)
        self.ok("put if not exists (it does not)", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "carol"}, "age": {"N": "25"}}, "ConditionExpression": "attribute_not_exists(id)"})
        self.ok("put if age = 42", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}, "age": {"N": "43"}}, "ConditionExpression": "age = :a",
            "ExpressionAttributeValues": {":a": {"N": "42"}}, "ReturnValues": "ALL_OLD"})
        self.bad("put if age = 42 (it is 43)", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "ConditionExpression": "age = :a",
            "ExpressionAttributeValues": {":a": {"N": "42"}}})
        for cond, vals in [("age BETWEEN :lo AND :hi", {":lo": {"N": "40"}, ":hi": {"N": "50"}}),
                           ("age IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "43"}}),
                           ("attribute_type(age, :t)", {":t": {"S": "N"}}),
                           ("size(id) > :n AND NOT contains(id, :s)", {":n": {"N": "2"}, ":s": {"S": "z"}}),
                           ("begins_with(id, :p) OR age < :a", {":p": {"S": "x"}, ":a": {"N": "0"}}),
                           ("attribute_exists(nothere)", None),
                           ("age <> :a", {":a": {"N": "43"}})]:
            body = {"TableName": u, "Key": {"id": {"S": "bob"}}, "ConditionExpression": cond}
            if vals:
                body["ExpressionAttributeValues"] = vals
            self.send("delete bob if " + cond, "DeleteItem", dict(body, Key={"id": {"S": "missing-" + cond}}))
            self.send("update bob if " + cond, "UpdateItem", dict(body, UpdateExpression="SET checked = :one",
                      ExpressionAttributeValues=dict(vals or {}, **{":one": {"N": "1"}}), ReturnValues="UPDATED_NEW"))
        self.bad("condition: unused value placeholder", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "ConditionExpression": "age = :a",
            "ExpressionAttributeValues": {":a": {"N": "1"}, ":b": {"N": "2"}}})
        self.bad("condition: undefined value placeholder", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "ConditionExpression": "age = :a"})
        self.bad("condition: syntax error", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "ConditionExpression": "age = = 1"})
        self.bad("condition and Expected together", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_exists(id)",
            "Expected": {"id": {"Exists": True, "Value": {"S": "bob"}}}})
        self.ok("put with legacy Expected", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}, "age": {"N": "44"}},
            "Expected": {"age": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "43"}]}}})
        self.bad("put with legacy Expected failing", "PutItem", {
            "TableName": u, "Item": {"id": {"S": "bob"}}, "Expected": {"age": {"Exists": False}}})
        self.bad("delete: condition fails", "DeleteItem", {
            "TableName": u, "Key": {"id": {"S": "carol"}}, "ConditionExpression": "age > :a",
            "ExpressionAttributeValues": {":a": {"N": "99"}}, "ReturnValues": "ALL_OLD"})
        self.ok("delete carol, ALL_OLD", "DeleteItem", {"TableName": u, "Key": {"id": {"S": "carol"}}, "ReturnValues": "ALL_OLD"})
        self.ok("delete carol again, ALL_OLD of nothing", "DeleteItem", {
            "TableName": u, "Key": {"id": {"S": "carol"}}, "ReturnValues": "ALL_OLD"})
        self.gap("delete: ReturnValues ALL_NEW", "DeleteItem", {
            "TableName": u, "Key": {"id": {"S": "carol"}}, "ReturnValues": "ALL_NEW"}, 400, VALIDATION)
        self.bad("delete from a missing table", "DeleteItem", {"TableName": "Nope", "Key": {"id": {"S": "a"}}})
        self.bad("delete: key with an extra attribute", "DeleteItem", {
            "TableName": u, "Key": {"id": {"S": "a"}, "age": {"N": "1"}}})
        self.ok("put a binary key", "PutItem", {"TableName": "Blobs", "Item": {"k": {"B": "AAEC/w=="}, "v": {"S": "bin"}}})
        self.ok("get a binary key", "GetItem", {"TableName": "Blobs", "Key": {"k": {"B": "AAEC/w=="}}})
        self.bad("put: empty binary key", "PutItem", {"TableName": "Blobs", "Item": {"k": {"B": ""}}})

    def updates(self):
        u, key = "Users", {"id": {"S": "dave"}}
        steps = [
            ("SET a new item", "SET age = :a, #n = :n", {":a": {"N": "20"}, ":n": {"S": "Dave"}}, {"#n": "name"}, "ALL_NEW"),
            ("SET arithmetic", "SET age = age + :one", {":one": {"N": "1"}}, None, "UPDATED_NEW"),
            ("SET minus, UPDATED_OLD", "SET age = age - :two", {":two": {"N": "2"}}, None, "UPDATED_OLD"),
            ("SET if_not_exists", "SET visits = if_not_exists(visits, :z)", {":z": {"N": "0"}}, None, "ALL_NEW"),
            ("SET if_not_exists on an existing attribute", "SET visits = if_not_exists(visits, :z)",
             {":z": {"N": "5"}}, None, "ALL_NEW"),
            ("SET list_append", "SET hist = list_append(if_not_exists(hist, :e), :l)",
             {":e": {"L": []}, ":l": {"L": [{"S": "a"}, {"S": "b"}]}}, None, "ALL_NEW"),
            ("SET list_append in front", "SET hist = list_append(:l, hist)", {":l": {"L": [{"S": "z"}]}}, None, "ALL_NEW"),
            ("SET a list element", "SET hist[1] = :v", {":v": {"S": "A"}}, None, "ALL_NEW"),
            ("SET a map", "SET prefs = :m", {":m": {"M": {"theme": {"S": "dark"}, "n": {"N": "1"}}}}, None, "ALL_OLD"),
            ("ADD a number", "ADD visits :three", {":three": {"N": "3"}}, None, "UPDATED_NEW"),
            ("ADD to a new number", "ADD #c :three", {":three": {"N": "3"}}, {"#c": "counter"}, "ALL_NEW"),
            ("ADD to a string set", "ADD tags :t", {":t": {"SS": ["x", "y"]}}, None, "ALL_NEW"),
            ("ADD to an existing set", "ADD tags :t", {":t": {"SS": ["y", "z"]}}, None, "UPDATED_NEW"),
            ("DELETE from a set", "DELETE tags :t", {":t": {"SS": ["x", "q"]}}, None, "ALL_NEW"),
            ("DELETE the rest of a set", "DELETE tags :t", {":t": {"SS": ["y", "z"]}}, None, "ALL_NEW"),
            ("REMOVE attributes", "REMOVE #c, hist[0]", None, {"#c": "counter"}, "ALL_NEW"),
            ("everything at once", "SET a1 = :v REMOVE visits ADD n1 :one DELETE nothere :s",
             {":v": {"S": "v"}, ":one": {"N": "1"}, ":s": {"SS": ["s"]}}, None, "ALL_NEW"),
            ("NONE", "SET quiet = :v", {":v": {"BOOL": False}}, None, "NONE"),
        ]
        for label, expr, vals, names, rv in steps:
            body = {"TableName": u, "Key": key, "UpdateExpression": expr, "ReturnValues": rv}
            if vals:
                body["ExpressionAttributeValues"] = vals
            if names:
                body["ExpressionAttributeNames"] = names
            self.ok("update: " + label, "UpdateItem", body)
        self.ok("get dave", "GetItem", {"TableName": u, "Key": key})
        self.ok("update with no expression (creates the key)", "UpdateItem", {
            "TableName": u, "Key": {"id": {"S": "eve"}}, "ReturnValues": "ALL_NEW"})
        self.ok("legacy AttributeUpdates", "UpdateItem", {
            "TableName": u, "Key": {"id": {"S": "eve"}}, "ReturnValues": "ALL_NEW",
            "AttributeUpdates": {"a": {"Action": "PUT", "Value": {"N": "1"}}, "b": {"Action": "ADD", "Value": {"SS": ["q"]}}}})
        self.bad("update a key attribute", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET id = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.bad("update: a reserved word", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET counter = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}})
        self.bad("update: a reserved word in the condition", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET a = :v", "ConditionExpression": "attribute_exists(data)",
            "ExpressionAttributeValues": {":v": {"N": "1"}}})
        self.bad("update: conditional failure", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET age = :v", "ConditionExpression": "age > :v",
            "ExpressionAttributeValues": {":v": {"N": "100"}}, "ReturnValues": "ALL_NEW"}, msg=True)
        self.bad("update: conditional failure on a missing item", "UpdateItem", {
            "TableName": u, "Key": {"id": {"S": "ghost"}}, "UpdateExpression": "SET age = :v",
            "ConditionExpression": "attribute_exists(id)", "ExpressionAttributeValues": {":v": {"N": "1"}}})
        self.bad("update: arithmetic on a string", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET #n = #n + :v",
            "ExpressionAttributeNames": {"#n": "name"}, "ExpressionAttributeValues": {":v": {"N": "1"}}})
        self.bad("update: ADD a string", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "ADD #n :v",
            "ExpressionAttributeNames": {"#n": "name"}, "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.bad("update: two actions on one path", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET age = :v REMOVE age",
            "ExpressionAttributeValues": {":v": {"N": "1"}}})
        self.bad("update: overlapping paths", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET prefs = :v, prefs.theme = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.bad("update: SET clause twice", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET a = :v SET b = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.bad("update: list index on a map", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET prefs[0] = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.bad("update: nested path under a missing attribute", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET nothere.deep = :v",
            "ExpressionAttributeValues": {":v": {"S": "x"}}})
        self.bad("update: ReturnValues bogus", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}},
            "ReturnValues": "EVERYTHING"})
        self.bad("update: expression and AttributeUpdates", "UpdateItem", {
            "TableName": u, "Key": key, "UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}},
            "AttributeUpdates": {"b": {"Action": "DELETE"}}})
        self.bad("update a missing table", "UpdateItem", {
            "TableName": "Nope", "Key": key, "UpdateExpression": "SET a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}})

    def queries(self):
        o, n = "Orders", "Notes"
        writes = []
        for pk in ("p1", "p2"):
            for sk in ("-5", "0", "1", "2.5", "3", "10", "100", "1e3"):
                writes.append({"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"N": sk}, "v": {"N": sk},
                                                       "odd": {"BOOL": sk in ("1", "3")}, "label": {"S": pk + ":" + sk}}}})
        for i in range(0, len(writes), 16):
            self.ok("load Orders %d" % i, "BatchWriteItem", {"RequestItems": {o: writes[i:i + 16]}})
        notes = [{"PutRequest": {"Item": {"pk": {"S": "n"}, "sk": {"S": s}, "len": {"N": str(len(s))}}}}
                 for s in ("a", "ab", "abc", "abd", "b", "ba", "B", "Z", "\u00e9t\u00e9", "a b", "")[:10]]
        self.ok("load Notes", "BatchWriteItem", {"RequestItems": {n: notes}})
        v = lambda **kw: {k: ({"N": x} if isinstance(x, str) else x) for k, x in kw.items()}  # noqa: E731
        nconds = [("sk = :a", v(**{":a": "2.5"})), ("sk < :a", v(**{":a": "3"})), ("sk <= :a", v(**{":a": "3"})),
                  ("sk > :a", v(**{":a": "2.5"})), ("sk >= :a", v(**{":a": "2.5"})),
                  ("sk BETWEEN :a AND :b", v(**{":a": "0", ":b": "10"})), ("sk BETWEEN :a AND :b", v(**{":a": "-100", ":b": "-5"}))]
        for cond, vals in nconds:
            for fwd in (True, False):
                self.ok("query Orders pk = p1 AND %s%s" % (cond, "" if fwd else ", backwards"), "Query", {
                    "TableName": o, "KeyConditionExpression": "pk = :p AND " + cond, "ScanIndexForward": fwd,
                    "ExpressionAttributeValues": dict(vals, **{":p": {"S": "p1"}})})
        sconds = [("begins_with(sk, :a)", {":a": {"S": "ab"}}), ("begins_with(sk, :a)", {":a": {"S": "a"}}),
                  ("sk BETWEEN :a AND :b", {":a": {"S": "B"}, ":b": {"S": "b"}}), ("sk > :a", {":a": {"S": "Z"}}),
                  ("sk < :a", {":a": {"S": "a"}}), ("sk = :a", {":a": {"S": "ab"}})]
        for cond, vals in sconds:
            self.ok("query Notes n AND " + cond, "Query", {
                "TableName": n, "KeyConditionExpression": "#k = :p AND " + cond, "ExpressionAttributeNames": {"#k": "pk"},
                "ExpressionAttributeValues": dict(vals, **{":p": {"S": "n"}})})
        base = {"TableName": o, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p2"}}}
        self.ok("query the whole partition", "Query", base)
        self.ok("query an empty partition", "Query", dict(base, ExpressionAttributeValues={":p": {"S": "none"}}))
        self.ok("query with a filter", "Query", dict(base, FilterExpression="odd = :t OR v > :big",
                                                     ExpressionAttributeValues={":p": {"S": "p2"}, ":t": {"BOOL": True},
                                                                                ":big": {"N": "50"}}))
        self.ok("query with a projection", "Query", dict(base, ProjectionExpression="sk, label"))
        self.ok("query Select COUNT", "Query", dict(base, Select="COUNT"))
        self.ok("query Select COUNT with a filter", "Query", dict(base, Select="COUNT", FilterExpression="odd = :t",
                                                                  ExpressionAttributeValues={":p": {"S": "p2"}, ":t": {"BOOL": True}}))
        self.ok("query Select SPECIFIC_ATTRIBUTES", "Query", dict(base, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="v"))
        self.ok("query with legacy KeyConditions", "Query", {
            "TableName": o, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]},
                                              "sk": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "2"}]}}})
        self.ok("query with legacy QueryFilter", "Query", {
            "TableName": o, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]}},
            "QueryFilter": {"v": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "2"}]}}})
        self.gap("legacy QueryFilter EQ on a BOOL", "Query", {
            "TableName": o, "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]}},
            "QueryFilter": {"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": True}]}}}, 200, None)
        for limit in (1, 3, 8):
            self.pages("query paging, Limit %d" % limit, "Query", dict(base, Limit=limit))
        self.pages("query paging backwards, Limit 3", "Query", dict(base, Limit=3, ScanIndexForward=False))
        self.pages("query paging with a filter, Limit 3", "Query", dict(base, Limit=3, FilterExpression="odd = :t",
                   ExpressionAttributeValues={":p": {"S": "p2"}, ":t": {"BOOL": True}}))
        self.ok("query from an ExclusiveStartKey", "Query", dict(base, ExclusiveStartKey={"pk": {"S": "p2"}, "sk": {"N": "1"}}))
        self.bad("query: no key condition", "Query", {"TableName": o})
        self.bad("query: sort key only", "Query", {"TableName": o, "KeyConditionExpression": "sk = :a",
                                                   "ExpressionAttributeValues": {":a": {"N": "1"}}})
        self.bad("query: hash key with <", "Query", {"TableName": o, "KeyConditionExpression": "pk < :a",
                                                     "ExpressionAttributeValues": {":a": {"S": "p"}}})
        self.bad("query: a non-key attribute", "Query", {"TableName": o, "KeyConditionExpression": "pk = :p AND v = :a",
                                                         "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"N": "1"}}})
        self.bad("query: begins_with on a number", "Query", {"TableName": o, "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
                                                             "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"N": "1"}}})
        self.bad("query: OR in a key condition", "Query", {"TableName": o, "KeyConditionExpression": "pk = :p OR sk = :a",
                                                           "ExpressionAttributeValues": {":p": {"S": "p1"}, ":a": {"N": "1"}}})
        self.bad("query: key value of the wrong type", "Query", {"TableName": o, "KeyConditionExpression": "pk = :p",
                                                                 "ExpressionAttributeValues": {":p": {"N": "1"}}})
        self.bad("query: filter on a key attribute", "Query", dict(base, FilterExpression="sk > :p"))
        self.bad("query: Limit 0", "Query", dict(base, Limit=0))
        self.gap("query: Select COUNT with a projection", "Query", dict(base, Select="COUNT", ProjectionExpression="v"),
                 400, VALIDATION)
        self.bad("query: ExclusiveStartKey of another partition", "Query", dict(base, ExclusiveStartKey={"pk": {"S": "p1"}, "sk": {"N": "1"}}))
        self.bad("query: ExclusiveStartKey missing the sort key", "Query", dict(base, ExclusiveStartKey={"pk": {"S": "p2"}}))
        self.bad("query: IndexName", "Query", dict(base, IndexName="NoSuchIndex"))
        self.bad("query a missing table", "Query", dict(base, TableName="Nope"), msg=True)
        self.bad("query: expression and KeyConditions", "Query", dict(base, KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]}}))

    def scans(self):
        o = "Orders"
        un = (("Items",),)
        self.ok("scan Orders", "Scan", {"TableName": o}, unordered=un)
        self.ok("scan Users", "Scan", {"TableName": "Users"}, unordered=un)
        self.ok("scan with a filter", "Scan", {"TableName": o, "FilterExpression": "v BETWEEN :a AND :b AND pk = :p",
                                              "ExpressionAttributeValues": {":a": {"N": "0"}, ":b": {"N": "3"}, ":p": {"S": "p1"}}},
                unordered=un)
        self.ok("scan with a filter on the key", "Scan", {"TableName": o, "FilterExpression": "sk > :a",
                                                         "ExpressionAttributeValues": {":a": {"N": "5"}}}, unordered=un)
        self.ok("scan with contains and size", "Scan", {
            "TableName": o, "FilterExpression": "contains(label, :c) AND size(label) > :n",
            "ExpressionAttributeValues": {":c": {"S": "p2:1"}, ":n": {"N": "4"}}}, unordered=un)
        self.ok("scan with a projection", "Scan", {"TableName": o, "ProjectionExpression": "label"}, unordered=un)
        self.ok("scan Select COUNT", "Scan", {"TableName": o, "Select": "COUNT"})
        self.ok("scan with legacy ScanFilter", "Scan", {"TableName": o, "ScanFilter": {
            "v": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "10"}]},
            "label": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "p1"}]}}}, unordered=un)
        self.gap("scan with legacy ScanFilter, OR", "Scan", {"TableName": o, "ConditionalOperator": "OR", "ScanFilter": {
            "v": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "0"}]},
            "label": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "p2:1"}]}}}, 200, None,
            count=6)  # p1:-5 and p2:-5 (v < 0), p2:1, p2:10, p2:100, p2:1e3 (the label)
        self.ok("scan with legacy NULL / NOT_NULL", "Scan", {"TableName": "Users", "ScanFilter": {
            "age": {"ComparisonOperator": "NOT_NULL"}, "ok": {"ComparisonOperator": "NULL"}}}, unordered=un)
        for limit in (1, 5, 16):
            self.pages("scan paging, Limit %d" % limit, "Scan", {"TableName": o, "Limit": limit}, ordered=False)
        self.pages("scan paging with a filter, Limit 4", "Scan", {
            "TableName": o, "Limit": 4, "FilterExpression": "odd = :t", "ExpressionAttributeValues": {":t": {"BOOL": True}}},
            ordered=False)
        # which items land in which segment is the server's choice: compare the union
        for total in (1, 3):
            got = []
            for e in self.ends:
                items, status = [], 200
                for seg in range(total):
                    s, out = e.call("Scan", {"TableName": o, "Segment": seg, "TotalSegments": total})
                    if s != 200:
                        status, items = s, out
                        break
                    items += out["Items"]
                got.append((status, {"Items": sorted(items, key=_sort_key)} if status == 200 else items))
            self.compare("scan in %d segments, the union" % total, "Scan", got, [normalise("Scan", s, b) for s, b in got], 200)
        self.gap("scan: Segment without TotalSegments", "Scan", {"TableName": o, "Segment": 0}, 400, VALIDATION)
        self.bad("scan: Segment >= TotalSegments", "Scan", {"TableName": o, "Segment": 3, "TotalSegments": 3})
        self.bad("scan: TotalSegments 0", "Scan", {"TableName": o, "Segment": 0, "TotalSegments": 0})
        self.bad("scan: Limit 0", "Scan", {"TableName": o, "Limit": 0})
        self.bad("scan: Select bogus", "Scan", {"TableName": o, "Select": "SOME"})
        self.bad("scan: filter with an undefined placeholder", "Scan", {"TableName": o, "FilterExpression": "v = :x"})
        self.bad("scan: filter with a reserved word", "Scan", {"TableName": o, "FilterExpression": "size > :x",
                                                              "ExpressionAttributeValues": {":x": {"N": "1"}}})
        self.bad("scan: ExclusiveStartKey of the wrong shape", "Scan", {"TableName": o, "ExclusiveStartKey": {"pk": {"S": "p1"}}})
        self.bad("scan a missing table", "Scan", {"TableName": "Nope"}, msg=True)

    def batches(self):
        u, o = "Users", "Orders"
        self.ok("batch write: puts and deletes in two tables", "BatchWriteItem", {"RequestItems": {
            u: [{"PutRequest": {"Item": {"id": {"S": "b%d" % i}, "n": {"N": str(i)}}}} for i in range(5)] +
               [{"DeleteRequest": {"Key": {"id": {"S": "eve"}}}}],
            o: [{"DeleteRequest": {"Key": {"pk": {"S": "p1"}, "sk": {"N": "-5"}}}},
                {"PutRequest": {"Item": {"pk": {"S": "p3"}, "sk": {"N": "1"}}}}]}})
        self.ok("batch get from two tables", "BatchGetItem", {"RequestItems": {
            u: {"Keys": [{"id": {"S": "b%d" % i}} for i in (0, 2, 4)] + [{"id": {"S": "eve"}}, {"id": {"S": "alice"}}],
                "ProjectionExpression": "id, n, #nm", "ExpressionAttributeNames": {"#nm": "name"}},
            o: {"Keys": [{"pk": {"S": "p1"}, "sk": {"N": "-5"}}, {"pk": {"S": "p3"}, "sk": {"N": "1"}},
                         {"pk": {"S": "p2"}, "sk": {"N": "1000"}}], "ConsistentRead": True}}},
            unordered=(("Responses", "*"),))
        self.ok("batch get of missing items only", "BatchGetItem", {"RequestItems": {u: {"Keys": [{"id": {"S": "zz"}}]}}})
        self.bad("batch write: the same key twice", "BatchWriteItem", {"RequestItems": {u: [
            {"PutRequest": {"Item": {"id": {"S": "dup"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "dup"}}}}]}})
        self.bad("batch write: 26 requests", "BatchWriteItem", {"RequestItems": {u: [
            {"PutRequest": {"Item": {"id": {"S": "x%d" % i}}}} for i in range(26)]}})
        self.bad("batch write: empty", "BatchWriteItem", {"RequestItems": {}})
        self.bad("batch write: an empty list", "BatchWriteItem", {"RequestItems": {u: []}})
        self.bad("batch write: a missing table", "BatchWriteItem", {"RequestItems": {"Nope": [
            {"PutRequest": {"Item": {"id": {"S": "a"}}}}]}})
        self.gap("batch write: a request with both", "BatchWriteItem", {"RequestItems": {u: [
            {"PutRequest": {"Item": {"id": {"S": "a"}}}, "DeleteRequest": {"Key": {"id": {"S": "a"}}}}]}}, 400, VALIDATION)
        self.bad("batch write: an item missing its key", "BatchWriteItem", {"RequestItems": {u: [
            {"PutRequest": {"Item": {"n": {"S": "a"}}}}]}})
        self.bad("batch get: the same key twice", "BatchGetItem", {"RequestItems": {u: {"Keys": [
            {"id": {"S": "a"}}, {"id": {"S": "a"}}]}}})
        self.bad("batch get: 101 keys", "BatchGetItem", {"RequestItems": {u: {"Keys": [
            {"id": {"S": "k%d" % i}} for i in range(101)]}}})
        self.bad("batch get: a missing table", "BatchGetItem", {"RequestItems": {"Nope": {"Keys": [{"id": {"S": "a"}}]}}})
        self.bad("batch get: no keys", "BatchGetItem", {"RequestItems": {u: {"Keys": []}}})
        self.bad("batch get: a key of the wrong type", "BatchGetItem", {"RequestItems": {u: {"Keys": [{"id": {"N": "1"}}]}}})
        self.ok("scan Users after the batches", "Scan", {"TableName": u}, unordered=(("Items",),))

    def tags(self):
        arn = "arn:aws:dynamodb:us-east-1:000000000000:table/"  # both servers' account id
        self.ok("tag Users", "TagResource", {"ResourceArn": arn + "Users", "Tags": [
            {"Key": "team", "Value": "core"}, {"Key": "env", "Value": "test"}]})
        self.ok("list Users' tags", "ListTagsOfResource", {"ResourceArn": arn + "Users"}, unordered=(("Tags",),))
        self.ok("untag Users", "UntagResource", {"ResourceArn": arn + "Users", "TagKeys": ["env"]})
        self.ok("list Users' tags after untag", "ListTagsOfResource", {"ResourceArn": arn + "Users"})
        self.ok("list an untagged table's tags", "ListTagsOfResource", {"ResourceArn": arn + "Orders"})
        self.bad("tag a missing table", "TagResource", {"ResourceArn": arn + "Nope", "Tags": [{"Key": "a", "Value": "b"}]},
                 msg=True)
        self.bad("list a missing table's tags", "ListTagsOfResource", {"ResourceArn": arn + "Nope"}, msg=True)
        self.bad("tag with no tags", "TagResource", {"ResourceArn": arn + "Users", "Tags": []})
        self.bad("tag: not an ARN", "TagResource", {"ResourceArn": "Users", "Tags": [{"Key": "a", "Value": "b"}]})

    def table_changes(self):
        self.ok("update Notes' throughput", "UpdateTable", {
            "TableName": "Notes", "ProvisionedThroughput": {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}})
        time.sleep(0.2)
        self.ok("describe Notes after UpdateTable", "DescribeTable", {"TableName": "Notes"})
        self.bad("update a missing table", "UpdateTable", {
            "TableName": "Nope", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}})
        self.bad("update a table with nothing to change", "UpdateTable", {"TableName": "Notes"})
        self.ok("delete Blobs", "DeleteTable", {"TableName": "Blobs"})
        time.sleep(0.2)
        self.bad("describe Blobs after DeleteTable", "DescribeTable", {"TableName": "Blobs"})
        self.bad("delete Blobs again", "DeleteTable", {"TableName": "Blobs"})
        self.bad("get from Blobs after DeleteTable", "GetItem", {"TableName": "Blobs", "Key": {"k": {"B": "AA=="}}})
        self.ok("list tables at the end", "ListTables", {})
        self.bad("bad JSON", "PutItem", b'{"TableName": "Users", "Item": ')
        self.gap("body not an object", "PutItem", b'[1, 2]', 400, "com.amazon.coral.service#SerializationException")
        self.bad("a member of the wrong type", "GetItem", {"TableName": 5, "Key": {"id": {"S": "a"}}})
        self.bad("an unknown operation", "FlyToTheMoon", {})


if __name__ == "__main__":
    harness.main()
