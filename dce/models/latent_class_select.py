"""Choosing the number of latent classes, and matching class labels between fits.

:func:`fit_counts` fits a latent class model for each class count and :func:`choose` picks
one by a criterion and tabulates them all in the columns of ``class_selection.csv``
(:data:`SELECTION_COLUMNS`; used by ``dce run`` and :func:`dce.latent_class`).
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

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from dce.errors import ConfigError, DataError
from dce.models.latent_class import fit, membership_matrix

__all__ = ["CRITERIA", "SELECTION_COLUMNS", "ClassSelection", "align_classes",
           "check_parameters", "choose", "fit_counts", "select_classes", "selection_row"]

CRITERIA = ("bic", "caic", "aic3", "aic")
SELECTION_COLUMNS = ["group", "classes", "log_likelihood", "n_parameters", "aic", "bic",
                     "caic", "aic3", "n_starts", "starts_at_best", "share_at_best",
                     "smallest_share", "converged", "criterion", "chosen"]


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
    dce.errors.DataError
        :func:`check_parameters`, before any count is fitted.
    """
    if criterion not in CRITERIA:
        raise ConfigError(f"expected one of {', '.join(CRITERIA)}, found {criterion!r}",
                          key="criterion")
    counts = sorted({int(c) for c in classes})
    if not counts:
        raise ConfigError("expected at least one class count, found none", key="classes")
    check_parameters(data, counts, kwargs.get("scale_classes", 1), kwargs.get("membership"))
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


def fit_counts(data, counts, **kwargs) -> dict:
    """Fit a latent class model (:func:`dce.models.latent_class.fit`) for each class count.

    The notes of each fit (RuntimeWarning) are issued again with its class count in front
    (``latent class model with 3 classes: ...``), so that the fits of a range can be told
    apart.

    Parameters
    ----------
    data : ChoiceData
    counts : iterable of int
        Class counts, fitted in this order.
    **kwargs
        Passed to :func:`dce.models.latent_class.fit` (``seed_seq`` required; the same for
        every count).

    Returns
    -------
    dict of int to LatentClassResult
        In the order of ``counts``.

    Raises
    ------
    dce.errors.DataError, dce.errors.ConfigError, dce.errors.EstimationError
        As :func:`dce.models.latent_class.fit`; and :func:`check_parameters`, before any
        count is fitted.
    """
    check_parameters(data, counts, kwargs.get("scale_classes", 1), kwargs.get("membership"))
    fits = {}
    for C in counts:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fits[C] = fit(data, classes=C, **kwargs)
        for w in caught:
            if issubclass(w.category, RuntimeWarning):
                warnings.warn(f"latent class model with {C} class{'es' * (C > 1)}: "
                              f"{w.message}", RuntimeWarning, stacklevel=2)
    return fits


def check_parameters(data, counts, scale_classes=1, membership=None) -> None:
    """Stop before fitting when the largest class count has more parameters than the data
    have respondents.

    A latent class model with C preference classes, S scale classes, K terms and M
    membership covariates has ``C K + (C - 1)(1 + M) + 2 (S - 1)`` parameters (module
    docstring of :mod:`dce.models.latent_class`). Class membership is a property of the
    respondent, so a model with more parameters than respondents is not estimable in any
    useful sense (each class would rest on a handful of people); fitting a range up to it
    would only take long.

    Parameters
    ----------
    data : ChoiceData
    counts : iterable of int
        The class counts to fit.
    scale_classes : int
        Scale classes (not checked here when not a whole number >= 1: the fit says so).
    membership : DataFrame, ndarray or None
        As :func:`dce.models.latent_class.membership_matrix`.

    Raises
    ------
    dce.errors.DataError
        Key ``classes``: the count, its parameters and the respondents.
    """
    C, S = max(counts), scale_classes
    if isinstance(S, bool) or not isinstance(S, (int, np.integer)) or S < 1:
        return
    _, znames = membership_matrix(data, membership)
    K, N = len(data.terms), data.n_respondents
    n_par = C * K + (C - 1) * len(znames) + 2 * (S - 1)
    if n_par > N:
        scale = f" + {2 * (S - 1)} for the scale classes" if S > 1 else ""
        raise DataError(f"{C} classes need {n_par} parameters ({C} x {K} coefficients + "
                        f"{C - 1} x {len(znames)} membership coefficients{scale}), more than "
                        f"the {N} respondents; ask for fewer classes", key="classes")


def choose(fits: dict, criterion: str, group: str = "all") -> ClassSelection:
    """The class count with the smallest ``criterion`` (the smaller count on a tie) and the
    table of all fits.

    Parameters
    ----------
    fits : dict of int to LatentClassResult
        From :func:`fit_counts`.
    criterion : {"bic", "caic", "aic3", "aic"}
        An information criterion of :class:`~dce.models.latent_class.LatentClassResult`.
    group : str
        Written in the table's ``group`` column.

    Returns
    -------
    ClassSelection
        ``table`` in the columns :data:`SELECTION_COLUMNS` (class_selection.csv), one row
        per fit in the order of ``fits``.
    """
    crit = {C: getattr(r, criterion) for C, r in fits.items()}
    chosen = min(fits, key=lambda C: (crit[C], C))
    table = pd.DataFrame([selection_row(group, r, criterion, C == chosen)
                          for C, r in fits.items()], columns=SELECTION_COLUMNS)
    return ClassSelection(table, fits, chosen, criterion)


def selection_row(g: str, res, criterion: str, chosen: bool) -> dict:
    """One row of class_selection.csv (:data:`SELECTION_COLUMNS`) for a fit ``res``;
    ``converged`` and ``chosen`` as the text ``true``/``false`` of the CSV files."""
    return {"group": g, "classes": res.n_classes, "log_likelihood": res.loglik,
            "n_parameters": res.n_params, "aic": res.aic, "bic": res.bic, "caic": res.caic,
            "aic3": res.aic3, "n_starts": res.n_starts, "starts_at_best": res.starts_at_best,
            "share_at_best": res.share_at_best, "smallest_share": float(res.shares.min()),
            "converged": "true" if res.converged else "false", "criterion": criterion,
            "chosen": "true" if chosen else "false"}


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
