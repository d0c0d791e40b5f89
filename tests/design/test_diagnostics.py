"""Design diagnostics: Street-Burgess efficiency, S-estimates, identification, old keys."""

from __future__ import annotations

import numpy as np
import pytest
from design_refs import coded_sets, d_error, effects_spec, make_study, mnl_information
from design_refs import street_burgess_optimal_d_error as sb_opt

from dce.design import build
from dce.design.diagnostics import diagnose

OLD_KEYS = {"method", "n_choice_sets", "blocks", "tasks_per_block", "alternatives", "opt_out",
            "terms", "priors", "d_error", "a_error", "d_error_zero_priors", "identified",
            "condition_number", "level_balance", "level_balance_by_block", "overlap",
            "attribute_correlations"}
NEW_KEYS = {"d_efficiency", "street_burgess", "s_estimates", "s_estimate_respondents",
            "db_error", "unidentified_terms"}


@pytest.mark.parametrize("levels,m,tasks", [([3, 3, 2], 2, 9), ([4, 2, 2], 3, 8),
                                            ([2, 2, 2, 2], 2, 8)])
def test_d_efficiency_of_any_design_is_the_ratio_to_the_optimum(levels, m, tasks):
    """For a random design too: D-efficiency = optimal D-error / D-error at b = 0."""
    study = make_study(levels, m, tasks, method="random")
    design = build(study)
    diag = design.diagnostics
    assert OLD_KEYS | NEW_KEYS <= set(diag)
    d0 = d_error(coded_sets(design.table, effects_spec(study)), np.zeros(len(diag["terms"])))
    assert diag["d_efficiency"] == pytest.approx(sb_opt(levels, m, tasks) / d0, rel=1e-9)
    assert diag["d_efficiency"] <= 1 + 1e-9


def test_efficiency_not_claimed_where_the_optimum_does_not_apply():
    linear = make_study(attributes={"a": {"levels": [1, 2, 3], "coding": "linear"},
                                    "b": {"levels": ["x", "y"]}}, tasks=6, method="random")
    diag = build(linear).diagnostics
    assert diag["d_efficiency"] is None
    assert "linear" in diag["d_efficiency_basis"]
    opt = make_study([3, 2], 2, 6, method="random", opt_out="None of these")
    diag = build(opt).diagnostics
    assert diag["d_efficiency"] is None
    assert "opt-out" in diag["street_burgess"]["reason"]


def test_s_estimates_match_plain_numpy():
    priors = {"a0[L2]": 0.4, "a0[L3]": -0.2, "a1[L2]": 0.3}
    study = make_study([3, 2, 2], 2, 6, blocks=2, priors=priors, starts=2)
    design = build(study)
    diag = design.diagnostics
    beta = np.array([priors.get(t, 0.0) for t in diag["terms"]])
    avc = np.linalg.inv(mnl_information(coded_sets(design.table, effects_spec(study)), beta))
    for k, t in enumerate(diag["terms"]):
        if beta[k] == 0:
            assert diag["s_estimates"][t] is None
        else:
            expected = 2 * 1.959963984540054 ** 2 * avc[k, k] / beta[k] ** 2
            assert diag["s_estimates"][t] == pytest.approx(expected, rel=1e-9)
    known = [v for v in diag["s_estimates"].values() if v is not None]
    assert diag["s_estimate_respondents"] == int(np.ceil(max(known)))


def test_unidentified_terms_are_named_in_diagnostics():
    study = make_study([3, 2], 2, 4, method="random")
    design = build(study)
    table = design.table.copy()
    table.loc[table["is_opt_out"] == 0, "a0"] = "L1"  # a0 never varies
    diag = diagnose(table, study)
    assert not diag["identified"]
    assert diag["unidentified_terms"] == ["a0[L2]", "a0[L3]"]
    assert diag["d_efficiency"] == 0.0
