"""Data-quality checks: the array version of ``dce.data.quality.check`` against the former
per-set Python loop, on 20,000 and 200,000 choice sets x 3 alternatives x 10 attributes.

The former implementation is not kept in the package: it is read from git
(``git show <commit>:dce/data/quality.py``, default the commit before the rewrite) into a
temporary module and run on the same table. Each case times one call (the former loop
takes minutes at 200,000 sets; the array version is repeated 3 times and the median is
shown), checks that both give the same table, and records the array version's peak
traced memory (tracemalloc, numpy and pandas buffers included).

The table: 12 tasks per respondent, 3 generic alternatives, 10 linear attributes of 4
levels (1, 2, 4, 8) written as integers; the first 5 have an a priori order (slope -1),
the others none (non-trading then uses the sample's choices); choices at random.

Run: ``python benchmarks/bench_quality.py [--sizes 20000 200000] [--base COMMIT]
[--former-up-to 200000]`` from the repository root (larger sizes time the arrays only).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dce.core.attributes import Attribute  # noqa: E402
from dce.data import quality  # noqa: E402

BASE = "014a012"  # the last commit with the per-set loop
N_ATTRIBUTES, N_ALTERNATIVES, TASKS = 10, 3, 12


def table(n_sets: int, seed: int = 11) -> tuple[pd.DataFrame, list, dict]:
    """Long responses of ``n_sets`` sets (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_rows = n_sets * N_ALTERNATIVES
    set_no = np.repeat(np.arange(n_sets), N_ALTERNATIVES)
    df = pd.DataFrame({"respondent": set_no // TASKS + 1, "block": 1,
                       "task": set_no % TASKS + 1,
                       "alternative": np.tile(np.arange(1, N_ALTERNATIVES + 1), n_sets)})
    pick = rng.integers(N_ALTERNATIVES, size=n_sets).repeat(N_ALTERNATIVES)
    df["chosen"] = (pick == df["alternative"].to_numpy() - 1).astype(int)
    levels = np.array([1, 2, 4, 8])
    attrs, order = [], {}
    for q in range(N_ATTRIBUTES):
        df[f"x{q}"] = levels[rng.integers(len(levels), size=n_rows)]
        attrs.append(Attribute(f"x{q}", f"x{q}", "linear", tuple(levels.tolist())))
        if q < N_ATTRIBUTES // 2:
            order[f"x{q}"] = -1.0
    return df, attrs, order


def former_check(base: str):
    """``check`` of dce/data/quality.py at commit ``base``, loaded from git."""
    text = subprocess.run(["git", "show", f"{base}:dce/data/quality.py"], cwd=REPO,
                          check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "quality_before.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("quality_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


def timed(f, *args) -> tuple[float, object]:
    t = time.perf_counter()
    out = f(*args)
    return time.perf_counter() - t, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--base", default=BASE)
    parser.add_argument("--former-up-to", type=int, default=200_000,
                        help="run the former loop only up to this many sets")
    args = parser.parse_args()
    old = former_check(args.base)
    print(f"# Data-quality checks, {datetime.now(UTC).isoformat(timespec='seconds')}")
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, "
          f"python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}; former loop from git {args.base}")
    print(f"table: sets x {N_ALTERNATIVES} alternatives x {N_ATTRIBUTES} linear attributes, "
          f"{TASKS} tasks per respondent\n")
    print("| sets | rows | former loop (s) | arrays (s, median of 3) | speed-up "
          "| arrays peak traced memory (MiB) | same table |")
    print("|---:|---:|---:|---:|---:|---:|:---:|")
    for n in args.sizes:
        df, attrs, order = table(n)
        t_old, ref = timed(old, df, attrs, order) if n <= args.former_up_to else (None, None)
        times = []
        for _ in range(3):
            t_new, new = timed(quality.check, df, attrs, order)
            times.append(t_new)
        tracemalloc.start()
        quality.check(df, attrs, order)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        t_new = float(np.median(times))
        if ref is None:
            print(f"| {n:,} | {len(df):,} | not run | {t_new:.3f} | | {peak:.0f} | |", flush=True)
            continue
        same = ref.equals(new) and (ref.dtypes == new.dtypes).all()
        print(f"| {n:,} | {len(df):,} | {t_old:.2f} | {t_new:.3f} | {t_old / t_new:.0f}x "
              f"| {peak:.0f} | {'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
