"""strata-server driven by the AWS CLI (Debian's awscli): a scripted session of create-table,
put/get/update/delete with conditions, query with paging, scan with a filter and segments,
and errors as the CLI reports them."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

AWS = "/usr/bin/aws"


class AwsCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server()
        cls.env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDCLI", AWS_SECRET_ACCESS_KEY="x",
                       AWS_DEFAULT_REGION="eu-west-1", AWS_PAGER="", AWS_MAX_ATTEMPTS="1",
                       AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def aws(self, *args, ok=True):
        p = subprocess.run([AWS, "--endpoint-url", self.srv.url, "--output", "json", "dynamodb"] + list(args),
                           env=self.env, capture_output=True, text=True, timeout=60)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
            return json.loads(p.stdout) if p.stdout.strip() else {}
        self.assertNotEqual(p.returncode, 0)
        return p.stderr

    def test_session(self):
        r = self.aws("create-table", "--table-name", "Cli",
                     "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=N",
                     "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                     "--billing-mode", "PAY_PER_REQUEST")
        self.assertEqual(r["TableDescription"]["TableArn"], "arn:aws:dynamodb:eu-west-1:000000000000:table/Cli")
        self.aws("put-item", "--table-name", "Cli", "--item", '{"pk":{"S":"p"},"sk":{"N":"0"},"v":{"S":"v0"}}')
        r = self.aws("batch-write-item", "--request-items", json.dumps({"Cli": [
            {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": "v%d" % i}}}} for i in range(1, 7)]}))
        self.assertEqual(r["UnprocessedItems"], {})
        err = self.aws("put-item", "--table-name", "Cli", "--item", '{"pk":{"S":"p"},"sk":{"N":"1"}}',
                       "--condition-expression", "attribute_not_exists(pk)", ok=False)
        self.assertIn("ConditionalCheckFailedException", err)
        r = self.aws("get-item", "--table-name", "Cli", "--key", '{"pk":{"S":"p"},"sk":{"N":"3"}}')
        self.assertEqual(r["Item"]["v"], {"S": "v3"})
        r = self.aws("update-item", "--table-name", "Cli", "--key", '{"pk":{"S":"p"},"sk":{"N":"3"}}',
                     "--update-expression", "SET c = :one", "--expression-attribute-values", '{":one":{"N":"1"}}',
                     "--return-values", "ALL_NEW")
        self.assertEqual(r["Attributes"]["c"], {"N": "1"})
        # the CLI pages by itself: --page-size 2 makes four requests for 7 items
        r = self.aws("query", "--table-name", "Cli", "--key-condition-expression", "pk = :p AND sk >= :s",
                     "--expression-attribute-values", '{":p":{"S":"p"},":s":{"N":"1"}}', "--page-size", "2")
        self.assertEqual([i["sk"]["N"] for i in r["Items"]], ["1", "2", "3", "4", "5", "6"])
        r = self.aws("scan", "--table-name", "Cli", "--filter-expression", "attribute_exists(c)")
        self.assertEqual(r["Count"], 1)
        r = self.aws("scan", "--table-name", "Cli", "--segment", "1", "--total-segments", "2")
        self.assertLess(r["Count"], 7)
        self.aws("delete-item", "--table-name", "Cli", "--key", '{"pk":{"S":"p"},"sk":{"N":"3"}}')
        r = self.aws("get-item", "--table-name", "Cli", "--key", '{"pk":{"S":"p"},"sk":{"N":"3"}}')
        self.assertNotIn("Item", r)
        err = self.aws("describe-table", "--table-name", "Nope", ok=False)
        self.assertIn("ResourceNotFoundException", err)
        self.assertIn("Cli", self.aws("list-tables")["TableNames"])
        self.aws("delete-table", "--table-name", "Cli")
        self.assertEqual(self.aws("list-tables")["TableNames"], [])


if __name__ == "__main__":
    harness.main()
