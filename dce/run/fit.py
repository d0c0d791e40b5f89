"""The stages of an attribute study: design, responses, one model per group plus the pooled
model, importance, trade-offs, uptake and group comparisons, filled into a :class:`Run`.
"""

from __future__ import annotations

import re
import time
import warnings
from functools import partial

import numpy as np
import pandas as pd

from dce.analysis import compare, importance, uptake
from dce.analysis import wtp as tradeoffs
from dce.config.checks import denominator_of
from dce.core import coding
from dce.core.random import rng as make_rng
from dce.data import choices as data
from dce.errors import DataError, EstimationError
from dce.models import fit as fit_model
from dce.models.clogit import constants_loglik
from dce.run.stages import Run, progress, timed


def attribute_stages(run: Run) -> None:
    """The stages of an attribute study (``type: dce``) up to ``run.stage``, filling ``run``.

    design: the design, whenever the config has a ``design:`` section (a fielded design
    file is recorded as an input). simulate: responses simulated from ``simulate:`` or read from
    ``choices:`` (and ``respondents:``), their summary and the data-quality checks. fit
    and run: a model per group (``model.by``) and the pooled model, without the
    respondents who failed a check when ``data.exclude_failed_checks`` is on (then also
    with everyone, in ``run.all_respondents``); importance, trade-offs, coefficient
    draws, uptake and the group comparisons.

    Parameters
    ----------
    run : dce.run.stages.Run
        A new run: its ``study``, ``stage`` and ``jobs`` are read, the rest is filled.

    Raises
    ------
    dce.errors.DesignError, dce.errors.DataError
        From the design and the data.
    dce.errors.DataError
        When ``compare.pairs`` names a group not in the data (key ``compare.pairs``).
    dce.errors.EstimationError
        When a group is too small to fit (key ``model.by``), a model fails, diverges or
        has non-finite estimates (key ``model``), or too few bootstrap replicates
        succeed (key ``importance.intervals``).
    """
    study = run.study
    spec = study.spec
    if spec.design is not None:  # the design package only when there is a design
        from dce import design as design_mod
        from dce.design.validity import fielded_by_dce
    # a design is built only where it is needed: the design stage, simulated responses,
    # or wide data (whose levels come from it); long observed data carry their own
    # levels, and a design made up for them would be reported as if it had been fielded
    needs_design = spec.design is not None and (run.stage == "design"
                                                or spec.simulate is not None
                                                or spec.choices.format in ("wide", "qualtrics")
                                                or fielded_by_dce(spec.design))
    if spec.design is not None and (needs_design or spec.design.file):
        with timed(run, "design"):
            run.design = design_mod.build(study)
        if spec.design.file and run.design.source.startswith("file"):
            run.inputs.append(study.resolve(spec.design.file))
    if run.stage == "design":
        return
    with timed(run, "read"):
        _responses(run)
    from dce.data import quality

    with timed(run, "quality"):
        run.quality, checks = quality.assess(study, run.responses)
    if checks is not None:
        run.data_summary["data_quality"] = checks
        _opt_out_warning(checks)
    if run.stage == "simulate":
        return
    failed = quality.failed_respondents(run.quality) if checks and \
        checks["exclude_failed_checks"] else set()
    if failed:  # results with every respondent too, for the report's comparison
        run.all_respondents = Run(study, run.stage, responses=run.responses, jobs=run.jobs)
        _fit_all(run.all_respondents)
        for stage, seconds in run.all_respondents.timings.items():
            run.timings[stage] = run.timings.get(stage, 0.0) + seconds
        run.fit_responses = run.responses[~run.responses["respondent"].isin(failed)]
    _fit_all(run)
    if checks is not None and spec.model.type == "conditional_logit":
        from dce.analysis.consistency import chance_inconsistency

        with timed(run, "quality"):
            chance = chance_inconsistency(run.responses, run.fits, study)
        if chance is not None:  # the yardstick of the repeated-task check
            checks["chance_inconsistent_repeat"] = chance


