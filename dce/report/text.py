"""Sentences and table cells derived from the numbers (never hard-coded)."""

from __future__ import annotations

import pandas as pd


def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def ranking_matrix(imp: pd.DataFrame, labels: dict, groups: list) -> list[dict]:
    rows = []
    for attr in dict.fromkeys(imp["attribute"]):
        cells = []
        for g in groups:
            r = imp[(imp["group"] == g) & (imp["attribute"] == attr)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            cells.append(f"{int(r['rank'])} ({100 * r['importance']:.1f}%, "
                         f"{100 * r['ci_lower']:.1f} to {100 * r['ci_upper']:.1f})")
        rows.append({"attribute": attr, "label": labels.get(attr, attr), "cells": cells})
    return rows


def sentences(imp, comparison, labels, level) -> list[str]:
    out = []
    for g in dict.fromkeys(imp["group"]):
        part = imp[imp["group"] == g].sort_values("rank")
        top = [labels.get(a, a) for a in part["attribute"].head(2)]
        if len(top) == 2:
            out.append(f"{g}: the most important attributes are {top[0].lower()} "
                       f"({ordinal(1)}) and {top[1].lower()} ({ordinal(2)}).")
    if comparison is None or comparison.empty:
        return out
    diffs = comparison[comparison["test"] == "importance_difference"]
    pct = round(level * 100)
    for _, r in diffs.iterrows():
        if r["rank_a"] == r["rank_b"] or r["p_value"] >= 1 - level:
            continue
        out.append(
            f"{r['group_a']} rank {labels.get(r['attribute'], r['attribute']).lower()} "
            f"{ordinal(r['rank_a'])}; {r['group_b']} rank it {ordinal(r['rank_b'])} "
            f"(difference in share {100 * r['estimate']:.0f} points, {pct}% interval "
            f"{100 * r['ci_lower']:.0f} to {100 * r['ci_upper']:.0f}).")
    return out


def methods_paragraph(cfg: dict, models: pd.DataFrame) -> str:
    m, imp = cfg["model"], cfg["importance"]
    codings = sorted({(a or {}).get("coding") or "effects"
                      for a in (cfg.get("attributes") or {}).values()})
    se = {"cluster": "cluster-robust by respondent (sandwich with G/(G-1) correction)",
          "robust": "robust (sandwich over choice sets)",
          "classic": "classic (inverse information)"}[m["se"]]
    groups = "one model per respondent group plus a pooled model" if m.get("by") else \
        "one pooled model"
    intervals = {"krinsky-robb": f"Krinsky-Robb simulation ({imp['draws']} draws)",
                 "delta": "the delta method", "bootstrap": "a respondent bootstrap"}
    return (f"Choices were analysed with a conditional logit model ({m['engine']} engine in "
            f"dce), {groups}. Attributes were coded with {' and '.join(codings)} coding. "
            f"Standard errors are {se}. Attribute importance is the range of each attribute's "
            f"part-worths as a share of the sum of ranges; {round(imp['level'] * 100)}% "
            f"intervals and rank probabilities come from {intervals[imp['intervals']]}, "
            f"seed {cfg['seed']}.")
