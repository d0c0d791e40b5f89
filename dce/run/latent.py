"""The latent class stage of an attribute study (``model.type: latent_class``).

The conditional logits of :func:`dce.run.fit.attribute_stages` stay the group models (the
source of estimates.csv, importance.csv, the trade-offs, comparisons, scale tests,
bootstrap and uptake); this stage adds, for every group of ``model.by`` and the pooled model
``all``, a latent class logit (:mod:`dce.models.latent_class`; scale-adjusted with
``model.scale_classes > 1``) and its tables:

- ``class_selection.csv``: one row per class count fitted (all of ``model.classes`` when it
  is a range), with every criterion and the chosen count marked;
- ``class_estimates.csv``: the chosen model's coefficients by class, membership terms too;
- ``class_shares.csv``: class shares with intervals (and scale classes);
- ``classes.csv``: posterior class probabilities and the modal class per respondent;
- ``class_importance.csv``: attribute importance and rank by class (Krinsky-Robb draws
  from the class's block of the covariance);
- ``class_tradeoffs.csv``: rates of substitution by class, when the config has a
  trade-off denominator.

Seeds: the starts of group ``i`` (in fit order, pooled last) use
``seed_sequence(seed, "latent_class", i)``; the Krinsky-Robb draws of class ``c`` of group
``i`` the ``importance`` stream with sub-indices ``(3000 + i, c)``.
"""

from __future__ import annotations

import warnings

import pandas as pd

from dce.analysis import importance
from dce.analysis import wtp as tradeoffs
from dce.config.checks import denominator_of
from dce.config.latent_checks import class_counts
from dce.core.random import rng as make_rng
from dce.core.random import seed_sequence
from dce.models.latent_class import membership_frame
from dce.models.latent_class_select import (
    SELECTION_COLUMNS,
    ClassSelection,
    choose,
    fit_counts,
    selection_row,
)
from dce.run.stages import Run, timed

__all__ = ["SELECTION_COLUMNS", "fit_group", "latent_classes", "membership_frame",
           "segment_tables", "selection_row"]


def latent_classes(run: Run, targets: list, responses: pd.DataFrame, ranges: dict) -> None:
    """Fit the latent class models of ``model.type: latent_class`` and add their tables to
    ``run.tables`` and the fits to ``run.latent`` (nothing for other model types).

    Parameters
    ----------
    run : dce.run.stages.Run
        The run being filled (its study, jobs and notes).
    targets : list of (str, ChoiceData)
        The groups fitted, pooled ``all`` last (as the conditional logits).
    responses : pandas.DataFrame
        The responses fitted (for the membership covariates and respondents' groups).
    ranges : dict
        Numeric attribute -> (min, max) of its tested values (importance of linear terms).

    Raises
    ------
    dce.errors.DataError
        Bad membership covariates (key ``model.membership``) or fewer respondents than
        segments (key ``model.classes``), naming the group.
    dce.errors.EstimationError
        Every start of a group failed.
    """
    m = run.study.spec.model
    if m.type != "latent_class":
        return
    if "group" in m.membership and len(targets) > 1:  # constant within a group's model
        warnings.warn("model.membership: 'group' is used in the pooled model only; within "
                      "each group's model it is constant, so those models have no group "
                      "covariate", UserWarning, stacklevel=2)
    with timed(run, "latent_class"):
        for i, (g, part) in enumerate(targets):
            run.latent[g] = fit_group(run, g, part, i, responses)
        run.tables.update(tables(run, targets, responses, ranges))


def fit_group(run: Run, g: str, part, i: int, responses: pd.DataFrame) -> ClassSelection:
    """The fits over ``model.classes`` of group ``g`` and the chosen count (smallest
    ``model.class_criterion``; :func:`dce.models.latent_class_select.choose`), the notes of
    each fit re-issued with its class count.

    Parameters
    ----------
    run : dce.run.stages.Run
        The run (its study's ``model`` keys, seed and jobs).
    g : str
        The group (``all`` for the pooled model; membership ``group`` is used there only).
    part : ChoiceData
        The group's choice sets (for an item study, the expanded sets).
    i : int
        Position of the group in fit order: the starts use
        ``seed_sequence(seed, "latent_class", i)``.
    responses : pandas.DataFrame
        The responses, one or more rows per respondent, with the membership columns.

    Returns
    -------
    ClassSelection

    Raises
    ------
    dce.errors.DataError, dce.errors.ConfigError
        As :func:`dce.models.latent_class.fit` (and, before any fit,
        :func:`dce.models.latent_class_select.check_parameters`), the message naming the
        group and the key ``model.<key>`` at its config line.
    dce.errors.EstimationError
        Every start failed.
    """
    m, study = run.study.spec.model, run.study
    columns = [c for c in m.membership if not (c == "group" and g != "all")]
    frame = membership_frame(responses, columns)
    try:
        fits = fit_counts(part, class_counts(m.classes), scale_classes=m.scale_classes,
                          membership=frame, starts=m.starts, se=m.se, group=g,
                          seed_seq=seed_sequence(study.seed, "latent_class", i), jobs=run.jobs)
    except ValueError as exc:  # DataError / ConfigError: name the group, key and its line
        problem = exc.problems[0]
        where = ("model", problem.key) if problem.key else ("model",)
        raise type(exc)([study.problem(where, f"group {g}: {problem.message}")]) from None
    return choose(fits, m.class_criterion, g)


