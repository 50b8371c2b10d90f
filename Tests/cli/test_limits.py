"""Values at and beyond the nesting limit (512 levels) through the binary: positioned syntax errors for what is
typed, `serialization` errors (run once, never retried) for what a function returns or cannot read, and never a
crash. Reproductions from issue 15 (a 30,000-deep `let`, a 3,000-deep argument, `call nest(300)` in a debug
build, a lone surrogate from python)."""
import json

from conftest import FIXTURES

PY = FIXTURES / "nesting.py"
JS = FIXTURES / "nesting.js"


def nested(n, inner=""):
    return "[" * n + inner + "]" * n


def test_deep_values_typed_are_syntax_errors_at_their_bracket(faast, tmp_path):
    r = faast.run(JS, "-c", "let v = " + nested(30_000))
    assert r.returncode == 2, r.stderr
    assert "value nested deeper than 512 levels" in r.stderr
    script = tmp_path / "deep.faast"
    script.write_text("call echo(1)\ncall echo(" + nested(3_000) + ", 1)\n")
    r = faast.run(script, JS)
    assert r.returncode == 2, r.stderr
    assert "2:%d: error: value nested deeper than 512 levels" % (11 + 512) in r.stderr
    # Pasted at the prompt (commands on standard input).
    r = faast.run(JS, input="let v = " + nested(3_000) + "\n")
    assert r.returncode == 2, r.stderr
    assert "value nested deeper than 512 levels" in r.stderr
    # 512 levels are a value.
    r = faast.run(JS, "--format", "json", "-c", "call echo(" + nested(511, "7") + ")")
    assert r.returncode == 0, r.stderr
    value = json.loads(r.stdout.splitlines()[-1])["value"]
    for _ in range(511):
        value = value[0]
    assert value == 7


def result(faast, module, call):
    r = faast.run(module, "--format", "json", "-c", call)
    return r, json.loads(r.stdout.splitlines()[-1])


def test_deep_results_come_back_up_to_the_limit(faast):
    for module in (PY, JS):
        r, out = result(faast, module, "call nest(300)")
        assert r.returncode == 0 and out["ok"], r.stderr
        assert json.dumps(out["value"]) == nested(300).replace("][", "], [")


def test_results_past_the_limit_are_serialization_errors_run_once(faast):
    for module, call in ((PY, "call nest(600)"), (JS, "call nest(513)"), (PY, "call lone_surrogate()")):
        r, out = result(faast, module, call)
        assert r.returncode == 1, r.stderr
        assert out["ok"] is False
        assert out["error"]["kind"] == "serialization", out
        assert out.get("attempts", 1) == 1, out


def test_arguments_too_deep_for_python_are_a_serialization_error(faast):
    # The language stops at 512 levels, but variables compose deeper values.
    commands = ["let a = " + nested(500)]
    for name, inner in (("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e")):
        commands.append("let %s = %s" % (name, nested(500, "$" + inner)))
    args = []
    for c in commands:
        args += ["-c", c]
    r = faast.run(PY, "--format", "json", *args, "-c", "call echo($f)")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["error"]["kind"] == "serialization", out
    assert out.get("attempts", 1) == 1, out
