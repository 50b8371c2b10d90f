"""Batched queue mode against moto: requests go out in SNS PublishBatch requests and come back 10 a poll.

Runs the faast binary through fault_proxy.py, which counts requests (and PublishBatch entries) per operation and
refuses chosen entries the way SNS reports a partial failure (listed under `Failed`, never published). Executions
are counted by moto_lambda.py per call id. What is checked: each call is published once (an entry that may have
been taken is never sent again; a refused one goes again as a new attempt), each call runs at most once, and
each is reported exactly once. Request counts per call are measured by `scripts/bench --aws-sessions`; the
bounds here are generous (they catch a fan-out that publishes one request per call, not a slow machine).
"""
from __future__ import annotations

import collections
import subprocess

import pytest

from test_faults import FAAST_BIN, FIXTURES, MOTO, RUN_TIMEOUT, Executions, Proxy, faast, faast_env, session_of, summary
from test_faults import proxy  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(not MOTO, reason="needs moto_server: run through scripts/test (AWS_ENDPOINT_URL)")


def runs_per_call(runs):
    executions = runs.since()
    function = session_of(executions)
    return collections.Counter(e["callId"] for e in executions if e["function"] == function and e["callId"] != "describe")


def fan_out(proxy, tmp_path, count, concurrency, options="", *flags):
    return faast(proxy.url, "--provider", "aws", "--format", "json", "--timeout", "20", *flags,
                 str(FIXTURES / "sample.js"), "-c", f"call noop($i) x{count} mode=queue concurrency={concurrency} {options}",
                 tmp_path=tmp_path)


def test_a_queue_fan_out_publishes_in_batches_each_call_once(proxy, tmp_path):
    runs = Executions()
    r = fan_out(proxy, tmp_path, 200, 50)
    s = summary(r.stdout)
    assert s["succeeded"] == 200 and s["failed"] == 0, s
    stats = proxy.stats()
    assert "Publish" not in stats, stats
    batches = stats["PublishBatch"]
    assert batches["entries"] == 200, batches
    # Up to 10 entries a request; one request per call would be 200 (how full they are depends on how fast answers
    # come back, so the bound is loose; scripts/bench measures it).
    assert 20 <= batches["seen"] <= 200 // 2, batches
    # One batched delete per poll that took records, never one per record.
    assert stats["DeleteMessageBatch"]["seen"] <= stats["ReceiveMessage"]["seen"], stats
    ran = runs_per_call(runs)
    assert len(ran) == 200 and max(ran.values()) == 1, ran
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("code", ["InternalError", "Throttling"])
def test_refused_entries_alone_go_again_and_every_call_runs_once(proxy, tmp_path, code):
    # SNS refused every 4th entry (its fault, or throttling): provably not published, so only those go again.
    proxy.rules([{"op": "PublishBatch", "fault": "refuse", "every_entry": 4, "code": code, "sender_fault": False}])
    runs = Executions()
    r = fan_out(proxy, tmp_path, 60, 20, "retries=10")
    s = summary(r.stdout)
    batches = proxy.stats()["PublishBatch"]
    assert batches["refused"] >= 60 // 4, batches
    assert s["succeeded"] == 60 and s["failed"] == 0, s
    # Every refused entry is one retried attempt, and only refused entries were sent again.
    assert s["retried"] == batches["refused"], (s, batches)
    assert batches["entries"] == 60 + batches["refused"], batches
    ran = runs_per_call(runs)
    assert sum(ran.values()) == 60 and max(ran.values()) == 1, ran
    # Each call ran once, under the id of the attempt SNS published (a refused attempt never ran).
    calls = collections.Counter(k.split(".")[0] for k in ran)
    assert len(calls) == 60 and max(calls.values()) == 1, calls
    assert 1 <= len([k for k in ran if "." in k]) <= batches["refused"], ran
    assert r.returncode == 0, r.stderr


