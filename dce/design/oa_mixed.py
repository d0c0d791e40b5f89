"""Mixed-level orthogonal arrays of strength 2 from difference schemes and two stored arrays.

:func:`construct_mixed` tries the constructions of :mod:`dce.design.oarrays` first (regular
arrays, Hadamard arrays, products over primes); when they give no array without repeated runs
it tries the two constructions below. Every array returned has been checked by
:func:`~dce.design.oarrays.strength2_problems`; nothing is taken on trust.

Development of a difference scheme
----------------------------------
A difference scheme D(r, c, s) is an r x c matrix over Z_s (s prime) in which, for any two
columns, the differences of their entries take every value of Z_s equally often (r/s times).
Given one with R rows (a D(r, c, s) stacked R/r times is again a difference scheme) and any
strength-2 array B with R runs, the N = R s runs

    (B[i], D[i] + g)   for i = 0..R-1 and g in Z_s

form a strength-2 array with B's columns and c further s-level columns (Bose and Bush 1952;
the row array B is the expansive replacement of the R-level "row" factor, Wang and Wu 1991).
B is built by :func:`construct_mixed` itself, so the construction nests: D(6,6,3) with
B = OA(6, 2^1 3^1) gives the L18 array 2^1 3^7; D(12,12,3) with the Hadamard array
OA(12, 2^11) gives 2^11 3^12 in 36 runs; D(15,9,3) with OA(15, 5^1 3^1) gives 5^1 3^10 in 45
runs; D(18,18,3) with that L18 gives 2^1 3^25 in 54 runs; D(10,10,5) gives 2^1 5^11 in 50
runs; a Hadamard matrix of order 12 (a D(12,12,2)) with OA(12, 3^1 2^4) gives 3^1 2^16 in
24 runs. The 1 x 1 scheme [0] gives the plain product with one s-level column.

Schemes used: the multiplication table of Z_p, D(p, p, p); normalised Hadamard matrices,
D(h, h, 2); their Kronecker sums (D1 (+) D2 is a D(r1 r2, c1 c2, s)); and D(6,6,3),
D(12,12,3), D(15,9,3) and D(10,10,5), which were found for this module by a randomised
depth-first search over balanced columns (normalised: first row and column zero), stored
below and checked again (:func:`is_difference_scheme`) before every use.

Stored arrays
-------------
OA(12, 3^1 2^4) and OA(20, 5^1 2^8): an s-level column with four runs per level and
two-level columns balanced within every level, pairwise orthogonal; found for this module by
a clique search over such columns and checked by :func:`~dce.design.oarrays.strength2_problems`
before use. Neither is a product or a development.

References: Bose and Bush (1952, Ann. Math. Statist. 23:508-524); Wang and Wu (1991, JASA
86:450-456); Hedayat, Sloane and Stufken (1999, Orthogonal Arrays: Theory and Applications,
Springer, ch. 6 difference schemes and ch. 9 mixed arrays).
"""

from __future__ import annotations

import itertools

import numpy as np

from dce.design import oarrays
from dce.design.oarrays import OrthogonalArray

_MAX_HADAMARD = 100  # larger Hadamard schemes come from Kronecker sums

