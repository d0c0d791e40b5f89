"""The pylogit engine against the native conditional logit, and the compatibility shim."""

from __future__ import annotations

import collections
import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dce.core.coding import ChoiceData, encode
from dce.errors import EstimationError
from dce.models import fit
from dce.models import pylogit_compat as compat

ROOT = Path(__file__).resolve().parents[2]
SE_TYPES = ("classic", "robust", "cluster")


def make_data(sizes, X, beta, respondent, rng, alternative=None) -> ChoiceData:
    """ChoiceData with choices drawn from a logit with coefficients ``beta``."""
    sizes = np.asarray(sizes)
    start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    u = X @ beta + rng.gumbel(size=len(X))
    chosen = np.zeros(len(X))
    for s in range(len(sizes)):
        chosen[start[s] + np.argmax(u[start[s]:start[s + 1]])] = 1.0
    if alternative is None:
        alternative = np.concatenate([np.arange(1, n + 1) for n in sizes])
    _, codes = np.unique(respondent, return_inverse=True)
    return ChoiceData(X=np.ascontiguousarray(X, float), chosen=chosen, set_start=start,
                      respondent=codes.astype(np.int64), respondent_ids=np.unique(respondent),
                      group=np.array(["all"] * len(sizes), dtype=object),
                      alternative=np.asarray(alternative, np.int64),
                      terms=tuple(f"b{k}" for k in range(X.shape[1])))


@pytest.fixture(scope="module")
def unequal_sets() -> ChoiceData:
    """Sets of 2 to 5 alternatives, continuous and binary terms, 10 sets per respondent."""
    rng = np.random.default_rng(11)
    sizes = rng.integers(2, 6, size=600)
    n = sizes.sum()
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.uniform(0, 5, n),
                         rng.normal(size=n) * 0.5])
    return make_data(sizes, X, np.array([0.8, -0.5, 0.3, 1.2]), np.repeat(np.arange(60), 10), rng)


@pytest.fixture(scope="module")
def opt_out_sets() -> ChoiceData:
    """Two generic alternatives plus an opt-out row that only carries a constant."""
    rng = np.random.default_rng(5)
    S = 800
    X = np.zeros((3 * S, 4))
    generic = np.tile([True, True, False], S)
    X[generic, 0] = rng.integers(0, 3, generic.sum()) - 1.0   # effects-like -1/0/1
    X[generic, 1] = rng.choice([1.0, 4.0, 12.0], generic.sum())
    X[generic, 2] = rng.integers(0, 2, generic.sum())
    X[~generic, 3] = 1.0                                      # asc[opt_out]
    data = make_data(np.full(S, 3), X, np.array([0.6, -0.08, 0.4, -0.7]),
                     np.repeat(np.arange(100), 8), rng, alternative=np.tile([1, 2, 3], S))
    return data


@pytest.fixture(scope="module")
def peer_support() -> ChoiceData:
    """One group of the example study, through config -> design -> simulate -> encode."""
    from dce.config.study import load_config
    from dce.data.simulate import responses
    from dce.design import build

    study = load_config(ROOT / "configs" / "peer_support.yaml")
    table = responses(study, build(study))
    first = table["group"].iloc[0]
    return encode(table[table["group"] == first], study.attributes)


def assert_same_fit(data):
    native = fit(data, engine="native")
    ours = fit(data, engine="pylogit")
    assert ours.engine == "pylogit" and ours.converged
    assert ours.terms == native.terms
    np.testing.assert_allclose(ours.params, native.params, rtol=1e-6, atol=0)
    np.testing.assert_allclose(ours.loglik, native.loglik, rtol=1e-6, atol=0)
    np.testing.assert_allclose(ours.null_loglik, native.null_loglik, rtol=1e-9, atol=0)
    for kind in SE_TYPES:
        se_native = np.sqrt(np.diag(native.vcovs[kind]))
        se_ours = np.sqrt(np.diag(ours.vcovs[kind]))
        np.testing.assert_allclose(se_ours, se_native, rtol=1e-5, atol=0, err_msg=kind)
    # the three kinds really differ, so the comparison above tells them apart
    assert not np.allclose(ours.vcovs["classic"], ours.vcovs["cluster"], rtol=1e-3)
    assert (ours.n_obs, ours.n_sets, ours.n_respondents) == (
        native.n_obs, native.n_sets, native.n_respondents)
    return native, ours


