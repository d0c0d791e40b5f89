"""Importance shares in closed form; uptake shares as logit probabilities."""

import numpy as np
import pytest

from dce.analysis.importance import partworth_maps, rank, shares
from dce.analysis.uptake import predict
from dce.config.schema import ScenariosSpec
from dce.core.attributes import Attribute
from dce.models.results import FitResult

ATTRS = (Attribute("q", "Q", "effects", ("a", "b", "c")),
         Attribute("s", "S", "dummy", ("no", "yes")),
         Attribute("w", "W", "linear", (1, 4, 12)))
TERMS = ("q[b]", "q[c]", "s[yes]", "w", "asc[opt_out]")


def _result(params, vcov=None):
    vcov = np.eye(len(params)) * 1e-4 if vcov is None else vcov
    return FitResult(terms=TERMS, params=np.array(params, float), vcov=vcov,
                     se_type="classic", loglik=-1, null_loglik=-2, n_obs=1, n_sets=1,
                     n_respondents=1, converged=True, iterations=1, engine="native")


def test_shares_closed_form():
    b = np.array([0.2, 0.5, -0.4, -0.05, 1.0])
    # q levels: a = -(0.2 + 0.5) = -0.7, b = 0.2, c = 0.5 -> range 1.2
    # s: no = 0, yes = -0.4 -> range 0.4; w: 0.05 * (12 - 1) = 0.55
    expected = np.array([1.2, 0.4, 0.55]) / 2.15
    got = shares(b, partworth_maps(TERMS, ATTRS))[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_rank_table_and_rank_probabilities():
    res = _result([0.2, 0.5, -0.4, -0.05, 1.0])
    t = rank(res, ATTRS, np.random.default_rng(0), draws=4000).table
    assert list(t["rank"]) == [1, 3, 2]
    assert t.loc[0, "prob_rank_1"] == 1.0  # quality is far ahead with tiny errors
    assert abs(t["importance"].sum() - 1) < 1e-12
    delta = rank(res, ATTRS, np.random.default_rng(0), draws=4000, intervals="delta").table
    width_kr = t["ci_upper"] - t["ci_lower"]
    width_delta = delta["ci_upper"] - delta["ci_lower"]
    np.testing.assert_allclose(width_kr, width_delta, rtol=0.1)


def test_uptake_is_the_logit_probability():
    res = _result([0.2, 0.5, -0.4, -0.05, 1.0])
    spec = ScenariosSpec.model_validate({"opt_out": True, "alternatives": [
        {"name": "x", "levels": {"q": "c", "s": "yes", "w": 4}},
        {"name": "y", "levels": {"q": "a", "s": "no", "w": 1}}]})
    out = predict(res, ATTRS, spec, np.tile(res.params, (10, 1)))
    v = np.array([0.5 - 0.4 - 0.2, -0.7 + 0 - 0.05, 1.0])
    expected = np.exp(v) / np.exp(v).sum()
    np.testing.assert_allclose(out["share"], expected, rtol=1e-12)
    assert list(out["scenario"]) == ["x", "y", "(opt out)"]
    assert out["share"].sum() == pytest.approx(1)
