"""Sets without an answer in best-worst and ranking data (issue 14, user trial): left out
and counted under ``choices.missing: drop`` (the default), reported at their lines under
``error``. Reference: the same answers with those sets deleted by hand give the same
estimates to 1e-10, and the counts equal the sets the test blanked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from dce.cli import main

ITEMS = list("abcdefg")
FANO = [("a", "b", "c"), ("a", "d", "e"), ("a", "f", "g"), ("b", "d", "f"),
        ("b", "e", "g"), ("c", "d", "g"), ("c", "e", "f")]
UTIL = dict(zip(ITEMS, [1.2, 0.9, 0.5, 0.3, 0.0, -0.4, -0.8], strict=True))


def _answers(n=60, seed=3):
    """Best and worst of each respondent x set, and a full ranking of the 7 items."""
    rng = np.random.default_rng(seed)
    bw, ranks = [], []
    for r in range(1, n + 1):
        group = "patients" if r <= n // 2 else "carers"
        for t, items in enumerate(FANO, start=1):
            u = np.array([UTIL[i] for i in items]) + rng.gumbel(size=3)
            bw.append((r, group, t, items[int(np.argmax(u))], items[int(np.argmin(u))]))
        u = np.array([UTIL[i] for i in ITEMS]) + rng.gumbel(size=7)
        order = np.argsort(-u)
        for place, k in enumerate(order, start=1):
            ranks.append((r, group, ITEMS[k], place if place <= 4 else ""))
    return (pd.DataFrame(bw, columns=["respondent", "group", "task", "best", "worst"]),
            pd.DataFrame(ranks, columns=["respondent", "group", "item", "rank"]))


def _long_bw(wide):
    rows = []
    for rec in wide.itertuples():
        for item in FANO[rec.task - 1]:
            rows.append((rec.respondent, rec.group, rec.task, item,
                         int(item == rec.best), int(item == rec.worst)))
    return pd.DataFrame(rows, columns=["respondent", "group", "task", "item", "best", "worst"])


def _fit(tmp_path, name, frame, kind, fmt="long", missing=None):
    folder = tmp_path / name
    folder.mkdir()
    frame.to_csv(folder / "answers.csv", index=False)
    pd.DataFrame([(1, t, j, it) for t, s in enumerate(FANO, 1) for j, it in enumerate(s, 1)],
                 columns=["block", "task", "alternative", "item"]).to_csv(
        folder / "design.csv", index=False)
    cfg = {"schema_version": 1, "name": name, "seed": 2, "type": kind,
           "items": {i: {"label": i.upper()} for i in ITEMS},
           "choices": {"file": "answers.csv", "format": fmt, "columns": {"group": "group"}},
           "importance": {"draws": 50}, "model": {"by": "group"}}
    if kind == "best-worst":
        cfg["design"] = {"items_per_set": 3, "sets": 7, "file": "design.csv"}
    if missing:
        cfg["choices"]["missing"] = missing
    (folder / "c.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    code = main(["fit", str(folder / "c.yaml"), "--output", str(folder / "out")])
    if code != 0:
        return code, None, None
    est = pd.read_csv(folder / "out" / "estimates.csv")
    return code, est, json.loads((folder / "out" / "data_summary.json").read_text())


@pytest.fixture(scope="module")
def answers():
    return _answers()


def test_best_worst_long_and_wide_skipped_sets(answers, tmp_path):
    wide, _ = answers
    skip = [(2, 3), (2, 5), (7, 1), (40, 6)]  # respondent, task
    mask = np.zeros(len(wide), dtype=bool)
    for r, t in skip:
        mask |= ((wide["respondent"] == r) & (wide["task"] == t)).to_numpy()
    _, want, _ = _fit(tmp_path, "ref", _long_bw(wide[~mask]), "best-worst")
    blanked = wide.astype(object).copy()
    blanked.loc[mask, ["best", "worst"]] = ["", "NA"]
    long = _long_bw(wide).astype(object)
    hit = long.set_index(["respondent", "task"]).index.isin(skip)
    long.loc[hit, "best"] = 0
    long.loc[hit, "worst"] = np.where(np.arange(hit.sum()) % 2, "", "0")
    for name, frame, fmt in (("long", long, "long"), ("wide", blanked, "wide")):
        code, got, summary = _fit(tmp_path, name, frame, "best-worst", fmt)
        assert code == 0
        np.testing.assert_allclose(got["estimate"], want["estimate"], atol=1e-10)
        miss = summary["missing"]
        assert (miss["tasks_dropped"], miss["respondents_with_missing"]) == (4, 3)
        assert miss["by_group"]["patients"]["tasks_dropped"] == 3
        assert miss["by_group"]["carers"]["tasks_dropped"] == 1


def test_best_worst_skipped_set_is_located_under_missing_error(answers, tmp_path, capsys):
    wide, _ = answers
    long = _long_bw(wide).astype(object)
    hit = ((long["respondent"] == 2) & (long["task"] == 3)).to_numpy()
    long.loc[hit, ["best", "worst"]] = 0
    code, _, _ = _fit(tmp_path, "err", long, "best-worst", missing="error")
    assert code == 2
    line = int(np.flatnonzero(hit)[0]) + 2
    assert f"answers.csv:{line}: best: respondent 2, task 3 has no best item" in \
        capsys.readouterr().err


def test_ranking_na_is_unranked_and_an_empty_ranking_is_dropped(answers, tmp_path):
    _, ranks = answers
    gone = ranks["respondent"] == 5
    _, want, _ = _fit(tmp_path, "ref", ranks[~gone.to_numpy()], "ranking")
    marked = ranks.astype(object).copy()
    marked.loc[marked["rank"] == "", "rank"] = "NA"  # unranked items written as NA
    marked.loc[gone, "rank"] = np.where(np.arange(gone.sum()) % 2, "", "NA")
    code, got, summary = _fit(tmp_path, "na", marked, "ranking")
    assert code == 0
    np.testing.assert_allclose(got["estimate"], want["estimate"], atol=1e-10)
    miss = summary["missing"]
    assert (miss["tasks_dropped"], miss["respondents_dropped"]) == (1, 1)
    assert summary["n_respondents"] == 59
