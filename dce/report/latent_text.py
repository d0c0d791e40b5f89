"""The latent class section of the report: model selection, segments and their sentences.

Reads the latent class tables of a run (class_selection.csv, class_shares.csv,
class_importance.csv, class_estimates.csv, classes.csv; :mod:`dce.run.latent`) and returns
plain rows and sentences for both templates. The sentences follow fixed rules (docs/report.md,
"Latent class segments"):

- **Selection**: each criterion (BIC, CAIC, AIC3) is said to favour the class count with
  its smallest value; when they disagree the sentence names each, and says which one the
  config uses.
- **Differences between segments**: an attribute is said to take a larger share of
  importance in one segment than in another only when the two segments' importance
  intervals do not overlap (a statement about shares, which are compositional); otherwise
  nothing is claimed about it; segments below :data:`MIN_SHARE` are left out. In an item study (best-worst, ranking;
  :mod:`dce.run.latent_items`) the same rule applies to the items' shares of preference: an
  item is said to have a larger share of preference in one segment than in another only when the two share
  intervals do not overlap.
- **Starts**: a share of starts reaching the best log-likelihood below
  :data:`dce.models.latent_class.LOW_SHARE` is reported as a warning.
- **Profile**: for the pooled model, the mean posterior probability of each segment among
  the respondents of each group (descriptive, not a test).
"""

from __future__ import annotations

import pandas as pd

from dce.models.latent_class import LOW_SHARE
from dce.report import text
from dce.report.labels import POOLED, Labels

__all__ = ["CRITERIA", "latent_section", "segment_differences", "selection_sentence"]

CRITERIA = (("bic", "BIC"), ("caic", "CAIC"), ("aic3", "AIC3"))
NARROW = 2.0  # a criterion ahead of the next class count by less than this is "narrow"
MIN_SHARE = 0.05  # segments below this share of respondents get no difference sentences


def selection_sentence(sel: pd.DataFrame) -> str:
    """Which class count each criterion favours, for one group's class_selection rows.

    Parameters
    ----------
    sel : pandas.DataFrame
        Rows of class_selection.csv of one group (``classes``, ``bic``, ``caic``, ``aic3``,
        ``criterion``, ``chosen``).

    Returns
    -------
    str
        "" for a single class count.
    """
    if len(sel) < 2:
        return ""
    best = {name: int(sel.loc[sel[key].idxmin(), "classes"]) for key, name in CRITERIA}
    narrow = [f"{name} by {text.num(gap, 2)}" for key, name in CRITERIA
              if (gap := float(sel[key].nsmallest(2).diff().iloc[-1])) < NARROW]
    chosen = int(sel.loc[sel["chosen"].astype(str).str.lower() == "true", "classes"].iloc[0])
    used = str(sel["criterion"].iloc[0]).upper()
    counts = set(best.values())
    if len(counts) == 1:
        head = f"BIC, CAIC and AIC3 all favour {chosen} class{'es' * (chosen > 1)}"
    else:
        head = ("The criteria disagree: " +
                text.and_list([f"{n} favours {c}" for n, c in best.items()]))
    if narrow:
        head += (f" (only narrowly: {text.and_list(narrow)}, less than {NARROW:g} points ahead "
                 "of the next count)")
    same_n = (" These criteria count respondents as the sample size, so the 1-class row's "
              "BIC differs from the model-fit table's, which counts choice sets."
              if (sel["classes"].astype(int) == 1).any() else "")
    return f"{head}; the model with {chosen} class{'es' * (chosen > 1)} (smallest {used}) " \
           "is reported." + same_n


