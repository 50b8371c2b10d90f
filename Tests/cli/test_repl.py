"""The interactive prompt through a pseudo-terminal: values, history, tab completion, Ctrl-C, continuation
lines, Ctrl-D and cleanup."""
import os
import re
import stat

import pexpect

from conftest import EXAMPLES, wait_for, worker_pids
from ptyshell import command, leave, prompt_of, spawn  # noqa: F401 (spawn is a fixture)

JS = EXAMPLES / "functions.js"
PROMPT = prompt_of(JS)


def history_entries(state_home):
    """Entries of the history file: one a line, `\\n` for a newline and `\\\\` for a backslash."""
    path = state_home / "faast" / "history"
    return [re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), l)
            for l in path.read_text().splitlines()]


def test_a_call_prints_its_value(spawn):
    child = spawn()
    command(child, 'call hello("repl")', '"hello repl!"')
    command(child, "call add(1, 2)", "3")
    assert leave(child) == 0


def test_history_is_saved_private_and_recalled(spawn, state_home):
    child = spawn()
    command(child, 'call hello("one")', '"hello one!"')
    assert leave(child) == 0

    path = state_home / "faast" / "history"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert 'call hello("one")' in history_entries(state_home)

    child = spawn()
    child.send("\x1b[A")  # Up: the last entry of the previous session
    child.send("\r")
    child.expect_exact('"hello one!"')
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_tab_completes_a_function_name(spawn):
    child = spawn()
    child.send("call hel\t")
    child.send('("tab")\r')
    child.expect_exact('"hello tab!"')
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_tab_completes_an_option_value(spawn):
    child = spawn()
    child.send('call hello("x") mode=q\t')
    child.send("\r")
    child.expect_exact('"hello x!"')
    child.expect_exact(PROMPT)
    # the completed option was really given: the call went through the queue
    command(child, "call hello(\"y\") x2 mode=q\t", "2 ok", "(hello x2, mode queue)")
    assert leave(child) == 0


def test_ctrl_c_interrupts_a_fan_out_and_the_prompt_returns(spawn, state_home):
    child = spawn()
    child.send("call sleep(200) x1000\r")
    child.expect(r"\d+/1,000")  # the progress line: calls are running
    child.sendcontrol("c")
    child.expect_exact("interrupted: ")
    child.expect_exact(" cancelled")
    child.expect_exact("(sleep x1000, mode https)")
    child.expect_exact(PROMPT)
    command(child, "call add(1, 2)", "3")
    assert leave(child) == 0


def test_ctrl_c_clears_a_half_typed_line(spawn):
    child = spawn()
    child.send("call hello(")
    # As a person would: Ctrl-C after seeing the half-typed line (keys sent before the line editor has taken
    # the terminal can be flushed by the terminal's mode switch, a race no typist can hit).
    child.expect_exact("call hello(")
    child.sendcontrol("c")
    child.expect_exact("^C")
    child.expect_exact(PROMPT)
    # the cleared text is gone: the new line runs on its own, and no continuation is pending
    command(child, "call add(2, 2)", "4")
    assert leave(child) == 0


def test_continuation_lines(spawn):
    child = spawn()
    child.send("call add(1,\r")
    child.expect_exact("...> ")
    child.send("2)\r")
    child.expect_exact("3")
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_ctrl_d_exits_0_and_cleans_up(spawn, state_home):
    child = spawn()
    command(child, "call square($i) x20", "20 ok")
    assert worker_pids(state_home)
    assert leave(child) == 0
    assert wait_for(lambda: not worker_pids(state_home), timeout=10), f"workers left: {worker_pids(state_home)}"


def test_exit_command_leaves(spawn):
    child = spawn()
    child.send("exit\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_unknown_function_suggests_and_the_session_goes_on(spawn):
    child = spawn()
    command(child, 'call helo("x")', "no function 'helo' in functions.js (did you mean 'hello'?)")
    child.send("call add(5, 5)\r")
    child.expect_exact("10")
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_syntax_error_at_the_prompt(spawn):
    child = spawn()
    command(child, "calll", "unknown command 'calll' (did you mean 'call'?)")
    command(child, "call add(1, 1)", "2")
    assert leave(child) == 0


def test_ctrl_r_searches_history(spawn):
    child = spawn()
    command(child, 'call hello("needle")', '"hello needle!"')
    command(child, "call add(1, 2)", "3")
    child.sendcontrol("r")
    child.send("needle")
    child.expect_exact("needle")  # the search echoes what it looks for
    child.send("\r")
    child.expect_exact('"hello needle!"')
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_a_long_fan_out_shows_progress_that_disappears(spawn):
    child = spawn()
    # About a second: 20 calls of 100 ms, two at a time.
    child.send("call sleep(100) x20 concurrency=2\r")
    child.expect(r"\d+/20 · ")  # the live line on standard error: done/total, rate
    child.expect_exact("20 ok")
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_a_plain_text_history_file_keeps_its_lines(spawn, state_home):
    """A history file without libedit's header (written by hand or another tool) is read, not wiped."""
    path = state_home / "faast" / "history"
    path.parent.mkdir(parents=True)
    path.write_text("call add(40, 2)\nprint from before\n")
    child = spawn()
    command(child, "call add(1, 1)", "2")
    assert leave(child) == 0
    assert history_entries(state_home) == ["call add(40, 2)", "print from before", "call add(1, 1)"]


def test_escape_sequences_from_a_module_are_neutralized_on_a_terminal(spawn):
    child = spawn()
    # The message would set the terminal's title and turn text red if printed raw.
    child.send('call fail("\\u001b]0;pwned\\u0007\\u001b[31mred")\r')
    child.expect_exact("^[]0;pwned^G^[[31mred")
    child.expect_exact(PROMPT)
    assert "\x1b]0;" not in child.before and "\x1b[31m" not in child.before
    assert leave(child) == 0
