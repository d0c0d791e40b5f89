"""Design quality: D-error, A-error, level balance, overlap, correlations.

The multinomial-logit information matrix is summed over every choice set of the design
(all blocks): I(b) = sum_s X_s' (diag(p_s) - p_s p_s') X_s. D-error = det(I)^(-1/K),
A-error = trace(I^-1) / K.
"""

from __future__ import annotations

import numpy as np

from dce.design.base import design_matrix


def information(X: np.ndarray, set_index: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """MNL Fisher information of a design at coefficients ``beta``."""
    v = X @ beta
    n_sets = int(set_index.max()) + 1
    vmax = np.full(n_sets, -np.inf)
    np.maximum.at(vmax, set_index, v)
    e = np.exp(v - vmax[set_index])
    p = e / np.bincount(set_index, weights=e, minlength=n_sets)[set_index]
    xbar = np.zeros((n_sets, X.shape[1]))
    np.add.at(xbar, set_index, p[:, None] * X)
    return (X * p[:, None]).T @ X - xbar.T @ xbar


def errors(info: np.ndarray) -> dict:
    k = info.shape[0]
    sign, logdet = np.linalg.slogdet(info)
    cond = float(np.linalg.cond(info)) if k else 0.0
    if sign <= 0 or not np.isfinite(logdet) or cond > 1e12:
        return {"d_error": None, "a_error": None, "identified": False, "condition_number": None}
    return {
        "d_error": float(np.exp(-logdet / k)),
        "a_error": float(np.trace(np.linalg.inv(info)) / k),
        "identified": True,
        "condition_number": cond,
    }


def prior_vector(study, terms) -> np.ndarray:
    priors = study.spec.design.priors if study.spec.design else {}
    out = np.zeros(len(terms))
    for i, t in enumerate(terms):
        v = priors.get(t)
        out[i] = 0.0 if v is None else (v if isinstance(v, (int, float)) else v.mean)
    return out


def diagnose(table, study) -> dict:
    """Every diagnostic of a design table, as a JSON-ready dict."""
    attrs = study.attributes
    d = study.spec.design
    opt_out = bool(table["is_opt_out"].any())
    X, set_index, terms = design_matrix(table, attrs, opt_out)
    beta = prior_vector(study, terms)
    at_priors = errors(information(X, set_index, beta))
    at_zero = errors(information(X, set_index, np.zeros(len(terms))))
    generic = table[table["is_opt_out"] == 0]
    balance, overlap = {}, {}
    for a in attrs:
        counts = generic[a.name].astype(str).value_counts()
        balance[a.name] = {lab: int(counts.get(lab, 0)) for lab in a.level_labels}
        same = generic.groupby(["block", "task"])[a.name].nunique()
        overlap[a.name] = float((same == 1).mean())
    idx = np.column_stack([a.index_of(generic[a.name].tolist()) for a in attrs]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(idx, rowvar=False) if len(attrs) > 1 else np.ones((1, 1))
    corr = np.where(np.isfinite(corr), corr, 0.0)
    result = {
        "method": d.method if d else "file",
        "n_choice_sets": int(set_index.max()) + 1,
        "blocks": int(table["block"].nunique()),
        "tasks_per_block": int(table.groupby("block")["task"].nunique().max()),
        "alternatives": int(generic["alternative"].nunique()),
        "opt_out": opt_out,
        "terms": terms,
        "priors": dict(zip(terms, map(float, beta))),
        "d_error": at_priors["d_error"],
        "a_error": at_priors["a_error"],
        "d_error_zero_priors": at_zero["d_error"],
        "identified": at_priors["identified"],
        "condition_number": at_priors["condition_number"],
        "level_balance": balance,
        "level_balance_by_block": {
            int(b): {a.name: {lab: int((g[a.name].astype(str) == lab).sum())
                              for lab in a.level_labels} for a in attrs}
            for b, g in generic.groupby("block")},
        "overlap": overlap,
        "attribute_correlations": {a.name: {b.name: round(float(corr[i, j]), 12)
                                            for j, b in enumerate(attrs)}
                                   for i, a in enumerate(attrs)},
    }
    return result
