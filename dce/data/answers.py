"""Opt-out answers and missing answers of observed data, read one way in every format.

``choices.opt_out`` says how the data mark the opt-out (no-choice) alternative: its number
(``{alternative: 3}``), a text (``{label: Neither}``) in the alternative column (long) or
a task cell (wide), or ``empty`` (long data: rows whose attribute cells are all empty, the
default there). ``choices.missing`` says what becomes of a task without an answer (wide:
an empty or ``NA`` cell; long: no row with chosen = 1): ``drop`` (default) leaves it out
and counts it, ``error`` stops. docs/data.md states the rules.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from dce.core.cells import (
    TEXT,
    blank_rows,
    distinct,
    first_rows,
    group_codes,
    numbers,
    strip_text,
    stripped,
)
from dce.core.csvread import integers
from dce.data.identity import other_spelling, respondent_keys, spelling_hint
from dce.errors import DataError

#: Cells (compared after stripping spaces, case-insensitive) that mean "no answer".
MISSING_CELLS = ("", "na", "n/a", "nan", ".")

KEYS = ["respondent", "block", "task"]


def missing_cells(cells: pd.Series) -> np.ndarray:
    """True where a text cell means "no answer" (:data:`MISSING_CELLS`).

    Parameters
    ----------
    cells : Series of str (rows,)

    Returns
    -------
    ndarray of bool (rows,)
    """
    codes, uniques = distinct(cells)
    lower = pd.Series(strip_text(uniques), dtype=object).str.lower()  # one per distinct cell
    return lower.isin(MISSING_CELLS).to_numpy()[codes]


def describe(spec) -> str:
    """How ``choices.opt_out`` names the opt-out, for messages (``alternative 3``)."""
    if spec is None or spec == "empty":
        return "rows whose attribute cells are all empty"
    if getattr(spec, "label", None) is not None:
        return f"{spec.label!r}"
    return f"alternative {spec.alternative}"


def design_opt_out(study, design) -> int:
    """The alternative number of the design's opt-out.

    Parameters
    ----------
    study : Study
    design : Design

    Returns
    -------
    int
        The largest alternative number of the design's opt-out rows.

    Raises
    ------
    DataError
        At key ``choices.opt_out`` when the design has no opt-out row.
    """
    table = design.table
    opt = table["alternative"].to_numpy()[table["is_opt_out"].to_numpy() == 1]
    if len(opt) == 0:
        raise DataError([study.problem(("choices", "opt_out"), "the data name an opt-out, but "
                                       "the design has no opt-out alternative; add "
                                       "design.opt_out: <label>")])
    return int(opt.max())


def generic_alternatives(design) -> list[int]:
    """The design's alternative numbers that are not the opt-out, sorted."""
    table = design.table
    return sorted(int(v) for v in np.unique(
        table["alternative"].to_numpy()[table["is_opt_out"].to_numpy() == 0]))


def long_opt_out(study, frame, alternative, label_rows, issues, display) -> np.ndarray:
    """Which rows of a long file (with attribute columns) are opt-out rows.

    With ``choices.opt_out`` unset or ``empty``: rows whose attribute cells are all empty.
    With ``{alternative: N}`` or ``{label: L}``: the rows of that alternative; their
    attribute cells are ignored when empty or when they hold one filler value (the same on
    every opt-out row, such as ``0`` or ``NA``), and cells that differ between opt-out rows
    are problems (they look like the levels of a real alternative).

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
        The choices file.
    alternative : ndarray of int (rows,)
        The alternative numbers read (-1 where unreadable).
    label_rows : ndarray of bool (rows,)
        Rows whose alternative cell is the ``{label: L}`` text.
    issues : Issues
        Receives the problems with the opt-out rows' cells.
    display : str
        The file's name as shown.

    Returns
    -------
    ndarray of bool (rows,)

    Raises
    ------
    DataError
        At key ``choices.opt_out`` when no row is the opt-out it names.
    """
    spec = study.spec.choices.opt_out
    attrs = study.attributes
    if spec is None or spec == "empty":
        if not attrs:
            return np.zeros(len(frame), bool)
        blank = blank_rows(frame[[a.name for a in attrs]])
        d = study.spec.design
        if d is not None and d.opt_out and not blank.any():  # declared, never found
            raise DataError([study.problem(("design", "opt_out"), f"the config names an "
                f"opt-out ({d.opt_out!r}) but no row of {display} is one: long data mark it "
                "by leaving every attribute cell empty; if the file writes it as an "
                "alternative number or a label, set choices.opt_out: {alternative: N} or "
                "{label: ...}")])
        return blank
    c = study.spec.choices.columns
    is_opt = label_rows if getattr(spec, "label", None) is not None else \
        alternative == spec.alternative
    if not is_opt.any():
        found = ", ".join(str(v) for v in sorted(set(alternative[alternative >= 0].tolist())))
        raise DataError([study.problem(("choices", "opt_out"), f"no row of {display} is the "
                                       f"opt-out {describe(spec)} (column {c.alternative!r} "
                                       f"holds {found or 'no numbers'})")])
    rows = np.flatnonzero(is_opt)
    for name in (a.name for a in attrs):
        codes, uniques = distinct(frame[name].to_numpy()[rows])
        vals = strip_text(uniques)[codes]
        filled = vals != ""
        if not filled.any():
            continue
        first = vals[filled][0]
        bad = rows[filled & (vals != first)]
        issues.add_rows(name, lambda i, name=name, first=first, bad=bad: (
            f"the opt-out ({describe(spec)}, choices.opt_out) has no levels, but its {name} "
            f"cells differ ({first!r} on an earlier opt-out row, {frame[name].iloc[bad[i]]!r} "
            "here); leave them empty or write one filler value"), bad, "optfill")
    return is_opt


