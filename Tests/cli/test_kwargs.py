"""Python keyword arguments: `call greet("bob", punct="?")`, in fan-outs, `map`, `expect`, `let` and `analyze`;
positioned mistakes; node modules refuse them before any call."""
import json

import pexpect

from conftest import EXAMPLES, FIXTURES
from ptyshell import spawn  # noqa: F401 (a fixture)

# A Lambda deploy on moto: bounded, not timed.
DEPLOY_TIMEOUT = 300

PY = FIXTURES / "greet.py"
JS = EXAMPLES / "functions.js"


def values(stdout):
    return [line["value"] for line in map(json.loads, stdout.splitlines()) if "value" in line]


def test_call_with_keyword_arguments(faast):
    r = faast.run(PY, "--format", "json", "-c", 'call greet("bob", punct="?")', "-c", 'call greet(name="ann", times=2)',
                  "-c", 'call options(1, b=[1, {"c": "ü 🌍"}], a=null)', "-c", 'let p = "."',
                  "-c", "call greet(\"x\", punct=$p)")
    assert r.returncode == 0, r.stderr
    assert values(r.stdout) == ["hello bob?", "hello ann!hello ann!", [1, {"b": [1, {"c": "ü 🌍"}], "a": None}],
                                ".", "hello x."]


def test_keyword_arguments_in_fan_outs_map_expect_and_let(faast):
    r = faast.run(PY,
                  "-c", 'let r = call greet("n", times=$i) x3',
                  "-c", 'let m = map greet(times=2) ["a", ["b", "."]]',
                  "-c", 'expect call greet("bob", punct="?", times=2) == "hello bob?hello bob?"',
                  "-c", 'expect call greet("z", times=2) x4 == "hello z!hello z!"',
                  "-c", 'expect call options(1, nope=1) == [1, {"nope": 1}]',
                  "-c", "print $r $m")
    assert r.returncode == 0, r.stdout + r.stderr
    # fan-out: $i in a keyword is the call's index; map: the keyword goes to every call, after each element's
    # positional arguments
    assert r.stdout.splitlines()[-1] == '["","hello n!","hello n!hello n!"] ["hello a!hello a!","hello b.hello b."]'
    r = faast.run(PY, "-c", 'map greet(punct="?") ["a", ["b", "."]]')
    assert r.returncode == 2
    assert r.stderr.startswith("1:11: error: greet(name, punct, times) gets 'punct' twice: as argument 2 and as punct=")


def test_expect_failure_names_the_keywords(faast):
    r = faast.run(PY, "-c", 'expect call greet("bob", punct="?") == "hi"')
    assert r.returncode == 1
    assert 'greet("bob", punct="?") == "hi"' in r.stdout + r.stderr


def test_positional_after_keyword_is_a_positioned_syntax_error(faast):
    r = faast.run(PY, "-c", 'call greet(punct="?", "bob")')
    assert r.returncode == 2
    assert r.stderr.startswith("1:23: error: positional argument after keyword argument 'punct=' "
                               "(keyword arguments come after the positional ones)\n"), r.stderr
    assert "call greet(punct=\"?\", \"bob\")\n" in r.stderr and "^" in r.stderr
    r = faast.run(PY, "-c", 'call greet("a", punct="?", punct="!")')
    assert r.returncode == 2
    assert r.stderr.startswith("1:28: error: keyword argument 'punct' is given twice"), r.stderr
    r = faast.run(PY, "-c", 'call greet("a", punct=)')
    assert r.returncode == 2
    assert "expected a value after 'punct='" in r.stderr
    r = faast.run(PY, "-c", 'map greet("a") ["b"]')
    assert r.returncode == 2
    assert "map's parentheses take only keyword arguments (name=value)" in r.stderr


