"""Mixed-level orthogonal arrays (issue 13 item 8) and Street-Burgess designs built on them.

Independent references written here: strength 2 by counting every level pair of every
column pair with numpy; the smallest run size from divisibility and Rao's bound; difference
schemes by counting differences; the optimal D-error of a Street-Burgess design from
design_refs (enumeration and hand-written effects codes).
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from design_refs import coded_sets, d_error, street_burgess_optimal_d_error
from hypothesis import given, settings
from hypothesis import strategies as st

import dce
from dce.design import oa_mixed
from dce.design.orthogonal import DesignWarning
from dce.design.street_burgess import feasible_sizes

# levels, runs: the common health-DCE factorials of the issue and the classic mixed arrays
CASES = [
    ([2] + [3] * 7, 18),             # L18
    ([2] * 11 + [3] * 12, 36),       # L36
    ([4] + [3] * 4, 36),
    ([2] * 3 + [3], 12),
    ([3] * 4 + [2] * 3, 36),
    ([4] + [2] * 4, 8),
    ([3] * 3 + [2] * 2, 36),
    ([5, 3, 3, 2, 2], 180),
    ([2] * 4 + [3], 12),             # OA(12, 3^1 2^4)
    ([6] + [3] * 6, 18),
    ([4] + [3] * 13, 36),
    ([3] * 13 + [2] * 4, 36),
    ([3] + [2] * 16, 24),
    ([5] + [2] * 8, 20),
    ([5] + [2] * 4, 20),
    ([2] + [5] * 11, 50),            # L50
    ([2] + [3] * 25, 54),            # L54
    ([5, 2] + [3] * 7, 90),
    ([5] + [3] * 10, 45),            # D(15,9,3) developed
    ([3] * 5 + [2] * 3, 36),
]


def strength2_by_count(array, levels) -> bool:
    """Every column balanced; every pair of columns shows each level pair N / (l_i l_j) times."""
    a = np.asarray(array)
    n = len(a)
    if a.shape != (n, len(levels)):
        return False
    for c, nl in enumerate(levels):
        if sorted(set(a[:, c].tolist())) != list(range(nl)):
            return False
        if not (np.bincount(a[:, c], minlength=nl) == n // nl).all() or n % nl:
            return False
    for i, j in itertools.combinations(range(len(levels)), 2):
        table = np.zeros((levels[i], levels[j]), dtype=int)
        np.add.at(table, (a[:, i], a[:, j]), 1)
        if n % (levels[i] * levels[j]) or not (table == n // (levels[i] * levels[j])).all():
            return False
    return True


def smallest_possible_runs(levels) -> int:
    """Smallest N divisible by every l_i l_j (i != j) with 1 + sum(l_i - 1) <= N (Rao)."""
    step = math.lcm(*[a * b for a, b in itertools.combinations(levels, 2)])
    n = step
    while 1 + sum(nl - 1 for nl in levels) > n:
        n += step
    return n


def differences_balanced(scheme, s) -> bool:
    d = np.asarray(scheme)
    r = len(d)
    for i, j in itertools.combinations(range(d.shape[1]), 2):
        counts = [int(((d[:, i] - d[:, j]) % s == v).sum()) for v in range(s)]
        if counts != [r // s] * s:
            return False
    return True


@pytest.mark.parametrize("levels,n", CASES)
def test_mixed_arrays_have_strength_2_at_the_smallest_run_size(levels, n):
    assert n == smallest_possible_runs(levels)
    oa = oa_mixed.construct_mixed(levels, n)
    assert oa is not None, f"no array for {levels} in {n} runs"
    assert oa.array.shape == (n, len(levels))
    assert strength2_by_count(oa.array, levels)
    assert not oa.replicated
    assert len(np.unique(oa.array, axis=0)) == n  # no repeated runs


def test_the_independent_count_catches_a_defect():
    good = oa_mixed.construct_mixed([2] + [3] * 7, 18).array
    bad = good.copy()
    bad[[0, 1], 3] = bad[[1, 0], 3]  # swap two entries of one column: balance kept, pairs not
    assert (bad != good).any()
    assert not strength2_by_count(bad, [2] + [3] * 7)


@pytest.mark.parametrize("levels,n", [([3] + [2] * 5, 12), ([2] * 12, 12), ([6, 6, 4], 36),
                                      ([2] + [3] * 8, 18)])
def test_arrays_that_cannot_exist_are_refused(levels, n):
    """At most four 2-level columns go with a 3-level one in 12 runs, and at most seven
    3-level columns fit in 18 runs, so OA(12, 3^1 2^5) and OA(18, 2^1 3^8) do not exist;
    OA(12, 2^12) breaks Rao's bound and 6 x 4 does not divide 36."""
    assert oa_mixed.construct_mixed(levels, n) is None


