"""What a newcomer meets first, found by trying the product as one: a remote stack keeps its shape (python's
caret under the code it points at), and `--help` says each default once and names a file as a file."""
import json
import re

import pytest


BROKEN = "def ok(x):\n    return x\n\n\ndef broken(:\n    pass\n"
DIVIDES = "def divide(a, b):\n    return a / b\n"


@pytest.mark.parametrize("source,command", [(BROKEN, "functions"), (DIVIDES, "call divide(1, 0)")],
                         ids=["syntax error at load", "exception in a call"])
def test_a_stack_is_dedented_as_a_block_so_carets_stay_under_their_code(faast, tmp_path, source, command):
    module = tmp_path / "mod.py"
    module.write_text(source)
    text = faast.run(module, "-c", command)
    js = faast.run(module, "--format", "json", "-c", command)
    assert text.returncode == js.returncode == 1
    error = next(json.loads(line)["error"] for line in js.stdout.splitlines() if '"ok":false' in line)
    stack = [line.rstrip() for line in error["stack"].splitlines() if line.strip()]
    shown = [line for line in text.stderr.splitlines() if line.startswith("    ")]

    def shape(lines):
        """The code line's, the marker line's (python's ^ or ~~^~~ below it) and the File line's indentation."""
        code = next(i for i, line in enumerate(lines) if "broken(:" in line or "a / b" in line)
        assert set(lines[code + 1].strip()) <= set("^~"), lines
        where = next(line for line in lines if line.lstrip().startswith("File "))
        return [len(line) - len(line.lstrip()) for line in (lines[code], lines[code + 1], where)]

    remote, local = shape(stack), shape(shown)
    # Shifted together by one amount: the caret stays under the code it points at, the code under its File line.
    assert [n - remote[0] for n in remote] == [n - local[0] for n in local], (stack, shown)
    assert local[1] > local[0] > local[2] >= 4


def test_open_help_says_each_default_once_and_takes_a_file_for_dependencies(faast):
    r = faast.run("open", "--help")
    assert r.returncode == 0
    assert "(default: text)" not in r.stdout
    assert "default text)" in r.stdout
    assert "--dependencies <FILE>" in r.stdout
    assert "(text; default none)" not in r.stdout


def test_help_of_a_mistyped_function_suggests_the_function_before_the_command_help(faast):
    r = faast.run("examples/functions.js", "-c", "help helo")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == "1:6: error: no command or function named 'helo' (did you mean 'hello'?)"


@pytest.mark.parametrize("line,column", [("print $nope", 7), ("print   a $nope b", 11), ('print "a $nope"', 10),
                                         ("print é $o.b", 9)])
def test_a_mistake_in_print_points_at_its_variable(faast, line, column):
    r = faast.run("examples/functions.js", "-c", 'let o = {"a": 1}', "-c", line)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"2:{column}: error: ")
    assert lines[1:3] == [line, " " * (column - 1) + "^"]


def test_cleanup_of_a_mistyped_provider_suggests_the_right_one(faast):
    r = faast.run("cleanup", "lcoal")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "error: unknown provider 'lcoal'; use local or aws (did you mean 'local'?)\n"


def test_json_lines_read_with_json_tool_as_the_readme_says(faast):
    import subprocess
    import sys
    r = faast.run("examples/functions.js", "--format", "json", "-c", "call add(1, 2)", "-c", "map square [1, 2]")
    assert r.returncode == 0
    pretty = subprocess.run([sys.executable, "-m", "json.tool", "--json-lines"], input=r.stdout, capture_output=True,
                            text=True, timeout=30)
    assert pretty.returncode == 0 and '"value": 3' in pretty.stdout and '"values": [\n        1,\n        4\n    ]' in pretty.stdout


def test_stats_groups_its_counts_as_the_summaries_do(faast):
    r = faast.run("examples/functions.js", "-c", "call square($i) x1200", "-c", "stats")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("1,200 ok · ")
    row = next(line for line in r.stdout.splitlines() if line.startswith("square "))
    assert row.split()[1:5] == ["1,200", "1,200", "0", "0"]


