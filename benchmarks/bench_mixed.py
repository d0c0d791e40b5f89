"""Timing of the native panel mixed logit against xlogit and biogeme.

Problem: the size of the classic electricity data set (Train's: 361 respondents, ~4,300 choice
sets): 360 respondents x 12 tasks = 4,320 choice sets x 4 alternatives, 6 attributes with
normal random coefficients, 500 draws per respondent, simulated with Gumbel errors.

    python benchmarks/bench_mixed.py                 # dce, then xlogit from .venv-bench
    python benchmarks/bench_mixed.py --biogeme       # also biogeme (slow)
    python benchmarks/bench_mixed.py --no-compare    # dce only

xlogit and biogeme run in the separate virtual environment ``.venv-bench`` (this same script,
``--engine xlogit|biogeme --data FILE``, which imports neither dce nor anything outside
numpy/pandas and the engine), so they never enter the main environment. Every engine uses its
own draws (dce: scrambled Sobol; xlogit: Halton; biogeme: NORMAL_MLHS), so log-likelihoods
agree only up to simulation noise. Times are wall-clock seconds of the fit call including
standard errors (dce: numerical Hessian of the analytic gradient + sandwich; xlogit: its
BFGS inverse-Hessian approximation; biogeme: its default), on whatever else the machine is
running at the time: repeat and compare within one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MEANS = np.array([-0.9, -0.2, 2.0, 1.5, -1.0, 0.8])
SDS = np.array([0.3, 0.3, 1.5, 1.0, 0.6, 0.5])
NAMES = [f"x{k}" for k in range(6)]
ROOT = Path(__file__).resolve().parents[1]
BIOGEME_SD_START = 0.1  # as xlogit
VENV_PYTHON = ROOT / ".venv-bench" / "bin" / "python"


def simulate(n_resp=360, n_tasks=12, n_alts=4, seed=2018) -> dict:
    """Long-format arrays: X (rows, 6), chosen, set id, respondent id, alternative."""
    rng = np.random.default_rng(seed)
    K = len(MEANS)
    X = rng.normal(size=(n_resp, n_tasks, n_alts, K))
    X[..., 2:4] = rng.integers(0, 2, size=(n_resp, n_tasks, n_alts, 2))  # two dummies
    B = MEANS + SDS * rng.standard_normal((n_resp, K))
    U = np.einsum("ntjk,nk->ntj", X, B) + rng.gumbel(size=(n_resp, n_tasks, n_alts))
    chosen = (U == U.max(axis=2, keepdims=True)).astype(float)
    S = n_resp * n_tasks
    return {"X": X.reshape(-1, K), "chosen": chosen.reshape(-1),
            "set": np.repeat(np.arange(S), n_alts),
            "respondent": np.repeat(np.arange(n_resp), n_tasks * n_alts),
            "alternative": np.tile(np.arange(1, n_alts + 1), S)}


# ----- engines -----------------------------------------------------------------------------
def run_dce(arrays, draws, threads=None) -> dict:
    from dce.core.coding import ChoiceData
    from dce.models import mixed

    X, S = arrays["X"], int(arrays["set"].max()) + 1
    n_alts = X.shape[0] // S
    data = ChoiceData(
        X=X, chosen=arrays["chosen"], set_start=np.arange(0, X.shape[0] + 1, n_alts),
        respondent=arrays["respondent"][::n_alts].astype(np.int64),
        respondent_ids=np.unique(arrays["respondent"]),
        group=np.array(["all"] * S, dtype=object), alternative=arrays["alternative"],
        terms=tuple(NAMES))
    t = time.perf_counter()
    fit = mixed.fit(data, random=dict.fromkeys(NAMES, "normal"), draws=draws,
                    draw_type="sobol", seed_seq=np.random.SeedSequence(1), threads=threads)
    seconds = time.perf_counter() - t
    return {"engine": "dce (native)", "seconds": seconds, "loglik": fit.loglik,
            "iterations": fit.iterations, "converged": fit.converged,
            "params": dict(zip(fit.terms, map(float, fit.params), strict=True)),
            "se": dict(zip(fit.terms, map(float, fit.bse), strict=True))}


def run_xlogit(arrays, draws) -> dict:
    from xlogit import MixedLogit

    model = MixedLogit()
    t = time.perf_counter()
    model.fit(X=arrays["X"], y=arrays["chosen"], varnames=NAMES, alts=arrays["alternative"],
              ids=arrays["set"], panels=arrays["respondent"],
              randvars=dict.fromkeys(NAMES, "n"), n_draws=draws, verbose=0)
    seconds = time.perf_counter() - t
    names = list(model.coeff_names)
    params = {("sd[" + n[3:] + "]" if n.startswith("sd.") else n): abs(float(b))
              if n.startswith("sd.") else float(b) for n, b in zip(names, model.coeff_, strict=True)}
    se = {("sd[" + n[3:] + "]" if n.startswith("sd.") else n): float(s)
          for n, s in zip(names, model.stderr, strict=True)}
    return {"engine": "xlogit", "seconds": seconds, "loglik": float(model.loglikelihood),
            "iterations": int(model.total_iter), "converged": bool(model.convergence),
            "params": params, "se": se}


def run_biogeme(arrays, draws) -> dict:
    import os

    import pandas as pd
    from biogeme import models
    from biogeme.biogeme import BIOGEME
    from biogeme.database import Database
    from biogeme.expressions import (
        Beta,
        DistributedParameter,
        Draws,
        MonteCarlo,
        PanelLikelihoodTrajectory,
        Variable,
        log,
    )
    from biogeme.parameters import Parameters

    X, S = arrays["X"], int(arrays["set"].max()) + 1
    J = X.shape[0] // S
    wide = {"ID": arrays["respondent"][::J] + 1,
            "CHOICE": arrays["chosen"].reshape(S, J).argmax(axis=1) + 1}
    for j in range(J):
        for k, name in enumerate(NAMES):
            wide[f"{name}_{j + 1}"] = X.reshape(S, J, -1)[:, j, k]
    database = Database("bench", pd.DataFrame(wide))
    database.panel("ID")
    # one draw per respondent (panel). Draw type: every "NORMAL_HALTON2" variable is the same
    # base-2 sequence, which makes the six coefficients perfectly correlated (log-likelihood
    # -3801.5 at its optimum); modified Latin hypercube draws are independent per variable.
    coefs = [DistributedParameter(f"beta_{n}", Beta(f"b_{n}", 0.0, None, None, 0)
                                  + Beta(f"s_{n}", BIOGEME_SD_START, None, None, 0)
                                  * Draws(f"z_{n}", "NORMAL_MLHS"))
             for n in NAMES]
    V = {j + 1: sum(c * Variable(f"{n}_{j + 1}") for c, n in zip(coefs, NAMES, strict=True))
         for j in range(J)}
    prob = models.logit(V, None, Variable("CHOICE"))
    loglike = log(MonteCarlo(PanelLikelihoodTrajectory(prob)))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:  # biogeme writes report files into the cwd
        os.chdir(tmp)
        try:
            # a Parameters object: biogeme 3.3.2 fails writing its default biogeme.toml
            bio = BIOGEME(database, loglike, parameters=Parameters(), number_of_draws=draws,
                          generate_html=False, generate_yaml=False)
            bio.model_name = "bench"
            t = time.perf_counter()
            res = bio.estimate()
            seconds = time.perf_counter() - t
        finally:
            os.chdir(cwd)
    values = res.get_beta_values()
    params = {}
    for n in NAMES:
        params[n] = float(values[f"b_{n}"])
        params[f"sd[{n}]"] = abs(float(values[f"s_{n}"]))
    return {"engine": "biogeme", "seconds": seconds,
            "loglik": float(res.final_log_likelihood), "iterations": None,
            "converged": bool(res.algorithm_has_converged), "params": params, "se": {}}


def run_external(engine, data_file, draws, timeout) -> dict:
    if not VENV_PYTHON.exists():
        return {"engine": engine, "error": f"{VENV_PYTHON} not found"}
    cmd = [str(VENV_PYTHON), str(Path(__file__).resolve()), "--engine", engine,
           "--data", str(data_file), "--draws", str(draws)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        return {"engine": engine, "error": f"no result within {timeout} s"}
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"engine": engine, "error": " | ".join(tail)}
    return json.loads(lines[-1])


# ----- main ----------------------------------------------------------------------------------
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=500)
    p.add_argument("--repeat", type=int, default=1, help="repeat the dce fit (best time)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--no-compare", action="store_true")
    p.add_argument("--biogeme", action="store_true", help="also run biogeme (slow)")
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--engine", choices=["xlogit", "biogeme"], help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.engine:  # inside .venv-bench
        arrays = dict(np.load(args.data))
        runner = run_xlogit if args.engine == "xlogit" else run_biogeme
        print(json.dumps(runner(arrays, args.draws)))
        return 0

    arrays = simulate()
    n_sets = int(arrays["set"].max()) + 1
    print(f"problem: 360 respondents, {n_sets} choice sets x 4 alternatives, "
          f"6 normal random coefficients, {args.draws} draws")
    results = []
    runs = [run_dce(arrays, args.draws, args.threads) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    if args.repeat > 1:
        best["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    results.append(best)
    if not args.no_compare:
        with tempfile.TemporaryDirectory() as tmp:
            data_file = Path(tmp) / "bench.npz"
            np.savez(data_file, **arrays)
            results.append(run_external("xlogit", data_file, args.draws, args.timeout))
            if args.biogeme:
                results.append(run_external("biogeme", data_file, args.draws, args.timeout))
    ref = results[0]["params"]
    print(f"{'engine':<14}{'seconds':>9}{'loglik':>13}{'iter':>6}  conv  max|diff| vs dce")
    for r in results:
        if "error" in r:
            print(f"{r['engine']:<14}  failed: {r['error']}")
            continue
        diff = max(abs(r["params"].get(k, np.nan) - v) for k, v in ref.items())
        it = "" if r["iterations"] is None else r["iterations"]
        print(f"{r['engine']:<14}{r['seconds']:>9.2f}{r['loglik']:>13.3f}{it!s:>6}  "
              f"{'yes' if r['converged'] else 'no':<4}  {diff:.4f}")
        if "all_seconds" in r:
            print(f"{'':<14}all runs: {r['all_seconds']}")
    truth = dict(zip(NAMES, MEANS, strict=True)) | {f"sd[{n}]": s for n, s in zip(NAMES, SDS, strict=True)}
    print("\nterm        truth   " + "".join(f"{r['engine'][:12]:>14}" for r in results
                                            if "error" not in r))
    for k, v in truth.items():
        print(f"{k:<10}{v:>8.3f}   " + "".join(f"{r['params'].get(k, np.nan):>14.4f}"
                                             for r in results if "error" not in r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