def drop_missing(study, long: pd.DataFrame, display: str, keys=None
                 ) -> tuple[pd.DataFrame, dict]:
    """Leave out the tasks without an answer and count them.

    A task (respondent x block x task) none of whose rows has chosen = 1 is a missing
    answer: the readers make one from an empty wide cell and from a long task whose chosen
    cells are all 0 or empty. With ``choices.missing: drop`` its rows are removed (a
    respondent left with no task is thereby dropped entirely) and a UserWarning says how
    many; the readers raise located errors first under ``choices.missing: error``.

    Parameters
    ----------
    study : Study
    long : DataFrame (rows, columns)
        Long responses with ``respondent, group, block, task, chosen``.
    display : str
        The choices file's name as shown.
    keys : tuple, optional
        :func:`dce.data.identity.respondent_keys` of ``long`` (computed when not given).

    Returns
    -------
    long : DataFrame
        Without the rows of missing answers (index reset).
    counts : dict
        ``tasks_total`` (tasks read, answered or not), ``tasks_dropped``,
        ``respondents_with_missing`` (respondents who left at least one task
        unanswered), ``respondents_dropped`` (who answered none) and ``by_group``: group ->
        the same four counts.

    Raises
    ------
    DataError
        Under ``choices.missing: error`` when a missing answer is left (a reader that
        could not locate it): one problem per task, naming respondent and task.
    """
    person, group, names = (respondent_keys(long) if keys is None else keys)[:3]
    set_id = group_codes(person, long["block"], long["task"])
    answered = (np.bincount(set_id, weights=long["chosen"].to_numpy()) > 0)[set_id]
    first = first_rows(set_id)
    sets = pd.DataFrame({"respondent": person[first], "group": group[first],
                         "_answered": answered[first]})
    if not answered.all() and study.spec.choices.missing == "error":
        gone = long[first & ~answered]
        raise DataError([study.problem(("choices", "missing"), f"{display}: respondent "
                                       f"{r.respondent}, task {r.task} has no answer")
                         for r in gone.head(5).itertuples()])
    counts = _counts(sets)
    counts["by_group"] = {str(names[g]): _counts(part)
                          for g, part in sets.groupby("group", sort=False)}
    if counts["tasks_dropped"]:
        k, n = counts["tasks_dropped"], counts["tasks_total"]
        who, gone = counts["respondents_with_missing"], counts["respondents_dropped"]
        warnings.warn(f"{display}: {k} of {n} tasks have no answer and were left out "
                      f"(choices.missing: drop): {who} respondent{'s' * (who != 1)} "
                      f"skipped at least one task, {gone} answered none and "
                      f"{'was' if gone == 1 else 'were'} dropped entirely; set "
                      "choices.missing: error to list them", UserWarning, stacklevel=3)
    return (long.reset_index(drop=True) if answered.all() else
            long[answered].reset_index(drop=True)), counts


def _counts(sets: pd.DataFrame) -> dict:
    """The four counts of :func:`drop_missing` from one row per task (``_answered``)."""
    per = sets.groupby("respondent", sort=False)["_answered"]
    n_answered, n_tasks = per.sum(), per.size()
    return {"tasks_total": int(len(sets)), "tasks_dropped": int((~sets["_answered"]).sum()),
            "respondents_with_missing": int((n_answered < n_tasks).sum()),
            "respondents_dropped": int((n_answered == 0).sum())}