def segment_differences(imp: pd.DataFrame, labels: Labels, level: str,
                        items: bool = False, small: dict | None = None) -> list[str]:
    """Sentences on attributes whose importance (items whose share of preference) differs
    between two segments of one model: only where their intervals do not overlap (module
    docstring).

    Parameters
    ----------
    imp : pandas.DataFrame
        class_importance.csv rows of one group (``class``, ``attribute``, ``importance``,
        ``ci_lower``, ``ci_upper``).
    labels : dce.report.labels.Labels
    level : str
        The interval level as text (e.g. "95%").
    items : bool
        Item wording: shares of preference of items ("has a larger share of preference in
        segment 1 than in segment 2") instead of attribute importance ("takes a larger share
        of importance in segment 1").
    small : dict or None
        Segment code -> share, for segments below :data:`MIN_SHARE`: left out of the
        comparisons, with one sentence saying so.

    Returns
    -------
    list of str
        One sentence per pair of segments; a pair with no separated attribute (item) gets
        a sentence saying so.
    """
    small = small or {}
    classes = [c for c in dict.fromkeys(imp["class"]) if c not in small]
    out = [f"{text.capital(_segment(c))} holds {text.pct(v)}% of the respondents, too few to "
           f"compare with the other segments (below {text.pct(MIN_SHARE)}%)."
           for c, v in small.items()]
    for i, a in enumerate(classes):
        for b in classes[i + 1:]:
            ra = imp[imp["class"] == a].set_index("attribute")
            rb = imp[imp["class"] == b].set_index("attribute")
            more_a, more_b = [], []
            for attr in ra.index.intersection(rb.index):
                x, y = ra.loc[attr], rb.loc[attr]
                if x["ci_lower"] > y["ci_upper"]:
                    more_a.append(_pair_text(attr, x, y, labels))
                elif y["ci_lower"] > x["ci_upper"]:
                    more_b.append(_pair_text(attr, y, x, labels))
            na, nb = _segment(a), _segment(b)
            if not more_a and not more_b:
                what = "item's {} share-of-preference" if items else "attribute's {} importance"
                out.append(f"No {what.format(level)} interval separates {na} from "
                           f"{nb}; their differences may be chance.")
                continue
            if items:
                out.append(_item_sentence(more_a, more_b, na, nb, level))
                continue
            parts = []
            if more_a:
                parts.append(f"{text.and_list(more_a)} take{'s' * (len(more_a) == 1)} a larger "
                             f"share of importance in {na} than in {nb}")
            if more_b:
                parts.append(f"{text.and_list(more_b)} take{'s' * (len(more_b) == 1)} a larger "
                             f"share of importance in {nb} than in {na}")
            out.append(text.capital("; ".join(parts)) + f" (importance shares, {level} "
                       "intervals that do not overlap; shares are relative to the other "
                       "attributes within a segment, so this is not a claim of more weight "
                       "in absolute terms).")
    return out


def _item_sentence(more_a: list, more_b: list, na: str, nb: str, level: str) -> str:
    """The item wording of a pair of segments with separated shares of preference."""
    parts = []
    for more, x, y in ((more_a, na, nb), (more_b, nb, na)):
        if more:
            verb = "has" if len(more) == 1 else "have"
            parts.append(f"{text.and_list(more)} {verb} a larger share of preference in {x} "
                         f"than in {y}")
    return text.capital("; ".join(parts)) + f" (shares of preference, {level} intervals " \
        "that do not overlap)."


def _pair_text(attr, hi, lo, labels: Labels) -> str:
    return (f"{labels.attribute_lower(attr)} ({text.pct(hi['importance'])}% vs "
            f"{text.pct(lo['importance'])}%)")


def _segment(code: str) -> str:
    return f"segment {code.removeprefix('class')}"


def latent_section(run: dict, labels: Labels, level: float) -> dict | None:
    """The context of the report's latent class section, or None without latent classes.

    Parameters
    ----------
    run : dict
        Tables of a run folder (:func:`dce.report.read_run`).
    labels : dce.report.labels.Labels
    level : float
        Interval level.

    Returns
    -------
    dict or None
        ``groups``: one entry per fitted group (pooled last) with ``label``,
        ``selection`` (rows), ``selection_sentence``, ``segments`` (rows: segment, share,
        interval, top attributes, profile), ``differences`` (sentences), ``starts_note``;
        ``note`` (where the group tables come from); ``top_header``, ``figure_alt`` and
        ``figure_what`` (the wording of the segment table and figure: attributes, or items
        in an item study).
    """
    sel_all = run.get("class_selection")
    if sel_all is None or sel_all.empty:
        return None
    lvl = text.level_pct(level)
    groups = []
    for g in dict.fromkeys(sel_all["group"].astype(str)):
        groups.append(_group_entry(run, g, labels, lvl))
    if labels.is_items:
        return {"groups": groups, "level": lvl, "top_header": "Most preferred items",
                "figure_alt": "Share of preference by latent class segment",
                "figure_what": "Share of preference of each item",
                "note": "The group tables of this report (shares of preference, relative "
                        "utilities, comparisons) come from the item model of each group; the segments "
                        "below come from the latent class model, fitted to the same "
                        "responses: each segment has its own item utilities (the reference "
                        "item at 0)."}
    return {"groups": groups, "level": lvl, "top_header": "Most important attributes",
            "figure_alt": "Attribute importance by latent class segment",
            "figure_what": "Attribute importance",
            "note": "The group tables of this report (importance, trade-offs, comparisons) "
                    "come from the conditional logit of each group; the segments below come from the "
                    "latent class model, fitted to the same responses."}