# ----- stored difference schemes (rows x columns over Z_s; see the module docstring) ----------
_SCHEMES = {
    (6, 3): [
        [0, 0, 0, 0, 0, 0], [0, 0, 2, 1, 2, 1], [0, 1, 2, 2, 1, 0],
        [0, 2, 0, 1, 1, 2], [0, 2, 1, 2, 0, 1], [0, 1, 1, 0, 2, 2]],
    (12, 3): [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 2, 2, 0, 0, 1, 1, 1, 0, 2, 2],
        [0, 0, 0, 2, 1, 2, 0, 2, 1, 1, 1, 2], [0, 1, 2, 0, 0, 1, 0, 2, 2, 2, 1, 1],
        [0, 0, 1, 0, 1, 2, 2, 1, 2, 0, 2, 1], [0, 2, 1, 2, 1, 0, 1, 2, 0, 2, 0, 1],
        [0, 2, 1, 1, 2, 1, 0, 2, 1, 0, 2, 0], [0, 1, 0, 2, 2, 1, 2, 0, 0, 1, 2, 1],
        [0, 2, 2, 0, 2, 2, 1, 1, 0, 1, 1, 0], [0, 0, 0, 1, 2, 1, 1, 1, 2, 2, 0, 2],
        [0, 2, 1, 1, 0, 0, 2, 0, 2, 1, 1, 2], [0, 1, 2, 1, 1, 2, 2, 0, 1, 2, 0, 0]],
    (15, 3): [
        [0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 2, 2, 1, 1, 0, 0, 2, 2], [0, 2, 1, 2, 1, 0, 2, 1, 0],
        [0, 1, 2, 2, 0, 0, 1, 2, 1], [0, 2, 1, 1, 0, 1, 0, 0, 1], [0, 1, 0, 1, 2, 2, 1, 2, 2],
        [0, 1, 1, 0, 2, 1, 2, 1, 2], [0, 0, 2, 2, 2, 2, 2, 0, 1], [0, 2, 1, 0, 2, 2, 1, 0, 1],
        [0, 1, 2, 0, 1, 2, 0, 0, 0], [0, 0, 1, 0, 1, 0, 1, 2, 2], [0, 2, 0, 2, 2, 1, 0, 1, 2],
        [0, 0, 0, 1, 1, 2, 2, 1, 0], [0, 1, 2, 2, 0, 1, 1, 1, 0], [0, 0, 0, 1, 0, 1, 2, 2, 1]],
    (10, 5): [
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 2, 1, 1, 4, 4, 3, 2, 0, 3],
        [0, 0, 2, 3, 4, 1, 1, 3, 4, 2], [0, 2, 3, 4, 3, 0, 1, 1, 2, 4],
        [0, 4, 1, 4, 2, 3, 2, 3, 1, 0], [0, 3, 3, 2, 1, 4, 2, 0, 4, 1],
        [0, 4, 2, 0, 1, 2, 4, 1, 3, 3], [0, 3, 4, 1, 3, 2, 0, 4, 1, 2],
        [0, 1, 4, 3, 0, 3, 4, 2, 2, 1], [0, 1, 0, 2, 2, 1, 3, 4, 3, 4]],
}

# ----- stored arrays: runs -> (levels, rows) ---------------------------------------------------
_ARRAYS = {
    12: ((3, 2, 2, 2, 2), [
        [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 1, 0], [2, 1, 1, 0, 0],
        [2, 0, 1, 1, 0], [2, 0, 0, 1, 1], [1, 0, 1, 0, 1], [0, 1, 0, 1, 1],
        [1, 1, 0, 0, 0], [2, 1, 0, 0, 1], [0, 0, 1, 0, 1], [0, 1, 1, 1, 0]]),
    20: ((5, 2, 2, 2, 2, 2, 2, 2, 2), [
        [0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 0, 1, 0, 1, 0, 1, 0],
        [0, 0, 1, 0, 1, 0, 1, 0, 1], [0, 1, 1, 1, 1, 1, 1, 1, 1],
        [1, 0, 0, 0, 0, 1, 1, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 1],
        [1, 1, 1, 1, 1, 0, 1, 0, 0], [1, 0, 0, 1, 1, 0, 0, 1, 1],
        [2, 0, 0, 1, 0, 0, 1, 0, 1], [2, 1, 0, 0, 1, 1, 1, 0, 0],
        [2, 0, 1, 1, 1, 1, 0, 1, 0], [2, 1, 1, 0, 0, 0, 0, 1, 1],
        [3, 0, 1, 0, 1, 0, 0, 1, 0], [3, 1, 0, 0, 1, 1, 0, 0, 1],
        [3, 1, 0, 1, 0, 0, 1, 1, 1], [3, 0, 1, 1, 0, 1, 1, 0, 0],
        [4, 1, 0, 0, 1, 0, 1, 1, 0], [4, 1, 1, 1, 0, 0, 0, 0, 0],
        [4, 0, 1, 0, 0, 1, 1, 1, 1], [4, 0, 0, 1, 1, 1, 0, 0, 1]]),
}


