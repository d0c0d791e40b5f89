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


# ----- separated fits -------------------------------------------------------------------
NOT_ESTIMABLE = "not estimable: separated"


def is_separated(row) -> bool:
    """Whether a row of importance.csv, tradeoffs.csv, relative_utilities.csv or
    uptake.csv belongs to a group whose fit is separated (its ``separated`` cell, read
    back as ``True`` or ``"true"``; False without the column).

    Parameters
    ----------
    row : pandas.Series or dict

    Returns
    -------
    bool
    """
    return str(row.get("separated", "")).lower() == "true"


def separated_groups(table: pd.DataFrame | None) -> list:
    """The groups of a table marked ``separated`` (every row of a separated group is
    marked, see docs/reliability.md), in order of appearance.

    Parameters
    ----------
    table : pandas.DataFrame or None
        A table with ``group`` and, when some fit is separated, ``separated``.

    Returns
    -------
    list
        [] without the table or the column.
    """
    if table is None or table.empty or "separated" not in table:
        return []
    marked = table["separated"].astype(str).str.lower() == "true"
    return list(dict.fromkeys(table.loc[marked, "group"]))


def estimable(table: pd.DataFrame | None) -> pd.DataFrame | None:
    """``table`` without the rows of groups whose fit is separated (None stays None)."""
    if table is None:
        return None
    return table[~table["group"].isin(separated_groups(table))]


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
        In :func:`attribute_order` (of the groups not separated, when there are any):
        ``attribute``, ``label`` and ``cells``, per group ``text`` (:func:`ranking_cell`),
        ``share``, ``rank``, ``detail`` (text after the rank) and ``shade`` (opacity
        0.04 + 1.2 x share, at most 0.45); empty where a group lacks it; a group whose fit
        is separated has :data:`NOT_ESTIMABLE` as ``text`` and ``detail`` and no rank.
    """
    def cell(r):
        if is_separated(r):  # shares of a separated fit mean nothing: no rank, no shade
            return {"text": NOT_ESTIMABLE, "share": 0.0, "rank": None,
                    "detail": NOT_ESTIMABLE, "shade": "0"}
        return {"text": ranking_cell(r), "share": float(r["importance"]),
                "rank": int(r["rank"]), "detail": ranking_cell(r).split(" ", 1)[1],
                "shade": f"{min(0.45, 0.04 + 1.2 * float(r['importance'])):.3f}"}

    empty = {"text": "", "share": 0.0, "rank": None, "shade": "0", "detail": ""}
    return [{"attribute": attr, "label": labels.attribute(attr), "cells": cells}
            for attr, cells in group_cells(imp, "attribute", attribute_order(ordered(imp)),
                                           groups, cell, empty)]


def ordered(imp: pd.DataFrame) -> pd.DataFrame:
    """The rows that set the order of attributes: those of groups not separated (all
    rows when every group is)."""
    ok = estimable(imp)
    return imp if ok.empty else ok


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
        when there are no groups). A group whose fit is separated gets no ranking: its
        sentence says that its ranking is not estimable, and it takes no part in the
        first sentence.
    """
    groups = [g for g in dict.fromkeys(imp["group"]) if g != POOLED] or [POOLED]
    out = []
    separated = set(separated_groups(imp))
    tops = {g: top_attributes(imp, g, 2) for g in groups if g not in separated}
    first = next(iter(tops.values()), [])
    if len(tops) > 1 and len(first) == 2 and all(set(t) == set(first) for t in tops.values()):
        what = "items" if labels.is_items else "attributes"
        out.append(f"Every group puts the same two {what} first: "
                   f"{labels.attribute_lower(first[0])} and {labels.attribute_lower(first[1])}.")
    what = "items" if labels.is_items else "attributes"
    for g in groups:
        if g in separated:
            out.append(f"{labels.group(g)}: the ranking of the {what} is not estimable, "
                       "because the data of this group are separated (the likelihood has "
                       "no maximum; see Warnings).")
            continue
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
        if is_separated(r):
            return NOT_ESTIMABLE
        flag = str(r.get("outside_tested_range")).lower() == "true"
        return (f"{num(r['estimate'], 1)} ({num(r['ci_lower'], 1)} to "
                f"{num(r['ci_upper'], 1)}){' †' if flag else ''}")

    for term, cells in group_cells(trade, "term", dict.fromkeys(trade["term"]), groups, cell):
        rows.append({"label": labels.change_text(term), "cells": cells})
    counted = estimable(trade)
    flagged = counted[counted["outside_tested_range"].astype(str).str.lower() == "true"]
    trade = counted
    note = ""
    if not flagged.empty:
        where = ("beyond the tested range of " + labels.attribute_lower(denom)
                 + (f" ({num(span[0], 0)} to {num(span[1], 0)}, a span of "
                    f"{num(span[1] - span[0], 0)})" if span else ""))
        note = (f"† {len(flagged)} of {len(trade)} values (estimate or interval) reach "
                f"{where}: they are extrapolations of a linear term and should be read with "
                "care.")
    name, unit = labels.name_and_unit(denom)  # the templates write "in units of <label>"
    label = name if unit == f"units of {name}" else f"{unit} of {name}"
    return {"denominator": denom, "denominator_label": label,
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
        interval, flagged when it extrapolates; when that interval includes zero the
        sentence says so instead of calling it the most valued change; groups without a positive value are skipped,
        and the pooled model when there are groups, and groups whose fit is separated.
    """
    if trade is None or trade.empty:
        return []
    separated = set(separated_groups(trade))
    out = []
    unit = labels.name_and_unit(str(trade["denominator"].iloc[0]))[1]
    for g in dict.fromkeys(trade["group"]):
        if (g == POOLED and trade["group"].nunique() > 1) or g in separated:
            continue
        part = trade[(trade["group"] == g) & (trade["estimate"] > 0)]
        if part.empty:
            continue
        r = part.sort_values("estimate", ascending=False, kind="stable").iloc[0]
        flag = str(r["outside_tested_range"]).lower() == "true"
        if not r["ci_lower"] > 0:  # the largest value is not told apart from no value
            out.append(f"For {labels.group_lower(g)}, the largest estimated value is of "
                       f"{labels.change_text_lower(r['term'])}, {num(r['estimate'], 1)} "
                       f"{unit}, but its {level_pct(level)} interval ({num(r['ci_lower'], 1)} "
                       f"to {num(r['ci_upper'], 1)}) includes zero: the data do not show "
                       "that it is valued at all" + (
                           "; it is also an extrapolation beyond the tested range."
                           if flag else "."))
            continue
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
        if is_separated(r):
            return NOT_ESTIMABLE
        return f"{pct(r['share'])}% ({pct(r['ci_lower'])} to {pct(r['ci_upper'])})"

    for sc, cells in group_cells(uptake, "scenario", dict.fromkeys(uptake["scenario"]), groups,
                                 cell):
        name = str(sc)
        if name == "(opt out)":
            name = f"Neither / opt out ({labels.opt_out})" if labels.opt_out else "Opt out"
        rows.append({"label": name, "cells": cells})
    return rows
