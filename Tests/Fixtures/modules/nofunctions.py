# Fixture: no public functions of its own (getcwd is imported, _private is private).
from os import getcwd


def _private():
    return getcwd()
