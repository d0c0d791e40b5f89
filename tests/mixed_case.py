"""A small mixed-logit study with a known truth, shared by the report tests.

Two groups of 400 simulated respondents (12 tasks of three profiles), the same utilities:
- access to a named contact: mean utility difference 0 (Yes against No) with a large
  standard deviation (1.5) across respondents, so opinions are divided;
- quality standard: a large mean difference (1.5, High against Basic) with a small
  standard deviation (0.3), so nearly everyone prefers the high standard;
- evening sessions (0.5) and waiting time (-0.15 per week): fixed, no spread.
Access is effects-coded, quality dummy-coded; both are random (normal) in the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dce.cli import main

CONFIG = """
schema_version: 1
name: mixed_truth
seed: 7
attributes:
  access: {label: Access to a named contact, levels: ["No", "Yes"]}
  quality: {label: Quality standard, levels: [Basic, High], coding: dummy}
  evenings: {label: Evening sessions, levels: ["No", "Yes"], coding: dummy}
  waiting: {label: Waiting time (weeks), levels: [1, 4, 8], coding: linear}
design: {method: random, alternatives: 3, tasks: 12, blocks: 2}
simulate:
  groups:
    group_a: &truth
      respondents: 400
      utilities:
        access: {"No": 0, "Yes": 0.0}
        quality: {Basic: 0, High: 1.5}
        evenings: {"No": 0, "Yes": 0.5}
        waiting: -0.15
      heterogeneity: {access: 1.5, quality: 0.3}
    group_b: *truth
model:
  type: mixed_logit
  by: group
  draws: 100
  random: {"access[Yes]": normal, "quality[High]": normal}
importance: {draws: 400}
"""


def run_case(folder: Path) -> Path:
    """Write the config into ``folder``, run it, and return the run folder."""
    cfg = folder / "mixed_truth.yaml"
    cfg.write_text(CONFIG)
    out = folder / "run"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    return out


_RUNS: dict = {}


@pytest.fixture(scope="session")
def mixed_run(tmp_path_factory) -> Path:
    """The run folder of :data:`CONFIG`, run once per test session (the report and the
    browser tests share it)."""
    if "run" not in _RUNS:
        _RUNS["run"] = run_case(tmp_path_factory.mktemp("mixed"))
    return _RUNS["run"]
