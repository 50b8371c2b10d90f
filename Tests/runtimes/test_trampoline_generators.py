"""Generator functions in the trampolines: each yielded value as its own `yield` message (when the request
asks for a stream), the result as the array of the values, and the values kept in the error of a generator
that fails after some yields. Workers are driven the way the host drives them (fd 3 in, fd 4 out)."""
import json
import os
import subprocess

import pytest

from test_trampolines import NODE, PYTHON, Worker, _lambda_dir

RUNTIMES = [("node", "generators.js"), ("python", "generators.py")]


@pytest.fixture(scope="module", params=RUNTIMES, ids=["node", "python"])
def gen_worker(request, tmp_path_factory):
    runtime, module = request.param
    w = Worker(runtime, module, tmp_path_factory.mktemp("gen-" + runtime))
    assert w.read()["type"] == "ready"
    yield w
    w.stop()


def start_call(w, name, *args, stream=True):
    w.next_id += 1
    call_id = "g%d" % w.next_id
    req = {"callId": call_id, "name": name, "args": list(args)}
    if stream is not None:
        req["stream"] = stream
    w.send_raw(json.dumps(req, ensure_ascii=False) + "\n")
    return call_id


def collect(w, call_id, limit=100):
    """The yield messages of one call, then its final answer (bounded by count)."""
    yields = []
    for _ in range(limit):
        msg = w.read()
        assert msg["callId"] == call_id, msg
        if msg["type"] != "yield":
            return yields, msg
        yields.append(msg)
    raise AssertionError("no final answer after %d messages" % limit)


def test_describe_marks_generators(gen_worker):
    resp = gen_worker.request({"op": "describe", "callId": "d"})
    flags = {f["name"]: f.get("generator", False) for f in resp["functions"]}
    assert flags == {
        "countdown": True, "asyncCountdown": True, "waitForFile": True, "asyncWaitForFile": True,
        "failAfter": True, "yieldsUnserializable": True, "values": True, "empty": True, "slowAfter": True,
        "exitOnce": True, "plain": False}
    assert "generator" not in [f for f in resp["functions"] if f["name"] == "plain"][0]


@pytest.mark.parametrize("name", ["countdown", "asyncCountdown"])
def test_values_stream_in_order_then_the_array(gen_worker, name):
    call_id = start_call(gen_worker, name, 3)
    yields, final = collect(gen_worker, call_id)
    assert [(y["seq"], y["value"]) for y in yields] == [(0, 3), (1, 2), (2, 1)]
    assert final["type"] == "returned"
    assert final["value"] == [3, 2, 1]
    assert final["start"] <= final["end"]


def test_without_a_stream_only_the_array_comes_back(gen_worker):
    for stream in (None, False):
        call_id = start_call(gen_worker, "countdown", 4, stream=stream)
        yields, final = collect(gen_worker, call_id)
        assert yields == []
        assert final["type"] == "returned" and final["value"] == [4, 3, 2, 1]


def test_values_are_exact(gen_worker):
    call_id = start_call(gen_worker, "values")
    w = gen_worker
    lines = []
    for _ in range(6):
        lines.append(w.read_raw())
    # the big integer travels as digits, never as a float
    assert b"12345678901234567890123" in lines[1]
    msgs = [json.loads(l) for l in lines]
    expected = ["你好 👋🏽", 12345678901234567890123, {"$faast": "bytes", "base64": "aGk="},
                {"nested": [1, None, True]}, None]
    assert [m["value"] for m in msgs[:5]] == expected
    assert msgs[5]["callId"] == call_id and msgs[5]["value"] == expected
    assert b'"\xe4\xbd\xa0\xe5\xa5\xbd' in lines[0]  # utf-8 on the wire, not \u escapes


def test_empty_generator(gen_worker):
    yields, final = collect(gen_worker, start_call(gen_worker, "empty"))
    assert yields == [] and final["value"] == []


def test_plain_functions_are_unchanged(gen_worker):
    yields, final = collect(gen_worker, start_call(gen_worker, "plain", [1, 2]))
    assert yields == [] and final["value"] == [1, 2]


