"""The table checks shared by the readers of other tools' designs (dce.design.imports).

Reading a delimited file with the file line of every row, whole-number columns, the rule
that maps level codes or values to the config's levels, and the assembly of dce's design
table with the checks that need whole tasks (missing alternatives, duplicates, opt-out).
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd

from dce.config.checks import opt_out_declared
from dce.design.base import KEY_COLUMNS
from dce.design.diagnostics import diagnose
from dce.errors import DataError, Problem

MAX_LISTED = 5  # problems listed per kind


# ----- reading the text ------------------------------------------------------------------
def read_rows(path, shown: str, stop_at_bar: bool = False) -> tuple[list, pd.DataFrame]:
    """The header and cells of a delimited design file, with the file line of each row.

    The delimiter is a tab when the header holds one, a semicolon when the header holds
    semicolons but no comma, else a comma. Blank lines are skipped (they still count as
    lines); with ``stop_at_bar`` the table ends at the first line starting with ``|``
    (Ngene's ``.ngd`` files append their syntax after such a line).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    shown : str
        Its name in messages.
    stop_at_bar : bool
        Ngene's end-of-table rule.

    Returns
    -------
    header : list of str
        Column names, stripped of spaces.
    rows : DataFrame (rows, columns)
        Text cells (stripped) under the header's names, plus ``_line`` (int, the file line
        of the row, header = line 1).

    Raises
    ------
    DataError
        The file cannot be read or decoded as UTF-8, is empty, a header name appears
        twice, or a row has more cells than the header (located at its line).
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the design ({type(exc).__name__}); save it as UTF-8 "
                        "text (CSV or tab-separated)", file=shown) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataError("the design file is empty or its first line (the header) is blank",
                        file=shown, line=1)
    head = lines[0]
    sep = "\t" if "\t" in head else (";" if ";" in head and "," not in head else ",")
    header = [h.strip() for h in next(csv.reader([head], delimiter=sep))]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise DataError([Problem("the column appears twice in the header", shown, 1, h)
                         for h in twice])
    bar = re.search(r"^[ \t]*\|", text, flags=re.M) if stop_at_bar else None
    body = text[:bar.start()] if bar else text
    try:
        rows = pd.read_csv(io.StringIO(body), sep=sep, dtype=str, header=None,
                           keep_default_na=False, skip_blank_lines=False).iloc[1:]
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found is None:
            raise DataError(f"cannot read the design ({str(exc).splitlines()[0]})",
                            file=shown) from None
        raise DataError(f"{found[3]} cells but the header has {found[1]} columns",
                        file=f"{shown}:{found[2]}") from None
    rows.columns = [h or f"column {i + 1}" for i, h in enumerate(header)]
    rows = rows.fillna("").apply(lambda col: col.str.strip())
    rows["_line"] = np.arange(2, len(rows) + 2, dtype=np.int64)
    rows = rows[(rows.drop(columns="_line") != "").any(axis=1)].reset_index(drop=True)
    if rows.empty:
        raise DataError("the design file has a header but no rows", file=shown)
    empty = [f"column {i + 1}" for i, h in enumerate(header)
             if not h and (rows[f"column {i + 1}"] == "").all()]
    rows = rows.drop(columns=empty)
    return [c for c in rows.columns if c != "_line"], rows


# ----- shared checks -----------------------------------------------------------------------
def whole_numbers(rows: pd.DataFrame, column: str, shown: str, problems: list,
                  low: int = 1) -> np.ndarray:
    """A column of whole numbers >= ``low``; a problem (file:line, column) per bad cell.

    Parameters
    ----------
    rows : DataFrame
        Rows from :func:`read_rows` (with ``_line``).
    column : str
        The column to read.
    shown : str
        The file's name in messages.
    problems : list of Problem
        Appended to (at most :data:`MAX_LISTED`).
    low : int
        Smallest allowed value.

    Returns
    -------
    ndarray of int64 (rows,)
        The numbers; 0 where a cell is bad.
    """
    num = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(num) & (np.floor(num) == num) & (num >= low)
    for r in np.flatnonzero(~ok)[:MAX_LISTED]:
        problems.append(Problem(f"expected a whole number >= {low}, found "
                                f"{rows[column].iloc[r]!r}", f"{shown}:{rows['_line'].iloc[r]}",
                                None, column))
    return np.where(ok, num, 0).astype(np.int64)


