"""faast trampoline for Python (>= 3.9, standard library only).

Local worker: started as `python3 trampoline.py` with FAAST_MODULE=<module path>; requests arrive
as newline-delimited JSON on fd 3, responses leave as newline-delimited JSON on fd 4. fd 1/2 are
the worker's log (every line stamped "<ISO time> <callId> <text>").
AWS Lambda: when imported, `handler(event, context)` loads the file FAAST_MODULE names next to this file (else
faast_module.py).
"""
import base64
import datetime
import importlib.util
import json
import math
import os
import sys
import time
import traceback
import types

try:
    import resource
except ImportError:  # pragma: no cover - not on POSIX
    resource = None

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

TRAMPOLINE_FILE = os.path.abspath(__file__)
_ASYNCIO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(json.__file__))) + os.sep + "asyncio" + os.sep
_UTC = datetime.timezone.utc

# ---------------------------------------------------------------------------------------------
# Logging: stamped line splitter replacing sys.stdout / sys.stderr.

_current_call_id = "-"
_lambda_mode = False


_iso_second = -1
_iso_prefix = ""


_iso_ms = -1
_iso_text = ""


def _iso_time(ms):
    """ISO-8601 time of an epoch-ms instant, cached per millisecond (a fast call's START and END share it),
    the date part per second."""
    global _iso_second, _iso_prefix, _iso_ms, _iso_text
    whole = int(ms)
    if whole == _iso_ms:
        return _iso_text
    second = whole // 1000
    if second != _iso_second:
        _iso_second = second
        _iso_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    _iso_ms = whole
    _iso_text = "%s.%03dZ" % (_iso_prefix, whole - second * 1000)
    return _iso_text


def _stamp(call_id, ms=None):
    if _lambda_mode:
        return call_id + " "
    return _iso_time(time.time() * 1000 if ms is None else ms) + " " + call_id + " "


# The START line of the call in flight until it is written: it goes out with the first line the call prints,
# or together with the END line, so that a call that prints nothing costs one log write, not two. (A call
# killed before then gets it from the host.)
_held_start = ""


def _take_held_start():
    global _held_start
    text, _held_start = _held_start, ""
    return text


def _write_all(fd, data):
    try:
        n = os.write(fd, data)
    except (BlockingIOError, InterruptedError):
        n = 0
    if n == len(data):
        return
    view = memoryview(data)[n:]
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            continue
        except InterruptedError:
            continue
        view = view[n:]


class _BinaryForward:
    def __init__(self, owner):
        self._owner = owner

    def write(self, b):
        self._owner.write(bytes(b).decode("utf-8", "replace"))
        return len(b)

    def flush(self):
        pass


class _StampedStream:
    """Text stream writing complete, stamped lines straight to a file descriptor."""

    def __init__(self, fd):
        self._fd = fd
        self.name = "<stdout>" if fd == 1 else "<stderr>"
        self.mode = "w"
        self.line_buffering = True
        # The text since the last line break, in pieces: `+=` on an attribute copies the whole string each
        # time, which made printing without newlines quadratic (800,000 one-character writes took 31 s).
        self._partial = []
        self.buffer = _BinaryForward(self)
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, s):
        if not isinstance(s, str):
            s = str(s)
        if "\n" not in s:
            if s:
                self._partial.append(s)
            return len(s)
        if self._partial:
            self._partial.append(s)
            s = "".join(self._partial)
        lines = s.split("\n")
        last = lines.pop()
        self._partial = [last] if last else []
        prefix = _stamp(_current_call_id)
        self._emit("".join(prefix + line + "\n" for line in lines))
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush_partial(self):
        if self._partial:
            text = _stamp(_current_call_id) + "".join(self._partial) + "\n"
            self._partial = []
            self._emit(text)

    def _emit(self, text):
        if _held_start:
            text = _take_held_start() + text
        try:
            _write_all(self._fd, text.encode("utf-8", "replace"))
        except OSError:
            pass

    def flush(self):
        pass

    def fileno(self):
        return self._fd

    def isatty(self):
        return False

    def readable(self):
        return False

    def writable(self):
        return True

    def seekable(self):
        return False

    @property
    def closed(self):
        return False

    def close(self):
        pass


