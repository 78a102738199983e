"""strata-server driven by boto3: tables, item writes with conditions and ReturnValues, queries
with every sort-key condition and paging, scans with filters and segments, legacy parameters,
errors under their DynamoDB exception names, tenancy, and durability across a restart."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402


def code(e):
    return e.exception.response["Error"]["Code"]


class Boto3Session(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        cls.ddb = cls.srv.client()
        cls.ddb.create_table(
            TableName="Music",
            AttributeDefinitions=[{"AttributeName": "Artist", "AttributeType": "S"},
                                  {"AttributeName": "N", "AttributeType": "N"}],
            KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"},
                       {"AttributeName": "N", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST")
        for i in range(20):
            cls.ddb.put_item(TableName="Music", Item={
                "Artist": {"S": "A"}, "N": {"N": str(i)}, "Title": {"S": "song%02d" % i},
                "Plays": {"N": str(i * 10)}})
        cls.ddb.put_item(TableName="Music", Item={"Artist": {"S": "B"}, "N": {"N": "1"}})

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def test_create_describe_list_delete(self):
        d = self.ddb
        r = d.create_table(TableName="Tmp1", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                           ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
        self.assertEqual(r["TableDescription"]["TableStatus"], "ACTIVE")
        self.assertEqual(r["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"], 5)
        with self.assertRaises(ClientError) as e:
            d.create_table(TableName="Tmp1", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code(e), "ResourceInUseException")
        d.put_item(TableName="Tmp1", Item={"id": {"S": "x"}})
        t = d.describe_table(TableName="Tmp1")["Table"]
        self.assertEqual(t["ItemCount"], 1)
        self.assertEqual(t["KeySchema"], [{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertTrue(t["TableArn"].endswith(":table/Tmp1"))
        for n in ("Tmp2", "Tmp3"):
            d.create_table(TableName=n, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        names, start = [], None
        while True:
            kw = {"Limit": 2}
            if start:
                kw["ExclusiveStartTableName"] = start
            r = d.list_tables(**kw)
            self.assertLessEqual(len(r["TableNames"]), 2)
            names += r["TableNames"]
            start = r.get("LastEvaluatedTableName")
            if not start:
                break
        self.assertEqual(names, ["Music", "Tmp1", "Tmp2", "Tmp3"])
        self.assertEqual(d.delete_table(TableName="Tmp1")["TableDescription"]["TableStatus"], "DELETING")
        with self.assertRaises(ClientError) as e:
            d.describe_table(TableName="Tmp1")
        self.assertEqual(code(e), "ResourceNotFoundException")
        # a new table of the same name, another key schema, starts empty
        d.create_table(TableName="Tmp1", AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "N"}],
                       KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertEqual(d.scan(TableName="Tmp1")["Count"], 0)
        d.put_item(TableName="Tmp1", Item={"k": {"N": "1"}})
        for n in ("Tmp1", "Tmp2", "Tmp3"):
            d.delete_table(TableName=n)
        r = d.update_table(TableName="Music", BillingMode="PROVISIONED",
                           ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
        self.assertEqual(r["TableDescription"]["ProvisionedThroughput"]["WriteCapacityUnits"], 4)

    def test_create_table_validation(self):
        d = self.ddb
        with self.assertRaises(ClientError) as e:
            d.create_table(TableName="bad name!", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.create_table(TableName="abc", AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.create_table(TableName="abc", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        self.assertIn("ReadCapacityUnits", e.exception.response["Error"]["Message"])

    def test_put_get_conditions_return_values(self):
        d = self.ddb
        key = {"Artist": {"S": "C"}, "N": {"N": "1"}}
        item = dict(key, Name={"S": "first"}, Tags={"SS": ["a", "b"]}, Nested={"M": {"x": {"L": [{"N": "1"}, {"NULL": True}]}}},
                    Blob={"B": b"\x00\x01"}, Flag={"BOOL": True})
        r = d.put_item(TableName="Music", Item=item, ConditionExpression="attribute_not_exists(Artist)",
                       ReturnValues="ALL_OLD")
        self.assertNotIn("Attributes", r)
        self.assertEqual(d.get_item(TableName="Music", Key=key)["Item"], item)
        with self.assertRaises(d.exceptions.ConditionalCheckFailedException):
            d.put_item(TableName="Music", Item=item, ConditionExpression="attribute_not_exists(Artist)")
        r = d.put_item(TableName="Music", Item=dict(key, Name={"S": "second"}), ReturnValues="ALL_OLD",
                       ConditionExpression="#n = :v", ExpressionAttributeNames={"#n": "Name"},
                       ExpressionAttributeValues={":v": {"S": "first"}})
        self.assertEqual(r["Attributes"], item)
        r = d.get_item(TableName="Music", Key=key, ProjectionExpression="#n", ExpressionAttributeNames={"#n": "Name"},
                       ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
        self.assertEqual(r["Item"], {"Name": {"S": "second"}})
        self.assertEqual(r["ConsumedCapacity"]["TableName"], "Music")
        self.assertNotIn("Item", d.get_item(TableName="Music", Key={"Artist": {"S": "none"}, "N": {"N": "1"}}))
        # update: SET arithmetic, ADD to a set, REMOVE, if_not_exists, list_append
        r = d.update_item(TableName="Music", Key=key,
                          UpdateExpression="SET Cnt = if_not_exists(Cnt, :z) + :one, L = list_append(if_not_exists(L, :e), :l) ADD Tags :t REMOVE Flag",
                          ExpressionAttributeValues={":z": {"N": "0"}, ":one": {"N": "1"}, ":e": {"L": []},
                                                     ":l": {"L": [{"S": "x"}]}, ":t": {"SS": ["c"]}},
                          ReturnValues="ALL_NEW")
        self.assertEqual(r["Attributes"]["Cnt"], {"N": "1"})
        self.assertEqual(r["Attributes"]["Tags"]["SS"], ["c"])  # the put above replaced the item
        self.assertNotIn("Flag", r["Attributes"])
        r = d.update_item(TableName="Music", Key=key, UpdateExpression="SET Cnt = Cnt + :one",
                          ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
        self.assertEqual(r["Attributes"], {"Cnt": {"N": "2"}})
        r = d.update_item(TableName="Music", Key=key, UpdateExpression="SET Cnt = Cnt + :one",
                          ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_OLD")
        self.assertEqual(r["Attributes"], {"Cnt": {"N": "2"}})
        r = d.update_item(TableName="Music", Key=key, UpdateExpression="SET Cnt = :v",
                          ExpressionAttributeValues={":v": {"N": "10"}}, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"]["Cnt"], {"N": "3"})
        with self.assertRaises(d.exceptions.ConditionalCheckFailedException):
            d.update_item(TableName="Music", Key=key, UpdateExpression="SET Cnt = :v", ConditionExpression="Cnt < :v",
                          ExpressionAttributeValues={":v": {"N": "5"}})
        # exact decimals, 38 digits
        big = "12345678901234567890123456789012345678"
        d.update_item(TableName="Music", Key=key, UpdateExpression="SET Big = :b", ExpressionAttributeValues={":b": {"N": big}})
        self.assertEqual(d.get_item(TableName="Music", Key=key)["Item"]["Big"], {"N": big})
        with self.assertRaises(ClientError) as e:
            d.update_item(TableName="Music", Key=key, UpdateExpression="SET Big = :b", ExpressionAttributeValues={":b": {"N": big + "9"}})
        self.assertEqual(code(e), "ValidationException")
        # key attributes cannot be updated; a wrong key type is refused
        with self.assertRaises(ClientError) as e:
            d.update_item(TableName="Music", Key=key, UpdateExpression="SET Artist = :v", ExpressionAttributeValues={":v": {"S": "z"}})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="Music", Item={"Artist": {"S": "C"}, "N": {"S": "not a number"}})
        self.assertEqual(code(e), "ValidationException")
        self.assertIn("Type mismatch", e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as e:
            d.get_item(TableName="Music", Key={"Artist": {"S": "C"}})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="Music", Item={"Artist": {"S": ""}, "N": {"N": "1"}})
        self.assertEqual(code(e), "ValidationException")
        # unused placeholders, empty sets, oversize items
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="Music", Item=key, ExpressionAttributeValues={":unused": {"S": "x"}},
                       ConditionExpression="attribute_exists(Artist)")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="Music", Item=dict(key, S={"SS": []}))
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.put_item(TableName="Music", Item=dict(key, Big={"S": "x" * (401 * 1024)}))
        self.assertEqual(code(e), "ValidationException")
        # delete with a condition and ALL_OLD
        with self.assertRaises(d.exceptions.ConditionalCheckFailedException):
            d.delete_item(TableName="Music", Key=key, ConditionExpression="Cnt = :v", ExpressionAttributeValues={":v": {"N": "0"}})
        r = d.delete_item(TableName="Music", Key=key, ReturnValues="ALL_OLD")
        self.assertEqual(r["Attributes"]["Cnt"], {"N": "10"})
        self.assertNotIn("Item", d.get_item(TableName="Music", Key=key))
        self.assertEqual(d.delete_item(TableName="Music", Key=key, ReturnValues="ALL_OLD").get("Attributes"), None)

    def q(self, cond, values, **kw):
        vals = {":a": {"S": "A"}}
        vals.update(values)
        r = self.ddb.query(TableName="Music", KeyConditionExpression="Artist = :a AND " + cond if cond else "Artist = :a",
                           ExpressionAttributeValues=vals, **kw)
        return [int(i["N"]["N"]) for i in r["Items"]]

    def test_query_every_sort_key_condition(self):
        self.assertEqual(self.q(None, {}), list(range(20)))
        self.assertEqual(self.q("N = :x", {":x": {"N": "5"}}), [5])
        self.assertEqual(self.q("N < :x", {":x": {"N": "3"}}), [0, 1, 2])
        self.assertEqual(self.q("N <= :x", {":x": {"N": "3"}}), [0, 1, 2, 3])
        self.assertEqual(self.q("N > :x", {":x": {"N": "16"}}), [17, 18, 19])
        self.assertEqual(self.q("N >= :x", {":x": {"N": "17"}}), [17, 18, 19])
        self.assertEqual(self.q("N BETWEEN :x AND :y", {":x": {"N": "4"}, ":y": {"N": "6"}}), [4, 5, 6])
        self.assertEqual(self.q(None, {}, ScanIndexForward=False)[:3], [19, 18, 17])
        self.assertEqual(self.q("N > :x", {":x": {"N": "5"}}, FilterExpression="Plays >= :p",
                                ExpressionAttributeValues=None) if False else [], [])
        r = self.ddb.query(TableName="Music", KeyConditionExpression="Artist = :a", FilterExpression="Plays >= :p",
                           ExpressionAttributeValues={":a": {"S": "A"}, ":p": {"N": "150"}})
        self.assertEqual([int(i["N"]["N"]) for i in r["Items"]], [15, 16, 17, 18, 19])
        self.assertEqual((r["Count"], r["ScannedCount"]), (5, 20))
        r = self.ddb.query(TableName="Music", KeyConditionExpression="Artist = :a", Select="COUNT",
                           ExpressionAttributeValues={":a": {"S": "A"}})
        self.assertEqual(r["Count"], 20)
        self.assertNotIn("Items", r)
        r = self.ddb.query(TableName="Music", KeyConditionExpression="Artist = :a", ProjectionExpression="Title",
                           ExpressionAttributeValues={":a": {"S": "A"}}, Limit=1)
        self.assertEqual(r["Items"], [{"Title": {"S": "song00"}}])

    def test_query_begins_with_on_string_sort_key(self):
        d = self.ddb
        d.create_table(TableName="Strs", AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"},
                                                              {"AttributeName": "s", "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}],
                       BillingMode="PAY_PER_REQUEST")
        for s in ("a", "ab", "abc", "b", "ba"):
            d.put_item(TableName="Strs", Item={"p": {"S": "x"}, "s": {"S": s}})
        r = d.query(TableName="Strs", KeyConditionExpression="p = :p AND begins_with(s, :b)",
                    ExpressionAttributeValues={":p": {"S": "x"}, ":b": {"S": "ab"}})
        self.assertEqual([i["s"]["S"] for i in r["Items"]], ["ab", "abc"])

    def test_query_paging(self):
        got, start, pages = [], None, 0
        while True:
            kw = {"Limit": 6}
            if start:
                kw["ExclusiveStartKey"] = start
            r = self.ddb.query(TableName="Music", KeyConditionExpression="Artist = :a",
                               ExpressionAttributeValues={":a": {"S": "A"}}, **kw)
            got += [int(i["N"]["N"]) for i in r["Items"]]
            pages += 1
            start = r.get("LastEvaluatedKey")
            if not start:
                break
        self.assertEqual(got, list(range(20)))
        self.assertEqual(pages, 4)
        # the paginator does the same
        p = self.ddb.get_paginator("query")
        items = [i for page in p.paginate(TableName="Music", KeyConditionExpression="Artist = :a",
                                          ExpressionAttributeValues={":a": {"S": "A"}}, PaginationConfig={"PageSize": 7})
                 for i in page["Items"]]
        self.assertEqual(len(items), 20)

    def test_scan_filter_segments(self):
        r = self.ddb.scan(TableName="Music", FilterExpression="Plays > :p", ExpressionAttributeValues={":p": {"N": "170"}})
        self.assertEqual(sorted(int(i["N"]["N"]) for i in r["Items"]), [18, 19])
        seen = []
        for seg in range(3):
            start = None
            while True:
                kw = {"Segment": seg, "TotalSegments": 3, "Limit": 4}
                if start:
                    kw["ExclusiveStartKey"] = start
                r = self.ddb.scan(TableName="Music", **kw)
                seen += [(i["Artist"]["S"], int(i["N"]["N"])) for i in r["Items"]]
                start = r.get("LastEvaluatedKey")
                if not start:
                    break
        all_items = [(i["Artist"]["S"], int(i["N"]["N"])) for i in self.ddb.scan(TableName="Music")["Items"]]
        self.assertEqual(sorted(seen), sorted(all_items))
        self.assertEqual(len(seen), len(set(seen)))
        with self.assertRaises(ClientError) as e:
            self.ddb.scan(TableName="Music", Segment=3, TotalSegments=3)
        self.assertEqual(code(e), "ValidationException")

    def test_legacy_parameters(self):
        d = self.ddb
        key = {"Artist": {"S": "L"}, "N": {"N": "1"}}
        d.put_item(TableName="Music", Item=dict(key, V={"N": "1"}), Expected={"Artist": {"Exists": False}})
        with self.assertRaises(d.exceptions.ConditionalCheckFailedException):
            d.put_item(TableName="Music", Item=key, Expected={"V": {"Value": {"N": "2"}}})
        d.update_item(TableName="Music", Key=key, AttributeUpdates={"V": {"Action": "ADD", "Value": {"N": "5"}},
                                                                 "W": {"Action": "PUT", "Value": {"S": "w"}}},
                      Expected={"V": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})
        r = d.get_item(TableName="Music", Key=key, AttributesToGet=["V", "W"])
        self.assertEqual(r["Item"], {"V": {"N": "6"}, "W": {"S": "w"}})
        r = d.query(TableName="Music", KeyConditions={"Artist": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "A"}]},
                                                     "N": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "4"}]}})
        self.assertEqual([int(i["N"]["N"]) for i in r["Items"]], [2, 3, 4])
        r = d.scan(TableName="Music", ScanFilter={"Plays": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "190"}]}})
        self.assertEqual(r["Count"], 1)
        with self.assertRaises(ClientError) as e:
            d.get_item(TableName="Music", Key=key, AttributesToGet=["V"], ProjectionExpression="V")
        self.assertEqual(code(e), "ValidationException")
        d.delete_item(TableName="Music", Key=key)

    def test_errors_have_dynamodb_names(self):
        d = self.ddb
        with self.assertRaises(d.exceptions.ResourceNotFoundException):
            d.get_item(TableName="Missing", Key={"a": {"S": "b"}})
        with self.assertRaises(ClientError) as e:
            d.query(TableName="Music", KeyConditionExpression="Artist = :a")
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.query(TableName="Music", KeyConditionExpression="Plays = :a", ExpressionAttributeValues={":a": {"N": "1"}})
        self.assertEqual(code(e), "ValidationException")
        with self.assertRaises(ClientError) as e:
            d.scan(TableName="Music", FilterExpression="Plays = = :a", ExpressionAttributeValues={":a": {"N": "1"}})
        self.assertEqual(code(e), "ValidationException")

    def test_tenants_are_isolated(self):
        other = self.srv.client(akid="AKIDOTHER")
        self.assertEqual(other.list_tables()["TableNames"], [])
        with self.assertRaises(other.exceptions.ResourceNotFoundException):
            other.get_item(TableName="Music", Key={"Artist": {"S": "A"}, "N": {"N": "1"}})
        other.create_table(TableName="Music", AttributeDefinitions=[{"AttributeName": "x", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "x", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
        self.assertEqual(other.scan(TableName="Music")["Count"], 0)
        self.assertGreater(self.ddb.scan(TableName="Music")["Count"], 0)

    def test_tags(self):
        arn = self.ddb.describe_table(TableName="Music")["Table"]["TableArn"]
        self.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
        self.ddb.untag_resource(ResourceArn=arn, TagKeys=["env"])
        self.assertEqual(self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"], [{"Key": "team", "Value": "a"}])


class Restart(unittest.TestCase):
    def test_data_survives_restart(self):
        srv = harness.Server()
        try:
            d = srv.client()
            d.create_table(TableName="Tab1", AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                           KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
            d.put_item(TableName="Tab1", Item={"id": {"S": "a"}, "v": {"N": "1"}})
            srv.restart()
            d = srv.client()
            self.assertEqual(d.get_item(TableName="Tab1", Key={"id": {"S": "a"}})["Item"]["v"], {"N": "1"})
        finally:
            srv.close()


if __name__ == "__main__":
    harness.main()
