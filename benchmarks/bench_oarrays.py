"""Smallest orthogonal arrays found before and after the mixed-level constructions.

For each factorial: the smallest run count at which ``dce.design.oarrays.construct`` (regular,
Hadamard and product arrays: the constructions before issue 13) and
``dce.design.oa_mixed.construct_mixed`` (those plus difference-scheme developments and two
stored arrays) return an array without repeated runs, the time the latter took, and how the
array was made. Then, over every multiset of 3 to 7 attributes with 2 to 5 levels, how often
each reaches the smallest run count that divisibility (N a multiple of every l_i l_j) and
Rao's bound (N >= 1 + sum(l_i - 1)) allow.

    python benchmarks/bench_oarrays.py
"""

from __future__ import annotations

import itertools
import math
import time

from dce.design import oa_mixed, oarrays

CASES = [[2] + [3] * 7, [2] * 11 + [3] * 12, [4] + [3] * 4, [2] * 3 + [3], [3] * 4 + [2] * 3,
         [4] + [2] * 4, [3] * 3 + [2] * 2, [5, 3, 3, 2, 2], [3] + [2] * 4, [6] + [3] * 6,
         [4] + [3] * 13, [3] * 13 + [2] * 4, [3] + [2] * 16, [5] + [2] * 4, [5] + [2] * 8,
         [2] + [5] * 11, [2] + [3] * 25, [5, 2] + [3] * 7, [5] + [3] * 10]


def first_runs(construct, levels, limit=oarrays.MAX_RUNS):
    """Smallest run count (multiple of every l_i l_j) with an array without repeated runs."""
    step = math.lcm(*[a * b for a, b in itertools.combinations(levels, 2)])
    for n in range(step, limit + 1, step):
        oa = construct(levels, n)
        if oa is not None and not oa.replicated:
            return n, oa.construction
    return None, None


def bound(levels) -> int:
    step = math.lcm(*[a * b for a, b in itertools.combinations(levels, 2)])
    n = step
    while 1 + sum(nl - 1 for nl in levels) > n:
        n += step
    return n


def name(levels) -> str:
    return " ".join(f"{v}^{levels.count(v)}" for v in sorted(set(levels), reverse=True))


def main():
    print(f"{'levels':<16}{'bound':>6}{'before':>7}{'now':>6}{'ms':>8}  construction now")
    for levels in CASES:
        before, _ = first_runs(oarrays.construct, levels)
        start = time.perf_counter()
        now, how = first_runs(oa_mixed.construct_mixed, levels)
        ms = 1e3 * (time.perf_counter() - start)
        print(f"{name(levels):<16}{bound(levels):>6}{before:>7}{now:>6}{ms:8.1f}  {how}")
    total = old = new = 0
    missing = []
    for k in range(3, 8):
        for levels in itertools.combinations_with_replacement([5, 4, 3, 2], k):
            levels = list(levels)
            n = bound(levels)
            total += 1
            old += first_runs(oarrays.construct, levels, n)[0] == n
            reached = first_runs(oa_mixed.construct_mixed, levels, n)[0] == n
            new += reached
            if not reached:
                missing.append(f"{name(levels)} in {n}")
    print(f"{total} multisets of 3-7 attributes with 2-5 levels reach the bound: "
          f"before {old}, now {new}; not reached: {', '.join(missing)}")


if __name__ == "__main__":
    main()
