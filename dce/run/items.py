"""The stages of an item study, returning the same :class:`dce.run.stages.Run` as the
attribute pipeline: design, responses (simulated or read), one model per group plus the
pooled model, shares of preference with intervals and rank probabilities, group
comparisons, and best-minus-worst (or ranking) counts in ``run.tables``; with
``model.type: latent_class`` also the latent class tables (:mod:`dce.run.latent_items`).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from dce.analysis import compare
from dce.analysis import items as item_importance
from dce.core.items import items_of, reference_item
from dce.core.random import rng as make_rng
from dce.data import items_simulate as item_simulate
from dce.data.choices import summarize
from dce.data.items import load
from dce.design import items as item_design
from dce.errors import DataError, EstimationError
from dce.models import items as models
from dce.models.separation import SeparatedError
from dce.run import latent_items
from dce.run.fit import bootstrap_draws, separated_groups
from dce.run.stages import Run, run_stages, timed


def _needs_design(study, stage: str) -> bool:
    spec = study.spec
    if spec.design is None:
        return False
    if stage == "design" or spec.simulate is not None:
        return True
    return spec.design.file is not None or spec.choices.format == "wide"


def design_and_responses(study, stage: str = "run"):
    """(design or None, responses or None, simulated?, input files) up to ``stage``.

    The design is built for the design stage, for simulated responses, and when the
    data need it (a fielded design file, or wide-format choices).

    Parameters
    ----------
    study : dce.config.study.Study
        A best-worst or ranking study.
    stage : {"design", "simulate", "fit", "run"}, optional
        The last stage; at ``design`` no responses are made or read.

    Returns
    -------
    tuple
        The item design (or None); the responses (simulated from ``simulate:`` or read
        from ``choices:``; None at the design stage); whether they were simulated; the
        input files read (design, choices, respondents), as paths.

    Raises
    ------
    dce.errors.DesignError, dce.errors.DataError
        From the design or the data files.
    """
    design, inputs = None, []
    if _needs_design(study, stage):
        design = item_design.build(study)
        if study.spec.design.file and design.source.startswith("file"):
            inputs.append(study.resolve(study.spec.design.file))
    if stage == "design":
        return design, None, False, inputs
    if study.spec.simulate is not None:
        return design, item_simulate.responses(study, design), True, inputs
    responses, summary = load(study, design)
    responses.attrs["missing"] = summary["missing"]  # sets without an answer, for the summary
    inputs.append(study.resolve(study.spec.choices.file))
    if study.spec.respondents is not None:
        inputs.append(study.resolve(study.spec.respondents.file))
    return design, responses, False, inputs


def validate(study) -> None:
    """``dce validate`` for an item study: the design (if any) and the data (if any).

    With ``choices:``, the data are read (with the design when it is a fielded file or
    the choices are wide); otherwise the design alone is built.

    Parameters
    ----------
    study : dce.config.study.Study
        A best-worst or ranking study.

    Raises
    ------
    dce.errors.DesignError, dce.errors.DataError
        The first problem found in the design or the data.
    """
    spec = study.spec
    if spec.choices is not None:
        design = item_design.build(study) if spec.design is not None and (
            spec.design.file or spec.choices.format == "wide") else None
        load(study, design)
    elif spec.design is not None:
        item_design.build(study)


def analyse_items(study, stage: str = "run", jobs: int = 1):
    """Run an item study up to ``stage`` (design, simulate, fit or run) -> Run.

    Design and responses (:func:`design_and_responses`); from ``fit``, one model per
    group (``model.by``) and the pooled model, shares of preference with intervals and
    rank probabilities, utilities relative to the anchor item (:func:`anchor_item`), the
    group comparisons with the Swait and Louviere (1993) scale tests (left out when
    best-worst ``model.worst_scale`` is ``estimate``), and the best-minus-worst
    (bw_counts) or rank counts.

    Parameters
    ----------
    study : dce.config.study.Study
        A best-worst or ranking study.
    stage : {"design", "simulate", "fit", "run"}, optional
        The last stage.
    jobs : int, optional
        Parallel workers for the bootstrap; the numbers do not depend on it.

    Returns
    -------
    dce.run.stages.Run
        With warnings raised on the way as its ``notes``.

    Raises
    ------
    dce.errors.DataError
        From the data, or when ``compare.pairs`` names a group not in the data.
    dce.errors.EstimationError
        When a group is too small to fit (key ``model.by``), a model fails or has
        non-finite estimates, or too few bootstrap replicates succeed.
    dce.errors.DesignError
        From the design.
    """
    return run_stages(Run(study, stage, jobs=jobs), _stages)


def _stages(run) -> None:
    study = run.study
    with timed(run, "read"):
        run.design, run.responses, run.simulated, run.inputs = design_and_responses(
            study, run.stage)
    if run.stage == "design":
        return
    run.data_summary = summarize(run.responses)
    if "missing" in run.responses.attrs:
        run.data_summary["missing"] = run.responses.attrs["missing"]
    if run.stage == "simulate":
        return
    with timed(run, "fit"):  # models, importance and comparisons
        _fit_all(run)


def _fit_all(run) -> None:
    study = run.study
    spec = study.spec
    items = items_of(study)
    names = [i.name for i in items]
    ref = reference_item(study)
    kind = spec.type
    m = spec.model
    full = models.expand(run.responses, names, ref, kind, m)
    groups = list(dict.fromkeys(full.data.group))
    fit_groups = [g for g in groups if g != "all"] if m.by and len(groups) > 1 else []
    parts = {g: full.for_group(g) for g in fit_groups}
    parts["all"] = full
    separated = []  # model.on_separation: stop names every separated group, then stops
    for g, part in parts.items():
        try:
            run.fits.append(_fit_group(spec, g, part, names, ref))
        except SeparatedError as exc:
            separated.extend(exc.problems)
            continue
        run.constants_loglik[g] = run.fits[-1].null_loglik  # item models have no constants
    if separated:
        raise EstimationError(separated)
    fits = {r.group: r for r in run.fits}
    level = spec.importance.level
    draws = {}
    if spec.importance.intervals == "bootstrap":
        _bootstrap(run, {g: parts[g].data for g in fit_groups} or {"all": full.data}, names)
    for i, r in enumerate(run.fits):
        if run.bootstrap is not None and r.group in run.bootstrap:
            draws[r.group] = run.bootstrap[r.group][:, :len(names)]
        else:
            draws[r.group] = item_importance.utility_draws(
                r, len(names), spec.importance.draws, make_rng(study.seed, "importance", i))
    from dce.analysis.importance import combine

    run.importance = combine([
        item_importance.rank(r, items, utilities=draws[r.group],
                             intervals=spec.importance.intervals, level=level)
        for r in run.fits])
    latent_items.latent_classes(run, parts, items, ref)  # model.type: latent_class
    pairs = compare.pairs_of(fit_groups, spec.compare.pairs)
    unknown = sorted({g for p in pairs for g in p} - set(fit_groups))
    if unknown:
        raise DataError(f"groups {', '.join(unknown)} are not in the data (groups: "
                        f"{', '.join(fit_groups) or 'none'})", key="compare.pairs")
    scale_tests = None
    if not (kind == "best-worst" and m.worst_scale == "estimate"):
        from dce.analysis.scale import compare_scale

        scale_tests = {(a, b): compare_scale(
            parts[a].data, parts[b].data, _free(fits[a], parts[a].data),
            _free(fits[b], parts[b].data), group_specific=spec.compare.group_specific,
            level=level) for a, b in pairs
            if fits[a].separation is None and fits[b].separation is None}
    anchor = anchor_item(spec, names, run.fits)
    rel = item_importance.relative_utilities(run.fits, names, anchor, ref, draws, level)
    run.tables["relative_utilities"] = rel.table
    run.comparison = compare.groups(run.importance, pairs, level, scale_tests=scale_tests,
                                    tradeoffs=rel, tradeoff_test="relative_utility_difference",
                                    leave_out=separated_groups(run.fits))
    if kind == "ranking":
        run.tables["rank_counts"] = item_importance.rank_counts(run.responses, items)
    else:
        run.tables["bw_counts"] = item_importance.bw_counts(run.responses, items)


def _free(result, data):
    """The estimated (free) item utilities of a fit, labelled by the data's terms."""
    from types import SimpleNamespace

    free = result.free[: data.X.shape[1]]
    return SimpleNamespace(params=result.params[free], vcov=result.vcov[np.ix_(free, free)],
                           terms=tuple(data.terms))


