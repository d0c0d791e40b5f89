"""Properties of the native conditional logit that hold whatever the data: derivatives,
identification checks, invariances, numerical safety and recovery of known parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special, stats

from dce.core.coding import ChoiceData
from dce.errors import EstimationError
from dce.models import clogit

# ------------------------------------------------------------------------------ helpers


def make_data(X, chosen, sizes, tasks_per_respondent=4, terms=None) -> ChoiceData:
    """A ChoiceData from rows already grouped into consecutive sets of the given sizes."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    sizes = np.asarray(sizes, dtype=np.int64)
    S = len(sizes)
    resp = np.arange(S) // tasks_per_respondent
    alt = np.concatenate([np.arange(1, m + 1) for m in sizes])
    return ChoiceData(
        X=X, chosen=np.asarray(chosen, dtype=np.float64),
        set_start=np.r_[0, np.cumsum(sizes)].astype(np.int64),
        respondent=resp.astype(np.int64), respondent_ids=np.arange(resp[-1] + 1),
        group=np.full(S, "all", dtype=object), alternative=alt.astype(np.int64),
        terms=tuple(terms or (f"x{k}" for k in range(X.shape[1]))),
    )


def simulate(rng, beta, sizes, X):
    """Chosen indicators from utilities X @ beta plus independent Gumbel errors."""
    u = X @ beta + rng.gumbel(size=X.shape[0])
    chosen = np.zeros(X.shape[0])
    start = np.r_[0, np.cumsum(sizes)]
    for s in range(len(sizes)):
        chosen[start[s] + np.argmax(u[start[s]:start[s + 1]])] = 1.0
    return chosen


def random_attributes(rng, n):
    """Four columns of typical DCE attribute types: effects pair, dummy, linear."""
    q = rng.integers(3, size=n)
    eff = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])[q]
    dummy = rng.integers(2, size=n).astype(float)
    price = rng.choice([2.0, 5.0, 10.0, 20.0], size=n)
    return np.column_stack([eff, dummy, price])


TERMS4 = ("quality[Trained]", "quality[Checked]", "online", "price")
BETA4 = np.array([0.6, 0.2, -0.4, -0.08])


def small_data(seed=11, n_sets=300, min_size=2, max_size=4) -> ChoiceData:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(min_size, max_size + 1, size=n_sets)
    X = random_attributes(rng, int(sizes.sum()))
    return make_data(X, simulate(rng, BETA4, sizes, X), sizes, terms=TERMS4)


def explicit_loglik(beta, data):
    """Log-likelihood by a plain loop over sets with scipy's logsumexp."""
    ll = 0.0
    for s in range(data.n_sets):
        rows = slice(data.set_start[s], data.set_start[s + 1])
        v = data.X[rows] @ beta
        ll += data.chosen[rows] @ v - data.chosen[rows].sum() * special.logsumexp(v)
    return ll


def with_column(data, col, name, position=None) -> ChoiceData:
    position = data.X.shape[1] if position is None else position
    X = np.insert(data.X, position, col, axis=1)
    terms = list(data.terms)
    terms.insert(position, name)
    return make_data(X, data.chosen, data.set_sizes, terms=terms)


DATA = small_data()
FIT = clogit.fit(DATA, se="classic")
BETA_OFF = np.array([0.3, -0.5, 0.8, -0.2])      # far from the optimum: gradient is large


# ------------------------------------------------------------------------- derivatives


def test_loglik_matches_explicit_loop():
    for beta in (np.zeros(4), BETA_OFF, FIT.params):
        np.testing.assert_allclose(clogit.loglik(beta, DATA), explicit_loglik(beta, DATA),
                                   rtol=1e-12)
        np.testing.assert_allclose(clogit.derivatives(beta, DATA)[0],
                                   clogit.loglik(beta, DATA), rtol=1e-14)


