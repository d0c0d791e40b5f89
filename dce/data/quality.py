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

from dce.data import quality_arrays as qa

MIN_TASKS = 4  # straight-lining needs this many tasks to mean anything
MIN_INFORMATIVE = 6  # non-trading: tasks where the alternatives differ on the attribute
MIN_BETTER = 2  # dominance task: the dominating alternative is better on this many
FAILURES = ("same_position", "chose_dominated", "inconsistent_repeat")
COLUMNS = ["respondent", "group", "tasks", "same_position", "always_opt_out",
           "never_traded", "dominated_tasks", "chose_dominated", "repeated_tasks",
           "inconsistent_repeat", "failed"]


def check(responses: pd.DataFrame, attributes, order: dict | None = None) -> pd.DataFrame:
    """One row per respondent with the checks of the module docstring.

    Levels are coded once per attribute and every check is an array operation over the
    sets (:mod:`dce.data.quality_arrays`): time and memory grow linearly with the rows.

    Parameters
    ----------
    responses : DataFrame (rows, columns)
        Long responses: ``respondent, group, block, task, alternative, chosen,
        <attributes>, is_opt_out`` (``group``, ``is_opt_out``, ``shown_alternative``,
        ``task_type`` and ``repeat_of`` optional).
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
    if df.empty:
        return pd.DataFrame([], columns=COLUMNS)
    names = [a.name for a in attributes]
    respondent = qa.respondent_codes(df["respondent"])  # once: the sets and the groups
    sets = qa.choice_sets(df, respondent)
    codes, utilities = [], []
    for a in attributes:
        c, keys = qa.cell_keys(sets.take(df[a.name].to_numpy()))
        codes.append(c)
        utilities.append(qa.key_utilities(keys, order.get(a.name)))
    pid = qa.profile_ids(codes, len(sets.rows))
    kind, rep_key = _marks(df, sets)
    answered, opted = sets.answered, sets.opt_chosen
    # validity tasks: only marked dominance tasks test dominance, only choice tasks trading
    tested = answered if kind is None else answered & (kind == "dominance")
    trading = answered & ~opted & (True if kind is None else kind == "choice")
    dominated = qa.dominated_rows(sets, codes, utilities, tested, MIN_BETTER)
    dominated_set = np.bincount(sets.set_of[dominated], minlength=sets.n_sets) > 0
    chose = dominated_set & ~opted & dominated[np.maximum(sets.chosen_row, 0)]
    # the design says which tasks are repeats, and of which task; else the profiles do
    key = qa.multiset_keys(sets, pid) if kind is None else rep_key
    answer = np.where(opted, -1, pid[np.maximum(sets.chosen_row, 0)])
    repeated, inconsistent = qa.repeat_counts(sets, key, answer)
    shown = df["shown_alternative" if "shown_alternative" in df else "alternative"]
    tasks, opted_n, positions = qa.position_counts(sets, sets.take(shown.to_numpy()))
    traded = qa.never_traded(sets, codes, utilities, trading, MIN_INFORMATIVE)
    same = (tasks >= MIN_TASKS) & (opted_n == 0) & (positions == 1)
    chose_dominated = sets.per_respondent(chose) > 0
    first = qa.first_rows(respondent)  # pandas.unique's values are those rows'
    out = pd.DataFrame({
        "respondent": _inferred(df["respondent"].array[first]),
        "group": _inferred(_groups(df, respondent, first)), "tasks": tasks,
        "same_position": same,
        "always_opt_out": (tasks >= 2) & (opted_n == tasks),
        "never_traded": _inferred(_joined_names(traded, names)),
        "dominated_tasks": sets.per_respondent(dominated_set),
        "chose_dominated": chose_dominated, "repeated_tasks": repeated,
        "inconsistent_repeat": inconsistent,
        "failed": same | chose_dominated | inconsistent}, columns=COLUMNS)
    return out


def _marks(df: pd.DataFrame, sets) -> tuple:
    """Per set: the task type and a code of (block, task answered again) -- the original's
    task for a repeat; (None, None) when the responses have no marks."""
    if "task_type" not in df:
        return None, None
    first = sets.rows[sets.start]
    kind = df["task_type"].to_numpy()[first]
    task = np.where(kind == "repeat", df["repeat_of"].to_numpy()[first],
                    df["task"].to_numpy()[first]).astype(np.int64)
    block = pd.factorize(df["block"].to_numpy()[first], use_na_sentinel=False)[0]
    return kind, qa.pair_codes(block, pd.factorize(task)[0])


def _groups(df: pd.DataFrame, respondent: np.ndarray, first: np.ndarray):
    """Each respondent's (first non-missing) group, in order of first appearance (missing
    for a missing respondent id); "all" without a group column. ``respondent``: codes
    (:func:`dce.data.quality_arrays.respondent_codes`), ``first``: each one's first row."""
    if "group" not in df:
        return np.full(len(first), "all", dtype=object)
    at_first = df["group"].iloc[first]
    if not at_first.isna().any() and not pd.isna(df["respondent"].to_numpy()[first]).any():
        return at_first.to_numpy()  # each respondent's first row has the group
    by = df["group"].groupby(respondent, sort=False).first()
    labels = np.arange(len(first))
    labels[pd.isna(df["respondent"].to_numpy()[first])] = -1  # not a group: missing
    return by.reindex(labels).to_numpy()


def _joined_names(flags: np.ndarray, names: list) -> np.ndarray:
    """``;``-joined names of the true flags, per column.

    Parameters
    ----------
    flags : ndarray of bool (len(names), n)
    names : list of str

    Returns
    -------
    ndarray of object (n,)
    """
    out = np.full(flags.shape[1] if flags.ndim == 2 else 0, "", dtype=object)
    for name, flag in zip(names, flags, strict=True):
        first = flag & (out == "")
        out[flag & ~first] = out[flag & ~first] + (";" + name)
        out[first] = name
    return out


def _inferred(values) -> pd.Series:
    """A column typed as pandas types a list of these values (int64, str, object...)."""
    return pd.Series(np.asarray(values, dtype=object)).infer_objects()


# ----- the order of levels ------------------------------------------------------------
def preference_order(study) -> tuple[dict | None, str | None]:
    """The a priori order of levels used for dominance tasks, and where it came from.

    The same order builds the design's dominance tasks: see
    :func:`dce.design.validity.level_order` (parameters, returns and errors).
    """
    from dce.design.validity import level_order  # the design package: only when asked

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
        lists = traded.value_counts()  # few distinct lists: match names once per list
        lists.index = ";" + lists.index + ";"
        return {
            "respondents": int(len(part)),
            "same_position": int(part["same_position"].sum()),
            "always_opt_out": int(part["always_opt_out"].sum()),
            "never_traded": int((traded != "").sum()),
            "never_traded_by_attribute": {  # ";"-joined names, matched whole
                n: int(lists[lists.index.str.contains(f";{n};", regex=False)].sum())
                for n in names},
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
