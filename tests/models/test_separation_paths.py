"""One separation check for every estimation path (issue 14), through the Python API.

Separated data are built by hand: a level always (or never) chosen when offered against
another level, the opt-out always chosen, an item always chosen as worst or always ranked
last. The direction found must really be one along which the likelihood keeps rising
(checked with a plain numpy conditional-logit likelihood written here), and every path
must stop naming the level or item and its direction, or with ``on_separation="warn"``
return a fit marked not converged with the rows marked; unseparated controls raise
nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dce
from dce.core.coding import ChoiceData
from dce.errors import EstimationError
from dce.models import separation

LEVELS = ["low", "mid", "high"]


def long_data(mode: str, seed: int = 1, n: int = 60, tasks: int = 6) -> pd.DataFrame:
    """Two alternatives per task, quality (3 levels) and price; chosen by a logit, except
    ``always``: high is chosen whenever offered against another level; ``never``: low
    is never chosen when offered against another level."""
    rng = np.random.default_rng(seed)
    S = n * tasks
    q = rng.integers(0, 3, (S, 2))
    p = rng.uniform(1, 5, (S, 2))
    u = np.array([0.0, 0.5, 0.9])[q] - 0.3 * p + rng.gumbel(size=(S, 2))
    c = np.argmax(u, axis=1)
    if mode == "always":
        has = q == 2
        c = np.where(has[:, 0] & ~has[:, 1], 0, np.where(has[:, 1] & ~has[:, 0], 1, c))
    if mode == "never":
        has = q == 0
        c = np.where(has[:, 0] & ~has[:, 1], 1, np.where(has[:, 1] & ~has[:, 0], 0, c))
    rows = pd.DataFrame({
        "respondent": np.repeat(np.arange(S) // tasks, 2), "task": np.repeat(np.arange(S) % tasks, 2),
        "alternative": np.tile([1, 2], S), "quality": np.array(LEVELS)[q.ravel()],
        "price": p.ravel(), "chosen": (np.tile([0, 1], S) == np.repeat(c, 2)).astype(int)})
    return rows


def plain_loglik(beta, X, y, sets):
    """Conditional logit log-likelihood, written out with numpy only."""
    u = X @ beta
    out = 0.0
    for s in np.unique(sets):
        k = sets == s
        m = u[k].max()
        out += float(y[k] @ u[k]) - (m + np.log(np.exp(u[k] - m).sum()))
    return out


def toy(X, y, sizes):
    start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    n = len(sizes)
    return ChoiceData(np.asarray(X, float), np.asarray(y, float), start,
                      np.arange(n, dtype=np.int64), np.arange(n), np.array(["all"] * n, object),
                      np.tile([1, 2], n).astype(np.int64), ("x1", "x2"))


def test_direction_raises_the_likelihood_without_bound():
    # x1 decides every choice (complete separation: a cone of directions around (1, 0))
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 2))
    diff = X[0::2, 0] - X[1::2, 0]
    y = np.zeros(80)
    y[0::2] = diff > 0
    y[1::2] = diff <= 0
    data = toy(X, y, [2] * 40)
    d, n_sets = separation.direction(data)
    assert d[0] == 1.0 and abs(d[1]) < 1 and n_sets == 40
    sets = np.repeat(np.arange(40), 2)
    b = np.array([0.3, -0.2])
    lls = [plain_loglik(b + t * d, X, y, sets) for t in (0, 1, 10, 100, 1e4, 1e6)]
    assert all(b2 > b1 for b1, b2 in zip(lls[:4], lls[1:4]))   # strictly rising
    assert all(b2 >= b1 for b1, b2 in zip(lls, lls[1:]))
    assert lls[-1] > -1e-6                                 # towards a perfect fit: 0


def test_no_direction_when_the_maximum_exists():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 2))
    y = np.zeros(400)
    pick = rng.integers(0, 2, 200)
    y[np.arange(200) * 2 + pick] = 1
    assert separation.direction(toy(X, y, [2] * 200)) is None


@pytest.mark.parametrize("engine", ["native", "pylogit"])
@pytest.mark.parametrize("mode,words,reference", [("always", "quality = high always chosen", "low"),
                                                 ("never", "quality = low never chosen", "low"),
                                                 ("always", "quality = high always chosen", "high")])
def test_clogit_stops_naming_the_level_and_direction(mode, words, reference, engine):
    attrs = {"quality": dce.Attribute(levels=LEVELS, reference=reference), "price": "linear"}
    with pytest.raises(EstimationError, match=words) as info:
        dce.clogit(long_data(mode), attributes=attrs, engine=engine)
    assert "diverge" in str(info.value) and "model" in str(info.value)


def test_clogit_warn_finishes_marks_and_is_not_converged():
    with pytest.warns(UserWarning, match="quality = high always chosen"):
        res = dce.clogit(long_data("always"), attributes={"quality": LEVELS, "price": "linear"},
                         on_separation="warn")
    assert not res.fit.converged and not bool(res.glance()["converged"].iloc[0])
    marked = res.tidy().set_index("term")["separated"]
    assert marked["quality[high]"] and not marked["price"]


def test_clogit_control_gives_no_alarm():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = dce.clogit(long_data("logit"), attributes={"quality": LEVELS, "price": "linear"})
    assert res.fit.converged and "separated" not in res.tidy().columns


def test_opt_out_always_chosen_is_named():
    df = long_data("logit")
    df["chosen"] = 0
    extra = df.drop_duplicates(["respondent", "task"]).assign(alternative=3, chosen=1,
                                                               quality="", price=np.nan)
    df = pd.concat([df, extra]).sort_values(["respondent", "task", "alternative"])
    with pytest.raises(EstimationError, match="the opt-out always chosen"):
        dce.clogit(df, attributes={"quality": LEVELS, "price": "linear"})


def test_mixed_logit_stops_and_warns():
    attrs = {"quality": LEVELS, "price": "linear"}
    with pytest.raises(EstimationError, match="quality = high always chosen"):
        dce.mixed_logit(long_data("always"), attrs, random={"price": "normal"}, draws=20)
    with pytest.warns(UserWarning, match="quality = high always chosen"):
        res = dce.mixed_logit(long_data("always"), attrs, random={"price": "normal"},
                              draws=20, on_separation="warn")
    assert not res.fit.converged
    assert res.tidy().set_index("term")["separated"]["quality[high]"]


def items_frame(kind: str, worst: str | None = None, last: str | None = None, seed: int = 2):
    """Best-worst (or ranking) answers of 40 respondents to 7 sets of 3 of items a..g,
    drawn from a logit, except that ``worst`` is always chosen worst when shown or
    ``last`` is always ranked last."""
    rng = np.random.default_rng(seed)
    names = list("abcdefg")
    util = dict(zip(names, [1.0, 0.6, 0.3, 0.0, -0.2, -0.4, -0.6], strict=True))
    rows = []
    for r in range(40):
        for t in range(7):
            shown = list(rng.choice(names, 3, replace=False))
            order = sorted(shown, key=lambda i: -(util[i] + rng.gumbel()))
            for bad in (worst, last):
                if bad in order:
                    order.remove(bad)
                    order.append(bad)
            for i in shown:
                rows.append({"respondent": r, "task": t, "item": i,
                             "best": int(i == order[0]), "worst": int(i == order[-1]),
                             "rank": order.index(i) + 1})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("model,scale", [("sequential", "fixed"), ("maxdiff", "fixed"),
                                         ("sequential", "estimate")])
@pytest.mark.parametrize("reference", [None, "g", "a"])
def test_best_worst_names_the_worst_item_whatever_the_reference(model, scale, reference):
    df = items_frame("bw", worst="g")
    with pytest.raises(EstimationError, match=r"g always chosen as worst \(never as best\)"):
        dce.best_worst(df, items=list("abcdefg"), model=model, worst_scale=scale,
                       reference=reference)


def test_ranking_names_the_last_item_and_warn_marks_it():
    df = items_frame("rank", last="e")
    with pytest.raises(EstimationError, match="e always ranked last"):
        dce.ranking(df, items=list("abcdefg"), reference="e")
    with pytest.warns(UserWarning, match="e always ranked last"):
        res = dce.ranking(df, items=list("abcdefg"), reference="a", on_separation="warn")
    assert not res.fit.converged
    marked = res.tidy().set_index("term")["separated"]
    assert marked["e"] and not marked["b"]


def test_item_never_ranked_first_with_top_1():
    df = items_frame("rank", last="e")
    with pytest.raises(EstimationError, match="e never ranked first"):
        dce.ranking(df, items=list("abcdefg"), top_k=1)


def test_item_controls_give_no_alarm():
    df = items_frame("bw")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bw = dce.best_worst(df, items=list("abcdefg"))
        rk = dce.ranking(df, items=list("abcdefg"))
    assert bw.fit.converged and rk.fit.converged


def test_collinear_sets_are_all_named():
    rng = np.random.default_rng(1)
    S = 300
    lv = rng.integers(0, 2, (S, 2, 3)).astype(float)
    df = pd.DataFrame({"respondent": np.repeat(np.arange(S) // 6, 2),
                       "task": np.repeat(np.arange(S) % 6, 2), "alternative": np.tile([1, 2], S),
                       "a": lv[:, :, 0].ravel(), "b": lv[:, :, 0].ravel(),
                       "c": lv[:, :, 1].ravel(), "d": 2 * lv[:, :, 1].ravel(),
                       "e": lv[:, :, 2].ravel(),
                       "chosen": (np.tile([0, 1], S) == np.repeat(rng.integers(0, 2, S), 2))
                       .astype(int)})
    with pytest.raises(EstimationError,
                       match="terms a, b are collinear; terms c, d are collinear"):
        dce.clogit(df, attributes={k: "linear" for k in "abcde"})


def test_an_item_never_best_but_not_always_worst_has_a_maximum():
    # sequential best-worst: g is never chosen best, yet sometimes left in the middle, so
    # its utility has a finite maximum (the worst stage pulls it back): no alarm
    df = items_frame("bw", seed=5)
    g_best = (df["item"] == "g") & (df["best"] == 1)
    assert g_best.any()
    keys = ["respondent", "task"]
    sets = df.loc[g_best, keys].drop_duplicates()
    df = df.merge(sets.assign(_swap=1), on=keys, how="left")
    swap = df["_swap"].eq(1)
    # in those sets the best item becomes the middle one: g and the middle item swap roles
    mid = swap & (df["best"] == 0) & (df["worst"] == 0)
    df.loc[swap & (df["item"] == "g"), "best"] = 0
    df.loc[mid, "best"] = 1
    df = df.drop(columns="_swap")
    assert not ((df["item"] == "g") & (df["best"] == 1)).any()
    assert ((df["item"] == "g") & (df["best"] == 0) & (df["worst"] == 0)).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = dce.best_worst(df, items=list("abcdefg"))
    assert res.fit.converged and "separated" not in res.tidy().columns
    est = res.coef()
    assert est.idxmin() == "g" and est["g"] - est["a"] > -12


def test_bootstrap_fails_separated_resamples():
    # x1 decides every choice but those of respondent 0, who goes against it in one set:
    # a resample without respondent 0 is separated and its replicate must fail
    from dce.analysis.bootstrap import bootstrap

    rng = np.random.default_rng(8)
    n, tasks = 6, 4
    S = n * tasks
    X = rng.normal(size=(2 * S, 2))
    first = X[0::2, 0] > X[1::2, 0]
    first[0] = ~first[0]
    y = np.zeros(2 * S)
    y[0::2], y[1::2] = first, ~first
    data = ChoiceData(X, y, np.arange(0, 2 * S + 1, 2), np.repeat(np.arange(n), tasks),
                      np.arange(n), np.array(["g"] * S, object), np.tile([1, 2], S),
                      ("x1", "x2"))
    assert separation.direction(data) is None
    draws, failures = bootstrap({"all": data}, {"all": np.zeros(2)}, 40,
                                np.random.SeedSequence(3), pooled=False)
    assert any("separated" in f.message for f in failures)
    assert len(draws["all"]) + len(failures) == 40
    assert np.abs(draws["all"]).max() < 15


@pytest.mark.parametrize("engine", ["native", "pylogit"])
@pytest.mark.parametrize("seed,n", [(11, 15), (12, 60), (13, 400)])
def test_the_fit_screen_never_hides_a_separation(engine, seed, n):
    # the exact check runs only when the fit looks separated (separation.suspicious);
    # every separated fit, small or large, must look so
    from dce.core.coding import encode
    from dce.core.frames import attributes_from, long_frame
    from dce.models import fit

    df = long_data("never", seed=seed, n=n)
    attrs = attributes_from({"quality": LEVELS, "price": "linear"})
    table, _ = long_frame(df, attrs, choice="chosen", respondent="respondent", task="task",
                          alternative="alternative")
    data = encode(table, attrs, ())
    assert separation.direction(data) is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(data, engine=engine, se="classic")
    assert separation.suspicious(data, res.params, res.converged)


# ----- the words say only what the data show (trial 14) --------------------------------
QUALITY = ["none", "self-reported", "independent"]


def never_none_data(seed: int = 3, n: int = 30, tasks: int = 6) -> pd.DataFrame:
    """The trial's shape: two services and an opt-out ("Neither"), quality effects-coded
    and waiting linear, answers from a logit in which the opt-out is often chosen, except
    that a service with quality = none is never chosen (the other service, or else the
    opt-out, is taken instead)."""
    rng = np.random.default_rng(seed)
    S = n * tasks
    q = rng.integers(0, 3, (S, 2))
    w = rng.choice([1.0, 4.0, 12.0], (S, 2))
    u = np.c_[np.array([0.0, 0.6, 1.0])[q] - 0.1 * w, np.full(S, 0.3)] + rng.gumbel(size=(S, 3))
    c = np.argmax(u, axis=1)
    none = np.c_[q == 0, np.zeros(S, bool)]
    bad = none[np.arange(S), c]
    other = 1 - np.minimum(c, 1)
    c = np.where(bad & ~none[np.arange(S), other], other, np.where(bad, 2, c))
    rows = pd.DataFrame({
        "respondent": np.repeat(np.arange(S) // tasks, 3),
        "task": np.repeat(np.arange(S) % tasks, 3), "alternative": np.tile([1, 2, 3], S),
        "quality": np.c_[np.array(QUALITY)[q], np.full(S, "")].ravel(),
        "waiting": np.c_[w, np.full(S, np.nan)].ravel(),
        "chosen": (np.tile([0, 1, 2], S) == np.repeat(c, 3)).astype(int)})
    return rows


def test_a_constant_that_only_takes_part_is_not_said_to_be_always_chosen():
    df = never_none_data()
    opt = df[df["alternative"] == 3]
    k, n = int(opt["chosen"].sum()), len(opt)
    assert 0 < k < n  # the opt-out is chosen in some tasks only
    assert not df[(df["quality"] == "none") & (df["chosen"] == 1)].shape[0]
    with pytest.raises(EstimationError) as info:
        dce.clogit(df, attributes={"quality": QUALITY, "waiting": "linear"})
    msg = str(info.value)
    assert "quality = none never chosen" in msg
    assert "opt-out always chosen" not in msg and "opt-out never chosen" not in msg
    assert f"the opt-out constant (the opt-out chosen in {k} of {n} tasks where offered) " \
           "takes part without a choice pattern of its own" in msg
    assert "asc[opt_out] diverge together" in msg


def test_a_level_chosen_against_itself_is_never_chosen_only_against_others():
    df = long_data("never")
    low = df[df["quality"] == "low"]
    chosen_low = low[low["chosen"] == 1]
    assert len(chosen_low) > 0  # low is chosen where both services have it
    with pytest.raises(EstimationError) as info:
        dce.clogit(df, attributes={"quality": LEVELS, "price": "linear"})
    assert "quality = low never chosen when offered against another level" in str(info.value)


def _items_data(X, chosen, sizes, terms):
    start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    n = len(sizes)
    return ChoiceData(np.asarray(X, float), np.asarray(chosen, float), start,
                      np.arange(n, dtype=np.int64), np.arange(n), np.array(["all"] * n, object),
                      np.concatenate([np.arange(1, s + 1) for s in sizes]).astype(np.int64),
                      terms)


def test_item_words_need_the_order_in_the_data():
    # items a, b, reference c; a is not chosen in the second set, so "a always ranked
    # first" would be false whatever direction is passed in
    X = [[1, 0], [0, 1], [0, 0], [1, 0], [0, 1]]
    data = _items_data(X, [1, 0, 0, 0, 1], [3, 2], ("a", "b"))
    d = {"a": 1.0}
    assert separation.describe_items(d, ["a", "b", "c"], kind="ranking")[0] == [
        "a always ranked first"]
    phrases, named = separation.describe_items(d, ["a", "b", "c"], kind="ranking", data=data)
    assert phrases == ["the utilities of a diverge together"] and named == ["a"]
    # and where the data bear it out, the phrase stays
    ok = _items_data(X, [1, 0, 0, 1, 0], [3, 2], ("a", "b"))
    assert separation.describe_items(d, ["a", "b", "c"], kind="ranking", data=ok)[0] == [
        "a always ranked first"]
