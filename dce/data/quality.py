"""Data-quality checks of choice data, as in health DCE practice (pure functions).

Each respondent is checked for:

* ``same_position``: every choice was the same generic alternative (always "A", always
  the left-hand option), over at least :data:`MIN_TASKS` tasks (straight-lining);
* ``always_opt_out``: every choice was the opt-out (flagged, not a failure: a respondent
  may not want any of the services offered);
* ``never_traded``: on some attribute, in every task where the alternatives differed on
  it (at least :data:`MIN_INFORMATIVE` such tasks), the respondent chose the alternative
  with its better level, whatever the other attributes: a dominant or lexicographic
  preference (for a two-level attribute: always the same level). "Better" follows the a
  priori order where one is given, else the whole sample's choices (of two levels, the one
  chosen more often when the alternatives differed between them). Flagged, not a failure:
  a strong preference is a legitimate answer (Lancsar and Louviere 2006);
* ``chose_dominated``: in a dominance task, the dominated alternative was chosen. A
  dominance task has an alternative that is at least as good as another on every
  attribute and better on at least :data:`MIN_BETTER` of them, by an a priori order of
  levels (``data.preference_order`` or the design priors); attributes without one are
  never used to call a task dominated. Sets differing on one attribute only are not
  counted: choosing the worse level there is a weak preference, not a failed test;
* ``inconsistent_repeat``: two tasks offered the same alternatives (in any order) and
  the respondent chose differently.

When the responses mark their validity tasks (a ``task_type`` column, from a design with
``design.dominance_tasks`` or ``design.repeat_tasks``, see :mod:`dce.design.validity`),
only the tasks marked ``dominance`` are dominance tests and only a task marked ``repeat``
is compared with its original (``repeat_of``; the same profile chosen, whatever its
position). Without marks, both are found from the profiles, as above. ``same_position``
uses the position shown (``shown_alternative``) when the order was randomised.

``failed`` is true for ``same_position``, ``chose_dominated`` or
``inconsistent_repeat``; ``data: {exclude_failed_checks: true}`` refits without them.
Dominance tests and what they can show are reviewed by Tervonen et al. (2018, Value in
Health 21:1192-1197).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.core.attributes import level_key
from dce.design.validity import level_order

MIN_TASKS = 4  # straight-lining needs this many tasks to mean anything
MIN_INFORMATIVE = 6  # non-trading: tasks where the alternatives differ on the attribute
MIN_BETTER = 2  # dominance task: the dominating alternative is better on this many
FAILURES = ("same_position", "chose_dominated", "inconsistent_repeat")
COLUMNS = ["respondent", "group", "tasks", "same_position", "always_opt_out",
           "never_traded", "dominated_tasks", "chose_dominated", "repeated_tasks",
           "inconsistent_repeat", "failed"]


def check(responses: pd.DataFrame, attributes, order: dict | None = None) -> pd.DataFrame:
    """One row per respondent with the checks of the module docstring.

    Parameters
    ----------
    responses : DataFrame (rows, columns)
        Long responses: ``respondent, group, block, task, alternative, chosen,
        <attributes>, is_opt_out`` (``group`` and ``is_opt_out`` optional).
    attributes : sequence of Attribute
    order : dict, optional
        A priori utility of the levels, per attribute: ``{level_key: value}`` or, for a
        numeric attribute, a number (the slope per unit). Attributes not given have no
        known order. Without it no task is a dominance task.

    Returns
    -------
    DataFrame (respondents, len(COLUMNS))
        Columns :data:`COLUMNS`, one row per respondent in order of first appearance;
        ``never_traded`` lists the attributes ``;``-separated.
    """
    order = order or {}
    df = responses.reset_index(drop=True)
    names = [a.name for a in attributes]
    set_id = df.groupby(["respondent", "block", "task"], sort=False).ngroup().to_numpy()
    rows = np.argsort(set_id, kind="stable")
    set_id = set_id[rows]
    is_opt = df["is_opt_out"].to_numpy()[rows].astype(bool) if "is_opt_out" in df else \
        np.zeros(len(rows), bool)
    chosen = df["chosen"].to_numpy()[rows].astype(int)
    alt = df["shown_alternative" if "shown_alternative" in df else "alternative"].to_numpy()[rows]
    kind, rep_key = _marks(df, rows)
    marked = kind is not None
    resp = df["respondent"].to_numpy()[rows]
    codes, utilities = [], []
    for a in attributes:
        c, u = _codes(df[a.name].to_numpy()[rows], a, order.get(a.name))
        codes.append(c)
        utilities.append(u)
    profiles = list(zip(*codes, strict=True)) if codes else [()] * len(rows)
    starts = np.flatnonzero(np.r_[True, set_id[1:] != set_id[:-1]])
    ends = np.r_[starts[1:], len(rows)]

    per: dict = {}
    dom_cache: dict = {}
    pair_n = [{} for _ in names]  # sample: times level a was chosen over level b
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        r = per.setdefault(resp[s], _Respondent(len(names)))
        generic = [i for i in range(s, e) if not is_opt[i]]
        picked = [i for i in range(s, e) if chosen[i] == 1]
        if not picked:
            continue
        c = picked[0]
        r.tasks += 1
        r.alts.add(None if is_opt[c] else int(alt[c]))
        profs = tuple(profiles[i] for i in generic)
        # the design says which tasks are repeats, and of which task; else the profiles do
        key = rep_key[s] if marked else (tuple(sorted(profs)), bool(is_opt[s:e].any()))
        r.repeats.setdefault(key, []).append(None if is_opt[c] else profiles[c])
        if not marked or kind[s] == "dominance":
            if profs not in dom_cache:
                dom_cache[profs] = _dominated(profs, utilities)
            if dom_cache[profs] is not None:  # an opt-out answer is seen, never failed
                r.dominated_tasks += 1
                r.chose_dominated |= not is_opt[c] and generic.index(c) in dom_cache[profs]
        if is_opt[c]:
            continue
        pc = profiles[c]
        trade = not marked or kind[s] == "choice"  # validity tasks say nothing of trading
        for q in range(len(names) if trade else 0):
            others = {p[q] for p in profs} - {pc[q]}
            if others:
                r.informative[q] += 1
                r.edges[q].update((pc[q], o) for o in others)
                for o in others:
                    pair_n[q][(pc[q], o)] = pair_n[q].get((pc[q], o), 0) + 1

    return pd.DataFrame(_respondent_rows(df, per, names, utilities, pair_n), columns=COLUMNS)


def _marks(df, rows) -> tuple:
    """Per row (in ``rows`` order): the task type and (block, task answered again) -- the
    original's task for a repeat; (None, None) when the responses have no marks."""
    if "task_type" not in df:
        return None, None
    kind = df["task_type"].to_numpy()[rows]
    task = np.where(kind == "repeat", df["repeat_of"].to_numpy()[rows],
                    df["task"].to_numpy()[rows]).astype(np.int64)
    return kind, list(zip(df["block"].to_numpy()[rows].tolist(), task.tolist(), strict=True))


