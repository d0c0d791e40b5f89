"""Blocks are level-balanced to within one occurrence wherever the numbers allow it.

"Allow" is decided by exhaustive search over every equal split of the design's choice sets
into blocks (small cases): the blocking must reach the smallest achievable largest spread
(max - min level count of any attribute in any block), and that spread must be at most
one whenever some split achieves it.
"""

import itertools

import numpy as np
import pytest

from dce.design import build
from dce.design.blocking import level_counts
from tests.design.design_refs import make_study


def _spread(F, members, levels):
    counts = F[list(members)].sum(axis=0)
    out, start = 0.0, 0
    for nl in levels:
        part = counts[start:start + nl]
        out = max(out, part.max() - part.min())
        start += nl
    return out


def _splits(n, blocks):
    size = n // blocks

    def rec(left):
        if not left:
            yield []
            return
        first = left[0]
        for rest in itertools.combinations(left[1:], size - 1):
            group = (first, *rest)
            remaining = [i for i in left if i not in group]
            for tail in rec(remaining):
                yield [group, *tail]

    yield from rec(list(range(n)))


@pytest.mark.parametrize("levels,alts,tasks,blocks,method", [
    ([3, 3, 3, 3], 3, 3, 3, "orthogonal"),   # 9 sets of 3 in 3 blocks: within one possible
    ([2, 2, 2, 2], 2, 4, 2, "orthogonal"),   # 8 pairs in 2 blocks
    ([3, 3, 3, 3], 2, 3, 3, "orthogonal"),   # 9 pairs in 3 blocks: best possible is 2
    ([2, 2, 2, 2], 2, 4, 2, "d-efficient"),
])
def test_blocks_reach_the_best_achievable_balance(levels, alts, tasks, blocks, method):
    study = make_study(levels, alts, tasks, method=method, blocks=blocks)
    table = build(study).table
    groups = list(table.groupby(["block", "task"]))
    sets = np.stack([np.column_stack([a.index_of(g[a.name].tolist())
                                      for a in study.attributes]) for _, g in groups])
    blk = np.array([b for (b, _t), _ in groups])
    F = level_counts(sets, levels)
    ours = max(_spread(F, np.flatnonzero(blk == b), levels) for b in range(1, blocks + 1))
    best = min(max(_spread(F, g, levels) for g in split)
               for split in _splits(len(sets), blocks))
    assert ours == best
    if best <= 1:
        assert ours <= 1
