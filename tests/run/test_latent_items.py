"""Latent class models of item studies (dce.run.latent_items): recovery of two simulated
segments of a best-worst study, an independent likelihood, the tables, the report sentences,
a ranking study and determinism across jobs.

References used here:

- **Recovery** (tolerance stated): 1,500 respondents simulated by dce's best-worst simulator
  in two groups of 900 and 600 with different item utilities (the sequential best-worst
  model, worst scale 1); the pooled two-class model must recover every class utility and
  both shares (0.6 and 0.4, the sample's own split) within 3 standard errors, each estimated
  class matched to the true segment nearest to it (so that class order does not matter).
- **Independent likelihood**: the log-likelihood of a mixture of sequential best-worst
  models, written below in plain numpy from the responses (best from the set, worst from
  the rest with negated utilities; a respondent in one class for all sets), equals dce's at
  its reported optimum to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dce
from dce.cli import main
from tests.conftest import write_config

ITEMS = ["a", "b", "c", "d", "e", "f", "g"]  # g: the reference (last item), utility 0
TRUE = {"x": [1.5, 0.8, 0.2, -0.6, 0.0, -0.3, 0.0],
        "y": [-1.0, 0.2, 1.2, 0.6, -0.4, 0.3, 0.0]}
SIZES = {"x": 900, "y": 600}


def _utilities(g: str) -> str:
    return "{" + ", ".join(f"{i}: {v}" for i, v in zip(ITEMS[:-1], TRUE[g][:-1],
                                                       strict=True)) + "}"


TWO = f"""
schema_version: 1
name: two_segments
seed: 11
type: best-worst
items: {{a: {{label: Alpha}}, b: {{}}, c: {{}}, d: {{}}, e: {{}}, f: {{}}, g: {{}}}}
design: {{items_per_set: 4, sets: 7}}
simulate:
  groups:
    x: {{respondents: {SIZES['x']}, utilities: {_utilities('x')}}}
    y: {{respondents: {SIZES['y']}, utilities: {_utilities('y')}}}
model: {{type: latent_class, classes: 2, starts: 4}}
importance: {{draws: 200}}
"""

SMALL_RANKING = """
schema_version: 1
name: small_rank
seed: 5
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}}
design: {items_per_set: 3, sets: 10}
simulate:
  groups:
    u: {respondents: 60, utilities: {a: 1.0, b: 0.5, c: -0.2, d: 0.2}}
    v: {respondents: 60, utilities: {a: -0.5, b: 0.5, c: 0.8, d: 0.1}}
