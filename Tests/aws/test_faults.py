"""faast on AWS under injected faults: the built binary against moto_server through fault_proxy.py.

What is checked is what users rely on: a call that may have reached Lambda is never sent again (by faast or by
libcurl), every call is reported exactly once, throttling before acceptance is retried and counted, and
nothing is left behind without a message naming it. Executions are counted by moto_lambda.py (one line per
run of the function, with faast's call id), not inferred from faast's own output.

Needs $AWS_ENDPOINT_URL (scripts/test starts moto with `scripts/moto start`) and the faast binary ($FAAST_BIN).
"""
from __future__ import annotations

import collections
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "Fixtures" / "modules"
PROXY = pathlib.Path(__file__).resolve().parent / "fault_proxy.py"
EXECUTIONS = pathlib.Path(os.environ.get("MOTO_LAMBDA_EXECUTIONS") or REPO / ".build" / "moto.executions.jsonl")
FAAST_BIN = os.environ.get("FAAST_BIN") or str(REPO / ".build" / "debug" / "faast")
MOTO = os.environ.get("AWS_ENDPOINT_URL", "")

# Bounds for hung processes only (never asserted as timings).
RUN_TIMEOUT = 300

pytestmark = pytest.mark.skipif(not MOTO, reason="needs moto_server: run through scripts/test (AWS_ENDPOINT_URL)")


