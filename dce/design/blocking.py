"""Split choice sets into blocks of equal size that each keep the attribute levels balanced."""

from __future__ import annotations

import numpy as np

from dce.errors import DesignError


def level_counts(sets: np.ndarray, levels) -> np.ndarray:
    """How often each level of each attribute appears in each set.

    Parameters
    ----------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        Level indices.
    levels : sequence of int (n_attributes,)
        Number of levels of each attribute.

    Returns
    -------
    ndarray of float (n_sets, sum(levels))
        Counts, attribute by attribute, level by level.
    """
    cols = []
    for q, nl in enumerate(levels):
        onehot = sets[:, :, q, None] == np.arange(nl)[None, None, :]
        cols.append(onehot.sum(axis=1))
    return np.concatenate(cols, axis=1).astype(float)


def imbalance(sets: np.ndarray, blk: np.ndarray, levels) -> float:
    """Sum over blocks, attributes and levels of squared deviations from an even share.

    Parameters
    ----------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        Level indices.
    blk : ndarray of int (n_sets,)
        Block (1-based) of each set; the number of blocks is ``blk.max()``.
    levels : sequence of int (n_attributes,)
        Number of levels of each attribute.

    Returns
    -------
    float
        0 when every block shows every level exactly its share (total count / blocks).
    """
    F = level_counts(sets, levels)
    n_blocks = int(blk.max())
    target = F.sum(axis=0) / n_blocks
    return float(sum(((F[blk == b].sum(axis=0) - target) ** 2).sum()
                     for b in range(1, n_blocks + 1)))


def balanced_blocks(sets: np.ndarray, blocks: int, levels, rng,
                    max_swaps: int = 2000, restarts: int = 20) -> np.ndarray:
    """Block (1-based) of each set: equal sizes, levels as even across blocks as swaps get.

    From ``restarts`` random equal splits, swaps sets between blocks while a swap reduces
    :func:`imbalance` (best swap first), and keeps the most even result. Blocks that keep
    level balance follow Johnson et al. (2013, ISPOR design report, Value in Health
    16:3-13): no block over-represents a level of an attribute.

    Parameters
    ----------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        Level indices.
    blocks : int
        Number of blocks; must divide ``n_sets``. With 1 every set is in block 1.
    levels : sequence of int (n_attributes,)
        Number of levels of each attribute.
    rng : numpy.random.Generator
        Draws the random starting splits.
    max_swaps : int
        Most swaps per start.
    restarts : int
        Random starts (at least 1).

    Returns
    -------
    ndarray of int64 (n_sets,)
        Block of each set, ``n_sets / blocks`` sets per block.

    Raises
    ------
    DesignError
        Key ``design.blocks`` when ``blocks`` does not divide the number of sets.
    """
    n = len(sets)
    if n % blocks:
        raise DesignError(f"{n} choice sets cannot be split into {blocks} equal blocks; "
                          f"choose blocks dividing {n}", key="design.blocks")
    best, best_score = None, np.inf
    for _ in range(max(1, restarts) if blocks > 1 else 1):
        blk = _local_search(sets, blocks, levels, rng, max_swaps)
        score = imbalance(sets, blk, levels)
        if score < best_score - 1e-12:
            best, best_score = blk, score
    return best


def _local_search(sets, blocks, levels, rng, max_swaps) -> np.ndarray:
    n = len(sets)
    blk = np.empty(n, dtype=np.int64)
    blk[rng.permutation(n)] = np.arange(n) % blocks + 1
    if blocks == 1:
        return blk
    F = level_counts(sets, levels)
    target = F.sum(axis=0) / blocks
    for _ in range(max_swaps):
        S = np.stack([F[blk == b].sum(axis=0) for b in range(1, blocks + 1)]) - target
        Sa = S[blk - 1]  # (n, cols): deviation of each set's block
        # swap i (block a) with k (block b): delta = F_k - F_i
        # change = 2 delta.(S_a - S_b) + 2 |delta|^2
        FS = F @ Sa.T  # FS[i, k] = F_i . S_{blk k}
        dSa = (F * Sa).sum(axis=1)  # F_i . S_{blk i}
        FF = F @ F.T
        sq = np.diag(FF)
        # delta.(S_a - S_b) with a = blk i, b = blk k:
        # = F_k.S_a - F_k.S_b - F_i.S_a + F_i.S_b
        cross = FS.T - dSa[None, :] - dSa[:, None] + FS
        change = 2 * cross + 2 * (sq[:, None] + sq[None, :] - 2 * FF)
        change[blk[:, None] == blk[None, :]] = np.inf
        i, k = np.unravel_index(int(np.argmin(change)), change.shape)
        if not change[i, k] < -1e-9:
            break
        blk[i], blk[k] = blk[k], blk[i]
    return blk
