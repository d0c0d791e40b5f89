"""The report's interactive scenario simulator (attribute studies).

``build`` turns a run's tables (as read back from the run folder) into the context of
``simulator.html.j2``: the controls (one per attribute and service), the starting shares
(the config's ``scenarios:``, so the page first shows the numbers of ``uptake.csv``) and a
JSON block with everything the page's script needs. The coding is done here, in Python:
for every attribute and level the coded contribution over the model's terms is
precomputed as a sparse vector ``[[term index, value], ...]`` (a linear attribute without
listed levels gets its unit column, which the page multiplies by the typed value), so the
script only sums vectors, exactly as :func:`dce.analysis.uptake.scenario_matrix` codes a profile.
Shares are the softmax at the estimates; intervals are percentiles of the softmax over
the coefficient draws behind every interval (numpy's default linear quantile).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from dce.core.attributes import Attribute, level_text
from dce.report import text

MIN_SERVICES = 3
OPT_OUT = "optout"


def attributes_of(cfg: dict) -> list[Attribute]:
    """The study's attributes from a resolved config (as in config.yaml), coded as the
    pipeline codes them (:func:`dce.config.study._attributes`).

    Parameters
    ----------
    cfg : dict
        The resolved config; its ``attributes`` (``label``, ``levels``, ``coding``,
        ``reference``).

    Returns
    -------
    list of dce.core.attributes.Attribute
        In config order; without ``coding``, effects coding when levels are listed and
        linear otherwise.
    """
    out = []
    for name, a in (cfg.get("attributes") or {}).items():
        a = a or {}
        levels = a.get("levels")
        coding = a.get("coding") or ("effects" if levels is not None else "linear")
        out.append(Attribute(name, a.get("label") or name, coding,
                             tuple(levels) if levels is not None else None, a.get("reference")))
    return out


def slug(value, taken: set) -> str:
    """A stable, unique HTML-id fragment for ``value`` (letters, digits, ``_`` and ``-``).

    Parameters
    ----------
    value : object
        A group code or attribute name.
    taken : set
        Fragments already used; the new one is added to it.

    Returns
    -------
    str
        ``str(value)`` with every other character replaced by ``_`` ("x" when empty),
        suffixed ``-2``, ``-3``, ... until it is not in ``taken``.
    """
    base = re.sub(r"[^A-Za-z0-9_-]", "_", str(value)) or "x"
    out, i = base, 2
    while out in taken:
        out, i = f"{base}-{i}", i + 1
    taken.add(out)
    return out


def build(run: dict, labels) -> dict | None:
    """Context of ``simulator.html.j2``, or None when the report has no simulator.

    Parameters
    ----------
    run : dict
        Tables of a run folder, as from :func:`dce.report.read_run` (needs
        ``estimates`` and ``coefficient_draws``).
    labels : dce.report.labels.Labels
        Readable names of attributes, levels and groups.

    Returns
    -------
    dict or None
        None for item (best-worst, ranking) studies and for runs without coefficient
        draws (e.g. run folders written before they were kept).
    """
    cfg = run["config"]
    est, draws = run.get("estimates"), run.get("coefficient_draws")
    if labels.is_items or not cfg.get("attributes") or est is None or draws is None \
            or est.empty or draws.empty:
        return None
    model = model_of(cfg, est, draws)
    if model is None:
        return None
    state = default_state(cfg, model)
    shares = {g["code"]: predict(g["beta"], g["draws"], scenario_rows(model, state),
                                 model["level"]) for g in model["groups"]}
    level = model["level"]
    intervals = (cfg.get("importance") or {}).get("intervals")
    return {
        "level": text.level_pct(level),
        "n_draws": min(len(g["draws"]) for g in model["groups"]),
        "draw_kind": "bootstrap replicates" if intervals == "bootstrap" else
        "Krinsky-Robb draws of the coefficients",
        "from_scenarios": bool(cfg.get("scenarios")),
        "controls": _controls(model, state, labels),
        "services": [{"k": k, "included": state["included"][k - 1],
                      "origin": state["origin"][k - 1]}
                     for k in range(1, model["n_services"] + 1)],
        "opt_out": ({"checked": state["opt_out"], "label": opt_out_label(labels)}
                    if model["opt_out"] is not None else None),
        "groups": [{"id": g["id"], "label": labels.group(g["code"])} for g in model["groups"]],
        "rows": _result_rows(model, shares, labels),
        "json": page_json(model),
    }


def opt_out_label(labels) -> str:
    """The opt-out's row label, as in the report's uptake table.

    Parameters
    ----------
    labels : dce.report.labels.Labels
        Its ``opt_out`` is the config's ``design.opt_out`` label (or None).

    Returns
    -------
    str
        'Neither / opt out (<label>)', or 'Opt out' without a label.
    """
    return f"Neither / opt out ({labels.opt_out})" if labels.opt_out else "Opt out"


def model_of(cfg: dict, est: pd.DataFrame, draws: pd.DataFrame) -> dict | None:
    """What the simulator computes with.

    Parameters
    ----------
    cfg : dict
        The resolved config (config.yaml).
    est, draws : pandas.DataFrame
        estimates.csv and coefficient_draws.csv. The model's terms are the columns of the
        draws; only those a choice set can touch are kept (attribute terms and
        ``asc[opt_out]``), so position constants, ``sd[...]`` and interaction terms drop out
        (their rows in a choice set would be zero, as in :mod:`dce.analysis.uptake`).

    Returns
    -------
    dict or None
        ``terms``, coded ``attributes``, per group ``beta`` (estimates) and ``draws``,
        ``level``, ``n_services``, the term index of ``asc[k]`` per service (or None) and of
        the opt-out; None when the terms do not cover the attributes.
    """
    attrs = attributes_of(cfg)
    columns = [c for c in draws.columns if c not in ("group", "draw")]
    n_services = max(MIN_SERVICES, len(((cfg.get("scenarios") or {}).get("alternatives"))
                                       or []))
    opt = (cfg.get("design") or {}).get("opt_out")
    needed = {t for a in attrs for t in a.terms}
    if not needed <= set(columns):
        return None
    wanted = set(needed)
    if opt and "asc[opt_out]" in columns:
        wanted.add("asc[opt_out]")
    terms = [t for t in columns if t in wanted]
    index = {t: i for i, t in enumerate(terms)}
    groups, taken = [], set()
    for g in dict.fromkeys(est["group"].astype(str)):
        rows = est[est["group"].astype(str) == g].drop_duplicates("term").set_index("term")
        part = draws[draws["group"].astype(str) == g]
        if part.empty or not set(terms) <= set(rows.index):
            continue
        groups.append({"code": g, "id": slug(g, taken),
                       "beta": rows.loc[terms, "estimate"].to_numpy(float),
                       "draws": part[terms].to_numpy(float)})
    if not groups:
        return None
    level = float((cfg.get("importance") or {}).get("level", 0.95))
    taken = set()
    return {"attributes": [_coded(a, index, slug(a.name, taken)) for a in attrs],
            "terms": terms, "groups": groups, "level": level, "n_services": n_services,
            # position constants (asc[k]) are nuisance in a hypothetical set of named
            # services and are left out, as in dce.analysis.uptake.scenario_matrix
            "asc": [None] * n_services,
            "opt_out": index.get("asc[opt_out]")}


def _coded(a: Attribute, index: dict, html_id: str) -> dict:
    """One attribute's controls and coded contributions: per level a sparse vector over
    the terms (linear: value x the coefficient's column), or the unit column of a linear
    attribute without listed levels (the page multiplies it by the typed value)."""
    cols = [index[t] for t in a.terms]
    out = {"attr": a, "id": html_id}
    if a.levels is None:
        out.update(kind="number", unit=[[cols[0], 1.0]])
        return out
    M = a.level_matrix()
    out.update(kind="select", levels=list(a.level_labels),
               vectors=[[[c, float(v)] for c, v in zip(cols, row) if v != 0.0] for row in M])
    return out


def default_state(cfg: dict, model: dict) -> dict:
    """Starting controls: the config's scenarios (and its opt-out choice) when present;
    otherwise service k takes each attribute's k-th level (cycling) and two services are
    offered with the opt-out.

    Parameters
    ----------
    cfg : dict
        The resolved config; its ``scenarios`` (``alternatives``: ``name`` and
        ``levels``; ``opt_out``).
    model : dict
        As from :func:`model_of`.

    Returns
    -------
    dict
        ``values`` (per service, per attribute: the index of the scenario's level, else
        of the cycling one; for a linear attribute without levels the scenario's number,
        else 0), ``included`` (per service),
        ``origin`` (the scenario's name or None) and ``opt_out`` (offered; False when the
        model has no opt-out constant).
    """
    sc = cfg.get("scenarios") or {}
    alts = sc.get("alternatives") or []
    values, included, origin = [], [], []
    for k in range(model["n_services"]):
        alt = alts[k] if k < len(alts) else None
        row = []
        for a in model["attributes"]:
            attr = a["attr"]
            given = (alt or {}).get("levels", {}).get(attr.name) if alt else None
            if a["kind"] == "number":
                row.append(float(given) if given is not None else 0.0)
                continue
            i = int(attr.index_of([given])[0]) if given is not None else -1
            row.append(i if i >= 0 else k % attr.n_levels)
        values.append(row)
        included.append(k < len(alts) if alts else k < 2)
        origin.append(alt.get("name") if alt else None)
    opt_out = bool(sc.get("opt_out")) if alts else True
    return {"values": values, "included": included, "origin": origin,
            "opt_out": opt_out and model["opt_out"] is not None}


def scenario_rows(model: dict, state: dict) -> tuple[list[str], np.ndarray]:
    """(row keys, coded matrix) of the offered services (and the opt-out): the same rows
    as :func:`dce.analysis.uptake.scenario_matrix`.

    Parameters
    ----------
    model : dict
        As from :func:`model_of`.
    state : dict
        The controls, as from :func:`default_state`.

    Returns
    -------
    tuple of (list of str, numpy.ndarray)
        Keys ``"1"``, ``"2"``, ... of the included services and :data:`OPT_OUT` when the
        opt-out is offered; the matrix has one row per key and one column per term of
        ``model["terms"]`` (the opt-out row is its constant alone).
    """
    keys, rows = [], []
    for k, (vals, on) in enumerate(zip(state["values"], state["included"]), start=1):
        if not on:
            continue
        row = np.zeros(len(model["terms"]))
        for a, v in zip(model["attributes"], vals):
            pairs = a["unit"] if a["kind"] == "number" else a["vectors"][v]
            scale = v if a["kind"] == "number" else 1.0
            for c, coef in pairs:
                row[c] += scale * coef
        if model["asc"][k - 1] is not None:
            row[model["asc"][k - 1]] += 1.0
        keys.append(str(k))
        rows.append(row)
    if state["opt_out"]:
        row = np.zeros(len(model["terms"]))
        row[model["opt_out"]] = 1.0
        keys.append(OPT_OUT)
        rows.append(row)
    return keys, np.array(rows).reshape(len(rows), len(model["terms"]))


def _softmax(V: np.ndarray) -> np.ndarray:
    V = V - V.max(axis=-1, keepdims=True)
    E = np.exp(V)
    return E / E.sum(axis=-1, keepdims=True)


def predict(beta: np.ndarray, draws: np.ndarray, scenario: tuple, level: float) -> dict:
    """Choice shares of one group, as :func:`dce.analysis.uptake.predict` (and the page's script).

    Parameters
    ----------
    beta : numpy.ndarray
        Point estimates of the terms.
    draws : numpy.ndarray
        Coefficient draws, one row per draw.
    scenario : tuple
        (row keys, coded matrix) from :func:`scenario_rows`.
    level : float
        Interval level; bounds are numpy's default (linear) quantiles of the simulated
        shares.

    Returns
    -------
    dict
        Row key -> (share, lower, upper).
    """
    keys, S = scenario
    if not keys:
        return {}
    point = _softmax(S @ beta)
    sims = _softmax(draws @ S.T)
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a], axis=0)
    return {k: (float(p), float(low), float(high))
            for k, p, low, high in zip(keys, point, lo, hi)}


def _controls(model: dict, state: dict, labels) -> list[dict]:
    """One row per attribute: its label and, per service, a select (or number input)."""
    out = []
    for j, a in enumerate(model["attributes"]):
        attr = a["attr"]
        cells = []
        for k, vals in enumerate(state["values"], start=1):
            cell = {"id": f"sim-service-{k}-{a['id']}", "kind": a["kind"],
                    "label": f"Service {k}: {labels.attribute(attr.name)}"}
            if a["kind"] == "number":
                cell["value"] = level_text(vals[j])
            else:
                cell["options"] = [{"value": i, "label": lab, "selected": i == vals[j]}
                                   for i, lab in enumerate(a["levels"])]
            cells.append(cell)
        note = "type a value" if a["kind"] == "number" else ""
        out.append({"label": labels.attribute(attr.name), "index": j, "note": note,
                    "cells": cells})
    return out


def share_text(share: tuple | None) -> dict:
    """The cell of one share: 3 decimals for machines, a percent with interval for people.

    Parameters
    ----------
    share : tuple of float or None
        (share, lower, upper) from :func:`predict`; None for a service not offered.

    Returns
    -------
    dict
        ``share``, ``lower``, ``upper`` (3 decimals, "" when not offered) and ``text``
        ('26.4% (22.6 to 30.2)', or 'not offered').
    """
    if share is None:
        return {"share": "", "lower": "", "upper": "", "text": "not offered"}
    p, lo, hi = share
    return {"share": f"{p:.3f}", "lower": f"{lo:.3f}", "upper": f"{hi:.3f}",
            "text": f"{text.pct(p)}% ({text.pct(lo)} to {text.pct(hi)})"}


def _result_rows(model: dict, shares: dict, labels) -> list[dict]:
    """One row per service (and the opt-out), one cell per group, with stable ids."""
    keys = [str(k) for k in range(1, model["n_services"] + 1)]
    names = [f"Service {k}" for k in keys]
    if model["opt_out"] is not None:
        keys.append(OPT_OUT)
        names.append(opt_out_label(labels))
    rows = []
    for key, name in zip(keys, names):
        cells = []
        for g in model["groups"]:
            cell = share_text(shares[g["code"]].get(key))
            cell["id"] = f"sim-share-{g['id']}-{key}"
            cells.append(cell)
        rows.append({"key": key, "label": name, "cells": cells})
    return rows


def page_json(model: dict) -> str:
    """The data of the page's script, safe inside ``<script type="application/json">``:
    ``<``, ``>`` and ``&`` are written as JSON unicode escapes, so no ``</script>`` or
    ``<!--`` can appear.

    Parameters
    ----------
    model : dict
        As from :func:`model_of`.

    Returns
    -------
    str
        Compact ASCII JSON: ``level``, ``terms``, ``optOut`` (term index or null),
        ``asc``, ``services``, per attribute ``id``, ``kind`` and ``unit`` or
        ``vectors``, and per group ``id``, ``code``, ``beta`` and ``draws``.

    Raises
    ------
    ValueError
        When an estimate or draw is not finite (JSON has no NaN or infinity).
    """
    body = {
        "level": model["level"], "terms": model["terms"], "optOut": model["opt_out"],
        "asc": model["asc"], "services": model["n_services"],
        "attributes": [{"id": a["id"], "kind": a["kind"],
                        **({"unit": a["unit"]} if a["kind"] == "number"
                           else {"vectors": a["vectors"]})} for a in model["attributes"]],
        "groups": [{"id": g["id"], "code": g["code"], "beta": g["beta"].tolist(),
                    "draws": g["draws"].tolist()} for g in model["groups"]],
    }
    raw = json.dumps(body, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