_stdout = None
_stderr = None


def _install_logging():
    global _stdout, _stderr
    if _stdout is not None:
        return
    _stdout = _StampedStream(1)
    _stderr = _StampedStream(2)
    sys.stdout = _stdout
    sys.stderr = _stderr


def _flush_logs():
    if _stdout is not None:
        _stdout.flush_partial()
        _stderr.flush_partial()


def _log_line(call_id, text, ms=None):
    """Writes one stamped line (after the held START line, if any)."""
    try:
        _write_all(1, (_take_held_start() + _stamp(call_id, ms) + text + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


# getrusage costs about as much as the rest of a no-op call, so a call of 1 ms or less reports the peak sampled
# within the last 100 ms; a longer call (which may have allocated) samples it again. The peak only grows.
_peak_mb = 0
_peak_sampled_ms = float("-inf")


def _memory_mb(elapsed_ms=None, now_ms=None):
    """The process's peak resident memory in MB (sampled afresh unless a short call came just after a sample)."""
    global _peak_mb, _peak_sampled_ms
    if resource is None:
        return 0
    if elapsed_ms is not None and elapsed_ms <= 1 and now_ms - _peak_sampled_ms < 100:
        return _peak_mb
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":
        rss = rss / 1024  # bytes on macOS
    _peak_mb = round(rss / 1024, 1)
    _peak_sampled_ms = now_ms if now_ms is not None else time.time() * 1000
    return _peak_mb


# ---------------------------------------------------------------------------------------------
# Value encoding.


class SerializationFailure(Exception):
    pass


# The deepest nesting of lists and dicts a value may have (faast's JSONValue.maxDepth): deeper results fail as
# `serialization` here rather than as a response the host cannot read.
MAX_DEPTH = 512
_TOO_DEEP = "structure nested deeper than %d levels" % MAX_DEPTH


def _iso(dt):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_UTC)
    else:
        dt = dt.astimezone(_UTC)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond // 1000)


def _parse_iso(text):
    if not isinstance(text, str):
        raise SerializationFailure("invalid date %r" % (text,))
    t = text.strip()
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    try:
        dt = datetime.datetime.fromisoformat(t)
    except ValueError:
        # fromisoformat before 3.11 wants 3 or 6 fraction digits.
        import re
        m = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$", t)
        if not m:
            raise SerializationFailure("invalid date %r" % (text,))
        frac = (m.group(2) or "0")[:6].ljust(6, "0")
        try:
            dt = datetime.datetime.fromisoformat(m.group(1) + "." + frac + m.group(3))
        except ValueError:
            raise SerializationFailure("invalid date %r" % (text,))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_UTC)
    return dt


def decode_value(v):
    """Decodes "$faast" tags inside an already-parsed JSON value (in place where possible)."""
    t = type(v)
    if t is list:
        for i, x in enumerate(v):
            if type(x) in (list, dict):
                v[i] = decode_value(x)
        return v
    if t is dict:
        if "$faast" in v:
            tag = v["$faast"]
            if tag == "bytes":
                b64 = v.get("base64")
                if not isinstance(b64, str):
                    raise SerializationFailure("bytes tag without base64 text")
                try:
                    return base64.b64decode(b64, validate=True)
                except ValueError as e:
                    raise SerializationFailure("invalid base64: %s" % e)
            if tag == "NaN":
                return math.nan
            if tag == "Infinity":
                return math.inf
            if tag == "-Infinity":
                return -math.inf
            if tag == "undefined":
                return None
            if tag == "date":
                return _parse_iso(v.get("iso"))
            raise SerializationFailure("unknown $faast tag %s" % json.dumps(tag))
        for k, x in v.items():
            if type(x) in (list, dict):
                v[k] = decode_value(x)
        return v
    return v


