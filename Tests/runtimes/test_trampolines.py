"""Tests for the faast worker trampolines (runtimes/node/trampoline.js, runtimes/python/trampoline.py).

Each worker is spawned the way the Swift host does it: requests on fd 3, responses on fd 4,
stdout/stderr into a log file, FAAST_MODULE pointing at a fixture and cwd = the fixture's folder.
"""
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE_TRAMPOLINE = os.path.join(ROOT, "runtimes", "node", "trampoline.js")
PY_TRAMPOLINE = os.path.join(ROOT, "runtimes", "python", "trampoline.py")
MODULES = os.path.join(ROOT, "Tests", "Fixtures", "modules")
NODE = shutil.which("node")
PYTHON = sys.executable

SAMPLE_FUNCTIONS = [
    "hello", "add", "echo", "sleep", "fail", "logs", "exitWith", "allocate", "unserializable",
    "returnsFunction", "env", "cwd", "pid", "killSelf", "bytes", "specials", "asyncHello", "typeOf",
    "noop", "fancy",
]


class Worker:
    def __init__(self, runtime, module, tmp_path, extra_env=None):
        self.runtime = runtime
        self.module = os.path.join(MODULES, module)  # an absolute module path is kept as is
        base = os.path.basename(module)
        self.log_path = str(tmp_path / ("worker-%s-%s.log" % (runtime, base)))
        session = tmp_path / ("session-%s-%s" % (runtime, base))
        session.mkdir(exist_ok=True)
        src = NODE_TRAMPOLINE if runtime == "node" else PY_TRAMPOLINE
        self.trampoline = str(session / os.path.basename(src))
        shutil.copy(src, self.trampoline)
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()

        def arrange_fds():
            a = fcntl.fcntl(req_r, fcntl.F_DUPFD_CLOEXEC, 10)
            b = fcntl.fcntl(resp_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        env = dict(os.environ)
        env["FAAST_MODULE"] = self.module
        env.update(extra_env or {})
        cmd = [NODE, self.trampoline] if runtime == "node" else [PYTHON, self.trampoline]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                cwd=os.path.dirname(self.module), preexec_fn=arrange_fds, close_fds=False)
        os.close(req_r)
        os.close(resp_w)
        self.buf = b""
        self.raw_lines = []
        self.next_id = 0

    def read_raw(self, timeout=10):
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no response from the worker; log:\n" + self.log())
            r, _, _ = select.select([self.resp_r], [], [], left)
            if r:
                chunk = os.read(self.resp_r, 65536)
                if not chunk:
                    raise EOFError("worker closed fd 4; log:\n" + self.log())
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        self.raw_lines.append(line)
        return line

    def read(self, timeout=10):
        return json.loads(self.read_raw(timeout))

    def send_raw(self, text):
        data = text.encode("utf-8") if isinstance(text, str) else text
        os.write(self.req_w, data)

    def request(self, obj):
        self.send_raw(json.dumps(obj, ensure_ascii=False) + "\n")
        return self.read()

    def call(self, name, *args):
        self.next_id += 1
        call_id = "c%d" % self.next_id
        resp = self.request({"callId": call_id, "name": name, "args": list(args)})
        assert resp["callId"] == call_id
        return resp

    def call_raw(self, name, args_text):
        self.next_id += 1
        call_id = "c%d" % self.next_id
        self.send_raw('{"callId":"%s","name":"%s","args":%s}\n' % (call_id, name, args_text))
        return self.read_raw()

    def value(self, name, *args):
        resp = self.call(name, *args)
        assert resp["type"] == "returned", resp
        return resp["value"]

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def close_requests(self):
        if self.req_w is not None:
            os.close(self.req_w)
            self.req_w = None

    def stop(self):
        self.close_requests()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.resp_r)


SAMPLES = [("node", "sample.js"), ("node", "sample.mjs"), ("python", "sample.py")]


def names_and_params(functions):
    """describe's functions without the details `help FN` shows (tested on their own)."""
    return [{k: f[k] for k in ("name", "params", "generator") if k in f} for f in functions]


@pytest.fixture(scope="module", params=SAMPLES, ids=["node-cjs", "node-esm", "python"])
def worker(request, tmp_path_factory):
    runtime, module = request.param
    w = Worker(runtime, module, tmp_path_factory.mktemp(runtime))
    ready = w.read()
    assert ready["type"] == "ready", ready
    w.ready = ready
    yield w
    w.stop()


def spawn(runtime, module, tmp_path, extra_env=None):
    return Worker(runtime, module, tmp_path, extra_env)


# ---------------------------------------------------------------------------------------------
# Startup and describe


def test_ready(worker):
    assert worker.ready["runtime"] == worker.runtime
    assert worker.ready["pid"] == worker.proc.pid
    assert re.match(r"^\d+\.\d+\.\d+", worker.ready["version"])


