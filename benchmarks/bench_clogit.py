"""Conditional logit: dce's engines side by side with other Python implementations.

Fits one conditional logit (10 generic coefficients, no constants beyond one coded column)
with

* ``dce-native``  - dce's own Newton engine (``dce.models.clogit``)
* ``dce-pylogit`` - dce's pylogit adapter (``dce.models.pylogit_engine``)
* ``statsmodels`` - ``statsmodels.discrete.conditional_models.ConditionalLogit``
* ``biogeme``     - ``biogeme`` (``loglogit`` on a wide table, JAX back end), ``estimate()``
  with its default statistics; ``biogeme-quick`` is ``quick_estimate()``: estimates only,
  no standard errors (biogeme's statistics step dominates its time)
* ``xlogit``      - ``xlogit.MultinomialLogit``
* ``larch``       - ``larch.Model`` with the numba engine

on three data sets:

* (a) a realistic DCE: 2,000 respondents x 12 tasks x 3 alternatives, 10 terms
* (b) 100,000 choice sets x 3 alternatives x 10 terms
* (c) 1,000,000 choice sets x 3 alternatives x 10 terms

plus, on (c), one plain numpy pass (``X @ beta`` and a log-sum-exp per choice set) as
the memory-bandwidth yardstick.

Every implementation-case runs in a fresh subprocess (``--worker``) that loads the coded
arrays from ``.npy`` files, fits a small slice once untimed (imports, numba compilation),
then times the fit from the coded arrays to estimates and standard errors (including
the package's own data preparation, shown separately as "prep"). Small cases are
repeated and the median reported. Peak memory is the high-water mark of the resident
set during the timed fits minus the resident set just before them (the coded data are
already loaded, so this is the memory the fit needs on top of the data); Linux's
``/proc/self/clear_refs`` resets the mark before the first timed fit.

Each implementation-case is capped (``--cap`` seconds, default 300; ``--mem-cap-gb``)
and recorded as ``failed: reason`` or ``skipped: reason`` rather than dropped.

The peer packages are not dependencies of dce: run this from a separate virtual
environment (see ``benchmarks/README.md``)::

    .venv-bench/bin/python benchmarks/bench_clogit.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

IMPLEMENTATIONS = ("dce-native", "dce-pylogit", "statsmodels", "biogeme", "biogeme-quick",
                   "xlogit", "larch")
YARDSTICKS = ("numpy-pass", "numpy-pass-tuned")
CASES = {
    "a": dict(label="(a) DCE 2,000 resp x 12 tasks x 3 alts", respondents=2000, tasks=12),
    "b": dict(label="(b) 100,000 sets x 3 alts", sets=100_000, tasks=12),
    "c": dict(label="(c) 1,000,000 sets x 3 alts", sets=1_000_000, tasks=12),
}
J = 3
TERMS = ("quality[2]", "quality[3]", "waiting[2]", "waiting[3]", "format[2]", "format[3]",
         "format[4]", "online", "price", "asc[1]")
TRUE_BETA = np.array([0.6, 0.25, -0.3, 0.1, 0.4, -0.2, 0.15, -0.5, -0.06, 0.3])
MAX_REPEATS = {"a": 5, "b": 3, "c": 3}
REPEAT_BUDGET = 30.0          # seconds of timed fits after which no further repeat starts
WARMUP_SETS = 120


# ------------------------------------------------------------------------------- data


def make_case(case: str, seed: int = 20240611) -> dict:
    """Coded arrays of a conditional logit data set (deterministic)."""
    spec = CASES[case]
    tasks = spec["tasks"]
    n_sets = spec.get("sets") or spec["respondents"] * tasks
    rng = np.random.default_rng([seed, ord(case)])
    n = n_sets * J
    X = np.empty((n, len(TERMS)))
    eff3 = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])
    eff4 = np.vstack([-np.ones(3), np.eye(3)])
    X[:, 0:2] = eff3[rng.integers(3, size=n)]      # effects-coded 3-level attributes
    X[:, 2:4] = eff3[rng.integers(3, size=n)]
    X[:, 4:7] = eff4[rng.integers(4, size=n)]      # effects-coded 4-level attribute
    X[:, 7] = rng.integers(2, size=n)              # dummy
    X[:, 8] = rng.choice([5.0, 10.0, 20.0, 40.0], size=n)   # price, linear
    X[:, 9] = np.tile(np.r_[1.0, np.zeros(J - 1)], n_sets)  # constant of alternative 1
    u = (X @ TRUE_BETA).reshape(n_sets, J) + rng.gumbel(size=(n_sets, J))
    chosen = np.zeros((n_sets, J))
    chosen[np.arange(n_sets), u.argmax(axis=1)] = 1.0
    return {
        "X": X,
        "chosen": chosen.ravel(),
        "set_start": np.arange(0, n + 1, J, dtype=np.int64),
        "respondent": (np.arange(n_sets) // tasks).astype(np.int64),
        "alternative": np.tile(np.arange(1, J + 1), n_sets).astype(np.int64),
    }


def save_case(arrays: dict, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        np.save(folder / f"{name}.npy", a)
    return coded_bytes(arrays)


def coded_bytes(arrays: dict) -> int:
    """Size of dce's ChoiceData for these arrays (X, chosen, set index, respondent,
    alternative, and the group label pointer of every set)."""
    n_sets = len(arrays["set_start"]) - 1
    return sum(a.nbytes for a in arrays.values()) + 8 * n_sets


def load_case(folder: Path) -> dict:
    return {p.stem: np.load(p) for p in sorted(Path(folder).glob("*.npy"))}


def sliced(arrays: dict, n_sets: int) -> dict:
    n = n_sets * J
    return {"X": arrays["X"][:n], "chosen": arrays["chosen"][:n],
            "set_start": arrays["set_start"][:n_sets + 1],
            "respondent": arrays["respondent"][:n_sets], "alternative": arrays["alternative"][:n]}


# ---------------------------------------------------------------------- implementations
# Each returns (prepare(arrays) -> object, fit(object) -> dict(params, loglik, ...)).


def impl_dce(engine):
    from dce.core.coding import ChoiceData
    from dce.models import fit as dce_fit

    def prepare(d):
        n_sets = len(d["set_start"]) - 1
        return ChoiceData(X=d["X"], chosen=d["chosen"], set_start=d["set_start"],
                          respondent=d["respondent"],
                          respondent_ids=np.arange(int(d["respondent"][-1]) + 1),
                          group=np.full(n_sets, "all", dtype=object),
                          alternative=d["alternative"], terms=TERMS)

    def fit(data):
        res = dce_fit(data, engine=engine, se="cluster")
        return dict(params=res.params, loglik=res.loglik, se=res.bse,
                    converged=bool(res.converged), iterations=int(res.iterations))

    return prepare, fit


def impl_statsmodels():
    from statsmodels.discrete.conditional_models import ConditionalLogit

    def prepare(d):
        groups = np.repeat(np.arange(len(d["set_start"]) - 1), np.diff(d["set_start"]))
        return ConditionalLogit(d["chosen"], d["X"], groups=groups)

    def fit(model):
        res = model.fit(disp=False)   # defaults: BFGS, maxiter 100 (no convergence flag)
        return dict(params=np.asarray(res.params), loglik=float(res.llf),
                    se=np.asarray(res.bse))

    return prepare, fit


def impl_biogeme(quick=False):
    import biogeme.biogeme as bio
    import pandas as pd
    from biogeme.database import Database
    from biogeme.expressions import Beta, Variable
    from biogeme.models import loglogit
    from biogeme.parameters import Parameters

    K = len(TERMS)

    def prepare(d):
        S = len(d["set_start"]) - 1
        X3 = d["X"].reshape(S, J, K)
        cols = {f"x{j}_{k}": X3[:, j, k] for j in range(J) for k in range(K)}
        cols["CHOICE"] = d["chosen"].reshape(S, J).argmax(axis=1) + 1
        database = Database("bench", pd.DataFrame(cols))
        b = [Beta(f"b{k}", 0.0, None, None, 0) for k in range(K)]
        V = {j + 1: sum((b[k] * Variable(f"x{j}_{k}") for k in range(1, K)),
                        b[0] * Variable(f"x{j}_0")) for j in range(J)}
        # a Parameters object: biogeme then reads and writes no biogeme.toml
        model = bio.BIOGEME(database, loglogit(V, None, Variable("CHOICE")),
                            parameters=Parameters(), generate_html=False,
                            generate_yaml=False, save_iterations=False)
        model.model_name = "bench"
        return model

    def fit(model):
        if quick:   # estimates only: biogeme skips its second-derivative and BHHH statistics
            res = model.quick_estimate()
            values = res.get_beta_values()
            return dict(params=np.array([values[f"b{k}"] for k in range(K)]),
                        loglik=float(res.final_loglikelihood))
        res = model.estimate()
        values = res.get_beta_values()
        params = np.array([values[f"b{k}"] for k in range(K)])
        se = np.array([res.get_parameter_std_err(f"b{k}") for k in range(K)])
        return dict(params=params, loglik=float(res.final_loglikelihood), se=se,
                    converged=bool(res.algorithm_has_converged))

    return prepare, fit


def impl_xlogit():
    from xlogit import MultinomialLogit

    def prepare(d):
        return d

    def fit(d):
        S = len(d["set_start"]) - 1
        m = MultinomialLogit()
        m.fit(X=d["X"], y=d["chosen"].astype(bool), varnames=list(TERMS),
              alts=d["alternative"], ids=np.repeat(np.arange(S), J), verbose=0)
        return dict(params=np.asarray(m.coeff_), loglik=float(m.loglikelihood),
                    se=np.asarray(m.stderr), converged=bool(m.convergence),
                    iterations=int(m.total_iter))

    return prepare, fit


def impl_larch():
    import larch as lx
    import pandas as pd
    from larch import P
    from larch import X as LX

    names = [f"x{k}" for k in range(len(TERMS))]

    def prepare(d):
        S = len(d["set_start"]) - 1
        index = pd.MultiIndex.from_arrays([np.repeat(np.arange(S), J), d["alternative"]],
                                          names=["caseid", "altid"])
        df = pd.DataFrame(d["X"], columns=names, index=index)
        df["chosen"] = d["chosen"]
        model = lx.Model(lx.Dataset.dc.from_idca(df), compute_engine="numba")
        model.utility_ca = sum(P(n) * LX(n) for n in names)
        model.choice_ca_var = "chosen"
        return model

    def fit(model):
        r = model.maximize_loglike(quiet=True)   # default method (BHHH here)
        model.calculate_parameter_covariance()
        params = np.asarray(model.pvals, dtype=float)
        return dict(params=params, loglik=float(r["loglike"]),
                    se=np.asarray(model.pstderr, dtype=float),
                    converged=str(r.get("message", "")).lower().startswith("optimization "
                                                                          "terminated"))

    return prepare, fit


def yardstick(tuned: bool):
    """One pass: utilities X @ beta and the log-sum-exp of every choice set."""

    def prepare(d):
        return d

    def plain(d):
        v = (d["X"] @ TRUE_BETA).reshape(-1, J)
        top = v.max(axis=1)
        lse = np.log(np.exp(v - top[:, None]).sum(axis=1)) + top
        return dict(value=float(lse.sum()))

    def fast(d):
        v = (d["X"] @ TRUE_BETA).reshape(-1, J)
        top = np.maximum(v[:, 0], v[:, 1])
        for j in range(2, J):
            np.maximum(top, v[:, j], out=top)
        v -= top[:, None]
        np.exp(v, out=v)
        lse = v[:, 0] + v[:, 1]
        for j in range(2, J):
            lse += v[:, j]
        np.log(lse, out=lse)
        lse += top
        return dict(value=float(lse.sum()))

    return prepare, (fast if tuned else plain)


def get_impl(name):
    if name == "dce-native":
        return impl_dce("native")
    if name == "dce-pylogit":
        return impl_dce("pylogit")
    if name == "numpy-pass":
        return yardstick(False)
    if name == "numpy-pass-tuned":
        return yardstick(True)
    if name == "biogeme-quick":
        return impl_biogeme(quick=True)
    return {"statsmodels": impl_statsmodels, "biogeme": impl_biogeme,
            "xlogit": impl_xlogit, "larch": impl_larch}[name]()


# ----------------------------------------------------------------------------- worker


def _status_kb(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def worker(impl, case_dir, case):
    """Run in a fresh process; print one JSON line with the measurements."""
    import warnings

    warnings.simplefilter("ignore")
    out = {"impl": impl}
    try:
        prepare, fit = get_impl(impl)
    except ImportError as exc:
        out["status"] = f"skipped: not installed ({exc})"
        print(json.dumps(out))
        return
    arrays = load_case(case_dir)
    yard = impl.startswith("numpy-pass")
    if not yard:   # one untimed fit on a small slice: imports, JIT compilation
        fit(prepare(sliced(arrays, WARMUP_SETS)))
    rss0 = _status_kb("VmRSS")
    exact = _reset_peak()
    max_rep = 9 if yard else MAX_REPEATS[case]
    times, preps, cpu, res = [], [], [], None
    while len(times) < max_rep and (not times or sum(times) < REPEAT_BUDGET):
        c0, t0 = time.process_time(), time.perf_counter()
        obj = prepare(arrays)
        t1 = time.perf_counter()
        res = fit(obj)
        t2 = time.perf_counter()
        cpu.append(time.process_time() - c0)
        del obj
        times.append(t2 - t0)
        preps.append(t1 - t0)
    peak = _status_kb("VmHWM") if exact else resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss
    out.update(status="ok", times=times, prep=preps, cpu=cpu,
               peak_extra=(peak - rss0) * 1024, peak_exact=exact, rss_before=rss0 * 1024)
    for k, v in (res or {}).items():
        out[k] = v.tolist() if isinstance(v, np.ndarray) else v
    print(json.dumps(out))


# ----------------------------------------------------------------------------- parent


def run_one(impl, case, case_dir, cap, mem_cap, workdir):
    """One implementation-case in a fresh subprocess, with time and memory caps."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, str(case_dir), case]
    peak = [0]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=workdir) as cwd:   # stray output files go here
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        killed = []

        def watch():
            while proc.poll() is None:
                try:
                    with open(f"/proc/{proc.pid}/status") as fh:
                        rss = next(int(x.split()[1]) for x in fh if x.startswith("VmRSS:"))
                    peak[0] = max(peak[0], rss * 1024)
                    if rss * 1024 > mem_cap:
                        killed.append(f"failed: memory above {mem_cap / 2**30:.0f} GiB")
                        proc.kill()
                        return
                except (OSError, StopIteration):
                    pass
                if time.perf_counter() - start > cap:
                    killed.append(f"failed: over the {cap:.0f} s cap")
                    proc.kill()
                    return
                time.sleep(0.1)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        stdout, stderr = proc.communicate()
        watcher.join()
    wall = time.perf_counter() - start
    if killed:
        return {"impl": impl, "status": killed[0], "wall": wall}
    lines = [x for x in stdout.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not lines:
        err = [x for x in stderr.strip().splitlines() if x.strip()]
        reason = err[-1] if err else f"exit status {proc.returncode}"
        return {"impl": impl, "status": f"failed: {reason[:160]}", "wall": wall}
    res = json.loads(lines[-1])
    res["wall"] = wall
    return res


def fmt_time(t):
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


def versions():
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "pandas", "dce-toolkit", "pylogit", "statsmodels", "biogeme",
                 "jax", "xlogit", "larch", "numba"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')} "
                     f"threads={i.get('num_threads')}" for i in threadpool_info())


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    return {
        "nproc": sh("nproc"),
        "cpu": sh("lscpu | grep -E 'Model name|^CPU\\(s\\)|L2 cache|L3 cache' | tr -s ' '"),
        "memory": sh("free -g | sed -n 2p | tr -s ' '"),
        "load": sh("cat /proc/loadavg"),
        "env": {k: os.environ.get(k, "(unset)") for k in (
            "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }


def table(case, results, data_bytes):
    base = next((r for r in results if r["impl"] == "dce-native" and r["status"] == "ok"), None)
    t_base = float(np.median(base["times"])) if base else None
    lines = [f"\n### {CASES[case]['label']}: {data_bytes / 2**20:.0f} MiB of coded data\n",
             "| implementation | status | time s (median, n) | of which prep s | CPU s | "
             "x dce-native | peak extra MiB | (data + peak) / data | log-likelihood | "
             "max abs diff b |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r["status"] != "ok":
            lines.append(f"| {r['impl']} | {r['status']} | | | | | | | | |")
            continue
        t = float(np.median(r["times"]))
        ratio = f"{t / t_base:.1f}" if t_base else ""
        cpu = float(np.median(r["cpu"]))
        mem = r["peak_extra"] / 2**20
        total = (data_bytes + r["peak_extra"]) / data_bytes
        ll = f"{r['loglik']:.6f}" if "loglik" in r else ""
        db = ""
        if base and "params" in r and r["impl"] != "dce-native":
            db = f"{np.max(np.abs(np.array(r['params']) - np.array(base['params']))):.1e}"
        conv = "" if r.get("converged", True) else " (not converged)"
        lines.append(f"| {r['impl']} | ok{conv} | {fmt_time(t)} ({len(r['times'])}) | "
                     f"{float(np.median(r['prep'])):.3f} | {fmt_time(cpu)} | {ratio} | "
                     f"{mem:.0f} | {total:.2f} | {ll} | {db} |")
    return "\n".join(lines)


def targets(all_results, data_bytes):
    out = ["\n### Targets\n"]

    def med(case, impl):
        r = next((x for x in all_results.get(case, []) if x["impl"] == impl), None)
        return (float(np.median(r["times"])), r) if r and r["status"] == "ok" else (None, r)

    t_nat, r_nat = med("c", "dce-native")
    t_np, _ = med("c", "numpy-pass")
    t_np2, _ = med("c", "numpy-pass-tuned")
    if t_nat and t_np:
        # data already coded: the fit alone, without building the ChoiceData
        t_fit = float(np.median(np.subtract(r_nat["times"], r_nat["prep"])))
        ok = t_fit <= 12 * t_np
        extra = f"; {t_fit / t_np2:.1f}x the tuned pass ({t_np2:.3f} s)" if t_np2 else ""
        out.append(f"- (c) native fit {t_fit:.3f} s (data already coded) = {t_fit / t_np:.1f}x "
                   f"the plain numpy pass ({t_np:.3f} s){extra}: target <= 12x "
                   f"**{'met' if ok else 'not met'}**")
    if r_nat and r_nat["status"] == "ok" and "c" in data_bytes:
        total = (data_bytes["c"] + r_nat["peak_extra"]) / data_bytes["c"]
        out.append(f"- (c) native peak memory: data {data_bytes['c'] / 2**20:.0f} MiB + fit "
                   f"{r_nat['peak_extra'] / 2**20:.0f} MiB = {total:.2f}x the coded data: "
                   f"target <= 2.5x **{'met' if total <= 2.5 else 'not met'}**")
    for case in all_results:
        t_nat, _ = med(case, "dce-native")
        if not t_nat:
            continue
        for impl in IMPLEMENTATIONS[1:]:
            t, r = med(case, impl)
            need = 10.0 if impl == "dce-pylogit" else 1.0
            if t is None:
                status = r["status"] if r else "not run"
                out.append(f"- ({case}) vs {impl}: {status} (native {t_nat:.3f} s)")
                continue
            ok = t >= need * t_nat
            out.append(f"- ({case}) vs {impl}: native is {t / t_nat:.1f}x faster "
                       f"(target >= {need:g}x) **{'met' if ok else 'not met'}**")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="a,b,c")
    ap.add_argument("--impls", default=",".join(IMPLEMENTATIONS + YARDSTICKS))
    ap.add_argument("--cap", type=float, default=300.0, help="seconds per implementation-case")
    ap.add_argument("--mem-cap-gb", type=float, default=8.0)
    ap.add_argument("--json", help="also write the raw measurements here")
    ap.add_argument("--worker", nargs=3, metavar=("IMPL", "CASE_DIR", "CASE"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.worker[2])
        return
    cases = [c for c in args.cases.split(",") if c]
    impls = [i for i in args.impls.split(",") if i]
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    info = {"date": stamp, "machine": machine(), "versions": versions(), "blas": blas_info(),
            "command": " ".join([os.path.relpath(sys.executable)] + sys.argv)}
    print(f"# Conditional logit benchmark, {stamp}\n")
    print(f"command: `{info['command']}`  ")
    print(f"machine: {info['machine']['nproc']} cores; "
          f"{info['machine']['cpu'].replace(chr(10), '; ')}  ")
    print(f"memory: {info['machine']['memory']}  ")
    print(f"load average at start: {info['machine']['load']}  ")
    print(f"environment: {info['machine']['env']}  ")
    print(f"BLAS: {info['blas']}  ")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    sys.stdout.flush()
    workdir = tempfile.mkdtemp(prefix="bench_clogit_")
    all_results, data_bytes = {}, {}
    try:
        for case in cases:
            folder = Path(workdir) / case
            data_bytes[case] = save_case(make_case(case), folder)
            results = []
            for impl in impls:
                if impl.startswith("numpy-pass") and case != "c":
                    continue
                r = run_one(impl, case, folder, args.cap, args.mem_cap_gb * 2**30, workdir)
                results.append(r)
                print(f"  [{case}] {impl}: {r['status']}"
                      + (f", median {np.median(r['times']):.3f} s" if r["status"] == "ok"
                         else ""), file=sys.stderr, flush=True)
            all_results[case] = results
            print(table(case, results, data_bytes[case]), flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(targets(all_results, data_bytes))
    if args.json:
        Path(args.json).write_text(json.dumps({"info": info, "data_bytes": data_bytes,
                                               "results": all_results}, indent=1))


if __name__ == "__main__":
    main()
