"""Timing of the Bayesian design search (and a D-efficient and orthogonal comparison).

Problem: 5 attributes with 4, 3, 3, 2 and 2 levels (effects coding), 12 tasks of 3
alternatives, normal priors on every coded term, DB-error over 100 quasi-random prior
draws, ``starts`` random starts (default 4) run on ``--jobs`` worker processes (default 2).

    python benchmarks/design_bench.py              # bayesian, 2 workers
    python benchmarks/design_bench.py --jobs 1     # one process
    python benchmarks/design_bench.py --starts 8

Times are wall-clock seconds of ``dce.design.build`` (search, blocking and diagnostics,
including worker start-up), on whatever else the machine is running: repeat and compare
within one run. The DB-error does not depend on the number of workers.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import joblib
import yaml

from dce.config.study import parse_config
from dce.design import build
from dce.design.diagnostics import diagnose

PRIORS = {
    "price[2]": {"mean": -0.2, "sd": 0.1}, "price[3]": {"mean": -0.4, "sd": 0.1},
    "price[4]": {"mean": -0.6, "sd": 0.15},
    "quality[medium]": {"mean": 0.3, "sd": 0.2}, "quality[high]": {"mean": 0.6, "sd": 0.2},
    "wait[4 weeks]": {"mean": -0.2, "sd": 0.15}, "wait[12 weeks]": {"mean": -0.5, "sd": 0.2},
    "online[yes]": {"mean": -0.1, "sd": 0.2},
    "evening[yes]": {"mean": 0.25, "sd": 0.15},
}


def study(method: str, draws: int, starts: int):
    doc = {
        "schema_version": 1, "name": "design_bench", "seed": 2018,
        "attributes": {
            "price": {"levels": [1, 2, 3, 4]},
            "quality": {"levels": ["low", "medium", "high"]},
            "wait": {"levels": ["1 week", "4 weeks", "12 weeks"]},
            "online": {"levels": ["no", "yes"]},
            "evening": {"levels": ["no", "yes"]},
        },
        "design": {"method": method, "alternatives": 3, "tasks": 12, "blocks": 1,
                   "starts": starts, "prior_draws": draws,
                   "priors": PRIORS if method == "bayesian" else
                   {k: v["mean"] for k, v in PRIORS.items()}},
        "simulate": {"groups": {"g": {"respondents": 100}}},
    }
    return parse_config(yaml.safe_dump(doc, sort_keys=False), "design_bench.yaml",
                        Path(__file__).resolve())


def timed(method, draws, starts, jobs):
    s = study(method, draws, starts)
    t0 = time.perf_counter()
    with joblib.parallel_config(n_jobs=jobs):
        design = build(s)
    return time.perf_counter() - t0, design.diagnostics


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--starts", type=int, default=4)
    ap.add_argument("--draws", type=int, default=100)
    args = ap.parse_args(argv)
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus visible, "
          f"jobs={args.jobs}, starts={args.starts}, prior draws={args.draws}")
    seconds, diag = timed("bayesian", args.draws, args.starts, args.jobs)
    search = diag["search"]
    print(f"bayesian   : {seconds:6.2f} s  DB-error {diag['db_error']:.6f}  "
          f"D-error at means {diag['d_error']:.6f}  D-efficiency (b=0) "
          f"{diag['d_efficiency']:.4f}  ({search['draw_type']} draws, starts "
          f"{[round(v, 6) for v in search['start_values']]})")
    # for comparison: a D-efficient design at the prior means, judged under the same priors
    s = study("d-efficient", args.draws, args.starts)
    t0 = time.perf_counter()
    with joblib.parallel_config(n_jobs=args.jobs):
        design = build(s)
    seconds = time.perf_counter() - t0
    under = diagnose(design.table, study("bayesian", args.draws, args.starts))
    print(f"d-efficient: {seconds:6.2f} s  DB-error {under['db_error']:.6f}  "
          f"D-error at means {under['d_error']:.6f}  D-efficiency (b=0) "
          f"{under['d_efficiency']:.4f}")


if __name__ == "__main__":
    main()
