#!/usr/bin/env python3
"""moto_server with a Lambda that really runs the uploaded code, with the local node or python3.

    python3 Tests/aws/moto_lambda.py [--host 127.0.0.1] [--port 5055] [--verbose] [--executions FILE]

Prints `ready http://HOST:PORT` on stdout once it listens (--port 0 picks a free port). Everything
else (one line per invocation, warnings) goes to stderr. SIGTERM / SIGINT stop it.

moto 5.2.1 would run Lambda code in Docker. This launcher monkey-patches, in-process, before the
server starts (see install_patches()):

  moto.awslambda.models.LambdaFunction.invoke          -> _patched_invoke
      moto's version calls _invoke_lambda (Docker), flags every failure "Handled", has no async mode.
      Ours runs the code locally, sets X-Amz-Function-Error: Unhandled / X-Amz-Log-Result /
      X-Amz-Executed-Version, and runs InvocationType=Event in a background thread with retries and
      DestinationConfig delivery (moto stores PutFunctionEventInvokeConfig but never acts on it).
  moto.awslambda.models.LambdaFunction._invoke_lambda  -> _patched_invoke_lambda
      The Docker runner itself; replaced by the local executor for any other caller.
  moto.awslambda.models.LambdaBackend.send_sns_message -> _patched_send_sns_message
      moto builds a fake SNS record ("arn:aws:sns:EXAMPLE") and invokes synchronously inside the
      Publish request. Ours builds the record from the real topic / subscription / message id and
      invokes asynchronously (SNS -> Lambda is an async invocation), so destinations apply.
  moto.sns.models.Subscription.publish                 -> _patched_subscription_publish
      Only records the subscription, message id and attributes in a thread-local for the above
      (moto does not pass them on), then calls the original (filter policies etc. unchanged).

Only the standard library and moto are used. No warm containers: every invocation is a cold start
in a fresh process.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile

# Must be set before moto is imported (read when the IAM backend is created).
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

LOG_TAIL_BYTES = 4096
INIT_LIMIT_S = 10.0  # Lambda's init phase limit
POLL_S = 0.005  # watchdog period (timeout and memory)
# Lambda retries failed async invocations after ~1 and ~2 minutes; here after these many seconds.
RETRY_DELAY_S = float(os.environ.get("MOTO_LAMBDA_RETRY_DELAY", "0.5"))

_STATE = {
    "endpoint": "http://127.0.0.1:5055",
    "verbose": False,
    "workdir": None,  # temp dir: runners + unzipped code
}
_children: set[int] = set()
_children_lock = threading.Lock()
_unzip_lock = threading.Lock()
_local = threading.local()


def _err(msg: str) -> None:
    try:
        sys.stderr.write("moto_lambda: " + msg + "\n")
        sys.stderr.flush()
    except Exception:
        pass


def _iso_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------------------
# Runners: tiny programs that load the handler from the unzipped code, read the event JSON from
# stdin, call the handler, and write {"t":"ready"} (after init) then {"t":"result",...} as JSON
# lines to a dedicated fd (argv). stdout/stderr stay the function's own log.
# argv: ROOT HANDLER MEMORY_MB TIMEOUT_S REQUEST_ID FUNCTION_ARN RESULT_FD

NODE_RUNNER = r"""'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');
const util = require('util');
const [root, handlerSpec, memoryMb, timeoutS, requestId, functionArn, resultFd] = process.argv.slice(2);
const fd = Number(resultFd);

function writeAll(target, text) {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try { off += fs.writeSync(target, buf, off); } catch (e) { if (e.code !== 'EAGAIN') throw e; }
  }
}
function send(obj) { writeAll(fd, JSON.stringify(obj) + '\n'); }
function hwmKb() {  // peak RSS of this program (not of the launcher it was forked from)
  try { return Number(/VmHWM:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); } catch (_) { return 0; }
}

