"""A module with a sibling package and a dependency with native code (mmh3, from requirements.txt).

    faast --dependencies requirements.txt examples/deps/stats.py -c 'call digest("faast")'
    faast --provider aws --dependencies requirements.txt examples/deps/stats.py -c 'call digest("faast")'

Both print the same value: the sibling package goes in the code package, mmh3 in a layer built for Lambda.
"""
import mmh3

from numbers_py import mean, spread


def digest(text):
    """Murmur3 hashes of `text`: 32-bit and 128-bit (beyond 2^53, exact all the way)."""
    return {"hash32": mmh3.hash(text), "hash128": mmh3.hash128(text)}


def summary(values):
    """Mean and spread of a list of numbers."""
    return {"mean": mean(values), "spread": spread(values)}
