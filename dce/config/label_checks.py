"""Checks of labelled designs: ``design.labels``, ``attributes.<a>.alternatives``,
``model.alternative_specific`` and the labelled keys of ``simulate.groups.<g>.utilities``.

Each check appends :class:`~dce.errors.Problem` records located at the key that is wrong.
"""

from __future__ import annotations

import difflib

SEARCHED = ("random", "full-factorial", "d-efficient", "bayesian")
_FORBIDDEN = "[]@,:"  # characters that would make term names ambiguous


def _suggest(word, choices) -> str:
    hint = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.5)
    return (f"; did you mean {hint[0]!r}?" if hint
            else f"; expected one of: {', '.join(str(c) for c in choices)}")


def _denominator(spec):
    """The trade-off denominator (as :func:`dce.config.checks.denominator_of`)."""
    costs = [n for n, a in (spec.attributes or {}).items() if a.cost]
    return spec.tradeoffs.denominator or (costs[0] if costs else None)


def labelled_terms(study) -> list[str]:
    """The constants of a labelled study, ``asc[<label>]`` for each of :attr:`Study.constants`.

    Parameters
    ----------
    study : dce.config.study.Study

    Returns
    -------
    list of str
        Empty for a generic study.
    """
    labels = study.alternative_labels
    return [f"asc[{labels.get(c, c)}]" for c in study.constants] if labels else []


def check_labels(study) -> list:
    """Problems of the labelled-design keys (none for a study that uses none of them).

    Parameters
    ----------
    study : dce.config.study.Study
        A ``dce`` study that passed the schema.

    Returns
    -------
    list of dce.errors.Problem
        Labels whose count differs from ``design.alternatives``, repeated or containing
        ``[ ] @ ,``; a method that cannot make labelled designs; ``attributes.<a>.alternatives``
        or ``model.alternative_specific`` without labels or naming unknown labels /
        attributes; simulated utilities naming unknown labels.
    """
    spec = study.spec
    p = study.problem
    out: list = []
    d = spec.design
    labels = list((d.labels if d is not None else None) or [])
    if d is not None and d.labels is not None:
        if len(labels) != d.alternatives:
            out.append(p(("design", "labels"), f"{len(labels)} labels for "
                         f"{d.alternatives} alternatives (design.alternatives); give one "
                         "label per alternative"))
        seen = set()
        for i, lab in enumerate(labels):
            if lab in seen or not lab.strip() or any(c in lab for c in _FORBIDDEN):
                why = ("is repeated" if lab in seen else "is empty" if not lab.strip()
                       else f"contains one of {' '.join(_FORBIDDEN)}")
                out.append(p(("design", "labels", i), f"label {lab!r} {why}; labels name "
                             "terms such as asc[<label>], so each must be distinct text"))
            seen.add(lab)
        if d.method not in SEARCHED and d.file is None:
            out.append(p(("design", "method"), f"{d.method} designs are generic; a labelled "
                         f"design needs method {', '.join(SEARCHED)}"))
    for name, a in (spec.attributes or {}).items():
        if a.alternatives is None:
            continue
        path = ("attributes", name, "alternatives")
        if not labels:
            out.append(p(path, "needs design.labels (the labels of the alternatives)"))
            continue
        if not a.alternatives:
            out.append(p(path, "an attribute must appear in at least one alternative"))
        for i, lab in enumerate(a.alternatives):
            if lab not in labels:
                out.append(p(path + (i,), f"unknown label {lab!r}" + _suggest(lab, labels)))
    names = list(spec.attributes or {})
    for i, name in enumerate(spec.model.alternative_specific):
        path = ("model", "alternative_specific", i)
        if not labels:
            out.append(p(path, "needs design.labels (the labels of the alternatives)"))
            break
        if name not in names:
            out.append(p(path, f"unknown attribute {name!r}" + _suggest(name, names)))
        elif spec.model.alternative_specific.index(name) != i:
            out.append(p(path, f"attribute {name!r} is listed twice"))
        elif name == _denominator(spec):
            out.append(p(path, f"{name!r} is the trade-off denominator (cost: true or "
                         "tradeoffs.denominator), which needs one coefficient; it cannot be "
                         "alternative-specific"))
    if spec.scenarios is not None and labels and spec.model.alternative_specific:
        out.append(p(("scenarios",), "scenarios are generic profiles, so they cannot be "
                     "valued with alternative-specific attributes "
                     f"({', '.join(spec.model.alternative_specific)}); remove scenarios or "
                     "model.alternative_specific"))
    if spec.power is not None and labels:
        out.append(p(("power",), "the sample-size study does not model label constants or "
                     "alternative-specific attributes yet; remove power: from a labelled "
                     "design (the S-estimates in the design diagnostics still apply)"))
    if d is not None and labels:
        _check_validity(study, out)
    if spec.simulate is not None and labels:
        _check_utilities(study, labels, out)
    return out


def _check_validity(study, out) -> None:
    """Validity tasks whose meaning a labelled design changes."""
    d = study.spec.design
    if d.dominance_tasks:
        out.append(study.problem(("design", "dominance_tasks"), "a labelled design has no "
                                 "dominant alternative by its attributes alone (each label has "
                                 "its own constant); use repeat_tasks, or a generic design"))
    if d.repeat_tasks and d.repeat_swap:
        out.append(study.problem(("design", "repeat_swap"), "swapping the alternatives of a "
                                 "labelled task changes their labels, so the repeat would not be "
                                 "the same task; set repeat_swap: false (design.randomize "
                                 "can vary the order shown)"))


def _check_utilities(study, labels, out) -> None:
    """``asc: {label: number}`` and ``<attribute>@<label>`` keys of simulated utilities."""
    p = study.problem
    for group, sim in study.spec.simulate.groups.items():
        base = ("simulate", "groups", group, "utilities")
        for key, value in sim.utilities.items():
            if key == "asc":
                if not isinstance(value, dict):
                    out.append(p(base + (key,), "expected a mapping of labels to constants, "
                                 f"e.g. {{{labels[-1]}: 0.5}}"))
                    continue
                for lab in value:
                    if lab not in labels:
                        out.append(p(base + (key, lab), f"unknown label {lab!r}"
                                     + _suggest(lab, labels)))
                continue
            if "@" not in key:
                continue
            name, _, lab = key.partition("@")
            try:
                a = study.attribute(name)
            except KeyError:
                continue  # reported as an unknown attribute by the simulate checks
            shown_in = [lv for _, lv in a.specific]
            if not a.specific:
                out.append(p(base + (key,), f"{name} is not alternative-specific; add it to "
                             f"model.alternative_specific or write {name}: ..."))
            elif lab not in shown_in:
                out.append(p(base + (key,), f"unknown label {lab!r} for {name}"
                             + _suggest(lab, shown_in)))
