"""G-MNL, GMNL-II and S-MNL (dce.models.mixed_scale.Gmnl, through dce.models.mixed.fit).

References written here with plain numpy, independently of dce: the simulation of choices
with scale and taste heterogeneity (Fiebig et al. 2010, eq. 6) and a simulated panel
likelihood with full log-sum-exp over all alternatives. Recovery: fixed seeds, 2,000
respondents with 10 tasks and a 3-standard-error criterion on every parameter (tau, gamma
on its logit scale; about 0.3% failure per parameter under a correct estimator).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import expit

from dce.errors import ConfigError
from dce.models import mixed, mixed_post
from dce.models.mixed_likelihood import MixedLogit
from dce.models.mixed_scale import Gmnl, make_model
from tests.models.panel_helpers import assert_gradient_matches, panel_data, run_config

TERMS = ("x0", "x1", "x2")


def simulate_gmnl(n_resp, n_tasks, n_alts, beta, sd, tau, gamma, seed):
    """beta_n = sigma beta + (gamma + (1 - gamma) sigma) eta, eta ~ N(0, diag(sd^2)),
    sigma = exp(-tau^2/2 + tau e); x0 binary, x1 and x2 standard normal."""
    rng = np.random.default_rng(seed)
    K = len(beta)
    X = rng.normal(size=(n_resp, n_tasks, n_alts, K))
    X[..., 0] = rng.integers(0, 2, size=(n_resp, n_tasks, n_alts))
    eta = rng.standard_normal((n_resp, K)) * np.asarray(sd)
    sigma = np.exp(-tau * tau / 2 + tau * rng.standard_normal(n_resp))[:, None]
    B = sigma * np.asarray(beta) + (gamma + (1 - gamma) * sigma) * eta
    U = np.einsum("ntjk,nk->ntj", X, B) + rng.gumbel(size=(n_resp, n_tasks, n_alts))
    chosen = U == U.max(axis=2, keepdims=True)
    return panel_data(X, chosen, TERMS)


def reference_loglik(data, mu, sd_rand, rand, tau, gamma, Z, e):
    """Plain-numpy G-MNL panel log-likelihood; Z (N, R, D) taste draws of the terms
    ``rand``, e (N, D) scale draws."""
    N, D = data.n_respondents, e.shape[1]
    J = data.set_sizes[0]
    K = len(mu)
    X = data.X.reshape(N, -1, J, K)
    y = data.chosen.reshape(N, -1, J)
    eta = np.zeros((N, K, D))
    eta[:, rand] = np.asarray(sd_rand)[None, :, None] * Z
    sigma = np.exp(-tau * tau / 2 + tau * e)[:, None, :]
    B = sigma * np.asarray(mu)[None, :, None] + (gamma + (1 - gamma) * sigma) * eta
    V = np.einsum("ntjk,nkd->ntjd", X, B)
    logp = V - np.log(np.exp(V).sum(axis=2, keepdims=True))
    ll_d = (y[..., None] * logp).sum(axis=(1, 2))
    return float(np.log(np.exp(ll_d).mean(axis=1)).sum())


def quiet_fit(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mixed.fit(data, seed_seq=np.random.SeedSequence(4), **kw)


@pytest.fixture(scope="module")
def gmnl_fit():
    data = simulate_gmnl(2000, 10, 3, beta=(1.0, -1.0, 0.5), sd=(1.0, 0.0, 0.6), tau=0.8,
                         gamma=0.3, seed=21)
    res = quiet_fit(data, random={"x0": "normal", "x2": "normal"}, draws=200,
                    scale_heterogeneity="gmnl")
    return data, res


def test_gmnl_names_and_recovery_within_3_se(gmnl_fit):
    _, res = gmnl_fit
    assert res.terms == ("x0", "x1", "x2", "sd[x0]", "sd[x2]", "tau", "logit[gamma]")
    assert res.converged
    truth = np.array([1.0, -1.0, 0.5, 1.0, 0.6, 0.8, np.log(0.3 / 0.7)])
    z = (res.params - truth) / res.bse
    assert np.all(np.abs(z) < 3), dict(zip(res.terms, z))


def test_gmnl_reference_likelihood_at_optimum(gmnl_fit):
    data, res = gmnl_fit
    m = make_model(data, res.random, scale_heterogeneity="gmnl", draws=200,
                   seed_seq=np.random.SeedSequence(4))
    p = res.params
    ref = reference_loglik(data, p[:3], p[3:5], [0, 2], p[5], expit(p[6]), m.Z, m.Zx[:, 0])
    assert ref == pytest.approx(res.loglik, rel=1e-8, abs=1e-8)


def test_smnl_recovers_tau_within_3_se():
    data = simulate_gmnl(1500, 10, 3, beta=(1.0, -1.0, 0.5), sd=(0, 0, 0), tau=0.9, gamma=0,
                         seed=22)
    res = quiet_fit(data, random={}, draws=200, scale_heterogeneity="smnl")
    assert res.terms == ("x0", "x1", "x2", "tau") and res.converged
    z = (res.params - np.array([1.0, -1.0, 0.5, 0.9])) / res.bse
    assert np.all(np.abs(z) < 3), dict(zip(res.terms, z))
    m = make_model(data, {}, scale_heterogeneity="smnl", draws=200,
                   seed_seq=np.random.SeedSequence(4))
    ref = reference_loglik(data, res.params[:3], [], [], res.params[3], 0.0,
                           m.Z, m.Zx[:, 0])
    assert ref == pytest.approx(res.loglik, rel=1e-8, abs=1e-8)


def test_gmnl2_recovers_within_3_se():
    data = simulate_gmnl(1500, 10, 3, beta=(1.0, -1.0, 0.5), sd=(0.8, 0, 0), tau=0.7,
                         gamma=0.0, seed=23)
    res = quiet_fit(data, random={"x0": "normal"}, draws=200, scale_heterogeneity="gmnl2")
    assert res.terms == ("x0", "x1", "x2", "sd[x0]", "tau") and res.converged
    z = (res.params - np.array([1.0, -1.0, 0.5, 0.8, 0.7])) / res.bse
    assert np.all(np.abs(z) < 3), dict(zip(res.terms, z))


def test_tau_zero_is_the_mixed_logit(gmnl_fit):
    data, _ = gmnl_fit
    sub = data.select_sets(data.respondent < 200)
    seed = np.random.SeedSequence(9)
    g = Gmnl(sub, {"x0": "normal", "x2": "triangular"}, variant="gmnl", draws=50,
             seed_seq=seed)
    ml = MixedLogit(sub, {"x0": "normal", "x2": "triangular"}, draws=50, seed_seq=seed)
    ml.Z = g.Z                                    # the same taste draws
    mix = np.array([0.9, -0.8, 0.4, 0.7, 0.5])
    for logit_gamma in (-2.0, 0.0, 3.0):
        theta = np.r_[mix, 0.0, logit_gamma]
        ll_g, s_g = g.loglik_and_gradient(theta)
        ll_m, s_m = ml.loglik_and_gradient(mix)
        assert ll_g == pytest.approx(ll_m, rel=1e-12)
        np.testing.assert_allclose(s_g[:5], s_m, rtol=1e-9, atol=1e-9)


def test_gradient_matches_numerical_derivatives(gmnl_fit):
    data, _ = gmnl_fit
    sub = data.select_sets(data.respondent < 80)
    cases = [("gmnl", {"x0": "normal", "x2": "triangular"}, False),
             ("gmnl", {"x0": "normal", "x2": "normal"}, True),
             ("gmnl2", {"x0": "normal"}, False), ("smnl", {}, False)]
    for variant, random, correlated in cases:
        m = Gmnl(sub, random, variant=variant, draws=64, correlated=correlated,
                 seed_seq=np.random.SeedSequence(1))
        assert_gradient_matches(m, 3, 0.4)


def test_population_coefficients_and_moments(gmnl_fit):
    _, res = gmnl_fit
    z = mixed_post.population_draws(res, 200_000, np.random.default_rng(1))
    assert z.shape == (200_000, 3)
    B = mixed_post.individual_coefficients(res, z)
    p = res.params
    sigma = np.exp(-p[5] ** 2 / 2 + p[5] * z[:, 2])
    g = expit(p[6])
    np.testing.assert_allclose(B[:, 1], sigma * p[1])
    np.testing.assert_allclose(B[:, 0], sigma * p[0] + (g + (1 - g) * sigma) * p[3] * z[:, 0])
    mom = mixed_post.population_moments(res).set_index(["term", "statistic"]).estimate
    assert mom["x0", "mean"] == pytest.approx(B[:, 0].mean(), abs=0.02)
    assert mom["x0", "sd"] == pytest.approx(B[:, 0].std(), rel=0.02)


def test_bad_variants_raise_config_errors(gmnl_fit):
    data, _ = gmnl_fit
    seed = np.random.SeedSequence(0)
    with pytest.raises(ConfigError, match="smnl has scale heterogeneity only"):
        make_model(data, {"x0": "normal"}, scale_heterogeneity="smnl", seed_seq=seed)
    with pytest.raises(ConfigError, match="needs random terms"):
        make_model(data, {}, scale_heterogeneity="gmnl", seed_seq=seed)
    with pytest.raises(ConfigError, match="lognormal"):
        make_model(data, {"x0": "lognormal"}, scale_heterogeneity="gmnl2", seed_seq=seed)
    with pytest.raises(ConfigError, match="scale_heterogeneity: expected one of"):
        make_model(data, {"x0": "normal"}, scale_heterogeneity="gmnl3", seed_seq=seed)


PIPELINE = """
schema_version: 1
name: gmnl_run
seed: 3
attributes:
  quality: {levels: [low, high]}
  wait: {levels: [1, 2, 4], coding: linear}
