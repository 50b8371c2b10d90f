"""scripts/bench --aws-sessions: kept sessions and queue mode against the emulator (issue 12).

Starts Tests/aws/moto_lambda.py on a free port and a counting reverse proxy in front of it; faast (the debug or
$FAAST_BIN binary) talks to the proxy, so every request faast sends is counted by service and action (the
function's own SDK calls go to moto directly and are not counted). Measures, each a few rounds:
  fresh open         requests and seconds until the first call is sent, and seconds until its result came back
                     (the first answer through the proxy that carries `hello x!`: an Invoke's, or a ReceiveMessage's)
  fresh open, queue  the same with mode=queue as the session's default (queue and topic made by the deploy)
  re-open (kept)     the same module again, kept and unchanged
  code-only update   the module changed by one line
  queue fan-out      faast's requests per call in a 1,000-call fan-out in mode=queue
Prints a table and writes .build/bench/aws_sessions.json. FAAST_BENCH_ROUNDS (default 5) sets the rounds;
FAAST_BENCH_FANOUT=0 leaves out the fan-out. FAAST_BENCH_BASELINE=/path/to/an/older/faast instead compares the
two binaries on fresh opens and re-opens, alternating them round by round (a shared machine's load drifts; taking
turns spreads it over both), and writes .build/bench/aws_sessions_compare.json.
"""
import http.client
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAAST = os.environ.get("FAAST_BIN") or os.path.join(ROOT, ".build", "debug", "faast")


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []  # (monotonic time, action, body-mentions-user-call)
        self.results = []  # monotonic times of answers carrying the user's call's result

    def add(self, action, user_call):
        with self.lock:
            self.log.append((time.monotonic(), action, user_call))

    def result(self):
        with self.lock:
            self.results.append(time.monotonic())

    def take(self):
        with self.lock:
            out, self.log = self.log, []
        return out

    def take_results(self):
        with self.lock:
            out, self.results = self.results, []
        return out


def action_of(method, path, headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    if method == "POST" and path.rstrip("/") == "" and body:
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in params:
            return params["Action"][0]
    p = path.split("?")[0]
    if p.endswith("/invocations"):
        return "Invoke"
    if p == "/2015-03-31/functions":
        return "CreateFunction" if method == "POST" else "ListFunctions"
    if p.endswith("/code"):
        return "UpdateFunctionCode"
    if p.endswith("/configuration"):
        return "GetFunctionConfiguration"
    return "%s %s" % (method, p)


def start_proxy(upstream, counter):
    up = urllib.parse.urlparse(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            # The user's call: in an Invoke's JSON, or form-encoded in a Publish's Message.
            counter.add(action_of(self.command, self.path, self.headers, body),
                        b'"name":"hello"' in body or b"%22name%22%3A%22hello%22" in body)
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
            except OSError:  # moto went away (the end of the run), or faast hung up on a long poll
                self.close_connection = True
                return
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if b"hello x!" in data:
                counter.result()
            try:
                self.wfile.write(data)
            except OSError:  # faast went away meanwhile (a kept session's long poll at exit)
                self.close_connection = True
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = forward

    class Server(http.server.ThreadingHTTPServer):
        # faast opens up to a fan-out's concurrency of connections at once; the default backlog of 5 refused some.
        request_queue_size = 512

        def handle_error(self, request, client_address):
            # faast hung up (a long poll at exit, a cancelled request): nothing to report.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


def start_moto():
    log = open(os.path.join(ROOT, ".build", "bench-aws-sessions-moto.log"), "w")
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "Tests", "aws", "moto_lambda.py"), "--port", "0"],
                         stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if line.startswith("ready "):
            return p, line.split()[1]
        if not line and p.poll() is not None:
            break
    p.kill()
    raise SystemExit("moto did not start (see .build/bench-aws-sessions-moto.log)")