def _to_json(v, path):
    """Converts a Python value to a JSON-ready structure (tags for what JSON lacks)."""
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        if v != v:
            return {"$faast": "NaN"}
        if v == math.inf:
            return {"$faast": "Infinity"}
        if v == -math.inf:
            return {"$faast": "-Infinity"}
        return v
    if t is list or t is tuple:
        i = id(v)
        if i in path:
            raise SerializationFailure("circular structure")
        if len(path) >= MAX_DEPTH:  # path holds the containers around v
            raise SerializationFailure(_TOO_DEEP)
        path.add(i)
        # A loop, not a comprehension: before 3.12 a comprehension is a frame of its own, and two frames a
        # level would reach python's recursion limit (1,000) before faast's nesting limit.
        out = []
        append = out.append
        for x in v:
            append(_to_json(x, path))
        path.discard(i)
        return out
    if t is dict:
        i = id(v)
        if i in path:
            raise SerializationFailure("circular structure")
        if len(path) >= MAX_DEPTH:
            raise SerializationFailure(_TOO_DEEP)
        path.add(i)
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                if isinstance(k, bool):
                    k = "true" if k else "false"
                elif k is None:
                    k = "null"
                elif isinstance(k, (int, float)):
                    k = json.dumps(k)
                else:
                    raise SerializationFailure("dict key of type %s has no JSON form" % type(k).__name__)
            out[k] = _to_json(x, path)
        path.discard(i)
        return out
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$faast": "bytes", "base64": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, datetime.datetime):
        return {"$faast": "date", "iso": _iso(v)}
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return _to_json(float(v), path)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, (list, tuple)):
        return _to_json(list(v), path)
    if isinstance(v, dict):
        return _to_json(dict(v), path)
    if isinstance(v, (set, frozenset)):
        raise SerializationFailure("%s has no JSON form" % type(v).__name__)
    if callable(v):
        raise SerializationFailure("function %s has no JSON form" % getattr(v, "__name__", type(v).__name__))
    raise SerializationFailure("%s object has no JSON form" % type(v).__name__)


def to_json(v):
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    try:
        return _to_json(v, set())
    except RecursionError:
        raise SerializationFailure(_TOO_DEEP)


# Made once: json.dumps with options builds an encoder per call (about a microsecond).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


# JSONEncoder.encode makes a C encoder per call; one made here is reused (no circular check: values come from
# to_json, which refuses circular structures). None without json's C speedups.
_C_ENCODE = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, False)


def dumps(obj):
    """Serializes a JSON-ready structure to UTF-8 bytes (one line); raises UnicodeEncodeError for a string
    holding a lone surrogate (e.g. from os.fsdecode), which has no UTF-8 form."""
    if _C_ENCODE is not None and type(obj) is dict:
        return "".join(_C_ENCODE(obj, 0)).encode("utf-8")
    return _ENCODER.encode(obj).encode("utf-8")


_NOT_UNICODE = "a string that is not valid Unicode (it holds a lone surrogate, e.g. from a file name decoded " \
    "with surrogateescape), which has no UTF-8 form"


def _without_lone_surrogates(out):
    """The response `out` made sendable: a result holding a lone surrogate becomes a `serialization` error (a
    value is never altered); in an error, such characters are replaced."""
    if out.get("type") == "returned":
        failed = {k: v for k, v in out.items() if k != "value"}
        failed["type"] = "error"
        failed["error"] = _own_error(
            "SerializationError", "%s returned %s" % (_last_call_name, _NOT_UNICODE), "serialization")
        return failed
    return json.loads(_ENCODER.encode(out).encode("utf-8", "replace"))


# ---------------------------------------------------------------------------------------------
# Module loading.

_module = None
_module_file = None


def load_module(path, name=None):
    global _module, _module_file
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file or directory", path)
    if name is None:
        name = os.path.splitext(os.path.basename(path))[0]
        if not name.isidentifier() or name in sys.modules:
            name = "faast_user_module"
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    _module_file = path
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    _module = module
    _public.clear()
    return module


def _is_public_function(name, value, module):
    # types, not inspect: inspect costs a worker's start-up several milliseconds, and only describe needs it.
    if name.startswith("_") or not callable(value) or isinstance(value, type):
        return False
    if isinstance(value, types.FunctionType):
        return getattr(value, "__module__", None) == module.__name__
    # decorated functions (functools.lru_cache, wraps-based wrappers that are not plain functions)
    wrapped = getattr(value, "__wrapped__", None)
    return isinstance(wrapped, types.FunctionType) and getattr(value, "__module__", None) == module.__name__