@pytest.mark.parametrize("levels,n", [c for c in CASES if len(c[0]) < 20])
def test_random_variants_keep_strength_2(levels, n):
    rng = np.random.default_rng(11)
    for _ in range(4):
        oa = oa_mixed.construct_mixed(levels, n, rng)
        assert oa is not None and strength2_by_count(oa.array, levels)


# ----- difference schemes ----------------------------------------------------------------------
@pytest.mark.parametrize("rows,s,columns", [(6, 3, 6), (12, 3, 12), (10, 5, 10), (18, 3, 18),
                                            (9, 3, 9), (12, 2, 12), (20, 2, 20), (25, 5, 25),
                                            (24, 3, 12), (7, 7, 7), (15, 3, 9),
                                            (45, 3, 27)])
def test_difference_schemes(rows, s, columns):
    scheme = oa_mixed.difference_scheme(rows, s)
    assert scheme.shape == (rows, columns)
    assert differences_balanced(scheme, s)
    assert oa_mixed.is_difference_scheme(scheme, s)


def test_is_difference_scheme_rejects_defects():
    scheme = oa_mixed.difference_scheme(6, 3).copy()
    scheme[2, 4] = (scheme[2, 4] + 1) % 3
    assert not differences_balanced(scheme, 3)
    assert not oa_mixed.is_difference_scheme(scheme, 3)
    assert not oa_mixed.is_difference_scheme(np.zeros((4, 2), int), 3)  # 4 rows: not 3 | r


def test_kronecker_sum_and_multiplication_table():
    for p in (2, 3, 5, 7):
        table = oa_mixed.multiplication_scheme(p)
        assert table.tolist() == [[(i * j) % p for j in range(p)] for i in range(p)]
        assert differences_balanced(table, p)
    both = oa_mixed.kronecker_sum(oa_mixed.difference_scheme(6, 3),
                                  oa_mixed.multiplication_scheme(3), 3)
    assert both.shape == (18, 18) and differences_balanced(both, 3)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([(2, 12), (3, 6), (3, 12), (5, 10), (3, 9), (2, 8)]),
       st.lists(st.sampled_from([2, 3, 4, 6]), min_size=0, max_size=3),
       st.integers(1, 12), st.integers(0, 2 ** 32 - 1))
def test_development_has_strength_2(scheme_size, row_levels, k, seed):
    """(B[i], D[i] + g) is of strength 2 for any row array B of R runs and any columns of D."""
    s, rows = scheme_size
    row_oa = oa_mixed.construct_mixed(row_levels, rows)
    if row_oa is None:
        return  # no row array with these levels (e.g. 4 x 3 in 6 runs)
    scheme = oa_mixed.difference_scheme(rows, s)
    rng = np.random.default_rng(seed)
    cols = rng.choice(scheme.shape[1], size=min(k, scheme.shape[1]), replace=False)
    runs = oa_mixed.develop(scheme[:, cols], row_oa.array[rng.permutation(rows)], s)
    assert runs.shape == (rows * s, len(row_levels) + len(cols))
    assert strength2_by_count(runs, list(row_levels) + [s] * len(cols))


# ----- Street-Burgess designs on them, end to end -----------------------------------------------
E2E = [  # levels, alternatives, tasks, blocks, array runs, copies, blocking
    ([2] + [3] * 7, 2, 18, 1, 18, 1, None),
    ([2] * 11 + [3] * 12, 2, 36, 1, 36, 1, None),
    ([4] + [3] * 4, 3, 12, 3, 36, 1, "an orthogonal blocking column"),
    ([2] * 3 + [3], 2, 12, 1, 12, 1, None),
    ([3] * 4 + [2] * 3, 2, 12, 3, 36, 1, "an orthogonal blocking column"),
    ([4] + [2] * 4, 2, 24, 1, 8, 3, None),
    ([3] * 3 + [2] * 2, 2, 36, 1, 36, 1, None),
    ([5, 3, 3, 2, 2], 2, 180, 2, 180, 2, "an orthogonal blocking column"),
    ([2] * 4 + [3], 2, 12, 1, 12, 1, None),
    ([2] + [3] * 7, 3, 9, 2, 18, 1, "level-balance search"),
    ([5] + [2] * 4, 2, 40, 1, 20, 2, None),
    ([3] + [2] * 16, 2, 24, 1, 24, 1, None),
    ([4] + [3] * 13, 3, 36, 1, 36, 1, None),
    ([2] + [5] * 11, 2, 100, 1, 50, 2, None),
    ([2] + [3] * 25, 2, 54, 1, 54, 1, None),
    ([5] + [3] * 5, 3, 90, 1, 45, 2, None),
]


