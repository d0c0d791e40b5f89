"""Build a design from the config, or read the fielded copy from ``design.file``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.config.checks import opt_out_declared
from dce.core.attributes import level_key
from dce.core.random import rng as make_rng
from dce.design.base import KEY_COLUMNS, Design, design_file, design_table
from dce.design.diagnostics import diagnose
from dce.design.efficient import bayesian_design, d_efficient_design
from dce.design.import_checks import file_diagnostics
from dce.design.labelled import blank_absent, labelled_sets
from dce.design.methods import random_design, shifted_factorial
from dce.design.orthogonal import orthogonal_design
from dce.design.validity import (
    MARK_COLUMNS,
    REPEAT_OF,
    TASK_TYPE,
    add_tasks,
    check_marks,
    choice_rows,
)
from dce.errors import DataError, DesignError, Problem

METHODS = {
    "full-factorial": shifted_factorial,
    "random": random_design,
    "orthogonal": orthogonal_design,
    "d-efficient": d_efficient_design,
    "bayesian": bayesian_design,
}


def build(study) -> Design:
    """The study's design: read from ``design.file`` when it exists, else generated.

    A generated design comes from the method ``design.method`` names in :data:`METHODS`,
    with random numbers from the study's ``design`` stream; its table is made by
    :func:`~dce.design.base.design_table` and its diagnostics by
    :func:`~dce.design.diagnostics.diagnose` (with what the method reported).

    Parameters
    ----------
    study : Study
        A loaded ``dce`` study with a ``design:`` section.

    Returns
    -------
    Design
        ``source`` is ``"generated"`` or, for a file, ``"file:<design.file>"``.

    Raises
    ------
    DesignError
        Without a ``design:`` section; key ``design.method`` for a method not in
        :data:`METHODS`; and any DesignError of the method, re-located at its key's line in
        the config (e.g. ``design.tasks``, ``design.exclude``, ``design.blocks``).
    DataError
        From :func:`from_file` when ``design.file`` exists but is not a valid design, or
        when ``design.tasks``, ``design.blocks`` or ``design.alternatives``, where the
        config gives them, differ from the file's (key at its config line).
    """
    d = study.spec.design
    if d is None:
        raise DesignError("this step needs a `design:` section", file=study.display_name)
    if d.file is not None and study.resolve(d.file).exists():
        fielded = add_tasks(from_file(study), study)  # validity tasks: a marked file is kept
        _agrees_with_config(fielded, study)
        return fielded
    _can_generate(study)
    method = METHODS.get(d.method)
    if method is None:
        raise DesignError(f"method {d.method!r} is not available; use one of "
                          f"{', '.join(METHODS)}", file=study.display_name,
                          line=study.line("design", "method"), key="design.method")
    if study.alternative_labels:  # labelled designs: position-specific coding
        method = labelled_sets
    try:
        result = method(study, make_rng(study.seed, "design"))
    except DesignError as exc:
        raise DesignError([Problem(p.message, study.display_name,
                                   study.line(*(p.key or "design").split(".")), p.key)
                           for p in exc.problems]) from None
    # a method returns (sets, blocks) or (sets, blocks, info); info describes how the
    # design was made and joins the diagnostics
    sets, blocks, info = result if len(result) == 3 else (*result, {})
    table = design_table(sets, blocks, study.attributes, bool(d.opt_out))
    if study.alternative_labels:
        table = blank_absent(table, study)
    diagnostics = diagnose(table, study, info)
    if diagnostics.get("fallback"):  # say what made the design, and what was asked for
        diagnostics["method_requested"] = diagnostics["fallback"]["requested"]
        diagnostics["method"] = diagnostics["fallback"]["used"]
    # validity tasks (dominance, repeats) follow the method's sets; diagnostics above are
    # those of the choice tasks only
    return add_tasks(Design(table, diagnostics, "generated"), study)


def from_file(study) -> Design:
    """Read and check a fielded design CSV (``block, task, alternative, <attributes>``).

    Designs written by Ngene, Sawtooth, idefix or cbcTools (``design.format``, recognised
    from the header by default) are read by :func:`dce.design.imports.read_foreign`.

    ``is_opt_out`` is optional (0 when absent). Attribute cells are rewritten as the
    config's level labels; rows are sorted by block, task and alternative.

    Parameters
    ----------
    study : Study
        A loaded ``dce`` study whose ``design.file`` names the CSV.

    Returns
    -------
    Design
        With the diagnostics of :func:`~dce.design.diagnostics.diagnose` and source
        ``"file:<design.file>"``.

    Raises
    ------
    DataError
        Located at the file (and row line) and naming the column: the file cannot be read
        (``design.file``: a folder); a missing column (one problem per column); a
        ``block``, ``task``, ``alternative`` or ``is_opt_out`` cell that is not a number;
        an attribute cell that is not a level; a duplicated (block, task, alternative);
        or an opt-out row while ``design.opt_out`` is not set, or the reverse (key
        ``is_opt_out``). At most five problems per kind are listed.
    """
    d = study.spec.design
    # --- designs exported by Ngene, Sawtooth, idefix or cbcTools (design.format) ---
    from dce.design.imports import read_foreign

    foreign = read_foreign(study)
    if foreign is not None:
        if opt_out_declared(study) and not foreign.opt_out:  # named in choices.opt_out only
            table = with_opt_out(foreign.table, study.attributes)
            return Design(table, foreign.diagnostics, foreign.source)
        return foreign
    # --- dce's own format ---
    path, shown = design_file(study)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read the design ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''})", file=shown) from None
    problems = []
    needed = KEY_COLUMNS + [a.name for a in study.attributes]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise DataError([Problem(f"missing column; the design needs {', '.join(needed)}",
                                 shown, None, c) for c in missing])
    if "is_opt_out" not in table.columns:  # rows whose attribute cells are all empty
        table["is_opt_out"] = _empty_rows(table, study.attributes).astype(np.int64).astype(str)
    _whole_numbers(table, shown, problems)
    _level_cells(table, study, shown, problems)
    dup = table.duplicated(KEY_COLUMNS, keep="first")
    for r in np.flatnonzero(dup.to_numpy())[:5]:
        problems.append(Problem("duplicated block, task and alternative", f"{shown}:{r + 2}",
                                None, "alternative"))
    if problems:
        raise DataError(problems)
    opt = np.flatnonzero(table["is_opt_out"].to_numpy() == 1)
    if len(opt) and not opt_out_declared(study):
        raise DataError("an opt-out row (is_opt_out = 1, or every attribute cell empty) but "
                        "the config names no opt-out; add design.opt_out: <label>",
                        file=shown, line=int(opt[0]) + 2, key="is_opt_out")
    marks = []
    if TASK_TYPE in table.columns:  # validity tasks marked by dce design (or by hand)
        if REPEAT_OF not in table.columns:
            table[REPEAT_OF] = "0"
        check_marks(table, shown)
        marks = MARK_COLUMNS
    table = table[needed + ["is_opt_out"] + marks].sort_values(KEY_COLUMNS).reset_index(
        drop=True)
    if opt_out_declared(study) and not opt.any():  # opt-out rows are optional in the file
        table = with_opt_out(table, study.attributes)
    return Design(table, file_diagnostics(choice_rows(table), study, "dce"), f"file:{d.file}")


def with_opt_out(table: pd.DataFrame, attributes) -> pd.DataFrame:
    """The design with one opt-out row added to every task.

    Fielded design files (dce's format or another tool's) may leave the opt-out out, since
    it never varies; dce adds it as ``design_table`` does for a generated design.

    Parameters
    ----------
    table : DataFrame
        Design table ``block, task, alternative, <attributes>, is_opt_out`` (and perhaps
        the validity marks) without opt-out rows.
    attributes : sequence of Attribute

    Returns
    -------
    DataFrame
        ``table`` plus, per block and task, a row with alternative = the most generic
        alternatives any task has + 1, empty attribute cells and ``is_opt_out = 1`` (other
        columns copied from the task's first row); sorted by block, task and alternative.
    """
    extra = table.drop_duplicates(["block", "task"]).copy()
    extra["alternative"] = int(table["alternative"].max()) + 1
    for a in attributes:
        extra[a.name] = ""
    extra["is_opt_out"] = 1
    out = pd.concat([table, extra], ignore_index=True)
    return out.sort_values(KEY_COLUMNS).reset_index(drop=True)


def _empty_rows(table: pd.DataFrame, attributes) -> np.ndarray:
    """Rows of a dce-format design file whose attribute cells are all empty (opt-out rows,
    when the file has no ``is_opt_out`` column); an alternative that shows none of the
    attributes (labelled designs) is not one."""
    alternative = pd.to_numeric(table["alternative"], errors="coerce").fillna(0).to_numpy()
    empty = np.ones(len(table), bool)
    shows = np.zeros(len(table), bool)
    for a in attributes:
        empty &= (table[a.name].str.strip() == "").to_numpy()
        shows |= a.applies(alternative)
    return empty & shows if attributes else empty & False


def _can_generate(study) -> None:
    """A design made from the config needs every attribute's levels and, for most methods,
    ``design.tasks`` (checked here because a fit-only config may leave them out)."""
    d = study.spec.design
    problems = [study.problem(("attributes", a.name), "a design needs the levels of every "
                              "attribute; add `levels:`")
                for a in study.attributes if a.levels is None]
    if d.tasks is None and d.method not in ("full-factorial", "orthogonal") and \
            study.spec.type == "dce":
        problems.append(study.problem(("design",), "required key 'tasks' is missing (tasks "
                                      "per block)"))
    if problems:
        raise DesignError(problems)



def _whole_numbers(table, shown: str, problems: list) -> None:
    """Check and convert the key columns and ``is_opt_out`` to int64 (in place)."""
    for col in KEY_COLUMNS + ["is_opt_out"]:
        num = pd.to_numeric(table[col], errors="coerce")
        bad = num.isna() | (num != np.round(num))  # 1.5 is not a block number
        for r in np.flatnonzero(bad.to_numpy())[:5]:
            problems.append(Problem(f"expected a whole number, found {table[col].iloc[r]!r}",
                                    f"{shown}:{r + 2}", None, col))
        table[col] = num.where(~bad, 0).astype(np.int64)


def _level_cells(table, study, shown: str, problems: list) -> None:
    """Check every shown attribute cell is a level; rewrite it as the level's label."""
    generic = table["is_opt_out"] == 0
    alternative = table["alternative"].to_numpy()
    for a in study.attributes:
        shown_in = generic & a.applies(alternative)  # labelled: absent cells stay empty
        idx = a.index_of(table.loc[shown_in, a.name].tolist())
        for r in np.flatnonzero(idx < 0)[:5]:
            row = int(np.flatnonzero(shown_in.to_numpy())[r])
            problems.append(Problem(f"{table[a.name].iloc[row]!r} is not a level of {a.name}",
                                    f"{shown}:{row + 2}", None, a.name))
        labels = dict(zip(a.level_keys, a.level_labels))
        table.loc[shown_in, a.name] = [labels.get(level_key(v), v)
                                       for v in table.loc[shown_in, a.name]]


def _agrees_with_config(design: Design, study) -> None:
    """The counts the config states (tasks, blocks, alternatives) are the fielded file's."""
    given = study.raw.get("design") or {}
    table = choice_rows(design.table)
    generic = table[table["is_opt_out"] == 0]
    found = {"tasks": int(table.groupby("block")["task"].nunique().max()),
             "blocks": int(table["block"].nunique()),
             "alternatives": int(generic.groupby(["block", "task"]).size().max())}
    problems = [Problem(f"{given[key]!r} in the config, but the design file "
                        f"({study.spec.design.file}) has {value}; remove the key or make "
                        "them agree", study.display_name, study.line("design", key),
                        f"design.{key}")
                for key, value in found.items()
                if isinstance(given.get(key), int) and given[key] != value]
    if problems:
        raise DataError(problems)
