"""Shared fixtures: small configs written into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SMALL = """
schema_version: 1
name: small
seed: 7
attributes:
  quality:
    label: Quality
    levels: [Low, Medium, High]
  similar:
    label: Similar people
    levels: [No, Yes]
  waiting:
    label: Waiting (weeks)
    levels: [1, 4, 12]
    coding: linear
design:
  method: random
  alternatives: 2
  opt_out: Neither
  tasks: 8
  blocks: 2
simulate:
  groups:
    users:
      respondents: 120
      utilities:
        quality: {Low: 0, Medium: 0.6, High: 1.2}
        similar: {No: 0, Yes: 0.8}
        waiting: -0.08
        opt_out: -0.5
    staff:
      respondents: 100
      scale: 0.8
      utilities:
        quality: {Low: 0, Medium: 0.7, High: 1.3}
        similar: {No: 0, Yes: 0.2}
        waiting: -0.1
        opt_out: 0.0
model: {by: group}
importance: {draws: 300}
"""


def write_config(folder: Path, text: str = SMALL, name: str = "study.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def small_config(tmp_path) -> Path:
    return write_config(tmp_path)
