"""Rule C: repeated tasks judged against the chance inconsistency of the fitted model.

The expected share is checked against a plain-numpy computation written here; the
report's sentence is checked on three simulated truths: respondents who answer by the
model (no claim of inattention), respondents who always repeat their first answer, and
respondents who always change it (a claim of inattention).
"""

from __future__ import annotations

import numpy as np
import pytest

from dce.analysis.consistency import chance_inconsistency
from dce.config.study import load_config
from dce.data import quality
from dce.report.quality_text import repeat_sentence
from dce.run.runner import analyse
from tests.conftest import SMALL, write_config

REPEATS = SMALL.replace("  blocks: 2\n", "  blocks: 2\n  repeat_tasks: 2\n").replace(
    "model: {by: group}", "model: {by: group}\nimportance: {draws: 100}").replace(
    "importance: {draws: 300}\n", "")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    cfg = write_config(tmp_path_factory.mktemp("rep"), REPEATS)
    return analyse(load_config(cfg))


def _numpy_expectation(run) -> dict:
    """1 - prod over a respondent's repeats of sum_j p_j^2, p from the group's fit, by hand."""
    study = run.study
    fits = {r.group: dict(zip(r.terms, r.params)) for r in run.fits}
    resp = run.responses
    out = {}
    for (g, _rid), rows in resp.groupby(["group", "respondent"]):
        beta = fits[g]
        same = 1.0
        for t in rows.loc[rows["task_type"] == "repeat", "repeat_of"].unique():
            task = rows[(rows["task"] == t)]
            v = []
            for _, row in task.iterrows():
                if row["is_opt_out"]:
                    v.append(beta["asc[opt_out]"])
                    continue
                u = 0.0
                for a in study.attributes:
                    if a.is_linear:
                        u += beta[a.name] * float(row[a.name])
                    else:
                        code = a.level_matrix()[a.level_labels.index(str(row[a.name]))]
                        u += sum(c * beta[term] for c, term in zip(code, a.terms))
                v.append(u)
            p = np.exp(np.array(v) - max(v))
            p /= p.sum()
            same *= float(np.sum(p ** 2))
        out.setdefault(g, []).append(1.0 - same)
    return {g: float(np.mean(v)) for g, v in out.items()}


def test_expected_share_equals_a_plain_numpy_computation(run):
    chance = run.data_summary["data_quality"]["chance_inconsistent_repeat"]
    ref = _numpy_expectation(run)
    for g, value in ref.items():
        assert chance["groups"][g] == pytest.approx(value, abs=1e-12)
    n = run.responses.groupby("group")["respondent"].nunique()
    pooled = sum(ref[g] * n[g] for g in ref) / n.sum()
    assert chance["total"] == pytest.approx(pooled, abs=1e-12)
    assert chance["model"] == "conditional logit of each group"


def _with_repeat_answers(run, how: str):
    """Responses whose repeats copy (``same``) or avoid (``other``) the first answer."""
    resp = run.responses.copy()
    cols = [a.name for a in run.study.attributes]
    key = resp[cols].astype(str).agg("|".join, axis=1)
    first = resp[(resp["task_type"] != "repeat") & (resp["chosen"] == 1)].assign(key=key)
    picked = dict(zip(zip(first["respondent"], first["task"]), first["key"]))
    rep = resp["task_type"] == "repeat"
    match = np.array([picked.get((r, t)) == k for r, t, k in
                      zip(resp["respondent"], resp["repeat_of"], key)])
    if how == "same":
        resp.loc[rep, "chosen"] = match[rep.to_numpy()].astype(int)
    else:  # the next alternative of the repeat, cyclically: never the first answer
        for (_, _), rows in resp[rep].groupby(["respondent", "task"]):
            hit = np.flatnonzero(match[rows.index])
            new = np.zeros(len(rows), int)
            new[(hit[0] + 1) % len(rows)] = 1
            resp.loc[rows.index, "chosen"] = new
    return resp


def _sentence(run, responses):
    _, checks = quality.assess(run.study, responses)
    chance = chance_inconsistency(responses, run.fits, run.study)
    return checks["total"], repeat_sentence(checks["total"], chance)


def test_answers_by_the_model_are_not_called_inattentive(run):
    total, text = _sentence(run, run.responses)
    assert 0 < total["inconsistent_repeat"] < total["with_repeated_task"]
    assert "not significantly above chance" in text and "did not pay attention" not in text


def test_always_the_same_answer_is_not_called_inattentive(run):
    total, text = _sentence(run, _with_repeat_answers(run, "same"))
    assert total["inconsistent_repeat"] == 0
    assert "not significantly above chance" in text


def test_always_a_different_answer_is_called_above_chance(run):
    total, text = _sentence(run, _with_repeat_answers(run, "other"))
    assert total["inconsistent_repeat"] == total["with_repeated_task"]
    assert "above chance (one-sided binomial p < 0.001)" in text
    assert "did not pay attention" in text


def test_no_marked_repeats_gives_no_expectation(run):
    plain = run.responses.drop(columns=["task_type", "repeat_of"])
    assert chance_inconsistency(plain, run.fits, run.study) is None


def test_empty_cells_of_observed_data_are_read(run):
    """Read back from a CSV, the opt-out rows' empty attribute cells are NaN (pandas 3 keeps
    them NaN under astype(str)); the expectation is the same as for the simulated table."""
    names = [a.name for a in run.study.attributes]
    observed = run.responses.copy()
    opt = observed["is_opt_out"] == 1
    for name in names:
        observed[name] = observed[name].astype(object).where(~opt, np.nan)
    assert observed.loc[observed["is_opt_out"] == 1, names].isna().all().all()
    got = chance_inconsistency(observed, run.fits, run.study)
    assert got == chance_inconsistency(run.responses, run.fits, run.study)
