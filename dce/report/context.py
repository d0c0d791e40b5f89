"""Everything the report shows, as plain strings and rows, from the run's tables.

``build`` returns the context of both templates (HTML and Markdown) and the figures, so
the two reports carry the same numbers and words.
"""

from __future__ import annotations

import base64

import pandas as pd

from dce.report import figures, text
from dce.report.labels import POOLED, Labels


def build(run: dict, version: str = "", progress=None) -> tuple[dict, dict]:
    """(context, figures) where figures maps a name to (png, svg) bytes."""
    cfg = run["config"]
    imp = run.get("importance")
    groups = list(dict.fromkeys(imp["group"])) if imp is not None else []
    labels = Labels(cfg, groups)
    level = float((cfg.get("importance") or {}).get("level", 0.95))
    models = run.get("models")
    ctx: dict = {
        "title": (cfg.get("report") or {}).get("title") or
        f"Discrete-choice experiment: {text.capital(labels.group(cfg['name']))}",
        "name": cfg["name"], "version": version, "seed": cfg.get("seed"),
        "level": text.level_pct(level), "warnings": run.get("warnings") or [],
        "groups": groups, "group_labels": [labels.group(g) for g in groups],
    }
    ctx["study"] = _study(cfg, labels, run)
    ctx["design"] = _design(run.get("design_diagnostics"), labels)
    ctx["sample"] = _sample(run.get("data_summary"), models, labels)
    dq = (run.get("data_summary") or {}).get("data_quality")
    ctx["quality"] = text.quality_table(dq, labels)
    figs: dict = {}
    if imp is None or imp.empty:
        return ctx, figs
    order = text.attribute_order(imp)
    counts = ({r["group"]: int(r["n_respondents"]) for _, r in models.iterrows()}
              if models is not None else None)
    ctx["fit"] = _fit(models, labels)
    ctx["key_findings"] = text.headline(imp, labels)
    ctx["ranking"] = text.ranking_matrix(imp, labels, groups)
    steps = [("importance", lambda: figures.importance_chart(imp, labels, groups, level,
                                                             order, counts))]
    ctx["importance_text"] = (
        "Importance is an item's share of preference: the probability that it would be "
        "chosen best from the full list, so shares add up to 100% within a group."
        if labels.is_items else
        "Importance is the range of an attribute's part-worth utilities as a share of the "
        "sum of ranges, so shares add up to 100% within a group and can be compared "
        "between groups.")
    if len([g for g in groups if g != POOLED]) >= 2:
        steps.append(("ranks", lambda: figures.rank_chart(imp, labels, groups, order)))
    est = run.get("estimates")
    if est is not None and not est.empty:
        steps.append(("coefficients", lambda: figures.forest_chart(est, labels, groups, level)))
    for name, make in (progress(steps, "report figures") if progress else steps):
        figs[name] = make()
    ctx["figures"] = {name: {"png": base64.b64encode(png).decode("ascii"),
                             "file": f"figures/{name}.png", "svg": f"figures/{name}.svg"}
                      for name, (png, _svg) in figs.items()}
    imp_all = run.get("all_respondents/importance")
    ctx["exclusion"] = None
    if imp_all is not None and not imp_all.empty:
        all_groups = list(dict.fromkeys(imp_all["group"]))
        ctx["exclusion"] = {
            "columns": [labels.group(g) for g in all_groups],
            "ranking": text.ranking_matrix(imp_all, labels, all_groups),
            "sentences": text.exclusion_sentences(imp, imp_all, labels, dq),
            "fit": _fit(run.get("all_respondents/models"), labels)}
    comparison = run.get("comparison")
    ctx["comparison"] = text.comparison_sentences(comparison, labels, level)
    ctx["scale_rows"] = text.scale_rows(comparison, labels)
    ctx["estimates"] = _estimates(est, labels) if est is not None else []
    fit_groups = [g for g in groups]
    trade = run.get("tradeoffs")
    ctx["tradeoffs"] = text.tradeoff_table(trade, labels, fit_groups, cfg)
    ctx["tradeoff_sentences"] = text.tradeoff_sentences(trade, labels, level)
    ctx["uptake"] = text.uptake_table(run.get("uptake"), labels, fit_groups)
    ctx["methods"] = text.methods_paragraph(cfg, models, version)
    return ctx, figs


def _study(cfg: dict, labels: Labels, run: dict) -> dict:
    rows = []
    for name in labels.attributes:
        levels = labels.levels.get(name)
        coding = labels.codings.get(name, "")
        item = (cfg.get("attributes") or {}).get(name) or {}
        ref = item.get("reference")
        rows.append({"label": labels.attribute(name), "name": name,
                     "levels": " / ".join(str(v) for v in levels) if levels else
                     "" if labels.is_items else "(numeric column)",
                     "coding": coding + (f" (reference: {ref})" if ref is not None else "")})
    kind = {"dce": "Discrete-choice experiment", "best-worst": "Best-worst scaling study",
            "ranking": "Ranking study"}.get(cfg.get("type", "dce"), "Study")
    source = ("simulated responses (from the config's simulate section; not real data)"
              if cfg.get("simulate") else "observed responses"
              + (f" from {(cfg.get('choices') or {}).get('file')}" if cfg.get("choices") else ""))
    return {"attributes": rows, "kind": kind, "source": source,
            "what": "items" if cfg.get("items") and not cfg.get("attributes") else "attributes"}


