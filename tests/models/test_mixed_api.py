"""``dce.mixed_logit`` with ``space``, ``price`` and ``scale_heterogeneity`` (WTP space,
G-MNL, G-MNL-II, S-MNL).

References: the engine :func:`dce.models.mixed.fit` on the same data (coded here with
``ChoiceData.from_frame``), the same draws seed and the price term, as ``dce run`` calls it:
the API must add no numbers of its own (log-likelihood and estimates to 1e-8). Bad values
raise ConfigError (a ValueError) keyed by the argument, with the words of the config's
checks (tests/bad_inputs 204-211 cover the YAML side). The estimators themselves are
checked against plain-numpy likelihoods and by recovery in test_wtp_space.py and
test_gmnl.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import dce
from dce.core.coding import ChoiceData
from dce.errors import ConfigError
from dce.models import mixed

ATTRS = {"quality": ["basic", "good"], "waiting": "linear", "cost": "linear"}


@pytest.fixture(scope="module")
def frame():
    """120 respondents x 6 tasks x 3 alternatives from a logit with a normal quality
    coefficient (numpy only)."""
    rng = np.random.default_rng(3)
    N, T, J = 120, 6, 3
    q = rng.integers(0, 2, size=(N, T, J))
    w = rng.integers(1, 13, size=(N, T, J)).astype(float)
    c = rng.uniform(0, 4, size=(N, T, J))
    bq = 0.8 + 0.6 * rng.standard_normal(N)
    U = (bq[:, None, None] * (2 * q - 1) - 0.1 * w - 0.7 * c
         + rng.gumbel(size=(N, T, J)))
    y = U.argmax(axis=2)
    n, t, j = np.meshgrid(np.arange(N), np.arange(T), np.arange(J), indexing="ij")
    return pd.DataFrame({"respondent": n.ravel() + 1, "task": t.ravel() + 1,
                         "alternative": j.ravel() + 1,
                         "quality": np.array(["basic", "good"])[q.ravel()],
                         "waiting": w.ravel(), "cost": c.ravel(),
                         "chosen": (y[..., None] == np.arange(J)).astype(int).ravel()})


CASES = [
    ({"random": {"quality[good]": "normal", "cost": "lognormal"}, "space": "wtp",
      "price": "cost"}, "lambda"),
    ({"random": {"quality[good]": "normal"}, "space": "wtp", "price": "cost"}, "lambda"),
    ({"random": {"quality[good]": "normal"}, "scale_heterogeneity": "gmnl"}, "logit[gamma]"),
    ({"random": {"quality[good]": "normal"}, "scale_heterogeneity": "gmnl2"}, "tau"),
    ({"scale_heterogeneity": "smnl"}, "tau"),
]


@pytest.mark.parametrize("kwargs,term", CASES, ids=["wtp-lognormal", "wtp-fixed", "gmnl",
                                                    "gmnl2", "smnl"])
def test_api_equals_the_engine(frame, kwargs, term):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = dce.mixed_logit(frame, ATTRS, draws=40, seed=5, **kwargs)
        data = ChoiceData.from_frame(frame, ATTRS)
        ref = mixed.fit(data, random=kwargs.get("random", {}), draws=40,
                        seed_seq=np.random.SeedSequence(5), space=kwargs.get("space",
                                                                            "preference"),
                        price=kwargs.get("price"),
                        scale_heterogeneity=kwargs.get("scale_heterogeneity", "none"))
    assert abs(res.fit.loglik - ref.loglik) < 1e-8
    assert res.fit.terms == ref.terms and term in res.fit.terms
    assert np.allclose(res.fit.params, ref.params, rtol=0, atol=1e-8)
    assert term in set(res.tidy()["term"])


def test_preference_space_is_unchanged_by_the_defaults(frame):
    random = {"quality[good]": "normal"}
    a = dce.mixed_logit(frame, ATTRS, random=random, draws=30)
    b = dce.mixed_logit(frame, ATTRS, random=random, draws=30, space="preference",
                        scale_heterogeneity="none", price=None)
    assert np.array_equal(a.fit.params, b.fit.params)


BAD = [
    ({"space": "willingness"}, "space", "'preference' or 'wtp'"),
    ({"space": "wtp"}, "space", "needs price"),
    ({"space": "wtp", "price": "costs"}, "price", "did you mean 'cost'"),
    ({"space": "wtp", "price": "quality"}, "price", "coding: linear"),
    ({"price": "cost"}, "price", "only with space: wtp"),
    ({"space": "wtp", "price": "cost", "random": {"cost": "normal"}}, "random['cost']",
     "fixed or lognormal, found normal"),
    ({"scale_heterogeneity": "gmnl3"}, "scale_heterogeneity", "'gmnl2'"),
    ({"scale_heterogeneity": "smnl"}, "random", "smnl has scale heterogeneity only"),
    ({"scale_heterogeneity": "gmnl", "random": {"waiting": "lognormal"}}, "random['waiting']",
     "normal or triangular, found lognormal"),
    ({"scale_heterogeneity": "gmnl", "space": "wtp", "price": "cost"}, "scale_heterogeneity",
     "cannot be combined"),
    ({"scale_heterogeneity": "gmnl", "random": {}}, "random", "mapping of terms"),
    ({"random": None}, "random", "mapping of terms"),
]


@pytest.mark.parametrize("kwargs,key,words", BAD, ids=[str(b[0])[:50] for b in BAD])
def test_bad_arguments_are_named(frame, kwargs, key, words):
    args = {"random": {"quality[good]": "normal"}, "draws": 5, **kwargs}
    with pytest.raises(ConfigError) as e:
        dce.mixed_logit(frame, ATTRS, **args)
    assert isinstance(e.value, ValueError)
    assert e.value.problems[0].key == key
    assert words in e.value.problems[0].message
    assert "model." not in str(e.value)       # the API names arguments, not config keys