@pytest.mark.parametrize("name", ["unequal_sets", "opt_out_sets", "peer_support"])
def test_pylogit_matches_native(name, request):
    data = request.getfixturevalue(name)
    assert_same_fit(data)


def test_se_choice_and_warm_start(opt_out_sets):
    native = fit(opt_out_sets, engine="native")
    for kind in SE_TYPES:
        res = fit(opt_out_sets, engine="pylogit", se=kind, group="g1")
        assert res.se_type == kind and res.group == "g1"
        np.testing.assert_array_equal(res.vcov, res.vcovs[kind])
    warm = fit(opt_out_sets, engine="pylogit", start=native.params)
    np.testing.assert_allclose(warm.params, native.params, rtol=1e-6)
    assert warm.iterations <= 2


def test_sets_without_choice_are_ignored_like_native(unequal_sets):
    chosen = unequal_sets.chosen.copy()
    chosen[unequal_sets.set_start[3]:unequal_sets.set_start[5]] = 0.0   # sets 3, 4: no choice
    data = dataclasses.replace(unequal_sets, chosen=chosen)
    assert_same_fit(data)


def test_two_chosen_in_a_set_is_a_clear_error(unequal_sets):
    chosen = unequal_sets.chosen.copy()
    chosen[unequal_sets.set_start[0]:unequal_sets.set_start[1]] = 1.0
    data = dataclasses.replace(unequal_sets, chosen=chosen)
    with pytest.raises(EstimationError, match="more than one chosen.*engine: native"):
        fit(data, engine="pylogit")


def test_never_uses_pylogits_dense_fisher_information(monkeypatch, opt_out_sets):
    """pylogit's BHHH routine densifies the rows-to-sets mapping (~224 GiB at 100,000
    sets); the engine must stay off it."""
    pl = compat.import_pylogit()

    def forbidden(*args, **kwargs):
        raise AssertionError("calc_fisher_info_matrix called")

    monkeypatch.setattr(pl.choice_calcs, "calc_fisher_info_matrix", forbidden)
    monkeypatch.setattr(pl.estimation.cc, "calc_fisher_info_matrix", forbidden)
    res = fit(opt_out_sets, engine="pylogit")
    assert res.converged


def test_shim_leaves_no_global_patch():
    pl = compat.import_pylogit()
    assert not hasattr(collections, "Iterable")
    assert not hasattr(np, "in1d")                      # numpy itself is untouched
    assert pl.choice_tools.Iterable is collections.abc.Iterable
    in1d = pl.choice_tools.np.in1d
    np.testing.assert_array_equal(in1d(np.array([[1, 5], [3, 2]]), [2, 3]),
                                  [False, False, True, True])
    assert pl.choice_tools.np.ndarray is np.ndarray     # everything else is numpy's own
    assert compat.pylogit_version() == pl.__version__


def test_importing_dce_does_not_import_or_patch_pylogit():
    code = textwrap.dedent("""
        import collections, sys
        import numpy
        import dce, dce.models, dce.models.clogit, dce.models.pylogit_engine
        assert "pylogit" not in sys.modules, "pylogit imported"
        assert not hasattr(collections, "Iterable"), "collections patched"
        assert not hasattr(numpy, "in1d"), "numpy patched"
        from dce.models.pylogit_compat import import_pylogit
        import_pylogit()
        assert "pylogit" in sys.modules
        assert not hasattr(collections, "Iterable"), "alias left behind"
        assert not hasattr(numpy, "in1d"), "numpy patched"
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_clear_error_when_pylogit_cannot_be_imported(monkeypatch, opt_out_sets):
    monkeypatch.setattr(compat, "_pylogit", None)
    monkeypatch.setitem(sys.modules, "pylogit", None)   # makes `import pylogit` fail
    with pytest.raises(EstimationError) as info:
        fit(opt_out_sets, engine="pylogit")
    message = str(info.value)
    assert "\n" not in message
    assert "pylogit could not be imported" in message and "engine: native" in message
    assert not hasattr(collections, "Iterable")          # alias removed on failure too


def test_clear_error_when_pylogit_fails_while_fitting(monkeypatch, opt_out_sets):
    pl = compat.import_pylogit()

    def broken(*args, **kwargs):
        raise TypeError("something pylogit no longer supports")

    monkeypatch.setattr(pl, "create_choice_model", broken)
    with pytest.raises(EstimationError, match=r"group g: pylogit failed .*engine: native"):
        fit(opt_out_sets, engine="pylogit", group="g")
