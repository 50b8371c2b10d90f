"""Session state from outside and inside: the startup file, -v, $error and field access ($o.name, $o[0])."""
import json

from conftest import EXAMPLES

JS = EXAMPLES / "functions.js"


def json_lines(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def write_rc(config_home, text):
    folder = config_home / "faast"
    folder.mkdir(exist_ok=True)
    (folder / "faastrc").write_text(text)


def test_field_access_in_arguments_print_and_expect(faast):
    r = faast.run(JS, "-c", 'let o = {"name": "bob", "xs": [10, 20, {"deep": "yes"}], "a key": 7}',
                  "-c", "call hello($o.name)", "-c", "call add($o.xs[0], $o.xs[1])",
                  "-c", "print $o.name has $o.xs[2].deep and $o.xs, saved to $o.name.txt",
                  "-c", "expect call add($o.xs[0], 1) == 11", "-c", "expect call add($o[\"a key\"], 0) == $o['a key']")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0:3] == ['"hello bob!"', "30", 'bob has yes and [10,20,{"deep":"yes"}], saved to bob.txt']


def test_field_access_mistakes_say_what_is_there(faast):
    r = faast.run(JS, "-c", 'let o = {"name": "bob", "xs": [1]}', "-c", "call hello($o.nmae)")
    assert r.returncode == 2
    assert r.stderr.startswith("2:12: error: $o has no field 'nmae' (did you mean 'name'?); fields: name, xs\n"), r.stderr
    r = faast.run(JS, "-c", 'let o = {"xs": [1]}', "-c", "call square($o.xs[3])")
    assert r.returncode == 2
    assert "$o.xs[3] is past the end: $o.xs has 1 element" in r.stderr
    r = faast.run(JS, "-c", "let n = 5", "-c", "call square($n.x)")
    assert r.returncode == 2
    assert "$n is a number, not an object" in r.stderr


def test_error_holds_the_last_failure(faast):
    r = faast.run(JS, "-c", 'call fail("boom")', "-c", "print $error.kind: $error.message in $error.function",
                  "--continue-on-error")
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "exception: Error: boom in fail"
    r = faast.run(JS, "-c", 'call fail("x") x3', "-c", "expect call add(0, 0) == 0", "-c", "print $error.message",
                  "--continue-on-error")
    assert r.stdout.splitlines()[-1] == "Error: x"


def test_dash_v_sets_variables(faast):
    r = faast.run(JS, "-v", "n=4", "-v", 'who="ann"', "-v", "words=two words", "-v", "o={\"a\": [1, 2]}",
                  "-c", "call square($n)", "-c", "call hello($who)", "-c", "print $words / $o.a[1]")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["16", '"hello ann!"', "two words / 2"]
    r = faast.run(JS, "-v", "2x=1", "-c", "status")
    assert r.returncode == 2
    assert "'2x' is not a variable name" in r.stderr


def test_startup_file_runs_first_and_norc_skips_it(faast, config_home):
    write_rc(config_home, "# my defaults\nlet greeting = \"hi\"\nset format=json\n")
    r = faast.run(JS, "-c", "print $greeting")
    assert r.returncode == 0, r.stderr
    # The startup file's own commands print nothing; what it set applies to the session.
    assert json_lines(r.stdout)[-1] == {"command": "print", "ok": True, "text": "hi"} or \
        json_lines(r.stdout)[-1]["text"] == "hi"
    r = faast.run(JS, "--norc", "-c", "print $greeting")
    assert r.returncode == 2
    assert "unknown variable $greeting" in r.stderr
    # -v has the last word over the startup file.
    r = faast.run(JS, "-v", "greeting=yo", "-c", "print $greeting")
    assert json_lines(r.stdout)[-1]["text"] == "yo"


def test_startup_file_mistake_names_file_and_line_and_the_session_goes_on(faast, config_home):
    write_rc(config_home, "set concurrency=5\nset concurrncy=5\n")
    r = faast.run(JS, "-c", "call add(1, 2)")
    assert r.returncode == 0
    assert r.stdout.splitlines()[-1] == "3"
    rc = config_home / "faast" / "faastrc"
    assert r.stderr.startswith(f"{rc}:2:5: error: unknown option 'concurrncy' for set (did you mean 'concurrency'?)"), r.stderr
