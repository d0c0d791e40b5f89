"""The report states the simulated truth and no false claim (docs/report.md, "Rules").

Three truths, 1,000 respondents per group each (12 tasks of two services and an opt-out):
1. the same preferences, group B choosing more randomly (relative scale 0.6);
2. the same preferences and scale, group B opting out far more often;
3. different preferences (B values meeting similar people twice as much), equal scale.
And the committed showcase runs: no sentence contradicts the utilities in their configs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dce.cli import main
from tests.report_truth import false_claims

REPO = Path(__file__).resolve().parents[2]

BASE = """
schema_version: 1
name: truth
seed: {seed}
attributes:
  quality: {{label: Quality, levels: [Low, Medium, High]}}
  similar: {{label: Meeting similar people, levels: ["No", "Yes"]}}
  waiting: {{label: Waiting (weeks), levels: [1, 4, 12], coding: linear}}
  recommended: {{label: Recommended, levels: ["No", "Yes"]}}
design: {{method: random, alternatives: 2, opt_out: Neither, tasks: 12, blocks: 2}}
simulate:
  groups:
    group_a:
      respondents: 1000
      utilities:
        quality: {{Low: 0, Medium: 0.6, High: 1.2}}
        similar: {{"No": 0, "Yes": 0.8}}
        waiting: -0.06
        recommended: {{"No": 0, "Yes": 0.3}}
        opt_out: -0.5
    group_b:
      respondents: 1000
      scale: {scale}
      utilities:
        quality: {{Low: 0, Medium: 0.6, High: 1.2}}
        similar: {{"No": 0, "Yes": {similar_b}}}
        waiting: -0.06
        recommended: {{"No": 0, "Yes": 0.3}}
        opt_out: {opt_out_b}
model: {{by: group, se: cluster}}
importance: {{draws: 1000}}
tradeoffs: {{denominator: waiting}}
report:
  group_labels: {{group_a: Group A, group_b: Group B}}
"""


def _run(tmp_path, **truth) -> Path:
    cfg = tmp_path / "truth.yaml"
    cfg.write_text(BASE.format(**truth), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    return out


@pytest.mark.slow
def test_same_preferences_different_scale(tmp_path):
    out = _run(tmp_path, seed=11, scale=0.6, similar_b=0.8, opt_out_b=-0.5)
    bad, made = false_claims(out)
    assert not bad, bad
    claims = made[("group_a", "group_b")]
    assert claims["scale"] == ["group_b"]          # the truth is said
    assert not claims["differ"] and not claims["weight"] and not claims["rank"]


@pytest.mark.slow
def test_same_preferences_different_opt_out(tmp_path):
    out = _run(tmp_path, seed=12, scale=1.0, similar_b=0.8, opt_out_b=0.8)
    bad, made = false_claims(out)
    assert not bad, bad
    claims = made[("group_a", "group_b")]
    assert not claims["scale"] and not claims["differ"]   # no scale artefact
    assert not claims["weight"] and not claims["rank"]
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "No difference in the consistency of choices is detected" in text


@pytest.mark.slow
def test_different_preferences_equal_scale(tmp_path):
    out = _run(tmp_path, seed=13, scale=1.0, similar_b=1.6, opt_out_b=-0.5)
    bad, made = false_claims(out)
    assert not bad, bad
    claims = made[("group_a", "group_b")]
    assert claims["differ"] and not claims["scale"]
    assert ("similar[Yes]", "group_b") in claims["weight"]   # the truth is said
    assert ("similar", "group_b") in claims["rank"]
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "cannot be told apart" in text


@pytest.mark.parametrize("name", ["peer_support", "peer_support_bws"])
def test_committed_showcase_says_nothing_false(name):
    folder = REPO / "results" / name
    bad, made = false_claims(folder)
    assert not bad, bad
    assert made, "the showcase compares its groups"
