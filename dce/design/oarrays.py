"""Orthogonal arrays of strength 2 for main-effects plans, built from known constructions.

Every array returned here has been checked to have strength 2 (:func:`strength2_problems`):
in each column every level occurs equally often, and in every pair of columns every pair of
levels occurs equally often. Nothing is taken from a catalogue on trust.

Constructions
-------------
* **Regular (Rao-Hamming) arrays over GF(p)**, p prime: the runs are all vectors x of
  GF(p)^k; an attribute with p^u levels reads u linear functionals of x whose span meets the
  span of every other attribute's functionals only in 0 (disjoint subspaces give independent
  uniform columns). This covers full factorials, the usual fractional factorials and the
  expansive replacement of p-level columns by p^u-level ones (e.g. 4^1 2^4 in 8 runs).
* **Hadamard (Plackett-Burman) arrays** for two-level attributes in 12, 20, 24, 40, ... runs,
  from Paley's quadratic-residue construction and Sylvester doubling.
* **Products**: attributes whose number of levels has several prime factors (6 = 2 x 3, 12 =
  4 x 3) combine one component per prime; the direct product of strength-2 arrays on disjoint
  primes is again of strength 2.

References: Hedayat, Sloane and Stufken (1999, Orthogonal Arrays: Theory and Applications,
Springer; Rao-Hamming construction ch. 3, Hadamard arrays ch. 7); Plackett and Burman (1946,
Biometrika 33:305-325); Paley (1933, J. Mathematics and Physics 12:311-320).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

MAX_RUNS = 4096
_NODE_LIMIT = 20_000


# ----- checks ----------------------------------------------------------------------------
def strength2_problems(array: np.ndarray, levels) -> list[str]:
    """Why ``array`` (runs x columns, level indices) is not an OA of strength 2 (empty if it is).

    Parameters
    ----------
    array : array_like of int (runs, columns)
        Level indices 0..l-1 of each column.
    levels : sequence of int (columns,)
        Number of levels of each column.

    Returns
    -------
    list of str
        One message per failed check: wrong shape, values out of range, an unbalanced
        column, or a pair of columns whose level pairs are not equally frequent.
    """
    array = np.asarray(array)
    levels = list(levels)
    out = []
    n = len(array)
    if array.ndim != 2 or array.shape[1] != len(levels):
        return [f"expected {len(levels)} columns, found shape {array.shape}"]
    for c, lev in enumerate(levels):
        counts = np.bincount(array[:, c], minlength=lev) if n else np.zeros(lev)
        if len(counts) > lev or (array[:, c] < 0).any():
            out.append(f"column {c} has values outside 0..{lev - 1}")
        elif n % lev or not (counts == n // lev).all():
            out.append(f"column {c} is not balanced: counts {counts.tolist()}")
    for a, b in itertools.combinations(range(len(levels)), 2):
        la, lb = levels[a], levels[b]
        if n % (la * lb):
            out.append(f"columns {a},{b}: {n} runs is not a multiple of {la} x {lb}")
            continue
        pairs = np.bincount(array[:, a] * lb + array[:, b], minlength=la * lb)
        if not (pairs == n // (la * lb)).all():
            out.append(f"columns {a},{b}: level pairs are not equally frequent")
    return out


def is_strength2(array, levels) -> bool:
    """True when ``array`` (runs, columns) is an OA of strength 2 for ``levels``.

    Parameters
    ----------
    array : array_like of int (runs, columns)
    levels : sequence of int (columns,)

    Returns
    -------
    bool
        ``not strength2_problems(array, levels)``.
    """
    return not strength2_problems(array, levels)


# ----- number theory -----------------------------------------------------------------------
def factorize(n: int) -> dict[int, int]:
    """Prime factorisation by trial division.

    Parameters
    ----------
    n : int
        A positive integer.

    Returns
    -------
    dict of int -> int
        Prime -> exponent (empty for n = 1).
    """
    out: dict[int, int] = {}
    p = 2
    while p * p <= n:
        while n % p == 0:
            out[p] = out.get(p, 0) + 1
            n //= p
        p += 1
    if n > 1:
        out[n] = out.get(n, 0) + 1
    return out


def _is_prime(n: int) -> bool:
    return n >= 2 and factorize(n) == {n: 1}


# ----- regular arrays over GF(p) ----------------------------------------------------------
def _digits(values: np.ndarray, p: int, k: int) -> np.ndarray:
    """Base-p digits (most significant first) of each value: (len(values), k)."""
    out = np.zeros((len(values), k), dtype=np.int64)
    v = np.asarray(values, dtype=np.int64).copy()
    for i in range(k - 1, -1, -1):
        out[:, i] = v % p
        v //= p
    return out


class _Geometry:
    """Projective points of GF(p)^k: nonzero vectors up to a scalar multiple."""

    def __init__(self, p: int, k: int):
        self.p, self.k = p, k
        vecs = _digits(np.arange(p ** k), p, k)
        self.vecs = vecs
        self.weights = p ** np.arange(k - 1, -1, -1)
        # canonical representative of each nonzero vector: first nonzero digit scaled to 1
        canon = np.zeros(p ** k, dtype=np.int64)
        inv = {a: pow(a, p - 2, p) for a in range(1, p)}
        for i in range(1, p ** k):
            v = vecs[i]
            lead = v[np.flatnonzero(v)[0]]
            canon[i] = int(((v * inv[int(lead)]) % p) @ self.weights)
        self.canon = canon
        self.points = sorted(set(canon[1:].tolist()))

    def span_points(self, basis: list[int]) -> set[int]:
        """Projective points of the span of ``basis`` (vectors as integers)."""
        p = self.p
        b = self.vecs[basis]
        pts = set()
        for coef in itertools.product(range(p), repeat=len(basis)):
            if not any(coef):
                continue
            v = (np.asarray(coef) @ b) % p
            pts.add(int(self.canon[int(v @ self.weights)]))
        return pts


def _assign_subspaces(geo: _Geometry, demands: list[int], order: list[int] | None = None):
    """Disjoint subspaces of dimensions ``demands``; list of bases (or None)."""
    k = geo.k
    idx = sorted(range(len(demands)), key=lambda i: -demands[i])
    if sum((geo.p ** u - 1) // (geo.p - 1) for u in demands) > len(geo.points):
        return None
    if any(u > k for u in demands):
        return None
    big = sorted((u for u in demands), reverse=True)
    if len(big) >= 2 and big[0] + big[1] > k:
        return None
    points = list(order) if order is not None else list(geo.points)
    result: dict[int, list[int]] = {}
    nodes = [0]

    def place(pos: int, used: set[int]) -> bool:
        if pos == len(idx):
            return True
        i = idx[pos]
        u = demands[i]
        if u == 0:
            result[i] = []
            return place(pos + 1, used)
        if u == 1:
            # any unused point will do; the rest are all single points too
            for pt in points:
                if pt not in used:
                    result[i] = [pt]
                    if place(pos + 1, used | {pt}):
                        return True
                    return False
            return False

        def grow(basis: list[int], span: set[int], start: int) -> bool:
            nodes[0] += 1
            if nodes[0] > _NODE_LIMIT:
                return False
            if len(basis) == u:
                result[i] = list(basis)
                return place(pos + 1, used | span)
            for j in range(start, len(points)):
                pt = points[j]
                if pt in used or pt in span:
                    continue
                new_span = geo.span_points(basis + [pt])
                if new_span & used:
                    continue
                if grow(basis + [pt], new_span, j + 1):
                    return True
            return False

        return grow([], set(), 0)

    if place(0, set()):
        return [result[i] for i in range(len(demands))]
    return None


def regular_component(p: int, k: int, demands: list[int], order=None) -> np.ndarray | None:
    """Columns (p^k runs) with p^u levels for each demand u, or None if they do not fit.

    Regular (Rao-Hamming) construction: the runs are GF(p)^k; a column with p^u levels reads
    the u coordinates of a run on a u-dimensional subspace, the subspaces of different
    columns meeting only in 0 (Hedayat, Sloane and Stufken 1999, ch. 3).

    Parameters
    ----------
    p : int
        A prime.
    k : int
        Dimension: the array has p^k runs.
    demands : list of int
        Exponent u of each column (0: a constant column).
    order : list of int, optional
        Order in which projective points are tried (a random order gives other arrays).

    Returns
    -------
    ndarray of int64 (p^k, len(demands)) or None
        None when no disjoint subspaces were found (also after the node limit).
    """
    geo = _Geometry(p, k)
    bases = _assign_subspaces(geo, demands, order)
    if bases is None:
        return None
    x = geo.vecs  # runs
    cols = []
    for basis in bases:
        if not basis:
            cols.append(np.zeros(len(x), dtype=np.int64))
            continue
        dig = (x @ geo.vecs[basis].T) % p  # (runs, u)
        cols.append(dig @ (p ** np.arange(len(basis) - 1, -1, -1)))
    return np.column_stack(cols).astype(np.int64) if cols else np.zeros((len(x), 0), np.int64)


def min_regular_k(p: int, demands: list[int]) -> int:
    """Smallest k for which the demands could fit in GF(p)^k (a necessary condition).

    Parameters
    ----------
    p : int
        A prime.
    demands : list of int
        Exponents u of the columns (p^u levels).

    Returns
    -------
    int
        At least the largest demand and the sum of the two largest, and enough projective
        points for every column's subspace.
    """
    need = sum((p ** u - 1) // (p - 1) for u in demands)
    k = max([1] + list(demands))
    big = sorted(demands, reverse=True)
    if len(big) >= 2:
        k = max(k, big[0] + big[1])
    while (p ** k - 1) // (p - 1) < need:
        k += 1
    return k


# ----- Hadamard arrays ------------------------------------------------------------------
def _paley(q: int) -> np.ndarray:
    """Hadamard matrix of order q + 1 (q prime, q = 3 mod 4), Paley's construction I."""
    residues = {(i * i) % q for i in range(1, q)}
    chi = np.array([0] + [1 if i in residues else -1 for i in range(1, q)])
    Q = np.array([[chi[(j - i) % q] for j in range(q)] for i in range(q)])
    S = np.zeros((q + 1, q + 1), dtype=np.int64)
    S[0, 1:] = 1
    S[1:, 0] = -1
    S[1:, 1:] = Q
    return S + np.eye(q + 1, dtype=np.int64)