def test_gradient_matches_central_differences():
    _, grad, _ = clogit.derivatives(BETA_OFF, DATA)
    assert np.abs(grad).max() > 1.0                      # genuinely off the optimum
    h = 1e-5
    fd = np.empty(4)
    for k in range(4):
        e = np.zeros(4)
        e[k] = h
        fd[k] = (clogit.loglik(BETA_OFF + e, DATA) - clogit.loglik(BETA_OFF - e, DATA)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_hessian_matches_central_differences_of_gradient():
    _, _, H = clogit.derivatives(BETA_OFF, DATA)
    h = 1e-5
    fd = np.empty((4, 4))
    for k in range(4):
        e = np.zeros(4)
        e[k] = h
        fd[:, k] = (clogit.derivatives(BETA_OFF + e, DATA)[1]
                    - clogit.derivatives(BETA_OFF - e, DATA)[1]) / (2 * h)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


def test_hessian_matches_second_differences_of_loglik():
    """Independent of the analytic gradient: four-point second differences of the
    log-likelihood itself."""
    _, _, H = clogit.derivatives(BETA_OFF, DATA)
    h = 1e-3
    f = lambda b: clogit.loglik(b, DATA)  # noqa: E731
    fd = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h, np.eye(4)[j] * h
            fd[i, j] = (f(BETA_OFF + ei + ej) - f(BETA_OFF + ei - ej)
                        - f(BETA_OFF - ei + ej) + f(BETA_OFF - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(H, fd, rtol=1e-4, atol=1e-4 * np.abs(fd).max())
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-10)
    assert np.linalg.eigvalsh(H).max() < 0                 # concave log-likelihood


def test_fit_is_a_stationary_point():
    _, grad, H = clogit.derivatives(FIT.params, DATA)
    assert FIT.converged
    # Newton step from the estimate is negligible relative to the standard errors
    step = np.linalg.solve(-H, grad)
    assert np.all(np.abs(step) < 1e-8 * FIT.bse)


# ---------------------------------------------------------------------- identification


DATA3 = small_data(seed=12, min_size=3, max_size=3)    # every set has 3 alternatives

CONSTANT_COLUMNS = {
    # a user-added intercept: the same value in every row
    "ones": lambda rng, n_sets: np.ones(n_sets),
    "same_value_0.7": lambda rng, n_sets: np.full(n_sets, 0.7),
    # e.g. a respondent characteristic copied to every alternative: constant within a set only
    "differs_between_sets": lambda rng, n_sets: rng.normal(size=n_sets),
    "large_values": lambda rng, n_sets: rng.choice([1e3, 2e3, 5e3], n_sets),
}


@pytest.mark.parametrize("kind", sorted(CONSTANT_COLUMNS))
@pytest.mark.parametrize("design", ["3_alternatives", "2_to_4_alternatives"])
def test_column_constant_within_sets_is_not_identified(kind, design):
    base = DATA3 if design == "3_alternatives" else DATA
    per_set = CONSTANT_COLUMNS[kind](np.random.default_rng(3), base.n_sets)
    data = with_column(base, np.repeat(per_set, base.set_sizes), "everywhere", position=1)
    with pytest.raises(EstimationError) as err:
        clogit.check_identified(data)
    message = str(err.value)
    assert "everywhere" in message
    assert "price" not in message and "online" not in message
    with pytest.raises(EstimationError, match="everywhere"):
        clogit.fit(data)


@pytest.mark.parametrize("factor", [1.0, 2.5, -1.0])
def test_two_proportional_columns_are_not_identified(factor):
    data = with_column(DATA, factor * DATA.X[:, 3], "price_again")
    with pytest.raises(EstimationError) as err:
        clogit.fit(data)
    message = str(err.value)
    assert "price" in message.replace("price_again", "") and "price_again" in message
    assert "online" not in message and "quality" not in message


def test_linear_combination_names_the_terms_involved():
    combo = DATA.X[:, 2] - 0.1 * DATA.X[:, 3]            # online - 0.1 price
    data = with_column(DATA, combo, "bundle")
    with pytest.raises(EstimationError) as err:
        clogit.check_identified(data)
    message = str(err.value)
    assert all(t in message for t in ("online", "price", "bundle"))
    assert "quality" not in message


def test_identified_data_passes_the_check():
    clogit.check_identified(DATA)          # must not raise
    # a column whose values are large but which varies within sets is fine too
    rng = np.random.default_rng(5)
    clogit.check_identified(with_column(DATA, 1e3 * rng.normal(size=DATA.n_rows), "big"))


# ------------------------------------------------------------------------- invariances

_scales = st.one_of(st.floats(1e-2, 1e3), st.floats(-1e3, -1e-2))


# small c makes coefficients large; the engine's separation warning (|b| > 25) is not the
# subject here
_large = "ignore:.*very large estimates:RuntimeWarning"


@pytest.mark.filterwarnings(_large)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.integers(0, 3), c=_scales)
def test_scaling_a_column_scales_its_coefficient(k, c):
    X = DATA.X.copy()
    X[:, k] *= c
    res = clogit.fit(make_data(X, DATA.chosen, DATA.set_sizes, terms=TERMS4), se="classic")
    expected = FIT.params.copy()
    expected[k] /= c
    np.testing.assert_allclose(res.params, expected, rtol=1e-6, atol=1e-10 * FIT.bse.max())
    se = FIT.bse.copy()
    se[k] /= abs(c)
    np.testing.assert_allclose(res.bse, se, rtol=1e-6)
    np.testing.assert_allclose(res.loglik, FIT.loglik, rtol=1e-10)


@pytest.mark.filterwarnings(_large)
@pytest.mark.parametrize("k,c", [(3, 0.001), (3, 100.0), (0, -2.0), (2, 1e3)])
def test_scaling_fixed_cases(k, c):
    X = DATA.X.copy()
    X[:, k] *= c
    res = clogit.fit(make_data(X, DATA.chosen, DATA.set_sizes, terms=TERMS4), se="classic")
    np.testing.assert_allclose(res.params[k] * c, FIT.params[k], rtol=1e-6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 3), spread=st.floats(0.1, 100.0))
