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
    # A worker that dies takes its process group at once; what left the group (setsid) goes at cleanup.
    for after, group_only in (("cleanup", False), ("call die(3) retries=0", True)):
        out = tmp_path / "out.txt"
        with open(out, "w") as f:
            proc = subprocess.Popen([faast.binary, str(SPAWNER), "--continue-on-error", "-c", "call spawn()", "-c", after,
                                     "-c", "sleep 60"], stdout=f, stderr=subprocess.DEVNULL, env=faast.env, text=True)
        try:
            assert wait_for(lambda: out.read_text().strip(), timeout=RUN_TIMEOUT)
            in_group, own_session = spawned_pids(out.read_text())
            # faast is still running (sleep 60): the processes went with their worker, not with faast.
            assert wait_for(gone([in_group] if group_only else [in_group, own_session]), timeout=10), after
            assert proc.poll() is None
        finally:
            proc.kill()
            proc.wait()
            for p in spawned_pids(out.read_text()):
                if running(p):
                    os.kill(p, signal.SIGKILL)
