"""Synthetic respondents: choices drawn from group utilities with Gumbel errors.

Utility of an alternative for respondent i: ``scale * (sum of part-worths + deviations_i)
+ Gumbel``. Part-worths are given by level (only differences matter), a slope per unit for
linear attributes, and a constant for the opt-out. Labelled designs add a constant per
label (``asc: {<label>: value}``); an attribute adds nothing in the alternatives it does
not appear in, and an alternative-specific one takes the values of ``<attribute>@<label>``
in that label's alternative (the plain ``<attribute>`` entry where none is given).
``heterogeneity`` adds a normal
deviation with the given sd per respondent: to each non-reference level of a categorical
attribute (independently), to the slope of a linear one, or to the opt-out constant.
Respondents are assigned to blocks in rotation (and, with ``design.randomize``, to the
versions of their block in turn). Validity tasks are answered like any task.

This is the random-utility model with extreme-value errors (McFadden 1974; Train 2009,
Discrete Choice Methods with Simulation, ch. 3); normal deviations make it a mixed logit
(Train 2009, ch. 6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.core.attributes import level_key
from dce.core.random import simulate_rng
from dce.design.randomize import assign_versions, fielding_order, versions


def responses(study, design, *, seed_seq=None, respondents: int | None = None) -> pd.DataFrame:
    """Simulate every group of ``simulate.groups``; long table of responses.

    ``seed_seq`` replaces the config's simulate stream (power analysis draws a child per
    replication); ``respondents`` overrides every group's size.

    Parameters
    ----------
    study : Study
        A ``dce`` study with ``simulate.groups`` (utilities per level, slope or opt-out,
        heterogeneity sds, scale, respondents).
    design : Design
        The attribute design; respondents rotate through its blocks.
    seed_seq : numpy.random.SeedSequence, optional
        Group g draws from its child g (see :func:`dce.core.random.simulate_rng`).
    respondents : int, optional
        Respondents per group.

    Returns
    -------
    DataFrame
        ``respondent, group, block, task, alternative, chosen`` then the design's other
        columns (attributes, ``is_opt_out``, the validity marks ``task_type, repeat_of``
        when the design has them); one chosen row per task; respondents numbered 1..
        across groups in config order. With ``design.randomize`` also ``version``,
        ``shown_task`` and ``shown_alternative`` (:mod:`dce.design.randomize`); ``task``
        and ``alternative`` stay the design's, and the choices are those of the same
        respondents without randomisation (no position effects are simulated).

    Raises
    ------
    ValueError
        When a utility names a level the attribute does not have (the config checks
        report it first).
    """
    table = design.table
    frames = []
    first_id = 1
    for g_i, (group, sim) in enumerate(study.spec.simulate.groups.items()):
        rng = simulate_rng(study.seed, seed_seq, g_i)
        n = respondents or sim.respondents
        frames.append(_group(study, table, group, sim, rng, first_id, n))
        first_id += n
    out = pd.concat(frames, ignore_index=True)
    order = fielding_order(design, study)
    if order is None:
        return out
    return _shown(out, order, versions(study))


def _shown(out: pd.DataFrame, order: pd.DataFrame, n_versions: int) -> pd.DataFrame:
    """Responses of a randomised design with each respondent's ``version`` (the versions of
    a block in turn, :func:`dce.design.randomize.assign_versions`) and the positions shown
    (``shown_task``, ``shown_alternative``); the choices do not depend on them."""
    firsts = out.drop_duplicates("respondent")
    blocks = np.unique(out["block"].to_numpy())
    # respondents of each group are numbered in turn from 0 and rotate through blocks
    within = firsts.groupby("group", sort=False).cumcount().to_numpy()
    version = dict(zip(firsts["respondent"], assign_versions(len(within), len(blocks),
                                                            n_versions)[within],
                       strict=True))
    out = out.assign(version=out["respondent"].map(version).astype(np.int64))
    return out.merge(order, on=["block", "version", "task", "alternative"], how="left")


def _gumbel(rng, table, n) -> np.ndarray:
    """Gumbel errors (n, rows): those of the choice tasks first (in table order), then
    those of the validity tasks, so that adding validity tasks to a design leaves the
    answers to its choice tasks unchanged."""
    if "task_type" not in table:
        return rng.gumbel(size=(n, len(table)))
    choice = table["task_type"].to_numpy() == "choice"
    out = np.empty((n, len(table)))
    out[:, choice] = rng.gumbel(size=(n, int(choice.sum())))
    out[:, ~choice] = rng.gumbel(size=(n, int((~choice).sum())))
    return out


def _attribute_utility(a, value, sd, col, off, rng, n):
    """Utility of one attribute (or one alternative's view of it) on every row, and the
    respondents' deviations (None without heterogeneity); 0 on the rows in ``off``."""
    if a.is_linear:
        x = np.where(off, 0.0, pd.to_numeric(pd.Series(col), errors="coerce").fillna(0))
        dev = rng.normal(0.0, sd, size=(n, 1)) * x[None, :] if sd > 0 else None
        return (value or 0.0) * x, dev
    idx = np.where(off, -1, a.index_of(["" if o else c for c, o in zip(col, off)]))
    pw = np.zeros(a.n_levels)
    for level, u in (value or {}).items():
        pw[a.level_keys.index(level_key(level))] = u
    base = np.where(idx >= 0, pw[np.maximum(idx, 0)], 0.0)
    if not sd > 0:
        return base, None
    level_dev = rng.normal(0.0, sd, size=(n, a.n_levels))
    level_dev[:, a.reference_index] = 0.0
    return base, np.where(idx[None, :] >= 0, level_dev[:, np.maximum(idx, 0)], 0.0)


def _group(study, table, group, sim, rng, first_id, n) -> pd.DataFrame:
    is_opt = table["is_opt_out"].to_numpy().astype(bool)
    alt = table["alternative"].to_numpy()
    n_rows = len(table)
    base = np.zeros(n_rows)
    dev = np.zeros((n, n_rows))
    for a in study.attributes:
        sd = sim.heterogeneity.get(a.name, 0.0)
        for view in a.views():
            value = sim.utilities.get(view.name + view.suffix, sim.utilities.get(a.name))
            off = is_opt if view.alternatives is None else is_opt | ~view.applies(alt)
            b, d = _attribute_utility(view, value, sd, table[a.name].tolist(), off, rng, n)
            base += b
            if d is not None:
                dev += d
    if "opt_out" in sim.utilities:
        base += np.where(is_opt, sim.utilities["opt_out"], 0.0)
    if sim.heterogeneity.get("opt_out", 0.0) > 0:
        dev += rng.normal(0.0, sim.heterogeneity["opt_out"], size=(n, 1)) * is_opt[None, :]
    labels = study.alternative_labels
    for j, u in (sim.utilities.get("asc") or {}).items() if labels else ():
        number = next(k for k, lab in labels.items() if lab == j)
        base += np.where((alt == number) & ~is_opt, float(u), 0.0)

    order = np.lexsort((table["alternative"].to_numpy(), table["task"].to_numpy(),
                        table["block"].to_numpy()))
    block_of_row = table["block"].to_numpy()[order]
    task_of_row = table["task"].to_numpy()[order]
    blocks = np.unique(block_of_row)
    resp_block = blocks[np.arange(n) % len(blocks)]  # respondents rotate through blocks
    gumbel = _gumbel(rng, table, n)
    parts_rows, parts_resp, parts_chosen = [], [], []
    for b in blocks:
        rows = order[block_of_row == b]
        who = np.flatnonzero(resp_block == b)
        util = sim.scale * (base[rows][None, :] + dev[np.ix_(who, rows)]) + gumbel[who][:, rows]
        tasks = task_of_row[block_of_row == b]
        starts = np.flatnonzero(np.r_[True, tasks[1:] != tasks[:-1]])
        best = np.maximum.reduceat(util, starts, axis=1)
        size = np.diff(np.r_[starts, len(rows)])
        chosen = util == np.repeat(best, size, axis=1)
        parts_rows.append(np.tile(rows, len(who)))
        parts_resp.append(np.repeat(who, len(rows)))
        parts_chosen.append(chosen.ravel())
    rows = np.concatenate(parts_rows)
    resp = np.concatenate(parts_resp)
    chosen = np.concatenate(parts_chosen).astype(np.int64)
    keep = np.lexsort((rows, resp))  # respondent-major, design order within
    frame = table.iloc[rows[keep]].reset_index(drop=True)
    frame.insert(0, "chosen", chosen[keep])
    frame.insert(0, "group", group)
    frame.insert(0, "respondent", first_id + resp[keep])
    cols = ["respondent", "group", "block", "task", "alternative", "chosen"]
    return frame[cols + [c for c in frame.columns if c not in cols]]
