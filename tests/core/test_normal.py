"""The standard normal helpers (dce.core.normal) against scipy.special (an independent
implementation, Cephes): two-sided p-values and quantiles."""

import numpy as np
from scipy import special

from dce.core import normal


def test_two_sided_p_equals_scipy():
    z = np.r_[np.linspace(-37, 37, 40001), 1e-9, 0.7071, 0.7072]
    got, want = normal.two_sided_p(z), 2 * special.ndtr(-np.abs(z))
    assert np.allclose(got, want, rtol=1e-12, atol=0)


def test_two_sided_p_edges():
    got = normal.two_sided_p(np.array([np.nan, 0.0, np.inf, -np.inf, 38.0, 60.0]))
    assert np.isnan(got[0]) and got[1] == 1.0
    assert np.all(got[2:] == 0.0)  # below the smallest normal float: 0, as Cephes gives
    assert abs(float(normal.two_sided_p(-1.959963984540054)) - 0.05) < 1e-15


def test_quantile_equals_scipy():
    for p in [0.5, 0.6, 0.8, 0.9, 0.95, 0.975, 0.995, 0.9995, 1e-10, 0.3]:
        assert np.isclose(normal.quantile(p), special.ndtri(p), rtol=1e-15, atol=1e-300)
