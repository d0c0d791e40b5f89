"""Config checks of WTP space and scale heterogeneity (dce/config/heterogeneity_checks.py):
the mistakes the bad-input corpus (cases 204-211) does not cover, each located at its key."""

from __future__ import annotations

import pytest

from dce.config.study import load_config
from dce.errors import ConfigError
from tests.conftest import write_config

BASE = """
schema_version: 1
name: tiny
seed: 1
attributes:
  a: {levels: [x, y, z]}
  b: {levels: [1, 2, 3], coding: linear%s}
design: {method: random, alternatives: 2, tasks: 6}
simulate:
  groups:
    g: {respondents: 40, utilities: {a: {x: 0, y: 0.2, z: 0.3}, b: -0.1}}
importance: {draws: 50}
model:
%s
"""


def errors_of(tmp_path, model, cost=""):
    path = write_config(tmp_path, BASE % (cost, model))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [p.format() for p in info.value.problems]


def test_valid_wtp_and_gmnl_configs_load(tmp_path):
    ok = ['  type: mixed_logit\n  random: {"a[y]": normal, b: lognormal}\n  space: wtp\n'
          '  price: b', '  type: mixed_logit\n  random: {"a[y]": normal}\n'
          '  scale_heterogeneity: gmnl2', '  type: mixed_logit\n  scale_heterogeneity: smnl']
    for i, model in enumerate(ok):
        study = load_config(write_config(tmp_path / str(i), BASE % ("", model)))
        assert study.spec.model.type == "mixed_logit"


@pytest.mark.parametrize("model, cost, fragment", [
    ("  space: wtp\n  price: b", "", ":13: model.space: wtp needs type: mixed_logit"),
    ("  scale_heterogeneity: gmnl", "", ":13: model.scale_heterogeneity: gmnl needs type: "
     "mixed_logit"),
    ('  type: mixed_logit\n  random: {"a[y]": normal}\n  space: wtp\n  price: b\n'
     '  scale_heterogeneity: gmnl', "", "model.scale_heterogeneity: space: wtp cannot be "
     "combined"),
    ('  type: mixed_logit\n  random: {"a[y]": normal}\n  price: b', "",
     ":15: model.price: used only with space: wtp"),
    ('  type: mixed_logit\n  random: {"a[y]": normal}\n  space: wtp\n  price: b', ", cost: true",
     None),
    ('  type: mixed_logit\n  random: {"a[y]": normal}\n  space: wtp\n  price: b\nscenarios:\n'
     '  alternatives:\n  - {name: s, levels: {a: x, b: 1}}', "",
     ":17: scenarios: uptake scenarios are predicted in preference space"),
    ('  type: mixed_logit\n  random: {"a[y]": normal}\n  scale_heterogeneity: gmnl', "",
     None),
])
def test_located_problems(tmp_path, model, cost, fragment):
    if fragment is None:  # a valid config: no problem
        load_config(write_config(tmp_path, BASE % (cost, model)))
        return
    errs = errors_of(tmp_path, model, cost)
    assert any(fragment in e for e in errs), errs
