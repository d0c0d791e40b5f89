"""The task columns of wide data (and Qualtrics exports), checked against the design.

``choices.columns.tasks`` is a list of columns (task i is the i-th) or a prefix: ``Q``
finds ``Q1, Q2, ...`` (or ``Q_1, ...``; the default prefix is ``task``), the number
being the task. A prefix finds whatever columns the file has, so a task column that was
renamed or deleted would silently leave that task out of every respondent's answers;
when the design says which tasks a block has, every one of them must be found.
"""

from __future__ import annotations

import re

import numpy as np

from dce.errors import DataError, Problem


def design_tasks(design, shown: bool = False) -> np.ndarray:
    """The task numbers the task columns of a wide file must cover.

    Parameters
    ----------
    design : Design
        Its ``table`` has ``block`` and ``task``.
    shown : bool
        The columns number the tasks as shown (``choices.columns.version``): positions
        1 to the largest number of tasks in a block, whatever the design's task numbers.

    Returns
    -------
    ndarray of int (tasks,)
        Sorted task numbers: those of the design (tasks numbered across blocks count
        once each), or the positions shown.
    """
    table = design.table
    if shown:
        return np.arange(1, int(table.groupby("block")["task"].nunique().max()) + 1)
    return np.unique(table["task"].to_numpy()).astype(np.int64)


def task_columns(frame, tasks, display, expected=None) -> list[tuple[int, str]]:
    """Task number and column name of each task column of ``frame``.

    Parameters
    ----------
    frame : DataFrame (rows, columns)
        The wide file.
    tasks : list of str, str or None
        ``choices.columns.tasks``: the columns in task order, or their prefix (None:
        ``task``).
    display : str
        The file name shown in problems.
    expected : ndarray of int, optional
        The task numbers a prefix must find (:func:`design_tasks`); None: not checked.

    Returns
    -------
    list of (int, str)
        Sorted by task number.

    Raises
    ------
    DataError
        At line 1 of the file, one problem per task column missing: a listed column the
        file lacks, or a task of ``expected`` the prefix does not find (the column
        expected, e.g. ``Q1``, and the columns found); one per task that two columns
        match (``task3`` and ``task_3``); at key ``columns.tasks`` when the prefix finds
        no column at all.
    """
    if isinstance(tasks, list):
        missing = [t for t in tasks if t not in frame.columns]
        if missing:
            raise DataError([Problem("missing task column", display, 1, m) for m in missing])
        return [(i + 1, t) for i, t in enumerate(tasks)]
    prefix = tasks or "task"
    pattern = re.compile(re.escape(prefix) + r"(_?)(\d+)")
    found, under = [], []
    for col in frame.columns:
        if m := pattern.fullmatch(col):
            found.append((int(m.group(2)), col))
            under.append(bool(m.group(1)))
    if not found:
        raise DataError(f"no task columns named {prefix}1, {prefix}2, ...; set "
                        "choices.columns.tasks to the list of task columns", file=display,
                        line=1, key="columns.tasks")
    found.sort()
    numbers = [n for n, _ in found]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})  # columns, not rows
    if twice:
        raise DataError([Problem(f"columns {' and '.join(c for n, c in found if n == t)} "
                                 f"both match task {t} of the prefix {prefix!r}; dce cannot "
                                 "tell which holds the answers: remove or rename one, or "
                                 "list the task columns in choices.columns.tasks", display, 1,
                                 next(c for n, c in found if n == t)) for t in twice])
    if expected is not None:
        sep = "_" if all(under) else ""
        check_found(found, expected, display, lambda t: f"{prefix}{sep}{t}")
    return found


def check_found(found, expected, display, name) -> None:
    """Raise when a task of ``expected`` has no column among ``found``.

    Parameters
    ----------
    found : list of (int, str)
        Task number and column of each column found.
    expected : array-like of int
        The task numbers needed (:func:`design_tasks`).
    display : str
        The file name shown in problems.
    name : callable
        Task number -> the column name expected for it (e.g. ``Q1``, ``1_Q5``).

    Raises
    ------
    DataError
        One problem per missing task at line 1, keyed by the column expected, in the
        words an explicit list's missing column gets (``missing task column``), with the
        columns needed and those found.
    """
    have = {n for n, _ in found}
    missing = [int(t) for t in expected if int(t) not in have]
    if not missing:
        return
    need = runs_text([int(t) for t in expected], name)
    got = runs_text(sorted(have), name)
    raise DataError([Problem(f"missing task column (the design needs one column per task, "
                             f"{need}; the file has {got}); a task without its column "
                             "cannot be read: restore or rename the column", display, 1,
                             name(t)) for t in missing])


def runs_text(numbers, name=str, most: int = 6) -> str:
    """The sorted whole ``numbers`` as runs: ``Q1 to Q4, Q7`` for 1, 2, 3, 4, 7.

    Parameters
    ----------
    numbers : iterable of int
        Sorted, distinct.
    name : callable
        Number -> text (default ``str``).
    most : int
        Runs shown; more are cut to ``...``.

    Returns
    -------
    str
    """
    runs: list[list[int]] = []
    for n in map(int, numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [name(a) if a == b else f"{name(a)} to {name(b)}" for a, b in runs[:most]]
    return ", ".join(parts) + (", ..." if len(runs) > most else "")