def anchor_item(spec, names, fits) -> str:
    """The item whose utility (from the reference item's) is the unit of relative
    utilities: ``compare.anchor``, else the pooled model's item farthest from the
    reference.

    Parameters
    ----------
    spec : dce.config.schema.ConfigModel
        The validated config (its ``compare.anchor``).
    names : list of str
        Item names, in the order of the models' first parameters.
    fits : list
        Fitted item models; the pooled one (group ``all``) is used.

    Returns
    -------
    str
        ``compare.anchor``, or the pooled model's most preferred item; when that is the
        reference item itself (every other utility below 0), the least preferred item,
        so that the unit is never the reference's 0.
    """
    if spec.compare.anchor is not None:
        return spec.compare.anchor
    pooled = {r.group: r for r in fits}["all"]
    v = pooled.params[: len(names)]
    top = int(np.argmax(v))
    return names[top if v[top] != 0 else int(np.argmin(v))]


def _fit_group(spec, g, part, names, ref):
    m = spec.model
    if m.se == "cluster" and part.data.n_respondents < 2:
        raise EstimationError(f"group {g!r} has {part.data.n_respondents} respondent; "
                              "cluster-robust errors need at least 2 (collect more "
                              "responses, merge groups or use model.se: robust)",
                              key="model.by")
    if part.data.n_sets < part.data.X.shape[1] + 1:
        raise EstimationError(f"group {g!r} has {part.data.n_sets} choice sets, too few to estimate "
                              f"{part.data.X.shape[1]} item utilities; collect more "
                              "responses or merge groups", key="model.by")
    from dce.models import separation

    describe = partial(separation.describe_items, names=names, kind=spec.type, top_k=m.top_k)
    at = [names.index(t) for t in part.data.terms]
    try:
        result = separation.fit_and_check(
            partial(models.fit, part, names, ref, kind=spec.type, bw_model=m.bw_model,
                    worst_scale=m.worst_scale, engine=m.engine, se=m.se, group=g),
            part.data, describe, on_separation=m.on_separation, group=g,
            beta_of=lambda r: r.params[at])
    except EstimationError as exc:
        msg = exc.problems[0].message
        raise type(exc)(msg if msg.startswith("group ") else f"group {g}: {msg}",
                        key=exc.problems[0].key) from None
    if result.separation is None and not (np.isfinite(result.params).all()
                                          and np.isfinite(result.vcov).all()):
        raise EstimationError(f"group {g}: estimates are not finite; an item may always (or "
                              "never) be chosen", key="model")
    return result


def _bootstrap(run, groups: dict, names) -> None:
    fits = {r.group: r for r in run.fits}
    starts = {g: r.params[r.free] for g, r in fits.items()}
    draws = bootstrap_draws(run, groups, starts)
    # replicates of the free parameters -> every term (the reference item at 0)
    run.bootstrap = {g: fits[g].item_draws(D, len(fits[g].terms)) for g, D in draws.items()}
