"""A plain HTTP client for the server tests: one request, the status, headers and JSON body."""
import http.client
import json


def call(srv, target, body, headers=None, akid="AKIDTEST", raw=None, content_type="application/x-amz-json-1.0"):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    h = {"Content-Type": content_type,
         "Authorization": "AWS4-HMAC-SHA256 Credential=%s/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00" % akid}
    if target is not None:
        h["X-Amz-Target"] = target
    h.update(headers or {})
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request("POST", "/", body=data, headers=h)
    r = conn.getresponse()
    text = r.read()
    conn.close()
    try:
        out = json.loads(text) if text else None
    except ValueError:
        out = text
    return r.status, {k.lower(): v for k, v in r.getheaders()}, out
