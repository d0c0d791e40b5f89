"""Predicted uptake: each group's choice shares among service profiles (scenarios).

Shares are logit probabilities of the scenario alternatives (and the opt-out, when
asked) at the estimates; intervals are percentiles over coefficient draws (Krinsky-Robb
or bootstrap).

References
----------
Krinsky, I. and Robb, A. L. (1986). On approximating the statistical properties of
elasticities. Review of Economics and Statistics 68(4), 715-719.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed., ch. 3 (logit
probabilities). Cambridge University Press.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["group", "scenario", "share", "ci_lower", "ci_upper"]


def scenario_matrix(terms, attributes, spec) -> tuple[list[str], np.ndarray]:
    """Coded rows of the scenario profiles (and the opt-out), one column per term.

    Each profile codes every attribute's level with :meth:`Attribute.code`; terms of no
    attribute (alternative-specific constants, interactions) stay 0 in its row. The
    opt-out row has 1 in ``asc[opt_out]`` and 0 elsewhere.

    Parameters
    ----------
    terms : sequence of str (K,)
        The fit's terms.
    attributes : sequence of Attribute
        Attributes of the study; each profile gives a level of every one.
    spec : ScenariosSpec
        ``alternatives`` (``name``, ``levels``) and ``opt_out``.

    Returns
    -------
    names : list of str (S,)
        Profile names, then ``"(opt out)"``.
    rows : ndarray (S, K)

    Raises
    ------
    KeyError
        A profile without a level of an attribute, or an opt-out with no
        ``asc[opt_out]`` term.
    ValueError
        A level that the attribute does not have.
    """
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
    """Choice shares of the scenarios for one fitted model.

    Logit probabilities among the profiles at the estimates; intervals are percentiles of
    the probabilities over ``draws`` (Krinsky-Robb or bootstrap coefficient draws).

    Parameters
    ----------
    result : FitResult
        ``terms`` (K,), ``params`` (K,), ``group``.
    attributes, spec
        As in :func:`scenario_matrix`.
    draws : ndarray (R, K)
        Coefficient draws.
    level : float
        Level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        One row per scenario, :data:`COLUMNS`.

    Raises
    ------
    KeyError, ValueError
        As :func:`scenario_matrix`.
    """
    names, S = scenario_matrix(result.terms, attributes, spec)
    point = _softmax(S @ result.params)
    sims = _softmax(draws @ S.T)
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a], axis=0)
    return pd.DataFrame({"group": result.group, "scenario": names, "share": point,
                         "ci_lower": lo, "ci_upper": hi}, columns=COLUMNS)
