"""Named random streams derived from the config's root seed.

Every random step draws from ``numpy.random.SeedSequence(seed)``; each stage has a fixed
child (spawn key), and sub-tasks (groups, parallel jobs) get further children. Adding a
stage never shifts the numbers of another.
"""

from __future__ import annotations

import numpy as np

STREAMS = {"design": 0, "simulate": 1, "importance": 2, "compare": 3, "bootstrap": 4,
           "power": 5, "draws": 6, "validity": 7, "randomize": 8,
           "latent_class": 9}


def seed_sequence(seed: int, stream: str, *sub: int) -> np.random.SeedSequence:
    """The SeedSequence of a named stream (and optional sub-stream indices).

    Parameters
    ----------
    seed : int
        The config's root seed.
    stream : str
        A key of :data:`STREAMS` (``design``, ``simulate``, ``bootstrap``, ...).
    *sub : int
        Sub-stream indices appended to the spawn key.

    Returns
    -------
    numpy.random.SeedSequence
        Entropy ``seed``, spawn key ``(STREAMS[stream], *sub)``.

    Raises
    ------
    KeyError
        For a stream name not in :data:`STREAMS`.
    """
    return np.random.SeedSequence(seed, spawn_key=(STREAMS[stream], *sub))


def simulate_rng(seed: int, seed_seq: np.random.SeedSequence | None,
                 group: int) -> np.random.Generator:
    """Generator of simulated group ``group``: the config's simulate stream, or the
    group-th child of ``seed_seq`` when one is given (power analysis, one per replication).

    Parameters
    ----------
    seed : int
        The config's root seed (used when ``seed_seq`` is None).
    seed_seq : numpy.random.SeedSequence or None
        A replication's seed sequence; its child ``spawn_key + (group,)`` is used (as
        :func:`dce.core.parallel.child`, but with the default pool size).
    group : int
        Index of the group in ``simulate.groups``.

    Returns
    -------
    numpy.random.Generator
    """
    if seed_seq is None:
        return rng(seed, "simulate", group)
    return np.random.default_rng(np.random.SeedSequence(
        seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + (group,)))


def rng(seed: int, stream: str, *sub: int) -> np.random.Generator:
    """A fresh Generator on a named stream (see :func:`seed_sequence`).

    Parameters and errors as :func:`seed_sequence`.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator; equal arguments give equal numbers.
    """
    return np.random.default_rng(seed_sequence(seed, stream, *sub))
