"""The data-quality checks on the design's marked validity tasks: in a simulation where we
decide who fails (everyone answers the dominance task with its dominant alternative and
each repeat like its original, then chosen respondents are made to fail), the checks flag
exactly those respondents; observed data read back get the same marks and counts; and the
report no longer says "not assessed"."""

from __future__ import annotations

import pandas as pd

import dce
from dce.data import quality
from dce.report.labels import Labels
from dce.report.quality_text import quality_notes

ATTRS = {"q": {"levels": ["Low", "Mid", "High"]}, "s": {"levels": ["No", "Yes"]},
         "w": {"levels": [1, 4, 12], "coding": "linear"}}
PRIORS = {"q[Mid]": 0.2, "q[High]": 0.6, "s[Yes]": 0.3, "w": -0.05}
# part-worths at the prior means, effects coding by hand (reference = minus the others' sum)
PW = {"q": {"Low": -0.8, "Mid": 0.2, "High": 0.6}, "s": {"No": -0.3, "Yes": 0.3}}
FAIL_DOMINANCE = {"3", "7", "12", "40"}
FAIL_REPEAT = {"5", "7", "20"}


def doc(choices=None):
    out = {"schema_version": 1, "name": "vq", "seed": 4, "attributes": ATTRS,
           "design": {"method": "random", "tasks": 6, "blocks": 2, "alternatives": 2,
                      "opt_out": "Neither", "priors": PRIORS, "dominance_tasks": 1,
                      "repeat_tasks": 1, "repeat_swap": True},
           "importance": {"draws": 20}}
    if choices is None:
        out["simulate"] = {"groups": {"a": {"respondents": 60, "utilities": {
            "q": {"Low": 0, "Mid": 0.5, "High": 1.0}, "s": {"No": 0, "Yes": 0.6},
            "w": -0.06, "opt_out": -0.5}}}}
    else:
        out["choices"] = choices
    return out


def utility(row) -> float:
    return PW["q"][row["q"]] + PW["s"][row["s"]] + PRIORS["w"] * float(row["w"])


def scripted(resp: pd.DataFrame) -> pd.DataFrame:
    """Everyone passes, then FAIL_* fail: the dominance task answered with the dominant
    alternative (a dominated one for FAIL_DOMINANCE), each repeat with the profile chosen
    in its original (another one for FAIL_REPEAT)."""
    resp = resp.copy()
    resp["respondent"] = resp["respondent"].astype(str)
    for (rid, block, _task), rows in resp.groupby(["respondent", "block", "task"]):
        kind = rows["task_type"].iloc[0]
        generic = rows[rows["is_opt_out"] == 0]
        if kind == "dominance":
            u = generic.apply(utility, axis=1)
            pick = u.idxmin() if rid in FAIL_DOMINANCE else u.idxmax()
        elif kind == "repeat":
            orig = resp[(resp["respondent"] == rid) & (resp["block"] == block)
                        & (resp["task"] == rows["repeat_of"].iloc[0])]
            was = orig[orig["chosen"] == 1].iloc[0]
            same = generic[(generic[list(ATTRS)].astype(str) == was[list(ATTRS)].astype(str))
                           .all(axis=1)]
            if was["is_opt_out"] == 1:
                same = rows[rows["is_opt_out"] == 1]
            other = generic.index.difference(same.index)
            pick = other[0] if rid in FAIL_REPEAT else same.index[0]
        else:
            continue
        resp.loc[rows.index, "chosen"] = (rows.index == pick).astype(int)
    return resp


def test_checks_flag_exactly_the_respondents_who_fail(tmp_path):
    study = dce.Study.from_dict(doc())
    run = dce.analyse(study, stage="simulate").raw
    assert run.data_summary["data_quality"]["validity_tasks"] == {"marked": True,
                                                                  "in_models": False}
    resp = scripted(run.responses)
    table, summary = quality.assess(study, resp)
    got = table.set_index("respondent")
    assert set(got.index[got["chose_dominated"]]) == FAIL_DOMINANCE
    assert set(got.index[got["inconsistent_repeat"]]) == FAIL_REPEAT
    assert (got["dominated_tasks"] == 1).all() and (got["repeated_tasks"] == 1).all()
    assert set(got.index[got["failed"]]) >= FAIL_DOMINANCE | FAIL_REPEAT
    total = summary["total"]
    assert total["with_dominated_task"] == total["with_repeated_task"] == 60
    assert total["chose_dominated"] == 4 and total["inconsistent_repeat"] == 3
    notes = " ".join(quality_notes(summary, Labels({})))
    assert "not assessed" not in notes and "left out of the models" in notes

    # the same answers as observed long data without attribute columns: marks joined
    # from the design, same counts
    cols = ["respondent", "block", "task", "alternative", "chosen"]
    resp[cols].to_csv(tmp_path / "choices.csv", index=False)
    observed = dce.Study.from_dict(doc({"file": "choices.csv", "columns": {"block": "block"}}),
                                   base_dir=tmp_path)
    read = dce.analyse(observed, stage="simulate").raw
    assert set(read.responses["task_type"]) == {"choice", "dominance", "repeat"}
    again = read.quality.set_index("respondent")
    pd.testing.assert_series_equal(again["chose_dominated"], got["chose_dominated"])
    pd.testing.assert_series_equal(again["inconsistent_repeat"], got["inconsistent_repeat"])


def test_without_marks_the_same_tasks_are_found_from_profiles():
    """Dropping the marks falls back to inference from profiles: the scripted failures are
    still found (the dominance task differs on at least two ordered attributes and the
    repeat offers the same profiles)."""
    study = dce.Study.from_dict(doc())
    resp = scripted(dce.analyse(study, stage="simulate").raw.responses)
    order, _ = quality.preference_order(study)
    table = quality.check(resp.drop(columns=["task_type", "repeat_of"]), study.attributes,
                          order).set_index("respondent")
    assert FAIL_REPEAT <= set(table.index[table["inconsistent_repeat"]])
    assert FAIL_DOMINANCE <= set(table.index[table["chose_dominated"]])
