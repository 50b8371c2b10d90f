"""Tests for Tests/aws/moto_lambda.py: moto_server whose Lambda really runs the uploaded code.

    python3 -m pytest -q Tests/aws/test_moto_lambda.py
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile

import boto3
import pytest
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REGION = "us-east-1"

NODE_OK = """
exports.handler = async (event, context) => {
  console.log('node says hi to', event.who);
  process.stdout.write('raw stdout line\\n');
  return {callId: event.callId, type: 'returned', value: 'hi ' + event.who,
          requestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() > 0};
};
"""
NODE_ENV = """
exports.handler = (event, context, callback) => {
  const pick = (k) => process.env[k] === undefined ? null : process.env[k];
  callback(null, {FOO: pick('FOO'), NAME: pick('AWS_LAMBDA_FUNCTION_NAME'), MEM: pick('AWS_LAMBDA_FUNCTION_MEMORY_SIZE'),
                  REGION: pick('AWS_REGION'), ROOT: pick('LAMBDA_TASK_ROOT'), GROUP: pick('AWS_LAMBDA_LOG_GROUP_NAME'),
                  STREAM: pick('AWS_LAMBDA_LOG_STREAM_NAME'), CWD: process.cwd(), PATH: pick('PATH')});
};
"""
NODE_THROW = """
exports.handler = async (event) => {
  console.log('about to fail');
  const e = new TypeError('bad thing: ' + event.n);
  throw e;
};
"""
NODE_SLEEP = """
exports.handler = async (event) => {
  console.log('sleeping');
  await new Promise((r) => setTimeout(r, 3000));
  return 'woke up';
};
"""
NODE_ALLOC = """
const kept = [];
exports.handler = async (event) => {
  for (let i = 0; i < event.mb; i++) {
    const chunk = new Array(131072);
    for (let j = 0; j < chunk.length; j++) chunk[j] = j + 0.5;
    kept.push(chunk);
  }
  return event.mb;
};
"""
NODE_SUB_MODULE = """
exports.handler = async (event) => ({callId: event.callId, type: 'returned', value: require('./faast_module.js').double(event.x)});
"""
PY_OK = """
import os, sys

def handler(event, context):
    print("python says hi to", event["who"])
    print("to stderr", file=sys.stderr)
    return {"callId": event.get("callId"), "type": "returned", "value": "hi " + event["who"],
            "requestId": context.aws_request_id, "env": os.environ.get("FOO"),
            "remaining": context.get_remaining_time_in_millis() > 0}
"""
PY_THROW = """
def helper(n):
    raise ValueError("python bad thing: %s" % n)

def handler(event, context):
    print("about to fail")
    helper(event["n"])
"""
PY_SLEEP = """
import time
def handler(event, context):
    time.sleep(3)
    return "woke up"
"""
PY_ALLOC = """
kept = []
def handler(event, context):
    for _ in range(event["mb"]):
        kept.append(bytearray(b"x" * (1024 * 1024)))
    return event["mb"]
