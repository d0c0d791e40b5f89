"""Post-estimation front ends of the Python API: importance and WTP / MRS tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dce.core.options import IntervalMethod, check_literal
from dce.errors import ConfigError

if TYPE_CHECKING:
    from dce.models.fitted import ModelResult
    from dce.models.latent_api import LatentClassModelResult


def _level(level: object) -> float:
    if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 < level < 1:
        raise ConfigError(f"expected a number between 0 and 1, found {level!r}", key="level")
    return float(level)


def _draws(draws: object) -> int:
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or draws < 10:
        raise ConfigError(f"expected a whole number of draws of at least 10, found "
                          f"{draws!r}", key="draws")
    return int(draws)


def _result(res: object) -> ModelResult:
    from dce.models.fitted import ModelResult
    from dce.models.latent_api import LatentClassModelResult

    if isinstance(res, LatentClassModelResult):
        raise ConfigError("a latent class result has coefficients per class: pass one "
                          "class, res.class_fit(c) (c = 1, 2, ...)", key="res")
    if not isinstance(res, ModelResult):
        raise ConfigError(f"expected a result of dce.clogit, dce.mixed_logit, dce.best_worst "
                          f"or dce.ranking, found "
                          f"{type(res).__name__}", key="res")
    return res


def importance(res: ModelResult | LatentClassModelResult, *, draws: int = 2000,
               level: float = 0.95, seed: int = 1,
               intervals: str = "krinsky-robb") -> pd.DataFrame:
    """Attribute importance: each attribute's part-worth range as a share of the sum.

    Parameters
    ----------
    res : ModelResult or LatentClassModelResult
        From :func:`dce.clogit` (or :func:`dce.mixed_logit`: importance at the means), or
        from :func:`dce.latent_class`: importance per class, class ``c`` from its
        coefficients and their block of the covariance, its draws from child ``c - 1`` of
        ``SeedSequence(seed)`` (as class_importance.csv of ``dce run``).
    draws : int
        Krinsky-Robb draws from N(estimates, vcov) for intervals and rank probabilities.
    level : float
        Interval level.
    seed : int
        Root seed of the draws (``numpy.random.SeedSequence``).
    intervals : {"krinsky-robb", "delta"}

    Returns
    -------
    pandas.DataFrame
        importance.csv's columns without ``group``: ``attribute, importance, ci_lower,
        ci_upper, rank, prob_rank_1, prob_top_3, rank_ci_lower, rank_ci_upper``
        (importance as a share in [0, 1], rank 1 = most important); a latent class result
        has a first column ``class`` (``class1``, ...) and one block of rows per class.

    Raises
    ------
    ConfigError
        (``ValueError``) for another kind of result, or a bad ``draws``, ``level`` or
        ``intervals`` (bootstrap intervals need the data).

    Notes
    -----
    Importance depends on the level ranges of the design and shares are compositional
    (Gonzalez 2019, The Patient 12:13-23, on its interpretation); intervals by
    Krinsky and Robb (1986), Review of Economics and Statistics 68:715-719.
    """
    from dce.models.latent_api import LatentClassModelResult

    if isinstance(res, LatentClassModelResult):
        parts = []
        children = np.random.SeedSequence(seed).spawn(res.n_classes)
        for c, child in enumerate(children, start=1):
            table = _importance(res.class_fit(c), draws, level, child, intervals)
            table.insert(0, "class", f"class{c}")
            parts.append(table)
        return pd.concat(parts, ignore_index=True)
    res = _result(res)
    if getattr(res.fit, "fixed", ()):  # best-worst or ranking: shares of preference
        return item_importance(res, draws=draws, level=level, seed=seed, intervals=intervals)
    return _importance(res, draws, level, np.random.SeedSequence(seed), intervals)


def _importance(res: ModelResult, draws: int, level: float, seed: np.random.SeedSequence,
                intervals: str) -> pd.DataFrame:
    """Importance of an attribute model (conditional logit, mixed logit at the means)."""
    check_literal(intervals, IntervalMethod, "intervals")
    if intervals == "bootstrap":
        raise ConfigError("bootstrap intervals need the data; use dce.analyse with "
                          "importance.intervals: bootstrap, or 'krinsky-robb' here",
                          key="intervals")
    from dce.analysis.importance import coefficient_draws, rank

    fit = res.fit
    rng = np.random.default_rng(seed)
    B = coefficient_draws(fit.params, fit.vcov, _draws(draws), rng)
    if fit.model == "mixed_logit":
        from dce.analysis.mixed_importance import rank as mixed_rank

        imp = mixed_rank(fit, res.attributes, rng, intervals=intervals, level=_level(level),
                         value_ranges=res.value_ranges, coef_draws=B)
    else:
        imp = rank(fit, res.attributes, None, intervals=intervals, level=_level(level),
                   value_ranges=res.value_ranges, coef_draws=B)
    return imp.table.drop(columns="group").reset_index(drop=True)


def wtp(res: ModelResult, denominator: str, *, draws: int = 2000, level: float = 0.95, seed: int = 1,
        intervals: str = "krinsky-robb") -> pd.DataFrame:
    """Marginal rates of substitution (willingness to pay, to wait, ...) against a
    linear attribute.

    The value of a change is ``-delta / b_d``: ``delta`` the utility change of a level
    against its attribute's reference level (or one unit of a linear attribute) and
    ``b_d`` the coefficient of ``denominator``. For a mixed logit these are the population
    mean coefficients (a lognormal term's ``exp(mu + s^2/2)``, not ``mu``); in WTP space
    the mean WTPs.

    Parameters
    ----------
    res : ModelResult
    denominator : str
        A linear attribute (cost, waiting time).
    draws, level, seed, intervals
        As :func:`importance` (``intervals`` "krinsky-robb" or "delta").

    Returns
    -------
    pandas.DataFrame
        tradeoffs.csv's columns without ``group``: ``term, denominator, estimate,
        ci_lower, ci_upper, delta_ci_lower, delta_ci_upper, kr_ci_lower, kr_ci_upper,
        boot_ci_lower, boot_ci_upper, outside_tested_range``; units of the denominator.

    Raises
    ------
    ConfigError
        For an unknown or non-linear denominator, naming the attributes.

    Notes
    -----
    Hensher, Rose and Greene (2015), Applied Choice Analysis, ch. 12; delta-method and
    Krinsky-Robb intervals compared by Hole (2007), Health Economics 16:827-840.
    """
    res = _result(res)
    if getattr(res.fit, "fixed", ()):
        raise ConfigError("trade-offs need a linear attribute (cost, waiting time); item "
                          "studies have none: compare items with dce.importance or their "
                          "utilities", key="denominator")
    check_literal(intervals, IntervalMethod, "intervals")
    linear = [a.name for a in res.attributes if a.is_linear]
    if denominator not in linear:
        raise ConfigError(f"expected a linear attribute ({', '.join(linear) or 'none'}), "
                          f"found {denominator!r}", key="denominator")
    if intervals == "bootstrap":
        raise ConfigError("bootstrap intervals need the data; use 'krinsky-robb' or "
                          "'delta'", key="intervals")
    from dce.analysis.wtp import value

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    fit, kr = res.fit, None
    from dce.models.mixed import MixedFitResult

    if isinstance(fit, MixedFitResult):  # as the run: lognormal means, WTP-space WTPs
        from dce.analysis.importance import coefficient_draws
        from dce.models.mixed_post import tradeoff_view

        fit, kr = tradeoff_view(fit, coefficient_draws(fit.params, fit.vcov, _draws(draws),
                                                       rng))
    out = value(fit, res.attributes, denominator, rng, draws=_draws(draws),
                level=_level(level), method=intervals, kr_draws=kr)
    return out.table.drop(columns="group").reset_index(drop=True)


def item_importance(res: ModelResult, *, draws: int = 2000, level: float = 0.95,
                    seed: int = 1, intervals: str = "krinsky-robb") -> pd.DataFrame:
    """Shares of preference of the items of a :func:`best_worst` or :func:`ranking` fit.

    The share of item i is ``exp(v_i) / sum_j exp(v_j)`` (K items), with intervals from
    ``draws`` Krinsky-Robb draws of the utilities (the reference item stays at 0) or the
    delta method, and ranks and rank probabilities from the draws, as
    ``importance.csv`` of an item study (:func:`dce.items.importance.rank`).

    Returns
    -------
    pandas.DataFrame
        K rows: ``attribute`` (the item), ``importance``, ``ci_lower``, ``ci_upper``,
        ``rank``, ``prob_rank_1``, ``prob_top_3``, ``rank_ci_lower``, ``rank_ci_upper``.

    Raises
    ------
    ConfigError
        (``ValueError``) for a result that is not an item fit, or a bad ``draws``,
        ``level`` or ``intervals`` (bootstrap intervals need the data).

    Notes
    -----
    Louviere, Flynn and Marley (2015), Best-Worst Scaling, ch. 5 (shares of preference
    depend on each group's scale, ranks do not); Krinsky and Robb (1986), Review of
    Economics and Statistics 68:715-719.
    """
    from dce.analysis import items as item_imp
    from dce.models.fitted import ModelResult
    from dce.models.items import ItemFit

    if not isinstance(res, ModelResult) or not isinstance(res.fit, ItemFit):
        raise ConfigError("expected a result of dce.best_worst or dce.ranking, found "
                          f"{type(res).__name__}", key="res")
    check_literal(intervals, IntervalMethod, "intervals")
    if intervals == "bootstrap":
        raise ConfigError("bootstrap intervals need the data; use 'krinsky-robb' or "
                          "'delta'", key="intervals")
    if not isinstance(draws, (int, np.integer)) or isinstance(draws, bool) or draws < 10:
        raise ConfigError(f"expected a whole number of draws of at least 10, found "
                          f"{draws!r}", key="draws")
    if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0 < level < 1:
        raise ConfigError(f"expected a number between 0 and 1, found {level!r}", key="level")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    items = tuple(res.attributes)
    U = item_imp.utility_draws(res.fit, len(items), int(draws), rng)
    table = item_imp.rank(res.fit, items, utilities=U, intervals=intervals,
                          level=float(level)).table
    return table.drop(columns="group").reset_index(drop=True)
