"""Ctrl-C (SIGINT) that arrives after every call of a fan-out has finished: the fan-out is reported as completed.

The signal is sent at a known point, not after a guessed delay: with `--format json` a fan-out streams its
values as calls finish, so a one-call fan-out whose value is bigger than the stdout pipe blocks faast in that
write, after the call has finished and before the fan-out has returned. The test does not read the pipe until
/proc shows a thread of faast blocked in write(2) on it; then it sends SIGINT, and reads.
"""
import json
import os
import platform
import signal
import subprocess
import time

import pytest

from ptyshell import leave, prompt_of, spawn  # noqa: F401 (spawn is a fixture)

WRITE = {"x86_64": 1, "aarch64": 64}[platform.machine()]  # the write(2) system call's number
BIG = 300_000  # bytes of the value: far more than a pipe holds (64 KiB by default)


@pytest.fixture
def big_module(tmp_path):
    m = tmp_path / "big.py"
    m.write_text("def big(n):\n    return 'x' * n\n\ndef add(a, b):\n    return a + b\n")
    return m


def blocked_writing_stdout(pid):
    """Whether a thread of `pid` is blocked in write(2) on its standard output (/proc/PID/task/TID/syscall
    names the system call a blocked thread is in: its number, then its arguments)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/syscall") as f:
                if f.read().startswith(f"{WRITE} 0x1 "):  # write(1, …)
                    return True
        except OSError:
            continue
    return False


def wait_until_blocked(proc):
    """Until faast (a Popen or a pexpect child) is blocked writing to its full stdout, bounded by count and time."""
    deadline = time.monotonic() + 60
    for _ in range(60_000):
        if blocked_writing_stdout(proc.pid):
            return
        assert (proc.isalive() if hasattr(proc, "isalive") else proc.poll() is None), "faast ended before blocking"
        assert time.monotonic() < deadline, "faast never blocked on the full pipe"
        time.sleep(0.001)
    pytest.fail("faast never blocked on the full pipe")


def read_all(fd):
    chunks = []
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            return b"".join(chunks).decode()
        chunks.append(data)


def interrupted_while_writing(faast_bin, env, module, *commands):
    """Runs `commands` (-c) with --format json; SIGINT once faast is blocked writing the first big value.
    Returns the JSON objects written, the exit code and standard error."""
    r, w = os.pipe()
    args = [faast_bin, str(module), "--format", "json"] + [x for c in commands for x in ("-c", c)]
    p = subprocess.Popen(args, stdout=w, stderr=subprocess.PIPE, env=env, text=True)
    os.close(w)
    try:
        wait_until_blocked(p)  # the one call has returned its value; faast is writing it
        p.send_signal(signal.SIGINT)
        out = read_all(r)
        err = p.stderr.read()
        p.wait(timeout=30)
    finally:
        os.close(r)
        if p.poll() is None:
            p.kill()
            p.wait()
    return [json.loads(line) for line in out.splitlines()], p.returncode, err


def test_sigint_after_the_last_call_finished_reports_the_fan_out_completed(faast_bin, env, big_module):
    # Two -c lines: the fan-out completes and is reported so; the interrupt then stops before the second line.
    objects, code, err = interrupted_while_writing(faast_bin, env, big_module, f"call big({BIG}) x1", "print after")
    fan_out = [o for o in objects if o["command"] == "call"]
    assert len(fan_out) == 1, [o["command"] for o in objects]
    o = fan_out[0]
    assert o["ok"] is True and "interrupted" not in o, {k: v for k, v in o.items() if k != "values"}
    assert (o["succeeded"], o["cancelled"], o["failed"]) == (1, 0, 0)
    assert o["values"] == ["x" * BIG]
    # The Ctrl-C stopped the run before the next command, as between the lines of a script.
    assert not any(x["command"] == "print" for x in objects), [o["command"] for o in objects]
    assert code == 130, err


def test_sigint_after_the_last_call_finished_is_not_an_interruption_of_the_last_command(faast_bin, env, big_module):
    objects, code, err = interrupted_while_writing(faast_bin, env, big_module, f"call big({BIG}) x1")
    o = objects[-1]
    assert o["command"] == "call" and o["ok"] is True and "interrupted" not in o
    assert code == 0, err  # everything asked for was done


def test_ctrl_c_after_a_fan_out_finished_returns_to_the_prompt(spawn, big_module):
    # At the prompt the terminal is the pipe: faast blocks writing the value to it until the test reads.
    child = spawn(module=big_module)
    prompt = prompt_of(big_module)
    child.send("set format=json\r")
    child.expect_exact(prompt)
    child.send(f"call big({BIG}) x1\r")
    wait_until_blocked(child)
    child.kill(signal.SIGINT)  # what Ctrl-C sends
    child.expect_exact(prompt)
    fan_out = json.loads(child.before[child.before.index('{"command":"call"'):].splitlines()[0])
    assert fan_out["ok"] is True and "interrupted" not in fan_out and fan_out["succeeded"] == 1
    assert fan_out["values"] == ["x" * BIG]
    # An ordinary prompt: the next command runs, and Ctrl-D leaves with 0.
    child.send("call add(40, 2)\r")
    child.expect_exact('"value":42')
    child.expect_exact(prompt)
    assert leave(child) == 0
