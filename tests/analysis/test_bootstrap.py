"""Respondent bootstrap: resampling mechanics, coverage by simulation, worker invariance."""

import numpy as np
import pytest

from dce.analysis.bootstrap import bootstrap, resample
from dce.core.coding import ChoiceData
from dce.core.parallel import map_seeds

TRUE = np.array([0.8, -0.5])


def panel_data(rng, n_resp=100, tasks=6, alts=2) -> ChoiceData:
    X = rng.normal(size=(n_resp * tasks * alts, 2))
    u = (X @ TRUE).reshape(-1, alts) + rng.gumbel(size=(n_resp * tasks, alts))
    chosen = np.zeros((n_resp * tasks, alts))
    chosen[np.arange(n_resp * tasks), u.argmax(1)] = 1
    return ChoiceData(X=X, chosen=chosen.ravel(),
                      set_start=np.arange(0, n_resp * tasks * alts + 1, alts),
                      respondent=np.repeat(np.arange(n_resp), tasks),
                      respondent_ids=np.arange(n_resp),
                      group=np.array(["g"] * (n_resp * tasks), dtype=object),
                      alternative=np.tile(np.arange(1, alts + 1), n_resp * tasks),
                      terms=("x1", "x2"))


def test_resample_keeps_whole_panels():
    data = panel_data(np.random.default_rng(0), n_resp=5, tasks=3)
    r = resample(data, np.array([4, 4, 0]))
    assert r.n_respondents == 3 and r.n_sets == 9
    np.testing.assert_array_equal(r.X[:6], data.X[24:30])   # respondent 4's panel
    np.testing.assert_array_equal(r.X[6:12], data.X[24:30])  # drawn twice
    np.testing.assert_array_equal(r.X[12:], data.X[:6])


def _covers(seq):
    from dce.models.clogit import fit

    rng = np.random.default_rng(seq)
    data = panel_data(rng)
    est = fit(data, se="classic")
    draws, failures = bootstrap({"g": data}, {"g": est.params}, 199,
                                np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key
                                                       + (99,)), pooled=False)
    lo, hi = np.quantile(draws["g"], [0.025, 0.975], axis=0)
    return (lo <= TRUE) & (TRUE <= hi)


@pytest.mark.slow
def test_percentile_intervals_cover_the_truth():
    out = map_seeds(_covers, 200, np.random.SeedSequence(77), jobs=2)
    assert not out.failures
    coverage = np.mean(out.results, axis=0)
    assert np.all((0.92 <= coverage) & (coverage <= 0.98)), coverage


def test_bootstrap_same_with_one_and_two_workers():
    data = panel_data(np.random.default_rng(3))
    start = {"g": TRUE}
    one, _ = bootstrap({"g": data}, start, 30, np.random.SeedSequence(9), pooled=False, jobs=1)
    two, _ = bootstrap({"g": data}, start, 30, np.random.SeedSequence(9), pooled=False, jobs=2)
    np.testing.assert_array_equal(one["g"], two["g"])
    assert len({tuple(r) for r in one["g"]}) == 30  # replicates differ from each other


def test_weighted_refit_equals_the_fit_of_the_copied_resample():
    # a resample fitted as frequency weights on the original sets (Refits) must give the
    # estimates of the conditional logit fitted to the copied panels
    from dce.analysis.bootstrap import set_weights
    from dce.models.clogit import fit
    from dce.models.clogit_refits import Refits

    data = panel_data(np.random.default_rng(5), n_resp=40, tasks=5, alts=3)
    picks = np.random.default_rng(6).integers(0, 40, 40)
    copied = fit(resample(data, picks), se="classic")
    beta, converged = Refits(data).fit(set_weights(data, picks), np.zeros(2))
    assert converged
    np.testing.assert_allclose(beta, copied.params, rtol=0, atol=1e-9)
    refits = Refits(data)  # the same object reused for a second draw forgets the first
    refits.fit(set_weights(data, picks), np.zeros(2))
    other = np.random.default_rng(7).integers(0, 40, 40)
    np.testing.assert_allclose(refits.fit(set_weights(data, other), TRUE)[0],
                               fit(resample(data, other), se="classic").params, atol=1e-9)


def test_largest_span_is_the_row_span_of_the_drawn_sets():
    # the separation screen of a refit reads the stored differences; the reference is the
    # span of X @ beta over each set's rows, in plain numpy, for sets of unequal size
    from dce.analysis.bootstrap import set_weights
    from dce.models.clogit_refits import Refits

    data = panel_data(np.random.default_rng(8), n_resp=30, tasks=4, alts=3)
    keep = np.ones(data.X.shape[0], bool)
    keep[data.set_start[1:-1:3]] = False          # drop a row of every third set but one
    rows = np.flatnonzero(keep)
    sets = np.repeat(np.arange(data.n_sets), np.diff(data.set_start))[rows]
    starts = np.r_[0, np.flatnonzero(np.diff(sets)) + 1, len(rows)]
    uneven = type(data)(data.X[rows], data.chosen[rows], starts, data.respondent,
                        data.respondent_ids, data.group, data.alternative[rows], data.terms)
    beta = np.array([2.5, -1.5])
    picks = np.random.default_rng(9).integers(0, 30, 30)
    weights = set_weights(uneven, picks)
    u = uneven.X @ beta
    span = np.maximum.reduceat(u, starts[:-1]) - np.minimum.reduceat(u, starts[:-1])
    assert Refits(uneven).largest_span(beta, weights) == pytest.approx(
        span[weights > 0].max(), rel=1e-12)
