"""The cheaper exact separation check of issue 16 (differences written in place for equal
set sizes, scaled in place, no |D| copies, the most violated rows picked without sorting
them all, within-set spans column by column) finds what the former code, kept here as the
reference, finds, bit for bit: direction, decided sets, unidentified terms, on random data
with and without complete and quasi-complete separation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from dce.core.coding import ChoiceData
from dce.models import separation
from dce.models.separation import CUTS, MAX_ROUNDS, STRICT, ZERO, _differences, _most_violated


# ----- the former code (the reference) ----------------------------------------------------
def old_differences(data, with_sets=False):
    X, y, start = data.X, np.asarray(data.chosen), data.set_start
    sizes = np.diff(start)
    set_of_row = np.repeat(np.arange(len(sizes)), sizes)
    chosen = np.flatnonzero(y > 0)
    s = set_of_row[chosen]
    n = sizes[s]
    first = np.repeat(start[s], n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    rows = first + offset
    c = np.repeat(chosen, n)
    keep = rows != c
    if with_sets:
        return X[c[keep]] - X[rows[keep]], np.repeat(s, n)[keep]
    return X[c[keep]] - X[rows[keep]]


def old_unidentified(data, d):
    D, sets = old_differences(data, with_sets=True)
    gain = np.abs(D @ d) > 1e-9 * max(1.0, float(np.abs(D).max(initial=0.0)))
    decided = np.zeros(int(sets.max(initial=-1)) + 1, dtype=bool)
    np.logical_or.at(decided, sets, gain)
    rest = D[~decided[sets]]
    varies = np.abs(rest).max(axis=0, initial=0.0) > 0
    return tuple(t for t, v, x in zip(data.terms, varies, d, strict=True) if not v and not x)


def old_direction(data):
    D = old_differences(data)
    K = D.shape[1] if D.ndim == 2 else 0
    if K == 0 or len(D) == 0:
        return None
    scale = np.abs(D).max(axis=0)
    scale[scale == 0] = 1.0
    A = D / scale
    A = A[np.abs(A).max(axis=1) > 0]
    if len(A) == 0:
        return None
    found = old_strict_rows(A)
    if found is None:
        return None
    strict, d = found
    sparsest = old_sparsest(A, strict)
    if sparsest is not None:
        d = sparsest
    d = d / scale
    d = d / np.abs(d).max()
    d[np.abs(d) < ZERO] = 0.0
    u = data.X @ d
    first = data.set_start[:-1]
    hi, lo = np.maximum.reduceat(u, first), np.minimum.reduceat(u, first)
    return d, int(np.sum(hi - lo > ZERO * max(1.0, float(np.abs(u).max(initial=0)))))


def old_strict_rows(A):
    U, K = A.shape
    strict, total, work = np.zeros(U, bool), np.zeros(K), np.zeros(U, bool)
    for _ in range(MAX_ROUNDS):
        rest = ~strict
        if not rest.any():
            break
        x, value = old_cone_lp(A, A[rest].sum(axis=0), work)
        if x is None or value <= STRICT:
            break
        new = rest & (A @ x > STRICT)
        if not new.any():
            break
        total += x
        strict |= new
    return (strict, total) if strict.any() else None


def old_sparsest(A, strict):
    U, K = A.shape
    G = np.hstack([A, -A])
    need = strict.astype(float)
    work = np.zeros(U, bool)
    for _ in range(U // CUTS + 2):
        lp = optimize.linprog(np.ones(2 * K), A_ub=-G[work] if work.any() else None,
                              b_ub=-need[work] if work.any() else None,
                              bounds=[(0, None)] * (2 * K), method="highs")
        if lp.status != 0:
            return None
        d = lp.x[:K] - lp.x[K:]
        slack = A @ d - need
        violated = np.flatnonzero(slack < -1e-9)
        if len(violated) == 0:
            return d
        work[violated[np.argsort(slack[violated], kind="stable")[:CUTS]]] = True
    return None


def old_cone_lp(A, c, work):
    U, K = A.shape
    for _ in range(U // CUTS + 2):
        rows = A[work]
        lp = optimize.linprog(-c, A_ub=-rows if len(rows) else None,
                              b_ub=np.zeros(len(rows)) if len(rows) else None,
                              bounds=[(-1, 1)] * K, method="highs")
        if lp.status != 0:
            return None, 0.0
        s = A @ lp.x
        violated = np.flatnonzero(s < -1e-9)
        if len(violated) == 0:
            return lp.x, float(-lp.fun)
        work[violated[np.argsort(s[violated], kind="stable")[:CUTS]]] = True
    return None, 0.0


# ----- random choice data -----------------------------------------------------------------
def choice_data(rng, n_sets, sizes, K, mode, levels):
    """Sets of the given sizes (one chosen row each, or two in some sets with ``mode``
    "multi"), integer attribute levels (many ties) or continuous values; ``complete``:
    the row with the largest first column always chosen (a recession direction making
    every set strict), ``quasi``: a 0/1 column whose 1 is chosen whenever it differs."""
    size = rng.choice(sizes, n_sets)
    start = np.r_[0, np.cumsum(size)].astype(np.int64)
    rows = int(start[-1])
    X = (rng.integers(0, levels, (rows, K)).astype(float) if levels
         else rng.normal(size=(rows, K)) * rng.choice([1.0, 1e3], K))
    chosen = np.zeros(rows)
    for s in range(n_sets):  # test data only: a loop over a few hundred sets
        a, b = start[s], start[s + 1]
        if mode == "complete":
            X[a:b, 0] += np.arange(b - a) * 0.5  # no ties in column 0
            pick = a + int(np.argmax(X[a:b, 0]))
        elif mode == "quasi":
            X[a:b, 0] = rng.integers(0, 2, b - a)
            ones = np.flatnonzero(X[a:b, 0] == 1)
            pick = a + int(ones[0] if 0 < len(ones) else rng.integers(0, b - a))
        else:
            pick = a + int(rng.integers(0, b - a))
        chosen[pick] = 1.0
        if mode == "multi" and b - a > 2 and s % 3 == 0:
            chosen[a + (pick - a + 1) % (b - a)] = 1.0
    respondent = np.arange(n_sets) // 4
    return ChoiceData(X=X, chosen=chosen, set_start=start, respondent=respondent,
                      respondent_ids=np.unique(respondent), group=np.array(["all"] * n_sets,
                                                                          dtype=object),
                      alternative=np.concatenate([np.arange(1, k + 1) for k in size]),
                      terms=tuple(f"x{k}" for k in range(K)))


CASES = st.tuples(st.integers(0, 10**6), st.integers(1, 120),
                  st.sampled_from([(2,), (3,), (4,), (1, 2, 3), (2, 5)]), st.integers(1, 5),
                  st.sampled_from(["random", "complete", "quasi", "multi"]),
                  st.sampled_from([0, 2, 4]))


@settings(max_examples=120, deadline=None)
@given(CASES)
def test_differences_equal_the_former_code(case):
    seed, n_sets, sizes, K, mode, levels = case
    data = choice_data(np.random.default_rng(seed), n_sets, sizes, K, mode, levels)
    D, sets = _differences(data, with_sets=True)
    D0, sets0 = old_differences(data, with_sets=True)
    assert D.shape == D0.shape and np.array_equal(D, D0) and np.array_equal(sets, sets0)
    assert np.array_equal(_differences(data), D0)


@settings(max_examples=120, deadline=None)
@given(CASES)
def test_direction_and_check_equal_the_former_code(case):
    seed, n_sets, sizes, K, mode, levels = case
    data = choice_data(np.random.default_rng(seed), n_sets, sizes, K, mode, levels)
    got, want = separation.direction(data), old_direction(data)
    assert (got is None) == (want is None)
    if want is None:
        return
    assert np.array_equal(got[0], want[0]) and got[1] == want[1]
    assert separation.unidentified(data, got[0]) == old_unidentified(data, want[0])
    with pytest.warns(UserWarning, match="no maximum"):
        sep = separation.check(data, lambda comp, data: ([], []), on_separation="warn")
    assert sep.sets == want[1] and sep.unidentified == old_unidentified(data, want[0])
    assert np.array_equal(sep.along(data.terms), want[0])


def test_complete_and_quasi_complete_separation_are_found():
    """The generator's separated cases are separated (so the comparisons above cover the
    LP rounds and the sparsest program), and its random case of many sets is not."""
    rng = np.random.default_rng(5)
    for mode in ("complete", "quasi"):
        found = separation.direction(choice_data(rng, 200, (2, 3), 3, mode, 4))
        assert found is not None and found[0][0] > 0
    assert separation.direction(choice_data(rng, 400, (3,), 3, "random", 0)) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3 * CUTS), st.integers(1, 6), st.integers(0, 10**6))
def test_most_violated_rows_are_the_first_of_a_stable_sort(n, distinct, seed):
    """Many ties (a few distinct values), also at the CUTS-th smallest value."""
    rng = np.random.default_rng(seed)
    values = -rng.integers(1, distinct + 1, n) / 2.0
    rows = np.sort(rng.choice(10**6, n, replace=False))
    got = _most_violated(rows, values)
    want = rows[np.argsort(values, kind="stable")[:CUTS]]
    assert np.array_equal(np.sort(got), np.sort(want))


@settings(max_examples=80, deadline=None)
@given(CASES, st.floats(0.1, 30.0))
def test_the_screen_equals_the_former_reduceat(case, size):
    """suspicious: the within-set spans over a (sets, J) view when sizes are equal."""
    seed, n_sets, sizes, K, mode, levels = case
    rng = np.random.default_rng(seed)
    data = choice_data(rng, n_sets, sizes, K, mode, levels)
    beta = rng.normal(size=K) * size
    u = data.X @ beta
    first = data.set_start[:-1]
    span = np.maximum.reduceat(u, first) - np.minimum.reduceat(u, first)
    assert separation.suspicious(data, beta, True) == bool(span.max() > separation.SCREEN)
    assert np.array_equal(separation._spans(u, data.set_start), span)
