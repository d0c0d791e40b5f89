"""The omitted level of effects coding is reported with the right estimate and error.

Independent route: refit the same data with another reference level, so that the level
omitted before is now estimated directly. Maximum likelihood is invariant to this
reparametrisation, so its estimate and classic standard error must match what dce
derived from the covariance of the other levels.
"""

import numpy as np

from dce.config.study import load_config
from dce.core.attributes import Attribute
from dce.core.coding import encode
from dce.data.simulate import responses
from dce.design import build
from dce.models.clogit import fit
from dce.models.results import reported


def test_omitted_level_matches_refit_with_other_reference(small_config):
    study = load_config(small_config)
    resp = responses(study, build(study))
    first = fit(encode(resp, study.attributes), se="classic")
    names, est, cov = reported(first, study.attributes)
    i = names.index("quality[Low]")  # omitted (reference) level of effects coding

    swapped = tuple(Attribute(a.name, a.label, a.coding, a.levels,
                              reference="High" if a.name == "quality" else a.reference)
                    for a in study.attributes)
    second = fit(encode(resp, swapped), se="classic")
    j = second.terms.index("quality[Low]")
    np.testing.assert_allclose(est[i], second.params[j], rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(cov[i, i]), second.bse[j], rtol=1e-6)
    np.testing.assert_allclose(first.loglik, second.loglik, rtol=1e-12)


def test_dummy_and_effects_give_same_partworth_differences(small_config):
    study = load_config(small_config)
    resp = responses(study, build(study))
    eff = fit(encode(resp, study.attributes), se="classic")
    dummy_attrs = tuple(Attribute(a.name, a.label, "dummy" if not a.is_linear else "linear",
                                  a.levels) for a in study.attributes)
    dum = fit(encode(resp, dummy_attrs), se="classic")
    e = dict(zip(eff.terms, eff.params))
    d = dict(zip(dum.terms, dum.params))
    low = -(e["quality[Medium]"] + e["quality[High]"])
    np.testing.assert_allclose(e["quality[High]"] - low, d["quality[High]"], rtol=1e-7)
    np.testing.assert_allclose(eff.loglik, dum.loglik, rtol=1e-12)
