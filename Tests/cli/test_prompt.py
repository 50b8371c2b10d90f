"""The prompt through a pseudo-terminal: exact unicode, completion that keeps the line, history shared by
shells running at once, Up by prefix, the `history` command, the pager and shortened values, the prompt
text, the progress line on a narrow terminal and type-ahead, Ctrl-D at a continuation prompt."""
import json
import os
import re
import shutil
import stat
import subprocess
import time

import pexpect
import pytest

from conftest import EXAMPLES, FIXTURES
from ptyshell import command, leave, prompt_of, screen, spawn  # noqa: F401 (spawn is a fixture)

JS = EXAMPLES / "functions.js"
LONG = FIXTURES / "long.js"
PROMPT = prompt_of(JS)
LONG_PROMPT = prompt_of(LONG)

# Latin with a precomposed and a combining accent, CJK (two columns each), an emoji, a family emoji joined with
# ZWJ, Arabic, Devanagari with a combining vowel sign.
TEXT = "café cafe\u0301 你好 🌍 👩\u200d👩\u200d👧 مرحبا नमस्ते"


def locales():
    """C.UTF-8 always; en_US.UTF-8 when the machine has it; C (faast edits in UTF-8 whatever the locale)."""
    have = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower().split()
    found = ["C.UTF-8"] + (["en_US.UTF-8"] if "en_us.utf8" in have or "en_us.utf-8" in have else []) + ["C"]
    return found


def json_values(child, marker):
    """The JSON objects faast printed (set format=json) up to `marker`."""
    text = child.before
    return [json.loads(l) for l in text.replace("\r", "").splitlines() if l.startswith("{")]


@pytest.mark.parametrize("locale", locales())
def test_unicode_typed_at_the_prompt_reaches_the_function_exactly(spawn, locale):
    child = spawn(LONG, extra_env={"LC_ALL": locale, "LANG": locale})
    command(child, "set format=json", prompt=LONG_PROMPT)
    child.send(f'call echo("{TEXT}")\r')
    child.expect_exact(LONG_PROMPT)
    values = [o["value"] for o in json_values(child, LONG_PROMPT) if o.get("command") == "call"]
    assert values == [TEXT]
    assert leave(child) == 0


def test_wide_and_combined_characters_are_edited_as_characters(spawn):
    child = spawn(LONG, extra_env={"LC_ALL": "C.UTF-8"})
    command(child, "set format=json", prompt=LONG_PROMPT)
    # Left three times goes back over `)`, `"` and `b`; Backspace then deletes 🌍 whole, and X goes in its place.
    child.send('call echo("a🌍b")')
    child.expect_exact('b")')
    child.send("\x1b[D" * 3 + "\x7f" + "X\r")
    child.expect_exact(LONG_PROMPT)
    values = [o["value"] for o in json_values(child, LONG_PROMPT) if o.get("command") == "call"]
    assert values == ["aXb"]
    assert leave(child) == 0


def test_the_cursor_moves_by_columns_over_wide_characters(spawn):
    child = spawn(LONG, extra_env={"LC_ALL": "C.UTF-8"})
    line = 'call echo("你好🌍")'
    child.send(line)
    child.expect_exact("🌍")
    # The prompt, then the line: 你, 好 and 🌍 take two columns each.
    start = len(LONG_PROMPT)
    width = len(line) + 3

    def cursor_at(x, limit=50):
        for _ in range(limit):  # bounded: 50 × 0.1 s
            s = screen(child)
            if s.cursor.x == x and s.display[s.cursor.y].startswith(LONG_PROMPT):
                return True
            time.sleep(0.1)
            try:
                child.read_nonblocking(4096, timeout=0)
            except (pexpect.TIMEOUT, pexpect.EOF):
                pass
        return False

    assert cursor_at(start + width), (screen(child).cursor.x, start + width)
    child.send("\x1b[D" * 3)  # over ), " and 🌍: four columns
    assert cursor_at(start + width - 4), (screen(child).cursor.x, start + width - 4)
    child.send("\x1b[D")  # over 好: two columns
    assert cursor_at(start + width - 6)
    s = screen(child)
    assert s.display[s.cursor.y].startswith(LONG_PROMPT + 'call echo("你')
    child.sendcontrol("c")
    child.expect_exact(LONG_PROMPT)
    assert leave(child) == 0


