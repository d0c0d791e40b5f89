"""Recovery of known utilities from data simulated by dce.data.simulate (Gumbel errors).

With dummy coding and scale 1 the true coefficients are the part-worth differences from
the reference level, the slope of the linear attribute and the opt-out constant. Each
estimate must lie within 3 standard errors of the truth (a failure rate of about 0.3%
per coefficient under correct estimation; the seed is fixed, so the test is stable).
"""

import numpy as np

from dce.config.study import load_config
from dce.run.runner import analyse
from tests.conftest import write_config

CONFIG = """
schema_version: 1
name: recovery
seed: 11
attributes:
  quality: {levels: [Low, Medium, High], coding: dummy}
  similar: {levels: [No, Yes], coding: dummy}
  format: {levels: [Face, Online, Either], coding: dummy}
  waiting: {levels: [1, 4, 8, 12], coding: linear}
design: {method: random, alternatives: 3, opt_out: Neither, tasks: 10, blocks: 3}
simulate:
  groups:
    everyone:
      respondents: 2100
      utilities:
        quality: {Low: 0, Medium: 0.7, High: 1.5}
        similar: {No: 0, Yes: 0.4}
        format: {Face: 0, Online: -0.3, Either: 0.1}
        waiting: -0.05
        opt_out: -0.8
importance: {draws: 1000}
"""

TRUTH = {"quality[Medium]": 0.7, "quality[High]": 1.5, "similar[Yes]": 0.4,
         "format[Online]": -0.3, "format[Either]": 0.1, "waiting": -0.05,
         "asc[opt_out]": -0.8}


def test_coefficients_and_ranking_are_recovered(tmp_path):
    study = load_config(write_config(tmp_path, CONFIG))
    run = analyse(study)
    fit = run.fits[-1]
    assert fit.converged and fit.n_respondents == 2100
    for term, true in TRUTH.items():
        i = fit.terms.index(term)
        z = (fit.params[i] - true) / fit.bse[i]
        assert abs(z) < 3, f"{term}: estimate {fit.params[i]:.4f}, truth {true}, z {z:.2f}"
    # true ranges: quality 1.5, waiting 0.55, similar 0.4, format 0.4 -> quality then waiting
    imp = run.importance.table.set_index("attribute")
    assert imp.loc["quality", "rank"] == 1
    assert imp.loc["waiting", "rank"] == 2
    truth_share = np.array([1.5, 0.4, 0.4, 0.55]) / 2.85
    est = imp.loc[["quality", "similar", "format", "waiting"], "importance"].to_numpy()
    lo = imp.loc[["quality", "similar", "format", "waiting"], "ci_lower"].to_numpy()
    hi = imp.loc[["quality", "similar", "format", "waiting"], "ci_upper"].to_numpy()
    se = (hi - lo) / (2 * 1.96)  # interval half-width as a standard error
    assert np.all(np.abs(est - truth_share) < 3 * se), (est, truth_share, se)
