"""`method: d-efficient` / `bayesian`: search quality, exact objectives, constraints."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from design_refs import (
    coded_sets,
    d_error,
    effects_spec,
    make_study,
    mnl_information,
    street_burgess_optimal_d_error,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats import qmc

from dce.core.random import rng as make_rng
from dce.design import build, efficient, exchange
from dce.design.diagnostics import draw_errors
from dce.design.methods import allowed_mask
from dce.errors import DesignError

SB_CASES = [([2, 2, 2], 2, 4), ([2, 2, 2, 2], 2, 8), ([3, 3, 3, 3], 3, 9), ([3, 3, 3, 3], 2, 9)]


def profiles_of(table, study):
    gen = table[table["is_opt_out"] == 0]
    return np.column_stack([a.index_of(gen[a.name].tolist()) for a in study.attributes])


def check_tasks(design, study):
    """Exclusions hold, alternatives of a task differ, no task repeats."""
    table = design.table
    gen = table[table["is_opt_out"] == 0]
    names = [a.name for a in study.attributes]
    prof = profiles_of(table, study)
    assert allowed_mask(prof, study.attributes, study.spec.design.exclude).all()
    seen = set()
    for _, g in gen.groupby(["block", "task"]):
        rows = [tuple(r) for r in g[names].astype(str).to_numpy().tolist()]
        assert len(set(rows)) == len(rows), "identical alternatives in a task"
        key = tuple(sorted(rows))
        assert key not in seen, "a task repeats"
        seen.add(key)


# ----- Street-Burgess cases at zero priors ---------------------------------------------------
@pytest.mark.parametrize("levels,m,n_sets", SB_CASES)
def test_d_efficient_reaches_street_burgess_optimum(levels, m, n_sets):
    study = make_study(levels, m, n_sets)
    design = build(study)
    optimum = street_burgess_optimal_d_error(levels, m, n_sets)
    ours = d_error(coded_sets(design.table, effects_spec(study)), np.zeros(sum(levels) - len(levels)))
    assert optimum / ours >= 0.995
    assert design.diagnostics["d_efficiency"] >= 0.995


@pytest.mark.parametrize("levels,m,n_sets,starts", [
    ([2, 2, 2], 2, 4, 4), ([2, 2, 2, 2], 2, 8, 4), ([3, 3, 3, 3], 3, 9, 4),
    ([3, 3, 3, 3], 2, 9, 4)])
def test_random_starts_alone_reach_the_optimum(levels, m, n_sets, starts):
    """Without the constructed first start, random starts (exchanges + swaps) get there."""
    study = make_study(levels, m, n_sets, starts=starts)
    K = sum(levels) - len(levels)
    sets, info = efficient.search(study, make_rng(study.seed, "design"), np.zeros((1, K)),
                                  "D-error", construction_start=False)
    assert info["first_start"] == "random"
    optimum = street_burgess_optimal_d_error(levels, m, n_sets)
    assert optimum / info["objective_value"] >= 0.995


# ----- exact objectives --------------------------------------------------------------------
PRIOR_ATTRS = {
    "quality": {"levels": ["low", "mid", "high"]},
    "similar": {"levels": ["no", "yes"], "coding": "dummy"},
    "waiting": {"levels": [1, 4, 12], "coding": "linear"},
    "mode": {"levels": ["face", "online", "either"]},
}
FIXED = {"quality[mid]": 0.5, "quality[high]": 0.9, "similar[yes]": 0.6, "waiting": -0.08,
         "mode[online]": -0.2, "mode[either]": 0.25, "asc[opt_out]": -0.5}


def spec_of(study):
    return [(a.name, [str(v) for v in a.level_labels], a.coding) for a in study.attributes]


def test_d_error_matches_plain_numpy():
    study = make_study(attributes=PRIOR_ATTRS, alternatives=2, tasks=10, blocks=2,
                       opt_out="Neither", priors=FIXED, starts=2)
    design = build(study)
    diag = design.diagnostics
    assert diag["terms"][-1] == "asc[opt_out]"
    beta = np.array([FIXED.get(t, 0.0) for t in diag["terms"]])
    sets = coded_sets(design.table, spec_of(study))
    assert all(X.shape[0] == 3 for X in sets)  # two alternatives + opt-out in every set
    ref = d_error(sets, beta)
    assert diag["d_error"] == pytest.approx(ref, rel=1e-10)
    assert diag["search"]["objective_value"] == pytest.approx(ref, rel=1e-10)
    ref0 = d_error(sets, np.zeros(len(beta)))
    assert diag["d_error_zero_priors"] == pytest.approx(ref0, rel=1e-10)
    check_tasks(design, study)


def test_search_improves_on_random_designs():
    priors = {k: v for k, v in FIXED.items() if k != "asc[opt_out]"}
    study = make_study(attributes=PRIOR_ATTRS, alternatives=3, tasks=9, priors=priors, starts=2)
    eff = build(study).diagnostics["d_error"]
    rnd = make_study(attributes=PRIOR_ATTRS, alternatives=3, tasks=9, method="random",
                     priors=priors)
    assert eff < 0.9 * build(rnd).diagnostics["d_error"]


BAYES = {"quality[mid]": {"mean": 0.5, "sd": 0.3}, "quality[high]": {"mean": 0.9, "sd": 0.3},
         "similar[yes]": {"mean": 0.6, "sd": 0.2}, "waiting": {"mean": -0.08, "sd": 0.03},
         "mode[online]": {"mean": -0.2, "sd": 0.2}}


@pytest.mark.parametrize("n_draws", [50, 64])
def test_db_error_matches_plain_numpy(n_draws):
    """Draws re-made here from the documented recipe; DB-error by a loop over draws."""
    study = make_study(attributes=PRIOR_ATTRS, alternatives=2, tasks=8, method="bayesian",
                       priors=BAYES, prior_draws=n_draws, starts=2)
    design = build(study)
    diag = design.diagnostics
    terms = diag["terms"]
    mean = np.array([BAYES[t]["mean"] if t in BAYES else 0.0 for t in terms])
    sd = np.array([BAYES[t]["sd"] if t in BAYES else 0.0 for t in terms])
    random_terms = np.flatnonzero(sd > 0)
    child = np.random.SeedSequence(study.seed, spawn_key=(0,)).spawn(1)[0]
    engine = (qmc.Sobol if n_draws == 64 else qmc.Halton)(len(random_terms), scramble=True,
                                                         rng=np.random.default_rng(child))
    z = stats.norm.ppf(engine.random(n_draws))
    draws = np.repeat(mean[None], n_draws, axis=0)
    draws[:, random_terms] += z * sd[random_terms]
    sets = coded_sets(design.table, spec_of(study))
    ref = np.mean([d_error(sets, b) for b in draws])
    assert diag["db_error"] == pytest.approx(ref, rel=1e-10)
    assert diag["search"]["objective_value"] == pytest.approx(ref, rel=1e-10)
    assert diag["db_singular_draws"] == 0
    assert diag["draw_type"] == ("sobol" if n_draws == 64 else "halton")
    assert diag["d_error"] == pytest.approx(d_error(sets, mean), rel=1e-10)
    check_tasks(design, study)


def test_singular_draws_are_left_out_and_counted():
    good = np.diag([2.0, 3.0])
    infos = np.stack([good, np.zeros((2, 2)), np.full((2, 2), np.nan), 2 * good])
    value, singular = draw_errors(infos)
    expected = np.mean([np.linalg.det(good) ** -0.5, np.linalg.det(2 * good) ** -0.5])
    assert singular == 2
    assert value == pytest.approx(expected, rel=1e-12)
    assert draw_errors(np.zeros((3, 2, 2))) == (np.inf, 3)


def test_information_agrees_with_reference():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3, 4))
    beta = rng.normal(size=(2, 4))
    ours = exchange.set_information(X, beta).sum(axis=1)
    for r in range(2):
        assert np.allclose(ours[r], mnl_information(list(X), beta[r]), atol=1e-12)


# ----- reproducibility ---------------------------------------------------------------------
def test_result_does_not_depend_on_worker_count():
    study = make_study([3, 3, 2, 2], 2, 8, starts=4, priors={"a0[L2]": 0.4, "a2[L2]": -0.3})
    one = build(study)
    with joblib.parallel_config(n_jobs=2):
        two = build(study)
    assert one.table.equals(two.table)
    assert one.diagnostics["search"]["start_values"] == two.diagnostics["search"]["start_values"]


def test_same_seed_same_design_other_seed_other_design():
    a = build(make_study([3, 3, 2], 3, 6, seed=1))
    b = build(make_study([3, 3, 2], 3, 6, seed=1))
    c = build(make_study([3, 3, 2], 3, 6, seed=2, starts=1))
    assert a.table.equals(b.table)
    assert not a.table.equals(c.table)


# ----- constraints -------------------------------------------------------------------------
@st.composite
def setups(draw):
    n_attr = draw(st.integers(2, 4))
    levels = [draw(st.integers(2, 4)) for _ in range(n_attr)]
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        attrs = draw(st.lists(st.integers(0, n_attr - 1), min_size=2, max_size=3, unique=True))
        rules.append({f"a{q}": f"L{draw(st.integers(1, levels[q]))}" for q in attrs})
    m = draw(st.integers(2, 3))
    n_terms = sum(levels) - n_attr
    tasks = -(-n_terms // (m - 1)) + draw(st.integers(0, 3))
    coordinate = draw(st.booleans())
    extra = {}
    if draw(st.booleans()):
        extra["max_overlap"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        extra["no_dominance"] = True
        extra["priors"] = {f"a{q}[L2]": draw(st.sampled_from([-1.0, -0.5, 0.5, 1.0]))
                           for q in range(n_attr)}
    return levels, rules, m, tasks, coordinate, extra


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(setups())
def test_exclusions_hold_in_every_task(setup):
    levels, rules, m, tasks, coordinate, extra = setup
    study = make_study(levels, m, tasks, exclude=rules, starts=1, **extra)
    limit, rounds = efficient.FEDOROV_LIMIT, efficient.MAX_ROUNDS
    try:
        if coordinate:  # force coordinate exchange instead of the candidate set
            efficient.FEDOROV_LIMIT = 0
        efficient.MAX_ROUNDS = 2  # the constraints, not the search's quality, are tested here
        design = build(study)
    except DesignError as exc:
        # impossible requests must say what to change
        assert any(w in str(exc) for w in ("exclude", "tasks", "alternatives",
                                           "no_dominance")), str(exc)
        OUTCOMES.append("error")
        return
    finally:
        efficient.FEDOROV_LIMIT, efficient.MAX_ROUNDS = limit, rounds
    check_tasks(design, study)
    diag = design.diagnostics
    assert diag["identified"]
    if "max_overlap" in extra:
        assert diag["max_overlap"] <= extra["max_overlap"]
    if "no_dominance" in extra:
        assert diag["dominated_tasks"] == 0
    OUTCOMES.append("built")


OUTCOMES: list = []


def test_coordinate_exchange_is_used_for_large_candidate_sets(monkeypatch):
    monkeypatch.setattr(efficient, "FEDOROV_LIMIT", 10)
    study = make_study([3, 3, 3, 3], 3, 9, starts=2, exclude=[{"a0": "L1", "a1": "L2"}])
    design = build(study)
    assert design.diagnostics["search"]["algorithm"].startswith("coordinate exchange")
    check_tasks(design, study)


# ----- impossible requests -----------------------------------------------------------------
@pytest.mark.parametrize("kwargs,message", [
    (dict(levels=[3, 3, 3, 3], alternatives=2, tasks=4), r"at least 8 choice sets"),
    (dict(levels=[3, 2], alternatives=2, tasks=4, exclude=[{"a0": "L2"}]),
     r"a0\[L2\], a0\[L3\] cannot be estimated"),
    (dict(levels=[2, 2], alternatives=2, tasks=4, exclude=[{"a0": "L1"}, {"a0": "L2"}]),
     r"forbid every profile"),
    (dict(levels=[2, 2], alternatives=4, tasks=2, exclude=[{"a0": "L1", "a1": "L1"}]),
     r"only 3 profiles are allowed"),
    (dict(levels=[2, 2], alternatives=2, tasks=7), r"only 6 distinct choice sets"),
])
def test_impossible_requests_say_what_to_change(kwargs, message):
    study = make_study(**kwargs)
    with pytest.raises(DesignError, match=message):
        build(study)


def test_unidentifiable_design_names_the_terms():
    study = make_study([3, 2], 2, 4)
    sets = np.array([[[0, 0], [0, 1]]] * 4)  # a0 never varies within a set
    with pytest.raises(DesignError, match=r"cannot identify a0\[L2\], a0\[L3\]"):
        efficient.identification_check(study, sets)


def test_time_limit_stops_the_search_with_a_warning():
    study = make_study([3, 3, 3, 2], 3, 12, starts=2, time_limit=1e-6)
    with pytest.warns(efficient.DesignSearchWarning, match="time_limit"):
        design = build(study)
    assert design.diagnostics["search"]["time_limit_reached"]
    check_tasks(design, study)


def test_blocks_keep_levels_balanced():
    from dce.design.blocking import balanced_blocks, imbalance

    study = make_study([3, 3, 2, 2], 2, 6, blocks=3, starts=2)
    design = build(study)
    table = design.table
    sets = np.stack([np.column_stack([a.index_of(g[a.name].tolist()) for a in study.attributes])
                     for _, g in table.groupby(["block", "task"])])
    blk = np.array([b for (b, _t), _ in table.groupby(["block", "task"])])
    assert sorted(np.bincount(blk)[1:].tolist()) == [6, 6, 6]
    ours = imbalance(sets, blk, [3, 3, 2, 2])
    rng = np.random.default_rng(0)
    random_splits = [imbalance(sets, rng.permutation(blk), [3, 3, 2, 2]) for _ in range(50)]
    assert ours <= min(random_splits)
    again = balanced_blocks(sets, 3, [3, 3, 2, 2], np.random.default_rng(5))
    assert imbalance(sets, again, [3, 3, 2, 2]) <= min(random_splits)


def test_fielded_copy_reports_the_same_db_error(tmp_path):
    """Read back from design.file, the diagnostics re-make the same prior draws."""
    kwargs = dict(attributes=PRIOR_ATTRS, alternatives=2, tasks=8, method="bayesian",
                  priors=BAYES, prior_draws=20, starts=1)
    built = build(make_study(**kwargs))
    path = tmp_path / "design.csv"
    built.table.to_csv(path, index=False)
    again = build(make_study(**kwargs, file=str(path)))
    assert again.source.startswith("file:")
    assert again.diagnostics["db_error"] == pytest.approx(built.diagnostics["db_error"],
                                                          rel=1e-12)
