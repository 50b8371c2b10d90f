"""`analyze` through the binary: a row per memory size (locally with Lambda estimates and a note that local
time does not scale with memory), the cheapest and fastest marked, JSON rows, and every variant removed —
checked against the process table and the session folders while the main session is still open."""
import json
import os
import signal
import time

from conftest import EXAMPLES, FIXTURES, wait_for, worker_pids

JS = EXAMPLES / "functions.js"


def sessions(state_home):
    root = state_home / "faast" / "local"
    return sorted(p for p in root.iterdir() if p.name.startswith("faast-")) if root.exists() else []


def test_analyze_json_rows_and_cleanup(faast, state_home):
    p = faast.popen(JS, "--format", "json", "-c", "analyze call square($i) x12 memory=128,256", "-c", "status",
                    "-c", "sleep 30")
    try:
        lines = []
        for _ in range(3):
            line = p.stdout.readline()
            assert line, p.stderr.read()
            lines.append(json.loads(line))
        analysis, status = lines[1], lines[2]
        # The main session is still open (sleeping): only its workers run, and only its folder is not cleaned.
        main = status["session"]
        pids = worker_pids(state_home)
        assert pids, "the main session's worker"
        for pid in pids:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                assert main.encode() in f.read()
        folders = sessions(state_home)
        assert len(folders) == 3
        for folder in folders:
            assert (folder / "trampoline.js").exists() == (str(folder) == main), folder
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
    assert analysis["command"] == "analyze" and analysis["ok"] is True
    assert analysis["function"] == "square" and analysis["count"] == 12
    rows = analysis["rows"]
    assert [r["memoryMb"] for r in rows] == [128, 256]
    for r in rows:
        assert (r["calls"], r["succeeded"], r["failed"]) == (12, 12, 0)
        assert r["billedMsPerCall"] >= 1 and r["costPerCall"] > 0
        assert abs(r["workloadCost"] - 12 * r["costPerCall"]) < 1e-12
        assert r["p50Ms"] <= r["p99Ms"]
    assert sum(r["cheapest"] for r in rows) == 1 and sum(r["fastest"] for r in rows) == 1
    assert "local" in analysis["note"] and "do not scale" in analysis["note"]


def test_analyze_text_table(faast):
    r = faast.run(JS, "-c", "analyze call add($i, 1) x5 memory=128,256")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "add x5 at 2 memory sizes"
    assert lines[1].split() == ["memory", "calls", "failed", "mean", "p50", "p99", "billed/call", "cost/call", "workload"]
    assert lines[2].startswith("128 MB") and lines[3].startswith("256 MB")
    assert "cheapest" in r.stdout and "fastest" in r.stdout


def test_analyze_mistakes(faast):
    r = faast.run(JS, "-c", "analyze call square(1) memory=12")
    assert r.returncode == 2 and "memory= takes whole numbers of MB from 128 to 10,240" in r.stderr
    r = faast.run(JS, "-c", "analyze square(1)")
    assert r.returncode == 2 and "expected 'call' after 'analyze'" in r.stderr
    r = faast.run(JS, "-c", "analyze call sqare(1) memory=128")
    assert r.returncode == 2 and "did you mean 'square'" in r.stderr


def test_ctrl_c_during_analyze_removes_the_variants(faast, state_home, tmp_path):
    marker = tmp_path / "marker"
    p = faast.popen(FIXTURES / "straggler.js",
                    "-c", 'analyze call work(0, 0, "%s", 30000) memory=128,256' % marker)
    try:
        assert wait_for(marker.exists, timeout=20), p.stderr.read() if p.poll() is not None else "no call started"
        p.send_signal(signal.SIGINT)
        assert p.wait(30) == 130
    finally:
        if p.poll() is None:
            p.kill()
    assert wait_for(lambda: not worker_pids(state_home), timeout=10)
    for folder in sessions(state_home):
        assert not (folder / "trampoline.js").exists(), folder
    # Only the first size was deployed: the cancel stopped the analysis there.
    assert len(sessions(state_home)) == 2


def test_analyze_says_why_calls_failed(faast):
    r = faast.run(JS, "-c", 'analyze call fail("no luck") x3 memory=128')
    assert r.returncode == 1
    assert "failed at 128 MB: 3 calls (exception): Error: no luck" in r.stderr, r.stderr
    j = faast.run(JS, "--format", "json", "-c", 'analyze call fail("no luck") x3 memory=128')
    row = json.loads(j.stdout.splitlines()[-1])["rows"][0]
    assert (row["calls"], row["failed"]) == (3, 3)
    assert [(f["kind"], f["message"], f["count"]) for f in row["failures"]] == [("exception", "Error: no luck", 3)]
