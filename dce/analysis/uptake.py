"""Predicted uptake: each group's choice shares among service profiles (scenarios).

Shares are logit probabilities of the scenario alternatives (and the opt-out, when
asked) at the estimates; intervals are percentiles over coefficient draws (Krinsky-Robb
or bootstrap).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["group", "scenario", "share", "ci_lower", "ci_upper"]


def scenario_matrix(terms, attributes, spec) -> tuple[list[str], np.ndarray]:
    index = {t: i for i, t in enumerate(terms)}
    names, rows = [], []
    for alt in spec.alternatives:
        row = np.zeros(len(terms))
        for a in attributes:
            coded = a.code([alt.levels[a.name]])[0]
            for t, v in zip(a.terms, coded):
                row[index[t]] = v
        names.append(alt.name)
        rows.append(row)
    if spec.opt_out:
        row = np.zeros(len(terms))
        row[index["asc[opt_out]"]] = 1.0
        names.append("(opt out)")
        rows.append(row)
    return names, np.array(rows)


def _softmax(V: np.ndarray) -> np.ndarray:
    V = V - V.max(axis=-1, keepdims=True)
    E = np.exp(V)
    return E / E.sum(axis=-1, keepdims=True)


def predict(result, attributes, spec, draws: np.ndarray, level=0.95) -> pd.DataFrame:
    """Choice shares of the scenarios for one fitted model."""
    names, S = scenario_matrix(result.terms, attributes, spec)
    point = _softmax(S @ result.params)
    sims = _softmax(draws @ S.T)
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a], axis=0)
    return pd.DataFrame({"group": result.group, "scenario": names, "share": point,
                         "ci_lower": lo, "ci_upper": hi}, columns=COLUMNS)
