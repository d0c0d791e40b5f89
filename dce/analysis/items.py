"""Importance of items: shares of preference, ranks, rank probabilities and counts.

The share of preference of item i is ``exp(v_i) / sum_j exp(v_j)`` (the probability
that i would be chosen best from the full list). Intervals come from Krinsky-Robb draws
of the estimated utilities (the reference item stays at 0), from respondent-bootstrap
replicates, or from the delta method (``ds_i/dv_j = s_i (1[i = j] - s_j)``); rank
probabilities always come from the draws. The table has the columns of
:data:`dce.analysis.importance.COLUMNS`, with the item in ``attribute``, so group comparison and
the report treat items exactly as attributes.

Counts (best-worst): per group and item, how often it was shown, chosen best and chosen
worst; ``bw_score = (best - worst) / shown`` in [-1, 1] and ``sqrt_ratio =
sqrt(best / worst)``. Rankings: how often ranked first and last, and the mean position
(unranked items of a partial ranking share the positions left over).

Best-worst scores and utilities as in Marley and Louviere (2005) and Louviere, Flynn and
Marley (2015); Krinsky-Robb draws as in Krinsky and Robb (1986).

References
----------
Krinsky, I. and Robb, A. L. (1986). On approximating the statistical properties of
elasticities. Review of Economics and Statistics 68(4), 715-719.
Louviere, J. J., Flynn, T. N. and Marley, A. A. J. (2015). Best-Worst Scaling: Theory,
Methods and Applications. Cambridge University Press.
Marley, A. A. J. and Louviere, J. J. (2005). Some probabilistic models of best, worst, and
best-worst choices. Journal of Mathematical Psychology 49(6), 464-480.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from dce.analysis.importance import COLUMNS, Importance, coefficient_draws, ranks


def shares(V: np.ndarray) -> np.ndarray:
    """Shares of preference for utility rows V (draws x items).

    Parameters
    ----------
    V : ndarray (I,) or (R, I)
        Item utilities.

    Returns
    -------
    ndarray (R, I)
        ``exp(v_i) / sum_j exp(v_j)`` per row (``R = 1`` for a single vector).
    """
    V = np.atleast_2d(V)
    e = np.exp(V - V.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def utility_draws(result, n_items: int, n: int, rng) -> np.ndarray:
    """Krinsky-Robb draws of the item utilities (draws x items).

    Parameters
    ----------
    result : dce.models.items.ItemFit
        The fit; its free parameters are drawn (the reference stays 0).
    n_items : int
        Number of items.
    n : int
        Draws.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray (n, n_items)
    """
    free = result.free
    B = coefficient_draws(result.params[free], result.vcov[np.ix_(free, free)], n, rng)
    return result.item_draws(B, n_items)


def rank(result, items, *, utilities: np.ndarray, intervals="krinsky-robb",
         level=0.95) -> Importance:
    """Importance table of one fitted group from utility draws (draws x items).

    Parameters
    ----------
    result : dce.models.items.ItemFit
        The fit; ``params[:I]`` are the item utilities.
    items : sequence
        The I items, with ``name``.
    utilities : ndarray (R, I)
        Utility draws (Krinsky-Robb, :func:`utility_draws`, or bootstrap).
    intervals : str
        ``"delta"``: Wald intervals with ``ds_i/dv_j = s_i (1[i = j] - s_j)``; else
        percentiles of the share draws.
    level : float
        Confidence level.

    Returns
    -------
    dce.analysis.importance.Importance
        Shares of preference in ``importance``, with the item in ``attribute``.
    """
    n_items = len(items)
    point = shares(result.params[:n_items])[0]
    S = shares(utilities)
    alpha = 1 - level
    if intervals == "delta":
        free = result.free[result.free < n_items]
        J = (np.diag(point) - np.outer(point, point))[:, free]
        V = result.vcov[np.ix_(free, free)]
        se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", J, V, J), 0, None))
        q = special.ndtri(1 - alpha / 2)
        lo, hi = point - q * se, point + q * se
    else:
        lo, hi = np.quantile(S, [alpha / 2, 1 - alpha / 2], axis=0)
    R = ranks(S)
    rlo, rhi = np.quantile(R, [alpha / 2, 1 - alpha / 2], axis=0, method="inverted_cdf")
    table = pd.DataFrame({
        "group": result.group, "attribute": [i.name for i in items], "importance": point,
        "ci_lower": lo, "ci_upper": hi, "rank": ranks(point[None, :])[0],
        "prob_rank_1": (R == 1).mean(axis=0), "prob_top_3": (R <= 3).mean(axis=0),
        "rank_ci_lower": rlo.astype(int), "rank_ci_upper": rhi.astype(int),
    }, columns=COLUMNS)
    return Importance(table, {result.group: S}, tuple(items))


def relative_utilities(fits, names: list, anchor: str, reference: str, draws: dict,
                       level=0.95):
    """Item utilities relative to the anchor item's, ``v_i / v_anchor`` (the reference item
    is 0 in every group, so this is ``(v_i - v_ref) / (v_anchor - v_ref)``): a ratio of
    utility differences in which each group's scale cancels, so groups can be compared on
    it (Louviere, Flynn and Marley 2015, Best-Worst Scaling, ch. 5, on scale in group
    comparisons). Intervals are percentiles of the ratio over the utility draws (draws x
    items) behind the importance intervals. The anchor (1) and the reference item (0) are
    left out.

    Parameters
    ----------
    fits : sequence of dce.models.items.ItemFit
        One per group.
    names : list of str (I,)
        Items, in utility order.
    anchor, reference : str
        The anchor item (ratio 1) and the reference item (utility 0); they must differ.
    draws : dict of str to ndarray (R, >= I)
        Utility draws of each group.
    level : float
        Level of the percentile intervals.

    Returns
    -------
    dce.analysis.wtp.Tradeoffs
        The trade-off table's columns (``term`` = item, ``denominator`` = anchor) and the
        ratio draws per group, (R, I - 2).
    """
    from dce.analysis.wtp import COLUMNS as TRADE_COLUMNS
    from dce.analysis.wtp import Tradeoffs

    k = names.index(anchor)
    a = (1 - level) / 2
    frames, out = [], {}
    for r in fits:
        v = r.params[: len(names)]
        D = draws[r.group][:, : len(names)]
        ratio = D / D[:, [k]]
        lo, hi = np.quantile(ratio, [a, 1 - a], axis=0)
        frames.append(pd.DataFrame({
            "group": r.group, "term": names, "denominator": anchor, "estimate": v / v[k],
            "ci_lower": lo, "ci_upper": hi, "kr_ci_lower": lo, "kr_ci_upper": hi,
            "outside_tested_range": False}, columns=TRADE_COLUMNS))
        out[r.group] = ratio
    table = pd.concat(frames, ignore_index=True)
    keep = ~table["term"].isin([anchor, reference])  # 1 and 0 by definition
    cols = [i for i, n in enumerate(names) if n not in (anchor, reference)]
    return Tradeoffs(table[keep].reset_index(drop=True),
                     {g: d[:, cols] for g, d in out.items()})


# ----- counts ---------------------------------------------------------------------------------
BW_COLUMNS = ["group", "item", "label", "n_respondents", "shown", "best", "worst",
              "best_minus_worst", "bw_score", "sqrt_ratio", "rank"]
RANK_COLUMNS = ["group", "item", "label", "n_respondents", "shown", "ranked", "first",
                "last", "mean_position", "rank"]


def bw_counts(responses: pd.DataFrame, items) -> pd.DataFrame:
    """Best, worst and best-minus-worst counts per group (and pooled, ``all``).

    Parameters
    ----------
    responses : pandas.DataFrame
        Item rows: ``group``, ``respondent``, ``item``, ``best``, ``worst``.
    items : sequence
        Items with ``name`` and ``label``.

    Returns
    -------
    pandas.DataFrame
        :data:`BW_COLUMNS`; ``bw_score`` NaN for items never shown, ``sqrt_ratio`` NaN for
        items never chosen worst; ``rank`` by ``bw_score`` (1 = highest). Per group only
        when there are several groups.
    """
    frames = []
    for g, part in _groups(responses):
        shown = part.groupby("item").size()
        best = part.groupby("item")["best"].sum()
        worst = part.groupby("item")["worst"].sum()
        rows = []
        for it in items:
            n, b, w = int(shown.get(it.name, 0)), int(best.get(it.name, 0)), \
                int(worst.get(it.name, 0))
            rows.append({"group": g, "item": it.name, "label": it.label,
                         "n_respondents": int(part["respondent"].nunique()), "shown": n,
                         "best": b, "worst": w, "best_minus_worst": b - w,
                         "bw_score": (b - w) / n if n else np.nan,
                         "sqrt_ratio": np.sqrt(b / w) if w else np.nan})
        f = pd.DataFrame(rows)
        f["rank"] = ranks(f["bw_score"].fillna(-np.inf).to_numpy()[None, :])[0]
        frames.append(f)
    return pd.concat(frames, ignore_index=True)[BW_COLUMNS]


def rank_counts(responses: pd.DataFrame, items) -> pd.DataFrame:
    """Times ranked first and last and the mean position per group (and pooled).

    An item counts as last when ranked at the set size, or when it is the one item left
    unranked by a ranking of all the others.

    Parameters
    ----------
    responses : pandas.DataFrame
        Item rows: ``group``, ``respondent``, ``block``, ``task``, ``item``, ``rank``.
    items : sequence
        Items with ``name`` and ``label``.

    Returns
    -------
    pandas.DataFrame
        :data:`RANK_COLUMNS`; ``rank`` by ``mean_position`` (1 = lowest mean position).
    """
    df = responses.copy()
    keys = ["respondent", "block", "task"]
    g = df.groupby(keys, sort=False)
    size = g["item"].transform("size")
    m = g["rank"].transform("count")
    # unranked items of a partial ranking share positions m+1..size
    df["position"] = df["rank"].fillna((m + 1 + size) / 2)
    df["first"] = (df["rank"] == 1).astype(int)
    df["last"] = ((df["rank"] == size) | ((m == size - 1) & df["rank"].isna())).astype(int)
    frames = []
    for grp, part in _groups(df):
        by = part.groupby("item")
        rows = []
        for it in items:
            shown = int(by.size().get(it.name, 0))
            rows.append({"group": grp, "item": it.name, "label": it.label,
                         "n_respondents": int(part["respondent"].nunique()), "shown": shown,
                         "ranked": int(by["rank"].count().get(it.name, 0)),
                         "first": int(by["first"].sum().get(it.name, 0)),
                         "last": int(by["last"].sum().get(it.name, 0)),
                         "mean_position": float(by["position"].mean().get(it.name, np.nan))})
        f = pd.DataFrame(rows)
        f["rank"] = ranks(-f["mean_position"].fillna(np.inf).to_numpy()[None, :])[0]
        frames.append(f)
    return pd.concat(frames, ignore_index=True)[RANK_COLUMNS]


def _groups(df):
    names = list(dict.fromkeys(df["group"].astype(str)))
    parts = [(g, df[df["group"].astype(str) == g]) for g in names] if len(names) > 1 else []
    return parts + [("all", df)]
