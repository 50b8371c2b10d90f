"""Modules that never finish loading, signals while a module loads, a session that cannot be created, and
processes that functions start (issue 15): a clear `deployFailed`, prompt exits with 130/143, and nothing left
behind — no worker, no process a function started (even one that called setsid), no session folder."""
import json
import os
import signal
import subprocess
import time

from conftest import EXAMPLES, FIXTURES, RUN_TIMEOUT, wait_for, worker_pids


def session_folders(state_home):
    local = state_home / "faast" / "local"
    return sorted(p.name for p in local.iterdir()) if local.exists() else []


def test_modules_that_never_finish_loading_fail_within_30_s(faast, state_home, tmp_path):
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")
    (tmp_path / "loop.js").write_text("while (true) {}\n")
    os.mkfifo(tmp_path / "x.js")  # the runtime blocks opening it, waiting for a writer
    # The three run at once: each waits for its 30 s load deadline.
    procs = {name: faast.popen(tmp_path / name, "-c", "functions") for name in ("loop.py", "loop.js", "x.js")}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=RUN_TIMEOUT * 3)
        assert proc.returncode == 1, err
        assert "%s did not finish loading within 30 s" % name in err
    assert wait_for(lambda: not worker_pids(state_home), timeout=10)
    assert session_folders(state_home) == []


def test_signals_end_faast_promptly_while_a_module_loads(faast, state_home, tmp_path):
    (tmp_path / "loop.js").write_text("while (true) {}\n")
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        proc = faast.popen(tmp_path / "loop.js", "-c", "functions")
        assert wait_for(lambda: worker_pids(state_home), timeout=RUN_TIMEOUT)  # the module is loading
        proc.send_signal(sig)
        # Well before the 30 s load deadline could have ended it.
        proc.communicate(timeout=20)
        assert proc.returncode == code
        assert wait_for(lambda: not worker_pids(state_home), timeout=10)
        assert session_folders(state_home) == []


def test_signals_end_faast_promptly_while_waiting_on_a_worker(faast, state_home):
    for sig, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
        proc = faast.popen(EXAMPLES / "functions.js", "-c", "call sleep(600000)")
        assert wait_for(lambda: worker_pids(state_home), timeout=RUN_TIMEOUT)
        time.sleep(0.5)  # the call is sent
        proc.send_signal(sig)
        proc.communicate(timeout=20)
        assert proc.returncode == code
        assert wait_for(lambda: not worker_pids(state_home), timeout=10)


def test_a_session_that_cannot_be_created_leaves_no_folder(faast, faast_bin, state_home, tmp_path):
    (tmp_path / "ok.py").write_text("def f():\n    return 1\n")
    # No file may grow past 0 bytes (SIGXFSZ ignored, so the write fails with EFBIG): session.json cannot be written.
    r = subprocess.run(["bash", "-c", "trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$1\" -c 'call f()'",
                        faast_bin, str(tmp_path / "ok.py")],
                       capture_output=True, text=True, env=faast.env, timeout=RUN_TIMEOUT)
    assert r.returncode == 1, r.stderr
    assert "cannot create the session folder" in r.stderr and "File too large" in r.stderr
    assert session_folders(state_home) == []


SPAWNER = FIXTURES / "spawner.py"


def running(pid):
    """Whether `pid` is a process that has not ended (a zombie has)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def gone(pids):
    return lambda: not any(running(p) for p in pids)


def spawned_pids(text):
    return json.loads(text.splitlines()[0])


def test_processes_a_function_starts_end_with_its_session(faast):
    # One child in the worker's process group, one in a session of its own (setsid).
    r = faast.run(SPAWNER, "-c", "call spawn()")
    assert r.returncode == 0, r.stderr
    pids = spawned_pids(r.stdout)
    try:
        assert wait_for(gone(pids), timeout=10), "left running after exit"
    finally:
        for p in pids:
            if running(p):
                os.kill(p, signal.SIGKILL)


def test_cleanup_and_a_dying_worker_take_what_the_function_started(faast, tmp_path):
    # What a function started goes with its worker, even what left the worker's group (setsid): at once when
    # the worker dies, at cleanup otherwise.
    for after in ("cleanup", "call die(3)"):
        out = tmp_path / "out.txt"
        with open(out, "w") as f:
            proc = subprocess.Popen([faast.binary, str(SPAWNER), "--continue-on-error", "-c", "call spawn()", "-c", after,
                                     "-c", "sleep 60"], stdout=f, stderr=subprocess.DEVNULL, env=faast.env, text=True)
        try:
            assert wait_for(lambda: out.read_text().strip(), timeout=RUN_TIMEOUT)
            pids = spawned_pids(out.read_text())
            # faast is still running (sleep 60): the processes went with their worker, not with faast.
            assert wait_for(gone(pids), timeout=RUN_TIMEOUT), after
            assert proc.poll() is None
        finally:
            proc.kill()
            proc.wait()
            for p in spawned_pids(out.read_text()):
                if running(p):
                    os.kill(p, signal.SIGKILL)


def escaped(path):
    """The records `escape` wrote: [{"worker": pid, "children": [setsid child, daemon]}]."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_worker_killed_mid_call_takes_what_left_its_group_and_nothing_of_another_worker(faast, tmp_path):
    # Two workers each start a setsid child and a daemon (double fork, adopted by faast while the worker runs).
    # One worker is killed by its call's timeout, then the other by a signal from outside (a crash): each time
    # exactly the dead worker's processes go, at once, while faast runs; the other worker's stay until its end.
    record, hanging = tmp_path / "escaped.jsonl", tmp_path / "hanging.txt"
    proc = subprocess.Popen([faast.binary, str(SPAWNER), "--continue-on-error",
                             "-c", 'call escape("%s", 1) x2 concurrency=2 pipeline=off' % record,
                             "-c", "call hang() timeout=2", "-c", 'call hang("%s")' % hanging, "-c", "sleep 120"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=faast.env)
    try:
        assert wait_for(lambda: len(escaped(record)) == 2, timeout=RUN_TIMEOUT)
        first, second = escaped(record)
        assert first["worker"] != second["worker"], "the two calls ran on one worker"
        everything = first["children"] + second["children"]
        assert all(running(p) for p in everything)

        # The timeout kills one of the two workers (whichever was idle last).
        assert wait_for(lambda: not running(first["worker"]) or not running(second["worker"]), timeout=RUN_TIMEOUT)
        dead, alive = (first, second) if not running(first["worker"]) else (second, first)
        assert wait_for(gone(dead["children"]), timeout=RUN_TIMEOUT)
        assert running(alive["worker"]) and all(running(p) for p in alive["children"])
        assert proc.poll() is None

        # The next call runs on the other worker, which crashes (SIGKILL from outside) and takes its own.
        assert wait_for(lambda: hanging.exists() and hanging.read_text() == str(alive["worker"]), timeout=RUN_TIMEOUT)
        os.kill(alive["worker"], signal.SIGKILL)
        assert wait_for(gone(alive["children"]), timeout=RUN_TIMEOUT)
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
        for r in escaped(record):
            for p in r["children"]:
                if running(p):
                    os.kill(p, signal.SIGKILL)
