"""A mistyped module path gets the nearest module files: on the command line, in `open` and `package`, as text
and in JSON (`error.suggestions`); the exit code stays 2."""
import json

import pytest


@pytest.fixture
def tree(tmp_path):
    """hello.js and hello.py at the top, functions.js / functions.py / notes.txt in examples/."""
    (tmp_path / "hello.js").write_text("exports.hello = (n) => `hello ${n}`;\n")
    (tmp_path / "hello.py").write_text("def hello(n):\n    return 'hi ' + n\n")
    ex = tmp_path / "examples"
    ex.mkdir()
    (ex / "functions.js").write_text("exports.add = (a, b) => a + b;\n")
    (ex / "functions.py").write_text("def add(a, b):\n    return a + b\n")
    (ex / "notes.txt").write_text("not a module\n")
    return tmp_path


@pytest.mark.parametrize("typed, message", [
    ("hello.jss", "hello.jss: no such file (did you mean 'hello.js'?)"),
    ("helo.py", "helo.py: no such file (did you mean 'hello.py'?)"),
    ("exmaples/functions.js", "exmaples/functions.js: no such file (did you mean 'examples/functions.js'?)"),
    ("exmaples/functons.py", "exmaples/functons.py: no such file (did you mean 'examples/functions.py'?)"),
    ("./examples/../examples/functons.js",
     "./examples/../examples/functons.js: no such file (did you mean './examples/../examples/functions.js'?)"),
    ("examples/functions", "examples/functions: no such file (did you mean 'examples/functions.js' or 'examples/functions.py'?)"),
    ("examples", "examples: a folder, not a module (did you mean 'examples/functions.js' or 'examples/functions.py'?)"),
    ("zzz.js", "zzz.js: no such file"),
    ("examples/notes.txt", "examples/notes.txt: unknown module type; use a .js, .cjs or .mjs file (node) or a .py file (python)"),
])
def test_a_mistyped_module_path_on_the_command_line_suggests_the_nearest(faast, tree, typed, message):
    r = faast.run(typed, "-c", "functions", cwd=tree)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", f"error: {message}\n")


def test_an_absolute_path_is_suggested_absolute(faast, tree):
    r = faast.run(str(tree / "exmaples" / "functions.js"), cwd="/")
    assert r.returncode == 2
    assert r.stderr == f"error: {tree}/exmaples/functions.js: no such file (did you mean '{tree}/examples/functions.js'?)\n"


def test_open_in_a_session_and_in_a_script_suggests_relative_to_where_it_was_written(faast, tree):
    r = faast.run("-c", "open helo.py", cwd=tree)
    assert r.returncode == 2
    assert "helo.py: no such file (did you mean 'hello.py'?)" in r.stderr
    # A script's paths are relative to the script: so are the suggestions.
    (tree / "examples" / "run.faast").write_text("open functons.js\ncall add(1, 2)\n")
    r = faast.run(tree / "examples" / "run.faast", cwd="/")
    assert r.returncode == 2 and r.stdout == ""
    assert "functons.js: no such file (did you mean 'functions.js'?)" in r.stderr
    # Nothing was lost: the right path opens.
    r = faast.run("-c", "open hello.py", "-c", 'call hello("x")', cwd=tree)
    assert (r.returncode, r.stdout) == (0, '"hi x"\n')


def test_json_errors_carry_the_suggestions(faast, tree):
    r = faast.run("--format", "json", "exmaples/functons.py", cwd=tree)
    assert r.returncode == 2
    o = json.loads(r.stdout)
    assert (o["command"], o["ok"]) == ("open", False)
    assert o["error"]["kind"] == "usage"
    assert o["error"]["suggestions"] == ["examples/functions.py"]
    assert "did you mean 'examples/functions.py'?" in o["error"]["message"]
    r = faast.run("--format", "json", "-c", "open examples/functions", cwd=tree)
    assert json.loads(r.stdout)["error"]["suggestions"] == ["examples/functions.js", "examples/functions.py"]
    # Nothing near: no suggestions field at all.
    r = faast.run("--format", "json", "zzz.py", cwd=tree)
    assert r.returncode == 2 and "suggestions" not in json.loads(r.stdout)["error"]


def test_package_suggests_too(faast, tree):
    r = faast.run("package", "helo.js", cwd=tree)
    assert (r.returncode, r.stderr) == (2, "error: helo.js: no such file (did you mean 'hello.js'?)\n")
    r = faast.run("package", "--format", "json", "helo.js", cwd=tree)
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]["suggestions"] == ["hello.js"]


def test_a_mistyped_script_suggests_the_nearest_script(faast, tree):
    (tree / "checks.faast").write_text("open hello.py\ncall hello(\"s\")\n")
    r = faast.run("chekcs.faast", cwd=tree)
    assert (r.returncode, r.stderr) == (2, "error: cannot read chekcs.faast: no such file (did you mean 'checks.faast'?)\n")
    r = faast.run("--format", "json", "chekcs.faast", cwd=tree)
    assert json.loads(r.stdout)["error"]["suggestions"] == ["checks.faast"]
    r = faast.run("-c", "source checks.faats", cwd=tree)
    assert r.returncode == 2
    assert "cannot read checks.faats: no such file (did you mean 'checks.faast'?)" in r.stderr
