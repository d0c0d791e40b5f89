"""Checks of the mixed-logit extensions: WTP space (``model.space``, ``model.price``) and
scale heterogeneity (``model.scale_heterogeneity``), see :mod:`dce.models.mixed_scale`.

The model code raises the same mistakes as ConfigErrors; checking them here, before any
data are read, locates them at their YAML line.
"""

from __future__ import annotations


def check_heterogeneity(study, out: list, suggest) -> None:
    """Append the problems of the WTP-space and scale-heterogeneity keys to ``out``.

    Parameters
    ----------
    study : Study
        A validated study.
    out : list of Problem
        Receives one problem per mistake, located at its key: ``space: wtp`` or
        ``scale_heterogeneity`` outside a mixed logit of an attribute study, or both together;
        ``space: wtp`` without ``price``, ``price`` without ``space: wtp``; a price that is
        no attribute or not linear, random but not lognormal; WTP space with scenarios
        (uptake is predicted in preference space); ``smnl`` with random terms; ``gmnl``/``gmnl2`` with lognormal ones.
    suggest : callable
        ``suggest(word, choices)`` -> a " (did you mean ...)" suffix.
    """
    m = study.spec.model
    p = study.problem
    wtp, scale = m.space == "wtp", m.scale_heterogeneity
    if m.type != "mixed_logit" or study.spec.type != "dce":
        for key, on in (("space", wtp), ("scale_heterogeneity", scale != "none")):
            if on:
                out.append(p(("model", key), f"{key}: {getattr(m, key)} needs type: "
                             "mixed_logit in an attribute study (type: dce)"))
        return
    if wtp and scale != "none":
        out.append(p(("model", "scale_heterogeneity"), "space: wtp cannot be combined with "
                     "scale heterogeneity (the lognormal price coefficient already carries "
                     "the scale); use one of them"))
    if scale == "smnl" and m.random:
        out.append(p(("model", "random"), "scale_heterogeneity: smnl has scale "
                     "heterogeneity only: remove model.random (or use gmnl)"))
    if scale in ("gmnl", "gmnl2"):
        for term, dist in m.random.items():
            if dist == "lognormal":
                out.append(p(("model", "random", term), f"{scale} random terms must be "
                             "normal or triangular, found lognormal"))
    if not wtp:
        if m.price is not None:
            out.append(p(("model", "price"), "model.price is used only with space: wtp; "
                         "add space: wtp or remove price"))
        return
    _check_price(study, out, suggest)


def _check_price(study, out, suggest) -> None:
    m = study.spec.model
    p = study.problem
    names = [a.name for a in study.attributes]
    if m.price is None:
        out.append(p(("model", "space"), "space: wtp needs model.price, the price "
                     "attribute (coding: linear)"))
    elif m.price not in names:
        out.append(p(("model", "price"), f"unknown attribute {m.price!r}"
                     + suggest(m.price, names)))
    elif not study.attribute(m.price).is_linear:
        out.append(p(("model", "price"), f"{m.price!r} is not numeric; the price needs "
                     "coding: linear"))
    elif m.price in m.random and m.random[m.price] != "lognormal":
        out.append(p(("model", "random", m.price), f"in WTP space the price coefficient is "
                     f"fixed or lognormal, found {m.random[m.price]}"))
    if study.spec.scenarios is not None:
        out.append(p(("scenarios",), "uptake scenarios are predicted in preference space; "
                     "remove scenarios or use space: preference"))