def run_faast(env, args, check=True, binary=None):
    t0 = time.monotonic()
    r = subprocess.run([binary or FAAST, "--provider", "aws"] + args, env=env, capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        raise RuntimeError("faast %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr[-500:]))
    return t0, r


def until_first_call(t0, log):
    """Requests and seconds before the first request carrying the user's call."""
    for i, (t, _action, user) in enumerate(log):
        if user:
            return i, t - t0, [a for _, a, _ in log[:i]]
    return len(log), float("nan"), [a for _, a, _ in log]


def until_result(t0, counter):
    """Seconds until the first answer carrying the call's result went back to faast."""
    results = counter.take_results()
    return results[0] - t0 if results else float("nan")


def compare(env, work, module, counter, baseline, rounds):
    """Seconds until the first call, baseline and FAAST taking turns; median and min of each."""
    binaries = {"baseline": baseline, "faast": FAAST}
    keys = ("fresh", "fresh_queue", "reopen", "update")
    samples = {(b, k): [] for b in binaries for k in keys}
    for _ in range(rounds):
        for name, binary in binaries.items():
            for key, args in (("fresh_queue", ["--mode", "queue", module]), ("fresh", ["--keep", module]), ("reopen", ["--keep", module]),
                              ("update", ["--keep", module])):
                if key.startswith("fresh"):
                    shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
                if key == "update":
                    with open(module, "a") as f:
                        f.write("\n// changed %f\n" % time.time())
                counter.take(), counter.take_results()
                t0, _ = run_faast(env, args + ["-c", 'call hello("x")'], binary=binary)
                samples[(name, key)].append((until_first_call(t0, counter.take())[1], until_result(t0, counter)))
    out = {"%s %s" % k: {"median": statistics.median(s for s, _ in v), "min": min(s for s, _ in v), "seconds": [round(s, 3) for s, _ in v],
                         "result_median": statistics.median(r for _, r in v), "result_min": min(r for _, r in v),
                         "result_seconds": [round(r, 3) for _, r in v]} for k, v in samples.items()}
    print("baseline %s vs faast %s, %d alternating rounds, seconds until the first call is sent / until its result:" % (
        baseline, FAAST, rounds))
    for key in keys:
        b, f = out["baseline " + key], out["faast " + key]
        print("  %-12s baseline median %.3f / %.3f (min %.3f / %.3f)   faast median %.3f / %.3f (min %.3f / %.3f)" % (
            key, b["median"], b["result_median"], b["min"], b["result_min"], f["median"], f["result_median"], f["min"], f["result_min"]))
    return out


def main():
    rounds = int(os.environ.get("FAAST_BENCH_ROUNDS", "5"))
    baseline = os.environ.get("FAAST_BENCH_BASELINE")
    moto, moto_url = start_moto()
    counter = Counter()
    server, proxy_url = start_proxy(moto_url, counter)
    work = tempfile.mkdtemp(prefix="faast-bench-sessions-")
    module = os.path.join(work, "m.js")
    shutil.copy(os.path.join(ROOT, "Tests", "Fixtures", "modules", "sample.js"), module)
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy_url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_REGION="us-east-1", XDG_STATE_HOME=os.path.join(work, "state"), HOME=work)
    R = {}
    try:
        if baseline:
            run_faast(env, [module, "-c", 'call hello("warm")'])  # the role exists before the first measured round
            R = compare(env, work, module, counter, baseline, rounds)
            os.makedirs(os.path.join(ROOT, ".build", "bench"), exist_ok=True)
            with open(os.path.join(ROOT, ".build", "bench", "aws_sessions_compare.json"), "w") as f:
                json.dump(R, f, indent=2)
            return
        samples = {"fresh": [], "fresh_queue": [], "reopen": [], "update": []}
        for _ in range(rounds):
            shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)  # the previous round's kept session is not reused
            counter.take(), counter.take_results()
            t0, _ = run_faast(env, ["--mode", "queue", module, "-c", 'call hello("x")'])
            samples["fresh_queue"].append(until_first_call(t0, counter.take()) + (until_result(t0, counter),))
            shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)  # no kept session: a fresh deploy
            counter.take(), counter.take_results()
            t0, _ = run_faast(env, ["--keep", module, "-c", 'call hello("x")'])
            samples["fresh"].append(until_first_call(t0, counter.take()) + (until_result(t0, counter),))
            t0, r = run_faast(env, ["--keep", module, "-c", 'call hello("x")'])
            assert "reused kept session" in r.stderr, r.stderr
            samples["reopen"].append(until_first_call(t0, counter.take()) + (until_result(t0, counter),))
            with open(module, "a") as f:
                f.write("\n// changed %f\n" % time.time())
            t0, r = run_faast(env, ["--keep", module, "-c", 'call hello("x")'])
            assert "updated its code in place" in r.stderr, r.stderr
            samples["update"].append(until_first_call(t0, counter.take()) + (until_result(t0, counter),))
        for key, rows in samples.items():
            R[key] = {"requests": int(statistics.median(n for n, _, _, _ in rows)), "seconds_median": statistics.median(s for _, s, _, _ in rows),
                      "seconds": [round(s, 3) for _, s, _, _ in rows], "actions": rows[-1][2],
                      "result_seconds_median": statistics.median(r for _, _, _, r in rows), "result_seconds": [round(r, 3) for _, _, _, r in rows]}
        print_sessions(R, rounds)
        if os.environ.get("FAAST_BENCH_FANOUT", "1") != "0":
            # Queue fan-out on the kept session (its queue infrastructure is made by the first queue call).
            run_faast(env, ["--keep", module, "-c", "call hello(\"warm\") mode=queue"])
            counter.take()
            n = 1000
            # A failed call (a timeout under load) does not stop the count: the exit status is kept in the result.
            t0, r = run_faast(env, ["--keep", module, "-c", "call noop($i) x%d mode=queue concurrency=100" % n],
                              check=False)
            log = counter.take()
            by = {}
            for _, a, _ in log:
                by[a] = by.get(a, 0) + 1
            queue_path = sum(v for k, v in by.items() if k in ("Publish", "PublishBatch", "ReceiveMessage", "DeleteMessageBatch",
                                                             "DeleteMessage", "ChangeMessageVisibilityBatch"))
            R["queue_fanout"] = {"calls": n, "requests": len(log), "per_call": len(log) / n, "queue_requests_per_call": queue_path / n,
                                 "by_action": by, "seconds": time.monotonic() - t0, "exit_status": r.returncode}
        run_faast(env, [module, "-c", "cleanup"])
    finally:
        server.shutdown()
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait()
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, ".build", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, ".build", "bench", "aws_sessions.json"), "w") as f:
        json.dump(R, f, indent=2)
    q = R.get("queue_fanout")
    if q:
        print("  %-28s %.3f requests per call (%d in all; queue path %.3f per call; exit %d) %s" % (
            "queue fan-out x%d" % q["calls"], q["per_call"], q["requests"], q["queue_requests_per_call"], q["exit_status"],
            json.dumps(q["by_action"])))


def print_sessions(R, rounds):
    print("AWS sessions on the emulator (moto), median of %d rounds, requests counted by a proxy:" % rounds)
    for key, label in (("fresh", "fresh open"), ("fresh_queue", "fresh open, mode=queue"), ("reopen", "re-open of a kept session"),
                       ("update", "code-only update")):
        print("  %-28s %3d requests  %.3f s (min %.3f) to send the call, %.3f s (min %.3f) to its result  (%s)" % (
            label, R[key]["requests"], R[key]["seconds_median"], min(R[key]["seconds"]), R[key]["result_seconds_median"],
            min(R[key]["result_seconds"]), " ".join(R[key]["actions"])), flush=True)


if __name__ == "__main__":
    main()
