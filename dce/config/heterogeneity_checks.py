"""Checks of the mixed-logit extensions: WTP space (``model.space``, ``model.price``) and
scale heterogeneity (``model.scale_heterogeneity``), see :mod:`dce.models.mixed_scale`.

The model code raises the same mistakes as ConfigErrors; checking them here, before any
data are read, locates them at their YAML line. :func:`heterogeneity_problems` holds the
rules without a study, so that the Python API (``dce.mixed_logit(space=..., price=...,
scale_heterogeneity=...)``) reports the same mistakes in the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["check_heterogeneity", "heterogeneity_problems"]


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
                out.append(p(("model", key), f"{getattr(m, key)} needs type: mixed_logit "
                             "in an attribute study (type: dce)"))
        return
    for path, message in heterogeneity_problems(m.space, m.price, scale, m.random,
                                                study.attributes, suggest):
        out.append(p(("model", *path), message))
    if wtp and study.spec.scenarios is not None:
        out.append(p(("scenarios",), "uptake scenarios are predicted in preference space; "
                     "remove scenarios or use space: preference"))


def heterogeneity_problems(space: str, price: str | None, scale_heterogeneity: str,
                           random: Mapping[str, str], attributes: Iterable[Any],
                           suggest: Callable[[object, Iterable[object]], str], *,
                           prefix: str = "model.") -> list[tuple[tuple[str, ...], str]]:
    """The mistakes of a WTP-space or scale-heterogeneity mixed logit (the rules of
    :func:`check_heterogeneity` for a valid ``space`` and ``scale_heterogeneity``).

    Parameters
    ----------
    space : {"preference", "wtp"}
    price : str or None
        The price attribute.
    scale_heterogeneity : {"none", "smnl", "gmnl", "gmnl2"}
    random : mapping of str to str
        Random term -> distribution.
    attributes : iterable of Attribute
        The attributes (their ``name`` and ``is_linear``).
    suggest : callable
        ``suggest(word, choices)`` -> a "did you mean" suffix.
    prefix : str
        Written before ``price`` and ``random`` where a message names another setting
        (``"model."`` for a config, ``""`` for the Python API's arguments).

    Returns
    -------
    list of (tuple of str, str)
        ``(key path, message)``: the path under ``model`` (``("price",)``,
        ``("random", term)``, ...), first mistake first.
    """
    out: list[tuple[tuple[str, ...], str]] = []
    wtp = space == "wtp"
    if wtp and scale_heterogeneity != "none":
        out.append((("scale_heterogeneity",), "space: wtp cannot be combined with scale "
                    "heterogeneity (the lognormal price coefficient already carries the "
                    "scale); use one of them"))
    if scale_heterogeneity == "smnl" and random:
        out.append((("random",), "scale_heterogeneity: smnl has scale heterogeneity only: "
                    f"remove {prefix}random (or use gmnl)"))
    if scale_heterogeneity in ("gmnl", "gmnl2"):
        for term, dist in random.items():
            if dist == "lognormal":
                out.append((("random", term), f"{scale_heterogeneity} random terms must be "
                            "normal or triangular, found lognormal"))
    if not wtp:
        if price is not None:
            out.append((("price",), "used only with space: wtp; add space: wtp or remove "
                        "price"))
        return out
    by_name = {a.name: a for a in attributes}
    if price is None:
        out.append((("space",), f"wtp needs {prefix}price, the price attribute "
                    "(coding: linear)"))
    elif price not in by_name:
        out.append((("price",), f"unknown attribute {price!r}" + suggest(price, by_name)))
    elif not by_name[price].is_linear:
        out.append((("price",), f"{price!r} is not numeric; the price needs coding: linear"))
    elif price in random and random[price] != "lognormal":
        out.append((("random", price), "in WTP space the price coefficient is fixed or "
                    f"lognormal, found {random[price]}"))
    return out
