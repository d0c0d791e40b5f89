"""check_identified hands its Evaluator to the next fit of the same ChoiceData object
(issue 16: the run checks, then fits with check=False): the fit is the one a fresh
Evaluator gives, bit for bit, and no other data set ever gets that Evaluator."""

import dataclasses
import warnings

import numpy as np
import pytest

from dce.core.coding import ChoiceData
from dce.models import clogit


def simulated(seed, n_sets=300, J=3, K=4, beta_scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, (n_sets * J, K)).astype(float)
    u = (X @ np.linspace(-1, 1, K) * beta_scale).reshape(n_sets, J)
    pick = np.argmax(u + rng.gumbel(size=u.shape), axis=1)
    chosen = (np.arange(J)[None, :] == pick[:, None]).astype(float).ravel()
    respondent = np.arange(n_sets) // 6
    return ChoiceData(X=X, chosen=chosen, set_start=np.arange(0, n_sets * J + 1, J),
                      respondent=respondent, respondent_ids=np.unique(respondent),
                      group=np.array(["all"] * n_sets, dtype=object),
                      alternative=np.tile(np.arange(1, J + 1), n_sets),
                      terms=tuple(f"x{k}" for k in range(K)))


def same_fit(a, b):
    assert a.params.tobytes() == b.params.tobytes() and a.loglik == b.loglik
    for kind in a.vcovs:
        assert a.vcovs[kind].tobytes() == b.vcovs[kind].tobytes(), kind
    assert (a.iterations, a.converged, a.warnings) == (b.iterations, b.converged, b.warnings)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("se", ["cluster", "robust", "classic"])
def test_a_checked_fit_equals_a_fresh_fit(seed, se):
    data = simulated(seed)
    fresh = clogit.fit(dataclasses.replace(data), se=se, check=False)  # another object
    clogit.check_identified(data)
    handed = clogit._HANDOFF[0][1]
    assert clogit._evaluator(data) is handed and not clogit._HANDOFF  # once only
    clogit.check_identified(data)
    same_fit(clogit.fit(data, se=se, check=False), fresh)


def test_the_evaluator_goes_to_the_same_data_only():
    data, other = simulated(4), simulated(5)
    clogit.check_identified(data)
    ev = clogit._HANDOFF[0][1]
    got = clogit._evaluator(other)
    assert got is not ev and not clogit._HANDOFF     # dropped, not kept for later
    clogit.check_identified(data)
    same_fit(clogit.fit(other, check=False), clogit.fit(dataclasses.replace(other),
                                                        check=False))


def test_a_separated_fit_warns_the_same_after_the_check():
    data = simulated(6, n_sets=40, K=2, beta_scale=40.0)  # choices nearly determined
    with warnings.catch_warnings(record=True) as fresh_w:
        warnings.simplefilter("always")
        fresh = clogit.fit(dataclasses.replace(data), check=False)
    clogit.check_identified(data)
    with warnings.catch_warnings(record=True) as handed_w:
        warnings.simplefilter("always")
        handed = clogit.fit(data, check=False)
    same_fit(handed, fresh)
    assert [str(w.message) for w in handed_w] == [str(w.message) for w in fresh_w]
