"""Fixture module for the trampoline tests (same functions as sample.js)."""
import asyncio
import builtins
import datetime
import os
import signal
import sys
import time


def hello(name):
    return "hello " + name + "!"


def add(a, b):
    return a + b


def echo(value):
    return value


def sleep(ms):
    time.sleep(ms / 1000)
    return ms


class FailError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.code = "E_FAIL"


def fail(message):
    raise FailError(message)


def logs(n):
    for i in range(n):
        print("line %d" % i)
    print("to stderr", file=sys.stderr)
    return n


def exitWith(code):
    os._exit(code)


_kept = []


def allocate(mb):
    chunks = []
    for _ in range(mb):
        chunks.append(bytearray(1024 * 1024))
    _kept.append(chunks)
    return mb


def unserializable():
    return {1, 2}


def returnsFunction():
    return lambda: None


def env(name):
    return os.environ.get(name)


def cwd():
    return os.getcwd()


def pid():
    return os.getpid()


def killSelf(signal_name):
    os.kill(os.getpid(), getattr(signal, signal_name))


def bytes(s):
    return s.encode("utf-8")


def specials():
    return [float("nan"), float("inf"), float("-inf"), None,
            datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)]


async def asyncHello(name):
    await asyncio.sleep(0)
    return "hello " + name + "!"


def typeOf(value):
    if isinstance(value, (builtins.bytes, bytearray)):
        return "bytes"
    if isinstance(value, datetime.datetime):
        return "date"
    if value is None:
        return "none"
    return type(value).__name__


def noop(x):
    return x + 1


def fancy(a, b=1, *rest, **kw):
    return [a, b, list(rest), kw]
