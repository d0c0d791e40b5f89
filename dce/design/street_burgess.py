"""Street-Burgess choice designs from orthogonal arrays (the construction of `method: orthogonal`).

An orthogonal main-effects array (strength 2, see :mod:`dce.design.oarrays` and
:mod:`dce.design.oa_mixed`) gives the first alternative of each choice set; the other
alternatives add a *generator* to it, attribute by attribute modulo the number of levels
(Street & Burgess 2007, ch. 6). With the generators chosen as below the design is
D-optimal for main effects when all coefficients are zero:

* For attribute q with l levels and m alternatives (m = l x + y), each set uses the level
  shifts {0, ..., l-1} x times each plus y of them once more: the most differing pairs a
  set can hold (S_q).
* Over the design, every nonzero difference d of shifts must occur equally often, so that
  each pair of levels is compared equally often. When y is 0, 1 or l-1 one set of shifts
  does this; otherwise the y extra shifts form a *difference family* in Z_l spread over r
  copies of the array (e.g. 4 levels in pairs: shifts {0,1}, {0,1}, {0,2}).

The array's strength 2 makes the attributes' information blocks uncorrelated, so the
information is exactly the Street-Burgess optimum (checked after construction). When no
construction fits the requested number of sets, :mod:`dce.design.orthogonal` warns and falls
back to the D-efficient search.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from dce.design import oa_mixed, oarrays
from dce.design.blocking import balanced_blocks


# ----- generators -------------------------------------------------------------------------
def _difference_counts(subset, nl: int) -> np.ndarray:
    """|Y ∩ (Y + d)| for d = 1 .. l-1."""
    ys = set(subset)
    return np.array([sum(((v + d) % nl) in ys for v in ys) for d in range(1, nl)], dtype=np.int64)


def generator_family(nl: int, m: int, max_r: int = 8, budget: int = 200_000) -> list[list[int]]:
    """Level shifts for ``m`` alternatives of an ``l``-level attribute.

    Returns r multisets (lists of m shifts in Z_l), each with the most differing pairs
    possible, whose ordered differences together cover every nonzero difference equally
    often. r is as small as this search finds (1 whenever y = m mod l is 0, 1 or l - 1).

    Parameters
    ----------
    nl : int
        Number of levels l.
    m : int
        Alternatives per set.
    max_r : int
        Largest r tried.
    budget : int
        Combinations of translation classes tried before giving up.

    Returns
    -------
    list of list of int
        r sorted multisets of m shifts; when the search fails, every y-subset once (equal
        differences by symmetry).
    """
    x, y = divmod(m, nl)
    base = [v for v in range(nl) for _ in range(x)]
    if y in (0, 1) or y == nl - 1:
        return [sorted(base + list(range(y)))]
    # translation classes of y-subsets of Z_l (canonical = lexicographically smallest shift)
    reps = []
    seen = set()
    for sub in itertools.combinations(range(nl), y):
        canon = min(tuple(sorted((v - s) % nl for v in sub)) for s in range(nl))
        if canon not in seen:
            seen.add(canon)
            reps.append(canon)
    counts = [_difference_counts(r, nl) for r in reps]
    tried = 0
    for r in range(1, max_r + 1):
        for combo in itertools.combinations_with_replacement(range(len(reps)), r):
            tried += 1
            if tried > budget:
                break
            total = sum(counts[i] for i in combo)
            if (total == total[0]).all():
                return [sorted(base + list(reps[i])) for i in combo]
    # every y-subset once: by symmetry each difference occurs equally often
    return [sorted(base + list(sub)) for sub in itertools.combinations(range(nl), y)]


def _arrangement(families, copy: int, m: int, attempt: int, rng) -> np.ndarray | None:
    """Shift vectors (m x attributes) for one copy, with distinct alternatives."""
    n_attr = len(families)
    for _ in range(50):
        g = np.zeros((m, n_attr), dtype=np.int64)
        for q, fam in enumerate(families):
            vals = list(fam[copy % len(fam)])
            if attempt == 0:
                shift = q % m
                vals = vals[shift:] + vals[:shift]
            else:
                vals = [vals[i] for i in rng.permutation(m)]
            g[:, q] = vals
        if len({tuple(r) for r in g.tolist()}) == m:
            return g
        if attempt == 0:
            attempt = 1
    return None


# ----- plans ------------------------------------------------------------------------------
def _run_sizes(levels, m, n_sets, blocks, r0, limit):
    """(copies, runs) pairs to try, most runs first for a fixed number of sets."""
    step = math.lcm(*[a * b for a, b in itertools.combinations(levels, 2)]) if len(
        levels) > 1 else levels[0]
    if n_sets is not None:
        out = []
        r = r0
        while r <= n_sets:
            if n_sets % r == 0 and (n_sets // r) % step == 0:
                out.append((r, n_sets // r))
            r += r0
        return out
    out = []
    n = step
    while n <= limit:
        if (r0 * n) % blocks == 0:
            out.append((r0, n))
        n += step
    return out


def _sets_from(oa: np.ndarray, gens: list[np.ndarray], levels) -> np.ndarray:
    lev = np.asarray(levels)
    return np.concatenate([(oa[:, None, :] + g[None, :, :]) % lev for g in gens], axis=0)


def _duplicates(sets: np.ndarray, levels) -> int:
    strides = np.array([math.prod(levels[i + 1:]) for i in range(len(levels))])
    codes = np.sort(sets @ strides, axis=1)
    return len(codes) - len(np.unique(codes, axis=0))


def _try_array(levels, families, m, r, n, blocks, block_col, rng, attempts):
    """Best arrangement of generators on one array (fewest repeated sets), or None."""
    wanted = levels + ([blocks] if block_col else [])
    oa = oa_mixed.construct_mixed(wanted, n)
    if oa is None or (blocks > 1 and not block_col and (r * n) % blocks):
        return None
    best = None
    for attempt in range(attempts):
        if attempt and attempt % 3 == 0:
            oa = oa_mixed.construct_mixed(wanted, n, rng) or oa
        gens = [_arrangement(families, t, m, attempt, rng) for t in range(r)]
        if any(g is None for g in gens):
            continue
        sets = _sets_from(oa.array[:, :len(levels)], gens, levels)
        dup = _duplicates(sets, levels)
        if best is None or dup < best["dup"]:
            best = {"dup": dup, "sets": sets, "oa": oa, "gens": gens}
        if dup == 0:
            break
    if best is None or oarrays.strength2_problems(best["oa"].array, best["oa"].levels):
        return None  # never use an array that is not of strength 2
    best.update(r=r, n=n, block_col=block_col)
    return best


def street_burgess_plan(levels, m: int, n_sets: int | None, blocks: int, rng,
                        attempts: int = 12):
    """Street-Burgess choice sets for the request, or None when no construction fits.

    Returns ``(sets, blocks, info, array)``: sets (N, m, A) of level indices, the block of
    each set (1-based), a description, and the :class:`~dce.design.oarrays.OrthogonalArray`
    used (its extra last column, if any, is the blocking factor). Among the arrays that fit,
    the one giving the fewest repeated choice sets is used (then: no repeated runs, an
    orthogonal blocking column, more runs). Without ``n_sets`` the smallest design is made.

    The sets are D-optimal for main effects at zero coefficients (Street and Burgess 2007,
    ch. 6). Blocks come from an orthogonal blocking column of the array when one fits, else
    whole copies of the array, else :func:`~dce.design.blocking.balanced_blocks`.

    Parameters
    ----------
    levels : sequence of int (A,)
        Number of levels of each attribute.
    m : int
        Alternatives per set.
    n_sets : int or None
        Number of sets wanted (copies x runs of an array); None for the smallest.
    blocks : int
        Number of blocks.
    rng : numpy.random.Generator
        For other arrangements and arrays when sets repeat, and for blocking.
    attempts : int
        Arrangements tried per array.

    Returns
    -------
    tuple or None
        ``sets`` int (N, m, A), ``blocks`` int (N,), ``info`` dict (array, runs, copies,
        generators, level shifts, repeated sets, blocking) and the OrthogonalArray.
    """
    levels = [int(v) for v in levels]
    families = [generator_family(nl, m) for nl in levels]
    r0 = math.lcm(*[len(f) for f in families])
    sizes = _run_sizes(levels, m, n_sets, blocks, r0, oarrays.MAX_RUNS)
    found = []
    for r, n in sizes:
        options = [True, False] if blocks > 1 and n % blocks == 0 else [False]
        for block_col in options:
            got = _try_array(levels, families, m, r, n, blocks, block_col, rng, attempts)
            if got is not None:
                found.append(got)
                if got["dup"] == 0 and not got["oa"].replicated:
                    break
        if found and (n_sets is None or (found[-1]["dup"] == 0
                                         and not found[-1]["oa"].replicated)):
            break
    if not found:
        return None
    pick = min(range(len(found)), key=lambda i: (found[i]["dup"], found[i]["oa"].replicated,
                                                 not found[i]["block_col"], i))
    best = found[pick]
    sets, oa, gens, r, n = best["sets"], best["oa"], best["gens"], best["r"], best["n"]
    if best["block_col"]:
        blk = np.tile(oa.array[:, len(levels)], r) + 1
        how = "an orthogonal blocking column"
    elif blocks > 1 and r % blocks == 0:
        blk = np.repeat(np.arange(r) % blocks, n) + 1
        how = "whole copies of the array"
    else:
        blk = balanced_blocks(sets, blocks, levels, rng)
        how = "level-balance search" if blocks > 1 else None
    info = {
        "type": "street-burgess",
        "array": oa.construction,
        "array_runs": int(n),
        "array_levels": [int(v) for v in oa.levels],
        "array_strength": 2,
        "copies": int(r),
        "generators": [g.tolist() for g in gens],
        "level_shifts": [[list(map(int, s)) for s in f] for f in families],
        "repeated_sets": int(best["dup"]),
        "replicated_runs": bool(oa.replicated),
        "blocking": how,
    }
    return sets, blk, info, oa


def feasible_sizes(levels, m: int, blocks: int, limit: int = 200) -> list[int]:
    """Numbers of choice sets (up to ``limit``) for which a construction is available.

    Used in messages; the array is only constructed (without a blocking column or checks
    of repeated sets).

    Parameters
    ----------
    levels : sequence of int
        Number of levels of each attribute.
    m : int
        Alternatives per set.
    blocks : int
        Number of blocks (the number of sets must be a multiple).
    limit : int
        Largest number of sets listed.

    Returns
    -------
    list of int
        Increasing.
    """
    levels = [int(v) for v in levels]
    families = [generator_family(nl, m) for nl in levels]
    r0 = math.lcm(*[len(f) for f in families])
    out = []
    for r, n in _run_sizes(levels, m, None, blocks, r0, limit):
        if r * n > limit:
            break
        if oa_mixed.construct_mixed(levels, n) is not None:
            out.append(r * n)
    return out
