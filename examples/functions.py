"""A tiny module to try faast with.

Every public function can be called from the faast shell, e.g.  hello("world")  or  add(2, 3).
"""
import random as _random
import time


def hello(name):
    """Greets someone: hello("world") -> "hello world!"."""
    return "hello " + name + "!"


def add(a, b):
    """Adds two numbers."""
    return a + b


def square(x):
    """Squares a number."""
    return x * x


def sleep(ms):
    """Waits `ms` milliseconds, then returns ms."""
    time.sleep(ms / 1000)
    return ms


def fail(message):
    """Always raises: shows how errors come back to the shell."""
    raise Exception(message)


def random():
    """A random number between 0 and 1: different on every call."""
    return _random.random()
