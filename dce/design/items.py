"""Designs for item studies: which items appear together in each set.

``v`` items are shown in ``b`` sets of ``k``. A balanced incomplete block design (BIBD)
shows every item ``r = bk/v`` times and every pair of items ``lambda = r(k-1)/(v-1)``
times; it can exist only when both are whole numbers. For admissible parameters the
constructions tried, in order, are

1. the complete design (every k-subset, repeated) when ``b`` is a multiple of C(v, k);
2. a cyclic difference family over Z_v (base blocks developed mod v);
3. a 1-rotational difference family over Z_(v-1) plus a fixed point;
4. the same for a smaller BIBD whose number of sets divides ``b``, copied with the
   items relabelled at random;
5. the search below, which stops as soon as every pair count is lambda.

When no BIBD exists (or none was found) the design is the best found by a seeded local
search: item frequencies differ by at most one (greedy least-used start; moves keep that)
and the sum of squared pair counts (equivalently the variance of the pair frequencies,
whose total is fixed) is minimised by simulated annealing over swaps of items between sets
and moves of an item's spare appearance. Items are then placed in positions so that each
item appears in each position as evenly as possible (assignment problems set by set),
sets are spread over blocks so that each block shows every item as evenly as possible,
and design points are mapped to items by a random permutation. All randomness comes from
the ``design`` stream of the study's seed.

Notation in this module: ``v`` items, ``b`` sets of ``k``; ``sets`` is an int array (b, k)
of item indices 0..v-1 in position order; ``rng`` a numpy Generator. References: BIBDs for
best-worst scaling, Louviere, Flynn and Marley (2015, Best-Worst Scaling, CUP);
difference families, Stinson (2004, Combinatorial Designs: Constructions and Analysis).
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from dce.core.csvread import Issues, read_table
from dce.core.items import items_of
from dce.core.random import rng as make_rng
from dce.design.base import Design, design_file
from dce.errors import DataError, DesignError, Problem

NODE_LIMIT = 200_000       # backtracking nodes per difference-family search
COMPLETE_LIMIT = 5_000     # largest complete design (number of k-subsets) tried
SEARCH_MOVES = 20_000      # annealing moves per start (scaled up for large designs)


# ----- parameters ---------------------------------------------------------------------
def bibd_parameters(v: int, k: int, b: int) -> dict | None:
    """``{v, b, r, k, lambda}`` when a BIBD with these numbers is arithmetically
    possible (r and lambda whole, 2 <= k < v), else None. (Admissible is necessary, not
    sufficient: Fisher's inequality b >= v is checked too.)"""
    if not (2 <= k < v) or b < 1 or (b * k) % v:
        return None
    r = b * k // v
    if (r * (k - 1)) % (v - 1):
        return None
    if b < v:
        return None
    return {"v": v, "b": b, "r": r, "k": k, "lambda": r * (k - 1) // (v - 1)}


def pair_counts(sets: np.ndarray, v: int) -> np.ndarray:
    """Symmetric int64 (v, v) matrix: how often each pair of items shares a set."""
    P = np.zeros((v, v), dtype=np.int64)
    for i, j in combinations(range(sets.shape[1]), 2):
        np.add.at(P, (sets[:, i], sets[:, j]), 1)
    return P + P.T


def pair_sum_squares(sets: np.ndarray, v: int) -> int:
    """Sum over item pairs i < j of the squared pair count (:func:`pair_counts`)."""
    P = pair_counts(sets, v)
    return int((P[np.triu_indices(v, 1)] ** 2).sum())


def pair_lower_bound(v: int, k: int, b: int) -> int:
    """Smallest possible sum of squared pair counts: pairs shared as evenly as possible
    (an int; a BIBD reaches it)."""
    total = b * k * (k - 1) // 2
    pairs = v * (v - 1) // 2
    q, rem = divmod(total, pairs)
    return rem * (q + 1) ** 2 + (pairs - rem) * q ** 2


def is_bibd(sets: np.ndarray, v: int) -> bool:
    """True when ``sets`` is a BIBD: distinct items per set, equal item and pair counts."""
    counts = np.bincount(sets.ravel(), minlength=v)
    P = pair_counts(sets, v)[np.triu_indices(v, 1)]
    distinct = all(len(set(s)) == len(s) for s in sets.tolist())
    return distinct and counts.min() == counts.max() and P.min() == P.max()


# ----- constructions ------------------------------------------------------------------
def complete_design(v: int, k: int) -> np.ndarray:
    """Every k-subset of the v items once, lexicographically: int64 (C(v, k), k)."""
    return np.array(list(combinations(range(v), k)), dtype=np.int64)


def difference_family(n: int, k: int, t: int, lam: int, infinity: int = 0,
                      node_limit: int = NODE_LIMIT) -> list[tuple] | None:
    """Base blocks over Z_n (plus a fixed point ``n`` in ``infinity`` of them) whose
    differences cover every non-zero residue exactly ``lam`` times.

    Each base block contains 0 (a translate does not change its differences); blocks
    are chosen in non-decreasing order. Returns the blocks or None (none exists with
    full orbits, or the search gave up after ``node_limit`` nodes).

    Parameters
    ----------
    n, k, t, lam : int
        Group Z_n, block size, number of base blocks, times each difference is covered.
    infinity : int
        How many base blocks hold the fixed point ``n`` (and k - 1 residues).
    """
    finite_k = [k - 1] * infinity + [k] * (t - infinity)
    if any(m < 1 for m in finite_k):
        return None
    need = sum(m * (m - 1) for m in finite_k)
    if need != lam * (n - 1):
        return None
    candidates = {}
    for m in set(finite_k):
        rows, vecs = [], []
        for rest in combinations(range(1, n), m - 1):
            block = (0,) + rest
            d = np.zeros(n, dtype=np.int64)
            for x in block:
                for y in block:
                    if x != y:
                        d[(x - y) % n] += 1
            if d.max() > lam:
                continue
            rows.append(block)
            vecs.append(d[1:])
        candidates[m] = (rows, np.array(vecs, dtype=np.int64).reshape(len(rows), n - 1))
    nodes = 0
    chosen: list[int] = []
    counts = np.zeros(n - 1, dtype=np.int64)

    def search(depth: int) -> bool:
        nonlocal nodes, counts
        if depth == t:
            return bool(np.all(counts == lam))
        m = finite_k[depth]
        rows, vecs = candidates[m]
        start = chosen[-1] if depth and finite_k[depth - 1] == m else 0
        ok = np.flatnonzero(np.all(counts[None, :] + vecs[start:] <= lam, axis=1)) + start
        for c in ok:
            nodes += 1
            if nodes > node_limit:
                return False
            chosen.append(int(c))
            counts += vecs[c]
            if search(depth + 1):
                return True
            counts -= vecs[c]
            chosen.pop()
        return False

    if not search(0):
        return None
    return [tuple(candidates[finite_k[i]][0][c]) + ((n,) if i < infinity else ())
            for i, c in enumerate(chosen)]


def develop(base: list[tuple], n: int) -> np.ndarray:
    """Every translate mod n of the base blocks; the point ``n`` (infinity) stays put.

    Returns an int64 array (n * len(base), k), the translates of each block in turn.
    """
    out = []
    for block in base:
        for g in range(n):
            out.append([x if x == n else (x + g) % n for x in block])
    return np.array(out, dtype=np.int64)


def construct_bibd(v: int, k: int, b: int, rng) -> tuple[np.ndarray | None, str]:
    """A BIBD on points 0..v-1 with b sets of k, or (None, "") when none was constructed.

    Tries the admissible divisors b0 of b, smallest first: the complete design or a cyclic
    or 1-rotational difference family with b0 sets, stacked as b / b0 copies relabelled by
    ``rng``. Returns ``(sets (b, k), how)``, ``how`` naming the construction.
    """
    par = bibd_parameters(v, k, b)
    if par is None:
        return None, ""
    for b0 in sorted(d for d in range(v, b + 1) if b % d == 0 and bibd_parameters(v, k, d)):
        sets, how = _construct_exact(v, k, b0)
        if sets is None:
            continue
        copies = [sets] + [np.argsort(rng.permutation(v))[sets] for _ in range(b // b0 - 1)]
        if len(copies) > 1:
            how += f", {len(copies)} relabelled copies"
        return np.concatenate(copies), how
    return None, ""


def _construct_exact(v: int, k: int, b: int) -> tuple[np.ndarray | None, str]:
    par = bibd_parameters(v, k, b)
    lam, r = par["lambda"], par["r"]
    n_sub = math.comb(v, k)
    if n_sub <= COMPLETE_LIMIT and b % n_sub == 0:
        return np.tile(complete_design(v, k), (b // n_sub, 1)), "complete design"
    if b % v == 0:
        base = difference_family(v, k, b // v, lam)
        if base is not None:
            return develop(base, v), f"cyclic difference family mod {v}"
    n = v - 1
    if b % n == 0 and r % n == 0:
        base = difference_family(n, k, b // n, lam, infinity=r // n)
        if base is not None:
            return develop(base, n), f"1-rotational difference family mod {n}"
    return None, ""


# ----- search -------------------------------------------------------------------------
def greedy_start(v: int, k: int, b: int, rng) -> np.ndarray:
    """Sets of k distinct items, each time the least-used ones (random ties): item
    frequencies then differ by at most one. Returns int64 (b, k)."""
    counts = np.zeros(v)
    sets = np.empty((b, k), dtype=np.int64)
    for s in range(b):
        key = counts + rng.random(v) * 0.5
        pick = np.argsort(key, kind="stable")[:k]
        sets[s] = pick
        counts[pick] += 1
    return sets


def anneal(sets: np.ndarray, v: int, rng, moves: int, target: int) -> np.ndarray:
    """Simulated annealing on the sum of squared pair counts; item counts are kept.

    Moves swap two items between sets or, while item counts differ, move an item's
    appearance to an item used once less; the temperature falls geometrically from 2 to
    0.02 over ``moves``.

    Parameters
    ----------
    sets : ndarray of int (b, k)
        Starting sets (distinct items in each).
    moves : int
        Moves tried; the search stops early when the cost reaches ``target``.
    target : int
        E.g. :func:`pair_lower_bound`.

    Returns
    -------
    ndarray of int64 (b, k)
        The best sets seen.
    """
    b, k = sets.shape
    S = [list(map(int, s)) for s in sets]
    P = pair_counts(sets, v).tolist()
    counts = np.bincount(sets.ravel(), minlength=v).tolist()
    cost = pair_sum_squares(sets, v)
    best_cost, best = cost, [s[:] for s in S]
    uneven = max(counts) != min(counts)
    t0, t1 = 2.0, 0.02
    draws = rng.random((moves, 6))
    for it in range(moves):
        if best_cost <= target:
            break
        temp = t0 * (t1 / t0) ** (it / max(moves - 1, 1))
        u = draws[it]
        s = int(u[0] * b)
        i = int(u[1] * k)
        a = S[s][i]
        delta: dict = {}
        if uneven and u[5] < 0.2:   # move a's appearance to an item used once less
            c = int(u[2] * v)
            if c in S[s] or counts[c] != counts[a] - 1:
                continue
            for x in S[s]:
                if x != a:
                    _bump(delta, a, x, -1)
                    _bump(delta, c, x, 1)
            d = _delta(P, delta)
            if d <= 0 or rng.random() < math.exp(-d / temp):
                S[s][i] = c
                counts[a] -= 1
                counts[c] += 1
                _apply(P, delta)
                cost += d
        else:
            t = int(u[2] * b)
            if t == s:
                continue
            j = int(u[3] * k)
            c = S[t][j]
            if a == c or c in S[s] or a in S[t]:
                continue
            for x in S[s]:
                if x != a:
                    _bump(delta, a, x, -1)
                    _bump(delta, c, x, 1)
            for y in S[t]:
                if y != c:
                    _bump(delta, c, y, -1)
                    _bump(delta, a, y, 1)
            d = _delta(P, delta)
            if d <= 0 or u[4] < math.exp(-d / temp):
                S[s][i], S[t][j] = c, a
                _apply(P, delta)
                cost += d
        if cost < best_cost:
            best_cost, best = cost, [x[:] for x in S]
    return np.array(best, dtype=np.int64)


def _bump(delta: dict, x: int, y: int, d: int) -> None:
    key = (x, y) if x < y else (y, x)
    delta[key] = delta.get(key, 0) + d


def _delta(P, delta: dict) -> int:
    return sum(2 * P[x][y] * d + d * d for (x, y), d in delta.items() if d)


def _apply(P, delta: dict) -> None:
    for (x, y), d in delta.items():
        P[x][y] += d
        P[y][x] += d


def search_design(v: int, k: int, b: int, rng, starts: int = 4,
                  moves: int | None = None) -> np.ndarray:
    """Near-balanced sets by annealing from ``starts`` greedy starts; the best kept.

    Stops early once a start reaches :func:`pair_lower_bound` (and is a BIBD when one is
    admissible). ``moves`` defaults to ``max(SEARCH_MOVES, 200 b k)``. Returns int64 (b, k).
    """
    par = bibd_parameters(v, k, b)
    target = pair_lower_bound(v, k, b)
    moves = moves or max(SEARCH_MOVES, 200 * b * k)
    best, best_cost = None, None
    for _ in range(max(starts, 1)):
        sets = anneal(greedy_start(v, k, b, rng), v, rng, moves, target)
        cost = pair_sum_squares(sets, v)
        if best_cost is None or cost < best_cost:
            best, best_cost = sets, cost
        if best_cost <= target and (par is None or is_bibd(best, v)):
            break
    return best


# ----- positions and blocks -------------------------------------------------------------
def balance_positions(sets: np.ndarray, v: int, rng, passes: int = 3) -> np.ndarray:
    """Reorder items within each set so that each item appears in each position as
    evenly as possible (one assignment problem per set, a few passes).

    Returns the same sets (b, k) with items reordered; ``rng`` sets the visiting order and
    breaks ties.
    """
    b, k = sets.shape
    out = sets.copy()
    pos = np.zeros((v, k), dtype=np.int64)
    for s in range(b):
        pos[out[s], np.arange(k)] += 1
    for _ in range(passes):
        for s in rng.permutation(b):
            pos[out[s], np.arange(k)] -= 1
            items = out[s]
            cost = pos[items].astype(float) + rng.random((k, k)) * 1e-3
            row, col = linear_sum_assignment(cost)
            new = np.empty(k, dtype=np.int64)
            new[col] = items[row]
            out[s] = new
            pos[new, np.arange(k)] += 1
    return out


def assign_blocks(sets: np.ndarray, v: int, n_blocks: int, rng, moves: int = 4000) -> np.ndarray:
    """Block number (1-based) of each set: equal block sizes; swaps of sets between
    blocks minimise the sum over blocks and items of squared item counts.

    ``n_blocks`` must divide b (the config checks it); ``moves`` random swaps are tried,
    each kept when not worse. Returns int64 (b,).
    """
    b = len(sets)
    if n_blocks <= 1:
        return np.ones(b, dtype=np.int64)
    blocks = rng.permutation(np.repeat(np.arange(n_blocks), b // n_blocks))
    inc = np.zeros((b, v))
    inc[np.arange(b)[:, None], sets] = 1
    C = np.zeros((n_blocks, v))
    np.add.at(C, blocks, inc)
    for _ in range(moves):
        s, t = rng.integers(0, b, 2)
        bs, bt = blocks[s], blocks[t]
        if bs == bt:
            continue
        d = inc[t] - inc[s]
        gain = ((C[bs] + d) ** 2).sum() + ((C[bt] - d) ** 2).sum() \
            - (C[bs] ** 2).sum() - (C[bt] ** 2).sum()
        if gain <= 0:
            C[bs] += d
            C[bt] -= d
            blocks[s], blocks[t] = bt, bs
    return blocks + 1


# ----- diagnostics ----------------------------------------------------------------------
def diagnose(sets: np.ndarray, blocks: np.ndarray, item_names, method: str) -> dict:
    """Item, pair, position and block balance of a design (sets of item indices).

    Parameters
    ----------
    sets : ndarray of int (b, k)
    blocks : ndarray of int (b,)
        Block of each set.
    item_names : sequence of str (v,)
    method : str
        How the design was made.

    Returns
    -------
    dict
        JSON-ready: design type (BIBD or near-balanced), BIBD parameters, and the spread of
        item, pair, position and per-block item frequencies.
    """
    v = len(item_names)
    b, k = sets.shape
    counts = np.bincount(sets.ravel(), minlength=v)
    P = pair_counts(sets, v)[np.triu_indices(v, 1)]
    pos = np.zeros((v, k), dtype=np.int64)
    for j in range(k):
        pos[:, j] = np.bincount(sets[:, j], minlength=v)
    n_blocks = int(len(np.unique(blocks)))
    per_block = np.zeros((n_blocks, v), dtype=np.int64)
    for i, bl in enumerate(np.unique(blocks)):
        per_block[i] = np.bincount(sets[blocks == bl].ravel(), minlength=v)
    par = bibd_parameters(v, k, b)
    balanced = bool(is_bibd(sets, v))
    ss = int((P ** 2).sum())
    return {
        "method": method, "type": "balanced incomplete block design" if balanced
        else "near-balanced design", "items": v, "items_per_set": k, "n_choice_sets": b,
        "blocks": n_blocks, "sets_per_block": b // max(n_blocks, 1),
        "tasks_per_block": b // max(n_blocks, 1), "alternatives": k,
        "opt_out": False, "d_error": None, "balanced": balanced,
        "bibd_parameters": par, "bibd_admissible": par is not None,
        "item_frequency": {"min": int(counts.min()), "max": int(counts.max()),
                           "imbalance": int(counts.max() - counts.min()),
                           "counts": {str(n): int(c) for n, c in
                                      zip(item_names, counts, strict=True)}},
        "pair_frequency": {"min": int(P.min()), "max": int(P.max()),
                           "imbalance": int(P.max() - P.min()), "mean": float(P.mean()),
                           "sd": float(P.std()), "sum_squares": ss,
                           "sum_squares_lower_bound": pair_lower_bound(v, k, b),
                           "pairs_never_together": int((P == 0).sum())},
        "position_frequency": {"min": int(pos.min()), "max": int(pos.max())},
        "block_item_frequency": {"min": int(per_block.min()), "max": int(per_block.max())},
    }


# ----- the study's design ----------------------------------------------------------------
def make_sets(v: int, k: int, b: int, n_blocks: int, rng, starts: int = 4):
    """(sets of item indices in position order, block of each set, method text).

    A constructed BIBD, else :func:`search_design` with ``starts``; then items are
    relabelled at random, sets shuffled, positions balanced and blocks assigned (sets
    sorted by block). Returns ``(sets (b, k), blocks (b,), how)``.
    """
    sets, how = construct_bibd(v, k, b, rng)
    if sets is None:
        sets = search_design(v, k, b, rng, starts)
        if is_bibd(sets, v):
            how = "balanced incomplete block design found by search"
        else:
            how = "near-balanced design by search" + (
                " (no BIBD exists for these numbers)" if bibd_parameters(v, k, b) is None
                else " (no BIBD was found)")
    else:
        how = f"balanced incomplete block design ({how})"
    label = rng.permutation(v)           # design point -> item
    sets = label[sets]
    sets = sets[rng.permutation(len(sets))]
    sets = balance_positions(sets, v, rng)
    blocks = assign_blocks(sets, v, n_blocks, rng)
    order = np.lexsort((np.arange(len(sets)), blocks))
    return sets[order], blocks[order], how


def design_table(sets: np.ndarray, blocks: np.ndarray, item_names) -> pd.DataFrame:
    """``block, task, alternative, item`` (b * k rows) with tasks numbered within blocks."""
    rows = []
    task: dict = {}
    for s, bl in zip(sets, blocks, strict=True):
        bl = int(bl)
        task[bl] = task.get(bl, 0) + 1
        for j, it in enumerate(s):
            rows.append((bl, task[bl], j + 1, item_names[int(it)]))
    return pd.DataFrame(rows, columns=["block", "task", "alternative", "item"])


def build(study) -> Design:
    """The study's item design: ``design.file`` when it exists, else generated.

    Parameters
    ----------
    study : Study
        A best-worst or ranking study; ``design.items_per_set``, ``sets``, ``blocks`` and
        ``starts`` are used, with the study's ``design`` stream.

    Returns
    -------
    Design

    Raises
    ------
    DesignError
        When the study has no ``design:`` section.
    DataError
        From :func:`from_file`.
    """
    d = study.spec.design
    if d is None:
        raise DesignError("this step needs a `design:` section with items_per_set and sets",
                          file=study.display_name)
    if d.file is not None and study.resolve(d.file).exists():
        return from_file(study)
    names = [i.name for i in items_of(study)]
    rng = make_rng(study.seed, "design")
    sets, blocks, how = make_sets(len(names), d.items_per_set, d.sets, d.blocks, rng, d.starts)
    return Design(design_table(sets, blocks, names), diagnose(sets, blocks, names, how),
                  "generated")


def from_file(study) -> Design:
    """Read and check a fielded item design (``block, task, alternative, item``).

    Parameters
    ----------
    study : Study
        An item study; its ``design.file`` is read.

    Returns
    -------
    Design
        Sorted by block, task and alternative.

    Raises
    ------
    DataError
        Naming file, line and column: a folder (``design.file``), unreadable file, missing
        column, non-whole ``block``/``task``/``alternative``, an unknown ``item``, an item
        twice in a set, sets of different sizes, or a set size other than
        ``design.items_per_set`` (key ``design.items_per_set``).
    """
    d = study.spec.design
    path, shown = design_file(study)
    frame = read_table(path, shown)
    missing = [c for c in ("block", "task", "alternative", "item") if c not in frame.columns]
    if missing:
        raise DataError([Problem("missing column; an item design needs block, task, "
                                 "alternative, item", shown, 1, c) for c in missing])
    issues = Issues(shown, frame)
    names = [i.name for i in items_of(study)]
    index = {n: i for i, n in enumerate(names)}
    table = pd.DataFrame({"item": frame["item"].str.strip()})
    for col in ("block", "task", "alternative"):
        num = pd.to_numeric(frame[col].str.strip(), errors="coerce")
        for r in np.flatnonzero((num.isna() | (num != num.round())).to_numpy()):
            issues.add(col, f"expected a whole number, found {frame[col].iloc[r]!r}", r, "int")
        table[col] = num.fillna(-1).astype(np.int64)
    for r in np.flatnonzero(~table["item"].isin(index).to_numpy()):
        issues.add("item", f"{table['item'].iloc[r]!r} is not an item of the config", r, "item")
    dup = table.duplicated(["block", "task", "item"]).to_numpy()
    for r in np.flatnonzero(dup):
        issues.add("item", f"item {table['item'].iloc[r]!r} appears twice in block "
                   f"{table['block'].iloc[r]}, task {table['task'].iloc[r]}", r, "dup")
    issues.raise_if_any()
    table = table.sort_values(["block", "task", "alternative"], kind="stable")
    table = table[["block", "task", "alternative", "item"]].reset_index(drop=True)
    sizes = table.groupby(["block", "task"], sort=False).size()
    if sizes.nunique() != 1:
        raise DataError(f"every set needs the same number of items; found sets of "
                        f"{', '.join(map(str, sorted(sizes.unique())))}", file=shown)
    k = int(sizes.iloc[0])
    if d.items_per_set is not None and k != d.items_per_set:
        raise DataError(f"the design file has {k} items per set but design.items_per_set is "
                        f"{d.items_per_set}; fix one of them", file=study.display_name,
                        line=study.line("design", "items_per_set"), key="design.items_per_set")
    sets = table["item"].map(index).to_numpy().reshape(-1, k)
    blocks = table["block"].to_numpy()[::k]
    return Design(table, diagnose(sets, blocks, names, f"read from {shown}"), f"file {shown}")
