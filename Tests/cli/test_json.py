"""`--format json` as a script reads it: every command's object typed and named, every error an object on
standard output (the command line's own mistakes too), and a fan-out's values streamed in call order."""
import json
import os
import select
import time

from conftest import EXAMPLES, FIXTURES, RUN_TIMEOUT

JS = EXAMPLES / "functions.js"


def objects(stdout):
    """Every line of standard output is one JSON object with `command` and `ok`: nothing else."""
    out = [json.loads(line) for line in stdout.splitlines()]
    for o in out:
        assert isinstance(o, dict) and "command" in o and isinstance(o["ok"], bool), o
    return out


def test_status_values_are_typed(faast):
    r = faast.run(JS, "--format", "json", "-c", "set concurrency=7 rate=50", "-c", "call square(3)", "-c", "status")
    assert r.returncode == 0, r.stderr
    status = objects(r.stdout)[-1]
    assert status["command"] == "status" and status["open"] is True
    assert status["concurrency"] == 7 and status["rate"] == 50 and status["retries"] == 2
    assert status["memory"] == 1024 and status["timeout"] == 60
    assert status["pipeline"] is True and status["mode"] == "https"
    assert status["workers"] >= 1 and isinstance(status["workers"], int)
    assert status["functions"][:3] == ["hello", "add", "square"]
    assert status["calls"] == {"invocations": 1, "completed": 1, "failed": 0, "retries": 0, "reruns": 0}
    assert status["cost"]["total"] == 0 and status["cost"]["lambdaEstimate"] > 0

    r = faast.run("--format", "json", "-c", "status")
    assert objects(r.stdout) == [{"command": "status", "ok": True, "open": False}]


def test_command_line_mistakes_are_json_objects_on_stdout(faast, tmp_path):
    for args, message in [
        (["--bogus"], "Unknown option '--bogus'"),
        (["--timeout", "inf"], "--timeout takes seconds above 0 and up to 86,400, not inf"),
        ([str(tmp_path / "nothere.faast")], f"cannot read {tmp_path / 'nothere.faast'}: no such file"),
        ([str(JS), str(JS)], "a second argument is only for scripts: faast SCRIPT.faast MODULE"),
    ]:
        for form in (["--format", "json"], ["--format=json"]):
            r = faast.run(*form, *args)
            assert r.returncode == 2, (args, r.stderr)
            assert objects(r.stdout) == [{"command": None, "ok": False, "error": {"kind": "usage", "message": message}}]
            assert message in r.stderr  # people still read it on stderr


def test_missing_module_and_load_errors_are_json(faast, tmp_path):
    r = faast.run(tmp_path / "nothere.js", "--format", "json", "-c", "status")
    assert r.returncode == 2
    [o] = objects(r.stdout)
    assert (o["command"], o["ok"], o["error"]["kind"]) == ("open", False, "usage")
    assert o["error"]["message"].endswith("nothere.js: no such file")

    r = faast.run(FIXTURES / "throws_on_load.js", "--format", "json")
    assert r.returncode == 1
    [o] = objects(r.stdout)
    assert (o["command"], o["ok"], o["error"]["kind"]) == ("open", False, "deployFailed")
    assert "boom at load" in o["error"]["message"]

    r = faast.run("--format", "json", "-c", f"open {tmp_path / 'nothere.py'}")
    assert r.returncode == 2
    [o] = objects(r.stdout)
    assert (o["command"], o["error"]["kind"], o["line"]) == ("open", "usage", 1)


def test_syntax_errors_name_their_command_and_place(faast, tmp_path):
    s = tmp_path / "s.faast"
    s.write_text(f"open {JS}\ncall add(1, 2)\nmap square [1,\n  2\n")
    r = faast.run("--format", "json", s)
    assert r.returncode == 2
    [o] = objects(r.stdout)  # nothing of the script ran
    assert o["command"] == "map" and o["error"]["kind"] == "syntax"
    assert (o["error"]["line"], o["error"]["column"], o["error"]["file"]) == (4, 4, str(s))
    assert (o["line"], o["file"]) == (4, str(s))

    r = faast.run(JS, "--format", "json", "-c", 'call hello("x)')
    [_, o] = objects(r.stdout)
    assert (o["command"], o["error"]["kind"], o["error"]["line"], o["error"]["column"]) == ("call", "syntax", 1, 12)


def test_failed_expect_in_a_script_has_its_file_and_line(faast, tmp_path):
    s = tmp_path / "t.faast"
    s.write_text(f"open {JS}\n# a comment\nexpect call add(1, 2) == 3\n\nexpect call square(3) == 10\n")
    r = faast.run("--format", "json", s)
    assert r.returncode == 1
    o = objects(r.stdout)
    assert o[1] == {"command": "expect", "ok": True, "expectation": "add(1, 2) == 3"}
    assert o[2] == {"command": "expect", "ok": False, "expectation": "square(3) == 10", "detail": "got 9",
                    "line": 5, "file": str(s)}


