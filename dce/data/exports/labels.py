"""Task cells that hold the chosen alternative's label instead of its number.

``choices.chosen_by: label``: each non-empty task cell of wide (and Qualtrics) data is
looked up, ignoring case and surrounding spaces, in ``choices.labels`` (text -> number)
or, without it, in the labels of a labelled design (``design.labels``: label j is
alternative j) and the opt-out label (``design.opt_out``: the last alternative).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dce.core.cells import distinct
from dce.core.csvread import Issues
from dce.data.answers import missing_cells
from dce.errors import DataError


def label_numbers(study, design) -> dict[str, int]:
    """Answer text -> alternative number, for ``choices.chosen_by: label``.

    Parameters
    ----------
    study : Study
    design : Design or None
        The fielded design; its largest alternative number bounds the numbers.

    Returns
    -------
    dict
        Casefolded label -> alternative number (1-based).

    Raises
    ------
    DataError
        At key ``choices.labels`` when a number is not an alternative of the design or
        two labels differ only in case; at ``choices.chosen_by`` when there are no labels
        (a generic design without ``choices.labels``).
    """
    spec = study.spec.choices
    if spec.labels:
        given = dict(spec.labels)
        where = ("choices", "labels")
    else:
        given = {lab: j for j, lab in study.alternative_labels.items()}
        d = study.spec.design
        if d is not None and d.opt_out:
            given[d.opt_out] = (len(d.labels) if d.labels else d.alternatives) + 1
        where = ("choices", "chosen_by")
        if not given:
            raise DataError([study.problem(where, "the task cells hold labels, but the "
                                           "design's alternatives have none; list them in "
                                           "choices.labels, e.g. {Option A: 1, Option B: 2}")])
    n_alt = int(design.table["alternative"].max()) if design is not None else None
    out: dict[str, int] = {}
    for text, number in given.items():
        key = _key(text)
        if key in out and out[key] != number:
            raise DataError([study.problem(where, f"labels {text!r} and another one differ "
                                           "only in case or spacing; answers are matched "
                                           "ignoring both")])
        if number < 1 or (n_alt is not None and number > n_alt):
            raise DataError([study.problem(where, f"label {text!r} stands for alternative "
                                           f"{number}, but the design's alternatives are 1 "
                                           f"to {n_alt}")])
        out[key] = number
    return out


def to_numbers(study, frame, columns, design, display):
    """``frame`` with each task cell's label replaced by its alternative number.

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
    columns : ChoiceColumns
        ``tasks`` names the task columns (a list or a prefix, as in wide data).
    design : Design or None
    display : str
        The file name shown in problems.

    Returns
    -------
    DataFrame
        A copy with numbers (as text) in the task cells; empty cells stay empty.

    Raises
    ------
    DataError
        One located problem per cell (a few per column) whose text is not a label,
        listing the labels; and the problems of :func:`label_numbers`.
    """
    lookup = label_numbers(study, design)
    shown = ", ".join(f"{t} = {n}" for t, n in (study.spec.choices.labels or {}).items()) or \
        ", ".join(f"{t} = {n}" for t, n in lookup.items())
    out = frame.copy()
    issues = Issues(display, frame)
    opt = study.spec.choices.opt_out
    opt_label = _key(opt.label) if getattr(opt, "label", None) else None
    for col in _task_columns(frame.columns, columns.tasks):
        codes, uniques = distinct(frame[col])  # each distinct cell keyed once
        cells = pd.Series(np.array([_key(u) for u in uniques], dtype=object)[codes],
                          index=frame.index, dtype=object)
        numbers = cells.map(lookup)
        # missing answers ("NA", ".") and choices.opt_out's label are read by the wide reader
        kept = missing_cells(frame[col]) | (cells == opt_label).to_numpy()
        bad = (cells != "") & numbers.isna() & ~kept
        rows = np.flatnonzero(bad.to_numpy())
        issues.add_rows(col, lambda i, col=col, rows=rows: f"{frame[col].iloc[rows[i]]!r} is "
                        f"not the label of an alternative (labels: {shown}); add it to "
                        "choices.labels", rows, "label")
        out[col] = np.where(kept, frame[col], numbers.fillna(0).astype(np.int64).astype(str))
    issues.raise_if_any()
    out.attrs = dict(frame.attrs)
    return out


def _key(text) -> str:
    return " ".join(str(text).split()).casefold()


def _task_columns(names, tasks) -> list[str]:
    """The task columns: a list as given (missing ones are reported by the wide reader),
    or the columns named ``<prefix><n>`` / ``<prefix>_<n>`` (default prefix ``task``)."""
    if isinstance(tasks, list):
        return [t for t in tasks if t in names]
    pattern = re.compile(re.escape(tasks or "task") + r"_?\d+")
    return [n for n in names if pattern.fullmatch(n)]
