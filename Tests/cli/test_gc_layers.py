"""`gc` on moto removes dependency layers whose retention has passed and keeps the others: a version still
within its retention, and an expired one that a function still uses. Run from an open session (the session's
own resources are spared) and with no module open (`faast --provider aws -c gc`).

Layers take no tags, so the versions here carry faast's retention in their description as faast writes it
(`faast:created=<epoch s> faast:retentionDays=<days>`); their names are unique to the run."""
import io
import json
import time
import uuid
import zipfile

import boto3
import pytest

from conftest import FIXTURES

DAY = 86_400


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def layers(moto, lam):
    """Three faast layer versions: expired and unused, unexpired, expired but used by a function (not faast's).
    Yields their ARNs by role; whatever the test leaves is removed after it."""
    run = uuid.uuid4().hex[:8]
    iam = boto3.client("iam", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    now = int(time.time())
    content = {"ZipFile": zipped({"nodejs/node_modules/pad/index.js": "module.exports = 1;\n"})}
    arns = {}
    for key, created in [("expired", now - 3 * DAY), ("fresh", now), ("used", now - 3 * DAY)]:
        arns[key] = lam.publish_layer_version(
            LayerName="faast-deps-gctest%s%s" % (key, run), Content=content, CompatibleRuntimes=["nodejs20.x"],
            Description="faast dependencies (package.json, nodejs20.x, x86_64) faast:created=%d "
                        "faast:retentionDays=1 faast:unzippedBytes=20" % created)["LayerVersionArn"]
    role = iam.create_role(RoleName="gc-test-" + run, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    user = "gc-test-user-" + run
    lam.create_function(FunctionName=user, Runtime="nodejs20.x", Role=role, Handler="index.handler",
                        Code={"ZipFile": zipped({"index.js": "exports.handler = async () => 1;\n"})},
                        Layers=[arns["used"]])
    yield arns
    lam.delete_function(FunctionName=user)
    iam.delete_role(RoleName="gc-test-" + run)
    for arn in arns.values():
        name, version = arn.split(":")[6], int(arn.split(":")[7])
        lam.delete_layer_version(LayerName=name, VersionNumber=version)


def remaining(lam, arns):
    left = set()
    for key, arn in arns.items():
        versions = lam.list_layer_versions(LayerName=arn.split(":")[6])["LayerVersions"]
        if arn in [v["LayerVersionArn"] for v in versions]:
            left.add(key)
    return left


def layer_version_name(arn):
    return "%s:%s" % (arn.split(":")[6], arn.split(":")[7])


def test_gc_in_a_session_deletes_expired_unused_layers_only(faast, aws_env, lam, layers):
    r = faast.run("--provider", "aws", FIXTURES / "sample.js", "--format", "json", "-c", "gc", timeout=180)
    assert r.returncode == 0, r.stderr
    gc = next(json.loads(l) for l in r.stdout.splitlines() if json.loads(l).get("command") == "gc")
    assert gc["ok"] is True
    removed = "\n".join(map(str, gc["removed"]))
    assert layer_version_name(layers["expired"]) in removed
    assert layer_version_name(layers["fresh"]) not in removed
    assert layer_version_name(layers["used"]) not in removed
    assert remaining(lam, layers) == {"fresh", "used"}


def test_gc_with_no_module_open_deletes_expired_layers(faast, aws_env, lam, layers):
    r = faast.run("--provider", "aws", "-c", "gc", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "deleted layer %s" % layer_version_name(layers["expired"]) in r.stdout
    assert layer_version_name(layers["fresh"]) not in r.stdout
    assert layer_version_name(layers["used"]) not in r.stdout
    assert remaining(lam, layers) == {"fresh", "used"}
