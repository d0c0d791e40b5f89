"""Swait-Louviere: size and power by simulation, and derivatives of the scaled model."""

import numpy as np
import pytest
from classic_scale import _ScaledLogit, swait_louviere

from dce.config.study import load_config
from dce.core import coding
from dce.core.parallel import map_seeds
from dce.data import simulate
from dce.design import build
from dce.models.clogit import fit
from tests.conftest import write_config

CONFIG = """
schema_version: 1
name: scale
seed: 5
attributes:
  quality: {levels: [Low, Medium, High]}
  similar: {levels: [No, Yes]}
  waiting: {levels: [1, 4, 12], coding: linear}
design: {method: random, alternatives: 3, tasks: 8, blocks: 2}
simulate:
  groups:
    a:
      respondents: 200
      utilities: {quality: {Low: 0, Medium: 0.6, High: 1.2}, similar: {No: 0, Yes: 0.8},
                  waiting: -0.08}
    b:
      respondents: 200
      scale: SCALE_B
      utilities: {quality: {Low: 0, Medium: 0.6, High: 1.2}, similar: {No: 0, Yes: PREF_B},
                  waiting: -0.08}
"""


def _one(seq, study, design):
    cd = coding.encode(simulate.responses(study, design, seed_seq=seq), study.attributes)
    a, b = cd.for_group("a"), cd.for_group("b")
    fa, fb = fit(a, se="classic", check=False), fit(b, se="classic", check=False)
    st = swait_louviere(a, b, loglik_a=fa.loglik, loglik_b=fb.loglik, start=fa.params)
    return st.p_preferences, st.p_scale, st.relative_scale


def _rates(tmp_path, scale_b, pref_b, n=200):
    text = CONFIG.replace("SCALE_B", str(scale_b)).replace("PREF_B", str(pref_b))
    study = load_config(write_config(tmp_path / f"{scale_b}_{pref_b}", text))
    design = build(study)
    out = map_seeds(_one, n, np.random.SeedSequence(2024), args=(study, design), jobs=2)
    assert not out.failures
    res = np.array(out.results)
    return (res[:, 0] < 0.05).mean(), (res[:, 1] < 0.05).mean(), res[:, 2]


@pytest.mark.slow
def test_size_and_power(tmp_path):
    pref_reject, scale_reject, mu = _rates(tmp_path, 0.6, 0.8)
    assert 0.02 <= pref_reject <= 0.09, pref_reject  # size of the preferences test
    assert scale_reject > 0.8, scale_reject          # power of the scale test
    assert abs(np.median(mu) - 0.6) < 0.05
    pref_reject_diff, _, _ = _rates(tmp_path, 0.6, -0.4)  # b dislikes similar groups
    assert pref_reject_diff > 0.8, pref_reject_diff


def test_scaled_logit_derivatives(tmp_path):
    text = CONFIG.replace("SCALE_B", "0.7").replace("PREF_B", "0.8")
    study = load_config(write_config(tmp_path, text))
    cd = coding.encode(simulate.responses(study, build(study)), study.attributes)
    model = _ScaledLogit(cd.for_group("a"), cd.for_group("b"))
    theta = np.r_[np.linspace(-0.5, 0.5, cd.X.shape[1]), -0.3]
    ll, g, H = model.evaluate(theta)
    h = 1e-6
    eye = np.eye(len(theta))
    g_num = np.array([(model.evaluate(theta + h * e)[0] - model.evaluate(theta - h * e)[0])
                      / (2 * h) for e in eye])
    H_num = np.array([(model.evaluate(theta + h * e)[1] - model.evaluate(theta - h * e)[1])
                      / (2 * h) for e in eye])
    np.testing.assert_allclose(g, g_num, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(H, H_num, rtol=1e-5, atol=1e-5)


def test_relative_scale_matches_profile_search(tmp_path):
    """The joint Newton estimate equals a brute-force profile over the scale."""
    from classic_scale import _scaled

    from dce.analysis.bootstrap import concat

    text = CONFIG.replace("SCALE_B", "0.6").replace("PREF_B", "0.8")
    study = load_config(write_config(tmp_path, text))
    cd = coding.encode(simulate.responses(study, build(study)), study.attributes)
    a, b = cd.for_group("a"), cd.for_group("b")
    fa, fb = fit(a), fit(b)
    st = swait_louviere(a, b, loglik_a=fa.loglik, loglik_b=fb.loglik)
    grid = np.exp(np.linspace(np.log(st.relative_scale) - 0.02,
                              np.log(st.relative_scale) + 0.02, 41))
    lls = [fit(concat([a, _scaled(b, mu)]), se="classic", check=False).loglik for mu in grid]
    assert np.argmax(lls) == 20  # the estimate is the profile maximum on a fine grid
    np.testing.assert_allclose(max(lls), st.loglik_pooled_scaled, rtol=1e-10)
    pooled = fit(concat([a, b]), se="classic", check=False).loglik
    np.testing.assert_allclose(pooled, st.loglik_pooled, rtol=1e-10)
