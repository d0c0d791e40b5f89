"""Cross-reference checks of a config: every name it uses must exist.

Each check appends :class:`Problem` records so that ``dce validate`` reports them all.
"""

from __future__ import annotations

from dce.config.heterogeneity_checks import check_heterogeneity
from dce.config.latent_checks import check_latent_class
from dce.config.messages import simulated_groups
from dce.config.messages import suggest as _suggest
from dce.core.attributes import level_key

_RESERVED = {"respondent", "group", "block", "task", "alternative", "chosen", "opt_out", "asc",
             "is_opt_out"}
_NOT_YET = {
}


def _list(values) -> str:
    return ", ".join(str(v) for v in values)


def check_study(study) -> list:
    """Check that every name a config uses exists (levels, terms, groups, items, ...).

    Parameters
    ----------
    study : dce.config.study.Study
        A study whose config already passed the schema (types and keys).

    Returns
    -------
    list of dce.errors.Problem
        Every problem found, each located at its key; empty when the config is consistent.
        Problems are returned, not raised, so that ``dce validate`` reports them all.
    """
    spec = study.spec
    out: list = []
    p = study.problem
    for path, values in _NOT_YET.items():
        node = spec
        for part in path:
            node = getattr(node, part, None) if node is not None else None
        if node in values:
            out.append(p(path, f"{node!r}: {values[node]}"))
    if spec.type == "dce":
        _check_attributes(study, out)
    if spec.choices is None and spec.simulate is None:
        out.append(p((), "the config needs `choices:` (observed responses) or `simulate:` "
                     "(synthetic respondents) for this command; before any data exists, "
                     "`dce run` (design, cards, survey table, sample size), `dce design`, "
                     "`dce cards`, `dce power` and `dce validate` work on the design alone"))
    if spec.choices is not None and spec.simulate is not None:
        out.append(p(("simulate",), "give either `choices:` or `simulate:`, not both"))
    from dce.config.item_checks import check_items

    out.extend(check_items(study))  # item studies: all their checks; dce: stray item keys
    _check_compare(study, out)
    _check_exports(study, out)
    out.extend(check_latent_class(study))
    if spec.type != "dce":
        return out
    from dce.config.label_checks import check_labels

    out.extend(check_labels(study))
    if spec.design is not None:
        _check_design(study, out)
    _check_choices(study, out)
    if spec.simulate is not None:
        _check_simulate(study, out)
    _check_model(study, out)
    _check_tradeoffs(study, out)
    _check_scenarios(study, out)
    _check_power(study, out)
    return out


def opt_out_declared(study) -> bool:
    """Whether the config names an opt-out alternative that the design must hold.

    Parameters
    ----------
    study : dce.config.study.Study

    Returns
    -------
    bool
        True when ``design.opt_out`` is set, or ``choices.opt_out`` names the opt-out by
        its alternative number or label (``empty`` finds opt-out rows in long data without
        declaring one).
    """
    d, c = study.spec.design, study.spec.choices
    return bool(d is not None and d.opt_out) or (c is not None and c.opt_out is not None
                                                  and c.opt_out != "empty")


def design_generated(study) -> bool:
    """Whether a command that reads or simulates responses makes the design from the config.

    Long observed data with attribute columns carry their own levels, so a config that only
    fits them never generates its ``design:`` (it may still name the opt-out there);
    simulated responses, wide data and designs with validity tasks or a randomised order
    need it, unless ``design.file`` holds the fielded design.

    Parameters
    ----------
    study : dce.config.study.Study

    Returns
    -------
    bool
        False without a ``design:`` section or with an existing ``design.file``.
    """
    spec = study.spec
    d = spec.design
    if d is None or (d.file is not None and study.resolve(d.file).is_file()):
        return False
    if spec.choices is None or spec.simulate is not None:
        return True
    fielded_by_dce = bool(d.dominance_tasks or d.repeat_tasks or d.randomize is not None)
    return spec.choices.format != "long" or fielded_by_dce


