"""Modules that never finish loading, signals while a module loads, and a session that cannot be created
(issue 15): a clear `deployFailed`, prompt exits with 130/143, and nothing left behind — no worker process, no
session folder."""
import os
import signal
import subprocess
import time

from conftest import EXAMPLES, RUN_TIMEOUT, wait_for, worker_pids


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
        assert "error: %s did not finish loading within 30 s" % name in err
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
