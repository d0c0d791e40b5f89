"""Everything the report shows, as plain strings and rows, from the run's tables.

``build`` returns the context of both templates (HTML and Markdown) and the figures, so
the two reports carry the same numbers and words.
"""

from __future__ import annotations

import base64

import pandas as pd

from dce.report import (
    compare_text,
    figures,
    latent_text,
    methods,
    mixed_text,
    quality_text,
    simulator,
    text,
)
from dce.report.labels import POOLED, Labels
from dce.report.mixed_figures import share_chart


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
        "edited_note": run.get("edited_note")}  # `dce report --force` on edited files
    ctx["study"] = _study(cfg, labels, run)
    ctx["design"] = _design(run.get("design_diagnostics"), labels)
    ctx["sample"] = _sample(run.get("data_summary"), models, labels)
    dq = (run.get("data_summary") or {}).get("data_quality")
    ctx["quality"] = quality_text.quality_table(dq, labels)
    figs: dict = {}
    if imp is None or imp.empty:
        return ctx, figs
    separated = text.separated_groups(imp)
    shown = [g for g in groups if g not in separated]  # figures leave separated fits out
    imp_shown = imp[imp["group"].isin(shown)]
    order = text.attribute_order(text.ordered(imp))
    counts = ({r["group"]: int(r["n_respondents"]) for _, r in models.iterrows()}
              if models is not None else None)
    ctx["fit"] = _fit(models, labels)
    ctx["fit_note"] = _fit_note(dq)
    ctx["key_findings"] = text.headline(imp, labels)
    ctx["ranking"] = text.ranking_matrix(imp, labels, groups)
    steps = [("importance", lambda: figures.importance_chart(imp_shown, labels, shown, level,
                                                             order, counts))] if shown else []
    ctx["importance_text"] = _importance_text(labels)
    ctx["separated_note"] = separated_note(separated, labels)
    if len([g for g in shown if g != POOLED]) >= 2:
        steps.append(("ranks", lambda: figures.rank_chart(imp_shown, labels, shown, order)))
    est = run.get("estimates")
    est_shown = None if est is None else est[est["group"].isin(shown)]
    if est_shown is not None and not est_shown.empty:
        steps.append(("coefficients", lambda: figures.forest_chart(est_shown, labels, shown,
                                                                   level)))
    het = run.get("heterogeneity")
    if het is not None and not het.empty:  # mixed logit: share preferring each change
        steps.append(("heterogeneity", lambda: share_chart(het, labels)))
    ctx["latent"] = latent_text.latent_section(run, labels, level)
    steps += latent_text.figure_steps(run, ctx["latent"], labels, level)
    for name, make in (progress(steps, "report figures") if progress else steps):
        figs[name] = make()
    ctx["figures"] = {name: {"png": base64.b64encode(png).decode("ascii"),
                             "file": f"figures/{name}.png", "svg": f"figures/{name}.svg"}
                      for name, (png, _svg) in figs.items()}
    ctx["exclusion"] = _exclusion(run, imp, labels, dq)
    comparison, trade = run.get("comparison"), run.get("tradeoffs")
    scale_free = run.get("relative_utilities") if labels.is_items else trade
    ctx["comparison"] = compare_text.comparison_sentences(comparison, imp, scale_free, labels,
                                                          level)
    ctx["comparison_intro"] = compare_text.comparison_intro(labels, scale_free, level)
    ctx["comparison_left_out"] = compare_text.left_out_sentence(separated, groups, labels)
    ctx["scale_rows"] = compare_text.scale_rows(comparison, labels)
    ctx["estimates"] = _estimates(est, labels) if est is not None else []
    ctx["heterogeneity"] = mixed_text.section(run.get("heterogeneity"), labels, level)
    ctx["tradeoffs"] = text.tradeoff_table(trade, labels, groups, cfg)
    ctx["tradeoff_sentences"] = text.tradeoff_sentences(trade, labels, level)
    ctx["uptake"] = text.uptake_table(run.get("uptake"), labels, groups)
    ctx["uptake_note"] = (
        f"Predicted share of choices among exactly these service profiles"
        f"{' and the opt-out' if labels.opt_out else ''}, by group (estimate and "
        f"{text.level_pct(level)} interval): the probability that a respondent like those "
        "in the group's sample would choose each profile if offered this set, not a "
        "forecast of uptake in a population. The pooled column comes from one model "
        "fitted to all respondents together, so it leans towards the largest groups and, "
        "where the groups' preferences differ, describes none of them.")
    ctx["simulator"] = simulator.build(run, labels)
    ctx["methods"] = methods.methods(cfg, models, run.get("design_diagnostics"), labels,
                                     version)
    ctx["warnings"] = [readable(w, labels, est) for w in ctx["warnings"]]
    return ctx, figs