def level_index(attr, cells: pd.Series, mode: str) -> tuple[np.ndarray, str]:
    """Level index (0-based) of each cell under a level-code rule; -1 where it fails.

    Parameters
    ----------
    attr : Attribute
        The config's attribute (levels in declared order).
    cells : Series of str
        The cells of one attribute (generic alternatives only).
    mode : {"auto", "values", "one-based", "zero-based"}
        ``values``: cells are levels (compared as :func:`~dce.core.attributes.level_key`);
        ``one-based``/``zero-based``: whole numbers 1..n / 0..n-1 in declared order;
        ``auto``: values when every cell is a level, else codes, zero-based when a cell is
        0 and one-based otherwise.

    Returns
    -------
    index : ndarray of int64 (cells,)
        -1 where the cell is not a level (values) or not a code in range (codes).
    rule : str
        The rule applied (``values``, ``one-based`` or ``zero-based``).
    """
    by_value = attr.index_of(cells.tolist())
    if mode == "values" or (mode == "auto" and (by_value >= 0).all()):
        return by_value, "values"
    num = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
    if mode == "auto":
        mode = "zero-based" if np.any(num == 0) else "one-based"
    base = 0 if mode == "zero-based" else 1
    whole = np.isfinite(num) & (np.floor(num) == num)
    code = np.where(whole, num, -10**9).astype(np.int64) - base
    ok = (code >= 0) & (code < attr.n_levels)
    return np.where(ok, code, -1), mode


def map_levels(study, cells: pd.DataFrame, lines: np.ndarray, columns: dict, shown: str,
               mode: str, problems: list) -> pd.DataFrame:
    """Level indices of every attribute, with a located problem per unmapped cell.

    Parameters
    ----------
    study : Study
    cells : DataFrame (rows, attributes)
        Text cells keyed by attribute name (generic rows only).
    lines : ndarray of int (rows,)
        File line of each row.
    columns : dict
        Attribute name -> the column name(s) shown in messages, per row (a str, or an
        array of str when the column differs by row, as in Ngene's ``alt1.price``).
    shown : str
    mode : str
        As :func:`level_index`.
    problems : list of Problem

    Returns
    -------
    DataFrame (rows, attributes)
        int64 level indices; -1 where a problem was recorded.
    """
    out = {}
    for a in study.attributes:
        idx, rule = level_index(a, cells[a.name], mode)
        levels = ", ".join(a.level_labels)
        expect = {"values": f"a level of {a.name} ({levels})",
                  "one-based": f"a level code 1 to {a.n_levels} of {a.name} ({levels})",
                  "zero-based": f"a level code 0 to {a.n_levels - 1} of {a.name} "
                                f"({levels})"}[rule]
        col = columns[a.name]
        for r in np.flatnonzero(idx < 0)[:MAX_LISTED]:
            name = col if isinstance(col, str) else col[r]
            problems.append(Problem(f"expected {expect}, found {cells[a.name].iloc[r]!r} "
                                    "(design.level_codes sets the rule)",
                                    f"{shown}:{lines[r]}", None, name))
        out[a.name] = idx
    return pd.DataFrame(out, index=cells.index)


def missing_attributes(names, columns, shown: str, problems: list) -> None:
    """A problem (at the header, line 1) for each attribute of ``names`` not in ``columns``."""
    present = set(columns)
    problems.extend(Problem(f"missing column for attribute {n}", shown, 1, n)
                    for n in names if n not in present)


def unknown_columns(columns, allowed: list, shown: str, problems: list, hint: str) -> None:
    """A problem for each column not in ``allowed``.

    Parameters
    ----------
    columns : iterable of str
    allowed : list of str
        The columns the format may have.
    shown : str
    problems : list of Problem
    hint : str
        What the format expects, e.g. "attributes of the config: price, colour".
    """
    for c in columns:
        if c not in allowed and c != "_line":
            problems.append(Problem(f"unknown column; expected {hint}", shown, 1, c))


