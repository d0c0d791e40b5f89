"""Item studies end to end: the flagship best-worst config, the command line, bootstrap
and delta intervals, group comparison and determinism."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from dce.cli import main
from dce.config.study import load_config
from dce.run.runner import analyse
from tests.conftest import write_config

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "configs" / "peer_support_bws.yaml"

SMALL = """
schema_version: 1
name: small_bw
seed: 3
type: best-worst
items: {a: {label: Alpha}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}}
design: {items_per_set: 3, sets: 7}
simulate:
  groups:
    x: {respondents: 60, utilities: {a: 1.2, b: 0.6, c: 0.3, d: -0.2}}
    y: {respondents: 60, scale: 0.7, utilities: {a: 0.3, b: 1.0, c: 0.3, d: -0.4}}
model: {by: group}
importance: {draws: INTERVALS}
"""


def test_flagship_runs_and_ranks_the_twelve_factors(tmp_path, capsys):
    out = tmp_path / "run"
    t0 = time.perf_counter()
    code = main(["run", str(FLAGSHIP), "--output", str(out)])
    seconds = time.perf_counter() - t0
    assert code == 0, capsys.readouterr().err
    assert seconds < 60
    imp = pd.read_csv(out / "importance.csv")
    groups = ["public_used", "public_not_used", "health_workforce", "peer_workforce"]
    assert set(imp["group"]) == set(groups) | {"all"}
    rank = imp.pivot(index="attribute", columns="group", values="rank")
    assert len(rank) == 12
    for g in groups:
        assert rank.loc["quality", g] == 1 and rank.loc["health", g] == 2
        assert sorted(rank[g]) == list(range(1, 13))
    assert rank.loc["similar", "public_used"] == 4
    assert rank.loc["similar", "public_not_used"] == 9
    assert rank.loc["similar", "public_used"] < rank.loc["quick", "public_used"]
    # the fielded design is the one under designs/, a BIBD
    design = pd.read_csv(out / "design.csv")
    assert design.equals(pd.read_csv(ROOT / "designs" / "peer_support_bws.csv"))
    import json

    diag = json.loads((out / "design_diagnostics.json").read_text())
    assert diag["balanced"] and diag["bibd_parameters"]["lambda"] == 3
    counts = pd.read_csv(out / "bw_counts.csv")
    assert len(counts) == 12 * 5
    top = counts[counts["group"] == "public_used"].sort_values("rank")["item"].iloc[0]
    assert top == "quality"
    comp = pd.read_csv(out / "comparison.csv")
    row = comp[(comp["test"] == "rank_difference") & (comp["attribute"] == "similar")
               & (comp["group_a"] == "public_used") & (comp["group_b"] == "public_not_used")]
    assert row["estimate"].item() == -5
    assert (comp["test"] == "swait_louviere_scale").sum() == 6
    report = (out / "report.md").read_text()
    # the ranking table row of "meet people with similar experiences": users 4th and
    # non-users 9th, each with its interval
    line = next(ln for ln in report.splitlines() if ln.startswith("|") and "| 4 (" in ln
                and ("similar" in ln))
    assert "| 9 (" in line and " to " in line
    for name in ("estimates.csv", "models.csv", "report.html", "manifest.json"):
        assert (out / name).exists()


@pytest.mark.parametrize("intervals", ["bootstrap", "delta"])
def test_bootstrap_and_delta_intervals(tmp_path, intervals):
    text = SMALL.replace("{draws: INTERVALS}", f"{{draws: 40, intervals: {intervals}}}")
    run = analyse(load_config(write_config(tmp_path, text)))
    imp = run.importance.table
    assert (imp["ci_lower"] <= imp["importance"]).all()
    assert (imp["importance"] <= imp["ci_upper"]).all()
    assert imp.groupby("group")["importance"].sum().round(12).eq(1).all()
    if intervals == "bootstrap":
        from dce.run.outputs import estimates_table

        est = estimates_table(run)
        assert {"boot_ci_lower", "boot_ci_upper"} <= set(est.columns)
        ref = est[est["term"] == "g"]
        assert (ref["boot_ci_lower"] == 0).all() and (ref["estimate"] == 0).all()


def test_command_line_design_validate_and_determinism(tmp_path, capsys):
    cfg = write_config(tmp_path, SMALL.replace("INTERVALS", "100"))
    assert main(["validate", str(cfg)]) == 0
    assert main(["design", str(cfg), "--output", str(tmp_path / "d")]) == 0
    table = pd.read_csv(tmp_path / "d" / "design.csv")
    assert list(table.columns) == ["block", "task", "alternative", "item"]
    assert main(["run", str(cfg), "--output", str(tmp_path / "r1")]) == 0
    assert main(["run", str(cfg), "--output", str(tmp_path / "r2")]) == 0
    for name in ("importance.csv", "estimates.csv", "comparison.csv", "bw_counts.csv",
                 "responses.csv"):
        assert (tmp_path / "r1" / name).read_bytes() == (tmp_path / "r2" / name).read_bytes()
    capsys.readouterr()


def test_ranking_study_from_the_command_line(tmp_path, capsys):
    text = """
schema_version: 1
name: small_rank
seed: 5
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}}
simulate:
  groups:
    x: {respondents: 80, utilities: {a: 1.0, b: 0.5, c: 0.0, d: -0.5, e: -1.0}}
    y: {respondents: 80, utilities: {a: -1.0, b: -0.5, c: 0.0, d: 0.5, e: 1.0}}
model: {by: group, top_k: 3}
importance: {draws: 100}
"""
    cfg = write_config(tmp_path, text)
    assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 0
    imp = pd.read_csv(tmp_path / "out" / "importance.csv")
    x = imp[imp["group"] == "x"].set_index("attribute")["rank"]
    y = imp[imp["group"] == "y"].set_index("attribute")["rank"]
    assert x["a"] == 1 and y["e"] == 1
    counts = pd.read_csv(tmp_path / "out" / "rank_counts.csv")
    assert set(counts["group"]) == {"x", "y", "all"}
    models = pd.read_csv(tmp_path / "out" / "models.csv")
    assert (models["n_parameters"] == 4).all()
    comp = pd.read_csv(tmp_path / "out" / "comparison.csv")
    rho = comp[comp["test"] == "spearman_rank_correlation"]["estimate"].item()
    assert rho == pytest.approx(-1.0)
    capsys.readouterr()
