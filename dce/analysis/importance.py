"""Attribute importance: each attribute's part-worth range as a share of the sum of ranges.

A categorical attribute's range is max - min of its level part-worths (effects coding:
the omitted level is minus the sum of the others; dummy: 0). A linear attribute's range is
``|slope| * (max level - min level)``. An alternative-specific attribute of a labelled design
(one set of coefficients per alternative) has the largest of its ranges within one
alternative. Intervals come from Krinsky-Robb draws of the
coefficients (multivariate normal with the fit's covariance) or from the delta method;
rank probabilities always come from the draws.

References
----------
Krinsky, I. and Robb, A. L. (1986). On approximating the statistical properties of
elasticities. Review of Economics and Statistics 68(4), 715-719.
Lancsar, E., Louviere, J. and Flynn, T. (2007). Several methods to investigate relative
attribute impact in stated preference experiments. Social Science & Medicine 64(8),
1738-1753.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dce.core import normal

COLUMNS = ["group", "attribute", "importance", "ci_lower", "ci_upper", "rank",
           "prob_rank_1", "prob_top_3", "rank_ci_lower", "rank_ci_upper"]


@dataclass(frozen=True)
class Importance:
    """Importance table of one or more groups, plus the share draws behind it.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`, one row per group and attribute.
    draws : dict of str to ndarray (R, A)
        Share draws of each group, columns in the order of ``attributes``.
    attributes : tuple
        The attributes (or items), in column order.
    """

    table: pd.DataFrame
    draws: dict = field(default_factory=dict, repr=False)  # group -> (draws x attributes)
    attributes: tuple = ()


def partworth_maps(terms, attributes, value_ranges=None) -> list[np.ndarray]:
    """For each attribute, a matrix mapping the coefficient vector to level utilities.

    Parameters
    ----------
    terms : sequence of str (K,)
        The fit's terms.
    attributes : sequence of Attribute
        Attributes whose terms are among ``terms``.
    value_ranges : dict of str to (float, float), optional
        ``{attribute: (min, max)}`` for linear attributes without declared levels.

    Returns
    -------
    list of ndarray (L_a, K), or (V_a, L_a, K)
        Per attribute: its ``level_matrix`` rows placed in its columns; for a linear
        attribute two rows, the slope at the lowest and at the highest level. An
        alternative-specific attribute of a labelled design has one such map per
        alternative it has coefficients in (a 3-D array, see :func:`shares`).

    Raises
    ------
    ValueError
        A linear attribute without levels and without a value range.
    KeyError
        An attribute term missing from ``terms``.
    """
    index = {t: i for i, t in enumerate(terms)}
    maps = []
    for a in attributes:
        if a.specific:  # labelled: one map per alternative it has coefficients in
            maps.append(np.stack([_map(v, index, len(terms), value_ranges)
                                  for v in a.views()]))
            continue
        maps.append(_map(a, index, len(terms), value_ranges))
    return maps


def _map(a, index, K, value_ranges) -> np.ndarray:
    cols = [index[t] for t in a.terms]
    if a.is_linear:
        lo, hi = _span(a, value_ranges)
        M = np.zeros((2, K))
        M[0, cols[0]], M[1, cols[0]] = lo, hi
    else:
        L = a.level_matrix()
        M = np.zeros((L.shape[0], K))
        M[:, cols] = L
    return M


def _span(a, value_ranges):
    if a.levels is not None:
        lv = a.numeric_levels()
        return float(lv.min()), float(lv.max())
    if value_ranges and a.name in value_ranges:
        return value_ranges[a.name]
    raise ValueError(f"no range known for attribute {a.name!r}")


def shares(B: np.ndarray, maps: list[np.ndarray]) -> np.ndarray:
    """Importance shares for coefficient rows ``B`` (draws x terms) -> (draws x attrs).

    Each attribute's range (max - min of its level utilities) divided by the sum of the
    ranges; equal shares ``1 / A`` when every range is 0. The range of an
    alternative-specific attribute (a 3-D map) is the largest of its ranges within one
    alternative: the most utility the attribute can change in any alternative, as a
    generic attribute's range is (the levels of different labels are never traded
    against each other within one alternative).

    Parameters
    ----------
    B : ndarray (K,) or (R, K)
        Coefficient vectors.
    maps : list of ndarray (L_a, K) or (V_a, L_a, K)
        From :func:`partworth_maps`.

    Returns
    -------
    ndarray (R, A)
        Rows sum to 1 (``R = 1`` for a single vector).
    """
    B = np.atleast_2d(B)
    ranges = np.column_stack([_range(B, M) for M in maps])
    total = ranges.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, ranges / total, 1.0 / ranges.shape[1])


def _range(B: np.ndarray, M: np.ndarray) -> np.ndarray:
    if M.ndim == 3:  # alternative-specific: the largest range within one alternative
        return np.max([_range(B, m) for m in M], axis=0)
    return (B @ M.T).max(axis=1) - (B @ M.T).min(axis=1)


def coefficient_draws(params, vcov, n, rng) -> np.ndarray:
    """Krinsky-Robb draws: params + z L' with L a Cholesky-type factor of vcov.

    Krinsky and Robb (1986): draws from the normal approximation ``N(params, vcov)`` of the
    estimator. When ``vcov`` is not positive definite, ``L = V sqrt(max(w, 0))`` from its
    eigendecomposition (negative eigenvalues clipped).

    Parameters
    ----------
    params : ndarray (K,)
        Estimates.
    vcov : ndarray (K, K)
        Their covariance (symmetrised before use).
    n : int
        Draws.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray (n, K)
    """
    vcov = (vcov + vcov.T) / 2
    try:
        L = np.linalg.cholesky(vcov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(vcov)
        L = v * np.sqrt(np.clip(w, 0, None))
    z = rng.standard_normal((n, len(params)))
    return params + z @ L.T


def ranks(values: np.ndarray) -> np.ndarray:
    """Rank 1 = largest, along the last axis; ties broken by attribute order.

    Parameters
    ----------
    values : ndarray (A,) or (R, A)
        Values to rank (1-d or 2-d only).

    Returns
    -------
    ndarray of int, the shape of ``values``
        Ranks 1..A of each row.
    """
    order = np.argsort(-values, axis=-1, kind="stable")
    out = np.empty_like(order)
    np.put_along_axis(out, order, np.arange(1, values.shape[-1] + 1)[None, :]
                      if values.ndim == 2 else np.arange(1, values.shape[-1] + 1), axis=-1)
    return out


def from_draws(group, attributes, point, S, lo, hi, level) -> Importance:
    """The Importance of one group from its point shares, share draws ``S`` (draws x
    attributes) and interval bounds: ranks, rank probabilities and rank intervals.

    Parameters
    ----------
    group : str
        Group name.
    attributes : sequence
        Attributes (or items), with ``name``; the columns of ``S``.
    point : ndarray (A,)
        Shares at the estimates.
    S : ndarray (R, A)
        Share draws.
    lo, hi : ndarray (A,)
        Interval bounds of the shares.
    level : float
        Level of the rank intervals (percentiles of the draws' ranks, inverted CDF).

    Returns
    -------
    Importance
        ``table`` with :data:`COLUMNS` (``prob_rank_1``, ``prob_top_3`` from the draws),
        ``draws`` ``{group: S}``.
    """
    alpha = 1 - level
    R = ranks(S)
    point_rank = ranks(point[None, :])[0]
    rlo, rhi = np.quantile(R, [alpha / 2, 1 - alpha / 2], axis=0, method="inverted_cdf")
    table = pd.DataFrame({
        "group": group, "attribute": [a.name for a in attributes],
        "importance": point, "ci_lower": lo, "ci_upper": hi, "rank": point_rank,
        "prob_rank_1": (R == 1).mean(axis=0), "prob_top_3": (R <= 3).mean(axis=0),
        "rank_ci_lower": rlo.astype(int), "rank_ci_upper": rhi.astype(int),
    }, columns=COLUMNS)
    return Importance(table, {group: S}, tuple(attributes))


def rank(result, attributes, rng, *, intervals="krinsky-robb", draws=2000, level=0.95,
         value_ranges=None, coef_draws=None) -> Importance:
    """Importance of each attribute for one fitted model (one group).

    ``coef_draws`` (draws x terms), e.g. bootstrap replicates, replaces the
    Krinsky-Robb draws when given; intervals are then percentiles of those draws.

    Parameters
    ----------
    result : FitResult
        The fit: ``terms`` (K,), ``params`` (K,), ``vcov`` (K, K), ``group``.
    attributes : sequence of Attribute
        Attributes to rank.
    rng : numpy.random.Generator
        For the Krinsky-Robb draws (Krinsky and Robb 1986).
    intervals : str
        ``"delta"``: Wald intervals with a numerical Jacobian of the shares; anything else
        (``"krinsky-robb"``, ``"bootstrap"``): percentiles of the share draws.
    draws : int
        Krinsky-Robb draws (not used with ``coef_draws``).
    level : float
        Confidence level.
    value_ranges : dict, optional
        See :func:`partworth_maps`.
    coef_draws : ndarray (R, K), optional
        Coefficient draws to use instead.

    Returns
    -------
    Importance

    Raises
    ------
    ValueError
        As :func:`partworth_maps`.
    """
    maps = partworth_maps(result.terms, attributes, value_ranges)
    point = shares(result.params, maps)[0]
    B = coef_draws if coef_draws is not None else coefficient_draws(
        result.params, result.vcov, draws, rng)
    B = np.asarray(B)
    S = shares(B, maps)
    alpha = 1 - level
    if intervals == "delta":
        J = _jacobian(result.params, maps)
        se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", J, result.vcov, J), 0, None))
        q = normal.quantile(1 - alpha / 2)
        lo, hi = point - q * se, point + q * se
    else:
        lo, hi = np.quantile(S, [alpha / 2, 1 - alpha / 2], axis=0)
    return from_draws(result.group, attributes, point, S, lo, hi, level)


def _jacobian(params, maps, h=1e-6) -> np.ndarray:
    """Jacobian d shares / d params by central differences (ranges are piecewise linear)."""
    K = len(params)
    E = np.eye(K) * h
    up = shares(params + E, maps)
    down = shares(params - E, maps)
    return ((up - down) / (2 * h)).T


def combine(parts: list[Importance]) -> Importance:
    """One Importance of several groups.

    Parameters
    ----------
    parts : list of Importance
        One per group (same attributes).

    Returns
    -------
    Importance
        Tables concatenated, draws merged; the attributes of the first part.
    """
    table = pd.concat([p.table for p in parts], ignore_index=True)
    draws = {g: d for p in parts for g, d in p.draws.items()}
    return Importance(table, draws, parts[0].attributes if parts else ())