def _check_choices(study, out):
    """choices.opt_out and choices.missing fit the data format and the design."""
    c = study.spec.choices
    if c is None:
        return
    p = study.problem
    given = study.raw.get("choices") or {}
    if study.spec.type != "dce":
        if "opt_out" in given:
            out.append(p(("choices", "opt_out"), "applies to attribute studies (type: dce); "
                         "item studies have no opt-out; remove this key"))
        return
    if c.opt_out not in (None, "empty") and (c.opt_out.alternative is None) == \
            (c.opt_out.label is None):
        out.append(p(("choices", "opt_out"), "give one of `alternative` (the opt-out's "
                     "number) or `label` (its text), e.g. {alternative: 3} or {label: "
                     "Neither}"))
    if c.opt_out == "empty" and c.format == "wide":
        out.append(p(("choices", "opt_out"), "`empty` finds opt-out rows by their empty "
                     "attribute cells in long data; in wide data an empty task cell is a "
                     "missing answer, so name the opt-out by {alternative: <number>} or "
                     "{label: <text>}"))
    d = study.spec.design
    if (c.opt_out not in (None, "empty") and c.format == "wide" and design_generated(study)
            and not d.opt_out):
        out.append(p(("choices", "opt_out"), "the data have an opt-out, but the design made "
                     "from this config has none; add design.opt_out: <label> (or "
                     "design.file with the fielded design)"))


def denominator_of(study):
    """The attribute in whose units trade-offs are valued.

    Parameters
    ----------
    study : dce.config.study.Study
        A validated study.

    Returns
    -------
    str or None
        ``tradeoffs.denominator`` if given, else the name of the attribute marked
        ``cost: true``, else ``None``.
    """
    costs = [n for n, a in (study.spec.attributes or {}).items() if a.cost]
    return study.spec.tradeoffs.denominator or (costs[0] if costs else None)


def _check_compare(study, out):
    """compare.group_specific names attributes (items); compare.anchor names an item."""
    p = study.problem
    spec = study.spec
    names = list((spec.attributes or spec.items or {}).keys())
    pairs = spec.compare.pairs if isinstance(spec.compare.pairs, list) else []
    for i, pair in enumerate(pairs):
        if len(pair) == 2 and pair[0] == pair[1]:
            out.append(p(("compare", "pairs", i), f"a group cannot be compared with itself "
                         f"({pair[0]!r}); name two different groups"))
    for i, name in enumerate(spec.compare.group_specific):
        if name not in names:
            out.append(p(("compare", "group_specific", i), f"unknown "
                         f"{'item' if spec.type != 'dce' else 'attribute'} {name!r}"
                         + _suggest(name, names)))
    anchor = spec.compare.anchor
    if anchor is not None:
        if spec.type == "dce":
            out.append(p(("compare", "anchor"), "only item studies (best-worst, ranking) "
                         "have an anchor item; attribute studies use tradeoffs.denominator"))
        elif anchor not in names:
            out.append(p(("compare", "anchor"), f"unknown item {anchor!r}"
                         + _suggest(anchor, names)))
        elif anchor == (spec.model.reference_item or names[-1]):
            out.append(p(("compare", "anchor"), f"{anchor!r} is the reference item (utility "
                         "fixed at 0), so it cannot be the unit; choose another item"))