def _responses(run: Run) -> None:
    """Simulated responses, or the observed ones read and checked, with their summary."""
    study, spec = run.study, run.study.spec
    if spec.simulate is not None:
        from dce.data import simulate

        run.responses = simulate.responses(study, run.design)
        run.simulated = True
        run.data_summary = data.summarize(run.responses)
    else:
        run.responses, run.data_summary = data.load(study, run.design)
        run.inputs.append(study.resolve(spec.choices.file))
        if spec.respondents is not None:
            run.inputs.append(study.resolve(spec.respondents.file))


def _opt_out_warning(checks: dict) -> None:
    """Warn when at least half of a group always chose the opt-out (their choices say
    nothing about the attributes; not a failed check, so the failure count stays 0)."""
    for g, c in checks["groups"].items():
        n, k = c["respondents"], c["always_opt_out"]
        if n and 2 * k >= n:
            warnings.warn(f"group {g}: {k} of {n} respondents ({100 * k / n:.0f}%) always "
                          "chose the opt-out, so their choices carry no information about "
                          "the attributes", UserWarning, stacklevel=2)


def _fit_all(run: Run) -> None:
    study = run.study
    spec = study.spec
    attrs = study.attributes
    responses = run.responses if run.fit_responses is None else run.fit_responses
    responses = data.estimation_rows(responses, spec.model.include_validity_tasks)
    n_groups = responses["group"].nunique()
    if n_groups > 1 and not spec.model.by:
        warnings.warn(f"the data have {n_groups} respondent groups but model.by is not set, so "
                      "one pooled model was fitted; add model: {by: group} for a model per "
                      "group and the group comparison", UserWarning, stacklevel=2)
    with timed(run, "coding"):
        cd = coding.ChoiceData.from_frame(responses, attrs, group="group", block="block",
                                          asc=study.constants, labels=study.alternative_labels,
                                          interactions=spec.model.interactions,
                                          checked=True)
    groups = cd.groups()
    fit_groups = ([g for g in groups if g != "all"] if spec.model.by and len(groups) > 1
                  else [])
    targets = [(g, cd.for_group(g)) for g in fit_groups] + [("all", cd)]
    ranges = _value_ranges(responses, attrs)
    for g, part in targets:  # every group large enough before any fitting
        _check_size(spec, g, part)
    from dce.models.separation import SeparatedError

    separated = []  # model.on_separation: stop names every separated group, then stops
    with timed(run, "fit"):
        for i, (g, part) in enumerate(progress(targets, "fitting models")):
            try:
                run.fits.append(_fit_group(spec, g, part, attrs))
            except SeparatedError as exc:
                separated.extend(exc.problems)
                continue
            if spec.model.type == "mixed_logit":
                run.fits[-1] = _fit_mixed(run, g, part, i, run.fits[-1])
        if separated:
            raise EstimationError(separated)
        for g, part in targets:
            run.constants_loglik[g] = constants_loglik(part)
    if spec.model.type == "mixed_logit":  # individual.csv, heterogeneity.csv
        from dce.run import heterogeneity

        heterogeneity.add_tables(run, dict(targets))
    if spec.importance.intervals == "bootstrap":
        with timed(run, "bootstrap"):
            _bootstrap(run, dict(targets[:-1]) or {"all": cd})
    _importance(run, ranges)
    if spec.model.type == "latent_class":
        from dce.run import latent

        latent.latent_classes(run, targets, responses, ranges)
    pairs = compare.pairs_of(fit_groups, spec.compare.pairs)
    unknown = sorted({g for p in pairs for g in p} - set(fit_groups))
    if unknown:
        raise DataError(f"groups {', '.join(unknown)} are not in the data (groups: "
                        f"{', '.join(fit_groups) or 'none'})", key="compare.pairs")
    with timed(run, "compare"):
        _compare(run, dict(targets), pairs)


