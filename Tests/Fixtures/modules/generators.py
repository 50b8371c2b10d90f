"""Fixture module for generator calls (python): values stream back as they are yielded."""
import asyncio
import os
import time


def countdown(n):
    for i in range(n, 0, -1):
        yield i


async def asyncCountdown(n):
    for i in range(n, 0, -1):
        await asyncio.sleep(0.001)
        yield i


def waitForFile(path, limitMs=10000):
    """Yields 'first', then waits (bounded) until the file `path` exists before yielding 'second'."""
    yield "first"
    deadline = time.time() + limitMs / 1000
    while not os.path.exists(path):
        if time.time() > deadline:
            raise RuntimeError("gave up waiting for " + path)
        time.sleep(0.005)
    yield "second"


async def asyncWaitForFile(path, limitMs=10000):
    yield "first"
    deadline = time.time() + limitMs / 1000
    while not os.path.exists(path):
        if time.time() > deadline:
            raise RuntimeError("gave up waiting for " + path)
        await asyncio.sleep(0.005)
    yield "second"


class GenError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.code = "E_GEN"


def failAfter(n, message):
    for i in range(n):
        yield i
    raise GenError(message)


def yieldsUnserializable():
    yield 1
    yield {1, 2}


def values():
    yield "你好 👋🏽"
    yield 12345678901234567890123
    yield b"hi"
    yield {"nested": [1, None, True]}
    yield None


def empty():
    return
    yield


def slowAfter(ms):
    """Yields 1, then computes for `ms` milliseconds (for timeouts)."""
    yield 1
    time.sleep(ms / 1000)
    yield 2


def exitOnce(path):
    """Yields 'a'; the first time (no file at `path` yet) the worker then exits, so the call is retried."""
    yield "a"
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("ran")
        os._exit(3)
    yield "b"


def plain(x):
    return x
