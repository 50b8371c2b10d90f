"""Every command's JSON output, its mistakes included, against the schema kept in the repo
(Tests/Fixtures/schema/output.json): each object standard output holds with --format json must match exactly
one of the schema's shapes, every command of the language must have been seen, and every shape used."""
import json
import os
import re

import jsonschema
import pytest

from conftest import EXAMPLES, FIXTURES, REPO

SCHEMA = json.loads((REPO / "Tests" / "Fixtures" / "schema" / "output.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
JS = EXAMPLES / "functions.js"
PY = EXAMPLES / "functions.py"
DEPLOY_TIMEOUT = 300


def checked(r, codes=(0,)):
    """The objects of a run's standard output, each validated; nothing else may be there."""
    assert r.returncode in codes, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    objects = []
    for line in r.stdout.splitlines():
        o = json.loads(line)
        errors = list(VALIDATOR.iter_errors(o))
        assert not errors, f"{line[:500]}\n" + "\n".join(e.message[:300] for e in errors[:5])
        objects.append(o)
    return objects


def shape(o):
    """The name of the schema shape `o` matches (exactly one does, or validation failed)."""
    names = [ref["$ref"].split("/")[-1] for ref in SCHEMA["oneOf"]]
    for n in names:
        sub = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{n}"}
        if jsonschema.Draft202012Validator(sub).is_valid(o):
            return n
    return None


def language_keywords(faast):
    """Every command keyword, from the README tables the binary generates from its own table."""
    commands_table = faast.run("--generate-language-reference").stdout.split("\n\n")[0]
    return {m.group(1) for m in re.finditer(r"^\| `([a-zA-Z]+)", commands_table, re.M)}


def test_every_command_and_mistake_matches_the_schema(faast, tmp_path):
    seen = []
    module = tmp_path / "gens.js"
    module.write_text((FIXTURES / "generators.js").read_text())
    (tmp_path / "other.faast").write_text("print from a sourced file\n")

    # Everything that succeeds, in one local session (node).
    seen += checked(faast.run(
        JS, "--format", "json",
        "-c", "functions", "-c", "help", "-c", "help add", "-c", "status", "-c", "stats",
        "-c", 'call hello("json")', "-c", "call square($i) x5", "-c", "map add [[1, 2], [3, 4]]",
        "-c", "let v = 5", "-c", "let w = call add(1, 2)", "-c", "let xs = map square [1, 2]",
        "-c", "let ys = call square($i) x2", "-c", "expect call add(1, 2) == 3", "-c", 'expect call fail("x") fails',
        "-c", "results", "-c", "stats", "-c", "stats square", "-c", "cost", "-c", "cost csv", "-c", "cost json",
        "-c", "logUrl", "-c", "logUrl add", "-c", "logs last=3", "-c", "logs square", "-c", "history last=2",
        "-c", "set concurrency=3 rate=100 pipeline=off", "-c", "status", "-c", "print the value was $v", "-c", "sleep 0",
        "-c", f"source {tmp_path / 'other.faast'}", "-c", "package", "-c", "analyze call square($i) x3 memory=128,256",
        "-c", "gc", "-c", "reload", "-c", "keep", "-c", "cleanup", "-c", "status", "-c", "exit"))
    # Failures that let the session go on (--continue-on-error): calls, fan-outs, expectations.
    seen += checked(faast.run(
        JS, "--format", "json", "--continue-on-error",
        "-c", 'call fail("boom")', "-c", 'call fail("f") x3', "-c", 'map fail ["a"]', "-c", "expect call add(1, 1) == 3",
        "-c", "expect call add(1, 1) fails", "-c", "call sleep(2000) timeout=0.2", "-c", "let z = call fail(1)",
        "-c", "call square(2) x3", "-c", 'analyze call fail("a") x2 memory=128'), codes=(1,))
    # Generators (their values first, one object each) and python.
    seen += checked(faast.run(module, "--format", "json", "-c", "call countdown(3)"))
    seen += checked(faast.run(PY, "--format", "json", "-c", 'call hello("py")', "-c", "status", "-c", "functions"))

    # Mistakes: each stops its run, so each gets one.
    script = tmp_path / "bad.faast"
    script.write_text(f"open {JS}\ncall add(1,\n")
    for args, code in [
        (["-c", "calll x"], 2), (["-c", 'call hello("x)'], 2), (["-c", "call helo(1)"], 2), (["-c", "call add(1) x1e9"], 2),
        (["-c", "set timeout=1e308"], 2), (["-c", "cost xml"], 2), (["-c", "results"], 2), (["-c", "stats nosuch"], 2),
        (["-c", "expect call add(1, 1) fails nokind"], 2), (["-c", "source /nonexistent.faast"], 2),
        (["-c", "let i = 1"], 2), (["-c", "hello(1)"], 2), (["-c", "sleep $nothing"], 2),
        (["-c", "open exmaples/functions.js"], 2), (["-c", "package examples/functons.py"], 2),
    ]:
        seen += checked(faast.run(JS, "--format", "json", *args), codes=(code,))
    for args, code in [
        (["--bogus"], 2), (["--timeout", "inf"], 2), ([str(tmp_path / "nothere.faast")], 2), ([str(script)], 2),
        ([str(tmp_path / "nothere.js")], 2), ([str(FIXTURES / "throws_on_load.js")], 1), ([str(FIXTURES / "broken.py")], 1),
        (["examples/functons.js"], 2),
        (["-c", "call add(1, 2)"], 2), (["-c", "status"], 0), (["-c", "functions"], 2),
    ]:
        seen += checked(faast.run("--format", "json", *args), codes=(code,))

    commands = {o["command"] for o in seen}
    # `source` and `exit` report nothing of their own (what a sourced file runs reports itself).
    assert language_keywords(faast) - {"source", "exit", "quit"} <= commands, language_keywords(faast) - commands
    assert None in commands
    shapes = {shape(o) for o in seen}
    unused = {ref["$ref"].split("/")[-1] for ref in SCHEMA["oneOf"]} - shapes
    assert unused == set(), f"shapes no output matched: {unused}"
    suggested = [o["error"]["suggestions"] for o in seen if "suggestions" in o.get("error", {})]
    assert suggested == [["examples/functions.js"], ["examples/functions.py"], [str(tmp_path / "other.faast")],
                         ["examples/functions.js"]], suggested
    kinds = {o["error"]["kind"] for o in seen if "error" in o}
    assert {"syntax", "usage", "exception", "timeout", "deployFailed"} <= kinds, kinds


def test_the_schema_refuses_what_it_does_not_describe():
    """The schema is strict: a field it does not name, a number as a string, or a missing field is refused."""
    good = {"command": "status", "ok": True, "open": False}
    assert VALIDATOR.is_valid(good)
    assert not VALIDATOR.is_valid({**good, "extra": 1})
    call = {"command": "call", "ok": True, "function": "f", "value": 1, "latencyMs": 0.5, "attempts": 1, "coldStart": False}
    assert VALIDATOR.is_valid(call)
    assert not VALIDATOR.is_valid({**call, "attempts": "1"})
    assert not VALIDATOR.is_valid({k: v for k, v in call.items() if k != "value"})
    assert not VALIDATOR.is_valid({"command": "expect", "ok": False, "expectation": "f() == 1"})  # no line
    assert not VALIDATOR.is_valid({"command": "call", "ok": False})  # a failure without its error


@pytest.fixture
def aws_env(env):
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        pytest.skip("no moto_server (scripts/test starts one and exports AWS_ENDPOINT_URL)")
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1")
    for k in [k for k in env if k.startswith("AWS_ENDPOINT_URL_") or k == "AWS_PROFILE"]:
        env.pop(k)
    return env


def test_aws_objects_match_the_schema(faast, aws_env, tmp_path):
    """On AWS (moto_server): status has the provider's typed fields, queue mode its delivery counts."""
    objects = checked(faast.run(
        "--provider", "aws", JS, "--format", "json", "-c", "call add(1, 2)", "-c", "call square($i) x3",
        "-c", "call square($i) x2 mode=queue", "-c", "status", "-c", "stats", "-c", "cost", "-c", "cleanup",
        timeout=DEPLOY_TIMEOUT))
    status = [o for o in objects if o["command"] == "status"][0]
    assert status["provider"] == "aws" and isinstance(status["awsRetries"], int)
    assert status["queueResults"]["delivered"] >= 2
    assert status["queueRequests"]["published"] >= 2 and status["queueRequests"]["publishBatches"] >= 1
    assert [o["values"] for o in objects if o["command"] == "call" and "values" in o] == [[0, 1, 4], [0, 1]]
