"""Individual conditional means of a panel mixed logit (dce.models.mixed_individual).

References: a plain-numpy computation written here (loops over respondents, draws and
choice sets; draws straight from scipy's Sobol sequence as dce/models/draws.py documents),
a fixed term (its conditional mean is the estimate), and recovery of known individual
coefficients from simulated panels.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import qmc

from dce.core.coding import ChoiceData
from dce.models import mixed, mixed_individual
from dce.models.mixed_likelihood import MixedLogit


def simulate(n_resp, n_tasks, n_alts, means, sds, seed, drop=0.0):
    """Panel choices with known coefficients: (ChoiceData, true betas (n_resp, K)).

    Terms with sd 0 are fixed. ``drop``: share of choice sets left out at random (unequal
    panels, so the layout pads)."""
    rng = np.random.default_rng(seed)
    K = len(means)
    X = rng.normal(size=(n_resp, n_tasks, n_alts, K))
    B = np.asarray(means) + np.asarray(sds) * rng.standard_normal((n_resp, K))
    U = np.einsum("ntjk,nk->ntj", X, B) + rng.gumbel(size=(n_resp, n_tasks, n_alts))
    chosen = (U == U.max(axis=2, keepdims=True)).astype(float)
    keep = rng.random((n_resp, n_tasks)) >= drop
    keep[:, 0] = True
    resp = np.repeat(np.arange(n_resp), n_tasks).reshape(n_resp, n_tasks)[keep]
    S = int(keep.sum())
    data = ChoiceData(
        X=X[keep].reshape(-1, K), chosen=chosen[keep].reshape(-1),
        set_start=np.arange(0, S * n_alts + 1, n_alts, dtype=np.int64),
        respondent=resp.astype(np.int64), respondent_ids=np.arange(100, 100 + n_resp),
        group=np.array(["all"] * S, dtype=object),
        alternative=np.tile(np.arange(1, n_alts + 1), S).astype(np.int64),
        terms=tuple(f"x{k}" for k in range(K)))
    return data, B


def sobol_normal(n_resp, n_draws, dims, seed_seq):
    """Standard normal draws (n_resp, dims, n_draws) by the documented protocol."""
    seed = int(seed_seq.generate_state(1, dtype=np.uint64)[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = qmc.Sobol(d=dims, scramble=True, bits=30, rng=seed).random(n_resp * n_draws)
    u += 2.0 ** -31
    return ndtri(u).reshape(n_resp, n_draws, dims).transpose(0, 2, 1)


def reference_moments(data, fit, kinds):
    """Conditional means and SDs by plain loops (normal and lognormal terms, uncorrelated)."""
    K = data.X.shape[1]
    rand = [k for k in range(K) if kinds[k] != "fixed"]
    Z = sobol_normal(data.n_respondents, fit.n_draws, len(rand), fit.seed_seq)
    mu, s = fit.params[:K], fit.params[K:]
    means = np.empty((data.n_respondents, K))
    sds = np.empty((data.n_respondents, K))
    for n in range(data.n_respondents):
        sets = np.flatnonzero(data.respondent == n)
        betas, likes = [], []
        for d in range(fit.n_draws):
            b = mu.copy()
            for i, k in enumerate(rand):
                c = mu[k] + s[i] * Z[n, i, d]
                b[k] = np.exp(c) if kinds[k] == "lognormal" else c
            like = 1.0
            for st in sets:
                a, e = data.set_start[st], data.set_start[st + 1]
                v = data.X[a:e] @ b
                p = np.exp(v) / np.exp(v).sum()
                like *= p[data.chosen[a:e] == 1][0]
            betas.append(b)
            likes.append(like)
        betas, likes = np.array(betas), np.array(likes)
        w = likes / likes.sum()
        means[n] = w @ betas
        sds[n] = np.sqrt(w @ (betas - means[n]) ** 2)
    return means, sds


@pytest.fixture(scope="module")
def tiny():
    data, _ = simulate(12, 4, 3, [0.8, 0.2, 0.5], [0.7, 0.3, 0.0], seed=5, drop=0.25)
    random = {"x0": "normal", "x1": "lognormal"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixed.fit(data, random=random, draws=32, seed_seq=np.random.SeedSequence(11),
                        se="robust")
    return data, fit, [random.get(t, "fixed") for t in data.terms]


def test_equals_plain_numpy_on_a_tiny_unbalanced_panel(tiny):
    data, fit, kinds = tiny
    mean, sd = mixed_individual.conditional_moments(fit, data)
    ref_mean, ref_sd = reference_moments(data, fit, kinds)
    assert mean.shape == (12, 3)
    np.testing.assert_allclose(mean, ref_mean, rtol=0, atol=1e-10)
    np.testing.assert_allclose(sd, ref_sd, rtol=0, atol=1e-10)


def test_chunking_does_not_change_the_result(tiny):
    data, fit, _ = tiny
    whole = mixed_individual.conditional_moments(fit, data)
    pieces = mixed_individual.conditional_moments(fit, data, chunk_elements=1)
    np.testing.assert_allclose(pieces[0], whole[0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(pieces[1], whole[1], rtol=0, atol=1e-13)


def test_draw_likelihoods_average_to_the_fit_likelihood(tiny):
    data, fit, _ = tiny
    logL, _ = mixed_individual.draw_logliks(fit, data)
    model = MixedLogit(data, fit.random, draws=fit.n_draws, draw_type=fit.draw_type,
                       seed_seq=fit.seed_seq)
    ll, _ = model.evaluate(fit.params, gradient=False)
    np.testing.assert_allclose(np.log(np.exp(logL).mean(axis=1)), ll, rtol=0, atol=1e-10)
    assert abs(ll.sum() - fit.loglik) < 1e-8


def test_fixed_term_conditional_mean_is_the_estimate(tiny):
    data, fit, _ = tiny
    mean, sd = mixed_individual.conditional_moments(fit, data)
    np.testing.assert_allclose(mean[:, 2], fit.params[2], rtol=1e-13, atol=0)
    np.testing.assert_allclose(sd[:, 2], 0.0, rtol=0, atol=1e-13)
    assert np.all(mean[:, 1] > 0)  # lognormal: every draw positive


def test_table_columns_ids_and_terms(tiny):
    data, fit, _ = tiny
    table = mixed_individual.individual_table(fit, data)
    assert list(table.columns) == ["respondent", "group", "term", "conditional_mean",
                                   "conditional_sd"]
    assert len(table) == 12 * 2
    assert list(table["term"][:2]) == ["x0", "x1"]
    assert list(table["respondent"][:4]) == [100, 100, 101, 101]
    again = mixed_individual.individual_table(fit, data)
    assert again.equals(table)  # the fit's own draws: deterministic
    with pytest.raises(ValueError, match="not model terms"):
        mixed_individual.individual_table(fit, data, terms=["nope"])


def test_recovers_known_individual_coefficients():
    """400 respondents x 16 tasks x 3 alternatives; x0 ~ N(1, 1), x1 ~ N(-0.5, 0.8),
    x2 fixed 0.5. Stated tolerances: correlation of conditional means with the true
    coefficients above 0.75 (measured 0.87 and 0.86); mean of the conditional means within
    0.1 of the mean of the true coefficients (sampling error of the mean alone is about
    0.05) and within 0.05 of the estimated population mean; conditional means spread less
    than the estimated population SD (shrinkage)."""
    data, B = simulate(400, 16, 3, [1.0, -0.5, 0.5], [1.0, 0.8, 0.0], seed=2024)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixed.fit(data, random={"x0": "normal", "x1": "normal"}, draws=200,
                        seed_seq=np.random.SeedSequence(3))
    mean, _ = mixed_individual.conditional_moments(fit, data)
    r0 = np.corrcoef(mean[:, 0], B[:, 0])[0, 1]
    r1 = np.corrcoef(mean[:, 1], B[:, 1])[0, 1]
    assert r0 > 0.75, r0
    assert r1 > 0.75, r1
    np.testing.assert_allclose(mean[:, :2].mean(axis=0), B[:, :2].mean(axis=0), atol=0.1)
    np.testing.assert_allclose(mean[:, :2].mean(axis=0), fit.params[:2], atol=0.05)
    assert mean[:, 0].std() < fit.params[3]
    assert mean[:, 1].std() < fit.params[4]


# the model variants of mixed.fit (WTP space and scale heterogeneity join when present)
VARIANTS = [pytest.param({}, id="preference")]
if "scale_heterogeneity" in inspect.signature(mixed.fit).parameters:
    VARIANTS += [pytest.param({"scale_heterogeneity": "gmnl"}, id="gmnl"),
                 pytest.param({"space": "wtp", "price": "x2"}, id="wtp")]


@pytest.mark.parametrize("variant", VARIANTS)
def test_draw_likelihoods_reproduce_the_fit_loglik_of_every_variant(variant):
    """The draws of the conditional means are the fit's own: averaging each respondent's
    choice probability over them gives back the fit's simulated log-likelihood."""
    data, _ = simulate(60, 6, 3, [0.8, 0.4, -1.0], [0.7, 0.0, 0.0], seed=9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = mixed.fit(data, random={"x0": "normal"}, draws=64,
                        seed_seq=np.random.SeedSequence(21), covariance=False, **variant)
    logL, _ = mixed_individual.draw_logliks(fit, data)
    top = logL.max(axis=1)
    ll = top + np.log(np.exp(logL - top[:, None]).mean(axis=1))
    assert abs(ll.sum() - fit.loglik) < 1e-8
    table = mixed_individual.individual_table(fit, data)
    assert np.isfinite(table["conditional_mean"]).all() and len(table) >= 60
