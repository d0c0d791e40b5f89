"""Orthogonal arrays: every construction is checked for strength 2 by an independent count."""

from __future__ import annotations

import numpy as np
import pytest
from design_refs import strength2

from dce.design import oarrays
from dce.design.street_burgess import street_burgess_plan

CASES = [
    ([2, 2, 2], 4), ([2] * 4, 8), ([2] * 7, 8), ([3] * 4, 9), ([3] * 4, 27), ([3] * 4, 81),
    ([4, 2, 2, 2, 2], 8), ([4] * 5, 16), ([8, 2, 2], 16), ([5] * 6, 25), ([9, 3, 3], 27),
    ([2] * 11, 12), ([2] * 19, 20), ([2] * 23, 24), ([6, 3, 2], 36), ([3, 3, 2, 2], 36),
    ([2] * 7 + [3], 24), ([3, 3, 3, 3, 4, 2], 72), ([4, 4, 2], 16), ([7, 7], 49),
    ([2] * 11 + [3], 36),
]


@pytest.mark.parametrize("levels,n", CASES)
def test_constructions_have_strength_2(levels, n):
    oa = oarrays.construct(levels, n)
    assert oa is not None, f"no construction for {levels} in {n} runs"
    assert oa.array.shape == (n, len(levels))
    assert strength2(oa.array, levels)
    assert oarrays.is_strength2(oa.array, levels)


def test_randomised_column_choice_keeps_strength_2():
    rng = np.random.default_rng(3)
    for levels, n in CASES[:12]:
        for _ in range(3):
            oa = oarrays.construct(levels, n, rng)
            assert strength2(oa.array, levels)


@pytest.mark.parametrize("levels,n", [([2] * 4, 4), ([3] * 5, 9), ([4] * 6, 16), ([2, 3], 4),
                                      ([3, 3], 6), ([2] * 12, 12)])
def test_impossible_arrays_are_refused(levels, n):
    assert oarrays.construct(levels, n) is None


def test_checker_finds_defects():
    good = oarrays.construct([3, 3, 3], 9).array
    assert oarrays.strength2_problems(good, [3, 3, 3]) == []
    bad = good.copy()
    bad[0, 2] = (bad[0, 2] + 1) % 3  # unbalances column 2 and two pairs
    assert oarrays.strength2_problems(bad, [3, 3, 3])
    assert not strength2(bad, [3, 3, 3])
    # balanced columns but dependent: column 1 = column 0
    dep = np.column_stack([good[:, 0], good[:, 0]])
    assert oarrays.strength2_problems(dep, [3, 3])
    assert not strength2(dep, [3, 3])


@pytest.mark.parametrize("n", [2, 4, 8, 12, 16, 20, 24, 32, 40, 44, 48])
def test_hadamard_matrices(n):
    H = oarrays.hadamard(n)
    assert H is not None
    assert (H @ H.T == n * np.eye(n)).all()


@pytest.mark.parametrize("levels,m,n_sets", [
    ([2, 2, 2], 2, 4), ([2] * 4, 2, 8), ([3] * 4, 3, 9), ([3] * 4, 2, 9), ([4, 2, 2], 2, 24),
    ([2, 2, 2], 3, 4), ([3, 3, 2, 2], 2, 36), ([4, 4, 4], 3, 16), ([5, 5, 5], 4, 25),
    ([2] * 6, 2, 12), ([3, 3, 3], 3, None)])
def test_arrays_behind_street_burgess_designs(levels, m, n_sets):
    """The array a Street-Burgess design uses has strength 2, and its runs are the sets'
    first alternatives minus the generator."""
    plan = street_burgess_plan(levels, m, n_sets, 1, np.random.default_rng(0))
    assert plan is not None
    sets, _blocks, info, oa = plan
    runs = oa.array[:, :len(levels)]
    assert strength2(oa.array, list(oa.levels))
    n = len(runs)
    assert len(sets) == n * info["copies"]
    for t, g in enumerate(info["generators"]):
        g = np.asarray(g)
        back = (sets[t * n:(t + 1) * n, 0, :] - g[0]) % np.asarray(levels)
        assert (back == runs).all()