def wide_answers(study, frame, task_cols, design, blocks, issues) -> pd.DataFrame:
    """The task cells of a wide file as one row per respondent x task column.

    A cell holds a generic alternative of the design, the opt-out (``choices.opt_out``:
    its number or label; by default the number of the design's opt-out alternative) or no
    answer (:data:`MISSING_CELLS`); anything else is a problem in ``issues``.

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
        The wide file.
    task_cols : list of (int, str)
        Task number and column name of each task column.
    design : Design
    blocks : ndarray of int (rows,)
        Block of each respondent row.
    issues : Issues

    Returns
    -------
    DataFrame
        ``row`` (position in ``frame``), ``column`` (task column), ``respondent``,
        ``block``, ``task`` and ``choice``: the design's alternative number chosen (the
        opt-out as the design numbers it), 0 for no answer.

    Raises
    ------
    DataError
        At key ``choices.opt_out`` when it names an opt-out the design lacks, or a number
        that is one of the design's generic alternatives.
    """
    spec = study.spec.choices.opt_out
    generic = generic_alternatives(design)
    has_opt = bool((design.table["is_opt_out"] == 1).any())
    label = getattr(spec, "label", None) if spec is not None else None
    target = design_opt_out(study, design) if spec is not None or has_opt else None
    code = spec.alternative if getattr(spec, "alternative", None) is not None else target
    if label is None and code is not None and code in generic:
        raise DataError([study.problem(("choices", "opt_out"), f"alternative {code} is one "
                                       "of the design's generic alternatives (1 to "
                                       f"{max(generic)}); name the opt-out by its own number "
                                       "or label")])
    n, cols = len(frame), [col for _, col in task_cols]
    raw = np.column_stack([frame[col].to_numpy(dtype=object) for col in cols]).ravel()
    num, cells = numbers(raw)
    rows = np.repeat(np.arange(n), len(cols))
    whole = np.isfinite(num) & (num == np.round(num))
    opt = (cells == label) if label is not None else \
        whole & (num == (code if code is not None else -1))
    missing = missing_cells(cells) & ~opt
    chosen = whole & np.isin(num, generic)
    what = (f"1 to {max(generic)}" + (f", the opt-out {describe(spec)}" if spec is not None
                                       else f", the opt-out {target}" if target else ""))
    d = study.spec.design
    hint = (f"; if it marks the opt-out, set choices.opt_out: {{label: {d.opt_out}}}"
            if label is None and d is not None and d.opt_out else "")
    bad = np.flatnonzero(~(missing | opt | chosen))
    if spec is not None and spec != "empty" and not opt.any() and len(bad):
        found = ", ".join(repr(str(v).strip()) for v in list(dict.fromkeys(raw[bad]))[:5])
        raise DataError([study.problem(("choices", "opt_out"), f"no task cell of {issues.file} "
                                       f"holds the opt-out {describe(spec)}; the answers that "
                                       f"are not alternatives 1 to {max(generic)} are "
                                       f"{found}")])
    names = np.asarray(cols, dtype=object)[bad % len(cols)]
    found = not isinstance(study.spec.choices.columns.tasks, list)  # by a prefix: Q10 too
    issues.add_rows(None, lambda i: f"expected the chosen alternative ({what}) or an empty "
                    f"cell, found {raw[bad[i]]!r}"
                    f"{hint if hint and cells[bad[i]] == d.opt_out else ''}"
                    + (f"; if {names[i]} is not a choice task, list the task columns in "
                       "choices.columns.tasks" if found and not np.isfinite(num[bad[i]])
                       else ""), rows[bad], "alt", columns=names)
    choice = np.where(opt, target if target is not None else 0,
                      np.where(chosen, np.nan_to_num(num), 0)).astype(np.int64)
    c = study.spec.choices.columns
    return pd.DataFrame({"row": rows, "column": np.tile(np.asarray(cols, dtype=object), n),
                         "respondent": stripped(frame[c.respondent]).to_numpy()[rows],
                         "block": blocks[rows],
                         "task": np.tile([t for t, _ in task_cols], n), "choice": choice})


