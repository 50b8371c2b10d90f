"""The faast binary run as a program: -c, standard input, scripts, exit codes, JSON output, info commands,
signals and orphan workers. Standard output is not a terminal here, so timings are off and output is exact."""
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import EXAMPLES, FIXTURES, RUN_TIMEOUT, wait_for, worker_pids

JS = EXAMPLES / "functions.js"
PY = EXAMPLES / "functions.py"
SAMPLE_JS = FIXTURES / "sample.js"


def script(tmp_path, text, name="s.faast", module=JS):
    """Writes a script next to a copy of `module` (so that `open functions.js` is relative to the script)."""
    folder = tmp_path / "scripts"
    folder.mkdir(exist_ok=True)
    if module is not None:
        (folder / module.name).write_text(module.read_text())
    path = folder / name
    path.write_text(text)
    return path


def json_lines(stdout):
    objects = [json.loads(line) for line in stdout.splitlines()]
    for o in objects:
        assert isinstance(o, dict) and "command" in o and "ok" in o, o
    return objects


# MARK: - Ways to run commands


def test_c_lines_run_in_order(faast):
    r = faast.run(JS, "-c", 'call hello("x")', "-c", "call add(1, 2)", "-c", "call square(9)")
    assert (r.returncode, r.stdout, r.stderr) == (0, '"hello x!"\n3\n81\n', "")


def test_python_module(faast):
    r = faast.run(PY, "-c", 'call hello("py")', "-c", "call add(2, 40)")
    assert (r.returncode, r.stdout, r.stderr) == (0, '"hello py!"\n42\n', "")


def test_commands_on_standard_input(faast):
    r = faast.run(PY, input='call add(1, 2)\n# a comment\n\ncall hello("in")\n')
    assert (r.returncode, r.stdout, r.stderr) == (0, '3\n"hello in!"\n', "")


def test_run_subcommand_with_module_argument(faast, tmp_path):
    s = script(tmp_path, 'call hello("run")\ncall add(1, 1)\n', module=None)
    r = faast.run("run", s, JS)
    assert (r.returncode, r.stdout, r.stderr) == (0, '"hello run!"\n2\n', "")


def test_script_as_first_argument_with_module(faast, tmp_path):
    s = script(tmp_path, 'call hello("second")\n', module=None)
    r = faast.run(s, PY)
    assert (r.returncode, r.stdout, r.stderr) == (0, '"hello second!"\n', "")


def test_open_in_a_script_is_relative_to_the_script(faast, tmp_path):
    s = script(tmp_path, 'open functions.js\ncall hello("rel")\n')
    # Run from another folder: functions.js is only next to the script.
    r = faast.run(s, cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, '"hello rel!"\n', "")


def test_example_hello_script(faast):
    r = faast.run(EXAMPLES / "hello.faast")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout
    assert out.startswith("  hello(name)\n  add(a, b)\n")
    assert '"hello world!"\n42\nthe greeting was: hello faast!\n' in out
    assert "10 ok · 0 failed · 0 retried (square x10, mode https)\n" in out
    assert "0: 0\n1: 1\n2: 4\n" in out and "9: 81\n" in out
    assert "100 ok · 0 failed · 0 retried (hello x100, mode queue)\n" in out
    assert "✓ add(1, 2) == 3\n" in out
    assert "✓ fail(\"on purpose\") fails exception (exception: Error: on purpose)\n" in out
    assert "latency (round trip):" in out and "on AWS Lambda" in out


def test_shebang_script_runs_directly(faast, faast_bin, tmp_path):
    s = script(tmp_path, '#!/usr/bin/env faast\nopen functions.js\ncall hello("shebang")\n', name="exe.faast")
    s.chmod(0o755)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "faast").symlink_to(faast_bin)
    env = dict(faast.env, PATH=f"{bindir}{os.pathsep}{faast.env.get('PATH', '')}")
    r = subprocess.run([str(s)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=RUN_TIMEOUT)
    assert (r.returncode, r.stdout, r.stderr) == (0, '"hello shebang!"\n', "")


# MARK: - Exit codes


def test_failed_call_stops_the_script_with_1(faast, tmp_path):
    s = script(tmp_path, 'open functions.js\ncall add(1, 2)\ncall fail("boom")\nprint after\n')
    r = faast.run(s)
    assert r.returncode == 1
    assert r.stdout == "3\n"
    assert r.stderr.startswith(f"{s}:3: error (exception): Error: boom\n")
    assert "at Object.fail (" in r.stderr
    assert re.search(r"^  log: file://.*/logs/worker-\d+\.log$", r.stderr, re.M), r.stderr


def test_failed_expect_stops_the_script_with_1(faast, tmp_path):
    s = script(tmp_path, "open functions.js\nexpect call add(1, 2) == 4\nprint after\n")
    r = faast.run(s)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"{s}:2: ✗ expect add(1, 2) == 4: got 3\n")


