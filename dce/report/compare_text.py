"""Sentences comparing groups, each from a documented rule (docs/report.md, "Rules").

Only scale-free quantities carry claims about groups:
- **weight** (rule W): a trade-off (marginal rate of substitution against the numeraire)
  or, in item studies, a utility relative to the anchor item, whose Poe test is below
  1 - level after Holm's adjustment within its family and whose unadjusted interval of the
  difference excludes zero;
- **rank** (rule R): an attribute ranks higher in one group when the two groups' rank
  intervals do not overlap;
- **scale** (rule S): the relative scale is interpreted only when step 1 of the
  Swait-Louviere sequence (cluster-robust test of proportional coefficients) does not
  reject; a group's choices are called less consistent only when the Holm-adjusted scale
  test rejects;
- **agreement** (rule A): the Spearman correlation of the point rankings, descriptive.
Importance-share differences are never turned into claims: shares are within-group
summaries (range shares are compositional; item shares depend on scale).
"""

from __future__ import annotations

import pandas as pd

from dce.report.labels import POOLED, Labels
from dce.report.text import (
    and_list,
    capital,
    level_pct,
    missing,
    num,
    ordinal,
    p_cell,
    p_text,
)

RULES = ("W", "R", "S", "A")


def _p_adj(r):
    p = r.get("p_holm")
    return r.get("p_value") if missing(p) else p


def _excludes_zero(r) -> bool:
    return (not missing(r["ci_lower"]) and not missing(r["ci_upper"])
            and (float(r["ci_lower"]) > 0 or float(r["ci_upper"]) < 0))


def poe_p_text(r, adjusted: bool = True) -> str:
    """'Holm-adjusted p < 0.001' or, when the p-value is at the resolution of the draws,
    the bound ('p < 5e-07')."""
    note = str(r.get("note") or "")
    if not adjusted and "resolution" in note:
        return note[note.index("(") + 1: note.rindex(")")]
    return ("Holm-adjusted " if adjusted else "") + p_text(_p_adj(r) if adjusted
                                                         else r.get("p_value"))


# ----- rule W: weight relative to a numeraire ------------------------------------------
def nz(x, digits: int) -> str:
    """A number with enough decimals that a non-zero value never prints as 0 or -0."""
    x = float(x)
    for d in range(digits, digits + 4):
        if round(abs(x), d) > 0 or x == 0:
            return f"{x:.{d}f}"
    return f"{x:.{digits + 3}f}"


def weight_sentence(r, labels: Labels, level: float, unit: dict,
                    certain: bool = True, flagged: frozenset = frozenset()) -> str:
    """One poe_tradeoff_difference / relative_utility_difference row as a sentence; the
    numbers follow the order in which the sentence names the groups. ``certain=False``
    (rule W-) gives the hedged wording."""
    ga, gb = r["group_a"], r["group_b"]
    va, vb = float(r["value_a"]), float(r["value_b"])
    flip = abs(vb) > abs(va)
    g1, g2 = (gb, ga) if flip else (ga, gb)
    v1, v2 = (vb, va) if flip else (va, vb)
    lo, hi = float(r["ci_lower"]), float(r["ci_upper"])
    diff, lo, hi = ((-float(r["estimate"]), -hi, -lo) if flip
                    else (float(r["estimate"]), lo, hi))
    d = unit["digits"]
    what = unit["change"](r["attribute"])
    numbers = (f"{unit['fmt'](v1)} against {unit['fmt'](v2)}{unit['suffix']}; difference "
               f"{nz(diff, d)}, {level_pct(level)} interval {nz(lo, d)} to {nz(hi, d)} "
               f"(unadjusted); Poe test, {poe_p_text(r)}")
    out = [labels.group_lower(g) for g in (g1, g2) if (g, r["attribute"]) in flagged]
    if out:
        numbers += (f"; the value{'s' if len(out) > 1 else ''} for {' and '.join(out)} "
                    f"{'are extrapolations' if len(out) > 1 else 'is an extrapolation'} "
                    "beyond the tested range")
    a, b = labels.group_lower(g1), labels.group_lower(g2)
    if v1 * v2 < 0:
        return (f"{capital(what)} is valued in opposite directions by {a} and {b}, "
                f"relative to {unit['numeraire']} ({numbers}).")
    verb = ("is avoided more strongly by" if v1 < 0 else "carries more weight for")
    tail = "" if certain else (" before adjustment for multiple comparisons, but not "
                               "after")
    return (f"Relative to {unit['numeraire']}, {what} {verb} {a} than "
            f"{'by' if v1 < 0 else 'for'} {b}{tail} ({numbers}).")


