"""`method: d-efficient` and `method: bayesian`: search for designs with a small (D)B-error.

Objective: the multinomial-logit D-error det(I(b))^(-1/K), information summed over every
choice set of the design (all blocks), at fixed priors (d-efficient: the prior means, 0
where none is given) or averaged over quasi-random draws from normal priors (bayesian:
DB-error).

Search: ``design.starts`` starts, each improved until a full pass changes nothing. A pass
visits every set and

* exchanges each alternative for the best allowed profile: with at most
  ``FEDOROV_LIMIT`` allowed profiles every one of them is tried (a modified Fedorov
  algorithm over the candidate set); with more, the profiles that differ from the current
  one in one attribute (coordinate exchange);
* then tries every permutation of one attribute's levels among the set's alternatives
  (the swaps of Huber & Zwerina), which keeps level balance but changes which levels meet.

Exclusions hold because only allowed profiles are ever proposed; alternatives of a task
stay distinct and no two tasks show the same set of profiles. The opt-out alternative, when
the design has one, is in every set with its constant ``asc[opt_out]``.

After a start converges it runs perturbation rounds (iterated local search): the best
design so far has some attribute levels swapped between random slots (which keeps every
level count), is improved the same way and replaces the best when it is better. The number
of rounds follows from the size of one pass (:func:`search_rounds`), so small problems get
many (up to :data:`MAX_ROUNDS`) and the design never depends on the machine's speed.

``design.level_balance`` bounds every level's count (see :mod:`dce.design.balance`):
random starts have balanced columns, and an exchange that would push a count outside its
bounds is not proposed; ``none`` keeps the unconstrained search.

``bayesian`` searches on scrambled Sobol draws (``design.prior_draws`` rounded up to a
power of two; Sobol points are balanced at powers of two), then scores every start's
design under 512 to 2048 further Sobol draws and polishes the best one or two on them with
the same exchange, keeping the best on the larger set: judging on the few draws the search
optimised would reward designs fitted to those draws. The reported objective is the
DB-error over the configured draws, as in the diagnostics.

The first start is the Street-Burgess design of ``method: orthogonal`` when a construction
fits the request and the exclusions (optimal at zero coefficients, a good start otherwise);
for ``bayesian`` it is the D-efficient design at the prior means (found first by the same
search with one draw); the others are random. With ``construction_start=False`` every
start of a d-efficient search is random.

Speed: changing set s only changes that set's information. With R = I - I_s (+ a tiny
ridge so that singular starting designs can still improve), det(R + X_s' H X_s) =
det(R) det(I + Q H), where X_s holds the set's differences from a reference alternative,
Q = X_s R^-1 X_s' and H = diag(p) - p p' (both of the set's size minus one). One inverse
per set and draw serves every candidate; only one row of X_s depends on the candidate, and
the candidates are evaluated together as arrays.

Starts run on child seeds spawned from the design generator, so the result does not depend
on the number of workers; ``joblib.parallel_config(n_jobs=...)`` set by the caller runs them
in parallel. ``design.time_limit`` stops the passes of every start at a wall-clock deadline
(the result may then differ between runs, and a warning says so).

References: D-error and the swaps of level-balanced designs, Huber and Zwerina (1996,
J. Marketing Research 33:307-317); DB-error, Sandor and Wedel (2001, J. Marketing Research
38:430-444) and Kessels et al. (2006, J. Marketing Research 43:409-419); modified Fedorov
for choice designs, Zwerina, Huber and Kuhfeld (1996, SAS Institute); coordinate
exchange with the update above, Kessels et al. (2009, J. Business and Economic Statistics
27:279-291); practice, Johnson et al. (2013, ISPOR design report, Value in Health 16:3-13).
"""

from __future__ import annotations

import itertools
import math
import sys
import time
import warnings

import numpy as np

from dce.design.balance import level_bounds
from dce.design.blocking import balanced_blocks
from dce.design.constraints import partworths
from dce.design.diagnostics import null_terms
from dce.design.exchange import (
    SearchProblem,
    exact_objective,
    run_start,
    set_information,
    set_key,
)
from dce.design.methods import MAX_ENUMERATED, allowed_mask, full_factorial
from dce.design.priors import design_terms, prior_draws, prior_moments
from dce.design.street_burgess import street_burgess_plan
from dce.errors import DesignError

