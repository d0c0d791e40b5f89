"""Level balance of searched designs (``design.level_balance``) and count-preserving moves.

With n profile slots (choice sets x generic alternatives, over all blocks) and an attribute
of L levels, the balanced count is n / L. The modes bound every level's count:

* ``strict``: floor(n / L) <= count <= ceil(n / L) (exact balance when L divides n);
* ``near``: max(1, floor(n / (2L))) <= count <= ceil(3n / (2L)): every declared level
  appears, at least half and at most one and a half times as often as in a balanced
  design (the lower bound is 0 when n < L, where not every level can appear);
* ``none``: no bounds.

Level balance is one of the four properties of efficient choice designs of Huber and
Zwerina (1996, J. Marketing Research 33:307-317); a design that never shows a level cannot
estimate its effect, and a linear attribute shown only at its extremes cannot test its
linearity (Johnson et al. 2013, ISPOR design report, Value in Health 16:3-13).

The search keeps the bounds as a constraint: an exchange may not raise a count above its
upper bound or lower one below its lower bound, and swaps of levels among the alternatives
of a set (or between slots) leave the counts as they are.
"""

from __future__ import annotations

import numpy as np


def level_bounds(n_slots: int, levels, mode: str):
    """Lower and upper bounds of each attribute's level counts.

    Parameters
    ----------
    n_slots : int
        Profile slots n (choice sets x generic alternatives).
    levels : sequence of int (A,)
        Levels per attribute.
    mode : {"strict", "near", "none"}

    Returns
    -------
    (lo, hi) : tuple of ndarray of int (A,), or None for ``none``
        The bounds of the count of every level of attribute q are lo[q] and hi[q].
    """
    if mode == "none":
        return None
    L = np.asarray(levels, dtype=np.int64)
    if mode == "strict":
        return n_slots // L, -(-n_slots // L)
    lo = np.where(n_slots >= L, np.maximum(1, n_slots // (2 * L)), 0)
    hi = -(-3 * n_slots // (2 * L))
    return lo.astype(np.int64), hi.astype(np.int64)


def level_counts(prof: np.ndarray, levels) -> np.ndarray:
    """Count of every level of every attribute.

    Parameters
    ----------
    prof : ndarray of int (..., A)
        Level indices of the profiles.
    levels : sequence of int (A,)

    Returns
    -------
    ndarray of int (A, max(levels))
        Row q: counts of the levels of attribute q (0 beyond its levels).
    """
    flat = np.asarray(prof).reshape(-1, len(levels))
    width = int(max(levels))
    return np.stack([np.bincount(flat[:, q], minlength=width)[:width]
                     for q in range(len(levels))])


def violation(counts: np.ndarray, levels, bounds) -> int:
    """Total distance of the counts from their bounds (0: the design meets them).

    Parameters
    ----------
    counts : ndarray of int (A, max levels)
        From :func:`level_counts`.
    levels : sequence of int (A,)
    bounds : (lo, hi) from :func:`level_bounds`, or None

    Returns
    -------
    int
    """
    if bounds is None:
        return 0
    lo, hi = bounds
    total = 0
    for q, nl in enumerate(levels):
        c = counts[q, :nl]
        total += int(np.maximum(lo[q] - c, 0).sum() + np.maximum(c - hi[q], 0).sum())
    return total


def moves_ok(counts: np.ndarray, bounds, cur: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """Which replacements of profile ``cur`` by each candidate keep the bounds no worse.

    A changed attribute q may not push its new level above hi[q] nor its old level below
    lo[q], so no count moves away from its bounds.

    Parameters
    ----------
    counts : ndarray of int (A, max levels)
    bounds : (lo, hi), or None (every move allowed)
    cur : ndarray of int (A,)
    cands : ndarray of int (C, A)

    Returns
    -------
    ndarray of bool (C,)
    """
    if bounds is None:
        return np.ones(len(cands), dtype=bool)
    lo, hi = bounds
    A = len(cur)
    changed = cands != cur[None, :]
    up = counts[np.arange(A)[None, :], cands] < hi[None, :]
    down = counts[np.arange(A), cur] > lo
    return ((~changed) | (up & down[None, :])).all(axis=1)


def bad_slots(prob, prof: np.ndarray) -> np.ndarray:
    """Slots that break a rule: excluded profile, repeated alternative, set rule, repeated set.

    Parameters
    ----------
    prob : SearchProblem
    prof : ndarray of int (n_sets, J, A)

    Returns
    -------
    ndarray of bool (n_sets, J)
    """
    bad = ~prob.allowed(prof)
    J = prof.shape[1]
    for a in range(J):
        for b in range(a + 1, J):
            same = (prof[:, a] == prof[:, b]).all(axis=1)
            bad[:, a] |= same
            bad[:, b] |= same
    if prob.set_rules:
        bad |= ~prob.sets_ok(prof)[:, None]
    code = np.sort(prob.profile_code(prof), axis=1)
    _, first = np.unique(code, axis=0, return_index=True)
    repeat = np.ones(len(prof), dtype=bool)
    repeat[first] = False
    bad |= repeat[:, None]
    return bad


def scramble(prob, prof: np.ndarray, rng, n_swaps: int, tries: int = 400):
    """Swap attribute levels between random slots, then repair broken slots the same way.

    Every swap exchanges the level of one attribute between two profile slots, so the level
    counts never change. After ``n_swaps`` random swaps, each slot that breaks a rule
    (:func:`bad_slots`) swaps one random attribute with a random slot, until none does.

    Parameters
    ----------
    prob : SearchProblem
    prof : ndarray of int (n_sets, J, A)
        Copied, not changed.
    rng : numpy.random.Generator
    n_swaps : int
    tries : int
        Repair rounds before giving up.

    Returns
    -------
    ndarray of int (n_sets, J, A), or None
        None when the repair did not succeed within ``tries`` rounds.
    """
    n, J, A = prof.shape
    flat = prof.reshape(n * J, A).copy()

    def swap(i, k, q):
        flat[i, q], flat[k, q] = flat[k, q], flat[i, q]

    for _ in range(n_swaps):
        swap(rng.integers(n * J), rng.integers(n * J), rng.integers(A))
    for _ in range(tries):
        bad = np.flatnonzero(bad_slots(prob, flat.reshape(n, J, A)).ravel())
        if len(bad) == 0:
            return flat.reshape(n, J, A)
        for i in bad:
            swap(i, rng.integers(n * J), rng.integers(A))
    return None


def balanced_start(prob, rng, n_attempts: int = 20):
    """A random design whose level counts meet ``strict`` balance (when rules allow).

    Each attribute's column is a random permutation of a balanced sequence of its levels;
    :func:`scramble` then repairs excluded profiles, repeated alternatives and sets.

    Parameters
    ----------
    prob : SearchProblem
    rng : numpy.random.Generator
    n_attempts : int

    Returns
    -------
    ndarray of int (n_sets, J, A), or None when no attempt could be repaired
    """
    n = prob.n_sets * prob.n_alt
    for _ in range(n_attempts):
        cols = [rng.permutation(np.resize(np.arange(nl), n)) for nl in prob.levels]
        prof = np.column_stack(cols).reshape(prob.n_sets, prob.n_alt, len(prob.levels))
        out = scramble(prob, prof, rng, 0)
        if out is not None:
            return out
    return None
