# Fixture: a syntax error on line 3.
def ok(): return 1
def broken(:
    return 2
