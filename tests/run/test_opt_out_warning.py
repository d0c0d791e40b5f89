"""`dce simulate` / `dce run` say so when a group mostly or always opts out (issue 14).

Always opting out is not a failed check, so the failure count stays 0; the summary line
and a warning give the count instead of a reassuring "0 failed".
"""

from __future__ import annotations

from dce.cli import main
from tests.conftest import write_config

CONFIG = """
schema_version: 1
name: optout
seed: 1
attributes:
  a: {levels: [x, y, z]}
  b: {levels: [1, 2, 3], coding: linear}
design: {method: random, alternatives: 2, tasks: 6, opt_out: None}
simulate:
  groups:
    g: {respondents: 30, utilities: {a: {x: 0, y: 0.1, z: 0.2}, b: 0.1, opt_out: OPT}}
"""


def test_a_group_that_always_opts_out_is_named(tmp_path, capsys):
    cfg = write_config(tmp_path, CONFIG.replace("OPT", "60"))
    assert main(["simulate", str(cfg), "--output", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "group g: 30 of 30 respondents (100%) always chose the opt-out" in captured.err
    assert "30 always chose the opt-out" in captured.out.replace("\n", " ")
    assert "always chose the opt-out" in (tmp_path / "out" / "warnings.txt").read_text()


def test_no_warning_when_few_opt_out(tmp_path, capsys):
    cfg = write_config(tmp_path, CONFIG.replace("OPT", "-3"))
    assert main(["simulate", str(cfg), "--output", str(tmp_path / "out")]) == 0
    assert "always chose the opt-out" not in capsys.readouterr().err
