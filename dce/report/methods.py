"""The methods paragraphs of a report, ready for a paper.

Written against the ISPOR checklists for conjoint analysis (Bridges et al. 2011, Value
Health 14:403-413) and for its statistical analysis (Hauber et al. 2016, Value Health
19:300-315), and Lancsar and Louviere (2008, Pharmacoeconomics 26:661-677): the design
(method, priors and their source, draws, D-error convention, restrictions, blocks), the
model (utility, coding and reference levels, constants, covariance), data-quality checks
and exclusions, importance and its caveat, trade-offs and their intervals, the scale
comparison, the adjustment families, the software, and whether the data are simulated.
Every sentence comes from the resolved config, the design diagnostics and the model
table, so the text changes with the analysis.
"""

from __future__ import annotations

import pandas as pd

from dce.report import latent_text, mixed_text
from dce.report.labels import POOLED, Labels
from dce.report.text import and_list, level_pct

DESIGNS = {
    "full-factorial": "a full factorial design (every combination of levels)",
    "random": "a random design",
    "orthogonal": "an orthogonal main-effects design (Street and Burgess 2007 shifts)",
    "d-efficient": "a locally D-efficient design (coordinate exchange at fixed priors)",
    "bayesian": "a Bayesian D-efficient design (coordinate exchange minimising the "
                "DB-error over normal priors)",
}
FORMATS = {"ngene": "Ngene", "sawtooth": "Sawtooth CBC", "idefix": "the R package idefix",
           "cbctools": "the R package cbcTools"}
SE = {"cluster": "cluster-robust by respondent (sandwich estimator, small-sample factor "
                 "G/(G-1)), because each respondent answered several tasks",
      "robust": "robust (sandwich over choice sets)",
      "classic": "classic (inverse of the information matrix), which assumes independent "
                 "choices"}


def methods(cfg: dict, models: pd.DataFrame | None, diag: dict | None, labels: Labels,
            version: str = "") -> list[str]:
    """Paragraphs of the report's methods section, ready for a paper.

    The topics follow the ISPOR checklists for conjoint analysis (Bridges et al. 2011) and
    for its statistical analysis (Hauber et al. 2016); every sentence is filled in from the
    config, the design diagnostics and the model table.

    Parameters
    ----------
    cfg : dict
        The resolved config, as in config.yaml.
    models : pandas.DataFrame or None
        models.csv (``group``, ``n_respondents``, ``n_choice_sets``, ...), for the sample
        sizes of the data paragraph; None when the run has no models.
    diag : dict or None
        design_diagnostics.json, or None when the run has no design.
    labels : dce.report.labels.Labels
        Readable names of attributes, items and groups.
    version : str, optional
        dce's version, named in the model and software paragraphs; "" leaves it out.

    Returns
    -------
    list of str
        Plain-text paragraphs in this order: design (:func:`design_text`), model
        (:func:`model_text`), heterogeneity of a mixed logit
        (:func:`dce.report.mixed_text.methods_text`), data quality, importance and trade-offs, group comparison,
        data, software (with a pointer to manifest.json); those that do not apply ("")
        are left out.
    """
    items = cfg.get("type") in ("best-worst", "ranking")
    out = [design_text(cfg, diag, items), model_text(cfg, models, labels, items, version),
           mixed_text.methods_text(cfg), quality_text(cfg, items), importance_text(cfg, labels, items),
           comparison_text(cfg, labels, items), latent_text.methods_paragraph(cfg)]
    out.append(data_text(cfg, models))
    out.append(f"Software: dce{(' ' + version) if version else ''} (Python); the versions of "
               "every dependency, the config hash and the input files' hashes are recorded "
               "in manifest.json.")
    return [p for p in out if p]


