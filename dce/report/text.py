"""Sentences and table cells derived from the numbers (never hard-coded).

Every function takes the run's tables (as read back from the CSV files) and returns plain
strings, so report.html and report.md say the same thing and a change in the numbers
changes the words.
"""

from __future__ import annotations

import math

import pandas as pd

from dce.report.labels import POOLED, Labels


# ----- number formats -----------------------------------------------------------------
def ordinal(n: int) -> str:
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def pct(x, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage number without the sign: 0.2641 -> '26.4'."""
    return "n/a" if _missing(x) else f"{100 * float(x):.{digits}f}"


def num(x, digits: int = 2) -> str:
    return "n/a" if _missing(x) else f"{float(x):.{digits}f}"


def p_text(p) -> str:
    """'p < 0.001' or 'p = 0.012'."""
    if _missing(p):
        return "p n/a"
    p = float(p)
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def level_pct(level: float) -> str:
    return f"{round(100 * float(level))}%"


def _missing(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x)
    except (TypeError, ValueError):
        return False


def and_list(items: list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ----- importance ---------------------------------------------------------------------
def attribute_order(imp: pd.DataFrame) -> list[str]:
    """Attributes by the pooled ranking (or the first group's), then the others."""
    groups = list(dict.fromkeys(imp["group"]))
    ref = POOLED if POOLED in groups else groups[0]
    part = imp[imp["group"] == ref].sort_values(["rank", "attribute"])
    order = list(part["attribute"])
    return order + [a for a in dict.fromkeys(imp["attribute"]) if a not in order]


def ranking_cell(row) -> str:
    """'1 (26.4%, 22.6 to 30.2)': rank (share, interval)."""
    return (f"{int(row['rank'])} ({pct(row['importance'])}%, {pct(row['ci_lower'])} to "
            f"{pct(row['ci_upper'])})")


def ranking_matrix(imp: pd.DataFrame, labels: Labels, groups: list) -> list[dict]:
    """Rows of the ranking table: one per attribute (pooled order), one cell per group."""
    rows = []
    for attr in attribute_order(imp):
        cells = []
        for g in groups:
            r = imp[(imp["group"] == g) & (imp["attribute"] == attr)]
            if r.empty:
                cells.append({"text": "", "share": 0.0, "rank": None, "shade": "0",
                              "detail": ""})
                continue
            r = r.iloc[0]
            cells.append({"text": ranking_cell(r), "share": float(r["importance"]),
                          "rank": int(r["rank"]),
                          "detail": ranking_cell(r).split(" ", 1)[1],
                          "shade": f"{min(0.45, 0.04 + 1.2 * float(r['importance'])):.3f}"})
        rows.append({"attribute": attr, "label": labels.attribute(attr), "cells": cells})
    return rows


def top_attributes(imp: pd.DataFrame, group, k: int = 3) -> list[str]:
    part = imp[imp["group"] == group].sort_values(["rank", "attribute"])
    return list(part["attribute"].head(k))


def headline(imp: pd.DataFrame, labels: Labels) -> list[str]:
    """Key findings: what every group puts first, and each group's top three."""
    groups = [g for g in dict.fromkeys(imp["group"]) if g != POOLED] or [POOLED]
    out = []
    tops = {g: top_attributes(imp, g, 2) for g in groups}
    first = tops[groups[0]]
    if len(groups) > 1 and len(first) == 2 and all(set(t) == set(first) for t in tops.values()):
        what = "items" if labels.is_items else "attributes"
        out.append(f"Every group puts the same two {what} first: "
                   f"{labels.attribute_lower(first[0])} and {labels.attribute_lower(first[1])}.")
    for g in groups:
        part = imp[imp["group"] == g].sort_values(["rank", "attribute"]).head(3)
        items = [f"{labels.attribute_lower(r['attribute'])} ({pct(r['importance'])}%)"
                 for _, r in part.iterrows()]
        out.append(f"{labels.group(g)}: {and_list(items)}.")
    return out


# ----- group comparison ---------------------------------------------------------------
def _excludes_zero(r) -> bool:
    return (not _missing(r["ci_lower"]) and not _missing(r["ci_upper"])
            and (float(r["ci_lower"]) > 0 or float(r["ci_upper"]) < 0))


def difference_sentence(r, labels: Labels, level: float) -> str:
    """One importance_difference row of comparison.csv as a sentence."""
    a, b = labels.group_lower(r["group_a"]), labels.group_lower(r["group_b"])
    attr = labels.attribute_lower(r["attribute"])
    numbers = (f"share {pct(r['value_a'])}% against {pct(r['value_b'])}%, difference in "
               f"share {pct(r['estimate'])} points, {level_pct(level)} interval "
               f"{pct(r['ci_lower'])} to {pct(r['ci_upper'])}; "
               + (f"Holm-adjusted {p_text(r['p_holm'])}" if not _missing(r.get("p_holm"))
                  else p_text(r.get("p_value"))))
    if int(r["rank_a"]) != int(r["rank_b"]):
        return (f"{capital(attr)} is ranked {ordinal(r['rank_a'])} by {a} and "
                f"{ordinal(r['rank_b'])} by {b} ({numbers}).")
    more = a if float(r["estimate"]) > 0 else b
    return (f"{capital(a)} and {b} both rank {attr} {ordinal(r['rank_a'])}, but it carries "
            f"more weight for {more} ({numbers}).")


def comparison_sentences(comparison: pd.DataFrame | None, labels: Labels,
                         level: float) -> list[dict]:
    """Per pair of groups: a title; ``sentences`` on the differences in importance whose
    interval excludes zero and whose Holm-adjusted p-value is below 1 - level (largest
    first); ``weaker`` on those whose interval excludes zero but whose adjusted p-value does
    not; ``tests`` on the agreement of the rankings and the Swait-Louviere tests."""
    if comparison is None or comparison.empty:
        return []
    out = []
    alpha = 1 - float(level)
    for (ga, gb), part in comparison.groupby(["group_a", "group_b"], sort=False):
        sentences, weaker = [], []
        diffs = part[part["test"] == "importance_difference"].copy()
        diffs["size"] = diffs["estimate"].abs()
        for _, r in diffs.sort_values("size", ascending=False, kind="stable").iterrows():
            if not _excludes_zero(r):
                continue
            p_adj = r.get("p_holm")
            p_adj = r.get("p_value") if _missing(p_adj) else p_adj
            clear = not _missing(p_adj) and float(p_adj) < alpha
            (sentences if clear else weaker).append(difference_sentence(r, labels, level))
        if not sentences and not diffs.empty:
            sentences.append(f"No attribute's share differs clearly between "
                             f"{labels.group_lower(ga)} and {labels.group_lower(gb)} "
                             "after adjusting for multiple comparisons.")
        tests = []
        sp = part[part["test"] == "spearman_rank_correlation"]
        if not sp.empty:
            s = sp.iloc[0]
            est = float(s["estimate"])
            how = "closely" if est >= 0.8 else "moderately" if est >= 0.5 else "weakly"
            tests.append(
                f"The two rankings agree {how} (Spearman correlation {num(est)}, "
                f"{level_pct(level)} interval {num(s['ci_lower'])} to {num(s['ci_upper'])}).")
        tests += scale_sentences(part, labels, level)
        out.append({"title": f"{labels.group(ga)} and {labels.group_lower(gb)}",
                    "sentences": sentences, "weaker": weaker, "tests": tests})
    return out


def scale_sentences(part: pd.DataFrame, labels: Labels, level: float) -> list[str]:
    """The Swait-Louviere tests of one pair as sentences."""
    sc = part[part["test"] == "swait_louviere_scale"]
    pr = part[part["test"] == "swait_louviere_preferences"]
    if sc.empty or pr.empty:
        return []
    s, p = sc.iloc[0], pr.iloc[0]
    a, b = labels.group_lower(s["group_a"]), labels.group_lower(s["group_b"])
    rel = float(s["estimate"])
    noisier = b if rel < 1 else a
    text = (f"Allowing for a difference in scale (relative scale of {b} to {a} {num(rel)}, "
            f"{level_pct(level)} interval {num(s['ci_lower'])} to {num(s['ci_upper'])}; "
            f"equal scale {p_text(s['p_value'])}")
    alpha = 1 - level
    if not _missing(s["p_value"]) and float(s["p_value"]) < alpha:
        text += f": the choices of {noisier} are less consistent)"
    else:
        text += ")"
    if not _missing(p["p_value"]) and float(p["p_value"]) < alpha:
        text += (f", their preferences still differ (likelihood-ratio statistic "
                 f"{num(p['estimate'], 1)} on {int(p['df'])} df, {p_text(p['p_value'])}).")
    else:
        text += (f", their preferences do not differ detectably (likelihood-ratio statistic "
                 f"{num(p['estimate'], 1)} on {int(p['df'])} df, {p_text(p['p_value'])}).")
    return [text]


def scale_rows(comparison: pd.DataFrame | None, labels: Labels) -> list[dict]:
    """The Swait-Louviere results of each pair as table cells."""
    if comparison is None or comparison.empty:
        return []
    rows = []
    for (ga, gb), part in comparison.groupby(["group_a", "group_b"], sort=False):
        sc = part[part["test"] == "swait_louviere_scale"]
        pr = part[part["test"] == "swait_louviere_preferences"]
        sp = part[part["test"] == "spearman_rank_correlation"]
        kd = part[part["test"] == "kendall_rank_correlation"]
        if sc.empty and sp.empty:
            continue
        row = {"pair": f"{labels.group(ga)} / {labels.group_lower(gb)}"}
        if not sc.empty:
            s = sc.iloc[0]
            row["scale"] = f"{num(s['estimate'])} ({num(s['ci_lower'])} to {num(s['ci_upper'])})"
            row["p_scale"] = p_text(s["p_value"]).removeprefix("p ")
        if not pr.empty:
            p = pr.iloc[0]
            row["lr"] = f"{num(p['estimate'], 1)} ({int(p['df'])} df)"
            row["p_preferences"] = p_text(p["p_value"]).removeprefix("p ")
        if not sp.empty:
            row["spearman"] = num(sp.iloc[0]["estimate"])
        if not kd.empty:
            row["kendall"] = num(kd.iloc[0]["estimate"])
        rows.append(row)
    return rows


# ----- trade-offs and uptake ----------------------------------------------------------
def tradeoff_table(trade: pd.DataFrame | None, labels: Labels, groups: list,
                   cfg: dict) -> dict | None:
    """Trade-offs as term rows x group cells, with the extrapolations marked."""
    if trade is None or trade.empty:
        return None
    denom = str(trade["denominator"].iloc[0])
    levels = labels.levels.get(denom)
    span = None
    if levels:
        values = [float(v) for v in levels]
        span = (min(values), max(values))
    rows = []
    for term in dict.fromkeys(trade["term"]):
        cells = []
        for g in groups:
            r = trade[(trade["group"] == g) & (trade["term"] == term)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            flag = str(r.get("outside_tested_range")).lower() == "true"
            cells.append(f"{num(r['estimate'], 1)} ({num(r['ci_lower'], 1)} to "
                         f"{num(r['ci_upper'], 1)}){' †' if flag else ''}")
        rows.append({"label": labels.term_text(term), "cells": cells})
    flagged = trade[trade["outside_tested_range"].astype(str).str.lower() == "true"]
    note = ""
    if not flagged.empty:
        where = ("beyond the tested range of " + labels.attribute_lower(denom)
                 + (f" ({num(span[0], 0)} to {num(span[1], 0)}, a span of "
                    f"{num(span[1] - span[0], 0)})" if span else ""))
        note = (f"† {len(flagged)} of {len(trade)} values lie {where}: they are "
                "extrapolations and should be read with care.")
    return {"denominator": denom, "denominator_label": labels.attribute(denom),
            "rows": rows, "note": note}


def tradeoff_sentences(trade: pd.DataFrame | None, labels: Labels, level: float) -> list[str]:
    """For each group, the largest trade-off value in words."""
    if trade is None or trade.empty:
        return []
    out = []
    unit = unit_phrase(labels.attribute(str(trade["denominator"].iloc[0])))
    for g in dict.fromkeys(trade["group"]):
        if g == POOLED and trade["group"].nunique() > 1:
            continue
        part = trade[(trade["group"] == g) & (trade["estimate"] > 0)]
        if part.empty:
            continue
        r = part.sort_values("estimate", ascending=False, kind="stable").iloc[0]
        flag = str(r["outside_tested_range"]).lower() == "true"
        out.append(f"For {labels.group_lower(g)}, the most valued change is "
                   f"{labels.term_text_lower(r['term'])}, worth {num(r['estimate'], 1)} "
                   f"{unit} ({level_pct(level)} interval {num(r['ci_lower'], 1)} to "
                   f"{num(r['ci_upper'], 1)})" + (", an extrapolation beyond the tested range."
                                                  if flag else "."))
    return out


def unit_phrase(label: str) -> str:
    """'Time until you can start (weeks)' -> 'weeks of time until you can start';
    without a unit in brackets: 'units of <label>'."""
    import re

    m = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", str(label))
    if m and m.group(1):
        name = m.group(1)
        name = name if name[:2].isupper() else name[:1].lower() + name[1:]
        return f"{m.group(2)} of {name}"
    name = str(label)
    return f"units of {name if name[:2].isupper() else name[:1].lower() + name[1:]}"


def uptake_table(uptake: pd.DataFrame | None, labels: Labels, groups: list) -> list[dict]:
    if uptake is None or uptake.empty:
        return []
    rows = []
    for sc in dict.fromkeys(uptake["scenario"]):
        cells = []
        for g in groups:
            r = uptake[(uptake["group"] == g) & (uptake["scenario"] == sc)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            cells.append(f"{pct(r['share'])}% ({pct(r['ci_lower'])} to {pct(r['ci_upper'])})")
        name = str(sc)
        if name == "(opt out)":
            name = f"Neither / opt out ({labels.opt_out})" if labels.opt_out else "Opt out"
        rows.append({"label": name, "cells": cells})
    return rows


# ----- data quality -------------------------------------------------------------------
CHECK_TEXT = {
    "same_position": "Always chose the same position (e.g. always the first option)",
    "always_opt_out": "Always chose the opt-out",
    "never_traded": "Never traded: always chose the better level of one attribute",
    "chose_dominated": "Chose a dominated alternative in a dominance task",
    "inconsistent_repeat": "Answered a repeated task differently",
    "failed": "Failed at least one check",
}


def quality_table(dq: dict | None, labels: Labels) -> dict | None:
    """Counts per group of each check, with 'not assessed' where the design has no such
    task."""
    if not dq:
        return None
    groups = list(dq["groups"])
    cols = [labels.group(g) for g in groups] + ["Total"]
    parts = [dq["groups"][g] for g in groups] + [dq["total"]]

    def cells(key, base="respondents"):
        out = []
        for c in parts:
            n, d = c[key], c[base]
            out.append(f"{n} ({100 * n / d:.1f}%)" if d else "0")
        return out

    rows = [{"label": "Respondents", "cells": [str(c["respondents"]) for c in parts],
             "fails": False}]
    for key in ("same_position", "always_opt_out", "never_traded"):
        rows.append({"label": CHECK_TEXT[key], "cells": cells(key),
                     "fails": key in dq["checks_that_fail"]})
    total = dq["total"]
    if total["with_dominated_task"]:
        rows.append({"label": "Saw a dominance task", "cells": cells("with_dominated_task"),
                     "fails": False})
        rows.append({"label": CHECK_TEXT["chose_dominated"],
                     "cells": cells("chose_dominated", "with_dominated_task"), "fails": True})
    if total["with_repeated_task"]:
        rows.append({"label": "Saw a repeated task", "cells": cells("with_repeated_task"),
                     "fails": False})
        rows.append({"label": CHECK_TEXT["inconsistent_repeat"],
                     "cells": cells("inconsistent_repeat", "with_repeated_task"),
                     "fails": True})
    rows.append({"label": CHECK_TEXT["failed"], "cells": cells("failed"), "fails": False})
    return {"columns": cols, "rows": rows, "notes": quality_notes(dq, labels)}


def quality_notes(dq: dict, labels: Labels) -> list[str]:
    total = dq["total"]
    out = []
    n, fail = total["respondents"], total["failed"]
    out.append(f"{fail} of {n} respondents ({100 * fail / n:.1f}%) failed at least one check "
               "that counts as a failure (same position, dominance, repeated task)."
               if n else "No respondents.")
    if not total["with_dominated_task"]:
        out.append("Dominance: not assessed. " + (
            "No task in the design has an alternative that is better on at least two "
            "attributes and worse on none." if dq.get("dominance_order") else
            "No a priori order of levels was given (data.preference_order or design "
            "priors), so no task can be called a dominance task."))
    else:
        source = {"data.preference_order": "the order given in data.preference_order",
                  "design.priors": "the signs of the design priors"}.get(
            dq.get("dominance_order"), "the a priori order")
        out.append(f"Dominance tasks are judged by {source}: one alternative is better on at "
                   "least two attributes and worse on none.")
    if not total["with_repeated_task"]:
        out.append("Repeated task: not assessed (no respondent saw the same choice set twice).")
    by_attr = total.get("never_traded_by_attribute") or {}
    top = sorted(((k, v) for k, v in by_attr.items() if v), key=lambda kv: (-kv[1], kv[0]))
    if top:
        items = [f"{labels.attribute_lower(k)} ({v})" for k, v in top[:3]]
        out.append(f"Non-trading was most common on {and_list(items)}. A strong preference is "
                   "a legitimate answer, so non-traders are reported, never excluded.")
    if dq.get("exclude_failed_checks"):
        out.append(f"data.exclude_failed_checks is on: the {dq['excluded']} respondents who "
                   "failed a check were left out of the models; results with every respondent "
                   "are shown for comparison.")
    else:
        out.append("Every respondent is included in the models (data.exclude_failed_checks "
                   "is off).")
    return out


def exclusion_sentences(imp: pd.DataFrame, imp_all: pd.DataFrame | None, labels: Labels,
                        dq: dict | None) -> list[str]:
    """How the ranking changes when the respondents who failed a check are excluded."""
    if imp_all is None or imp_all.empty:
        return []
    out = []
    n = dq.get("excluded") if dq else None
    who = f"the {n} respondents who failed a check" if n is not None else "failed respondents"
    for g in dict.fromkeys(imp["group"]):
        a = imp[imp["group"] == g].set_index("attribute")["rank"]
        b = imp_all[imp_all["group"] == g].set_index("attribute")["rank"]
        moved = [k for k in a.index if k in b.index and int(a[k]) != int(b[k])]
        if not moved:
            out.append(f"{labels.group(g)}: excluding {who} leaves the ranking unchanged.")
        else:
            items = [f"{labels.attribute_lower(k)} from {ordinal(b[k])} to {ordinal(a[k])}"
                     for k in moved]
            out.append(f"{labels.group(g)}: excluding {who} moves {and_list(items)}.")
    return out


# ----- methods ------------------------------------------------------------------------
def methods_paragraph(cfg: dict, models: pd.DataFrame | None, version: str = "") -> str:
    """A paragraph for a paper's methods section, from the resolved config."""
    m, imp = cfg.get("model") or {}, cfg.get("importance") or {}
    kind = m.get("type", "conditional_logit")
    if cfg.get("type") in ("best-worst", "ranking"):
        return _items_methods(cfg, models, version)
    attrs = cfg.get("attributes") or {}
    by_coding: dict = {}
    for name, a in attrs.items():
        a = a or {}
        coding = a.get("coding") or ("effects" if a.get("levels") is not None else "linear")
        by_coding.setdefault(coding, []).append(a.get("label") or name)
    coding_words = {"effects": "effects coding", "dummy": "dummy coding",
                    "linear": "a linear term (one coefficient per unit)"}
    codings = "; ".join(f"{coding_words[c]} for {len(v)} attribute{'s' if len(v) > 1 else ''}"
                        for c, v in by_coding.items())
    se = {"cluster": "cluster-robust by respondent (sandwich estimator with a G/(G-1) "
                     "small-sample correction)",
          "robust": "robust (sandwich over choice sets)",
          "classic": "classic (inverse of the information matrix)"}.get(m.get("se"), m.get("se"))
    if kind == "mixed_logit":
        model = (f"a panel mixed logit model ({'correlated' if m.get('correlated') else 'independent'}"
                 f" random terms; {m.get('draws')} {str(m.get('draw_type', '')).capitalize()} "
                 "draws per respondent)")
        estimation = "simulated maximum likelihood"
    else:
        model = "a conditional (multinomial) logit model"
        estimation = "maximum likelihood"
    groups = ("one model per respondent group plus a pooled model of all respondents"
              if m.get("by") else "one model of all respondents")
    intervals = {"krinsky-robb": f"Krinsky-Robb simulation ({imp.get('draws')} draws from the "
                                 "asymptotic distribution of the estimates)",
                 "delta": "the delta method (rank probabilities from "
                          f"{imp.get('draws')} Krinsky-Robb draws)",
                 "bootstrap": f"a respondent bootstrap ({imp.get('draws')} replicates)"}
    level = level_pct(imp.get("level", 0.95))
    n_text = ""
    if models is not None and not models.empty:
        pooled = models[models["group"] == POOLED]
        row = pooled.iloc[0] if not pooled.empty else models.iloc[0]
        n_text = (f" The analysis used {int(row['n_respondents'])} respondents and "
                  f"{int(row['n_choice_sets'])} choice sets.")
    design = cfg.get("design") or {}
    design_text = ""
    if design.get("method"):
        blocks = design.get("blocks") or 1
        design_text = (f" The design ({design['method']}) had {design.get('tasks')} tasks per "
                       f"block in {blocks} block{'s' if blocks != 1 else ''}, "
                       f"{design.get('alternatives')} alternatives per task"
                       + (f" plus an opt-out ('{design['opt_out']}')" if design.get("opt_out")
                          else "") + ".")
    data = cfg.get("data") or {}
    quality = (" Respondents who always chose the same position, chose a dominated "
               "alternative or answered a repeated task inconsistently were excluded; "
               "results with every respondent are reported alongside."
               if data.get("exclude_failed_checks") else "")
    return (f"Choices were analysed with {model}, estimated by {estimation} "
            f"({m.get('engine', 'native')} engine of dce{(' ' + version) if version else ''}), "
            f"{groups}.{design_text}{n_text} Attributes entered with {codings}. Standard "
            f"errors are {se}. Attribute importance is the range of each attribute's "
            f"part-worth utilities as a share of the sum of ranges; {level} intervals and "
            f"rank probabilities come from {intervals.get(imp.get('intervals'), '')}, "
            f"random seed {cfg.get('seed')}. Groups were compared on importance shares, which "
            "do not depend on each group's error scale (differences with Monte Carlo p-values, "
            "Holm-adjusted across comparisons; Spearman and Kendall rank correlations), and "
            "with the Swait-Louviere likelihood-ratio tests of equal preferences allowing for "
            f"a difference in scale.{quality}")


def _items_methods(cfg: dict, models: pd.DataFrame | None, version: str) -> str:
    """Methods paragraph of a best-worst (object case) or ranking study."""
    m, imp = cfg.get("model") or {}, cfg.get("importance") or {}
    n_items = len(cfg.get("items") or {})
    if cfg.get("type") == "best-worst":
        model = ("a sequential best-worst logit (best chosen from the set, then worst from "
                 "the rest)" if m.get("bw_model", "sequential") == "sequential" else
                 "a maxdiff logit (best and worst chosen as a pair)")
        if m.get("worst_scale") == "estimate":
            model += " with the scale of worst choices estimated"
    else:
        model = "a rank-ordered (exploded) logit" + (
            f" on the first {m['top_k']} ranks" if m.get("top_k") else "")
    groups = ("one model per respondent group plus a pooled model of all respondents"
              if m.get("by") else "one model of all respondents")
    intervals = {"krinsky-robb": f"Krinsky-Robb simulation ({imp.get('draws')} draws)",
                 "delta": "the delta method",
                 "bootstrap": f"a respondent bootstrap ({imp.get('draws')} replicates)"}
    se = {"cluster": "cluster-robust by respondent", "robust": "robust (sandwich)",
          "classic": "classic (inverse information)"}.get(m.get("se"), m.get("se"))
    return (f"Choices of {n_items} items were analysed with {model}, estimated by maximum "
            f"likelihood (dce{(' ' + version) if version else ''}), {groups}; the utility of "
            f"the reference item is fixed at zero. Standard errors are {se}. The importance of "
            "an item is its share of preference, exp(v_i) / sum_j exp(v_j), the probability "
            "that it would be chosen best from the full list; "
            f"{level_pct(imp.get('level', 0.95))} intervals and rank probabilities come from "
            f"{intervals.get(imp.get('intervals'), '')}, random seed {cfg.get('seed')}. Groups "
            "were compared on shares of preference (differences with Monte Carlo p-values, "
            "Holm-adjusted; Spearman and Kendall rank correlations).")
