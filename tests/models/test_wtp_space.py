"""Mixed logit in WTP space (dce.models.mixed_scale.WtpSpace, through dce.models.mixed.fit).

References written here with plain numpy, independently of dce: the simulation of choices
in WTP space, and a simulated panel likelihood that loops over nothing but uses full
log-sum-exp over all alternatives (dce uses differences to the chosen alternative). Recovery:
a fixed seed, 1,500 respondents and a 3-standard-error criterion (about 0.3% failure per
parameter under a correct estimator).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from dce.errors import ConfigError
from dce.models import mixed, mixed_post
from dce.models.mixed_scale import WtpSpace, make_model
from tests.models.panel_helpers import assert_gradient_matches, panel_data, run_config

TERMS = ("quality", "waiting", "cost")


def simulate_wtp(n_resp, n_tasks, n_alts, wtp, wtp_sd, lam_mu, lam_sd, seed):
    """Choices with ``U = lambda (w . x - cost) + Gumbel``; w_0 normal, w_1 fixed,
    ``lambda = exp(lam_mu + lam_sd z)``; cost uniform on [0, 4]."""
    rng = np.random.default_rng(seed)
    X = np.empty((n_resp, n_tasks, n_alts, 3))
    X[..., 0] = rng.integers(0, 2, size=(n_resp, n_tasks, n_alts))
    X[..., 1] = rng.normal(size=(n_resp, n_tasks, n_alts))
    X[..., 2] = rng.uniform(0, 4, size=(n_resp, n_tasks, n_alts))
    w = np.c_[wtp[0] + wtp_sd * rng.standard_normal(n_resp), np.full(n_resp, wtp[1])]
    lam = np.exp(lam_mu + lam_sd * rng.standard_normal(n_resp))
    B = np.c_[lam[:, None] * w, -lam]
    U = np.einsum("ntjk,nk->ntj", X, B) + rng.gumbel(size=(n_resp, n_tasks, n_alts))
    chosen = U == U.max(axis=2, keepdims=True)
    return panel_data(X, chosen, TERMS)


def reference_loglik(data, theta, Z, lognormal_lambda):
    """Plain-numpy simulated panel log-likelihood in WTP space: theta = (w_quality, w_waiting,
    mu_lambda, sd_w_quality[, sd_lambda]); Z (N, R, D) the standard draws (quality first)."""
    N, D = data.n_respondents, Z.shape[2]
    J = data.set_sizes[0]
    X = data.X.reshape(N, -1, J, 3)
    y = data.chosen.reshape(N, -1, J)
    wq = theta[0] + theta[3] * Z[:, 0]                               # (N, D)
    lam = np.exp(theta[2] + theta[4] * Z[:, 1]) if lognormal_lambda else np.full((N, D),
                                                                                 theta[2])
    V = lam[:, None, None] * (X[..., 0, None] * wq[:, None, None] + X[..., 1, None] * theta[1]
                              - X[..., 2, None])                     # (N, T, J, D)
    logp = V - np.log(np.exp(V).sum(axis=2, keepdims=True))
    ll_d = (y[..., None] * logp).sum(axis=(1, 2))                    # (N, D)
    return float(np.log(np.exp(ll_d).mean(axis=1)).sum())


@pytest.fixture(scope="module")
def fitted():
    data = simulate_wtp(1500, 8, 3, wtp=(1.5, -0.8), wtp_sd=0.8, lam_mu=0.0, lam_sd=0.5,
                        seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mixed.fit(data, random={"quality": "normal", "cost": "lognormal"}, draws=200,
                        space="wtp", price="cost", seed_seq=np.random.SeedSequence(5))
    return data, res


def test_names_and_recovery_within_3_se(fitted):
    _, res = fitted
    assert res.terms == ("quality", "waiting", "lambda", "sd[quality]", "sd[lambda]")
    assert res.converged and res.space == "wtp" and res.price == "cost"
    truth = np.array([1.5, -0.8, 0.0, 0.8, 0.5])
    z = (res.params - truth) / res.bse
    assert np.all(np.abs(z) < 3), dict(zip(res.terms, z))


def test_reference_likelihood_at_optimum(fitted):
    data, res = fitted
    model = make_model(data, res.random, space="wtp", price="cost", draws=200,
                       seed_seq=np.random.SeedSequence(5))
    ref = reference_loglik(data, res.params, model.Z, True)
    assert ref == pytest.approx(res.loglik, rel=1e-8, abs=1e-8)


def test_gradient_matches_numerical_derivatives(fitted):
    data, _ = fitted
    sub = data.select_sets(data.respondent < 80)
    for random in ({"quality": "normal", "cost": "lognormal"}, {"quality": "triangular"}):
        for correlated in (False, True):
            if correlated and "cost" not in random:
                continue
            m = WtpSpace(sub, random, price="cost", draws=64, correlated=correlated,
                         seed_seq=np.random.SeedSequence(1))
            assert_gradient_matches(m, 2, 0.3)


def test_fixed_lambda_is_preference_space_reparameterised(fitted):
    data, _ = fitted
    sub = data.select_sets(data.respondent < 400)
    seed = np.random.SeedSequence(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pref = mixed.fit(sub, random={"quality": "normal"}, draws=100, seed_seq=seed)
        wtp = mixed.fit(sub, random={"quality": "normal"}, draws=100, seed_seq=seed,
                        space="wtp", price="cost")
    assert wtp.loglik == pytest.approx(pref.loglik, abs=1e-6)
    lam = -pref.params[2]
    mapped = np.r_[pref.params[:2] / lam, lam, pref.params[3] / lam]
    np.testing.assert_allclose(wtp.params, mapped, rtol=1e-4, atol=1e-6)


def test_population_coefficients_are_in_preference_space(fitted):
    _, res = fitted
    K, terms, _, _ = mixed_post.spec_of(res)
    assert terms == TERMS
    z = mixed_post.population_draws(res, 50_000, np.random.default_rng(0))
    B = mixed_post.individual_coefficients(res, z)
    lam = np.exp(res.params[2] + res.params[4] * z[:, 1])
    np.testing.assert_allclose(B[:, 2], -lam)
    np.testing.assert_allclose(B[:, 0], lam * (res.params[0] + res.params[3] * z[:, 0]))
    mom = mixed_post.population_moments(res)
    row = mom[(mom.term == "lambda") & (mom.statistic == "mean")]
    assert row.estimate.iloc[0] == pytest.approx(lam.mean(), rel=0.02)


def test_bad_settings_raise_located_config_errors(fitted):
    data, _ = fitted
    seed = np.random.SeedSequence(0)
    with pytest.raises(ConfigError, match="model.price"):
        make_model(data, {"quality": "normal"}, space="wtp", seed_seq=seed)
    with pytest.raises(ConfigError, match="not a model term"):
        make_model(data, {"quality": "normal"}, space="wtp", price="price", seed_seq=seed)
    with pytest.raises(ConfigError, match="fixed or lognormal"):
        make_model(data, {"cost": "normal"}, space="wtp", price="cost", seed_seq=seed)
    with pytest.raises(ConfigError, match="cannot be combined"):
        make_model(data, {"quality": "normal"}, space="wtp", price="cost",
                   scale_heterogeneity="gmnl", seed_seq=seed)
    for key, value in (("space", "wpt"), ("scale_heterogeneity", "gmnl3")):
        with pytest.raises(ConfigError) as err:
            make_model(data, {"quality": "normal"}, seed_seq=seed, **{key: value})
        [p] = err.value.problems  # the key once, then what was expected and found
        assert p.key == f"model.{key}" and p.message.startswith("expected one of ")
        assert p.message.endswith(f"got {value!r}")


PIPELINE = """
schema_version: 1
name: wtp_space
seed: 3
attributes:
  quality: {levels: [low, high]}
  wait: {levels: [1, 2, 4], coding: linear}
  price: {levels: [0, 10, 20, 40], coding: linear, cost: true}