// Like the Lambda Node.js runtime (which writes console output straight to its log fd, bypassing
// process.stdout.write): "<ISO time>\t<request id>\t<LEVEL>\t<message>".
let currentId = 'undefined';
for (const [name, level] of [['log', 'INFO'], ['info', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['debug', 'DEBUG'], ['trace', 'TRACE']]) {
  console[name] = (...args) => writeAll(1, new Date().toISOString() + '\t' + currentId + '\t' + level + '\t' + util.format(...args) + '\n');
}

function errorPayload(e, type) {
  if (e instanceof Error) {
    return { errorType: type || e.name || 'Error', errorMessage: e.message,
             trace: typeof e.stack === 'string' ? e.stack.split('\n') : [] };
  }
  let msg;
  try { msg = typeof e === 'string' ? e : JSON.stringify(e); } catch (_) { msg = String(e); }
  return { errorType: type || typeof e, errorMessage: msg === undefined ? String(e) : msg, trace: [] };
}
let done = false;
function finish(ok, payloadText, label) {
  if (done) return;
  done = true;
  if (!ok) console.error(label || 'Invoke Error', '\t' + payloadText);
  send({ t: 'result', ok, payload: payloadText, hwmKb: hwmKb() });
  process.exit(0);
}
function fail(e, type, label) { finish(false, JSON.stringify(errorPayload(e, type)), label); }

process.on('uncaughtException', (e) => fail(e, undefined, 'Uncaught Exception'));
process.on('unhandledRejection', (reason) => {
  const e = reason instanceof Error ? reason : new Error(String(reason));
  fail(e, 'Runtime.UnhandledPromiseRejection', 'Unhandled Promise Rejection');
});

class InitError extends Error {
  constructor(type, message, cause) {
    super(message);
    this.type = type;
    const frames = String((cause && cause.stack) || this.stack).split('\n').filter((l) => /^\s+at /.test(l));
    this.stack = [type + ': ' + message].concat(frames).join('\n');
  }
}

async function loadHandler() {
  const dot = handlerSpec.lastIndexOf('.');
  if (dot <= 0) throw new InitError('Runtime.MalformedHandlerName', "Bad handler '" + handlerSpec + "'");
  const modPath = handlerSpec.slice(0, dot);
  const fnPath = handlerSpec.slice(dot + 1);
  const base = path.resolve(root, modPath);
  const file = ['.js', '.mjs', '.cjs'].map((e) => base + e).find((f) => fs.existsSync(f));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError',
      "Error: Cannot find module '" + path.basename(modPath) + "'\nRequire stack:\n- " + __filename);
  }
  let mod;
  try {
    if (file.endsWith('.mjs')) {
      mod = await import(url.pathToFileURL(file).href);
    } else {
      try { mod = require(file); } catch (e) {
        if (e && e.code === 'ERR_REQUIRE_ESM') mod = await import(url.pathToFileURL(file).href);
        else throw e;
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw new InitError('Runtime.UserCodeSyntaxError', String(e), e);
    if (e && e.code === 'MODULE_NOT_FOUND') throw new InitError('Runtime.ImportModuleError', String(e), e);
    throw e;
  }
  let fn = mod;
  for (const k of fnPath.split('.')) fn = fn == null ? undefined : fn[k];
  if (typeof fn !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', path.basename(modPath) + '.' + fnPath + ' is undefined or not exported');
  }
  return fn;
}

(async () => {
  const input = fs.readFileSync(0);
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    return fail(e, e instanceof InitError ? e.type : undefined, 'Uncaught Exception');
  }
  currentId = requestId;
  const deadline = Date.now() + Number(timeoutS) * 1000;
  send({ t: 'ready' });
  let event;
  try { event = input.length ? JSON.parse(input.toString('utf8')) : {}; } catch (e) { return fail(e); }
  let value;
  try {
    value = await new Promise((resolve, reject) => {
      const cb = (err, v) => (err ? reject(err) : resolve(v));
      const context = {
        callbackWaitsForEmptyEventLoop: true,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
        invokedFunctionArn: functionArn,
        memoryLimitInMB: String(memoryMb),
        awsRequestId: requestId,
        logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: cb, succeed: (v) => resolve(v), fail: (e) => reject(e),
      };
      let r;
      try { r = handler(event, context, cb); } catch (e) { reject(e); return; }
      if (r && typeof r.then === 'function') r.then(resolve, reject);
      else if (handler.length < 3) resolve(r);
    });
  } catch (e) {
    return fail(e);
  }
  let text;
  try { text = JSON.stringify(value === undefined ? null : value); } catch (e) { return fail(e); }
  finish(true, text === undefined ? 'null' : text);
})();
"""

PYTHON_RUNNER = r"""import sys, os
root, handler_spec, memory_mb, timeout_s, request_id, function_arn, result_fd = sys.argv[1:8]
sys.path[0] = root  # Lambda puts LAMBDA_TASK_ROOT first; drop the runner's own dir
import json, time, traceback, importlib, logging
fd = int(result_fd)


def send(obj):
    data = (json.dumps(obj) + "\n").encode("utf-8")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def flush():
    for s in (sys.stdout, sys.stderr):
        try:
            s.flush()
        except Exception:
            pass


def hwm_kb():  # peak RSS of this program (not of the launcher it was forked from)
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except Exception:
        return 0


def finish(ok, payload):
    flush()
    send({"t": "result", "ok": ok, "payload": payload, "hwmKb": hwm_kb()})
    os._exit(0)


def out_of_memory():
    flush()
    send({"t": "oom"})
    os._exit(137)


