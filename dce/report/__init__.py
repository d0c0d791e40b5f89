"""Build report.html (self-contained) and report.md from a run's tables.

``render`` takes the tables as read back from the run folder, so ``dce report RUN_DIR``
rebuilds exactly what ``dce run`` wrote.
"""

from __future__ import annotations

import base64
import io
import json

import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from dce.report.figures import importance_chart
from dce.report.text import methods_paragraph, ranking_matrix, sentences

TABLES = ("estimates", "models", "importance", "comparison")


def read_run(run_dir) -> dict:
    """The tables and metadata of a run folder (what the report needs)."""
    from pathlib import Path

    run_dir = Path(run_dir)
    out = {"config": yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))}
    for name in TABLES:
        path = run_dir / f"{name}.csv"
        out[name] = pd.read_csv(path, keep_default_na=False, na_values=[""]) \
            if path.exists() else None
    for name in ("design_diagnostics", "data_summary"):
        path = run_dir / f"{name}.json"
        out[name] = json.loads(path.read_text()) if path.exists() else None
    path = run_dir / "warnings.txt"
    out["warnings"] = path.read_text().splitlines() if path.exists() else []
    return out


def from_files(files: dict) -> dict:
    """Like read_run, from the in-memory files of a run being written."""
    out = {"config": yaml.safe_load(files["config.yaml"].decode())}
    for name in TABLES:
        raw = files.get(f"{name}.csv")
        out[name] = (pd.read_csv(io.BytesIO(raw), keep_default_na=False, na_values=[""])
                     if raw is not None else None)
    for name in ("design_diagnostics", "data_summary"):
        raw = files.get(f"{name}.json")
        out[name] = json.loads(raw) if raw is not None else None
    raw = files.get("warnings.txt")
    out["warnings"] = raw.decode().splitlines() if raw else []
    return out


def render(run: dict) -> dict[str, bytes]:
    """report.html, report.md and figures/ as bytes."""
    cfg = run["config"]
    attrs = cfg.get("attributes") or {}
    labels = {k: (v or {}).get("label") or k for k, v in attrs.items()}
    files: dict[str, bytes] = {}
    ctx = {"cfg": cfg, "labels": labels, "warnings": run["warnings"],
           "diagnostics": run["design_diagnostics"], "summary": run["data_summary"]}
    imp = run["importance"]
    if imp is not None:
        groups = list(dict.fromkeys(imp["group"]))
        level = cfg["importance"]["level"]
        png, svg = importance_chart(imp, labels, groups, level)
        files["figures/importance.png"] = png
        files["figures/importance.svg"] = svg
        ctx.update(
            groups=groups,
            ranking=ranking_matrix(imp, labels, groups),
            sentences=sentences(imp, run["comparison"], labels, level),
            methods=methods_paragraph(cfg, run["models"]),
            models=run["models"].to_dict("records"),
            estimates=run["estimates"],
            importance_png=base64.b64encode(png).decode("ascii"),
        )
    env = Environment(loader=PackageLoader("dce.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    env.filters["pct"] = lambda x: f"{100 * x:.1f}"
    env.filters["num"] = lambda x: f"{x:.4g}" if isinstance(x, float) else str(x)
    files["report.html"] = env.get_template("report.html.j2").render(**ctx).encode("utf-8")
    files["report.md"] = _markdown(ctx).encode("utf-8")
    return files


def _markdown(ctx) -> str:
    cfg = ctx["cfg"]
    lines = [f"# dce report: {cfg['name']}", ""]
    if "ranking" in ctx:
        lines += ["## Attribute importance by group", "",
                  "Cells: rank (share %, interval).", ""]
        head = ["Attribute"] + ctx["groups"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in ctx["ranking"]:
            lines.append("| " + " | ".join([row["label"]] + row["cells"]) + " |")
        lines += ["", "![Attribute importance by group](figures/importance.png)", ""]
        if ctx["sentences"]:
            lines += ["## What the comparison says", ""] + [f"- {s}" for s in ctx["sentences"]]
            lines.append("")
        lines += ["## Model fit", "", "| group | respondents | choice sets | log-likelihood | "
                  "converged |", "|---|---|---|---|---|"]
        for m in ctx["models"]:
            lines.append(f"| {m['group']} | {m['n_respondents']} | {m['n_choice_sets']} | "
                         f"{m['log_likelihood']:.2f} | {m['converged']} |")
        lines += ["", "## Methods", "", ctx["methods"], ""]
    if ctx["warnings"]:
        lines += ["## Warnings", ""] + [f"- {w}" for w in ctx["warnings"]] + [""]
    return "\n".join(lines)
