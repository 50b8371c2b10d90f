import json
import os
import subprocess
import time


def spawn():
    """Starts a child in the worker's group and one in a session of its own; returns their pids."""
    a = subprocess.Popen(["sleep", "1000"])
    b = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    return [a.pid, b.pid]


def escape(path, hold):
    """Starts a process in a session of its own (setsid) and a daemon (double fork: faast adopts it at once,
    while this worker runs); appends {"worker", "children"} to `path`, then holds the worker for `hold` seconds."""
    own = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    sh = subprocess.run(["sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True)
    with open(path, "a") as f:
        f.write(json.dumps({"worker": os.getpid(), "children": [own.pid, int(sh.stdout)]}) + "\n")
    time.sleep(hold)
    return os.getpid()


def hang(path=None):
    """Runs until stopped; first writes this worker's pid to `path`, if given."""
    if path:
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    time.sleep(1000)


def die(code):
    os._exit(code)


def threads(n):
    """Starts n threads that each wait until all have started; returns how many ran."""
    import threading
    barrier = threading.Barrier(n + 1)
    started = []
    workers = [threading.Thread(target=lambda: (started.append(1), barrier.wait())) for _ in range(n)]
    for t in workers:
        t.start()
    barrier.wait()
    for t in workers:
        t.join()
    return len(started)


def allocate(mb):
    """Holds mb megabytes (touched, so resident) until the next call."""
    global _held
    _held = bytearray(mb * 1024 * 1024)
    return mb


_held = None


def hold_in_children(n, mb, seconds):
    """Starts n processes that each hold mb megabytes (as a multiprocessing pool's workers would), from a thread
    of this worker, and waits `seconds` for them; returns n unless stopped first."""
    import sys
    import threading

    def start():
        code = "import time; b = bytearray(%d * 1024 * 1024); time.sleep(%d)" % (mb, seconds)
        children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]
        time.sleep(seconds)
        for c in children:
            c.kill()
            c.wait()

    t = threading.Thread(target=start)
    t.start()
    t.join()
    return n