# inspect.Parameter kinds by their faast names (see ParameterInfo.Kind).
_PARAMETER_KINDS = {0: "positionalOnly", 1: "positional", 2: "variadic", 3: "keywordOnly", 4: "keywords"}


def _safe_repr(v):
    try:
        text = repr(v)
    except BaseException:  # noqa: B902 - a default's own __repr__ may fail; help still shows the rest
        return "…"
    return text if len(text) <= 200 else text[:199] + "…"


def _doc_of(inspect, fn):
    """The docstring, cleaned of its indentation; else the comment lines right above the def."""
    try:
        doc = inspect.getdoc(fn)
        if not doc:
            comments = inspect.getcomments(fn)
            doc = inspect.cleandoc("\n".join(l.lstrip()[1:] for l in comments.splitlines())) if comments else None
        return doc[:20000] if doc else None
    except BaseException:  # noqa: B902 - unreadable source (a module loaded from a zip): no doc
        return None


def describe_functions():
    import inspect
    out = []
    for name, value in list(vars(_module).items()):
        if not _is_public_function(name, value, _module):
            continue
        params = []
        details = []
        signature = None
        try:
            sig = inspect.signature(value)
            signature = str(sig)
            for p in sig.parameters.values():
                detail = {"name": p.name, "kind": _PARAMETER_KINDS[p.kind]}
                if p.kind == p.VAR_POSITIONAL:
                    params.append("*" + p.name)
                elif p.kind == p.VAR_KEYWORD:
                    params.append("**" + p.name)
                else:
                    params.append(p.name)
                if p.default is not p.empty:
                    detail["default"] = _safe_repr(p.default)
                details.append(detail)
        except (TypeError, ValueError):
            pass
        entry = {"name": name, "params": params, "parameters": details}
        if signature is not None:
            entry["signature"] = signature
        doc = _doc_of(inspect, value)
        if doc:
            entry["doc"] = doc
        if _is_generator_function(value):
            entry["generator"] = True
        out.append(entry)
    return out


def loaded_files():
    """The user's own source files loaded so far: the module and what it imported, without the standard
    library, installed packages or faast's own files (the shell watches them to reload an edited module)."""
    import sysconfig
    paths = sysconfig.get_paths()
    skip = tuple(os.path.join(os.path.realpath(paths[k]), "") for k in ("stdlib", "platstdlib", "purelib", "platlib")
                 if paths.get(k))
    here = os.path.join(os.path.dirname(TRAMPOLINE_FILE), "")
    out = [_module_file] if _module_file else []
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if not isinstance(f, str) or not f.endswith(".py"):
            continue
        f = os.path.realpath(f)
        if f in out or f.startswith(skip) or f.startswith(here) or os.sep + "site-packages" + os.sep in f \
                or os.sep + "dist-packages" + os.sep in f:
            continue
        out.append(f)
    return out


# Functions found public by name: checked in full once, then only that the module still binds the same object.
_public = {}


def _lookup(name):
    if not isinstance(name, str) or name.startswith("_"):
        return None
    fn = getattr(_module, name, None)
    if fn is not None and _public.get(name) is fn:
        return fn
    if fn is None or not _is_public_function(name, fn, _module):
        return None
    _public[name] = fn
    return fn


# ---------------------------------------------------------------------------------------------
# Errors.


def _user_tb(tb, module_file=None):
    """Drops the leading frames that belong to the trampoline, importlib or asyncio."""
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if module_file is not None:
            if f == module_file:
                break
        elif f != TRAMPOLINE_FILE and not f.startswith(_ASYNCIO_DIR) and not f.startswith("<frozen"):
            break
        tb = tb.tb_next
    return tb


def _format_stack(e, tb):
    try:
        return "".join(traceback.format_exception(type(e), e, tb))
    except Exception:
        return "%s: %s\n" % (type(e).__name__, e)


def _safe_str(e):
    try:
        return str(e)
    except Exception:
        return "<unprintable %s>" % type(e).__name__


