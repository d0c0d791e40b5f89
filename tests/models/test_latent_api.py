"""The Python front end of the latent class model, ``dce.latent_class``.

References, each independent of the code under test:

* the engine itself on the same coded data and seed (:func:`dce.models.latent_class.fit`
  with the starts of stream ``latent_class``): the API adds no numbers of its own;
* ``dce run`` (``dce.analyse``) on a YAML config: the pooled model's fits, its
  class_selection.csv and the point estimates of class_importance.csv;
* the plain-numpy latent class likelihood of tests/reference/latent_class_independent.py
  (never imports dce) at the reported optimum, to 1e-8, with the effects coding written here;
* recovery of a simulated two-class panel (simulated here in numpy, 2,000 respondents):
  every coefficient and the share logit within 3 cluster-robust standard errors of the
  truth, and the modal posterior class right for at least 85% of respondents; a
  membership covariate recovered within 3 standard errors;
* the class count a range picks equals the smallest criterion computed by hand from
  ``glance()`` (``-2 LL + P log N`` etc.);
* importance per class equals each attribute's part-worth range over the sum, computed
  here from ``class_fit(c).tidy()``;
* bad arguments raise a ValueError subclass keyed by the argument.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dce
from dce.core.coding import ChoiceData
from dce.core.random import seed_sequence
from dce.errors import ConfigError, DataError
from dce.models import latent_class as lc
from tests.conftest import SMALL, write_config

REF = Path(__file__).resolve().parents[1] / "reference"
sys.path.insert(0, str(REF))
import latent_class_independent as ind  # noqa: E402

ATTRS = {"a": "linear", "b": "linear", "c": ["low", "mid", "high"]}
TERMS = ["a", "b", "c[mid]", "c[high]"]
BETAS = np.array([[1.0, -0.8, 0.6, -0.2],      # class 1 (share 0.65): terms as TERMS
                  [-0.8, 0.6, -0.5, 0.7]])     # class 2 (share 0.35)
EFFECTS = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])  # low (reference), mid, high


def simulate(seed, N, T=8, J=3, *, share2=0.35, gamma=None):
    """Long responses of a two-class panel logit: (frame, X (N*T, J, K), y, true class).

    ``gamma`` (g0, g1): class 2 with probability logistic(g0 + g1 [age == "young"]);
    otherwise with probability ``share2``."""
    rng = np.random.default_rng(seed)
    young = rng.random(N) < 0.5
    p2 = 1 / (1 + np.exp(-(gamma[0] + gamma[1] * young))) if gamma else np.full(N, share2)
    cls = (rng.random(N) < p2).astype(int)
    a = rng.normal(size=(N, T, J))
    b = rng.normal(size=(N, T, J))
    lev = rng.integers(0, 3, size=(N, T, J))
    X = np.concatenate([a[..., None], b[..., None], EFFECTS[lev]], axis=3)   # (N, T, J, 4)
    U = np.einsum("ntjk,nk->ntj", X, BETAS[cls]) + rng.gumbel(size=(N, T, J))
    y = U.argmax(axis=2)
    n, t, j = np.meshgrid(np.arange(N), np.arange(T), np.arange(J), indexing="ij")
    frame = pd.DataFrame({
        "id": n.ravel() + 1, "task": t.ravel() + 1, "alternative": j.ravel() + 1,
        "a": a.ravel(), "b": b.ravel(), "c": np.array(["low", "mid", "high"])[lev.ravel()],
        "chosen": (y[..., None] == np.arange(J)).astype(int).ravel(),
        "age": np.where(young, "young", "old")[n.ravel()]})
    return frame, X.reshape(N * T, J, 4), y.ravel(), cls


def quiet(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return dce.latent_class(respondent="id", **kwargs)


@pytest.fixture(scope="module")
def two_classes():
    return simulate(11, 2000)


@pytest.fixture(scope="module")
def ranged(two_classes):
    df = two_classes[0]
    return quiet(df=df, attributes=ATTRS, classes=(1, 3), starts=3, seed=4)


@pytest.fixture(scope="module")
def small():
    return simulate(5, 150, T=6)[0]


# ----- the engine and an independent likelihood -------------------------------------------------
@pytest.mark.parametrize("scale_classes", [1, 2])
def test_api_equals_the_engine_on_the_same_data_and_seed(small, scale_classes):
    res = quiet(df=small, attributes=ATTRS, classes=2, scale_classes=scale_classes, starts=3,
                seed=9)
    data = ChoiceData.from_frame(small, ATTRS, respondent="id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = lc.fit(data, classes=2, scale_classes=scale_classes, starts=3,
                     seed_seq=seed_sequence(9, "latent_class", 0))
    assert res.fit.terms == ref.terms
    assert abs(res.fit.loglik - ref.loglik) < 1e-8
    assert np.allclose(res.fit.params, ref.params, rtol=0, atol=1e-8)
    assert np.allclose(res.fit.vcov, ref.vcov, rtol=0, atol=1e-8)
    pd.testing.assert_frame_equal(res.start_table(), ref.start_table())   # the same starts
    assert res.glance().loc[0, "n_scale_classes"] == scale_classes
    if scale_classes == 2:
        assert "scale" in res.class_shares().columns


def test_api_equals_the_pooled_model_of_a_run(tmp_path):
    cfg = SMALL.replace("model: {by: group}", "model: {type: latent_class, classes: [1, 2], "
                        "starts: 3, membership: [group]}")
    study = dce.load_config(write_config(tmp_path, cfg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = dce.analyse(study)
        res = dce.latent_class(run.raw.responses, {a.name: a for a in study.attributes},
                               classes=(1, 2), starts=3, membership=["group"], block="block",
                               seed=study.seed)
    sel = run.raw.latent["all"]
    for C in (1, 2):
        mine, theirs = res.with_classes(C).fit, sel.fits[C]
        assert mine.terms == theirs.terms
        assert abs(mine.loglik - theirs.loglik) < 1e-8
        assert np.allclose(mine.params, theirs.params, rtol=0, atol=1e-8)
        pd.testing.assert_frame_equal(mine.start_table(), theirs.start_table())
    table = run.tables["class_selection"]
    assert list(table.columns) == ["group", *res.selection.columns]
    # the run's tables hold what its CSV files write: 10 significant digits
    assert np.allclose(table["bic"], res.selection["bic"], rtol=1e-9, atol=0)
    assert list(table["chosen"].astype(str).str.lower() == "true") == list(res.selection["chosen"])
    theirs = run.tables["class_importance"]
    mine = dce.importance(res, draws=100)
    assert np.allclose(mine["importance"], theirs["importance"], rtol=1e-9, atol=1e-12)
    assert list(mine["class"]) == list(theirs["class"])


def test_loglik_equals_the_independent_numpy_likelihood(small):
    res = quiet(df=small, attributes=ATTRS, classes=2, starts=3, seed=2)
    _, X, y, _ = simulate(5, 150, T=6)
    resp = np.repeat(np.arange(150), 6)
    assert list(res.fit.class_terms) == TERMS
    ll, grad = ind.loglik_and_gradient(res.fit.params, X, y, resp, 150, 2)
    assert abs(ll - res.fit.loglik) < 1e-8
    assert np.abs(grad).max() < 1e-3      # an optimum of the independent likelihood too


# ----- recovery and the choice of the number of classes -----------------------------------------
def test_recovers_two_simulated_classes(two_classes, ranged):
    _, _, _, cls = two_classes
    res = ranged
    assert res.n_classes == 2
    t = res.tidy()
    est = t.set_index(["class", "term"])
    for c in (1, 2):
        for k, term in enumerate(TERMS):
            row = est.loc[(f"class{c}", term)]
            assert abs(row["estimate"] - BETAS[c - 1, k]) < 3 * row["std_error"], (c, term)
    g = est.loc[("class2", "membership[const]")]
    truth = np.log(0.35 / 0.65)
    assert abs(g["estimate"] - truth) < 3 * g["std_error"]
    post = res.posterior_frame()
    assert list(post.columns) == ["class1", "class2", "class"]
    assert np.allclose(post[["class1", "class2"]].sum(axis=1), 1)
    assert (post["class"].to_numpy() - 1 == cls).mean() > 0.85
    shares = res.class_shares()
    assert list(shares["class"]) == ["class1", "class2"]
    assert abs(shares["share"].sum() - 1) < 1e-12


@pytest.mark.parametrize("criterion", ["bic", "caic", "aic3"])
def test_range_picks_the_smallest_criterion_computed_by_hand(ranged, criterion):
    sel = ranged.selection
    assert list(sel["classes"]) == [1, 2, 3]
    assert list(sel.columns) == ["classes", "log_likelihood", "n_parameters", "aic", "bic",
                                 "caic", "aic3", "n_starts", "starts_at_best",
                                 "share_at_best", "smallest_share", "converged", "criterion",
                                 "chosen"]
    by_hand = {}
    for C in (1, 2, 3):
        g = ranged.with_classes(C).glance().iloc[0]
        assert g["n_classes"] == C
        LL, P, N = g["log_likelihood"], g["n_parameters"], g["n_respondents"]
        assert P == C * 4 + C - 1 and N == 2000
        by_hand[C] = {"bic": -2 * LL + P * np.log(N), "caic": -2 * LL + P * (np.log(N) + 1),
                      "aic3": -2 * LL + 3 * P}[criterion]
        assert sel.set_index("classes").loc[C, criterion] == pytest.approx(by_hand[C],
                                                                           rel=1e-12)
    best = min(by_hand, key=by_hand.get)
    assert best == 2
    if criterion == "bic":   # the fit's own choice
        assert list(sel["chosen"]) == [C == best for C in (1, 2, 3)]
        assert ranged.n_classes == best


def test_importance_per_class_is_the_share_of_part_worth_ranges(ranged, two_classes):
    df = two_classes[0]
    imp = dce.importance(ranged, draws=200, seed=3)
    assert list(imp.columns[:2]) == ["class", "attribute"]
    assert list(imp["class"]) == ["class1"] * 3 + ["class2"] * 3
    for c in (1, 2):
        coef = ranged.class_fit(c).tidy().set_index("term")["estimate"]
        spans = {"a": abs(coef["a"]) * np.ptp(df["a"]), "b": abs(coef["b"]) * np.ptp(df["b"]),
                 "c": np.ptp(coef[["c[low]", "c[mid]", "c[high]"]].to_numpy())}
        got = imp[imp["class"] == f"class{c}"].set_index("attribute")["importance"]
        for name, span in spans.items():
            assert got[name] == pytest.approx(span / sum(spans.values()), abs=1e-10)
    again = dce.importance(ranged, draws=200, seed=3)
    pd.testing.assert_frame_equal(imp, again)


# ----- membership covariates --------------------------------------------------------------------
def test_membership_column_recovered_and_equal_to_a_respondent_frame():
    df, _, _, _ = simulate(23, 2000, gamma=(-1.2, 1.6))
    res = quiet(df=df, attributes=ATTRS, classes=2, membership=["age"], starts=3, seed=1)
    est = res.tidy().set_index(["class", "term"])
    # class 2 of the truth is the smaller class on average (shares 0.23 / 0.60 by age)
    for term, truth in (("membership[const]", -1.2), ("membership[age[young]]", 1.6)):
        row = est.loc[("class2", term)]
        assert abs(row["estimate"] - truth) < 3 * row["std_error"], term
    frame = df.groupby("id")[["age"]].first()
    same = quiet(df=df, attributes=ATTRS, classes=2, membership=frame, starts=3, seed=1)
    assert np.array_equal(same.fit.params, res.fit.params)
    assert same.fit.membership_terms == ("const", "age[young]")


# ----- presentation -----------------------------------------------------------------------------
def test_renders_and_reports_like_model_result(small):
    res = quiet(df=small, attributes=ATTRS, classes=2, starts=2, seed=1)
    assert "latent_class: 2 classes" in repr(res)
    html = res._repr_html_()
    assert html.startswith("<div>") and "class1" in html
    assert "group" not in res.tidy().columns and "group" not in res.glance().columns
    assert list(res.tidy().columns[:2]) == ["class", "term"]
    assert {"rho_squared", "n_classes", "share_at_best"} <= set(res.glance().columns)
    one = res.class_fit(2)
    assert isinstance(one, dce.ModelResult)
    assert "c[low]" in set(one.tidy()["term"])        # the omitted effects level too
    with pytest.raises(ValueError):
        res.class_fit(3)
    with pytest.raises(ConfigError) as e:
        dce.wtp(res, "a")
    assert e.value.problems[0].key == "res"
    assert len(res.start_table()) == 2


# ----- bad arguments ----------------------------------------------------------------------------
def varying(df):
    out = df.copy()
    out["age"] = np.where(out["task"] == 1, "young", out["age"])
    return out


BAD = [
    ({"classes": 0}, ConfigError, "classes", ">= 1"),
    ({"classes": (3, 2)}, ConfigError, "classes", "1 <= lo <= hi"),
    ({"classes": (1, 2, 3)}, ConfigError, "classes", "[lo, hi]"),
    ({"classes": 2.5}, ConfigError, "classes", "2.5"),
    ({"classes": True}, ConfigError, "classes", "True"),
    ({"classes": 400}, DataError, "classes", "respondents"),
    ({"starts": 0}, ConfigError, "starts", ">= 1"),
    ({"scale_classes": 0}, ConfigError, "scale_classes", ">= 1"),
    ({"criterion": "aic"}, ConfigError, "criterion", "'bic', 'caic' or 'aic3'"),
    ({"seed": -1}, ConfigError, "seed", ">= 0"),
    ({"vcov": "HC0"}, ConfigError, "vcov", "'cluster'"),
    ({"membership": ["agee"]}, DataError, "membership='agee'", "did you mean 'age'"),
    ({"membership": ["age", "age"]}, ConfigError, "membership", "twice"),
    ({"membership": ["a"]}, ConfigError, "membership", "attribute"),
    ({"membership": [3]}, ConfigError, "membership", "column names"),
    ({"membership": pd.DataFrame({"age": ["x"]}, index=[1])}, DataError, "membership",
     "no row for respondents"),
]


@pytest.mark.parametrize("kwargs,error,key,words", BAD, ids=[str(b[0])[:40] for b in BAD])
def test_bad_arguments_are_named(small, kwargs, error, key, words):
    with pytest.raises(error) as e:
        quiet(df=small, attributes=ATTRS, **{"classes": 2, "starts": 2, **kwargs})
    assert isinstance(e.value, ValueError)
    assert e.value.problems[0].key == key
    assert words in e.value.problems[0].message


def test_membership_varying_within_a_respondent_is_named(small):
    with pytest.raises(DataError) as e:
        quiet(df=varying(small), attributes=ATTRS, membership=["age"], starts=2)
    p = e.value.problems[0]
    assert p.key == "membership" and "'age'" in p.message and "within respondent" in p.message
    # the respondent as the user wrote it (ids 1..150, int64), not as numpy shows it
    assert "values within respondent 1 (and " in p.message and "np." not in p.message


def test_membership_frame_with_a_missing_value_names_the_respondent_plainly(small):
    frame = small.groupby("id")[["age"]].first()
    frame["score"] = np.arange(len(frame), dtype=float)
    frame.loc[3, "score"] = np.nan
    with pytest.raises(DataError) as e:
        quiet(df=small, attributes=ATTRS, membership=frame, starts=2)
    p = e.value.problems[0]
    assert p.key == "membership"
    assert p.message == "membership covariate 'score' is missing for respondent 3"


def test_membership_as_one_column_name_is_that_column(small):
    """A bare string is one column (as ``df[["age"]]`` would be), not rejected and not
    read as the letters ``a, g, e``."""
    one = quiet(df=small, attributes=ATTRS, classes=2, membership="age", starts=2, seed=1)
    listed = quiet(df=small, attributes=ATTRS, classes=2, membership=["age"], starts=2, seed=1)
    assert one.fit.membership_terms == ("const", "age[young]")
    assert np.array_equal(one.fit.params, listed.fit.params)
    with pytest.raises(DataError) as e:
        quiet(df=small, attributes=ATTRS, membership="agee", starts=2)
    assert "did you mean 'age'" in e.value.problems[0].message
