"""Randomised order of tasks and alternatives: the versions of each block as fielded.

``design.randomize: {tasks, alternatives, versions}`` gives each block ``versions``
versions, each with its own seeded order (the ``randomize`` stream of
``design.randomize.seed``, by default the config seed): the tasks of the block in a random
order when ``tasks`` is on, and the generic alternatives of every task in a random order
when ``alternatives`` is on (the opt-out stays last). Repeated tasks (``design.repeat_tasks``)
keep their meaning: a repeat is shown after its original with at least
:func:`repeat_gap` tasks between them (a third of the block, rounded up, or the most the
block allows), drawn among random orders that respect it; and it shows the generic
alternatives in its original's order as shown, reversed when ``design.repeat_swap`` is on
(so the swap is never undone by the shuffle). With ``design.randomize.file`` the orders are
read from the fielded ``fielding_order.csv`` (or ``survey.csv``) instead of drawn, so
responses recorded as shown are mapped back through the order that was fielded whatever the
seed. The design table itself keeps the design's order; :func:`fielding_order` is the
lookup between the positions shown and the design's task and alternative, which survey.csv,
the cards, the simulation and the data readers share, so the estimates do not depend on the
order shown. Randomising the order spreads position and learning effects over the tasks
(Johnson et al. 2013, Value in Health 16:3-13, the ISPOR design report).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dce.core.csvread import Issues, integers, need_columns, read_table
from dce.core.random import rng as make_rng

ORDER_COLUMNS = ["block", "version", "task", "alternative", "shown_task",
                 "shown_alternative"]
DRAWS = 200  # random task orders tried per version before the separated fallback order
_MARKS = ("block", "task", "alternative", "is_opt_out", "task_type", "repeat_of")


def order_seed(study) -> int:
    """The seed of the fielding orders: ``design.randomize.seed``, else the config seed.

    Parameters
    ----------
    study : Study

    Returns
    -------
    int
    """
    r = study.spec.design.randomize
    return study.seed if r is None or r.seed is None else int(r.seed)


def repeat_gap(n_tasks: int) -> int:
    """Tasks shown at least between a repeated task and its original: ceil(T / 3).

    Parameters
    ----------
    n_tasks : int
        Tasks fielded in the block (choice, dominance and repeated tasks).

    Returns
    -------
    int
        The aim; a block too short for it gets the widest separation it allows.
    """
    return math.ceil(n_tasks / 3)


def fielding_order(design, study) -> pd.DataFrame | None:
    """The position shown of every design row in every version of its block.

    Parameters
    ----------
    design : Design
        An attribute design (``block, task, alternative, ..., is_opt_out`` and optionally
        ``task_type, repeat_of``), in design order.
    study : Study
        ``design.randomize`` (its ``file``, ``seed``) and the seed.

    Returns
    -------
    DataFrame (rows x versions, 6) or None
        Columns :data:`ORDER_COLUMNS`: the design's ``block, task, alternative``, the
        ``version`` (1..versions) and the ``shown_task`` and ``shown_alternative``
        (1-based positions); sorted by block, version, task and alternative. None when
        ``design.randomize`` is not set.

    Raises
    ------
    DataError
        From :func:`read_order` when ``design.randomize.file`` exists and does not match.
    """
    d = study.spec.design
    spec = d.randomize if d is not None else None
    if spec is None:
        return None
    if spec.file is not None and study.resolve(spec.file).is_file():
        return read_order(study.resolve(spec.file), design, study)
    table = design.table.sort_values(["block", "task", "alternative"], kind="stable")
    rng = make_rng(order_seed(study), "randomize")
    frames = []
    for b, part in table.groupby("block", sort=True):
        part = part.reset_index(drop=True)
        tasks = np.unique(part["task"].to_numpy())
        repeats = _repeat_pairs(part)
        matches = _repeat_rows(part, repeats) if spec.alternatives else []
        for v in range(1, spec.versions + 1):
            pos = _task_positions(tasks, repeats, spec.tasks, rng)
            frames.append(_version(part, b, v, pos, spec.alternatives, rng, matches,
                                   bool(d.repeat_swap)))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["block", "version", "task", "alternative"]).reset_index(drop=True)


def _repeat_pairs(part: pd.DataFrame) -> list[tuple[int, int]]:
    if "task_type" not in part:
        return []
    rep = part[part["task_type"] == "repeat"].drop_duplicates("task")
    return list(zip(rep["task"].astype(int), rep["repeat_of"].astype(int), strict=True))


def _task_positions(tasks, repeats, shuffle, rng) -> dict:
    """Task -> position shown (0-based): the design order, or a random order in which
    every repeat follows its original with at least :func:`repeat_gap` tasks between
    (the first of :data:`DRAWS` random orders that does, else a separated order)."""
    n = len(tasks)
    if not shuffle:
        return dict(zip(tasks.tolist(), range(n), strict=True))
    if not repeats:
        return dict(zip(tasks.tolist(), rng.permutation(n).tolist(), strict=True))
    index = {t: i for i, t in enumerate(tasks.tolist())}
    rep = np.array([index[r] for r, _ in repeats])
    orig = np.array([index[o] for _, o in repeats])
    fallback = _separated(n, rep, orig, rng)
    gap = min(repeat_gap(n), int((fallback[rep] - fallback[orig]).min()) - 1)
    draws = rng.permuted(np.tile(np.arange(n), (DRAWS, 1)), axis=1)  # draw -> positions
    ok = ((draws[:, rep] - draws[:, orig] - 1) >= gap).all(axis=1)
    pos = draws[int(np.argmax(ok))] if ok.any() else fallback
    return dict(zip(tasks.tolist(), pos.tolist(), strict=True))


def _separated(n, rep, orig, rng) -> np.ndarray:
    """Positions (by task index) of an order with the originals first (in random order),
    the other tasks next, the repeats last in their originals' order."""
    firsts = rng.permutation(np.unique(orig))
    rank = {o: i for i, o in enumerate(firsts.tolist())}
    last = rep[np.argsort([rank[o] for o in orig.tolist()], kind="stable")]
    rest = rng.permutation(np.setdiff1d(np.arange(n), np.concatenate([firsts, rep])))
    seq = np.concatenate([firsts, rest, last])  # task index shown at each position
    pos = np.empty(n, dtype=np.int64)
    pos[seq] = np.arange(n)
    return pos


