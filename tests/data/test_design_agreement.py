"""Long data with attribute columns and a fielded design file must describe the same
profiles (issue 14 user trials): rows the design lacks and differing levels are located
errors, numbers shown as written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dce.cli import main

CASE = next((Path(__file__).parents[1] / "bad_inputs").glob("179_*"))


@pytest.fixture
def folder(tmp_path):
    for f in ("config.yaml", "choices.csv", "design.csv"):
        shutil.copy(CASE / f, tmp_path / f)
    design = pd.read_csv(tmp_path / "design.csv")
    data = pd.read_csv(tmp_path / "choices.csv", keep_default_na=False)
    # make the data agree with the design, so that each test breaks one thing
    agree = data.drop(columns=["colour", "price"]).merge(
        design.drop(columns="block"), on=["task", "alternative"], how="left")
    agree[data.columns].to_csv(tmp_path / "choices.csv", index=False)
    return tmp_path


def _errors(folder, capsys) -> str:
    capsys.readouterr()
    code = main(["validate", str(folder / "config.yaml")])
    return str(code) + "\n" + capsys.readouterr().err


def test_agreeing_data_pass(folder, capsys):
    assert _errors(folder, capsys).startswith("0")


def test_a_task_the_design_lacks_is_located(folder, capsys):
    data = pd.read_csv(folder / "choices.csv", keep_default_na=False)
    data.loc[data["respondent"] == 2, "task"] += 4
    data.to_csv(folder / "choices.csv", index=False)
    err = _errors(folder, capsys)
    assert err.startswith("2")
    assert "choices.csv:10: task: block 1, task 5, alternative 1 is not in the design file " \
           "(its blocks: 1 with tasks 1 to 4)" in err


def test_a_differing_number_is_shown_as_written(folder, capsys):
    data = pd.read_csv(folder / "choices.csv", keep_default_na=False)
    data.loc[2, "price"] = 3 if data.loc[2, "price"] != 3 else 1
    data.to_csv(folder / "choices.csv", index=False)
    err = _errors(folder, capsys)
    assert err.startswith("2")
    assert f"choices.csv:4: price: '{data.loc[2, 'price']}' differs from the design file's " \
           "level" in err
    assert "np.float64" not in err