def test_describe(worker):
    resp = worker.request({"op": "describe", "callId": "d1"})
    assert resp["callId"] == "d1"
    assert resp["type"] == "described"
    assert resp["runtime"] == worker.runtime
    names = [f["name"] for f in resp["functions"]]
    assert names == SAMPLE_FUNCTIONS
    params = {f["name"]: f["params"] for f in resp["functions"]}
    assert params["hello"] == ["name"]
    assert params["add"] == ["a", "b"]
    assert params["specials"] == []
    if worker.runtime == "node":
        assert params["fancy"] == ["a", "b", "{x, y}", "...rest"]
    else:
        assert params["fancy"] == ["a", "b", "*rest", "**kw"]


# ---------------------------------------------------------------------------------------------
# Calls and values


def test_hello_and_timing(worker):
    resp = worker.call("hello", "world")
    assert resp["type"] == "returned"
    assert resp["value"] == "hello world!"
    assert resp["start"] <= resp["end"]
    assert abs(resp["start"] - time.time() * 1000) < 60000
    assert resp["memoryMb"] > 0
    assert worker.value("asyncHello", "bob") == "hello bob!"
    assert worker.value("add", 2, 3) == 5
    assert worker.value("noop", 41) == 42


@pytest.mark.parametrize("value", [
    "你好", "👋🏽", 1.5, 1e300, -0.25, 0, None, True, False, [], {},
    [1, [2, [3, {"a": [None, "x"]}]]], {"nested": {"list": [1, 2.5, "three"], "empty": {}}},
])
def test_round_trip(worker, value):
    assert worker.value("echo", value) == value


def test_big_integers_are_exact(worker):
    line = worker.call_raw("echo", "[12345678901234567890123]")
    assert b'"value":12345678901234567890123,' in line
    line = worker.call_raw("echo", "[-9007199254740993]")
    assert b'"value":-9007199254740993,' in line
    line = worker.call_raw("echo", "[[9007199254740993, 1.2345678901234567, \"12345678901234567890\"]]")
    assert b'"value":[9007199254740993,1.2345678901234567,"12345678901234567890"]' in line
    big_type = "bigint" if worker.runtime == "node" else "int"
    assert json.loads(worker.call_raw("typeOf", "[12345678901234567890123]"))["value"] == big_type


def test_unicode_text_is_utf8_on_the_wire(worker):
    line = worker.call_raw("echo", '["你好 👋🏽"]')
    assert '"value":"你好 👋🏽"'.encode("utf-8") in line


def test_bytes(worker):
    tag = {"$faast": "bytes", "base64": "aGk="}
    assert worker.value("typeOf", tag) == "bytes"
    assert worker.value("echo", tag) == tag
    assert worker.value("bytes", "hé") == {"$faast": "bytes", "base64": "aMOp"}
    line = worker.call_raw("bytes", '["x"]')
    assert b'"value":{"$faast":"bytes","base64":"eA=="}' in line


def test_specials(worker):
    none = {"$faast": "undefined"} if worker.runtime == "node" else None
    assert worker.value("specials") == [
        {"$faast": "NaN"}, {"$faast": "Infinity"}, {"$faast": "-Infinity"}, none,
        {"$faast": "date", "iso": "1970-01-01T00:00:00.000Z"},
    ]
    for tag in ({"$faast": "NaN"}, {"$faast": "Infinity"}, {"$faast": "-Infinity"}):
        assert worker.value("echo", tag) == tag


def test_date(worker):
    tag = {"$faast": "date", "iso": "2024-02-29T12:34:56.789Z"}
    assert worker.value("typeOf", tag) == "date"
    assert worker.value("echo", tag) == tag


def test_undefined(worker):
    tag = {"$faast": "undefined"}
    if worker.runtime == "node":
        assert worker.value("typeOf", tag) == "undefined"
        assert worker.value("echo", tag) == tag
        assert worker.value("echo", [1, tag]) == [1, tag]
        assert worker.value("echo", {"a": tag, "b": 1}) == {"b": 1}
    else:
        assert worker.value("typeOf", tag) == "none"
        assert worker.value("echo", tag) is None


def test_environment(worker):
    assert worker.value("cwd") == MODULES
    assert worker.value("env", "FAAST_MODULE") == worker.module
    assert worker.value("env", "FAAST_SURELY_UNSET_VARIABLE") is None
    assert worker.value("pid") == worker.proc.pid


# ---------------------------------------------------------------------------------------------
# Errors


def test_exception(worker):
    resp = worker.call("fail", "went wrong")
    assert resp["type"] == "error"
    err = resp["error"]
    expected_name = "Error" if worker.runtime == "node" else "FailError"
    assert err["name"] == expected_name
    assert err["message"] == "went wrong"
    assert err["code"] == "E_FAIL"
    assert "kind" not in err
    assert os.path.basename(worker.module) in err["stack"]
    assert "trampoline" not in err["stack"]
    assert resp["start"] <= resp["end"]