"""

ASSUME = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def make_zip(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def read_text(*parts) -> str:
    with open(os.path.join(REPO, *parts)) as f:
        return f.read()


@pytest.fixture(scope="session")
def endpoint():
    log = tempfile.NamedTemporaryFile(prefix="moto-lambda-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "moto_lambda.py"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline()  # "ready http://127.0.0.1:PORT"
    if not line.startswith("ready "):
        proc.kill()
        with open(log.name) as f:
            pytest.fail("launcher did not start: %r\n%s" % (line, f.read()))
    yield line.split()[1]
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    if os.environ.get("MOTO_LAMBDA_KEEP_LOG"):
        print("launcher log:", log.name)
    else:
        os.unlink(log.name)


@pytest.fixture(scope="session")
def aws(endpoint):
    cfg = Config(retries={"max_attempts": 1}, read_timeout=30)

    def client(service):
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
                            aws_secret_access_key="testing", config=cfg)

    return client


@pytest.fixture(scope="session")
def role(aws):
    return aws("iam").create_role(RoleName="faast-moto-test", AssumeRolePolicyDocument=ASSUME)["Role"]["Arn"]


@pytest.fixture(scope="session")
def make_function(aws, role):
    lam = aws("lambda")

    def make(files: dict, runtime="nodejs20.x", timeout=5, memory=128, env=None, handler="trampoline.handler"):
        name = "faast-test-" + uuid.uuid4().hex[:10]
        lam.create_function(
            FunctionName=name, Runtime=runtime, Handler=handler, Role=role, Code={"ZipFile": make_zip(files)},
            MemorySize=memory, Timeout=timeout, Environment={"Variables": env or {}},
            Architectures=["x86_64"], Tags={"faast": "test"})
        return name

    return make


def invoke(aws, name, event):
    r = aws("lambda").invoke(FunctionName=name, InvocationType="RequestResponse", LogType="Tail",
                             Payload=json.dumps(event).encode())
    payload = json.loads(r["Payload"].read())
    log = base64.b64decode(r.get("LogResult", "")).decode()
    return r, payload, log


def test_node_request_response(aws, make_function):
    name = make_function({"trampoline.js": NODE_OK})
    r, payload, log = invoke(aws, name, {"callId": 42, "who": "moto"})
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert r["ExecutedVersion"] == "$LATEST"
    assert payload["callId"] == 42 and payload["type"] == "returned" and payload["value"] == "hi moto"
    assert payload["remaining"] is True
    rid = payload["requestId"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    assert re.search(r"\t" + rid + r"\tINFO\tnode says hi to moto\n", log)
    assert "raw stdout line\n" in log
    assert f"END RequestId: {rid}" in log
    m = re.search(r"REPORT RequestId: " + rid + r"\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\t"
                  r"Memory Size: 128 MB\tMax Memory Used: (\d+) MB", log)
    assert m, log
    assert int(m.group(2)) == max(1, -(-float(m.group(1)) // 1))
    assert 10 < int(m.group(3)) <= 128


def test_python_request_response(aws, make_function):
    name = make_function({"trampoline.py": PY_OK}, runtime="python3.12", memory=256, env={"FOO": "py-env"})
    r, payload, log = invoke(aws, name, {"callId": 1, "who": "snake"})
    assert "FunctionError" not in r
    assert payload["value"] == "hi snake" and payload["env"] == "py-env" and payload["remaining"] is True
    rid = payload["requestId"]
    assert "python says hi to snake\n" in log and "to stderr\n" in log
    assert f"START RequestId: {rid}" in log and f"END RequestId: {rid}" in log
    assert re.search(r"REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB", log)


def test_environment(aws, make_function):
    name = make_function({"trampoline.js": NODE_ENV}, memory=192, env={"FOO": "bar"})
    _, env, _ = invoke(aws, name, {})
    assert env["FOO"] == "bar"
    assert env["NAME"] == name and env["MEM"] == "192" and env["REGION"] == REGION
    assert env["GROUP"] == f"/aws/lambda/{name}" and env["STREAM"]
    assert env["ROOT"] and os.path.realpath(env["CWD"]) == os.path.realpath(env["ROOT"])
    assert env["PATH"]


@pytest.mark.parametrize("runtime,files,etype,message", [
    ("nodejs20.x", {"trampoline.js": NODE_THROW}, "TypeError", "bad thing: 7"),
    ("python3.12", {"trampoline.py": PY_THROW}, "ValueError", "python bad thing: 7"),
])
def test_exception_is_unhandled(aws, make_function, runtime, files, etype, message):
    name = make_function(files, runtime=runtime)
    r, payload, log = invoke(aws, name, {"n": 7})
    assert r["FunctionError"] == "Unhandled"
    assert payload["errorType"] == etype and payload["errorMessage"] == message
    trace = payload.get("trace") or payload.get("stackTrace")
    assert trace and any("trampoline" in t for t in trace)
    assert "about to fail" in log and "END RequestId:" in log and "REPORT RequestId:" in log


@pytest.mark.parametrize("runtime,files", [
    ("nodejs20.x", {"trampoline.js": NODE_SLEEP}),
    ("python3.12", {"trampoline.py": PY_SLEEP}),
])
def test_timeout(aws, make_function, runtime, files):
    name = make_function(files, runtime=runtime, timeout=1)
    r, payload, log = invoke(aws, name, {})
    # The function sleeps far longer: the 1000 ms REPORT below shows it was stopped at its timeout.
    assert r["FunctionError"] == "Unhandled"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z \S+ Task timed out after 1\.00 seconds", payload["errorMessage"])
    assert "Task timed out after 1.00 seconds" in log
    assert re.search(r"Duration: 1000\.00 ms\tBilled Duration: 1000 ms", log)


@pytest.mark.parametrize("runtime,files", [
    ("nodejs20.x", {"trampoline.js": NODE_ALLOC}),
    ("python3.12", {"trampoline.py": PY_ALLOC}),
])
def test_out_of_memory(aws, make_function, runtime, files):
    name = make_function(files, runtime=runtime, memory=128)
    r, payload, log = invoke(aws, name, {"mb": 400})
    assert r["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert re.fullmatch(r"RequestId: \S+ Error: Runtime exited with error: signal: killed", payload["errorMessage"])
    assert "Max Memory Used: 128 MB" in log


def test_event_invocation_type(aws, make_function):
    name = make_function({"trampoline.js": NODE_OK})
    r = aws("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"who": "async"}')
    assert r["StatusCode"] == 202
    events = poll_logs(aws, name, "node says hi to async")
    assert events


def poll_logs(aws, name, text, seconds=10.0):
    logs = aws("logs")
    deadline = time.monotonic() + seconds
    while True:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        hits = [e for e in events if text in e["message"]]
        if hits or time.monotonic() > deadline:
            return hits
        time.sleep(0.1)


def test_filter_log_events(aws, make_function):
    name = make_function({"trampoline.js": NODE_OK})
    logs = aws("logs")
    logs.create_log_group(logGroupName=f"/aws/lambda/{name}")  # faast creates it ahead, with a retention
    logs.put_retention_policy(logGroupName=f"/aws/lambda/{name}", retentionInDays=1)
    _, payload, _ = invoke(aws, name, {"who": "cloudwatch"})
    rid = payload["requestId"]
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    messages = [e["message"] for e in events]
    assert f"START RequestId: {rid} Version: $LATEST" in messages
    assert any("node says hi to cloudwatch" in m for m in messages)
    assert any(m.startswith(f"REPORT RequestId: {rid}\t") for m in messages)
    found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"node says hi"')["events"]
    assert found and all("node says hi" in e["message"] for e in found)
    group = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"][0]
    assert group.get("retentionInDays") == 1


@pytest.fixture
def queue_mode(aws, make_function):
    """SNS topic -> function (lambda subscription), destinations -> SQS queues, like faast's queue mode."""
    sns, sqs, lam = aws("sns"), aws("sqs"), aws("lambda")

    def setup(files, runtime="nodejs20.x", timeout=5):
        name = make_function(files, runtime=runtime, timeout=timeout)
        arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        queue_url = sqs.create_queue(QueueName=name + "-results")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam.put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=0,
            DestinationConfig={"OnSuccess": {"Destination": queue_arn}, "OnFailure": {"Destination": queue_arn}})
        topic = sns.create_topic(Name=name + "-requests")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
        return name, arn, topic, queue_url

    return setup