model: {by: group, type: latent_class, classes: [1, 2], starts: 2, membership: [group]}
importance: {draws: 50}
"""


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lci")
    run = dce.analyse(dce.load_config(write_config(folder, TWO)))
    return run, run.write(folder / "out")


def _match(res) -> dict:
    """Estimated class (1-based) -> true segment, by the nearest utilities."""
    K = len(res.class_terms)
    est = res.params[:res.n_classes * K].reshape(res.n_classes, K)
    true = {g: np.array(v[:-1]) for g, v in TRUE.items()}
    first = min(true, key=lambda g: ((est[0] - true[g]) ** 2).sum())
    other = next(g for g in true if g != first)
    return {1: first, 2: other}


def test_two_segments_recovered_within_3_se(two):
    run, _ = two
    res = run.raw.latent["all"].fits[2]
    match = _match(res)
    assert sorted(match.values()) == ["x", "y"]
    est = run.tables["class_estimates"]
    for c, g in match.items():
        part = est[(est["class"] == f"class{c}")].set_index("term")
        for item, v in zip(ITEMS, TRUE[g], strict=True):
            if item == "g":
                assert part.at[item, "estimate"] == 0 and part.at[item, "std_error"] == 0
                continue
            z = (part.at[item, "estimate"] - v) / part.at[item, "std_error"]
            assert abs(z) < 3, (c, g, item, z)
    shares = run.tables["class_shares"].set_index("class")
    total = sum(SIZES.values())
    for c, g in match.items():
        row = shares.loc[f"class{c}"]
        assert abs(row["share"] - SIZES[g] / total) < 3 * row["std_error"]


def _independent_loglik(responses: pd.DataFrame, utilities: np.ndarray,
                        log_shares: np.ndarray) -> float:
    """Mixture of sequential best-worst logits, plain numpy (no dce code)."""
    df = responses.sort_values(["respondent", "block", "task", "alternative"], kind="stable")
    k = df.groupby(["respondent", "block", "task"]).size().unique()
    assert len(k) == 1  # every set shows the same number of items
    k = int(k[0])
    item = df["item"].map({n: i for i, n in enumerate(ITEMS)}).to_numpy().reshape(-1, k)
    best = df["best"].to_numpy().astype(bool).reshape(-1, k)
    worst = df["worst"].to_numpy().astype(bool).reshape(-1, k)
    who = pd.factorize(df["respondent"].to_numpy()[::k])[0]
    per_class = []
    for u in utilities:  # (C, I) with the reference at 0
        v = u[item]
        lse_all = np.log(np.exp(v).sum(axis=1))
        lse_rest = np.log(np.where(best, 0.0, np.exp(-v)).sum(axis=1))
        ll_set = v[best] - lse_all + (-v[worst]) - lse_rest
        per_class.append(np.bincount(who, weights=ll_set))
    L = np.column_stack(per_class) + log_shares[None, :]
    top = L.max(axis=1, keepdims=True)
    return float((top[:, 0] + np.log(np.exp(L - top).sum(axis=1))).sum())


def test_independent_mixture_loglik(two):
    run, _ = two
    res = run.raw.latent["all"].fits[2]
    p = dict(zip(res.terms, res.params, strict=True))
    utilities = np.array([[p.get(f"class{c}:{i}", 0.0) for i in ITEMS] for c in (1, 2)])
    gamma = np.array([0.0, p["class2:membership[const]"]])
    log_shares = gamma - np.log(np.exp(gamma).sum())
    ll = _independent_loglik(run.raw.responses, utilities, log_shares)
    assert abs(ll - res.loglik) < 1e-8


def test_tables_written(two):
    run, out = two
    for name in ("class_selection", "class_estimates", "class_shares", "classes",
                 "class_importance"):
        assert (out / f"{name}.csv").exists(), name
    assert not (out / "class_tradeoffs.csv").exists()
    est = pd.read_csv(out / "class_estimates.csv")
    items = est[est["term"].isin(ITEMS)]
    assert (items.groupby("class")["term"].apply(list) == pd.Series(
        {"class1": ITEMS, "class2": ITEMS})).all()
    imp = pd.read_csv(out / "class_importance.csv")
    assert list(imp.columns[:3]) == ["group", "class", "attribute"]
    sums = imp.groupby("class")["importance"].sum()
    assert np.allclose(sums, 1.0)
    # the shares are exp(v) / sum exp(v) of the class's utilities (reference at 0)
    for c in ("class1", "class2"):
        v = items[items["class"] == c].set_index("term")["estimate"].reindex(ITEMS)
        want = np.exp(v) / np.exp(v).sum()
        got = imp[imp["class"] == c].set_index("attribute")["importance"].reindex(ITEMS)
        assert np.allclose(got, want, rtol=1e-8)
    post = pd.read_csv(out / "classes.csv")
    assert len(post) == sum(SIZES.values())
    assert list(post.columns) == ["respondent", "group", "respondent_group", "class1",
                                  "class2", "class"]
    # the group models stay the item model
    assert [r.model for r in run.raw.fits] == ["sequential_best_worst"]


def test_report_claims_only_separated_items(two):
    run, out = two
    imp = run.tables["class_importance"].set_index(["class", "attribute"])
    text = (out / "report.md").read_text()
    assert "## Preference segments" in text and "Most preferred items" in text
    line = next(s for s in text.splitlines() if "larger share of preference in segment" in s)
    labels = {"a": "alpha"}
    for item in ITEMS:
        lo1, hi1 = imp.loc[("class1", item), ["ci_lower", "ci_upper"]]
        lo2, hi2 = imp.loc[("class2", item), ["ci_lower", "ci_upper"]]
        separated = lo1 > hi2 or lo2 > hi1
        name = labels.get(item, item)
        mentioned = any(w.lower().strip(",;") == name for w in line.split())
        assert mentioned == separated, (item, line)


def test_ranking_study_runs_and_same_bytes_with_jobs(tmp_path):
    cfg = write_config(tmp_path, SMALL_RANKING)
    files = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert main(["run", str(cfg), "--output", str(out), "--jobs", jobs]) == 0
        files.append({p.name: p.read_bytes() for p in out.glob("class*.csv")})
    assert files[0] == files[1]
    assert sorted(files[0]) == ["class_estimates.csv", "class_importance.csv",
                                "class_selection.csv", "class_shares.csv", "classes.csv"]
    sel = pd.read_csv(tmp_path / "out1" / "class_selection.csv")
    assert set(sel["group"]) == {"u", "v", "all"}
    est = pd.read_csv(tmp_path / "out1" / "class_estimates.csv")
    assert set(est[est["term"].str.startswith("membership[group")]["group"]) <= {"all"}
    assert "Segments: a latent class version of the item model" in \
        (tmp_path / "out1" / "report.md").read_text()


@pytest.mark.parametrize("extra, key", [("worst_scale: estimate", "model.worst_scale"),
                                        ("membership: [worst]", "model.membership")])
def test_refused_settings(tmp_path, capsys, extra, key):
    cfg = TWO.replace("starts: 4}", f"starts: 4, {extra}}}")
    assert main(["validate", str(write_config(tmp_path, cfg))]) == 2
    assert key in capsys.readouterr().err


def test_membership_from_the_respondents_table(two, tmp_path):
    """Observed best-worst choices with a respondents table: its covariates reach the
    membership logit (a covariate that tracks the true segment gets a clear coefficient)."""
    run, _ = two
    r = run.raw.responses
    keep = r["respondent"].isin(r["respondent"].unique()[::5])  # 300 respondents
    r[keep][["respondent", "task", "item", "best", "worst"]].to_csv(
        tmp_path / "choices.csv", index=False)
    seg = r[keep].groupby("respondent", sort=False)["group"].first()
    flip = np.random.default_rng(1).random(len(seg)) < 0.2  # 80% agree with the segment
    age = np.where((seg.to_numpy() == "x") ^ flip, "older", "younger")
    pd.DataFrame({"id": seg.index, "grp": "all_of_them", "age": age}).to_csv(
        tmp_path / "people.csv", index=False)
    cfg = TWO.split("simulate:")[0].replace("design: {items_per_set: 4, sets: 7}\n", "") + (
        "choices: {file: choices.csv}\n"
        "respondents: {file: people.csv, id: id, group: grp}\n"
        "model: {type: latent_class, classes: 2, starts: 2, membership: [age]}\n"
        "importance: {draws: 50}\n")
    out = tmp_path / "out"
    assert main(["run", str(write_config(tmp_path, cfg)), "--output", str(out)]) == 0
    est = pd.read_csv(out / "class_estimates.csv").set_index("term")
    row = est.loc["membership[age[younger]]"]
    assert abs(row["z"]) > 3