def test_serialization_errors(worker):
    resp = worker.call("unserializable")
    assert resp["type"] == "error"
    assert resp["error"]["kind"] == "serialization"
    assert "unserializable" in resp["error"]["message"]
    if worker.runtime == "node":
        assert "circular" in resp["error"]["message"]
    resp = worker.call("returnsFunction")
    assert resp["error"]["kind"] == "serialization"
    assert "returnsFunction" in resp["error"]["message"]
    resp = worker.call("echo", {"$faast": "nonsense"})
    assert resp["error"]["kind"] == "serialization"
    assert "echo argument 1" in resp["error"]["message"]


def test_not_found(worker):
    resp = worker.call("nope")
    assert resp["type"] == "error"
    assert resp["error"]["kind"] == "notFound"
    assert resp["error"]["message"] == "no function 'nope' in module"
    resp = worker.call("toString" if worker.runtime == "node" else "__init__")
    assert resp["error"]["kind"] == "notFound"


def test_protocol_errors(worker):
    worker.send_raw("this is not json\n")
    resp = worker.read()
    assert resp["type"] == "error" and resp["error"]["kind"] == "protocol"
    resp = worker.request({"op": "dance", "callId": "p1"})
    assert resp["callId"] == "p1"
    assert resp["error"]["name"] == "ProtocolError"
    # still alive
    assert worker.value("add", 1, 1) == 2


def test_pipelined_requests(worker):
    # several lines in one write, and a line split over two writes
    worker.send_raw('{"callId":"m1","name":"noop","args":[1]}\n{"callId":"m2","name":"sleep","args":[5]}\n'
                    '{"callId":"m3","name":"no')
    time.sleep(0.05)
    worker.send_raw('op","args":[3]}\n')
    got = [worker.read() for _ in range(3)]
    assert [(r["callId"], r["value"]) for r in got] == [("m1", 2), ("m2", 5), ("m3", 4)]


# ---------------------------------------------------------------------------------------------
# Logs


def test_logs(worker):
    resp = worker.call("logs", 3)
    assert resp["value"] == 3
    call_id = resp["callId"]
    log = worker.log()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    for i in range(3):
        assert re.search(r"^%s %s line %d$" % (stamp, call_id, i), log, re.M), log
    assert re.search(r"^%s %s to stderr$" % (stamp, call_id), log, re.M), log
    assert re.search(r"^%s %s START logs$" % (stamp, call_id), log, re.M), log
    assert re.search(r"^%s %s END logs \d+\.\d ms$" % (stamp, call_id), log, re.M), log
    for raw in worker.raw_lines:
        assert b"line 0" not in raw and b"to stderr" not in raw


# ---------------------------------------------------------------------------------------------
# Lifecycle


@pytest.mark.parametrize("runtime,module", SAMPLES)
def test_eof_exits_zero(runtime, module, tmp_path):
    w = spawn(runtime, module, tmp_path)
    assert w.read()["type"] == "ready"
    t0 = time.time()
    w.close_requests()
    assert w.proc.wait(5) == 0
    assert time.time() - t0 < 2
    w.stop()


@pytest.mark.parametrize("runtime,module", SAMPLES)
def test_exit_and_signals(runtime, module, tmp_path):
    w = spawn(runtime, module, tmp_path)
    assert w.read()["type"] == "ready"
    w.send_raw('{"callId":"x","name":"exitWith","args":[7]}\n')
    assert w.proc.wait(5) == 7
    w.stop()
    w = spawn(runtime, module, tmp_path)
    assert w.read()["type"] == "ready"
    w.send_raw('{"callId":"k","name":"killSelf","args":["SIGKILL"]}\n')
    assert w.proc.wait(5) == -9
    w.stop()


@pytest.mark.parametrize("runtime,module,line", [
    ("node", "broken.js", 3), ("python", "broken.py", 3),
    ("node", "throws_on_load.js", 3), ("python", "throws_on_load.py", 3),
])
def test_load_errors(runtime, module, line, tmp_path):
    w = spawn(runtime, module, tmp_path)
    msg = w.read()
    assert msg["type"] == "loadError", msg
    err = msg["error"]
    assert err["line"] == line
    assert err["file"] == os.path.join(MODULES, module)
    if module.startswith("broken"):
        assert err["name"] == "SyntaxError"
    else:
        assert "boom at load" in err["message"]
        assert "trampoline" not in err["stack"]
    assert w.proc.wait(5) == 1
    w.stop()


