"""The attribute columns of a long responses file, checked and normalised once per distinct
cell: numbers of linear attributes, levels of categorical ones, with the problems a
row-by-row check would report (:class:`dce.core.csvread.Issues`)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dce.core.attributes import level_key
from dce.core.cells import distinct, strip_text


def distinct_cells(frame, attributes) -> dict:
    """Per attribute column: the code of each row's cell and the distinct cells stripped."""
    out = {}
    for a in attributes:
        codes, uniques = distinct(frame[a.name])
        out[a.name] = codes, strip_text(uniques)
    return out


def attribute_cells(frame, attributes, issues, is_opt, cells):
    """Check and normalise attribute columns; return the cleaned columns.

    Every check runs once per distinct cell of a column (``cells``, from
    :func:`distinct_cells`) and is mapped back to the rows (no Python code per row); the
    problems are those a row-by-row check would give.
    """
    out = {}
    for a in attributes:
        raw = frame[a.name]
        codes, clean = cells[a.name]
        if a.levels is None or a.is_linear:
            num = _linear_numbers(clean, codes, is_opt)
            blank = (clean == "")[codes] & ~is_opt  # reported as empty cells already
            finite = np.isfinite(num) if num.dtype.kind == "f" else np.ones(len(num), bool)
            bad = np.flatnonzero(~finite & ~blank & ~is_opt)
            issues.add_rows(a.name, lambda i, raw=raw, bad=bad: _not_a_number(raw.iloc[bad[i]]),
                            bad, "num")
            if a.levels is not None:
                rows = np.flatnonzero(~is_opt & (~np.isnan(num) if num.dtype.kind == "f"
                                                 else True))
                values, where = np.unique(num[rows], return_inverse=True)
                known = set(a.level_keys)
                off = np.array([level_key(v) not in known for v in values], dtype=bool)
                _level_issues(issues, a, raw, rows[off[where.reshape(-1)]])
            out[a.name] = np.where(is_opt, np.nan, num) if is_opt.any() else num
        else:
            idx = a.index_of(clean)[codes]
            _level_issues(issues, a, raw, np.flatnonzero((idx < 0) & ~is_opt
                                                          & (clean != "")[codes]))
            labels = np.array(a.level_labels, dtype=object)
            out[a.name] = np.where(is_opt, "", labels[np.maximum(idx, 0)])
    return out


def _linear_numbers(clean, codes, is_opt) -> np.ndarray:
    """The numbers of a linear column (opt-out rows read as 0), with the dtype pandas'
    ``to_numeric`` infers for the whole column: parsed once per distinct cell."""
    if is_opt.any():  # opt-out rows hold "0", as if written there
        used = np.unique(codes[~is_opt])
        cells = np.r_[clean[used], np.array(["0"], dtype=object)]
        where = np.full(len(clean), -1, np.int64)
        where[used] = np.arange(len(used))
        values = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce").to_numpy()
        return values[np.where(is_opt, len(used), where[codes])]
    return pd.to_numeric(pd.Series(clean, dtype=object), errors="coerce").to_numpy()[codes]


def _not_a_number(cell: str) -> str:
    """The message for a cell of a linear attribute that is not a number."""
    hint = ""
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cell.strip()):
        hint = " (thousands separators are not allowed: write 1000, not 1,000)"
    elif cell.strip().lower() in ("nan", "inf", "-inf", "infinity"):
        hint = " (missing or infinite values cannot be used)"
    return f"expected a number, found {cell!r}{hint}"


def _level_issues(issues, a, raw, rows) -> None:
    """One problem per row whose cell is not one of the attribute's levels."""
    levels = ", ".join(a.level_labels)
    issues.add_rows(a.name, lambda i: f"{raw.iloc[rows[i]]!r} is not a level of {a.name} "
                    f"(levels: {levels})", rows, "lvl")


def against_design(out, design, attrs, issues, column: str = "task") -> None:
    """Check that long data with attribute columns agree with the fielded design file.

    Each attribute cell of a row (not an opt-out) must equal the design's level at its
    block, task and alternative (numbers compared as numbers); rows the design lacks are
    left to the other checks.

    Parameters
    ----------
    out : DataFrame (rows, columns)
        Long responses being read: ``block, task, alternative, is_opt_out`` and one
        column per attribute, row i at file row i.
    design : Design
        The design read from ``design.file``.
    attrs : list of Attribute
    issues : Issues
        Receives one problem per differing cell (a few per attribute, the rest counted),
        and one per row whose block, task and alternative the design lacks (at ``column``).
    column : str
        The task column's name in the file.
    """
    keys = ["block", "task", "alternative"]
    names = [a.name for a in attrs]
    table = design.table[keys + names].drop_duplicates(keys)
    merged = out[keys].merge(table, on=keys, how="left", suffixes=("", "_design"),
                             indicator=True)
    profile = out["is_opt_out"].to_numpy() == 0
    readable = (out[keys] != -1).all(axis=1).to_numpy()
    known = (merged["_merge"] == "both").to_numpy() & profile
    absent = np.flatnonzero(~known & profile & readable)
    spans = design.table.groupby("block")["task"].agg(["min", "max"])
    issues.add_rows(column, lambda i: (
        f"block {out['block'].iloc[absent[i]]}, task {out['task'].iloc[absent[i]]}, "
        f"alternative {out['alternative'].iloc[absent[i]]} is not in the design file (its "
        f"blocks: {', '.join(f'{b} with tasks {lo} to {hi}' for b, (lo, hi) in spans.iterrows())})"
        "; the data and design.file must describe the same profiles"), absent, "notindesign")
    for a in attrs:
        mine, fielded = out[a.name], merged[a.name]
        if a.levels is None or a.is_linear:
            differ = ~np.isclose(pd.to_numeric(mine, errors="coerce").to_numpy(float),
                                 pd.to_numeric(fielded, errors="coerce").to_numpy(float),
                                 equal_nan=True)
        else:
            differ = (mine.fillna("").astype(str).to_numpy()
                      != fielded.fillna("").astype(str).to_numpy())
        rows = np.flatnonzero(differ & known)
        issues.add_rows(a.name, lambda i, rows=rows, name=a.name: (
            f"{_shown(out[name].iloc[rows[i]])} differs from the design file's level "
            f"{_shown(merged[name].iloc[rows[i]])} at block {out['block'].iloc[rows[i]]}, task "
            f"{out['task'].iloc[rows[i]]}, alternative {out['alternative'].iloc[rows[i]]}; "
            "the data and design.file must describe the same profiles"), rows, "design")


def _shown(value) -> str:
    """A cell as the user wrote it: whole numbers without decimals, text quoted."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        return repr(str(int(v)) if v.is_integer() else repr(v))
    return repr(str(value))