def hadamard(n: int) -> np.ndarray | None:
    """A Hadamard matrix of order n from Paley I and Sylvester doubling, or None.

    Parameters
    ----------
    n : int
        Order: 1, 2 or a multiple of 4.

    Returns
    -------
    ndarray of int64 (n, n) or None
        Entries +-1 with H H' = n I (checked); None when n - 1 is not a prime = 3 mod 4
        and n / 2 has no such matrix here.
    """
    if n == 1:
        return np.ones((1, 1), dtype=np.int64)
    if n == 2:
        return np.array([[1, 1], [1, -1]], dtype=np.int64)
    if n % 4:
        return None
    if _is_prime(n - 1) and (n - 1) % 4 == 3:
        H = _paley(n - 1)
    else:
        half = hadamard(n // 2)
        if half is None:
            return None
        H = np.block([[half, half], [half, -half]])
    if not (H @ H.T == n * np.eye(n)).all():  # never trusted without a check
        return None
    return H


def hadamard_array(n: int) -> np.ndarray | None:
    """OA(n, n - 1, 2, 2) from a normalised Hadamard matrix (levels 0/1).

    Plackett-Burman array: the Hadamard matrix with its first column made +1, that column
    dropped, +1 -> 0 and -1 -> 1 (Plackett and Burman 1946).

    Parameters
    ----------
    n : int
        Runs.

    Returns
    -------
    ndarray of int64 (n, n - 1) or None
        None when :func:`hadamard` has no matrix of order n.
    """
    H = hadamard(n)
    if H is None:
        return None
    H = H * H[:, :1]  # first column all +1
    return ((1 - H[:, 1:]) // 2).astype(np.int64)


# ----- mixed arrays by products -----------------------------------------------------------
@dataclass(frozen=True)
class OrthogonalArray:
    """A strength-2 array with one column per requested factor.

    Attributes
    ----------
    array : ndarray of int64 (runs, factors)
        Level indices.
    levels : tuple of int (factors,)
        Number of levels of each column.
    construction : str
        How it was made, e.g. ``"GF(2)^3 x GF(3)^1"`` or ``"Hadamard(12)"``.
    replicated : bool
        True when some runs repeat (a component with no factor to carry was replicated).
    """

    array: np.ndarray
    levels: tuple
    construction: str
    replicated: bool = False  # some runs repeat (a component had no factor to carry)


def _prime_parts(levels) -> list[dict[int, int]]:
    return [factorize(int(nl)) for nl in levels]


def construct(levels, n: int, rng=None) -> OrthogonalArray | None:
    """A strength-2 array with ``n`` runs and the given numbers of levels, or None.

    With ``rng`` (a numpy Generator) the columns of each regular component are picked in a
    random order: same properties, different runs, so a caller can try another array when
    one gives repeated choice sets. Without it the construction is fixed.

    The plans tried are the regular construction, then Plackett-Burman (Hadamard) arrays of
    non-power-of-two sizes for two-level factors; the first plan without replicated runs
    is returned, else the first with them. Every array is checked by
    :func:`strength2_problems` before it is returned.

    Parameters
    ----------
    levels : sequence of int
        Number of levels of each factor; each must divide ``n``.
    n : int
        Runs (1 to :data:`MAX_RUNS`).
    rng : numpy.random.Generator, optional

    Returns
    -------
    OrthogonalArray or None
    """
    levels = [int(nl) for nl in levels]
    if n < 1 or n > MAX_RUNS:
        return None
    if any(n % nl for nl in levels):
        return None
    parts = _prime_parts(levels)
    primes = sorted({p for d in parts for p in d} | set(factorize(n)))
    # two-level Hadamard option: all two-parts are single two-level columns
    two_demands = [d.get(2, 0) for d in parts]
    hadamard_sizes = []
    if all(u <= 1 for u in two_demands) and sum(two_demands) > 0:
        for h in range(12, n + 1, 4):
            if n % h == 0 and (h & (h - 1)) and hadamard(h) is not None:
                hadamard_sizes.append(h)
    plans = [("regular", None)] + [("hadamard", h) for h in hadamard_sizes]
    fallback = None  # an array with repeated runs, used only if nothing better is found
    for kind, h in plans:
        made = _components(kind, h, n, levels, parts, primes, two_demands, rng)
        if made is None:
            continue
        comps, desc, replicated = made
        out = _direct_product(comps, parts, n, len(levels))
        if out is None:
            continue
        if strength2_problems(out, levels):  # never return an unchecked array
            continue
        found = OrthogonalArray(out, tuple(levels), " x ".join(desc) or "trivial", replicated)
        if not replicated:
            return found
        fallback = fallback or found
    return fallback


def _components(kind, h, n, levels, parts, primes, two_demands, rng):
    """The factors of one plan (a Hadamard array and/or regular GF(p)^k components):
    (components by prime or "h", descriptions, replicated?), or None when the plan fails."""
    comps: dict = {}
    desc = []
    rest = n
    replicated = False
    if kind == "hadamard":
        if sum(two_demands) > h - 1:
            return None
        arr = hadamard_array(h)
        if rng is not None:
            arr = arr[:, rng.permutation(h - 1)]
        comps["h"] = (arr, h)
        rest = n // h
        desc.append(f"Hadamard({h})")
    rest_f = factorize(rest)
    for p in primes:
        k = rest_f.get(p, 0)
        if kind == "hadamard" and p == 2:
            dem = []
        else:
            dem = [d.get(p, 0) for d in parts]
        if not any(dem):
            if k:
                replicated = True
                comps[p] = (np.zeros((p ** k, len(levels)), dtype=np.int64), p ** k)
                desc.append(f"{p ** k} replicates")
            continue
        if k < min_regular_k(p, [u for u in dem if u]):
            return None
        order = None
        if rng is not None:
            order = [int(v) for v in rng.permutation(_Geometry(p, k).points)]
        arr = regular_component(p, k, dem, order)
        if arr is None:
            return None
        comps[p] = (arr, p ** k)
        desc.append(f"GF({p})^{k}")
    return comps, desc, replicated


def _direct_product(comps, parts, n, n_columns):
    """Direct product of the components, each attribute's value in mixed radix over the
    primes; None when the components do not give ``n`` runs."""
    blocks = []
    for key, (arr, size) in comps.items():
        blocks.append((key, arr, size))
    total = math.prod(size for _, _, size in blocks)
    if total != n:
        return None
    grids = np.indices([size for _, _, size in blocks]).reshape(len(blocks), -1)
    out = np.zeros((n, n_columns), dtype=np.int64)
    for c, d in enumerate(parts):
        value = np.zeros(n, dtype=np.int64)
        for b_i, (key, arr, _size) in enumerate(blocks):
            if key == "h":
                if d.get(2, 0):
                    hcols = [i for i, dd in enumerate(parts) if dd.get(2, 0)]
                    col = arr[:, hcols.index(c)]
                    value = value * 2 + col[grids[b_i]]
                continue
            p = key
            u = d.get(p, 0)
            if u == 0:
                continue
            value = value * p ** u + arr[grids[b_i], c]
        out[:, c] = value
    return out
