"""Issue 13 item 1: design before data, and stage commands that never replace a run.

A config with `attributes:` and `design:` only is where every study starts: validate,
design, cards, power and run work on it; simulate and fit say which command to use. The
sample-size numbers are checked against a closed form computed here; the Street-Burgess
cases through `dce design` against the independent optimum of tests/design/design_refs.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import SMALL, write_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "design"))
from design_refs import street_burgess_optimal_d_error  # noqa: E402

DESIGN_ONLY = """
schema_version: 1
name: study
seed: 3
attributes:
  quality: {label: Quality, levels: [Low, Medium, High]}
  cost: {label: Cost, levels: [0, 5, 10, 15, 20], coding: linear}
  similar: {label: Similar people, levels: [No, Yes]}
design:
  method: d-efficient
  alternatives: 2
  opt_out: Neither
  tasks: 8
  blocks: 2
  starts: 1
  priors: {cost: -0.05, "quality[High]": 0.4, "similar[Yes]": 0.3, "asc[opt_out]": -1.0}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Default folders (results/<name>) are relative to the working folder."""
    monkeypatch.chdir(tmp_path)


def _design_only(tmp_path, extra=""):
    return write_config(tmp_path, DESIGN_ONLY + extra)


def test_validate_design_cards_accept_a_design_only_config(tmp_path, capsys):
    cfg = _design_only(tmp_path)
    assert main(["validate", str(cfg)]) == 0
    assert "No responses yet" in capsys.readouterr().out
    assert main(["design", str(cfg)]) == 0
    assert main(["cards", str(cfg)]) == 0
    # each command writes a folder of its own kind next to the run folder
    design = pd.read_csv(tmp_path / "results" / "study-design" / "design.csv")
    assert len(design) == 2 * 8 * 3
    cards = tmp_path / "results" / "study-cards"
    assert (cards / "cards" / "block_2.html").exists()
    survey = pd.read_csv(cards / "survey.csv")
    assert len(survey) == len(design)
    assert not (tmp_path / "results" / "study").exists()


def test_run_on_a_design_only_config_writes_design_cards_and_sample_size(tmp_path, capsys):
    cfg = _design_only(tmp_path)
    assert main(["run", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "No responses exist yet" in out
    run = tmp_path / "results" / "study"
    for name in ("design.csv", "design_diagnostics.json", "survey.csv", "cards/block_1.html",
                 "cards/block_2.md", "sample_size.csv", "design_report.md", "results.xlsx",
                 "manifest.json", "config.yaml"):
        assert (run / name).exists(), name
    assert not (run / "estimates.csv").exists() and not (run / "report.html").exists()
    assert json.loads((run / "manifest.json").read_text())["stage"] == "run"
    assert "No responses exist yet" in (run / "design_report.md").read_text()
    sizes = pd.read_csv(run / "sample_size.csv")
    diag = json.loads((run / "design_diagnostics.json").read_text())
    per_term = sizes[sizes["method"] == "s_estimate"].set_index("term")
    for term, value in diag["s_estimates"].items():
        if value is None:
            assert pd.isna(per_term.loc[term, "respondents"])
        else:
            assert per_term.loc[term, "respondents"] == math.ceil(value)
    assert pd.isna(per_term.loc["quality[Medium]", "respondents"])  # prior 0
    # the rule of thumb 500 c / (t a): c = 5 levels, t = 8 tasks, a = 2 alternatives
    thumb = sizes.loc[sizes["method"] == "rule_of_thumb", "respondents"].iloc[0]
    assert thumb == math.ceil(500 * 5 / (8 * 2))
    top = sizes.loc[sizes["method"] == "s_estimate_max", "respondents"].iloc[0]
    assert top == per_term["respondents"].max()


def test_s_estimate_matches_the_closed_form_of_a_one_term_design(tmp_path):
    """One linear attribute, pairs: I = sum_s p(1-p) d_s^2, S = blocks 1.96^2 / (I b^2)."""
    text = """
    schema_version: 1
    name: one
    seed: 1
    attributes:
      cost: {levels: [0, 10, 20], coding: linear}
    design: {method: full-factorial, alternatives: 2, priors: {cost: -0.1}}
    """
    cfg = write_config(tmp_path, text)
    assert main(["run", str(cfg)]) == 0
    run = tmp_path / "results" / "one"
    design = pd.read_csv(run / "design.csv")
    x = design.pivot_table(index=["block", "task"], columns="alternative",
                           values="cost").to_numpy()
    d = x[:, 0] - x[:, 1]
    p = 1 / (1 + np.exp(0.1 * d))  # P(first) with b = -0.1: 1 / (1 + exp(-b d))
    info = np.sum(p * (1 - p) * d ** 2)
    expected = 1.959963984540054 ** 2 / info / 0.01
    sizes = pd.read_csv(run / "sample_size.csv")
    got = sizes.loc[sizes["term"] == "cost", "respondents"].iloc[0]
    assert got == math.ceil(expected)


def test_power_before_any_data_uses_the_priors(tmp_path, capsys):
    cfg = _design_only(tmp_path, "power: {sample_sizes: [40, 400], replications: 8}\n")
    assert main(["run", str(cfg)]) == 0
    run = tmp_path / "results" / "study"
    power = pd.read_csv(run / "power.csv")
    assert set(power["group"].dropna()) == {"prior"}
    detect = power[power["measure"] == "power"]
    # only the terms with a non-zero prior are powered; the others report the test's size
    assert set(detect["term"]) == {"cost", "quality[High]", "similar[Yes]", "asc[opt_out]"}
    assert set(power.loc[power["measure"] == "size", "term"]) == {"quality[Medium]"}
    by_n = detect.groupby("sample_size")["value"].mean()
    assert by_n.loc[400] > by_n.loc[40]
    assert (run / "figures" / "power.png").exists()
    assert main(["power", str(cfg)]) == 0
    again = pd.read_csv(tmp_path / "results" / "study-power" / "power.csv")
    pd.testing.assert_frame_equal(again, power)


def test_power_needs_priors_before_any_data(tmp_path, capsys):
    cfg = write_config(tmp_path, DESIGN_ONLY.replace(
        '  priors: {cost: -0.05, "quality[High]": 0.4, "similar[Yes]": 0.3, '
        '"asc[opt_out]": -1.0}\n', "") + "power: {sample_sizes: [40], replications: 2}\n")
    assert main(["power", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "design.priors" in err and "study.yaml" in err


@pytest.mark.parametrize("command", ["simulate", "fit"])
def test_commands_that_need_responses_name_the_ones_that_do_not(tmp_path, capsys, command):
    cfg = _design_only(tmp_path)
    assert main([command, str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "`choices:`" in err and "`dce run`" in err
    assert "Traceback" not in err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_stage_commands_never_touch_a_finished_run(tmp_path):
    cfg = write_config(tmp_path, SMALL.replace("importance: {draws: 300}",
                                               "importance: {draws: 300}\npower: "
                                               "{sample_sizes: [30], replications: 2}"))
    assert main(["run", str(cfg)]) == 0
    run = tmp_path / "results" / "small"
    kept = {n: _digest(run / n) for n in ("report.html", "estimates.csv", "manifest.json")}
    for command in ("design", "cards", "simulate", "power", "fit"):
        assert main([command, str(cfg)]) == 0, command
        if command == "fit":  # the run's own kind: the same numbers, the tables only
            assert not (run / "report.html").exists()
            assert main(["report", str(run)]) == 0  # the report comes back, byte for byte
        else:
            assert _digest(run / "manifest.json") == kept["manifest.json"], command
        assert _digest(run / "report.html") == kept["report.html"], command
        assert _digest(run / "estimates.csv") == kept["estimates.csv"], command
    for command in ("design", "cards", "simulate", "power"):
        assert (tmp_path / "results" / f"small-{command}" / "manifest.json").exists()


def test_an_explicit_output_of_another_kind_is_refused(tmp_path, capsys):
    cfg = write_config(tmp_path, SMALL)
    assert main(["run", str(cfg)]) == 0
    before = _digest(tmp_path / "results" / "small" / "report.html")
    assert main(["design", str(cfg), "--output", str(tmp_path / "results" / "small")]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "--output" in err
    assert _digest(tmp_path / "results" / "small" / "report.html") == before


STREET_BURGESS = [([2, 2, 2], 2, 4), ([3, 3, 3, 3], 3, 9), ([4, 2, 2], 2, 24)]


@pytest.mark.parametrize("levels,m,n_sets", STREET_BURGESS)
def test_street_burgess_designs_through_dce_design_on_design_only_configs(
        tmp_path, levels, m, n_sets):
    attrs = "\n".join(f"  a{i}: {{levels: [{', '.join(f'L{k}' for k in range(n))}]}}"
                      for i, n in enumerate(levels))
    text = (f"schema_version: 1\nname: sb\nseed: 5\nattributes:\n{attrs}\n"
            f"design: {{method: orthogonal, alternatives: {m}, tasks: {n_sets}}}\n")
    cfg = write_config(tmp_path, text)
    assert main(["design", str(cfg)]) == 0
    diag = json.loads((tmp_path / "results" / "sb-design" / "design_diagnostics.json")
                      .read_text())
    assert diag["d_efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert diag["d_error"] == pytest.approx(street_burgess_optimal_d_error(levels, m, n_sets),
                                            rel=1e-9)
