"""Generator functions through the binary: the result is the array of yielded values (for `let`, `expect`,
fan-outs and piped text), JSON mode writes one object per value as it arrives, and a terminal shows a live
list. Streaming is checked by behaviour: waitForFile cannot finish before the test, having seen its first
value, creates the file it waits for."""
import json
import time

import pexpect
import pytest

from conftest import FIXTURES

MODULES = [FIXTURES / "generators.js", FIXTURES / "generators.py"]
IDS = ["node", "python"]


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_result_is_the_array(faast, module):
    r = faast.run(module, "-c", "call countdown(3)", "-c", "let xs = call countdown(2)", "-c", "print $xs",
                  "-c", "expect call countdown(3) == [3, 2, 1]", "-c", "call countdown($i) x3", "-c", "results")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # piped text output stays exact: the value, not the live list
    assert lines[0:3] == ["[3, 2, 1]", "[2,1]", "✓ countdown(3) == [3,2,1]"], lines
    assert "0: []" in lines and "1: [1]" in lines and "2: [2,1]" in lines


# Locally over the worker's pipe; on Lambda (moto) in queue mode, each value a message on the session's queue
# (node's trampoline signs its SendMessage itself, python's uses boto3).
PLACES = [([], ""), (["--provider", "aws"], " mode=queue")]


@pytest.mark.parametrize("place", PLACES, ids=["local", "aws-queue"])
@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_json_streams_each_value_then_the_result(faast, module, tmp_path, place, request):
    flags, options = place
    if flags:
        request.getfixturevalue("aws_env")
    flag = tmp_path / "flag"
    p = faast.popen(*flags, module, "--format", "json", "-c", 'call waitForFile("%s", 20000)%s' % (flag, options))
    try:
        seen = []
        for _ in range(5):  # the open object, then the first value
            line = p.stdout.readline()
            assert line, p.stderr.read()
            seen.append(json.loads(line))
            if seen[-1].get("event") == "yield":
                break
        first = seen[-1]
        assert first == {"command": "call", "ok": True, "event": "yield", "function": "waitForFile", "attempt": 1,
                         "seq": 0, "value": "first"}
        flag.write_text("go")  # only now can the function go on
        rest = [json.loads(l) for l in p.stdout.read().splitlines()]
        assert p.wait(30) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
    assert rest[0]["event"] == "yield" and rest[0]["seq"] == 1 and rest[0]["value"] == "second"
    assert rest[1]["command"] == "call" and rest[1]["ok"] is True and "event" not in rest[1]
    assert rest[1]["value"] == ["first", "second"]


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_error_after_yields_keeps_them(faast, module):
    r = faast.run(module, "--format", "json", "-c", 'call failAfter(2, "boom")')
    assert r.returncode == 1
    objs = [json.loads(l) for l in r.stdout.splitlines()]
    assert [o["value"] for o in objs if o.get("event") == "yield"] == [0, 1]
    err = objs[-1]["error"]
    assert err["kind"] == "exception" and err["properties"]["yielded"] == [0, 1]


@pytest.mark.parametrize("module", MODULES, ids=IDS)
def test_terminal_shows_a_live_list(faast_bin, env, module, tmp_path):
    flag = tmp_path / "flag"
    child = pexpect.spawn(faast_bin, [str(module)], env=dict(env, TERM="xterm"), encoding="utf-8",
                          dimensions=(24, 200), timeout=20)
    try:
        child.expect_exact(f"{module.name}@local> ")
        time.sleep(0.3)  # libedit's first raw-mode switch flushes keys sent before it (see test_repl)
        child.send('call waitForFile("%s", 20000)\r' % flag)
        child.expect_exact('‣ "first"')
        flag.write_text("go")
        child.expect_exact('‣ "second"')
        child.expect_exact('"first",')
        child.expect_exact(f"{module.name}@local> ")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
