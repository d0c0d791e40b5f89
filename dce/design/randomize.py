"""Randomised order of tasks and alternatives: the versions of each block as fielded.

``design.randomize: {tasks, alternatives, versions}`` gives each block ``versions``
versions, each with its own seeded order (the ``randomize`` stream of the config seed):
the tasks of the block in a random order when ``tasks`` is on (a repeated task is kept
after its original by exchanging the two positions when needed), and the generic
alternatives of every task in a random order when ``alternatives`` is on (the opt-out stays
last). The design table itself keeps the design's order; :func:`fielding_order` is the
lookup between the positions shown and the design's task and alternative, which
survey.csv, the cards, the simulation and the data readers share, so the estimates do not
depend on the order shown. Randomising the order spreads position and learning effects
over the tasks (Johnson et al. 2013, Value in Health 16:3-13, the ISPOR design report).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.core.random import rng as make_rng

ORDER_COLUMNS = ["block", "version", "task", "alternative", "shown_task",
                 "shown_alternative"]


def fielding_order(design, study) -> pd.DataFrame | None:
    """The position shown of every design row in every version of its block.

    Parameters
    ----------
    design : Design
        An attribute design (``block, task, alternative, ..., is_opt_out`` and optionally
        ``task_type, repeat_of``), in design order.
    study : Study
        ``design.randomize`` and the seed.

    Returns
    -------
    DataFrame (rows x versions, 6) or None
        Columns :data:`ORDER_COLUMNS`: the design's ``block, task, alternative``, the
        ``version`` (1..versions) and the ``shown_task`` and ``shown_alternative``
        (1-based positions); sorted by block, version, task and alternative. None when
        ``design.randomize`` is not set.
    """
    d = study.spec.design
    spec = d.randomize if d is not None else None
    if spec is None:
        return None
    table = design.table.sort_values(["block", "task", "alternative"], kind="stable")
    rng = make_rng(study.seed, "randomize")
    frames = []
    for b, part in table.groupby("block", sort=True):
        tasks = np.unique(part["task"].to_numpy())
        repeats = _repeat_pairs(part)
        for v in range(1, spec.versions + 1):
            shown = rng.permutation(len(tasks)) if spec.tasks else np.arange(len(tasks))
            pos = dict(zip(tasks.tolist(), shown.tolist(), strict=True))
            for rep, orig in repeats:  # a repeat is shown after its original
                if pos[rep] < pos[orig]:
                    pos[rep], pos[orig] = pos[orig], pos[rep]
            frames.append(_version(part, b, v, pos, spec.alternatives, rng))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["block", "version", "task", "alternative"]).reset_index(drop=True)


def _repeat_pairs(part: pd.DataFrame) -> list[tuple[int, int]]:
    if "task_type" not in part:
        return []
    rep = part[part["task_type"] == "repeat"].drop_duplicates("task")
    return list(zip(rep["task"].astype(int), rep["repeat_of"].astype(int), strict=True))


def _version(part, block, version, pos, shuffle_alternatives, rng) -> pd.DataFrame:
    """Order rows of one version of one block."""
    task = part["task"].to_numpy()
    alt = part["alternative"].to_numpy()
    is_opt = part["is_opt_out"].to_numpy().astype(bool)
    shown_alt = alt.copy()
    if shuffle_alternatives:
        for t in np.unique(task):
            rows = np.flatnonzero((task == t) & ~is_opt)
            shown_alt[rows] = alt[rows][rng.permutation(len(rows))]
    # positions shown: generic alternatives 1..J in the drawn order, the opt-out last
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
        ``design_alternative`` (the design's numbers of the row); sorted by block,
        version, task and alternative shown.
    """
    order = fielding_order(design, study)
    if order is None:
        return design.table
    merged = order.merge(design.table, on=["block", "task", "alternative"], how="left")
    merged = merged.rename(columns={"task": "design_task", "alternative": "design_alternative",
                                    "shown_task": "task", "shown_alternative": "alternative"})
    rest = [c for c in design.table.columns if c not in ("block", "task", "alternative")]
    cols = ["block", "version", "task", "alternative", *rest, "design_task",
            "design_alternative"]
    return merged[cols].sort_values(["block", "version", "task", "alternative"]).reset_index(
        drop=True)


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
