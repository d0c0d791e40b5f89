"""Randomised order (dce.design.randomize): every version is a permutation (a repeat after
its original, the opt-out last), seeded; survey.csv and the cards show the order fielded;
a randomised simulation recovers the true coefficients, and the same choices recorded as
shown (long or wide, with a version column) give the design-order fit to 1e-10."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dce
from dce.design import build
from dce.design.cards import card_name, markdown_cards
from dce.design.randomize import fielded_table, fielding_order
from dce.errors import ConfigError, DataError
from dce.run.runner import survey_table

ATTRS = {"q": {"levels": ["Low", "Mid", "High"]}, "s": {"levels": ["No", "Yes"]},
         "w": {"levels": [1, 4, 12], "coding": "linear"}}
UTILITIES = {"q": {"Low": 0, "Mid": 0.5, "High": 1.0}, "s": {"No": 0, "Yes": 0.6}, "w": -0.06,
             "opt_out": -0.5}
# effects-coded truth: a level's part-worth minus the mean of the attribute's part-worths;
# the opt-out constant is measured from the generic alternatives' mean part-worths (0.5, 0.3)
TRUTH = {"q[Mid]": 0.0, "q[High]": 0.5, "s[Yes]": 0.3, "w": -0.06,
         "asc[opt_out]": -0.5 - 0.5 - 0.3}


def doc(seed=5, randomize=None, respondents=60, alternatives=2, choices=None, **design):
    out = {"schema_version": 1, "name": "r", "seed": seed, "attributes": ATTRS,
           "design": {"method": "random", "tasks": 6, "blocks": 2, "opt_out": "Neither",
                      "alternatives": alternatives, "priors": {"q[High]": 0.5, "s[Yes]": 0.3},
                      **design},
           "importance": {"draws": 20}}
    if randomize is not None:
        out["design"]["randomize"] = randomize
    if choices is None:
        out["simulate"] = {"groups": {"a": {"respondents": respondents,
                                            "utilities": UTILITIES}}}
    else:
        out["choices"] = choices
    return out


def study(base_dir=".", **kw):
    return dce.Study.from_dict(doc(**kw), base_dir=base_dir)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(2, 3), st.booleans(),
       st.booleans())
def test_every_version_is_a_permutation(seed, versions, n_alt, tasks, alternatives):
    s = study(seed=seed, alternatives=n_alt, repeat_tasks=2, dominance_tasks=1,
              randomize={"tasks": tasks, "alternatives": alternatives or not tasks,
                         "versions": versions})
    design = build(s)
    order = fielding_order(design, s)
    assert len(order) == versions * len(design.table)
    for _, part in order.groupby(["block", "version"]):
        firsts = part.drop_duplicates("task")
        assert sorted(firsts["shown_task"]) == list(range(1, 10))  # 6 + 1 + 2 tasks
        assert part.groupby("task")["shown_task"].nunique().eq(1).all()
        for _, t in part.groupby("task"):
            assert sorted(t["shown_alternative"]) == list(range(1, n_alt + 2))
            assert t["shown_alternative"].iloc[-1] == n_alt + 1  # the opt-out stays last
        pos = dict(zip(firsts["task"], firsts["shown_task"], strict=True))
        marks = design.table.drop_duplicates(["block", "task"])
        marks = marks[(marks["block"] == part["block"].iloc[0])
                      & (marks["task_type"] == "repeat")]
        for rep, orig in zip(marks["task"], marks["repeat_of"], strict=True):
            assert pos[rep] > pos[orig]
        if not tasks:
            assert (firsts["shown_task"] == firsts["task"]).all()


def test_orders_are_seeded_and_versions_differ():
    r = {"tasks": True, "alternatives": True, "versions": 3}
    a, b = study(randomize=r), study(randomize=r)
    oa, ob = fielding_order(build(a), a), fielding_order(build(b), b)
    pd.testing.assert_frame_equal(oa, ob)
    other = study(seed=6, randomize=r)
    oc = fielding_order(build(a), other)  # same design, another seed
    assert not oa["shown_task"].equals(oc["shown_task"])
    v = oa.pivot_table(index=["block", "task", "alternative"], columns="version",
                       values="shown_task")
    assert not (v[1] == v[2]).all() and not (v[2] == v[3]).all()


def test_survey_and_cards_show_the_order_fielded():
    s = study(randomize={"tasks": True, "alternatives": True, "versions": 2})
    design = build(s)
    survey = survey_table(design, s)
    assert list(survey.columns[:5]) == ["block", "version", "task", "alternative", "option"]
    t = design.table.set_index(["block", "task", "alternative"])
    for _, row in survey.iterrows():
        src = t.loc[(row["block"], row["design_task"], row["design_alternative"])]
        for a in ATTRS:  # survey columns are the attribute labels (= names here)
            assert str(row[a]) == str(src[a])
    cards = markdown_cards(design, s)
    assert sorted(cards) == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert card_name((2, 1)) == "block_2_version_1"
    page = cards[(1, 2)]
    shown = fielded_table(design, s)
    first = shown[(shown["block"] == 1) & (shown["version"] == 2) & (shown["task"] == 1)]
    section = page.split("## Task 1")[1].split("## Task 2")[0]
    q_row = next(line for line in section.splitlines() if line.startswith("| q |"))
    assert q_row == "| q | " + " | ".join(first["q"].astype(str)) + " |"


def _params(run):
    fit = run.raw.fits[-1]
    return pd.Series(fit.params, index=list(fit.terms)), pd.Series(fit.bse,
                                                                   index=list(fit.terms))


def test_randomised_simulation_recovers_truth_and_equals_design_order_fit(tmp_path):
    r = {"tasks": True, "alternatives": True, "versions": 3}
    sim = dce.analyse(study(randomize=r, respondents=1500), stage="fit")
    est, se = _params(sim)
    # tolerance: 4 standard errors of each coefficient
    for term, value in TRUTH.items():
        assert abs(est[term] - value) < 4 * se[term], term
    plain, _ = _params(dce.analyse(study(respondents=1500), stage="fit"))
    np.testing.assert_allclose(est.to_numpy(), plain[est.index].to_numpy(), atol=1e-10)

    resp = sim.raw.responses
    shown = resp.assign(task=resp["shown_task"], alternative=resp["shown_alternative"])
    # long data as a survey platform exports it: positions shown, no attribute columns
    long = shown[["respondent", "block", "version", "task", "alternative", "chosen"]]
    long.sample(frac=1, random_state=3).to_csv(tmp_path / "long.csv", index=False)
    order = fielding_order(sim.raw.design, sim.raw.study)
    order.to_csv(tmp_path / "fielding_order.csv", index=False)
    read = dce.analyse(study(base_dir=tmp_path, randomize={**r, "file": "fielding_order.csv"},
                             choices={"file": "long.csv",
                                      "columns": {"block": "block", "version": "version"}}),
                       stage="fit")
    got, _ = _params(read)
    np.testing.assert_allclose(got[est.index].to_numpy(), est.to_numpy(), atol=1e-10)
    # wide: one row per respondent, the alternative chosen as shown in each task as shown
    chosen = shown[shown["chosen"] == 1]
    wide = chosen.pivot(index=["respondent", "block", "version"], columns="task",
                        values="alternative").add_prefix("task").reset_index()
    wide.to_csv(tmp_path / "wide.csv", index=False)
    read = dce.analyse(study(base_dir=tmp_path, randomize={**r, "seed": 5}, choices={
        "file": "wide.csv", "format": "wide",
        "columns": {"block": "block", "version": "version", "tasks": "task"}}), stage="fit")
    got, _ = _params(read)
    np.testing.assert_allclose(got[est.index].to_numpy(), est.to_numpy(), atol=1e-10)
    assert "shown_task" in read.raw.responses and "version" in read.raw.responses


def test_a_position_never_shown_is_located(tmp_path):
    r = {"tasks": True, "alternatives": False, "versions": 2}
    sim = dce.analyse(study(randomize=r, respondents=10), stage="simulate").raw
    resp = sim.responses
    long = resp.assign(task=resp["shown_task"], alternative=resp["shown_alternative"])[
        ["respondent", "block", "version", "task", "alternative", "chosen"]].copy()
    long.loc[long.index[4], "version"] = 7
    long.to_csv(tmp_path / "long.csv", index=False)
    s = study(base_dir=tmp_path, randomize={**r, "seed": 5}, choices={
        "file": "long.csv", "columns": {"block": "block", "version": "version"}})
    with pytest.raises(DataError) as exc:
        dce.analyse(s, stage="fit")
    p = exc.value.problems[0]
    assert p.file.endswith("long.csv") and p.line == 6 and p.key == "task"
    assert "version 7" in p.message and "not shown" in p.message


def _fielded(tmp_path, r, respondents=1500):
    """A randomised survey fielded with config seed 5: design.csv, fielding_order.csv,
    survey.csv and long answers recorded as shown (positions shown, no attributes)."""
    sim = dce.analyse(study(randomize=r, respondents=respondents), stage="fit")
    design, s = sim.raw.design, sim.raw.study
    design.table.to_csv(tmp_path / "design.csv", index=False)
    fielding_order(design, s).to_csv(tmp_path / "fielding_order.csv", index=False)
    survey_table(design, s).to_csv(tmp_path / "survey.csv", index=False)
    resp = sim.raw.responses
    long = resp.assign(task=resp["shown_task"], alternative=resp["shown_alternative"])[
        ["respondent", "block", "version", "task", "alternative", "chosen"]]
    long.to_csv(tmp_path / "long.csv", index=False)
    return sim


def test_changing_seed_after_fielding_cannot_scramble_the_data(tmp_path):
    r = {"tasks": True, "alternatives": True, "versions": 2}
    est, se = _params(_fielded(tmp_path, r))
    for term, value in TRUTH.items():  # the fielding seed recovers the truth (4 SE)
        assert abs(est[term] - value) < 4 * se[term], term
    choices = {"file": "long.csv", "columns": {"block": "block", "version": "version"}}

    def read(config_seed, **pin):
        return study(base_dir=tmp_path, seed=config_seed, randomize={**r, **pin},
                     choices=choices, file="design.csv")

    # unpinned orders would be redrawn from the new seed: refused, saying what to add
    with pytest.raises(ConfigError) as exc:
        read(6)
    p = exc.value.problems[0]
    assert p.key == "design.randomize"
    assert "file: fielding_order.csv" in p.message and "seed: 6" in p.message
    # pinned by the fielded order file (fielding_order.csv or survey.csv), or by its seed:
    # another config seed gives the fielding seed's estimates
    for pin in ({"file": "fielding_order.csv"}, {"file": "survey.csv"}, {"seed": 5}):
        got, _ = _params(dce.analyse(read(6, **pin), stage="fit"))
        np.testing.assert_allclose(got[est.index].to_numpy(), est.to_numpy(), atol=1e-10)
    # the orders' own seed is recorded in survey.csv
    assert set(pd.read_csv(tmp_path / "survey.csv")["order_seed"]) == {5}


def test_an_order_file_that_does_not_match_is_located(tmp_path):
    r = {"tasks": True, "alternatives": True, "versions": 2}
    _fielded(tmp_path, r, respondents=10)
    order = pd.read_csv(tmp_path / "fielding_order.csv")
    order.loc[3, "shown_alternative"] = order.loc[4, "shown_alternative"]
    order.to_csv(tmp_path / "bad.csv", index=False)
    s = study(base_dir=tmp_path, randomize={**r, "file": "bad.csv"}, file="design.csv",
              choices={"file": "long.csv", "columns": {"block": "block", "version": "version"}})
    with pytest.raises(DataError) as exc:
        dce.analyse(s, stage="fit")
    p = exc.value.problems[0]
    assert p.file.endswith("bad.csv") and p.key == "shown_alternative"
    assert "its own position" in p.message and p.line in (5, 6)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 2), st.integers(0, 2), st.integers(2, 3),
       st.booleans())
def test_repeats_are_separated_and_keep_their_swap(seed, n_rep, n_dom, n_alt, swap):
    n_dom = n_dom if n_alt == 2 else 0  # 3 alternatives dominated on 2-level s: none exist
    s = study(seed=seed, alternatives=n_alt, repeat_tasks=n_rep, dominance_tasks=n_dom,
              repeat_swap=swap, randomize={"tasks": True, "alternatives": True,
                                           "versions": 3})
    design = build(s)
    shown = fielded_table(design, s)
    n_tasks = 6 + n_dom + n_rep
    gap = min(-(-n_tasks // 3), n_tasks - n_rep - 1)  # ceil(T/3), or what the block allows
    attrs = list(ATTRS)
    for _, part in shown.groupby(["block", "version"]):
        gen = part[part["is_opt_out"] == 0].sort_values("alternative")
        reps = gen[gen["task_type"] == "repeat"]
        for t, rep in reps.groupby("task"):
            o = int(rep["repeat_of"].iloc[0])  # survey numbering: the original as shown
            assert t - o - 1 >= gap
            orig = gen[gen["task"] == o]
            assert (orig["design_task"] == rep["design_repeat_of"].iloc[0]).all()
            a = orig[attrs].astype(str).agg("|".join, axis=1).tolist()
            z = rep[attrs].astype(str).agg("|".join, axis=1).tolist()
            assert z == (a[::-1] if swap else a)  # the swap is not undone by the shuffle


def test_answers_without_the_version_column_are_warned_about(tmp_path):
    """A randomised design's answers read without choices.columns.version are taken in the
    design's own numbering: a warning names the key and the file's unused version column."""
    r = {"tasks": True, "alternatives": True, "versions": 2}
    _fielded(tmp_path, r, respondents=40)
    s = study(base_dir=tmp_path, randomize={**r, "seed": 5}, file="design.csv",
              choices={"file": "long.csv", "columns": {"block": "block"}})
    notes = " ".join(dce.analyse(s, stage="fit").raw.notes)  # warnings become run notes
    assert "choices.columns.version: version" in notes
    pinned = study(base_dir=tmp_path, randomize={**r, "seed": 5}, file="design.csv",
                   choices={"file": "long.csv",
                            "columns": {"block": "block", "version": "version"}})
    assert "choices.columns.version" not in " ".join(
        dce.analyse(pinned, stage="fit").raw.notes)
