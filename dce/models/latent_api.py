"""Latent class front end of the Python API: ``dce.latent_class``.

A DataFrame and column names in (as :func:`dce.clogit`), a :class:`LatentClassModelResult`
out: the latent class conditional logit (or, with ``scale_classes > 1``, the scale-adjusted
latent class logit) of :mod:`dce.models.latent_class`, fitted from many seeded starts by EM
and a Newton polish, for one class count or each count of a range with the choice by an
information criterion (:mod:`dce.models.latent_class_select`), exactly as ``dce run`` fits
``model.type: latent_class``. With the same seed, the starts are those of the pooled model
of a run without ``model.by`` (stream ``latent_class``, index 0 of
:func:`dce.core.random.seed_sequence`).

References
----------
Bhat, C. R. (1997). An endogenous segmentation mode choice model with an application to
intercity travel. Transportation Science 31(1), 34-48.
Magidson, J. and Vermunt, J. K. (2007). Removing the scale factor confound in multinomial
logit choice models to obtain better estimates of preference. Sawtooth Software Conference
Proceedings, 139-154.
Train, K. E. (2008). EM algorithms for nonparametric estimation of mixing distributions.
Journal of Choice Modelling 1(1), 40-69.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from dce.core.attributes import Attribute
from dce.core.frames import missing_columns
from dce.core.options import ClassCriterion, VcovType, allowed, check_literal
from dce.core.random import seed_sequence
from dce.errors import ConfigError, DataError, EstimationError
from dce.models import separation
from dce.models.api import checked, prepare
from dce.models.clogit import constants_loglik
from dce.models.clogit import fit as clogit_fit
from dce.models.fitted import ModelResult
from dce.models.latent_class import LatentClassResult, membership_frame
from dce.models.latent_class_select import choose, fit_counts

__all__ = ["LatentClassModelResult", "latent_class"]


@dataclass(frozen=True, eq=False)
class LatentClassModelResult:
    """A fitted latent class model of :func:`dce.latent_class`.

    Attributes
    ----------
    fit : LatentClassResult
        The chosen model (:class:`dce.models.latent_class.LatentClassResult`): ``params``
        (P,), ``vcov`` (P, P), ``posterior`` (N, C * S), ``prior`` (N, C), starts.
    attributes : tuple of Attribute
        The coded attributes (for :meth:`class_fit` and importance).
    constants_loglik : float
        Log-likelihood of the model with only the alternative-specific constants.
    selection : pandas.DataFrame
        One row per class count fitted (one row for a single count): the columns of
        class_selection.csv without ``group`` (``classes, log_likelihood, n_parameters,
        aic, bic, caic, aic3, n_starts, starts_at_best, share_at_best, smallest_share,
        converged, criterion, chosen``; ``converged`` and ``chosen`` as booleans).
    fits : dict of int to LatentClassResult
        Every fit of the range, by class count.
    columns : dict
        The column names of the data it was fitted on.
    value_ranges : dict
        Observed (min, max) of linear attributes declared without levels (importance).
    """

    fit: LatentClassResult
    attributes: tuple[Attribute, ...] = ()
    constants_loglik: float = float("nan")
    selection: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    fits: dict[int, LatentClassResult] = field(default_factory=dict, repr=False)
    columns: dict[str, Any] = field(default_factory=dict, repr=False)
    value_ranges: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    @property
    def n_classes(self) -> int:
        """The number of preference classes ``C`` of the chosen model."""
        return int(self.fit.n_classes)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: ``class, term, estimate, std_error, z, p_value, ci_lower,
        ci_upper`` (class_estimates.csv without ``group``), Wald intervals at ``level``.

        ``class`` is ``class<c>`` (its coded terms, then ``membership[<covariate>]`` rows
        of the membership logit, class 1 the reference) or ``scale<s>`` (``log_scale``).
        For every level of an effects-coded attribute use :meth:`class_fit`.

        Raises
        ------
        ConfigError
            ``level`` not between 0 and 1.
        """
        return self.fit.tidy(_level(level)).drop(columns="group")

    def glance(self) -> pd.DataFrame:
        """One row: the columns of models.csv (without ``group``) and ``n_classes,
        n_scale_classes, caic, aic3, n_starts, starts_at_best, share_at_best``; AIC, BIC,
        CAIC and AIC3 count respondents as the sample size."""
        row = self.fit.glance().drop(columns="group")
        row["constants_log_likelihood"] = self.constants_loglik
        row["rho_squared"] = self.fit.rho_squared
        return row

    def class_shares(self, level: float = 0.95) -> pd.DataFrame:
        """``class, share, std_error, ci_lower, ci_upper`` (delta method) of each preference
        class (and scale class, with its ``scale``): class_shares.csv without ``group``.

        Raises
        ------
        ConfigError
            ``level`` not between 0 and 1.
        """
        return self.fit.class_shares(_level(level))

    def posterior_frame(self) -> pd.DataFrame:
        """Posterior class probabilities (N respondents x ``class1..classC``, scale classes
        ``scale1..scaleS``) and the modal ``class``, indexed by respondent."""
        return self.fit.posterior_frame()

    def start_table(self) -> pd.DataFrame:
        """One row per start: ``start, loglik, em_iterations, iterations, status,
        min_share, reached_best``."""
        return self.fit.start_table()

    def class_fit(self, c: int) -> ModelResult:
        """Class ``c`` (1-based) as a :class:`~dce.models.fitted.ModelResult`: its
        coefficients and their block of the covariance, so that ``tidy()`` reports every
        level and :func:`dce.importance` and :func:`dce.wtp` work per class (its
        ``glance()`` log-likelihood is that of the whole model).

        Raises
        ------
        ValueError
            ``c`` outside 1..C.
        """
        return ModelResult(self.fit.class_fit(c), self.attributes, self.constants_loglik,
                           self.columns, self.value_ranges)

    def with_classes(self, classes: int) -> LatentClassModelResult:
        """The fit with ``classes`` preference classes from the range fitted (no refit;
        ``selection`` unchanged).

        Raises
        ------
        ConfigError
            No fit with that count (naming the counts fitted).
        """
        if classes not in self.fits:
            raise ConfigError(f"no fit with {classes!r} classes (fitted: "
                              f"{', '.join(map(str, self.fits))})", key="classes")
        return replace(self, fit=self.fits[classes])

    def summary(self, level: float = 0.95) -> str:
        """A text table: the model line, fit statistics, class shares and :meth:`tidy`."""
        f = self.fit
        shares = ", ".join(f"{r['class']} {r['share']:.3f}"
                           for _, r in self.class_shares(level).iterrows())
        head = (f"{f.model}: {_count(f.n_classes, 'class')} x "
                f"{_count(f.n_scale_classes, 'scale class')}  "
                f"respondents {f.n_respondents}  choice sets {f.n_sets}\n"
                f"log-likelihood {f.loglik:.4f}  BIC {f.bic:.2f}  CAIC {f.caic:.2f}  "
                f"AIC3 {f.aic3:.2f}\nshares: {shares}\nvcov: {f.se_type}; converged: "
                f"{f.converged}; {f.starts_at_best} of {f.n_starts} starts at the best\n")
        return head + str(self.tidy(level).to_string(index=False, float_format="%.4f"))

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        f = self.fit
        caption = html.escape(f"{f.model}: {_count(f.n_classes, 'class')}, {f.n_respondents} "
                              f"respondents, log-likelihood {f.loglik:.3f}, BIC {f.bic:.2f}, "
                              f"{f.starts_at_best} of {f.n_starts} starts at the best")
        shares = self.class_shares().to_html(index=False, float_format="%.4f", border=0)
        table = self.tidy().to_html(index=False, float_format="%.4f", border=0)
        return f"<div><p><strong>{caption}</strong></p>{shares}{table}</div>"


