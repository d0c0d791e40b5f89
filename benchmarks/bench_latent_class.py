"""Latent class logit: dce against biogeme's latent-class specification on Train's electricity data.

Data: tests/reference/data/electricity.csv.gz (361 respondents, 4,308 choice sets of 4
alternatives; pf, cl, loc, wk, tod, seas; panel by respondent), constant class shares,
2 and 3 classes.

Cases, each in its own process:

* ``dce-default``: ``dce.models.latent_class.fit(data, classes=C, seed_seq=...)`` with its
  default starts (20 seeded starts: EM, then the Newton polish; covariances included);
  reports the time, the best log-likelihood and how many starts reached it (within 1e-4).
* ``dce-common`` and ``biogeme``: one fit from each of the same ``--common`` starting
  vectors (drawn here: class coefficients ``N(b, (2|b|)^2)`` around the pooled estimates
  ``b`` of a plain numpy conditional logit, share logits 0), dce with ``start=`` (EM, polish,
  covariances), biogeme with those values as the initial values of its ``Beta`` expressions
  (its default algorithm and statistics). biogeme's time includes its JAX compilation, which
  happens anew for every model it builds.

biogeme runs in the separate virtual environment ``.venv-bench`` (see benchmarks/README.md)
through ``tests/reference/latent_class_independent.py``, which never imports dce.

Usage (from the repository root)::

    PYTHONPATH=$PWD python benchmarks/bench_latent_class.py [--classes 2,3] [--common 2]
        [--no-biogeme] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
VENV_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
SEED = 20261201


def common_starts(C, n):
    """``n`` starting vectors (P,) shared by dce and biogeme (module docstring)."""
    sys.path.insert(0, str(REF))
    import latent_class_independent as ind
    from scipy import optimize

    X, y, resp, ids = ind.load_electricity()
    N, K = len(ids), X.shape[2]
    b = optimize.minimize(lambda t: tuple(-v for v in ind.loglik_and_gradient(
        t, X, y, resp, N, 1)), np.zeros(K), jac=True, method="BFGS").x
    rng = np.random.default_rng([SEED, C])
    return [np.r_[(b + rng.standard_normal((C, K)) * 2 * np.abs(b)).ravel(), np.zeros(C - 1)]
            for _ in range(n)]


# ----- workers (one process each) ------------------------------------------------------------
def worker_dce(C, starts):
    import warnings

    import pandas as pd

    from dce.core.coding import ChoiceData
    from dce.models import latent_class as lc

    t0 = time.perf_counter()
    df = pd.read_csv(REF / "data" / "electricity.csv.gz").sort_values(["id", "chid", "alt"])
    first = np.r_[True, df["chid"].to_numpy()[1:] != df["chid"].to_numpy()[:-1]]
    codes, ids = pd.factorize(df["id"].to_numpy()[first])
    terms = ["pf", "cl", "loc", "wk", "tod", "seas"]
    data = ChoiceData(df[terms].to_numpy(float), df["choice"].to_numpy().astype(float),
                      np.r_[np.flatnonzero(first), len(df)], codes.astype(np.int64), ids,
                      np.array(["all"] * int(first.sum()), dtype=object),
                      df["alt"].to_numpy(), tuple(terms))
    prep = time.perf_counter() - t0
    seq = np.random.SeedSequence(SEED)
    runs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lc.fit(data, classes=C, starts=1, seed_seq=seq)          # warm-up (imports)
        if starts is None:
            t = time.perf_counter()
            res = lc.fit(data, classes=C, seed_seq=seq)
            sec = time.perf_counter() - t
            return {"prep": prep, "seconds": sec, "loglik": res.loglik,
                    "n_starts": res.n_starts, "at_best": res.starts_at_best,
                    "converged": res.converged}
        for x0 in starts:
            t = time.perf_counter()
            res = lc.fit(data, classes=C, seed_seq=seq, start=x0)
            runs.append({"seconds": time.perf_counter() - t, "loglik": res.loglik,
                         "converged": res.converged})
    return {"prep": prep, "runs": runs}


def worker_biogeme(C, starts):
    sys.path.insert(0, str(REF))
    import latent_class_independent as ind

    X, y, resp, _ = ind.load_electricity()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:   # biogeme writes report files into the cwd
        os.chdir(tmp)
        for x0 in starts:
            t = time.perf_counter()
            r = ind.biogeme_latent_class(X, y, resp, C, x0)
            runs.append({"seconds": time.perf_counter() - t, "estimate_seconds": r["seconds"],
                         "loglik": r["loglik"], "converged": r["converged"]})
    return {"runs": runs, "version": r["version"] if starts else None}


def run_case(python, engine, C, starts, timeout):
    payload = {"engine": engine, "C": C,
               "starts": None if starts is None else [list(map(float, s)) for s in starts]}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", json.dumps(payload)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                             cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": " | ".join((out.stderr or out.stdout).strip().splitlines()[-3:])}
    return json.loads(lines[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--classes", default="2,3")
    p.add_argument("--common", type=int, default=2, help="shared starting vectors")
    p.add_argument("--no-biogeme", action="store_true")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--json")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        starts = None if job["starts"] is None else [np.array(s) for s in job["starts"]]
        fn = worker_dce if job["engine"] == "dce" else worker_biogeme
        print(json.dumps(fn(job["C"], starts)))
        return 0
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus; electricity: 361 respondents, 4308 sets x 4 alternatives")
    report = {}
    for C in [int(c) for c in args.classes.split(",")]:
        starts = common_starts(C, args.common)
        out = {"dce-default": run_case(sys.executable, "dce", C, None, args.timeout),
               "dce-common": run_case(sys.executable, "dce", C, starts, args.timeout)}
        if not args.no_biogeme:
            out["biogeme"] = (run_case(VENV_PYTHON, "biogeme", C, starts, args.timeout)
                              if VENV_PYTHON.exists() else {"error": f"{VENV_PYTHON} missing"})
        report[C] = out
        d = out["dce-default"]
        print(f"\n{C} classes")
        if "error" in d:
            print(f"  dce-default  failed: {d['error']}")
        else:
            print(f"  dce-default  {d['seconds']:8.2f} s  loglik {d['loglik']:.6f}  "
                  f"{d['at_best']} of {d['n_starts']} starts at the best  "
                  f"converged {d['converged']}")
        for name in ("dce-common", "biogeme"):
            r = out.get(name)
            if r is None:
                continue
            if "error" in r:
                print(f"  {name:<12} failed: {r['error']}")
                continue
            for i, run in enumerate(r["runs"]):
                print(f"  {name:<12} start {i + 1}: {run['seconds']:8.2f} s  "
                      f"loglik {run['loglik']:.6f}  converged {run['converged']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
