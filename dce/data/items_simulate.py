"""Synthetic best-worst and ranking responses from item utilities.

Respondent i of a group values item j at ``scale * (u_j + e_ij)`` where ``u_j`` is the
group's utility of the item (0 when not given) and ``e_ij`` a normal deviation with the
item's ``heterogeneity`` sd (0 by default). Each choice adds independent Gumbel errors:

- best-worst, sequential model: the best item maximises ``v + Gumbel`` over the set; the
  worst item maximises ``-worst_scale * v + Gumbel`` over the rest;
- best-worst, maxdiff model: the (best, worst) pair maximises
  ``v_best - worst_scale * v_worst + Gumbel`` over the ordered pairs of the set;
- ranking: items are ranked by ``v + Gumbel`` (the rank-ordered logit), every item of
  the set gets a rank.

The sequential and maxdiff best-worst models are those of Marley and Louviere (2005, J.
Mathematical Psychology 49:464-480); the rank-ordered logit is that of Beggs, Cardell and
Hausman (1981, J. Econometrics 17:1-19).

Respondents rotate through the design's blocks. Without a design (rankings only) every
respondent ranks all items in one set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.core.items import items_of
from dce.core.random import simulate_rng


def responses(study, design=None, *, seed_seq=None, respondents: int | None = None
              ) -> pd.DataFrame:
    """Simulate every group of ``simulate.groups``; the long table of :mod:`dce.data.items`.

    ``seed_seq`` replaces the config's simulate stream; ``respondents`` overrides every
    group's size.

    Parameters
    ----------
    study : Study
        A best-worst or ranking study with ``simulate.groups`` (utilities,
        heterogeneity, scale, worst_scale, respondents) and ``model.bw_model``.
    design : Design, optional
        The item design; without it (rankings only) every respondent ranks all items.
    seed_seq : numpy.random.SeedSequence, optional
        Group g draws from its child g (see :func:`dce.core.random.simulate_rng`).
    respondents : int, optional
        Respondents per group, instead of each group's ``respondents``.

    Returns
    -------
    DataFrame
        ``respondent, group, block, task, alternative, item`` and ``best, worst`` or
        ``rank``; respondents numbered 1.. across groups in config order.
    """
    names = [i.name for i in items_of(study)]
    sets, blocks, tasks = _sets(design, names)
    frames, first_id = [], 1
    for g_i, (group, sim) in enumerate(study.spec.simulate.groups.items()):
        rng = simulate_rng(study.seed, seed_seq, g_i)
        n = respondents or sim.respondents
        frames.append(_group(study, names, sets, blocks, tasks, group, sim, rng, first_id, n))
        first_id += n
    return pd.concat(frames, ignore_index=True)


def _sets(design, names):
    """(sets as item indices (S x k), block of each set, task of each set)."""
    if design is None:
        return np.arange(len(names))[None, :], np.array([1]), np.array([1])
    t = design.table.sort_values(["block", "task", "alternative"])
    index = {n: i for i, n in enumerate(names)}
    k = int(t.groupby(["block", "task"]).size().iloc[0])
    sets = t["item"].map(index).to_numpy().reshape(-1, k)
    return sets, t["block"].to_numpy()[::k], t["task"].to_numpy()[::k]


def _group(study, names, sets, blocks, tasks, group, sim, rng, first_id, n) -> pd.DataFrame:
    V = len(names)
    u = np.array([float(sim.utilities.get(name, 0.0)) for name in names])
    sd = np.array([float(sim.heterogeneity.get(name, 0.0)) for name in names])
    util = sim.scale * (u[None, :] + rng.standard_normal((n, V)) * sd[None, :])
    kind = study.spec.type
    bw_model = study.spec.model.bw_model
    lam = float(sim.worst_scale)
    ublocks = np.unique(blocks)
    resp_block = ublocks[np.arange(n) % len(ublocks)]
    parts = []
    k = sets.shape[1]
    for b in ublocks:
        idx = np.flatnonzero(blocks == b)
        S = sets[idx]                              # (m, k)
        who = np.flatnonzero(resp_block == b)
        if not len(who):
            continue
        U = util[who][:, S]                        # (n_b, m, k)
        frame = {"respondent": np.repeat(first_id + who, len(idx) * k),
                 "block": int(b), "task": np.tile(np.repeat(tasks[idx], k), len(who)),
                 "alternative": np.tile(np.arange(1, k + 1), len(who) * len(idx)),
                 "item": np.array(names, dtype=object)[np.tile(S.ravel(), len(who))]}
        if kind == "ranking":
            order = np.argsort(-(U + rng.gumbel(size=U.shape)), axis=2, kind="stable")
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(1, k + 1)[None, None, :], axis=2)
            frame["rank"] = rank.ravel().astype(float)
        else:
            best, worst = _best_worst(U, lam, bw_model, rng)
            pos = np.arange(k)[None, None, :]
            frame["best"] = (pos == best[..., None]).astype(np.int64).ravel()
            frame["worst"] = (pos == worst[..., None]).astype(np.int64).ravel()
        parts.append(pd.DataFrame(frame))
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "group", group)
    out = out.sort_values(["respondent", "block", "task", "alternative"], kind="stable")
    cols = ["respondent", "group", "block", "task", "alternative", "item"]
    return out[cols + [c for c in out.columns if c not in cols]].reset_index(drop=True)


def _best_worst(U, lam, bw_model, rng):
    """Positions of the best and worst item in every (respondent, set)."""
    k = U.shape[2]
    if bw_model == "maxdiff":
        i, j = np.array([(a, b) for a in range(k) for b in range(k) if a != b]).T
        V = U[..., i] - lam * U[..., j] + rng.gumbel(size=U.shape[:2] + (len(i),))
        pick = V.argmax(axis=2)
        return i[pick], j[pick]
    best = (U + rng.gumbel(size=U.shape)).argmax(axis=2)
    W = -lam * U + rng.gumbel(size=U.shape)
    np.put_along_axis(W, best[..., None], -np.inf, axis=2)
    return best, W.argmax(axis=2)