design: {method: random, alternatives: 3, tasks: 8}
simulate:
  groups:
    g: {respondents: 200, utilities: {quality: {low: 0, high: 0.8}, wait: -0.3}}
model:
  type: mixed_logit
  random: {"quality[high]": normal}
  draws: 50
  scale_heterogeneity: gmnl2
importance: {draws: 100}
"""


def test_pipeline_reports_tau(tmp_path):
    est, report = run_config(tmp_path, PIPELINE)
    assert list(est.index) == ["quality[low]", "quality[high]", "wait",
                               "sd[quality[high]]", "tau"]
    assert abs(est.estimate["wait"] + 0.3) < 3 * est.std_error["wait"] + 0.05
    assert "G-MNL-II" in report and "Fiebig" in report


def test_gmnl2_with_fixed_price_equals_wtp_space_with_lognormal_price():
    """Both models give beta_n = sigma_n (mu + eta_n) with a lognormal common factor: in WTP
    space lambda = -beta_price sigma, w = (mu + eta) / -beta_price. Same draws (the scale
    draw is the last dimension in both), so the optima coincide."""
    data = simulate_gmnl(300, 8, 3, beta=(1.0, 0.6, -1.0), sd=(0.7, 0, 0), tau=0.6,
                         gamma=0.0, seed=24)
    seed = np.random.SeedSequence(6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g2 = mixed.fit(data, random={"x0": "normal"}, draws=100, seed_seq=seed,
                       scale_heterogeneity="gmnl2")
        wtp = mixed.fit(data, random={"x0": "normal", "x2": "lognormal"}, draws=100,
                        seed_seq=seed, space="wtp", price="x2")
    assert wtp.loglik == pytest.approx(g2.loglik, abs=1e-5)
    mu, sd0, tau = g2.params[:3], g2.params[3], g2.params[4]
    p = -mu[2]
    mapped = [mu[0] / p, mu[1] / p, np.log(p) - tau ** 2 / 2, sd0 / p, tau]
    np.testing.assert_allclose(wtp.params, mapped, rtol=1e-3, atol=1e-4)
