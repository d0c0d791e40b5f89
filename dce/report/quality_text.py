"""Data-quality sentences and table cells of the report, derived from data_summary.json.

Rule C (repeated tasks against the model's chance inconsistency) is documented in
docs/report.md.
"""

from __future__ import annotations

import pandas as pd

from dce.report.labels import Labels
from dce.report.text import and_list, ordinal

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


def repeat_sentence(total: dict, chance: dict, alpha: float = 0.05) -> str:
    """Rule C: the observed share of inconsistent repeats against the model's chance share.

    Parameters
    ----------
    total : dict
        ``with_repeated_task`` and ``inconsistent_repeat`` counts (data_summary.json).
    chance : dict
        :func:`dce.analysis.consistency.chance_inconsistency` (``total``, ``model``).
    alpha : float
        One-sided level of the binomial test of "more than chance".

    Returns
    -------
    str
        The observed and expected shares, and whether the observed count is above chance
        (one-sided exact binomial test at ``alpha``, the expected share as the null).
    """
    from scipy.stats import binomtest

    n, k, e = total["with_repeated_task"], total["inconsistent_repeat"], chance["total"]
    p = binomtest(k, n, min(max(e, 0.0), 1.0), alternative="greater").pvalue
    text = (f"{k} of the {n} respondents who saw a repeated task ({100 * k / n:.1f}%) "
            f"answered it differently; the fitted {chance['model']}, in which the second "
            f"answer has no memory of the first, expects {100 * e:.1f}% to do so by chance "
            "alone (fewer if preferences vary between respondents). ")
    if p < alpha:
        return text + (f"The observed share is above chance (one-sided binomial p "
                       f"{'< 0.001' if p < 0.001 else f'= {p:.3f}'}), which suggests that "
                       "some respondents did not pay attention.")
    return text + (f"The observed share is not significantly above chance (one-sided "
                   f"binomial p = {p:.3f}), so a different answer to a repeated task is not, "
                   "on its own, a sign of inattention here.")


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
    if total["with_repeated_task"] and dq.get("chance_inconsistent_repeat"):
        # next to the failure count, which a repeat answered differently by chance inflates
        out.append(repeat_sentence(total, dq["chance_inconsistent_repeat"]))
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
            ("No task has an alternative that is better on at least two attributes and "
             "worse on none under the order given, so any task the design marks as a "
             "dominance task (task_type in design.csv) is not dominant under it; check the "
             "order (data.preference_order) against those tasks."
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
        The ``data_quality`` entry of data_summary.json: each group's ``failed`` count
        (``groups``), the ``excluded`` total for the pooled model.

    Returns
    -------
    list of str
        Per group of ``imp``: unchanged, or which attributes move from their rank with
        everyone to their rank without that group's excluded respondents; [] without
        ``imp_all``.
    """
    if imp_all is None or imp_all.empty:
        return []
    out = []
    for g in dict.fromkeys(imp["group"]):
        n = _excluded_in(dq, g)
        who = (f"the {n} respondents who failed a check" if n is not None
               else "failed respondents")
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


def _excluded_in(dq: dict | None, group: str) -> int | None:
    """Respondents of ``group`` left out for failing a check (the total for the pooled
    model, or for a group the summary does not list); None when unknown."""
    if not dq:
        return None
    counts = (dq.get("groups") or {}).get(group)
    if group != "all" and isinstance(counts, dict) and "failed" in counts:
        return int(counts["failed"])
    return dq.get("excluded")