FEDOROV_LIMIT = 3000  # exchange against every allowed profile up to this many
ROUND_WORK = 5e7      # work of the perturbation rounds of one start (see search_rounds)
ROUND_OVERHEAD = 4e4  # fixed work per alternative visited
MAX_ROUNDS = 40
POLISH_DRAWS = 2048   # Sobol draws of the final polish of bayesian designs (at least)
POLISH_TOP = 2        # designs polished
POLISH_WORK = 4e8     # work of one polish pass (see polish_draw_count)
class DesignSearchWarning(UserWarning):
    """The search stopped early (time limit) or could not do what was asked."""


# ----- checks ----------------------------------------------------------------------------
def _rules(study) -> list:
    names = [a.name for a in study.attributes]
    return [[(names.index(n), int(study.attribute(n).index_of([v])[0])) for n, v in r.items()]
            for r in study.spec.design.exclude]


def _swap_perms(J: int) -> list:
    """Permutations tried by the swap step: all of them for up to 4 alternatives, else the
    transpositions."""
    if J <= 4:
        return [p for p in itertools.permutations(range(J)) if p != tuple(range(J))]
    out = []
    for a in range(J):
        for b in range(a + 1, J):
            p = list(range(J))
            p[a], p[b] = p[b], p[a]
            out.append(tuple(p))
    return out


def make_problem(study, draws, weights=None, n_sets=None) -> SearchProblem:
    """The search problem of a study at the given coefficient draws.

    The candidate set (modified Fedorov) is every allowed profile when the full factorial
    has at most ``MAX_ENUMERATED`` profiles and at most :data:`FEDOROV_LIMIT` are allowed;
    otherwise ``candidates`` is None (coordinate exchange).

    Parameters
    ----------
    study : Study
        A ``dce`` study with a ``design:`` section.
    draws : array of float (R, K) or (K,)
        Coefficient draws over :func:`~dce.design.priors.design_terms`.
    weights : array of float (R,), optional
        Weights of the draws (default equal).
    n_sets : int, optional
        Number of choice sets (default ``design.tasks x design.blocks``).

    Returns
    -------
    SearchProblem
        With the exclusions as (attribute, level) rules, the swap permutations, and
        ``no_dominance`` / ``max_overlap`` with the prior-mean part-worths.
    """
    d = study.spec.design
    attrs = study.attributes
    levels = np.array([a.n_levels for a in attrs], dtype=np.int64)
    candidates = None
    if math.prod(levels.tolist()) <= MAX_ENUMERATED:
        prof = full_factorial(attrs)
        ok = allowed_mask(prof, attrs, d.exclude)
        if ok.sum() <= FEDOROV_LIMIT:
            candidates = prof[ok]
    draws = np.atleast_2d(np.asarray(draws, float))
    R = len(draws)
    n_sets = int(n_sets if n_sets is not None else d.tasks * d.blocks)
    prob = SearchProblem(
        levels=levels,
        codings=[a.level_matrix() for a in attrs],
        n_sets=n_sets,
        n_alt=d.alternatives,
        opt_out=bool(d.opt_out),
        n_terms=draws.shape[1],
        draws=draws,
        weights=np.full(R, 1.0 / R) if weights is None else np.asarray(weights, float),
        candidates=candidates,
        rules=_rules(study),
        perms=_swap_perms(d.alternatives),
        no_dominance=bool(d.no_dominance),
        max_overlap=d.max_overlap,
        pw=partworths(attrs, design_terms(study), prior_moments(study, design_terms(study))[0]),
        bounds=level_bounds(n_sets * d.alternatives, levels, d.level_balance),
    )
    prob.rounds = search_rounds(prob)
    return prob


