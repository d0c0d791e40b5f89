"""dce.best_worst / dce.ranking (dce/models/items_api.py): the Python API of item studies.

The fits must equal the pipeline's per-group fits of a simulated study, the sequential
best-worst, maxdiff and rank-ordered log-likelihoods are recomputed in plain numpy, and
every bad argument raises a DceError that is a ValueError naming the argument or column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dce.analysis.api import item_importance
from dce.config.study import load_config
from dce.errors import ConfigError, DataError, DceError, EstimationError
from dce.models.fitted import ModelResult
from dce.models.items_api import best_worst, ranking
from dce.run.outputs import estimates_table, models_table
from dce.run.runner import analyse
from tests.conftest import write_config

ITEMS = ["quality", "health", "similar", "quick", "cost", "format", "times"]
LABELS = {"quality": "Quality of the service", "health": "Better health"}

BW = """
schema_version: 1
name: api_bws
seed: 11
type: best-worst
items: {quality: {label: Quality of the service}, health: {label: Better health},
        similar: {}, quick: {}, cost: {}, format: {}, times: {}}
design: {items_per_set: 3, sets: 14, blocks: 2}
simulate:
  groups:
    users: {respondents: 120, utilities: {quality: 1.5, health: 1.1, similar: 0.8,
                                          quick: 0.4, cost: 0.2}}
    staff: {respondents: 100, scale: 0.8, utilities: {quality: 1.2, health: 1.3,
                                                      similar: 0.2, quick: 0.6, cost: 0.1}}
model: {by: group, reference_item: cost}
importance: {draws: 50}
"""

RANK = """
schema_version: 1
name: api_rank
seed: 5
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}}
simulate:
  groups:
    x: {respondents: 90, utilities: {a: 1.0, b: 0.5, c: 0.0, d: -0.5, e: -1.0}}
    y: {respondents: 80, utilities: {a: -1.0, b: -0.5, c: 0.0, d: 0.5, e: 1.0}}