def receive_one(aws, queue_url, seconds=10.0):
    sqs = aws("sqs")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages", [])
        if msgs:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msgs[0]["ReceiptHandle"])
            return json.loads(msgs[0]["Body"])
    pytest.fail("no message on the destination queue")


def test_sns_to_on_success_queue(aws, queue_mode):
    name, arn, topic, queue_url = queue_mode({"trampoline.js": NODE_OK})
    aws("sns").publish(TopicArn=topic, Message=json.dumps({"callId": 5, "who": "sns"}))
    record = receive_one(aws, queue_url)
    assert record["version"] == "1.0" and record["timestamp"]
    ctx = record["requestContext"]
    assert ctx["condition"] == "Success" and ctx["approximateInvokeCount"] == 1
    assert ctx["functionArn"] == arn + ":$LATEST" and ctx["requestId"]
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    sns_record = record["requestPayload"]["Records"][0]
    assert sns_record["EventSource"] == "aws:sns" and sns_record["Sns"]["TopicArn"] == topic
    assert json.loads(sns_record["Sns"]["Message"]) == {"callId": 5, "who": "sns"}
    # the stand-in handler reads event.who / event.callId, which an SNS record does not have
    assert record["responsePayload"]["type"] == "returned"
    assert record["responsePayload"]["requestId"] == ctx["requestId"]