def test_continue_on_error_runs_on_but_exits_1(faast, tmp_path):
    s = script(tmp_path, 'open functions.js\ncall fail("boom")\nexpect call add(1, 2) == 4\nprint after\n')
    r = faast.run(s, "--continue-on-error")
    assert r.returncode == 1
    assert r.stdout == "after\n"
    assert "error (exception): Error: boom" in r.stderr
    assert "✗ expect add(1, 2) == 4: got 3\n" in r.stderr


def test_c_failure_stops_later_lines(faast):
    r = faast.run(JS, "-c", 'call fail("x")', "-c", "print after")
    assert r.returncode == 1
    assert r.stdout == ""
    r = faast.run(JS, "--continue-on-error", "-c", 'call fail("x")', "-c", "print after")
    assert (r.returncode, r.stdout) == (1, "after\n")


def test_syntax_error_exits_2_and_nothing_runs(faast, tmp_path):
    s = script(tmp_path, "open functions.js\nprint before\ncall add(1 2)\nprint after\n", name="bad.faast")
    r = faast.run(s.relative_to(tmp_path), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""  # parsed whole first: 'print before' did not run
    assert r.stderr == (
        "scripts/bad.faast:3:12: error: expected ',' between arguments\n"
        "call add(1 2)\n"
        "           ^\n"
    )


def test_unclosed_bracket_at_end_of_script_is_a_syntax_error(faast, tmp_path):
    s = script(tmp_path, "open functions.js\nprint before\ncall add(1,\n", name="open.faast")
    r = faast.run(s.relative_to(tmp_path), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert re.match(r"scripts/open\.faast:3:\d+: error: ", r.stderr), r.stderr
    assert r.stderr.splitlines()[1] == "call add(1,"
    assert r.stderr.splitlines()[2].strip() == "^"


def test_unknown_command_exits_2_with_suggestion(faast):
    r = faast.run(JS, "-c", 'calll hello("x")', "-c", "print after")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "1:1: error: unknown command 'calll' (did you mean 'call'?)\ncalll hello(\"x\")\n^\n"


def test_bare_function_call_suggests_call_and_runs_nothing(faast, tmp_path):
    r = faast.run(JS, "-c", 'hello("world")', "-c", "print after")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "1:1: error: 'hello' is a function: write call hello(\"world\")\nhello(\"world\")\n^\n"
    # A near miss names the nearest function; a word near a command names the command.
    r = faast.run(JS, "-c", "helo(1)")
    assert r.stderr.startswith("1:1: error: unknown command 'helo' (did you mean call hello(…)?)\n")
    # In a script (module named on the command line) nothing runs, not even the lines before it.
    s = script(tmp_path, "print before\nsquare(3)\n", name="bare.faast")
    r = faast.run(s, str(JS))
    assert (r.returncode, r.stdout) == (2, "")
    assert "bare.faast:2:1: error: 'square' is a function: write call square(3)\n" in r.stderr


def test_unknown_command_in_script_is_a_syntax_error(faast, tmp_path):
    s = script(tmp_path, "open functions.js\nprint before\nfunctons\n", name="typo.faast")
    r = faast.run(s.relative_to(tmp_path), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.startswith("scripts/typo.faast:3:1: error: unknown command 'functons' (did you mean 'functions'?)\n")


def test_unknown_function_suggests_and_points_at_the_name(faast):
    r = faast.run(JS, "-c", 'call helo("x")')
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        "1:6: error: no function 'helo' in functions.js (did you mean 'hello'?)\n"
        'call helo("x")\n'
        "     ^\n"
    )


def test_too_many_arguments_names_the_parameters(faast):
    r = faast.run(JS, "-c", "call add(1, 2, 3)")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "1:6: error: add(a, b) takes 2 arguments, got 3\ncall add(1, 2, 3)\n     ^\n"


def test_index_outside_a_fan_out_is_a_usage_error(faast):
    r = faast.run(JS, "-c", "call square($i)")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.startswith("1:13: error: $i is the index of a fan-out; use it in a call with xN")
    assert r.stderr.endswith("call square($i)\n            ^\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "xml"], "--format takes text or json, not 'xml'"),
        (["--mode", "fast"], "--mode takes https or queue, not 'fast'"),
        (["--provider", "gcp"], "--provider takes local or aws, not 'gcp'"),
        (["--memory", "12"], "--memory takes a whole number of MB from 64 to 10,240, not 12"),
        (["--timeout", "inf"], "--timeout takes seconds above 0 and up to 86,400, not inf"),
        (["--timeout", "nan"], "--timeout takes seconds above 0 and up to 86,400, not nan"),
        (["--timeout", "1e308"], "--timeout takes seconds above 0 and up to 86,400, not 1e+308"),
        (["--timeout", "0"], "--timeout takes seconds above 0 and up to 86,400, not 0"),
        (["--bogus"], "Unknown option '--bogus'"),
    ],
)
def test_bad_flags_exit_2(faast, args, message):
    r = faast.run(JS, *args, "-c", "call add(1, 2)")
    assert (r.returncode, r.stdout) == (2, "")
    assert message in r.stderr


@pytest.mark.parametrize(
    "command, message",
    [
        ("sleep 1e999", "1:7: error: sleep takes seconds from 0 to 86,400, not 1e999"),
        ("sleep 99999999999999999999", "1:7: error: sleep takes seconds from 0 to 86,400, not 99999999999999999999"),
        ("call add(1, 2) timeout=1e308", "1:24: error: timeout= takes seconds above 0 and up to 86,400, not 1e308"),
        ("set timeout=1e308", "1:13: error: timeout= takes seconds above 0 and up to 86,400, not 1e308"),
        ("open examples/functions.js retention=1e999", "1:38: error: retention= takes days above 0 and up to 3,650, not 1e999"),
        ("open examples/functions.js retention=9223372036854775808",
         "1:38: error: retention= takes days above 0 and up to 3,650, not 9223372036854775808"),
        ("call square(1) x1000000000",
         "1:17: error: the fan-out count takes a whole number of calls from 0 to 100,000,000 (1e8), not 1000000000"),
    ],
)
def test_numbers_out_of_range_are_usage_errors_not_traps(faast, command, message):
    r = faast.run(JS, "-c", command)
    assert (r.returncode, r.stdout) == (2, ""), r.stderr
    assert r.stderr.startswith(message + "\n"), r.stderr


def test_missing_module_exits_2(faast, tmp_path):
    r = faast.run(tmp_path / "nothere.js", "-c", "call add(1, 2)")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == f"error: {tmp_path}/nothere.js: no such file\n"


def test_missing_script_exits_2(faast, tmp_path):
    r = faast.run(tmp_path / "nothere.faast")
    assert (r.returncode, r.stdout) == (2, "")
    assert "cannot read" in r.stderr and "nothere.faast" in r.stderr


def test_second_argument_without_a_script_exits_2(faast):
    r = faast.run(JS, PY)
    assert r.returncode == 2
    assert "only for scripts" in r.stderr


def test_version_and_help(faast):
    r = faast.run("--version")
    assert (r.returncode, r.stdout.strip(), r.stderr) == (0, "0.1.0", "")
    r = faast.run("--help")
    assert r.returncode == 0
    assert "faast MODULE -c 'COMMAND'" in r.stdout
    assert "Exit codes: 0 all ok, 1 a call or an expect failed, 2 usage or syntax error" in " ".join(r.stdout.split())
    for sub in ["open", "run", "cleanup"]:
        assert re.search(rf"^\s+{sub}\b", r.stdout, re.M), sub


def test_cleanup_local(faast):
    r = faast.run("cleanup", "local")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "nothing to clean up\n"


# MARK: - JSON output


def test_json_one_object_per_command_with_exact_values(faast):
    r = faast.run(
        SAMPLE_JS, "--format", "json",
        "-c", "call echo(12345678901234567890123)",
        "-c", 'call echo({"a": [1, "é✓ 😀"], "b": null, "c": -1.5e-7})',
        "-c", 'call hello("wörld")',
        "-c", "let x = 5",
    )
    assert (r.returncode, r.stderr) == (0, "")
    # Big ints keep their digits in the raw text, not only after parsing.
    assert '"value":12345678901234567890123' in r.stdout
    objects = json_lines(r.stdout)
    assert [o["command"] for o in objects] == ["open", "call", "call", "call", "let"]
    assert all(o["ok"] is True for o in objects)
    assert objects[0]["provider"] == "local"
    assert "echo(value)" in objects[0]["functions"]
    assert objects[1]["value"] == 12345678901234567890123
    assert objects[2]["value"] == {"a": [1, "é✓ 😀"], "b": None, "c": -1.5e-7}
    assert objects[3]["value"] == "hello wörld!"
    assert objects[3]["function"] == "hello" and objects[3]["attempts"] == 1
    assert objects[4] == {"command": "let", "ok": True, "name": "x", "value": 5}


def test_json_big_int_through_python(faast):
    r = faast.run(FIXTURES / "sample.py", "--format", "json", "-c", "call add(12345678901234567890123, 1)")
    assert r.returncode == 0, r.stderr
    assert json_lines(r.stdout)[1]["value"] == 12345678901234567890124


def test_json_errors_go_to_stdout(faast):
    r = faast.run(JS, "--format", "json", "-c", 'call fail("x")')
    assert r.returncode == 1
    objects = json_lines(r.stdout)
    failure = objects[-1]
    assert (failure["command"], failure["ok"], failure["function"]) == ("call", False, "fail")
    assert failure["error"]["kind"] == "exception"
    assert failure["error"]["message"] == "Error: x"
    assert failure["error"]["logUrl"].startswith("file://")

    r = faast.run(JS, "--format", "json", "-c", 'call helo("x")')
    assert r.returncode == 2
    usage = json_lines(r.stdout)[-1]
    assert usage == {
        "command": "call", "ok": False, "line": 1,
        "error": {"kind": "usage", "message": "no function 'helo' in functions.js (did you mean 'hello'?)", "line": 1, "column": 6},
    }

    r = faast.run(JS, "--format", "json", "-c", "calll x")
    assert r.returncode == 2
    syntax = json_lines(r.stdout)[-1]
    assert syntax["ok"] is False and syntax["error"]["kind"] == "syntax"
    assert syntax["error"]["message"] == "unknown command 'calll' (did you mean 'call'?)"


def test_json_fan_out_and_expect(faast):
    r = faast.run(JS, "--format", "json", "-c", "call square($i) x5", "-c", "expect call add(1, 2) == 3",
                  "-c", "expect call add(1, 2) == 4")
    assert r.returncode == 1
    objects = json_lines(r.stdout)
    batch = objects[1]
    assert (batch["command"], batch["ok"], batch["count"], batch["succeeded"], batch["failed"]) == ("call", True, 5, 5, 0)
    assert batch["function"] == "square" and batch["mode"] == "https"
    assert set(batch["latencyMs"]) == {"p50", "p90", "p99", "mean", "min", "max"}
    assert objects[2] == {"command": "expect", "ok": True, "expectation": "add(1, 2) == 3"}
    assert objects[3] == {"command": "expect", "ok": False, "detail": "got 3", "expectation": "add(1, 2) == 4", "line": 3}
    assert batch["values"] == [0, 1, 4, 9, 16]


def test_set_format_switches_output_mid_script(faast, tmp_path):
    s = script(tmp_path, "open functions.js\ncall add(1, 2)\nset format=json\ncall add(2, 2)\nset format=text\ncall add(3, 3)\n")
    r = faast.run(s)
    assert (r.returncode, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert lines[0] == "3"
    assert json.loads(lines[1]) == {"command": "set", "ok": True}
    call = json.loads(lines[2])
    assert (call["command"], call["ok"], call["value"]) == ("call", True, 4)
    assert lines[3:] == ["6"]


# MARK: - Commands


def test_fan_out_summary_and_results(faast):
    r = faast.run(JS, "-c", "call square($i) x20", "-c", "results")
    assert (r.returncode, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert lines[0] == "20 ok · 0 failed · 0 retried (square x20, mode https)"
    assert lines[1:] == [f"{i}: {i * i}" for i in range(20)]


def test_fan_out_with_failures(faast):
    r = faast.run(JS, "-c", 'call fail("no") x3')
    assert r.returncode == 1
    assert r.stdout == (
        "0 ok · 3 failed · 0 retried (fail x3, mode https)\n"
        "  3 × exception: Error: no (first: call 0)\n"
    )


def test_results_before_any_fan_out(faast):
    r = faast.run(JS, "-c", "results")
    assert r.returncode == 2
    assert r.stderr == "error: no fan-out has run yet (call FN(ARGS) xN)\n"


def test_map(faast):
    r = faast.run(JS, "-c", "map add [[1, 2], [3, 4], [5, 6]]", "-c", "results", "-c", "map square [1, 2, 3]", "-c", "results")
    assert (r.returncode, r.stderr) == (0, "")
    # A map of up to 20 elements lists its values before its summary; results lists them again.
    assert r.stdout == (
        "0: 3\n1: 7\n2: 11\n3 ok · 0 failed · 0 retried (add x3, mode https)\n0: 3\n1: 7\n2: 11\n"
        "0: 1\n1: 4\n2: 9\n3 ok · 0 failed · 0 retried (square x3, mode https)\n0: 1\n1: 4\n2: 9\n"
    )


def test_let_and_print(faast):
    r = faast.run(JS, "-c", "let s = call square(7)", "-c", 'let v = {"a": [1, 2]}', "-c", "print s=$s v=$v ${s}x",
                  "-c", 'let g = call hello("p")', "-c", "print $g / $_")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == 's=49 v={"a":[1,2]} 49x\nhello p! / hello p!\n'


def test_print_unknown_variable(faast):
    r = faast.run(JS, "-c", "print $nope")
    assert r.returncode == 2
    assert "unknown variable $nope" in r.stderr


def test_expect_passes_and_fails(faast):
    r = faast.run(JS, "-c", "expect call add(1, 2) == 3", "-c", 'expect call fail("on purpose") fails exception',
                  "-c", 'expect call hello("a") == "hello a!"', "-c", "expect call add(1, 1) == 3")
    assert r.returncode == 1
    assert r.stdout == (
        "✓ add(1, 2) == 3\n"
        '✓ fail("on purpose") fails exception (exception: Error: on purpose)\n'
        '✓ hello("a") == "hello a!"\n'
    )
    assert r.stderr == "✗ expect add(1, 1) == 3: got 2\n"


def test_expect_on_a_fan_out(faast):
    r = faast.run(JS, "-c", "expect call square(3) x4 == 9", "-c", "expect call square($i) x4 fails")
    assert r.returncode == 1
    assert r.stdout == "✓ square(3) x4 == 9\n"
    assert r.stderr == "✗ expect square($i) x4 fails: 4 of 4 calls succeeded\n"


def test_fan_out_after_a_failed_call(faast):
    # A failed call must hand its worker back to the pool once: calls after it still run (this hung).
    r = faast.run(JS, "-c", 'expect call fail("x") fails', "-c", "call square($i) x4", timeout=15)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines()[1] == "4 ok · 0 failed · 0 retried (square x4, mode https)"


def test_expect_fails_with_the_wrong_kind(faast):
    r = faast.run(JS, "-c", 'expect call fail("x") fails timeout')
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "✗ expect fail(\"x\") fails timeout: it failed with exception: Error: x\n"


def test_expect_unknown_error_kind_is_usage(faast):
    r = faast.run(JS, "-c", 'expect call fail("x") fails exceptoin')
    assert r.returncode == 2
    assert "unknown error kind 'exceptoin' (did you mean 'exception'?)" in r.stderr


def test_functions_and_help(faast):
    r = faast.run(JS, "-c", "functions", "-c", "help call", "-c", "help hello")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (
        "  hello(name)\n  add(a, b)\n  square(x)\n  sleep(ms)\n  fail(message)\n  random()\n"
        "call FN(ARGS) [xN] [key=value ...]\n"
        "  call a function; xN fans out N calls with $i = 0 … N-1; name=value in ARGS is a python keyword argument\n"
        "options:\n"
        "  mode=https|queue   how calls travel: a direct request, or through a queue (https or queue; default https)\n"
        "  timeout=SECONDS    a call fails as timeout after this long (seconds above 0 and up to 86,400; default 60)\n"
        "  retries=RETRIES    retries of attempts that provably did not start (throttled, never connected)"
        " (a whole number of retries from 0 to 100; default 2)\n"
        "  rerun=RE-RUNS      run again a call whose attempt may have run (its worker died) up to this many times;"
        " counted (a whole number of re-runs from 0 to 100; default 0)\n"
        "  concurrency=CALLS  calls in flight at once (0: unlimited) (a whole number of calls from 0 to 100,000; default 10)\n"
        "  rate=CALLS/S       at most this many calls start per second (calls/s above 0 and up to 1,000,000; default none)\n"
        "  burst=CALLS        calls that may start at once before the rate applies"
        " (a whole number of calls from 1 to 1,000,000; default 1)\n"
        "  pipeline=on|off    local fan-outs send the next requests to a warm worker ahead of its answers"
        " (on or off; default on)\n"
        "  speculative=K      after 10 completed calls, a call running past mean + K·stdev gets one duplicate;"
        " first answer wins (K from 0 to 1,000; default off)\n"
        "examples:\n"
        '  call hello("world")\n'
        "  call square($i) x1000 mode=queue concurrency=100\n"
        '  call greet("bob", punct="?")\n'
        'hello(name)  — functions.js\n\n  Greets someone: hello("world") → "hello world!"\n'
    )


def test_help_overview(faast):
    r = faast.run(JS, "-c", "help")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "commands:"
    for name in ["open", "call", "map", "let", "expect", "functions", "stats", "cost", "logs", "logUrl", "set", "exit"]:
        assert any(l.strip().startswith(name + " ") or l.strip() == name for l in lines), name
    assert lines[-1] == "Ctrl-C cancels a running command, Ctrl-D leaves."


def test_help_without_module(faast):
    r = faast.run("-c", "help open")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith("open [local|aws] MODULE [key=value ...]\n")
    # Every key open takes, including the AWS ones.
    for key in ["memory", "timeout", "burst", "pipeline", "retention", "region", "include", "exclude"]:
        assert f"\n  {key}=" in r.stdout, key


def test_help_set_lists_every_setting(faast):
    r = faast.run("-c", "help set")
    assert (r.returncode, r.stderr) == (0, "")
    keys = [l.split("=")[0].strip() for l in r.stdout.splitlines() if l.startswith("  ") and "=" in l.split()[0]]
    assert keys == ["mode", "timeout", "retries", "rerun", "concurrency", "rate", "burst", "pipeline", "speculative",
                    "format", "timing", "echo",
                    "prompt", "pager", "maxlines", "output", "autoreload"]


def test_commands_without_a_module(faast):
    r = faast.run("-c", "status")
    assert (r.returncode, r.stdout) == (0, "no module is open (open MODULE to start)\n")
    r = faast.run("-c", "call add(1, 2)")
    assert r.returncode == 2
    assert "no module is open: use 'open MODULE' first" in r.stderr


def test_stats(faast):
    r = faast.run(JS, "-c", "stats", "-c", "call add(1, 2)", "-c", "call square($i) x3", "-c", "stats", "-c", "stats add")
    assert (r.returncode, r.stderr) == (0, "")
    out = r.stdout.splitlines()
    assert out[0] == "no calls yet"
    table_start = out.index("latency (round trip):")
    header = out[table_start + 1].split()
    assert header == ["function", "calls", "ok", "failed", "retries", "p50", "p90", "p99", "mean", "stdev", "min", "max"]
    rows = {l.split()[0]: l.split()[1:5] for l in out[table_start + 2:table_start + 5]}
    assert rows == {"add": ["1", "1", "0", "0"], "square": ["3", "3", "0", "0"], "(all)": ["4", "4", "0", "0"]}
    assert any(l.startswith("execution p50 ") for l in out[table_start + 5:])


def test_stats_of_an_uncalled_function(faast):
    r = faast.run(JS, "-c", "stats hello")
    assert r.returncode == 2
    assert "hello has not been called yet" in r.stderr


def test_cost_mentions_the_lambda_estimate(faast):
    r = faast.run(JS, "-c", "call add(1, 2)", "-c", "cost")
    assert (r.returncode, r.stderr) == (0, "")
    assert "cost on local" in r.stdout
    assert "estimate: the same calls on AWS Lambda" in r.stdout
    assert re.search(r"functionCallRequests .* 1 request ", r.stdout)


def test_logs_and_log_url(faast, state_home):
    r = faast.run(JS, "-c", 'call hello("a")', "-c", "logs hello last=5", "-c", "logUrl", "-c", "logUrl hello")
    assert (r.returncode, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert lines[0] == '"hello a!"'
    logs = lines[1:-2]
    assert 1 <= len(logs) <= 5
    assert any(re.search(r"\bSTART hello\b", l) for l in logs), logs
    for url in lines[-2:]:
        assert url.startswith(f"file://{state_home}/faast/local/"), url


def test_logs_option_is_checked(faast):
    r = faast.run(JS, "-c", "logs hello lst=5")
    assert r.returncode == 2
    assert "unknown option 'lst' for logs (did you mean 'last'?); options: last" in r.stderr


def test_status(faast):
    r = faast.run(JS, "-c", "call add(1, 2)", "-c", "status")
    assert (r.returncode, r.stderr) == (0, "")
    rows = dict(re.match(r"  (\S+)\s+(.*)$", l).groups() for l in r.stdout.splitlines()[1:])
    assert rows["provider"] == "local"
    assert rows["module"] == str(JS)
    assert rows["functions"] == "hello, add, square, sleep, fail, random"
    assert rows["mode"] == "https"
    assert rows["calls"] == "1 (1 ok, 0 failed, 0 retries)"
    assert rows["cost"].startswith("$0 (≈ $")
    assert rows["logs"].startswith("file://")


def test_set_changes_status(faast):
    r = faast.run(JS, "--memory", "256", "-c", "set concurrency=3 mode=queue retries=0", "-c", "status")
    assert r.returncode == 0, r.stderr
    rows = dict(re.match(r"  (\S+)\s+(.*)$", l).groups() for l in r.stdout.splitlines())
    assert (rows["concurrency"], rows["mode"], rows["retries"], rows["memory"]) == ("3", "queue", "0", "256 MB")


def test_unknown_setting_suggests(faast):
    r = faast.run(JS, "-c", "set concurency=3")
    assert r.returncode == 2
    assert "unknown option 'concurency' for set (did you mean 'concurrency'?)" in r.stderr


def test_echo_prints_commands(faast):
    r = faast.run(JS, "--echo", "-c", "call add(1, 2)")
    assert (r.returncode, r.stdout) == (0, "faast> call add(1, 2)\n3\n")


def test_exit_stops_a_script(faast, tmp_path):
    s = script(tmp_path, "open functions.js\nprint one\nexit\nprint two\n")
    r = faast.run(s)
    assert (r.returncode, r.stdout) == (0, "one\n")


def test_source_runs_a_script_relative_to_the_script(faast, tmp_path):
    inner = script(tmp_path, "call add(20, 22)\n", name="inner.faast")
    outer = script(tmp_path, f"open functions.js\nsource {inner.name}\nprint done\n", name="outer.faast")
    r = faast.run(outer, cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "42\ndone\n", "")


# MARK: - Signals and orphans


def started(state_home, function):
    """How many calls of `function` the session's worker logs show as started."""
    count = 0
    for log in (state_home / "faast" / "local").glob("faast-*/logs/*.log"):
        count += len(re.findall(rf"\bSTART {function}\b", log.read_text(errors="replace")))
    return count


def test_no_orphan_workers_after_kill_9(faast, state_home):
    p = faast.popen(JS, "-c", "call sleep(60000)")
    try:
        workers = wait_for(lambda: worker_pids(state_home), timeout=15)
        assert workers, "no worker started"
        p.kill()
        p.wait(timeout=10)
        assert wait_for(lambda: not worker_pids(state_home), timeout=10), f"workers left: {worker_pids(state_home)}"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_a_fan_out_and_its_workers(faast, state_home, sig, code):
    p = faast.popen(JS, "-c", "call sleep(60000) x4", "-c", "print after")
    try:
        # The calls must be in flight: a signal while the module opens is not what this tests.
        assert wait_for(lambda: started(state_home, "sleep") >= 4, timeout=15), "the calls did not start"
        p.send_signal(sig)
        out, err = p.communicate(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == code, (out, err)
    assert out == "interrupted: 0 ok · 0 failed · 0 retried · 4 cancelled (all while running) (sleep x4, mode https)\n"
    assert wait_for(lambda: not worker_pids(state_home), timeout=10), f"workers left: {worker_pids(state_home)}"


def test_normal_exit_leaves_no_workers(faast, state_home):
    r = faast.run(PY, "-c", "call square($i) x20")
    assert r.returncode == 0
    assert not worker_pids(state_home)
    # the cleanup on exit removed the deployment (the trampoline) and kept the logs
    sessions = list((state_home / "faast" / "local").glob("faast-*"))
    assert len(sessions) == 1
    left = sorted(p.name for p in sessions[0].iterdir())
    assert "logs" in left and not any(name.startswith("trampoline") for name in left), left


def _in_syscall_poll(pid):
    """Whether a thread of `pid` is blocked in poll(2) (x86-64: 7; aarch64: ppoll, 73), i.e. waiting for input."""
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/syscall") as f:
                if f.read().split(" ")[0] in ("7", "73", "271"):
                    return True
    except OSError:
        return False
    return False


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_ends_faast_while_it_waits_for_commands_on_stdin(faast, sig, code):
    """A writer that never closes standard input cannot keep faast alive past SIGTERM or Ctrl-C."""
    p = subprocess.Popen([faast.binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=faast.env, cwd=faast.cwd)
    try:
        p.stdin.write(b"print waiting\n")
        p.stdin.flush()
        assert wait_for(lambda: _in_syscall_poll(p.pid), timeout=20), "faast never waited for input"
        p.send_signal(sig)
        assert p.wait(timeout=20) == code
        assert p.stdout.read() == b""
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_a_write_error_on_stdout_exits_non_zero(faast):
    with open("/dev/full", "w") as full:
        r = subprocess.run([faast.binary, JS, "-c", "call square($i) x3", "-c", "results"], stdout=full,
                           stderr=subprocess.PIPE, text=True, env=faast.env, timeout=RUN_TIMEOUT)
    assert r.returncode == 1
    assert r.stderr == "error: cannot write to standard output: No space left on device\n"


def test_source_of_a_directory_says_so(faast, tmp_path):
    r = faast.run(JS, "-c", f"source {tmp_path}")
    assert r.returncode == 2
    assert f"cannot read {tmp_path}: it is a directory" in r.stderr


def test_an_unusable_state_directory_gives_a_plain_message(faast, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    r = faast.run(JS, "-c", "call add(1, 2)", env=dict(faast.env, XDG_STATE_HOME=str(blocker)))
    assert r.returncode == 1
    assert "Not a directory" in r.stderr, r.stderr
    assert "NSCocoaErrorDomain" not in r.stderr


def test_tilde_is_home_for_open_and_source(faast, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "f.js").write_text((EXAMPLES / "functions.js").read_text())
    (home / "x.faast").write_text("call add(20, 22)\n")
    r = faast.run("-c", "open ~/f.js", "-c", "source ~/x.faast", env=dict(faast.env, HOME=str(home)))
    assert (r.returncode, r.stdout, r.stderr) == (0, "42\n", "")


def test_expect_compares_big_numbers_by_value(faast):
    r = faast.run(PY, "-c", "expect call add(99999999999999999999, 0) == 99999999999999999999.0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("✓ add(99999999999999999999, 0) == ")


def test_a_failed_let_prints_its_error_like_a_call(faast):
    r = faast.run(JS, "-c", 'let x = call fail("boom")')
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("error (exception): Error: boom\n")