def test_every_command_reports_its_own_name(faast):
    r = faast.run(JS, "--format", "json", "-c", "map square [1, 2, 3]", "-c", "let xs = map add [[1, 2]]",
                  "-c", "let y = call square($i) x2", "-c", "call fail($i) x3")
    assert r.returncode == 1
    o = objects(r.stdout)
    assert [x["command"] for x in o] == ["open", "map", "let", "let", "call"]
    assert o[1]["values"] == [1, 4, 9] and o[2]["values"] == [3] and o[3]["values"] == [0, 1]
    assert o[4]["values"] == [None, None, None] and o[4]["failed"] == 3 and o[4]["line"] == 4


def test_a_big_fan_out_streams_every_value_in_call_order(faast):
    n = 20_000
    r = faast.run(JS, "--format", "json", "-c", f"call square($i) x{n} concurrency=8", timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    o = objects(r.stdout)
    assert len(o) == 2
    fan = o[1]
    assert (fan["command"], fan["ok"], fan["count"], fan["succeeded"]) == ("call", True, n, n)
    assert fan["values"] == [i * i for i in range(n)]
    # The object is written as the calls finish: the values come right after the command, before the summary.
    assert r.stdout.splitlines()[1].startswith('{"command":"call","values":[0,1,4,9,')


def test_values_reach_stdout_while_the_fan_out_runs(faast, tmp_path):
    """The first value is on standard output while a later call is still running (it waits for a file)."""
    module = tmp_path / "waiting.js"
    module.write_text(
        "const fs = require('fs');\n"
        "async function wait(path) {\n"
        "  while (path && !fs.existsSync(path)) await new Promise((r) => setTimeout(r, 10));\n"
        "  return path ? 'done' : 'first';\n"
        "}\n"
        "module.exports = { wait };\n")
    flag = tmp_path / "go"
    p = faast.popen(module, "--format", "json", "-c", f'map wait ["", "{flag}"] concurrency=2')
    try:
        seen = ""
        deadline = time.monotonic() + RUN_TIMEOUT
        fd = p.stdout.fileno()
        os.set_blocking(fd, False)
        while '"values":["first"' not in seen and time.monotonic() < deadline:
            select.select([fd], [], [], 0.5)
            chunk = os.read(fd, 65536) if select.select([fd], [], [], 0)[0] else b""
            seen += chunk.decode()
            assert p.poll() is None, "faast ended before the second call could"
        assert '"values":["first"' in seen
        assert p.poll() is None  # the second call is still waiting
        flag.write_text("")
        os.set_blocking(fd, True)
        rest = p.stdout.read()
        p.wait(timeout=RUN_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0
    o = objects(seen + rest)
    assert o[1]["values"] == ["first", "done"] and o[1]["command"] == "map"


def test_cost_as_csv_and_json(faast):
    import csv
    import io
    r = faast.run(JS, "-c", "call square($i) x4", "-c", "cost csv", "-c", "cost json")
    assert (r.returncode, r.stderr) == (0, "")
    text = r.stdout.split("\n", 1)[1]  # after the fan-out's summary line
    csv_text, json_text = text.split("\n{", 1)
    rows = list(csv.DictReader(io.StringIO(csv_text + "\n")))
    assert list(rows[0]) == ["metric", "unit", "price", "measured", "cost", "informational", "note"]
    by_name = {row["metric"]: row for row in rows}
    assert by_name["localRequests"]["measured"] == "4.0" and by_name["localRequests"]["informational"] == "true"
    assert float(by_name["lambda-estimate:functionCallRequests"]["cost"]) > 0
    snapshot = json.loads("{" + json_text)
    assert snapshot["provider"] == "local" and snapshot["lambdaEstimate"]["total"] > 0
    assert {m["name"] for m in snapshot["metrics"]} == {"localCompute", "localRequests"}

    r = faast.run(JS, "--format", "json", "-c", "cost csv", "-c", "cost xml")
    assert r.returncode == 2
    o = objects(r.stdout)
    assert o[1]["command"] == "cost" and o[1]["csv"].startswith("metric,unit,price,")
    assert o[1]["cost"]["provider"] == "local"
    # A mistake in the second -c line: the first ran; the syntax error names cost.
    assert o[2]["command"] == "cost" and o[2]["error"]["message"] == "cost takes text, csv, json or nothing, not 'xml'"
