"""Read observed responses (long or wide) and the respondents table.

Validation collects every problem before reporting. Each problem names the file, the
line (header = line 1), the column and what was expected. Opt-out rows (they get the
``asc[opt_out]`` constant) and tasks without an answer are read as ``choices.opt_out`` and
``choices.missing`` say (:mod:`dce.data.answers`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from dce.config.latent_checks import covariate_key, respondent_covariates
from dce.config.study import shown
from dce.core.cells import TEXT, blank_cells, distinct, factorized, strip_text, stripped
from dce.core.csvread import Issues, integers, need_columns, read_table
from dce.data import exports
from dce.data.answers import (
    cells_set,
    check_sets,
    describe,
    drop_missing,
    group_notes,
    long_alternatives,
    long_opt_out,
    missing_cells,
    summarize,
    wide_answers,
)
from dce.data.identity import ids_across_groups, respondent_keys, similar_groups, similar_ids
from dce.data.levels import against_design, attribute_cells, distinct_cells
from dce.data.taskcols import design_tasks, runs_text, task_columns
from dce.design.randomize import fielding_order, to_design_positions, versions
from dce.errors import DataError

OUT_COLUMNS = ["respondent", "group", "block", "task", "alternative", "chosen"]
#: The group of a respondent who answered no task and is not in the respondents table (a
#: table of completers): counted among the respondents dropped, never fitted.
UNLISTED = "(not in the respondents table)"


def _config_file(study, path: tuple, display: str):
    """Raise a problem located at the config key naming a data file that is missing."""
    target = study.resolve(_get(study.spec, path))
    if target.is_file():
        return
    what = "is a folder, expected a CSV file" if target.is_dir() else "file not found"
    raise DataError([study.problem(path, f"{what}: {display} (paths are relative to the "
                                   "config file's folder)")])


def _get(spec, path):
    node = spec
    for part in path:
        node = getattr(node, part)
    return node


def read_choices(study, coded=frozenset()) -> tuple[pd.DataFrame, str]:
    """The choices file as text cells, and its name as the user should see it.

    Parameters
    ----------
    study : Study
        ``choices.file`` and ``choices.delimiter`` are used.
    coded : set of str, optional
        Columns kept as codes (:func:`dce.core.csvread.read_table`).

    Returns
    -------
    frame : DataFrame (rows, columns) of str
        See :func:`dce.core.csvread.read_table`.
    display : str
        The file name shown in problems.

    Raises
    ------
    DataError
        At key ``choices.file`` (config line) when the file is missing or a folder; at
        ``choices.delimiter`` when it is not one character; and the read errors of
        :func:`~dce.core.csvread.read_table` (encoding, malformed CSV, no rows).
    """
    spec = study.spec.choices
    path = study.resolve(spec.file)
    display = shown(path)
    _config_file(study, ("choices", "file"), display)
    if len(spec.delimiter) != 1:
        raise DataError([study.problem(("choices", "delimiter"), "expected one character "
                                       "such as ',' or ';' (\"\\t\" for a tab), found "
                                       f"{spec.delimiter!r}")])
    frame = read_table(path, display, spec.delimiter, coded)
    return exports.skip_metadata(study, frame, display), display


def load(study, design=None) -> tuple[pd.DataFrame, dict]:
    """Responses as a long table (``respondent, group, block, task, alternative, chosen,
    <attributes>, is_opt_out``) and a summary of the data (counts).

    Long files give one row per respondent x task x alternative (attribute columns, or
    none and the design's levels joined on block, task and alternative); wide files give
    one row per respondent with the chosen alternative in each task column.

    Parameters
    ----------
    study : Study
        A ``dce`` study; ``choices:``, ``respondents:`` and ``model.interactions`` are used.
    design : Design, optional
        Needed for wide data and for long data without attribute columns.

    Returns
    -------
    long : DataFrame (rows, columns)
        The columns above and the covariates of ``model.interactions``; ids as text.
    summary : dict
        See :func:`summarize`, plus ``missing``: the counts of
        :func:`dce.data.answers.drop_missing` (tasks without an answer are left out of
        ``long`` under ``choices.missing: drop``, with a UserWarning).

    Raises
    ------
    DataError
        Collecting every problem, each with file, line and column: missing columns,
        empty ids, non-whole numbers, ``chosen`` not 0/1, unknown levels, non-numeric
        linear values, partly empty rows, duplicated rows, sets with more than one
        chosen row (or none, under ``choices.missing: error``) or with one alternative,
        opt-out rows as :func:`dce.data.answers.long_opt_out` says, rows not in the
        design, and the group
        problems of :func:`attach_groups`; key ``choices.format`` when a design is needed.
    """
    spec = study.spec.choices
    frame, display = read_choices(study, _coded_columns(study))
    if exports.applies(spec):  # platform exports and labels -> long or wide (data/exports)
        study, frame = exports.to_standard(study, frame, design, display)
        spec = study.spec.choices
    if spec.format == "wide":
        long = _from_wide(study, frame, design, display)
    else:
        long = _from_long(study, frame, design, display)
    long = attach_groups(study, long, frame, display)
    similar_groups(long["group"])
    keys = respondent_keys(long)  # ids and groups hashed once for both
    similar_ids(keys[3])
    n_rows = len(long)
    long, missing = drop_missing(study, long, display, keys)
    summary = summarize(long, keys if len(long) == n_rows else None)
    summary["missing"] = missing
    return attach_marks(long, design), summary


def _coded_columns(study) -> frozenset:
    """The columns of a long choices file read only through their distinct cells and
    single cells (attributes, task, alternative, chosen, block): kept as codes. Ids,
    groups, covariates, versions and the columns of wide files and exports are text."""
    spec = study.spec.choices
    if spec.format != "long" or exports.applies(spec):
        return frozenset()
    c = spec.columns
    names = {a.name for a in study.attributes} | {c.task, c.alternative, c.chosen, c.block}
    return frozenset(names - {c.respondent, c.group, c.version, None}
                     - set(respondent_covariates(study)))


EXTRA_COLUMNS = ["task_type", "repeat_of", "version", "shown_task", "shown_alternative"]


def attach_marks(long: pd.DataFrame, design) -> pd.DataFrame:
    """The responses with the design's validity-task marks (``task_type``, ``repeat_of``).

    Parameters
    ----------
    long : DataFrame
        Long responses with ``block`` and ``task`` (the design's task numbers).
    design : Design or None
        A design whose table may mark its validity tasks (:mod:`dce.design.validity`).

    Returns
    -------
    DataFrame
        ``long`` itself when the design has no marks (or there is no design, or the
        responses carry marks already); else with the two columns joined on block and task
        (tasks not in the design are ``choice``).
    """
    if design is None or "task_type" not in design.table or "task_type" in long:
        return long
    marks = design.table[["block", "task", "task_type", "repeat_of"]].drop_duplicates(
        ["block", "task"])
    out = long.merge(marks, on=["block", "task"], how="left")
    out["task_type"] = out["task_type"].fillna("choice")
    out["repeat_of"] = out["repeat_of"].fillna(0).astype(np.int64)
    return out


def estimation_rows(long: pd.DataFrame, include_validity: bool = False) -> pd.DataFrame:
    """The responses the models are fitted on: without the validity tasks (dominance and
    repeated tasks, :mod:`dce.design.validity`) unless ``include_validity``.

    Parameters
    ----------
    long : DataFrame
        Long responses, optionally with ``task_type``.
    include_validity : bool
        ``model.include_validity_tasks``.

    Returns
    -------
    DataFrame
        ``long`` itself when it has no marks or validity tasks are included; else its
        ``choice`` rows (index kept).
    """
    if include_validity or "task_type" not in long:
        return long
    return long[long["task_type"].to_numpy() == "choice"]


def order_warning(study, frame, display) -> None:
    """Warn when a randomised design's answers are read without ``choices.columns.version``.

    Without it the answers are taken as given in the design's own task and alternative
    numbers (right when the survey platform records those); answers recorded as shown would
    then be attributed to the wrong profiles, so the warning names the key, and a column
    called ``version`` that the config does not use.
    """
    d = study.spec.design
    c = study.spec.choices.columns
    r = d.randomize if d is not None else None
    if r is None or not (r.tasks or r.alternatives) or c.version:
        return
    unused = [col for col in frame.columns if col.strip().lower() == "version"
              and col not in (c.block, c.respondent, c.group)]
    warnings.warn(f"{display}: the design's order is randomised (design.randomize) but "
                  "choices.columns.version is not set, so the answers are read as numbered in "
                  "the design itself" + (f"; the file has a column {unused[0]!r}: if the "
                                         "answers were recorded as shown, add "
                                         f"choices.columns.version: {unused[0]}"
                                         if unused else "; if they were recorded as shown, "
                                         "set choices.columns.version"),
                  UserWarning, stacklevel=3)


def _from_long(study, frame, design, display) -> pd.DataFrame:
    c = study.spec.choices.columns
    order_warning(study, frame, display)
    attrs = study.attributes
    needed = {"respondent": c.respondent, "task": c.task, "alternative": c.alternative,
              "chosen": c.chosen}
    if c.block:
        needed["block"] = c.block
    if c.version:
        needed["version"] = c.version
    attr_missing = [a.name for a in attrs if a.name not in frame.columns]
    if attr_missing and design is None:
        needed.update({f"attribute {n}": n for n in attr_missing})
    need_columns(frame, needed, display, study.spec.choices.delimiter)
    issues = Issues(display, frame)
    out = pd.DataFrame({"respondent": stripped(frame[c.respondent])})
    codes, ids = distinct(frame[c.respondent])  # the reader's codes of the ids, stripped
    ids = strip_text(ids)
    person = np.where(ids == "", -1, factorized(ids)[0])[codes]  # -1: an empty id
    issues.add_rows(c.respondent, "empty respondent id", np.flatnonzero(person < 0))
    out["block"] = integers(frame, c.block, issues) if c.block else 1
    out["task"] = integers(frame, c.task, issues)
    opt_spec = study.spec.choices.opt_out
    out["alternative"], labelled = long_alternatives(study, frame, design, issues, display,
                                                     bool(attr_missing))
    blank = missing_cells(frame[c.chosen])  # no answer: a task whose cells are all blank
    chosen = integers(cells_set(frame, c.chosen, blank, "0"), c.chosen, issues, "0 or 1")
    bad = np.flatnonzero(~np.isin(chosen, [0, 1]) & (chosen != -1))
    issues.add_rows(c.chosen, lambda i: f"expected 0 or 1, found "
                    f"{frame[c.chosen].iloc[bad[i]]!r}", bad, "01")
    out["chosen"] = chosen
    if c.version:  # positions shown in a randomised version -> the design's
        out["version"] = integers(frame, c.version, issues)
        out = _design_positions(study, out, design, issues, display)
    if attr_missing:
        issues.raise_if_any()
        out = _join_design(out, design, display, issues)
    else:
        is_opt = long_opt_out(study, frame, out["alternative"].to_numpy(), labelled, issues,
                              display)
        # labelled designs: an attribute's cells are empty where it does not appear
        alternative = out["alternative"].to_numpy()
        cells = distinct_cells(frame, attrs)
        empty = np.column_stack([(cells[a.name][1] == "")[cells[a.name][0]]
                                 & a.applies(alternative) for a in attrs]) if attrs else \
            np.zeros((len(frame), 0), bool)
        partial = np.flatnonzero(empty.any(axis=1) & ~is_opt)
        names = np.array([a.name for a in attrs], dtype=object)
        issues.add_rows(None, f"empty cell (only the opt-out, {describe(opt_spec)}, may leave "
                        "its attribute cells empty)" if opt_spec not in (None, "empty")
                        else "empty cell (only opt-out rows may leave every attribute empty)",
                        partial, "empty", columns=names[empty[partial].argmax(axis=1)])
        cols = attribute_cells(frame, attrs, issues, is_opt, cells)
        for a in attrs:
            if a.alternatives is not None:
                cols[a.name] = np.where(~a.applies(alternative), "", cols[a.name])
        cols["is_opt_out"] = is_opt.astype(np.int64)  # joined, not copied column by column
        out = pd.concat([out, pd.DataFrame(cols, index=out.index, copy=False)], axis=1)
        if design is not None and str(design.source).startswith("file"):
            against_design(out, design, attrs, issues, c.task)
    check_sets(out.assign(_blank=blank, _person=person), issues, c, study.spec.choices.missing)
    if c.group and c.group in frame.columns and issues.items:  # the likely cause, named
        ids_across_groups(out["respondent"], stripped(frame[c.group]), issues, c)
    issues.raise_if_any()
    return out


def _design_positions(study, out, design, issues, display, rows=None,
                      column=None) -> pd.DataFrame:
    """Rows recorded as shown in a version of a randomised design (``choices.columns.
    version``), with the design's task and alternative (:mod:`dce.design.randomize`);
    a row whose block, version, task and alternative were never shown is an issue (at
    file row ``rows[i]``, column ``column``; default: the row itself, the task column)."""
    need_design(study, design, f"{display} names the version of a randomised design "
                "(choices.columns.version); the design is needed to map the positions shown "
                "to its tasks and alternatives")
    order = fielding_order(design, study)
    if order is None:
        raise DataError([study.problem(("choices", "columns", "version"), "a version column "
                                       "needs design.randomize (the orders fielded); remove "
                                       "it when the data give the design's task and "
                                       "alternative")])
    mapped, unknown = to_design_positions(out, order)
    readable = (out[["block", "version", "task", "alternative"]] != -1).all(axis=1).to_numpy()
    c = study.spec.choices.columns
    never = np.asarray(unknown)[readable[unknown]]
    n_versions = versions(study) if len(never) else None
    issues.add_rows(column or c.task, lambda i: f"block {out['block'].iloc[never[i]]}, version "
                    f"{out['version'].iloc[never[i]]}, task {out['task'].iloc[never[i]]}, "
                    f"alternative {out['alternative'].iloc[never[i]]} was not shown in any "
                    f"version of the randomised design ({n_versions} versions per block)",
                    never if rows is None else np.asarray(rows)[never], "shown")
    return mapped


def _join_design(out, design, display, issues) -> pd.DataFrame:
    table = design.table
    merged = out.merge(table, on=["block", "task", "alternative"], how="left", indicator=True)
    off = np.flatnonzero((merged["_merge"] != "both").to_numpy())
    issues.add_rows("alternative", lambda i: f"block {merged['block'].iloc[off[i]]}, task "
                    f"{merged['task'].iloc[off[i]]}, alternative "
                    f"{merged['alternative'].iloc[off[i]]} is not in the design", off, "join")
    issues.raise_if_any()
    return merged.drop(columns="_merge")


def need_design(study, design, message: str) -> None:
    """Raise a DataError at ``choices.format`` with ``message`` when there is no design.

    Parameters
    ----------
    study : Study
    design : Design or None
    message : str
        Why the data need a design and what to add.

    Raises
    ------
    DataError
        Key ``choices.format`` (with its config line) when ``design`` is None.
    """
    if design is None:
        raise DataError([study.problem(("choices", "format"), message)])


def _from_wide(study, frame, design, display) -> pd.DataFrame:
    order_warning(study, frame, display)
    c = study.spec.choices.columns
    need_design(study, design, f"wide data needs the design to know the attribute levels of "
                f"{display}; add a `design:` section (with design.file for a fielded design), "
                "or give long data with attribute columns")
    needed = {"respondent": c.respondent}
    if c.block:
        needed["block"] = c.block
    need_columns(frame, needed, display, study.spec.choices.delimiter)
    task_cols = task_columns(frame, c.tasks, display, design_tasks(design, bool(c.version)))
    issues = Issues(display, frame)
    blocks = _wide_blocks(study, frame, task_cols, design, issues)
    table = design.table
    answers = wide_answers(study, frame, task_cols, design, blocks, issues)
    dup = stripped(frame[c.respondent]).duplicated().to_numpy()
    dup = np.flatnonzero(dup)
    issues.add_rows(c.respondent, lambda i: f"respondent {frame[c.respondent].iloc[dup[i]]!r} "
                    "has more than one row", dup, "dup")
    issues.raise_if_any()
    if c.version:  # task columns and answers as shown in a randomised version
        answers = _wide_shown(study, frame, answers, design, issues, display)
    answers = answers.merge(table[["block", "task"]].drop_duplicates(), how="left",
                            on=["block", "task"], indicator=True)
    off = (answers["_merge"] != "both").to_numpy()
    _not_in_design(issues, answers[off & (answers["choice"] > 0).to_numpy()], table)
    answers = answers[~off].drop(columns="_merge")  # an empty cell of a task not shown
    if study.spec.choices.missing == "error":
        gone = answers[answers["choice"] == 0].reset_index(drop=True)
        issues.add_rows(None, lambda i: f"respondent {gone['respondent'].iloc[i]}, task "
                        f"{gone['task'].iloc[i]} has no answer (a missing answer; "
                        "choices.missing: error stops here, drop would leave the task out)",
                        gone["row"].to_numpy(), "missing", columns=gone["column"].to_numpy())
    long = answers.merge(table, on=["block", "task"], how="left")
    long["chosen"] = (long["alternative"] == long["choice"]).astype(np.int64)
    n_chosen = long.groupby(["row", "task"], sort=False)["chosen"].transform("sum")
    bad = long[(n_chosen == 0).to_numpy() & (long["choice"] > 0).to_numpy()]
    bad = bad.drop_duplicates(["row", "task"]).reset_index(drop=True)
    issues.add_rows(None, lambda i: f"alternative {bad['choice'].iloc[i]} is not in block "
                    f"{bad['block'].iloc[i]}, task {bad['task'].iloc[i]} of the design",
                    bad["row"].to_numpy(), "notin", columns=bad["column"].to_numpy())
    issues.raise_if_any()
    long = long.drop(columns=["row", "column", "choice"])
    if c.version:  # every row's position shown, from the version's order
        long = long.merge(fielding_order(design, study), how="left",
                          on=["block", "version", "task", "alternative"])
    return long


def _wide_blocks(study, frame, task_cols, design, issues) -> np.ndarray:
    """The block of each wide row. Under ``choices.missing: drop`` the empty block cell of
    a row that answered no task (a break-off) is read as the design's first block, so that
    the respondent is counted as dropped rather than stopping the run."""
    c = study.spec.choices.columns
    if not c.block:
        return np.ones(len(frame), np.int64)
    cells = frame[c.block]
    if study.spec.choices.missing == "drop" and task_cols:
        unanswered = np.logical_and.reduce([missing_cells(frame[col])
                                            for _, col in task_cols])
        fill = unanswered & missing_cells(cells)
        if fill.any():
            first = str(int(design.table["block"].min()))
            frame = frame.assign(**{c.block: cells.where(~fill, first)})
    blocks = integers(frame, c.block, issues)
    have = np.unique(design.table["block"].to_numpy())
    codes, uniques = distinct(frame[c.block])  # whole numbers that are not a block
    number = pd.to_numeric(pd.Series(strip_text(uniques), dtype=object), errors="coerce")
    unknown = (number.notna() & (number == number.round()) & ~number.isin(have)).to_numpy()
    rows = np.flatnonzero(unknown[codes])
    issues.add_rows(c.block, lambda i: f"block {blocks[rows[i]]} is not a block of the "
                    f"design (blocks: {runs_text(have)})", rows, "block")
    return blocks


def _not_in_design(issues, off: pd.DataFrame, table: pd.DataFrame) -> None:
    """Answered task cells whose block and task the design lacks, in file order, each at
    its task column, with the tasks the block has (a column caught by the task prefix that
    is not a choice task, such as a later question Q10, is the usual cause)."""
    off = off.sort_values(["row", "task"], kind="stable").reset_index(drop=True)
    spans = table.groupby("block")["task"].agg(["min", "max"])
    lo = off["block"].map(spans["min"]).to_numpy()
    hi = off["block"].map(spans["max"]).to_numpy()

    def message(i):  # unknown blocks were reported at the block column
        b, task, col = off["block"].iloc[i], off["task"].iloc[i], off["column"].iloc[i]
        has = f"block {b} has tasks {int(lo[i])} to {int(hi[i])}"
        return (f"block {b}, task {task} is not in the design ({has}); if {col} is not a "
                "choice task, list the task columns in choices.columns.tasks; if the file "
                "numbers tasks across blocks, number the design's tasks the same way")

    issues.add_rows(None, message, off["row"].to_numpy(), "join",
                    columns=off["column"].to_numpy())


def _wide_shown(study, frame, answers, design, issues, display) -> pd.DataFrame:
    """Wide answers of a randomised design: the task shown and the alternative chosen as
    shown, mapped to the design's (the position shown kept in ``shown_task``)."""
    c = study.spec.choices.columns
    need_columns(frame, {"version": c.version}, display, study.spec.choices.delimiter)
    version = integers(frame, c.version, issues)
    issues.raise_if_any()
    none = answers["choice"].to_numpy() == 0  # no answer: the task shown is mapped alone
    shown = answers.assign(version=version[answers["row"].to_numpy()],
                           alternative=np.where(none, 1, answers["choice"]))
    mapped = _design_positions(study, shown[~none], design, issues, display,
                               rows=answers["row"].to_numpy()[~none], column=c.version)
    issues.raise_if_any()
    blank, _ = to_design_positions(shown[none], fielding_order(design, study))
    blank = blank[blank["task"].to_numpy() != -1].assign(alternative=0)  # tasks not shown
    both = pd.concat([mapped, blank]).sort_values(["row", "shown_task"], kind="stable")
    return both.assign(choice=both["alternative"]).drop(
        columns=["alternative", "shown_alternative", "shown_task"])


def attach_groups(study, long, frame, display) -> pd.DataFrame:
    """The responses ``long`` with a ``group`` column (from the respondents table, the
    choices' group column, else ``all``) and the covariates of ``model.interactions``;
    every problem in the respondents table or ``frame`` is collected before raising.

    ``frame`` is the choices file (text cells, ``display`` its name); with a group column
    of long data, ``long`` has one row per ``frame`` row. Raises DataError naming file,
    line and column: missing columns, respondents listed twice or not listed, empty,
    reserved (``all``) or mixed groups, and missing covariates.
    """
    c = study.spec.choices.columns
    r_spec = study.spec.respondents
    long = long.copy(deep=False)  # copy-on-write: the caller's frame is not changed
    if r_spec is not None:
        path = study.resolve(r_spec.file)
        rdisp = shown(path)
        _config_file(study, ("respondents", "file"), rdisp)
        people = read_table(path, rdisp)
        need_columns(people, {"respondent id": r_spec.id, "group": r_spec.group}, rdisp, ",",
                      setting=None)
        issues = Issues(rdisp, people)
        ids = stripped(people[r_spec.id])
        twice = np.flatnonzero(ids.duplicated().to_numpy())
        issues.add_rows(r_spec.id, lambda i: f"respondent {ids.iloc[twice[i]]!r} is listed "
                        "twice", twice, "dup")
        groups = stripped(people[r_spec.group])
        none = np.flatnonzero((groups == "").to_numpy())
        issues.add_rows(r_spec.group, lambda i: f"respondent {ids.iloc[none[i]]!r} has no "
                        "group", none, "empty")
        _reserved_group(groups, issues, r_spec.group)
        for cov in (covariates := respondent_covariates(study)):
            if cov not in people.columns:
                issues.add(cov, f"missing column {cov!r} (covariate named in "
                           f"{covariate_key(study, cov)})", None, "cov")
            else:
                empty = np.flatnonzero(blank_cells(people[cov]))
                issues.add_rows(cov, lambda i, cov=cov, empty=empty: f"respondent "
                                f"{ids.iloc[empty[i]]!r} has no value of covariate {cov!r}",
                                empty, "covempty")
        issues.raise_if_any()
        group_notes(study, long, pd.Series(ids), pd.Series(groups), rdisp, display)
        lookup = dict(zip(ids, groups, strict=True))
        long["group"] = long["respondent"].astype(str).map(lookup)
        for cov in covariates:
            long[cov] = long["respondent"].astype(str).map(
                dict(zip(ids, stripped(people[cov]), strict=True)))
        missing = long.loc[long["group"].isna(), "respondent"].unique()
        if len(missing) and study.spec.choices.missing == "drop":
            missing = _unlisted_nonresponders(long, missing)
        if len(missing):
            _not_listed(frame, display, c.respondent, missing,
                        f"table {rdisp} (column {r_spec.id!r})")
    elif c.group:
        need_columns(frame, {"group": c.group}, display, study.spec.choices.delimiter)
        issues = Issues(display, frame)
        cells = stripped(frame[c.group])
        ids = stripped(frame[c.respondent])
        none = np.flatnonzero((cells == "").to_numpy())
        issues.add_rows(c.group, lambda i: f"respondent {ids.iloc[none[i]]!r} has no group "
                        "(empty cell)", none, "empty")
        _reserved_group(cells, issues, c.group)
        first = cells.groupby(ids, sort=False).transform("first")
        mixed = np.flatnonzero(((cells != first) & (cells != "")).to_numpy())
        issues.add_rows(c.group, lambda i: f"respondent {ids.iloc[mixed[i]]!r} is in group "
                        f"{cells.iloc[mixed[i]]!r} here but in {first.iloc[mixed[i]]!r} on an "
                        "earlier row; a respondent belongs to one group", mixed, "mixed")
        issues.raise_if_any()
        if study.spec.choices.format == "wide":
            long["group"] = long["respondent"].map(dict(zip(ids, cells, strict=True)))
        else:
            long["group"] = cells.to_numpy()
    else:
        long["group"] = pd.Series("all", index=long.index, dtype=TEXT)
    # text cells keep pandas' Python string storage (dce.core.cells.TEXT) with pyarrow too
    long["respondent"] = long["respondent"].astype(TEXT)
    long["is_opt_out"] = long["is_opt_out"] if "is_opt_out" in long else 0
    covs = [c for c in respondent_covariates(study) if c in long]
    extra = [c for c in EXTRA_COLUMNS + covs if c in long]  # marks, order shown, covariates
    return long[OUT_COLUMNS + [a.name for a in study.attributes] + ["is_opt_out"]
                + extra].reset_index(drop=True)


def _unlisted_nonresponders(long, missing) -> np.ndarray:
    """Put the respondents of ``missing`` (not in the respondents table) who answered no
    task in group :data:`UNLISTED` (they are dropped with the other non-responders, listed
    or not: a table of completers); return the others, who stop the run."""
    silent = pd.Index(missing).difference(long.loc[long["chosen"] == 1, "respondent"].unique())
    long.loc[long["respondent"].isin(silent), "group"] = UNLISTED
    return missing[~pd.Index(missing).isin(silent)]


def _not_listed(frame, display, column, missing, table) -> None:
    """Raise one problem per respondent of the choices file missing from the respondents
    table, at the first row of each (the first few built, the rest counted)."""
    issues = Issues(display, frame)
    raw_ids = stripped(frame[column])
    first = pd.Series(np.arange(len(raw_ids)), index=raw_ids.to_numpy()).groupby(
        level=0, sort=False).first()
    at = first.reindex(pd.Index(missing).astype(str)).to_numpy()
    for rid, row in zip(missing[:5], at[:5], strict=True):  # the first few; the rest counted
        issues.add(column, f"respondent {rid!r} is not in the respondents {table}, so it has "
                   "no group; add it there", None if np.isnan(row) else int(row), "nogroup")
    if len(missing) > 5:
        issues.counts[(column, "nogroup")] += len(missing) - 5
    issues.raise_if_any()


POOLED = "all"


def _reserved_group(groups: pd.Series, issues: Issues, column: str) -> None:
    """The pooled model is the group ``all``; a respondent group may not take that name."""
    rows = np.flatnonzero((groups == POOLED).to_numpy())
    if len(rows):
        issues.add(column, f"group name {POOLED!r} is reserved for the pooled model of all "
                   f"respondents ({len(rows)} rows use it); rename this group", rows[0],
                   "reserved")
