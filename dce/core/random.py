"""Named random streams derived from the config's root seed.

Every random step draws from ``numpy.random.SeedSequence(seed)``; each stage has a fixed
child (spawn key), and sub-tasks (groups, parallel jobs) get further children. Adding a
stage never shifts the numbers of another.
"""

from __future__ import annotations

import numpy as np

STREAMS = {"design": 0, "simulate": 1, "importance": 2, "compare": 3, "bootstrap": 4,
           "power": 5, "draws": 6}


def seed_sequence(seed: int, stream: str, *sub: int) -> np.random.SeedSequence:
    """The SeedSequence of a named stream (and optional sub-stream indices)."""
    return np.random.SeedSequence(seed, spawn_key=(STREAMS[stream], *sub))


def rng(seed: int, stream: str, *sub: int) -> np.random.Generator:
    """A fresh Generator on a named stream."""
    return np.random.default_rng(seed_sequence(seed, stream, *sub))
