"""Cross-checks of a config for item studies (``type: best-worst`` or ``ranking``).

Called from :func:`dce.config.checks.check_study` for every study: in an attribute
study (``type: dce``) it only flags the keys that belong to item studies; in an item
study it does every check the study needs (items, design, simulate, model, compare) and
rejects the sections that apply to attribute studies only.
"""

from __future__ import annotations

import difflib

from dce.config.messages import simulated_groups

_RESERVED = {"respondent", "group", "block", "task", "alternative", "chosen", "item", "best",
             "worst", "rank", "worst_scale", "all"}
_DCE_DESIGN_KEYS = ("method", "alternatives", "opt_out", "tasks", "priors", "prior_draws",
                    "exclude", "no_dominance", "max_overlap", "dominance_tasks",
                    "repeat_tasks", "repeat_swap", "randomize")
_DCE_MODEL_KEYS = ("constants", "random", "correlated", "draws", "draw_type", "interactions",
                   "include_validity_tasks")
_ITEM_MODEL_KEYS = ("bw_model", "worst_scale", "top_k", "reference_item")


def _given(study, *path) -> bool:
    node = study.raw
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _suggest(word, choices, aliases=None) -> str:
    """A "did you mean" hint; ``aliases`` (e.g. item labels) map other words to a choice."""
    words = {str(c): str(c) for c in choices}
    for alias, target in (aliases or {}).items():
        words.setdefault(str(alias).lower(), str(target))
    hint = difflib.get_close_matches(str(word), list(words), n=1, cutoff=0.5) or \
        difflib.get_close_matches(str(word).lower(), list(words), n=1, cutoff=0.5)
    return f"; did you mean {words[hint[0]]!r}?" if hint else (
        f"; expected one of: {', '.join(map(str, choices))}" if choices else "")


def _labels(study) -> dict:
    return {(i.label if i is not None and i.label else n): n
            for n, i in (study.spec.items or {}).items()}


def check_items(study) -> list:
    """Check a config as an item study, or flag item-study keys in an attribute study.

    Parameters as :func:`dce.config.checks.check_study`, which calls this for every study.

    Returns
    -------
    list of dce.errors.Problem
        Every problem found, each located at its key; empty when there is none.
    """
    spec = study.spec
    out: list = []
    p = study.problem
    if spec.type == "dce":
        if spec.items is not None:
            out.append(p(("items",), "`items:` belongs to best-worst and ranking studies; add "
                         "type: best-worst (or ranking), or describe attributes instead"))
        for key in _ITEM_MODEL_KEYS:
            if _given(study, "model", key):
                out.append(p(("model", key), "applies to best-worst and ranking studies "
                             "(type: best-worst or ranking) only"))
        for key in ("items_per_set", "sets"):
            if _given(study, "design", key):
                out.append(p(("design", key), "applies to best-worst and ranking studies; "
                             "a profile DCE uses design.tasks and design.alternatives"))
        for g in (spec.simulate.groups if spec.simulate else {}):
            if _given(study, "simulate", "groups", g, "worst_scale"):
                out.append(p(("simulate", "groups", g, "worst_scale"), "applies to "
                             "best-worst studies only"))
        return out
    _check_items(study, out)
    names = [str(n) for n in (spec.items or {})]
    _check_design(study, names, out)
    _check_simulate(study, names, out)
    _check_model(study, names, out)
    _check_elsewhere(study, out)
    return out


def _check_items(study, out) -> None:
    spec = study.spec
    p = study.problem
    kind = spec.type
    if spec.attributes is not None:
        out.append(p(("attributes",), f"a {kind} study lists `items:` instead of "
                     "`attributes:`; remove attributes or use type: dce"))
    items = spec.items or {}
    if len(items) < 2:
        out.append(p(("items",) if spec.items is not None else (),
                     f"a {kind} study needs at least 2 items (key `items:`), found "
                     f"{len(items)}"))
        return
    labels: dict = {}
    for name, item in items.items():
        path = ("items", name)
        if str(name) in _RESERVED or "[" in str(name) or "]" in str(name) or not str(name).strip():
            out.append(p(path, f"{name!r} cannot name an item (reserved or contains "
                         "brackets); choose another name"))
        label = (item.label if item is not None and item.label else str(name))
        if label in labels and labels[label] != name:
            out.append(p(path + ("label",), f"label {label!r} is also the label of item "
                         f"{labels[label]!r}; labels must differ (data cells may use them)"))
        labels.setdefault(label, name)
    for name, item in items.items():
        label = item.label if item is not None and item.label else None
        if label in items and label != name:
            out.append(p(("items", name, "label"), f"label {label!r} is the name of another "
                         "item; choose a label that is not an item name"))