@pytest.mark.parametrize("runtime,files,condition", [
    ("nodejs20.x", {"trampoline.js": NODE_THROW}, "TypeError"),
    ("python3.12", {"trampoline.py": PY_SLEEP}, "timeout"),
])
def test_sns_to_on_failure_queue(aws, queue_mode, runtime, files, condition):
    name, arn, topic, queue_url = queue_mode(files, runtime=runtime, timeout=1)
    aws("sns").publish(TopicArn=topic, Message='{"n": 1}')
    record = receive_one(aws, queue_url)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    if condition == "timeout":
        assert "Task timed out after 1.00 seconds" in record["responsePayload"]["errorMessage"]
    else:
        assert record["responsePayload"]["errorType"] == "TypeError"


def faast_zip(ext: str) -> dict:
    runtime_dir = "node" if ext == "js" else "python"
    return {f"trampoline.{ext}": read_text("runtimes", runtime_dir, f"trampoline.{ext}"),
            f"faast_module.{ext}": read_text("Tests", "Fixtures", "modules", f"sample.{ext}")}


@pytest.mark.parametrize("runtime,ext", [("nodejs20.x", "js"), ("python3.12", "py")])
def test_real_trampoline_hello(aws, make_function, runtime, ext):
    name = make_function(faast_zip(ext), runtime=runtime)
    r, payload, log = invoke(aws, name, {"callId": 9, "op": "call", "name": "hello", "args": ["world"]})
    assert "FunctionError" not in r, payload
    assert payload["callId"] == 9 and payload["type"] == "returned", payload
    assert payload["value"] == "hello world!"
    assert "REPORT RequestId:" in log


@pytest.mark.parametrize("runtime,ext", [("nodejs20.x", "js"), ("python3.12", "py")])
def test_real_trampoline_via_sns(aws, queue_mode, runtime, ext):
    name, arn, topic, queue_url = queue_mode(faast_zip(ext), runtime=runtime)
    aws("sns").publish(TopicArn=topic, Message=json.dumps({"callId": 3, "op": "call", "name": "hello", "args": ["sns"]}))
    record = receive_one(aws, queue_url)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"]["callId"] == 3
    assert record["responsePayload"]["value"] == "hello sns!"


def test_extra_files_in_zip(aws, make_function):
    name = make_function({"trampoline.js": NODE_SUB_MODULE, "faast_module.js": "exports.double = (x) => 2 * x;"})
    _, payload, _ = invoke(aws, name, {"callId": 1, "x": 21})
    assert payload["value"] == 42


def test_update_function_code_is_picked_up(aws, make_function):
    name = make_function({"trampoline.js": "exports.handler = async () => 'v1';"})
    assert invoke(aws, name, {})[1] == "v1"
    aws("lambda").update_function_code(FunctionName=name, ZipFile=make_zip({"trampoline.js": "exports.handler = async () => 'v2';"}))
    assert invoke(aws, name, {})[1] == "v2"


def test_missing_handler_module(aws, make_function):
    r, payload, _ = invoke(aws, make_function({"other.js": "exports.handler = async () => 1;"}), {})
    assert r["FunctionError"] == "Unhandled" and payload["errorType"] == "Runtime.ImportModuleError"
    r, payload, _ = invoke(aws, make_function({"other.py": "x = 1"}, runtime="python3.12"), {})
    assert r["FunctionError"] == "Unhandled" and payload["errorType"] == "Runtime.ImportModuleError"


def test_concurrent_invocations(aws, make_function):
    from concurrent.futures import ThreadPoolExecutor

    name = make_function({"trampoline.js": "exports.handler = async (e) => { const start = Date.now(); "
                          "await new Promise((r) => setTimeout(r, 500)); return [e.i, start, Date.now()]; };"})
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: invoke(aws, name, {"i": i})[1], range(8)))
    assert [r[0] for r in results] == list(range(8))
    # They ran in parallel: some invocation started before another had ended (the functions' own clocks).
    assert any(a[1] < b[2] and b[1] < a[2] for a in results for b in results if a is not b)


def test_async_retries_then_on_failure(aws, queue_mode):
    name, arn, topic, queue_url = queue_mode({"trampoline.py": "def handler(e, c):\n    raise RuntimeError('always')\n"},
                                             runtime="python3.12")
    aws("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": aws("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]}})
    aws("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"x": 1}')
    record = receive_one(aws, queue_url)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"x": 1}
    assert record["responsePayload"]["errorType"] == "RuntimeError"
