"""Design-generation methods: full factorial (shifted) and random.

Each method returns ``(sets, blocks)``: an int array (n_sets, n_alternatives,
n_attributes) of level indices and the 1-based block of each set.
"""

from __future__ import annotations

import math

import numpy as np

from dce.core.attributes import level_key
from dce.errors import DesignError

MAX_ENUMERATED = 2_000_000


def allowed_mask(profiles: np.ndarray, attributes, exclude) -> np.ndarray:
    """True for profiles (rows of level indices) that no ``exclude`` rule forbids.

    Parameters
    ----------
    profiles : ndarray of int (n_profiles, n_attributes)
        Level indices.
    attributes : sequence of Attribute
    exclude : sequence of dict
        ``design.exclude``: each rule maps attribute names to a level; a profile matching
        every entry of a rule is forbidden.

    Returns
    -------
    ndarray of bool (n_profiles,)

    Raises
    ------
    ValueError
        For a rule naming an unknown attribute or level (the config checks prevent it).
    """
    ok = np.ones(len(profiles), dtype=bool)
    names = [a.name for a in attributes]
    for rule in exclude:
        hit = np.ones(len(profiles), dtype=bool)
        for name, value in rule.items():
            a_i = names.index(name)
            hit &= profiles[:, a_i] == attributes[a_i].level_keys.index(level_key(value))
        ok &= ~hit
    return ok


def full_factorial(attributes) -> np.ndarray:
    """Every profile of the attributes' levels, last attribute varying fastest.

    Parameters
    ----------
    attributes : sequence of Attribute

    Returns
    -------
    ndarray of int64 (prod(levels), n_attributes)
        Level indices.

    Raises
    ------
    DesignError
        Key ``design.method`` when there are more than :data:`MAX_ENUMERATED` profiles.
    """
    sizes = [a.n_levels for a in attributes]
    if math.prod(sizes) > MAX_ENUMERATED:
        raise DesignError(f"the full factorial has {math.prod(sizes):,} profiles, more than "
                          f"{MAX_ENUMERATED:,}; use method: random", key="design.method")
    grid = np.indices(sizes).reshape(len(sizes), -1).T
    return grid.astype(np.int64)


def _blocks_for(n_sets: int, blocks: int, rng) -> np.ndarray:
    """Assign sets to blocks of equal size in a random order."""
    order = rng.permutation(n_sets)
    out = np.empty(n_sets, dtype=np.int64)
    out[order] = np.arange(n_sets) % blocks + 1
    return out


def shifted_factorial(study, rng):
    """Every allowed profile, paired with its cyclic shifts (level + j mod levels).

    `method: full-factorial`: a shifted design (Bunch, Louviere and Anderson 1996, UC
    Davis working paper; Street and Burgess 2007): alternative j of the set of profile p is
    ``(p + j) mod levels``. Sets with a repeated or forbidden profile, and sets already
    made from another profile, are skipped; blocks are assigned at random, equal sizes.

    Parameters
    ----------
    study : Study
    rng : numpy.random.Generator
        Assigns sets to blocks.

    Returns
    -------
    sets : ndarray of int (n_sets, alternatives, n_attributes)
    blocks : ndarray of int64 (n_sets,)

    Raises
    ------
    DesignError
        Key ``design.exclude`` when the exclusions forbid every profile or every shifted
        set; ``design.method`` when the full factorial is too large or no set has distinct
        alternatives; ``design.tasks`` when tasks x blocks is set and differs from the
        number of sets; ``design.blocks`` when the blocks do not divide it.
    """
    d = study.spec.design
    attrs = study.attributes
    prof = full_factorial(attrs)
    ok = allowed_mask(prof, attrs, d.exclude)
    if not ok.any():
        raise DesignError("the exclusions forbid every profile; remove some `exclude` rules",
                          key="design.exclude")
    sizes = np.array([a.n_levels for a in attrs])
    strides = np.array([math.prod(sizes[i + 1:]) for i in range(len(sizes))])
    seen, sets = set(), []
    for p in np.flatnonzero(ok):
        alts = [(prof[p] + j) % sizes for j in range(d.alternatives)]
        idx = [int(a @ strides) for a in alts]
        if len(set(idx)) < len(idx) or not ok[idx].all():
            continue
        key = tuple(sorted(idx))
        if key in seen:
            continue
        seen.add(key)
        sets.append(np.stack(alts))
    if not sets:
        why = ("the exclusions remove every shifted choice set" if d.exclude else
               f"shifting levels cannot give {d.alternatives} different alternatives when "
               "every attribute has fewer levels than that")
        raise DesignError(f"the full factorial gives no choice set: {why}; use method: "
                          "random", key="design.exclude" if d.exclude else "design.method")
    sets = np.stack(sets)
    n = len(sets)
    if d.tasks is not None and d.tasks * d.blocks != n:
        raise DesignError(f"the full factorial gives {n} choice sets, but tasks x blocks = "
                          f"{d.tasks} x {d.blocks} = {d.tasks * d.blocks}; set tasks x blocks "
                          f"to {n} (or leave out tasks) or use method: random",
                          key="design.tasks")
    if n % d.blocks:
        raise DesignError(f"the full factorial gives {n} choice sets, which cannot be split "
                          f"into {d.blocks} equal blocks; choose blocks dividing {n}",
                          key="design.blocks")
    return sets, _blocks_for(n, d.blocks, rng)


