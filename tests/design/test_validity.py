"""Validity tasks (dce.design.validity): dominance tasks dominate under the priors (checked
by part-worths written out by hand), repeats equal their originals (swap mapped), the
repeats follow their originals with a third of the block
between them, the choice tasks and their diagnostics are those of the design without validity tasks, marked
design files round-trip, and the models leave the validity tasks out unless asked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from design_refs import make_study
from hypothesis import given, settings
from hypothesis import strategies as st

import dce
from dce.design import build
from dce.design.validity import MIN_BETTER, dominance_sets
from dce.errors import ConfigError, DataError, DesignError

ATTRS = {"quality": {"levels": ["Low", "Mid", "High"]},
         "similar": {"levels": ["No", "Yes"]},
         "waiting": {"levels": [1, 4, 12], "coding": "linear"},
         "format": {"levels": ["Face", "Online"]}}
PRIORS = {"quality[Mid]": 0.2, "quality[High]": 0.6, "similar[Yes]": 0.3, "waiting": -0.05}


def partworths_by_hand(priors: dict) -> dict:
    """Level -> utility per attribute at the prior means, effects coding written out:
    the reference (first) level is minus the sum of the others; linear: slope x level.
    ``format`` has no prior, so no order."""
    q = [-(priors["quality[Mid]"] + priors["quality[High]"]), priors["quality[Mid]"],
         priors["quality[High]"]]
    return {"quality": dict(zip(["Low", "Mid", "High"], q, strict=True)),
            "similar": {"No": -priors["similar[Yes]"], "Yes": priors["similar[Yes]"]},
            "waiting": {v: priors["waiting"] * v for v in (1, 4, 12)}}


def dominant_alternative(task: pd.DataFrame, pw: dict):
    """The alternative at least as good as every other on every attribute and better than
    each on at least two (unordered attributes must be equal), else None."""
    rows = task[task["is_opt_out"] == 0].to_dict("records")
    for a in rows:
        ok = True
        for b in rows:
            if b is a:
                continue
            better = 0
            for name in ATTRS:
                va, vb = a[name], b[name]
                if name == "waiting":
                    va, vb = int(va), int(vb)
                if name not in pw:
                    ok &= va == vb
                    continue
                ok &= pw[name][va] >= pw[name][vb] - 1e-12
                better += pw[name][va] > pw[name][vb] + 1e-12
            ok &= better >= MIN_BETTER
        if ok:
            return a["alternative"]
    return None


def study(**design):
    spec = {"opt_out": "Neither", "priors": PRIORS, **design}
    return make_study(attributes=ATTRS, tasks=6, blocks=2, method="d-efficient", **spec)


def test_dominance_tasks_have_a_dominant_alternative_under_the_priors():
    s = study(dominance_tasks=2, alternatives=3)
    t = build(s).table
    pw = partworths_by_hand(PRIORS)
    dom = t[t["task_type"] == "dominance"]
    assert dom.groupby("block")["task"].nunique().tolist() == [2, 2]
    assert sorted(dom["task"].unique()) == [7, 8]  # after the 6 choice tasks
    positions = []
    for _, task in dom.groupby(["block", "task"]):
        best = dominant_alternative(task, pw)
        assert best is not None
        positions.append(best)
    # the dominant alternative is not always in the same place
    assert len(set(positions)) > 1 or len(positions) < 3


def test_without_an_order_the_error_is_located():
    from pathlib import Path

    import yaml

    from dce.config.study import parse_config

    doc = {"schema_version": 1, "name": "t", "seed": 1, "attributes": ATTRS,
           "design": {"method": "random", "tasks": 4, "dominance_tasks": 1,
                      "priors": {"waiting": -0.05}},
           "simulate": {"groups": {"g": {"respondents": 10}}}}
    with pytest.raises(ConfigError) as exc:
        parse_config(yaml.safe_dump(doc, sort_keys=False), "s.yaml", Path("/tmp/s.yaml"))
    p = exc.value.problems[0]
    assert p.key == "design.dominance_tasks" and p.line is not None
    assert "at least 2 attributes" in p.message and "waiting" in p.message
    doc["data"] = {"preference_order": {"quality": "increasing", "similar": "increasing"}}
    s = parse_config(yaml.safe_dump(doc, sort_keys=False), "s.yaml", Path("/tmp/s.yaml"))
    t = build(s).table
    task = t[t["task_type"] == "dominance"]
    order = {"quality": {"Low": 0, "Mid": 1, "High": 2}, "similar": {"No": 0, "Yes": 1}}
    assert dominant_alternative(task, order) is not None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(2, 4), min_size=2, max_size=5), st.integers(2, 4),
       st.integers(0, 2**32 - 1), st.data())
def test_dominance_sets_property(levels, n_alt, seed, data):
    """Any ordering (ties allowed, some attributes unordered): every drawn set has an
    alternative at least as good on all attributes and better than each other on >= 2 and
    on at least half of the ordered attributes."""
    utilities = []
    for n in levels:
        if data.draw(st.booleans()):
            u = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), float)
            utilities.append(u if np.ptp(u) > 0 else None)
        else:
            utilities.append(None)
    ordered = [q for q, u in enumerate(utilities) if u is not None]
    rng = np.random.default_rng(seed)
    if len(ordered) < MIN_BETTER:
        with pytest.raises(ValueError):
            dominance_sets(utilities, levels, 3, n_alt, rng)
        return
    try:
        sets = dominance_sets(utilities, levels, 3, n_alt, rng)
    except ValueError as exc:  # too few distinct sets for tiny attributes
        assert str(exc) == "draws"
        return
    for s in sets:
        found = False
        for j in range(n_alt):
            wins = True
            for k in range(n_alt):
                if k == j:
                    continue
                better = 0
                for q in range(len(levels)):
                    u = utilities[q]
                    if u is None:
                        wins &= s[j, q] == s[k, q]
                    else:
                        wins &= u[s[j, q]] >= u[s[k, q]]
                        better += u[s[j, q]] > u[s[k, q]]
                wins &= better >= max(MIN_BETTER, (len(ordered) + 1) // 2)
            found |= bool(wins)
        assert found
        assert len({tuple(r) for r in s.tolist()}) == n_alt


@pytest.mark.parametrize("swap", [False, True])
def test_repeats_equal_their_originals(swap):
    s = study(repeat_tasks=2, repeat_swap=swap)
    t = build(s).table
    rep = t[t["task_type"] == "repeat"]
    assert sorted(rep["task"].unique()) == [7, 8]
    assert set(rep["repeat_of"]) <= {1, 2, 3}  # drawn from the first half of the block
    cols = list(ATTRS) + ["is_opt_out"]
    for (b, _task), r in rep.groupby(["block", "task"]):
        orig = t[(t["block"] == b) & (t["task"] == r["repeat_of"].iloc[0])]
        assert (orig["task_type"] == "choice").all()
        o = orig.set_index("alternative")[cols]
        n_gen = int((orig["is_opt_out"] == 0).sum())
        mapped = r["alternative"].map(
            lambda a, n=n_gen: n + 1 - a if (swap and a <= n) else a)
        rr = r.assign(alternative=mapped.to_numpy()).set_index("alternative")[cols]
        pd.testing.assert_frame_equal(rr.sort_index(), o.sort_index())
        if swap:  # the generic alternatives really moved
            assert r.iloc[0][list(ATTRS)].tolist() == orig.iloc[1][list(ATTRS)].tolist()


@pytest.mark.parametrize("n_tasks", [2, 3, 4, 5, 7])
@pytest.mark.parametrize("n_dom", [0, 1])
@pytest.mark.parametrize("n_rep", [1, 2, 3])
def test_repeats_in_design_order_are_separated(n_tasks, n_dom, n_rep):
    n_rep = min(n_rep, n_tasks)
    fielded = n_tasks + n_dom + n_rep
    # ceil(T / 3) tasks between a repeat and its original, or the most the block allows
    gap = min(-(-fielded // 3), fielded - n_rep - 1)
    for seed in range(4):
        s = make_study(attributes=ATTRS, tasks=n_tasks, blocks=1, method="random", seed=seed,
                       priors=PRIORS, repeat_tasks=n_rep, dominance_tasks=n_dom)
        t = build(s).table.drop_duplicates("task")
        rep = t[t["task_type"] == "repeat"]
        assert len(rep) == n_rep
        assert ((rep["task"] - rep["repeat_of"] - 1) >= gap).all(), seed


def test_choice_tasks_and_diagnostics_are_unchanged():
    plain = build(study())
    full = build(study(dominance_tasks=1, repeat_tasks=1, repeat_swap=True))
    assert "task_type" not in plain.table and "repeat_of" not in plain.table
    choice = full.table[full.table["task_type"] == "choice"].drop(
        columns=["task_type", "repeat_of"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(choice, plain.table)
    for key in ("d_error", "a_error", "n_choice_sets", "level_balance", "s_estimates"):
        assert full.diagnostics[key] == plain.diagnostics[key]
    v = full.diagnostics["validity_tasks"]
    assert v["dominance_tasks_per_block"] == v["repeat_tasks_per_block"] == 1
    assert v["tasks_per_block_fielded"] == 8 and "choice tasks only" in v["note"]


def test_marked_design_file_round_trips(tmp_path):
    d = build(study(dominance_tasks=1, repeat_tasks=1))
    path = tmp_path / "design.csv"
    d.table.to_csv(path, index=False)
    s = make_study(attributes=ATTRS, tasks=6, blocks=2, method="d-efficient",
                   opt_out="Neither", priors=PRIORS, file=str(path))
    again = build(s)
    pd.testing.assert_frame_equal(again.table, d.table)
    assert again.diagnostics["n_choice_sets"] == 12  # choice tasks only


@pytest.mark.parametrize("column,value,fragment", [
    ("task_type", "warmup", "expected one of choice, dominance, repeat"),
    ("repeat_of", None, None),
])
def test_bad_marks_in_a_design_file_are_located(tmp_path, column, value, fragment):
    d = build(study(repeat_tasks=1))
    table = d.table.copy().astype({"repeat_of": object})
    row = table.index[table["task_type"] == "repeat"][0]
    if column == "repeat_of":  # the whole task points at another choice task
        value = "3" if int(table.loc[row, "repeat_of"]) != 3 else "2"
        fragment = f"offers other profiles than task {value}"
        same = (table["task"] == table.loc[row, "task"]) & (
            table["block"] == table.loc[row, "block"])
        table.loc[same, column] = value
    table.loc[row, column] = value
    path = tmp_path / "design.csv"
    table.to_csv(path, index=False)
    s = make_study(attributes=ATTRS, tasks=6, blocks=2, method="d-efficient",
                   opt_out="Neither", priors=PRIORS, file=str(path))
    with pytest.raises(DataError) as exc:
        build(s)
    p = exc.value.problems[0]
    assert p.key == column and fragment in p.message
    assert p.file.endswith(f"design.csv:{row + 2}")


def test_more_repeats_than_tasks_is_a_design_error():
    s = make_study(attributes=ATTRS, method="orthogonal", opt_out=None, priors=PRIORS,
                   repeat_tasks=40)
    with pytest.raises(DesignError) as exc:
        build(s)
    assert exc.value.problems[0].key == "design.repeat_tasks"


# ----- estimation ---------------------------------------------------------------------
def _study(include: bool, validity: bool = True):
    extra = {"dominance_tasks": 2, "repeat_tasks": 2} if validity else {}
    return dce.Study.from_dict({
        "schema_version": 1, "name": "v", "seed": 11,
        "attributes": {"q": {"levels": ["Low", "Mid", "High"]}, "s": {"levels": ["No", "Yes"]},
                       "w": {"levels": [1, 4, 12], "coding": "linear"}},
        "design": {"method": "random", "tasks": 8, "blocks": 2, "opt_out": "Neither",
                   "priors": {"q[High]": 0.5, "s[Yes]": 0.3, "w": -0.05}, **extra},
        "simulate": {"groups": {"a": {"respondents": 300, "utilities": {
            "q": {"Low": 0, "Mid": 0.5, "High": 1.0}, "s": {"No": 0, "Yes": 0.6},
            "w": -0.06, "opt_out": -0.5}}}},
        "model": {"include_validity_tasks": include},
        "importance": {"draws": 20}})


def _refit(df):
    attrs = {"q": ["Low", "Mid", "High"], "s": ["No", "Yes"], "w": "linear"}
    df = df.assign(w=pd.to_numeric(df["w"], errors="coerce"))
    df.loc[df["is_opt_out"] == 1, ["q", "s"]] = ""
    return dce.clogit(df, attributes=attrs, respondent="respondent", task="task",
                      alternative="alternative", block="block")


def test_estimation_leaves_validity_tasks_out_by_default():
    run = dce.analyse(_study(False), stage="fit").raw
    resp = run.responses
    assert set(resp["task_type"]) == {"choice", "dominance", "repeat"}
    fit = run.fits[-1]
    ref = _refit(resp[resp["task_type"] == "choice"])
    np.testing.assert_allclose(fit.params, ref.coef()[list(fit.terms)].to_numpy(), atol=1e-8)
    everything = _refit(resp)
    assert np.abs(fit.params - everything.coef()[list(fit.terms)].to_numpy()).max() > 1e-4
    assert fit.n_sets == 300 * 8


def test_estimation_includes_validity_tasks_when_asked():
    run = dce.analyse(_study(True), stage="fit").raw
    fit = run.fits[-1]
    ref = _refit(run.responses)
    np.testing.assert_allclose(fit.params, ref.coef()[list(fit.terms)].to_numpy(), atol=1e-8)
    assert fit.n_sets == 300 * 12


def test_adding_validity_tasks_leaves_the_choice_answers_and_estimates_unchanged():
    """The simulated errors of the choice tasks are drawn before those of the validity
    tasks, so the same respondents give the same answers to the choice tasks."""
    with_tasks = dce.analyse(_study(False), stage="fit").raw
    plain = dce.analyse(_study(False, validity=False), stage="fit").raw
    resp = with_tasks.responses
    choice = resp[resp["task_type"] == "choice"].drop(columns=["task_type", "repeat_of"])
    pd.testing.assert_frame_equal(choice.reset_index(drop=True), plain.responses)
    np.testing.assert_array_equal(with_tasks.fits[-1].params, plain.fits[-1].params)


def test_make_design_takes_the_preference_order_of_dominance_tasks():
    """From Python, dominance tasks can use an a priori order instead of priors; the
    dominant alternative is checked by hand: no worse on any ordered attribute, better on
    at least two."""
    attrs = {"who": ["A", "B", "C"], "cost": {"levels": [0, 5, 10, 15, 20], "coding": "linear"},
             "x": ["p", "q"]}
    d = dce.make_design(attrs, tasks=6, dominance_tasks=1, seed=2,
                        preference_order={"cost": "decreasing", "who": "increasing"})
    task = d.table[d.table["task_type"] == "dominance"]
    assert len(task) == 2
    who = task["who"].map({"A": 0, "B": 1, "C": 2}).to_numpy()
    cost = -task["cost"].astype(float).to_numpy()
    for j in range(2):
        k = 1 - j
        if who[j] >= who[k] and cost[j] >= cost[k]:
            assert who[j] > who[k] and cost[j] > cost[k]
            break
    else:
        raise AssertionError(f"no dominant alternative in {task}")
    with pytest.raises(ValueError, match="dominance_tasks"):  # no order at all: located
        dce.make_design(attrs, tasks=6, dominance_tasks=1, seed=2)