def search_rounds(prob: SearchProblem) -> int:
    """Perturbation rounds of each start: as many as fit :data:`ROUND_WORK` (at most
    :data:`MAX_ROUNDS`), from the size of one pass (sets x alternatives x candidates x
    draws x terms^2), so small problems get many and the count never depends on the
    machine.

    Parameters
    ----------
    prob : SearchProblem

    Returns
    -------
    int
    """
    cands = (len(prob.candidates) if prob.candidates is not None
             else int(prob.levels.sum()))
    work = prob.n_sets * prob.n_alt * (ROUND_OVERHEAD + cands * len(prob.draws) * prob.n_terms ** 2)
    return int(min(MAX_ROUNDS, ROUND_WORK // max(work, 1)))


def identification_check(study, sets: np.ndarray) -> None:
    """Raise a DesignError naming the terms a design cannot identify.

    The check uses the information at zero coefficients (see
    :func:`~dce.design.diagnostics.null_terms`).

    Parameters
    ----------
    study : Study
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        Level indices of the generic alternatives (the opt-out is added when configured).

    Raises
    ------
    DesignError
        Key ``design``, naming the terms in the null space of the information.
    """
    terms = design_terms(study)
    prob = SearchProblem(
        levels=np.array([a.n_levels for a in study.attributes]),
        codings=[a.level_matrix() for a in study.attributes], n_sets=len(sets),
        n_alt=sets.shape[1], opt_out=bool(study.spec.design.opt_out), n_terms=len(terms),
        draws=np.zeros((1, len(terms))), weights=np.ones(1), candidates=None, rules=[])
    info = set_information(prob.set_matrix(sets), prob.draws).sum(axis=(0, 1))
    bad = null_terms(info, terms)
    if bad:
        raise DesignError(f"the design cannot identify {', '.join(bad)} (its information "
                          "matrix is singular); add tasks or alternatives, or relax `exclude`",
                          key="design")


def _pre_checks(study, prob: SearchProblem, terms) -> None:
    """DesignErrors for requests no design can meet, saying what to change."""
    d = study.spec.design
    attrs = study.attributes
    J_total = prob.n_alt + (1 if prob.opt_out else 0)
    allowed = prob.candidates
    if allowed is None and math.prod(prob.levels.tolist()) <= MAX_ENUMERATED:
        prof = full_factorial(attrs)
        allowed = prof[allowed_mask(prof, attrs, d.exclude)]
    if allowed is not None:
        if len(allowed) == 0:
            raise DesignError("the exclusions forbid every profile; remove some `exclude` "
                              "rules", key="design.exclude")
        if len(allowed) < prob.n_alt:
            raise DesignError(f"only {len(allowed)} profiles are allowed, fewer than the "
                              f"{prob.n_alt} alternatives per task; relax `exclude` or lower "
                              "`alternatives`", key="design.exclude")
        missing = []
        for q, a in enumerate(attrs):
            seen = set(np.unique(allowed[:, q]).tolist())
            lost = [a.level_labels[v] for v in range(a.n_levels) if v not in seen]
            if lost and (not a.is_linear or len(seen) < 2):
                missing.append((a, lost))
        if missing:
            names = [t for a, _ in missing for t in a.terms]
            what = "; ".join(f"{a.name}: {', '.join(lost)}" for a, lost in missing)
            raise DesignError(f"the exclusions leave no allowed profile with level(s) {what}, "
                              f"so {', '.join(names)} cannot be estimated; relax `exclude`",
                              key="design.exclude")
        distinct = math.comb(len(allowed), prob.n_alt)
        if distinct < prob.n_sets:
            raise DesignError(f"{prob.n_sets} tasks requested (tasks x blocks) but only "
                              f"{distinct} distinct choice sets of allowed profiles exist; "
                              "reduce tasks or blocks", key="design.tasks")
    else:
        for rule in prob.rules:
            if len(rule) == 1 and not attrs[rule[0][0]].is_linear:
                a = attrs[rule[0][0]]
                raise DesignError(f"`exclude` forbids level {a.level_labels[rule[0][1]]} of "
                                  f"{a.name} in every profile, so {', '.join(a.terms)} cannot "
                                  "be estimated; drop the level or the rule",
                                  key="design.exclude")
    dof = prob.n_sets * (J_total - 1)
    if len(terms) > dof:
        need = math.ceil(len(terms) / (J_total - 1))
        raise DesignError(f"the model has {len(terms)} terms but {prob.n_sets} choice sets of "
                          f"{J_total} alternatives give at most {dof} independent comparisons; "
                          f"use at least {need} choice sets (tasks x blocks = {d.tasks} x "
                          f"{d.blocks} now) or more alternatives", key="design.tasks")


# ----- the search --------------------------------------------------------------------------
def _constructed_start(study, prob: SearchProblem, rng):
    """The Street-Burgess design for this request, when one exists and is allowed."""
    d = study.spec.design
    plan = street_burgess_plan(prob.levels.tolist(), prob.n_alt, prob.n_sets, 1, rng)
    if plan is None:
        return None
    sets = plan[0]
    if d.exclude and not prob.allowed(sets).all():
        return None
    if prob.set_rules and not prob.sets_ok(sets).all():
        return None
    if len({set_key(s) for s in sets}) < len(sets):
        return None
    return sets


def search(study, rng, draws: np.ndarray, objective_name: str,
           construction_start: bool = True, initial: np.ndarray | None = None,
           initial_name: str | None = None, polish: np.ndarray | None = None,
           rounds: int | None = None) -> tuple[np.ndarray, dict]:
    """Best design over ``design.starts`` starts; (sets, info).

    The first start is ``initial`` when given, else the Street-Burgess construction when
    ``construction_start`` and one fits; the other starts are random. Start i runs on the
    i-th child spawned from ``rng``'s seed sequence (in parallel unless parallel.jobs is 1).

    Parameters
    ----------
    study : Study
    rng : numpy.random.Generator
    draws : ndarray of float (R, K)
        Coefficient draws, equally weighted (one row: D-error; more: DB-error).
    objective_name : str
    construction_start : bool
        Try the Street-Burgess construction as the first start.
    initial : ndarray of int (n_sets, n_alternatives, n_attributes), optional
        A given first start, described in ``info`` as ``initial_name``.
    polish : ndarray of float (R2, K), optional
        More draws for a final polish (see :func:`polish_designs`).
    rounds : int, optional
        Perturbation rounds of each start (default :func:`search_rounds`).

    Returns
    -------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        The best design (ties: the first start).
    info : dict
        Algorithm, objective value, values and passes per start, time-limit flag, seconds.

    Raises
    ------
    DesignError
        Key ``design.exclude`` (exclusions leave too few profiles or lose a level),
        ``design.tasks`` (too few distinct sets, more terms than comparisons) or
        ``design`` (no start identifies every term). A DesignSearchWarning (not an
        error) says when ``design.time_limit`` stopped a start before it converged.
    """
    d = study.spec.design
    terms = design_terms(study)
    prob = make_problem(study, draws)
    if rounds is not None:
        prob.rounds = int(rounds)
    _pre_checks(study, prob, terms)
    started = time.time()
    if d.time_limit is not None:
        prob.deadline = started + float(d.time_limit)
    seeds = rng.bit_generator.seed_seq.spawn(d.starts + 2)
    if initial is None and construction_start:
        initial = _constructed_start(study, prob, np.random.default_rng(seeds[-2]))
        initial_name = "Street-Burgess construction"
    par = getattr(study.spec, "parallel", None)
    jobs = getattr(par, "jobs", 1)
    results = _run_all(prob, seeds[:-2], initial, None if jobs in (None, 1) else jobs)
    values = [r["objective"] for r in results]
    best = int(np.argmin(values))  # ties: the first start
    if not np.isfinite(values[best]):
        _unidentified(prob, results[best]["design"], terms)
    info = {
        "algorithm": ("modified Fedorov (exchange against every allowed profile) with swaps"
                      if prob.candidates is not None else "coordinate exchange with swaps"),
        "objective": objective_name, "objective_value": float(values[best]),
        "starts": int(d.starts), "rounds_per_start": int(prob.rounds),
        "first_start": initial_name if initial is not None else "random",
        "best_start": best + 1,
        "start_values": [float(v) if np.isfinite(v) else None for v in values],
        "passes": [int(r["passes"]) for r in results],
        "candidate_profiles": None if prob.candidates is None else int(len(prob.candidates)),
        "level_balance": d.level_balance,
    }
    if polish is not None:
        results, best, extra = polish_designs(study, results, polish, seeds[-1], prob.deadline)
        info.update(extra, objective_value=exact_objective(prob, results[best]["design"]))
    _warn_after(d, results, best)
    info["time_limit_reached"] = any(r["timed_out"] for r in results)
    info["seconds"] = round(time.time() - started, 3)
    return results[best]["design"], info


def _unidentified(prob: SearchProblem, sets: np.ndarray, terms) -> None:
    """Raise the DesignError of a search whose best design leaves terms unidentified."""
    info0 = set_information(prob.set_matrix(sets), np.zeros((1, prob.n_terms))).sum(axis=(0, 1))
    bad = null_terms(info0, terms) or terms
    raise DesignError(f"no start found a design that identifies {', '.join(bad)}; add "
                      "tasks or alternatives, or relax `exclude`", key="design")


def _warn_after(d, results: list, best: int) -> None:
    """DesignSearchWarnings: level-count bounds not met, time limit reached."""
    if results[best]["violation"] > 0:
        warnings.warn(f"design.level_balance {d.level_balance}: the search found no design "
                      "whose level counts meet the bounds (exclusions or constraints may rule "
                      "them out); see level_balance in the diagnostics",
                      DesignSearchWarning, stacklevel=4)
    if any(r["timed_out"] for r in results):
        warnings.warn(f"design.time_limit of {d.time_limit} s reached before the search "
                      "converged; the design is the best found so far and may differ between "
                      "runs", DesignSearchWarning, stacklevel=4)


def polish_draw_count(study, n_search: int) -> int:
    """Draws of the final polish: the largest power of two whose exchange pass fits
    :data:`POLISH_WORK`, between 512 and :data:`POLISH_DRAWS`, and at least twice the
    search's draws.

    Parameters
    ----------
    study : Study
    n_search : int
        Draws of the search.

    Returns
    -------
    int
    """
    d = study.spec.design
    prob = make_problem(study, np.zeros((1, len(design_terms(study)))))
    cands = (len(prob.candidates) if prob.candidates is not None
             else int(prob.levels.sum()))
    per_draw = prob.n_sets * prob.n_alt * cands * prob.n_terms ** 2
    fit = max(1, int(POLISH_WORK // max(per_draw, 1)))
    n = min(POLISH_DRAWS, max(512, 1 << (fit.bit_length() - 1)))
    return max(n, 2 * n_search) if d is not None else n


def polish_designs(study, results: list, draws: np.ndarray, seed_seq, deadline=None):
    """Re-rank the starts' designs under more draws and improve the best ones on them.

    Optimising and judging on the same few draws rewards designs fitted to those draws; the
    designs of every start are scored under ``draws`` (more, independent of the search's),
    the :data:`POLISH_TOP` best (the best alone when a pass costs more than half
    :data:`POLISH_WORK`) are improved by the same exchange and swaps on ``draws``,
    and the best on ``draws`` is kept.

    Parameters
    ----------
    study : Study
    results : list of dict
        :func:`~dce.design.exchange.run_start` results.
    draws : ndarray of float (R2, K)
    seed_seq : numpy.random.SeedSequence
    deadline : float, optional
        Wall-clock deadline (``time.time()``) of the search.

    Returns
    -------
    results : list of dict
        The polished results (each design in them scored on ``draws``).
    best : int
        Index of the best.
    info : dict
        ``polish_draws``, ``polished_values`` and ``objective_value_polish``.
    """
    big = make_problem(study, draws)
    big.rounds = 0
    big.deadline = deadline
    seen, scored = set(), []
    for r in results:
        key = r["design"].tobytes()
        if np.isfinite(r["objective"]) and key not in seen:
            seen.add(key)
            scored.append((exact_objective(big, r["design"]), len(scored), r))
    scored.sort(key=lambda t: (t[0], t[1]))
    seeds = seed_seq.spawn(POLISH_TOP)
    cands = len(big.candidates) if big.candidates is not None else int(big.levels.sum())
    heavy = big.n_sets * big.n_alt * cands * len(draws) * big.n_terms ** 2 > POLISH_WORK / 2
    out = [run_start(big, seeds[i], r["design"]) for i, (_, _, r) in
           enumerate(scored[:1 if heavy else POLISH_TOP])]
    values = [r["objective"] for r in out]
    best = int(np.argmin(values))
    return out, best, {"polish_draws": int(len(draws)), "polished_values": values,
                       "objective_value_polish": float(values[best])}


def _run_all(prob: SearchProblem, seeds, initial=None, n_jobs=None) -> list[dict]:
    """Run the starts (in parallel when ``n_jobs`` or ``joblib.parallel_config`` asks)."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    bar = tqdm(total=len(seeds), desc="design search", unit="start", leave=False,
               disable=not sys.stderr.isatty())
    out = []
    try:
        jobs = (delayed(run_start)(prob, s, initial if i == 0 else None)
                for i, s in enumerate(seeds))
        for res in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            out.append(res)
            bar.update(1)
    finally:
        bar.close()
    return out


# ----- the methods -------------------------------------------------------------------------
def d_efficient_design(study, rng):
    """`method: d-efficient`: smallest D-error at the prior means (0 where none given).

    Locally optimal design (Huber and Zwerina 1996) found by :func:`search`, checked by
    :func:`identification_check` and split into level-balanced blocks.

    Parameters
    ----------
    study : Study
    rng : numpy.random.Generator
        The ``design`` stream.

    Returns
    -------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        Level indices.
    blocks : ndarray of int (n_sets,)
        Block (1-based) of each set.
    info : dict
        ``{"search": ...}``, see :func:`search`.

    Raises
    ------
    DesignError
        See :func:`search` and :func:`identification_check`; key ``design.blocks`` when
        the blocks do not divide the sets.
    """
    d = study.spec.design
    terms = design_terms(study)
    mean, _sd = prior_moments(study, terms)
    sets, info = search(study, rng, mean[None, :], "D-error")
    identification_check(study, sets)
    blocks = balanced_blocks(sets, d.blocks, [a.n_levels for a in study.attributes], rng)
    info["priors"] = "fixed, at the prior means"
    return sets, blocks, {"search": info}


def bayesian_design(study, rng):
    """`method: bayesian`: smallest DB-error over quasi-random draws from normal priors.

    Bayesian D-optimal design (Sandor and Wedel 2001; Kessels et al. 2006): the mean of
    det(I(b))^(-1/K) over ``design.prior_draws`` Sobol or Halton draws. The first start is
    the D-efficient design at the prior means.

    Parameters as :func:`d_efficient_design`.

    Returns
    -------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
    blocks : ndarray of int (n_sets,)
    info : dict
        ``{"search": ..., "_draws": draws}``; the draws (R, K) let the diagnostics use the
        same draws.

    Raises
    ------
    DesignError
        As :func:`d_efficient_design`.

    Warns
    -----
    DesignSearchWarning
        When no prior has an sd above 0 (the design is then a d-efficient one).
    """
    d = study.spec.design
    terms = design_terms(study)
    mean, sd = prior_moments(study, terms)
    draws, draw_info = prior_draws(mean, sd, d.prior_draws, rng)
    if not (sd > 0).any():
        warnings.warn("design.method bayesian: no prior has an sd above 0, so the design is "
                      "a d-efficient design at the prior means; give priors as {mean, sd}",
                      DesignSearchWarning, stacklevel=2)
    # first start: the D-efficient design at the prior means (a cheap search, one draw)
    local, _ = search(study, np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0]),
                      mean[None, :], "D-error", rounds=0)
    # search on Sobol draws (a power of two at least design.prior_draws), polish on more
    spawn = rng.bit_generator.seed_seq.spawn(2)
    n_search = 1 << (d.prior_draws - 1).bit_length()
    opt = draws if n_search == d.prior_draws else prior_draws(
        mean, sd, n_search, np.random.default_rng(spawn[0]))[0]
    polish, _ = prior_draws(mean, sd, polish_draw_count(study, n_search),
                            np.random.default_rng(spawn[1]))
    sets, info = search(study, rng, opt, "DB-error", initial=local,
                        initial_name="D-efficient design at the prior means",
                        polish=polish if len(polish) > 1 else None)
    # reported: the DB-error over the configured draws (as the diagnostics compute it)
    info["search_draws"] = int(len(opt))
    info["search_objective_value"] = info["objective_value"]
    info["objective_value"] = exact_objective(make_problem(study, draws), sets)
    identification_check(study, sets)
    blocks = balanced_blocks(sets, d.blocks, [a.n_levels for a in study.attributes], rng)
    info.update(draw_info)
    return sets, blocks, {"search": info, "_draws": draws}