def _respondent_rows(df, per: dict, names, utilities, pair_n) -> list[dict]:
    """One row of :data:`COLUMNS` per respondent, from the tallies of :func:`check`."""
    groups = df.groupby("respondent", sort=False)["group"].first() if "group" in df else None
    better = [_preferred(u, n) for u, n in zip(utilities, pair_n, strict=True)]
    out = []
    for rid in pd.unique(df["respondent"]):
        r = per.get(rid, _Respondent(len(names)))
        same = r.tasks >= MIN_TASKS and len(r.alts) == 1 and None not in r.alts
        traded = [n for q, n in enumerate(names)
                  if r.informative[q] >= MIN_INFORMATIVE and _follows(r.edges[q], better[q])]
        n_rep = sum(len(v) - 1 for v in r.repeats.values())
        bad_rep = any(len(set(v)) > 1 for v in r.repeats.values())
        row = {"respondent": rid, "group": groups[rid] if groups is not None else "all",
               "tasks": r.tasks, "same_position": bool(same),
               "always_opt_out": bool(r.tasks >= 2 and r.alts == {None}),
               "never_traded": ";".join(traded), "dominated_tasks": r.dominated_tasks,
               "chose_dominated": r.chose_dominated, "repeated_tasks": n_rep,
               "inconsistent_repeat": bool(bad_rep)}
        row["failed"] = bool(row["same_position"] or row["chose_dominated"] or bad_rep)
        out.append(row)
    return out


class _Respondent:
    __slots__ = ("tasks", "alts", "informative", "edges", "dominated_tasks",
                 "chose_dominated", "repeats")

    def __init__(self, n_attributes: int):
        self.tasks = 0
        self.alts: set = set()
        self.informative = [0] * n_attributes
        self.edges = [set() for _ in range(n_attributes)]
        self.dominated_tasks = 0
        self.chose_dominated = False
        self.repeats: dict = {}


def _codes(values, attribute, order) -> tuple[list, dict | None]:
    """Canonical level key of each cell ("" for opt-out rows) and the a priori utility
    of each key (None: no known order)."""
    uniques, inverse = np.unique(np.asarray(values, dtype=object).astype(str),
                                 return_inverse=True)
    keys = [level_key(u) if u not in ("", "nan", "None") else "" for u in uniques]
    cells = [keys[i] for i in inverse]
    if order is None:
        return cells, None
    if isinstance(order, dict):
        return cells, {k: float(v) for k, v in order.items()}
    slope = float(order)
    util = {}
    for k in set(keys) - {""}:
        try:
            util[k] = slope * float(k)
        except ValueError:
            return cells, None
    return cells, util


def _dominated(profs: tuple, utilities: list) -> set | None:
    """Positions of dominated alternatives in a set of profiles; None if none is."""
    out = set()
    for j, pj in enumerate(profs):
        for k, pk in enumerate(profs):
            if j == k or j in out:
                continue
            better = 0
            ok = True
            for q, u in enumerate(utilities):
                if pj[q] == pk[q]:
                    continue
                if u is None or pj[q] not in u or pk[q] not in u:
                    ok = False
                    break
                if u[pk[q]] < u[pj[q]] - 1e-12:
                    ok = False
                    break
                if u[pk[q]] > u[pj[q]] + 1e-12:
                    better += 1
            if ok and better >= MIN_BETTER:
                out.add(j)
    return out or None


