"""Compare groups pair by pair with scale-free quantities and scale-aware tests.

Rows of the comparison table (column ``test``); ``note`` says how a row may be read:
- ``importance_difference``: difference in importance share with a percentile interval
  from independent draws of the two groups (unadjusted), and a two-sided p-value from a
  normal approximation to the draws of the difference (mean / sd; see
  :func:`wald_p_value`). Shares are within-group summaries: an attribute-range share is
  compositional and an item's share of preference depends on the group's scale, so the
  report never turns these rows into claims of weight;
- ``rank_difference``: difference in rank (a minus b) with its interval from the draws;
- ``spearman_rank_correlation`` and ``kendall_rank_correlation`` of the two point
  rankings: descriptive, with no interval (intervals from the coefficient draws were
  biased towards zero) and no p-value;
- ``swait_louviere_preferences``: step 1 of the Swait-Louviere sequence, a cluster-robust
  Wald (minimum-distance) test that the two groups' coefficients are proportional, i.e.
  equal preferences once scale may differ (``estimate`` is the statistic, ``df`` its
  degrees of freedom); constants and the attributes in ``compare.group_specific`` are
  group-specific and not part of the hypothesis;
- ``swait_louviere_scale``: step 2, the relative scale of b to a from a heteroskedastic
  logit fitted jointly to both groups (group-specific constants), with its interval and a
  cluster-robust Wald test of equal scale; reported only when step 1 does not reject at
  1 - level (otherwise scale and preferences cannot be told apart, and the row is empty);
- ``poe_tradeoff_difference``: difference in a trade-off (marginal rate of substitution,
  a scale-free quantity) with Poe et al.'s combinatorial test; for item studies,
  ``relative_utility_difference`` does the same for utilities relative to an anchor item.
``p_holm`` adjusts p-values with Holm's method within each test (its family) across all
pairs; intervals are never adjusted.

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
Journal of Statistics 6(2), 65-70.
Poe, G. L., Giraud, K. L. and Loomis, J. B. (2005). Computational methods for measuring
the difference of empirical distributions. American Journal of Agricultural Economics
87(2), 353-365.
Swait, J. and Louviere, J. (1993). The role of the scale parameter in the estimation and
comparison of multinomial logit models. Journal of Marketing Research 30(3), 305-314.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from dce.analysis.importance import ranks
from dce.core import normal

COLUMNS = ["group_a", "group_b", "test", "attribute", "value_a", "value_b", "estimate",
           "ci_lower", "ci_upper", "df", "p_value", "p_holm", "rank_a", "rank_b", "note"]
NOTES = {
    "importance_difference": "within-group summary: not a scale-free claim of weight",
    "spearman_rank_correlation": "descriptive: correlation of the two point rankings",
    "kendall_rank_correlation": "descriptive: correlation of the two point rankings",
    "not_identified": ("not reported: step 1 rejects equal preferences, so scale and "
                       "preferences cannot be told apart"),
}


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`groups`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per pair, test and attribute, columns :data:`COLUMNS` (module docstring).
    outrank : pandas.DataFrame
        :func:`outrank_table` of the importance draws.
    """

    table: pd.DataFrame
    outrank: pd.DataFrame


def pairs_of(groups, requested="all") -> list[tuple[str, str]]:
    """The pairs of groups to compare.

    Parameters
    ----------
    groups : sequence of str
        Group names, in order.
    requested : "all" or sequence of pairs
        ``"all"``: every pair ``(a, b)`` with ``a`` before ``b`` in ``groups``; otherwise
        the given pairs as tuples (not checked against ``groups``).

    Returns
    -------
    list of tuple of (str, str)
    """
    if requested == "all":
        return list(combinations(groups, 2))
    return [tuple(p) for p in requested]


def mc_p_value(d: np.ndarray) -> float:
    """Two-sided Monte Carlo p-value for 'difference is zero' from draws ``d``.

    ``2 min((#(d <= 0) + 1) / (R + 1), (#(d >= 0) + 1) / (R + 1))``, capped at 1: never
    below ``2 / (R + 1)``.

    Parameters
    ----------
    d : ndarray (R,)
        Draws of the difference.

    Returns
    -------
    float
    """
    n = len(d)
    below = (np.sum(d <= 0) + 1) / (n + 1)
    above = (np.sum(d >= 0) + 1) / (n + 1)
    return float(min(1.0, 2 * min(below, above)))


