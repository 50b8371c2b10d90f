"""Values at and beyond faast's nesting limit (512 levels), strings with no UTF-8 form, and long unbroken output."""
import sys


def nest(n):
    """A list nested n levels deep: nest(1) == []."""
    v = []
    for _ in range(n - 1):
        v = [v]
    return v


def echo(v):
    return v


def lone_surrogate():
    return "a\udc80b"


def surrogate_in_message():
    raise ValueError("bad name \udc80 here")


def chatter(n):
    """Writes n characters without a line break, one at a time, then returns n."""
    write = sys.stdout.write
    for _ in range(n):
        write("x")
    return n