def screen_line(child, wanted, limit=50):
    """The screen's cursor line once it contains `wanted` (bounded: 50 tries 0.1 s apart), else what it shows."""
    for _ in range(limit):
        try:
            child.read_nonblocking(4096, timeout=0.1)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
        s = screen(child)
        line = s.display[s.cursor.y].rstrip()
        if wanted in line:
            return line
    return line


def test_completing_a_variable_keeps_the_line(spawn):
    child = spawn()
    command(child, "let foo = 42", "42")
    child.send("call add($f\t")
    assert screen_line(child, "$foo") == PROMPT + "call add($foo"
    child.send(", 1)\r")
    child.expect_exact("43")
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def test_completing_a_failure_kind_and_an_option_key(spawn):
    child = spawn()
    child.send('expect call fail("x") fails exc\t\r')
    child.expect_exact('fails exception (exception: Error: x)')
    child.expect_exact(PROMPT)
    # `set pag` ⇥ gives `pager=` (no space after '='), then a value.
    child.send("set pag\toff\r")
    child.expect_exact(PROMPT)
    command(child, "history last=2", "set pager=off")
    assert leave(child) == 0


def history_file(state_home):
    return state_home / "faast" / "history"


def test_two_shells_at_once_lose_no_history(spawn, state_home):
    a = spawn()
    b = spawn()
    for i in range(3):
        command(a, f"call add({i}, 100)", str(i + 100))
        command(b, f"call add({i}, 200)", str(i + 200))
    assert leave(a) == 0
    assert leave(b) == 0
    entries = history_file(state_home).read_text().splitlines()
    assert sorted(entries) == sorted([f"call add({i}, 100)" for i in range(3)] + [f"call add({i}, 200)" for i in range(3)])
    assert stat.S_IMODE(os.stat(history_file(state_home)).st_mode) == 0o600
    # A third shell sees both shells' entries, with `history`, oldest first.
    c = spawn()
    out = command(c, "history")
    assert re.search(r"1  call add\(0, 100\).*2  call add\(0, 200\).*6  call add\(2, 200\)", out, re.S), out
    assert leave(c) == 0


def test_up_searches_history_by_the_typed_prefix(spawn):
    child = spawn()
    command(child, 'call hello("old")', '"hello old!"')
    command(child, "call add(1, 2)", "3")
    command(child, "functions")
    # `call h` then Up: the newest entry starting with `call h`, not the newest entry.
    child.send("call h")
    child.expect_exact("call h")
    child.send("\x1b[A\r")
    child.expect_exact('"hello old!"')
    child.expect_exact(PROMPT)
    # On an empty line, Up is the previous entry.
    child.send("\x1b[A\r")
    child.expect_exact('"hello old!"')
    child.expect_exact(PROMPT)
    assert leave(child) == 0


def output_of(child, line, *expected, prompt=LONG_PROMPT):
    """Everything the terminal received for `line`, up to the next prompt."""
    start = len(child.logfile_read.getvalue())
    command(child, line, *expected, prompt=prompt)
    return child.logfile_read.getvalue()[start:]