def _repeat_rows(part, repeats) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per repeat: its generic rows and its original's rows showing the same profiles."""
    attrs = [c for c in part.columns if c not in _MARKS]
    profile = part[attrs].astype(str).agg("|".join, axis=1).to_numpy() if attrs else \
        np.full(len(part), "", dtype=object)
    task = part["task"].to_numpy()
    gen = part["is_opt_out"].to_numpy() == 0
    out = []
    for r, o in repeats:
        rows_r = np.flatnonzero((task == r) & gen)
        rows_o = np.flatnonzero((task == o) & gen)
        out.append((rows_r[np.argsort(profile[rows_r], kind="stable")],
                    rows_o[np.argsort(profile[rows_o], kind="stable")]))
    return out


def _version(part, block, version, pos, shuffle_alternatives, rng, matches,
             swap) -> pd.DataFrame:
    """Order rows of one version of one block."""
    task = part["task"].to_numpy()
    alt = part["alternative"].to_numpy()
    gen = np.flatnonzero(~part["is_opt_out"].to_numpy().astype(bool))
    shown_alt = alt.copy()
    if shuffle_alternatives and len(gen):
        # generic alternatives 1..J of each task in a random order (rank of a random key)
        by = gen[np.lexsort((rng.random(len(gen)), task[gen]))]
        new = np.r_[True, task[by][1:] != task[by][:-1]]
        starts = np.flatnonzero(new)
        shown_alt[by] = np.arange(len(by)) - starts[np.cumsum(new) - 1] + 1
        for rows_r, rows_o in matches:  # a repeat shows its original's order (reversed)
            shown_alt[rows_r] = (len(rows_o) + 1 - shown_alt[rows_o]) if swap else \
                shown_alt[rows_o]
    # the opt-out keeps its number: last
    return pd.DataFrame({"block": block, "version": version, "task": task,
                         "alternative": alt,
                         "shown_task": np.array([pos[t] for t in task.tolist()]) + 1,
                         "shown_alternative": shown_alt})


