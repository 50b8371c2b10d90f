"""Keyword arguments and docstrings (fixture for kwargs and help FN)."""


def greet(name, punct="!", *, times=1):
    """Greets NAME.

    punct ends the greeting; times repeats it.
    """
    return ("hello " + name + punct) * times


def options(first, **rest):
    """Returns what it was given."""
    return [first, rest]


def plain(a, b=[1, 2], c=None, d="it's"):
    return [a, b, c, d]


def only(a, /, b=2):
    return [a, b]