def _units(labels: Labels, trade: pd.DataFrame | None, items: bool) -> dict | None:
    if trade is None or trade.empty:
        return None
    denom = str(trade["denominator"].iloc[0])
    if items:
        return {"numeraire": f"{labels.attribute_lower(denom)} (the anchor item)",
                "change": labels.attribute_lower, "digits": 2,
                "fmt": lambda v: num(v, 2),
                "suffix": " (relative utility: anchor item 1, reference item 0)"}
    name, unit = labels.name_and_unit(denom)
    return {"numeraire": name, "change": labels.change_text_lower,
            "digits": 1, "fmt": lambda v: num(v, 1), "suffix": f" {unit}"}


# ----- rule R: ranks ---------------------------------------------------------------------
def rank_sentences(imp: pd.DataFrame, ga, gb, labels: Labels, level: float) -> list[str]:
    """Attributes whose rank intervals in the two groups do not overlap."""
    ta = imp[imp["group"] == ga].set_index("attribute")
    tb = imp[imp["group"] == gb].set_index("attribute")
    out = []
    for attr in ta.index:
        if attr not in tb.index:
            continue
        ra, rb = ta.loc[attr], tb.loc[attr]
        apart = (int(ra["rank_ci_upper"]) < int(rb["rank_ci_lower"])
                 or int(rb["rank_ci_upper"]) < int(ra["rank_ci_lower"]))
        if not apart:
            continue
        hi, lo = (ga, gb) if int(ra["rank"]) < int(rb["rank"]) else (gb, ga)
        rh, rl = (ra, rb) if hi == ga else (rb, ra)
        out.append(f"{capital(labels.attribute_lower(attr))} is placed higher in the "
                   f"ordering of {labels.group_lower(hi)} ({ordinal(rh['rank'])}; "
                   f"{level_pct(level)} rank interval {_span(rh)}) than in that of "
                   f"{labels.group_lower(lo)} ({ordinal(rl['rank'])}; {_span(rl)}).")
    return out


def _span(r) -> str:
    return f"{ordinal(r['rank_ci_lower'])} to {ordinal(r['rank_ci_upper'])}"


# ----- rule S: scale -----------------------------------------------------------------------
def scale_sentences(part: pd.DataFrame, labels: Labels, level: float) -> list[str]:
    """The two Swait-Louviere steps of one pair, said only as far as they are identified."""
    pr = part[part["test"] == "swait_louviere_preferences"]
    sc = part[part["test"] == "swait_louviere_scale"]
    if pr.empty:
        return []
    p, alpha = pr.iloc[0], 1 - float(level)
    a, b = labels.group_lower(p["group_a"]), labels.group_lower(p["group_b"])
    stat = (f"cluster-robust Wald statistic {num(p['estimate'], 1)} on {int(p['df'])} df, "
            f"unadjusted {p_text(p['p_value'])}")
    note = str(p.get("note") or "")
    if "coefficients of " in note:  # compare.group_specific: say what was left free
        free = note.split("coefficients of ", 1)[1].split(" group-specific")[0]
        names = [labels.attribute_lower(n.strip()) for n in free.split(",")]
        stat += (f"; {' and '.join(names)} allowed to differ between the groups, so the "
                 "test covers the other attributes")
    if float(p["p_value"]) < alpha:
        return [f"Preferences differ between {a} and {b} beyond a difference in scale "
                f"(test of proportional coefficients: {stat}). Scale and preferences "
                "cannot be told apart for this pair, so nothing is said about which "
                "group chooses more consistently."]
    out = [f"No difference in preferences beyond scale is detected between {a} and {b} "
           f"(test of proportional coefficients: {stat}); this does not show that their "
           "preferences are equal."]
    if sc.empty or missing(sc.iloc[0]["estimate"]):
        return out
    s = sc.iloc[0]
    rel = float(s["estimate"])
    numbers = (f"relative scale of {b} to {a} {num(rel)}, {level_pct(level)} interval "
               f"{num(s['ci_lower'])} to {num(s['ci_upper'])} (unadjusted); equal scale "
               f"{poe_p_text(s)}")
    if float(_p_adj(s)) < alpha:
        noisier = b if rel < 1 else a
        out.append(f"The choices of {noisier} are less consistent (more random) "
                   f"than those of {a if noisier == b else b} ({numbers}); a smaller scale "
                   "can also reflect more variation in preferences among the group's "
                   "respondents, which a conditional logit cannot tell apart from "
                   "randomness.")
    else:
        out.append(f"No difference in the consistency of choices is detected ({numbers}).")
    return out


