"""A respondents table of completers (user trial): a respondent of the choices file who
answered no task and is not in the table is dropped with the other non-responders under
``choices.missing: drop``; one who answered and is not listed still stops the run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from dce.cli import main

CASE = Path(__file__).parents[1] / "bad_inputs" / "61_respondent_not_in_table"


def _case(tmp_path, extra_rows: str, missing: str = "drop") -> Path:
    for name in ("config.yaml", "choices.csv"):
        shutil.copy(CASE / name, tmp_path / name)
    listed = pd.read_csv(CASE / "choices.csv")["respondent"].astype(str).unique()
    table = pd.DataFrame({"respondent": listed,
                          "group": ["young" if i % 2 else "old" for i in range(len(listed))]})
    table.to_csv(tmp_path / "respondents.csv", index=False)  # every respondent listed
    with open(tmp_path / "choices.csv", "a") as f:
        f.write(extra_rows)
    cfg = (tmp_path / "config.yaml").read_text()
    (tmp_path / "config.yaml").write_text(cfg.replace("  file: choices.csv",
                                                      f"  file: choices.csv\n  missing: {missing}"))
    return tmp_path / "config.yaml"


def test_an_unlisted_respondent_without_answers_is_dropped(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    base = _case(tmp_path / "a", "")
    assert main(["fit", str(base), "--output", str(tmp_path / "a" / "out")]) == 0
    # three respondents per group: too few for a cluster-robust scale test, said not crashed
    assert "no scale test" in capsys.readouterr().err
    want = pd.read_csv(tmp_path / "a" / "out" / "estimates.csv")
    (tmp_path / "b").mkdir()
    cfg = _case(tmp_path / "b", "99,1,1,,red,1\n99,1,2,,blue,3\n99,2,1,,green,2\n99,2,2,,red,3\n")
    assert main(["fit", str(cfg), "--output", str(tmp_path / "b" / "out")]) == 0
    got = pd.read_csv(tmp_path / "b" / "out" / "estimates.csv")
    pd.testing.assert_frame_equal(got, want)
    summary = json.loads((tmp_path / "b" / "out" / "data_summary.json").read_text())
    assert summary["missing"]["respondents_dropped"] == 1
    assert summary["missing"]["tasks_dropped"] == 2
    assert "(not in the respondents table)" in summary["missing"]["by_group"]


def test_an_unlisted_respondent_with_an_answer_still_stops(tmp_path, capsys):
    cfg = _case(tmp_path, "99,1,1,1,red,1\n99,1,2,0,blue,3\n99,2,1,,green,2\n99,2,2,,red,3\n")
    assert main(["fit", str(cfg), "--output", str(tmp_path / "out")]) == 2
    assert "respondent '99' is not in the respondents table" in capsys.readouterr().err


def test_under_missing_error_the_missing_answers_stop(tmp_path, capsys):
    cfg = _case(tmp_path, "99,1,1,,red,1\n99,1,2,,blue,3\n99,2,1,,green,2\n99,2,2,,red,3\n",
                missing="error")
    assert main(["fit", str(cfg), "--output", str(tmp_path / "out")]) == 2
    assert "respondent 99, task 1 has no chosen alternative" in capsys.readouterr().err