def error_payload(e, rid, skip=0):
    frames = traceback.extract_tb(e.__traceback__)[skip:]
    return {"errorMessage": str(e), "errorType": type(e).__name__, "requestId": rid,
            "stackTrace": traceback.format_list(frames)}


def report_error(payload):
    # Like the Lambda Python runtime: "[ERROR] Type: message" followed by the traceback.
    print("[ERROR] %s: %s" % (payload["errorType"], payload["errorMessage"]))
    if payload.get("stackTrace"):
        print("Traceback (most recent call last):")
        print("".join(payload["stackTrace"]).rstrip("\n"))
    finish(False, json.dumps(payload))


def memory_limit():
    # The interpreter's own address space plus room for the function: the launcher's RSS watchdog
    # enforces MemorySize like Lambda (kill -> Runtime.OutOfMemory); this is the hard backstop.
    try:
        import resource
        with open("/proc/self/status") as f:
            vm = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmSize:"))
        limit = vm + 2 * int(memory_mb) * 1024 * 1024 + 64 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except Exception as e:
        sys.stderr.write("moto_lambda runner: no memory limit: %s\n" % e)


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = request_id
        return True


def install_logging():
    h = logging.StreamHandler(sys.stdout)
    fmt = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                            "%Y-%m-%dT%H:%M:%S")
    fmt.converter = time.gmtime
    h.setFormatter(fmt)
    h.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(h)


