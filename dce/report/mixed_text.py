"""The report's heterogeneity section of a mixed logit: a table per group and sentences
from heterogeneity.csv, by the rules H1-H5 of docs/report.md.

Each row of heterogeneity.csv is a utility difference (a level against its attribute's
reference level, one unit more of a numeric attribute, or another random term) with its
population mean and SD and the share of respondents for whom it is positive. Rows exist
only for differences that involve a random term, so nothing is ever said about the spread
of a fixed term.
"""

from __future__ import annotations

import pandas as pd

from dce.report.labels import POOLED, Labels
from dce.report.text import level_pct, missing, num, pct

DISTRIBUTIONS = {"normal": "normal", "lognormal": "lognormal", "triangular": "triangular"}


def _change(r, labels: Labels) -> str:
    """The difference a row describes, in words (as the trade-off table names it)."""
    return labels.change_text_lower(str(r["term"]))


def _prefer(r, labels: Labels, positive: bool) -> str:
    """'prefer <attribute> (<level> rather than <reference>)' (or the reverse); for a
    per-unit term 'prefer more <name>' or 'less'; for another term 'have a positive
    (negative) utility of <term>'."""
    term = str(r["term"])
    level, ref = r["level"], r["reference"]
    if not missing(level) and str(level) != "" and not missing(ref):
        if positive:
            return f"prefer {labels.change_text_lower(term)}"
        _, label = labels.split_label(term)
        where = f", {label}" if label is not None else ""
        return (f"prefer {labels.attribute_lower(str(r['attribute']))} ({_lower(ref)} rather "
                f"than {_lower(level)}{where})")
    if term in labels.attributes and not labels.is_items:
        name, _ = labels.name_and_unit(term)
        return f"prefer {'more' if positive else 'less'} {name}"
    sign = "positive" if positive else "negative"
    return f"have a {sign} utility of {labels.term_text_lower(term)}"


def _lower(text) -> str:
    text = str(text)
    return text if len(text) > 1 and text[:2].isupper() else text[:1].lower() + text[1:]


def _share(x) -> str:
    """A share as a whole percentage; '>99%' and '<1%' where rounding would say 100% or
    0% of a share that is not exactly 1 or 0."""
    x = float(x)
    if 0.995 <= x < 1:
        return ">99%"
    if 0 < x < 0.005:
        return "<1%"
    return f"{pct(x, 0)}%"


def _interval(lo, hi, digits=2, percent=False) -> str:
    if percent:
        return f"{_share(lo)} to {_share(hi)}"
    return f"{num(lo, digits)} to {num(hi, digits)}"


def row_sentences(r, labels: Labels, level: float) -> list[str]:
    """The sentences of one row of heterogeneity.csv (rules H1-H5, docs/report.md).

    Parameters
    ----------
    r : mapping
        A row: ``term, attribute, level, reference, distribution, sd, sd_ci_lower,
        sd_ci_upper, share_preferring, share_ci_lower, share_ci_upper``.
    labels : dce.report.labels.Labels
    level : float
        The interval level.

    Returns
    -------
    list of str
        H1 "Respondents differ in how they value ..." when the SD's interval lies above 0,
        else H2 "The data do not show that respondents differ ..."; then H3 "Most
        respondents ... prefer ..." when the share's interval lies above 50% (or below:
        the reverse), H4 "Opinions are divided ..." when it includes 50% and H1 holds,
        H5 for a lognormal term alone (the sign is fixed by the model, not a finding).
        Nothing about the share when its interval includes 50% and H1 does not hold.
    """
    lv = level_pct(level)
    change = _change(r, labels)
    sd_lo, share = float(r["sd_ci_lower"]), float(r["share_preferring"])
    s_lo, s_hi = float(r["share_ci_lower"]), float(r["share_ci_upper"])
    differ = sd_lo > 0
    out = []
    sd_text = (f"standard deviation {num(r['sd'])}, {lv} interval "
               f"{_interval(max(sd_lo, 0.0), r['sd_ci_upper'])}")
    if differ:
        out.append(f"Respondents differ in how they value {change}: {sd_text}.")
    else:
        out.append(f"The data do not show that respondents differ in how they value {change}: "
                   f"{sd_text}, which includes 0.")
    if str(r["distribution"]) == "lognormal" and s_lo == s_hi and share in (0.0, 1.0):
        out.append(f"The lognormal distribution gives {change} the same sign for every "
                   f"respondent: that all respondents {_prefer(r, labels, share == 1.0)} "
                   "is an assumption of the model, not a finding.")
        return out
    interval = f"{lv} interval {_interval(s_lo, s_hi, percent=True)}"
    if s_lo > 0.5:
        out.append(f"Most respondents ({_share(share)}, {interval}) "
                   f"{_prefer(r, labels, True)}.")
    elif s_hi < 0.5:
        out.append(f"Most respondents ({_share(1 - share)}, {lv} interval "
                   f"{_interval(1 - s_hi, 1 - s_lo, percent=True)}) "
                   f"{_prefer(r, labels, False)}.")
    elif differ:
        out.append(f"Opinions are divided on {change}: about {_share(share)} of respondents "
                   f"prefer it ({interval}, which includes 50%) and the rest the opposite.")
    return out