model: {by: group, top_k: 3}
importance: {draws: 50}
"""


@pytest.fixture(scope="module")
def bw_run(tmp_path_factory):
    return analyse(load_config(write_config(tmp_path_factory.mktemp("bw"), BW)))


@pytest.fixture(scope="module")
def rank_run(tmp_path_factory):
    return analyse(load_config(write_config(tmp_path_factory.mktemp("rank"), RANK)))


@pytest.fixture(scope="module")
def users(bw_run):
    return bw_run.responses[bw_run.responses["group"] == "users"].reset_index(drop=True)


@pytest.fixture(scope="module")
def users_fit(users):
    return best_worst(users, ITEMS, reference="cost", block="block", group="group")


def _same_fit(res: ModelResult, ref, tol=1e-10):
    assert res.fit.terms == ref.terms
    np.testing.assert_allclose(res.fit.params, ref.params, rtol=0, atol=tol)
    np.testing.assert_allclose(res.fit.vcov, ref.vcov, rtol=0, atol=tol)
    np.testing.assert_allclose(res.se().to_numpy(), ref.bse, rtol=0, atol=tol)
    assert res.fit.loglik == pytest.approx(ref.loglik, abs=1e-8)
    assert res.fit.n_sets == ref.n_sets and res.fit.n_respondents == ref.n_respondents


# ----- equal to the pipeline ------------------------------------------------------------
@pytest.mark.parametrize("group", ["users", "staff", "all"])
def test_best_worst_equals_the_pipeline_fit_of_each_group(bw_run, group):
    resp = bw_run.responses
    if group != "all":                                  # "all": the pooled model
        resp = resp[resp["group"] == group]
    res = best_worst(resp, ITEMS, reference="cost", block="block", group="group")
    ref = {r.group: r for r in bw_run.fits}[group]
    _same_fit(res, ref)
    assert res.vcov_type == "cluster" and ref.se_type == "cluster"
    # tidy() is estimates.csv of the group (every item, the reference at 0)
    est = estimates_table(bw_run)
    est = est[est["group"] == group].drop(columns="group").reset_index(drop=True)
    pd.testing.assert_frame_equal(res.tidy(), est, rtol=0, atol=1e-10)
    # glance() is the group's row of models.csv (which leaves the constants-only
    # log-likelihood of an item model empty; the API gives the null log-likelihood)
    row = models_table(bw_run).set_index("group").loc[group]
    g = res.glance().iloc[0]
    for col in ["n_respondents", "n_choice_sets", "n_parameters", "log_likelihood",
                "null_log_likelihood", "aic", "bic", "rho_squared"]:
        assert g[col] == pytest.approx(row[col], abs=1e-8), col
    assert g["model"] == row["model"] == "sequential_best_worst"
    assert g["constants_log_likelihood"] == g["null_log_likelihood"]


@pytest.mark.parametrize("group", ["x", "y"])
def test_ranking_equals_the_pipeline_fit_of_each_group(rank_run, group):
    resp = rank_run.responses[rank_run.responses["group"] == group]
    res = ranking(resp, list("abcde"), block="block", group="group", top_k=3)
    ref = {r.group: r for r in rank_run.fits}[group]
    _same_fit(res, ref)
    assert res.glance()["model"].item() == "rank_ordered_logit"
    assert res.glance()["n_choice_sets"].item() == resp["respondent"].nunique()
    full = ranking(resp, list("abcde"), block="block", group="group")
    assert abs(full.fit.loglik - ref.loglik) > 1     # top_k is used, not ignored


def test_partial_rankings_are_top_k_rankings(rank_run):
    resp = rank_run.responses[rank_run.responses["group"] == "x"].copy()
    top3 = ranking(resp, list("abcde"), top_k=3)
    resp["rank"] = resp["rank"].where(resp["rank"] <= 3)        # ranks 4 and 5 left empty
    partial = ranking(resp.drop(columns="task"), list("abcde"), task=None)
    _same_fit(partial, top3.fit)
    two = ranking(resp, list("abcde"), top_k=2)
    assert abs(two.fit.loglik - partial.fit.loglik) > 1


# ----- independent checks in plain numpy -------------------------------------------------
def _sets(resp: pd.DataFrame, value: str):
    """(items, values) as (sets, k) arrays; every set of the test studies has k rows."""
    r = resp.sort_values(["respondent", "block", "task", "alternative"])
    k = int(r.groupby(["respondent", "block", "task"]).size().iloc[0])
    return r["item"].to_numpy().reshape(-1, k), r[value].to_numpy().reshape(-1, k)


def _lse(u, mask):
    u = np.where(mask, u, -np.inf)
    m = u.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(u - m).sum(axis=1, keepdims=True)))[:, 0]


def _bw_loglik(v: dict, items, best, worst, model):
    u = np.vectorize(v.get)(items).astype(float)
    b, w = best.astype(bool), worst.astype(bool)
    if model == "sequential":           # best from the set, then worst from the rest
        everything = np.ones_like(b)
        return float((u[b] - _lse(u, everything)).sum() + (-u[w] - _lse(-u, ~b)).sum())
    pair = u[:, :, None] - u[:, None, :]         # maxdiff: ordered pairs i != j
    off = ~np.eye(u.shape[1], dtype=bool)[None].repeat(len(u), 0)
    chosen = pair[b][np.arange(len(u)), np.argmax(w, axis=1)]
    flat = pair.reshape(len(u), -1)
    return float((chosen - _lse(flat, off.reshape(len(u), -1))).sum())


@pytest.mark.parametrize("model", ["sequential", "maxdiff"])
def test_best_worst_loglik_in_numpy_is_maximised(users, model):
    res = best_worst(users, ITEMS, reference="cost", block="block", model=model)
    items, best = _sets(users, "best")
    _, worst = _sets(users, "worst")
    coef = res.coef()
    free = [t for t in ITEMS if t != "cost"]

    def ll(theta):
        return _bw_loglik({**dict(zip(free, theta)), "cost": 0.0}, items, best, worst, model)

    theta = coef[free].to_numpy()
    assert ll(theta) == pytest.approx(res.glance()["log_likelihood"].item(), abs=1e-8)
    h = 1e-5
    grad = [(ll(theta + h * e) - ll(theta - h * e)) / (2 * h) for e in np.eye(len(free))]
    assert np.abs(grad).max() < 1e-4
    for e in np.eye(len(free)):
        assert ll(theta + 0.01 * e) < ll(theta) and ll(theta - 0.01 * e) < ll(theta)


def test_rank_ordered_loglik_in_numpy(rank_run):
    resp = rank_run.responses[rank_run.responses["group"] == "y"]
    res = ranking(resp, list("abcde"), reference="c", top_k=3)
    items, rank = _sets(resp, "rank")
    v = res.coef().to_dict()
    assert v["c"] == 0
    u = np.vectorize(v.get)(items).astype(float)
    ll = sum(float((u[rank == s] - _lse(u, rank >= s)).sum()) for s in (1, 2, 3))
    assert ll == pytest.approx(res.glance()["log_likelihood"].item(), abs=1e-8)


# ----- the result ------------------------------------------------------------------------
def test_result_lists_every_item_with_the_reference_at_zero(users_fit):
    res = users_fit
    t = res.tidy(level=0.9)
    assert list(t["term"]) == ITEMS
    ref = t.set_index("term").loc["cost"]
    assert ref["estimate"] == 0 and ref["std_error"] == 0
    assert ref["ci_lower"] == ref["ci_upper"] == 0
    assert (t.drop(index=4)["std_error"] > 0).all()
    assert list(res.coef().index) == list(res.se().index) == ITEMS
    V = res.vcov
    assert list(V.index) == list(V.columns) == ITEMS
    assert (V.loc["cost"] == 0).all() and (V["cost"] == 0).all()
    robust = res.with_vcov("robust")
    assert robust.vcov_type == "robust"
    np.testing.assert_allclose(robust.se().to_numpy() ** 2,
                               np.diag(res.fit.vcovs["robust"]), rtol=1e-12)
    assert not np.allclose(robust.se().to_numpy(), res.se().to_numpy())
    assert res.glance()["n_parameters"].item() == len(ITEMS) - 1
    text, page = res.summary(), res._repr_html_()
    assert "sequential_best_worst" in text and "<table" in page
    assert all(i in text and i in page for i in ITEMS)
    assert [a.name for a in res.attributes] == ITEMS
    assert res.columns["reference"] == "cost" and res.columns["items"] == tuple(ITEMS)


def test_row_order_ids_labels_and_column_names_do_not_change_the_fit(users, users_fit):
    df = users.rename(columns={"respondent": "pid", "task": "set", "item": "factor",
                               "best": "most", "worst": "least"})
    df["pid"] = "p" + df["pid"].astype(str)
    df["factor"] = df["factor"].map(lambda s: LABELS.get(s, s))      # labels in the cells
    df["most"] = df["most"].astype(bool)
    df = df.sample(frac=1, random_state=3)
    items = {i: LABELS.get(i, i) for i in ITEMS}
    res = best_worst(df, items, respondent="pid", task="set", item="factor", best="most",
                     worst="least", block="block", reference="cost")
    np.testing.assert_allclose(res.fit.params, users_fit.fit.params, atol=1e-8)
    np.testing.assert_allclose(res.fit.vcov, users_fit.fit.vcov, atol=1e-8)
    assert res.fit.loglik == pytest.approx(users_fit.fit.loglik, abs=1e-8)
    other = best_worst(users, ITEMS, block="block")          # default reference: the last
    assert other.coef()["times"] == 0 and other.coef()["cost"] != 0


def test_worst_scale_is_estimated_and_reported(users):
    res = best_worst(users, ITEMS, reference="cost", block="block", worst_scale="estimate")
    t = res.tidy().set_index("term")
    assert list(t.index) == ITEMS + ["worst_scale"]
    lam = t.loc["worst_scale"]
    assert lam["std_error"] > 0 and lam["ci_lower"] < 1 < lam["ci_upper"]   # simulated at 1
    assert res.glance()["n_parameters"].item() == len(ITEMS)


def test_item_importance_shares(users_fit):
    imp = item_importance(users_fit, draws=400, seed=2)
    assert list(imp["attribute"]) == ITEMS
    v = users_fit.coef().to_numpy()
    np.testing.assert_allclose(imp["importance"], np.exp(v) / np.exp(v).sum(), rtol=1e-12)
    assert imp.set_index("attribute")["rank"].idxmin() == "quality"
    assert (imp["ci_lower"] <= imp["importance"]).all()
    assert (imp["importance"] <= imp["ci_upper"]).all()
    delta = item_importance(users_fit, intervals="delta")
    assert not np.allclose(delta["ci_lower"], imp["ci_lower"])


# ----- bad arguments ---------------------------------------------------------------------
def _bw_bad(users, change):
    df = users.copy()
    kwargs = {"items": list(ITEMS), "block": "block"}
    change(df, kwargs)
    return lambda: best_worst(df, **kwargs)


def _set(df, row, **values):
    for k, v in values.items():
        df.loc[row, k] = v


def _duplicate(df):
    """Show a set's best item a second time in place of its third (neither) item."""
    row = int(df.index[(df.best == 0) & (df.worst == 0)][0])
    keys = df.loc[row, ["respondent", "block", "task"]]
    same = (df[["respondent", "block", "task"]] == keys).all(axis=1) & (df.best == 1)
    df.loc[row, "item"] = df.loc[same, "item"].item()


