-- wrk script: GetItem of one of 1000 preloaded keys (bench/server/bench_server.sh loads them).
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"TableName":"Bench","Key":{"id":{"S":"k%d"}}}', n % 1000)
  return wrk.format("POST", "/", {["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810.GetItem",
    ["X-Amz-Date"] = "20240101T000000Z", -- dynalite refuses a SigV4 request without it
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"}, body)
end
