"""Trade-offs: delta method against Krinsky-Robb, Poe's test against brute force."""

import numpy as np
import pytest

from dce.analysis.wtp import contrasts, poe_p_value, value
from dce.core.attributes import Attribute
from dce.models.results import FitResult


def _result(params, vcov, terms, group="g"):
    return FitResult(terms=tuple(terms), params=np.array(params), vcov=np.array(vcov),
                     se_type="classic", loglik=-1.0, null_loglik=-2.0, n_obs=1, n_sets=1,
                     n_respondents=1, converged=True, iterations=1, engine="native",
                     group=group)


ATTRS = (Attribute("quality", "Q", "effects", ("Low", "Medium", "High")),
         Attribute("cost", "C", "linear", (0, 10, 20, 30)))
TERMS = ["quality[Medium]", "quality[High]", "cost"]


def test_contrasts_value_levels_against_reference():
    names, C = contrasts(TERMS, ATTRS, "cost")
    assert names == ["quality[Medium]", "quality[High]"]
    # effects coding: Medium - Low = b_M - (-b_M - b_H) = 2 b_M + b_H
    np.testing.assert_array_equal(C, [[2, 1, 0], [1, 2, 0]])


def test_delta_and_krinsky_robb_agree_when_well_estimated():
    V = np.diag([0.02, 0.02, 0.0004]) ** 2 * 1.0
    V[0, 1] = V[1, 0] = -0.5 * 0.02 * 0.02 * 0.02
    res = _result([0.3, 0.6, -0.05], V, TERMS)
    t = value(res, ATTRS, "cost", np.random.default_rng(1), draws=20000).table
    for _, row in t.iterrows():
        w_delta = row["delta_ci_upper"] - row["delta_ci_lower"]
        w_kr = row["kr_ci_upper"] - row["kr_ci_lower"]
        assert abs(w_kr - w_delta) < 0.1 * w_delta
        mid_gap = abs((row["kr_ci_upper"] + row["kr_ci_lower"]) / 2
                      - (row["delta_ci_upper"] + row["delta_ci_lower"]) / 2)
        assert mid_gap < 0.1 * w_delta
    # closed form of the point estimate: (2 b_M + b_H) / 0.05
    assert t.loc[0, "estimate"] == pytest.approx((2 * 0.3 + 0.6) / 0.05)


def test_warnings_for_weak_denominator_and_extrapolation():
    res = _result([0.3, 0.6, -0.01], np.diag([1e-4, 1e-4, 1e-4]), TERMS)
    out = value(res, ATTRS, "cost", np.random.default_rng(1), draws=500)
    assert any("includes zero" in w for w in out.warnings)
    assert any("reach beyond the tested range of cost (a span of 30)" in w
               for w in out.warnings)
    assert out.table["outside_tested_range"].all()


def test_extrapolation_is_judged_on_the_interval():
    # values 24 and 36 units of cost (span 30): the first lies inside, but its interval
    # (about 24 +- 13) reaches beyond 30, so both are extrapolations; a precise 12 is not
    V = np.diag([0.15, 0.15, 1e-8]) ** 2
    res = _result([0.2, 0.8, -0.05], V, TERMS)
    t = value(res, ATTRS, "cost", np.random.default_rng(1), draws=4000).table
    assert t["estimate"].round(6).tolist() == [24.0, 36.0]
    assert t.loc[0, "ci_upper"] > 30 > t.loc[0, "estimate"]
    assert t["outside_tested_range"].tolist() == [True, True]
    precise = value(_result([0.1, 0.4, -0.05], np.diag([1e-3, 1e-3, 1e-8]) ** 2, TERMS),
                    ATTRS, "cost", np.random.default_rng(1), draws=4000).table
    assert precise["outside_tested_range"].tolist() == [False, False]  # 12 and 18


def test_poe_matches_brute_force():
    rng = np.random.default_rng(5)
    x, y = rng.normal(1.0, 1, 300), rng.normal(0.6, 1, 250)
    d = x[:, None] - y[None, :]
    share = np.mean(d < 0)
    expected = 2 * min(share, 1 - share)
    assert poe_p_value(x, y) == pytest.approx(expected, abs=1e-12)
