"""Power analysis and bootstrap through the command line: worker and backend invariance."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import SMALL, write_config

POWER = SMALL + """
power:
  sample_sizes: [20, 80]
  replications: 12
  top_k: 2
"""

BOOT = SMALL.replace("importance: {draws: 300}",
                     "importance: {draws: 40, intervals: bootstrap}\ntradeoffs: "
                     "{denominator: waiting}")


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.glob("*.csv")}


def test_power_rises_with_sample_size_and_ignores_worker_count(tmp_path):
    cfg = write_config(tmp_path, POWER)
    assert main(["power", str(cfg), "--output", str(tmp_path / "p1"), "--jobs", "1"]) == 0
    assert main(["power", str(cfg), "--output", str(tmp_path / "p2"), "--jobs", "2"]) == 0
    assert _hashes(tmp_path / "p1") == _hashes(tmp_path / "p2")
    table = pd.read_csv(tmp_path / "p1" / "power.csv")
    power = table[table["measure"] == "power"].groupby("sample_size")["value"].mean()
    assert power.loc[80] > power.loc[20]
    assert (tmp_path / "p1" / "figures" / "power.png").stat().st_size > 0
    sl = table[table["measure"] == "swait_louviere_power"]
    assert list(sl["group"]) == ["users vs staff"] * 2


def test_bootstrap_run_is_identical_across_workers_and_dask(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    cfg = write_config(tmp_path, BOOT)
    assert main(["run", str(cfg), "--output", str(tmp_path / "b1"), "--jobs", "1"]) == 0
    assert main(["run", str(cfg), "--output", str(tmp_path / "b2"), "--jobs", "2"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert main(["run", str(cfg), "--output", str(tmp_path / "bd"), "--jobs", "2",
                     "--backend", "dask", "--scheduler", cluster.scheduler_address]) == 0
    h1 = _hashes(tmp_path / "b1")
    assert h1 == _hashes(tmp_path / "b2") == _hashes(tmp_path / "bd")
    est = pd.read_csv(tmp_path / "b1" / "estimates.csv")
    assert est[["boot_ci_lower", "boot_ci_upper"]].notna().all().all()
    inside = (est["boot_ci_lower"] <= est["estimate"]) & (est["estimate"] <= est["boot_ci_upper"])
    assert inside.mean() > 0.9
    trade = pd.read_csv(tmp_path / "b1" / "tradeoffs.csv")
    assert trade[["boot_ci_lower", "boot_ci_upper"]].notna().all().all()
    comp = pd.read_csv(tmp_path / "b1" / "comparison.csv")
    assert {"swait_louviere_preferences", "swait_louviere_scale",
            "poe_tradeoff_difference", "kendall_rank_correlation"} <= set(comp["test"])
    tested = comp["p_value"].notna()  # descriptive rows and unidentified scales: no test
    assert np.all(comp.loc[tested, "p_holm"] >= comp.loc[tested, "p_value"] - 1e-12)
    assert comp.loc[~tested, "p_holm"].isna().all()


def test_dask_backend_without_scheduler_is_a_clear_error(tmp_path, capsys):
    cfg = write_config(tmp_path, SMALL)
    assert main(["run", str(cfg), "--output", str(tmp_path / "o"), "--backend", "dask"]) == 2
    assert "scheduler" in capsys.readouterr().err