class Proxy:
    def __init__(self, rules):
        self.process = subprocess.Popen(
            [sys.executable, str(PROXY), "--upstream", MOTO, "--rules", json.dumps(rules)],
            stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        assert line.startswith("ready "), f"fault proxy did not start: {line!r}"
        self.url = line.split(" ", 1)[1]

    def rules(self, rules):
        request = urllib.request.Request(self.url + "/__faults/rules", data=json.dumps(rules).encode(), method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def stats(self):
        return json.loads(urllib.request.urlopen(self.url + "/__faults/stats", timeout=10).read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def proxy():
    p = Proxy([])
    yield p
    p.stop()


def boto(service):
    import boto3
    return boto3.client(service, endpoint_url=MOTO, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def faast_env(endpoint, home):
    """The environment of a faast run against `endpoint`, with its own home, state and cache under `home`."""
    return dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                AWS_REGION="us-east-1", NO_COLOR="1", HOME=str(home), XDG_STATE_HOME=str(home / "state"),
                XDG_CACHE_HOME=str(home / "cache"), SWIFT_BACKTRACE="enable=no")


def faast(endpoint, *args, tmp_path, timeout=RUN_TIMEOUT):
    return subprocess.run([FAAST_BIN, *args], env=faast_env(endpoint, tmp_path), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class Executions:
    """The function executions moto records from now on."""

    def __init__(self):
        self.offset = EXECUTIONS.stat().st_size if EXECUTIONS.exists() else 0

    def since(self):
        assert EXECUTIONS.exists(), f"{EXECUTIONS} is missing: moto must run with --executions (scripts/moto start)"
        with open(EXECUTIONS, encoding="utf-8") as f:
            f.seek(self.offset)
            return [json.loads(line) for line in f if line.strip()]


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def summary(stdout):
    calls = [d for d in json_lines(stdout) if d.get("command") == "call" and "count" in d]
    assert calls, stdout
    return calls[-1]


def session_of(executions):
    names = {e["function"] for e in executions if e.get("callId") == "describe"}
    assert len(names) == 1, names
    return names.pop()


def check_at_most_once(executions, function, count):
    """Every call id c1..cN ran at most once, and nothing was sent again under another id (c5.1)."""
    ids = collections.Counter(e["callId"] for e in executions if e["function"] == function and e["callId"] != "describe")
    twice = {k: v for k, v in ids.items() if v > 1}
    assert not twice, f"calls that ran more than once: {twice}"
    retried = [k for k in ids if "." in k]
    assert not retried, f"calls sent again after they may have run: {retried}"
    assert all(re.fullmatch(r"c\d+", k) for k in ids), ids
    assert len(ids) <= count
    return ids


def test_https_fanout_with_resets_after_acceptance_runs_each_call_at_most_once(proxy, tmp_path):
    proxy.rules([{"op": "Invoke", "fault": "reset", "when": "after", "every": 7}])
    runs = Executions()
    r = faast(proxy.url, "--provider", "aws", "--format", "json", "--timeout", "20", "--continue-on-error",
              str(FIXTURES / "sample.js"), "-c", "call noop($i) x120 concurrency=8", tmp_path=tmp_path)
    s = summary(r.stdout)
    faulted = proxy.stats()["Invoke"]["faulted"]
    assert faulted >= 120 // 7, proxy.stats()
    assert s["succeeded"] + s["failed"] == 120, s
    assert s["failed"] == faulted, (s, proxy.stats())
    assert {g["kind"] for g in s["failures"]} == {"mayHaveRun"}, s["failures"]
    # One sentence: the cause, then once that the call may have run and was not run again.
    assert all(g["message"].startswith("noop on Lambda: ") and g["message"].count("may have run") == 1
               and g["message"].endswith("(it may have run, so faast did not run it again; rerun=N allows that)")
               for g in s["failures"]), s["failures"]
    assert s["retried"] == 0, s
    ids = check_at_most_once(runs.since(), session_of(runs.since()), 120)
    # A reset after acceptance means it ran: every call ran, once.
    assert len(ids) == 120, len(ids)
    assert r.returncode == 1, (r.returncode, r.stderr)


def test_queue_fanout_with_publish_errors_after_acceptance_runs_each_call_once(proxy, tmp_path):
    proxy.rules([{"op": "PublishBatch", "fault": "status", "status": 500, "when": "after", "every": 3}])
    runs = Executions()
    r = faast(proxy.url, "--provider", "aws", "--format", "json", "--timeout", "20",
              str(FIXTURES / "sample.js"), "-c", "call noop($i) x60 mode=queue concurrency=10", tmp_path=tmp_path)
    s = summary(r.stdout)
    stats = proxy.stats()["PublishBatch"]
    assert stats["faulted"] == stats["seen"] // 3 >= 1, stats
    # The records of the calls whose PublishBatch answered 500 still arrive: each is its call's one result.
    assert s["succeeded"] + s["failed"] == 60, s
    assert s["succeeded"] == 60, s
    assert s["retried"] == 0, s
    # Each call was published once: nothing that may have been taken was sent again.
    assert stats["entries"] == 60, stats
    ids = check_at_most_once(runs.since(), session_of(runs.since()), 60)
    assert len(ids) == 60
    assert r.returncode == 0, r.stderr


def test_throttling_before_acceptance_is_retried_and_counted(proxy, tmp_path):
    proxy.rules([
        {"op": "Invoke", "fault": "status", "status": 429, "when": "before", "every": 5},
        # A throttled PublishBatch: all its entries go again.
        {"op": "PublishBatch", "fault": "status", "status": 429, "when": "before", "every": 4},
    ])
    runs = Executions()
    r = faast(proxy.url, "--provider", "aws", "--format", "json", "--timeout", "20", str(FIXTURES / "sample.js"),
              # Every 5th request is throttled whoever sends it, so one call can draw several 429s in a row:
              # enough retries that none runs out, so every throttled attempt is retried and counted.
              "-c", "call noop($i) x30 concurrency=5 retries=10",
              "-c", "call noop($i) x20 mode=queue concurrency=5 retries=10", tmp_path=tmp_path)
    calls = [d for d in json_lines(r.stdout) if d.get("command") == "call" and "count" in d]
    assert len(calls) == 2, r.stdout + r.stderr
    stats = proxy.stats()
    https, queue = calls
    assert https["succeeded"] == 30 and queue["succeeded"] == 20, (https, queue)
    assert https["retried"] == stats["Invoke"]["faulted"] > 0, (https, stats)
    # Every entry sent beyond the 20 calls is the retry of a throttled one.
    assert stats["PublishBatch"]["faulted"] > 0, stats
    assert queue["retried"] == stats["PublishBatch"]["entries"] - 20 > 0, (queue, stats)
    executions = runs.since()
    function = session_of(executions)
    ran = collections.Counter(e["callId"] for e in executions if e["function"] == function)
    # A throttled request never reached the function: each call ran exactly once, under the id of the
    # attempt that was taken.
    assert sum(ran.values()) == 1 + 30 + 20, ran
    assert max(ran.values()) == 1, ran
    assert r.returncode == 0, r.stderr


def test_cleanup_that_cannot_delete_the_function_exits_nonzero_naming_it(proxy, tmp_path):
    proxy.rules([{"op": "DeleteFunction", "fault": "status", "status": 500, "when": "before"}])
    runs = Executions()
    r = faast(proxy.url, "--provider", "aws", str(FIXTURES / "sample.js"), "-c", 'call hello("x")', tmp_path=tmp_path)
    function = session_of(runs.since())
    assert r.returncode != 0, (r.returncode, r.stdout, r.stderr)
    assert function in r.stderr, r.stderr
    assert "faast cleanup aws" in r.stderr and "aws lambda delete-function" in r.stderr, r.stderr
    names = [f["FunctionName"] for f in boto("lambda").list_functions()["Functions"]]
    assert function in names
    # What was left is found and removed by `faast cleanup aws --execute` once AWS answers again.
    proxy.rules([])
    listed = faast(proxy.url, "cleanup", "aws", tmp_path=tmp_path)
    assert function in listed.stdout, listed.stdout
    gone = faast(proxy.url, "cleanup", "aws", "--execute", "--force", tmp_path=tmp_path)
    assert f"deleted function {function}" in gone.stdout, gone.stdout + gone.stderr
    assert function not in [f["FunctionName"] for f in boto("lambda").list_functions()["Functions"]]


def test_cleanup_can_run_again_after_a_partial_failure(proxy, tmp_path):
    # The first cleanup fails on every attempt (6, with the client's retries); the one at exit then succeeds.
    proxy.rules([{"op": "DeleteFunction", "fault": "status", "status": 500, "when": "before", "times": 6}])
    runs = Executions()
    r = faast(proxy.url, "--provider", "aws", "--continue-on-error", str(FIXTURES / "sample.js"),
              "-c", 'call hello("x")', "-c", "cleanup", "-c", "cleanup", tmp_path=tmp_path)
    function = session_of(runs.since())
    assert f"cleanup left function {function} behind" in r.stderr, r.stderr
    assert f"deleted function {function}" in r.stdout, r.stdout
    assert function not in [f["FunctionName"] for f in boto("lambda").list_functions()["Functions"]]


@pytest.mark.parametrize("module", ["sample.js", "sample.py"])
def test_a_stalled_describe_on_lambda_delays_no_call(proxy, tmp_path, module):
    # Lambda's description of the module (the Invoke that carries the describe request) is held far longer than the
    # run may take: the calls' results, `help` and the name check can come only from the description made here.
    proxy.rules([{"op": "Invoke", "fault": "stall", "seconds": 900, "body_contains": '"op":"describe"'}])
    r = faast(proxy.url, "--provider", "aws", str(FIXTURES / module), "-c", 'call hello("x")', "-c", "call add(2, 3)",
              "-c", "help hello", "-c", "call helo(1)", tmp_path=tmp_path)
    assert r.stdout.startswith('"hello x!"\n5\nhello(name)'), r.stdout + r.stderr
    assert "no function 'helo' in %s (did you mean 'hello'?)" % module in r.stderr, r.stderr
    assert r.returncode == 2, r.stderr
    stats = proxy.stats()
    # The describe (held, never answered) and the two calls; the exit's cleanup gave up waiting for the describe.
    assert stats["Invoke"] == {"seen": 3, "faulted": 1}, stats
    assert stats["DeleteFunction"]["seen"] == 1, stats


def test_a_stalled_describe_delays_no_call_after_a_code_only_update(proxy, tmp_path):
    # A kept session whose code changed is updated in place; Lambda's new description is held (never answered):
    # the call, and the exit that keeps the session again, do not wait for it.
    module = tmp_path / "m.js"
    module.write_text((FIXTURES / "sample.js").read_text())
    kept = faast(proxy.url, "--provider", "aws", "--keep", str(module), "-c", 'call hello("x")', tmp_path=tmp_path)
    assert kept.returncode == 0, kept.stderr
    with open(module, "a") as f:
        f.write("\nmodule.exports.added = () => 'new';\n")
    proxy.rules([{"op": "Invoke", "fault": "stall", "seconds": 900, "body_contains": '"op":"describe"'}])
    r = faast(proxy.url, "--provider", "aws", "--keep", str(module), "-c", "call added()", "-c", "cleanup", tmp_path=tmp_path)
    assert "updated its code in place" in r.stderr, r.stderr
    assert r.stdout.startswith('"new"\n'), r.stdout + r.stderr
    assert r.returncode == 0, r.stderr
    assert proxy.stats()["Invoke"] == {"seen": 2, "faulted": 1}, proxy.stats()


def faast_resources():
    """Every faast function, log group, queue and topic moto holds."""
    return {
        "functions": {f["FunctionName"] for f in boto("lambda").list_functions()["Functions"]},
        "log groups": {g["logGroupName"] for g in boto("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/faast-")["logGroups"]},
        "queues": set(boto("sqs").list_queues(QueueNamePrefix="faast-").get("QueueUrls", [])),
        "topics": {t["TopicArn"] for t in boto("sns").list_topics()["Topics"] if ":faast-" in t["TopicArn"]},
    }


@pytest.mark.parametrize("mode", ["https", "queue"])
def test_create_function_accepted_but_answered_with_an_error_is_rolled_back(proxy, tmp_path, mode):
    # In queue mode the queue and topic are made beside the package and the log group, before CreateFunction
    # fails: the rollback removes them too.
    proxy.rules([{"op": "CreateFunction", "fault": "status", "status": 500, "when": "after"}])
    before = faast_resources()
    r = faast(proxy.url, "--provider", "aws", "--mode", mode, str(FIXTURES / "sample.js"), "-c", 'call hello("x")',
              tmp_path=tmp_path)
    assert r.returncode != 0
    assert proxy.stats()["CreateFunction"]["faulted"] >= 1
    if mode == "queue":
        assert proxy.stats()["CreateQueue"]["seen"] == 1 and proxy.stats()["CreateTopic"]["seen"] == 1, proxy.stats()
    after = faast_resources()
    left = {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}
    assert not left, f"left behind: {left}\n{r.stderr}"


def alive(pid):
    """Whether `pid` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_failed_step_stops_a_long_install_and_rolls_back(proxy, tmp_path):
    # dependencies= names a package whose install script records its pid and sleeps for 10 minutes. The role check
    # fails (403) only once that script runs: the deploy stops the install (npm and its script), rolls back what the
    # other steps made and says what it undid; the run could not end before the sleep if it waited for npm.
    import io
    import tarfile
    project = tmp_path / "project"
    (project / "vendor").mkdir(parents=True)
    pids = tmp_path / "install.pids"
    manifest = json.dumps({"name": "slow", "version": "1.0.0", "scripts": {"install": f"echo $$ >> {pids}; exec sleep 600"}})
    with tarfile.open(project / "vendor" / "slow-1.0.0.tgz", "w:gz") as tar:
        data = manifest.encode()
        info = tarfile.TarInfo("package/package.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (project / "package.json").write_text(json.dumps(
        {"name": "app-" + os.urandom(4).hex(), "dependencies": {"slow": "file:./vendor/slow-1.0.0.tgz"}}))
    (project / "mod.js").write_text("exports.f = () => 1;\n")
    proxy.rules([{"op": "GetRole", "fault": "status", "status": 403, "wait_for_file": str(pids)}])
    before = faast_resources()
    layers = {l["LayerName"] for l in boto("lambda").list_layers()["Layers"]}
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(faast_env(proxy.url, tmp_path), TMPDIR=str(scratch))
    r = subprocess.run([FAAST_BIN, "--provider", "aws", "--dependencies", "package.json", "mod.js", "-c", "call f()"],
                       env=env, cwd=project, capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, r.stderr
    assert "injected 403 for GetRole" in r.stderr, r.stderr
    assert "; rolled back: stopped installing package.json for Lambda (x86_64), deleted log group /aws/lambda/faast-" in r.stderr, r.stderr
    started = [int(p) for p in pids.read_text().split()]
    assert started, "the install script never ran"
    # Nothing left: no process of the install (bounded wait for the kernel to reap them), no resource, no layer,
    # no scratch folder.
    for _ in range(100):
        if not any(alive(p) for p in started):
            break
        time.sleep(0.1)
    assert not any(alive(p) for p in started), started
    after = faast_resources()
    assert all(after[k] == before[k] for k in after), (before, after)
    assert {l["LayerName"] for l in boto("lambda").list_layers()["Layers"]} == layers
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("faast-")], list(scratch.iterdir())


def test_interrupted_deploy_removes_a_topic_whose_answer_never_came(proxy, tmp_path):
    # CreateTopic is taken by moto but its answer is held; Ctrl-C then cancels the deploy. The rollback never
    # learned the topic's ARN: it finds it by name, with the queue made beside it.
    proxy.rules([{"op": "CreateTopic", "fault": "stall", "seconds": 20, "when": "after"}])
    before = faast_resources()
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", NO_COLOR="1", HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), SWIFT_BACKTRACE="enable=no")
    p = subprocess.Popen([FAAST_BIN, "--provider", "aws", "--mode", "queue", str(FIXTURES / "sample.js"), "-c", 'call hello("x")'],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        for _ in range(300):  # until moto has made the topic (bounded: 30 s)
            if proxy.stats().get("CreateTopic", {}).get("seen") and [t for t in faast_resources()["topics"] - before["topics"]]:
                break
            time.sleep(0.1)
        assert faast_resources()["topics"] - before["topics"], "CreateTopic never reached moto"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=RUN_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode != 0, (out, err)
    after = faast_resources()
    left = {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}
    assert not left, f"left behind: {left}\n{err}"
    assert "the deploy was cancelled" in err, err


def delete_role(name="faast-lambda-role"):
    iam = boto("iam")
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        pass


def test_three_concurrent_first_deploys_share_one_role(proxy, tmp_path):
    delete_role()
    # Each GetRole's answer (NoSuchEntity) is held, so all three sessions decide to create the role.
    proxy.rules([{"op": "GetRole", "fault": "stall", "seconds": 1.5, "when": "after", "times": 3}])
    env_dirs = [tmp_path / f"s{i}" for i in range(3)]
    for d in env_dirs:
        d.mkdir()
    procs = []
    for d in env_dirs:
        env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION="us-east-1", NO_COLOR="1", HOME=str(d), XDG_STATE_HOME=str(d), XDG_CACHE_HOME=str(d),
                   SWIFT_BACKTRACE="enable=no")
        procs.append(subprocess.Popen([FAAST_BIN, "--provider", "aws", str(FIXTURES / "sample.js"), "-c", 'call hello("r")'],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      stdin=subprocess.DEVNULL))
    results = [p.communicate(timeout=RUN_TIMEOUT) + (p.returncode,) for p in procs]
    for out, err, code in results:
        assert code == 0, err
        assert '"hello r!"' in out
    assert proxy.stats()["CreateRole"]["seen"] >= 2, proxy.stats()
    policies = boto("iam").list_role_policies(RoleName="faast-lambda-role")["PolicyNames"]
    assert policies == ["faast-least-privilege"]


@pytest.mark.parametrize("damage", ["missing", "outdated"])
def test_a_role_without_its_current_policy_is_repaired(tmp_path, damage):
    iam = boto("iam")
    r = faast(MOTO, "--provider", "aws", str(FIXTURES / "sample.js"), "-c", 'call hello("a")', tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    iam.delete_role_policy(RoleName="faast-lambda-role", PolicyName="faast-least-privilege")
    if damage == "outdated":
        iam.put_role_policy(RoleName="faast-lambda-role", PolicyName="faast-least-privilege", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    r = faast(MOTO, "--provider", "aws", str(FIXTURES / "sample.js"), "-c", 'call hello("b")', tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    document = iam.get_role_policy(RoleName="faast-lambda-role", PolicyName="faast-least-privilege")["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    actions = [a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert "sqs:SendMessage" in actions and "logs:CreateLogStream" in actions, document


def test_an_invalid_region_is_refused_before_any_request(proxy, tmp_path):
    for args, source in [(["--provider", "aws"], "AWS_REGION")]:
        env_region = "evil.example/x?"
        env = dict(os.environ, AWS_ENDPOINT_URL=proxy.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION=env_region, HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path), NO_COLOR="1")
        r = subprocess.run([FAAST_BIN, *args, str(FIXTURES / "sample.js"), "-c", "functions"], env=env,
                           capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        assert r.returncode != 0
        assert f"invalid region '{env_region}' (from {source})" in r.stderr, r.stderr
    r = faast(proxy.url, "cleanup", "aws", "--region", "us-east-1.evil", tmp_path=tmp_path)
    assert r.returncode != 0 and "invalid region 'us-east-1.evil' (from --region)" in r.stderr, r.stderr
    assert proxy.stats() == {}, "no request may be sent for an invalid region"


def test_cleanup_execute_keeps_the_role_while_a_function_runs_as_it(tmp_path):
    import io
    import zipfile
    r = faast(MOTO, "--provider", "aws", str(FIXTURES / "sample.js"), "-c", 'call hello("role")', tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    arn = boto("iam").get_role(RoleName="faast-lambda-role")["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    other = "not-faast-uses-the-role"
    boto("lambda").create_function(FunctionName=other, Runtime="python3.12", Role=arn, Handler="index.handler",
                                   Code={"ZipFile": package.getvalue()})
    try:
        kept = faast(MOTO, "cleanup", "aws", "--execute", "--force", tmp_path=tmp_path)
        assert kept.returncode == 1, kept.stdout + kept.stderr
        assert f"could not delete role faast-lambda-role: still used by {other}" in kept.stdout, kept.stdout
        assert boto("iam").get_role(RoleName="faast-lambda-role")
    finally:
        boto("lambda").delete_function(FunctionName=other)
    gone = faast(MOTO, "cleanup", "aws", "--execute", "--force", tmp_path=tmp_path)
    assert "deleted role faast-lambda-role" in gone.stdout, gone.stdout + gone.stderr
    assert gone.returncode == 0
