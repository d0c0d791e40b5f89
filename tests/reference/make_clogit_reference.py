"""Build the conditional-logit reference values used by tests/models/test_clogit_reference.py.

Run from the repository root (it never imports ``dce``)::

    python tests/reference/make_clogit_reference.py

It writes

* ``tests/reference/data/clogit_{generic,unequal,panel}.csv``: three small long-format data
  sets (one row per respondent x task x alternative), generated deterministically from a
  ``numpy.random.SeedSequence``. The tests read these files, not the generator.
* ``tests/reference/clogit_statsmodels.json``: for each data set

  - coefficients, log-likelihood and classic standard errors from statsmodels'
    ``ConditionalLogit`` (groups = choice set, Newton's method with a tight tolerance;
    convergence and a vanishing analytic score are verified before anything is written);
  - robust (sandwich over choice sets, no small-sample factor) and cluster-by-respondent
    (sandwich over respondents times G/(G-1), as Stata's ``vce(cluster id)``) covariances,
    computed here with plain numpy/pandas: a loop over choice sets at the statsmodels
    estimates, with the bread the inverse of the analytic information from that same loop;
  - the package versions that produced the values.

CSV columns: ``respondent, task, set, alternative, chosen`` and then one numeric column per
model term, in model order (the JSON lists the terms too).
"""

from __future__ import annotations

import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import statsmodels
from statsmodels.base.model import LikelihoodModel
from statsmodels.discrete.conditional_models import ConditionalLogit

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = HERE / "clogit_statsmodels.json"
ROOT_SEED = 20240611

# ----------------------------------------------------------------------------- data sets

EFFECTS3 = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])   # 3-level effects coding
EFFECTS2 = np.array([[-1.0], [1.0]])                          # 2-level effects coding


def _choose(rng, utility_rows, set_sizes):
    """Index (within each set) of the alternative with the largest utility + Gumbel error."""
    chosen = np.zeros(len(utility_rows))
    start = 0
    for m in set_sizes:
        u = utility_rows[start:start + m] + rng.gumbel(size=m)
        chosen[start + int(np.argmax(u))] = 1.0
        start += m
    return chosen


def generic_set(rng):
    """(a) 3 generic alternatives; effects-coded 3- and 2-level attributes, two linear ones."""
    R, T, J = 120, 6, 3
    rows = []
    for r in range(R):
        for t in range(T):
            for j in range(J):
                q = rng.integers(3)
                f = rng.integers(2)
                rows.append({
                    "respondent": r + 1, "task": t + 1, "alternative": j + 1,
                    "quality[Trained]": EFFECTS3[q, 0], "quality[Checked]": EFFECTS3[q, 1],
                    "format[Online]": EFFECTS2[f, 0],
                    "cost": float(rng.choice([5, 10, 20, 40])),
                    "waiting": float(rng.choice([1, 4, 12])),
                })
    df = pd.DataFrame(rows)
    beta = {"quality[Trained]": 0.5, "quality[Checked]": 0.3, "format[Online]": 0.4,
            "cost": -0.04, "waiting": -0.08}
    terms = list(beta)
    v = df[terms].to_numpy() @ np.array([beta[t] for t in terms])
    df["chosen"] = _choose(rng, v, [J] * (R * T))
    return df, terms, beta


def unequal_set(rng):
    """(b) labelled alternatives 1..4; each set offers a random subset of 2, 3 or 4 of them."""
    R, T = 150, 6
    rows, sizes = [], []
    for r in range(R):
        for t in range(T):
            m = int(rng.integers(2, 5))
            avail = np.sort(rng.choice(4, size=m, replace=False)) + 1
            sizes.append(m)
            for a in avail:
                rows.append({
                    "respondent": r + 1, "task": t + 1, "alternative": int(a),
                    "comfort[High]": float(rng.integers(2)),
                    "brand[B]": float(rng.integers(2)),
                    "speed": float(rng.choice([0.5, 1.0, 1.5, 2.0])),
                    "price": float(rng.choice([1, 2, 3, 4, 5])),
                })
    df = pd.DataFrame(rows)
    beta = {"comfort[High]": 0.6, "brand[B]": -0.35, "speed": 0.45, "price": -0.3}
    terms = list(beta)
    v = df[terms].to_numpy() @ np.array([beta[t] for t in terms])
    df["chosen"] = _choose(rng, v, sizes)
    return df, terms, beta