design: {method: random, alternatives: 3, tasks: 8}
simulate:
  groups:
    g: {respondents: 200, utilities: {quality: {low: 0, high: 0.8}, wait: -0.3, price: -0.05}}
model:
  type: mixed_logit
  random: {"quality[high]": normal, price: lognormal}
  draws: 50
  space: wtp
  price: price
importance: {draws: 100}
"""


def test_pipeline_reports_wtps_and_lambda(tmp_path):
    est, report = run_config(tmp_path, PIPELINE)
    assert list(est.index) == ["quality[low]", "quality[high]", "wait", "lambda",
                               "sd[quality[high]]", "sd[lambda]"]
    # true values: wait -0.3 / 0.05 = -6 per unit of price; log lambda = log 0.05
    assert abs(est.estimate["wait"] + 6) < 1.5
    assert abs(est.estimate["lambda"] - np.log(0.05)) < 0.3
    imp = pd.read_csv(tmp_path / "out" / "importance.csv")
    assert set(imp.attribute) == {"quality", "wait", "price"}
    assert "willingness-to-pay space" in report
    # trade-offs against the price are the WTP estimates (and their contrasts)
    tr = pd.read_csv(tmp_path / "out" / "tradeoffs.csv").set_index("term")
    assert tr.estimate["wait"] == pytest.approx(est.estimate["wait"], rel=1e-10)
    assert tr.estimate["quality[high]"] == pytest.approx(2 * est.estimate["quality[high]"],
                                                         rel=1e-10)
    assert tr.delta_ci_lower["wait"] == pytest.approx(est.ci_lower["wait"], rel=1e-6)