def random_design(study, rng):
    """Random choice sets of distinct allowed profiles; no set repeats.

    `method: random`: ``tasks x blocks`` sets drawn level by level at random, rejected when
    a profile is forbidden or repeated in the set or the set repeats; sets are put in
    blocks in the order drawn.

    Parameters
    ----------
    study : Study
    rng : numpy.random.Generator

    Returns
    -------
    sets : ndarray of int (tasks x blocks, alternatives, n_attributes)
    blocks : ndarray of int (tasks x blocks,)

    Raises
    ------
    DesignError
        Key ``design.exclude`` when fewer profiles are allowed than alternatives;
        ``design.tasks`` when fewer distinct sets exist than requested or too many draws
        were rejected.
    """
    d = study.spec.design
    attrs = study.attributes
    sizes = np.array([a.n_levels for a in attrs])
    n_needed = d.tasks * d.blocks
    total = math.prod(sizes.tolist())
    if total <= MAX_ENUMERATED:
        prof = full_factorial(attrs)
        n_allowed = int(allowed_mask(prof, attrs, d.exclude).sum())
        if n_allowed == 0:
            raise DesignError("the exclusions forbid every profile; remove some `exclude` "
                              "rules", key="design.exclude")
        if n_allowed < d.alternatives:
            raise DesignError(f"only {n_allowed} profiles are allowed, fewer than the "
                              f"{d.alternatives} alternatives per task", key="design.exclude")
        distinct = math.comb(n_allowed, d.alternatives)
        if distinct < n_needed:
            raise DesignError(f"{n_needed} tasks requested (tasks x blocks) but only "
                              f"{distinct} distinct choice sets exist; reduce tasks or blocks",
                              key="design.tasks")
    sets, seen = [], set()
    tries = 0
    while len(sets) < n_needed:
        tries += 1
        if tries > 200 * n_needed + 10_000:
            raise DesignError("could not find enough distinct allowed choice sets; reduce "
                              "tasks or relax `exclude`", key="design.tasks")
        cand = np.column_stack([rng.integers(0, s, size=d.alternatives) for s in sizes])
        if not allowed_mask(cand, attrs, d.exclude).all():
            continue
        rows = {tuple(r) for r in cand.tolist()}
        if len(rows) < d.alternatives:
            continue
        key = tuple(sorted(rows))
        if key in seen:
            continue
        seen.add(key)
        sets.append(cand)
    sets = np.stack(sets)
    blocks = np.repeat(np.arange(1, d.blocks + 1), d.tasks)
    return sets, blocks
