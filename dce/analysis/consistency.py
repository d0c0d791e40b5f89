"""How many repeated tasks a fitted model expects to be answered differently by chance.

Under a random utility model a respondent who sees the same choice set twice, with no
memory of the first answer, picks the same profile with probability sum_j p_j p'_j (p and
p' the choice probabilities of the profiles in the original and the repeated task; equal
unless position constants differ). The chance that a respondent answers at least one of
their repeats differently is one minus the product over their repeats. Averaged over the
respondents who saw a repeat, this is the share the model expects to be "inconsistent" by
chance alone, the yardstick for the observed share (a repeated task is a test of
attention only for the part of the inconsistency above it).

The probabilities are those of each group's conditional logit (the pooled model without
``model.by``). With preference heterogeneity an individual's probabilities are more
extreme than the population's, so the pooled expectation is an upper bound for the chance
inconsistency of a heterogeneous population (Jensen's inequality on sum_j p_j^2).

References
----------
Johnson, F. R. et al. (2013). Constructing experimental designs for discrete-choice
experiments: report of the ISPOR Conjoint Analysis Experimental Design Good Research
Practices Task Force. Value in Health 16(1), 3-13.
Tervonen, T. et al. (2018). Applying multiple criteria decision analysis to comparative
benefit-risk assessment. Value in Health 21(10), 1192-1197 (validity tasks in practice).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.core.coding import ChoiceData

KEYS = ["respondent", "block", "task"]


def _probabilities(cd: ChoiceData, beta: np.ndarray) -> np.ndarray:
    """Choice probabilities of every row (logit within each set)."""
    v = cd.X @ beta
    starts = cd.set_start[:-1]
    sets = np.repeat(np.arange(len(starts)), np.diff(cd.set_start))
    v = v - np.maximum.reduceat(v, starts)[sets]
    e = np.exp(v)
    return e / np.add.reduceat(e, starts)[sets]


def chance_inconsistency(responses: pd.DataFrame, fits, study) -> dict | None:
    """Expected share of respondents answering a repeated task differently by chance.

    Parameters
    ----------
    responses : pandas.DataFrame
        Long responses with the design's marks (``task_type``, ``repeat_of``), every row
        (validity tasks included).
    fits : sequence
        The fitted conditional logits (``group``, ``terms``, ``params``); the pooled one
        has group ``all``.
    study : dce.config.study.Study
        Attributes, constants, labels and interactions (as for the fit).

    Returns
    -------
    dict or None
        ``{"total": share, "groups": {group: share}, "model": text}`` (shares in [0, 1]
        of the respondents who saw a repeated task); None without marked repeats.
    """
    if "task_type" not in responses or not (responses["task_type"] == "repeat").any():
        return None
    by = {r.group: dict(zip(r.terms, np.asarray(r.params, dtype=float))) for r in fits}
    rep = responses[responses["task_type"] == "repeat"]
    wanted = rep[["respondent", "block", "repeat_of"]].drop_duplicates().rename(
        columns={"repeat_of": "task"})
    orig = responses.merge(wanted, on=KEYS)
    sub = pd.concat([orig, rep], ignore_index=True).sort_values(
        KEYS + ["alternative"], kind="stable").reset_index(drop=True)
    spec = study.spec
    cd = ChoiceData.from_frame(sub, study.attributes, group="group", block="block",
                               asc=study.constants, labels=study.alternative_labels,
                               interactions=spec.model.interactions)
    p = np.empty(len(sub))
    groups = np.repeat(cd.group, np.diff(cd.set_start))
    for g in pd.unique(groups):
        params = by.get(g, by.get("all", {}))
        beta = np.array([params.get(t, 0.0) for t in cd.terms])
        rows = groups == g
        p[rows] = _probabilities(cd, beta)[rows]
    names = [a.name for a in study.attributes]
    # observed opt-out rows (and labelled cells that do not apply) are empty: NaN after reading
    cells = sub[names].astype(object).where(sub[names].notna(), "").astype(str)
    profile = cells[names[0]]
    for name in names[1:]:  # column by column: a row-wise join is a Python loop over rows
        profile = profile + "\x1f" + cells[name]
    sub["profile"] = profile
    sub["p"] = p
    first = sub[sub["task_type"] != "repeat"][KEYS + ["profile", "p"]]
    again = sub[sub["task_type"] == "repeat"][KEYS + ["repeat_of", "profile", "p", "group"]]
    pairs = again.merge(first.rename(columns={"task": "repeat_of", "p": "p_first"}),
                        on=["respondent", "block", "repeat_of", "profile"])
    pairs["same"] = pairs["p"] * pairs["p_first"]
    same = pairs.groupby(KEYS + ["group"], sort=False)["same"].sum().reset_index()
    per = same.groupby(["respondent", "group"], sort=False)["same"].prod().reset_index()
    per["inconsistent"] = 1.0 - per["same"]
    return {"total": float(per["inconsistent"].mean()),
            "groups": {str(g): float(v) for g, v in
                       per.groupby("group", sort=False)["inconsistent"].mean().items()},
            "model": "conditional logit of each group" if spec.model.by
            else "pooled conditional logit"}
