"""Comparison statistics against independent implementations (statsmodels, scipy)."""

import numpy as np
import pytest
from scipy import stats

from dce.analysis.compare import _kendall_rows, _spearman_rows, holm, mc_p_value
from dce.analysis.importance import ranks


def test_holm_matches_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001, 0.04])
    expected = multitest.multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm(p), expected, rtol=1e-12)


def test_rank_correlations_match_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 7)), rng.normal(size=(50, 7))
    ra, rb = ranks(a), ranks(b)
    for i in range(50):
        assert _spearman_rows(ra[i:i + 1], rb[i:i + 1])[0] == pytest.approx(
            stats.spearmanr(a[i], b[i]).statistic)
        assert _kendall_rows(ra[i:i + 1], rb[i:i + 1])[0] == pytest.approx(
            stats.kendalltau(a[i], b[i]).statistic)


def test_ranks_are_one_for_largest():
    np.testing.assert_array_equal(ranks(np.array([[0.1, 0.5, 0.4]])), [[3, 1, 2]])


def test_monte_carlo_p_value():
    assert mc_p_value(np.ones(999)) == pytest.approx(2 / 1000)
    d = np.r_[-np.ones(500), np.ones(500)]
    assert mc_p_value(d) == 1.0


def test_wald_p_value_from_draws():
    from dce.analysis.compare import wald_p_value

    d = np.random.default_rng(1).normal(0.3, 0.1, 200_000)
    assert wald_p_value(d) == pytest.approx(2 * stats.norm.sf(3.0), rel=0.02)
    assert wald_p_value(np.zeros(10)) == 1.0  # no variation: Monte Carlo fallback


@pytest.mark.parametrize("p1, reported", [(0.3, True), (0.01, False), (float("nan"), False)])
def test_scale_is_reported_only_when_step_one_does_not_reject(p1, reported):
    """Step 2 of Swait-Louviere appears only when step 1 ran and did not reject; a step 1
    that could not be computed (NaN) never lets a relative scale through."""
    from dce.analysis.compare import _scale_rows
    from dce.analysis.scale import ScaleComparison

    st = ScaleComparison(statistic_preferences=3.0, df_preferences=4, p_preferences=p1,
                         relative_scale=0.6, scale_ci=(0.5, 0.7), p_scale=1e-4, z_scale=-4.0,
                         group_specific=(), constants=("asc[opt_out]",), scaled_fit=None)
    rows = _scale_rows("a", "b", st, 0.05)
    scale = rows[1]
    assert (scale["estimate"] == 0.6) is reported
    assert ("not reported" in scale["note"]) is not reported