def versions(study) -> int:
    """Versions per block: ``design.randomize.versions``, or 1 without randomisation.

    Parameters
    ----------
    study : Study

    Returns
    -------
    int
    """
    d = study.spec.design
    return d.randomize.versions if d is not None and d.randomize is not None else 1


def fielded_table(design, study) -> pd.DataFrame:
    """The design as fielded: one row per block x version x task shown x position shown.

    Parameters
    ----------
    design : Design
    study : Study

    Returns
    -------
    DataFrame
        Without ``design.randomize``: the design table. With it: ``block, version, task,
        alternative`` (as shown), the design's other columns, then ``design_task`` and
        ``design_alternative`` (the design's numbers of the row) and ``order_seed`` (the
        seed the orders were drawn with, :func:`order_seed`; empty when they were read
        from ``design.randomize.file``); sorted by block, version, task and alternative
        shown. A repeated task's ``repeat_of`` is then its original's task number as
        shown in the same version (the design's number in ``design_repeat_of``), so that
        every task number of the table is a position shown.
    """
    order = fielding_order(design, study)
    if order is None:
        return design.table
    merged = order.merge(design.table, on=["block", "task", "alternative"], how="left")
    merged = merged.rename(columns={"task": "design_task", "alternative": "design_alternative",
                                    "shown_task": "task", "shown_alternative": "alternative"})
    rest = [c for c in design.table.columns if c not in ("block", "task", "alternative")]
    extra = []
    if "repeat_of" in merged:
        shown = order.drop_duplicates(["block", "version", "task"]).set_index(
            ["block", "version", "task"])["shown_task"]
        key = pd.MultiIndex.from_arrays([merged["block"], merged["version"],
                                         merged["repeat_of"]])
        merged["design_repeat_of"] = merged["repeat_of"]
        merged["repeat_of"] = shown.reindex(key).fillna(0).astype(np.int64).to_numpy()
        extra = ["design_repeat_of"]
    r = study.spec.design.randomize
    drawn = r.file is None or not study.resolve(r.file).is_file()
    merged["order_seed"] = order_seed(study) if drawn else pd.NA
    cols = ["block", "version", "task", "alternative", *rest, "design_task",
            "design_alternative", *extra, "order_seed"]
    return merged[cols].sort_values(["block", "version", "task", "alternative"]).reset_index(
        drop=True)


def read_order(path, design, study) -> pd.DataFrame:
    """The fielded orders from ``design.randomize.file``: a ``fielding_order.csv``
    (``block, version, task, alternative, shown_task, shown_alternative``: the design's
    numbers and the positions shown) or a ``survey.csv`` (``block, version, task,
    alternative`` as shown, ``design_task, design_alternative``), as written by dce.

    Parameters
    ----------
    path : pathlib.Path
        The file (it exists).
    design : Design
        The design the orders belong to.
    study : Study
        ``design.randomize.versions``.

    Returns
    -------
    DataFrame
        As :func:`fielding_order`.

    Raises
    ------
    DataError
        Located at the file, line and column: missing columns, cells that are not whole
        numbers, a row that is not in the design, a design row missing from a version, a
        task shown at two positions, or positions shown that are not 1..n.
    """
    from dce.config.study import shown as display_name

    display = display_name(path)
    frame = read_table(path, display)
    survey = "design_task" in frame.columns and "shown_task" not in frame.columns
    cols = ({"block": "block", "version": "version", "task": "design_task",
             "alternative": "design_alternative", "shown_task": "task",
             "shown_alternative": "alternative"} if survey else
            {c: c for c in ORDER_COLUMNS})
    need_columns(frame, cols, display, ",", None)
    issues = Issues(display, frame)
    out = pd.DataFrame({k: integers(frame, c, issues) for k, c in cols.items()})
    issues.raise_if_any()
    _check_order(out, design, study, issues, cols)
    issues.raise_if_any()
    return out.sort_values(["block", "version", "task", "alternative"]).reset_index(drop=True)


