"""strata-server with boto3: BatchWriteItem/BatchGetItem, TransactWriteItems (one commit,
conditions, updates, ConditionCheck, cancellation reasons in order, idempotency tokens),
TransactGetItems, and TTL with real expiry."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


class BatchTxnTtl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server("--ttl-interval", "200")
        cls.ddb = cls.srv.client()
        for name in ("Acc", "Log"):
            cls.ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                 KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def test_batch_write_and_get(self):
        d = self.ddb
        r = d.batch_write_item(RequestItems={
            "Acc": [{"PutRequest": {"Item": {"id": {"S": "b%d" % i}, "v": {"N": str(i)}}}} for i in range(20)],
            "Log": [{"PutRequest": {"Item": {"id": {"S": "l1"}}}}]})
        self.assertEqual(r["UnprocessedItems"], {})
        d.batch_write_item(RequestItems={"Acc": [{"DeleteRequest": {"Key": {"id": {"S": "b0"}}}}]})
        r = d.batch_get_item(RequestItems={
            "Acc": {"Keys": [{"id": {"S": "b0"}}, {"id": {"S": "b1"}}, {"id": {"S": "b2"}}], "ProjectionExpression": "v"},
            "Log": {"Keys": [{"id": {"S": "l1"}}]}})
        self.assertEqual(sorted(i["v"]["N"] for i in r["Responses"]["Acc"]), ["1", "2"])
        self.assertEqual(r["Responses"]["Log"], [{"id": {"S": "l1"}}])
        self.assertEqual(r["UnprocessedKeys"], {})
        with self.assertRaises(ClientError) as e:
            d.batch_write_item(RequestItems={"Acc": [{"PutRequest": {"Item": {"id": {"S": "x"}}}}] * 2})
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.batch_write_item(RequestItems={"Acc": [{"PutRequest": {"Item": {"id": {"S": "x%d" % i}}}} for i in range(26)]})
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")

    def test_transact_write(self):
        d = self.ddb
        d.put_item(TableName="Acc", Item={"id": {"S": "alice"}, "bal": {"N": "100"}})
        d.put_item(TableName="Acc", Item={"id": {"S": "bob"}, "bal": {"N": "0"}})
        def transfer(amount, token=None):
            kw = {"ClientRequestToken": token} if token else {}
            return d.transact_write_items(TransactItems=[
                {"Update": {"TableName": "Acc", "Key": {"id": {"S": "alice"}}, "UpdateExpression": "SET bal = bal - :a",
                            "ConditionExpression": "bal >= :a", "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
                {"Update": {"TableName": "Acc", "Key": {"id": {"S": "bob"}}, "UpdateExpression": "SET bal = bal + :a",
                            "ExpressionAttributeValues": {":a": {"N": str(amount)}}}},
                {"Put": {"TableName": "Log", "Item": {"id": {"S": "t%d" % amount}, "amount": {"N": str(amount)}},
                         "ConditionExpression": "attribute_not_exists(id)"}},
            ], **kw)
        transfer(30)
        bal = lambda who: d.get_item(TableName="Acc", Key={"id": {"S": who}})["Item"]["bal"]["N"]
        self.assertEqual((bal("alice"), bal("bob")), ("70", "30"))
        with self.assertRaises(d.exceptions.TransactionCanceledException) as e:
            transfer(80)
        reasons = [r["Code"] for r in e.exception.response["CancellationReasons"]]
        self.assertEqual(reasons, ["ConditionalCheckFailed", "None", "None"])
        self.assertEqual((bal("alice"), bal("bob")), ("70", "30"))
        self.assertNotIn("Item", d.get_item(TableName="Log", Key={"id": {"S": "t80"}}))
        # idempotency: the same token and request is applied once
        transfer(5, token="tok-1")
        transfer(5, token="tok-1")
        self.assertEqual((bal("alice"), bal("bob")), ("65", "35"))
        with self.assertRaises(ClientError) as e:
            transfer(6, token="tok-1")
        self.assertEqual(e.exception.response["Error"]["Code"], "IdempotentParameterMismatchException")
        # ConditionCheck, Delete, ReturnValuesOnConditionCheckFailure
        with self.assertRaises(d.exceptions.TransactionCanceledException) as e:
            d.transact_write_items(TransactItems=[
                {"Delete": {"TableName": "Log", "Key": {"id": {"S": "t30"}}}},
                {"ConditionCheck": {"TableName": "Acc", "Key": {"id": {"S": "bob"}}, "ConditionExpression": "bal > :x",
                                    "ExpressionAttributeValues": {":x": {"N": "1000"}},
                                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
        r = e.exception.response["CancellationReasons"]
        self.assertEqual([x["Code"] for x in r], ["None", "ConditionalCheckFailed"])
        self.assertEqual(r[1]["Item"]["bal"], {"N": "35"})
        self.assertIn("Item", d.get_item(TableName="Log", Key={"id": {"S": "t30"}}))
        d.transact_write_items(TransactItems=[
            {"Delete": {"TableName": "Log", "Key": {"id": {"S": "t30"}}}},
            {"ConditionCheck": {"TableName": "Acc", "Key": {"id": {"S": "bob"}}, "ConditionExpression": "attribute_exists(bal)"}}])
        self.assertNotIn("Item", d.get_item(TableName="Log", Key={"id": {"S": "t30"}}))
        with self.assertRaises(ClientError) as e:
            d.transact_write_items(TransactItems=[
                {"Delete": {"TableName": "Log", "Key": {"id": {"S": "z"}}}},
                {"Put": {"TableName": "Log", "Item": {"id": {"S": "z"}}}}])
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        # transact get reads one snapshot
        r = d.transact_get_items(TransactItems=[{"Get": {"TableName": "Acc", "Key": {"id": {"S": "alice"}}}},
                                                {"Get": {"TableName": "Acc", "Key": {"id": {"S": "nobody"}}}},
                                                {"Get": {"TableName": "Acc", "Key": {"id": {"S": "bob"}}, "ProjectionExpression": "bal"}}])
        self.assertEqual(r["Responses"][0]["Item"]["bal"], {"N": "65"})
        self.assertEqual(r["Responses"][1], {})
        self.assertEqual(r["Responses"][2]["Item"], {"bal": {"N": "35"}})

    def test_ttl_expires_items(self):
        d = self.ddb
        d.create_table(TableName="Sess", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertEqual(d.describe_time_to_live(TableName="Sess")["TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED")
        r = d.update_time_to_live(TableName="Sess", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        self.assertEqual(r["TimeToLiveSpecification"], {"Enabled": True, "AttributeName": "exp"})
        with self.assertRaises(ClientError):
            d.update_time_to_live(TableName="Sess", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        self.assertEqual(d.describe_time_to_live(TableName="Sess")["TimeToLiveDescription"],
                         {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"})
        now = int(time.time())
        d.put_item(TableName="Sess", Item={"id": {"S": "old"}, "exp": {"N": str(now - 10)}})
        d.put_item(TableName="Sess", Item={"id": {"S": "new"}, "exp": {"N": str(now + 3600)}})
        d.put_item(TableName="Sess", Item={"id": {"S": "none"}})
        d.put_item(TableName="Sess", Item={"id": {"S": "str"}, "exp": {"S": "not a number"}})
        deadline = time.time() + 10
        while time.time() < deadline and "Item" in d.get_item(TableName="Sess", Key={"id": {"S": "old"}}):
            time.sleep(0.1)
        self.assertNotIn("Item", d.get_item(TableName="Sess", Key={"id": {"S": "old"}}))
        self.assertEqual(sorted(i["id"]["S"] for i in d.scan(TableName="Sess")["Items"]), ["new", "none", "str"])
        d.update_time_to_live(TableName="Sess", TimeToLiveSpecification={"Enabled": False, "AttributeName": "exp"})


if __name__ == "__main__":
    harness.main()
