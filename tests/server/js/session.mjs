// The AWS SDK for JavaScript v3 (client-dynamodb + lib-dynamodb's document client) against a
// strata-server whose URL is in STRATA_URL: tables, conditional writes, queries with paging,
// scans with segments, batches, transactions, TTL, errors under their SDK names. Node's test
// runner reports the result.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DynamoDBClient, CreateTableCommand, DescribeTableCommand, UpdateTimeToLiveCommand,
  DescribeTimeToLiveCommand, ConditionalCheckFailedException, ResourceNotFoundException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient, PutCommand, GetCommand, UpdateCommand, DeleteCommand, QueryCommand,
  ScanCommand, BatchWriteCommand, BatchGetCommand, TransactWriteCommand, TransactGetCommand,
  paginateQuery,
} from "@aws-sdk/lib-dynamodb";

const client = new DynamoDBClient({
  endpoint: process.env.STRATA_URL, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "AKIDJS", secretAccessKey: "x" },
});
const doc = DynamoDBDocumentClient.from(client);

test("a session with the JS SDK", async () => {
  await client.send(new CreateTableCommand({
    TableName: "JsT", BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "N" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
  }));
  const d = await client.send(new DescribeTableCommand({ TableName: "JsT" }));
  assert.equal(d.Table.TableStatus, "ACTIVE");

  await doc.send(new PutCommand({ TableName: "JsT", Item: { pk: "a", sk: 1, name: "one", tags: new Set(["x"]) },
    ConditionExpression: "attribute_not_exists(pk)" }));
  await assert.rejects(doc.send(new PutCommand({ TableName: "JsT", Item: { pk: "a", sk: 1 },
    ConditionExpression: "attribute_not_exists(pk)" })), ConditionalCheckFailedException);
  const got = await doc.send(new GetCommand({ TableName: "JsT", Key: { pk: "a", sk: 1 } }));
  assert.equal(got.Item.name, "one");
  assert.deepEqual(got.Item.tags, new Set(["x"]));
  const up = await doc.send(new UpdateCommand({ TableName: "JsT", Key: { pk: "a", sk: 1 },
    UpdateExpression: "SET n = if_not_exists(n, :z) + :one", ExpressionAttributeValues: { ":z": 0, ":one": 1 },
    ReturnValues: "ALL_NEW" }));
  assert.equal(up.Attributes.n, 1);

  await doc.send(new BatchWriteCommand({ RequestItems: { JsT: Array.from({ length: 20 }, (_, i) =>
    ({ PutRequest: { Item: { pk: "q", sk: i, v: i * 2 } } })) } }));
  const bg = await doc.send(new BatchGetCommand({ RequestItems: { JsT: { Keys: [{ pk: "q", sk: 3 }, { pk: "q", sk: 4 }] } } }));
  assert.equal(bg.Responses.JsT.length, 2);

  for (const [cond, vals, want] of [
    ["sk = :a", { ":a": 5 }, [5]], ["sk < :a", { ":a": 2 }, [0, 1]], ["sk <= :a", { ":a": 1 }, [0, 1]],
    ["sk > :a", { ":a": 18 }, [19]], ["sk >= :a", { ":a": 18 }, [18, 19]],
    ["sk BETWEEN :a AND :b", { ":a": 7, ":b": 9 }, [7, 8, 9]]]) {
    const r = await doc.send(new QueryCommand({ TableName: "JsT", KeyConditionExpression: "pk = :p AND " + cond,
      ExpressionAttributeValues: { ":p": "q", ...vals } }));
    assert.deepEqual(r.Items.map((i) => i.sk), want, cond);
  }
  const seen = [];
  for await (const page of paginateQuery({ client: doc, pageSize: 6 }, { TableName: "JsT",
    KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": "q" }, ScanIndexForward: false })) {
    seen.push(...page.Items.map((i) => i.sk));
  }
  assert.deepEqual(seen, Array.from({ length: 20 }, (_, i) => 19 - i));
  let total = 0;
  for (let seg = 0; seg < 4; seg++) {
    const r = await doc.send(new ScanCommand({ TableName: "JsT", Segment: seg, TotalSegments: 4,
      FilterExpression: "v >= :z", ExpressionAttributeValues: { ":z": 0 } }));
    total += r.Count;
  }
  assert.equal(total, 20);

  await doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: "JsT", Item: { pk: "t", sk: 1, bal: 10 } } },
    { Update: { TableName: "JsT", Key: { pk: "a", sk: 1 }, UpdateExpression: "SET n = n + :one",
      ExpressionAttributeValues: { ":one": 1 } } }] }));
  await assert.rejects(doc.send(new TransactWriteCommand({ TransactItems: [
    { Put: { TableName: "JsT", Item: { pk: "t", sk: 2 } } },
    { ConditionCheck: { TableName: "JsT", Key: { pk: "t", sk: 1 }, ConditionExpression: "bal > :x",
      ExpressionAttributeValues: { ":x": 100 } } }] })), (e) => {
    assert.ok(e instanceof TransactionCanceledException);
    assert.deepEqual(e.CancellationReasons.map((r) => r.Code), ["None", "ConditionalCheckFailed"]);
    return true;
  });
  const tg = await doc.send(new TransactGetCommand({ TransactItems: [
    { Get: { TableName: "JsT", Key: { pk: "t", sk: 1 } } }, { Get: { TableName: "JsT", Key: { pk: "t", sk: 2 } } }] }));
  assert.equal(tg.Responses[0].Item.bal, 10);
  assert.equal(tg.Responses[1].Item, undefined);

  await client.send(new UpdateTimeToLiveCommand({ TableName: "JsT",
    TimeToLiveSpecification: { Enabled: true, AttributeName: "exp" } }));
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: "JsT" }));
  assert.equal(ttl.TimeToLiveDescription.TimeToLiveStatus, "ENABLED");
  await doc.send(new PutCommand({ TableName: "JsT", Item: { pk: "e", sk: 1, exp: Math.floor(Date.now() / 1000) - 5 } }));
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    gone = !(await doc.send(new GetCommand({ TableName: "JsT", Key: { pk: "e", sk: 1 } }))).Item;
    if (!gone) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(gone, "the expired item was deleted");

  await doc.send(new DeleteCommand({ TableName: "JsT", Key: { pk: "a", sk: 1 } }));
  await assert.rejects(doc.send(new GetCommand({ TableName: "Nope", Key: { pk: "a", sk: 1 } })), ResourceNotFoundException);
});
