"""Heteroskedastic (scale) logit of groups: likelihood against an independent implementation,
recovery, size and power of both tests, and the opt-out bias of a common constant."""

import warnings

import numpy as np
import pandas as pd
import pytest
from classic_scale import swait_louviere
from scipy import optimize, special

from dce.analysis.scale import _Model, compare_scale, fit_scaled, proportionality_test
from dce.core.coding import ChoiceData
from dce.core.parallel import map_seeds
from dce.models.clogit import fit as clogit_fit

TERMS = ("quality[Medium]", "quality[High]", "similar[Yes]", "waiting", "asc[opt_out]")
BETA = np.array([0.6, 1.2, 0.8, -0.08])   # quality (dummy, 3 levels), similar, waiting
WAITING = np.array([1.0, 4.0, 12.0])


def simulate(rng, n_resp, name, *, asc, scale=1.0, beta=BETA, tasks=8, sd=0.0):
    """Random design, 2 alternatives + opt-out per task, Gumbel errors; ``sd``: normal
    random coefficient of similar[Yes] per respondent (correlates a respondent's tasks)."""
    S, J = n_resp * tasks, 3
    X = np.zeros((S, J, len(TERMS)))
    q = rng.integers(0, 3, (S, 2))
    X[:, :2, 0], X[:, :2, 1] = q == 1, q == 2
    X[:, :2, 2] = rng.integers(0, 2, (S, 2))
    X[:, :2, 3] = WAITING[rng.integers(0, 3, (S, 2))]
    X[:, 2, 4] = 1.0
    b = np.tile(np.r_[beta, asc], (n_resp, 1))
    b[:, 2] += sd * rng.standard_normal(n_resp)
    V = scale * np.einsum("sjk,sk->sj", X, np.repeat(b, tasks, axis=0))
    y = np.zeros((S, J))
    y[np.arange(S), np.argmax(V + rng.gumbel(size=(S, J)), axis=1)] = 1.0
    return ChoiceData(X=X.reshape(S * J, -1), chosen=y.ravel(),
                      set_start=np.arange(S + 1, dtype=np.int64) * J,
                      respondent=np.repeat(np.arange(n_resp), tasks).astype(np.int64),
                      respondent_ids=np.arange(n_resp), group=np.full(S, name, dtype=object),
                      alternative=np.tile(np.arange(1, J + 1), S).astype(np.int64), terms=TERMS)


def _rng(*key):
    return np.random.default_rng(np.random.SeedSequence(20240611, spawn_key=key))


def _fits(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a warning would mean a failed fit
        return clogit_fit(a, group="a"), clogit_fit(b, group="b")


# ---------------------------------------------------------------- independent likelihood
# theta = (beta[4], asc_a, asc_b, log scale of b); a plain reimplementation, set by set

def _utilities(theta, X3, group):
    s = np.exp(theta[6]) if group == "b" else 1.0
    asc = theta[4] if group == "a" else theta[5]
    return s * (X3[:, :, :4] @ theta[:4] + X3[:, :, 4] * asc), s


def _loglik(theta, parts):
    total = 0.0
    for g, d in parts.items():
        X3, y = d.X.reshape(d.n_sets, 3, -1), d.chosen.reshape(d.n_sets, 3)
        V, _ = _utilities(theta, X3, g)
        total += float(np.sum(V * y) - special.logsumexp(V, axis=1).sum())
    return total


def _set_scores(theta, parts):
    """Score of every choice set, from dV/dtheta written out by hand, with its cluster."""
    rows = []
    for g, d in parts.items():
        X3, y = d.X.reshape(d.n_sets, 3, -1), d.chosen.reshape(d.n_sets, 3)
        V, s = _utilities(theta, X3, g)
        p = special.softmax(V, axis=1)
        for t in range(d.n_sets):
            dV = np.zeros((3, 7))
            dV[:, :4] = s * X3[t, :, :4]
            dV[:, 4 if g == "a" else 5] = s * X3[t, :, 4]
            if g == "b":
                dV[:, 6] = V[t]
            rows.append([f"{g}-{d.respondent[t]}", *((y[t] - p[t]) @ dV)])
    return pd.DataFrame(rows, columns=["cluster", *range(7)])


def _numerical_hessian(f, x, h=1e-4):
    n = len(x)
    H = np.zeros((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(i, n):
            H[i, j] = H[j, i] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j])
                                 + f(x - E[i] - E[j])) / (4 * h * h)
    return H