def test_cleanup_says_days_in_words(faast):
    """`cleanup` names how long logs are kept as a person would write it: "1 day", "3 days", never "day(s)"."""
    one = faast.run("examples/functions.js", "-c", "cleanup")
    assert one.returncode == 0, one.stderr
    assert re.search(r"kept logs in \S+ for 1 day$", one.stdout + one.stderr, re.M), one.stdout + one.stderr
    three = faast.run(input="open examples/functions.js retention=3\ncleanup\n")
    assert re.search(r"for 3 days$", three.stdout + three.stderr, re.M), three.stdout + three.stderr
    assert "day(s)" not in one.stdout + one.stderr + three.stdout + three.stderr


@pytest.mark.parametrize("line,message,column", [
    ("set output=of", "output= takes on or off, not 'of' (did you mean 'off'?)", 12),  # a tie goes to the prefix
    ('call hello("x") x-1', "invalid count '-1' after 'x' (a whole number or $variable)", 18),
])
def test_session_22_mistakes_say_what_was_meant(faast, line, message, column):
    r = faast.run("examples/functions.js", "-c", line)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == f"1:{column}: error: {message}"


def test_a_script_with_an_unclosed_bracket_says_where_it_was_opened(faast, tmp_path):
    script = tmp_path / "s.faast"
    script.write_text("open examples/functions.js\ncall add(1, 2)\ncall add(1,\nprint done\n")
    r = faast.run(script)
    assert (r.returncode, r.stdout) == (2, "")  # a syntax error anywhere: nothing runs
    assert r.stderr.splitlines()[0] == (f"{script}:4:1: error: expected a value, found 'print' (strings need quotes: "
                                        "\"print\"); the '(' at 3:9 is not closed")


@pytest.mark.parametrize("args,message", [
    (["hepl"], "unknown command 'hepl' (did you mean 'faast help'?); faast opens a module (.js .cjs .mjs .py) or runs a script (.faast)"),
    (["sesions"], "unknown command 'sesions' (did you mean 'faast sessions'?); faast opens a module (.js .cjs .mjs .py) or runs a script (.faast)"),
    (["examples/functions.js", "--provider", "lcoal"], "--provider takes local or aws, not 'lcoal' (did you mean 'local'?)"),
])
def test_a_mistyped_subcommand_or_provider_on_the_command_line_says_what_was_meant(faast, args, message):
    r = faast.run(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines()[0] == "Error: " + message
    js = faast.run("--format", "json", *args)
    assert js.returncode == 2
    assert json.loads(js.stdout)["error"] == {"kind": "usage", "message": message}


def test_help_says_help_fn_too(faast):
    r = faast.run("examples/functions.py", "-c", "help")
    assert r.returncode == 0
    assert "help COMMAND shows its options and examples; help FN a function's signature and documentation.\n" in r.stdout


def test_the_prompt_works_with_standard_output_redirected_to_a_file(faast_bin, env, tmp_path):
    # `faast mod.js > out.txt` at a terminal: the prompt and the typed line are on the terminal (stderr), the
    # file gets exactly the results. (It showed no prompt and never ran a typed line.)
    import pexpect

    from conftest import EXAMPLES
    out = tmp_path / "out.txt"
    child = pexpect.spawn("bash", ["-c", f'exec "$0" "$1" > "$2"', faast_bin, str(EXAMPLES / "functions.js"), str(out)],
                          env=dict(env, TERM="xterm"), encoding="utf-8", timeout=15)
    try:
        child.expect_exact("functions.js@local> ")
        child.send('call add(1, 2)\r')
        child.expect_exact("functions.js@local> ")
        child.send('call hello("é")\r')
        child.expect_exact("functions.js@local> ")
        child.sendcontrol("c")  # at an idle prompt: ^C and a fresh prompt, on the terminal
        child.expect_exact("^C")
        child.expect_exact("functions.js@local> ")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert out.read_text() == '3\n"hello é!"\n'