def error_object(e, kind=None, module_file=None):
    tb = _user_tb(e.__traceback__, module_file)
    if kind == "outOfMemory":
        # Free what the failed call kept alive before formatting anything.
        traceback.clear_frames(e.__traceback__)
    message = _safe_str(e)
    if not message and kind == "outOfMemory":
        message = "out of memory"
    err = {"name": type(e).__name__, "message": message, "stack": _format_stack(e, tb)}
    d = getattr(e, "__dict__", None)
    if d:
        for k, v in list(d.items()):
            if k in ("name", "message", "stack", "kind") or k.startswith("_"):
                continue
            try:
                err[k] = to_json(v)
            except Exception:
                pass
    if kind:
        err["kind"] = kind
    return err


def _own_error(name, message, kind):
    return {"name": name, "message": message, "stack": "", "kind": kind}


def load_error(e, module_file):
    err = error_object(e, module_file=module_file)
    if isinstance(e, SyntaxError):
        err["stack"] = _format_stack(e, None)
        if e.filename:
            err["file"] = e.filename
        if e.lineno is not None:
            err["line"] = e.lineno
    else:
        line = None
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == module_file:
                line = tb.tb_lineno
            tb = tb.tb_next
        if isinstance(e, FileNotFoundError) and module_file:
            err["file"] = module_file
        if line is not None:
            err["file"] = module_file
            err["line"] = line
    return {"type": "loadError", "error": err}


# ---------------------------------------------------------------------------------------------
# Generators: a call whose function returns a generator (a generator or async generator function) runs it to
# the end; its result is the list of the values it yielded. When the request asks for a stream, each value
# also leaves as its own message {"callId","type":"yield","seq","value"} before the final answer: on the
# response pipe ("stream": true, a local worker) or on an SQS queue ("stream": "<queue url>", Lambda).


def _is_generator_function(fn):
    import inspect  # only describe asks (see _is_public_function)
    fn = inspect.unwrap(fn) if hasattr(fn, "__wrapped__") else fn
    return inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)


class _YieldSerializationFailure(Exception):
    """A yielded value with no JSON form (reported as a serialization error, not the function's own)."""


# Where a call's yields go: a function of the message bytes, or None.
_yield_sink = None
_sqs = None


def _sqs_sink(queue_url):
    """An SQS sink through boto3 (part of Lambda's python runtimes); None where it is missing."""
    global _sqs
    if _sqs is None:
        try:
            import boto3
            _sqs = boto3.client("sqs")
        except Exception as e:  # no SDK, no region: the values arrive with the result only
            _sqs = False
            sys.stderr.write("faast: yielded values are not streamed: %s\n" % e)
    if not _sqs:
        return None
    return _BackgroundSender(queue_url)


# Streamed values in flight at once per call (queue mode): enough to hide SQS's round trip, few enough that a
# generator far faster than SQS waits instead of piling up requests.
_MAX_YIELD_SENDS = 8
_sender_pool = None


class _BackgroundSender:
    """Sends each yield message to the queue on a thread pool (boto3 clients are thread-safe), so the generator
    goes on while up to _MAX_YIELD_SENDS are on their way (each carries its seq: the order they arrive in does
    not matter); `flush` waits until every one was sent or its failure written to the log."""

    def __init__(self, queue_url):
        global _sender_pool
        import threading
        if _sender_pool is None:
            from concurrent.futures import ThreadPoolExecutor
            _sender_pool = ThreadPoolExecutor(max_workers=_MAX_YIELD_SENDS, thread_name_prefix="faast-yield")
        self.queue_url = queue_url
        self.slots = threading.BoundedSemaphore(_MAX_YIELD_SENDS)
        self.futures = []

    def _send(self, data):
        try:
            _sqs.send_message(QueueUrl=self.queue_url, MessageBody=data.decode("utf-8"))
        except Exception as e:
            sys.stderr.write("faast: a yielded value was not streamed: %s\n" % e)
        finally:
            self.slots.release()

    def __call__(self, data):
        self.slots.acquire()
        self.futures.append(_sender_pool.submit(self._send, data))

    def flush(self):
        for f in self.futures:
            f.result()
        self.futures = []