def _importance(run: Run, ranges: dict) -> None:
    """Coefficient draws, importance, trade-offs and uptake of every fit (stage time
    ``importance``)."""
    study, spec, attrs = run.study, run.study.spec, run.study.attributes
    t_importance = time.perf_counter()
    draws = {}
    for i, result in enumerate(run.fits):
        rng = make_rng(study.seed, "importance", i)
        draws[result.group] = importance.coefficient_draws(
            result.params, result.vcov, spec.importance.draws, rng)
    boot = run.bootstrap or {}
    if spec.model.type == "mixed_logit":
        from dce.analysis import mixed_importance

        run.importance = importance.combine([
            mixed_importance.rank(r, attrs, make_rng(study.seed, "importance", 1000 + i),
                       intervals=spec.importance.intervals, level=spec.importance.level,
                       value_ranges=ranges, coef_draws=draws[r.group])
            for i, r in enumerate(run.fits)])
    else:
        run.importance = importance.combine([
            importance.rank(r, attrs, None, intervals=spec.importance.intervals,
                            level=spec.importance.level, value_ranges=ranges,
                            coef_draws=boot.get(r.group, draws[r.group])) for r in run.fits])
    denominator = denominator_of(study)
    if denominator is not None:
        run.tradeoffs = _tradeoffs(run, denominator, draws, ranges.get(denominator))
    run.tables["coefficient_draws"] = draws_table(
        run.fits, {r.group: boot.get(r.group, draws[r.group]) for r in run.fits})
    if spec.scenarios is not None:
        run.uptake = pd.concat([uptake.predict(r, attrs, spec.scenarios,
                                               boot.get(r.group, draws[r.group]),
                                               spec.importance.level) for r in run.fits],
                               ignore_index=True)
    run.timings["importance"] = time.perf_counter() - t_importance


def _compare(run: Run, parts: dict, pairs: list) -> None:
    """The scale tests of each pair and the group comparisons of importance, ranks and
    trade-offs (groups with a separated fit left out of all of them)."""
    spec = run.study.spec
    if pairs:
        from dce.analysis.scale import compare_scale  # imported when groups are compared

    fits = {r.group: r for r in run.fits}
    fits.update(run.base_fits)  # scale tests use the conditional logit
    scale_tests = {}
    for a, b in progress(pairs, "scale tests"):
        if fits[a].separation is not None or fits[b].separation is not None:
            continue
        try:
            scale_tests[(a, b)] = compare_scale(parts[a], parts[b], fits[a], fits[b],
                                                group_specific=spec.compare.group_specific,
                                                level=spec.importance.level)
        except ValueError as exc:  # e.g. fewer respondents than coefficients in a group
            warnings.warn(f"groups {a} and {b}: no scale test ({exc}: a group has too few "
                          "respondents for the cluster-robust covariance of its "
                          "coefficients); the importance comparison is made without it",
                          UserWarning, stacklevel=2)
    run.comparison = compare.groups(run.importance, pairs, spec.importance.level,
                                    scale_tests=scale_tests, tradeoffs=run.tradeoffs,
                                    leave_out=separated_groups(run.fits))


def separated_groups(fits) -> list[str]:
    """The groups whose fit is separated (``model.on_separation: warn``), in fit order.

    Parameters
    ----------
    fits : list
        Fitted models (their ``group`` and ``separation``).

    Returns
    -------
    list of str
    """
    return [r.group for r in fits if getattr(r, "separation", None) is not None]