def test_a_value_longer_than_the_screen_goes_through_the_pager(spawn):
    child = spawn(LONG, extra_env={"PAGER": "sed s/^/PAGED:/"})
    assert "PAGED:" not in output_of(child, "call range(3)", "2")
    out = output_of(child, "call range(40)", "PAGED:  39")
    assert "PAGED:[" in out and "PAGED:]" in out
    command(child, "set pager=off", prompt=LONG_PROMPT)
    out = output_of(child, "call range(40)", "39")
    assert "PAGED" not in out and "]" in out
    assert leave(child) == 0


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_less_pages_by_default(spawn):
    child = spawn(LONG, extra_env={"PAGER": None})
    child.send("call range(60)\r")
    child.expect_exact("  20,")  # less shows the first screen and waits
    child.send("q")
    child.expect_exact(LONG_PROMPT)
    command(child, "call add(1, 1)", "2", prompt=LONG_PROMPT)
    assert leave(child) == 0


def test_a_pager_that_does_not_exist_loses_no_output(spawn):
    child = spawn(LONG, extra_env={"PAGER": "no-such-pager-faast"})
    out = output_of(child, "call range(40)", "  39")
    assert "  0," in out and "]" in out
    assert leave(child) == 0


def test_a_long_value_is_shortened_with_a_note(spawn):
    child = spawn(LONG, extra_env={"PAGER": "cat"})
    out = output_of(child, "call range(500)", "  98,", "… 402 more lines (set maxlines=0")
    assert "  99," not in out
    command(child, "set maxlines=0", prompt=LONG_PROMPT)
    out = output_of(child, "call range(500)", "  499")
    assert "more lines" not in out
    assert leave(child) == 0


def test_piped_output_is_never_paged_nor_shortened(faast):
    env = dict(faast.env, PAGER="sed s/^/PAGED:/")
    r = subprocess.run([faast.binary, str(LONG), "-c", "call range(500)"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 502
    assert "PAGED" not in r.stdout and "more lines" not in r.stdout
    r = subprocess.run([faast.binary, str(LONG)], input="call range(500)\n", env=env, capture_output=True, text=True,
                       timeout=60)
    assert len(r.stdout.splitlines()) == 502 and "PAGED" not in r.stdout


def test_the_prompt_shows_module_and_provider_and_set_prompt_changes_it(spawn):
    child = spawn(None)  # no module: the plain prompt
    command(child, f"open {JS}", prompt=PROMPT)
    command(child, 'set prompt="{provider}:{module} $ "', prompt="local:functions.js $ ")
    child.send("call add(1,\r")
    child.expect_exact("                ...> ")  # the continuation prompt lines up under the prompt
    child.send("2)\r")
    child.expect_exact("3")
    child.expect_exact("local:functions.js $ ")
    command(child, 'set prompt=""', prompt=PROMPT)
    assert leave(child) == 0


def test_the_progress_line_fits_a_narrow_terminal_and_type_ahead_waits(spawn):
    columns = 24
    child = spawn(LONG, rows=24, columns=columns)
    child.send("call sleep(100) x20 concurrency=2\r")
    child.expect(r"\d+/20 · ")
    # Typed while the fan-out runs: not echoed into its output, run at the next prompt.
    child.send("call add(2, 3)\r")
    child.expect_exact("20 ok")
    child.expect_exact(LONG_PROMPT)
    child.expect_exact("5")
    child.expect_exact(LONG_PROMPT)
    raw = child.logfile_read.getvalue()
    summary = raw.index("20 ok")
    assert "call add" not in raw[:summary], "type-ahead was echoed into the running command's output"
    # Every redraw of the progress line fits the terminal: a wider one wraps and leaves its first rows behind.
    draws = [d for d in re.findall(r"\r\x1b\[K([^\r\n]*)", raw) if "/20" in d]
    assert draws
    for draw in draws:
        assert len(draw) < columns, draw
    s = screen(child, columns=columns)
    assert not any("/20 ·" in line for line in s.display), s.display
    assert leave(child) == 0


def test_ctrl_d_at_a_continuation_prompt_leaves_no_trace(spawn):
    child = spawn()
    child.send("call add(1,\r")
    child.expect_exact("...> ")
    child.sendcontrol("d")
    child.expect_exact(PROMPT)
    assert "^D" not in child.logfile_read.getvalue()
    command(child, "call add(2, 2)", "4")
    assert leave(child) == 0