def test_matches_independent_likelihood():
    rng = _rng(1)
    parts = {"a": simulate(rng, 60, "a", asc=-0.5, tasks=6),
             "b": simulate(rng, 50, "b", asc=0.4, scale=0.7, tasks=6)}
    res = fit_scaled(parts)
    assert res.names == ("quality[Medium]", "quality[High]", "similar[Yes]", "waiting",
                         "asc[opt_out]@a", "asc[opt_out]@b", "log_scale[b]")
    assert res.converged and res.n_respondents == {"a": 60, "b": 50}
    opt = optimize.minimize(lambda t: -_loglik(t, parts), np.zeros(7), method="BFGS",
                            options={"gtol": 1e-9, "maxiter": 2000})
    np.testing.assert_allclose(res.params, opt.x, atol=1e-6)  # measured 2.8e-7
    assert res.loglik == pytest.approx(-opt.fun, abs=1e-6)
    assert res.loglik == pytest.approx(_loglik(res.params, parts), abs=1e-9)
    # first-order conditions of the independent likelihood at the module's estimates
    h, E = 1e-5, np.eye(7)
    foc = [(_loglik(res.params + h * e, parts) - _loglik(res.params - h * e, parts)) / (2 * h)
           for e in E]
    np.testing.assert_allclose(foc, 0.0, atol=1e-6)
    # analytic gradient at a point away from the optimum against finite differences
    theta = res.params + np.linspace(-0.2, 0.3, 7)
    _, grad, hess, _ = _Model(parts, (), False).evaluate(theta)
    num = [(_loglik(theta + h * e, parts) - _loglik(theta - h * e, parts)) / (2 * h) for e in E]
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-6)
    # ... and the analytic Hessian there (at the optimum the (y - p) d2V/dlambda2 term is
    # the lambda gradient, zero, so only a point away from it checks that term)
    H_num = _numerical_hessian(lambda t: _loglik(t, parts), theta)
    np.testing.assert_allclose(hess, H_num, rtol=1e-4, atol=1e-4)
    # classic covariance: inverse of minus the numerical Hessian
    H = _numerical_hessian(lambda t: _loglik(t, parts), res.params)
    np.testing.assert_allclose(res.vcov_classic, np.linalg.inv(-H), rtol=1e-4, atol=1e-9)
    # cluster covariance: sandwich with scores summed by respondent in pandas
    meat_rows = _set_scores(res.params, parts).groupby("cluster").sum().to_numpy()
    G = len(meat_rows)
    assert G == 110
    sandwich = G / (G - 1) * res.vcov_classic @ (meat_rows.T @ meat_rows) @ res.vcov_classic
    np.testing.assert_allclose(res.vcov, sandwich, rtol=1e-8, atol=1e-14)


def test_separate_models_when_every_term_is_group_specific():
    rng = _rng(2)
    a, b = simulate(rng, 80, "a", asc=-1.0), simulate(rng, 70, "b", asc=0.3, scale=0.5)
    res = fit_scaled({"a": a, "b": b}, fixed_scale=True,
                     group_specific=["quality", "similar", "waiting"])
    fa, fb = _fits(a, b)
    assert not any(n.startswith("log_scale") for n in res.names)
    assert res.loglik == pytest.approx(fa.loglik + fb.loglik, abs=1e-8)
    np.testing.assert_allclose(res.params, np.r_[fa.params, fb.params], atol=1e-7)
    # the joint model's G/(G-1) counts the respondents of both groups (150), clogit's 80
    factor = (150 / 149) / (80 / 79)
    np.testing.assert_allclose(res.vcov[:5, :5], factor * fa.vcovs["cluster"], rtol=1e-6,
                               atol=1e-12)