def _stream_sink(stream):
    if stream is True:
        return _yield_sink
    if isinstance(stream, str) and stream:
        return _sqs_sink(stream)
    return None


def _drain_generator(call_id, gen, values, sink):
    """Runs a generator to its end, appending each value (JSON-ready) to `values` and streaming it to `sink`."""
    is_async = isinstance(gen, types.AsyncGeneratorType)
    try:
        while True:
            try:
                item = _run_coroutine(gen.__anext__()) if is_async else next(gen)
            except (StopIteration, StopAsyncIteration):
                return values
            try:
                encoded = to_json(item)
            except SerializationFailure as e:
                raise _YieldSerializationFailure(str(e))
            values.append(encoded)
            if sink is not None:
                sink(dumps({"callId": call_id, "type": "yield", "seq": len(values) - 1, "value": encoded}))
    finally:
        # Every value streamed in the background has gone before the answer (or the error) does.
        flush = getattr(sink, "flush", None)
        if flush is not None:
            flush()


# ---------------------------------------------------------------------------------------------
# Request handling (shared by the worker and Lambda entry points).

_loop = None
_last_call_name = "the function"


def _run_coroutine(coro):
    global _loop
    import asyncio
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_loop)
    return _loop.run_until_complete(coro)


def protocol_error(call_id, message):
    out = {"type": "error"}
    if isinstance(call_id, str):
        out["callId"] = call_id
    out["error"] = _own_error("ProtocolError", message, "protocol")
    return out


def handle_request(msg):
    """Handles one parsed request and returns the response envelope (a JSON-ready dict)."""
    if not isinstance(msg, dict):
        return protocol_error(None, "request is not a JSON object")
    call_id = msg.get("callId")
    op = msg.get("op")
    if op == "describe":
        return {"callId": call_id, "type": "described", "runtime": "python", "functions": describe_functions(),
                "files": loaded_files()}
    if op is not None and op != "call":
        return protocol_error(call_id, "unknown op %s" % json.dumps(op))
    name = msg.get("name")
    if not isinstance(name, str):
        return protocol_error(call_id, "call request without a function name")
    args = msg.get("args")
    if args is None:
        args = []
    if not isinstance(args, list):
        return protocol_error(call_id, "args must be an array")
    kwargs = msg.get("kwargs")
    if kwargs is not None and not isinstance(kwargs, dict):
        return protocol_error(call_id, "kwargs must be an object")
    return call_function(call_id, name, args, msg.get("stream"), kwargs)