def draws_table(fits, draws: dict) -> pd.DataFrame:
    """The coefficient draws behind every interval (Krinsky-Robb or bootstrap), long by
    group: ``group, draw, <term columns>`` (the report's scenario simulator reads them).

    Parameters
    ----------
    fits : list
        Fitted models (their ``group`` and ``terms``), in the order of the rows.
    draws : dict
        Group -> draws, one row per draw and one column per term of the group's fit.

    Returns
    -------
    pandas.DataFrame
        coefficient_draws.csv: ``group``, ``draw`` (1, 2, ... within a group) and one
        column per term; a term missing from a group's fit is empty there.
    """
    frames = []
    for r in fits:
        D = np.asarray(draws[r.group])
        frame = pd.DataFrame(D, columns=list(r.terms))
        frame.insert(0, "draw", np.arange(1, len(D) + 1))
        frame.insert(0, "group", r.group)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _fit_mixed(run, g, part, index, base):
    """Panel mixed logit for one group (the conditional logit ``base`` is kept for the
    scale tests), with the stability check at twice the draws."""
    from dce.core.random import seed_sequence
    from dce.models import mixed

    m = run.study.spec.model
    run.base_fits[g] = base
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = mixed.fit(part, random=dict(m.random), correlated=m.correlated,
                               draws=m.draws, draw_type=m.draw_type, se=m.se, group=g,
                               seed_seq=seed_sequence(run.study.seed, "draws", index),
                               space=m.space, scale_heterogeneity=m.scale_heterogeneity,
                               price=(None if m.price is None
                                      else run.study.attribute(m.price).terms[0]))
        with warnings.catch_warnings(record=True) as again:  # the refit at twice the draws
            warnings.simplefilter("always")
            run.stability[g] = mixed.stability(part, result)
    except EstimationError as exc:
        key = exc.problems[0].key  # the engine names its argument; the config, model.<it>
        raise EstimationError(f"group {g}: {exc.problems[0].message}",
                              key=f"model.{key}" if key == "random" else key) from None
    if base.separation is None:  # else its divergence notes say less than the check's
        notes = _numerical_notes(caught, g)
        said = {re.sub(r"-?\d[\d.]*(e[-+]?\d+)?", "#", n) for n in notes}
        notes += [f"{n} (in the stability refit at twice the draws)"
                  for n in _numerical_notes(again, g)
                  if re.sub(r"-?\d[\d.]*(e[-+]?\d+)?", "#", n) not in said]
        for note in notes:
            warnings.warn(note, UserWarning, stacklevel=2)
        _check_finite(result)
    from dce.models.separation import mark

    return mark(result, base.separation)


def _numerical_notes(caught, group: str) -> list[str]:
    """The warnings of a mixed-logit fit, with numpy's and scipy's numerical ones (overflow,
    an ill-conditioned matrix) replaced by one sentence each that names the group and says
    what they mean for the results."""
    from scipy.linalg import LinAlgWarning

    notes, kinds = [], set()
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, LinAlgWarning) or "ill-conditioned" in text:
            kinds.add("singular")
        elif issubclass(w.category, RuntimeWarning) and "encountered in" in text:
            kinds.add("overflow")
        else:
            notes.append(text)
    if "singular" in kinds:
        notes.append(f"group {group}: a matrix of the mixed-logit fit is nearly singular: some "
                     "parameters (often standard deviations near 0) are barely identified by "
                     "the data, and their standard errors are unreliable; consider fewer "
                     "random terms")
    if "overflow" in kinds:
        notes.append(f"group {group}: utilities overflowed at some draws while fitting the mixed "
                     "logit; check in models.csv that the fit converged and that the "
                     "estimates are of plausible size")
    return notes


def _tradeoffs(run, denominator, draws, value_range=None):
    from dce.models.mixed_post import tradeoff_view

    spec = run.study.spec
    views = [tradeoff_view(r, draws[r.group]) for r in run.fits]  # WTP space: mean WTPs
    parts = [tradeoffs.value(v, run.study.attributes, denominator, None,
                             level=spec.importance.level, kr_draws=d,
                             coef_draws=(run.bootstrap or {}).get(r.group),
                             method=spec.importance.intervals, value_range=value_range)
             for r, (v, d) in zip(run.fits, views, strict=True)]
    for p, r in zip(parts, run.fits, strict=True):
        if r.separation is None:  # a separated group's trade-offs are all marked instead
            run.notes.extend(p.warnings)
    return tradeoffs.Tradeoffs(pd.concat([p.table for p in parts], ignore_index=True),
                               {g: d for p in parts for g, d in p.draws.items()})