# ----- difference schemes ---------------------------------------------------------------------
def is_difference_scheme(scheme, s: int) -> bool:
    """True when every pair of columns of ``scheme`` differs by each element of Z_s equally often.

    Parameters
    ----------
    scheme : array_like of int (r, c)
        Entries 0..s-1.
    s : int
        Order of the group Z_s.

    Returns
    -------
    bool
        False also for entries outside 0..s-1 or r not a multiple of s.
    """
    d = np.asarray(scheme, dtype=np.int64)
    if d.ndim != 2 or d.shape[0] % s or (d < 0).any() or (d >= s).any():
        return False
    r, c = d.shape
    for a, b in itertools.combinations(range(c), 2):
        counts = np.bincount((d[:, a] - d[:, b]) % s, minlength=s)
        if not (counts == r // s).all():
            return False
    return True


def multiplication_scheme(p: int) -> np.ndarray:
    """D(p, p, p): the multiplication table of Z_p (p prime).

    Parameters
    ----------
    p : int
        A prime.

    Returns
    -------
    ndarray of int64 (p, p)
        Entry (i, j) = i j mod p (Bose and Bush 1952).
    """
    i = np.arange(p, dtype=np.int64)
    return np.outer(i, i) % p


def kronecker_sum(a, b, s: int) -> np.ndarray:
    """D1 (+) D2: the difference scheme D(r1 r2, c1 c2, s) of two schemes over Z_s.

    Parameters
    ----------
    a, b : array_like of int (r1, c1), (r2, c2)
    s : int

    Returns
    -------
    ndarray of int64 (r1 r2, c1 c2)
        Entry ((i1, i2), (j1, j2)) = a[i1, j1] + b[i2, j2] mod s (Hedayat, Sloane and
        Stufken 1999, ch. 6).
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    out = (a[:, None, :, None] + b[None, :, None, :]) % s
    return out.reshape(a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])


def _hadamard_scheme(h: int) -> np.ndarray | None:
    """A normalised Hadamard matrix of order h as a D(h, h, 2) (+1 -> 0, -1 -> 1)."""
    H = oarrays.hadamard(h)
    if H is None:
        return None
    H = H * H[:, :1] * H[:1, :]
    return ((1 - H) // 2).astype(np.int64)


def _base_schemes(rows: int, s: int) -> list[np.ndarray]:
    """Schemes over Z_s (s prime) whose number of rows divides ``rows``, largest first."""
    if oarrays.factorize(s) != {s: 1} or rows % s:
        return []
    out = [multiplication_scheme(s)]
    for (r, q), table in _SCHEMES.items():
        if q == s and rows % r == 0:
            out.append(np.asarray(table, dtype=np.int64))
    if s == 2:
        for h in range(4, min(rows, _MAX_HADAMARD) + 1, 4):
            if rows % h == 0:
                made = _hadamard_scheme(h)
                if made is not None:
                    out.append(made)
    return sorted(out, key=lambda d: -d.shape[1])


def difference_scheme(rows: int, s: int, columns: int | None = None) -> np.ndarray:
    """A difference scheme over Z_s with ``rows`` rows and, if found, ``columns`` columns.

    Kronecker sums of the base schemes (multiplication tables, Hadamard matrices, the stored
    D(6,6,3), D(12,12,3), D(15,9,3), D(10,10,5)) are formed for the divisors r of ``rows``;
    the scheme with fewest rows that has at least ``columns`` columns (else the one with
    most) is stacked ``rows / r`` times, which keeps the difference property.

    Parameters
    ----------
    rows : int
        Number of rows R.
    s : int
        A prime: the group is Z_s.
    columns : int, optional
        Columns wanted: the search stops at the first scheme with that many (None: the
        scheme with most columns).

    Returns
    -------
    ndarray of int64 (rows, c)
        c >= 1 (the zero column always works; c < ``columns`` when no larger scheme was
        found); checked with :func:`is_difference_scheme`.
    """
    bases = _base_schemes(rows, s)
    best: dict[int, np.ndarray] = {1: np.zeros((1, 1), dtype=np.int64)}
    enough = columns if columns is not None else np.inf
    for r in range(2, rows + 1):
        if rows % r:
            continue
        for base in bases:
            rb = base.shape[0]
            if r % rb or (r // rb) not in best:
                continue
            cand = kronecker_sum(best[r // rb], base, s)
            if r not in best or cand.shape[1] > best[r].shape[1]:
                best[r] = cand
        if r in best and best[r].shape[1] >= enough:
            break
    r = max(best, key=lambda k: (min(best[k].shape[1], enough), -k))
    scheme = np.tile(best[r], (rows // r, 1))
    if r > 1 and not is_difference_scheme(scheme, s):
        return np.zeros((rows, 1), dtype=np.int64)  # never used unchecked
    return scheme


def develop(scheme, rows, s: int) -> np.ndarray:
    """The strength-2 array (B[i], D[i] + g), i = 0..R-1, g in Z_s (Bose and Bush 1952).

    Parameters
    ----------
    scheme : array_like of int (R, c)
        A difference scheme over Z_s.
    rows : array_like of int (R, k)
        A strength-2 array B with R runs (k may be 0).
    s : int

    Returns
    -------
    ndarray of int64 (R s, k + c)
        Runs ordered by i, then g. Column order: B's columns, then the scheme's.
    """
    d = np.asarray(scheme, dtype=np.int64)
    b = np.asarray(rows, dtype=np.int64).reshape(len(d), -1)
    g = np.arange(s, dtype=np.int64)
    left = np.repeat(b, s, axis=0)
    right = ((d[:, None, :] + g[None, :, None]) % s).reshape(len(d) * s, d.shape[1])
    return np.concatenate([left, right], axis=1)


# ----- the dispatcher -------------------------------------------------------------------------
def _possible(levels, n: int) -> bool:
    """Necessary conditions: divisibility of n by each level and pair, and Rao's bound."""
    if n < 1 or n > oarrays.MAX_RUNS or 1 + sum(nl - 1 for nl in levels) > n:
        return False
    if any(n % nl for nl in levels):
        return False
    distinct = sorted(set(levels))
    pairs = [(a, b) for a, b in itertools.combinations_with_replacement(distinct, 2)
             if a != b or levels.count(a) > 1]
    return all(n % (a * b) == 0 for a, b in pairs)


def _has_repeats(array: np.ndarray) -> bool:
    return len(np.unique(array, axis=0)) < len(array) if array.shape[1] else len(array) > 1


def _stored(levels, n: int, rng) -> OrthogonalArray | None:
    """Columns of a stored array matching ``levels`` (each column used once), or None."""
    if n not in _ARRAYS:
        return None
    have, rows = _ARRAYS[n]
    table = np.asarray(rows, dtype=np.int64)
    pools = {v: [c for c, nl in enumerate(have) if nl == v] for v in set(have)}
    if rng is not None:
        pools = {v: [int(c) for c in rng.permutation(cols)] for v, cols in pools.items()}
    picks = []
    for nl in levels:
        if not pools.get(nl):
            return None
        picks.append(pools[nl].pop(0))
    name = "OA({}, {})".format(n, " ".join(f"{v}^{have.count(v)}" for v in sorted(set(have),
                                                                              reverse=True)))
    return OrthogonalArray(table[:, picks], tuple(levels), f"{name} (stored)", False)


def _paired_rows(rows: np.ndarray, scheme: np.ndarray) -> np.ndarray:
    """The row array's runs reordered so that equal runs meet different scheme rows.

    Any order of B's runs keeps the development of strength 2; pairing equal runs of B with
    equal rows of the scheme (a stacked scheme, or a few of its columns) would repeat runs.
    B's runs are sorted and dealt to the scheme's rows cycling through its distinct rows.
    """
    if rows.shape[1] == 0:
        return rows
    _, cls = np.unique(scheme, axis=0, return_inverse=True)
    cls = cls.reshape(-1)
    by_class = np.argsort(cls, kind="stable")
    first = np.searchsorted(cls[by_class], cls[by_class])
    rank = np.empty(len(cls), dtype=np.int64)
    rank[by_class] = np.arange(len(cls)) - first
    slots = np.lexsort((cls, rank))  # first copy of every distinct row, then the second...
    out = np.empty_like(rows)
    out[slots] = rows[np.lexsort(rows.T[::-1])]
    return out


def _developed(levels, n: int, s: int, rng) -> OrthogonalArray | None:
    """Development of a difference scheme over Z_s carrying the s-level factors, with the
    other factors in a row array of n / s runs built by :func:`construct_mixed`."""
    rows = n // s
    wanted = sum(nl == s for nl in levels)
    scheme = difference_scheme(rows, s, wanted)
    c = scheme.shape[1]
    on_s = [i for i, nl in enumerate(levels) if nl == s][:c]
    rest = [i for i in range(len(levels)) if i not in on_s]
    if rest:
        row_oa = construct_mixed([levels[i] for i in rest], rows, rng)
        if row_oa is None:
            return None
        row_array, row_name = row_oa.array, row_oa.construction
    else:
        row_array, row_name = np.zeros((rows, 0), dtype=np.int64), None
    cols = list(range(len(on_s)))
    if rng is not None:
        cols = [int(v) for v in rng.choice(c, size=len(on_s), replace=False)]
    full = develop(scheme[:, cols], _paired_rows(row_array, scheme[:, cols]), s)
    out = np.zeros((n, len(levels)), dtype=np.int64)
    out[:, rest] = full[:, :len(rest)]
    out[:, on_s] = full[:, len(rest):]
    name = f"D({rows},{c},{s}) developed over Z{s}"
    if row_name:
        name += f" with rows {row_name}"
    return OrthogonalArray(out, tuple(levels), name, _has_repeats(out))


def construct_mixed(levels, n: int, rng=None) -> OrthogonalArray | None:
    """A strength-2 array with ``n`` runs and the given numbers of levels, or None.

    Tries :func:`dce.design.oarrays.construct` (regular, Hadamard and product arrays) first;
    when it finds none, or only one with repeated runs, tries the stored arrays and then the
    development of a difference scheme over Z_s for each prime s that is some factor's number
    of levels (most such factors first). The first array without repeated runs is returned,
    else the first with them. Every array is checked by
    :func:`~dce.design.oarrays.strength2_problems` before it is returned.

    Parameters
    ----------
    levels : sequence of int
        Number of levels of each factor.
    n : int
        Runs (1 to :data:`dce.design.oarrays.MAX_RUNS`).
    rng : numpy.random.Generator, optional
        Picks other columns (same properties, different runs), as in
        :func:`dce.design.oarrays.construct`.

    Returns
    -------
    OrthogonalArray or None
        ``construction`` names the plan, e.g. ``"D(6,6,3) developed over Z3 with rows
        GF(2)^1 x GF(3)^1"`` for the L18 array 2^1 3^7.

    Notes
    -----
    Bose and Bush (1952); Wang and Wu (1991); Hedayat, Sloane and Stufken (1999, ch. 6, 9).
    """
    levels = [int(nl) for nl in levels]
    base = oarrays.construct(levels, n, rng)
    if base is not None and not base.replicated:
        return base
    if not _possible(levels, n):
        return base
    fallback = base
    primes = sorted((p for p in oarrays.factorize(n) if p in levels),
                    key=lambda p: (-levels.count(p), p))
    plans = [lambda: _stored(levels, n, rng)]
    plans += [lambda s=s: _developed(levels, n, s, rng) for s in primes]
    for plan in plans:  # in order, until one gives an array without repeated runs
        made = plan()
        if made is None or oarrays.strength2_problems(made.array, levels):
            continue  # never return an unchecked array
        if not made.replicated:
            return made
        fallback = fallback or made
    return fallback
