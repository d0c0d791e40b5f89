"""A trade-off beyond the values the data tested is flagged also when the denominator (a
numeric cost) declares no levels: its tested span is then the data's range (user trial:
'worth 129 units of cost (70.6 to 385.0)' for a cost tested from 0 to 30, unflagged)."""

import numpy as np

from dce.analysis import wtp
from dce.core.attributes import Attribute
from dce.models.results import FitResult


def fit(b_quality, b_cost, se=0.01):
    terms = ("quality[High]", "cost")
    return FitResult(terms=terms, params=np.array([b_quality, b_cost]),
                     vcov=np.diag([se ** 2, se ** 2]), se_type="classic", loglik=-1.0,
                     null_loglik=-2.0, n_obs=300, n_sets=100, n_respondents=50,
                     converged=True, iterations=5, engine="native", group="all")


ATTRS = [Attribute("quality", levels=["Low", "High"]), Attribute("cost", coding="linear")]


def test_a_value_beyond_the_data_range_is_flagged():
    out = wtp.value(fit(1.29, -0.01), ATTRS, "cost", np.random.default_rng(1), draws=500,
                    value_range=(0.0, 30.0))
    row = out.table.set_index("term").loc["quality[High]"]
    assert row["estimate"] > 100 and bool(row["outside_tested_range"])  # span 30
    assert any("beyond the tested range" in n for n in out.warnings)


def test_a_value_within_the_data_range_is_not_flagged():
    out = wtp.value(fit(0.3, -0.05), ATTRS, "cost", np.random.default_rng(1), draws=500,
                    value_range=(0.0, 30.0))
    assert not out.table["outside_tested_range"].any()


def test_without_levels_or_range_nothing_is_flagged():
    out = wtp.value(fit(1.29, -0.01), ATTRS, "cost", np.random.default_rng(1), draws=500)
    assert not out.table["outside_tested_range"].any()