def _check_order(out, design, study, issues, cols) -> None:
    """Issues of an order read from a file (see :func:`read_order`)."""
    n_versions = study.spec.design.randomize.versions
    for r in np.flatnonzero(~out["version"].between(1, n_versions).to_numpy()):
        issues.add(cols["version"], f"version {out['version'].iloc[r]} is not among the "
                   f"{n_versions} versions per block of design.randomize.versions", r, "v")
    keys = ["block", "task", "alternative"]
    rows = design.table[keys].drop_duplicates()
    found = out.merge(rows, on=keys, how="left", indicator=True)["_merge"].to_numpy()
    for r in np.flatnonzero(found != "both"):
        issues.add(cols["task"], f"block {out['block'].iloc[r]}, task {out['task'].iloc[r]}, "
                   f"alternative {out['alternative'].iloc[r]} is not in the design", r, "in")
    for r in np.flatnonzero(out.duplicated(["version", *keys]).to_numpy()):
        issues.add(cols["task"], "this design row appears twice in its version", r, "dup")
    issues.raise_if_any()
    per = out.groupby(["block", "version"]).size()
    want = rows.groupby("block").size()
    short = per.reindex(pd.MultiIndex.from_product([want.index, range(1, n_versions + 1)]),
                        fill_value=0)
    for (b, v), n in short.items():
        if n != want[b]:
            issues.add(cols["version"], f"block {b}, version {v} has {n} of the design's "
                       f"{want[b]} rows; every version shows every row of its block")
    g = out.groupby(["block", "version", "task"])
    for r in np.flatnonzero(g["shown_task"].transform("nunique").to_numpy() > 1):
        issues.add(cols["shown_task"], "the rows of one task are shown at different task "
                   "positions", r, "split")
    n_tasks = out.groupby(["block", "version"])["task"].transform("nunique")
    n_alts = g["alternative"].transform("size")
    clash = out.groupby(["block", "version", "shown_task"])["task"].transform("nunique") > 1
    bad_t = ~out["shown_task"].between(1, n_tasks) | clash
    for r in np.flatnonzero(bad_t.to_numpy()):
        issues.add(cols["shown_task"], "expected each task of a version at its own position "
                   f"1 to {n_tasks.iloc[r]}", r, "pos")
    bad_a = ~out["shown_alternative"].between(1, n_alts) | out.duplicated(
        ["block", "version", "task", "shown_alternative"])
    for r in np.flatnonzero(bad_a.to_numpy()):
        issues.add(cols["shown_alternative"], "expected each alternative of a task at its own "
                   f"position 1 to {n_alts.iloc[r]}", r, "alt")


def to_design_positions(long: pd.DataFrame, order: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                            np.ndarray]:
    """Map responses recorded in positions shown to the design's task and alternative.

    Parameters
    ----------
    long : DataFrame (rows, ...)
        With ``block, version, task, alternative`` as shown.
    order : DataFrame
        From :func:`fielding_order`.

    Returns
    -------
    mapped : DataFrame (rows, ...)
        ``long`` (same rows, same order) with ``task`` and ``alternative`` the design's
        and the positions shown kept in ``shown_task`` and ``shown_alternative``.
    unknown : ndarray of int
        Positions (0-based) of rows whose block, version, task and alternative are not
        among the versions' positions (their task and alternative are -1).
    """
    key = order.rename(columns={"task": "design_task", "alternative": "design_alternative"})
    left = long.rename(columns={"task": "shown_task", "alternative": "shown_alternative"})
    merged = left.merge(key, on=["block", "version", "shown_task", "shown_alternative"],
                        how="left")
    unknown = np.flatnonzero(merged["design_task"].isna().to_numpy())
    merged["task"] = merged.pop("design_task").fillna(-1).astype(np.int64)
    merged["alternative"] = merged.pop("design_alternative").fillna(-1).astype(np.int64)
    return merged, unknown


def assign_versions(n: int, n_blocks: int, n_versions: int) -> np.ndarray:
    """Version of each of ``n`` respondents who rotate through blocks, then versions.

    Respondent i answers block ``i mod n_blocks`` (as in :mod:`dce.data.simulate`) and
    version ``(i div n_blocks) mod n_versions``, so the versions of each block are used in
    turn.

    Parameters
    ----------
    n, n_blocks, n_versions : int

    Returns
    -------
    ndarray of int (n,)
        1-based versions.
    """
    return (np.arange(n) // n_blocks) % n_versions + 1