def _check_design(study, names, out) -> None:
    spec = study.spec
    d = spec.design
    p = study.problem
    kind = spec.type
    if d is None:
        if kind == "best-worst" and (spec.simulate is not None or (
                spec.choices is not None and spec.choices.format == "wide")):
            out.append(p((), "a best-worst study needs `design:` (items_per_set, sets, blocks) "
                         "or design.file to know which items each set shows"))
        return
    for key in _DCE_DESIGN_KEYS:
        if _given(study, "design", key):
            out.append(p(("design", key), f"applies to profile DCEs (type: dce); a {kind} "
                         "design takes items_per_set, sets, blocks, starts and file"))
    has_file = d.file is not None and study.resolve(d.file).exists()
    if has_file:
        return
    for key in ("items_per_set", "sets"):
        if getattr(d, key) is None:
            what = "items shown in each set" if key == "items_per_set" else \
                "number of sets in the whole design (all blocks)"
            out.append(p(("design",), f"required key {key!r} is missing ({what})"))
    k, b = d.items_per_set, d.sets
    if k is not None and len(names) >= 2:
        low = 3 if kind == "best-worst" else 2
        if k < low:
            out.append(p(("design", "items_per_set"), f"a {kind} set needs at least {low} "
                         f"items, found {k}"))
        if k > len(names):
            out.append(p(("design", "items_per_set"), f"{k} items per set, but the study has "
                         f"only {len(names)} items"))
    if b is not None and b % d.blocks:
        out.append(p(("design", "sets"), f"{b} sets cannot be split into {d.blocks} equal "
                     f"blocks; use a multiple of {d.blocks}"))
    if b is not None and k is not None and k < len(names) and b * k < len(names):
        out.append(p(("design", "sets"), f"{b} sets of {k} show {b * k} items in all, fewer "
                     f"than the {len(names)} items; use at least "
                     f"{-(-len(names) // k)} sets"))


def _check_simulate(study, names, out) -> None:
    spec = study.spec
    if spec.simulate is None:
        return
    p = study.problem
    for _group, sim, base in simulated_groups(study, out):
        for name, value in sim.utilities.items():
            path = base + ("utilities", name)
            if name not in names:
                out.append(p(path, f"unknown item {name!r}"
                             + _suggest(name, names, _labels(study))))
            elif not isinstance(value, (int, float)):
                out.append(p(path, "an item takes one number (its utility), found a "
                             f"{type(value).__name__}"))
        for name, sd in sim.heterogeneity.items():
            path = base + ("heterogeneity", name)
            if name not in names:
                out.append(p(path, f"unknown item {name!r}"
                             + _suggest(name, names, _labels(study))))
            if sd < 0:
                out.append(p(path, f"a standard deviation cannot be negative, found {sd}"))
        if spec.type == "ranking" and _given(study, *base, "worst_scale"):
            out.append(p(base + ("worst_scale",), "applies to best-worst studies only"))


def _check_model(study, names, out) -> None:
    spec = study.spec
    m = spec.model
    p = study.problem
    kind = spec.type
    if m.type not in ("conditional_logit", "latent_class"):
        out.append(p(("model", "type"), f"{m.type!r} is not available for {kind} studies; "
                     "use conditional_logit or latent_class"))
    for key in _DCE_MODEL_KEYS:
        if _given(study, "model", key):
            out.append(p(("model", key), f"applies to profile DCEs (type: dce), not to "
                         f"{kind} studies"))
    if m.by is not None and m.by != "group":
        out.append(p(("model", "by"), f"expected 'group' (fit one model per respondent "
                     f"group), found {m.by!r}"))
    if m.reference_item is not None and m.reference_item not in names:
        out.append(p(("model", "reference_item"), f"unknown item {m.reference_item!r}"
                     + _suggest(m.reference_item, names, _labels(study))))
    if kind == "ranking":
        for key in ("bw_model", "worst_scale"):
            if _given(study, "model", key):
                out.append(p(("model", key), "applies to best-worst studies, not rankings"))
    else:
        if _given(study, "model", "top_k"):
            out.append(p(("model", "top_k"), "applies to ranking studies; a best-worst set "
                         "gives one best and one worst choice"))
        if m.worst_scale == "estimate" and m.type == "latent_class":
            out.append(p(("model", "worst_scale"), "a latent class model fixes the worst "
                         "scale at 1; use worst_scale: fixed (or type: conditional_logit)"))
        elif m.worst_scale == "estimate":
            if spec.importance.intervals == "bootstrap":
                out.append(p(("importance", "intervals"), "a bootstrap is not available with "
                             "model.worst_scale: estimate; use krinsky-robb or delta"))
            if m.engine != "native":
                out.append(p(("model", "engine"), "model.worst_scale: estimate needs the "
                             "native engine"))
    if spec.compare.pairs != "all" and spec.simulate is not None:
        groups = list(spec.simulate.groups)
        for i, pair in enumerate(spec.compare.pairs):
            if len(pair) != 2:
                out.append(p(("compare", "pairs", i), f"a pair names two groups, found "
                             f"{len(pair)}"))
            for g in pair:
                if g not in groups:
                    out.append(p(("compare", "pairs", i), f"unknown group {g!r}"
                                 + _suggest(g, groups)))


def _check_elsewhere(study, out) -> None:
    spec = study.spec
    kind = spec.type
    for key, what in (("tradeoffs", "trade-offs (they need a linear attribute)"),
                      ("scenarios", "uptake scenarios"), ("power", "power analysis")):
        if _given(study, key):
            out.append(study.problem((key,), f"not available for {kind} studies ({what}); "
                                     "remove this section"))
    if spec.choices is not None:
        if kind == "ranking" and spec.choices.format == "wide":
            out.append(study.problem(("choices", "format"), "rankings are read in long "
                                     "format (one row per respondent x item with its rank)"))
        for key in ("alternative", "chosen", "tasks"):
            if _given(study, "choices", "columns", key):
                out.append(study.problem(("choices", "columns", key), f"applies to profile "
                                         f"DCEs; {kind} data use the columns item, "
                                         + ("best, worst" if kind == "best-worst" else "rank")))