def section(het: pd.DataFrame | None, labels: Labels, level: float) -> dict | None:
    """The heterogeneity section: per group, a table and the sentences of its rows.

    Parameters
    ----------
    het : pandas.DataFrame or None
        heterogeneity.csv (columns of :data:`dce.analysis.mixed_heterogeneity.COLUMNS`).
    labels : dce.report.labels.Labels
    level : float
        The interval level.

    Returns
    -------
    dict or None
        ``intro`` (str), ``groups`` (list of ``{"label", "rows", "sentences"}``; each row
        ``change, distribution, mean, sd, share`` as text); None without rows (every
        conditional-logit run).
    """
    if het is None or het.empty:
        return None
    lv = level_pct(level)
    groups = list(dict.fromkeys(het["group"]))
    if len(groups) > 1 and POOLED in groups:  # the pooled model last, as elsewhere
        groups = [g for g in groups if g != POOLED] + [POOLED]
    out = []
    for g in groups:
        part = het[het["group"] == g]
        rows, sentences = [], []
        for _, r in part.iterrows():
            rows.append({
                "change": labels.change_text(str(r["term"])),
                "distribution": DISTRIBUTIONS.get(str(r["distribution"]),
                                                  str(r["distribution"])),
                "mean": f"{num(r['mean'])} ({_interval(r['mean_ci_lower'], r['mean_ci_upper'])})",
                "sd": f"{num(r['sd'])} "  # an SD is not negative: print its interval from 0
                      f"({_interval(max(float(r['sd_ci_lower']), 0.0), r['sd_ci_upper'])})",
                "share": f"{_share(r['share_preferring'])} "
                         f"({_interval(r['share_ci_lower'], r['share_ci_upper'], percent=True)})"})
            sentences.extend(row_sentences(r, labels, level))
        out.append({"label": labels.group(g), "rows": rows, "sentences": sentences})
    intro = (
        "In a mixed logit each respondent has utilities of their own. For every change that "
        "involves a random term (a level against its attribute's reference level, or one "
        "unit more of a numeric attribute), the table gives the mean and standard deviation "
        "of its utility across respondents (utility units, delta-method "
        f"{lv} intervals) and the share of respondents for whom it is positive, who "
        f"prefer the change ({lv} Krinsky-Robb interval). Changes that involve only fixed "
        "terms have no spread in the model and are not listed. Each respondent's own "
        "estimates (conditional means, which are shrunk towards the population mean) are in "
        "individual.csv; the numbers below are in heterogeneity.csv.")
    return {"intro": intro, "groups": out}


def methods_text(cfg: dict) -> str:
    """The methods paragraph on heterogeneity of a mixed logit ("" for other models).

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``model`` and ``importance``).

    Returns
    -------
    str
        One paragraph starting "Heterogeneity:": the population mean, SD and share
        preferring of each change involving a random term, and the individual conditional
        means (Revelt and Train 2000) with their caveat (shrinkage toward the population
        mean; not the respondents' true coefficients).
    """
    m = cfg.get("model") or {}
    if m.get("type") != "mixed_logit":
        return ""
    imp = cfg.get("importance") or {}
    return (
        "Heterogeneity: for each change that involves a random term (a level against its "
        "attribute's reference level, or one unit more of a numeric attribute), the mean and "
        "standard deviation of its utility across respondents (delta-method intervals) and "
        "the share of respondents for whom it is positive (closed form where the "
        "distribution allows, otherwise simulated individuals; percentile intervals over "
        f"{imp.get('draws', 2000)} Krinsky-Robb draws of the estimates) are reported. "
        "Individual-level conditional means of the random coefficients (Revelt and Train "
        "2000), the average of the estimation draws weighted by the probability of each "
        "respondent's observed choices, are given in individual.csv; they are not the "
        "respondents' true coefficients: with a limited number of tasks they are shrunk "
        "toward the population mean and vary less across respondents than the estimated "
        "population distribution (Train 2009, ch. 11).")