# ----- rule A: agreement of the rankings -----------------------------------------------
def agreement_sentence(part: pd.DataFrame, n_attr: int, what: str) -> list[str]:
    """Rule A: how closely the two point rankings agree (Spearman, descriptive)."""
    sp = part[part["test"] == "spearman_rank_correlation"]
    if sp.empty:
        return []
    est = round(float(sp.iloc[0]["estimate"]), 2)
    how = "closely" if est >= 0.8 else "moderately" if est >= 0.5 else "weakly"
    return [f"The two point rankings agree {how} (Spearman correlation {num(est)} over "
            f"{n_attr} {what}; a description of the estimates, without an interval)."]


# ----- one pair ------------------------------------------------------------------------------
def comparison_sentences(comparison: pd.DataFrame | None, imp: pd.DataFrame | None,
                         trade: pd.DataFrame | None, labels: Labels,
                         level: float) -> list[dict]:
    """Per pair of groups: ``title``; ``weight`` (rule W, Holm-adjusted); ``weaker``
    (rule W's interval excludes zero but the adjusted p-value does not pass);
    ``ranks`` (rule R); ``scale`` (rule S); ``agreement`` (rule A); ``none`` when no
    difference passes rule W or R."""
    if comparison is None or comparison.empty:
        return []
    alpha = 1 - float(level)
    unit = _units(labels, trade, labels.is_items)
    flagged = frozenset()
    if trade is not None and not trade.empty:
        out_of = trade["outside_tested_range"].astype(str).str.lower() == "true"
        flagged = frozenset(zip(trade.loc[out_of, "group"], trade.loc[out_of, "term"]))
    n_attr = imp["attribute"].nunique() if imp is not None else 0
    what = "items" if labels.is_items else "attributes"
    out = []
    for (ga, gb), part in comparison.groupby(["group_a", "group_b"], sort=False):
        weight, weaker = [], []
        rows = part[part["test"].isin(["poe_tradeoff_difference",
                                        "relative_utility_difference"])].copy()
        rows["size"] = rows["estimate"].abs()
        for _, r in rows.sort_values("size", ascending=False, kind="stable").iterrows():
            if unit is None or not _excludes_zero(r):
                continue
            clear = float(_p_adj(r)) < alpha
            (weight if clear else weaker).append(weight_sentence(
                r, labels, level, unit, certain=clear, flagged=flagged))
        ranks = rank_sentences(imp, ga, gb, labels, level) if imp is not None else []
        none = ""
        if not weight and not ranks:
            none = (f"No {what[:-1]} differs clearly between {labels.group_lower(ga)} and "
                    f"{labels.group_lower(gb)} in rank"
                    + (" or in value relative to " + unit["numeraire"] if unit else "")
                    + " after allowing for uncertainty.")
        out.append({"title": f"{labels.group(ga)} and {labels.group_lower(gb)}",
                    "weight": weight, "weaker": weaker, "ranks": ranks, "none": none,
                    "scale": scale_sentences(part, labels, level),
                    "agreement": agreement_sentence(part, n_attr, what)})
    return out