def test_shifting_a_column_within_each_set_changes_nothing(seed, k, spread):
    """Adding the same amount to every alternative of a set (for any one attribute) leaves
    the estimates, standard errors and log-likelihood unchanged."""
    shift = np.random.default_rng(seed).normal(scale=spread, size=DATA.n_sets)
    X = DATA.X.copy()
    X[:, k] += np.repeat(shift, DATA.set_sizes)
    res = clogit.fit(make_data(X, DATA.chosen, DATA.set_sizes, terms=TERMS4), se="classic",
                     check=False)
    np.testing.assert_allclose(res.params, FIT.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.bse, FIT.bse, rtol=1e-6)
    np.testing.assert_allclose(res.loglik, FIT.loglik, rtol=1e-10)


def _probabilities(beta, data):
    # the engine's own probabilities (no public accessor exists yet)
    return clogit.Evaluator(data).probabilities(np.asarray(beta, float))[1]


@settings(max_examples=25, deadline=None)
@given(beta=st.lists(st.floats(-50, 50), min_size=4, max_size=4))
def test_probabilities_sum_to_one_in_each_set(beta):
    p = _probabilities(beta, DATA)
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(np.add.reduceat(p, DATA.set_start[:-1]), 1.0, rtol=1e-12)
    # and they are the softmax of the utilities within each set
    v = DATA.X @ np.asarray(beta)
    for s in range(0, DATA.n_sets, 37):
        rows = slice(DATA.set_start[s], DATA.set_start[s + 1])
        np.testing.assert_allclose(p[rows], special.softmax(v[rows]), rtol=1e-9, atol=1e-300)


# ---------------------------------------------------------------------- numerical safety


def test_utilities_of_order_1e3_do_not_overflow():
    rng = np.random.default_rng(21)
    sizes = rng.integers(2, 5, size=200)
    n = int(sizes.sum())
    X = rng.uniform(-1.0, 1.0, size=(n, 3)) * np.array([1e3, 2e3, 5e2])
    data = make_data(X, simulate(rng, np.array([1e-3, -5e-4, 2e-3]), sizes, X), sizes)
    for beta in (np.array([1.0, -1.0, 2.0]), np.array([3.0, 2.0, -4.0])):
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
            ll, grad, H = clogit.derivatives(beta, data)
        assert np.isfinite(ll) and np.all(np.isfinite(grad)) and np.all(np.isfinite(H))
        assert ll < -1e3                                   # far from the data: huge but finite
        np.testing.assert_allclose(ll, explicit_loglik(beta, data), rtol=1e-12)
        p = _probabilities(beta, data)
        np.testing.assert_allclose(np.add.reduceat(p, data.set_start[:-1]), 1.0, rtol=1e-12)
    res = clogit.fit(data, se="classic")
    assert res.converged
    assert np.all(np.isfinite(res.params)) and np.all(np.isfinite(res.bse))
    assert np.all(res.bse > 0)


def test_fit_from_a_start_far_away():
    res = clogit.fit(DATA, se="classic", start=[20.0, -20.0, 20.0, 5.0])
    assert res.converged
    np.testing.assert_allclose(res.params, FIT.params, rtol=1e-6)


# ----------------------------------------------------------------------------- recovery

RECOVERY_TERMS = ("quality[Trained]", "quality[Checked]", "online", "price", "asc[1]")
RECOVERY_BETA = np.array([0.6, 0.2, -0.4, -0.08, 0.3])


@pytest.fixture(scope="module")
def recovery():
    rng = np.random.default_rng(np.random.SeedSequence(4242))
    R, T, J = 2000, 8, 3
    n = R * T * J
    X = np.column_stack([random_attributes(rng, n), np.tile([1.0, 0.0, 0.0], R * T)])
    sizes = np.full(R * T, J)
    chosen = simulate(rng, RECOVERY_BETA, sizes, X)
    data = make_data(X, chosen, sizes, tasks_per_respondent=T, terms=RECOVERY_TERMS)
    return data, clogit.fit(data, se="cluster")


def test_recovery_each_coefficient_within_3_se(recovery):
    data, res = recovery
    assert data.n_respondents == 2000 and data.n_sets == 16000
    assert res.converged
    z = (res.params - RECOVERY_BETA) / res.bse
    assert np.all(np.abs(z) < 3), dict(zip(RECOVERY_TERMS, np.round(z, 2), strict=True))


def test_recovery_joint_wald(recovery):
    _, res = recovery
    d = res.params - RECOVERY_BETA
    wald = d @ np.linalg.solve(res.vcovs["classic"], d)
    assert wald < stats.chi2.ppf(0.999, len(d))


def test_recovery_standard_errors_agree_when_model_is_correct(recovery):
    """With independent Gumbel errors the information equality holds: classic, robust and
    cluster standard errors estimate the same thing."""
    _, res = recovery
    classic = np.sqrt(np.diag(res.vcovs["classic"]))
    for kind in ("robust", "cluster"):
        se = np.sqrt(np.diag(res.vcovs[kind]))
        np.testing.assert_allclose(se, classic, rtol=0.1)
