"""Heterogeneity of a mixed logit (dce.analysis.mixed_heterogeneity).

References: Monte Carlo in the test (a million simulated individuals drawn with numpy from
the stated distributions) for the closed-form moments and shares; the contrasts of effects
and dummy coding written out by hand.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

from dce.analysis import mixed_heterogeneity as mh
from dce.core.attributes import Attribute
from dce.core.coding import ChoiceData
from dce.models import mixed
from dce.models.mixed_post import population_draws

TERMS = ("q[b]", "q[c]", "w", "r[yes]")
ATTRS = [Attribute(name="q", levels=("a", "b", "c")),                 # effects, ref a
         Attribute(name="w", coding="linear", levels=(1, 2, 4)),
         Attribute(name="r", levels=("no", "yes"), coding="dummy")]


def data_of(n_resp=30, n_tasks=4, seed=0):
    rng = np.random.default_rng(seed)
    K = len(TERMS)
    X = rng.normal(size=(n_resp * n_tasks * 2, K))
    chosen = np.tile([1.0, 0.0], n_resp * n_tasks)
    S = n_resp * n_tasks
    return ChoiceData(X=X, chosen=chosen, set_start=np.arange(0, 2 * S + 1, 2, dtype=np.int64),
                      respondent=np.repeat(np.arange(n_resp), n_tasks).astype(np.int64),
                      respondent_ids=np.arange(n_resp), group=np.array(["g"] * S, dtype=object),
                      alternative=np.tile([1, 2], S).astype(np.int64), terms=TERMS)


def fit_with(random, correlated, params):
    """A MixedFitResult of the given shape, with the given parameters and a small vcov."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = mixed.fit(data_of(), random=random, correlated=correlated, draws=8,
                      seed_seq=np.random.SeedSequence(0), covariance=False, max_iter=2)
    P = len(f.params)
    assert len(params) == P
    return replace(f, params=np.asarray(params, float), vcov=np.eye(P) * 1e-4)


def simulate(fit, n=1_000_000, seed=1):
    """Individuals' coefficients (n, K) drawn directly from the model's distributions."""
    rng = np.random.default_rng(seed)
    K, th = fit.n_means, fit.params
    rand = [TERMS.index(t) for t, _ in fit.distributions]
    kinds = [d for _, d in fit.distributions]
    R = len(rand)
    if fit.correlated:
        L = np.zeros((R, R))
        L[np.tril_indices(R)] = th[K:]
        C = rng.standard_normal((n, R)) @ L.T
    else:
        e = np.column_stack([rng.triangular(-1, 0, 1, n) if kd == "triangular"
                             else rng.standard_normal(n) for kd in kinds])
        C = e * th[K:]
    B = np.tile(th[:K], (n, 1))
    for i, k in enumerate(rand):
        c = th[k] + C[:, i]
        B[:, k] = np.exp(c) if kinds[i] == "lognormal" else c
    return B


def test_contrasts_of_effects_dummy_and_linear_terms():
    fit = fit_with({"q[b]": "normal", "w": "normal"}, False, [0.1, 0.2, -0.3, 0.4, 0.5, 0.6])
    rows, C = mh.contrasts(fit, ATTRS)
    # q: b vs a = b - (-b - c) = 2b + c; c vs a = b + 2c (both involve the random q[b]);
    # w per unit; r[yes] is fixed and left out
    assert [r["term"] for r in rows] == ["q[b]", "q[c]", "w"]
    assert [(r["level"], r["reference"]) for r in rows] == [("b", "a"), ("c", "a"), ("", "")]
    np.testing.assert_array_equal(C, [[2, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0]])


@pytest.mark.parametrize("random,correlated,params", [
    ({"q[b]": "normal", "w": "lognormal", "r[yes]": "triangular"}, False,
     [0.3, -0.2, -1.0, 0.8, 0.7, 0.5, 1.2]),
    ({"q[b]": "normal", "q[c]": "lognormal", "w": "normal"}, True,
     [0.3, -0.5, -0.6, 0.2, 0.8, 0.4, 0.5, -0.3, 0.2, 0.6]),
])
def test_moments_and_shares_match_monte_carlo(random, correlated, params):
    fit = fit_with(random, correlated, params)
    B = simulate(fit)
    m, V, _ = mh.moments(fit)
    np.testing.assert_allclose(m[0], B.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(V[0], np.cov(B.T), atol=0.02)
    rows, C = mh.contrasts(fit, ATTRS)
    z = population_draws(fit, 400_000, np.random.default_rng(3))  # mixtures are simulated
    shares = mh.shares(fit, C, z=z)[0]
    np.testing.assert_allclose(shares, (B @ C.T > 0).mean(axis=0), atol=0.005)


def test_lognormal_alone_has_a_fixed_sign_and_mixtures_are_simulated():
    fit = fit_with({"q[b]": "normal", "w": "lognormal"}, False, [0.3, -0.2, -1.0, 0.8, 0.7, 0.5])
    rows, C = mh.contrasts(fit, ATTRS)
    s = mh.shares(fit, C)[0]
    assert s[2] == 1.0                       # w: exp(.) > 0 for everyone
    C2 = np.array([[1.0, 0, 1.0, 0]])        # normal + lognormal: no closed form
    with pytest.raises(ValueError, match="standard draws"):
        mh.shares(fit, C2)
    B = simulate(fit)
    z = population_draws(fit, 200_000, np.random.default_rng(4))
    np.testing.assert_allclose(mh.shares(fit, C2, z=z)[0], (B @ C2.T > 0).mean(), atol=0.005)


def test_table_intervals_and_columns():
    fit = fit_with({"r[yes]": "normal"}, False, [0.1, 0.2, -0.3, 0.4, 0.5])
    fit = replace(fit, vcov=np.diag([1e-4, 1e-4, 1e-4, 0.01, 0.04]))
    t1 = mh.heterogeneity_table(fit, ATTRS, np.random.default_rng(5), draws=4000)
    t2 = mh.heterogeneity_table(fit, ATTRS, np.random.default_rng(5), draws=4000)
    assert t1.equals(t2)
    assert list(t1.columns) == list(mh.COLUMNS)
    row = t1.iloc[0]
    assert (row["term"], row["distribution"]) == ("r[yes]", "normal")
    # dummy-coded normal term: mean mu (se 0.1), sd |s| (se 0.2), share Phi(mu / s)
    assert row["mean"] == pytest.approx(0.4) and row["sd"] == pytest.approx(0.5)
    assert row["mean_std_error"] == pytest.approx(0.1, rel=1e-6)
    assert row["sd_std_error"] == pytest.approx(0.2, rel=1e-6)
    assert row["sd_ci_lower"] == pytest.approx(0.5 - 1.959964 * 0.2, rel=1e-5)
    from scipy.stats import norm

    assert row["share_preferring"] == pytest.approx(norm.cdf(0.8))
    assert row["share_ci_lower"] < norm.cdf(0.8) < row["share_ci_upper"]
    # the interval of Phi(mu/s) under N(params, vcov), by direct simulation
    rng = np.random.default_rng(6)
    draws = norm.cdf(rng.normal(0.4, 0.1, 200_000) / np.abs(rng.normal(0.5, 0.2, 200_000)))
    lo, hi = np.quantile(draws, [0.025, 0.975])
    assert row["share_ci_lower"] == pytest.approx(lo, abs=0.01)
    assert row["share_ci_upper"] == pytest.approx(hi, abs=0.01)