def call_function(call_id, name, args, stream=None, kwargs=None):
    global _current_call_id, _held_start, _last_call_name
    _last_call_name = name
    id_str = str(call_id)
    _current_call_id = id_str
    start = time.time() * 1000
    _held_start = _stamp(id_str, start) + "START " + name + "\n"
    out = {"callId": call_id}
    yielded = None
    try:
        fn = _lookup(name)
        if fn is None:
            out["type"] = "error"
            out["error"] = _own_error("NotFoundError", "no function '%s' in module" % name, "notFound")
        else:
            failed = None
            for i, a in enumerate(args):
                if type(a) in (list, dict):
                    try:
                        args[i] = decode_value(a)
                    except (SerializationFailure, RecursionError) as e:
                        failed = _own_error("SerializationError", "%s argument %d cannot be deserialized: %s"
                                            % (name, i + 1, e), "serialization")
                        break
            if kwargs and failed is None:
                try:
                    kwargs = decode_value(kwargs)
                except (SerializationFailure, RecursionError) as e:
                    failed = _own_error("SerializationError", "%s keyword arguments cannot be deserialized: %s"
                                        % (name, e), "serialization")
            if failed is not None:
                out["type"] = "error"
                out["error"] = failed
            else:
                try:
                    result = fn(*args, **kwargs) if kwargs else fn(*args)
                    if isinstance(result, types.CoroutineType):
                        result = _run_coroutine(result)
                    elif isinstance(result, (types.GeneratorType, types.AsyncGeneratorType)):
                        yielded = []
                        result = _drain_generator(call_id, result, yielded, _stream_sink(stream))
                except _YieldSerializationFailure as e:
                    out["type"] = "error"
                    out["error"] = _own_error(
                        "SerializationError", "%s yielded a value that cannot be serialized: %s" % (name, e),
                        "serialization")
                except SystemExit as e:
                    if not _lambda_mode:
                        _flush_logs()
                        code = e.code
                        os._exit(code if isinstance(code, int) else (0 if code is None else 1))
                    out["type"] = "error"
                    out["error"] = error_object(e)
                except MemoryError as e:
                    out["type"] = "error"
                    out["error"] = error_object(e, "outOfMemory")
                except BaseException as e:  # noqa: B902 - every failure goes back to the caller
                    out["type"] = "error"
                    out["error"] = error_object(e)
                else:
                    try:
                        out["value"] = to_json(result)
                        out["type"] = "returned"
                    except SerializationFailure as e:
                        out["type"] = "error"
                        out["error"] = _own_error(
                            "SerializationError",
                            "%s returned a value that cannot be serialized: %s" % (name, e), "serialization")
                    result = None
    except MemoryError as e:
        out["type"] = "error"
        out["error"] = {"name": "MemoryError", "message": _safe_str(e), "stack": "", "kind": "outOfMemory"}
    end = time.time() * 1000
    if _stdout is not None and (_stdout._partial or _stderr._partial):
        _flush_logs()
    _log_line(id_str, "END %s %.1f ms" % (name, end - start), end)
    _current_call_id = "-"
    if "value" in out:
        return {"callId": call_id, "type": "returned", "value": out["value"], "start": start, "end": end,
                "memoryMb": _memory_mb(end - start, end)}
    if yielded is not None:
        out["error"]["yielded"] = yielded
    return {"callId": call_id, "type": "error", "error": out["error"], "start": start, "end": end,
            "memoryMb": _memory_mb(end - start, end)}


def _call_id_of(line):
    import re
    m = re.search(rb'"callId"\s*:\s*("(?:[^"\\]|\\.)*")', line)
    if not m:
        return None
    try:
        return json.loads(m.group(1))
    except ValueError:
        return None


def _name_of(line):
    import re
    m = re.search(rb'"name"\s*:\s*("(?:[^"\\]|\\.)*")', line)
    try:
        return json.loads(m.group(1)) if m else "the function"
    except ValueError:
        return "the function"


# json.loads on bytes first guesses their encoding and makes a decoder; requests are UTF-8, so their text goes
# straight to json's C scanner. Anything it does not read whole goes through json.loads, for its exact error.
_SCAN = json.scanner.make_scanner(json.JSONDecoder())


def _loads(line):
    try:
        text = line.decode("utf-8")
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):
        return json.loads(line)
    if end != len(text) and not text[end:].isspace():
        return json.loads(line)
    return value


def _parse_request(line):
    """The parsed request, or the error response for one that cannot be read: arguments nested beyond what
    python's json reads (about 1,000 levels) fail that call as `serialization`, not as a protocol error."""
    try:
        return _loads(line), None
    except RecursionError:
        call_id = _call_id_of(line)
        out = {"type": "error"}
        if isinstance(call_id, str):
            out["callId"] = call_id
        out["error"] = _own_error(
            "SerializationError", "%s arguments cannot be deserialized: nested too deeply for python's json"
            % _name_of(line), "serialization")
        return None, out
    except ValueError as e:
        return None, protocol_error(_call_id_of(line), "request is not valid JSON: %s" % e)


def handle_line(line):
    msg, failed = _parse_request(line)
    return failed if failed is not None else handle_request(msg)


def _encode_response(out):
    try:
        return dumps(out)
    except UnicodeEncodeError:
        return dumps(_without_lone_surrogates(out))
    except (ValueError, TypeError) as e:  # should not happen: values are converted already
        return dumps(protocol_error(out.get("callId"), "internal error: %s" % e))


# ---------------------------------------------------------------------------------------------
# Worker entry point.


def _send(data):
    try:
        _write_all(4, data + b"\n")
    except OSError as e:
        # The host closed its end of the response pipe: nobody is listening any more.
        _flush_logs()
        os._exit(0 if isinstance(e, BrokenPipeError) else 1)


