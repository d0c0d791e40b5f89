"""The methods paragraph says only what the run did (issue 14 user trial): no design
claimed for long data that carried their own levels, no method claimed for a design file
whose config does not state one, and the opt-out constant named however it was declared.
Each case is run through the CLI and checked against estimates.csv or the inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from dce.cli import main

ATTRS = {"colour": {"levels": ["red", "green", "blue"]},
         "price": {"levels": [1, 2, 3], "coding": "linear"}}


def _long(tmp_path, opt_out_cells=""):
    """120 respondents x 4 tasks x (2 profiles + an opt-out as alternative 3)."""
    rng = np.random.default_rng(5)
    rows = []
    for r in range(1, 121):
        for t in range(1, 5):
            u = []
            prof = []
            for a in (1, 2):
                c, p = rng.choice(["red", "green", "blue"]), int(rng.integers(1, 4))
                prof.append((a, c, p))
                u.append({"red": 0, "green": 0.5, "blue": 1.0}[c] - 0.4 * p + rng.gumbel())
            u.append(-0.5 + rng.gumbel())
            k = int(np.argmax(u))
            for a, c, p in prof:
                rows.append((r, t, a, int(k == a - 1), c, p))
            rows.append((r, t, 3, int(k == 2), opt_out_cells, opt_out_cells))
    frame = pd.DataFrame(rows, columns=["respondent", "task", "alternative", "chosen",
                                        "colour", "price"])
    frame.to_csv(tmp_path / "choices.csv", index=False)


def _run(tmp_path, extra: dict) -> tuple[str, pd.DataFrame]:
    cfg = {"schema_version": 1, "name": "m", "seed": 1, "attributes": ATTRS,
           "choices": {"file": "choices.csv"}, "importance": {"draws": 50}, **extra}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "c.yaml"), "--output", str(out), "--force"]) == 0
    return (out / "report.md").read_text(), pd.read_csv(out / "estimates.csv")


def _paragraph(md: str, start: str) -> str:
    """The methods section's paragraph starting with ``start`` (its last such line; the
    report's design summary above it also starts with "Design:")."""
    return [line for line in md.splitlines() if line.startswith(start)][-1]


def test_long_data_without_a_design_claim_none(tmp_path):
    _long(tmp_path)
    md, est = _run(tmp_path, {"design": {"opt_out": "Neither"}})
    design = _paragraph(md, "Design:")
    assert "not made or read by dce" in design
    assert "random" not in design and "None" not in design
    assert "asc[opt_out]" in set(est["term"])
    assert "constant for the opt-out ('Neither')" in _paragraph(md, "Model:")


def test_opt_out_named_by_number_is_named_in_the_model_paragraph(tmp_path):
    _long(tmp_path, opt_out_cells="0")
    md, est = _run(tmp_path, {"choices": {"file": "choices.csv",
                                          "opt_out": {"alternative": 3}}})
    assert "asc[opt_out]" in set(est["term"])
    model = _paragraph(md, "Model:")
    assert "constant for the opt-out (alternative 3)" in model
    assert "no constants" not in model


def test_a_design_file_without_a_stated_method_is_not_called_random(tmp_path):
    _long(tmp_path)
    long = pd.read_csv(tmp_path / "choices.csv", keep_default_na=False)
    design = long[long["respondent"] == 1].drop(columns=["respondent", "chosen"])
    design = design[design["alternative"] < 3]
    for r in range(1, 121):  # every respondent saw respondent 1's tasks
        part = long["respondent"] == r
        keep = long.loc[part, ["task", "alternative"]].merge(
            design, on=["task", "alternative"], how="left")
        long.loc[part & (long["alternative"] < 3), ["colour", "price"]] = \
            keep.loc[keep["alternative"].to_numpy() < 3, ["colour", "price"]].to_numpy()
    long.drop(columns=["colour", "price"]).to_csv(tmp_path / "choices.csv", index=False)
    design.assign(block=1)[["block", "task", "alternative", "colour", "price"]].to_csv(
        tmp_path / "design.csv", index=False)
    md, _ = _run(tmp_path, {"design": {"opt_out": "Neither", "file": "design.csv"}})
    text = _paragraph(md, "Design:")
    assert text.startswith("Design: read from design.csv")
    assert "random" not in text
    assert "at zero coefficients (no priors)" in text
