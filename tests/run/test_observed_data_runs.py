"""Runs on observed (long-format) responses: no design is invented for them, and groups
in the data without model.by are pooled with a warning that says so."""

from __future__ import annotations

from dce.cli import main
from tests.conftest import SMALL, write_config


def _observed(tmp_path, by: bool):
    sim = write_config(tmp_path / "sim", SMALL)
    assert main(["simulate", str(sim), "--output", str(tmp_path / "sim_out")]) == 0
    head, rest = SMALL.split("simulate:", 1)
    tail = rest[rest.index("\nmodel:"):]
    text = head + ("choices:\n  file: ../sim_out/responses.csv\n  format: long\n"
                   "  columns: {respondent: respondent, task: task, alternative: alternative,"
                   " chosen: chosen, group: group, block: block}\n") + tail
    if not by:
        text = text.replace("model: {by: group}", "model: {se: cluster}")
    return write_config(tmp_path / "obs", text)


def test_long_observed_data_get_no_invented_design(tmp_path):
    cfg = _observed(tmp_path, by=True)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    assert not (out / "design.csv").exists()          # the data carry their own levels
    assert "Design diagnostics" not in (out / "report.md").read_text(encoding="utf-8")


def test_groups_without_model_by_are_pooled_with_a_warning(tmp_path):
    cfg = _observed(tmp_path, by=False)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    warnings = (out / "warnings.txt").read_text(encoding="utf-8")
    assert "model.by is not set, so one pooled model was fitted" in warnings