def design_text(cfg: dict, diag: dict | None, items: bool) -> str:
    """The design paragraph: how the choice sets were built (ISPOR design items).

    Attribute studies: the method (:data:`DESIGNS`), a fielded design read from a file;
    tasks, blocks, alternatives, the opt-out; how many priors (how many normal) and a
    Bayesian design's prior draws; the D-error convention, D- and DB-error; restrictions.
    Item studies: items, sets, items per set, blocks, item and pair frequency ranges.

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``design`` and ``items``).
    diag : dict or None
        design_diagnostics.json (``method``, ``d_error``, ``db_error``, ``draw_type``; for
        items ``type``, ``items``, ``n_choice_sets``, ``items_per_set``, ... frequencies).
    items : bool
        True for a best-worst or ranking study.

    Returns
    -------
    str
        One paragraph starting "Design:"; "" without a design section or diagnostics.
    """
    d = cfg.get("design") or {}
    diag = diag or {}
    if not d and not diag:
        return ""
    if not diag and not items:  # long data carrying their levels: no design made or read
        return ("Design: not made or read by dce; the responses carried the attribute "
                "levels of every alternative, so the design's method and efficiency are "
                "not reported here.")
    if items:
        return _item_design_text(cfg, diag)
    method = d.get("method")
    made_by = FORMATS.get(diag.get("file_format"))
    if made_by:  # another program made it: design.method describes nothing here
        text = f"Design: made with {made_by} and {diag['method']}"
    else:
        fallback = diag.get("fallback") or {}
        method = fallback.get("used", method)  # what made the design, not what was asked
        text = f"Design: {DESIGNS.get(method, method or 'a given design')}"
        if fallback:
            text += (f" (the {fallback.get('requested')} design requested could not be built: "
                     f"{fallback.get('reason')})")
        if str(diag.get("method", "")).startswith("read"):
            if diag.get("method_stated") is False:  # the config's method is its default
                text = f"Design: {diag['method']}"
            else:
                text += f", fielded as {diag['method']}"
    tasks = diag.get("tasks_per_block") or d.get("tasks")
    blocks = diag.get("blocks") or d.get("blocks") or 1
    text += (f", {tasks} choice tasks per block in {blocks} block(s), "
             f"{diag.get('alternatives') or d.get('alternatives')} alternatives per task")
    if d.get("labels"):
        text += (f", labelled ({and_list(d['labels'])}; alternative j always carries label "
                 "j)")
    text += (f" plus an opt-out ('{d['opt_out']}')." if d.get("opt_out") else ".")
    text += _priors_text(d, diag)
    text += (" D-error convention: det(I)^(-1/K) of the multinomial-logit information "
             "matrix I summed over every choice set of the design, K coded terms")
    if diag.get("d_error") is not None:
        text += (f"; D-error {diag['d_error']:.4g} at the prior means" if d.get("priors")
                 else f"; D-error {diag['d_error']:.4g} at zero coefficients (no priors)")
    if diag.get("db_error") is not None:
        text += f", DB-error {diag['db_error']:.4g}"
    text += "."
    rules = []
    if d.get("exclude"):
        rules.append(f"{len(d['exclude'])} prohibited combination(s) of levels")
    if d.get("no_dominance"):
        rules.append("no task with a dominated alternative")
    if d.get("max_overlap") is not None:
        rules.append(f"at most {d['max_overlap']} attribute(s) constant within a task")
    if rules:
        text += f" Restrictions: {and_list(rules)}."
    return text + _fielding_text(d, cfg.get("model") or {})


def _item_design_text(cfg: dict, diag: dict) -> str:
    """The design paragraph of a best-worst or ranking study: items, sets, blocks and the
    item and pair frequencies."""
    kind = diag.get("type") or "a design of item subsets"
    text = (f"Design: {kind} of {diag.get('items', len(cfg.get('items') or {}))} items in "
            f"{diag.get('n_choice_sets')} sets of {diag.get('items_per_set')}, "
            f"{diag.get('blocks') or 1} block(s) of {diag.get('sets_per_block')} sets")
    freq = diag.get("item_frequency") or {}
    pairs = diag.get("pair_frequency") or {}
    if freq:
        text += f"; each item appears {_span(freq)} times"
    if pairs:
        text += f" and each pair of items {_span(pairs)} times"
    return text + (f"; the fielded design was {diag['method']}." if
                   str(diag.get("method", "")).startswith("read") else ".")