def panel_set(rng):
    """(c) 3 labelled alternatives with constants for 1 and 2; respondents answer 8 tasks and
    carry their own taste shifts (so choices are correlated within respondent)."""
    R, T, J = 100, 8, 3
    beta = {"asc[1]": 0.4, "asc[2]": -0.2, "quality[Trained]": 0.5, "quality[Checked]": 0.25,
            "cost": -0.06}
    terms = list(beta)
    b = np.array([beta[t] for t in terms])
    rows, util = [], []
    for r in range(R):
        shift = np.array([1.0 * rng.normal(), 1.0 * rng.normal(), 0.0, 0.0,
                          0.04 * rng.normal()])
        for t in range(T):
            for j in range(J):
                q = rng.integers(3)
                row = {"respondent": r + 1, "task": t + 1, "alternative": j + 1,
                       "asc[1]": float(j == 0), "asc[2]": float(j == 1),
                       "quality[Trained]": EFFECTS3[q, 0], "quality[Checked]": EFFECTS3[q, 1],
                       "cost": float(rng.choice([0, 10, 20, 30]))}
                rows.append(row)
                util.append(np.array([row[k] for k in terms]) @ (b + shift))
    df = pd.DataFrame(rows)
    df["chosen"] = _choose(rng, np.array(util), [J] * (R * T))
    return df, terms, beta


BUILDERS = {"generic": generic_set, "unequal": unequal_set, "panel": panel_set}


def finish(df, terms):
    """Add a running choice-set id and fix the column order."""
    key = df["respondent"] * 1000 + df["task"]
    df = df.assign(set=pd.factorize(key)[0] + 1)
    return df[["respondent", "task", "set", "alternative", "chosen", *terms]]


# ------------------------------------------------------------- independent numpy route


def numpy_route(df, terms, beta):
    """Log-likelihood, information and covariances by an explicit loop over choice sets."""
    K = len(terms)
    ll = 0.0
    info = np.zeros((K, K))
    set_scores, set_resp = [], []
    for _, s in df.groupby("set", sort=True):
        X = s[terms].to_numpy(dtype=float)
        y = s["chosen"].to_numpy(dtype=float)
        v = X @ beta
        m = v.max()
        w = np.exp(v - m)
        p = w / w.sum()
        ll += float(y @ v - (m + np.log(w.sum())))
        xbar = p @ X
        info += (X * p[:, None]).T @ X - np.outer(xbar, xbar)
        set_scores.append(y @ X - xbar)
        set_resp.append(s["respondent"].iloc[0])
    scores = np.array(set_scores)
    bread = np.linalg.inv(info)
    robust = bread @ (scores.T @ scores) @ bread
    by_resp = pd.DataFrame(scores).groupby(np.array(set_resp)).sum().to_numpy()
    G = by_resp.shape[0]
    cluster = G / (G - 1) * bread @ (by_resp.T @ by_resp) @ bread
    sym = lambda a: (a + a.T) / 2  # noqa: E731
    return {"loglik": ll, "classic": sym(bread), "robust": sym(robust),
            "cluster": sym(cluster), "n_clusters": G, "max_abs_score": float(
                np.abs(scores.sum(axis=0)).max())}


