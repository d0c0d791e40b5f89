"""Compare groups' attribute importance (scale-free) pair by pair.

For each pair and attribute: the difference in importance share with a percentile
interval and a two-sided Monte Carlo p-value from independent draws of the two groups;
for each pair: Spearman's correlation of the two rankings with an interval from the
same draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from dce.importance import ranks

COLUMNS = ["group_a", "group_b", "test", "attribute", "value_a", "value_b", "estimate",
           "ci_lower", "ci_upper", "p_value", "rank_a", "rank_b"]


@dataclass(frozen=True)
class Comparison:
    table: pd.DataFrame
    draws: dict = field(default_factory=dict, repr=False)


def pairs_of(groups, requested="all") -> list[tuple[str, str]]:
    if requested == "all":
        return list(combinations(groups, 2))
    return [tuple(p) for p in requested]


def mc_p_value(d: np.ndarray) -> float:
    """Two-sided Monte Carlo p-value for 'difference is zero' from draws ``d``."""
    n = len(d)
    below = (np.sum(d <= 0) + 1) / (n + 1)
    above = (np.sum(d >= 0) + 1) / (n + 1)
    return float(min(1.0, 2 * min(below, above)))


def groups(importance, pairs, level=0.95) -> Comparison:
    """Pairwise comparisons of groups' importance shares."""
    t = importance.table
    alpha = 1 - level
    rows = []
    for a, b in pairs:
        ta = t[t["group"] == a].set_index("attribute")
        tb = t[t["group"] == b].set_index("attribute")
        Da, Db = importance.draws[a], importance.draws[b]
        n = min(len(Da), len(Db))
        diff = Da[:n] - Db[:n]
        for i, attr in enumerate(ta.index):
            lo, hi = np.quantile(diff[:, i], [alpha / 2, 1 - alpha / 2])
            rows.append({
                "group_a": a, "group_b": b, "test": "importance_difference", "attribute": attr,
                "value_a": ta.loc[attr, "importance"], "value_b": tb.loc[attr, "importance"],
                "estimate": ta.loc[attr, "importance"] - tb.loc[attr, "importance"],
                "ci_lower": lo, "ci_upper": hi, "p_value": mc_p_value(diff[:, i]),
                "rank_a": int(ta.loc[attr, "rank"]), "rank_b": int(tb.loc[attr, "rank"]),
            })
        rho = _spearman(ta["importance"].to_numpy(), tb["importance"].to_numpy())
        rho_draws = _spearman_rows(ranks(Da[:n]), ranks(Db[:n]))
        lo, hi = np.quantile(rho_draws, [alpha / 2, 1 - alpha / 2])
        k = len(ta)
        p = float(stats.spearmanr(ta["importance"], tb["importance"]).pvalue) if k > 2 else 1.0
        rows.append({"group_a": a, "group_b": b, "test": "spearman_rank_correlation",
                     "attribute": "", "value_a": np.nan, "value_b": np.nan, "estimate": rho,
                     "ci_lower": lo, "ci_upper": hi, "p_value": p, "rank_a": pd.NA,
                     "rank_b": pd.NA})
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["rank_a"] = table["rank_a"].astype("Int64")
    table["rank_b"] = table["rank_b"].astype("Int64")
    return Comparison(table)


def _spearman(x, y) -> float:
    return float(_spearman_rows(ranks(x[None, :]), ranks(y[None, :]))[0])


def _spearman_rows(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Spearman's rho between matching rows of two rank matrices (no ties)."""
    k = ra.shape[1]
    if k < 2:
        return np.ones(ra.shape[0])
    d2 = ((ra - rb) ** 2).sum(axis=1)
    return 1 - 6 * d2 / (k * (k * k - 1))
