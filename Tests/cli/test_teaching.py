"""What a newcomer is shown: a single call's printed lines under its value (locally and on Lambda), and cold
starts counted apart from warm calls (a call that started a worker locally, an Init Duration on Lambda)."""
import json

import pytest

from conftest import FIXTURES, REPO
from ptyshell import command, leave, prompt_of, screen, spawn  # noqa: F401 (spawn is a fixture)

# A Lambda deploy on moto: bounded, not timed.
DEPLOY_TIMEOUT = 300

MODULES = [FIXTURES / "teach.js", FIXTURES / "teach.py"]
BAR = "  │ "


@pytest.mark.parametrize("module", MODULES, ids=["node", "python"])
def test_a_call_shows_what_it_printed_on_stderr_below_its_value(faast, module):
    r = faast.run(module, "-c", 'call shout("hé")', "-c", 'call shout("b") x3', "-c", 'call shout("c")')
    assert r.returncode == 0, r.stderr
    # Standard output stays the values (exact for a script); the printed lines go to stderr, the fan-out's
    # lines are not shown and do not leak into the next call's.
    assert r.stdout.splitlines()[0] == '"HÉ"'
    assert r.stdout.splitlines()[2] == '"C"'
    assert r.stderr == (BAR + "shouting hé\n" + BAR + "(to stderr)\n" + BAR + "shouting c\n" + BAR + "(to stderr)\n")


@pytest.mark.parametrize("module", MODULES, ids=["node", "python"])
def test_a_failed_call_shows_what_it_printed_before_its_error(faast, module):
    r = faast.run(module, "-c", 'call grumble("x")')
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0] == BAR + "about to fail on x"
    assert lines[1].startswith("error (exception): ") and "grumbled x" in lines[1]


def test_set_output_off_and_json(faast):
    off = faast.run(MODULES[0], "-c", "set output=off", "-c", 'call shout("a")')
    assert (off.returncode, off.stdout, off.stderr) == (0, '"A"\n', "")
    js = faast.run(MODULES[1], "--format", "json", "-c", 'call shout("a")', "-c", 'call grumble("b")')
    objects = [json.loads(line) for line in js.stdout.splitlines() if '"command":"call"' in line]
    assert objects[0]["output"] == ["shouting a", "(to stderr)"]
    assert objects[1]["error"]["output"] == ["about to fail on b"]
    assert js.stderr == ""


@pytest.mark.parametrize("module", MODULES, ids=["node", "python"])
def test_let_shows_what_the_call_printed_as_call_does(faast, module):
    r = faast.run(module, "--continue-on-error", "-c", 'let x = call shout("a")', "-c", "print $x",
                  "-c", 'let y = call grumble("b")')
    assert r.returncode == 1
    assert r.stdout == "A\n"  # the value is bound, not printed
    lines = r.stderr.splitlines()
    assert lines[:3] == [BAR + "shouting a", BAR + "(to stderr)", BAR + "about to fail on b"], lines
    assert lines[3].startswith("error (exception): ") and "grumbled b" in lines[3]


@pytest.mark.parametrize("module", MODULES, ids=["node", "python"])
def test_expect_shows_what_the_call_printed_only_when_it_fails(faast, module):
    passing = faast.run(module, "-c", 'expect call shout("a") == "A"', "-c", 'expect call grumble("b") fails exception')
    assert passing.returncode == 0
    assert passing.stderr == ""
    assert [line[:1] for line in passing.stdout.splitlines()] == ["✓", "✓"]
    for expectation, detail, printed in [
        ('expect call shout("a") == "B"', 'got "A"', ["shouting a", "(to stderr)"]),
        ('expect call shout("c") fails', 'it returned "C"', ["shouting c", "(to stderr)"]),
        ('expect call grumble("d") == 1', "it failed: exception: ", ["about to fail on d"]),
        ('expect call grumble("e") fails timeout', "it failed with exception: ", ["about to fail on e"]),
    ]:
        failing = faast.run(module, "-c", expectation)
        assert failing.returncode == 1 and failing.stdout == ""
        first, *rest = failing.stderr.splitlines()
        assert first.startswith("✗ expect ") and detail in first, first
        assert rest == [BAR + line for line in printed], failing.stderr


