"""Item models against independent routes.

The sequential best-worst, maxdiff and rank-ordered likelihoods of dce.models.items are
compared with (a) the likelihood written out from its definition, set by set, and (b)
statsmodels' ConditionalLogit on choice sets exploded by hand in this file (not with
dce's expansion); to 1e-8. The worst-scale model's derivatives are checked numerically.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.discrete.conditional_models import ConditionalLogit

from dce.data.items_simulate import _best_worst
from dce.models import clogit
from dce.models import items as models

NAMES = ["a", "b", "c", "d", "e", "f"]
TRUE = np.array([1.0, 0.6, 0.3, -0.2, 0.8, 0.0])   # item f is the reference


def _bw_data(n=120, sets=4, k=4, seed=5, lam=1.0, model="sequential"):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        for t in range(sets):
            S = rng.choice(len(NAMES), k, replace=False)
            b, w = _best_worst(TRUE[S][None, None, :], lam, model, rng)
            for j, it in enumerate(S):
                rows.append((i + 1, "g" if i % 2 else "h", 1, t + 1, j + 1, NAMES[it],
                             int(j == b[0, 0]), int(j == w[0, 0])))
    return pd.DataFrame(rows, columns=["respondent", "group", "block", "task", "alternative",
                                       "item", "best", "worst"])


def _rank_data(n=150, k=5, seed=9, partial=False):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        S = rng.choice(len(NAMES), k, replace=False)
        order = np.argsort(-(TRUE[S] + rng.gumbel(size=k)))
        rank = np.empty(k)
        rank[order] = np.arange(1, k + 1)
        if partial and i % 3 == 0:
            rank[rank > 2] = np.nan          # only the top two ranked
        for j, it in enumerate(S):
            rows.append((i + 1, "g", 1, 1, j + 1, NAMES[it], rank[j]))
    return pd.DataFrame(rows, columns=["respondent", "group", "block", "task", "alternative",
                                       "item", "rank"])


def _dummy(item):
    x = np.zeros(len(NAMES) - 1)
    i = NAMES.index(item)
    if i < len(NAMES) - 1:
        x[i] = 1.0
    return x


def _explode_bw_by_hand(df, model):
    """(y, X, groups) of the expanded sets, built row by row."""
    y, X, g, gid = [], [], [], 0
    for _, s in df.groupby(["respondent", "task"], sort=False):
        items = list(s["item"])
        best = s.loc[s["best"] == 1, "item"].item()
        worst = s.loc[s["worst"] == 1, "item"].item()
        if model == "sequential":
            for it in items:
                y.append(float(it == best)), X.append(_dummy(it)), g.append(gid)
            gid += 1
            for it in items:
                if it != best:
                    y.append(float(it == worst)), X.append(-_dummy(it)), g.append(gid)
            gid += 1
        else:
            for i in items:
                for j in items:
                    if i != j:
                        y.append(float(i == best and j == worst))
                        X.append(_dummy(i) - _dummy(j))
                        g.append(gid)
            gid += 1
    return np.array(y), np.array(X), np.array(g)


def _explode_rank_by_hand(df, top_k=None):
    y, X, g, gid = [], [], [], 0
    for _, s in df.groupby(["respondent", "task"], sort=False):
        left = dict(zip(s["item"], s["rank"], strict=True))
        ranked = sorted((r, it) for it, r in left.items() if not np.isnan(r))
        stages = ranked[:-1] if len(ranked) == len(left) else ranked
        for _r, it in stages[:top_k]:
            for other in left:
                y.append(float(other == it)), X.append(_dummy(other)), g.append(gid)
            del left[it]
            gid += 1
    return np.array(y), np.array(X), np.array(g)


def _sequential_loglik_by_definition(df, beta):
    v = dict(zip(NAMES, np.r_[beta, 0.0], strict=True))
    ll = 0.0
    for _, s in df.groupby(["respondent", "task"], sort=False):
        u = np.array([v[i] for i in s["item"]])
        b = int(np.flatnonzero(s["best"].to_numpy())[0])
        w = int(np.flatnonzero(s["worst"].to_numpy())[0])
        rest = np.delete(np.arange(len(u)), b)
        ll += u[b] - np.log(np.exp(u).sum()) - u[w] - np.log(np.exp(-u[rest]).sum())
    return ll


@pytest.mark.parametrize("model", ["sequential", "maxdiff"])
def test_best_worst_likelihood_equals_statsmodels_on_exploded_rows(model):
    df = _bw_data()
    exp = models.expand_best_worst(df, NAMES, "f", model)
    fit = models.fit(exp, NAMES, "f", bw_model=model, se="classic")
    y, X, g = _explode_bw_by_hand(df, model)
    sm = ConditionalLogit(y, X, groups=g)
    beta = fit.params[:5]
    assert fit.loglik == pytest.approx(sm.loglike(beta), abs=1e-8)
    rng = np.random.default_rng(0)
    for _ in range(3):
        b = rng.normal(size=5)
        assert clogit.loglik(b, exp.data) == pytest.approx(sm.loglike(b), abs=1e-8)
    # statsmodels' own maximum agrees with ours
    res = sm.fit(method="newton", disp=0, maxiter=100)
    assert np.allclose(res.params, beta, atol=1e-6)
    assert res.llf == pytest.approx(fit.loglik, abs=1e-8)
    assert np.allclose(res.bse, fit.bse[:5], rtol=1e-4)      # classic errors
    if model == "sequential":
        assert fit.loglik == pytest.approx(_sequential_loglik_by_definition(df, beta), abs=1e-8)


@pytest.mark.parametrize("top_k,partial", [(None, False), (2, False), (None, True)])
def test_rank_ordered_likelihood_equals_statsmodels_on_exploded_rows(top_k, partial):
    df = _rank_data(partial=partial)
    exp = models.expand_ranking(df, NAMES, "f", top_k)
    fit = models.fit(exp, NAMES, "f", kind="ranking", se="classic")
    y, X, g = _explode_rank_by_hand(df, top_k)
    sm = ConditionalLogit(y, X, groups=g)
    assert exp.data.n_sets == len(np.unique(g))
    assert fit.loglik == pytest.approx(sm.loglike(fit.params[:5]), abs=1e-8)
    b = np.random.default_rng(1).normal(size=5)
    assert clogit.loglik(b, exp.data) == pytest.approx(sm.loglike(b), abs=1e-8)
    res = sm.fit(method="newton", disp=0, maxiter=100)
    assert np.allclose(res.params, fit.params[:5], atol=1e-6)


@pytest.mark.parametrize("model", ["sequential", "maxdiff"])
def test_worst_scale_model(model):
    df = _bw_data(n=300, seed=2, lam=0.6, model=model)
    exp = models.expand_best_worst(df, NAMES, "f", model)
    ev = models._Scaled(exp)
    # at lambda = 1 the likelihood is the fixed-scale model's
    b = np.random.default_rng(4).normal(size=5)
    assert ev.evaluate(np.r_[b, 1.0])[0] == pytest.approx(clogit.loglik(b, exp.data),
                                                          abs=1e-8)
    # exact gradient and Hessian against central differences
    theta = np.r_[b, 0.7]
    ll, g, H = ev.evaluate(theta)
    h = 1e-5
    E = np.eye(len(theta)) * h
    num_g = np.array([(ev.evaluate(theta + e)[0] - ev.evaluate(theta - e)[0]) / (2 * h)
                      for e in E])
    num_H = np.array([(ev.evaluate(theta + e)[1] - ev.evaluate(theta - e)[1]) / (2 * h)
                      for e in E])
    assert np.allclose(g, num_g, rtol=1e-5, atol=1e-4)
    assert np.allclose(H, num_H, rtol=1e-4, atol=1e-3)
    fit = models.fit(exp, NAMES, "f", bw_model=model, worst_scale="estimate")
    assert fit.converged and fit.terms[-1] == "worst_scale" and fit.n_params == 6
    assert abs(fit.params[-1] - 0.6) < 3 * fit.bse[-1]
    fixed = models.fit(exp, NAMES, "f", bw_model=model)
    assert fit.loglik >= fixed.loglik


def test_reference_item_is_reported_at_zero_with_cluster_errors():
    df = _bw_data()
    exp = models.expand_best_worst(df, NAMES, "c", "sequential")
    fit = models.fit(exp, NAMES, "c")
    assert fit.terms == tuple(NAMES) and fit.params[2] == 0 and fit.bse[2] == 0
    assert fit.se_type == "cluster" and fit.n_params == 5
    assert fit.n_sets == 120 * 4 and fit.n_respondents == 120
    assert fit.model == "sequential_best_worst"
    # per group: the expansion of one group is the expansion of that group's rows
    part = exp.for_group("g")
    alone = models.expand_best_worst(df[df["group"] == "g"], NAMES, "c", "sequential")
    assert np.array_equal(part.data.X, alone.data.X)
    assert part.n_tasks == alone.n_tasks == 60 * 4