def separated_note(separated: list, labels: Labels) -> str:
    """The sentence under the importance table when some fits are separated: which
    groups' shares and ranks are not estimable, and that the figures leave them out.

    Parameters
    ----------
    separated : list
        Group codes whose fit is separated (:func:`dce.report.text.separated_groups`).
    labels : dce.report.labels.Labels

    Returns
    -------
    str
        "" when no fit is separated.
    """
    if not separated:
        return ""
    names = text.and_list([labels.group_lower(g) for g in separated])
    return (f"The data of {names} are separated (the likelihood has no maximum; see "
            "Warnings): one or more utilities run to infinity, and since shares and ranks "
            "are compositional, none of that group's shares or ranks is estimable; they are "
            "marked separated = true in importance.csv and left out of the figures.")


def _importance_text(labels: Labels) -> str:
    """What an importance share is, for item or attribute studies."""
    return (
        "Importance is an item's share of preference: the probability that it would be "
        "chosen best from the full list, so shares add up to 100% within a group. A share "
        "depends on how consistently the group chooses (its scale) as well as on its "
        "preferences, so shares describe each group and are not compared between groups; "
        "the group comparison uses ranks and utilities relative to an anchor item."
        if labels.is_items else
        "Importance is the range of an attribute's part-worth utilities as a share of the "
        "sum of ranges, so shares add up to 100% within a group. It depends on the levels "
        "chosen for each attribute (a wider range of levels makes an attribute more "
        "important) and is compositional (one share rises when another falls), so shares "
        "describe each group; the group comparison uses ranks and trade-offs.")


def _exclusion(run: dict, imp, labels: Labels, dq) -> dict | None:
    """Results with every respondent, when respondents failing the checks were left out."""
    imp_all = run.get("all_respondents/importance")
    if imp_all is None or imp_all.empty:
        return None
    all_groups = list(dict.fromkeys(imp_all["group"]))
    return {
        "columns": [labels.group(g) for g in all_groups],
        "ranking": text.ranking_matrix(imp_all, labels, all_groups),
        "sentences": quality_text.exclusion_sentences(imp, imp_all, labels, dq),
        "fit": _fit(run.get("all_respondents/models"), labels)}


_BEFORE = r"(?:\b(?:of the|of|the|except|higher|lower) |^|[:;] )"  # where names are listed
_AFTER = (r"(?= \(|\)|[.;:]|$| =| always| never| ranked| coefficient| takes| take| diverge"
          r"| reach)")


