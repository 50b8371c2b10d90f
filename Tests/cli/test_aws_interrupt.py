"""Ctrl-C in an AWS queue fan-out, against moto: the summary says how many cancelled calls had been sent (and so
may still finish on Lambda, which nothing can stop), apart from those never sent; nothing is left deployed."""
import os
import re
import signal

from conftest import wait_for

HOLD = """import os, time


def hold(folder, i):
    open(os.path.join(folder, str(i)), "w").close()
    time.sleep(8)
    return i
"""


def test_ctrl_c_in_a_queue_fan_out_names_the_calls_that_may_still_run(faast, aws_env, tmp_path, lam):
    module = tmp_path / "hold.py"
    module.write_text(HOLD)
    marks = tmp_path / "marks"
    marks.mkdir()
    before = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    p = faast.popen("--provider", "aws", module, "-c", f'call hold("{marks}", $i) x40 mode=queue concurrency=5')
    try:
        # moto's fixture runs the function on this machine: a mark says a call is running.
        assert wait_for(lambda: len(os.listdir(marks)) >= 1, timeout=120), "no call started"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 130, (out, err)
    m = re.fullmatch(r"interrupted: (\d+) ok · 0 failed · 0 retried · (\d+) cancelled "
                     r"\((all|\d+) while running: (they|it) may still finish on Lambda\) \(hold x40, mode queue\)\n", out)
    assert m, (out, err)
    ok, cancelled = int(m.group(1)), int(m.group(2))
    running = cancelled if m.group(3) == "all" else int(m.group(3))
    assert ok + cancelled == 40
    # At most `concurrency` calls were sent; at least the one seen running was; the others were never made.
    assert 1 <= running <= 5, out
    assert running < cancelled, "calls never sent are not counted as running"
    # The session's function is gone, as after any run.
    after = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert after <= before, f"left deployed: {after - before}"
