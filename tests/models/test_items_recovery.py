"""Recovery of known item utilities from simulated best-worst and ranking data
(>= 1,000 respondents): every utility within 3 standard errors of the truth, and the
recovered order of clearly separated items equals the true order."""

from __future__ import annotations

import numpy as np
import pytest

from dce.config.study import load_config
from dce.run.runner import analyse
from tests.conftest import write_config

TRUTH = {"a": 1.5, "b": 1.1, "c": 0.7, "d": 0.35, "e": 0.0, "f": -0.4, "g": -0.8, "h": 0.2}
REF = "e"

BW = """
schema_version: 1
name: bw_recovery
seed: 31
type: best-worst
items: {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}, h: {}}
design: {items_per_set: 4, sets: 14, blocks: 2}
simulate:
  groups:
    everyone:
      respondents: 1200
      utilities: {a: 1.5, b: 1.1, c: 0.7, d: 0.35, e: 0.0, f: -0.4, g: -0.8, h: 0.2}
      worst_scale: WS
model: {bw_model: MODEL, worst_scale: SCALE, reference_item: e}
importance: {draws: 500}
"""

RANK = """
schema_version: 1
name: rank_recovery
seed: 32
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}, h: {}}
DESIGN
simulate:
  groups:
    everyone:
      respondents: 1000
      utilities: {a: 1.5, b: 1.1, c: 0.7, d: 0.35, e: 0.0, f: -0.4, g: -0.8, h: 0.2}
model: {reference_item: e, TOPK}
importance: {draws: 500}
"""


def _check(fit, imp):
    for i, item in enumerate(fit.terms[:8]):
        if item == REF:
            assert fit.params[i] == 0
            continue
        z = (fit.params[i] - TRUTH[item]) / fit.bse[i]
        assert abs(z) < 3, f"{item}: estimate {fit.params[i]:.3f}, truth {TRUTH[item]}, z {z:.2f}"
    true_rank = {k: r + 1 for r, k in enumerate(sorted(TRUTH, key=TRUTH.get, reverse=True))}
    got = dict(zip(imp["attribute"], imp["rank"], strict=True))
    assert got == true_rank
    # shares of preference at the truth fall inside their intervals
    e = np.exp(np.array([TRUTH[k] for k in imp["attribute"]]))
    share = e / e.sum()
    inside = (imp["ci_lower"].to_numpy() <= share) & (share <= imp["ci_upper"].to_numpy())
    assert inside.sum() >= 7


@pytest.mark.parametrize("model,scale,ws", [("sequential", "fixed", 1.0),
                                            ("maxdiff", "fixed", 1.0),
                                            ("sequential", "estimate", 0.7)])
def test_best_worst_recovery(tmp_path, model, scale, ws):
    text = BW.replace("MODEL", model).replace("SCALE", scale).replace("WS", str(ws))
    run = analyse(load_config(write_config(tmp_path, text)))
    assert run.design.diagnostics["balanced"]          # (8, 4, 3) BIBD: 14 sets
    fit = run.fits[-1]
    assert fit.converged and fit.n_respondents == 1200 and fit.n_sets == 1200 * 7
    if scale == "estimate":
        assert fit.terms[-1] == "worst_scale"
        assert abs(fit.params[-1] - ws) < 3 * fit.bse[-1]
    _check(fit, run.importance.table)
    counts = run.tables["bw_counts"]
    top = counts.sort_values("rank")["item"].iloc[0]
    assert top == "a"


@pytest.mark.parametrize("design,topk", [("", ""), ("design: {items_per_set: 4, sets: 14}",
                                                    "top_k: 2")])
def test_ranking_recovery(tmp_path, design, topk):
    text = RANK.replace("DESIGN", design).replace("TOPK", topk).replace("{reference_item: e, }",
                                                                       "{reference_item: e}")
    run = analyse(load_config(write_config(tmp_path, text)))
    fit = run.fits[-1]
    assert fit.converged and fit.n_respondents == 1000
    assert fit.model == "rank_ordered_logit"
    _check(fit, run.importance.table)
    assert "rank_counts" in run.tables
