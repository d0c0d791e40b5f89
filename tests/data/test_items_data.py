"""Reading best-worst and ranking data: long and wide formats agree with the simulated
responses they were written from; validation reports every problem with file:line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dce.config.study import load_config
from dce.data.items import load
from dce.data.items_simulate import responses
from dce.design.items import build
from dce.errors import DataError
from dce.run.runner import analyse
from tests.conftest import write_config

BASE = """
schema_version: 1
name: bw_data
seed: 4
type: best-worst
items:
  a: {label: Item A}
  b: {label: Item B}
  c: {label: Item C}
  d: {label: Item D}
  e: {label: Item E}
  f: {label: Item F}
  g: {label: Item G}
design: {items_per_set: 3, sets: 7, file: design.csv}
"""
SIM = """
simulate:
  groups:
    x: {respondents: 40, utilities: {a: 1, b: 0.5, c: 0.2, d: -0.3}}
    y: {respondents: 30, utilities: {a: 0.2, b: 0.9, c: 0.2, d: -0.5}}
model: {by: group}
importance: {draws: 100}
"""


def _simulated(tmp_path):
    study = load_config(write_config(tmp_path, BASE + SIM))
    design = build(study)
    design.table.to_csv(tmp_path / "design.csv", index=False)
    return study, design, responses(study, design)


def test_long_and_wide_data_reproduce_the_simulated_fit(tmp_path):
    study, design, sim = _simulated(tmp_path)
    reference = analyse(study)
    sim.drop(columns="alternative").to_csv(tmp_path / "long.csv", index=False)
    long_cfg = BASE + """
choices: {file: long.csv, columns: {group: group}}
model: {by: group}
importance: {draws: 100}
"""
    run = analyse(load_config(write_config(tmp_path, long_cfg, "long.yaml")))
    labels = {k: f"Item {k.upper()}" for k in "abcdefg"}
    rows = []
    for (r, g, _b, t), s in sim.groupby(["respondent", "group", "block", "task"]):
        best = s.loc[s["best"] == 1, "item"].item()
        worst_pos = int(s.loc[s["worst"] == 1, "alternative"].item())
        rows.append({"id": r, "grp": g, "task": t, "best": labels[best], "worst": worst_pos})
    pd.DataFrame(rows).to_csv(tmp_path / "wide.csv", index=False)
    wide_cfg = BASE + """
choices:
  file: wide.csv
  format: wide
  columns: {respondent: id, group: grp}
model: {by: group}
importance: {draws: 100}
"""
    wide = analyse(load_config(write_config(tmp_path, wide_cfg, "wide.yaml")))
    for other in (run, wide):
        assert [f.group for f in other.fits] == [f.group for f in reference.fits]
        for f, ref in zip(other.fits, reference.fits, strict=True):
            assert np.allclose(f.params, ref.params, atol=1e-10)
            assert f.loglik == pytest.approx(ref.loglik, abs=1e-9)
    assert wide.tables["bw_counts"].equals(reference.tables["bw_counts"])


def _write(tmp_path, csv: str, extra: str = "", kind="best-worst"):
    (tmp_path / "data.csv").write_text(csv)
    text = BASE.replace("best-worst", kind).replace(", file: design.csv", "") + \
        "choices: {file: data.csv" + extra + "}\n"
    return load_config(write_config(tmp_path, text, "c.yaml"))


def test_long_best_worst_problems_are_all_reported(tmp_path):
    csv = ("respondent,task,item,best,worst\n"
           "1,1,a,1,0\n1,1,b,0,0\n1,1,c,0,0\n"          # no worst
           "1,2,a,1,1\n1,2,d,0,0\n1,2,e,0,0\n"          # best and worst on one row
           "2,1,a,1,0\n2,1,b,1,0\n2,1,zz,0,1\n"         # two best; unknown item
           "2,2,a,0,1\n2,2,a,1,0\n2,2,c,0,0\n")         # item twice
    study = _write(tmp_path, csv)
    with pytest.raises(DataError) as exc:
        load(study)
    text = str(exc.value)
    assert "data.csv:2: worst: respondent 1, task 1 has no worst item" in text
    assert "data.csv:5: worst: respondent 1, task 2: item 'a' is marked both best and worst" \
        in text
    assert "data.csv:10: item: 'zz' is not an item" in text
    assert "data.csv:12: item: respondent 2, task 2: item 'a' appears more than once" in text
    assert len(exc.value.problems) >= 4


def test_rankings_partial_ties_and_gaps(tmp_path):
    ok = ("respondent,item,rank\n1,a,1\n1,b,2\n1,c,\n1,d,\n2,a,2\n2,b,1\n2,c,3\n2,d,4\n"
          "3,e,1\n3,f,2\n3,g,3\n")
    study = _write(tmp_path, ok, kind="ranking")
    long, summary = load(study)
    assert summary["n_respondents"] == 3
    assert long["rank"].isna().sum() == 2
    bad = "respondent,item,rank\n1,a,1\n1,b,1\n1,c,2\n2,a,1\n2,b,3\n2,c,x\n"
    study = _write(tmp_path, bad, kind="ranking")
    with pytest.raises(DataError) as exc:
        load(study)
    text = str(exc.value)
    assert "tied ranks, items a, b all have rank 1" in text
    assert "data.csv:7: rank: expected a rank" in text
    bad = "respondent,item,rank\n1,a,1\n1,b,3\n1,c,4\n"
    with pytest.raises(DataError, match="ranks 1, 3, 4; ranks must run 1, 2, 3"):
        load(_write(tmp_path, bad, kind="ranking"))