def test_bad_arguments():
    rng = _rng(3)
    a, b = simulate(rng, 20, "a", asc=0.0), simulate(rng, 20, "b", asc=0.0)
    with pytest.raises(ValueError, match="at least 2 groups"):
        fit_scaled({"a": a})
    other = ChoiceData(a.X, a.chosen, a.set_start, a.respondent, a.respondent_ids, a.group,
                       a.alternative, ("x",) + TERMS[1:])
    with pytest.raises(ValueError, match="has terms"):
        fit_scaled({"a": a, "b": other})
    with pytest.raises(ValueError, match="qualty"):
        fit_scaled({"a": a, "b": b}, group_specific=["qualty"])
    with pytest.raises(ValueError, match="not identified"):
        fit_scaled({"a": a, "b": b}, group_specific=["quality", "similar", "waiting"])
    with pytest.raises(ValueError, match="unknown names"):
        fit_scaled({"a": a, "b": b}, start={"price": 1.0})
    with pytest.warns(RuntimeWarning, match="did not converge"):
        assert not fit_scaled({"a": a, "b": b}, max_iter=1).converged
    res = fit_scaled({"a": a, "b": b})
    with pytest.raises(ValueError, match="no free scale"):
        res.relative_scale("a")
    with pytest.raises(ValueError, match="no free scale"):
        fit_scaled({"a": a, "b": b}, fixed_scale=True).relative_scale("b")
    with pytest.raises(ValueError, match="same length"):
        proportionality_test(np.ones(3), np.eye(3), np.ones(2), np.eye(2))
    with pytest.raises(ValueError, match="positive definite"):
        proportionality_test(np.ones(2), np.eye(2), np.ones(2), np.zeros((2, 2)))


def test_proportionality_statistic_is_the_joint_minimum():
    rng = _rng(4)
    b_a = np.array([0.6, 1.2, 0.8, -0.3])
    L = rng.normal(size=(4, 4)) * 0.05
    V_a, V_b = L @ L.T + 0.01 * np.eye(4), 2 * (L.T @ L + 0.01 * np.eye(4))
    exact = proportionality_test(b_a, V_a, 0.5 * b_a, V_b)
    assert exact["statistic"] == pytest.approx(0.0, abs=1e-10)
    assert exact["mu"] == pytest.approx(0.5, rel=1e-6) and exact["df"] == 3
    b_b = 0.5 * b_a + np.array([0.1, -0.2, 0.05, 0.1])
    res = proportionality_test(b_a, V_a, b_b, V_b)
    A, B = np.linalg.inv(V_a), np.linalg.inv(V_b)

    def q(x):
        da, db = b_a - x[:4], b_b - np.exp(x[4]) * x[:4]
        return da @ A @ da + db @ B @ db

    best = min((optimize.minimize(q, np.r_[b_a, t], method="BFGS", options={"gtol": 1e-10})
                for t in np.linspace(-4, 4, 9)), key=lambda o: o.fun)
    assert res["statistic"] == pytest.approx(best.fun, rel=1e-7)
    assert np.log(res["mu"]) == pytest.approx(best.x[4], abs=1e-5)


# ------------------------------------------------------------------------------ recovery

def test_recovers_relative_scale_with_group_specific_opt_out():
    rng = _rng(5)
    a = simulate(rng, 2000, "a", asc=-1.0)
    b = simulate(rng, 2000, "b", asc=0.3, scale=0.6)
    res = fit_scaled({"a": a, "b": b})
    rs = res.relative_scale("b")
    se = rs["estimate"] * rs["se_log"]               # delta method
    assert abs(rs["estimate"] - 0.6) < 3 * se, (rs, se)   # measured: 0.627, SE 0.022
    assert rs["ci_lower"] < 0.6 < rs["ci_upper"]
    est = dict(zip(res.names, res.params))
    bse = dict(zip(res.names, res.bse))
    for name, true in [("asc[opt_out]@a", -1.0), ("asc[opt_out]@b", 0.3), ("similar[Yes]", 0.8)]:
        assert abs(est[name] - true) < 3 * bse[name], name
    # from a poor start (wrong sign, scale e^2) the damped Newton steps reach the same optimum
    again = fit_scaled({"a": a, "b": b}, start={"similar[Yes]": -2.0, "log_scale[b]": 2.0})
    assert again.converged and again.iterations > res.iterations
    np.testing.assert_allclose(again.params, res.params, atol=1e-8)


