"""Designs made by other software: Ngene, Sawtooth CBC, idefix and cbcTools.

Each reader turns its tool's export into the rows of dce's own design table
(``block, task, alternative, <attributes>, is_opt_out``) so that the rest of dce cannot
tell an imported design from one written in dce's format. The layouts and the rule that
maps level codes to the config's levels are documented in docs/designs.md.

Layouts read (each checked against the tool's documentation or source):

- Ngene (ChoiceMetrics): the design table of an ``.ngd`` file or its CSV export, with
  ``Choice situation``, ``<alternative>.<attribute>`` columns and an optional ``Block``
  (and ``Design``) column; the ``|||`` line and the syntax after it are ignored.
- Sawtooth Software CBC "Import/Export Design" file: ``Version, Task, Concept`` then one
  column per attribute holding level numbers 1..n (Lighthouse Studio manual,
  "Importing/Exporting CBC Designs").
- idefix (Traets, Sanchez and Vandebroek 2020, J. Stat. Softw. 96(3)): the ``design``
  matrix of ``Modfed``/``CEA`` written with ``write.csv`` (row names ``set<s>.alt<a>``,
  ``no.choice`` rows, ``alt<a>.cte`` columns), coded (``Var<i><l>`` columns of
  ``Profiles``) or decoded (one column per attribute).
- cbcTools (Helveston): the ``cbc_design()`` data frame ``profileID, respID, qID, altID,
  obsID, <attributes>`` (optionally ``blockID``, ``no_choice``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dce.design.base import Design, design_file
from dce.design.import_checks import (
    MAX_LISTED,
    assemble,
    file_diagnostics,
    map_levels,
    missing_attributes,
    raise_problems,
    read_rows,
    unknown_columns,
    whole_numbers,
)
from dce.errors import DataError, Problem

FORMATS = ("dce", "ngene", "sawtooth", "idefix", "cbctools")
_ROW_NAME = re.compile(r"^set(\d+)\.alt(\d+)$")
_CTE = re.compile(r"^(alt\d+|no\.choice)\.cte$")


def detect(header: list, rows: pd.DataFrame) -> str:
    """Which tool wrote a design file, from its header (and first row name).

    Parameters
    ----------
    header : list of str
        Column names as read by :func:`read_rows`.
    rows : DataFrame
        Its rows (the first cell tells an idefix row-name column).

    Returns
    -------
    str
        ``ngene`` (a ``Choice situation`` column), ``sawtooth`` (``Version, Task,
        Concept`` first), ``cbctools`` (``respID``, ``qID`` and ``altID``), ``idefix``
        (first cell like ``set1.alt1``) or ``dce`` (anything else, read by dce's own
        reader and its messages).
    """
    low = [h.lower() for h in header]
    if "choice situation" in low or "choice.situation" in low:
        return "ngene"
    if low[:3] == ["version", "task", "concept"]:
        return "sawtooth"
    if {"respid", "qid", "altid"} <= set(low):
        return "cbctools"
    if _ROW_NAME.match(str(rows.iloc[0, 0])):
        return "idefix"
    return "dce"


def read_foreign(study):
    """The design of ``design.file`` when another tool wrote it, else ``None``.

    ``design.format`` names the tool; ``auto`` (the default) recognises it with
    :func:`detect`. A ``dce`` file returns ``None`` so that
    :func:`dce.design.build.from_file` reads it as before.

    Parameters
    ----------
    study : Study
        A loaded study whose ``design.file`` exists.

    Returns
    -------
    Design or None
        The design with dce's table and diagnostics, source ``"file:<design.file>"``.

    Raises
    ------
    DataError
        Located at the file, line and column: an unreadable file, a missing or unknown
        column, a number that is not a whole number, a level or code not in the config,
        a missing alternative, a duplicated row, or opt-out rows the config does not
        declare.
    """
    d = study.spec.design
    fmt = getattr(d, "format", "auto")
    if fmt == "dce":
        return None
    path, shown = design_file(study)
    try:
        header, rows = read_rows(path, shown, stop_at_bar=fmt in ("auto", "ngene"))
    except DataError:
        if fmt != "auto":
            raise
        return None  # not recognisable: dce's own reader reports what is wrong
    if fmt == "auto":
        fmt = detect(header, rows)
        if fmt == "dce":
            return None
        if fmt != "ngene":  # only Ngene's table ends at a `|` line
            header, rows = read_rows(path, shown)
    reader = {"ngene": _ngene, "sawtooth": _sawtooth, "idefix": _idefix,
              "cbctools": _cbctools}[fmt]
    frame = reader(study, header, rows, shown)
    table = assemble(study, frame, shown)
    return Design(table, file_diagnostics(table, study, fmt), f"file:{d.file}")


# ----- Ngene ---------------------------------------------------------------------------------
def _ngene(study, header, rows, shown):
    """Ngene: ``Choice situation``, ``<alt>.<attribute>``, optional ``Block``/``Design``."""
    d = study.spec.design
    names = [a.name for a in study.attributes]
    by_lower = {n.lower(): n for n in names}
    low = {h.lower(): h for h in header}
    cs = low.get("choice situation") or low.get("choice.situation")
    problems = []
    if cs is None:
        raise_problems([Problem("missing column 'Choice situation' (Ngene's design output)", shown,
                       1, "Choice situation")])
    alts: dict[str, dict] = {}
    for h in header:
        if h in (cs, low.get("block"), low.get("design")):
            continue
        alt, dot, attr = h.partition(".")
        target = attr if attr in names else by_lower.get(attr.lower())
        if not dot or target is None:
            problems.append(Problem("unknown column; expected Choice situation, Block, Design "
                                    "or <alternative>.<attribute> with an attribute of the "
                                    f"config ({', '.join(names)})", shown, 1, h))
            continue
        alts.setdefault(alt, {})[target] = h
    if not alts and not problems:
        problems.append(Problem("no <alternative>.<attribute> columns (such as alt1."
                                f"{names[0]}); Ngene writes one per attribute of every "
                                "alternative", shown, 1, None))
    for alt, cols in alts.items():
        for n in names:
            if n not in cols:
                problems.append(Problem(f"missing column: alternative {alt!r} has no "
                                        f"{alt}.{n}; every alternative needs every attribute",
                                        shown, 1, f"{alt}.{n}"))
    raise_problems(problems)
    if low.get("design") and rows[low["design"]].nunique() > 1:
        raise_problems([Problem("the file holds several designs (Design column); export one",
                       shown, None, low["design"])])
    situation = whole_numbers(rows, cs, shown, problems)
    block = (whole_numbers(rows, low["block"], shown, problems) if "block" in low
             else np.ones(len(rows), dtype=np.int64))
    raise_problems(problems)
    base = pd.DataFrame({"block": block, "situation": situation, "_line": rows["_line"]})
    base["task"] = base.groupby("block")["situation"].rank(method="dense").astype(np.int64)
    parts = []
    for j, cols in enumerate(alts.values(), start=1):
        part = base.assign(alternative=j, is_opt_out=0)
        cells = pd.DataFrame({n: rows[cols[n]].to_numpy() for n in names})
        shown_cols = {n: cols[n] for n in names}
        idx = map_levels(study, cells, part["_line"].to_numpy(), shown_cols, shown,
                         d.level_codes, problems)
        parts.append(pd.concat([part.reset_index(drop=True), idx], axis=1))
    raise_problems(problems)
    return pd.concat(parts, ignore_index=True)


# ----- Sawtooth ------------------------------------------------------------------------------
def _sawtooth(study, header, rows, shown):
    """Sawtooth CBC: ``Version, Task, Concept`` then attribute level numbers (1..n)."""
    names = [a.name for a in study.attributes]
    problems = []
    keys = header[:3]
    if [k.lower() for k in keys] != ["version", "task", "concept"]:
        raise_problems([Problem(f"the first three columns must be Version, Task, Concept; found "
                       f"{', '.join(keys)}", shown, 1, keys[0] if keys else None)])
    rest = header[3:]
    positional = [f"att {i}" for i in range(1, len(names) + 1)]
    if [r.lower() for r in rest] == positional:
        cols = dict(zip(names, rest))  # "Att 1".."Att k": attributes in config order
    else:
        by_lower = {n.lower(): n for n in names}
        cols = {by_lower[r.lower()]: r for r in rest if r.lower() in by_lower}
        for r in rest:
            if r.lower() not in by_lower:
                problems.append(Problem("unknown column; expected the attributes of the "
                                        f"config ({', '.join(names)}) or Att 1 to Att "
                                        f"{len(names)}", shown, 1, r))
        missing_attributes(names, cols, shown, problems)
    raise_problems(problems)
    version = whole_numbers(rows, keys[0], shown, problems, low=0)
    fixed = np.flatnonzero(version == 0)
    if len(fixed) and not problems:
        problems.append(Problem("version 0 holds fixed tasks shown to every respondent; dce "
                                "reads the random versions 1..V only: delete the version-0 "
                                "rows (analyse fixed holdout tasks separately)",
                                f"{shown}:{rows['_line'].iloc[fixed[0]]}", None, keys[0]))
    task = whole_numbers(rows, keys[1], shown, problems)
    concept = whole_numbers(rows, keys[2], shown, problems)
    raise_problems(problems)
    cells = pd.DataFrame({n: rows[cols[n]].to_numpy() for n in names})
    mode = study.spec.design.level_codes
    mode = "one-based" if mode == "auto" else mode
    zero = np.column_stack([pd.to_numeric(cells[n], errors="coerce").to_numpy() == 0
                            for n in names]).all(axis=1)  # "None" concept: every level 0
    zero &= mode == "one-based"
    idx = map_levels(study, cells[~zero], rows["_line"].to_numpy()[~zero], cols, shown,
                     mode, problems)
    raise_problems(problems)
    frame = pd.DataFrame({"block": version, "task": task, "alternative": concept,
                          "is_opt_out": zero.astype(np.int64), "_line": rows["_line"]})
    return pd.concat([frame, idx.reindex(frame.index, fill_value=-1)], axis=1)


# ----- idefix --------------------------------------------------------------------------------
def _idefix(study, header, rows, shown):
    """idefix: row names ``set<s>.alt<a>`` / ``no.choice``; decoded or ``Var`` columns."""
    names = [a.name for a in study.attributes]
    rowname = header[0]
    key = "row names" if re.fullmatch(r"column \d+", rowname) else rowname
    body = [h for h in header[1:] if not _CTE.match(h)]
    problems = []
    label = rows[rowname]
    parsed = label.str.extract(_ROW_NAME)
    nochoice = (label == "no.choice").to_numpy()
    bad = parsed[0].isna().to_numpy() & ~nochoice
    for r in np.flatnonzero(bad)[:MAX_LISTED]:
        problems.append(Problem(f"expected a row name set<s>.alt<a> or no.choice, found "
                                f"{label.iloc[r]!r}", f"{shown}:{rows['_line'].iloc[r]}",
                                None, key))
    if nochoice[:1].any():
        problems.append(Problem("a no.choice row before any set", f"{shown}:"
                                f"{rows['_line'].iloc[0]}", None, key))
    raise_problems(problems)
    sets = parsed[0].astype(float).ffill().to_numpy().astype(np.int64)
    alt = parsed[1].astype(float).to_numpy()
    n_alt = int(np.nanmax(alt))
    alt = np.where(nochoice, n_alt + 1, np.nan_to_num(alt)).astype(np.int64)
    generic = ~nochoice
    lines = rows["_line"].to_numpy()
    if set(body) <= set(names) or not all(h.lower().startswith("var") for h in body):
        unknown_columns(body, names, shown, problems, "the attributes of the config ("
                        f"{', '.join(names)}), alt<a>.cte / no.choice.cte, or idefix's "
                        "coded Var<i><l> columns")
        missing_attributes(names, body, shown, problems)
        raise_problems(problems)
        cells = rows.loc[generic, names].reset_index(drop=True)
        idx = map_levels(study, cells, lines[generic], {n: n for n in names}, shown,
                         study.spec.design.level_codes, problems)
    else:
        idx = decode_coded(study, rows.loc[generic].reset_index(drop=True), body, shown,
                           problems)
    raise_problems(problems)
    frame = pd.DataFrame({"block": 1, "task": sets, "alternative": alt,
                          "is_opt_out": nochoice.astype(np.int64), "_line": lines})
    idx.index = np.flatnonzero(generic)
    return pd.concat([frame, idx.reindex(frame.index, fill_value=-1)], axis=1)


def coded_groups(study, body: list) -> tuple[dict, list]:
    """Which ``Var`` columns of idefix's ``Profiles`` belong to which attribute, and how.

    Attribute ``i`` (1-based, config order) is ``Var<i>`` when continuous (the level's
    value), ``Var<i>2 .. Var<i>n`` when dummy coded (contr.treatment: level 1 is the base)
    and ``Var<i>1 .. Var<i>(n-1)`` when effects coded (contr.sum: level n is coded -1).

    Parameters
    ----------
    study : Study
    body : list of str
        The coded columns in file order.

    Returns
    -------
    groups : dict
        Attribute name -> (coding letter ``C``/``D``/``E``, list of its columns).
    leftover : list of str
        Columns that fit no attribute, in order.
    """
    groups, pos = {}, 0
    low = [b.lower() for b in body]
    for i, a in enumerate(study.attributes, start=1):
        n = a.n_levels
        options = {"C": [f"var{i}"], "D": [f"var{i}{lv}" for lv in range(2, n + 1)],
                   "E": [f"var{i}{lv}" for lv in range(1, n)]}
        for code, want in options.items():
            if low[pos:pos + len(want)] == want:
                groups[a.name] = (code, body[pos:pos + len(want)])
                pos += len(want)
                break
    return groups, body[pos:]


def decode_coded(study, rows: pd.DataFrame, body: list, shown: str,
                 problems: list) -> pd.DataFrame:
    """Level indices from idefix's coded columns (see :func:`coded_groups`).

    Parameters
    ----------
    study : Study
    rows : DataFrame
        Generic rows with their ``_line``.
    body : list of str
        The coded columns.
    shown : str
    problems : list of Problem

    Returns
    -------
    DataFrame (rows, attributes)
        int64 level indices (-1 where a row fits no level, with a located problem).
    """
    groups, leftover = coded_groups(study, body)
    for c in leftover:
        problems.append(Problem("unknown column; idefix coded columns are Var<i> "
                                "(continuous), Var<i>2..Var<i>n (dummy) or Var<i>1..Var<i>"
                                "(n-1) (effects) for attribute i of the config, in order",
                                shown, 1, c))
    for a in study.attributes:
        if a.name not in groups:
            problems.append(Problem(f"no coded columns for attribute {a.name} (expected "
                                    f"Var{[x.name for x in study.attributes].index(a.name) + 1}"
                                    "...)", shown, 1, a.name))
    if problems:
        return pd.DataFrame()
    out, lines = {}, rows["_line"].to_numpy()
    for a in study.attributes:
        code, cols = groups[a.name]
        x = rows[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        if code == "C":
            idx = a.index_of(rows[cols[0]].tolist())
        else:
            n = a.n_levels
            base = 0 if code == "D" else n - 1
            offset = 1 if code == "D" else 0
            target = np.eye(n - 1)
            rest = np.zeros(n - 1) if code == "D" else -np.ones(n - 1)
            match = (x[:, None, :] == target[None, :, :]).all(axis=2)
            idx = np.where(match.any(axis=1), match.argmax(axis=1) + offset, -1)
            idx = np.where((x == rest).all(axis=1), base, idx)
        for r in np.flatnonzero(idx < 0)[:MAX_LISTED]:
            problems.append(Problem(f"the {'values' if code == 'C' else 'codes'} "
                                    f"{rows.loc[r, cols].tolist()} match no level of "
                                    f"{a.name} ({', '.join(a.level_labels)})",
                                    f"{shown}:{lines[r]}", None, ",".join(cols)))
        out[a.name] = np.asarray(idx, dtype=np.int64)
    return pd.DataFrame(out)


# ----- cbcTools ------------------------------------------------------------------------------
def _cbctools(study, header, rows, shown):
    """cbcTools: ``respID`` (block), ``qID`` (task), ``altID``, attribute values."""
    names = [a.name for a in study.attributes]
    low = {h.lower(): h for h in header}
    meta = ["profileID", "respID", "qID", "altID", "obsID", "blockID", "no_choice"]
    problems = []
    allowed = [low.get(m.lower(), m) for m in meta] + names
    unknown_columns(header, allowed, shown, problems, "profileID, respID, qID, altID, "
                    f"obsID, blockID, no_choice and the attributes ({', '.join(names)}); "
                    "decode dummy-coded designs with cbc_decode() first")
    missing_attributes(names, header, shown, problems)
    raise_problems(problems)
    block = whole_numbers(rows, low["respid"], shown, problems)
    task = whole_numbers(rows, low["qid"], shown, problems)
    alt = whole_numbers(rows, low["altid"], shown, problems)
    opt = (whole_numbers(rows, low["no_choice"], shown, problems, low=0) == 1
           if "no_choice" in low else np.zeros(len(rows), dtype=bool))
    raise_problems(problems)
    cells = rows.loc[~opt, names].reset_index(drop=True)
    idx = map_levels(study, cells, rows["_line"].to_numpy()[~opt], {n: n for n in names},
                     shown, study.spec.design.level_codes, problems)
    raise_problems(problems)
    frame = pd.DataFrame({"block": block, "task": task, "alternative": alt,
                          "is_opt_out": opt.astype(np.int64), "_line": rows["_line"]})
    idx.index = np.flatnonzero(~opt)
    return pd.concat([frame, idx.reindex(frame.index, fill_value=-1)], axis=1)
