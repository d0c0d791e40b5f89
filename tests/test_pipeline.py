"""End to end: the run folder is complete, reproducible and written atomically."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import SMALL, write_config

REPO = Path(__file__).resolve().parents[1]
SPEC_FILES = ["config.yaml", "design.csv", "design_diagnostics.json", "responses.csv",
              "estimates.csv", "models.csv", "importance.csv", "comparison.csv",
              "report.html", "report.md", "manifest.json"]


def digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_run_writes_every_file_with_documented_columns(small_config, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    for name in SPEC_FILES:
        assert (out / name).is_file(), name
    cols = {
        "estimates.csv": ["group", "term", "estimate", "std_error", "z", "p_value", "ci_lower",
                          "ci_upper"],
        "models.csv": ["group", "n_respondents", "n_choice_sets", "n_parameters",
                       "log_likelihood", "null_log_likelihood", "aic", "bic", "converged",
                       "iterations", "se_type", "engine"],
        "importance.csv": ["group", "attribute", "importance", "ci_lower", "ci_upper", "rank"],
        "responses.csv": ["respondent", "group", "block", "task", "alternative", "chosen",
                          "quality", "similar", "waiting"],
        "design.csv": ["block", "task", "alternative", "quality", "similar", "waiting"],
    }
    for name, expected in cols.items():
        header = list(pd.read_csv(out / name, nrows=0).columns)
        assert header[:len(expected)] == expected, name
    est = pd.read_csv(out / "estimates.csv")
    assert set(est["group"]) == {"users", "staff", "all"}
    assert "quality[Low]" in set(est["term"])  # omitted effects level is reported
    assert est[["estimate", "std_error"]].notna().all().all()
    imp = pd.read_csv(out / "importance.csv")
    for _, part in imp.groupby("group"):
        assert abs(part["importance"].sum() - 1) < 1e-8
        assert sorted(part["rank"]) == [1, 2, 3]


def test_same_config_same_bytes(small_config, tmp_path):
    main(["run", str(small_config), "--output", str(tmp_path / "a")])
    main(["run", str(small_config), "--output", str(tmp_path / "b")])
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_different_seed_different_numbers(small_config, tmp_path):
    other = write_config(tmp_path / "other", SMALL.replace("seed: 7", "seed: 8"))
    main(["run", str(small_config), "--output", str(tmp_path / "a")])
    main(["run", str(other), "--output", str(tmp_path / "b")])
    a = (tmp_path / "a" / "estimates.csv").read_bytes()
    assert a != (tmp_path / "b" / "estimates.csv").read_bytes()


def test_foreign_folder_needs_force(small_config, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("mine")
    assert main(["run", str(small_config), "--output", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "precious.txt").read_text() == "mine"
    assert main(["run", str(small_config), "--output", str(out), "--force"]) == 0
    assert not (out / "precious.txt").exists()


def test_failed_run_leaves_previous_folder(small_config, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    before = digest(out)
    broken = write_config(tmp_path / "b", SMALL.replace("respondents: 100",
                                                        "respondents: 1"))
    assert main(["run", str(broken), "--output", str(out)]) == 2  # too few to fit
    assert digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 2.0, "writing"])
def test_killed_run_leaves_previous_folder(small_config, tmp_path, delay):
    out = tmp_path / "out"
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    before = digest(out)
    slow = write_config(tmp_path / "slow", SMALL.replace("draws: 300", "draws: 400000")
                        .replace("respondents: 120", "respondents: 3000"))
    proc = subprocess.Popen([sys.executable, "-m", "dce", "run", str(slow), "--output",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if delay == "writing":
        deadline = time.time() + 120
        while time.time() < deadline and not list(tmp_path.glob(".out.tmp-*")):
            time.sleep(0.001)
    else:
        time.sleep(delay)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert digest(out) == before
    visible = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert sorted(visible) == ["out", "slow", "study.yaml"]
    # the next run cleans the killed run's temporary folder
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    assert not list(tmp_path.glob(".out.tmp-*"))


SHOWCASES = sorted(p.name for p in (REPO / "results").glob("*") if (p / "manifest.json").exists())


@pytest.mark.slow
@pytest.mark.parametrize("name", SHOWCASES)
def test_committed_showcase_regenerates_identically(tmp_path, name):
    """Every committed run folder is what its config in configs/ produces today."""
    out = tmp_path / name
    assert main(["run", str(REPO / "configs" / f"{name}.yaml"), "--output", str(out)]) == 0
    assert digest(out) == digest(REPO / "results" / name)


def test_showcases_are_committed():
    assert {"peer_support", "peer_support_bws", "peer_support_lc"} <= set(SHOWCASES)


def test_only_the_run_folder_is_written(small_config, tmp_path):
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    out = tmp_path / "out"
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")
             if out not in p.parents and p != out}
    assert after == before  # inputs untouched, nothing written beside them


def test_constants_only_loglik_has_its_closed_form(small_config, tmp_path):
    """With generic alternatives and an opt-out constant, the constants-only model
    predicts the observed opt-out share: LL = n_o log p + (N - n_o) log((1 - p) / J)."""
    import numpy as np

    out = tmp_path / "out"
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    resp = pd.read_csv(out / "responses.csv")
    models = pd.read_csv(out / "models.csv").set_index("group")
    for group, part in list(resp.groupby("group")) + [("all", resp)]:
        n_sets = part.groupby(["respondent", "task"]).ngroups
        n_opt = int(part.loc[part["is_opt_out"] == 1, "chosen"].sum())
        p = n_opt / n_sets
        expected = n_opt * np.log(p) + (n_sets - n_opt) * np.log((1 - p) / 2)
        assert models.loc[group, "constants_log_likelihood"] == pytest.approx(expected, rel=1e-8)
        assert models.loc[group, "rho_squared"] == pytest.approx(
            1 - models.loc[group, "log_likelihood"] / models.loc[group, "null_log_likelihood"])


def test_manifest_records_each_stage_time(small_config, tmp_path):
    """manifest.json's stage_seconds (issue 16): the stages of the run, each a time within
    the run's duration, together not more than it."""
    out = tmp_path / "out"
    assert main(["run", str(small_config), "--output", str(out)]) == 0
    m = json.loads((out / "manifest.json").read_text())
    stages = m["stage_seconds"]
    assert {"read", "quality", "coding", "fit", "importance", "tables", "report"} <= set(stages)
    assert all(0 <= v <= m["duration_seconds"] for v in stages.values())
    assert sum(stages.values()) <= m["duration_seconds"] + 0.01