def test_three_groups_each_scale_relative_to_the_first():
    rng = _rng(8)
    parts = {"ref": simulate(rng, 800, "ref", asc=0.0),
             "low": simulate(rng, 800, "low", asc=-0.5, scale=0.5),
             "high": simulate(rng, 800, "high", asc=0.5, scale=1.5)}
    res = fit_scaled(parts)
    assert res.reference == "ref" and res.names[-2:] == ("log_scale[low]", "log_scale[high]")
    for group, true in [("low", 0.5), ("high", 1.5)]:
        rs = res.relative_scale(group)
        assert rs["ci_lower"] < true < rs["ci_upper"], (group, rs)


# -------------------------------------------------------------------------- size, power

def _size_replication(seq, n_resp):
    rng = np.random.default_rng(seq)
    a = simulate(rng, n_resp, "a", asc=-1.0, sd=0.5)
    b = simulate(rng, n_resp, "b", asc=0.3, sd=0.5)
    fa, fb = _fits(a, b)
    res = compare_scale(a, b, fa, fb)
    if not res.scaled_fit.converged:
        raise RuntimeError("scaled fit did not converge")
    return res.p_preferences, res.p_scale


# 1,000 rather than 200 replications: with 200 the Monte Carlo standard error of a 5%
# rate (0.015) is half the width of the accepted band [0.04, 0.07], so a correct test
# falls outside it about one time in four. With this root seed the first 200 replications
# gave 0.035 (proportionality) and 0.050 (scale); 1,000 give 0.051 and 0.056; 4,000 gave
# 0.051 and 0.053.
# Runs in about 13 s on 2 idle cores (31 s when the machine was shared), so not marked slow.
SIZE_REPLICATIONS = 1000


def test_size_with_different_opt_out_and_correlated_tasks():
    """Equal preferences and scale, different opt-out constants, respondent-level taste
    heterogeneity (sd 0.5): both robust tests reject at about 5%."""
    out = map_seeds(_size_replication, SIZE_REPLICATIONS, np.random.SeedSequence(777),
                    args=(400,), jobs=2)
    assert not out.failures, out.failures[:3]
    rates = (np.array(out.results) < 0.05).mean(axis=0)
    assert 0.04 <= rates[0] <= 0.07, rates     # proportionality test
    assert 0.04 <= rates[1] <= 0.07, rates     # scale test


def test_power_for_different_preferences_and_group_specific_attribute():
    rng = _rng(6)
    a = simulate(rng, 1000, "a", asc=-1.0)
    b = simulate(rng, 1000, "b", asc=0.3, scale=0.6, beta=BETA * [1, 1, 2, 1])
    fa, fb = _fits(a, b)
    res = compare_scale(a, b, fa, fb)
    assert res.p_preferences < 0.001                 # measured: 5e-16
    assert res.df_preferences == 3 and res.constants == ("asc[opt_out]",)
    freed = compare_scale(a, b, fa, fb, group_specific=["similar"])
    assert freed.df_preferences == 2 and freed.group_specific == ("similar",)
    assert freed.p_preferences > 0.05                # measured: 0.74; scale 0.66 (0.59, 0.73)
    assert "similar[Yes]@b" in freed.scaled_fit.names
    lo, hi = freed.scale_ci
    assert lo < 0.6 < hi
    assert freed.p_scale < 1e-6


def test_common_constant_biases_scale_but_group_specific_does_not():
    rng = _rng(7)
    a = simulate(rng, 1000, "a", asc=-1.0)
    b = simulate(rng, 1000, "b", asc=0.3)
    fa, fb = _fits(a, b)
    old = swait_louviere(a, b, loglik_a=fa.loglik, loglik_b=fb.loglik, start=fa.params)
    new = compare_scale(a, b, fa, fb)
    # measured: old 0.557 (0.520, 0.596); new 1.000 (0.926, 1.080)
    assert abs(np.log(old.relative_scale)) > 0.5, old.relative_scale
    assert not old.scale_ci[0] < 1.0 < old.scale_ci[1]
    assert new.scale_ci[0] < 1.0 < new.scale_ci[1], new.scale_ci
    assert abs(np.log(new.relative_scale)) < 0.1
