"""The node trampoline signs the SQS messages that stream a generator's values in queue mode itself (SigV4 with
node's crypto). Its signer is checked against the AWS SigV4 test suite vendored in
Tests/Fixtures/aws-sigv4-test-suite: each case's request, credentials and time in, the Authorization header of
the case's `header-signed-request.txt` out."""
import json
import os
import subprocess
import urllib.parse

from test_trampolines import NODE, NODE_TRAMPOLINE, ROOT

SUITE = os.path.join(ROOT, "Tests", "Fixtures", "aws-sigv4-test-suite")

# Cases outside what the trampoline signs (it signs POSTs to "/" or an endpoint's plain path): path
# normalization ("/./", "/../", "//" resolved first), header values folded over lines, and a session token
# left unsigned (the trampoline signs it, as the SDKs do).
OUTSIDE = {
    "get-relative-normalized", "get-relative-relative-normalized", "get-slash-dot-slash-normalized",
    "get-slash-normalized", "get-slash-pointless-dot-normalized", "get-slashes-normalized",
    "get-space-normalized", "get-header-value-multiline", "post-sts-header-after",
}


def parse_request(text):
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, _, target = lines[0].rpartition(" HTTP/")[0].partition(" ")  # a path may hold spaces
    path, _, query = target.partition("?")
    headers = [line.split(":", 1) for line in lines[1:] if line]
    pairs = [item.partition("=") for item in query.split("&") if item]
    return {
        "method": method,
        "path": urllib.parse.unquote(path),
        "query": [[urllib.parse.unquote(k), urllib.parse.unquote(v)] for k, _, v in pairs],
        "headers": headers,
        "body": body,
    }


def case(name):
    folder = os.path.join(SUITE, name)
    with open(os.path.join(folder, "request.txt"), encoding="utf-8") as f:
        req = parse_request(f.read())
    with open(os.path.join(folder, "context.json"), encoding="utf-8") as f:
        context = json.load(f)
    creds = context["credentials"]
    ctx = {
        "region": context["region"], "service": context["service"], "date": context["timestamp"],
        "accessKeyId": creds["access_key_id"], "secretAccessKey": creds["secret_access_key"],
        "sessionToken": creds.get("token"), "signBody": context.get("sign_body", False),
    }
    req["host"] = dict((k.lower(), v) for k, v in req["headers"])["host"]
    with open(os.path.join(folder, "header-signed-request.txt"), encoding="utf-8") as f:
        expected = [line.split(":", 1)[1] for line in f.read().split("\n") if line.startswith("Authorization:")]
    return req, ctx, expected[0]


def sign_all(cases):
    script = """
const t = require(%s);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map(([req, ctx]) => {
  const headers = t._signV4(req, Object.assign({}, ctx, { date: new Date(ctx.date) }));
  return headers.filter(([n]) => n === 'Authorization').map(([, v]) => v)[0];
});
process.stdout.write(JSON.stringify(out));
""" % json.dumps(NODE_TRAMPOLINE)
    out = subprocess.run([NODE, "-e", script], input=json.dumps(cases).encode(), capture_output=True,
                         check=True, timeout=20).stdout
    return json.loads(out)


def test_the_node_signer_matches_the_official_vectors():
    names = sorted(n for n in os.listdir(SUITE)
                   if os.path.exists(os.path.join(SUITE, n, "request.txt")) and n not in OUTSIDE)
    assert len(names) == 29, names
    assert {"post-vanilla", "post-x-www-form-urlencoded", "get-vanilla-with-session-token",
            "post-sts-header-before", "get-header-key-duplicate", "get-utf8",
            "get-space-unnormalized"} <= set(names)
    cases = [case(n) for n in names]
    signed = sign_all([[req, ctx] for req, ctx, _ in cases])
    mismatched = [(n, got, want) for n, got, (_, _, want) in zip(names, signed, cases) if got != want]
    assert mismatched == []


def test_a_changed_secret_changes_the_signature():
    req, ctx, want = case("post-vanilla")
    ctx["secretAccessKey"] = ctx["secretAccessKey"][:-1] + "Z"
    assert sign_all([[req, ctx]]) != [want]