def long_alternatives(study, frame, design, issues, display, joined: bool):
    """The alternative numbers of a long file, with its opt-out named as ``choices.opt_out``
    says.

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
    design : Design or None
        Needed when ``joined``.
    issues : Issues
        Receives the cells that are neither a whole number nor the opt-out label.
    display : str
    joined : bool
        The file has no attribute columns: the design supplies the levels, and the opt-out
        rows the data name become the design's opt-out alternative.

    Returns
    -------
    alternative : ndarray of int (rows,)
        -1 where unreadable; ``{label: L}`` rows numbered after the largest alternative of
        the file (joined: the design's opt-out number).
    labelled : ndarray of bool (rows,)
        Rows whose alternative cell is the label.

    Raises
    ------
    DataError
        At key ``choices.opt_out``: ``empty`` for a file without attribute columns, or an
        opt-out the design lacks (joined).
    """
    c = study.spec.choices.columns
    spec = study.spec.choices.opt_out
    label = getattr(spec, "label", None) if spec is not None else None
    labelled = (stripped(frame[c.alternative]) == label).to_numpy() if label else \
        np.zeros(len(frame), bool)
    alternative = integers(cells_set(frame, c.alternative, labelled, "0"), c.alternative,
                           issues)
    if joined and spec == "empty":
        raise DataError([study.problem(("choices", "opt_out"), f"`empty` finds opt-out rows "
                                       f"by their empty attribute cells, but {display} has no "
                                       "attribute columns (the design supplies them); name "
                                       "the opt-out by {alternative: <number>} or {label: "
                                       "<text>}, or leave choices.opt_out out")])
    if joined and spec is not None:  # the data's opt-out is the design's
        named = labelled if label else alternative == spec.alternative
        alternative[named] = design_opt_out(study, design)
    elif labelled.any():
        alternative[labelled] = int(alternative[~labelled].max(initial=0)) + 1
    return alternative, labelled


def check_sets(out, issues, c, missing="drop"):
    """Check the choice sets of long data, adding every problem to ``issues``.

    Each task has exactly one chosen row, or none (a missing answer: a problem when
    ``missing`` is ``error``); empty chosen cells (``_blank``) only in missing answers; no
    duplicated rows; at least two alternatives.

    Parameters
    ----------
    out : DataFrame (rows, columns)
        ``respondent, block, task, alternative, chosen, _blank, _person``, one row per file
        row (-1 or "" where a cell was unreadable: those rows are reported already and
        skipped); ``_person`` holds integer codes of the ids (equal for equal ids, -1 for
        an empty id), which the reader has without hashing the ids again.
    issues : Issues
        Receives the problems, located at the row and the column named in ``c``.
    c : ChoiceColumns
        ``choices.columns`` (the column names shown).
    missing : {"drop", "error"}
        ``choices.missing``.
    """
    # rows whose identifiers are unreadable are reported already; leave them out here
    ok = ((out["_person"] >= 0) & (out["task"] != -1) & (out["alternative"] != -1)
          & (out["block"] != -1)).to_numpy()
    if not ok.all():
        rows = np.flatnonzero(ok)
        part = out.iloc[rows].reset_index(drop=True)
        check_sets(part, _Shifted(issues, rows), c, missing)
        return
    resp, task = out["respondent"], out["task"]
    set_id = group_codes(out["_person"], out["block"], out["task"])  # one hash, no group-by
    dup = np.flatnonzero(~first_rows(group_codes(set_id, out["alternative"])))
    issues.add_rows(c.alternative, lambda i: f"duplicated row: respondent "
                    f"{resp.iloc[dup[i]]}, task {task.iloc[dup[i]]}, alternative "
                    f"{out['alternative'].iloc[dup[i]]} appears more than once", dup, "dup")
    n_chosen = np.bincount(set_id, weights=out["chosen"].to_numpy()).astype(np.int64)
    size = np.bincount(set_id)
    first = first_rows(set_id)
    # sets with a bad chosen cell are reported already
    valid = np.bincount(set_id, weights=~out["chosen"].isin([0, 1]).to_numpy()) == 0
    n_chosen, size, valid = n_chosen[set_id], size[set_id], valid[set_id]
    many = np.flatnonzero(first & (n_chosen > 1) & valid)
    issues.add_rows(c.chosen, lambda i: f"respondent {resp.iloc[many[i]]}, task "
                    f"{task.iloc[many[i]]} has {n_chosen[many[i]]} chosen alternatives; "
                    "exactly one row per task must have chosen = 1", many, "nchosen")
    none = np.flatnonzero(first & (n_chosen == 0) & valid & (missing == "error"))
    issues.add_rows(c.chosen, lambda i: f"respondent {resp.iloc[none[i]]}, task "
                    f"{task.iloc[none[i]]} has no chosen alternative (a missing answer; "
                    "choices.missing: error stops here, drop would leave the task out)", none,
                    "missing")
    blank = np.flatnonzero(out["_blank"].to_numpy() & (n_chosen > 0))
    issues.add_rows(c.chosen, lambda i: f"empty chosen cell in respondent "
                    f"{resp.iloc[blank[i]]}, task {task.iloc[blank[i]]}, which has an answer; "
                    "write 0 for the alternatives not chosen", blank, "blank")
    single = np.flatnonzero(first & (size < 2))
    other = other_spelling(out["_person"].to_numpy(), resp, single) if len(single) else None
    issues.add_rows(c.alternative, lambda i: f"respondent {resp.iloc[single[i]]}, task "
                    f"{task.iloc[single[i]]} has a single alternative; a choice needs at "
                    f"least two{spelling_hint(resp.iloc[single[i]], other[i])}", single,
                    "single")