BW_BAD = {
    "missing column": (lambda d, k: k.update(best="Best"), DataError, ["'Best'", "did you mean"]),
    "unknown item": (lambda d, k: _set(d, 5, item="qualty"), DataError,
                     ["'item'", "'qualty'", "index 5", "did you mean 'quality'"]),
    "item not listed": (lambda d, k: k.update(items=ITEMS[:-1]), DataError,
                        ["'item'", "'times'"]),
    "two bests": (lambda d, k: _set(d, int(d.index[(d.best == 0) & (d.worst == 0)][0]),
                                    best=1), DataError, ["'best'", "exactly one best"]),
    "no worst": (lambda d, k: _set(d, int(d.index[d.worst == 1][0]), worst=0), DataError,
                 ["'worst'", "exactly one worst"]),
    "best is worst": (lambda d, k: _set(d, int(d.index[d.best == 1][0]), worst=1), DataError,
                      ["'worst'", "best and worst"]),
    "not 0/1": (lambda d, k: _set(d, 3, best=2), DataError, ["'best'", "0 or 1", "2"]),
    "duplicate item": (lambda d, k: _duplicate(d), DataError, ["'item'", "once per set"]),
    "empty respondent": (lambda d, k: _set(d, 7, respondent=np.nan), DataError,
                         ["'respondent'", "empty", "7"]),
    "model": (lambda d, k: k.update(model="sequentail"), ConfigError,
              ["model", "'sequential' or 'maxdiff'"]),
    "worst_scale": (lambda d, k: k.update(worst_scale="free"), ConfigError,
                    ["worst_scale", "'fixed' or 'estimate'"]),
    "vcov": (lambda d, k: k.update(vcov="HC0"), ConfigError, ["vcov", "'HC0'"]),
    "engine": (lambda d, k: k.update(engine="stata"), ConfigError, ["engine", "'native'"]),
    "reference": (lambda d, k: k.update(reference="cots"), ConfigError,
                  ["reference", "'cots'", "did you mean 'cost'"]),
    "items": (lambda d, k: k.update(items="quality"), ConfigError, ["items", "str"]),
    "repeated items": (lambda d, k: k.update(items=ITEMS + ["cost"]), ConfigError,
                       ["items", "'cost'"]),
    "column name": (lambda d, k: k.update(task=["task"]), ConfigError, ["task"]),
}


