"""Model front ends of the Python API: a DataFrame and column names in, a ModelResult out.

``dce.clogit`` and ``dce.mixed_logit`` take one row per respondent x task x alternative,
the attributes (levels -> effects coding, ``"linear"``, or :class:`dce.Attribute`) and
the names of the columns, validate everything (a :class:`~dce.errors.DataError` or
:class:`~dce.errors.ConfigError`, both ``ValueError``, naming the argument or column), code
the data once with :meth:`ChoiceData.from_frame` and call the same engines as
``dce run``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from dce.core.attributes import Attribute
from dce.core.coding import ChoiceData, encode
from dce.core.frames import attributes_from, long_frame
from dce.core.options import (
    Distribution,
    DrawType,
    EngineType,
    ScaleHeterogeneity,
    SpaceType,
    VcovType,
    check_literal,
)
from dce.errors import ConfigError, EstimationError, Problem
from dce.models import separation
from dce.models.clogit import constants_loglik
from dce.models.fitted import ModelResult
from dce.models.separation import OnSeparation


def prepare(df: pd.DataFrame, attributes: dict[str, Any], choice: str, respondent: str,
             task: str, alternative: str, group: str | None, block: str | None,
             asc: int | Iterable[int] | None
             ) -> tuple[tuple[Attribute, ...], ChoiceData, dict[str, Any],
                        dict[str, tuple[float, float]]]:
    """Validate a long DataFrame and code it once, for every model front end.

    Parameters
    ----------
    df, attributes, choice, respondent, task, alternative, group, block, asc
        As :func:`clogit`.

    Returns
    -------
    attributes : tuple of Attribute
    data : ChoiceData
        The coded choices (rows x K terms).
    columns : dict
        The column names (and ``asc``), kept by the result for ``predict``.
    ranges : dict of str to (float, float)
        Observed (min, max) of each linear attribute declared without levels.

    Raises
    ------
    DataError, ConfigError
        A missing column, unknown level, bad choice set (naming every problem), or an
        ``asc`` alternative that is not in the data.
    """
    attrs = attributes_from(attributes)
    asc = _asc(asc)
    table, _ = long_frame(df, attrs, choice=choice, respondent=respondent, task=task,
                          alternative=alternative, group=group, block=block)
    unknown = sorted(set(asc) - set(table["alternative"]))
    if unknown:
        raise ConfigError(f"alternatives {unknown} are not in column {alternative!r} "
                          f"(ids: {sorted(set(table['alternative']))})", key="asc")
    data = encode(table, attrs, asc)
    columns = {"respondent": respondent, "task": task, "alternative": alternative,
               "group": group, "block": block, "asc": asc}
    ranges: dict[str, tuple[float, float]] = {}
    generic = table[table["is_opt_out"] == 0]
    for a in attrs:
        if a.is_linear and a.levels is None:
            col = pd.to_numeric(generic[a.name])
            ranges[a.name] = (float(col.min()), float(col.max()))
    return attrs, data, columns, ranges


def _asc(asc: int | Iterable[int] | None) -> tuple[int, ...]:
    if asc is None:
        return ()
    values = [asc] if isinstance(asc, (int, np.integer)) else list(asc)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise ConfigError(f"expected alternative ids (whole numbers), found {asc!r}",
                          key="asc")
    return tuple(int(v) for v in values)


def clogit(df: pd.DataFrame, attributes: dict[str, Any], *, choice: str = "chosen",
           respondent: str = "respondent", task: str = "task",
           alternative: str = "alternative", group: str | None = None,
           block: str | None = None, vcov: str = "cluster",
           asc: int | Iterable[int] | None = None,
           engine: str = "native", on_separation: str = "stop") -> ModelResult:
    """Fit a conditional (multinomial) logit on a long DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent x task x alternative. Rows whose attribute cells are all
        empty are opt-out rows and get the constant ``asc[opt_out]``.
    attributes : dict
        Name -> list of levels (effects coding, first level omitted), ``"linear"`` (the
        column's numbers, one coefficient per unit), or ``dce.Attribute(levels=...,
        coding="dummy", reference=...)``. Its order is the order of the terms.
    choice, respondent, task, alternative, group, block : str
        Column names (``group`` and ``block`` optional; a choice set is a respondent x
        block x task). One model is fitted to all rows: ``group`` only labels them; fit
        a group by passing its rows (``df[df.group == "users"]``), or every group with
        :func:`dce.analyse` and ``model.by``.
    vcov : {"cluster", "robust", "classic"}
        Covariance: cluster-robust by respondent (default; factor G/(G-1)), sandwich
        over choice sets, or the inverse information. ``with_vcov`` switches later.
    asc : int or list of int, optional
        Alternative ids that get alternative-specific constants ``asc[<id>]``.
    engine : {"native", "pylogit"}
    on_separation : {"stop", "warn"}
        Data whose likelihood has no maximum (a level always or never chosen, the opt-out
        always chosen): raise, or warn (UserWarning naming them) and return a fit with
        ``converged`` false whose ``tidy()`` marks the rows in a ``separated`` column
        (:mod:`dce.models.separation`).

    Returns
    -------
    ModelResult
        ``tidy()``, ``glance()``, ``coef()``, ``se()``, ``vcov``, ``predict()``.

    Raises
    ------
    DataError, ConfigError
        (``ValueError``) naming the argument or column; EstimationError
        (``RuntimeError``) when the terms are not identified by the data or (with
        ``on_separation="stop"``) the likelihood has no maximum, naming the levels.

    Notes
    -----
    McFadden (1974), Conditional logit analysis of qualitative choice behavior;
    Train (2009), Discrete Choice Methods with Simulation, ch. 3.
    """
    check_literal(vcov, VcovType, "vcov")
    check_literal(engine, EngineType, "engine")
    attrs, data, columns, ranges = prepare(df, attributes, choice, respondent, task,
                                            alternative, group, block, asc)
    from dce.models import fit

    if vcov == "cluster" and data.n_respondents < 2:
        raise EstimationError("cluster-robust errors need at least 2 respondents; use "
                              "vcov='robust'", key="vcov")
    result = checked(partial(fit, data, engine=engine, se=vcov, check=False), data, attrs,
                      on_separation)
    return ModelResult(result, attrs, constants_loglik(data), columns, ranges)


def checked(fit: Callable[..., Any], data: ChoiceData, attrs: tuple[Attribute, ...],
            on_separation: str) -> Any:
    """``fit()`` after the identification check, then the separation check
    (:func:`dce.models.separation.fit_and_check`).

    Parameters
    ----------
    fit : callable
        ``fit()`` returns a conditional-logit FitResult of ``data``.
    data : ChoiceData
    attrs : tuple of Attribute
        To name separated levels.
    on_separation : {"stop", "warn"}

    Returns
    -------
    FitResult
        With ``separation`` set when the data are separated and ``on_separation="warn"``.

    Raises
    ------
    ConfigError
        An unknown ``on_separation``.
    EstimationError
        Terms the data cannot identify; separated data with ``on_separation="stop"``.
    """
    from dce.models.clogit import check_identified

    check_literal(on_separation, OnSeparation, "on_separation")
    check_identified(data)
    return separation.fit_and_check(
        fit, data, partial(separation.describe_attributes, attributes=attrs),
        on_separation=on_separation)


def mixed_logit(df: pd.DataFrame, attributes: dict[str, Any], *,
                random: dict[str, str] | None = None, choice: str = "chosen",
                respondent: str = "respondent", task: str = "task",
                alternative: str = "alternative", group: str | None = None,
                block: str | None = None, vcov: str = "cluster",
                asc: int | Iterable[int] | None = None,
                correlated: bool = False, draws: int = 500, draw_type: str = "sobol",
                space: str = "preference", price: str | None = None,
                scale_heterogeneity: str = "none", seed: int = 1,
                on_separation: str = "stop") -> ModelResult:
    """Fit a panel mixed logit by maximum simulated likelihood, in preference or
    willingness-to-pay space, optionally with scale heterogeneity (G-MNL).

    Parameters
    ----------
    df, attributes, choice, respondent, task, alternative, group, block, vcov, asc
        As :func:`clogit`; so is ``on_separation`` (the check is on the data, so it
        covers the means).
    random : dict
        Coded term -> ``"normal"``, ``"lognormal"`` or ``"triangular"`` (required unless
        ``scale_heterogeneity="smnl"``); other terms stay fixed. A random term's row holds
        its mean, ``sd[<term>]`` its standard deviation (``correlated=True``: the Cholesky
        factors ``chol[<t>,<t>]``).
    draws, draw_type, seed : int, {"sobol", "halton"}, int
        Quasi-random draws per respondent, their sequence and its root seed.
    space, price : {"preference", "wtp"}, str
        ``"wtp"``: willingness-to-pay space, utility ``lambda (sum_k w_k x_k - price)``
        with ``price`` a linear attribute; the other terms' rows are values in units of the
        price, the price's row is the scale ``lambda`` (lognormal if it is in ``random``).
    scale_heterogeneity : {"none", "smnl", "gmnl", "gmnl2"}
        G-MNL adds rows ``tau`` and ``logit[gamma]``; G-MNL-II fixes gamma = 0; S-MNL has
        scale heterogeneity only. Random terms are normal or triangular.

    Returns
    -------
    ModelResult
        ``predict()`` gives probabilities at the mean coefficients.

    Raises
    ------
    DataError, ConfigError, EstimationError
        As :func:`clogit`; ConfigError keyed by the argument for an unknown random term or
        distribution, and every mistake a config's ``space``, ``price`` and
        ``scale_heterogeneity`` keys can make, in the same words
        (:func:`dce.config.heterogeneity_checks.heterogeneity_problems`).

    Notes
    -----
    Revelt and Train (1998), Rev. Econ. Stat. 80:647-657; Train (2009), ch. 6 and 9; Train
    and Weeks (2005), Applications of Simulation Methods in Environmental and Resource
    Economics, 1-16 (WTP space); Fiebig et al. (2010), Marketing Science 29:393-421 (G-MNL).
    """
    for value, literal, name in ((vcov, VcovType, "vcov"), (draw_type, DrawType, "draw_type"),
                                 (space, SpaceType, "space"),
                                 (scale_heterogeneity, ScaleHeterogeneity, "scale_heterogeneity")):
        check_literal(value, literal, name)
    random = _mixed_arguments(random, draws, scale_heterogeneity)
    attrs, data, columns, ranges = prepare(df, attributes, choice, respondent, task,
                                           alternative, group, block, asc)
    price_term = _mixed_terms(data, attrs, random, space, price, scale_heterogeneity)
    from dce.models import mixed
    from dce.models.clogit import fit as clogit_fit

    # the conditional logit screens the data (dce.models.separation: the same directions)
    sep = checked(partial(clogit_fit, data, se="classic", check=False), data, attrs,
                  on_separation).separation
    with warnings.catch_warnings():
        if sep is not None:
            warnings.simplefilter("ignore")
        result = mixed.fit(data, random=dict(random), correlated=bool(correlated),
                           draws=int(draws), draw_type=draw_type, se=vcov, group="all",
                           seed_seq=np.random.SeedSequence(seed), space=space,
                           price=price_term, scale_heterogeneity=scale_heterogeneity)
    return ModelResult(separation.mark(result, sep), attrs, constants_loglik(data), columns,
                       ranges)


def _mixed_arguments(random: object, draws: object, scale_heterogeneity: str
                     ) -> dict[str, str]:
    """``random`` (``{}`` for S-MNL when not given) after checking it and ``draws``."""
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or draws < 1:
        raise ConfigError(f"expected a whole number of draws of at least 1, found {draws!r}",
                          key="draws")
    random = {} if random is None and scale_heterogeneity == "smnl" else random
    if not isinstance(random, dict) or not (random or scale_heterogeneity == "smnl"):
        raise ConfigError("expected a mapping of terms to distributions, e.g. {'waiting': "
                          f"'normal'}}, found {random!r}", key="random")
    return random


def _mixed_terms(data: ChoiceData, attrs: tuple[Attribute, ...], random: dict[str, str],
                 space: str, price: str | None, scale_heterogeneity: str) -> str | None:
    """Check the random terms and the WTP-space and scale-heterogeneity arguments of
    :func:`mixed_logit` (every mistake in one ConfigError, keyed by argument); the price
    term (None in preference space)."""
    # imported here: the package dce.config loads pydantic, which dce.clogit does not need
    from dce.config.heterogeneity_checks import heterogeneity_problems
    from dce.config.messages import suggest

    for term, dist in random.items():
        if term not in data.terms:
            raise ConfigError(f"unknown term {term!r}; terms: {', '.join(data.terms)}",
                              key=f"random[{term!r}]")
        check_literal(dist, Distribution, f"random[{term!r}]")
    problems = heterogeneity_problems(space, price, scale_heterogeneity, random, attrs,
                                      suggest, prefix="")
    if problems:
        raise ConfigError([Problem(message, key=path[0] if len(path) == 1 else
                                   f"random[{path[1]!r}]") for path, message in problems])
    if price is None:
        return None
    return next(a for a in attrs if a.name == price).terms[0]
