"""A labelled study end to end: known constants per label and alternative-specific slopes
are recovered from simulated choices, and ``dce run`` on the example config writes the
whole run folder with its report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import dce
from dce.config.study import study_from_dict

ROOT = Path(__file__).resolve().parents[2]
LABELS = ["NHS group", "charity group", "online forum"]
TRUTH = {"who[Peer]": 0.5, "who[Nurse]": 0.9, "travel@NHS group": -0.01,
         "travel@charity group": -0.04, "cost@NHS group": -0.05, "cost@charity group": -0.1,
         "cost@online forum": -0.2, "asc[charity group]": -0.3, "asc[online forum]": 0.4}


def _config(respondents: int) -> dict:
    return {
        "schema_version": 1, "name": "lab_recovery", "seed": 11,
        "attributes": {
            "who": {"levels": ["Volunteer", "Peer", "Nurse"], "coding": "dummy"},
            "travel": {"levels": [10, 30, 60], "coding": "linear",
                       "alternatives": ["NHS group", "charity group"]},
            "cost": {"levels": [0, 5, 10], "coding": "linear"},
        },
        "design": {"method": "random", "alternatives": 3, "tasks": 12, "blocks": 2,
                   "labels": LABELS},
        "model": {"alternative_specific": ["travel", "cost"]},
        "simulate": {"groups": {"everyone": {"respondents": respondents, "utilities": {
            "asc": {"charity group": -0.3, "online forum": 0.4},
            "who": {"Volunteer": 0, "Peer": 0.5, "Nurse": 0.9},
            "travel@NHS group": -0.01, "travel@charity group": -0.04,
            "cost@NHS group": -0.05, "cost@charity group": -0.1, "cost@online forum": -0.2,
        }}}},
        "importance": {"draws": 50},
    }


def test_known_parameters_are_recovered():
    run = dce.analyse(study_from_dict(_config(1500)))
    est = run.tables["estimates"].set_index("term")
    assert set(TRUTH) == set(est.index)
    z = {t: (est.loc[t, "estimate"] - v) / est.loc[t, "std_error"] for t, v in TRUTH.items()}
    # 9 estimates, each within 3.5 standard errors of the truth (a chance failure of one
    # in about 2000 runs; the seed is fixed); measured |z| at most 1.5 with seed 11
    assert max(abs(v) for v in z.values()) < 3.5, z
    # and the standard errors are small enough for the test to mean something
    assert est.loc["asc[online forum]", "std_error"] < 0.08
    assert est.loc["travel@charity group", "std_error"] < 0.004


def test_importance_of_an_alternative_specific_attribute_is_its_largest_range():
    run = dce.analyse(study_from_dict(_config(300)))
    est = run.tables["estimates"].set_index("term")["estimate"]
    imp = run.tables["importance"].set_index("attribute")["importance"]
    ranges = {"who": max(est["who[Peer]"], est["who[Nurse]"], 0)
              - min(est["who[Peer]"], est["who[Nurse]"], 0),
              "travel": 50 * max(abs(est["travel@NHS group"]),
                                 abs(est["travel@charity group"])),
              "cost": 10 * max(abs(est[f"cost@{lab}"]) for lab in LABELS)}
    total = sum(ranges.values())
    for name, r in ranges.items():
        assert imp[name] == pytest_approx(r / total)


def pytest_approx(value):
    import pytest

    return pytest.approx(value, rel=1e-9)


def test_cli_run_of_the_example_config(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "dce", "run", "configs/labelled_example.yaml",
                           "--output", str(out)], cwd=ROOT, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    for name in ("report.html", "report.md", "estimates.csv", "design.csv", "importance.csv"):
        assert (out / name).is_file(), name
    design = pd.read_csv(out / "design.csv", dtype=str, keep_default_na=False)
    assert (design.loc[design["alternative"] == "3", "travel"] == "").all()
    terms = set(pd.read_csv(out / "estimates.csv")["term"])
    assert {"asc[charity group]", "asc[online forum]", "travel@NHS group",
            "travel@charity group", "cost"} <= terms
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "label constants for charity group and online forum (reference: NHS group)" in report
    assert "shown in NHS group, charity group only" in report
    assert "Travel time (minutes) (one unit more, NHS group)" in report  # trade-offs table
    assert "travel@" not in report and "travel@" not in (out / "report.html").read_text()
    assert np.isfinite(pd.read_csv(out / "importance.csv")["importance"]).all()


def test_observed_labelled_data_give_the_simulated_fit(tmp_path):
    """The simulated responses, written as a survey export with empty cells where an
    attribute does not appear, are read back and fitted to the same estimates."""
    cfg = _config(200)
    sim = dce.analyse(study_from_dict(cfg))
    sim.raw.responses.to_csv(tmp_path / "responses.csv", index=False)
    del cfg["simulate"]
    cfg["choices"] = {"file": "responses.csv", "columns": {"group": "group", "block": "block"}}
    obs = dce.analyse(study_from_dict(cfg, tmp_path))
    a = sim.tables["estimates"].set_index("term")["estimate"]
    b = obs.tables["estimates"].set_index("term")["estimate"]
    pd.testing.assert_series_equal(a, b, rtol=1e-12)
    cells = pd.read_csv(tmp_path / "responses.csv", dtype=str, keep_default_na=False)
    assert (cells.loc[cells["alternative"] == "3", "travel"] == "").all()