def main():
    global _yield_sink
    # The memory size is enforced by the host on the worker's resident memory (as Lambda does), not here: an
    # address-space limit (RLIMIT_AS) counts every thread's reserved stack and breaks `threading`.
    _install_logging()
    path = os.environ.get("FAAST_MODULE", "")
    module_file = os.path.abspath(path) if path else None
    try:
        if not path:
            raise RuntimeError("FAAST_MODULE is not set")
        load_module(path)
    except BaseException as e:
        _flush_logs()
        try:
            _send(dumps(load_error(e, module_file)))
        except OSError:
            pass
        os._exit(1)
    _send(dumps({"type": "ready", "runtime": "python", "version": "%d.%d.%d" % sys.version_info[:3], "pid": os.getpid()}))
    _yield_sink = _send
    requests = open(3, "rb", buffering=65536, closefd=False)
    while True:
        try:
            line = requests.readline()
        except OSError:
            line = b""
        if not line:
            _flush_logs()
            os._exit(0)
        if not line.strip():
            continue
        _send(_encode_response(handle_line(line)))


# ---------------------------------------------------------------------------------------------
# Lambda entry point.

_lambda_loaded = False


def handler(event, context=None):
    global _lambda_mode, _lambda_loaded
    _lambda_mode = True
    _install_logging()
    request = event
    queued = False
    if isinstance(event, dict) and isinstance(event.get("Records"), list) and event["Records"] \
            and isinstance(event["Records"][0], dict) and "Sns" in event["Records"][0]:
        request = event["Records"][0]["Sns"].get("Message")
        queued = True
    if isinstance(request, (str, bytes)):
        line = request.encode("utf-8") if isinstance(request, str) else request
        request, failed = _parse_request(line)
        if failed is not None:
            return failed
    # This invocation loads the module: the first of its instance (a cold start), said in queue mode's answer,
    # whose record has no log tail with Lambda's Init Duration.
    cold = not _lambda_loaded
    if not _lambda_loaded:
        # The deploy names the module's file (its own name, next to this one): loaded under its own name, as
        # locally, and FAAST_MODULE becomes its absolute path, as locally.
        named = os.environ.get("FAAST_MODULE")
        path = os.path.join(os.path.dirname(TRAMPOLINE_FILE), os.path.basename(named) if named else "faast_module.py")
        if named:
            os.environ["FAAST_MODULE"] = path
        try:
            load_module(path, None if named else "faast_module")
            _lambda_loaded = True
        except BaseException as e:
            out = load_error(e, path)
            if isinstance(request, dict) and "callId" in request:
                out["callId"] = request["callId"]
            return out
    out = handle_request(request)
    try:
        dumps(out)  # the runtime serializes it; a lone surrogate would reach the host as an unreadable escape
    except UnicodeEncodeError:
        out = _without_lone_surrogates(out)
    if queued:
        out = _queue_result_checked(event, out, request)
        if cold and isinstance(out, dict):
            out["coldStart"] = True
    return out


# Queue mode: Lambda's destination record carries the SNS event and this response and must fit one SQS message
# (256 KB); a record that does not fit is never delivered, and the call would only time out. Such a response is
# replaced by an error that says so. json.dumps escapes non-ASCII as \uXXXX, the most verbose escaping.
_QUEUE_RECORD_LIMIT = 256 * 1024
_QUEUE_RECORD_OVERHEAD = 1024


def _queue_result_checked(event, out, request):
    try:
        result_size = len(json.dumps(out))
        size = len(json.dumps(event)) + result_size + _QUEUE_RECORD_OVERHEAD
    except (TypeError, ValueError):
        return out
    if size <= _QUEUE_RECORD_LIMIT:
        return out
    call_id = request.get("callId") if isinstance(request, dict) else None
    name = request.get("name") if isinstance(request, dict) and isinstance(request.get("name"), str) else "the function"
    message = ("the result of %s is %d bytes; with its request it does not fit queue mode's 256 KB result record: "
               "use mode=https" % (name, result_size))
    err = {"type": "error", "error": _own_error("ResultTooLarge", message, "serialization")}
    if isinstance(call_id, str):
        err["callId"] = call_id
    return err


if __name__ == "__main__":
    main()
