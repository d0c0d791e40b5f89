"""Panel mixed logit (dce.models.mixed): likelihood, gradient, recovery, importance.

The simulated data and the reference likelihood below are written with plain numpy only,
independently of dce: the reference loops over respondents and draws and evaluates each
choice set's log-sum-exp directly. Recovery checks use a fixed seed and a 3-standard-error
criterion (about 0.3% failure per parameter under a correct estimator).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import qmc

from dce.analysis import mixed_importance
from dce.analysis.importance import partworth_maps, shares
from dce.core.attributes import Attribute
from dce.core.coding import ChoiceData
from dce.errors import ConfigError
from dce.models import mixed, mixed_post
from dce.models.draws import standard_draws, uniform_draws


# ----- independent helpers (plain numpy) ---------------------------------------------------
def simulate(n_resp, n_tasks, n_alts, means, spreads, dists, seed, corr=None):
    """Panel choices with per-respondent coefficients and Gumbel errors -> ChoiceData.

    Column K-1 is binary, the others standard normal. ``dists`` per term: "fixed",
    "normal" (mean + sd z), "lognormal" (exp(mean + sd z)), "triangular" (mean + spread t).
    ``corr``: correlation matrix of the normal draws of all terms (optional).
    """
    rng = np.random.default_rng(seed)
    K = len(means)
    X = rng.normal(size=(n_resp, n_tasks, n_alts, K))
    X[..., -1] = rng.integers(0, 2, size=(n_resp, n_tasks, n_alts))
    z = rng.standard_normal((n_resp, K))
    if corr is not None:
        z = z @ np.linalg.cholesky(corr).T
    t = rng.triangular(-1, 0, 1, size=(n_resp, K))
    B = np.empty((n_resp, K))
    for k, d in enumerate(dists):
        B[:, k] = {"fixed": means[k] + 0 * z[:, k],
                   "normal": means[k] + spreads[k] * z[:, k],
                   "lognormal": np.exp(means[k] + spreads[k] * z[:, k]),
                   "triangular": means[k] + spreads[k] * t[:, k]}[d]
    U = np.einsum("ntjk,nk->ntj", X, B) + rng.gumbel(size=(n_resp, n_tasks, n_alts))
    chosen = (U == U.max(axis=2, keepdims=True)).astype(float)
    S = n_resp * n_tasks
    return ChoiceData(
        X=X.reshape(-1, K), chosen=chosen.reshape(-1),
        set_start=np.arange(0, S * n_alts + 1, n_alts, dtype=np.int64),
        respondent=np.repeat(np.arange(n_resp), n_tasks).astype(np.int64),
        respondent_ids=np.arange(n_resp), group=np.array(["all"] * S, dtype=object),
        alternative=np.tile(np.arange(1, n_alts + 1), S).astype(np.int64),
        terms=tuple(f"x{k}" for k in range(K)))


def unbalance(data, seed):
    """Drop about a fifth of the choice sets and one non-chosen row of every third set."""
    rng = np.random.default_rng(seed)
    d = data.select_sets(rng.random(data.n_sets) > 0.2)
    keep = np.ones(d.n_rows, bool)
    for s in range(0, d.n_sets, 3):
        rows = np.arange(d.set_start[s], d.set_start[s + 1])
        keep[rows[d.chosen[rows] == 0][0]] = False
    sizes = np.add.reduceat(keep.astype(int), d.set_start[:-1])
    return ChoiceData(X=d.X[keep], chosen=d.chosen[keep],
                      set_start=np.r_[0, np.cumsum(sizes)].astype(np.int64),
                      respondent=d.respondent, respondent_ids=d.respondent_ids, group=d.group,
                      alternative=d.alternative[keep], terms=d.terms)


def protocol_draws(n_resp, n_draws, kinds, draw_type, seed_seq):
    """The documented draw protocol, straight from scipy (see dce/models/draws.py)."""
    seed = int(seed_seq.generate_state(1, dtype=np.uint64)[0])
    n, dims = n_resp * n_draws, len(kinds)
    if draw_type == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            u = qmc.Sobol(d=dims, scramble=True, bits=30, rng=seed).random(n) + 2.0 ** -31
    else:
        h = qmc.Halton(d=dims, scramble=True, rng=seed)
        h.fast_forward(1)
        u = np.clip(h.random(n), 1e-12, 1 - 1e-12)
    u = u.reshape(n_resp, n_draws, dims)
    z = np.empty_like(u)
    for i, kind in enumerate(kinds):
        if kind == "triangular":
            ui = u[..., i]
            z[..., i] = np.where(ui < 0.5, np.sqrt(2 * ui) - 1, 1 - np.sqrt(2 * (1 - ui)))
        else:
            z[..., i] = ndtri(u[..., i])
    return z.transpose(0, 2, 1)  # (respondents, dims, draws)


def reference_loglik(data, theta, kinds, Z, correlated=False):
    """Simulated panel log-likelihood by plain loops over respondents, draws and sets.

    ``kinds``: distribution per term ("fixed" for fixed terms); ``Z``: standard draws
    ``(respondents, random terms, draws)``; theta = means, then sd (or the lower triangle
    of the Cholesky factor, row by row)."""
    K = data.X.shape[1]
    rand = [k for k in range(K) if kinds[k] != "fixed"]
    R = len(rand)
    mu = np.asarray(theta[:K], float)
    L = np.zeros((R, R))
    if correlated:
        L[np.tril_indices(R)] = theta[K:]
    else:
        L[np.diag_indices(R)] = theta[K:]
    total = 0.0
    for n in range(data.n_respondents):
        sets = np.flatnonzero(data.respondent == n)
        C = mu[rand][:, None] + L @ Z[n]
        log_l = np.zeros(Z.shape[2])
        for d in range(Z.shape[2]):
            b = mu.copy()
            for i, k in enumerate(rand):
                b[k] = np.exp(C[i, d]) if kinds[k] == "lognormal" else C[i, d]
            for s in sets:
                a, e = data.set_start[s], data.set_start[s + 1]
                v = data.X[a:e] @ b
                top = v.max()
                lse = top + np.log(np.exp(v - top).sum())
                y = data.chosen[a:e]
                log_l[d] += y @ v - y.sum() * lse
        top = log_l.max()
        total += top + np.log(np.mean(np.exp(log_l - top)))
    return total


def kinds_of(data, random):
    return [random.get(t, "fixed") for t in data.terms]


def assert_recovered(fit, truth, n_se=3.0):
    for term, true in truth.items():
        i = fit.terms.index(term)
        z = (fit.params[i] - true) / fit.bse[i]
        assert abs(z) < n_se, f"{term}: estimate {fit.params[i]:.4f}, truth {true}, z {z:.2f}"


SEED = np.random.SeedSequence(20240611)


# ----- draws ---------------------------------------------------------------------------------
@pytest.mark.parametrize("draw_type", ["sobol", "halton"])
def test_draws_follow_the_documented_protocol(draw_type):
    kinds = ["normal", "triangular", "lognormal"]
    ours = standard_draws(7, 33, kinds, draw_type, SEED)
    assert ours.shape == (7, 3, 33)
    np.testing.assert_array_equal(ours, protocol_draws(7, 33, kinds, draw_type, SEED))
    u = uniform_draws(50, 64, 2, draw_type, SEED)
    assert u.min() > 0 and u.max() < 1
    # the same seed gives the same draws; another seed other draws
    np.testing.assert_array_equal(u, uniform_draws(50, 64, 2, draw_type, SEED))
    assert not np.array_equal(u, uniform_draws(50, 64, 2, draw_type, np.random.SeedSequence(1)))


# ----- likelihood and gradient ---------------------------------------------------------------
CASES = [
    ({"x0": "normal", "x1": "triangular", "x2": "lognormal"}, False,
     [0.9, -0.4, -0.6, 0.2, 0.7, 0.3, 0.2]),
    ({"x0": "normal", "x1": "normal", "x2": "lognormal"}, True,
     [0.9, -0.4, -0.6, 0.2, 0.7, 0.1, 0.3, -0.1, 0.05, 0.2]),
]


@pytest.fixture(scope="module")
def small_unbalanced():
    d = simulate(60, 6, 4, [1.0, -0.5, -0.5, 0.3], [0.8, 0.5, 0.4, 0],
                 ["normal", "normal", "lognormal", "fixed"], seed=3)
    return unbalance(d, seed=4)


@pytest.mark.parametrize("differenced", [True, False])
@pytest.mark.parametrize("random,correlated,theta", CASES)
def test_loglik_matches_plain_loops_on_unbalanced_panels(small_unbalanced, random, correlated,
                                                         theta, differenced):
    d = small_unbalanced
    assert len(np.unique(d.set_sizes)) > 1 and len(np.unique(np.bincount(d.respondent))) > 1
    m = mixed.MixedLogit(d, random, correlated=correlated, draws=25, seed_seq=SEED,
                         chunk_elements=2000, differenced=differenced)
    assert m.layout.differenced is differenced and m.layout.mask is not None
    theta = np.array(theta)
    kinds = kinds_of(d, random)
    Z = protocol_draws(d.n_respondents, 25, [k for k in kinds if k != "fixed"], "sobol", SEED)
    for scale in (1.0, 60.0):  # 60: utilities overflow exp, the stable path takes over
        ours = m.loglik(theta * scale)
        ref = reference_loglik(d, theta * scale, kinds, Z, correlated)
        assert ours == pytest.approx(ref, rel=1e-11, abs=1e-8)


@pytest.mark.parametrize("differenced", [True, False])
@pytest.mark.parametrize("random,correlated,theta", CASES)
def test_analytic_gradient_matches_central_differences(small_unbalanced, random, correlated,
                                                       theta, differenced):
    m = mixed.MixedLogit(small_unbalanced, random, correlated=correlated, draws=25,
                         seed_seq=SEED, differenced=differenced)
    theta = np.array(theta)
    ll, g = m.loglik_and_gradient(theta)
    h = 1e-6
    num = np.array([(m.loglik(theta + e) - m.loglik(theta - e)) / (2 * h)
                    for e in np.eye(len(theta)) * h])
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-5 * np.abs(g).max())
    # per-respondent scores add up to the gradient; threads and chunks change nothing
    _, scores = m.evaluate(theta)
    np.testing.assert_allclose(scores.sum(axis=0), g, rtol=1e-12)
    m2 = mixed.MixedLogit(small_unbalanced, random, correlated=correlated, draws=25,
                          seed_seq=SEED, differenced=differenced, chunk_elements=500, threads=2)
    ll2, g2 = m2.loglik_and_gradient(theta)
    assert ll2 == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(g2, g, rtol=1e-10, atol=1e-10)


def test_general_weights_path_handles_fractional_choices(small_unbalanced):
    """Non-0/1 `chosen` (e.g. aggregated shares) uses the general layout."""
    d = small_unbalanced
    y = d.chosen.copy()
    y[d.set_start[0]:d.set_start[1]] = 1.0 / d.set_sizes[0]
    d2 = ChoiceData(X=d.X, chosen=y, set_start=d.set_start, respondent=d.respondent,
                    respondent_ids=d.respondent_ids, group=d.group,
                    alternative=d.alternative, terms=d.terms)
    random, correlated, theta = CASES[0]
    m = mixed.MixedLogit(d2, random, draws=20, seed_seq=SEED)
    assert not m.layout.differenced
    Z = protocol_draws(d.n_respondents, 20, ["normal", "triangular", "lognormal"], "sobol", SEED)
    ref = reference_loglik(d2, np.array(theta), kinds_of(d, random), Z)
    assert m.loglik(np.array(theta)) == pytest.approx(ref, rel=1e-11)


# ----- recovery ------------------------------------------------------------------------------
TRUE_MEANS = [1.0, -0.8, 0.6, -0.5]
TRUE_SD = [0.8, 0.6, 0.5]
NORMAL = {"x0": "normal", "x1": "normal", "x2": "normal"}


@pytest.fixture(scope="module")
def recovery_fit():
    d = simulate(1000, 10, 3, TRUE_MEANS, TRUE_SD + [0], ["normal"] * 3 + ["fixed"], seed=11)
    seed = np.random.SeedSequence(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence or Hessian warnings
        fit = mixed.fit(d, random=NORMAL, draws=500, draw_type="sobol", seed_seq=seed)
    return d, seed, fit


@pytest.mark.slow
def test_normal_recovery_1000_respondents(recovery_fit):
    d, seed, fit = recovery_fit
    assert fit.model == "mixed_logit" and fit.engine == "native" and fit.converged
    assert fit.terms == ("x0", "x1", "x2", "x3", "sd[x0]", "sd[x1]", "sd[x2]")
    assert fit.n_respondents == 1000 and fit.n_sets == 10000 and fit.se_type == "cluster"
    assert np.all(fit.params[4:] > 0)  # sd sign-normalised
    truth = dict(zip(fit.terms, TRUE_MEANS + TRUE_SD, strict=True))
    assert_recovered(fit, truth)
    assert fit.gradient_norm < 1e-2
    assert fit.loglik > fit.null_loglik
    # robust/cluster/classic all present and close for a correctly specified model
    se = {k: np.sqrt(np.diag(v)) for k, v in fit.vcovs.items()}
    np.testing.assert_allclose(se["cluster"], se["robust"] * np.sqrt(1000 / 999))
    np.testing.assert_allclose(se["cluster"], se["classic"], rtol=0.25)


@pytest.mark.slow
def test_loglik_at_estimates_equals_independent_simulation(recovery_fit):
    """Vectorised over draws inside the loop for speed, but no dce code."""
    d, seed, fit = recovery_fit
    Z = protocol_draws(1000, 500, ["normal"] * 3, "sobol", seed)
    mu, sd = fit.params[:4], fit.params[4:]
    total = 0.0
    for n in range(d.n_respondents):
        b = np.repeat(mu[:, None], 500, axis=1)
        b[:3] = mu[:3, None] + sd[:, None] * Z[n]
        log_l = np.zeros(500)
        for s in np.flatnonzero(d.respondent == n):
            a, e = d.set_start[s], d.set_start[s + 1]
            v = d.X[a:e] @ b                                   # (alternatives, draws)
            top = v.max(axis=0)
            log_l += d.chosen[a:e] @ v - (top + np.log(np.exp(v - top).sum(axis=0)))
        top = log_l.max()
        total += top + np.log(np.mean(np.exp(log_l - top)))
    assert fit.loglik == pytest.approx(total, abs=1e-8)


def test_lognormal_and_triangular_recovery():
    means, spreads = [0.8, -0.5, 0.5, -0.6], [0.6, 0.5, 1.2, 0.0]
    dists = ["normal", "lognormal", "triangular", "fixed"]
    d = simulate(600, 8, 3, means, spreads, dists, seed=5)
    random = {"x0": "normal", "x1": "lognormal", "x2": "triangular"}
    fit = mixed.fit(d, random=random, draws=200, draw_type="halton",
                    seed_seq=np.random.SeedSequence(3))
    assert fit.converged and fit.random == random
    assert_recovered(fit, dict(zip(fit.terms, means + spreads[:3], strict=True)))
    moments = mixed_post.population_moments(fit).set_index(["term", "statistic"])
    mu, s = fit.params[1], fit.params[5]
    assert moments.loc[("x1", "mean"), "estimate"] == pytest.approx(np.exp(mu + s * s / 2))
    assert moments.loc[("x2", "sd"), "estimate"] == pytest.approx(fit.params[6] / np.sqrt(6))
    assert (moments["std_error"] > 0).all()


def test_correlated_recovers_the_correlation():
    corr = np.array([[1.0, 0.6, 0], [0.6, 1.0, 0], [0, 0, 1.0]])
    means, sds = [1.0, -1.0, 0.5], [1.0, 0.8, 0.0]
    d = simulate(600, 10, 3, means, sds, ["normal", "normal", "fixed"], seed=8, corr=corr)
    fit = mixed.fit(d, random={"x0": "normal", "x1": "normal"}, correlated=True, draws=200,
                    seed_seq=np.random.SeedSequence(9))
    assert fit.converged
    assert fit.terms[3:] == ("chol[x0,x0]", "chol[x1,x0]", "chol[x1,x1]")
    L = np.zeros((2, 2))
    L[np.tril_indices(2)] = fit.params[3:]
    assert L[0, 0] > 0 and L[1, 1] > 0
    cov = L @ L.T
    r = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
    assert abs(r - 0.6) < 0.2, r
    assert_recovered(fit, {"x0": 1.0, "x1": -1.0, "x2": 0.5})
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), [1.0, 0.8], atol=0.25)
    # simulated individuals follow the estimated distribution (for population importance)
    b = mixed_post.individual_coefficients(fit, mixed_post.population_draws(fit, 40000,
                                                                  np.random.default_rng(0)))
    np.testing.assert_allclose(np.cov(b[:, :2].T), cov, atol=0.05)
    np.testing.assert_allclose(b[:, 2], fit.params[2])


# ----- options, stability, errors ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_fit():
    d = simulate(150, 8, 3, [1.0, -0.8, 0.4], [0.7, 0.0, 0.0], ["normal", "fixed", "fixed"],
                 seed=2)
    fit = mixed.fit(d, random={"x0": "normal"}, draws=100, seed_seq=np.random.SeedSequence(1),
                    se="robust", group="users")
    return d, fit


def test_small_fit_record_and_options(small_fit):
    d, fit = small_fit
    assert fit.group == "users" and fit.se_type == "robust" and fit.n_draws == 100
    assert set(fit.vcovs) == {"classic", "robust", "cluster", "bhhh"}
    assert fit.to_frame()["term"].tolist() == ["x0", "x1", "x2", "sd[x0]"]
    assert len(fit.start_logliks) == 3 and fit.loglik >= max(fit.start_logliks)
    # same seed, same answer; warm start converges to the same point
    again = mixed.fit(d, random={"x0": "normal"}, draws=100, seed_seq=np.random.SeedSequence(1),
                      se="robust", group="users", start=fit.params)
    np.testing.assert_allclose(again.params, fit.params, atol=1e-4)
    trust = mixed.fit(d, random={"x0": "normal"}, draws=100, seed_seq=np.random.SeedSequence(1),
                      optimizer="trust-bhhh")
    assert trust.loglik == pytest.approx(fit.loglik, abs=1e-4)


def test_negative_spreads_are_flipped_and_polished(small_fit):
    d, fit = small_fit
    flipped = fit.params * np.r_[1, 1, 1, -1]
    again = mixed.fit(d, random={"x0": "normal"}, draws=100, seed_seq=np.random.SeedSequence(1),
                      start=flipped)
    assert again.params[3] > 0 and again.converged
    assert again.loglik == pytest.approx(fit.loglik, abs=1e-3)
    # correlated: the diagonal of the Cholesky factor comes out positive
    random = {"x0": "normal", "x1": "normal"}
    start = np.r_[fit.params[:3], -0.6, 0.05, -0.1]
    corr = mixed.fit(d, random=random, correlated=True, draws=50,
                     seed_seq=np.random.SeedSequence(1), start=start)
    L = np.zeros((2, 2))
    L[np.tril_indices(2)] = corr.params[3:]
    assert L[0, 0] > 0 and L[1, 1] > 0
    m = mixed.MixedLogit(d, random, correlated=True, draws=50, seed_seq=np.random.SeedSequence(1))
    assert m.loglik(corr.params) == pytest.approx(corr.loglik, rel=1e-12)


def test_stability_refits_with_twice_the_draws(small_fit):
    d, fit = small_fit
    out = mixed.stability(d, fit)
    assert out["draws"] == 200 and out["converged"]
    assert abs(out["loglik_change"]) < 2.0
    assert out["max_coef_change"] < 0.2 and out["max_coef_change_term"] in fit.terms
    assert np.isfinite(out["max_change_in_se"])


def test_bad_random_specifications_are_config_errors(small_fit):
    d, _ = small_fit
    seed = np.random.SeedSequence(0)
    with pytest.raises(ConfigError, match="not a model term"):
        mixed.fit(d, random={"nope": "normal"}, seed_seq=seed)
    with pytest.raises(ConfigError, match="distribution must be one of"):
        mixed.fit(d, random={"x0": "gamma"}, seed_seq=seed)
    with pytest.raises(ConfigError, match="triangular"):
        mixed.fit(d, random={"x0": "triangular", "x1": "normal"}, correlated=True,
                  seed_seq=seed)
    with pytest.raises(ConfigError, match="at least one random term"):
        mixed.fit(d, random={}, seed_seq=seed)
    with pytest.raises(ConfigError, match="draw_type"):
        mixed.fit(d, random={"x0": "normal"}, draw_type="mc", seed_seq=seed)


# ----- importance over the population ---------------------------------------------------------
def linear_attributes(names, lo=-1, hi=1):
    return [Attribute(name=n, label=n, coding="linear", levels=(lo, hi)) for n in names]


def test_importance_averages_individual_shares(small_fit):
    _, fit = small_fit
    attrs = linear_attributes(["x0", "x1", "x2"])
    z = mixed_post.population_draws(fit, 4000, np.random.default_rng(0))
    got = mixed_importance.importance_draws(fit, attrs, 4000, None, z=z)
    # brute force: each individual's |slope| share, averaged
    b = np.tile(fit.params[:3], (4000, 1))
    b[:, 0] = fit.params[0] + fit.params[3] * z[:, 0]
    manual = (np.abs(b) / np.abs(b).sum(axis=1, keepdims=True)).mean(axis=0)
    np.testing.assert_allclose(got, manual, rtol=1e-12)
    assert got.sum() == pytest.approx(1.0)
    # with no spread it is the share of the means
    p0 = fit.params.copy()
    p0[3] = 0.0
    maps = partworth_maps(fit.terms[:3], attrs)
    no_spread = mixed_importance.importance_draws(fit, attrs, 100, np.random.default_rng(1), params=p0[None])
    np.testing.assert_allclose(no_spread[0], shares(p0[:3], maps)[0])
    # several parameter vectors: one row each, common individuals
    rows = mixed_importance.importance_draws(fit, attrs, 500, None, params=np.vstack([fit.params, p0]),
                                  z=z[:500])
    np.testing.assert_allclose(rows[0], mixed_importance.importance_draws(fit, attrs, 500, None, z=z[:500]))


def test_rank_table_for_mixed_logit(small_fit):
    _, fit = small_fit
    attrs = linear_attributes(["x0", "x1", "x2"])
    for intervals in ("krinsky-robb", "delta"):
        out = mixed_importance.rank(fit, attrs, np.random.default_rng(2), intervals=intervals, draws=200,
                         n_pop=300)
        t = out.table
        assert list(t["attribute"]) == ["x0", "x1", "x2"]
        assert t["importance"].sum() == pytest.approx(1.0)
        assert (t["ci_lower"] <= t["importance"]).all() and (t["importance"] <= t["ci_upper"]).all()
        assert t.loc[t["attribute"] == "x2", "rank"].item() == 3
        assert out.draws["users"].shape == (200, 3)
