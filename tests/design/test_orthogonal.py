"""`method: orthogonal`: Street-Burgess designs reach the closed-form optimum.

The optimum is computed here independently of dce (design_refs): S_q by enumeration, the
level-space information of an optimal design by hand, effects codes by hand.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from design_refs import (
    coded_sets,
    d_error,
    effects_spec,
    make_study,
    max_pairs_brute,
    street_burgess_optimal_d_error,
)

from dce.design import build
from dce.design.diagnostics import max_differing_pairs, street_burgess_det_opt
from dce.design.methods import allowed_mask
from dce.design.orthogonal import DesignWarning
from dce.design.street_burgess import generator_family

SB_CASES = [  # levels, alternatives, sets, optimal D-error quoted in the issue (or None)
    ([2, 2, 2], 2, 4, 0.25),
    ([2, 2, 2, 2], 2, 8, 0.125),
    ([3, 3, 3, 3], 3, 9, 0.192450),
    ([3, 3, 3, 3], 2, 9, 0.256600),
    ([4, 2, 2], 2, 24, None),       # 4 levels in pairs: three copies of the array
    ([2, 2, 2], 3, 4, None),        # more alternatives than levels
    ([4, 4, 4], 3, 16, None),
    ([5, 3, 3], 3, 90, None),      # 5 levels in triples: a difference family, two copies
]


@pytest.mark.parametrize("levels,m,n_sets,quoted", SB_CASES)
def test_street_burgess_designs_are_optimal(levels, m, n_sets, quoted):
    study = make_study(levels, m, n_sets, method="orthogonal")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a construction exists: no fallback warning
        design = build(study)
    diag = design.diagnostics
    assert diag["construction"]["type"] == "street-burgess"
    optimum = street_burgess_optimal_d_error(levels, m, n_sets)
    if quoted is not None:
        assert optimum == pytest.approx(quoted, abs=5e-7)
    ours = d_error(coded_sets(design.table, effects_spec(study)), np.zeros(len(diag["terms"])))
    assert ours == pytest.approx(optimum, rel=1e-9)
    assert diag["d_efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert diag["street_burgess"]["applies"]
    # every task shows distinct profiles, and no task repeats
    gen = design.table
    for _, g in gen.groupby(["block", "task"]):
        assert len(g.drop_duplicates([f"a{i}" for i in range(len(levels))])) == m
    assert diag["construction"]["repeated_sets"] == 0


def test_closed_form_matches_design_d_efficiency():
    """det C_opt of the diagnostics agrees with the independent optimum (via D-error)."""
    for levels, m, n_sets, _ in SB_CASES:
        L = math.prod(levels)
        # effects-coded info = N * L * (T' B'-scaling) ... compare through D-error ratios:
        # the optimal D-error of a design with N sets and of one with 2N sets differ by 2
        a = street_burgess_optimal_d_error(levels, m, n_sets)
        b = street_burgess_optimal_d_error(levels, m, 2 * n_sets)
        assert a / b == pytest.approx(2.0)
        for nl in set(levels):
            assert max_differing_pairs(nl, m) == max_pairs_brute(nl, m)
        expected = math.prod((2 * nl * max_pairs_brute(nl, m) / (m * m * (nl - 1) * L)) ** (nl - 1)
                             for nl in levels)
        assert street_burgess_det_opt(levels, m) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("nl,m", [(nl, m) for nl in range(2, 8) for m in range(2, 7)])
def test_generator_families(nl, m):
    """Each shift set has the most differing pairs; together every nonzero difference of
    shifts occurs equally often."""
    family = generator_family(nl, m)
    S = max_pairs_brute(nl, m)
    diffs = np.zeros(nl, dtype=int)
    for shifts in family:
        assert len(shifts) == m
        assert sum(a != b for a, b in itertools.combinations(shifts, 2)) == S
        for a, b in itertools.permutations(range(m), 2):
            diffs[(shifts[a] - shifts[b]) % nl] += 1
    assert len(set(diffs[1:].tolist())) == 1


def test_orthogonal_without_tasks_picks_the_smallest_design():
    study = make_study([2, 2, 2], 2, None, method="orthogonal")
    design = build(study)
    assert design.diagnostics["n_choice_sets"] == 4
    assert design.diagnostics["d_efficiency"] == pytest.approx(1.0, abs=1e-9)


def test_orthogonal_blocks_are_level_balanced():
    study = make_study([2, 2, 2, 2], 2, 4, method="orthogonal", blocks=2)
    design = build(study)
    diag = design.diagnostics
    assert diag["d_efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert diag["construction"]["blocking"] == "an orthogonal blocking column"
    for block in diag["level_balance_by_block"].values():
        for counts in block.values():
            assert len(set(counts.values())) == 1


def test_no_construction_warns_and_falls_back():
    study = make_study([4, 3, 3, 2, 2], 3, 12, method="orthogonal")
    with pytest.warns(DesignWarning, match="no orthogonal-array construction.*72"):
        design = build(study)
    diag = design.diagnostics
    assert diag["fallback"]["used"] == "d-efficient"
    assert diag["method"] == "d-efficient" and diag["method_requested"] == "orthogonal"
    assert "72" in diag["fallback"]["reason"]
    assert diag["n_choice_sets"] == 12
    assert diag["d_efficiency"] > 0.98


def test_orthogonal_with_exclusions_falls_back_and_respects_them():
    study = make_study([3, 3, 3, 3], 3, 9, method="orthogonal",
                       exclude=[{"a0": "L1", "a1": "L1"}])
    with pytest.warns(DesignWarning, match="exclude"):
        design = build(study)
    table = design.table
    prof = np.column_stack([a.index_of(table[a.name].tolist()) for a in study.attributes])
    assert allowed_mask(prof, study.attributes, study.spec.design.exclude).all()
    assert design.diagnostics["fallback"]["requested"] == "orthogonal"