def _priors_text(d: dict, diag: dict) -> str:
    """Where the priors came from and how the Bayesian draws were made."""
    priors = d.get("priors") or {}
    if not priors:
        return ""
    normal = [k for k, v in priors.items() if isinstance(v, dict)]
    how = ("fixed values" if not normal else
           "normal distributions with the stated mean and sd" if len(normal) == len(priors)
           else f"{len(normal)} as normal distributions with the stated mean and sd, the "
           "others fixed")
    text = (f" Priors for {len(priors)} coded terms were taken from the config "
            f"(design.priors; {how}); their source is the researcher's, to be "
            "reported with the study.")
    if d.get("method") == "bayesian" and diag.get("file_format", "dce") == "dce":
        text += (f" The DB-error averaged {d.get('prior_draws')} scrambled "
                 f"{str(diag.get('draw_type') or 'Sobol').capitalize()} draws from the "
                 "priors.")
    return text


def _fielding_text(d: dict, model: dict) -> str:
    """Validity tasks and randomised order, when the design has them ("" otherwise)."""
    text = ""
    dom, rep = int(d.get("dominance_tasks") or 0), int(d.get("repeat_tasks") or 0)
    if dom or rep:
        parts = ([f"{dom} dominance task(s)"] if dom else []) + (
            [f"{rep} repeated task(s)" + (" with the alternatives in reverse order"
                                          if d.get("repeat_swap") else "")] if rep else [])
        text += (f" Each block also had {and_list(parts)} (task_type in design.csv); the "
                 "D-error and the other design diagnostics concern the choice tasks only, and "
                 "the validity tasks were " + ("included in" if model.get(
                     "include_validity_tasks") else "left out of") + " the models.")
    r = d.get("randomize")
    if r:
        what = [w for w, on in (("tasks", r.get("tasks")), ("alternatives",
                                                            r.get("alternatives"))) if on]
        source = (f"read from {r['file']}" if r.get("file") else
                  f"drawn with seed {r['seed']}" if r.get("seed") is not None else
                  "drawn with the config seed")
        text += (f" The order of the {and_list(what)} was randomised ({source}), in "
                 f"{r.get('versions') or 1} version(s) of each block (fielding_order.csv); "
                 "responses were mapped back to the design's tasks and alternatives.")
    return text