def readable(warning: str, labels: Labels, est: pd.DataFrame | None) -> str:
    """A warning with group codes, attribute or item names and coded terms replaced by
    their labels.

    Only exact names are replaced (the attributes or items of the study, and the coded
    terms of estimates.csv with a level in brackets), and only where the library's
    warnings list them: a run of names joined by ", " or " and ", after "of", "the",
    "except", "higher" or "lower" or at the start of a clause, and followed by the end of
    the list (" (", ")", ".", ";", " =", " always", " never", " coefficient", ...). So
    every name of a list is replaced ("the estimates of a, b, c"), a term with a comma
    in its level stays whole, and a name that is also a common word is left alone in
    other text.

    Parameters
    ----------
    warning : str
        One line of warnings.txt.
    labels : dce.report.labels.Labels
    est : pandas.DataFrame or None
        estimates.csv (its ``term`` column).

    Returns
    -------
    str
    """
    import re

    names = {n: labels.attribute_lower(n) for n in labels.attributes}
    for t in (set(est["term"]) if est is not None else set()):
        if "[" in t:
            names[t] = labels.term_text(t)
    out = str(warning)
    if names:
        alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        listed = re.compile(rf"(?P<before>{_BEFORE})(?P<names>(?:{alt})(?:(?:, | and )"
                            rf"(?:{alt}))*){_AFTER}")
        one = re.compile(alt)

        def relabel(m):
            return m.group("before") + one.sub(lambda n: names[n.group(0)], m.group("names"))

        out = listed.sub(relabel, out)
    return re.sub(r"\bgroup (\w+)", lambda m: labels.group(m.group(1))
                  if m.group(1) in labels.groups else m.group(0), out)


