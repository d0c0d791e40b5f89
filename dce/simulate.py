"""Synthetic respondents: choices drawn from group utilities with Gumbel errors.

Utility of an alternative for respondent i: ``scale * (sum of part-worths + deviations_i)
+ Gumbel``. Part-worths are given by level (only differences matter), a slope per unit for
linear attributes, and a constant for the opt-out. ``heterogeneity`` adds a normal
deviation with the given sd per respondent: to each non-reference level of a categorical
attribute (independently), to the slope of a linear one, or to the opt-out constant.
Respondents are assigned to blocks in rotation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.attributes import level_key
from dce.seeds import rng as make_rng


def responses(study, design) -> pd.DataFrame:
    """Simulate every group of ``simulate.groups``; long table of responses."""
    table = design.table
    frames = []
    first_id = 1
    for g_i, (group, sim) in enumerate(study.spec.simulate.groups.items()):
        rng = make_rng(study.seed, "simulate", g_i)
        frames.append(_group(study, table, group, sim, rng, first_id))
        first_id += sim.respondents
    return pd.concat(frames, ignore_index=True)


def _group(study, table, group, sim, rng, first_id) -> pd.DataFrame:
    is_opt = table["is_opt_out"].to_numpy().astype(bool)
    n_rows = len(table)
    base = np.zeros(n_rows)
    n = sim.respondents
    dev = np.zeros((n, n_rows))
    for a in study.attributes:
        value = sim.utilities.get(a.name)
        sd = sim.heterogeneity.get(a.name, 0.0)
        col = table[a.name].tolist()
        if a.is_linear:
            x = np.where(is_opt, 0.0, pd.to_numeric(pd.Series(col), errors="coerce").fillna(0))
            base += (value or 0.0) * x
            if sd > 0:
                dev += rng.normal(0.0, sd, size=(n, 1)) * x[None, :]
            continue
        idx = np.where(is_opt, -1, a.index_of(["" if o else c for c, o in zip(col, is_opt)]))
        pw = np.zeros(a.n_levels)
        for level, u in (value or {}).items():
            pw[a.level_keys.index(level_key(level))] = u
        base += np.where(idx >= 0, pw[np.maximum(idx, 0)], 0.0)
        if sd > 0:
            level_dev = rng.normal(0.0, sd, size=(n, a.n_levels))
            level_dev[:, a.reference_index] = 0.0
            dev += np.where(idx[None, :] >= 0, level_dev[:, np.maximum(idx, 0)], 0.0)
    if "opt_out" in sim.utilities:
        base += np.where(is_opt, sim.utilities["opt_out"], 0.0)
    if sim.heterogeneity.get("opt_out", 0.0) > 0:
        dev += rng.normal(0.0, sim.heterogeneity["opt_out"], size=(n, 1)) * is_opt[None, :]

    blocks = np.sort(table["block"].unique())
    out = []
    for r in range(n):
        block = blocks[r % len(blocks)]
        rows = np.flatnonzero(table["block"].to_numpy() == block)
        util = sim.scale * (base[rows] + dev[r, rows]) + rng.gumbel(size=len(rows))
        sets = table["task"].to_numpy()[rows]
        chosen = np.zeros(len(rows), dtype=np.int64)
        for t in np.unique(sets):
            in_t = np.flatnonzero(sets == t)
            chosen[in_t[np.argmax(util[in_t])]] = 1
        part = table.iloc[rows].copy()
        part.insert(0, "chosen", chosen)
        part.insert(0, "respondent", first_id + r)
        out.append(part)
    frame = pd.concat(out, ignore_index=True)
    frame.insert(1, "group", group)
    cols = ["respondent", "group", "block", "task", "alternative", "chosen"]
    return frame[cols + [c for c in frame.columns if c not in cols]]
