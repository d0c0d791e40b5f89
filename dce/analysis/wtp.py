"""Trade-offs: marginal rates of substitution against a linear denominator attribute.

For a cost attribute this is willingness to pay; for waiting time, willingness to wait.
The value of a change is ``-delta / b_d``: ``delta`` is the utility change (a level
against the attribute's reference level, one unit of a linear attribute, or a constant),
``b_d`` the denominator's coefficient. A value is flagged ``outside_tested_range`` when the
estimate or any part of its interval lies beyond the span of the denominator's tested
levels (an extrapolation of the linear term). Alternative-specific constants are not valued:
they are not features a service can change. Intervals: delta method, Krinsky-Robb (ratios of
coefficient draws) and, when available, bootstrap percentiles, the methods compared by Hole
(2007). Groups' trade-offs are compared with the test of Poe, Giraud and Loomis (2005).

References
----------
Efron, B. and Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
Hole, A. R. (2007). A comparison of approaches to estimating confidence intervals for
willingness to pay measures. Health Economics 16(8), 827-840.
Krinsky, I. and Robb, A. L. (1986). On approximating the statistical properties of
elasticities. Review of Economics and Statistics 68(4), 715-719.
Poe, G. L., Giraud, K. L. and Loomis, J. B. (2005). Computational methods for measuring
the difference of empirical distributions. American Journal of Agricultural Economics
87(2), 353-365.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dce.core import normal

COLUMNS = ["group", "term", "denominator", "estimate", "ci_lower", "ci_upper",
           "delta_ci_lower", "delta_ci_upper", "kr_ci_lower", "kr_ci_upper",
           "boot_ci_lower", "boot_ci_upper", "outside_tested_range"]


@dataclass(frozen=True)
class Tradeoffs:
    """Trade-off table of one or more groups, plus the draws behind its intervals.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`COLUMNS`, one row per group and valued change.
    draws : dict of str to ndarray (R, T)
        Draws of the T values of each group (bootstrap when available, else Krinsky-Robb),
        columns in the order of the group's rows.
    warnings : tuple of str
        Notes for the report (denominator not significant, extrapolations).
    """

    table: pd.DataFrame
    draws: dict = field(default_factory=dict, repr=False)  # group -> (draws x terms)
    warnings: tuple = ()


def contrasts(terms, attributes, denominator: str) -> tuple[list[str], np.ndarray]:
    """Rows: utility changes valued against the denominator; columns: coefficients.

    A linear attribute gives one row (one unit more); a categorical one a row per
    non-reference level (that level against the reference level). The denominator is
    skipped; terms of no attribute (constants) get no row.

    Parameters
    ----------
    terms : sequence of str (K,)
        The fit's terms.
    attributes : sequence of Attribute
        The attributes to value.
    denominator : str
        Name of the denominator attribute.

    Returns
    -------
    names : list of str (T,)
        ``attribute`` (linear) or ``attribute[level]``.
    C : ndarray (T, K)
        Row t gives the utility change ``C[t] @ params``.
    """
    index = {t: i for i, t in enumerate(terms)}
    names, rows = [], []
    for a in (v for attr in attributes for v in attr.views()):  # labelled: per label
        if a.name == denominator:
            continue
        cols = [index[t] for t in a.terms]
        if a.is_linear:
            row = np.zeros(len(terms))
            row[cols[0]] = 1.0
            names.append(a.name + a.suffix)
            rows.append(row)
            continue
        L = a.level_matrix()
        ref = a.reference_index
        for i, label in enumerate(a.level_labels):
            if i == ref:
                continue
            row = np.zeros(len(terms))
            row[cols] = L[i] - L[ref]
            names.append(f"{a.name}[{label}]{a.suffix}")
            rows.append(row)
    return names, np.array(rows).reshape(len(rows), len(terms))


def _tested_span(attr, value_range) -> float:
    """The span of the denominator's tested values: its declared levels, else its range in
    the data (``value_range``), else unknown (inf: nothing is flagged)."""
    if attr.levels is not None:
        return float(np.ptp(attr.numeric_levels()))
    if value_range is not None and np.all(np.isfinite(value_range)):
        return float(value_range[1] - value_range[0])
    return np.inf


def value(result, attributes, denominator, rng, *, draws=2000, level=0.95, coef_draws=None,
          method="krinsky-robb", kr_draws=None, value_range=None) -> Tradeoffs:
    """Trade-offs of one fitted model (one group).

    Value ``-C b / b_d`` of every change of :func:`contrasts`, with delta-method,
    Krinsky-Robb and (with ``coef_draws``) bootstrap percentile intervals (Hole 2007).

    Parameters
    ----------
    result, attributes : FitResult, sequence of Attribute
        The fit (``terms`` (K,), ``params`` (K,), ``vcov`` (K, K), ``group``); the study's
        attributes.
    denominator : str
        A linear attribute, whose term has its name (e.g. cost).
    rng, draws, kr_draws : numpy.random.Generator, int, ndarray (R, K) or None
        Krinsky-Robb draws: ``kr_draws`` when given, else ``draws`` drawn from ``rng``.
    coef_draws : ndarray (R, K), optional
        Bootstrap replicates of the coefficients.
    level, method : float, {"krinsky-robb", "delta", "bootstrap"}
        Confidence level; the interval copied to ``ci_lower``/``ci_upper`` (bootstrap: NaN
        without replicates).
    value_range : (float, float), optional
        The denominator's least and greatest value in the data (see :func:`_tested_span`).

    Returns
    -------
    Tradeoffs
        Values in units of the denominator; notes when the denominator's Wald interval
        includes 0 or a value reaches beyond the span of its tested values.

    Raises
    ------
    ValueError
        ``denominator`` is not a term.
    KeyError
        An unknown ``method``."""
    terms = list(result.terms)
    d = terms.index(denominator)
    names, C = contrasts(terms, attributes, denominator)
    b, V = result.params, result.vcov
    delta = C @ b
    est = -delta / b[d]
    # delta method: gradient of -c'b / b_d
    G = -C / b[d]
    G[:, d] += delta / b[d] ** 2
    se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", G, V, G), 0, None))
    q = normal.quantile(0.5 + level / 2)
    a = (1 - level) / 2
    from dce.analysis.importance import coefficient_draws

    B = kr_draws if kr_draws is not None else coefficient_draws(b, V, draws, rng)
    kr = -(B @ C.T) / B[:, [d]]
    kr_lo, kr_hi = np.quantile(kr, [a, 1 - a], axis=0)
    boot, boot_lo, boot_hi = None, np.full(len(names), np.nan), np.full(len(names), np.nan)
    if coef_draws is not None:
        boot = -(coef_draws @ C.T) / coef_draws[:, [d]]
        boot_lo, boot_hi = np.quantile(boot, [a, 1 - a], axis=0)
    chosen = {"delta": (est - q * se, est + q * se), "krinsky-robb": (kr_lo, kr_hi),
              "bootstrap": (boot_lo, boot_hi)}[method]
    span = _tested_span(next(x for x in attributes if x.name == denominator), value_range)
    # an extrapolation when the estimate or any part of its interval lies beyond the span
    reach = np.nanmax(np.abs(np.vstack([est, chosen[0], chosen[1]])), axis=0)
    outside = reach > span
    notes = []
    z = b[d] / np.sqrt(V[d, d])
    if abs(z) < q:
        notes.append(f"group {result.group}: the interval of the {denominator} coefficient "
                     "includes zero, so trade-offs against it are unreliable")
    if outside.any():
        notes.append(f"group {result.group}: the values of {', '.join(np.array(names)[outside])}"
                     f" (estimate or interval) reach beyond the tested range of {denominator} "
                     f"(a span of {span:g}); they are extrapolations")
    table = pd.DataFrame({
        "group": result.group, "term": names, "denominator": denominator, "estimate": est,
        "ci_lower": chosen[0], "ci_upper": chosen[1],
        "delta_ci_lower": est - q * se, "delta_ci_upper": est + q * se,
        "kr_ci_lower": kr_lo, "kr_ci_upper": kr_hi, "boot_ci_lower": boot_lo,
        "boot_ci_upper": boot_hi, "outside_tested_range": outside,
    }, columns=COLUMNS)
    return Tradeoffs(table, {result.group: boot if boot is not None else kr}, tuple(notes))


def poe_p_value(x: np.ndarray, y: np.ndarray) -> float:
    """Poe et al.'s complete combinatorial test of x = y from two independent sets of
    draws: the share of all (x_i, y_j) pairs with x_i - y_j < 0, made two-sided.

    Poe, Giraud and Loomis (2005); ``2 min(share, 1 - share)`` capped at 1, computed by
    sorting (no loop over the pairs).

    Parameters
    ----------
    x, y : ndarray (R_x,), (R_y,)
        Draws of the two quantities.

    Returns
    -------
    float
    """
    ys = np.sort(y)
    le = np.searchsorted(ys, x, side="right").sum()  # pairs with y_j <= x_i
    share = 1 - le / (len(x) * len(y))  # pairs with x_i - y_j < 0
    return float(min(1.0, 2 * min(share, 1 - share)))