@pytest.mark.parametrize("runtime", ["node", "python"])
def test_missing_module(runtime, tmp_path):
    w = spawn(runtime, "does_not_exist." + ("js" if runtime == "node" else "py"), tmp_path)
    msg = w.read()
    assert msg["type"] == "loadError"
    assert w.proc.wait(5) == 1
    w.stop()


@pytest.mark.parametrize("runtime,module", [("node", "nofunctions.js"), ("python", "nofunctions.py")])
def test_no_functions(runtime, module, tmp_path):
    w = spawn(runtime, module, tmp_path)
    assert w.read()["type"] == "ready"
    resp = w.request({"op": "describe", "callId": "d"})
    assert names_and_params(resp["functions"]) == []
    assert w.call("getcwd")["error"]["kind"] == "notFound"
    assert w.call("_private")["error"]["kind"] == "notFound"
    w.stop()


def test_python_threads_are_not_limited_by_the_memory_size(tmp_path):
    # An address-space limit of 1024 MB made "can't start new thread" of 200 threads that need 16 MB of
    # memory; the host now holds the worker's resident memory to the size instead (MemoryWatch).
    w = spawn("python", "spawner.py", tmp_path, {"FAAST_MEMORY_MB": "1024"})
    assert w.read()["type"] == "ready"
    resp = w.call("threads", 200)
    assert resp == dict(resp, type="returned", value=200), resp
    w.stop()


def test_node_allocate(tmp_path):
    w = spawn("node", "sample.js", tmp_path)
    assert w.read()["type"] == "ready"
    assert w.value("allocate", 20) == 20
    assert w.call("allocate", 0)["memoryMb"] > 20
    w.stop()


def test_node_esm_syntax_error(tmp_path):
    mod = tmp_path / "broken_esm.mjs"
    mod.write_text("// broken\nexport function ok() {}\nexport function ( {\n")
    w = spawn("node", str(mod), tmp_path)
    msg = w.read()
    assert msg["type"] == "loadError"
    assert msg["error"]["name"] == "SyntaxError"
    assert msg["error"]["file"] == str(mod)
    assert msg["error"]["line"] == 3
    assert w.proc.wait(5) == 1
    w.stop()


def test_node_esm_export_order_and_default_object(tmp_path):
    mod = tmp_path / "defaults.mjs"
    mod.write_text(
        "export const n = 1;\n"
        "export function zed(a) { return a; }\n"
        "export async function alpha(b) { return b; }\n"
        "export default { inner(x, y = 2) { return x + y + this.val; }, val: 3 };\n")
    w = spawn("node", str(mod), tmp_path)
    assert w.read()["type"] == "ready"
    resp = w.request({"op": "describe", "callId": "d"})
    assert names_and_params(resp["functions"]) == [
        {"name": "zed", "params": ["a"]}, {"name": "alpha", "params": ["b"]},
        {"name": "inner", "params": ["x", "y"]}]
    assert w.value("inner", 1) == 6
    assert w.value("alpha", "x") == "x"
    assert w.call("n")["error"]["kind"] == "notFound"
    w.stop()


def test_node_partial_lines_are_flushed_at_end(tmp_path):
    mod = tmp_path / "partial.js"
    mod.write_text("exports.say = (s) => { process.stdout.write(s); process.stdout.write(s + '\\n' + s); };\n")
    w = spawn("node", str(mod), tmp_path)
    assert w.read()["type"] == "ready"
    assert w.call("say", "ab")["value"] == {"$faast": "undefined"}
    lines = [l for l in w.log().splitlines() if " c1 " in l]
    assert [l.split(" ", 2)[2] for l in lines] == ["START say", "abab", "ab", lines[-1].split(" ", 2)[2]]
    assert lines[-1].split(" ", 2)[2].startswith("END say ")
    w.stop()


def test_python_decorated_and_keyword_params(tmp_path):
    mod = tmp_path / "deco.py"
    mod.write_text(
        "import functools\n"
        "from os.path import join\n"
        "@functools.lru_cache(maxsize=None)\n"
        "def cached(n):\n    return n * 2\n"
        "def plain(a, /, b, *, c=1):\n    return [a, b, c]\n"
        "class K:\n    pass\n")
    w = spawn("python", str(mod), tmp_path)
    assert w.read()["type"] == "ready"
    resp = w.request({"op": "describe", "callId": "d"})
    assert names_and_params(resp["functions"]) == [{"name": "cached", "params": ["n"]}, {"name": "plain", "params": ["a", "b", "c"]}]
    assert w.value("cached", 4) == 8
    assert w.value("plain", 1, (2)) == [1, 2, 1]
    assert w.call("K")["error"]["kind"] == "notFound"
    assert w.call("join")["error"]["kind"] == "notFound"
    w.stop()


