"""The latent class stage through a YAML config (dce.run.latent): its tables, membership
covariates, the scale-adjusted variant, notes, determinism across jobs, and that other model
types are untouched."""

from __future__ import annotations

import pandas as pd
import pytest

import dce
from dce.cli import main
from dce.run.latent import SELECTION_COLUMNS
from tests.conftest import SMALL, write_config

LC = SMALL.replace("model: {by: group}", "model: {by: group, type: latent_class, "
                   "classes: [1, 2], starts: 3, membership: [group]}")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    study = dce.load_config(write_config(tmp_path_factory.mktemp("lc"), LC))
    return dce.analyse(study)


def test_tables_and_columns(run):
    t = run.tables
    assert list(t["class_selection"].columns) == SELECTION_COLUMNS
    sel = t["class_selection"]
    assert sorted(sel["group"].unique()) == ["all", "staff", "users"]
    assert (sel.groupby("group")["classes"].apply(list) == pd.Series(
        {"all": [1, 2], "staff": [1, 2], "users": [1, 2]})).all()
    assert (sel.groupby("group")["chosen"].apply(lambda s: s.astype(str).str.lower().eq("true")
                                              .sum()) == 1).all()
    post = t["classes"]
    assert list(post.columns[:3]) == ["respondent", "group", "respondent_group"]
    assert post.columns[-1] == "class"
    n = run.raw.responses["respondent"].nunique()
    assert (post["group"] == "all").sum() == n
    probs = post.filter(regex=r"^class\d+$").fillna(0).sum(axis=1)
    assert probs.round(10).eq(1).all()
    for name in ("class_estimates", "class_importance", "class_shares"):
        assert list(t[name].columns[:2]) == ["group", "class"]
    assert "class_tradeoffs" not in t  # SMALL has no cost attribute or denominator


def test_group_membership_only_in_the_pooled_model(run):
    est = run.tables["class_estimates"]
    member = est[est["term"].str.startswith("membership[group")]
    chosen = run.raw.latent["all"].chosen
    assert set(member["group"]) <= {"all"}
    assert (len(member) > 0) == (chosen > 1)
    assert set(run.raw.latent) == {"users", "staff", "all"}


def test_group_tables_stay_conditional_logit(run):
    assert [r.model for r in run.raw.fits] == ["conditional_logit"] * 3


def test_scale_adjusted_run_has_scale_rows(tmp_path):
    cfg = SMALL.replace("model: {by: group}", "model: {type: latent_class, classes: 1, "
                        "scale_classes: 2, starts: 2}")
    out = tmp_path / "out"
    assert main(["run", str(write_config(tmp_path, cfg)), "--output", str(out)]) == 0
    shares = pd.read_csv(out / "class_shares.csv")
    assert {"class1", "scale1", "scale2"} <= set(shares["class"])
    assert "scale" in shares.columns
    assert "scale-adjusted latent class logit with 2 scale classes" in \
        (out / "report.md").read_text()


def test_same_bytes_with_any_jobs(tmp_path):
    cfg = write_config(tmp_path, LC.replace("classes: [1, 2]", "classes: 2"))
    files = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        assert main(["run", str(cfg), "--output", str(out), "--jobs", jobs]) == 0
        files.append({p.name: p.read_bytes() for p in out.glob("class*.csv")})
    assert files[0] == files[1] and len(files[0]) == 5


def test_group_membership_with_per_group_models_is_said(run):
    """membership: [group] with model.by: the per-group models cannot use it (constant
    there); a note says it is in the pooled model only (user trial: silently dropped)."""
    assert any("'group' is used in the pooled model only" in n for n in run.raw.notes)
