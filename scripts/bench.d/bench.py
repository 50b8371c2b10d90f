"""scripts/bench: faast against its floor and its peers, every figure from the same run.

Prints one markdown table on stdout (progress goes to stderr) and writes the figures as JSON to
.build/bench/results-<timestamp>.json and .build/bench/latest.json. `--quick` runs smaller versions (no
Ray/Dask install) to check the script itself. Every step is bounded by a timeout; a peer that cannot be
installed or fails is reported in its row, never skipped silently.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(ROOT, "scripts", "bench.d")
SCRATCH = os.path.join(ROOT, ".build-bench")
OUT_DIR = os.path.join(ROOT, ".build", "bench")
VENV = os.path.join(OUT_DIR, "venv")
FAAST = os.path.join(SCRATCH, "release", "faast")
FAAST_BENCH = os.path.join(SCRATCH, "release", "faast-bench")
FLOOR = os.path.join(OUT_DIR, "floor")
PEERS = os.path.join(HERE, "peers.py")
SAMPLE_JS = os.path.join(ROOT, "Tests", "Fixtures", "modules", "sample.js")
SAMPLE_PY = os.path.join(ROOT, "Tests", "Fixtures", "modules", "sample.py")
FUNCTIONS_JS = os.path.join(ROOT, "examples", "functions.js")
FUNCTIONS_PY = os.path.join(ROOT, "examples", "functions.py")


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class Failed(Exception):
    pass


def run(cmd, timeout, env=None, cwd=ROOT, check=True):
    """Runs a command in its own process group; kills the group at the timeout. Returns (rc, out, err)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                         start_new_session=True, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(p)
        p.communicate()
        raise Failed("timed out after %d s: %s" % (timeout, " ".join(cmd[:3])))
    if check and p.returncode != 0:
        tail = (err or out).strip().splitlines()[-3:]
        raise Failed("exit %d: %s" % (p.returncode, " | ".join(tail)[:300]))
    return p.returncode, out, err


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise Failed("no JSON in output: " + text.strip()[-200:])


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]


def attempt(results, key, fn):
    """Runs one measurement; a failure is recorded under the key as {"error": ...}."""
    t0 = time.time()
    try:
        results[key] = fn()
    except Failed as e:
        results[key] = {"error": str(e)}
    except Exception as e:  # a bug in a measurement must not lose the others
        results[key] = {"error": "%s: %s" % (type(e).__name__, e)}
    log("%-22s %5.1f s  %s" % (key, time.time() - t0, json.dumps(results[key])[:160]))


# ---------------------------------------------------------------------------------------------------------
# Setup


def build():
    for product in ("faast", "faast-bench"):
        log("swift build -c release --product %s" % product)
        rc = subprocess.call(["swift", "build", "-c", "release", "--scratch-path", SCRATCH, "--product", product],
                             cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr)
        if rc != 0:
            sys.exit("bench: the release build of %s failed" % product)
    os.makedirs(OUT_DIR, exist_ok=True)
    rc = subprocess.call(["cc", "-O2", "-o", FLOOR, os.path.join(HERE, "floor.c")], stdout=sys.stderr,
                         stderr=sys.stderr)
    if rc != 0:
        sys.exit("bench: cc floor.c failed")


def real_python():
    """The interpreter faast's local provider runs (the real executable behind a pyenv shim)."""
    exe = os.environ.get("FAAST_PYTHON") or shutil.which("python3")
    out = subprocess.check_output([exe, "-c", "import sys; print(sys.executable)"], text=True).strip()
    return os.path.realpath(out)


def real_node():
    return os.path.realpath(os.environ.get("FAAST_NODE") or shutil.which("node") or "node")


