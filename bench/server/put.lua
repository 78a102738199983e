-- wrk script: PutItem of a new item (~100 bytes) per request; keys differ per thread.
local n = 0
local id = 0
setup = function(thread) id = id + 1; thread:set("tid", id) end
request = function()
  n = n + 1
  local body = string.format('{"TableName":"Bench","Item":{"id":{"S":"p%d-%d"},"v":{"N":"%d"},"s":{"S":"payload-payload-payload-payload-payload"}}}', tid or 0, n, n)
  return wrk.format("POST", "/", {["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810.PutItem",
    ["X-Amz-Date"] = "20240101T000000Z", -- dynalite refuses a SigV4 request without it
    ["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"}, body)
end