def test_fit_writes_the_tables_and_report_completes_the_run_folder(small_config, tmp_path,
                                                                    capsys):
    """`dce fit` (issue 16) writes the tables without report, figures and results.xlsx;
    `dce report` then adds them with the bytes `dce run` writes, and manifest.json lists
    the same file hashes as the run's."""
    run, fit = tmp_path / "run", tmp_path / "fit"
    assert main(["run", str(small_config), "--output", str(run)]) == 0
    assert main(["fit", str(small_config), "--output", str(fit)]) == 0
    assert "dce report" in capsys.readouterr().out
    files = lambda d: {p.relative_to(d).as_posix(): p.read_bytes()  # noqa: E731
                       for p in sorted(d.rglob("*")) if p.is_file()}
    before = files(fit)
    assert "estimates.csv" in before and "importance.csv" in before
    assert not any(n.startswith(("report.", "figures/")) or n == "results.xlsx"
                   for n in before)
    assert main(["report", str(fit)]) == 0
    after, want = files(fit), files(run)
    assert sorted(after) == sorted(want)
    assert {n: b for n, b in after.items() if n != "manifest.json"} == \
        {n: b for n, b in want.items() if n != "manifest.json"}
    got, ref = (json.loads(d["manifest.json"]) for d in (after, want))
    assert got["files"] == ref["files"]
    assert main(["report", str(run)]) == 0  # rebuilding a complete folder changes nothing
    assert files(run) == want
    assert main(["report", str(fit)]) == 0  # the updated manifest passes its own check
    assert files(fit) == after
