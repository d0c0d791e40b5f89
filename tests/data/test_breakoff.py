"""A respondent who broke off before the first task may have no block (issue 14 user trial):
under choices.missing: drop the row is counted as a dropped respondent, and the estimates
equal those without the row; under error the empty block cell is reported."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import yaml

from dce.cli import main

DESIGN = """block,task,alternative,colour,price
1,1,1,red,1
1,1,2,blue,3
1,2,1,green,2
1,2,2,red,3
2,1,1,blue,1
2,1,2,green,3
2,2,1,red,2
2,2,2,green,1
"""


def _answers(n=80, seed=4):
    rng = np.random.default_rng(seed)
    rows = [(r, 1 + r % 2, *rng.integers(1, 3, size=2)) for r in range(1, n + 1)]
    return pd.DataFrame(rows, columns=["id", "version", "task1", "task2"]).astype(str)


def wide_config(tmp_path, frame, missing="drop"):
    """The wide answers ``frame`` with the two-block design and a config; its path."""
    (tmp_path / "design.csv").write_text(DESIGN)
    frame.to_csv(tmp_path / "answers.csv", index=False)
    cfg = {"schema_version": 1, "name": "b", "seed": 1,
           "attributes": {"colour": {"levels": ["red", "green", "blue"]},
                          "price": {"levels": [1, 2, 3], "coding": "linear"}},
           "design": {"alternatives": 2, "tasks": 2, "blocks": 2, "file": "design.csv"},
           "choices": {"file": "answers.csv", "format": "wide", "missing": missing,
                       "columns": {"respondent": "id", "block": "version"}},
           "importance": {"draws": 20}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path / "c.yaml"


def _run(tmp_path, frame, missing="drop"):
    wide_config(tmp_path, frame, missing)
    out = tmp_path / "out"
    return main(["fit", str(tmp_path / "c.yaml"), "--output", str(out), "--force"]), out


def test_breakoff_without_block_is_dropped_and_counted(tmp_path, capsys):
    full = _answers()
    code, out = _run(tmp_path, full)
    assert code == 0
    want = pd.read_csv(out / "estimates.csv")["estimate"]
    broke = pd.concat([full, pd.DataFrame([["81", "", "", "NA"]], columns=full.columns)])
    code, out = _run(tmp_path, broke)
    assert code == 0
    np.testing.assert_allclose(pd.read_csv(out / "estimates.csv")["estimate"], want,
                               atol=1e-10)
    missing = json.loads((out / "data_summary.json").read_text())["missing"]
    assert missing["respondents_dropped"] == 1 and missing["tasks_dropped"] == 2
    capsys.readouterr()
    code, _ = _run(tmp_path, broke, missing="error")
    assert code == 2
    assert "answers.csv:82: version: expected a whole number, found ''" in \
        capsys.readouterr().err