def latent_class(df: pd.DataFrame, attributes: dict[str, Any], *,
                 classes: int | Sequence[int] = 2, scale_classes: int = 1,
                 membership: str | Sequence[str] | pd.DataFrame | None = None,
                 starts: int = 20, criterion: str = "bic", choice: str = "chosen",
                 respondent: str = "respondent", task: str = "task",
                 alternative: str = "alternative", group: str | None = None,
                 block: str | None = None, vcov: str = "cluster",
                 asc: int | Iterable[int] | None = None, seed: int = 1,
                 on_separation: str = "stop") -> LatentClassModelResult:
    """Fit a latent class conditional logit (panel: a respondent is in one class for all
    tasks), or a scale-adjusted latent class logit, on a long DataFrame.

    Parameters
    ----------
    df, attributes, choice, respondent, task, alternative, group, block, vcov, asc
        As :func:`dce.clogit` (``vcov``: sandwiches by respondent, or ``"classic"``).
    classes : int or (int, int)
        Preference classes ``C >= 1``, or a range ``(lo, hi)`` whose every count is fitted
        and the one with the smallest ``criterion`` returned (the smaller on a tie).
    scale_classes : int
        Scale classes ``S`` crossed with the preference classes; ``S > 1`` fits the
        scale-adjusted latent class model (Magidson and Vermunt 2007).
    membership : str, list of str, or DataFrame, optional
        Class-membership covariates: columns of ``df`` constant within a respondent (one
        name: one column), or a DataFrame indexed by respondent (text columns become
        indicators of every level but the first). Default: constant class shares.
    starts : int
        Random starts of EM and the Newton polish; the best log-likelihood is kept and the
        share of starts that reached it reported (``glance()``, ``start_table()``).
    criterion : {"bic", "caic", "aic3"}
        Chooses from a range of ``classes`` (respondents as the sample size); any case.
    seed : int
        Root seed of the starts (the pooled model of ``dce run`` with this seed).
    on_separation : {"stop", "warn"}
        As :func:`dce.clogit`, on the pooled data; with ``"warn"`` the fits are marked not
        converged.

    Returns
    -------
    LatentClassModelResult
        ``tidy()``, ``glance()``, ``class_shares()``, ``posterior_frame()`` (N x C),
        ``class_fit(c)`` (a ModelResult), ``selection`` (a row per class count).

    Raises
    ------
    DataError, ConfigError
        (``ValueError``) keyed by the argument: ``classes`` not a whole number >= 1 or a
        range ``(lo, hi)`` with ``1 <= lo <= hi``, more segments than respondents;
        ``scale_classes`` or ``starts`` below 1; an unknown ``criterion``; a ``membership``
        column not in ``df``, not constant within a respondent, missing or constant; and
        as :func:`dce.clogit`.
    EstimationError
        (``RuntimeError``) unidentified terms, separated data (``on_separation="stop"``),
        every start failed. Non-convergence, few starts at the best and a class that
        empties out are RuntimeWarnings.

    Notes
    -----
    Bhat (1997), Transportation Science 31:34-48; Train (2008), J. Choice Modelling
    1:40-69 (EM); Magidson and Vermunt (2007), Sawtooth Conference Proceedings 139-154.
    """
    counts, criterion, seed_seq = _arguments(classes, criterion, vcov, seed)
    attrs, data, columns, ranges = prepare(df, attributes, choice, respondent, task,
                                           alternative, group, block, asc)
    frame = _membership(df, membership, columns, attrs)
    if vcov == "cluster" and data.n_respondents < 2:
        raise EstimationError("cluster-robust errors need at least 2 respondents; use "
                              "vcov='robust'", key="vcov")
    sep = checked(partial(clogit_fit, data, se="classic", check=False), data, attrs,
                  on_separation).separation
    with warnings.catch_warnings():
        if sep is not None:  # the separation warning says it; divergence notes say less
            warnings.simplefilter("ignore")
        fits = fit_counts(data, counts, scale_classes=scale_classes, membership=frame,
                          starts=starts, se=vcov, group="all", seed_seq=seed_seq)
    sel = choose({C: separation.mark(r, sep) for C, r in fits.items()}, criterion)
    table = sel.table.drop(columns="group")
    table[["converged", "chosen"]] = table[["converged", "chosen"]] == "true"
    return LatentClassModelResult(sel.fits[sel.chosen], attrs, constants_loglik(data),
                                  table, sel.fits, columns, ranges)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'es' if n != 1 else ''}"