@pytest.mark.parametrize("runtime,module", [("node", "functions.js"), ("python", "functions.py")])
def test_examples(runtime, module, tmp_path):
    w = spawn(runtime, os.path.join(ROOT, "examples", module), tmp_path)
    assert w.read()["type"] == "ready"
    resp = w.request({"op": "describe", "callId": "d"})
    assert names_and_params(resp["functions"]) == [
        {"name": "hello", "params": ["name"]}, {"name": "add", "params": ["a", "b"]},
        {"name": "square", "params": ["x"]}, {"name": "sleep", "params": ["ms"]},
        {"name": "fail", "params": ["message"]}, {"name": "random", "params": []}]
    assert w.value("hello", "world") == "hello world!"
    assert w.value("square", 7) == 49
    assert w.value("sleep", 3) == 3
    assert 0 <= w.value("random") < 1
    err = w.call("fail", "oops")["error"]
    assert err["message"] == "oops" and "kind" not in err
    w.stop()


# ---------------------------------------------------------------------------------------------
# Node parameter parsing


NODE_PARAM_CASES = [
    ("function f(a, b = 1, {x, y}, [p], ...rest) {}", ["a", "b", "{x, y}", "[p]", "...rest"]),
    ("async function f(a, b) {}", ["a", "b"]),
    ("(a, b) => a + b", ["a", "b"]),
    ("a => a", ["a"]),
    ("async a => a", ["a"]),
    ("async (a) => a", ["a"]),
    ("() => 1", []),
    ("function () {}", []),
    ("f(a) { return a; }", ["a"]),
    ("async f(a, b) { }", ["a", "b"]),
    ("function f(a = \"x,y)\", b = (1, 2), c = [1, 2], d = {k: 'v,)'}, e = `t,${1}`) {}",
     ["a", "b", "c", "d", "e"]),
    ("function f(a /* , c */, // d, e\n b) {}", ["a", "b"]),
    ("function f({a = 1, b: {c}}, [d, e] = [1, 2]) {}", ["{a = 1, b: {c}}", "[d, e]"]),
    ("function* g(a, ...rest) {}", ["a", "...rest"]),
    ("[\"computed(x)\"](a, b) {}", ["a", "b"]),
]


def test_node_param_parser():
    script = ("const t = require(%s); const cases = JSON.parse(process.argv[1]);"
              "process.stdout.write(JSON.stringify(cases.map(s => t._parseParams(s))));") % json.dumps(NODE_TRAMPOLINE)
    out = subprocess.run([NODE, "-e", script, json.dumps([c[0] for c in NODE_PARAM_CASES])],
                         capture_output=True, check=True, timeout=10).stdout
    assert json.loads(out) == [c[1] for c in NODE_PARAM_CASES]


def test_node_param_parser_on_real_functions():
    script = """
const t = require(%s);
const fns = [
  function f(a, b = (1, 2), {x, y}, ...rest) {},
  async (a, b) => a,
  x => x,
  ({ m(a, b) {} }).m,
  ({ async m(a = ')') {} }).m,
  class A {}.constructor,
  Math.max,
];
process.stdout.write(JSON.stringify(fns.map(t._parseParams)));
""" % json.dumps(NODE_TRAMPOLINE)
    out = subprocess.run([NODE, "-e", script], capture_output=True, check=True, timeout=10).stdout
    assert json.loads(out) == [["a", "b", "{x, y}", "...rest"], ["a", "b"], ["x"], ["a", "b"], ["a"], [], []]


# ---------------------------------------------------------------------------------------------
# Lambda handler entry points


def _lambda_dir(tmp_path, runtime, module):
    d = tmp_path / ("lambda-" + runtime + "-" + module.replace(".", "-"))
    d.mkdir()
    src = NODE_TRAMPOLINE if runtime == "node" else PY_TRAMPOLINE
    shutil.copy(src, d / os.path.basename(src))
    ext = os.path.splitext(module)[1]
    shutil.copy(os.path.join(MODULES, module), d / ("faast_module" + ext))
    return d


LAMBDA_EVENTS = [
    {"callId": "l1", "name": "hello", "args": ["lambda"]},
    {"Records": [{"Sns": {"Message": json.dumps({"callId": "l2", "name": "add", "args": [2, 3]})}}]},
    {"op": "describe", "callId": "l3"},
    {"callId": "l4", "name": "fail", "args": ["nope"]},
    {"callId": "l5", "name": "bytes", "args": ["hi"]},
    {"callId": "l6", "name": "asyncHello", "args": ["x"]},
    {"callId": "l7", "name": "logs", "args": [1]},
]


def _check_lambda_results(results, runtime):
    assert results[0]["callId"] == "l1" and results[0]["type"] == "returned"
    assert results[0]["value"] == "hello lambda!"
    assert results[1]["callId"] == "l2" and results[1]["value"] == 5
    assert results[2]["type"] == "described"
    assert [f["name"] for f in results[2]["functions"]] == SAMPLE_FUNCTIONS
    assert results[3]["type"] == "error" and results[3]["error"]["code"] == "E_FAIL"
    assert results[4]["value"] == {"$faast": "bytes", "base64": "aGk="}
    assert results[5]["value"] == "hello x!"
    for r in results[:2] + results[3:]:
        assert "start" in r and "end" in r and "memoryMb" in r