def _span(freq: dict) -> str:
    lo, hi = freq.get("min"), freq.get("max")
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def model_text(cfg: dict, models, labels: Labels, items: bool, version: str) -> str:
    """The model paragraph: model, estimation, groups, coding, constants, standard errors.

    Attribute studies: a conditional (multinomial) logit or a panel mixed logit (random
    terms, correlated or independent, draws and draw type); each attribute's coding
    (linear per unit, or effects- or dummy-coded with its reference level); the constants
    (the opt-out's, ``model.constants``); the standard errors (:data:`SE`). Item studies:
    a sequential best-worst, maxdiff or rank-ordered (exploded) logit, with the reference
    item (``model.reference_item``, else the last item) fixed at 0.

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``type``, ``model``, ``design`` and ``items``).
    models : pandas.DataFrame or None
        models.csv; not used.
    labels : dce.report.labels.Labels
        Readable names, codings and reference levels of the attributes.
    items : bool
        True for a best-worst or ranking study.
    version : str
        dce's version, named with the engine; "" leaves it out.

    Returns
    -------
    str
        One paragraph starting "Model:".
    """
    m = cfg.get("model") or {}
    engine = f"{m.get('engine', 'native')} engine of dce{(' ' + version) if version else ''}"
    groups = ("one model per respondent group and a pooled model of all respondents"
              if m.get("by") else "one model of all respondents")
    se = SE.get(m.get("se"), m.get("se"))
    if items:
        kind = ("a sequential best-worst logit (best chosen from the set, then worst from "
                "the rest, worst utilities negated)" if cfg.get("type") == "best-worst"
                and m.get("bw_model", "sequential") == "sequential" else
                "a maxdiff logit (best-worst pairs)" if cfg.get("type") == "best-worst"
                else "a rank-ordered (exploded) logit" + (
                    f" on the first {m['top_k']} ranks" if m.get("top_k") else ""))
        ref = m.get("reference_item") or list(cfg.get("items") or {})[-1:][0]
        return (f"Model: {kind}, estimated by maximum likelihood ({engine}), {groups}; the "
                f"utility of the reference item ({labels.attribute_lower(ref)}) is fixed "
                f"at 0. Standard errors are {se}.")
    codings = []
    for name in labels.attributes:
        c = labels.codings.get(name)
        if c == "linear":
            codings.append(f"{labels.attribute_lower(name)} linear (per unit)")
        else:
            codings.append(f"{labels.attribute_lower(name)} {c}-coded (reference "
                           f"'{labels.reference(name)}')")
    kind = "a conditional (multinomial) logit model"
    if m.get("type") == "mixed_logit":
        kind = (f"a panel mixed logit model ({'correlated' if m.get('correlated') else 'independent'}"
                f" random terms: {', '.join(sorted(m.get('random') or {}))}; "
                f"{m.get('draws')} {str(m.get('draw_type', '')).capitalize()} draws per "
                "respondent, simulated maximum likelihood)") + _heterogeneity_text(m, labels)
    d = cfg.get("design") or {}
    consts = []
    named = (cfg.get("choices") or {}).get("opt_out")
    if d.get("opt_out"):
        consts.append(f"an alternative-specific constant for the opt-out ('{d['opt_out']}')")
    elif isinstance(named, dict):  # choices.opt_out: {alternative: N} or {label: L}
        which = (f"'{named['label']}'" if named.get("label") else
                 f"alternative {named.get('alternative')}")
        consts.append(f"an alternative-specific constant for the opt-out ({which})")
    if d.get("labels"):
        consts += _label_constants(m, d, labels)
    elif m.get("constants"):
        consts.append(f"constants for alternatives {and_list([str(c) for c in m['constants']])}")
    effects = any(labels.codings.get(n) == "effects" for n in labels.attributes)
    text = (f"Model: {kind}, estimated by maximum likelihood ({engine}), {groups}. Utility "
            f"is additive in the attributes: {'; '.join(codings)}"
            + ("; effects-coded attributes report the omitted level as minus the sum of the "
               "others" if effects else ""))
    text += (f"; with {and_list(consts)}." if consts else "; no constants.")
    return text + f" Standard errors are {se}."


def _heterogeneity_text(m: dict, labels: Labels) -> str:
    """The WTP-space or scale-heterogeneity phrase of the model paragraph ("" for neither;
    dce.models.mixed_scale)."""
    if m.get("space") == "wtp":
        price = labels.attribute_lower(m.get("price"))
        dist = ("lognormal" if (m.get("random") or {}).get(m.get("price")) == "lognormal"
                else "fixed")
        return (f" in willingness-to-pay space (Train and Weeks 2005; Scarpa, Thiene and Train "
                f"2008): utility is lambda times the sum of each term's value in units of "
                f"{price} minus {price}, with a {dist} price coefficient lambda, so the "
                "estimates of the other terms are values in units of the price")
    kind = m.get("scale_heterogeneity", "none")
    if kind == "none":
        return ""
    name = {"smnl": "scale-heterogeneity (S-MNL) form, with no random tastes",
            "gmnl": "generalised multinomial logit (G-MNL) form, with gamma estimated",
            "gmnl2": "generalised multinomial logit form G-MNL-II (gamma = 0)"}[kind]
    return (f" in the {name} (Fiebig, Keane, Louviere and Wasi 2010): each respondent's "
            "coefficients are scaled by a lognormal scale factor of mean 1 and spread tau")