def _group_entry(run: dict, g: str, labels: Labels, lvl: str) -> dict:
    sel = run["class_selection"][run["class_selection"]["group"].astype(str) == g]
    chosen = sel[sel["chosen"].astype(str).str.lower() == "true"].iloc[0]
    rows = [{"classes": int(r["classes"]), "loglik": text.num(r["log_likelihood"], 1),
             "n_params": int(r["n_parameters"]), "bic": text.num(r["bic"], 1),
             "caic": text.num(r["caic"], 1), "aic3": text.num(r["aic3"], 1),
             "starts": (f"{int(r['starts_at_best'])} of {int(r['n_starts'])}"
                        if str(r["converged"]).lower() == "true" else
                        f"not converged ({int(r['starts_at_best'])} of {int(r['n_starts'])} "
                        "at its best, not an optimum)"),
             "chosen": str(r["chosen"]).lower() == "true"} for _, r in sel.iterrows()]
    shares = run["class_shares"]
    shares = shares[(shares["group"].astype(str) == g)
                    & shares["class"].astype(str).str.startswith("class")]
    imp = run.get("class_importance")
    imp = imp[imp["group"].astype(str) == g] if imp is not None else pd.DataFrame()
    profile = _profile(run.get("classes"), g, labels) if g == POOLED else {}
    members = _membership(run.get("class_estimates"), g, labels)
    segments = []
    for _, r in shares.iterrows():
        c = str(r["class"])
        top = text.top_attributes(imp.rename(columns={"group": "_g", "class": "group"}), c)
        segments.append({
            "segment": c.removeprefix("class"), "share": text.pct(r["share"]),
            "ci": f"{text.pct(max(r['ci_lower'], 0))} to {text.pct(min(r['ci_upper'], 1))}",
            "top": ", ".join(labels.attribute(a) for a in top),
            "profile": profile.get(c, "") or members.get(c, "")})
    share_best = float(chosen["share_at_best"])
    starts_note = ""
    if int(chosen["n_starts"]) > 1 and share_best < LOW_SHARE:
        starts_note = (f"Only {int(chosen['starts_at_best'])} of {int(chosen['n_starts'])} "
                       "starts reached the best log-likelihood of the reported model; more "
                       "starts (model.starts) may find a better optimum.")
    n_classes = int(chosen["classes"])
    return {"label": labels.group(g), "code": g, "selection": rows if len(rows) > 1 else [],
            "selection_sentence": selection_sentence(sel), "segments": segments,
            "classes": n_classes,
            "differences": (segment_differences(
                imp, labels, lvl, labels.is_items,
                {str(r["class"]): float(r["share"]) for _, r in shares.iterrows()
                 if float(r["share"]) < MIN_SHARE}) if n_classes > 1 else []),
            "starts_note": starts_note}


def _profile(post: pd.DataFrame | None, g: str, labels: Labels) -> dict:
    """Segment -> "group a 62%, group b 40%": the mean posterior probability of the segment
    among each respondent group's respondents (pooled model)."""
    if post is None:
        return {}
    part = post[post["group"].astype(str) == g]
    if part["respondent_group"].nunique() < 2:
        return {}
    cols = [c for c in part.columns if c.startswith("class") and c != "class"
            and part[c].notna().any()]
    means = part.groupby("respondent_group", sort=False)[cols].mean()
    return {c: "; ".join(f"{labels.group(k)} {text.pct(v, 0)}%" for k, v in means[c].items())
            for c in cols}


def _membership(est: pd.DataFrame | None, g: str, labels: Labels) -> dict:
    """Segment -> "membership: age[old] +0.52 (p = 0.01)": membership-logit estimates
    (segment 1 is the reference)."""
    if est is None:
        return {}
    part = est[(est["group"].astype(str) == g)
               & est["term"].astype(str).str.startswith("membership[")
               & (est["term"].astype(str) != "membership[const]")]
    out: dict = {}
    for _, r in part.iterrows():
        name = str(r["term"])[len("membership["):-1]
        out.setdefault(str(r["class"]), []).append(
            f"{name} {float(r['estimate']):+.2f} ({text.p_text(r['p_value'])})")
    return {c: "membership logit vs segment 1: " + ", ".join(v) for c, v in out.items()}


