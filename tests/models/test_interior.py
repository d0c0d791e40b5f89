"""The proof from a fit's probabilities that the likelihood has a maximum
(dce.models.interior): it must never pass data that have a direction of recession, it
must pass ordinary fits (so the linear programs are spared), and the separation check
must find the same directions with it as without it.

References: a closed form (one term, two pairs), the linear program of the definition
solved with scipy's HiGHS in the test, and the probabilities of a plain softmax.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from dce.models import interior, separation
from dce.models.clogit import fit as clogit_fit
from tests.models.test_separation_speed import CASES, choice_data


def has_direction(A) -> bool:
    """The definition: some d with A d >= 0 and sum(A d) > 0 (|d_k| <= 1), by LP."""
    lp = optimize.linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(A)),
                          bounds=[(-1, 1)] * A.shape[1], method="highs")
    return lp.status == 0 and -lp.fun > 1e-9


def test_closed_form_one_term():
    # rows +1 and -1: y = (1, 1) has A'y = 0, no direction; rows +1 and +1: d = 1 is one
    assert interior.certified(np.array([[1.0], [-1.0]]), np.array([0.5, 0.5]))
    assert not interior.certified(np.array([[1.0], [1.0]]), np.array([0.5, 0.5]))
    # A'y far from 0: the proof fails (which says nothing either way)
    assert not interior.certified(np.array([[1.0], [-1.0]]), np.array([0.9, 0.1]))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 14), st.integers(1, 4),
       st.sampled_from(["free", "near-balanced"]))
def test_never_passes_a_matrix_with_a_direction(seed, U, K, how):
    """Sound: whenever the proof passes, the LP of the definition finds no direction."""
    A, y = matrix_and_weights(np.random.default_rng(seed), U, K, how)
    if interior.certified(A, y):
        assert not has_direction(A)


def matrix_and_weights(rng, U, K, how):
    """Integer rows and positive weights; "near-balanced" adds the row that makes A'y = 0
    (so no direction exists) and then disturbs y a little."""
    A = rng.integers(-2, 3, (U, K)).astype(float)
    y = rng.uniform(0.01, 1.0, U)
    if how == "near-balanced":
        A = np.vstack([A, -(A.T @ y)])
        y = np.r_[y, 1.0] * (1 + rng.normal(0, 1e-10, U + 1))
    return A, y


def test_the_proof_passes_balanced_matrices():
    """Not vacuous: most balanced matrices of full rank are proved."""
    rng = np.random.default_rng(8)
    cases = [matrix_and_weights(rng, 12, 3, "near-balanced") for _ in range(200)]
    full = [(A, y) for A, y in cases if np.linalg.matrix_rank(A) == 3]
    assert sum(interior.certified(A, y) for A, y in full) > 0.9 * len(full)


def test_pair_probabilities_are_the_softmax():
    rng = np.random.default_rng(3)
    sizes = rng.integers(2, 5, 50)
    u = [rng.normal(0, 30, k) for k in sizes]  # large utilities: no overflow allowed
    margins, sets, want = [], [], []
    for s, v in enumerate(u):  # the chosen row is the first of each set
        p = np.exp(v - v.max()) / np.exp(v - v.max()).sum()
        margins += list(v[0] - v[1:]); sets += [s] * (len(v) - 1); want += list(p[1:])
    got = interior.pair_probabilities(np.array(margins), np.array(sets))
    assert np.allclose(got, want, rtol=1e-12, atol=0)
    assert interior.pair_probabilities(np.array([1.0, 2.0]), np.array([1, 0])) is None


@settings(max_examples=120, deadline=None)
@given(CASES)
def test_the_check_finds_the_same_direction_with_a_fit(case):
    """With the fit's estimates the check answers as without them (random, complete and
    quasi-complete separation, several chosen rows in a set)."""
    seed, n_sets, sizes, K, mode, levels = case
    data = choice_data(np.random.default_rng(seed), n_sets, sizes, K, mode, levels)
    try:
        beta = clogit_fit(data, se="classic", check=False).params
    except Exception:  # noqa: BLE001 - a fit that fails: any estimates will do
        beta = np.zeros(K)
    want, got = separation.direction(data), separation.direction(data, beta)
    assert (want is None) == (got is None)
    if want is not None:
        assert np.array_equal(want[0], got[0]) and want[1] == got[1]


def test_an_ordinary_fit_is_proved_without_linear_programs(monkeypatch):
    """3,000 sets of 3 with strong attributes (utility ranges up to 17, so the screen
    calls for the check): the fit's probabilities prove the maximum, no LP runs."""
    rng = np.random.default_rng(11)
    n, J, K = 3000, 3, 6
    X = rng.integers(0, 4, (n, J, K)).astype(float)
    beta = np.linspace(-1.4, 1.4, K)
    u = X @ beta + rng.gumbel(size=(n, J))
    chosen = (u == u.max(axis=1, keepdims=True)).astype(float).ravel()
    data = choice_data(rng, n, (J,), K, "random", 4)
    data = type(data)(**{**data.__dict__, "X": X.reshape(-1, K), "chosen": chosen})
    fit = clogit_fit(data, se="classic", check=False)
    assert separation.suspicious(data, fit.params, fit.converged)

    def no_lp(*args, **kwargs):
        raise AssertionError("a linear program ran")

    monkeypatch.setattr(separation, "_cone_lp", no_lp)
    assert separation.direction(data, fit.params) is None
    with pytest.raises(AssertionError, match="linear program"):
        separation.direction(data)


def test_a_separated_fit_is_never_proved():
    """The row with the largest first column is always chosen: the fit runs far out
    along x0 and the proof must fail on its probabilities."""
    rng = np.random.default_rng(5)
    data = choice_data(rng, 400, (3,), 3, "complete", 4)
    beta = clogit_fit(data, se="classic", check=False, max_iter=200).params
    D, sets = separation._differences(data, with_sets=True)
    y = interior.pair_probabilities(D @ beta, sets)
    assert not interior.certified(D, y)
    found = separation.direction(data, beta)
    assert found is not None and found[0][0] > 0
