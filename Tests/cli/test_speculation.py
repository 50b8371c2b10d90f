"""speculative=K through the binary: a straggler of a fan-out gets a duplicate that answers first, and the
summary, `stats` and `cost` count it. The straggler would outlast its timeout: the fan-out succeeds only if
the duplicate won."""
import json

from conftest import FIXTURES


def test_straggler_rescued_and_counted(faast, tmp_path):
    marker = tmp_path / "marker"
    r = faast.run(FIXTURES / "straggler.js", "--format", "json",
                  "-c", 'call work($i, 25, "%s", 60000) x40 concurrency=4 speculative=3 timeout=30' % marker,
                  "-c", "stats work", "-c", "cost", timeout=60)
    assert r.returncode == 0, r.stderr
    objs = [json.loads(l) for l in r.stdout.splitlines()]
    fan_out, stats, cost = objs[1], objs[2], objs[3]
    assert marker.exists(), "the slow attempt ran"
    assert fan_out["succeeded"] == 40 and fan_out["failed"] == 0
    assert fan_out["speculative"] >= 1 and fan_out["speculativeWins"] >= 1
    work = stats["functions"]["work"]
    assert work["speculative"] == fan_out["speculative"] and work["invocations"] == 40
    assert any("speculative duplicate" in n for n in cost["cost"]["notes"])


def test_text_summary_names_the_duplicates(faast, tmp_path):
    marker = tmp_path / "marker"
    r = faast.run(FIXTURES / "straggler.js",
                  "-c", 'call work($i, 25, "%s", 60000) x40 concurrency=4 speculative=3 timeout=30' % marker,
                  timeout=60)
    assert r.returncode == 0, r.stderr
    assert "40 ok · 0 failed · 0 retried · " in r.stdout and " speculative (" in r.stdout and " won)" in r.stdout


def test_speculative_takes_a_number(faast):
    r = faast.run(FIXTURES / "straggler.js", "-c", "call work(1, 0, \"x\", 0) speculative=fast")
    assert r.returncode == 2
    assert "speculative=" in r.stderr


def test_straggler_on_lambda_rescued_and_counted(faast, aws_env, tmp_path, lam):
    """The same on moto (https mode): the duplicate is a second Invoke whose answer wins; the abandoned one
    would time out (its slow attempt outlasts the function's timeout), so the fan-out is whole only if the
    duplicate answered. Both invocations are billed: `stats` and `cost` count the duplicate."""
    marker, release = tmp_path / "marker", tmp_path / "release"
    try:
        r = faast.run("--provider", "aws", FIXTURES / "straggler.js", "--format", "json",
                      "-c", 'call work($i, 15, "%s", 60000, "%s") x30 concurrency=4 speculative=3 timeout=20'
                      % (marker, release),
                      "-c", "results", "-c", "stats work", "-c", "cost", "-c", "status", timeout=240)
    finally:
        release.write_text("done")  # the abandoned attempt ends now instead of at its timeout
    assert r.returncode == 0, r.stderr
    objs = [json.loads(l) for l in r.stdout.splitlines()]
    fan_out = next(o for o in objs if o.get("command") == "call")
    results = next(o for o in objs if o.get("command") == "results")
    stats = next(o for o in objs if o.get("command") == "stats")
    cost = next(o for o in objs if o.get("command") == "cost")
    function = next(o for o in objs if o.get("command") == "status")["function"]
    assert marker.exists(), "the slow attempt ran"
    assert fan_out["succeeded"] == 30 and fan_out["failed"] == 0
    assert results["results"] == [{"ok": True, "value": i} for i in range(30)]
    assert fan_out["speculative"] >= 1 and fan_out["speculativeWins"] >= 1
    work = stats["functions"]["work"]
    assert work["speculative"] == fan_out["speculative"] and work["invocations"] == 30
    assert any("speculative duplicate" in n for n in cost["cost"]["notes"])
    requests = next(m for m in cost["cost"]["metrics"] if m["name"] == "functionCallRequests")
    assert requests["measured"] == 30 + fan_out["speculative"]
    # The session's function is gone (the abandoned invocation does not keep it).
    assert function.startswith("faast-")
    assert function not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
