"""The whole `dce fit` process against a bare numpy script, on the same CSV (issue 16).

For each size N (choice sets) the script writes one long CSV (N sets x ALTS alternatives x
ATTRS linear attributes, respondents of 10 sets each, choices drawn from a known logit) and
a fit-only config, then runs, each in its own process and in the same run:

* ``script``: the bare baseline, pandas ``read_csv`` and a Newton conditional logit in plain
  numpy (:data:`BARE`), about 15 lines, with classic standard errors;
* ``dce fit``: the command a user runs (``model.se: classic``), writing its run folder.

Each command runs once untimed first, with Python's compiled-module cache on as on a
user's machine (some sandboxes set PYTHONDONTWRITEBYTECODE, which makes every run compile
dce's modules again). For each it records the whole-process wall time and the peak
resident memory (from ``os.wait4``), and prints the ratios dce / script, the share of each stage from the
manifest's ``stage_seconds`` (when the manifest has them), and the scaling exponent k of
time ~ N^k fitted over the sizes. Both fits are checked to agree (coefficients to 1e-6),
so the comparison is of the same work.

Usage::

    python benchmarks/bench_pipeline.py                     # 20k, 200k and 1M sets
    python benchmarks/bench_pipeline.py --sizes 20000 200000
    python benchmarks/bench_pipeline.py --repeats 3         # medians of 3 runs per case

Results are recorded in benchmarks/RESULTS.md with the machine and date.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ALTS, ATTRS, TASKS_PER_RESPONDENT, SEED = 3, 10, 10, 20261130

BARE = r"""
import sys, json, numpy as np, pandas as pd
d = pd.read_csv(sys.argv[1])
X = d[[f"x{k}" for k in range(1, {ATTRS} + 1)]].to_numpy(float)
y = d["chosen"].to_numpy(float)
n, J = len(d) // {ALTS}, {ALTS}
X3, y2 = X.reshape(n, J, -1), y.reshape(n, J)
b = np.zeros(X.shape[1])
for _ in range(50):
    u = X3 @ b; p = np.exp(u - u.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    xb = np.einsum("nj,njk->nk", p, X3)
    g = np.einsum("nj,njk->k", y2, X3) - xb.sum(0)
    H = np.einsum("nj,njk,njl->kl", p, X3, X3) - xb.T @ xb
    step = np.linalg.solve(H, g); b += step
    if abs(g @ step) < 1e-12: break
se = np.sqrt(np.diag(np.linalg.inv(H)))
json.dump({"b": b.tolist(), "se": se.tolist()}, open(sys.argv[2], "w"))
""".replace("{ATTRS}", str(ATTRS)).replace("{ALTS}", str(ALTS))

CONFIG = """schema_version: 1
name: bench_{n}
seed: 1
attributes:
{attributes}
choices:
  file: choices.csv
model:
  se: classic
"""


def write_case(folder: Path, n_sets: int) -> Path:
    """The CSV and config of one size; returns the config path."""
    rng = np.random.default_rng(np.random.SeedSequence([SEED, n_sets]))
    beta = np.linspace(-1.0, 1.0, ATTRS)
    X = rng.integers(0, 4, size=(n_sets, ALTS, ATTRS)).astype(float)
    u = X @ beta + rng.gumbel(size=(n_sets, ALTS))
    chosen = (u == u.max(axis=1, keepdims=True)).astype(int)
    frame = pd.DataFrame(X.reshape(-1, ATTRS), columns=[f"x{k}" for k in range(1, ATTRS + 1)])
    sets = np.repeat(np.arange(n_sets), ALTS)
    frame.insert(0, "respondent", sets // TASKS_PER_RESPONDENT + 1)
    frame.insert(1, "task", sets % TASKS_PER_RESPONDENT + 1)
    frame.insert(2, "alternative", np.tile(np.arange(1, ALTS + 1), n_sets))
    frame.insert(3, "chosen", chosen.reshape(-1))
    frame.to_csv(folder / "choices.csv", index=False, float_format="%g")
    attributes = "\n".join(f"  x{k}: {{coding: linear}}" for k in range(1, ATTRS + 1))
    config = folder / "config.yaml"
    config.write_text(CONFIG.format(n=n_sets, attributes=attributes))
    (folder / "bare.py").write_text(BARE)
    return config


#: The processes' environment: as a user's, Python caches compiled modules (some sandboxes
#: set PYTHONDONTWRITEBYTECODE, which makes every run compile dce's modules again, 0.2 s).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return seconds, usage.ru_maxrss / 1024.0


def dce_estimates(out: Path) -> np.ndarray:
    est = pd.read_csv(out / "estimates.csv")
    est = est[est["group"] == est["group"].iloc[0]]
    return est.set_index("term").loc[[f"x{k}" for k in range(1, ATTRS + 1)], "estimate"].to_numpy()


def run_size(n_sets: int, repeats: int, root: Path) -> dict:
    folder = root / f"n{n_sets}"
    folder.mkdir()
    config = write_case(folder, n_sets)
    mb = (folder / "choices.csv").stat().st_size / 2**20
    rows = {"script": [], "dce": []}
    # one untimed run of each first: compiled modules cached, the file in the page cache
    measure([sys.executable, "bare.py", "choices.csv", "bare.json"], folder)
    measure([sys.executable, "-m", "dce", "fit", config.name, "--output", "warm", "--force"],
            folder)
    for r in range(repeats):
        rows["script"].append(measure([sys.executable, "bare.py", "choices.csv", "bare.json"],
                                      folder))
        rows["dce"].append(measure([sys.executable, "-m", "dce", "fit", config.name,
                                    "--output", f"out{r}", "--force"], folder))
    bare = np.array(json.loads((folder / "bare.json").read_text())["b"])
    diff = float(np.max(np.abs(dce_estimates(folder / "out0") - bare)))
    manifest = json.loads((folder / "out0" / "manifest.json").read_text())
    med = {k: (float(np.median([t for t, _ in v])), float(np.median([m for _, m in v])))
           for k, v in rows.items()}
    return {"n": n_sets, "csv_mb": mb, "script": med["script"], "dce": med["dce"],
            "max_abs_diff": diff, "stages": manifest.get("stage_seconds", {})}


def exponent(ns, ts) -> float:
    """Slope of log time on log N (least squares)."""
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0]) if len(ns) > 1 else float("nan")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"bench_pipeline: {ALTS} alternatives x {ATTRS} linear attributes, "
          f"se classic, {args.repeats} run(s) per case (medians); "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            res = run_size(n, args.repeats, Path(tmp))
            results.append(res)
            (ts, ms), (td, md) = res["script"], res["dce"]
            print(f"\nN = {n:,} sets ({res['csv_mb']:.0f} MB CSV); max |b_dce - b_script| = "
                  f"{res['max_abs_diff']:.1e}")
            print(f"  {'':10s} {'time s':>9s} {'peak MB':>9s}")
            print(f"  {'script':10s} {ts:9.2f} {ms:9.0f}")
            print(f"  {'dce fit':10s} {td:9.2f} {md:9.0f}")
            print(f"  ratio dce/script: time {td / ts:.2f}x, memory {md / ms:.2f}x")
            if res["stages"]:
                total = sum(res["stages"].values())
                shares = ", ".join(f"{k} {v:.2f} s ({100 * v / td:.0f}%)"
                                   for k, v in res["stages"].items())
                print(f"  stages (sum {total:.2f} s of {td:.2f} s): {shares}")
    ns = [r["n"] for r in results]
    print(f"\nscaling exponent k (time ~ N^k): script {exponent(ns, [r['script'][0] for r in results]):.2f}, "
          f"dce fit {exponent(ns, [r['dce'][0] for r in results]):.2f}")


if __name__ == "__main__":
    main()
