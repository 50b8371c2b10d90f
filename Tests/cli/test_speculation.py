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