@pytest.mark.parametrize("levels,m,tasks,blocks,runs,copies,blocking", E2E)
def test_orthogonal_designs_on_mixed_arrays_are_optimal(levels, m, tasks, blocks, runs, copies,
                                                        blocking):
    attributes = {f"a{i}": [f"L{v}" for v in range(1, nl + 1)] for i, nl in enumerate(levels)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback, no repeated sets
        design = dce.make_design(attributes, alternatives=m, tasks=tasks, blocks=blocks,
                                 method="orthogonal", seed=5)
    diag = design.diagnostics
    info = diag["construction"]
    assert "fallback" not in diag
    assert info["type"] == "street-burgess"
    assert (info["array_runs"], info["copies"], info["blocking"]) == (runs, copies, blocking)
    assert info["repeated_sets"] == 0
    n_sets = tasks * blocks
    assert diag["n_choice_sets"] == n_sets
    assert diag["d_efficiency"] == pytest.approx(1.0, abs=1e-9)
    # independent: the design's D-error at b = 0 (effects codes written by hand) equals the
    # closed-form optimum
    spec = [(f"a{i}", [f"L{v}" for v in range(1, nl + 1)], "effects")
            for i, nl in enumerate(levels)]
    ours = d_error(coded_sets(design.table, spec), np.zeros(sum(nl - 1 for nl in levels)))
    assert ours == pytest.approx(street_burgess_optimal_d_error(levels, m, n_sets), rel=1e-9)
    # the first alternative of each task is a run of the array: strength 2 over the copies
    table = design.table.sort_values(["block", "task", "alternative"])
    first = table.groupby(["block", "task"]).head(1)
    codes = np.column_stack([first[f"a{i}"].str[1:].astype(int) - 1 for i in range(len(levels))])
    if copies == 1:
        assert strength2_by_count(codes, levels)
    if blocking == "an orthogonal blocking column":
        for _, block in first.groupby("block"):
            for i, nl in enumerate(levels):
                counts = block[f"a{i}"].value_counts()
                assert len(counts) == nl and counts.nunique() == 1


def test_feasible_sizes_start_at_the_mixed_array():
    assert feasible_sizes([2] + [3] * 7, 2, 1)[:3] == [18, 36, 54]
    assert feasible_sizes([2] * 11 + [3] * 12, 2, 1)[0] == 36


def test_a_request_without_an_array_still_falls_back():
    """OA(12, 3^1 2^5) does not exist, so 12 pairs of 3 x 2^5 fall back to the search."""
    attributes = {"a0": ["x", "y", "z"], **{f"b{i}": ["no", "yes"] for i in range(5)}}
    with pytest.warns(DesignWarning, match="no orthogonal-array construction"):
        design = dce.make_design(attributes, alternatives=2, tasks=12, method="orthogonal",
                                 seed=5)
    assert design.diagnostics["fallback"]["used"] == "d-efficient"


def test_optimal_determinant_in_logs_does_not_underflow():
    """The log of det C_opt agrees with the product where that is representable, and stays
    finite for 2^1 5^11 in pairs, where the product underflows to 0 (the large cases above
    read their D-efficiency of 1 through it)."""
    from dce.design.diagnostics import street_burgess_det_opt, street_burgess_log_det_opt

    for levels, m in [([2, 2, 2], 2), ([3] * 4, 3), ([4, 3, 2], 3), ([5, 3, 3, 2, 2], 2)]:
        assert street_burgess_log_det_opt(levels, m) == pytest.approx(
            math.log(street_burgess_det_opt(levels, m)), rel=1e-12)
    big = [2] + [5] * 11
    assert street_burgess_det_opt(big, 2) == 0.0
    L = math.prod(big)
    by_hand = sum((nl - 1) * math.log(2 * nl * 1 / (4 * (nl - 1) * L))
                  for nl in big)  # pairs: S = 1 differing pair for every attribute
    assert street_burgess_log_det_opt(big, 2) == pytest.approx(by_hand, rel=1e-12)