def test_an_entry_refused_for_its_own_fault_fails_its_call_once_and_never_runs(proxy, tmp_path):
    proxy.rules([{"op": "PublishBatch", "fault": "refuse", "every_entry": 5, "code": "InvalidParameter", "sender_fault": True}])
    runs = Executions()
    r = fan_out(proxy, tmp_path, 40, 10, "", "--continue-on-error")
    s = summary(r.stdout)
    batches = proxy.stats()["PublishBatch"]
    assert batches["refused"] == 40 // 5, batches
    assert s["failed"] == batches["refused"] and s["succeeded"] == 40 - s["failed"], s
    assert s["retried"] == 0, s
    assert all("SNS refused the request of noop: SNS InvalidParameter" in g["message"] for g in s["failures"]), s["failures"]
    assert {g["kind"] for g in s["failures"]} == {"provider"}, s["failures"]
    assert batches["entries"] == 40, batches
    ran = runs_per_call(runs)
    assert sum(ran.values()) == 40 - batches["refused"] and max(ran.values()) == 1, ran
    assert r.returncode == 1, r.stderr


def test_a_lost_publish_batch_reply_sends_none_of_its_entries_again(proxy, tmp_path):
    # Every 3rd PublishBatch was published, but its answer is lost (connection reset): its entries may have been
    # taken, so they are never sent again; their records arrive and are their calls' one result.
    proxy.rules([{"op": "PublishBatch", "fault": "reset", "when": "after", "every": 3}])
    runs = Executions()
    r = fan_out(proxy, tmp_path, 80, 20)
    s = summary(r.stdout)
    stats = proxy.stats()["PublishBatch"]
    assert stats["faulted"] >= 1, stats
    assert stats["entries"] == 80, stats
    assert s["succeeded"] == 80 and s["retried"] == 0 and s["rerun"] == 0, s
    ran = runs_per_call(runs)
    assert len(ran) == 80 and max(ran.values()) == 1, ran
    assert not [k for k in ran if "." in k], ran
    assert r.returncode == 0, r.stderr


def test_a_batch_that_may_have_been_taken_and_never_answers_is_reported_may_have_run_or_rerun_on_request(tmp_path):
    # The first PublishBatch is reset before moto sees it: faast cannot know, so its entries may have run. With no
    # record coming, those calls fail as mayHaveRun once their deadline (timeout + 90 s) passes, never re-sent;
    # with rerun=1 they run again, counted. Both runs at once, each through its own proxy.
    rule = [{"op": "PublishBatch", "fault": "reset", "when": "before", "times": 1}]
    proxies = [Proxy(rule), Proxy(rule)]
    try:
        runs = Executions()
        procs = []
        for p, extra, d in zip(proxies, ["", "rerun=1"], ["plain", "rerun"]):
            (tmp_path / d).mkdir()
            cmd = ["--provider", "aws", "--format", "json", "--timeout", "1", "--continue-on-error",
                   str(FIXTURES / "sample.js"), "-c", f"call noop($i) x12 mode=queue concurrency=12 {extra}"]
            procs.append(_start(p.url, cmd, tmp_path / d))
        (plain_out, plain_err, plain_code), (rerun_out, rerun_err, rerun_code) = [_finish(p) for p in procs]
        plain, rerun = summary(plain_out), summary(rerun_out)
        lost = [p.stats()["PublishBatch"] for p in proxies]
        assert all(b["faulted"] == 1 for b in lost), lost
        # The lost batch's calls: reported once each as may-have-run, never sent again.
        assert plain["failed"] >= 1 and plain["succeeded"] + plain["failed"] == 12, plain
        assert {g["kind"] for g in plain["failures"]} == {"mayHaveRun"}, plain["failures"]
        # One sentence: the cause, then once that the call may have run and was not run again.
        assert all(g["message"].startswith("noop on Lambda: the connection failed after the request was sent")
                   and g["message"].count("may have run") == 1
                   and g["message"].endswith("(it may have run, so faast did not run it again; rerun=N allows that)")
                   for g in plain["failures"]), plain["failures"]
        assert lost[0]["entries"] == 12, lost[0]
        # With rerun=1 they go again (as new attempts) and succeed.
        assert rerun["succeeded"] == 12 and rerun["rerun"] >= 1, rerun
        assert lost[1]["entries"] == 12 + rerun["rerun"], lost[1]
        assert plain_code == 1 and rerun_code == 0, (plain_err, rerun_err)
        executions = runs.since()
        ran = collections.Counter((e["function"], e["callId"]) for e in executions if e["callId"] != "describe")
        assert max(ran.values()) == 1, ran
    finally:
        for p in proxies:
            p.stop()


def _start(endpoint, args, home):
    return subprocess.Popen([FAAST_BIN, *args], env=faast_env(endpoint, home), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def _finish(process):
    out, err = process.communicate(timeout=RUN_TIMEOUT)
    return out, err, process.returncode