def _check_exports(study, out):
    """Survey-platform formats and label answers (docs/data.md) fit the study and format."""
    c = study.spec.choices
    if c is None:
        return
    if study.spec.type != "dce" and (c.format in ("qualtrics", "sawtooth")
                                     or c.chosen_by == "label"):
        key = "format" if c.format in ("qualtrics", "sawtooth") else "chosen_by"
        out.append(study.problem(("choices", key), f"{getattr(c, key)!r} is read for "
                                 "attribute DCEs only; best-worst and ranking data are long or "
                                 "wide (docs/items.md)"))
    elif c.chosen_by == "label" and c.format in ("long", "sawtooth"):
        out.append(study.problem(("choices", "chosen_by"), "labels are read from the task "
                                 "cells of wide and qualtrics data; long and sawtooth data "
                                 f"mark the chosen row (format is {c.format!r})"))
    if c.labels and c.chosen_by != "label":
        out.append(study.problem(("choices", "labels"), "set choices.chosen_by: label to read "
                                 "the task cells as these labels"))


def _check_tradeoffs(study, out):
    p = study.problem
    attrs = study.spec.attributes or {}
    costs = [n for n, a in attrs.items() if a.cost]
    if len(costs) > 1:
        out.append(p(("attributes", costs[1], "cost"), f"only one attribute can be the cost; "
                     f"{', '.join(costs)} are all marked cost: true"))
    for n in costs:
        if not study.attribute(n).is_linear:
            out.append(p(("attributes", n, "cost"), "a cost attribute needs coding: linear"))
    d = study.spec.tradeoffs.denominator
    if d is not None:
        names = [a.name for a in study.attributes]
        if d not in names:
            out.append(p(("tradeoffs", "denominator"), f"unknown attribute {d!r}"
                         + _suggest(d, names)))
        elif not study.attribute(d).is_linear:
            out.append(p(("tradeoffs", "denominator"), f"{d!r} is not linear; trade-offs "
                         "need a linear denominator such as cost or waiting time"))
        if costs and d not in costs:
            out.append(p(("tradeoffs", "denominator"), f"{d!r} differs from the cost "
                         f"attribute {costs[0]!r}; keep one of them"))


def _check_scenarios(study, out):
    sc = study.spec.scenarios
    if sc is None:
        return
    names = [a.name for a in study.attributes]
    seen = set()
    for i, alt in enumerate(sc.alternatives):
        path = ("scenarios", "alternatives", i)
        if alt.name in seen:
            out.append(study.problem(path + ("name",), f"duplicate scenario name {alt.name!r}"))
        seen.add(alt.name)
        for name, value in alt.levels.items():
            _levels_ok(study, path + ("levels",), name, value, out)
        missing = [n for n in names if n not in alt.levels]
        if missing:
            out.append(study.problem(path + ("levels",), f"scenario {alt.name!r} needs a level "
                                     f"for every attribute; missing {', '.join(missing)}"))
    if sc.opt_out and not opt_out_declared(study):
        out.append(study.problem(("scenarios", "opt_out"), "an opt-out scenario needs "
                                 "design.opt_out or choices.opt_out (its constant is "
                                 "estimated from it)"))


def _check_power(study, out):
    pw = study.spec.power
    if pw is None:
        return
    # respondents come from `simulate:`, or before any data from the design priors;
    # with observed `choices:` only `dce power` itself stops (dce run ignores `power:`)
    bad = [n for n in pw.sample_sizes if n < 2]
    if bad:
        out.append(study.problem(("power", "sample_sizes"), f"sample sizes must be at least "
                                 f"2 respondents per group, found {_list(bad)}"))


def _check_attributes(study, out):
    p = study.problem
    if not study.attributes:
        out.append(p(("attributes",) if study.spec.attributes is not None else (),
                     "at least one attribute is needed (key `attributes:`)"))
        return
    for a in study.attributes:
        path = ("attributes", a.name)
        if a.name in _RESERVED or "[" in a.name or "]" in a.name or not a.name.strip():
            out.append(p(path, f"{a.name!r} cannot name an attribute (reserved or contains "
                         "brackets); choose another name"))
        if a.levels is None:
            if a.coding != "linear":
                out.append(p(path + ("coding",), f"{a.coding} coding needs `levels:`; list the "
                             "levels or use coding: linear for a numeric column"))
            continue
        if len(a.levels) < 2:
            out.append(p(path + ("levels",), f"needs at least 2 levels, found {len(a.levels)}"))
        keys = a.level_keys
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            out.append(p(path + ("levels",), f"duplicate levels: {_list(dup)}"))
        if a.is_linear:
            bad = [v for v in a.levels if not _numeric(v)]
            if bad:
                out.append(p(path + ("levels",), f"linear coding needs numeric levels, found "
                             f"{_list(repr(b) for b in bad)}; use effects or dummy coding"))
            if a.reference is not None:
                out.append(p(path + ("reference",), "a linear attribute has no reference level"))
        elif a.reference is not None and level_key(a.reference) not in keys:
            out.append(p(path + ("reference",), f"{a.reference!r} is not a level"
                         + _suggest(a.reference, a.level_labels)))


