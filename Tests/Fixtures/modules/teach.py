"""What a function prints shows under a single call's value (Tests/cli/test_teaching.py)."""
import sys
import time


def shout(word):
    print("shouting " + word)
    print("(to stderr)", file=sys.stderr)
    return word.upper()


def grumble(word):
    print("about to fail on " + word)
    raise ValueError("grumbled " + word)


def nap(ms):
    time.sleep(ms / 1000)
    return ms
