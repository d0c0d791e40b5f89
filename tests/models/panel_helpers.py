"""Shared by the WTP-space and G-MNL tests: equal-sized panels as ChoiceData, and a whole
`dce run` of a config whose estimates are returned."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from dce.core.coding import ChoiceData


def panel_data(X, chosen, terms) -> ChoiceData:
    """ChoiceData of ``X`` (respondents, tasks, alternatives, K) and 0/1 ``chosen``
    (respondents, tasks, alternatives), one group ``all``."""
    n_resp, n_tasks, n_alts, K = X.shape
    S = n_resp * n_tasks
    return ChoiceData(
        X=X.reshape(-1, K), chosen=chosen.reshape(-1).astype(float),
        set_start=np.arange(0, S * n_alts + 1, n_alts, dtype=np.int64),
        respondent=np.repeat(np.arange(n_resp), n_tasks).astype(np.int64),
        respondent_ids=np.arange(n_resp), group=np.array(["all"] * S, dtype=object),
        alternative=np.tile(np.arange(1, n_alts + 1), S).astype(np.int64),
        terms=tuple(terms))


def run_config(tmp_path, text):
    """``dce run`` of the config ``text`` in ``tmp_path``: (estimates.csv indexed by term,
    report.md text)."""
    from dce.cli import main
    from tests.conftest import write_config

    cfg = write_config(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["run", str(cfg), "--output", str(tmp_path / "out")]) == 0
    est = pd.read_csv(tmp_path / "out" / "estimates.csv").set_index("term")
    return est, (tmp_path / "out" / "report.md").read_text()


def assert_gradient_matches(model, seed, scale):
    """The analytic gradient of ``model`` equals central differences (step 1e-6) at a random
    parameter vector (normal, sd ``scale``)."""
    theta = np.random.default_rng(seed).normal(scale=scale, size=model.P)
    num = np.array([(model.loglik(theta + e) - model.loglik(theta - e)) / 2e-6
                    for e in np.eye(model.P) * 1e-6])
    np.testing.assert_allclose(model.gradient(theta), num, rtol=1e-6, atol=1e-5)
