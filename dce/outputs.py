"""Turn a Run into the bytes of every output file (pure: nothing is written here)."""

from __future__ import annotations

import io
import json
import platform
import sys
from importlib import metadata

import numpy as np
import pandas as pd
import yaml

import dce
from dce.compare import COLUMNS as COMPARISON_COLUMNS
from dce.importance import COLUMNS as IMPORTANCE_COLUMNS
from dce.pipeline import estimates_table, models_table

FLOAT_FORMAT = "%.10g"
DEPENDENCIES = ("numpy", "scipy", "pandas", "PyYAML", "pydantic", "matplotlib", "Jinja2",
                "joblib", "tqdm", "pylogit")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", na_rep="")
    return buf.getvalue().encode("utf-8")


def json_bytes(obj) -> bytes:
    return (json.dumps(_plain(obj), indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return float(FLOAT_FORMAT % f) if np.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def resolved_config(study) -> bytes:
    """The config with every default filled in, as YAML."""
    body = yaml.safe_dump(study.spec.model_dump(mode="json"), sort_keys=False,
                          allow_unicode=True, width=100)
    head = (f"# resolved config of run {study.name!r} (dce {dce.__version__}); paths are "
            "relative to the original config file's folder\n")
    return (head + body).encode("utf-8")


def run_files(run) -> dict[str, bytes]:
    """Every file of the run folder except the manifest and the report."""
    files = {"config.yaml": resolved_config(run.study)}
    if run.design is not None:
        files["design.csv"] = csv_bytes(run.design.table)
        files["design_diagnostics.json"] = json_bytes(run.design.diagnostics)
    if run.responses is not None and run.simulated:
        files["responses.csv"] = csv_bytes(run.responses)
    if run.fits:
        files["estimates.csv"] = csv_bytes(estimates_table(run))
        models = models_table(run)
        models["converged"] = models["converged"].map({True: "true", False: "false"})
        files["models.csv"] = csv_bytes(models)
        files["importance.csv"] = csv_bytes(run.importance.table[IMPORTANCE_COLUMNS])
        files["comparison.csv"] = csv_bytes(run.comparison.table[COMPARISON_COLUMNS])
        files["outrank.csv"] = csv_bytes(run.comparison.outrank)
        if run.tradeoffs is not None:
            tt = run.tradeoffs.table.copy()
            tt["outside_tested_range"] = tt["outside_tested_range"].map(
                {True: "true", False: "false"})
            files["tradeoffs.csv"] = csv_bytes(tt)
        if run.uptake is not None:
            files["uptake.csv"] = csv_bytes(run.uptake)
        files["data_summary.json"] = json_bytes(run.data_summary)
        for name, frame in run.tables.items():  # e.g. bw_counts.csv of item studies
            files[f"{name}.csv"] = csv_bytes(frame)
    if getattr(run, "quality", None) is not None:
        from dce.quality import as_csv_frame

        files["data_quality.csv"] = csv_bytes(as_csv_frame(run.quality))
    full = getattr(run, "all_respondents", None)
    if full is not None and full.fits:  # results with the excluded respondents kept
        files["all_respondents/estimates.csv"] = csv_bytes(estimates_table(full))
        models = models_table(full)
        models["converged"] = models["converged"].map({True: "true", False: "false"})
        files["all_respondents/models.csv"] = csv_bytes(models)
        files["all_respondents/importance.csv"] = csv_bytes(
            full.importance.table[IMPORTANCE_COLUMNS])
    if run.notes:
        files["warnings.txt"] = ("\n".join(run.notes) + "\n").encode()
    return files


def versions() -> dict:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def manifest(run, files: dict, hashes_of_inputs: dict, started: str, finished: str,
             seconds: float, config_display: str) -> bytes:
    import hashlib

    body = {
        "tool": "dce", "version": dce.__version__, "run": run.study.name,
        "stage": run.stage, "config_file": config_display,
        "config_hash": run.study.config_hash, "seed": run.study.seed,
        "engine": run.study.spec.model.engine, "model": run.study.spec.model.type,
        "inputs": hashes_of_inputs,
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())},
        "versions": versions(), "started": started, "finished": finished,
        "duration_seconds": round(seconds, 3),
    }
    return (json.dumps(body, indent=2) + "\n").encode()
