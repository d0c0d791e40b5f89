"""Check a report's comparison sentences against the simulated truth of its config.

From the config's ``simulate`` section (utilities, scale, opt-out constant per group) this
computes what is true: each group's trade-offs (utility change of a level against its
attribute's reference level, divided by minus the numeraire's coefficient), the ranks of
attribute-range importance, whether two groups' utilities are proportional, and their
relative scale. Then it reads the sentences the report actually renders (the context of
both templates) and lists every claim that contradicts the truth, and every true scale
statement that is missing.
"""

from __future__ import annotations

import numpy as np

from dce.report import read_run
from dce.report.context import build
from dce.report.labels import Labels


def truth(cfg: dict, anchor: str | None = None) -> dict:
    """Per group: {'mrs': {term: value}, 'rank': {attribute: rank}, 'utilities': vector,
    'scale': float, 'opt_out': float}. Item studies: 'mrs' holds the utilities relative
    to the anchor item (both from the reference item)."""
    if cfg.get("items"):
        return _item_truth(cfg, anchor)
    attrs = cfg["attributes"]
    denom = (cfg.get("tradeoffs") or {}).get("denominator")
    out = {}
    for g, spec in cfg["simulate"]["groups"].items():
        u = spec["utilities"]
        changes, ranges, vec = {}, {}, []
        for name, a in attrs.items():
            if (a.get("coding") == "linear"):
                lv = [float(x) for x in a["levels"]]
                ranges[name] = abs(u[name]) * (max(lv) - min(lv))
                vec.append(u[name])
                continue
            ref = a.get("reference") or a["levels"][0]
            vals = {str(k): float(v) for k, v in u[name].items()}
            ranges[name] = max(vals.values()) - min(vals.values())
            for level in a["levels"]:
                if str(level) != str(ref):
                    changes[f"{name}[{level}]"] = vals[str(level)] - vals[str(ref)]
                    vec.append(vals[str(level)] - vals[str(ref)])
        mrs = {t: -d / u[denom] for t, d in changes.items()} if denom else {}
        if denom:
            mrs.update({n: -u[n] / u[denom] for n, a in attrs.items()
                        if a.get("coding") == "linear" and n != denom})
        order = sorted(ranges, key=lambda k: -ranges[k])
        out[g] = {"mrs": mrs, "range": ranges,
                  "rank": {k: order.index(k) + 1 for k in order},
                  "utilities": np.array(vec), "scale": float(spec.get("scale", 1.0)),
                  "opt_out": float(u.get("opt_out", 0.0))}
    return out


def _item_truth(cfg: dict, anchor: str) -> dict:
    names = list(cfg["items"])
    ref = (cfg.get("model") or {}).get("reference_item") or names[-1]
    out = {}
    for g, spec in cfg["simulate"]["groups"].items():
        u = {n: float(spec["utilities"].get(n, 0.0)) for n in names}
        v = {n: u[n] - u[ref] for n in names}
        order = sorted(names, key=lambda k: -v[k])
        out[g] = {"mrs": {n: v[n] / v[anchor] for n in names if n not in (ref, anchor)},
                  "rank": {k: order.index(k) + 1 for k in order},
                  "utilities": np.array([v[n] for n in names if n != ref]),
                  "scale": float(spec.get("scale", 1.0)), "opt_out": 0.0}
    return out


def proportional(ua: np.ndarray, ub: np.ndarray, tol: float = 1e-9) -> bool:
    """True when ub = c * ua for some c > 0."""
    c = float(ua @ ub / (ua @ ua))
    return c > 0 and np.allclose(ub, c * ua, atol=tol)


def rendered(run_dir) -> tuple[dict, Labels, list]:
    run = read_run(run_dir)
    ctx, _ = build(run)
    groups = list(dict.fromkeys(run["importance"]["group"]))
    return run, Labels(run["config"], groups), ctx["comparison"]


def false_claims(run_dir, *, tie: float = 1e-9) -> tuple[list[str], dict]:
    """Claims of the report that contradict the truth; also returns the claims made, per
    pair, as {'weight': [(term, more)], 'rank': [(attr, higher)], 'scale': [less],
    'differ': bool} for tests that check the truth is said."""
    run, labels, pairs = rendered(run_dir)
    rel = run.get("relative_utilities")
    t = truth(run["config"], None if rel is None else str(rel["denominator"].iloc[0]))
    change = labels.attribute_lower if labels.is_items else labels.change_text_lower
    codes = {labels.group_lower(g): g for g in t}
    terms = list(next(iter(t.values()))["mrs"])
    bad, made = [], {}
    for pair in pairs:
        a, b = _pair_codes(pair["title"], labels, t)
        claims = {"weight": [], "rank": [], "scale": [], "differ": False}
        for s in pair["weight"]:
            term = next(x for x in sorted(terms, key=len, reverse=True)
                        if change(x) in s)
            key = ("carries more weight for " if "carries more weight for " in s
                   else "is avoided more strongly by ")
            more = codes[s.split(key, 1)[1].split(" than ")[0]]
            less = b if more == a else a
            claims["weight"].append((term, more))
            if not abs(t[more]["mrs"][term]) > abs(t[less]["mrs"][term]) + tie:
                bad.append(f"{a}/{b}: {term} said to weigh more for {more}: {s}")
        for s in pair["ranks"]:
            attr = next(n for n in labels.attributes
                        if s.lower().startswith(labels.attribute_lower(n).lower()))
            higher = codes[s.split("placed higher in the ordering of ", 1)[1].split(" (")[0]]
            lower = b if higher == a else a
            claims["rank"].append((attr, higher))
            if not t[higher]["rank"][attr] < t[lower]["rank"][attr]:
                bad.append(f"{a}/{b}: {attr} said to rank higher for {higher}: {s}")
        for s in pair["scale"]:
            if s.startswith("Preferences differ"):
                claims["differ"] = True
                if proportional(t[a]["utilities"], t[b]["utilities"]):
                    bad.append(f"{a}/{b}: preferences said to differ: {s}")
            if s.startswith("The choices of "):
                less = codes[s.removeprefix("The choices of ").split(" are less")[0]]
                claims["scale"].append(less)
                other = b if less == a else a
                if not t[less]["scale"] < t[other]["scale"]:
                    bad.append(f"{a}/{b}: {less} said to choose less consistently: {s}")
        made[(a, b)] = claims
    return bad, made


def _pair_codes(title: str, labels: Labels, t: dict) -> tuple[str, str]:
    for a in t:
        for b in t:
            if a != b and title == f"{labels.group(a)} and {labels.group_lower(b)}":
                return a, b
    raise AssertionError(f"pair title not understood: {title}")
