"""A sibling package: found by tracing the import, packaged next to the module."""


def mean(values):
    return sum(values) / len(values) if values else None


def spread(values):
    return max(values) - min(values) if values else None