def _numeric(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(level_key(value))
        return True
    except ValueError:
        return False


def _reference_ok(a) -> bool:
    return a.reference is None or level_key(a.reference) in a.level_keys


def _levels_ok(study, path, attr_name, value, out) -> None:
    names = [a.name for a in study.attributes]
    if attr_name not in names:
        out.append(study.problem(path, f"unknown attribute {attr_name!r}" + _suggest(attr_name,
                                                                                     names)))
        return
    a = study.attribute(attr_name)
    if a.levels is not None and level_key(value) not in a.level_keys:
        out.append(study.problem(path + (attr_name,), f"{value!r} is not a level of "
                                 f"{attr_name}" + _suggest(value, a.level_labels)))


def _check_design(study, out):
    d = study.spec.design
    p = study.problem
    generated = design_generated(study)
    if study.spec.type == "dce":
        for a in study.attributes if generated else ():
            if a.levels is None:
                out.append(p(("attributes", a.name), "a design needs the levels of every "
                             "attribute; add `levels:`"))
        for i, combo in enumerate(d.exclude):
            if not combo:
                out.append(p(("design", "exclude", i), "an empty exclusion would forbid every "
                             "profile"))
            for name, value in combo.items():
                _levels_ok(study, ("design", "exclude", i), name, value, out)
        terms = [t for a in study.attributes if a.levels is not None and _reference_ok(a)
                 for t in a.terms]
        from dce.config.label_checks import labelled_terms

        terms += labelled_terms(study)
        if d.opt_out:
            terms.append("asc[opt_out]")
        for term in d.priors:
            if term not in terms:
                omitted = [f"{a.name}[{a.level_labels[a.reference_index]}]"
                           for a in study.attributes if a.coding == "effects" and a.levels]
                why = (" (the omitted level of effects coding has no prior of its own)"
                       if term in omitted else "")
                out.append(p(("design", "priors", term), f"unknown term {term!r}{why}"
                             + _suggest(term, terms)))
        if d.method == "bayesian":
            fixed = [t for t, v in d.priors.items() if isinstance(v, (int, float))]
            if fixed:
                out.append(p(("design", "priors"), "bayesian designs need {mean, sd} priors; "
                             f"fixed numbers given for {_list(fixed)}"))
    searched = ("orthogonal", "d-efficient", "bayesian")
    for key in ("no_dominance", "max_overlap"):
        if getattr(d, key) not in (None, False) and d.method not in searched:
            out.append(p(("design", key), f"applies to methods {_list(searched)}, not "
                         f"{d.method}; remove it or change design.method"))
    if d.no_dominance and not any((v if isinstance(v, (int, float)) else v.mean) != 0
                                  for v in d.priors.values()):
        out.append(p(("design", "no_dominance"), "needs priors (design.priors) to know which "
                     "levels are better"))
    _check_validity(study, out)
    fielded = d.file is not None and study.resolve(d.file).is_file()
    if d.file is not None and not fielded and study.spec.choices is not None:
        out.append(p(("design", "file"), f"{d.file!r} does not exist; with observed "
                     "`choices:` the fielded design is read from it (a design generated now "
                     "would not be the one your respondents saw)"))
    # full-factorial and orthogonal designs choose their own number of tasks; a fielded
    # design file holds its own
    if d.tasks is None and d.method not in ("full-factorial", "orthogonal") and \
            study.spec.type == "dce" and not fielded and generated:
        out.append(p(("design",), "required key 'tasks' is missing (tasks per block)"))
    _check_import(study, out)


def _check_import(study, out):
    """design.format and design.level_codes describe design.file (docs/designs.md)."""
    d = study.spec.design
    p = study.problem
    for key in ("format", "level_codes"):
        if getattr(d, key) != "auto" and d.file is None:
            out.append(p(("design", key), "describes design.file, which is not set; add "
                         "design.file or remove this key"))
    if d.level_codes != "auto" and d.format == "dce":
        out.append(p(("design", "level_codes"), "dce's own format holds the level labels; "
                     "level codes apply to the ngene, sawtooth, idefix and cbctools formats"))


def _check_validity(study, out):
    """design.dominance_tasks needs an order of two attributes; repeats fit in a block;
    repeat_swap needs repeats; design.randomize (dce.config.randomize_checks)."""
    d = study.spec.design
    p = study.problem
    if d.dominance_tasks and study.spec.type == "dce":
        given = study.spec.data.preference_order
        names = [a.name for a in study.attributes]
        if given:
            ordered = [n for n in given if n in names]
            source = "data.preference_order"
        else:
            means = {t: (v if isinstance(v, (int, float)) else v.mean)
                     for t, v in d.priors.items()}
            ordered = [a.name for a in study.attributes if a.levels is not None
                       and any(means.get(t, 0) != 0 for t in a.terms)]
            source = "non-zero design.priors"
        if len(ordered) < 2:
            out.append(p(("design", "dominance_tasks"), "a dominance task needs an a priori "
                         f"order of at least 2 attributes; {source} orders {len(ordered)} "
                         f"({_list(ordered) or 'none'}); give data.preference_order "
                         "(increasing or decreasing per attribute) or non-zero design.priors"))
    if d.tasks is not None and d.repeat_tasks > d.tasks:
        out.append(p(("design", "repeat_tasks"), f"cannot repeat {d.repeat_tasks} tasks of a "
                     f"block of {d.tasks} (design.tasks); lower design.repeat_tasks"))
    if d.repeat_swap and not d.repeat_tasks:
        out.append(p(("design", "repeat_swap"), "swaps the alternatives of repeated tasks, but "
                     "design.repeat_tasks is 0; set design.repeat_tasks or remove repeat_swap"))
    from dce.config.randomize_checks import check_randomize

    check_randomize(study, out)


def _check_simulate(study, out):
    spec = study.spec
    p = study.problem
    if spec.design is None:
        out.append(p(("simulate",), "simulation needs a `design:` section (or design.file) to "
                     "know which tasks respondents see"))
    opt_out = spec.design.opt_out if spec.design else None
    names = [a.name for a in study.attributes]
    for _group, sim, base in simulated_groups(study, out):
        for name, value in sim.utilities.items():
            path = base + ("utilities", name)
            if name == "opt_out":
                if not opt_out:
                    out.append(p(path, "an opt_out utility needs design.opt_out"))
                elif not isinstance(value, (int, float)):
                    out.append(p(path, "expected one number (the opt-out constant)"))
                continue
            if study.alternative_labels and name == "asc":
                continue  # labelled constants: dce.config.label_checks
            if study.alternative_labels and "@" in name and name.partition("@")[0] in names:
                name = name.partition("@")[0]  # cost@NHS group: the label is checked there
            if name not in names:
                out.append(p(path, f"unknown attribute {name!r}" + _suggest(name, names)))
                continue
            a = study.attribute(name)
            if a.is_linear and not isinstance(value, (int, float)):
                out.append(p(path, "a linear attribute takes one number (utility per unit), "
                             f"found {type(value).__name__}"))
            elif not a.is_linear and not isinstance(value, dict):
                out.append(p(path, "expected a mapping of levels to utilities, e.g. "
                             f"{{{a.level_labels[0]}: 0, {a.level_labels[-1]}: 0.5}}"))
            elif isinstance(value, dict):
                for level in value:
                    if level_key(level) not in a.level_keys:
                        out.append(p(path + (level,), f"{level!r} is not a level of {name}"
                                     + _suggest(level, a.level_labels)))
        for name, sd in sim.heterogeneity.items():
            path = base + ("heterogeneity", name)
            if name not in names and name != "opt_out":
                out.append(p(path, f"unknown attribute {name!r}" + _suggest(name, names)))
            if sd < 0:
                out.append(p(path, f"a standard deviation cannot be negative, found {sd}"))


def _check_model(study, out):
    spec = study.spec
    m = spec.model
    if m.type == "mixed_logit" and study.spec.type == "dce":
        terms = [t for a in study.attributes if a.levels is not None or a.is_linear
                 for t in (a.terms if _reference_ok(a) else [])]
        labels = study.alternative_labels
        terms += [f"asc[{labels.get(c, c)}]" for c in study.constants]
        if opt_out_declared(study):
            terms.append("asc[opt_out]")
        for term in m.random:
            if term not in terms:
                out.append(study.problem(("model", "random", term), f"unknown term {term!r}"
                                         + _suggest(term, terms)))
        if not m.random and m.scale_heterogeneity != "smnl":
            out.append(study.problem(("model", "random"), "a mixed logit needs at least one "
                                     "random term, e.g. random: {waiting: normal}"))
        if study.spec.importance.intervals == "bootstrap":
            out.append(study.problem(("importance", "intervals"), "bootstrap intervals are not "
                                     "available for mixed logit; use krinsky-robb or delta"))
    elif m.random:
        out.append(study.problem(("model", "random"), "random terms need type: mixed_logit"))
    check_heterogeneity(study, out, _suggest)
    if m.by is not None and m.by != "group":
        out.append(study.problem(("model", "by"), f"expected 'group' (fit one model per "
                                 f"respondent group), found {m.by!r}"))
    if spec.design is not None and m.constants:
        n_alt = spec.design.alternatives + (1 if spec.design.opt_out else 0)
        bad = [c for c in m.constants if not 1 <= c <= n_alt]
        if bad:
            out.append(study.problem(("model", "constants"), f"alternatives {_list(bad)} do not "
                                     f"exist; the design has alternatives 1 to {n_alt}"))
    names = [a.name for a in study.attributes]
    for i, pair in enumerate(m.interactions):
        path = ("model", "interactions", i)
        if len(pair) != 2:
            out.append(study.problem(path, f"an interaction is [attribute, covariate], found "
                                     f"{len(pair)} names"))
            continue
        attr, cov = pair
        if attr not in names:
            out.append(study.problem(path, f"unknown attribute {attr!r}" + _suggest(attr, names)))
        if cov in names or cov in _RESERVED:
            out.append(study.problem(path, f"{cov!r} cannot be a covariate (it is an attribute "
                                     "or a reserved name)"))
    if m.interactions and spec.respondents is None:
        out.append(study.problem(("model", "interactions"), "interactions need covariates "
                                 "from a respondents table (`respondents:` with the columns)"))
    if spec.compare.pairs != "all" and spec.simulate is not None:
        groups = list(spec.simulate.groups)
        for i, pair in enumerate(spec.compare.pairs):
            if len(pair) != 2:
                out.append(study.problem(("compare", "pairs", i), f"a pair names two groups, "
                                         f"found {len(pair)}"))
            for g in pair:
                if g not in groups:
                    out.append(study.problem(("compare", "pairs", i), f"unknown group {g!r}"
                                             + _suggest(g, groups)))