def test_let_and_expect_follow_set_output_off_and_json(faast):
    off = faast.run(MODULES[1], "-c", "set output=off", "-c", 'let x = call shout("a")', "-c", 'expect call shout("b") == 1')
    assert (off.returncode, off.stdout) == (1, "")
    assert off.stderr == '✗ expect shout("b") == 1: got "B"\n'
    js = faast.run(MODULES[1], "--format", "json", "--continue-on-error", "-c", 'let x = call shout("a")',
                   "-c", 'expect call shout("b") == "B"', "-c", 'expect call shout("c") == 1')
    lets = [json.loads(line) for line in js.stdout.splitlines() if '"command":"let"' in line]
    assert lets == [{"command": "let", "ok": True, "name": "x", "output": ["shouting a", "(to stderr)"], "value": "A"}]
    expects = [json.loads(line) for line in js.stdout.splitlines() if '"command":"expect"' in line]
    assert "output" not in expects[0] and expects[0]["ok"] is True
    assert expects[1]["ok"] is False and expects[1]["output"] == ["shouting c", "(to stderr)"]
    assert js.stderr == ""


def warm_workers(faast, module, *commands):
    """The fan-outs' JSON objects and the workers the session had after each (status)."""
    args = []
    for c in commands:
        args += ["-c", c, "-c", "status"]
    r = faast.run(module, "--format", "json", *args)
    assert r.returncode == 0, r.stderr
    objects = [json.loads(line) for line in r.stdout.splitlines()]
    calls = [o for o in objects if o["command"] == "call"]
    statuses = [o for o in objects if o["command"] == "status"]
    return [(o, s["workers"]) for o, s in zip(calls, statuses)]


def test_local_cold_starts_are_the_calls_that_started_a_worker(faast):
    # Calls of 30 ms make room for more workers; how many start depends on the machine, so the test checks
    # that each started worker's first call, and only it, counts as a cold start.
    runs = warm_workers(faast, MODULES[0], "call nap(30) x8 concurrency=4", "call nap(30) x8 concurrency=4",
                        "call nap(1)")
    before = 1  # the worker that loaded the module at open: its calls are warm
    for batch, workers in runs[:2]:
        assert batch["coldStarts"] == workers - before, (batch, workers)
        assert batch["coldLatencyMs"]["max"] >= 0
        before = workers
    single, _ = runs[2]
    assert single["coldStart"] is False


def test_the_text_summary_and_stats_separate_cold_starts(faast):
    r = faast.run(MODULES[0], "-c", "set timing=on", "-c", "call nap(30) x8 concurrency=4", "-c", "stats")
    assert r.returncode == 0, r.stderr
    summary, table = r.stdout.split("\n", 1)
    # The open worker exists; whether more started depends on the machine: say it when they did.
    if " cold start" in summary:
        assert "(warm, " in summary or "cold starts:" in summary
        assert "\nnap: " in table and " cold start" in table
    else:
        assert "p50 " in summary and "warm" not in summary


@pytest.mark.parametrize("module", MODULES, ids=["node", "python"])
def test_on_lambda_a_call_shows_its_log_tail_lines_and_cold_start(faast, aws_env, module):
    r = faast.run("--provider", "aws", module, "--format", "json", "-c", 'call shout("a")', "-c", 'call grumble("b")',
                  "-c", "call nap(1) x2", "--continue-on-error", timeout=DEPLOY_TIMEOUT)
    objects = [json.loads(line) for line in r.stdout.splitlines()]
    calls = [o for o in objects if o["command"] == "call"]
    assert calls[0]["value"] == "A"
    assert calls[0]["output"] == ["shouting a", "(to stderr)"]
    assert calls[1]["error"]["output"] == ["about to fail on b"]
    # moto runs every invocation in a new process: each REPORT has an Init Duration.
    assert calls[0]["coldStart"] is True
    assert calls[2]["coldStarts"] == 2


