"""Odd data: separation, everyone opting out, extreme scales, confounded attributes and
shuffled rows. Each fits cleanly or stops with a message naming the terms; no NaN or
infinite value ever reaches an output file."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import write_config

CONFIG = """
schema_version: 1
name: odd
seed: 1
attributes:
  quality: {levels: [low, high]}
  access: {levels: [slow, fast]}
  price: {coding: linear}
choices:
  file: data.csv
  columns: {respondent: id, task: task, alternative: alt, chosen: chosen, group: grp}
model: {by: group}
importance: {draws: 200}
"""


def make(tmp_path, mode, seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(160):
        for t in range(6):
            q = rng.integers(0, 2, 2)
            a = rng.integers(0, 2, 2)
            if mode == "separated":
                q = np.array([0, 1]) if rng.random() < 0.5 else np.array([1, 0])
            if mode == "confounded":
                a = q.copy()
            p = rng.uniform(1, 5, 2) * {"huge": 1e6, "tiny": 1e-6}.get(mode, 1.0)
            scale = {"huge": 1e-6, "tiny": 1e6}.get(mode, 1.0)
            u = 0.8 * q + 0.4 * a - 0.3 * p * scale + rng.gumbel(size=2)
            c = int(np.argmax(q)) if mode == "separated" else int(np.argmax(u))
            opt = mode == "optout"
            for j in range(2):
                rows.append({"id": r, "task": t, "alt": j + 1, "chosen": int(c == j and not opt),
                             "quality": ["low", "high"][q[j]], "access": ["slow", "fast"][a[j]],
                             "price": p[j], "grp": "a" if r < 80 else "b"})
            if opt:
                rows.append({"id": r, "task": t, "alt": 3, "chosen": 1, "quality": "",
                             "access": "", "price": "", "grp": "a" if r < 80 else "b"})
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "data.csv", index=False)
    return write_config(tmp_path, CONFIG), frame


def no_bad_numbers(folder):
    for csv in folder.glob("*.csv"):
        text = csv.read_text().lower()
        assert "nan" not in text and "inf" not in text, csv.name


@pytest.mark.parametrize("mode,terms", [("separated", "quality[high]"),
                                        ("optout", "asc[opt_out]"),
                                        ("confounded", "quality[high], access[fast]")])
def test_stops_naming_the_terms(tmp_path, capsys, mode, terms):
    cfg, _ = make(tmp_path, mode)
    assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert terms in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("mode", ["huge", "tiny"])
def test_extreme_scales_fit_and_rescale(tmp_path, mode):
    cfg, _ = make(tmp_path, mode)
    assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 0
    no_bad_numbers(tmp_path / "out")
    est = pd.read_csv(tmp_path / "out" / "estimates.csv").set_index(["group", "term"])
    factor = {"huge": 1e-6, "tiny": 1e6}[mode]
    # the price coefficient is on the scale of 1/price; the others are unaffected
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    ref_cfg, _ = make(ref_dir, "plain")
    main(["run", str(ref_cfg), "--output", str(ref_dir / "out")])
    ref = pd.read_csv(ref_dir / "out" / "estimates.csv").set_index(["group", "term"])
    got = est.loc[("all", "price"), "estimate"] / factor
    assert got == pytest.approx(ref.loc[("all", "price"), "estimate"], rel=1e-6)


def test_shuffled_rows_give_the_same_bytes(tmp_path):
    cfg, frame = make(tmp_path, "plain")
    assert main(["run", str(cfg), "--output", str(tmp_path / "a")]) == 0
    frame.sample(frac=1.0, random_state=3).to_csv(tmp_path / "data.csv", index=False)
    assert main(["run", str(cfg), "--output", str(tmp_path / "b")]) == 0
    for name in ("estimates.csv", "models.csv", "importance.csv", "comparison.csv"):
        a = hashlib.sha256((tmp_path / "a" / name).read_bytes()).hexdigest()
        b = hashlib.sha256((tmp_path / "b" / name).read_bytes()).hexdigest()
        assert a == b, name
