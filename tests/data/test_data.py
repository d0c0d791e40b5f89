"""Observed data: long and wide readers agree; fit-only studies; unbalanced panels."""

import json

import numpy as np
import pandas as pd

from dce.cli import main
from dce.config.study import load_config
from dce.data.simulate import responses
from dce.design import build
from dce.run.runner import analyse
from tests.conftest import SMALL, write_config


def _simulated(tmp_path):
    study = load_config(write_config(tmp_path / "sim"))
    design = build(study)
    return design, responses(study, design)


def _observed_config(extra: str) -> str:
    head = SMALL.split("simulate:")[0]
    return head + extra + "\nmodel: {by: group}\nimportance: {draws: 200}\n"


def test_long_and_wide_give_the_same_fit(tmp_path):
    design, resp = _simulated(tmp_path)
    folder = tmp_path / "obs"
    folder.mkdir()
    design.table.to_csv(folder / "design.csv", index=False)
    long = resp.drop(columns=["is_opt_out"])
    long.to_csv(folder / "long.csv", index=False)
    chosen = resp[resp["chosen"] == 1]
    wide = chosen.pivot(index=["respondent", "group", "block"], columns="task",
                        values="alternative").add_prefix("task").reset_index()
    wide.to_csv(folder / "wide.csv", index=False)

    cfg_long = _observed_config(
        "choices:\n  file: long.csv\n  columns: {block: block, group: group}\n")
    cfg_wide = _observed_config(
        "choices:\n  file: wide.csv\n  format: wide\n  columns: {block: block, group: group}\n")
    cfg_wide = cfg_wide.replace("  blocks: 2", "  blocks: 2\n  file: design.csv")
    a = analyse(load_config(write_config(folder, cfg_long, "long.yaml")))
    b = analyse(load_config(write_config(folder, cfg_wide, "wide.yaml")))
    assert [f.group for f in a.fits] == ["users", "staff", "all"]
    for fa, fb in zip(a.fits, b.fits):
        np.testing.assert_allclose(fa.params, fb.params, rtol=1e-10)
        assert fa.n_sets == fb.n_sets


def test_unbalanced_panel_and_respondents_table(tmp_path):
    design, resp = _simulated(tmp_path)
    folder = tmp_path / "obs"
    folder.mkdir()
    drop = (resp["respondent"] % 3 == 0) & (resp["task"] == 2)  # some tasks missing
    resp[~drop].drop(columns=["group", "is_opt_out"]).to_csv(folder / "long.csv", index=False)
    people = resp.drop_duplicates("respondent")[["respondent", "group"]]
    people.rename(columns={"respondent": "id"}).to_csv(folder / "people.csv", index=False)
    cfg = _observed_config("choices:\n  file: long.csv\n  columns: {block: block}\n"
                           "respondents: {file: people.csv, id: id, group: group}\n")
    run = analyse(load_config(write_config(folder, cfg)))
    assert run.data_summary["unbalanced_respondents"] > 0
    assert run.data_summary["tasks_per_respondent"]["min"] == 7
    assert run.fits[-1].n_respondents == 220


def test_fit_only_numeric_columns_unequal_sets_and_constants(tmp_path):
    rng = np.random.default_rng(3)
    rows = []
    for r in range(300):
        for t in range(6):
            n_alt = rng.integers(2, 5)  # availability varies: 2 to 4 alternatives
            alts = np.sort(rng.choice([1, 2, 3, 4], size=n_alt, replace=False))
            price = rng.uniform(1, 10, n_alt)
            quality = rng.choice(["low", "high"], n_alt)
            u = -0.3 * price + 0.8 * (quality == "high") + 0.5 * (alts == 1)
            pick = np.argmax(u + rng.gumbel(size=n_alt))
            for k in range(n_alt):
                rows.append({"id": r, "q": t, "alt": alts[k], "pick": int(k == pick),
                             "price": round(price[k], 3), "quality": quality[k]})
    folder = tmp_path / "fit"
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "data.csv", index=False)
    cfg = """
schema_version: 1
name: fitonly
seed: 1
attributes:
  price: {coding: linear}
  quality: {levels: [low, high], coding: dummy}
choices:
  file: data.csv
  columns: {respondent: id, task: q, alternative: alt, chosen: pick}
model: {constants: [1], se: robust}
importance: {draws: 100}
"""
    path = write_config(folder, cfg)
    assert main(["fit", str(path), "--output", str(tmp_path / "out")]) == 0
    est = pd.read_csv(tmp_path / "out" / "estimates.csv").set_index("term")
    assert set(est.index) == {"price", "quality[high]", "asc[1]"}
    assert abs(est.loc["price", "estimate"] + 0.3) < 3 * est.loc["price", "std_error"]
    # the unequal set sizes are counted (docs/reliability.md), against the rows written
    summary = json.loads((tmp_path / "out" / "data_summary.json").read_text())
    written = pd.DataFrame(rows).groupby(["id", "q"]).size().value_counts()
    assert summary["set_sizes"] == {str(k): int(v) for k, v in sorted(written.items())}
    assert set(summary["set_sizes"]) == {"2", "3", "4"}
    assert abs(est.loc["asc[1]", "estimate"] - 0.5) < 3 * est.loc["asc[1]", "std_error"]
