"""Driving faast's interactive prompt through a pseudo-terminal (pexpect), for test_repl.py and test_prompt.py."""
import io
import time

import pexpect
import pytest

from conftest import EXAMPLES

TIMEOUT = 15


def prompt_of(module):
    """The prompt faast shows with `module` open on the local provider (`functions.js@local> `)."""
    return f"{module.name}@local> " if module else "faast> "


@pytest.fixture
def spawn(faast_bin, env):
    """spawn(module=functions.js, extra_env={...}, rows=24, columns=200): a faast prompt, ready for keys."""
    children = []

    def start(module=EXAMPLES / "functions.js", extra_env=None, rows=24, columns=200, prompt=None):
        args = [str(module)] if module else []
        child_env = dict(env, TERM="xterm")
        for key, value in (extra_env or {}).items():  # None: unset
            child_env.pop(key, None)
            if value is not None:
                child_env[key] = value
        child = pexpect.spawn(faast_bin, args, env=child_env, encoding="utf-8",
                              dimensions=(rows, columns), timeout=TIMEOUT)
        # Everything the terminal received, for checks of the screen (see screen()).
        child.logfile_read = io.StringIO()
        children.append(child)
        child.expect_exact(prompt or prompt_of(module))
        # libedit switches the terminal to raw mode on its first read, just after printing the first prompt,
        # and that switch flushes keys already sent; a person cannot type that fast, a test can.
        time.sleep(0.3)
        return child

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


def command(child, line, *expected, prompt=None):
    """Types `line` and Enter, then waits for each of `expected` and the next prompt."""
    child.send(line + "\r")
    for e in expected:
        child.expect_exact(e)
    child.expect_exact(prompt or prompt_of(EXAMPLES / "functions.js"))
    return child.before


def leave(child):
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def screen(child, rows=24, columns=200):
    """The terminal's screen after everything faast wrote so far (pyte renders the escape sequences)."""
    import pyte

    s = pyte.Screen(columns, rows)
    pyte.Stream(s).feed(child.logfile_read.getvalue())
    return s