def _check_size(spec, g, part):
    if spec.model.se == "cluster" and part.n_respondents < 2:
        raise EstimationError(f"group {g!r} has {part.n_respondents} respondent; "
                              "cluster-robust errors need at least 2 (collect more "
                              "responses, merge groups or use model.se: robust)",
                              key="model.by")
    if part.n_sets < part.X.shape[1] + 1:
        raise EstimationError(f"group {g!r} has {part.n_sets} choice sets, too few to "
                              f"estimate {part.X.shape[1]} parameters; collect more "
                              "responses or merge groups", key="model.by")


def _fit_group(spec, g, part, attributes):
    """The conditional logit of one group, after the identification and separation
    checks (:mod:`dce.models.separation`; ``model.on_separation``)."""
    from dce.models import separation

    describe = partial(separation.describe_attributes, attributes=attributes)
    try:  # the fit checks identification first (check=True), with the data it prepares
        result = separation.fit_and_check(
            partial(fit_model, part, engine=spec.model.engine, se=spec.model.se, group=g,
                    check=True),
            part, describe, on_separation=spec.model.on_separation, group=g)
    except EstimationError as exc:
        msg = exc.problems[0].message
        raise type(exc)(msg if msg.startswith("group ") else f"group {g}: {msg}",
                        key=exc.problems[0].key) from None
    if result.separation is None:
        _check_finite(result)
    return result


def _bootstrap(run: Run, groups: dict) -> None:
    run.bootstrap = bootstrap_draws(run, groups, {r.group: r.params for r in run.fits})


def bootstrap_draws(run: Run, groups: dict, starts: dict) -> dict:
    """Bootstrap replicates of the coefficients per group (see dce.analysis.bootstrap); failures
    become a note, too few successes an error.

    A respondent (panel) bootstrap: each replicate resamples whole respondents within
    each group and refits a conditional logit, warm-started at ``starts``; the pooled
    model is refitted on the union of the groups' resamples. A separated resample fails
    its replicate, except in groups whose own fit is separated (``on_separation: warn``).

    Parameters
    ----------
    run : dce.run.stages.Run
        The run (its study's seed and ``importance.draws``, ``jobs``); a note is
        appended for failed replicates.
    groups : dict
        Group -> choice data to resample; ``{"all": data}`` when there are no groups
        (then no separate pooled refit).
    starts : dict
        Group (and ``all``) -> start values of the refits.

    Returns
    -------
    dict
        Group (and ``all``) -> replicates, one row per successful replicate.

    Raises
    ------
    dce.errors.EstimationError
        When fewer than 10 replicates succeed (key ``importance.intervals``).
    """
    from dce.analysis.bootstrap import bootstrap
    from dce.core.random import seed_sequence

    study = run.study
    pooled = "all" not in groups
    draws, failures = bootstrap(groups, starts, study.spec.importance.draws,
                                seed_sequence(study.seed, "bootstrap"), pooled=pooled,
                                jobs=run.jobs,
                                unchecked={r.group for r in run.fits if r.separation is not None})
    n_ok = len(next(iter(draws.values())))
    if failures:
        run.notes.append(f"bootstrap: {len(failures)} of {study.spec.importance.draws} "
                         f"replicates failed and were left out (first: task "
                         f"{failures[0].task}: {failures[0].message})")
    if n_ok < 10:
        raise EstimationError(f"only {n_ok} bootstrap replicates succeeded; the data are too "
                              "sparse for a bootstrap, use importance.intervals: krinsky-robb",
                              key="importance.intervals")
    return draws


def _value_ranges(responses, attrs) -> dict:
    generic = responses[responses["is_opt_out"] == 0]
    out = {}
    for a in attrs:
        if a.levels is None:
            col = pd.to_numeric(generic[a.name], errors="coerce")
            out[a.name] = (float(col.min()), float(col.max()))
    return out


def _check_finite(result) -> None:
    if not (np.isfinite(result.params).all() and np.isfinite(result.vcov).all()):
        bad = [t for t, b, s in zip(result.terms, result.params, np.diag(result.vcov))
               if not (np.isfinite(b) and np.isfinite(s))]
        raise EstimationError(f"group {result.group}: estimates are not finite for "
                              f"{', '.join(bad)}; the data may be separated", key="model")