def test_keyword_mistakes_are_caught_before_any_call(faast):
    r = faast.run(PY, "-c", 'call greet("bob", pnuct="?")')
    assert r.returncode == 2
    assert r.stderr.startswith("1:19: error: greet(name, punct, times) has no parameter 'pnuct' (did you mean 'punct'?)"), r.stderr
    r = faast.run(PY, "-c", 'call greet("bob", name="ann")')
    assert r.returncode == 2
    assert "gets 'name' twice: as argument 1 and as name=" in r.stderr
    r = faast.run(PY, "-c", 'call greet("bob", "?", 3)')
    assert r.returncode == 2
    assert r.stderr.startswith("1:6: error: greet(name, punct='!', *, times=1) takes 2 positional arguments, got 3"), r.stderr
    r = faast.run(PY, "-c", 'call only(a=1)')
    assert r.returncode == 2
    assert r.stderr.startswith("1:11: error: only(a, /, b=2): 'a' is positional-only (before '/'); pass it by position"), r.stderr
    r = faast.run(PY, "--format", "json", "-c", 'call only(1, b=3)')
    assert values(r.stdout) == [[1, 3]], r.stdout + r.stderr
    # **rest takes any name
    r = faast.run(PY, "--format", "json", "-c", 'call options(1, anything=2)')
    assert r.returncode == 0 and values(r.stdout) == [[1, {"anything": 2}]], r.stdout + r.stderr
    # $i outside a fan-out, in a keyword
    r = faast.run(PY, "-c", 'call greet("a", punct=$i)')
    assert r.returncode == 2 and "$i is the index of a fan-out" in r.stderr


def test_node_functions_refuse_keyword_arguments_clearly(faast):
    r = faast.run(JS, "-c", 'call hello(name="bob")')
    assert r.returncode == 2
    assert r.stderr.startswith("1:12: error: keyword arguments are for python functions; functions.js is a node module: "
                               "pass 'name' by position, hello(name)\n"), r.stderr
    assert "Traceback" not in r.stderr and "at " not in r.stderr.split("\n")[0]
    r = faast.run(JS, "-c", 'map add(b=1) [1]')
    assert r.returncode == 2 and "keyword arguments are for python functions" in r.stderr


def test_keyword_arguments_on_lambda_return_what_they_return_locally(faast, aws_env, tmp_path):
    # The same trampoline runs on Lambda (moto_lambda.py runs the uploaded package): https and queue mode.
    commands = ["--format", "json", "-c", 'call greet("bob", punct="?")', "-c", 'call options(1, b={"x": [1, 2]})',
                "-c", 'call greet("q", times=2) mode=queue', "-c", 'let r = call greet("n", times=$i) x3 mode=queue',
                "-c", "print $r"]
    local = faast.run(PY, *commands, cwd=tmp_path, timeout=DEPLOY_TIMEOUT)
    remote = faast.run("--provider", "aws", PY, *commands, cwd=tmp_path, timeout=DEPLOY_TIMEOUT)
    assert local.returncode == 0, local.stderr
    assert values(local.stdout) == ["hello bob?", [1, {"b": {"x": [1, 2]}}], "hello q!hello q!"]
    assert remote.returncode == 0, remote.stderr
    assert values(remote.stdout) == values(local.stdout)
    printed = [json.loads(l) for l in local.stdout.splitlines()][-1]
    assert [json.loads(l) for l in remote.stdout.splitlines() if '"print"' in l][-1] == printed


def test_tab_completes_keyword_names_at_the_prompt(spawn):
    child = spawn(module=PY, prompt="greet.py@local> ")
    # `p` ⇥ gives `punct=` (no space after '='); the call runs with it
    child.send('call greet("bob", p\t"?", t\t2)\r')
    child.expect_exact('"hello bob?hello bob?"')
    child.expect_exact("greet.py@local> ")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)


def test_analyze_passes_keyword_arguments(faast):
    # greet needs its name: without the keyword every call would fail
    r = faast.run(PY, "--format", "json", "-c", 'analyze call greet(name="x", times=2) x2 memory=128')
    assert r.returncode == 0, r.stdout + r.stderr
    rows = json.loads(r.stdout.splitlines()[-1])["rows"]
    assert [(row["memoryMb"], row["succeeded"], row["failed"]) for row in rows] == [(128, 2, 0)]