def ensure_venv(timeout=420):
    """A virtualenv with ray, dask and distributed; returns (python, None) or (None, reason)."""
    py = os.path.join(VENV, "bin", "python")
    check = [py, "-c", "import ray, dask, distributed"]
    if os.path.exists(py) and subprocess.call(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
        return py, None
    log("installing ray, dask and distributed into %s" % VENV)
    try:
        if not os.path.exists(py):
            run([sys.executable, "-m", "venv", VENV], timeout=120)
        run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "ray", "dask", "distributed"],
            timeout=timeout)
    except Failed as e:
        return None, "pip install failed: " + str(e)
    if subprocess.call(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
        return None, "import failed after install"
    return py, None


def peer_status(venv_py, module):
    """(python, None) when `module` imports in the venv, else (None, reason)."""
    if venv_py is None:
        return None
    rc = subprocess.call([venv_py, "-c", "import " + module], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return venv_py if rc == 0 else None


# ---------------------------------------------------------------------------------------------------------
# faast


def faast_env():
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    # Keep the sessions' logs out of the user's state directory.
    env["XDG_STATE_HOME"] = os.path.join(OUT_DIR, "state")
    return env


def faast_batches(module, commands, timeout):
    """Runs faast with one -c per command in --format json; returns the JSON objects of its fan-outs."""
    cmd = [FAAST, module, "--format", "json"]
    for c in commands:
        cmd += ["-c", c]
    _, out, _ = run(cmd, timeout=timeout, env=faast_env())
    batches = [o for o in json_lines(out) if "callsPerSecond" in o]
    if len(batches) != sum(1 for c in commands if c.startswith("call")):
        raise Failed("faast printed %d fan-out summaries: %s" % (len(batches), out[-300:]))
    for b in batches:
        if b.get("failed") or b.get("succeeded") != b.get("count"):
            raise Failed("fan-out had failures: %s" % json.dumps(b)[:300])
    return batches


def faast_latency(module, n, warmup):
    # One call at a time, each request sent when the answer before it has come (pipeline=off), as the floor does.
    b = faast_batches(module, ["call noop($i) x%d concurrency=1 pipeline=off" % warmup,
                               "call noop($i) x%d concurrency=1 pipeline=off" % n],
                      timeout=120)[1]
    return {"n": n, "p50Ms": b["latencyMs"]["p50"], "p99Ms": b["latencyMs"]["p99"], "meanMs": b["latencyMs"]["mean"],
            "callsPerSecond": b["callsPerSecond"]}


def read_status(pid):
    """VmHWM / VmRSS (kB) and utime+stime (s) of a live process, or None."""
    try:
        with open("/proc/%d/status" % pid) as fh:
            status = fh.read()
        with open("/proc/%d/stat" % pid) as fh:
            stat = fh.read()
    except OSError:
        return None
    kb = {}
    for line in status.splitlines():
        if line.startswith(("VmHWM:", "VmRSS:")):
            kb[line.split(":")[0]] = int(line.split()[1])
    fields = stat.rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    children = (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime (reaped workers only)
    return kb.get("VmHWM", 0), kb.get("VmRSS", 0), cpu, children


def worker_cpu(pid):
    """utime+stime (s) of the live children of pid (the workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):  # workers are forked from whichever thread started them
            children += open("/proc/%d/task/%s/children" % (pid, tid)).read().split()
    except OSError:
        return 0.0
    for c in children:
        try:
            fields = open("/proc/%s/stat" % c).read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def faast_fanout(n, warmup, perf_seconds=0):
    """The fan-out at the default concurrency, with the faast process's peak RSS (VmHWM) and CPU polled from
    /proc while it runs; optionally `perf stat` attached to the faast pid during the fan-out."""
    cmd = [FAAST, SAMPLE_JS, "--format", "json", "-c", "call noop($i) x%d" % warmup, "-c", "call noop($i) x%d" % n,
           "-c", "sleep 0.3"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=faast_env(), cwd=ROOT,
                         start_new_session=True, text=True)
    peak = {"hwm": 0, "rss": 0, "cpu": 0.0, "workers": 0.0}
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            s = read_status(p.pid)
            if s is None:
                break
            peak["hwm"] = max(peak["hwm"], s[0])
            peak["rss"] = max(peak["rss"], s[1])
            peak["cpu"] = max(peak["cpu"], s[2])
            w = worker_cpu(p.pid)
            peak["workers"] = max(peak["workers"], w)
            stop.wait(0.05)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        out, err = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        kill_group(p)
        p.communicate()
        raise Failed("faast fan-out timed out after 300 s")
    stop.set()
    t.join()
    if p.returncode != 0:
        raise Failed("faast exit %d: %s" % (p.returncode, (err or out)[-300:]))
    batches = [o for o in json_lines(out) if "callsPerSecond" in o]
    if len(batches) != 2 or batches[1].get("failed"):
        raise Failed("unexpected fan-out output: " + out[-300:])
    b = batches[1]
    return {"n": n, "callsPerSecond": b["callsPerSecond"], "elapsedMs": b["elapsedMs"],
            "p50Ms": b["latencyMs"]["p50"], "p99Ms": b["latencyMs"]["p99"],
            "peakRssMB": round(peak["hwm"] / 1024, 1), "faastCpuSeconds": peak["cpu"],
            "workersCpuSeconds": round(peak["workers"], 2)}


def whole_process(cmd, runs, timeout, env=None):
    """Wall time of a whole process, exec to exit, `runs` times: the median and the runs; and its CPU time
    (user + system of the process and every descendant it waited for: faast's workers, the pool's processes),
    which the load of a shared machine distorts less than wall time."""
    times, cpus = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        run(cmd, timeout=timeout, env=env)
        times.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    return {"runs": runs, "medianSeconds": statistics.median(times), "seconds": times,
            "medianCpuSeconds": statistics.median(cpus), "cpuSeconds": cpus}


def faast_whole_fanout(module, n, runs):
    """A whole faast process that makes an n-call no-op fan-out (start-up, workers and exit included)."""
    r = whole_process([FAAST, module, "-c", "call noop($i) x%d" % n], runs, timeout=300, env=faast_env())
    r["n"] = n
    return r


def ppe_whole_fanout(python, n, runs):
    """A whole python process that makes the same fan-out with ProcessPoolExecutor(2).map(chunksize=1)."""
    r = whole_process([python, PEERS, "ppe-map", str(n)], runs, timeout=300)
    r["n"] = n
    return r


def cold_start(cmd, runs, timeout):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        run(cmd, timeout=timeout, env=faast_env())
        times.append((time.perf_counter() - t0) * 1000)
    return {"runs": runs, "medianMs": statistics.median(times), "minMs": min(times), "maxMs": max(times)}


# ---------------------------------------------------------------------------------------------------------
# Peers


def floor_latency(runtime, interpreter, module, n, warmup):
    trampoline = os.path.join(ROOT, "runtimes", runtime, "trampoline.js" if runtime == "node" else "trampoline.py")
    _, out, _ = run([FLOOR, runtime, interpreter, trampoline, module, str(n), str(warmup)], timeout=120)
    return last_json(out)


def peer(python, args, timeout):
    _, out, _ = run([python, PEERS] + args, timeout=timeout)
    return last_json(out)


def peer_cold(python, name, runs, timeout):
    times, inner = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        _, out, _ = run([python, PEERS, name], timeout=timeout)
        times.append((time.perf_counter() - t0) * 1000)
        inner.append(last_json(out)["importInitFirstCallMs"])
    return {"runs": runs, "medianMs": statistics.median(times), "initFirstCallMs": statistics.median(inner)}


# ---------------------------------------------------------------------------------------------------------
# AWS client against nginx


def ensure_nginx():
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if exe:
        return exe, None
    log("installing nginx-light with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    try:
        run(sudo + ["apt-get", "install", "-y", "-q", "nginx-light"], timeout=240, env=env)
    except Failed:
        try:
            run(sudo + ["apt-get", "update", "-q"], timeout=240, env=env)
            run(sudo + ["apt-get", "install", "-y", "-q", "nginx-light"], timeout=240, env=env)
        except Failed as e:
            return None, "apt-get install nginx-light failed: " + str(e)
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    return (exe, None) if exe else (None, "nginx not found after install")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type application/json;
            return 200 '{{"callId":"c","type":"returned","value":1}}';
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, exe):
        self.exe = exe
        self.prefix = tempfile.mkdtemp(prefix="faast-bench-nginx-")
        self.port = free_port()
        self.proc = None

    def __enter__(self):
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as fh:
            fh.write(NGINX_CONF.format(prefix=self.prefix, port=self.port))
        self.proc = subprocess.Popen([self.exe, "-p", self.prefix, "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failed("nginx exited: " + self.proc.stderr.read().decode()[-300:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise Failed("nginx did not listen on %d" % self.port)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                kill_group(self.proc)
                self.proc.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# The table


def fmt_ms(v):
    return "%.3f ms" % v if v < 1 else ("%.2f ms" % v if v < 10 else "%.0f ms" % v)


def fmt_rate(v):
    return "{:,.0f}/s".format(v)


def err_of(entry, default="failed"):
    if entry is None:
        return default
    return entry.get("error") or entry.get("skipped") or default


def rows(R):
    """(benchmark, faast, peer, peer figure, ratio, target, met) tuples."""
    out = []

    def row(bench, faast_val, peer_name, peer_val, ratio, target="–", met="–"):
        out.append((bench, faast_val, peer_name, peer_val, ratio, target, met))

    def ok(x):
        return x is not None and "error" not in x and "skipped" not in x

    def yes(b):
        return "yes" if b else "**no**"

    # 1. Sequential latency.
    for rt in ("node", "python"):
        f = R.get("latency_faast_" + rt)
        fl = R.get("latency_floor_" + rt)
        ppe = R.get("latency_ppe")
        for q in ("p50", "p99"):
            name = "sequential no-op %s, %s (n=%s, median of %s rounds)" % (
                q, rt, "{:,}".format(f["n"]) if ok(f) else "?", f.get("rounds", "?") if ok(f) else "?")
            fv = fmt_ms(f[q + "Ms"]) if ok(f) else "error: " + err_of(f)
            if ok(fl):
                r = f[q + "Ms"] / fl[q + "Ms"] if ok(f) else None
                tgt, met = ("≤ 1.3×", yes(r is not None and r <= 1.3)) if q == "p50" else ("–", "–")
                row(name, fv, "floor (C driver, same trampoline, one CPU)", fmt_ms(fl[q + "Ms"]),
                    "%.2f× faast÷floor (lower is better)" % r if r else "–", tgt, met if r else "–")
            else:
                row(name, fv, "floor (C driver)", "error: " + err_of(fl), "–", "≤ 1.3×" if q == "p50" else "–", "–")
            if ok(ppe):
                r = f[q + "Ms"] / ppe[q + "Ms"] if ok(f) else None
                tgt, met = ("≤ 0.5×", yes(r is not None and r <= 0.5)) if q == "p50" else ("–", "–")
                row(name, fv, "ProcessPoolExecutor(2) submit().result()", fmt_ms(ppe[q + "Ms"]),
                    "%.2f× faast÷PPE (lower is better)" % r if r else "–", tgt, met if r else "–")
            else:
                row(name, fv, "ProcessPoolExecutor(2)", "error: " + err_of(ppe), "–", "≤ 0.5×" if q == "p50" else "–", "–")

    # 2. Throughput.
    f = R.get("fanout_faast")
    fv = (fmt_rate(f["callsPerSecond"]) + " (n=%s)" % "{:,}".format(f["n"])) if ok(f) else "error: " + err_of(f)
    for key, label, target in (("fanout_ppe", "ProcessPoolExecutor(2).map(chunksize=1)", 5),
                               ("fanout_ray", "Ray, num_cpus=2", 20),
                               ("fanout_dask", "Dask LocalCluster(2×1)", None)):
        p = R.get(key)
        tgt = "≥ %d×" % target if target else "–"
        if ok(p) and ok(f):
            r = f["callsPerSecond"] / p["callsPerSecond"]
            row("fan-out calls/s, node no-op", fv, label,
                fmt_rate(p["callsPerSecond"]) + " (n=%s)" % "{:,}".format(p["n"]),
                "%.1f× faast÷peer (higher is better)" % r, tgt, yes(r >= target) if target else "–")
        else:
            row("fan-out calls/s, node no-op", fv, label, err_of(p) if not ok(p) else "–", "–", tgt, "–")

    # 2b. Whole processes: a fan-out as a user times it, exec to exit, faast against the same fan-out in Python.
    for rt in ("node", "python"):
        f, p = R.get("whole_faast_" + rt), R.get("whole_ppe")
        name = "fan-out of %s no-op calls as whole processes, %s" % ("{:,}".format(f["n"]) if ok(f) else "?", rt)
        fv = "%.2f s (median of %d)" % (f["medianSeconds"], f["runs"]) if ok(f) else "error: " + err_of(f)
        if ok(f) and ok(p):
            r = p["medianSeconds"] / f["medianSeconds"]
            row(name, fv, "python ProcessPoolExecutor(2).map(chunksize=1), whole process",
                "%.2f s (median of %d)" % (p["medianSeconds"], p["runs"]), "%.1f× PPE÷faast (higher is better)" % r,
                "≥ 5×", yes(r >= 5))
            if "medianCpuSeconds" in f and "medianCpuSeconds" in p:
                per = lambda x: "%.1f µs CPU a call (%.2f s)" % (x["medianCpuSeconds"] / x["n"] * 1e6, x["medianCpuSeconds"])
                c = p["medianCpuSeconds"] / f["medianCpuSeconds"]
                row(name.replace("as whole processes", "as whole processes, CPU (user+sys, with workers)"), per(f),
                    "python ProcessPoolExecutor(2).map(chunksize=1), whole process", per(p),
                    "%.1f× PPE÷faast (higher is better)" % c, "–", "–")
        else:
            row(name, fv, "python ProcessPoolExecutor(2), whole process", err_of(p) if not ok(p) else "–", "–", "≥ 5×", "–")

    # 3. Cold start.
    for rt, key in (("node", "cold_faast_node"), ("python", "cold_faast_python")):
        f = R.get(key)
        fv = fmt_ms(f["medianMs"]) + " (median of %d)" % f["runs"] if ok(f) else "error: " + err_of(f)
        tgt = "≤ 150 ms" if rt == "node" else "–"
        met = yes(f["medianMs"] <= 150) if (rt == "node" and ok(f)) else "–"
        for pkey, label in (("cold_ray", "ray.init() + first call"), ("cold_dask", "Dask LocalCluster + first call")):
            p = R.get(pkey)
            if ok(p) and ok(f):
                row("cold start (exec → exit), %s" % rt, fv, label,
                    fmt_ms(p["medianMs"]) + " (init+call %s)" % fmt_ms(p["initFirstCallMs"]),
                    "%.1f× peer÷faast (higher is better)" % (p["medianMs"] / f["medianMs"]), tgt, met)
            else:
                row("cold start (exec → exit), %s" % rt, fv, label, err_of(p) if not ok(p) else "–", "–", tgt, met)

    # 4. Peak RSS.
    if ok(f := R.get("fanout_faast")):
        row("peak RSS of faast during the fan-out", "%.1f MB" % f["peakRssMB"], "(no peer; VmHWM of the faast pid)",
            "–", "–", "≤ 150 MB", yes(f["peakRssMB"] <= 150))
    else:
        row("peak RSS of faast during the fan-out", "error: " + err_of(f), "–", "–", "–", "≤ 150 MB", "–")

    # 5. AWS client.
    fa, bo = R.get("aws_faast"), R.get("aws_boto3")
    fav = fmt_rate(fa["requestsPerSecond"]) if ok(fa) else "error: " + err_of(fa)
    if ok(fa) and ok(bo):
        r = fa["requestsPerSecond"] / bo["requestsPerSecond"]
        row("AWS Invoke requests/s (loopback nginx, c=%d)" % fa["concurrency"], fav, "boto3 + ThreadPoolExecutor",
            fmt_rate(bo["requestsPerSecond"]), "%.1f× faast÷boto3 (higher is better)" % r, "≥ 3×", yes(r >= 3))
        c = bo["cpuMicrosPerRequest"] / fa["cpuMicrosPerRequest"]
        row("AWS Invoke CPU per request", "%.0f µs" % fa["cpuMicrosPerRequest"], "boto3 + ThreadPoolExecutor",
            "%.0f µs" % bo["cpuMicrosPerRequest"], "%.1f× boto3÷faast (higher is better)" % c, "> 1×", yes(c > 1))
    else:
        row("AWS Invoke requests/s (loopback nginx)", fav, "boto3 + ThreadPoolExecutor",
            fmt_rate(bo["requestsPerSecond"]) if ok(bo) else err_of(bo), "–", "≥ 3×", "–")
        row("AWS Invoke CPU per request", "%.0f µs" % fa["cpuMicrosPerRequest"] if ok(fa) else "–",
            "boto3 + ThreadPoolExecutor", "%.0f µs" % bo["cpuMicrosPerRequest"] if ok(bo) else err_of(bo), "–",
            "> 1×", "–")
    return out


def table(R):
    head = ("benchmark", "faast", "peer", "peer figure", "ratio", "target", "met?")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows(R):
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = "%.0f GB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    def version(cmd):
        try:
            return subprocess.check_output(cmd, text=True, stderr=subprocess.STDOUT).strip().splitlines()[0]
        except Exception:
            return "?"
    return {"nproc": os.cpu_count(), "cpu": model, "memory": mem, "kernel": platform.release(),
            "node": version(["node", "--version"]), "python": version([real_python(), "--version"])}


# ---------------------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs, no Ray/Dask install (checks the script)")
    ap.add_argument("--no-build", action="store_true", help="use the existing release binaries")
    args = ap.parse_args()
    quick = args.quick
    started = time.time()

    if not args.no_build or not (os.path.exists(FAAST) and os.path.exists(FAAST_BENCH)):
        build()
    elif not os.path.exists(FLOOR):
        build()
    for exe in (FAAST, FAAST_BENCH, FLOOR):
        if not os.path.exists(exe):
            sys.exit("bench: %s is missing" % exe)

    n_lat = 1000 if quick else 3000
    n_fan = 10_000 if quick else 100_000
    n_fan_ppe = 10_000 if quick else 100_000
    n_fan_slow = 20_000
    n_aws = 5_000 if quick else 20_000
    n_aws_boto = 2_000 if quick else 10_000
    cold_runs = 3 if quick else 5
    rounds = 2 if quick else 3
    python = real_python()
    node = real_node()
    R = {}

    log("1/5 sequential no-op latency (%d interleaved rounds)" % rounds)
    # Sequential ping-pong latency on a small VM depends on how deeply the idle vCPUs sleep, which drifts
    # over seconds: faast, the floor and the peer are run in alternation and the median round is reported.
    measures = [
        ("latency_faast_node", lambda: faast_latency(SAMPLE_JS, n_lat, 300)),
        ("latency_floor_node", lambda: floor_latency("node", node, SAMPLE_JS, n_lat, 300)),
        ("latency_faast_python", lambda: faast_latency(SAMPLE_PY, n_lat, 300)),
        ("latency_floor_python", lambda: floor_latency("python", python, SAMPLE_PY, n_lat, 300)),
        ("latency_ppe", lambda: peer(python, ["ppe-latency", str(n_lat)], timeout=120)),
    ]
    per_round = {key: [] for key, _ in measures}
    for i in range(rounds):
        for key, fn in measures:
            attempt(R, key, fn)
            per_round[key].append(R.pop(key))
    for key, values in per_round.items():
        good = [v for v in values if "error" not in v]
        if not good:
            R[key] = values[-1]
            continue
        R[key] = {"rounds": len(good), "n": good[0]["n"],
                  "p50Ms": statistics.median(v["p50Ms"] for v in good),
                  "p99Ms": statistics.median(v["p99Ms"] for v in good),
                  "meanMs": statistics.median(v["meanMs"] for v in good),
                  "perRound": [{"p50Ms": v["p50Ms"], "p99Ms": v["p99Ms"]} for v in good]}

    log("2/5 fan-out throughput and 4/5 peak RSS")
    attempt(R, "fanout_faast", lambda: faast_fanout(n_fan, 2000))
    attempt(R, "fanout_ppe", lambda: peer(python, ["ppe-throughput", str(n_fan_ppe)], timeout=180))
    if quick:
        R["fanout_ray"] = {"skipped": "not run with --quick"}
        R["fanout_dask"] = {"skipped": "not run with --quick"}
        venv_py, reason = None, "not run with --quick"
    else:
        venv_py, reason = ensure_venv()
        for key, module, measure in (("fanout_ray", "ray", "ray-throughput"), ("fanout_dask", "distributed", "dask-throughput")):
            py = peer_status(venv_py, module)
            if py is None:
                R[key] = {"error": "not installed: " + (reason or "import %s failed" % module)}
                continue
            attempt(R, key, lambda py=py, measure=measure: peer(py, [measure, str(n_fan_slow)], timeout=180))

    log("2b/5 whole-process fan-outs, node and python")
    n_whole = 10_000 if quick else 50_000
    attempt(R, "whole_faast_node", lambda: faast_whole_fanout(SAMPLE_JS, n_whole, 2 if quick else 3))
    attempt(R, "whole_faast_python", lambda: faast_whole_fanout(SAMPLE_PY, n_whole, 2 if quick else 3))
    attempt(R, "whole_ppe", lambda: ppe_whole_fanout(python, n_whole, 1 if quick else 2))

    log("3/5 cold start")
    attempt(R, "cold_faast_node", lambda: cold_start([FAAST, FUNCTIONS_JS, "-c", 'call hello("x")'], cold_runs, 30))
    attempt(R, "cold_faast_python", lambda: cold_start([FAAST, FUNCTIONS_PY, "-c", 'call hello("x")'], cold_runs, 30))
    if quick:
        R["cold_ray"] = {"skipped": "not run with --quick"}
        R["cold_dask"] = {"skipped": "not run with --quick"}
    else:
        for key, module, measure in (("cold_ray", "ray", "ray-cold"), ("cold_dask", "distributed", "dask-cold")):
            py = peer_status(venv_py, module)
            if py is None:
                R[key] = {"error": "not installed: " + (reason or "import %s failed" % module)}
                continue
            attempt(R, key, lambda py=py, measure=measure: peer_cold(py, measure, 2, timeout=90))

    log("5/5 AWS client overhead")
    nginx, why = ensure_nginx()
    if nginx is None:
        R["aws_faast"] = R["aws_boto3"] = {"error": "no endpoint: " + why}
    else:
        try:
            with Nginx(nginx) as server:
                R["aws_endpoint"] = {"server": "nginx (1 worker, keepalive)", "url": server.url}
                attempt(R, "aws_faast", lambda: last_json(run(
                    [FAAST_BENCH, "aws-invoke", "--endpoint", server.url, "--requests", str(n_aws),
                     "--concurrency", "32"], timeout=120)[1]))
                attempt(R, "aws_boto3", lambda: peer(python, ["boto3-invoke", server.url, str(n_aws_boto), "32"],
                                                     timeout=180))
        except Failed as e:
            R.setdefault("aws_faast", {"error": str(e)})
            R.setdefault("aws_boto3", {"error": str(e)})

    stamp = time.strftime("%Y%m%dT%H%M%S")
    doc = {"timestamp": stamp, "quick": quick, "machine": machine(), "durationSeconds": round(time.time() - started, 1),
           "faastCommit": subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
           "results": R, "table": [dict(zip(("benchmark", "faast", "peer", "peerFigure", "ratio", "target", "met"), r))
                                   for r in rows(R)]}
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "results-%s.json" % stamp)
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=2)
    shutil.copyfile(path, os.path.join(OUT_DIR, "latest.json"))

    m = doc["machine"]
    print("faast benchmarks%s — %s CPUs (%s), %s RAM, Linux %s, node %s, %s — %.0f s" % (
        " (--quick)" if quick else "", m["nproc"], m["cpu"], m["memory"], m["kernel"], m["node"], m["python"],
        doc["durationSeconds"]))
    print()
    print(table(R))
    print()
    print("JSON: %s" % os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
