"""Trade-offs of a mixed logit whose denominator is lognormal (user trial, issue 15).

The value of a change against a lognormal term must use the coefficient's population mean
``exp(mu + s^2/2)``, not ``mu`` (the mean of its logarithm, which the estimates table shows
under the term's name). References: the truth of the simulation (recovery), the closed
form computed here from the estimates, and a delta-method interval from a numerical
Jacobian written in this test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import dce

ATTRS = {"quality": ["basic", "good"], "saving": "linear"}
B_QUALITY, MU, SIGMA = 0.8, -1.0, 0.5   # quality effects-coded: good - basic = 2 * 0.8


def _choices(rng, N, T, J, x, name, utility):
    """Long choices of N respondents x T tasks x J alternatives: quality basic/good drawn at
    random, a numeric attribute ``name`` with values ``x`` (N, T, J), and the choice that
    maximises ``utility(q, x) + Gumbel`` (q in {0, 1})."""
    q = rng.integers(0, 2, size=(N, T, J))
    y = (utility(q, x) + rng.gumbel(size=(N, T, J))).argmax(axis=2)
    n, t, j = np.meshgrid(np.arange(N), np.arange(T), np.arange(J), indexing="ij")
    return pd.DataFrame({"respondent": n.ravel() + 1, "task": t.ravel() + 1,
                         "alternative": j.ravel() + 1,
                         "quality": np.array(["basic", "good"])[q.ravel()], name: x.ravel(),
                         "chosen": (y[..., None] == np.arange(J)).astype(int).ravel()})


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(11)
    N, T, J = 800, 8, 3
    s = rng.integers(0, 11, size=(N, T, J)).astype(float)
    b_s = np.exp(MU + SIGMA * rng.standard_normal(N))
    df = _choices(rng, N, T, J, s, "saving",
                  lambda q, x: B_QUALITY * (2 * q - 1) + b_s[:, None, None] * x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dce.mixed_logit(df, ATTRS, random={"saving": "lognormal"}, draws=200, seed=2)
    return res, dce.wtp(res, denominator="saving", intervals="delta")


def _row(table, term):
    return table[table["term"] == term].iloc[0]


def test_value_uses_the_mean_coefficient_not_mu(fitted):
    res, table = fitted
    est = res.tidy().set_index("term")["estimate"]
    mean = np.exp(est["saving"] + est["sd[saving]"] ** 2 / 2)
    row = _row(table, "quality[good]")
    assert row["estimate"] == pytest.approx(-2 * est["quality[good]"] / mean, rel=1e-10)


def test_recovers_the_true_value(fitted):
    res, table = fitted
    truth = -2 * B_QUALITY / np.exp(MU + SIGMA ** 2 / 2)       # about -3.84 units of saving
    row = _row(table, "quality[good]")
    assert row["ci_lower"] < truth < row["ci_upper"]
    assert row["estimate"] == pytest.approx(truth, rel=0.15)


def test_delta_interval_from_a_numerical_jacobian(fitted):
    res, table = fitted
    terms = list(res.fit.terms)
    theta = np.asarray(res.fit.params, float)
    iq, i_mu, i_s = terms.index("quality[good]"), terms.index("saving"), terms.index(
        "sd[saving]")

    def g(th):
        return -2 * th[iq] / np.exp(th[i_mu] + th[i_s] ** 2 / 2)

    grad = np.empty(len(theta))
    for k in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[k]))
        e = np.zeros(len(theta))
        e[k] = h
        grad[k] = (g(theta + e) - g(theta - e)) / (2 * h)
    se = float(np.sqrt(grad @ np.asarray(res.fit.vcov) @ grad))
    z = stats.norm.ppf(0.975)
    row = _row(table, "quality[good]")
    assert row["delta_ci_lower"] == pytest.approx(g(theta) - z * se, rel=1e-5)
    assert row["delta_ci_upper"] == pytest.approx(g(theta) + z * se, rel=1e-5)


def test_wtp_space_lognormal_wtp_uses_its_mean():
    """In WTP space a lognormal WTP's row is mu of its log; its value against the price is
    the mean WTP exp(mu + s^2/2) (closed form from the estimates)."""
    rng = np.random.default_rng(4)
    N, T, J = 300, 6, 3
    c = rng.uniform(0, 4, size=(N, T, J))
    w = np.exp(np.log(0.6) + 0.4 * rng.standard_normal(N))       # half the good-basic WTP
    df = _choices(rng, N, T, J, c, "cost",
                  lambda q, x: 1.2 * (w[:, None, None] * (2 * q - 1) - x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dce.mixed_logit(df, {"quality": ["basic", "good"], "cost": "linear"},
                              random={"quality[good]": "lognormal"}, space="wtp",
                              price="cost", draws=100, seed=3)
    est = res.tidy().set_index("term")["estimate"]
    mean = np.exp(est["quality[good]"] + est["sd[quality[good]]"] ** 2 / 2)
    row = _row(dce.wtp(res, denominator="cost"), "quality[good]")
    assert row["estimate"] == pytest.approx(2 * mean, rel=1e-10)
    assert row["estimate"] == pytest.approx(2 * 0.6 * np.exp(0.08), rel=0.25)  # the truth


def test_effects_coded_reference_level_uses_the_lognormal_mean():
    """The omitted level of an effects-coded attribute is minus the sum of the other
    levels' coefficients: with a lognormal level, minus its mean exp(mu + s^2/2), not -mu
    (second user trial: the worst level came out as the best)."""
    rng = np.random.default_rng(6)
    N, T, J = 300, 6, 3
    s_ = rng.integers(0, 11, size=(N, T, J)).astype(float)
    bq = np.exp(np.log(0.5) + 0.3 * rng.standard_normal(N))
    df = _choices(rng, N, T, J, s_, "saving",
                  lambda q, x: bq[:, None, None] * (2 * q - 1) - 0.1 * x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = dce.mixed_logit(df, ATTRS, random={"quality[good]": "lognormal"}, draws=100)
    tab = res.tidy().set_index("term")
    mean = np.exp(tab.loc["quality[good]", "estimate"]
                  + tab.loc["sd[quality[good]]", "estimate"] ** 2 / 2)
    assert tab.loc["quality[basic]", "estimate"] == pytest.approx(-mean, rel=1e-10)
    assert tab.loc["quality[basic]", "estimate"] < 0    # basic is the worse level