def _preferred(utility: dict | None, pair_n: dict) -> set:
    """Pairs (a, b) of levels where a is the better: by the a priori utility when given,
    else by the sample's choices between the two."""
    if utility is not None:
        return {(a, b) for a in utility for b in utility if utility[a] > utility[b] + 1e-12}
    return {(a, b) for (a, b), n in pair_n.items() if n > pair_n.get((b, a), 0)}


def _follows(edges: set, preferred: set) -> bool:
    """True when every 'chosen over' pair of a respondent chose the better level."""
    return bool(edges) and edges <= preferred


# ----- the order of levels ------------------------------------------------------------
def preference_order(study) -> tuple[dict | None, str | None]:
    """The a priori order of levels used for dominance tasks, and where it came from.

    The same order builds the design's dominance tasks: see
    :func:`dce.design.validity.level_order` (parameters, returns and errors).
    """
    return level_order(study)


# ----- summaries ------------------------------------------------------------------------
def summary(table: pd.DataFrame, attributes=(), order_source: str | None = None,
            exclude: bool = False, validity: dict | None = None) -> dict:
    """Counts per group (and in total) for the report and data_summary.json.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`check`.
    attributes : sequence of Attribute
        For the non-trading counts per attribute.
    order_source : str or None
        Where the dominance order came from (see :func:`preference_order`).
    exclude : bool
        Whether failed respondents are left out of the fit.
    validity : dict, optional
        ``{"marked": bool, "in_models": bool}``: whether the design marked its validity
        tasks, and whether the models include them.

    Returns
    -------
    dict
        Thresholds, ``dominance_order``, ``exclude_failed_checks``, ``excluded``,
        ``validity_tasks`` (``validity``, when marked) and the counts of each check per group
        (``groups``) and in ``total``.
    """
    names = [a.name for a in attributes]

    def counts(part: pd.DataFrame) -> dict:
        traded = part["never_traded"].fillna("").astype(str)
        return {
            "respondents": int(len(part)),
            "same_position": int(part["same_position"].sum()),
            "always_opt_out": int(part["always_opt_out"].sum()),
            "never_traded": int((traded != "").sum()),
            "never_traded_by_attribute": {
                n: int(traded.map(lambda s, n=n: n in s.split(";")).sum()) for n in names},
            "with_dominated_task": int((part["dominated_tasks"] > 0).sum()),
            "chose_dominated": int(part["chose_dominated"].sum()),
            "with_repeated_task": int((part["repeated_tasks"] > 0).sum()),
            "inconsistent_repeat": int(part["inconsistent_repeat"].sum()),
            "failed": int(part["failed"].sum()),
        }

    groups = {str(g): counts(p) for g, p in table.groupby("group", sort=False)}
    total = counts(table)
    out = {
        "checks_that_fail": list(FAILURES),
        "min_tasks_same_position": MIN_TASKS,
        "min_tasks_never_traded": MIN_INFORMATIVE,
        "dominance_order": order_source,
        "exclude_failed_checks": bool(exclude),
        "excluded": int(total["failed"]) if exclude else 0,
        "groups": groups,
        "total": total,
    }
    if validity and validity.get("marked"):  # only then: other runs keep their summary
        out["validity_tasks"] = validity
    return out


def failed_respondents(table: pd.DataFrame) -> set:
    """Respondent ids that failed a check (see :data:`FAILURES`).

    Parameters
    ----------
    table : DataFrame
        The result of :func:`check`.

    Returns
    -------
    set
        Ids as they appear in the ``respondent`` column.
    """
    return set(table.loc[table["failed"], "respondent"])


def as_csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table with booleans as ``true``/``false`` (as in models.csv).

    Parameters
    ----------
    table : DataFrame

    Returns
    -------
    DataFrame
        A copy; bool columns become text, other columns are unchanged.
    """
    out = table.copy()
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "true", False: "false"})
    return out


def assess(study, responses: pd.DataFrame) -> tuple[pd.DataFrame | None, dict | None]:
    """Run the checks for a study: (per-respondent table, summary), or (None, None) for
    studies without attributes (best-worst, ranking).

    Parameters
    ----------
    study : Study
    responses : DataFrame
        Long responses from :func:`dce.data.choices.load` or simulation.

    Returns
    -------
    table : DataFrame or None
        See :func:`check`.
    summary : dict or None
        See :func:`summary`.

    Raises
    ------
    ConfigError
        From :func:`preference_order`.
    """
    if study.spec.type != "dce" or not study.attributes:
        return None, None
    order, source = preference_order(study)
    table = check(responses, study.attributes, order)
    exclude = bool(study.spec.data.exclude_failed_checks) if study.spec.data else False
    marked = "task_type" in responses
    validity = {"marked": marked,
                "in_models": not marked or bool(study.spec.model.include_validity_tasks)}
    return table, summary(table, study.attributes, source, exclude, validity)