def assemble(study, frame: pd.DataFrame, shown: str) -> pd.DataFrame:
    """The design table (dce format) from the rows a reader made; checks that need whole tasks.

    Parameters
    ----------
    study : Study
    frame : DataFrame
        ``block, task, alternative, is_opt_out, _line`` and one int64 column per attribute
        holding the level index (ignored on opt-out rows).
    shown : str

    Returns
    -------
    DataFrame
        ``block, task, alternative, <attributes>, is_opt_out`` with level labels, sorted;
        when ``design.opt_out`` is set and the file has no opt-out rows, one opt-out row
        (alternative = generic alternatives + 1) is added to every task.

    Raises
    ------
    DataError
        Duplicated (block, task, alternative); a task whose generic alternatives differ
        from 1..J (J = the most any task has); opt-out rows without ``design.opt_out``.
    """
    names = [a.name for a in study.attributes]
    problems = []
    opt = frame["is_opt_out"].to_numpy() == 1
    if opt.any() and not opt_out_declared(study):
        r = int(np.flatnonzero(opt)[0])
        problems.append(Problem("an opt-out (no-choice) row, but the config names no "
                                "opt-out; add design.opt_out: Neither (or choices.opt_out)",
                                f"{shown}:{frame['_line'].iloc[r]}", None, "opt-out"))
    dup = frame.duplicated(KEY_COLUMNS, keep="first").to_numpy()
    for r in np.flatnonzero(dup)[:MAX_LISTED]:
        problems.append(Problem(f"block {frame['block'].iloc[r]}, task {frame['task'].iloc[r]}"
                                f", alternative {frame['alternative'].iloc[r]} appears twice",
                                f"{shown}:{frame['_line'].iloc[r]}", None, "alternative"))
    gen = frame[~opt]
    if gen.empty:
        raise DataError("the design has opt-out rows only; no alternative has attribute "
                        "levels", file=shown)
    n_alt = int(gen["alternative"].max())
    per_task = gen.groupby(["block", "task"])["alternative"]
    short = (per_task.nunique() != n_alt) | (per_task.max() != n_alt)
    first_line = gen.groupby(["block", "task"])["_line"].min()
    for (b, t) in short[short].index[:MAX_LISTED]:
        have = sorted(int(v) for v in per_task.get_group((b, t)).unique())
        problems.append(Problem(f"block {b}, task {t} has alternatives {have}; every task "
                                f"needs alternatives 1 to {n_alt} (missing alternatives)",
                                f"{shown}:{first_line[(b, t)]}", None, "alternative"))
    if problems:
        raise DataError(problems)
    table = frame[KEY_COLUMNS].copy()
    for a in study.attributes:
        labels = np.asarray(a.level_labels, dtype=object)
        idx = frame[a.name].to_numpy()
        table[a.name] = np.where(opt, "", labels[np.clip(idx, 0, None)])
    table["is_opt_out"] = opt.astype(np.int64)
    if opt_out_declared(study) and not opt.any():
        extra = table.drop_duplicates(["block", "task"])[["block", "task"]].copy()
        extra["alternative"] = n_alt + 1
        for n in names:
            extra[n] = ""
        extra["is_opt_out"] = 1
        table = pd.concat([table, extra[table.columns]], ignore_index=True)
    table = table[KEY_COLUMNS + names + ["is_opt_out"]]
    return table.sort_values(KEY_COLUMNS).reset_index(drop=True)


def raise_problems(problems: list) -> None:
    """Raise one DataError holding ``problems`` when there are any.

    Parameters
    ----------
    problems : list of Problem

    Raises
    ------
    DataError
        When ``problems`` is not empty.
    """
    if problems:
        raise DataError(problems)


def file_diagnostics(table, study, file_format: str) -> dict:
    """Diagnostics of a design read from ``design.file``: ``method`` says so (not the
    config's ``design.method``, which did not make it) and ``file_format`` names the
    layout (``dce``, ``ngene``, ``sawtooth``, ``idefix``, ``cbctools``);
    ``method_stated`` is whether the config writes ``design.method`` (a dce-format file
    made by ``dce design`` with that method; left out, the method is unknown)."""
    diag = diagnose(table, study)
    diag["method"] = f"read from {study.spec.design.file}"
    diag["file_format"] = file_format
    diag["method_stated"] = "method" in study.spec.design.model_fields_set
    return diag