def test_error_after_yields_keeps_the_values(gen_worker):
    call_id = start_call(gen_worker, "failAfter", 2, "boom")
    yields, final = collect(gen_worker, call_id)
    assert [y["value"] for y in yields] == [0, 1]
    assert final["type"] == "error"
    err = final["error"]
    assert err["message"] == "boom"
    assert err["code"] == "E_GEN"
    assert err["yielded"] == [0, 1]
    assert "kind" not in err
    assert "failAfter" in err["stack"]


def test_unserializable_yield_is_a_serialization_error(gen_worker):
    yields, final = collect(gen_worker, start_call(gen_worker, "yieldsUnserializable"))
    assert [y["value"] for y in yields] == [1]
    err = final["error"]
    assert err["kind"] == "serialization"
    assert "yieldsUnserializable yielded a value that cannot be serialized" in err["message"]
    assert err["yielded"] == [1]


@pytest.mark.parametrize("name", ["waitForFile", "asyncWaitForFile"])
def test_first_value_arrives_while_the_function_still_runs(gen_worker, tmp_path, name):
    # The function cannot finish before the file exists, and the file is made only once the first value
    # has arrived: the value was streamed, not sent with the result.
    flag = tmp_path / ("flag-" + gen_worker.runtime + "-" + name)
    call_id = start_call(gen_worker, name, str(flag), 10000)
    first = gen_worker.read()
    assert first == {"callId": call_id, "type": "yield", "seq": 0, "value": "first"}
    flag.write_text("go")
    yields, final = collect(gen_worker, call_id)
    assert [y["value"] for y in yields] == ["second"]
    assert final["type"] == "returned", final
    assert final["value"] == ["first", "second"]


def test_worker_serves_calls_after_generators(gen_worker):
    assert gen_worker.value("plain", "after") == "after"


def test_log_has_start_and_end(gen_worker):
    collect(gen_worker, start_call(gen_worker, "countdown", 1))
    log = gen_worker.log()
    assert "START countdown" in log and "END countdown" in log


# ---------------------------------------------------------------------------------------------
# Lambda handler (https mode: no stream; the values come with the result)


LAMBDA_EVENTS = [
    {"callId": "l1", "name": "countdown", "args": [3]},
    {"callId": "l2", "name": "asyncCountdown", "args": [2]},
    {"callId": "l3", "name": "failAfter", "args": [1, "late"]},
    {"op": "describe", "callId": "l4"},
]

DRIVERS = {
    "node": (lambda: [NODE, "-e", """
const { handler } = require('./trampoline.js');
(async () => {
  const out = [];
  for (const e of JSON.parse(process.argv[1])) out.push(await handler(e, {}));
  require('fs').writeFileSync(process.argv[2], JSON.stringify(out));
})();
"""]),
    "python": (lambda: [PYTHON, "-c", """
import json, sys
import trampoline
out = [trampoline.handler(e, None) for e in json.loads(sys.argv[1])]
open(sys.argv[2], 'w').write(json.dumps(out))
"""]),
}


@pytest.mark.parametrize("runtime,module", RUNTIMES)
def test_lambda_handler_returns_the_array(tmp_path, runtime, module):
    d = _lambda_dir(tmp_path, runtime, module)
    out_file = tmp_path / "out.json"
    proc = subprocess.run(DRIVERS[runtime]() + [json.dumps(LAMBDA_EVENTS), str(out_file)], cwd=str(d),
                          capture_output=True, timeout=20)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out_file.read_text())
    assert results[0]["type"] == "returned" and results[0]["value"] == [3, 2, 1]
    assert results[1]["value"] == [2, 1]
    assert results[2]["type"] == "error" and results[2]["error"]["yielded"] == [0]
    assert results[2]["error"]["message"] == "late"
    gens = {f["name"] for f in results[3]["functions"] if f.get("generator")}
    assert "countdown" in gens and "plain" not in gens