def tables(run: Run, targets: list, responses: pd.DataFrame, ranges: dict) -> dict:
    """The latent class tables (module docstring) of ``run.latent``.

    Returns
    -------
    dict
        Name -> pandas.DataFrame: class_selection, class_estimates, class_shares, classes,
        class_importance and (with a denominator) class_tradeoffs.
    """
    spec, study = run.study.spec, run.study
    level = spec.importance.level
    est, imp, trade = [], [], []
    denominator = denominator_of(study)
    for i, (g, _part) in enumerate(targets):
        sel = run.latent[g]
        res = sel.fits[sel.chosen]
        est.append(res.tidy(level))
        for c in range(1, res.n_classes + 1):
            cf = res.class_fit(c)
            draws = importance.coefficient_draws(
                cf.params, cf.vcov, spec.importance.draws,
                make_rng(study.seed, "importance", 3000 + i, c))
            method = "delta" if spec.importance.intervals == "delta" else "krinsky-robb"
            t = importance.rank(cf, study.attributes, None, intervals=method, level=level,
                                value_ranges=ranges, coef_draws=draws).table
            t.insert(1, "class", f"class{c}")
            imp.append(t)
            if denominator is not None:
                tt = tradeoffs.value(cf, study.attributes, denominator, None, level=level,
                                     kr_draws=draws, method=method,
                                     value_range=ranges.get(denominator))
                table = tt.table.copy()
                table.insert(1, "class", f"class{c}")
                table["outside_tested_range"] = table["outside_tested_range"].map(
                    {True: "true", False: "false"})
                trade.append(table)
    seg = segment_tables(run, [g for g, _ in targets], responses)
    out = {"class_selection": seg["class_selection"],
           "class_estimates": pd.concat(est, ignore_index=True),
           "class_shares": seg["class_shares"], "classes": seg["classes"],
           "class_importance": pd.concat(imp, ignore_index=True)}
    if trade:
        out["class_tradeoffs"] = pd.concat(trade, ignore_index=True)
    return out


def segment_tables(run: Run, groups: list, responses: pd.DataFrame) -> dict:
    """The tables of ``run.latent`` that attribute and item studies share:
    class_selection, class_shares and classes (module docstring).

    Parameters
    ----------
    run : dce.run.stages.Run
        With ``run.latent`` filled for every group.
    groups : list of str
        The groups fitted, in fit order (pooled ``all`` last).
    responses : pandas.DataFrame
        The responses (``respondent`` and ``group`` columns), for each respondent's group.

    Returns
    -------
    dict
        Name -> pandas.DataFrame: ``class_selection``, ``class_shares``, ``classes``.
    """
    level = run.study.spec.importance.level
    rows, shares, post = [], [], []
    of = responses.groupby("respondent", sort=False)["group"].first()
    for g in groups:
        sel = run.latent[g]
        res = sel.fits[sel.chosen]
        rows.append(sel.table)
        sh = res.class_shares(level)
        sh.insert(0, "group", g)
        shares.append(sh)
        frame = res.posterior_frame().reset_index()
        frame.insert(1, "group", g)
        frame.insert(2, "respondent_group", frame["respondent"].map(of).to_numpy())
        post.append(frame)
    return {"class_selection": pd.concat(rows, ignore_index=True),
            "class_shares": pd.concat(shares, ignore_index=True),
            "classes": _posterior_columns(pd.concat(post, ignore_index=True))}


def _posterior_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """classes.csv's column order: ``respondent, group, respondent_group``, the class
    probabilities ``class1..classC`` (C of the group with most classes), the scale-class
    probabilities, then the modal ``class``."""
    head = ["respondent", "group", "respondent_group"]
    probs = sorted((c for c in frame.columns if c.startswith("class") and c != "class"),
                   key=lambda c: int(c[5:]))
    scales = sorted((c for c in frame.columns if c.startswith("scale")),
                    key=lambda c: int(c[5:]))
    return frame[head + probs + scales + ["class"]]
