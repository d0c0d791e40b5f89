"""Native conditional logit against stored references (statsmodels + an independent numpy
loop). Regenerate the references with ``python tests/reference/make_clogit_reference.py``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dce.core.coding import ChoiceData
from dce.models import clogit

pytestmark = pytest.mark.reference

REF_DIR = Path(__file__).resolve().parents[1] / "reference"
REF = json.loads((REF_DIR / "clogit_statsmodels.json").read_text())
NAMES = sorted(REF["datasets"])


def load(name: str, shuffle_seed: int | None = None) -> tuple[ChoiceData, dict]:
    """Read a reference CSV into a ChoiceData (rows sorted so sets are contiguous)."""
    ref = REF["datasets"][name]
    df = pd.read_csv(REF_DIR / ref["file"])
    if shuffle_seed is None:  # the public route: every column a linear attribute
        data = ChoiceData.from_frame(df, {t: "linear" for t in ref["terms"]}, task="set")
        assert data.terms == tuple(ref["terms"])
        return data, ref
    # shuffled: built by hand on purpose, since from_frame would restore the order
    keys = ["respondent", "set", "alternative"]
    if shuffle_seed is not None:   # rows of a set in random order
        df = df.sample(frac=1.0, random_state=np.random.default_rng(shuffle_seed))
        keys = ["respondent", "set"]
    df = df.sort_values(keys, kind="stable")
    df = df.reset_index(drop=True)
    terms = tuple(ref["terms"])
    set_id = df["set"].to_numpy()
    first = np.flatnonzero(np.r_[True, set_id[1:] != set_id[:-1]])
    resp_codes, resp_ids = pd.factorize(df["respondent"].to_numpy()[first], sort=True)
    data = ChoiceData(
        X=np.ascontiguousarray(df[list(terms)].to_numpy(dtype=np.float64)),
        chosen=df["chosen"].to_numpy(dtype=np.float64),
        set_start=np.r_[first, len(df)].astype(np.int64),
        respondent=resp_codes.astype(np.int64),
        respondent_ids=np.asarray(resp_ids),
        group=np.full(len(first), "all", dtype=object),
        alternative=df["alternative"].to_numpy(dtype=np.int64),
        terms=terms,
    )
    return data, ref


@pytest.fixture(scope="module", params=NAMES)
def fitted(request):
    data, ref = load(request.param)
    return data, ref, clogit.fit(data, se="cluster")


def test_reference_file_is_sane():
    """The stored references say they converged and the two routes agreed when written."""
    assert set(NAMES) == {"generic", "unequal", "panel"}
    for ref in REF["datasets"].values():
        sm = ref["statsmodels"]
        assert sm["converged"]
        assert sm["max_abs_score"] < 1e-8
        assert ref["numpy"]["classic_se_max_rel_diff_vs_statsmodels"] < 1e-5
        assert abs(ref["numpy"]["loglik"] - sm["loglik"]) < 1e-9 * abs(sm["loglik"])


def test_data_shape(fitted):
    data, ref, res = fitted
    assert data.n_rows == ref["n_rows"] == res.n_obs
    assert data.n_sets == ref["n_sets"] == res.n_sets
    assert data.n_respondents == ref["n_respondents"] == res.n_respondents
    assert np.all(np.add.reduceat(data.chosen, data.set_start[:-1]) == 1.0)


def test_converged(fitted):
    _, _, res = fitted
    assert res.converged
    assert res.gradient_norm < 1e-6
    assert res.warnings == ()


def test_coefficients(fitted):
    _, ref, res = fitted
    assert res.terms == tuple(ref["terms"])
    np.testing.assert_allclose(res.params, ref["statsmodels"]["coefficients"],
                               rtol=1e-6, atol=0)


def test_loglik(fitted):
    _, ref, res = fitted
    np.testing.assert_allclose(res.loglik, ref["statsmodels"]["loglik"], rtol=1e-6, atol=0)
    # the reported log-likelihood is the one at the reported coefficients
    np.testing.assert_allclose(clogit.loglik(res.params, fitted[0]), res.loglik,
                               rtol=1e-12, atol=0)


def test_null_loglik_closed_form(fitted):
    data, ref, res = fitted
    sizes = {int(k): v for k, v in ref["set_sizes"].items()}
    expected = -sum(n * np.log(m) for m, n in sizes.items())
    np.testing.assert_allclose(res.null_loglik, expected, rtol=1e-12)


def test_classic_se(fitted):
    _, ref, res = fitted
    se = np.sqrt(np.diag(res.vcovs["classic"]))
    np.testing.assert_allclose(se, ref["statsmodels"]["classic_se"], rtol=1e-5, atol=0)
    np.testing.assert_allclose(se, ref["numpy"]["classic_se"], rtol=1e-5, atol=0)


def test_robust_se(fitted):
    _, ref, res = fitted
    se = np.sqrt(np.diag(res.vcovs["robust"]))
    np.testing.assert_allclose(se, ref["numpy"]["robust_se"], rtol=1e-5, atol=0)
    V = np.array(ref["numpy"]["robust_vcov"])
    np.testing.assert_allclose(res.vcovs["robust"], V, rtol=1e-5, atol=1e-5 * np.abs(V).max())


def test_cluster_se(fitted):
    _, ref, res = fitted
    assert res.se_type == "cluster"
    se = np.sqrt(np.diag(res.vcovs["cluster"]))
    np.testing.assert_allclose(se, ref["numpy"]["cluster_se"], rtol=1e-5, atol=0)
    np.testing.assert_allclose(res.bse, se, rtol=1e-12)
    V = np.array(ref["numpy"]["cluster_vcov"])
    np.testing.assert_allclose(res.vcovs["cluster"], V, rtol=1e-5, atol=1e-5 * np.abs(V).max())


@pytest.mark.parametrize("se", ["classic", "robust", "cluster"])
def test_se_option_selects_vcov(se):
    data, ref = load("panel")
    res = clogit.fit(data, se=se)
    key = {"classic": ("statsmodels", "classic_se"), "robust": ("numpy", "robust_se"),
           "cluster": ("numpy", "cluster_se")}[se]
    assert res.se_type == se
    np.testing.assert_allclose(res.bse, ref[key[0]][key[1]], rtol=1e-5, atol=0)


def test_panel_cluster_differs_from_robust():
    """Guard that the panel data set discriminates between robust and cluster SEs (so the
    cluster test above could not pass with a robust covariance)."""
    ref = REF["datasets"]["panel"]["numpy"]
    rel = np.abs(np.array(ref["cluster_se"]) / np.array(ref["robust_se"]) - 1)
    assert rel.max() > 0.1


def test_order_of_alternatives_within_sets_does_not_matter():
    data_a, _ = load("unequal")
    data_b, ref = load("unequal", shuffle_seed=7)
    assert not np.array_equal(data_a.alternative, data_b.alternative)
    res = clogit.fit(data_b, se="cluster")
    np.testing.assert_allclose(res.params, ref["statsmodels"]["coefficients"], rtol=1e-6)
    np.testing.assert_allclose(res.bse, ref["numpy"]["cluster_se"], rtol=1e-5)