def script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_script_failures_name_their_file_and_line(faast, tmp_path):
    js = FIXTURES / "sample.js"
    s = script(tmp_path, "check.faast", "# a check\ncall add(1, 2)\nexpect call add(1, 2) == 4\n")
    r = faast.run(s, js)
    assert (r.returncode, r.stdout) == (1, "3\n")
    assert r.stderr == f"{s}:3: ✗ expect add(1, 2) == 4: got 3\n"

    s = script(tmp_path, "boom.faast", "call add(1, 2)\n\ncall fail(\"boom\")\n")
    r = faast.run(s, js)
    assert r.returncode == 1
    assert r.stderr.startswith(f"{s}:3: error (exception): Error: boom\n")

    s = script(tmp_path, "fan.faast", "call fail($i) x3\n")
    r = faast.run(s, js)
    assert r.returncode == 1
    assert r.stdout.startswith("0 ok · 3 failed")
    assert f"{s}:1: error: 3 of 3 calls of fail failed\n" in r.stderr

    # A sourced file's failure names that file and its own line.
    inner = script(tmp_path, "inner.faast", "call add(1, 1)\nexpect call add(1, 1) == 3\n")
    outer = script(tmp_path, "outer.faast", f"call add(0, 0)\nsource {inner.name}\n")
    r = faast.run(outer, js)
    assert r.returncode == 1
    assert r.stderr == f"{inner.name}:2: ✗ expect add(1, 1) == 3: got 2\n"

    # At -c (and at the prompt) there is no file: the messages stay as they were.
    r = faast.run(js, "-c", "expect call add(1, 2) == 4")
    assert r.stderr == "✗ expect add(1, 2) == 4: got 3\n"


def test_echo_names_the_file_and_line_of_each_command(faast, tmp_path):
    s = script(tmp_path, "echo.faast", "# echoed\ncall add(1, 2)\n\nprint done\n")
    r = faast.run("--echo", s, FIXTURES / "sample.js")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == f"{s}:2> call add(1, 2)\n3\n{s}:4> print done\ndone\n"
    r = faast.run("--echo", FIXTURES / "sample.js", "-c", "call add(1, 2)")
    assert r.stdout == "faast> call add(1, 2)\n3\n"


def readme_block_after(readme, marker):
    """The text of the first ``` block after `marker` in the README."""
    start = readme.index("```\n", readme.index(marker)) + 4
    return readme[start:readme.index("```\n", start)]


def test_the_readme_shows_hello_faast_as_it_is_and_as_it_prints(faast):
    readme = (REPO / "README.md").read_text()
    marker = "`examples/hello.faast`, the teaching demo"
    assert readme_block_after(readme, marker) == (REPO / "examples" / "hello.faast").read_text()
    shown = readme_block_after(readme, "What it prints at a terminal").splitlines()
    r = faast.run(REPO / "examples" / "hello.faast")
    assert r.returncode == 0, r.stderr
    # Piped output has no timings; at a terminal each value and summary line gains them, nothing else changes.
    printed = r.stdout[:r.stdout.index("latency (round trip):")].splitlines()
    lines = iter(shown)
    for line in printed:
        if " ok · " in line:
            head, tail = line.split(" (", 1)
            assert any(s.startswith(head + " · ") and s.endswith(" (" + tail) for s in lines), line
        else:
            assert any(s == line or s.startswith(line + "  ") for s in lines), line


def test_at_the_prompt_printed_lines_are_dimmed_below_the_value(spawn):
    module = MODULES[0]
    child = spawn(module, extra_env={"NO_COLOR": None}, columns=100)
    command(child, 'call shout("hé")', "(to stderr)", prompt=prompt_of(module))
    raw = child.logfile_read.getvalue()
    # Dimmed (SGR 2) on the terminal, each line after the bar, below the value.
    assert "\x1b[2m" + BAR + "shouting hé\x1b[0m" in raw
    rows = [line.rstrip() for line in screen(child, columns=100).display]
    value = next(i for i, line in enumerate(rows) if line.startswith('"HÉ"'))
    assert rows[value + 1:value + 3] == [BAR + "shouting hé", BAR + "(to stderr)"]
    # `let` shows them too, dimmed, with no value above them.
    command(child, 'let v = call shout("lé")', "(to stderr)", prompt=prompt_of(module))
    assert "\x1b[2m" + BAR + "shouting lé\x1b[0m" in child.logfile_read.getvalue()
    command(child, "set output=off", prompt=prompt_of(module))
    before = len(child.logfile_read.getvalue())
    command(child, 'call shout("x")', '"X"', prompt=prompt_of(module))
    assert "shouting x" not in child.logfile_read.getvalue()[before:]
    assert leave(child) == 0