def _study(cfg: dict, labels: Labels, run: dict) -> dict:
    rows = []
    balance = (run.get("design_diagnostics") or {}).get("level_balance") or {}
    for name in labels.attributes:
        levels = labels.levels.get(name)
        coding = labels.codings.get(name, "")
        item = (cfg.get("attributes") or {}).get(name) or {}
        ref = item.get("reference")
        counts = balance.get(name) or {}
        shown = [f"{v} (never shown in the design)" if counts.get(str(v)) == 0 else str(v)
                 for v in levels or ()]
        coding += f" (reference: {ref})" if ref is not None else ""
        if labels.alternative_labels:  # labelled design: where it appears, per label
            specific = name in ((cfg.get("model") or {}).get("alternative_specific") or [])
            shown_in = item.get("alternatives")
            coding += (f"; shown in {', '.join(shown_in)} only" if shown_in else "") + \
                ("; one coefficient per label" if specific else "")
        rows.append({"label": labels.attribute(name), "name": name,
                     "levels": " / ".join(shown) if levels else
                     "" if labels.is_items else "(numeric column)", "coding": coding})
    kind = {"dce": "Discrete-choice experiment", "best-worst": "Best-worst scaling study",
            "ranking": "Ranking study"}.get(cfg.get("type", "dce"), "Study")
    source = ("simulated responses (from the config's simulate section; not real data)"
              if cfg.get("simulate") else "observed responses"
              + (f" from {(cfg.get('choices') or {}).get('file')}" if cfg.get("choices") else ""))
    model = cfg.get("model") or {}
    wtp = (labels.attribute_lower(model["price"])
           if model.get("space") == "wtp" and model.get("price") else None)
    return {"attributes": rows, "kind": kind, "source": source, "wtp_price": wtp,
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
    v = diag.get("validity_tasks")
    if v:  # dominance and repeated tasks follow the choice tasks of every block
        sentence += (f" Each block also has {v['dominance_tasks_per_block']} dominance and "
                     f"{v['repeat_tasks_per_block']} repeated task(s) "
                     f"({v['tasks_per_block_fielded']} tasks fielded); the diagnostics "
                     "concern the choice tasks only.")
    rows = []

    def add(label, value):
        if value is not None:
            rows.append({"label": label, "value": value})

    def fmt(v):
        return None if v is None else text.num(v, 4)

    _item_design_rows(diag, add)
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
        add("Tasks where one alternative is at least as good as another on every attribute "
            "and better on one, at the signs of the priors (the data-quality check uses a "
            "stricter rule: better on two or more)",
            str(diag["dominated_tasks"]))
    return {"sentence": sentence, "rows": rows}


def _item_design_rows(diag: dict, add) -> None:
    """Rows of an item design (balanced incomplete block design or search)."""
    bibd = diag.get("bibd_parameters")
    if diag.get("balanced") is not None:
        what = "yes" if diag["balanced"] else "no (closest search result)"
        if bibd:
            what += (f" (v = {bibd['v']} items, b = {bibd['b']} sets, r = {bibd['r']} "
                     f"appearances, k = {bibd['k']} per set, lambda = {bibd['lambda']})")
        add("Balanced incomplete block design", what)
    for key, label in (("item_frequency", "Times each item is shown"),
                       ("pair_frequency", "Times each pair of items appears together"),
                       ("position_frequency", "Times an item appears in each position"),
                       ("block_item_frequency", "Times an item appears within a block")):
        f = diag.get(key)
        if f:
            add(label, f"{f['min']}" if f["min"] == f["max"] else f"{f['min']} to {f['max']}")
    pairs = diag.get("pair_frequency") or {}
    if pairs.get("pairs_never_together"):
        add("Pairs of items never shown together", str(pairs["pairs_never_together"]))


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
    return {"rows": rows, "tasks": span, "missing": _missing_text(summary.get("missing"),
                                                                  labels)}


def _missing_text(missing: dict | None, labels: Labels) -> str:
    """The sentence on tasks left out for want of an answer (``choices.missing: drop``),
    with the groups they came from; empty when every task was answered."""
    if not missing or not missing.get("tasks_dropped"):
        return ""
    k, n = missing["tasks_dropped"], missing["tasks_total"]
    who, gone = missing["respondents_with_missing"], missing["respondents_dropped"]
    text = (f"{k} of {n} tasks had no answer and were left out of the analysis "
            f"(choices.missing: drop), from {who} respondent{'s' if who != 1 else ''}")
    text += (f"; {gone} respondent{'s' if gone != 1 else ''} answered none and "
             f"{'were' if gone != 1 else 'was'} left out entirely" if gone else "")
    groups = [(g, c["tasks_dropped"]) for g, c in (missing.get("by_group") or {}).items()
              if c["tasks_dropped"]]
    if len(missing.get("by_group") or {}) > 1:
        text += " (" + ", ".join(f"{labels.group(g)}: {d}" for g, d in groups) + ")"
    return text + ". The tables above count the tasks answered."


def _fit_note(dq: dict | None) -> str:
    """Under the model-fit table: why its choice sets can be fewer than the sample table's."""
    validity = (dq or {}).get("validity_tasks") or {}
    if validity.get("marked") and not validity.get("in_models"):
        return ("Choice sets here leave out the validity tasks (dominance and repeated "
                "tasks), which the sample table counts; model.include_validity_tasks puts "
                "them in the models.")
    return ""


def _fit(models: pd.DataFrame | None, labels: Labels) -> list[dict]:
    if models is None or models.empty:
        return []
    out = []
    for _, m in models.iterrows():
        ll, ll0 = float(m["log_likelihood"]), float(m["null_log_likelihood"])
        converged = str(m["converged"]).lower() == "true"
        out.append({
            "group": labels.group(m["group"]), "respondents": int(m["n_respondents"]),
            "sets": int(m["n_choice_sets"]), "parameters": int(m["n_parameters"]),
            "ll": text.num(ll), "ll0": text.num(ll0),
            # without a maximum (not converged, e.g. separated data) the log-likelihood is
            # not at an optimum: a rho-squared near 1 would read as a perfect fit
            "rho2": text.num(1 - ll / ll0, 3) if ll0 and converged else "n/a",
            "aic": text.num(m["aic"], 1) if converged else "n/a",
            "bic": text.num(m["bic"], 1) if converged else "n/a",
            "converged": "yes" if converged else "NO",
            "se": str(m.get("se_type", ""))})
    return out


def _estimates(est: pd.DataFrame, labels: Labels) -> list[dict]:
    out = []
    for _, r in est.iterrows():
        row = {"group": labels.group(r["group"]), "term": labels.term_text(r["term"]),
               "estimate": text.num(r["estimate"], 3), "se": text.num(r["std_error"], 3),
               "p": text.p_cell(r["p_value"]),
               "ci": f"{text.num(r['ci_lower'], 3)} to {text.num(r['ci_upper'], 3)}"}
        if text.is_separated(r):  # diverging: its value, error and interval mean nothing
            row.update(se="", p="", ci="not finite: separated")
        out.append(row)
    return out