def wald_p_value(d: np.ndarray) -> float:
    """Two-sided p-value of 'difference is zero' from the mean and standard deviation of
    the draws ``d`` (normal approximation). Unlike the Monte Carlo share it is not floored
    at 2 / (draws + 1), which would make Holm-adjusted p-values of many comparisons
    useless; it falls back to the Monte Carlo share when the draws do not vary.

    Parameters as :func:`mc_p_value`.

    Returns
    -------
    float
        ``2 (1 - Phi(|mean(d)| / sd(d)))``, or :func:`mc_p_value` when ``sd(d)`` is 0.
    """
    sd = float(np.std(d, ddof=1)) if len(d) > 1 else 0.0
    if not sd > 0:
        return mc_p_value(d)
    return float(normal.two_sided_p(float(np.mean(d)) / sd))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (monotone, capped at 1).

    Holm (1979): the i-th smallest of m p-values becomes ``max over j <= i of
    (m - j + 1) p_(j)``, capped at 1; ties keep their order.

    Parameters
    ----------
    p : array-like (m,)
        P-values of one family (no NaN).

    Returns
    -------
    ndarray (m,)
        Adjusted p-values, in the order of ``p``.
    """
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def _row(a, b, test, attribute="", **values) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(group_a=a, group_b=b, test=test, attribute=attribute, **values)
    return row


def groups(importance, pairs, level=0.95, scale_tests=None, tradeoffs=None,
           tradeoff_test="poe_tradeoff_difference", leave_out=()) -> Comparison:
    """Pairwise comparisons of groups (see the module docstring for the rows).

    ``scale_tests`` maps a pair to a :class:`dce.analysis.scale.ScaleComparison`;
    ``tradeoffs`` holds per-group tables and draws of a scale-free ratio (trade-offs, or
    relative utilities of items with ``tradeoff_test="relative_utility_difference"``).

    Parameters
    ----------
    importance : dce.analysis.importance.Importance
        Tables and share draws (R, A) of every group in ``pairs``; the first
        ``min(R_a, R_b)`` draws of two groups are paired.
    pairs : sequence of (str, str)
        Pairs to compare (:func:`pairs_of`).
    level : float
        Level of the percentile intervals; step 2 of Swait-Louviere is reported when step 1
        has ``p >= 1 - level``.
    scale_tests, tradeoffs, tradeoff_test : dict or None, Tradeoffs or None, str
        As above; rows of a pair without them are left out.
    leave_out : collection of str
        Groups whose fit is separated (``model.on_separation: warn``): their estimates
        are not finite in truth, so every pair holding one is left out (and out of the
        Holm families), and so are their rows of ``outrank``.

    Returns
    -------
    Comparison
        ``table`` with ``p_holm`` (Holm 1979 within each test) and ``outrank``.
    """
    leave_out = set(leave_out)
    pairs = [(a, b) for a, b in pairs if a not in leave_out and b not in leave_out]
    t = importance.table
    alpha = 1 - level
    q = [alpha / 2, 1 - alpha / 2]
    rows = []
    for a, b in pairs:
        ta = t[t["group"] == a].set_index("attribute")
        tb = t[t["group"] == b].set_index("attribute")
        Da, Db = importance.draws[a], importance.draws[b]
        n = min(len(Da), len(Db))
        diff = Da[:n] - Db[:n]
        Ra, Rb = ranks(Da[:n]), ranks(Db[:n])
        for i, attr in enumerate(ta.index):
            lo, hi = np.quantile(diff[:, i], q)
            ra, rb = int(ta.loc[attr, "rank"]), int(tb.loc[attr, "rank"])
            rows.append(_row(a, b, "importance_difference", attr,
                             note=NOTES["importance_difference"],
                             value_a=ta.loc[attr, "importance"],
                             value_b=tb.loc[attr, "importance"],
                             estimate=ta.loc[attr, "importance"] - tb.loc[attr, "importance"],
                             ci_lower=lo, ci_upper=hi, p_value=wald_p_value(diff[:, i]),
                             rank_a=ra, rank_b=rb))
            rd = Ra[:, i] - Rb[:, i]
            lo, hi = np.quantile(rd, q, method="inverted_cdf")
            rows.append(_row(a, b, "rank_difference", attr, value_a=ra, value_b=rb,
                             estimate=ra - rb, ci_lower=lo, ci_upper=hi,
                             p_value=mc_p_value(rd), rank_a=ra, rank_b=rb))
        ia, ib = ta["importance"].to_numpy(), tb["importance"].to_numpy()
        rho = _spearman_rows(ranks(ia[None]), ranks(ib[None]))[0]
        tau = _kendall_rows(ranks(ia[None]), ranks(ib[None]))[0]
        for name, est in (("spearman_rank_correlation", rho),
                          ("kendall_rank_correlation", tau)):
            rows.append(_row(a, b, name, estimate=est, note=NOTES[name]))
        if scale_tests and (a, b) in scale_tests:
            rows.extend(_scale_rows(a, b, scale_tests[(a, b)], alpha))
        if tradeoffs is not None:
            rows.extend(_poe_rows(a, b, tradeoffs, q, test=tradeoff_test))
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["p_holm"] = np.nan
    for _, idx in table.groupby("test", sort=False).groups.items():
        p = table.loc[idx, "p_value"].to_numpy(float)
        tested = ~np.isnan(p)
        adj = np.full(len(p), np.nan)
        adj[tested] = holm(p[tested])
        table.loc[idx, "p_holm"] = adj
    for col in ("rank_a", "rank_b", "df"):
        table[col] = table[col].astype("Int64")
    outrank = outrank_table(importance)
    return Comparison(table, outrank[~outrank["group"].isin(leave_out)].reset_index(drop=True))


def _scale_rows(a, b, st, alpha: float) -> list[dict]:
    """Both Swait-Louviere steps of one pair; step 2 only when step 1 does not reject."""
    spec = []
    if st.constants:
        spec.append(f"constants {', '.join(st.constants)} group-specific")
    if st.group_specific:
        spec.append(f"coefficients of {', '.join(st.group_specific)} group-specific")
    how = "; ".join(spec) or "no group-specific terms"
    rows = [_row(a, b, "swait_louviere_preferences", estimate=st.statistic_preferences,
                 df=st.df_preferences, p_value=st.p_preferences,
                 note=f"cluster-robust Wald test of proportional coefficients ({how})")]
    if not st.p_preferences >= alpha:  # rejected, or step 1 could not be computed (NaN)
        rows.append(_row(a, b, "swait_louviere_scale", note=NOTES["not_identified"]))
    else:
        rows.append(_row(a, b, "swait_louviere_scale", value_a=1.0,
                         value_b=st.relative_scale, estimate=st.relative_scale,
                         ci_lower=st.scale_ci[0], ci_upper=st.scale_ci[1], df=1,
                         p_value=st.p_scale,
                         note=f"relative scale of {b} to {a}, heteroskedastic logit ({how}); "
                              "cluster-robust Wald test of equal scale"))
    return rows


def _poe_rows(a, b, tradeoffs, q, test="poe_tradeoff_difference") -> list[dict]:
    from dce.analysis.wtp import poe_p_value

    t = tradeoffs.table
    ta = t[t["group"] == a].set_index("term")
    tb = t[t["group"] == b].set_index("term")
    Da, Db = tradeoffs.draws[a], tradeoffs.draws[b]
    n = min(len(Da), len(Db))
    rows = []
    for i, term in enumerate(ta.index):
        lo, hi = np.quantile(Da[:n, i] - Db[:n, i], q)
        p = poe_p_value(Da[:, i], Db[:, i])
        floor = 2 / (len(Da) * len(Db))  # the smallest p the pairs of draws can show
        note = f"Poe test against {ta.loc[term, 'denominator']}"
        if p < floor:
            p, note = floor, note + f"; p below the resolution of the draws (p < {floor:.2g})"
        rows.append(_row(a, b, test, term,
                         value_a=ta.loc[term, "estimate"], value_b=tb.loc[term, "estimate"],
                         estimate=ta.loc[term, "estimate"] - tb.loc[term, "estimate"],
                         ci_lower=lo, ci_upper=hi, p_value=p, note=note))
    return rows


def outrank_table(importance) -> pd.DataFrame:
    """P(attribute outranks other) in each group, from the importance draws.

    Parameters
    ----------
    importance : dce.analysis.importance.Importance
        Share draws (R, A) per group; attributes in the order of the draws' columns.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``attribute``, ``other``, ``probability`` (share of draws in which the
        attribute's share is strictly larger), for every ordered pair of attributes.
    """
    rows = []
    names = [a.name for a in importance.attributes] or list(
        dict.fromkeys(importance.table["attribute"]))
    for g, D in importance.draws.items():
        for i, x in enumerate(names):
            for j, y in enumerate(names):
                if i != j:
                    rows.append({"group": g, "attribute": x, "other": y,
                                 "probability": float(np.mean(D[:, i] > D[:, j]))})
    return pd.DataFrame(rows, columns=["group", "attribute", "other", "probability"])


def _spearman_rows(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Spearman's rho between matching rows of two rank matrices (no ties)."""
    k = ra.shape[1]
    if k < 2:
        return np.ones(ra.shape[0])
    d2 = ((ra - rb) ** 2).sum(axis=1)
    return 1 - 6 * d2 / (k * (k * k - 1))


def _kendall_rows(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Kendall's tau-a between matching rows of two rank matrices (no ties)."""
    k = ra.shape[1]
    if k < 2:
        return np.ones(ra.shape[0])
    i, j = np.triu_indices(k, 1)
    s = np.sign(ra[:, i] - ra[:, j]) * np.sign(rb[:, i] - rb[:, j])
    return s.sum(axis=1) / len(i)