@pytest.mark.parametrize("module", ["sample.js", "sample.mjs"])
def test_node_lambda_handler(tmp_path, module):
    d = _lambda_dir(tmp_path, "node", module)
    script = """
const { handler } = require('./trampoline.js');
(async () => {
  const events = JSON.parse(process.argv[1]);
  const out = [];
  for (const e of events) out.push(await handler(e, {}));
  require('fs').writeFileSync(process.argv[2], JSON.stringify(out));
})();
"""
    result_file = tmp_path / "node-results.json"
    proc = subprocess.run([NODE, "-e", script, json.dumps(LAMBDA_EVENTS), str(result_file)], cwd=str(d),
                          capture_output=True, timeout=15)
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, err
    data = result_file.read_text()
    _check_lambda_results(json.loads(data), "node")
    assert b"l7 START logs" in out
    assert b"l7 line 0" in out
    assert b"l7 to stderr" in err


def test_python_lambda_handler(tmp_path):
    d = _lambda_dir(tmp_path, "python", "sample.py")
    script = """
import json, os, sys
import trampoline
events = json.loads(sys.argv[1])
out = [trampoline.handler(e, None) for e in events]
open(sys.argv[2], 'w').write(json.dumps(out))
"""
    result_file = tmp_path / "python-results.json"
    proc = subprocess.run([PYTHON, "-c", script, json.dumps(LAMBDA_EVENTS), str(result_file)], cwd=str(d),
                          capture_output=True, timeout=15)
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, err
    data = result_file.read_text()
    _check_lambda_results(json.loads(data), "python")
    assert b"l7 START logs" in out
    assert b"l7 line 0" in out
    assert b"l7 to stderr" in err


# ---------------------------------------------------------------------------------------------
# Limits: nesting, strings with no UTF-8 form, long unbroken output


def _depth(v):
    d = 0
    while isinstance(v, (list, dict)):
        d += 1
        if not v:
            break
        v = v[0] if isinstance(v, list) else next(iter(v.values()))
    return d


@pytest.mark.parametrize("runtime,module", [("node", "nesting.js"), ("python", "nesting.py")])
def test_results_nest_at_most_512_levels(runtime, module, tmp_path):
    w = spawn(runtime, module, tmp_path)
    try:
        assert w.read()["type"] == "ready"
        # 300 levels crashed the host's recursive reader in debug builds; 512 is the limit and comes back.
        for n in (300, 512):
            resp = w.call("nest", n)
            assert resp["type"] == "returned", resp
            assert _depth(resp["value"]) == n
        for n in (513, 2600):
            resp = w.call("nest", n)
            assert resp["type"] == "error", resp
            assert resp["error"]["kind"] == "serialization"
            assert resp["error"]["message"] == "nest returned a value that cannot be serialized: " \
                                               "structure nested deeper than 512 levels"
            assert "start" in resp and "end" in resp
        if runtime == "node":
            assert w.call("nestObjects", 513)["error"]["kind"] == "serialization"
            assert _depth(w.value("nestObjects", 512)) == 512
            value = w.value("bracketsInStrings", 600)
            assert value[0] == "[" * 600
        assert w.value("echo", 1) == 1  # still serving
    finally:
        w.stop()


@pytest.mark.parametrize("runtime,module", [("node", "nesting.js"), ("python", "nesting.py")])
def test_arguments_too_deep_to_read_fail_the_call_as_serialization(runtime, module, tmp_path):
    w = spawn(runtime, module, tmp_path)
    try:
        assert w.read()["type"] == "ready"
        # Python's json reads about 1,000 levels; node's reader with big integers recurses too.
        depth = 2600 if runtime == "python" else 100000
        big = "12345678901234567890" if runtime == "node" else "1"
        raw = w.call_raw("echo", "[" + "[" * depth + big + "]" * depth + "]")
        resp = json.loads(raw)
        assert resp["callId"] == "c%d" % w.next_id
        assert resp["type"] == "error"
        assert resp["error"]["kind"] == "serialization", resp
        assert resp["error"]["message"] == "echo arguments cannot be deserialized: nested too deeply" + (
            " for python's json" if runtime == "python" else "")
        assert w.value("echo", [[1]]) == [[1]]
    finally:
        w.stop()


