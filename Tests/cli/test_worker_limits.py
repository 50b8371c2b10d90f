"""What a local worker sees and may use (issue 15): a clean, documented environment (AWS keys only when named),
and the memory size held on the worker's whole resident memory, for node's Buffers and python alike, without
breaking python's threads."""
import json

from conftest import FIXTURES

SAMPLE = FIXTURES / "sample.py"
SPAWNER = FIXTURES / "spawner.py"
BUFFERS = FIXTURES / "buffers.js"


def values(r):
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_workers_see_a_documented_environment_not_faasts(faast):
    faast.env.update(AWS_SECRET_ACCESS_KEY="s3cret", AWS_ACCESS_KEY_ID="AKIDEXAMPLE", SOME_TOKEN="t0ken",
                     LC_TIME="C", TZ="UTC")
    names = ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "SOME_TOKEN", "PATH", "HOME", "LC_TIME", "TZ",
             "FAAST_MODULE", "FAAST_MEMORY_MB", "FAAST_PROVIDER", "GREETING"]
    r = faast.run(SAMPLE, "--memory", "256", "--env", "GREETING=hi", *sum((["-c", 'call env("%s")' % n] for n in names), []))
    assert r.returncode == 0, r.stderr
    seen = dict(zip(names, values(r)))
    assert seen["AWS_SECRET_ACCESS_KEY"] is None and seen["AWS_ACCESS_KEY_ID"] is None and seen["SOME_TOKEN"] is None
    assert seen["PATH"] == faast.env["PATH"] and seen["HOME"] == faast.env["HOME"]
    assert (seen["LC_TIME"], seen["TZ"]) == ("C", "UTC")
    assert seen["FAAST_MODULE"] == str(SAMPLE) and seen["FAAST_MEMORY_MB"] == "256"
    assert (seen["FAAST_PROVIDER"], seen["GREETING"]) == ("local", "hi")


def test_inherit_passes_more_but_aws_keys_only_by_name(faast):
    faast.env.update(AWS_SECRET_ACCESS_KEY="s3cret", SOME_TOKEN="t0ken", SOME_OTHER="x")
    calls = ["-c", 'call env("AWS_SECRET_ACCESS_KEY")', "-c", 'call env("SOME_TOKEN")', "-c", 'call env("SOME_OTHER")']
    r = faast.run("-c", "open %s inherit=*" % SAMPLE, *calls)
    assert r.returncode == 0, r.stderr
    assert values(r) == [None, "t0ken", "x"]
    r = faast.run("-c", 'open %s inherit=["SOME_T*", "AWS_SECRET_ACCESS_KEY"]' % SAMPLE, *calls)
    assert r.returncode == 0, r.stderr
    assert values(r) == ["s3cret", "t0ken", None]


def test_memory_size_holds_for_buffers_outside_the_v8_heap(faast):
    # --memory 128 let node allocate 3,000 MB of Buffers.
    r = faast.run(BUFFERS, "--memory", "128", "--format", "json", "-c", "call buffers(3000)")
    assert r.returncode == 1, r.stderr
    out = values(r)[-1]
    assert out["error"]["kind"] == "outOfMemory", out
    assert out["error"]["message"].startswith("buffers exceeded its memory size of 128 MB (")
    in_use = int(out["error"]["message"].split("(")[1].split(" MB")[0])
    assert 128 < in_use < 1500, out  # stopped long before 3,000 MB
    assert out.get("attempts", 1) == 1


def test_memory_size_holds_for_python_without_breaking_threads(faast):
    r = faast.run(SPAWNER, "--memory", "128", "--format", "json", "-c", "call allocate(400)")
    assert r.returncode == 1, r.stderr
    assert values(r)[-1]["error"]["kind"] == "outOfMemory"
    # An address-space limit of 1024 MB made "can't start new thread" of 200 threads needing 16 MB.
    r = faast.run(SPAWNER, "--memory", "1024", "-c", "call threads(200)", "-c", "call allocate(100)")
    assert r.returncode == 0, r.stderr
    assert values(r) == [200, 100]


def test_memory_size_counts_the_processes_a_function_starts(faast):
    # Three processes of 80 MB each, started from a thread of the worker (the children of every thread count,
    # as a multiprocessing pool's workers would): the worker alone stays far below 128 MB.
    r = faast.run(SPAWNER, "--memory", "128", "--format", "json", "-c", "call hold_in_children(3, 80, 20)")
    assert r.returncode == 1, r.stderr
    out = values(r)[-1]
    assert out["error"]["kind"] == "outOfMemory", out
    assert out["error"]["message"].startswith("hold_in_children exceeded its memory size of 128 MB ("), out
