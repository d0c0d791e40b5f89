"""Whole-set constraints: no dominated alternative (by the priors), limited overlap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from design_refs import make_study

from dce.design import build
from dce.design.constraints import dominated, overlap, partworths
from dce.errors import ConfigError

STRONG = {"a0[L2]": 0.8, "a0[L3]": 1.6, "a1[L2]": 0.9, "a2[L2]": -0.7, "a3[L2]": 0.6}


def level_sets(design, study):
    gen = design.table[design.table["is_opt_out"] == 0]
    return np.stack([np.column_stack([a.index_of(g[a.name].tolist()) for a in study.attributes])
                     for _, g in gen.groupby(["block", "task"])])


def dominated_by_hand(prof_set, utilities):
    """Some alternative at least as good on every attribute, better on one."""
    for a, b in itertools.permutations(range(len(prof_set)), 2):
        ua = [utilities[q][prof_set[a][q]] for q in range(len(utilities))]
        ub = [utilities[q][prof_set[b][q]] for q in range(len(utilities))]
        if all(x >= y for x, y in zip(ua, ub, strict=True)) and any(
                x > y for x, y in zip(ua, ub, strict=True)):
            return True
    return False


def test_dominance_and_overlap_functions():
    pw = [np.array([0.0, 1.0, 2.0]), np.array([0.0, -1.0]), None]
    sets = np.array([
        [[2, 0, 0], [1, 1, 0]],   # first better on both known attributes, same unknown
        [[2, 0, 0], [1, 1, 1]],   # differ on the attribute without a prior: no order
        [[2, 1, 0], [1, 0, 0]],   # trade-off
        [[1, 0, 1], [1, 0, 0]],   # same on known ones, differ on unknown
    ])
    assert dominated(sets, pw).tolist() == [True, False, False, False]
    assert overlap(sets).tolist() == [1, 0, 1, 2]


@pytest.mark.parametrize("method", ["d-efficient", "bayesian"])
def test_searched_designs_respect_dominance_and_overlap(method):
    priors = STRONG if method == "d-efficient" else {
        k: {"mean": v, "sd": 0.2} for k, v in STRONG.items()}
    study = make_study([3, 2, 2, 2], 3, 8, method=method, priors=priors, no_dominance=True,
                       max_overlap=0, starts=2, prior_draws=16)
    design = build(study)
    diag = design.diagnostics
    assert diag["dominated_tasks"] == 0
    assert diag["max_overlap"] == 0
    terms = diag["terms"]
    utilities = [a.level_matrix() @ np.array([STRONG.get(t, 0.0) for t in a.terms])
                 for a in study.attributes]
    assert all(set(terms) >= set(a.terms) for a in study.attributes)
    for s in level_sets(design, study):
        assert not dominated_by_hand(s.tolist(), utilities)
        assert all(len(set(s[:, q])) > 1 for q in range(s.shape[1]))


def test_unconstrained_search_can_show_dominance():
    """The same request without the constraint gives a dominated task (so the test above
    is not vacuous)."""
    study = make_study([3, 2, 2, 2], 3, 8, priors=STRONG, starts=2, method="random")
    design = build(study)
    pw = partworths(study.attributes, design.diagnostics["terms"],
                    [STRONG.get(t, 0.0) for t in design.diagnostics["terms"]])
    assert dominated(level_sets(design, study), pw).any()


@pytest.mark.parametrize("design,message", [
    ({"method": "random", "no_dominance": True, "priors": {"a0[L2]": 1.0}},
     "applies to methods"),
    ({"method": "d-efficient", "no_dominance": True}, "needs priors"),
])
def test_config_checks(design, message):
    with pytest.raises(ConfigError, match=message):
        make_study([3, 2], 2, 4, **design)
