"""`help FN`: the signature with parameter names and defaults, and the docstring (python) or the comment above
the function (node), as text and as JSON."""
import json

from conftest import EXAMPLES, FIXTURES


def test_python_help_shows_defaults_and_the_docstring(faast):
    r = faast.run(FIXTURES / "greet.py", "-c", "help greet", "-c", "help plain")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "greet(name, punct='!', *, times=1)  — greet.py\n"
        "\n"
        "  Greets NAME.\n"
        "\n"
        "  punct ends the greeting; times repeats it.\n"
        "plain(a, b=[1, 2], c=None, d=\"it's\")  — greet.py\n"
        "  (no docstring)\n")


def test_python_help_as_json(faast):
    r = faast.run(FIXTURES / "greet.py", "--format", "json", "-c", "help greet", "-c", "help options")
    assert r.returncode == 0, r.stderr
    greet, options = [json.loads(l) for l in r.stdout.splitlines()[1:]]
    assert greet["command"] == "help" and greet["ok"] is True
    assert greet["function"] == "greet" and greet["module"] == "greet.py"
    assert greet["signature"] == "greet(name, punct='!', *, times=1)"
    assert greet["parameters"] == [{"name": "name", "kind": "positional"},
                                   {"name": "punct", "kind": "positional", "default": "'!'"},
                                   {"name": "times", "kind": "keywordOnly", "default": "1"}]
    assert greet["doc"] == "Greets NAME.\n\npunct ends the greeting; times repeats it."
    assert greet["generator"] is False
    assert greet["text"].startswith("greet(name, punct='!', *, times=1)  — greet.py\n")
    assert options["parameters"] == [{"name": "first", "kind": "positional"}, {"name": "rest", "kind": "keywords"}]
    assert options["doc"] == "Returns what it was given."


def test_node_help_reads_jsdoc_and_line_comments_from_the_source(faast):
    r = faast.run(FIXTURES / "greet.js", "-c", "help greet", "-c", "help add", "-c", "help count")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "greet(name, punct = '!', { times = 1 } = {})  — greet.js\n"
        "\n"
        "  Greets someone.\n"
        "\n"
        "  @param {string} name who\n"
        "  @param {string} [punct=\"!\"] how it ends\n"
        "add(a, b = [1, 2].length)  — greet.js\n"
        "\n"
        "  Adds two numbers.\n"
        "  b defaults to a list's length.\n"
        "count(n, ...more)  — greet.js\n"
        "  a generator: a call returns the array of what it yields\n"
        "  (no comment above it in the source)\n")
    r = faast.run(FIXTURES / "greet.js", "--format", "json", "-c", "help greet")
    greet = json.loads(r.stdout.splitlines()[1])
    assert greet["parameters"] == [{"name": "name", "kind": "positional"},
                                   {"name": "punct", "kind": "positional", "default": "'!'"},
                                   {"name": "{ times = 1 }", "kind": "positional", "default": "{}"}]


def test_help_of_the_example_modules_and_of_a_name_that_is_both(faast):
    # examples/functions.js has a function named like the sleep command: both helps are shown
    r = faast.run(EXAMPLES / "functions.js", "-c", "help hello", "-c", "help sleep")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith('hello(name)  — functions.js\n\n  Greets someone: hello("world") → "hello world!"\n')
    assert "sleep SECONDS" in r.stdout
    assert "sleep(ms)  — functions.js\n\n  Waits `ms` milliseconds" in r.stdout
    r = faast.run(EXAMPLES / "functions.py", "-c", "help add")
    assert r.stdout == "add(a, b)  — functions.py\n\n  Adds two numbers.\n"
    r = faast.run(EXAMPLES / "functions.py", "-c", "help ad")
    assert r.returncode == 2 and "no command or function named 'ad' (did you mean 'add'?)" in r.stderr
