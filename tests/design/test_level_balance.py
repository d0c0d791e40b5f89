"""`design.level_balance`: strict / near bounds hold in searched designs; coverage warning."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from design_refs import make_study
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dce.design import build, efficient
from dce.design.diagnostics import LevelCoverageWarning, diagnose


def bounds_by_definition(n: int, L: int, mode: str) -> tuple[int, int]:
    """The documented bounds, written out independently of dce.design.balance."""
    if mode == "strict":
        return math.floor(n / L), math.ceil(n / L)
    lo = max(1, math.floor(n / (2 * L))) if n >= L else 0
    return lo, math.ceil(3 * n / (2 * L))


def counts_of(design, study):
    gen = design.table[design.table["is_opt_out"] == 0]
    return {a.name: [int((gen[a.name].astype(str) == lab).sum()) for lab in a.level_labels]
            for a in study.attributes}


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(levels=st.lists(st.integers(2, 5), min_size=2, max_size=3),
       alternatives=st.integers(2, 3), extra=st.integers(0, 4),
       mode=st.sampled_from(["strict", "near"]), slope=st.floats(-1.0, 1.0),
       seed=st.integers(1, 10_000))
def test_searched_designs_meet_their_level_bounds(monkeypatch, levels, alternatives, extra,
                                                   mode, slope, seed):
    monkeypatch.setattr(efficient, "MAX_ROUNDS", 2)   # speed: the bounds hold every round
    K = sum(levels) - len(levels)
    tasks = math.ceil(K / (alternatives - 1)) + extra
    tasks = min(tasks, math.comb(math.prod(levels), alternatives))  # distinct sets that exist
    attrs = {f"a{i}": {"levels": [f"L{v}" for v in range(1, nl + 1)]}
             for i, nl in enumerate(levels)}
    priors = {"a0[L2]": round(slope, 3)}
    study = make_study(attributes=attrs, alternatives=alternatives, tasks=tasks, seed=seed,
                       level_balance=mode, priors=priors, starts=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        design = build(study)
    n = tasks * alternatives
    for name, counts in counts_of(design, study).items():
        lo, hi = bounds_by_definition(n, len(counts), mode)
        assert all(lo <= c <= hi for c in counts), (name, counts, lo, hi)
    assert design.diagnostics["search"]["level_balance"] == mode


COST = {"cost": {"levels": [10, 20, 30, 40, 50], "coding": "linear"},
        "quality": {"levels": ["low", "mid", "high"]},
        "wait": {"levels": ["1 week", "4 weeks", "12 weeks"]}}


@pytest.mark.parametrize("method,priors", [
    ("d-efficient", {"cost": -0.05, "quality[high]": 0.6}),
    ("bayesian", {"cost": {"mean": -0.04, "sd": 0.02}, "quality[high]": {"mean": 0.6,
                                                                          "sd": 0.3}})])
def test_five_level_linear_cost_shows_every_level(method, priors):
    study = make_study(attributes=COST, alternatives=2, tasks=12, method=method,
                       priors=priors, prior_draws=64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LevelCoverageWarning)
        design = build(study)
    counts = counts_of(design, study)["cost"]
    lo, hi = bounds_by_definition(24, 5, "near")
    assert min(counts) >= lo >= 2 and max(counts) <= hi, counts
    assert design.diagnostics["warnings"] == []


def test_strict_balance_is_exact_when_levels_divide_the_slots():
    study = make_study(attributes=COST, alternatives=2, tasks=15, level_balance="strict",
                       priors={"cost": -0.05})
    counts = counts_of(build(study), study)
    assert counts["cost"] == [6, 6, 6, 6, 6]
    assert counts["quality"] == [10, 10, 10] and counts["wait"] == [10, 10, 10]


def test_a_design_read_from_a_file_with_a_missing_level_is_flagged():
    study = make_study(attributes=COST, alternatives=2, tasks=4, method="random")
    rows = []
    for t, (c1, c2) in enumerate([(10, 50), (50, 10), (10, 40), (40, 50)], start=1):
        for j, c in enumerate((c1, c2), start=1):
            rows.append({"block": 1, "task": t, "alternative": j, "cost": c,
                         "quality": ["low", "mid", "high"][(t + j) % 3],
                         "wait": ["1 week", "4 weeks", "12 weeks"][(t * j) % 3],
                         "is_opt_out": 0})
    table = pd.DataFrame(rows)
    with pytest.warns(LevelCoverageWarning, match="cost: levels 20, 30 never appear"):
        diag = diagnose(table, study)
    assert [w for w in diag["warnings"] if w.startswith("level coverage: cost")]
    assert not [w for w in diag["warnings"] if "quality" in w]


def test_none_keeps_the_unconstrained_search():
    """`none` reaches at least the D-error of `near` (its feasible set is larger)."""
    errs = {}
    for mode in ("none", "near", "strict"):
        study = make_study(attributes=COST, alternatives=2, tasks=12, level_balance=mode,
                           priors={"cost": -0.05, "quality[high]": 0.6})
        errs[mode] = build(study).diagnostics["d_error"]
    # heuristic searches: allow 0.5% for a start that ends in a slightly worse optimum
    assert errs["none"] <= errs["near"] * 1.005
    assert errs["near"] <= errs["strict"] * 1.005


def test_bounds_the_rules_rule_out_give_a_warning_not_a_failure():
    """z can only pair with r and alternatives differ, so at most one z per task: strict
    balance (8 of 24 slots) is impossible; near (4 to 12) is met."""
    attrs = {"a": {"levels": ["x", "y", "z"]}, "b": {"levels": ["p", "q", "r"]}}
    rules = [{"a": "z", "b": "p"}, {"a": "z", "b": "q"}]
    strict = make_study(attributes=attrs, alternatives=4, tasks=6, level_balance="strict",
                        exclude=rules, starts=1)
    with pytest.warns(efficient.DesignSearchWarning, match="level_balance strict"):
        build(strict)
    near = make_study(attributes=attrs, alternatives=4, tasks=6, exclude=rules, starts=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", efficient.DesignSearchWarning)
        design = build(near)
    lo, hi = bounds_by_definition(24, 3, "near")
    assert all(lo <= c <= hi for c in counts_of(design, near)["a"])