class LambdaContext:
    def __init__(self, deadline):
        self._deadline = deadline
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def main():
    data = sys.stdin.buffer.read()
    sys.stdin = open(os.devnull)
    memory_limit()
    install_logging()
    mod_name, _, fn_name = handler_spec.rpartition(".")
    mod_name = mod_name.replace("/", ".")
    try:
        if not mod_name:
            raise ImportError("Bad handler '%s'" % handler_spec)
        module = importlib.import_module(mod_name)
    except MemoryError:
        out_of_memory()
    except SyntaxError as e:
        report_error({"errorMessage": "Syntax error in module '%s': %s" % (mod_name, e),
                      "errorType": "Runtime.UserCodeSyntaxError", "requestId": "", "stackTrace": []})
    except ImportError as e:
        report_error({"errorMessage": "Unable to import module '%s': %s" % (mod_name, e),
                      "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []})
    except Exception as e:
        report_error(error_payload(e, "", 1))
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        report_error({"errorMessage": "Handler '%s' missing on module '%s'" % (fn_name, mod_name),
                      "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []})
    deadline = time.time() + float(timeout_s)
    send({"t": "ready"})
    try:
        event = json.loads(data) if data.strip() else {}
        result = fn(event, LambdaContext(deadline))
    except MemoryError:
        out_of_memory()
    except Exception as e:
        report_error(error_payload(e, request_id, 1))
    try:
        text = json.dumps(result)
    except MemoryError:
        out_of_memory()
    except Exception as e:
        report_error({"errorMessage": "Unable to marshal response: %s" % e, "errorType": "Runtime.MarshalError",
                      "requestId": request_id, "stackTrace": []})
    finish(True, text)


main()
"""

_SIGNAL_TEXT = {  # Go's wording, as Lambda reports "Runtime exited with error: signal: killed"
    signal.SIGKILL: "killed", signal.SIGABRT: "aborted", signal.SIGSEGV: "segmentation fault",
    signal.SIGTERM: "terminated", signal.SIGINT: "interrupt", signal.SIGHUP: "hangup",
    signal.SIGBUS: "bus error", signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction", signal.SIGPIPE: "broken pipe",
}


# ---------------------------------------------------------------------------------------------
# The executor


class Outcome:
    def __init__(self, request_id: str, payload: bytes, error: bool, lines: list, stream: str):
        self.request_id = request_id
        self.payload = payload
        self.error = error
        self.lines = lines  # [(timestamp ms, text)]
        self.stream = stream

    @property
    def log_text(self) -> str:
        return "".join(text + "\n" for _, text in self.lines)

    @property
    def tail_b64(self) -> str:
        return base64.b64encode(self.log_text.encode("utf-8")[-LOG_TAIL_BYTES:]).decode("ascii")


def _code_dir(fn) -> str:
    """Unzips the function's code (moto keeps the uploaded zip in LambdaFunction.code_bytes) once
    per function name + code sha256, under the launcher's temp dir."""
    code = getattr(fn, "code_bytes", b"") or b""
    if not code:
        raise RuntimeError("the function has no zip code (PackageType=Image is not supported)")
    # moto's code_sha_256 is base64 for zips; make it a file name either way
    sha = (getattr(fn, "code_sha_256", "") or __import__("hashlib").sha256(code).hexdigest())
    sha = sha.replace("/", "_").replace("+", "-").rstrip("=")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in fn.function_name)
    return _unzip_once(os.path.join(_STATE["workdir"], "code", f"{safe}-{sha[:20]}"), [code])


def _unzip_once(target: str, zips: list) -> str:
    """`zips` unzipped in order into `target`, once: built in a scratch folder and renamed into place, so a
    finished folder is reused as is."""
    with _unzip_lock:
        if os.path.isdir(target):
            return target
        tmp = target + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        for code in zips:
            _extract_zip(code, tmp)
        os.rename(tmp, target)
    return target


def _extract_zip(code: bytes, folder: str) -> None:
    """Unzips `code` into `folder` as Lambda does: permission bits and symlinks kept."""
    import io

    with zipfile.ZipFile(io.BytesIO(code)) as zf:
        for info in zf.infolist():
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_ISLNK(mode):
                dest = os.path.join(folder, info.filename)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                os.symlink(zf.read(info).decode("utf-8"), dest)
                continue
            path = zf.extract(info, folder)
            if not info.is_dir() and mode & 0o777:
                os.chmod(path, mode & 0o777)


# ---------------------------------------------------------------------------------------------
# Layers and runtime versions (deps): what Lambda mounts at /opt, and the function's own python.


def _layer_dir(fn) -> str | None:
    """The function's layers unzipped in order into one folder, later layers over earlier ones, as Lambda
    mounts them at /opt; once per list of layer versions. None without layers."""
    arns = [(layer.get("Arn") if isinstance(layer, dict) else str(layer)) for layer in (getattr(fn, "layers", None) or [])]
    arns = [a for a in arns if a]
    if not arns:
        return None
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[fn.account_id][fn.region]
    key = __import__("hashlib").sha256("\n".join(arns).encode()).hexdigest()[:20]
    versions = [backend.layers_versions_by_arn(arn) for arn in arns]
    missing = [arn for arn, v in zip(arns, versions) if v is None]
    if missing:
        raise OSError(f"layer version {missing[0]} does not exist")
    return _unzip_once(os.path.join(_STATE["workdir"], "opt", key), [v.code_bytes for v in versions])


# What Lambda's python runtimes carry in /var/runtime (after the code and the layers on sys.path).
_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def _python_runtime_dir() -> str:
    """A folder like Lambda's /var/runtime: links to this launcher's own boto3 and its pure-python
    dependencies, so a function run by another python version (python3.12 from pyenv) has boto3 as on
    Lambda, and nothing else of this machine's site-packages."""
    import importlib.util

    target = os.path.join(_STATE["workdir"], "var-runtime")
    with _unzip_lock:
        if not os.path.isdir(target):
            os.makedirs(target)
            for name in _RUNTIME_PACKAGES:
                spec = importlib.util.find_spec(name)
                if spec is None or not spec.origin:
                    continue
                src = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
                os.symlink(src, os.path.join(target, os.path.basename(src)))
    return target


def _with_layers(fn, env: dict) -> dict:
    """Lambda's module paths: into the layers, /opt/python (and its site-packages) for python,
    /opt/nodejs/node_modules (and nodejs/node20/node_modules) for node; then, for python, the runtime's
    own packages (boto3)."""
    opt = _layer_dir(fn)
    runtime = fn.run_time or ""
    if runtime.startswith("python"):
        version = runtime[len("python"):]
        paths = [f"{opt}/python/lib/python{version}/site-packages", f"{opt}/python"] if opt else []
        env["PYTHONPATH"] = ":".join(paths + [_python_runtime_dir()])
    elif runtime.startswith("nodejs") and opt:
        major = runtime[len("nodejs"):].split(".")[0]
        env["NODE_PATH"] = f"{opt}/nodejs/node{major}/node_modules:{opt}/nodejs/node_modules"
    return env


def _python_for(runtime: str) -> str | None:
    """The interpreter of the function's python version (`python3.12`): on PATH, or under pyenv; None
    when this machine does not have it (then the host's python3 runs it)."""
    version = runtime[len("python"):]
    if not version:
        return None
    found = shutil.which(f"python{version}")
    if found and "/shims/" not in found:  # a pyenv shim runs only the version pyenv selects
        return found
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    try:
        installed = sorted(os.listdir(os.path.join(root, "versions")), reverse=True)
    except OSError:
        return None
    for name in installed:
        exe = os.path.join(root, "versions", name, "bin", f"python{version}")
        if (name == version or name.startswith(version + ".")) and os.access(exe, os.X_OK):
            return exe
    return None


def _interpreter(runtime: str) -> list:
    runtime = runtime or ""
    if runtime.startswith("nodejs"):
        node = os.environ.get("MOTO_LAMBDA_NODE") or shutil.which("node")
        if not node:
            raise RuntimeError("node is not on PATH")
        return [node, os.path.join(_STATE["workdir"], "runner.js")]
    if runtime.startswith("python"):
        py = os.environ.get("MOTO_LAMBDA_PYTHON") or _python_for(runtime) or shutil.which("python3") or sys.executable
        return [py, "-u", os.path.join(_STATE["workdir"], "runner.py")]
    raise RuntimeError(f"runtime {runtime!r} is not supported by the local executor (nodejs*, python*)")


def _qualified_arn(fn) -> str:
    arn = fn.function_arn
    return arn if arn.count(":") >= 7 else f"{arn}:{fn.version}"


def _environment(fn, root: str, stream: str, memory: int) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_ENDPOINT_URL": _STATE["endpoint"],  # the function's SDK calls go to this moto
    }
    env.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
    env.update({  # reserved: Lambda does not let the function's configuration set these
        "_HANDLER": fn.handler or "",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "LAMBDA_TASK_ROOT": root,
        "LAMBDA_RUNTIME_DIR": _STATE["workdir"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    })
    return env


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child_pid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except (OSError, ValueError):
        return None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def run_function(fn, event: bytes, request_id: str | None = None) -> Outcome:
    """Runs one invocation of `fn` (a moto LambdaFunction) with `event` (JSON bytes) in a fresh
    local process; returns the payload, whether it failed (Unhandled) and the log lines, which are
    also written to CloudWatch Logs."""
    request_id = request_id or str(uuid.uuid4())
    record_execution(fn, event)
    stream = f"{datetime.datetime.now(datetime.timezone.utc):%Y/%m/%d}/[{fn.version}]{uuid.uuid4().hex}"
    memory = int(fn.memory_size or 128)
    timeout = float(fn.timeout or 3)
    lines: list = []
    lines.append((_now_ms(), f"START RequestId: {request_id} Version: {fn.version}"))
    t0 = time.monotonic()
    state = {"ready": None, "result": None, "oom": False, "status": None}
    ready_evt, result_evt, done_evt = threading.Event(), threading.Event(), threading.Event()
    timed_out = oom_killed = False
    end = None
    try:
        root = _code_dir(fn)
        argv = _interpreter(fn.run_time)
    except Exception as e:
        payload = {"errorType": "Runtime.InvalidEntrypoint", "errorMessage": str(e)}
        lines.append((_now_ms(), f"RequestId: {request_id} Error: {e}"))
        return _finish(fn, request_id, stream, lines, json.dumps(payload).encode(), True, t0, None, None,
                       memory, 0, "\tStatus: error\tError Type: Runtime.InvalidEntrypoint")
    if (fn.run_time or "").startswith("nodejs"):  # V8 heap cap, as Lambda's node bootstrap does
        argv = [argv[0], f"--max-old-space-size={max(16, memory * 9 // 10)}"] + argv[1:]
    r_fd, w_fd = os.pipe()
    argv = argv + [root, fn.handler or "", str(memory), f"{timeout:g}", request_id, _qualified_arn(fn), str(w_fd)]
    # Started through `sh` that forks (no exec): the kernel keeps a process's peak RSS across execve,
    # so anything exec'd straight from this (large) launcher would report the launcher's peak as its
    # own (getrusage / ru_maxrss, e.g. faast's python trampoline's memoryMb). A fresh fork of the
    # small sh starts from zero. sh's own output goes to /dev/null (no "Segmentation fault" notes);
    # the subshell execs the interpreter with the log pipe (spare fd -> 1 and 2).
    spare = 9 if w_fd == 8 else 8  # must not clobber the result fd
    script = f'exec {spare}>&1 >/dev/null 2>&1; ("$@" >&{spare} 2>&{spare} {spare}>&-); exit $?'
    argv = ["/bin/sh", "-c", script, "sh"] + argv
    try:
        proc = subprocess.Popen(argv, cwd=root, env=_with_layers(fn, _environment(fn, root, stream, memory)),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                pass_fds=(w_fd,), start_new_session=True)
    except OSError as e:
        os.close(r_fd)
        os.close(w_fd)
        payload = {"errorType": "Runtime.InvalidEntrypoint", "errorMessage": f"cannot start {argv[0]}: {e}"}
        return _finish(fn, request_id, stream, lines, json.dumps(payload).encode(), True, t0, None, None,
                       memory, 0, "\tStatus: error\tError Type: Runtime.InvalidEntrypoint")
    os.close(w_fd)
    with _children_lock:
        _children.add(proc.pid)

    def feed():
        try:
            proc.stdin.write(event)
        except OSError:
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def read_log():
        for raw in iter(proc.stdout.readline, b""):
            lines.append((_now_ms(), raw.decode("utf-8", "replace").rstrip("\r\n")))

    def read_results():
        with os.fdopen(r_fd, "rb") as f:
            for raw in f:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                if msg.get("t") == "ready":
                    state["ready"] = time.monotonic()
                    ready_evt.set()
                elif msg.get("t") == "result":
                    state["result"] = (time.monotonic(), msg)
                    result_evt.set()
                elif msg.get("t") == "oom":
                    state["oom"] = True

    def reap():
        _, status = os.waitpid(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        state["status"] = status
        done_evt.set()

    threads = [threading.Thread(target=t, daemon=True) for t in (feed, read_log, read_results, reap)]
    for t in threads:
        t.start()
    deadline = t0 + INIT_LIMIT_S
    deadline_set = False
    peak_rss = 0
    worker = None  # the interpreter, child of sh
    while not done_evt.wait(POLL_S):
        now = time.monotonic()
        if not deadline_set and ready_evt.is_set():
            deadline, deadline_set = state["ready"] + timeout, True
        if result_evt.is_set():  # answered: give it a moment to exit on its own
            deadline = min(deadline, state["result"][0] + 2.0)
        if worker is None:
            worker = _child_pid(proc.pid)
        rss = _rss_bytes(worker) if worker else 0
        peak_rss = max(peak_rss, rss)
        if rss > memory * 1024 * 1024 and not result_evt.is_set():
            oom_killed, end = True, now
            _kill_group(proc.pid)
            done_evt.wait()
            break
        if now >= deadline:
            if not result_evt.is_set():
                timed_out, end = True, now
            _kill_group(proc.pid)
            done_evt.wait()
            break
    _kill_group(proc.pid)  # stragglers the function left behind (Lambda would freeze them)
    with _children_lock:
        _children.discard(proc.pid)
    threads[2].join(1.0)  # result pipe
    threads[1].join(0.5)  # log pipe (a straggler may hold it open)
    lines[:] = sorted(lines, key=lambda x: x[0])

    ready_at = state["ready"]
    start = ready_at if ready_at is not None else t0
    init_ms = (ready_at - t0) * 1000 if ready_at is not None else None
    # Not ru_maxrss: it survives execve, so it would include the launcher the child was forked from.
    peak = max(peak_rss, (state["result"][1].get("hwmKb") or 0) * 1024 if state["result"] else 0)
    max_mb = math.ceil(peak / (1024 * 1024))
    status = state["status"] or 0
    extra = ""
    if state["result"] is not None:
        end, msg = state["result"]
        payload, error = str(msg.get("payload", "null")).encode("utf-8"), not msg.get("ok")
    elif timed_out:
        text = f"{_iso_now()} {request_id} Task timed out after {timeout:.2f} seconds"
        lines.append((_now_ms(), text))
        payload, error = json.dumps({"errorMessage": text}).encode(), True
        end = start + timeout
        extra = "\tStatus: timeout"
    else:
        end = end or time.monotonic()
        log_text = "".join(t for _, t in lines[-50:])
        heap_oom = "JavaScript heap out of memory" in log_text
        if oom_killed or state["oom"] or heap_oom:
            kind, how = "Runtime.OutOfMemory", "signal: killed"
            max_mb = memory  # what Lambda reports when the sandbox hit its limit
        else:
            kind = "Runtime.ExitError"
            # sh reports a child killed by signal N as exit status 128+N
            code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
            try:
                sig = signal.Signals(code - 128) if code > 128 else None
            except ValueError:
                sig = None
            if sig is not None:
                how = "signal: " + _SIGNAL_TEXT.get(sig, sig.name.lower())
            else:
                how = f"exit status {code}"
        text = f"RequestId: {request_id} Error: Runtime exited with error: {how}"
        lines.append((_now_ms(), text))
        lines.append((_now_ms(), kind))
        payload, error = json.dumps({"errorType": kind, "errorMessage": text}).encode(), True
        extra = f"\tStatus: error\tError Type: {kind}"
    return _finish(fn, request_id, stream, lines, payload, error, start, end, init_ms, memory, min(max_mb, memory), extra)


def _finish(fn, request_id, stream, lines, payload, error, start, end, init_ms, memory, max_mb, extra) -> Outcome:
    duration = ((end if end is not None else time.monotonic()) - start) * 1000
    report = (f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
              f"Billed Duration: {max(1, math.ceil(duration))} ms\tMemory Size: {memory} MB\t"
              f"Max Memory Used: {max_mb} MB")
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    report += extra + "\t"
    lines.append((_now_ms(), f"END RequestId: {request_id}"))
    lines.append((_now_ms(), report))
    out = Outcome(request_id, payload, error, lines, stream)
    _save_logs(fn, out)
    _err(f"invoke {fn.function_name} {request_id} {'error' if error else 'ok'} {duration:.1f} ms"
         + (f": {payload[:200].decode('utf-8', 'replace')}" if error else ""))
    return out


def _save_logs(fn, out: Outcome) -> None:
    """One stream per invocation in /aws/lambda/<name>; the group is created only if absent
    (faast creates it beforehand with a retention)."""
    try:
        logs = fn.logs_backend
        group = fn.logs_group_name
        logs.ensure_log_group(group)
        logs.create_log_stream(group, out.stream)
        events = [{"timestamp": ts, "message": text} for ts, text in out.lines if text]
        logs.put_log_events(group, out.stream, events)
    except Exception as e:
        _err(f"cannot write CloudWatch logs for {fn.function_name}: {e!r}")


# ---------------------------------------------------------------------------------------------
# Execution counting (for the fault-injection tests: at most one execution per faast call id)

_executions_lock = threading.Lock()


def call_id_of_event(event: bytes):
    """The faast call id an invocation carries: in the event itself (Invoke) or in the SNS message it
    wraps (queue mode); None for anything else."""
    try:
        doc = json.loads(event)
        records = doc.get("Records") if isinstance(doc, dict) else None
        if isinstance(records, list) and records and isinstance(records[0], dict) and "Sns" in records[0]:
            doc = json.loads(records[0]["Sns"].get("Message") or "null")
        call_id = doc.get("callId") if isinstance(doc, dict) else None
        return call_id if isinstance(call_id, str) else None
    except (ValueError, TypeError, AttributeError):
        return None


def record_execution(fn, event: bytes) -> None:
    """Appends {"function", "callId", "time"} to the executions file (--executions), one JSON line per
    run of the function's code, so that tests can count how often each call really ran."""
    path = _STATE.get("executions")
    if not path:
        return
    line = json.dumps({"function": getattr(fn, "function_name", None), "callId": call_id_of_event(event),
                       "time": time.time()})
    with _executions_lock, open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


# ---------------------------------------------------------------------------------------------
# Async invocations and destinations


def invoke_async(fn, event: bytes) -> str:
    request_id = str(uuid.uuid4())
    threading.Thread(target=_async_worker, args=(fn, event, request_id), daemon=True,
                     name=f"lambda-async-{request_id[:8]}").start()
    return request_id


def _async_worker(fn, event: bytes, request_id: str) -> None:
    try:
        # moto appends on every Put; the last one is the current configuration
        cfg = fn.event_invoke_config[-1].config if fn.event_invoke_config else {}
        retries = int(cfg.get("MaximumRetryAttempts", 2))
        attempts = 0
        while True:
            attempts += 1
            out = run_function(fn, event, request_id)  # retries keep the request id, as Lambda does
            if not out.error or attempts > retries:
                break
            time.sleep(RETRY_DELAY_S * attempts)
        which = "OnFailure" if out.error else "OnSuccess"
        dest = ((cfg.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
        if not dest:
            return
        try:
            request_payload = json.loads(event)
        except ValueError:
            request_payload = event.decode("utf-8", "replace")
        try:
            response_payload = json.loads(out.payload) if out.payload else None
        except ValueError:
            response_payload = out.payload.decode("utf-8", "replace")
        response_context = {"statusCode": 200, "executedVersion": str(fn.version)}
        if out.error:
            response_context["functionError"] = "Unhandled"
        record = {
            "version": "1.0",
            "timestamp": _iso_now(),
            "requestContext": {
                "requestId": request_id,
                "functionArn": _qualified_arn(fn),
                "condition": "RetriesExhausted" if out.error else "Success",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": request_payload,
            "responseContext": response_context,
            "responsePayload": response_payload,
        }
        _deliver(fn, dest, json.dumps(record))
    except Exception as e:
        _err(f"async invocation of {getattr(fn, 'function_name', '?')} failed: {e!r}")


def _deliver(fn, dest: str, body: str) -> None:
    parts = dest.split(":")
    if len(parts) < 6:
        raise ValueError(f"bad destination {dest!r}")
    service, region, account = parts[2], parts[3], parts[4]
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        sqs_backends[account][region].send_message(parts[5], body)
    elif service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[account][region].publish(body, arn=dest)
    elif service == "lambda":
        from moto.awslambda.utils import get_backend

        target = get_backend(account, region).get_function(dest)
        invoke_async(target, body.encode("utf-8"))
    else:
        _err(f"destination {dest} ({service}) is not supported; record dropped")


# ---------------------------------------------------------------------------------------------
# The patches


def _header(headers, name: str):
    if not headers:
        return None
    return headers.get(name) or headers.get(name.lower())


def _event_bytes(body) -> bytes:
    if body is None or body == "" or body == b"":
        return b"{}"
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    try:
        json.loads(data)
    except ValueError as e:
        from moto.awslambda.exceptions import LambdaClientError

        raise LambdaClientError("InvalidRequestContentException", f"Could not parse request body into json: {e}")
    return data


def _patched_invoke(self, body, request_headers, response_headers):
    """Replaces moto.awslambda.models.LambdaFunction.invoke (called by the Invoke API and by moto's
    SQS/Kinesis/DynamoDB/logs event sources, with empty headers = synchronous)."""
    event = _event_bytes(body)
    inv_type = _header(request_headers, "X-Amz-Invocation-Type") or "RequestResponse"
    if inv_type == "DryRun":
        return b""
    if inv_type == "Event":
        invoke_async(self, event)
        return b""
    out = run_function(self, event)
    if out.error:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-log-result"] = out.tail_b64
    response_headers["x-amz-executed-version"] = str(self.version)
    return out.payload


def _patched_invoke_lambda(self, event=None):
    """Replaces moto.awslambda.models.LambdaFunction._invoke_lambda (the Docker runner)."""
    out = run_function(self, json.dumps({} if event is None else event).encode("utf-8"))
    return out.payload.decode("utf-8"), out.error, out.log_text


def _patched_subscription_publish(self, message, message_id, *args, **kwargs):
    """Wraps moto.sns.models.Subscription.publish: remembers which subscription / message is being
    delivered, for _patched_send_sns_message."""
    if self.protocol != "lambda":
        return _ORIGINAL["publish"](self, message, message_id, *args, **kwargs)
    _local.sns = {"subscription": self, "message_id": message_id,
                  "attributes": kwargs.get("message_attributes") if "message_attributes" in kwargs
                  else (args[1] if len(args) > 1 else None)}
    try:
        return _ORIGINAL["publish"](self, message, message_id, *args, **kwargs)
    finally:
        _local.sns = None


def _patched_send_sns_message(self, function_name, message, subject=None, qualifier=None):
    """Replaces moto.awslambda.models.LambdaBackend.send_sns_message: a real-looking SNS record,
    delivered as an asynchronous invocation. An unknown function is logged, not raised (SNS
    Publish succeeds anyway)."""
    ctx = getattr(_local, "sns", None) or {}
    sub = ctx.get("subscription")
    attributes = {}
    for name, value in (ctx.get("attributes") or {}).items():
        attributes[name] = {"Type": value.get("Type"), "Value": value.get("Value")}
    topic_arn = sub.topic_arn if sub is not None else "arn:aws:sns:EXAMPLE"
    event = {"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": sub.arn if sub is not None else "arn:aws:sns:EXAMPLE",
        "Sns": {
            "Type": "Notification",
            "MessageId": ctx.get("message_id") or str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": _iso_now(),
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "EXAMPLE",
            "UnsubscribeUrl": "EXAMPLE",
            "MessageAttributes": attributes,
        },
    }]}
    try:
        fn = self._lambdas.get_function_by_name_or_arn_with_qualifier(function_name, qualifier)
    except Exception as e:
        _err(f"SNS delivery from {topic_arn} to {function_name} failed: {e!r}")
        return
    invoke_async(fn, json.dumps(event).encode("utf-8"))


_ORIGINAL: dict = {}


def install_patches() -> None:
    from moto.awslambda import models as lambda_models
    from moto.sns import models as sns_models

    if _ORIGINAL:
        return
    _ORIGINAL["publish"] = sns_models.Subscription.publish
    lambda_models.LambdaFunction.invoke = _patched_invoke
    lambda_models.LambdaFunction._invoke_lambda = _patched_invoke_lambda
    lambda_models.LambdaBackend.send_sns_message = _patched_send_sns_message
    sns_models.Subscription.publish = _patched_subscription_publish


def _prepare_workdir() -> str:
    workdir = tempfile.mkdtemp(prefix="moto-lambda-")
    os.makedirs(os.path.join(workdir, "code"))
    with open(os.path.join(workdir, "runner.js"), "w") as f:
        f.write(NODE_RUNNER)
    with open(os.path.join(workdir, "runner.py"), "w") as f:
        f.write(PYTHON_RUNNER)
    return workdir


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5055, help="0 picks a free port")
    ap.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    ap.add_argument("--executions", metavar="FILE",
                    help="append one JSON line per function execution (function, faast call id) to FILE")
    args = ap.parse_args(argv)
    _STATE["executions"] = args.executions

    import logging

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _STATE["workdir"] = _prepare_workdir()
    install_patches()
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    _STATE["endpoint"] = f"http://{host}:{port}"
    os.environ["MOTO_PORT"] = str(port)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sys.stdout.write(f"ready {_STATE['endpoint']}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        with _children_lock:
            for pid in list(_children):
                _kill_group(pid)
        try:
            server.stop()
        except Exception:
            pass
        shutil.rmtree(_STATE["workdir"], ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
