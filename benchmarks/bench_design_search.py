"""Design search quality: dce's D-efficient / Bayesian search against a modified Fedorov
baseline, both scored under 20,000 independent draws from the same prior.

The baseline (``modfed``) is written here in plain numpy after the modified Fedorov
algorithm of idefix's ``Modfed`` (Traets, Sanchez and Vandebroek 2020, J. Statistical
Software 96(3)): the candidate set is the full factorial minus the exclusions; each start is
a random design of distinct candidate profiles; a pass visits every alternative of every
set, tries every candidate profile in its place and keeps the best; passes repeat until one
changes nothing. The objective is the D-error at the prior means, or the DB-error averaged
over ``--modfed-draws`` scrambled Sobol draws from the prior (idefix's users give it a
matrix of draws; quasi-random draws are its documented recommendation). Alternatives of a
set stay distinct.

The scorer is independent of both searches: effects / linear codes written out here, the
MNL information X'(diag(p) - pp')X summed over sets, and det(I)^(-1/K) averaged over
20,000 pseudo-random normal draws from the prior made with a seed neither search sees
(``--score-draws``). With fixed priors the score is the D-error at the means.

dce runs through ``dce.design.build`` on one process (``joblib`` n_jobs 1) with its own
defaults for starts, draws and polish, ``design.level_balance: none`` (the same feasible set
as the baseline), and, reported on the side, with the default ``near`` level balance.

    python benchmarks/bench_design_search.py                  # every problem
    python benchmarks/bench_design_search.py --problems p1,p2 --modfed-starts 8

Printed per problem: score and seconds of dce (balance none), of dce (balance near), of the
best of the Modfed starts, and the ratio dce / Modfed (below 1: dce is better).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
from pathlib import Path

import joblib
import numpy as np
import yaml
from scipy import stats
from scipy.stats import qmc

# ----- problems ----------------------------------------------------------------------------
EFF = "effects"


def _attrs(levels):
    return {f"a{i}": {"levels": [f"L{v}" for v in range(1, n + 1)]}
            for i, n in enumerate(levels)}


def _pattern(levels):
    """idefix-style effects-coded means: -0.5, 0.5 for the two terms of every attribute
    (more terms: evenly spaced from -0.5 to 0.5)."""
    out = []
    for n in levels:
        out += list(np.linspace(-0.5, 0.5, n - 1)) if n > 2 else [0.5]
    return out


def _problem(name, what, attributes, alternatives, tasks, mean, sd, opt_out=None,
             exclude=None, zero_optimum=False):
    return {"name": name, "what": what, "attributes": attributes,
            "alternatives": alternatives, "tasks": tasks, "mean": np.asarray(mean, float),
            "sd": np.asarray(sd, float), "opt_out": opt_out, "exclude": exclude or [],
            "street_burgess": zero_optimum}


def problems() -> list[dict]:
    """The benchmark problems (term order: attributes in order, then the opt-out constant)."""
    p = []
    m3 = _pattern([3, 3, 3])
    p.append(_problem("p1", "3^3, 8 pairs, local D at -0.5/0.5 means", _attrs([3, 3, 3]),
                      2, 8, m3, np.zeros(6)))
    p.append(_problem("p2", "3^3, 8 pairs, Bayesian sd 1", _attrs([3, 3, 3]), 2, 8, m3,
                      np.ones(6)))
    lv = [4, 3, 3, 2, 2]
    m5 = [-0.2, -0.4, -0.6, 0.3, 0.6, -0.2, -0.5, -0.1, 0.25]
    p.append(_problem("p3", "4/3/3/2/2, 12 sets of 3, Bayesian sd 0.5", _attrs(lv), 3, 12,
                      m5, np.full(9, 0.5)))
    m_opt = _pattern([3, 3, 2]) + [0.5]
    p.append(_problem("p4", "3/3/2 + opt-out, 10 pairs, Bayesian sd 0.5",
                      _attrs([3, 3, 2]), 2, 10, m_opt, np.full(6, 0.5), opt_out="Neither"))
    cost = {"cost": {"levels": [10, 20, 30, 40, 50], "coding": "linear"},
            "quality": {"levels": ["low", "mid", "high"]},
            "wait": {"levels": ["1 week", "4 weeks", "12 weeks"]}}
    p.append(_problem("p5", "linear 5-level cost + 3 + 3, 12 pairs, Bayesian",
                      cost, 2, 12, [-0.04, 0.3, 0.6, -0.2, -0.5],
                      [0.02, 0.3, 0.3, 0.3, 0.3]))
    p.append(_problem("p6", "3^4 with 2 exclusions, 12 pairs, local D",
                      _attrs([3, 3, 3, 3]), 2, 12, _pattern([3, 3, 3, 3]), np.zeros(8),
                      exclude=[{"a0": "L3", "a1": "L3"}, {"a2": "L1", "a3": "L1"}]))
    for i, (lev, m, n) in enumerate([([2, 2, 2], 2, 4), ([2, 2, 2, 2], 2, 8),
                                     ([3, 3, 3, 3], 3, 9), ([3, 3, 3, 3], 2, 9)]):
        K = sum(lev) - len(lev)
        p.append(_problem(f"sb{i + 1}", f"Street-Burgess {'x'.join(map(str, lev))}, "
                          f"{n} sets of {m}, zero prior", _attrs(lev), m, n, np.zeros(K),
                          np.zeros(K), zero_optimum=True))
    return p


# ----- independent coding and scoring -------------------------------------------------------
def code_table(prob) -> list[np.ndarray]:
    """Level matrix of each attribute: effects (first level -1) or the numeric value."""
    out = []
    for a in prob["attributes"].values():
        lev = a["levels"]
        if a.get("coding") == "linear":
            out.append(np.asarray(lev, float)[:, None])
        else:
            m = np.vstack([-np.ones(len(lev) - 1), np.eye(len(lev) - 1)])
            out.append(m)
    return out


def coded_design(prob, sets: np.ndarray) -> np.ndarray:
    """(n_sets, J (+1), K) coded design from level indices (n_sets, J, A)."""
    mats = code_table(prob)
    X = np.concatenate([m[sets[..., q]] for q, m in enumerate(mats)], axis=-1)
    if prob["opt_out"]:
        n, J, K = X.shape
        X = np.concatenate([np.concatenate([X, np.zeros((n, J, 1))], axis=2),
                            np.concatenate([np.zeros((n, 1, K)), np.ones((n, 1, 1))],
                                           axis=2)], axis=1)
    return X


def information(X: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """(R, K, K) MNL information of the design X (n, J, K) at each draw (R, K)."""
    V = np.einsum("njk,rk->rnj", X, draws)
    V -= V.max(axis=2, keepdims=True)
    P = np.exp(V)
    P /= P.sum(axis=2, keepdims=True)
    xbar = np.einsum("rnj,njk->rnk", P, X)
    second = np.einsum("rnj,njk,njl->rkl", P, X, X)
    return second - np.einsum("rnk,rnl->rkl", xbar, xbar)


def score(prob, sets, draws, chunk=2000) -> float:
    """Mean of det(I)^(-1/K) over the draws (inf if any draw is singular)."""
    X = coded_design(prob, sets)
    K = X.shape[2]
    vals = []
    for lo in range(0, len(draws), chunk):
        sign, ld = np.linalg.slogdet(information(X, draws[lo:lo + chunk]))
        if (sign <= 0).any():
            return float("inf")
        vals.append(np.exp(-ld / K))
    return float(np.concatenate(vals).mean())


def score_draws(prob, n, seed=20_000_613) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return prob["mean"] + rng.standard_normal((n, len(prob["mean"]))) * prob["sd"]


# ----- the modified Fedorov baseline -------------------------------------------------------
def candidates(prob) -> np.ndarray:
    levels = [len(a["levels"]) for a in prob["attributes"].values()]
    names = list(prob["attributes"])
    cand = np.array(list(itertools.product(*[range(n) for n in levels])))
    ok = np.ones(len(cand), bool)
    for rule in prob["exclude"]:
        hit = np.ones(len(cand), bool)
        for n, v in rule.items():
            q = names.index(n)
            hit &= cand[:, q] == prob["attributes"][n]["levels"].index(v)
        ok &= ~hit
    return cand[ok]


def _set_info(Xs: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """(R, ..., K, K) information of sets Xs (..., J, K)."""
    V = np.einsum("...jk,rk->r...j", Xs, draws)
    V -= V.max(axis=-1, keepdims=True)
    P = np.exp(V)
    P /= P.sum(axis=-1, keepdims=True)
    xbar = np.einsum("r...j,...jk->r...k", P, Xs)
    second = np.einsum("r...j,...jk,...jl->r...kl", P, Xs, Xs)
    return second - xbar[..., :, None] * xbar[..., None, :]


def near_bounds(prob):
    """The documented ``near`` bounds, (lo, hi) per attribute, written out here."""
    n = prob["tasks"] * prob["alternatives"]
    out = []
    for a in prob["attributes"].values():
        L = len(a["levels"])
        out.append((max(1, n // (2 * L)) if n >= L else 0, -(-3 * n // (2 * L))))
    return out


def _balanced_idx(prob, cand, rng, tries=2000):
    """Start of the constrained baseline: balanced random columns that form allowed,
    distinct profiles within each set (rejection sampling); None if none is found."""
    n, J = prob["tasks"], prob["alternatives"]
    lookup = {tuple(c): i for i, c in enumerate(cand.tolist())}
    for _ in range(tries):
        cols = [rng.permutation(np.resize(np.arange(len(a["levels"])), n * J))
                for a in prob["attributes"].values()]
        rows = [lookup.get(tuple(r)) for r in np.column_stack(cols).tolist()]
        if None in rows:
            continue
        idx = np.array(rows).reshape(n, J)
        if all(len(set(r)) == J for r in idx.tolist()):
            return idx
    return None


def modfed_start(prob, cand, draws, rng, max_iter=50, bounds=None):
    """One Modfed start: (sets (n, J, A), DB-error over ``draws``). With ``bounds`` (per
    attribute (lo, hi)), a balanced start and only exchanges that keep every level count
    within them (or no further out)."""
    n, J = prob["tasks"], prob["alternatives"]
    Xc = coded_design(prob, cand[:, None, :])[:, 0, :] if not prob["opt_out"] else \
        np.concatenate([coded_design({**prob, "opt_out": None}, cand[:, None, :])[:, 0, :],
                        np.zeros((len(cand), 1))], axis=1)
    idx = _balanced_idx(prob, cand, rng) if bounds is not None else None
    if idx is None:
        idx = np.stack([rng.choice(len(cand), J, replace=False) for _ in range(n)])
    K = Xc.shape[1]
    A = cand.shape[1]
    counts = [np.bincount(cand[idx][..., q].ravel(), minlength=len(a["levels"]))
              for q, a in enumerate(prob["attributes"].values())]
    opt_row = np.zeros((1, K))
    if prob["opt_out"]:
        opt_row[0, -1] = 1.0

    def set_X(rows):
        X = Xc[rows]
        return np.concatenate([X, np.broadcast_to(opt_row, X.shape[:-2] + (1, K))], axis=-2) \
            if prob["opt_out"] else X

    Is = _set_info(set_X(idx), draws)                      # (R, n, K, K)
    total = Is.sum(axis=1)

    def db(tot):
        sign, ld = np.linalg.slogdet(tot)
        val = np.where(sign > 0, np.exp(-ld / K), np.inf)
        return val.mean(axis=-1) if val.ndim > 1 else val.mean()

    best = db(total)
    for _ in range(max_iter):
        improved = False
        for s in range(n):
            for j in range(J):
                rows = np.repeat(idx[s][None], len(cand), axis=0)
                rows[:, j] = np.arange(len(cand))
                dup = (rows[:, :, None] == rows[:, None, :]).sum(axis=(1, 2)) > J
                trial = _set_info(set_X(rows), draws)     # (R, C, K, K)
                tot = total[:, None] - Is[:, s][:, None] + trial
                sign, ld = np.linalg.slogdet(tot)
                val = np.where(sign > 0, np.exp(-ld / K), np.inf).mean(axis=0)
                val[dup] = np.inf
                if bounds is not None:
                    old_p = cand[idx[s, j]]
                    for q in range(A):
                        lo, hi = bounds[q]
                        moved = cand[:, q] != old_p[q]
                        bad = moved & ((counts[q][cand[:, q]] >= hi) | (counts[q][old_p[q]] <= lo))
                        val[bad] = np.inf
                c = int(np.argmin(val))
                if val[c] < best * (1 - 1e-12):
                    best = val[c]
                    for q in range(A):
                        counts[q][cand[idx[s, j], q]] -= 1
                        counts[q][cand[c, q]] += 1
                    idx[s] = rows[c]
                    total = tot[:, c]
                    Is[:, s] = trial[:, c]
                    improved = True
        if not improved:
            break
    return cand[idx], float(best)


def modfed(prob, starts, n_draws, seed=1, bounds=None):
    """Best of ``starts`` Modfed starts; (sets, seconds)."""
    cand = candidates(prob)
    if (prob["sd"] > 0).any():
        eng = qmc.Sobol(len(prob["mean"]), scramble=True, rng=np.random.default_rng(seed))
        z = stats.norm.ppf(np.clip(eng.random(n_draws), 1e-12, 1 - 1e-12))
        draws = prob["mean"] + z * prob["sd"]
    else:
        draws = prob["mean"][None]
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    best, best_val = None, np.inf
    for _ in range(starts):
        sets, val = modfed_start(prob, cand, draws, rng, bounds=bounds)
        if val < best_val:
            best, best_val = sets, val
    return best, time.perf_counter() - t0


# ----- dce -----------------------------------------------------------------------------------
def dce_study(prob, balance, seed=2018, **extra):
    from dce.config.study import parse_config

    terms = []
    for name, a in prob["attributes"].items():
        terms += ([name] if a.get("coding") == "linear"
                  else [f"{name}[{v}]" for v in a["levels"][1:]])
    if prob["opt_out"]:
        terms.append("asc[opt_out]")
    bayes = bool((prob["sd"] > 0).any())
    priors = {t: ({"mean": float(m), "sd": float(s)} if bayes else float(m))
              for t, m, s in zip(terms, prob["mean"], prob["sd"], strict=True) if m or s}
    design = {"method": "bayesian" if bayes else "d-efficient",
              "alternatives": prob["alternatives"], "tasks": prob["tasks"],
              "priors": priors, "level_balance": balance, **extra}
    if prob["opt_out"]:
        design["opt_out"] = prob["opt_out"]
    if prob["exclude"]:
        design["exclude"] = prob["exclude"]
    doc = {"schema_version": 1, "name": "bench", "seed": seed,
           "attributes": prob["attributes"], "design": design}
    return parse_config(yaml.safe_dump(doc, sort_keys=False), "bench.yaml",
                        Path(__file__).resolve(), need_responses=False)


def run_dce(prob, balance):
    from dce.design import build

    study = dce_study(prob, balance)
    t0 = time.perf_counter()
    with joblib.parallel_config(n_jobs=1):
        design = build(study)
    seconds = time.perf_counter() - t0
    table = design.table[design.table["is_opt_out"] == 0].sort_values(
        ["block", "task", "alternative"])
    idx = np.column_stack([a.index_of(table[a.name].tolist()) for a in study.attributes])
    sets = idx.reshape(-1, prob["alternatives"], len(study.attributes))
    return sets, seconds, design.diagnostics


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default="")
    ap.add_argument("--modfed-starts", type=int, default=8)
    ap.add_argument("--modfed-draws", type=int, default=256)
    ap.add_argument("--score-draws", type=int, default=20_000)
    args = ap.parse_args(argv)
    chosen = [p for p in problems()
              if not args.problems or p["name"] in args.problems.split(",")]
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus visible; dce on 1 process; Modfed {args.modfed_starts} "
          f"starts, {args.modfed_draws} Sobol draws; scored under {args.score_draws} "
          "independent draws")
    print(f"{'problem':8s}{'dce none':>10s}{'s':>6s}{'MF none':>10s}{'s':>6s}{'ratio':>8s}"
          f"{'dce near':>10s}{'s':>6s}{'MF near':>10s}{'s':>6s}{'ratio':>8s}  D-eff(b=0)")
    for prob in chosen:
        draws = score_draws(prob, args.score_draws if (prob["sd"] > 0).any() else 1)
        s_none, t_none, diag = run_dce(prob, "none")
        s_near, t_near, diag_near = run_dce(prob, "near")
        s_mf, t_mf = modfed(prob, args.modfed_starts, args.modfed_draws)
        s_mfn, t_mfn = modfed(prob, args.modfed_starts, args.modfed_draws,
                              bounds=near_bounds(prob))
        v = [score(prob, s, draws) for s in (s_none, s_mf, s_near, s_mfn)]
        eff = [d.get("d_efficiency") for d in (diag, diag_near)]
        eff_txt = "" if eff[0] is None else f"{eff[0]:.6f} / {eff[1]:.6f}"
        print(f"{prob['name']:8s}{v[0]:10.6f}{t_none:6.1f}{v[1]:10.6f}{t_mf:6.1f}"
              f"{v[0] / v[1]:8.4f}{v[2]:10.6f}{t_near:6.1f}{v[3]:10.6f}{t_mfn:6.1f}"
              f"{v[2] / v[3]:8.4f}  {eff_txt}   {prob['what']}", flush=True)


if __name__ == "__main__":
    main()