def _level(level: object) -> float:
    if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 < level < 1:
        raise ConfigError(f"expected a number between 0 and 1, found {level!r}", key="level")
    return float(level)


def _arguments(classes: object, criterion: object, vcov: str,
               seed: object) -> tuple[list[int], str, np.random.SeedSequence]:
    """The class counts, the criterion (any case, spaces around it dropped: ``"BIC"`` is
    ``"bic"``) and the seed sequence of the starts, after the argument checks."""
    from dce.config.latent_checks import class_count_problem, class_counts  # (pydantic)

    check_literal(vcov, VcovType, "vcov")
    spelt = criterion.strip().lower() if isinstance(criterion, str) else ""
    if spelt not in allowed(ClassCriterion):
        check_literal(criterion, ClassCriterion, "criterion")   # the error shows the input
    problem = class_count_problem(classes)
    if problem is not None:
        raise ConfigError(problem, key="classes")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"expected a whole number >= 0, found {seed!r}", key="seed")
    return class_counts(classes), spelt, seed_sequence(int(seed), "latent_class", 0)


def _membership(df: pd.DataFrame, membership: object, columns: dict[str, Any],
                attrs: tuple[Attribute, ...]) -> pd.DataFrame | None:
    """The membership covariates per respondent (None: constant shares)."""
    if membership is None or isinstance(membership, pd.DataFrame):
        return membership
    names = [membership] if isinstance(membership, str) else membership
    if not isinstance(names, (list, tuple)) or not all(isinstance(c, str) for c in names):
        raise ConfigError("expected a list of column names or a DataFrame indexed by "
                          f"respondent, found {membership!r}", key="membership")
    problems = [p for c in names for p in missing_columns(df, {"membership": c}, ())]
    if problems:
        raise DataError(problems)
    taken = {a.name for a in attrs} | {v for k, v in columns.items()
                                       if k in ("respondent", "task", "alternative", "block")}
    for c in names:
        if names.count(c) > 1:
            raise ConfigError(f"membership column {c!r} is listed twice", key="membership")
        if c in taken:
            raise ConfigError(f"{c!r} cannot be a membership covariate (it is an attribute or "
                              "an identifier column)", key="membership")
    return membership_frame(df, list(names), columns["respondent"])