def methods_paragraph(cfg: dict) -> str:
    """The methods paragraph of a latent class run ("" for other model types).

    Parameters
    ----------
    cfg : dict
        The resolved config (its ``model``).

    Returns
    -------
    str
        Names the model (latent class conditional logit, Bhat 1997; scale-adjusted, Magidson
        and Vermunt 2007), the class counts and criterion, the membership covariates, the
        starts, EM (Train 2008; Pacifico and Yoo 2013) with the Newton polish, and that the
        group tables stay the conditional logit's (in an item study: each segment is the
        item model with its own item utilities, its shares of preference per segment, and
        the group tables stay the item model's).
    """
    m = cfg.get("model") or {}
    if m.get("type") != "latent_class":
        return ""
    classes = m.get("classes", 2)
    if isinstance(classes, list):
        counts = (f"{classes[0]} to {classes[1]} classes, the number chosen by the smallest "
                  f"{str(m.get('class_criterion', 'bic')).upper()} (BIC, CAIC and AIC3 with "
                  "the number of respondents as the sample size are all reported)")
    else:
        counts = f"{classes} class{'es' * (classes != 1)}"
    items = cfg.get("type") in ("best-worst", "ranking")
    kind = "a latent class conditional logit (Bhat 1997)"
    if items:
        kind = ("a latent class version of the item model (Bhat 1997), each class with its "
                "own item utilities and the reference item at 0 in every class")
    if int(m.get("scale_classes", 1)) > 1:
        kind = (f"a scale-adjusted latent class logit with {m['scale_classes']} scale classes "
                "crossed with the preference classes (Magidson and Vermunt 2007)")
    members = m.get("membership") or []
    shares = (f"class membership a multinomial logit of {', '.join(members)}" if members
              else "constant class shares")
    return (f"Segments: {kind}, with {counts} and {shares}; a respondent belongs to one class "
            f"for all their choices. Each model was estimated from {m.get('starts', 20)} "
            "seeded random starts by the EM algorithm (Train 2008; Pacifico and Yoo 2013) "
            "followed by a Newton polish on the analytic gradient and Hessian; the best "
            "log-likelihood is kept and the share of starts that reached it is reported. "
            "Classes are ordered by share; standard errors are cluster-robust by respondent. "
            + (_items_tail(cfg) if items else
               "Importance per segment uses Krinsky-Robb draws from the segment's "
               "coefficients. The group tables come from the conditional logit of each "
               "group."))


def _items_tail(cfg: dict) -> str:
    """The methods paragraph's end for an item study: how the segments' shares of
    preference get their intervals, and where the group tables come from."""
    delta = (cfg.get("importance") or {}).get("intervals") == "delta"
    how = "the delta method" if delta else "Krinsky-Robb draws from the segment's utilities"
    return (f"Shares of preference per segment have intervals from {how}. The group tables "
            "come from the item model of each group.")


def figure_steps(run: dict, section: dict | None, labels: Labels, level: float) -> list:
    """The class importance figure of the report, as ``[("classes", make)]``: importance by
    segment of the pooled model (else of the first group) with two segments or more; [] when
    no model has two.

    Parameters
    ----------
    run : dict
        Tables of a run folder (class_importance.csv).
    section : dict or None
        :func:`latent_section`'s context (its ``figure_group`` is set here).
    labels : dce.report.labels.Labels
    level : float

    Returns
    -------
    list of (str, callable)
    """
    from dce.report import figures

    if not section:
        return []
    multi = [e for e in section["groups"] if e["classes"] > 1]
    if not multi:
        return []
    entry = next((e for e in multi if e["code"] == POOLED), multi[0])
    section["figure_group"] = entry["label"]
    imp = run["class_importance"]
    imp = imp[imp["group"].astype(str) == entry["code"]]
    first = imp[imp["class"] == imp["class"].iloc[0]].sort_values(["rank", "attribute"])
    order = list(first["attribute"])
    what = "Share of preference" if labels.is_items else "Attribute importance"
    title = f"{what} by segment: {entry['label']}"
    return [("classes", lambda: figures.class_importance_chart(imp, labels, level, order,
                                                               title))]
