"""Choosing the number of latent classes, and matching class labels between fits.

:func:`select_classes` fits a latent class model (:func:`dce.models.latent_class.fit`) for
each class count and tabulates the information criteria of
:class:`~dce.models.latent_class.LatentClassResult` (BIC, CAIC and AIC3 with the number of
respondents as the sample size, and AIC; Nylund, Asparouhov and Muthen 2007 compare them for
mixture models). :func:`align_classes` matches the classes of a refit (a bootstrap
replicate) to those of the original fit, so that label switching does not mix classes.

References
----------
Kuhn, H. W. (1955). The Hungarian method for the assignment problem. Naval Research
Logistics Quarterly 2(1-2), 83-97.
Nylund, K. L., Asparouhov, T. and Muthen, B. O. (2007). Deciding on the number of classes
in latent class analysis and growth mixture modeling: a Monte Carlo simulation study.
Structural Equation Modeling 14(4), 535-569.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from dce.errors import ConfigError
from dce.models.latent_class import fit

__all__ = ["CRITERIA", "ClassSelection", "align_classes", "select_classes"]

CRITERIA = ("bic", "caic", "aic3", "aic")


@dataclass(frozen=True)
class ClassSelection:
    """Fits over a range of class counts and the table that compares them.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per class count: ``classes, n_parameters, log_likelihood, aic, bic, caic,
        aic3, converged, n_starts, starts_at_best, smallest_share`` and ``chosen`` (True for
        the row the criterion picks).
    fits : dict of int to LatentClassResult
    chosen : int
        The class count with the smallest criterion.
    criterion : str
    """

    table: pd.DataFrame
    fits: dict
    chosen: int
    criterion: str


def select_classes(data, classes=(2, 3, 4, 5), *, criterion: str = "bic",
                   **kwargs) -> ClassSelection:
    """Fit a latent class model for each class count and choose one by BIC, CAIC, AIC3 or AIC.

    Parameters
    ----------
    data : ChoiceData
    classes : iterable of int
        Class counts to fit (e.g. ``range(2, 6)``).
    criterion : {"bic", "caic", "aic3", "aic"}
        Criterion that chooses (smallest wins); every criterion is in the table.
    **kwargs
        Passed to :func:`fit` (``seed_seq`` required; ``membership``, ``starts`` ...).

    Returns
    -------
    ClassSelection

    Raises
    ------
    dce.errors.ConfigError
        Key ``criterion`` for an unknown criterion; ``classes`` empty.
    """
    if criterion not in CRITERIA:
        raise ConfigError(f"expected one of {', '.join(CRITERIA)}, found {criterion!r}",
                          key="criterion")
    counts = sorted({int(c) for c in classes})
    if not counts:
        raise ConfigError("expected at least one class count, found none", key="classes")
    fits, rows = {}, []
    for C in counts:
        res = fit(data, classes=C, **kwargs)
        fits[C] = res
        rows.append({"classes": C, "n_parameters": res.n_params,
                     "log_likelihood": res.loglik, "aic": res.aic, "bic": res.bic,
                     "caic": res.caic, "aic3": res.aic3, "converged": res.converged,
                     "n_starts": res.n_starts, "starts_at_best": res.starts_at_best,
                     "smallest_share": float(res.shares.min())})
    table = pd.DataFrame(rows)
    chosen = int(table.loc[table[criterion].idxmin(), "classes"])
    table["chosen"] = table["classes"] == chosen
    return ClassSelection(table, fits, chosen, criterion)


def align_classes(beta, reference, scale=None) -> np.ndarray:
    """Match the classes of ``beta`` to those of ``reference`` (label switching, e.g. in a
    bootstrap): the assignment minimising the summed squared (scaled) coefficient distance
    (Hungarian algorithm, scipy ``linear_sum_assignment``).

    Parameters
    ----------
    beta, reference : ndarray (C, K)
        Class coefficients of a refit and of the original fit.
    scale : ndarray (K,) or None
        Divisors of the coefficients (e.g. the original standard errors); default 1.

    Returns
    -------
    ndarray of int (C,)
        ``perm`` such that ``beta[perm[c]]`` is the refit's counterpart of class ``c``.
    """
    beta, reference = np.asarray(beta, float), np.asarray(reference, float)
    s = np.ones(beta.shape[1]) if scale is None else np.where(np.asarray(scale) > 0, scale, 1.0)
    cost = (((reference[:, None, :] - beta[None, :, :]) / s) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)]
