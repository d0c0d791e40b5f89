"""Respondent bootstrap: resample whole panels with replacement within each group.

Each replicate draws, for every group, as many respondents as the group has (with
replacement), refits the group's conditional logit warm-started at the full-sample
estimate, and refits the pooled model on the union of the groups' resamples. Replicates
run through :func:`dce.core.parallel.map_seeds`, so they are identical for any number of
workers. Replicates that fail or do not converge are recorded and left out.
"""

from __future__ import annotations

import warnings

import numpy as np

from dce.core.coding import ChoiceData
from dce.core.parallel import map_seeds
from dce.models.clogit import fit as clogit_fit


def panels(data: ChoiceData) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last set of each respondent (respondents are contiguous)."""
    first = np.flatnonzero(np.r_[True, data.respondent[1:] != data.respondent[:-1]])
    return first, np.r_[first[1:], data.n_sets]


def resample(data: ChoiceData, picks: np.ndarray) -> ChoiceData:
    """The panels of respondents ``picks`` (codes, repeats allowed), each as a new
    respondent."""
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


def _replicate(seq, groups: dict, starts: dict, pooled: bool) -> dict:
    rng = np.random.default_rng(seq)
    out, samples = {}, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data in groups.items():
            sample = resample(data, rng.integers(0, data.n_respondents, data.n_respondents))
            samples.append(sample)
            res = clogit_fit(sample, se="classic", start=starts[name], check=False)
            if not res.converged:
                raise RuntimeError(f"group {name}: refit did not converge")
            out[name] = res.params
        if pooled:
            res = clogit_fit(concat(samples), se="classic", start=starts["all"], check=False)
            if not res.converged:
                raise RuntimeError("pooled refit did not converge")
            out["all"] = res.params
    return out


def bootstrap(groups: dict, starts: dict, n: int, root: np.random.SeedSequence, *,
              pooled: bool = True, jobs: int = 1):
    """Coefficient replicates per group: ``({group: (n_ok x terms)}, failures)``."""
    result = map_seeds(_replicate, n, root, args=(groups, starts, pooled), jobs=jobs,
                       desc="bootstrap")
    ok = result.ok
    names = list(groups) + (["all"] if pooled else [])
    draws = {g: np.array([r[g] for r in ok]) for g in names}
    return draws, result.failures
