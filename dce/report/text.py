"""Sentences and table cells derived from the numbers (never hard-coded).

Every function takes the run's tables (as read back from the CSV files) and returns plain
strings, so report.html and report.md say the same thing and a change in the numbers
changes the words.
"""

from __future__ import annotations

import copy
import math

import pandas as pd

from dce.report.labels import POOLED, Labels


# ----- number formats -----------------------------------------------------------------
def ordinal(n: int) -> str:
    """An English ordinal: 1 -> '1st', 12 -> '12th', 23 -> '23rd'.

    Parameters
    ----------
    n : int
        A rank; ``int()`` is applied first (a float rank read from a CSV file works).

    Returns
    -------
    str
    """
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def pct(x, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage number without the sign: 0.2641 -> '26.4'.

    Parameters
    ----------
    x : float or None
        The share; 'n/a' when missing (see :func:`missing`).
    digits : int, optional
        Decimals of the percentage.

    Returns
    -------
    str
    """
    return "n/a" if missing(x) else f"{100 * float(x):.{digits}f}"


def num(x, digits: int = 2) -> str:
    """A number with ``digits`` decimals: 1.2345 -> '1.23'; 'n/a' when missing.

    Parameters
    ----------
    x : float or None
    digits : int, optional

    Returns
    -------
    str
    """
    return "n/a" if missing(x) else f"{float(x):.{digits}f}"


def p_text(p) -> str:
    """A p-value for a sentence: 'p < 0.001' below 0.001, else 'p = 0.012'; 'p n/a' when missing.

    Parameters
    ----------
    p : float or None

    Returns
    -------
    str
    """
    if missing(p):
        return "p n/a"
    p = float(p)
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def p_cell(p) -> str:
    """A p-value for a table cell: '< 0.001', '0.844' or 'n/a' (:func:`p_text` without 'p = ').

    Parameter and return type as :func:`p_text`.
    """
    return p_text(p).removeprefix("p ").removeprefix("= ")


def level_pct(level: float) -> str:
    """An interval level as a whole percentage: 0.95 -> '95%'.

    Parameters
    ----------
    level : float
        The level in (0, 1), e.g. ``importance.level``.

    Returns
    -------
    str
    """
    return f"{round(100 * float(level))}%"


def missing(x) -> bool:
    """Whether a scalar is missing: None, a NaN of any float type, ``pd.NA`` or ``NaT``.

    Parameters
    ----------
    x : object
        A cell value.

    Returns
    -------
    bool
        False for other scalars and where ``pd.isna`` raises; a list or array (no scalar)
        gets ``pd.isna``'s element-wise array back.
    """
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x)
    except (TypeError, ValueError):
        return False


def and_list(items: list[str]) -> str:
    """Words joined for a sentence: ['a', 'b', 'c'] -> 'a, b and c' (no serial comma).

    Parameters
    ----------
    items : iterable of str

    Returns
    -------
    str
        A single item as is, "" for none.
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def capital(text: str) -> str:
    """``text`` with its first character upper-cased and the rest unchanged ("" stays "").

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return text[:1].upper() + text[1:]


# ----- importance ---------------------------------------------------------------------
def attribute_order(imp: pd.DataFrame) -> list[str]:
    """Attributes (or items) in the order of the report's tables and figures.

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv (columns ``group``, ``attribute``, ``rank``, ...).

    Returns
    -------
    list of str
        By rank in the pooled model (group ``all``), else in the first group, ties by code;
        then the attributes that group lacks, in order of first appearance.
    """
    groups = list(dict.fromkeys(imp["group"]))
    ref = POOLED if POOLED in groups else groups[0]
    part = imp[imp["group"] == ref].sort_values(["rank", "attribute"])
    order = list(part["attribute"])
    return order + [a for a in dict.fromkeys(imp["attribute"]) if a not in order]


def ranking_cell(row) -> str:
    """One ranking-table cell: '1 (26.4%, 22.6 to 30.2)', the rank (share, interval).

    Parameters
    ----------
    row : pandas.Series
        A row of importance.csv (``rank``, ``importance``, ``ci_lower``, ``ci_upper``).

    Returns
    -------
    str
    """
    return (f"{int(row['rank'])} ({pct(row['importance'])}%, {pct(row['ci_lower'])} to "
            f"{pct(row['ci_upper'])})")


def ranking_matrix(imp: pd.DataFrame, labels: Labels, groups: list) -> list[dict]:
    """Rows of the ranking table: one per attribute (pooled order), one cell per group.

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv (``group``, ``attribute``, ``importance``, ``ci_lower``, ``ci_upper``,
        ``rank``).
    labels : dce.report.labels.Labels
    groups : list
        Group codes, one column each.

    Returns
    -------
    list of dict
        In :func:`attribute_order`: ``attribute``, ``label`` and ``cells``, per group
        ``text`` (:func:`ranking_cell`), ``share``, ``rank``, ``detail`` (text after the rank)
        and ``shade`` (opacity 0.04 + 1.2 x share, at most 0.45); empty where a group lacks it.
    """
    def cell(r):
        return {"text": ranking_cell(r), "share": float(r["importance"]),
                "rank": int(r["rank"]), "detail": ranking_cell(r).split(" ", 1)[1],
                "shade": f"{min(0.45, 0.04 + 1.2 * float(r['importance'])):.3f}"}

    empty = {"text": "", "share": 0.0, "rank": None, "shade": "0", "detail": ""}
    return [{"attribute": attr, "label": labels.attribute(attr), "cells": cells}
            for attr, cells in group_cells(imp, "attribute", attribute_order(imp), groups,
                                           cell, empty)]


def group_cells(table: pd.DataFrame, key: str, keys, groups: list, cell, empty=""):
    """A long table (a row per group and key) as rows of cells, one cell per group.

    Parameters
    ----------
    table : pandas.DataFrame
        With a ``group`` column and the column ``key`` (``attribute``, ``term``, ...).
    key : str
    keys : iterable
        The values of ``key``, in the order of the result.
    groups : list
        Group codes, in the order of the cells.
    cell : callable
        ``cell(row)`` of the (first) row of one group and key, a pandas.Series.
    empty : object, optional
        The cell where a group has no such row (a fresh shallow copy each time).

    Returns
    -------
    list of tuple
        ``(key value, cells)`` for each of ``keys``.
    """
    out = []
    for k in keys:
        cells = []
        for g in groups:
            r = table[(table["group"] == g) & (table[key] == k)]
            cells.append(copy.copy(empty) if r.empty else cell(r.iloc[0]))
        out.append((k, cells))
    return out


def top_attributes(imp: pd.DataFrame, group, k: int = 3) -> list[str]:
    """The ``k`` attribute codes a group ranks highest (ties by code; fewer if it has fewer).

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv (``group``, ``attribute``, ``rank``).
    group : str
    k : int, optional

    Returns
    -------
    list of str
    """
    part = imp[imp["group"] == group].sort_values(["rank", "attribute"])
    return list(part["attribute"].head(k))


def headline(imp: pd.DataFrame, labels: Labels) -> list[str]:
    """Key findings: what every group puts first, and each group's top three.

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv (``group``, ``attribute``, ``importance``, ``rank``).
    labels : dce.report.labels.Labels

    Returns
    -------
    list of str
        With two groups or more that share their top two (in either order), a sentence
        saying so; then each group's top three with their shares (the pooled model only
        when there are no groups).
    """
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


# ----- trade-offs and uptake ----------------------------------------------------------
def tradeoff_table(trade: pd.DataFrame | None, labels: Labels, groups: list,
                   cfg: dict) -> dict | None:
    """Trade-offs as term rows x group cells, with the extrapolations marked.

    Parameters
    ----------
    trade : pandas.DataFrame or None
        tradeoffs.csv (``group``, ``term``, ``denominator``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``outside_tested_range`` as ``true``/``false``).
    labels : dce.report.labels.Labels
        Names, and the denominator's listed levels (its tested range, for the note).
    groups : list
        Group codes, one column each.
    cfg : dict
        The resolved config; not used.

    Returns
    -------
    dict or None
        ``denominator``, ``denominator_label`` ('<unit> of <name>'), ``rows`` (``label``,
        ``cells``: 'estimate (lower to upper)', ' †' when outside the tested range) and
        ``note`` (how many values extrapolate, "" when none); None without trade-offs.
    """
    if trade is None or trade.empty:
        return None
    denom = str(trade["denominator"].iloc[0])
    levels = labels.levels.get(denom)
    span = None
    if levels:
        values = [float(v) for v in levels]
        span = (min(values), max(values))
    rows = []

    def cell(r):
        flag = str(r.get("outside_tested_range")).lower() == "true"
        return (f"{num(r['estimate'], 1)} ({num(r['ci_lower'], 1)} to "
                f"{num(r['ci_upper'], 1)}){' †' if flag else ''}")

    for term, cells in group_cells(trade, "term", dict.fromkeys(trade["term"]), groups, cell):
        rows.append({"label": labels.change_text(term), "cells": cells})
    flagged = trade[trade["outside_tested_range"].astype(str).str.lower() == "true"]
    note = ""
    if not flagged.empty:
        where = ("beyond the tested range of " + labels.attribute_lower(denom)
                 + (f" ({num(span[0], 0)} to {num(span[1], 0)}, a span of "
                    f"{num(span[1] - span[0], 0)})" if span else ""))
        note = (f"† {len(flagged)} of {len(trade)} values (estimate or interval) reach "
                f"{where}: they are extrapolations of a linear term and should be read with "
                "care.")
    name, unit = labels.name_and_unit(denom)
    return {"denominator": denom, "denominator_label": f"{unit} of {name}",
            "rows": rows, "note": note}


def tradeoff_sentences(trade: pd.DataFrame | None, labels: Labels, level: float) -> list[str]:
    """For each group, the largest trade-off value in words.

    Parameters
    ----------
    trade : pandas.DataFrame or None
        tradeoffs.csv (``group``, ``term``, ``denominator``, ``estimate``, ``ci_lower``,
        ``ci_upper``, ``outside_tested_range``).
    labels : dce.report.labels.Labels
    level : float
        The interval level, as named.

    Returns
    -------
    list of str
        Per group, the change of largest positive value (the first of equal ones) with its
        interval, flagged when it extrapolates; groups without a positive value are skipped,
        and the pooled model when there are groups.
    """
    if trade is None or trade.empty:
        return []
    out = []
    unit = labels.name_and_unit(str(trade["denominator"].iloc[0]))[1]
    for g in dict.fromkeys(trade["group"]):
        if g == POOLED and trade["group"].nunique() > 1:
            continue
        part = trade[(trade["group"] == g) & (trade["estimate"] > 0)]
        if part.empty:
            continue
        r = part.sort_values("estimate", ascending=False, kind="stable").iloc[0]
        flag = str(r["outside_tested_range"]).lower() == "true"
        out.append(f"For {labels.group_lower(g)}, the most valued change is "
                   f"{labels.change_text_lower(r['term'])}, worth {num(r['estimate'], 1)} "
                   f"{unit} ({level_pct(level)} interval {num(r['ci_lower'], 1)} to "
                   f"{num(r['ci_upper'], 1)})" + (", an extrapolation: the estimate or its "
                                                  "interval reaches beyond the tested range."
                                                  if flag else "."))
    return out




def uptake_table(uptake: pd.DataFrame | None, labels: Labels, groups: list) -> list[dict]:
    """Predicted choice shares as scenario rows x group cells.

    Parameters
    ----------
    uptake : pandas.DataFrame or None
        uptake.csv (``group``, ``scenario``, ``share``, ``ci_lower``, ``ci_upper``).
    labels : dce.report.labels.Labels
        The opt-out's label names the ``(opt out)`` row.
    groups : list
        Group codes, one column each.

    Returns
    -------
    list of dict
        ``label`` and ``cells`` ('share% (lower to upper)', "" where missing); [] without uptake.
    """
    if uptake is None or uptake.empty:
        return []
    rows = []
    def cell(r):
        return f"{pct(r['share'])}% ({pct(r['ci_lower'])} to {pct(r['ci_upper'])})"

    for sc, cells in group_cells(uptake, "scenario", dict.fromkeys(uptake["scenario"]), groups,
                                 cell):
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
    "chose_dominated": "Chose a dominated alternative (% of those who saw a dominance task)",
    "inconsistent_repeat": "Answered a repeated task differently (% of those who saw one)",
    "failed": "Failed at least one check",
}


def quality_table(dq: dict | None, labels: Labels) -> dict | None:
    """The data-quality table: per group and in total, how many respondents each check flags.

    Parameters
    ----------
    dq : dict or None
        The ``data_quality`` entry of data_summary.json (:func:`dce.data.quality.summary`).
    labels : dce.report.labels.Labels

    Returns
    -------
    dict or None
        ``columns`` (groups, Total), ``rows`` (``label``, ``cells`` 'n (x%)', ``fails``:
        a failing check that flags someone, ``counts``: the check counts as a failure) and
        ``notes`` (:func:`quality_notes`). Dominance and repeated-task rows (as shares of
        those who saw such a task) appear only when someone did. None without checks.
    """
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

    total = dq["total"]
    rows = [{"label": "Respondents", "cells": [str(c["respondents"]) for c in parts],
             "fails": False, "counts": False}]
    for key in ("same_position", "always_opt_out", "never_traded"):
        rows.append({"label": CHECK_TEXT[key], "cells": cells(key),
                     "fails": key in dq["checks_that_fail"] and total[key] > 0,
                     "counts": key in dq["checks_that_fail"]})
    for seen, check, label in (("with_dominated_task", "chose_dominated", "Saw a dominance task"),
                               ("with_repeated_task", "inconsistent_repeat",
                                "Saw a repeated task")):
        if total[seen]:  # the check applies only to respondents who saw such a task
            rows.append({"label": label, "cells": cells(seen), "fails": False, "counts": False})
            rows.append({"label": CHECK_TEXT[check], "cells": cells(check, seen),
                         "fails": total[check] > 0, "counts": True})
    rows.append({"label": CHECK_TEXT["failed"], "cells": cells("failed"),
                 "fails": total["failed"] > 0, "counts": False})
    return {"columns": cols, "rows": rows, "notes": quality_notes(dq, labels)}


def quality_notes(dq: dict, labels: Labels) -> list[str]:
    """The sentences under the data-quality table.

    Parameters
    ----------
    dq : dict
        The ``data_quality`` entry of data_summary.json.
    labels : dce.report.labels.Labels

    Returns
    -------
    list of str
        How many failed a check; dominance and repeated tasks (not assessed, and why); the
        attributes most often not traded on, kept as legitimate answers (Lancsar and
        Louviere 2006); whether those who failed were excluded.
    """
    total = dq["total"]
    out = []
    n, fail = total["respondents"], total["failed"]
    out.append(f"{fail} of {n} respondents ({100 * fail / n:.1f}%) failed at least one check "
               "that counts as a failure (same position, dominance, repeated task)."
               if n else "No respondents.")
    marked = (dq.get("validity_tasks") or {}).get("marked", False)
    if marked:
        out.append("The validity tasks are the design's (task_type in design.csv): "
                   "dominance tasks (design.dominance_tasks) and repeated tasks "
                   "(design.repeat_tasks). " + (
                       "They are included in the models (model.include_validity_tasks)."
                       if dq["validity_tasks"].get("in_models") else
                       "They are left out of the models (model.include_validity_tasks is "
                       "off)."))
    if not total["with_dominated_task"]:
        out.append("Dominance: not assessed. " + (
            ("The design has no dominance task (design.dominance_tasks adds them)."
             if marked else "No task in the design has an alternative that is better on "
             "at least two attributes and worse on none.") if dq.get("dominance_order") else
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
        out.append(f"Non-trading was most common on {and_list(items)}. Non-trading also happens by chance "
                   "in a short questionnaire, and a strong preference is "
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
    """How the ranking changes when the respondents who failed a check are excluded.

    Parameters
    ----------
    imp : pandas.DataFrame
        importance.csv, without the excluded respondents (``group``, ``attribute``, ``rank``).
    imp_all : pandas.DataFrame or None
        all_respondents/importance.csv, with every respondent.
    labels : dce.report.labels.Labels
    dq : dict or None
        The ``data_quality`` entry of data_summary.json (its ``excluded`` count).

    Returns
    -------
    list of str
        Per group of ``imp``: unchanged, or which attributes move from their rank with
        everyone to their rank without the excluded; [] without ``imp_all``.
    """
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
