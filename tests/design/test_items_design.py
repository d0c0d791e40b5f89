"""Designs for item studies: known BIBDs are exactly balanced; where no BIBD exists the
search reaches the smallest pair-frequency imbalance, checked by exhaustive enumeration."""

from __future__ import annotations

from itertools import combinations, combinations_with_replacement

import numpy as np
import pytest

from dce.design.items import (
    bibd_parameters,
    construct_bibd,
    design_table,
    diagnose,
    is_bibd,
    make_sets,
    pair_counts,
    search_design,
)

# standard BIBD parameter sets (v, k, b): a projective plane of order 3, the Fano plane,
# a (11, 5, 2) biplane, a 1-rotational (12, 4, 3) design and the affine plane of order 3
KNOWN = [(13, 4, 13), (7, 3, 7), (11, 5, 11), (12, 4, 33), (9, 3, 12), (6, 3, 10)]


@pytest.mark.parametrize("v,k,b", KNOWN)
def test_known_bibds_are_exactly_balanced(v, k, b):
    par = bibd_parameters(v, k, b)
    assert par is not None
    sets, blocks, how = make_sets(v, k, b, 1, np.random.default_rng(1))
    assert sets.shape == (b, k)
    assert all(len(set(s)) == k for s in sets.tolist())
    counts = np.bincount(sets.ravel(), minlength=v)
    assert (counts == par["r"]).all()
    P = pair_counts(sets, v)[np.triu_indices(v, 1)]
    assert (P == par["lambda"]).all(), how
    d = diagnose(sets, blocks, [f"i{j}" for j in range(v)], how)
    assert d["balanced"] and d["pair_frequency"]["imbalance"] == 0
    assert d["item_frequency"]["imbalance"] == 0


def test_algebraic_constructions_are_used_for_standard_sets():
    rng = np.random.default_rng(0)
    assert "cyclic" in construct_bibd(13, 4, 13, rng)[1]
    assert "1-rotational" in construct_bibd(12, 4, 33, rng)[1]
    sets, how = construct_bibd(7, 3, 14, rng)           # lambda = 2 from two copies
    assert is_bibd(sets, 7)


def test_inadmissible_parameters_are_recognised():
    assert bibd_parameters(12, 4, 13) is None        # r = 13 * 4 / 12 is not whole
    assert bibd_parameters(6, 3, 5) is None
    assert bibd_parameters(12, 4, 12) is None        # lambda = 12 * 3 / 11 is not whole


def _exhaustive_minimum(v, k, b):
    """Smallest (sum of squared item counts, then sum of squared pair counts) over every
    multiset of b k-subsets of v items."""
    subsets = list(combinations(range(v), k))
    pairs = {p: i for i, p in enumerate(combinations(range(v), 2))}
    inc = np.zeros((len(subsets), v), np.int64)
    pinc = np.zeros((len(subsets), len(pairs)), np.int64)
    for s, sub in enumerate(subsets):
        inc[s, list(sub)] = 1
        for p in combinations(sub, 2):
            pinc[s, pairs[p]] = 1
    combos = np.array(list(combinations_with_replacement(range(len(subsets)), b)))
    item_sq = (inc[combos].sum(axis=1) ** 2).sum(axis=1)
    pair_sq = (pinc[combos].sum(axis=1) ** 2).sum(axis=1)
    return int(item_sq.min()), int(pair_sq[item_sq == item_sq.min()].min())


# small cases without a BIBD: 6 items in 5 sets of 3, 5 items in 4 sets of 3, 7 items in
# 4 sets of 3 and 6 items in 4 sets of 4
@pytest.mark.parametrize("v,k,b", [(6, 3, 5), (5, 3, 4), (7, 3, 4), (6, 4, 4)])
def test_search_reaches_the_exhaustive_minimum_imbalance(v, k, b):
    assert bibd_parameters(v, k, b) is None
    item_min, pair_min = _exhaustive_minimum(v, k, b)
    sets = search_design(v, k, b, np.random.default_rng(3))
    counts = np.bincount(sets.ravel(), minlength=v)
    assert int((counts ** 2).sum()) == item_min
    assert counts.max() - counts.min() <= 1
    d = diagnose(sets, np.ones(b, int), [f"i{j}" for j in range(v)], "search")
    assert d["pair_frequency"]["sum_squares"] == pair_min
    assert not d["balanced"]
    # the reported pair-frequency sd is then the smallest possible too
    P = pair_counts(sets, v)[np.triu_indices(v, 1)]
    assert d["pair_frequency"]["sd"] == pytest.approx(P.std())


def test_designs_are_seeded_and_blocked():
    a = make_sets(12, 4, 33, 3, np.random.default_rng(42))
    b = make_sets(12, 4, 33, 3, np.random.default_rng(42))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    sets, blocks, _ = a
    assert np.bincount(blocks)[1:].tolist() == [11, 11, 11]
    per_block = [np.bincount(sets[blocks == bl].ravel(), minlength=12) for bl in (1, 2, 3)]
    assert max(c.max() - c.min() for c in per_block) <= 1   # 44 slots over 12 items
    table = design_table(sets, blocks, [f"i{j}" for j in range(12)])
    assert list(table.columns) == ["block", "task", "alternative", "item"]
    assert table.groupby("block")["task"].max().tolist() == [11, 11, 11]
    d = diagnose(sets, blocks, [f"i{j}" for j in range(12)], "x")
    assert d["position_frequency"]["max"] - d["position_frequency"]["min"] <= 1