def _design(diag: dict | None, labels: Labels) -> dict | None:
    if not diag:
        return None
    blocks = int(diag.get("blocks") or 1)
    method = str(diag.get("method") or "given")
    method = method if " " in method else f"{method} design"
    sentence = (f"{diag.get('n_choice_sets')} choice sets ({method}) in "
                f"{blocks} block{'s' if blocks > 1 else ''} of "
                f"{diag.get('tasks_per_block')} tasks, {diag.get('alternatives')} alternatives "
                "per task" + (" plus an opt-out" if diag.get("opt_out") else "") + ".")
    rows = []

    def add(label, value):
        if value is not None:
            rows.append({"label": label, "value": value})

    def fmt(v):
        return None if v is None else text.num(v, 4)

    add("D-error (at the priors)", fmt(diag.get("d_error")))
    add("D-error with zero priors", fmt(diag.get("d_error_zero_priors")))
    add("A-error", fmt(diag.get("a_error")))
    add("DB-error (Bayesian)", fmt(diag.get("db_error")))
    if diag.get("d_efficiency") is not None:
        add("D-efficiency", f"{text.pct(diag['d_efficiency'])}%")
    elif diag.get("d_efficiency_basis"):
        add("D-efficiency", f"not computed ({diag['d_efficiency_basis']})")
    if diag.get("identified") is not None:
        add("All terms identified", "yes" if diag["identified"] else
            "no: " + ", ".join(diag.get("unidentified_terms") or []))
    add("Condition number of the information matrix", fmt(diag.get("condition_number")))
    balance = diag.get("level_balance") or {}
    if balance:
        ratios = []
        for name, counts in balance.items():
            vals = [v for v in counts.values() if v is not None]
            if vals and max(vals):
                ratios.append((min(vals) / max(vals), name, min(vals), max(vals)))
        if ratios:
            worst = min(ratios)
            add("Level balance (least balanced attribute)",
                f"{labels.attribute(worst[1])}: levels appear {worst[2]} to {worst[3]} times")
    overlap = diag.get("overlap") or {}
    if overlap:
        top = max(overlap.items(), key=lambda kv: (kv[1], kv[0]))
        add("Overlap (largest share of tasks where an attribute does not vary)",
            f"{labels.attribute(top[0])}: {text.pct(top[1], 0)}% of tasks")
    corr = diag.get("attribute_correlations") or {}
    pairs = [(abs(v), a, b) for a, row in corr.items() for b, v in (row or {}).items()
             if a < b and v is not None]
    if pairs:
        worst = max(pairs)
        add("Largest correlation between attributes",
            f"{text.num(worst[0])} ({labels.attribute(worst[1])} and "
            f"{labels.attribute_lower(worst[2])})")
    if diag.get("dominated_tasks") is not None:
        add("Tasks with a dominated alternative (by the priors)", str(diag["dominated_tasks"]))
    return {"sentence": sentence, "rows": rows}


def _sample(summary: dict | None, models: pd.DataFrame | None, labels: Labels) -> dict | None:
    if not summary:
        return None
    used = ({str(r["group"]): int(r["n_respondents"]) for _, r in models.iterrows()}
            if models is not None else {})
    rows = []
    for g, c in (summary.get("groups") or {}).items():
        rows.append({"label": labels.group(g), "respondents": c["n_respondents"],
                     "sets": c["n_choice_sets"], "used": used.get(g, "")})
    rows.append({"label": "Total", "respondents": summary["n_respondents"],
                 "sets": summary["n_choice_sets"], "used": used.get(POOLED, "")})
    tasks = summary.get("tasks_per_respondent") or {}
    span = (f"{tasks.get('min')}" if tasks.get("min") == tasks.get("max")
            else f"{tasks.get('min')} to {tasks.get('max')}")
    return {"rows": rows, "tasks": span}


def _fit(models: pd.DataFrame | None, labels: Labels) -> list[dict]:
    if models is None or models.empty:
        return []
    out = []
    for _, m in models.iterrows():
        ll, ll0 = float(m["log_likelihood"]), float(m["null_log_likelihood"])
        out.append({
            "group": labels.group(m["group"]), "respondents": int(m["n_respondents"]),
            "sets": int(m["n_choice_sets"]), "parameters": int(m["n_parameters"]),
            "ll": text.num(ll), "ll0": text.num(ll0),
            "rho2": text.num(1 - ll / ll0, 3) if ll0 else "n/a",
            "aic": text.num(m["aic"], 1), "bic": text.num(m["bic"], 1),
            "converged": "yes" if str(m["converged"]).lower() == "true" else "NO",
            "se": str(m.get("se_type", ""))})
    return out


def _estimates(est: pd.DataFrame, labels: Labels) -> list[dict]:
    out = []
    for _, r in est.iterrows():
        out.append({"group": labels.group(r["group"]), "term": labels.term_text(r["term"]),
                    "estimate": text.num(r["estimate"], 3), "se": text.num(r["std_error"], 3),
                    "p": text.p_text(r["p_value"]).removeprefix("p "),
                    "ci": f"{text.num(r['ci_lower'], 3)} to {text.num(r['ci_upper'], 3)}"})
    return out