def _label_constants(m: dict, d: dict, labels: Labels) -> list:
    """Labelled designs: the constants per label (and the reference label), and the
    alternative-specific attributes, as phrases of the model paragraph."""
    names = list(d["labels"])
    numbers = m.get("constants") or list(range(2, len(names) + 1))
    named = [names[c - 1] if 1 <= c <= len(names) else str(c) for c in numbers]
    others = [lab for lab in names if lab not in named]
    out = [f"label constants for {and_list(named)}"
           + (f" (reference: {and_list(others)})" if others else "")]
    specific = m.get("alternative_specific") or []
    if specific:
        out.append("one coefficient per label for "
                   f"{and_list([labels.attribute_lower(a) for a in specific])}")
    return out


def quality_text(cfg: dict, items: bool) -> str:
    """The data-quality paragraph: which checks were run and whether anyone was excluded.

    Names the checks of :mod:`dce.data.quality` (same position, always opting out, never
    trading, dominance and repeated tasks) and the a priori order behind the dominance
    tasks, then says whether respondents who failed a check were excluded
    (``data.exclude_failed_checks``). Non-traders are never excluded: a strong preference
    is a legitimate answer (Lancsar and Louviere 2006).

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``data`` section).
    items : bool
        True for a best-worst or ranking study, which has no such checks.

    Returns
    -------
    str
        One paragraph starting "Data quality:"; "" for item studies.
    """
    if items:
        return ""
    data = cfg.get("data") or {}
    text = ("Data quality: each respondent was checked for always choosing the same "
            "position, always opting out and never trading (always the better level of one "
            "attribute); dominance tasks (by "
            + ("data.preference_order" if data.get("preference_order") else
               "the signs of the design priors") + ") and repeated tasks were checked "
            "where the design has them.")
    if data.get("exclude_failed_checks"):
        return text + (" Respondents who failed a check were excluded from the models; "
                       "results with every respondent are reported alongside.")
    return text + " No respondent was excluded; non-traders are reported, never excluded."


def importance_text(cfg: dict, labels: Labels, items: bool) -> str:
    """The importance paragraph, with the trade-offs when the study has a denominator.

    Attribute studies: importance as the range of an attribute's part-worths over the sum
    of ranges, with its caveats; then, when ``tradeoffs.denominator`` or an attribute with
    ``cost: true`` gives a denominator, the trade-offs (marginal rates of substitution)
    and the extrapolation flag. Item studies: the share of preference exp(v_i) / sum_j
    exp(v_j) (Louviere, Flynn and Marley 2015). Intervals: Krinsky-Robb simulation (Krinsky
    and Robb 1986), the delta method or a respondent bootstrap, as
    ``importance.intervals``.

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``importance``, ``tradeoffs``, ``attributes``, ``seed``).
    labels : dce.report.labels.Labels
        Readable names of the attributes.
    items : bool
        True for a best-worst or ranking study.

    Returns
    -------
    str
        One paragraph starting "Importance:".
    """
    imp = cfg.get("importance") or {}
    lv = level_pct(imp.get("level", 0.95))
    how = {"krinsky-robb": f"Krinsky-Robb simulation ({imp.get('draws')} draws from the "
                           "asymptotic normal distribution of the estimates; percentile "
                           "intervals)",
           "delta": "the delta method (rank probabilities from Krinsky-Robb draws)",
           "bootstrap": f"a respondent bootstrap ({imp.get('draws')} replicates, "
                        "percentile intervals)"}.get(imp.get("intervals"), "")
    if items:
        return (f"Importance: an item's share of preference, exp(v_i) / sum_j exp(v_j), the "
                "probability that it would be chosen best from the full list. Shares "
                "depend on the group's scale (how consistently it chooses), so they are "
                f"summaries within a group. {lv} intervals and rank probabilities come from "
                f"{how}, random seed {cfg.get('seed')}.")
    text = (f"Importance: the range of an attribute's part-worth utilities as a share of the "
            "sum of ranges within a group. It depends on the levels chosen for each "
            "attribute (a wider range makes an attribute more important) and shares are "
            f"compositional. {lv} intervals and rank probabilities come from {how}, random "
            f"seed {cfg.get('seed')}.")
    denom = (cfg.get("tradeoffs") or {}).get("denominator") or next(
        (n for n, a in (cfg.get("attributes") or {}).items() if (a or {}).get("cost")), None)
    if denom:
        text += (f" Trade-offs (marginal rates of substitution): the utility change of a "
                 f"level against the attribute's reference level divided by minus the "
                 f"coefficient of {labels.attribute_lower(denom)}; intervals as above, with "
                 "delta-method intervals in tradeoffs.csv; a value is flagged as an "
                 "extrapolation when its estimate or interval reaches beyond the tested "
                 f"range of {labels.attribute_lower(denom)}.")
    return text