@pytest.mark.parametrize("case", list(BW_BAD))
def test_bad_best_worst_arguments_name_the_argument_or_column(users, case):
    change, kind, words = BW_BAD[case]
    call = _bw_bad(users, change)
    with pytest.raises(kind) as info:
        call()
    exc = info.value
    assert isinstance(exc, DceError) and isinstance(exc, ValueError)
    assert not isinstance(exc, (KeyError, IndexError, AttributeError))
    for w in words:
        assert w in str(exc), (w, str(exc))


def test_small_sets_and_other_tables(users):
    small = users.drop(index=users.index[(users.best == 0) & (users.worst == 0)][:1])
    with pytest.raises(DataError, match="fewer than 3 items"):
        best_worst(small, ITEMS, block="block")
    with pytest.raises(DataError, match="DataFrame") as info:
        best_worst(users.to_dict("list"), ITEMS)
    assert info.value.problems[0].key == "df"
    one = users[users["respondent"] == users["respondent"].iloc[0]]
    with pytest.raises(EstimationError, match="vcov='robust'"):
        best_worst(one, ITEMS, block="block")
    assert issubclass(EstimationError, RuntimeError)


def _rank_bad(rank_run, change):
    df = rank_run.responses[rank_run.responses["group"] == "x"].reset_index(drop=True)
    df["rank"] = df["rank"].astype(object)
    kwargs = {"items": list("abcde")}
    change(df, kwargs)
    return lambda: ranking(df, **kwargs)


RANK_BAD = {
    "tie": (lambda d, k: _set(d, 1, rank=d.loc[0, "rank"]), ["'rank'", "tied"]),
    "gap": (lambda d, k: _set(d, int(d.index[d["rank"] == 1][0]), rank=""),
            ["'rank'", "gaps"]),
    "zero": (lambda d, k: _set(d, 2, rank=0), ["'rank'", "rank (1 = first"]),
    "text": (lambda d, k: _set(d, 2, rank="first"), ["'rank'", "'first'"]),
    "none ranked": (lambda d, k: _set(d, [0, 1, 2, 3, 4], rank=np.nan),
                    ["'rank'", "no ranked item"]),
    "no task column": (lambda d, k: d.pop("task"),
                       ["'task'", "task=None"]),
    "top_k": (lambda d, k: k.update(top_k=0), ["top_k"]),
    "unknown item": (lambda d, k: _set(d, 4, item="f"), ["'item'", "'f'"]),
}


@pytest.mark.parametrize("case", list(RANK_BAD))
def test_bad_ranking_arguments_name_the_argument_or_column(rank_run, case):
    change, words = RANK_BAD[case]
    call = _rank_bad(rank_run, change)
    with pytest.raises(ValueError) as info:
        call()
    exc = info.value
    assert isinstance(exc, (DataError, ConfigError))
    for w in words:
        assert w in str(exc), (w, str(exc))