class _Shifted:
    """Adds problems to ``issues`` with positions mapped back to the original rows."""

    def __init__(self, issues, rows):
        self.issues, self.rows = issues, rows

    def add(self, column, message, row=None, kind=None):
        self.issues.add(column, message, None if row is None else self.rows[row], kind)

    def add_rows(self, column, message, rows, kind=None, columns=None):
        self.issues.add_rows(column, message, self.rows[np.asarray(rows, dtype=np.int64)],
                             kind, columns)


def cells_set(frame, column, where, value) -> pd.DataFrame:
    """A copy of ``frame`` with some cells of one column replaced.

    Parameters
    ----------
    frame : DataFrame (rows, columns) of str
        A table from :func:`dce.core.csvread.read_table` (its row lines are kept).
    column : str
    where : ndarray of bool (rows,)
    value : str

    Returns
    -------
    DataFrame
        ``frame`` itself when ``where`` is all false.
    """
    if not where.any():
        return frame
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype):  # kept as codes: the cells as text
        col = col.astype(object).astype(TEXT)
    out = frame.assign(**{column: col.where(~where, value)})
    out.attrs = frame.attrs
    return out


def summarize(long: pd.DataFrame, keys=None) -> dict:
    """Counts of the data: respondents, choice sets, tasks per respondent, per group.

    Parameters
    ----------
    long : DataFrame
        Responses with ``respondent, group, block, task``.
    keys : tuple, optional
        :func:`dce.data.identity.respondent_keys` of ``long`` (computed when not given).

    Returns
    -------
    dict
        ``n_respondents``, ``n_choice_sets``, ``tasks_per_respondent`` (min, max),
        ``unbalanced_respondents`` (fewer sets than the most), ``set_sizes`` (number of
        alternatives -> number of choice sets of that size, as str -> int) and ``groups``:
        group -> ``n_respondents`` and ``n_choice_sets``.
    """
    person, group, names = (respondent_keys(long) if keys is None else keys)[:3]
    set_id = group_codes(person, long["block"], long["task"])
    first = first_rows(set_id)
    per = np.bincount(person[first])  # sets per respondent (every code has rows)
    sizes = pd.Series(np.bincount(set_id)).value_counts().sort_index()
    out = {"n_respondents": int(per.size), "n_choice_sets": int(first.sum()),
           "tasks_per_respondent": {"min": int(per.min()), "max": int(per.max())},
           "unbalanced_respondents": int((per < per.max()).sum()),
           "set_sizes": {str(int(k)): int(v) for k, v in sizes.items()}}
    sets = pd.DataFrame({"respondent": person[first], "group": group[first]})
    out["groups"] = {str(names[g]): {"n_respondents": int(p["respondent"].nunique()),
                                     "n_choice_sets": int(len(p))}
                     for g, p in sets.groupby("group", sort=False)}
    return out


def group_notes(study, long, ids, groups, table: str, display: str) -> None:
    """Warnings on a respondents table: ``choices.columns.group`` is not used (the table
    gives the groups), and respondents of the table without rows in the choices file
    (non-response, counted by group).

    Parameters
    ----------
    study : Study
    long : DataFrame
        The responses (``respondent``).
    ids, groups : Series of str (people,)
        The respondents table's ids and groups.
    table, display : str
        The respondents table and the choices file as shown.
    """
    if study.spec.choices.columns.group:
        warnings.warn(f"choices.columns.group ({study.spec.choices.columns.group!r}) is not "
                      f"used: the respondents table {table} gives each respondent's group",
                      UserWarning, stacklevel=3)
    absent = ~ids.isin(pd.unique(long["respondent"].astype(str).to_numpy()))
    if absent.any():
        per = groups[absent.to_numpy()].value_counts(sort=False)
        n = int(absent.sum())
        warnings.warn(f"{n:,} respondent{'s' * (n != 1)} of {table} "
                      f"{'have' if n != 1 else 'has'} no rows in {display} and "
                      f"{'are' if n != 1 else 'is'} not analysed "
                      f"({', '.join(f'{g}: {k:,}' for g, k in per.items())})",
                      UserWarning, stacklevel=3)
