"""``dce.latent_class(criterion=...)`` takes the criterion in any case, spaces around it
dropped (``"BIC"``, ``" Caic "``), and names the argument, what was found and the allowed
values for anything else.

References, independent of the code under test: the lower-case spelling on the same data
and seed (a tiny simulated panel, 40 respondents, 1 or 2 classes, 2 starts): the upper-case
spelling must choose the same count and give the same selection table, with the criterion
written in lower case as ``dce run`` writes it in class_selection.csv.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dce
from dce.errors import ConfigError, DceError

ATTRS = {"a": "linear", "b": "linear"}


@pytest.fixture(scope="module")
def tiny():
    """A two-class panel logit, 40 respondents x 4 tasks x 3 alternatives, simulated here."""
    rng = np.random.default_rng(7)
    N, T, J = 40, 4, 3
    beta = np.where((rng.random(N) < 0.5)[:, None], [1.0, -1.0], [-0.5, 0.8])
    a, b = rng.normal(size=(N, T, J)), rng.normal(size=(N, T, J))
    U = a * beta[:, None, None, 0] + b * beta[:, None, None, 1] + rng.gumbel(size=(N, T, J))
    y = U.argmax(axis=2)
    n, t, j = np.meshgrid(np.arange(N), np.arange(T), np.arange(J), indexing="ij")
    return pd.DataFrame({"respondent": n.ravel() + 1, "task": t.ravel() + 1,
                         "alternative": j.ravel() + 1, "a": a.ravel(), "b": b.ravel(),
                         "chosen": (y[..., None] == np.arange(J)).astype(int).ravel()})


def fit(df, criterion):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return dce.latent_class(df, ATTRS, classes=(1, 2), starts=2, criterion=criterion)


@pytest.fixture(scope="module")
def lower(tiny):
    return fit(tiny, "bic")


@pytest.mark.parametrize("spelling,canonical", [("BIC", "bic"), (" Caic ", "caic"),
                                                ("AIC3", "aic3"), ("Bic\t", "bic")])
def test_any_case_is_the_lower_case_criterion(tiny, spelling, canonical, lower):
    res = fit(tiny, spelling)
    ref = lower if canonical == "bic" else fit(tiny, canonical)
    assert (res.selection["criterion"] == canonical).all()
    pd.testing.assert_frame_equal(res.selection, ref.selection)
    assert res.n_classes == ref.n_classes


@pytest.mark.parametrize("value", ["BICC", "aic", "", 3, None])
def test_unknown_criterion_is_named_with_what_was_found(tiny, value):
    with pytest.raises(ConfigError) as e:
        fit(tiny, value)
    assert isinstance(e.value, DceError) and isinstance(e.value, ValueError)
    problem = e.value.problems[0]
    assert problem.key == "criterion"
    assert f"found {value!r}" in problem.message
    assert "'bic', 'caic' or 'aic3'" in problem.message