def left_out_sentence(separated: list, groups: list, labels: Labels) -> str:
    """The sentence naming the groups left out of the comparison because their fit is
    separated, and why; "" when none is (or there are fewer than two groups).

    Parameters
    ----------
    separated : list
        Group codes whose fit is separated (the pooled model among them is ignored).
    groups : list
        Every group code of the run (the pooled model's too).
    labels : dce.report.labels.Labels

    Returns
    -------
    str
    """
    fitted = [g for g in groups if g != POOLED]
    out = [g for g in separated if g in fitted]
    if len(fitted) < 2 or not out:
        return ""
    names = and_list([labels.group_lower(g) for g in out])
    many = len(out) > 1
    return (f"{capital(names)} {'are' if many else 'is'} left out of the group comparison "
            f"because {'their data are' if many else 'its data are'} separated (the "
            "likelihood has no maximum, see Warnings): the estimates, shares and ranks "
            "behind any difference would not be finite in truth.")


def comparison_intro(labels: Labels, trade: pd.DataFrame | None, level: float) -> list[str]:
    """What the comparison section claims, and on what basis."""
    lv = level_pct(level)
    out = []
    if trade is not None and not trade.empty:
        denom = str(trade["denominator"].iloc[0])
        if labels.is_items:
            out.append(
                f"Groups are compared on scale-free quantities: each item's utility "
                f"relative to {labels.attribute_lower(denom)} (the anchor item; both "
                "measured from the reference item, so each group's scale cancels) and the "
                "ranks. Shares of preference depend on how consistently a group chooses "
                "(its scale), so they are summaries within a group and are not compared.")
        else:
            name = labels.name_and_unit(denom)[0]
            out.append(
                f"Groups are compared on scale-free quantities: the value of each change "
                f"in {labels.unit_of(denom)} (a trade-off, or marginal rate of substitution) and "
                "the ranks. A difference in every value in the same direction can also "
                f"come from a difference in the weight of {name} itself. Importance shares "
                "are summaries "
                "within a group: they are compositional (one share rises when another "
                "falls), so a difference in one share is not read as a difference in "
                "that attribute's weight.")
    else:
        out.append("Groups are compared on ranks; no numeraire (tradeoffs.denominator or a "
                   "cost attribute) was given, so no scale-free value is compared. "
                   "Importance shares are summaries within a group and are not compared.")
    out.append(f"Weight: Poe tests, Holm-adjusted across all pairs and terms, with {lv} "
               "intervals of the difference (unadjusted). Ranks: an attribute's place in "
               "each group's own ordering, said to differ when the two groups' "
               f"{lv} rank intervals do not overlap (a descriptive criterion, not adjusted "
               "for multiple comparisons). A place can change because another attribute's "
               "weight changed, so a rank difference alone is not a difference in that "
               "attribute's weight. The rules are listed in docs/report.md.")
    return out


def scale_rows(comparison: pd.DataFrame | None, labels: Labels) -> list[dict]:
    """The Swait-Louviere steps and rank correlations of each pair as table cells."""
    if comparison is None or comparison.empty:
        return []
    rows = []
    for (ga, gb), part in comparison.groupby(["group_a", "group_b"], sort=False):
        pr = part[part["test"] == "swait_louviere_preferences"]
        sc = part[part["test"] == "swait_louviere_scale"]
        sp = part[part["test"] == "spearman_rank_correlation"]
        kd = part[part["test"] == "kendall_rank_correlation"]
        row = {"pair": f"{labels.group(ga)} / {labels.group_lower(gb)}", "wald": "",
               "p_preferences": "", "scale": "", "p_scale": "", "spearman": "",
               "kendall": ""}
        if not pr.empty:
            p = pr.iloc[0]
            row["wald"] = f"{num(p['estimate'], 1)} ({int(p['df'])} df)"
            row["p_preferences"] = p_cell(p["p_value"])
        if not sc.empty:
            s = sc.iloc[0]
            if missing(s["estimate"]):
                row["scale"] = "not identified (preferences differ)"
            else:
                row["scale"] = (f"{num(s['estimate'])} ({num(s['ci_lower'])} to "
                                f"{num(s['ci_upper'])})")
                row["p_scale"] = p_cell(_p_adj(s))
        if not sp.empty:
            row["spearman"] = num(sp.iloc[0]["estimate"])
        if not kd.empty:
            row["kendall"] = num(kd.iloc[0]["estimate"])
        rows.append(row)
    return rows
