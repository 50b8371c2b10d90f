import os
import subprocess


def spawn():
    """Starts a child in the worker's group and one in a session of its own; returns their pids."""
    a = subprocess.Popen(["sleep", "1000"])
    b = subprocess.Popen(["sleep", "1000"], start_new_session=True)
    return [a.pid, b.pid]


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