def test_python_lone_surrogates(tmp_path):
    w = spawn("python", "nesting.py", tmp_path)
    try:
        assert w.read()["type"] == "ready"
        resp = w.call("lone_surrogate")
        raw = w.raw_lines[-1]
        raw.decode("utf-8")  # strict: the line is UTF-8
        assert b"\\ud" not in raw.lower()  # and has no escaped surrogate the host would refuse
        assert resp["type"] == "error" and resp["error"]["kind"] == "serialization"
        assert resp["error"]["message"].startswith("lone_surrogate returned a string that is not valid Unicode")
        # In an exception's message the character is replaced; the error is the function's own.
        resp = w.call("surrogate_in_message")
        w.raw_lines[-1].decode("utf-8")
        assert resp["error"]["name"] == "ValueError"
        assert resp["error"]["message"] == "bad name ? here"
        assert "kind" not in resp["error"]
        assert w.value("echo", "ok \U0001F600") == "ok \U0001F600"
    finally:
        w.stop()


def test_python_lambda_handler_lone_surrogate_and_depth(tmp_path):
    d = _lambda_dir(tmp_path, "python", "nesting.py")
    script = """
import json, sys
import trampoline
events = [{"callId": "s1", "name": "lone_surrogate", "args": []}, {"callId": "s2", "name": "nest", "args": [513]},
          '{"callId":"s3","name":"echo","args":[' + '[' * 2600 + ']' * 2600 + ']}']
out = [trampoline.handler(e, None) for e in events]
open(sys.argv[1], 'w').write(json.dumps(out))
"""
    result_file = tmp_path / "results.json"
    proc = subprocess.run([PYTHON, "-c", script, str(result_file)], cwd=str(d), capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(result_file.read_text())
    assert [r["error"]["kind"] for r in results] == ["serialization"] * 3
    assert [r.get("callId") for r in results] == ["s1", "s2", "s3"]


def test_python_output_without_line_breaks_is_linear(tmp_path):
    # 800,000 one-character writes took 31 s when each copied the line so far (quadratic); 2,000,000 would
    # take minutes that way. The bound below is only there so that a regression fails instead of hanging.
    w = spawn("python", "nesting.py", tmp_path)
    try:
        assert w.read()["type"] == "ready"
        n = 2_000_000
        w.send_raw('{"callId":"long","name":"chatter","args":[%d]}\n' % n)
        resp = json.loads(w.read_raw(timeout=90))
        assert resp["type"] == "returned" and resp["value"] == n
        line = [l for l in w.log().splitlines() if "xxxx" in l]
        assert len(line) == 1
        assert line[0].endswith(" long " + "x" * n)
    finally:
        w.stop()


# ---------------------------------------------------------------------------------------------
# Keyword arguments ("kwargs" in the request: python's; node functions refuse them)


def test_keyword_arguments(worker):
    def call(args, kwargs):
        worker.next_id += 1
        call_id = "k%d" % worker.next_id
        resp = worker.request({"callId": call_id, "name": "fancy", "args": args, "kwargs": kwargs})
        assert resp["callId"] == call_id
        return resp

    if worker.runtime == "python":
        resp = call([1], {"b": 2, "z": {"$faast": "bytes", "base64": "aGk="}})
        assert resp["type"] == "returned", resp
        assert resp["value"] == [1, 2, [], {"z": {"$faast": "bytes", "base64": "aGk="}}]
        # only keywords, and an empty object (same as none)
        assert call([], {"a": "x"})["value"] == ["x", 1, [], {}]
        assert call([7, 8, 9], {})["value"] == [7, 8, [9], {}]
        resp = call([1], {"a": 2})
        assert resp["type"] == "error" and resp["error"]["name"] == "TypeError"
        assert "multiple values for argument 'a'" in resp["error"]["message"]
        resp = worker.request({"callId": "kw-bad", "name": "add", "args": [1], "kwargs": [2]})
        assert resp["error"]["kind"] == "protocol"
        assert "kwargs must be an object" in resp["error"]["message"]
    else:
        resp = call([1], {"b": 2, "c": 3})
        assert resp["type"] == "error"
        assert resp["error"]["kind"] == "invalidArgument"
        assert resp["error"]["message"] == "node functions take no keyword arguments (got b=, c=): pass them by position"
        assert resp["error"]["stack"] == ""
        # an empty object is no keyword argument at all
        resp = worker.request({"callId": "kw-empty", "name": "add", "args": [1, 2], "kwargs": {}})
        assert resp["type"] == "returned" and resp["value"] == 3
    # nothing was left half-done: the worker goes on
    assert worker.value("add", 2, 3) == 5


# ---------------------------------------------------------------------------------------------
# describe: parameters with their kinds and defaults, the signature as written, the doc (for `help FN`)


@pytest.mark.parametrize("runtime,module", [("python", "greet.py"), ("node", "greet.js")])
def test_describe_details_for_help(tmp_path, runtime, module):
    w = spawn(runtime, module, tmp_path)
    try:
        assert w.read()["type"] == "ready"
        functions = {f["name"]: f for f in w.request({"op": "describe", "callId": "d"})["functions"]}
    finally:
        w.stop()
    greet = functions["greet"]
    if runtime == "python":
        assert greet["params"] == ["name", "punct", "times"]
        assert greet["signature"] == "(name, punct='!', *, times=1)"
        assert greet["parameters"][2] == {"name": "times", "kind": "keywordOnly", "default": "1"}
        assert greet["doc"] == "Greets NAME.\n\npunct ends the greeting; times repeats it."
        assert functions["options"]["parameters"][1] == {"name": "rest", "kind": "keywords"}
        assert "doc" not in functions["plain"]
        assert functions["plain"]["parameters"][3] == {"name": "d", "kind": "positional", "default": "\"it's\""}
    else:
        assert greet["params"] == ["name", "punct", "{ times = 1 }"]
        assert greet["signature"] == "(name, punct = '!', { times = 1 } = {})"
        assert greet["parameters"][1] == {"name": "punct", "kind": "positional", "default": "'!'"}
        assert greet["doc"] == 'Greets someone.\n\n@param {string} name who\n@param {string} [punct="!"] how it ends'
        assert functions["add"]["doc"] == "Adds two numbers.\nb defaults to a list's length."
        assert functions["add"]["parameters"][1]["default"] == "[1, 2].length"
        assert "doc" not in functions["count"]
        assert functions["count"]["parameters"][1] == {"name": "more", "kind": "variadic"}


@pytest.mark.parametrize("runtime", ["python", "node"])
def test_describe_lists_the_users_own_loaded_files(tmp_path, runtime):
    # What the shell watches to reload an edited module: the module and what it imports, not the standard
    # library, installed packages or the trampoline.
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    if runtime == "python":
        (src / "pkg" / "__init__.py").write_text("from .inner import VALUE\n")
        (src / "pkg" / "inner.py").write_text("VALUE = 1\n")
        (src / "mod.py").write_text("import json, decimal\nimport pkg\n\ndef f():\n    return pkg.VALUE\n")
        module, expected = src / "mod.py", ["mod.py", "pkg/__init__.py", "pkg/inner.py"]
    else:
        (src / "pkg" / "inner.js").write_text("exports.VALUE = 1;\n")
        (src / "mod.js").write_text("require('fs'); const { VALUE } = require('./pkg/inner');\nexports.f = () => VALUE;\n")
        module, expected = src / "mod.js", ["mod.js", "pkg/inner.js"]
    w = spawn(runtime, str(module), tmp_path)
    try:
        assert w.read()["type"] == "ready"
        files = w.request({"op": "describe", "callId": "d"})["files"]
    finally:
        w.stop()
    assert files[0] == str(module)
    assert sorted(os.path.relpath(f, os.path.realpath(src)) for f in files) == sorted(expected)


# Queue mode's answers say which invocation loaded the module (its instance's first: a cold start); https answers
# do not (Lambda's log tail says it there).
QUEUE_EVENTS = [
    {"Records": [{"Sns": {"Message": json.dumps({"callId": "q1", "name": "add", "args": [1, 2]})}}]},
    {"Records": [{"Sns": {"Message": json.dumps({"callId": "q2", "name": "add", "args": [3, 4]})}}]},
    {"callId": "q3", "name": "hello", "args": ["h"]},
]


@pytest.mark.parametrize("runtime", ["node", "python"])
def test_the_first_queue_invocation_of_an_instance_says_cold_start(tmp_path, runtime):
    d = _lambda_dir(tmp_path, runtime, "sample.js" if runtime == "node" else "sample.py")
    result_file = tmp_path / "results.json"
    if runtime == "node":
        script = """
const { handler } = require('./trampoline.js');
(async () => {
  const out = [];
  for (const e of JSON.parse(process.argv[1])) out.push(await handler(e, {}));
  require('fs').writeFileSync(process.argv[2], JSON.stringify(out));
})();
"""
        argv = [NODE, "-e", script]
    else:
        script = """
import json, sys
import trampoline
out = [trampoline.handler(e, None) for e in json.loads(sys.argv[1])]
open(sys.argv[2], 'w').write(json.dumps(out))
"""
        argv = [PYTHON, "-c", script]
    for events, cold in ((QUEUE_EVENTS, [True, None, None]), (QUEUE_EVENTS[2:] + QUEUE_EVENTS[:2], [None, None, None])):
        proc = subprocess.run(argv + [json.dumps(events), str(result_file)], cwd=str(d), capture_output=True, timeout=15)
        assert proc.returncode == 0, proc.stderr
        results = json.loads(result_file.read_text())
        assert [r.get("coldStart") for r in results] == cold, results
        assert [r.get("value") for r in results if r["callId"] in ("q1", "q2")] == [3, 7]
