"""Respondent bootstrap: resample whole panels with replacement within each group.

Each replicate draws, for every group, as many respondents as the group has (with
replacement), refits the group's conditional logit warm-started at the full-sample
estimate, and refits the pooled model on the union of the groups' resamples. A resample
is fitted as the original data with each choice set weighted by the number of times its
respondent was drawn (:class:`dce.models.clogit_refits.Refits`), which has the same likelihood
as the copied panels without copying them. Replicates
run through :func:`dce.core.parallel.map_seeds`, so they are identical for any number of
workers. Replicates that fail or do not converge are recorded and left out.

Resampling whole respondents keeps the dependence of a respondent's choices (the pairs
cluster bootstrap; Cameron and Miller 2015); callers take percentile intervals of the
replicates (Efron and Tibshirani 1993).

References
----------
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. Journal of Human Resources 50(2), 317-372.
Efron, B. and Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
"""

from __future__ import annotations

import warnings

import numpy as np

from dce.core.coding import ChoiceData
from dce.core.parallel import map_seeds
from dce.models.clogit_refits import Refits
from dce.models.separation import SCREEN, direction


def panels(data: ChoiceData) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last set of each respondent (respondents are contiguous).

    Parameters
    ----------
    data : ChoiceData
        ``respondent`` (sets,) with each respondent's sets contiguous.

    Returns
    -------
    first, last : ndarray of int (N,)
        Set range ``first[n]:last[n]`` of each respondent, in order of appearance.
    """
    first = np.flatnonzero(np.r_[True, data.respondent[1:] != data.respondent[:-1]])
    return first, np.r_[first[1:], data.n_sets]


def resample(data: ChoiceData, picks: np.ndarray) -> ChoiceData:
    """The panels of respondents ``picks`` (codes, repeats allowed), each as a new
    respondent.

    Parameters
    ----------
    data : ChoiceData
        Respondents contiguous (see :func:`panels`).
    picks : ndarray of int (n,)
        Positions of the respondents to take, in :func:`panels` order (the respondent
        codes when they run 0..N-1).

    Returns
    -------
    ChoiceData
        ``n`` respondents coded 0..n-1 (``respondent_ids`` also 0..n-1), their sets in
        the order of ``picks``; groups, alternatives and terms kept.
    """
    first, last = panels(data)
    n_sets_each = last[picks] - first[picks]
    sets = _ranges(first[picks], n_sets_each)
    sizes = data.set_sizes[sets]
    rows = _ranges(data.set_start[sets], sizes)
    return ChoiceData(
        X=data.X[rows], chosen=data.chosen[rows],
        set_start=np.r_[0, np.cumsum(sizes)].astype(np.int64),
        respondent=np.repeat(np.arange(len(picks)), n_sets_each).astype(np.int64),
        respondent_ids=np.arange(len(picks)), group=data.group[sets],
        alternative=data.alternative[rows], terms=data.terms)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + n) for each (s, n), without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + (np.arange(total) - offsets)


def concat(parts: list[ChoiceData]) -> ChoiceData:
    """Stack several ChoiceData (e.g. groups) into one, keeping respondents apart.

    Parameters
    ----------
    parts : list of ChoiceData
        At least one; the same terms (not checked: the first part's are used).

    Returns
    -------
    ChoiceData
        Rows and sets in the order of ``parts``; respondent codes shifted so that each
        part's respondents stay distinct (``respondent_ids`` become 0..total-1; the
        original identifiers are not kept).
    """
    shift, sets, rows = 0, [], 0
    resp = []
    for p in parts:
        sets.append(p.set_start[:-1] + rows)
        rows += p.n_rows
        resp.append(p.respondent + shift)
        shift += p.n_respondents
    return ChoiceData(
        X=np.concatenate([p.X for p in parts]),
        chosen=np.concatenate([p.chosen for p in parts]),
        set_start=np.r_[np.concatenate(sets), rows].astype(np.int64),
        respondent=np.concatenate(resp), respondent_ids=np.arange(shift),
        group=np.concatenate([p.group for p in parts]),
        alternative=np.concatenate([p.alternative for p in parts]), terms=parts[0].terms)


def _replicate(seq, groups: dict, refits: dict, starts: dict, pooled: bool,
               unchecked=frozenset()) -> dict:
    rng = np.random.default_rng(seq)
    out, picks, weights = {}, {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data in groups.items():
            picks[name] = rng.integers(0, data.n_respondents, data.n_respondents)
            w = set_weights(data, picks[name])
            weights.append(w)
            out[name] = _refit(name, refits[name], w, starts[name], unchecked,
                               lambda d=data, p=picks[name]: resample(d, p))
        if pooled:
            out["all"] = _refit("all", refits["all"], np.concatenate(weights), starts["all"],
                                unchecked, lambda: concat([resample(groups[g], picks[g])
                                                           for g in groups]))
    return out


def set_weights(data: ChoiceData, picks: np.ndarray) -> np.ndarray:
    """Frequency weight of each choice set in the resample of respondents ``picks``: the
    number of times its respondent was drawn.

    Parameters
    ----------
    data : ChoiceData
        Respondents contiguous (see :func:`panels`).
    picks : ndarray of int (n,)
        Positions of the respondents drawn, in :func:`panels` order.

    Returns
    -------
    ndarray of float (sets,)
    """
    first, last = panels(data)
    counts = np.bincount(picks, minlength=len(first)).astype(float)
    return np.repeat(counts, last - first)


def _refit(name, refits, weights, start, unchecked, sample) -> np.ndarray:
    """One weighted refit; a refit that did not converge, or whose resample has no
    maximum likelihood (a separated resample, :mod:`dce.models.separation`), fails the
    replicate. The resample itself is formed (``sample()``) only when the fit looks
    separated on the drawn sets."""
    beta, converged = refits.fit(weights, start)
    if not converged:
        raise RuntimeError(f"{'pooled' if name == 'all' else f'group {name}:'} refit did "
                           "not converge")
    if name not in unchecked and (not np.isfinite(beta).all()
                                  or refits.largest_span(beta, weights) > SCREEN):
        data = sample()
        if direction(data, beta) is not None:
            raise RuntimeError(f"group {name}: the resample is separated (no maximum "
                               "likelihood)")
    return beta


def bootstrap(groups: dict, starts: dict, n: int, root: np.random.SeedSequence, *,
              pooled: bool = True, jobs: int = 1, unchecked=frozenset()):
    """Coefficient replicates per group: ``({group: (n_ok x terms)}, failures)``.

    Each replicate resamples every group's respondents with replacement (a respondent
    bootstrap; Efron and Tibshirani 1993), refits each group's conditional logit (classic
    covariance, no identification check) and, with ``pooled``, the union of the resamples.
    A replicate in which any refit does not converge, or whose resample is separated (no
    maximum likelihood, :func:`dce.models.separation.has_no_maximum`), counts as failed.

    Parameters
    ----------
    groups : dict of str to ChoiceData
        Data of each group.
    starts : dict of str to ndarray (K,)
        Warm starts of the refits: one per group, and ``"all"`` with ``pooled``.
    n : int
        Replicates.
    root : numpy.random.SeedSequence
        Replicate i uses the child seed i of ``root`` (:func:`dce.core.parallel.map_seeds`).
    pooled : bool
        Also refit the pooled model (key ``"all"``).
    jobs : int
        Worker processes (1: this process); the results do not depend on it.
    unchecked : set of str
        Groups (or ``"all"``) whose resamples are not checked for separation (their
        original data are separated and run with ``model.on_separation: warn``).

    Returns
    -------
    draws : dict of str to ndarray (n_ok, K)
        Coefficient replicates of each group (and ``"all"``), the successful ones in order.
    failures : list of dce.core.parallel.Failure
        The failed replicates.
    """
    refits = {g: Refits(d) for g, d in groups.items()}
    if pooled:
        refits["all"] = Refits(concat(list(groups.values())))
    result = map_seeds(_replicate, n, root,
                       args=(groups, refits, starts, pooled, frozenset(unchecked)),
                       jobs=jobs, desc="bootstrap")
    ok = result.ok
    names = list(groups) + (["all"] if pooled else [])
    draws = {g: np.array([r[g] for r in ok]) for g in names}
    return draws, result.failures
