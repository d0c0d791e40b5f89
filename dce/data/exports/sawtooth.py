"""Sawtooth Software CBC exports with one row per concept, read as long data.

Layout: one row per respondent x task x concept, ``sys_RespNum`` (Lighthouse Studio's
respondent number; also ``RespNum``, ``Respondent`` or ``CaseID``), ``Version`` (the
questionnaire version, dce's block, as in Sawtooth's design file: Lighthouse Studio
manual, "Importing/Exporting CBC Designs"), ``Task``, ``Concept``, optionally one column
per attribute holding level numbers 1..n (0 on every attribute for the "None" concept, as
in Sawtooth's .CHO files: Lighthouse Studio manual, ".CHO File Format"), and ``Response``:
1 on the chosen concept, 0 on the others. Column names are matched ignoring case;
``choices.columns`` overrides them.
"""

from __future__ import annotations

import numpy as np

from dce.core.cells import numbers
from dce.core.csvread import Issues, need_columns
from dce.errors import DataError

RESPONDENT = ("sys_RespNum", "RespNum", "Respondent", "CaseID")
VERSION = ("Version", "sys_CBCVersion")
DEFAULTS = {"task": "Task", "alternative": "Concept", "chosen": "Response"}
ROLES = {"respondent": "respondent number", "task": "task",
         "alternative": "concept (alternative number)",
         "chosen": "response: 1 for the chosen concept, 0 otherwise"}


def to_long(study, frame, design, display):
    """The columns of a Sawtooth CBC export as dce's long format reads them.

    Level numbers become the config's levels (one-based, in the order of ``levels:``);
    a concept whose levels are all 0 becomes a row with empty attribute cells, the
    opt-out. Without attribute columns the levels come from the design (joined on
    version, task and concept).

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
    design : Design or None
        Needed when the export has no attribute columns.
    display : str
        The file name shown in problems.

    Returns
    -------
    columns : ChoiceColumns
        ``choices.columns`` naming the export's own columns (so problems name them).
    frame : DataFrame
        A copy with one column per attribute (named as the attribute) holding levels.

    Raises
    ------
    DataError
        Missing columns (line 1, one problem each, listing the columns found); some but
        not all attribute columns; level numbers that are not whole numbers in 1..n, or 0
        on some attributes of a concept only (one located problem per cell, a few per
        column); an attribute without ``levels:``.
    """
    c = study.spec.choices.columns
    given = c.model_fields_set
    lower = {col.lower(): col for col in frame.columns}
    update = {}
    if "respondent" not in given:
        update["respondent"] = next((lower[n.lower()] for n in RESPONDENT if n.lower() in lower),
                                    RESPONDENT[0])
    if "block" not in given:
        update["block"] = next((col for col in frame.columns if col.lower() == "version"
                                or col.lower().startswith("sys_cbcversion")), None)
    for role, name in DEFAULTS.items():
        if role not in given:
            update[role] = lower.get(name.lower(), name)
    columns = c.model_copy(update=update)
    need_columns(frame, {ROLES[r]: getattr(columns, r) for r in ROLES}, display,
                 study.spec.choices.delimiter)
    return columns, _levels(study, frame, design, display)


def _attribute_columns(study, frame) -> dict[str, str]:
    """Attribute name -> export column (its name, or ``Att<i>`` / ``Att <i>`` in config
    order, ignoring case)."""
    lower = {col.lower().replace(" ", ""): col for col in frame.columns}
    found = {}
    for i, a in enumerate(study.attributes, start=1):
        for name in (a.name.lower(), f"att{i}", f"attribute{i}"):
            if name in lower:
                found[a.name] = lower[name]
                break
    return found


def _levels(study, frame, design, display):
    attrs = study.attributes
    found = _attribute_columns(study, frame)
    if not found:
        if design is None:
            raise DataError([study.problem(("choices", "format"), f"{display} has no "
                                           "attribute columns, so the levels come from the "
                                           "design: add design.file (the fielded design)")])
        return frame
    missing = [a.name for a in attrs if a.name not in found]
    if missing:
        raise DataError(f"has level columns for {', '.join(found)} but not for "
                        f"{', '.join(missing)}; give every attribute a column (or none, to "
                        "take the levels from the design)", file=display, line=1,
                        key=missing[0])
    issues = Issues(display, frame)
    codes = {}
    for a in attrs:
        col = found[a.name]
        num = numbers(frame[col])[0]  # parsed once per distinct cell
        if a.levels is None:
            raise DataError([study.problem(("attributes", a.name), "Sawtooth files hold "
                                           "level numbers; list the levels (levels: [...]) "
                                           "in the order Sawtooth numbers them")])
        n = len(a.level_labels)
        bad = ~np.isfinite(num) | (num != np.round(num)) | (num < 0) | (num > n)
        rows = np.flatnonzero(bad)
        issues.add_rows(col, lambda i, col=col, rows=rows, n=n: f"expected a level number 1 "
                        f"to {n} (0 for the None concept), found {frame[col].iloc[rows[i]]!r}",
                        rows, "code")
        codes[a.name] = np.where(bad, -1, num).astype(np.int64)
    none = np.all([codes[a.name] == 0 for a in attrs], axis=0)
    out = frame.copy()
    for a in attrs:
        col = found[a.name]
        issues.add_rows(col, "level 0 (not shown) is read only when every attribute of the "
                        "concept is 0 (the None concept)",
                        np.flatnonzero((codes[a.name] == 0) & ~none), "zero")
        labels = np.array([""] + list(a.level_labels), dtype=object)
        out[a.name] = labels[np.maximum(codes[a.name], 0)]
    issues.raise_if_any()
    out.attrs = dict(frame.attrs)
    return out