def comparison_text(cfg: dict, labels: Labels, items: bool) -> str:
    """The group-comparison paragraph: which claims rest on which test.

    Differences of trade-offs (items: of utilities relative to an anchor item) with
    percentile intervals and Poe et al.'s (2005) combinatorial test, Holm-adjusted (Holm
    1979) across pairs and terms; rank-interval overlap as a descriptive criterion;
    importance and rank differences as within-group summaries; the two-step scale
    comparison of Swait and Louviere (1993) with the group-specific terms
    (``compare.group_specific``, and the constants of attribute studies).

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``model.by`` and ``compare`` sections).
    labels, items
        As for :func:`importance_text`.

    Returns
    -------
    str
        One paragraph starting "Group comparison"; "" when the models are not fitted by
        group (no ``model.by``).
    """
    m, comp = cfg.get("model") or {}, cfg.get("compare") or {}
    if not m.get("by"):
        return ""
    gs = comp.get("group_specific") or []
    parts = [] if items else ["alternative-specific constants"]
    if gs:
        parts.append(f"the coefficients of {and_list([labels.attribute_lower(a) for a in gs])}")
    free = (f", with {and_list(parts)} group-specific" if parts else "")
    scale_free = ("utilities relative to an anchor item, both measured from the reference "
                  "item" if items else "trade-offs")
    return (f"Group comparison, pair by pair. Claims of weight rest on {scale_free}: the "
            "difference between groups with a percentile interval and Poe et al.'s (2005) "
            "two-sided combinatorial test on the two groups' draws, Holm-adjusted across "
            "all pairs and terms. An attribute's place in each group's ordering is said to "
            "differ when the two rank intervals do not overlap, a descriptive criterion "
            "not adjusted for multiple comparisons. Importance-share differences (normal "
            "approximation to the draws of the difference) and rank differences (Monte "
            "Carlo share of the draws) are listed in comparison.csv with Holm-adjusted "
            "p-values, as within-group summaries only. Scale (Swait and Louviere 1993): "
            "step 1 is a cluster-robust Wald (minimum-distance) test that the two groups' "
            f"coefficients are proportional{free}, decided per pair at the unadjusted "
            "level; only when it does not reject, step 2 estimates the relative scale in a "
            f"heteroskedastic conditional logit fitted jointly to both groups{free}, with a "
            "cluster-robust Wald test of equal scale, Holm-adjusted across the pairs that "
            "reach it. A smaller scale can also reflect more unobserved variation in "
            "preferences within a group. Intervals are not adjusted. Spearman and Kendall "
            "correlations of the point rankings are descriptive.")


def data_text(cfg: dict, models) -> str:
    """The data paragraph: simulated or observed, and how many respondents and sets.

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``simulate`` section and ``seed``).
    models : pandas.DataFrame or None
        models.csv; the sample size is read from the pooled model's row (``group`` ==
        ``all``), else from the first row (``n_respondents``, ``n_choice_sets``).

    Returns
    -------
    str
        One paragraph starting "Data:"; "" for observed data without a model table.
    """
    n = ""
    if models is not None and not models.empty:
        pooled = models[models["group"] == POOLED]
        row = pooled.iloc[0] if not pooled.empty else models.iloc[0]
        n = (f" The models use {int(row['n_choice_sets'])} choice sets answered by "
             f"{int(row['n_respondents'])} respondents.")
    if cfg.get("simulate"):
        return ("Data: the responses were simulated by dce from the utilities in the "
                "config's simulate section (seed " + str(cfg.get("seed")) + "); they are "
                "not observed data." + n)
    return "Data: observed responses." + n if n else ""