def statsmodels_fit(df, terms):
    model = ConditionalLogit(df["chosen"].to_numpy(dtype=float),
                             df[terms].to_numpy(dtype=float),
                             groups=df["set"].to_numpy())
    # ConditionalLogit.fit does not forward solver options (``tol``) and drops the solver's
    # convergence record, so call the LikelihoodModel.fit it delegates to directly: same
    # model, same Newton solver, same numerical Hessian for the covariance.
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # any statsmodels warning (dropped sets, ...) is fatal
        res = LikelihoodModel.fit(model, start_params=np.zeros(len(terms)), method="newton",
                                  maxiter=200, tol=1e-12, disp=False, full_output=True)
    score = model.score(res.params)
    if not res.mle_retvals["converged"]:
        raise SystemExit("statsmodels did not converge")
    if np.abs(score).max() > 1e-8:
        raise SystemExit(f"statsmodels score not zero at the solution: {score}")
    return res, score


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(ROOT_SEED).spawn(len(BUILDERS))
    out = {
        "description": (
            "Conditional logit references. statsmodels: ConditionalLogit (groups = choice "
            "set), Newton, classic SE from its (numerical) Hessian. numpy: explicit loop over "
            "choice sets at the statsmodels estimates; classic = inverse analytic information, "
            "robust = sandwich over choice sets (no small-sample factor), cluster = sandwich "
            "over respondents times G/(G-1)."),
        "generator": "tests/reference/make_clogit_reference.py",
        "root_seed": ROOT_SEED,
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "pandas": pd.__version__, "scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__},
        "datasets": {},
    }
    for (name, build), seed in zip(BUILDERS.items(), seeds, strict=True):
        rng = np.random.default_rng(seed)
        df, terms, true_beta = build(rng)
        df = finish(df, terms)
        path = DATA / f"clogit_{name}.csv"
        df.to_csv(path, index=False, float_format="%.17g")
        df = pd.read_csv(path)           # fit exactly what the tests will read
        res, score = statsmodels_fit(df, terms)
        params = np.asarray(res.params)
        nd = numpy_route(df, terms, params)
        sm_se = np.asarray(res.bse)
        np_se = np.sqrt(np.diag(nd["classic"]))
        # cross-checks between the two independent routes
        if abs(nd["loglik"] - res.llf) > 1e-9 * abs(res.llf):
            raise SystemExit(f"{name}: log-likelihoods differ {nd['loglik']} vs {res.llf}")
        rel = np.abs(np_se / sm_se - 1).max()
        if rel > 1e-5:
            raise SystemExit(f"{name}: classic SE differ by {rel:.2e} (relative)")
        sizes = df.groupby("set").size()
        out["datasets"][name] = {
            "file": f"data/{path.name}",
            "terms": terms,
            "true_coefficients": [true_beta[t] for t in terms],
            "n_rows": len(df), "n_sets": int(df["set"].nunique()),
            "n_respondents": int(df["respondent"].nunique()),
            "set_sizes": {str(k): int(v) for k, v in sizes.value_counts().sort_index().items()},
            "statsmodels": {
                "coefficients": params.tolist(),
                "loglik": float(res.llf),
                "classic_se": sm_se.tolist(),
                "converged": bool(res.mle_retvals["converged"]),
                "iterations": int(res.mle_retvals["iterations"]),
                "max_abs_score": float(np.abs(score).max()),
            },
            "numpy": {
                "loglik": nd["loglik"],
                "classic_se": np_se.tolist(),
                "robust_se": np.sqrt(np.diag(nd["robust"])).tolist(),
                "cluster_se": np.sqrt(np.diag(nd["cluster"])).tolist(),
                "robust_vcov": nd["robust"].tolist(),
                "cluster_vcov": nd["cluster"].tolist(),
                "n_clusters": nd["n_clusters"],
                "classic_se_max_rel_diff_vs_statsmodels": float(rel),
            },
        }
        print(f"{name}: {len(df)} rows, {df['set'].nunique()} sets, ll {res.llf:.6f}, "
              f"classic SE rel diff numpy vs statsmodels {rel:.1e}", file=sys.stderr)
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(HERE.parent.parent)}", file=sys.stderr)


if __name__ == "__main__":
    main()
