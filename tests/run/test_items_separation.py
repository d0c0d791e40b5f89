"""Every estimation path of `dce run` stops on a likelihood with no maximum (issue 14).

Item studies (sequential best-worst, maxdiff, estimated worst scale, rankings) with an
item that simulated respondents (utility -60: choice odds of e^-60) always put worst or
always rank last, and attribute studies (native and pylogit engines, mixed logit) with a
level always or never chosen, must exit 2 naming the item or level and its direction,
also when it is the reference. With ``model.on_separation: warn`` the run completes,
marks the rows ``separated`` in estimates.csv and importance.csv, and models.csv says
``converged`` false. Unseparated controls run without the column.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import write_config
from tests.models.test_separation_paths import long_data

BW = """
schema_version: 1
name: sep_bw
seed: 3
type: best-worst
items: {a: {}, b: {}, c: {}, d: {}, e: {}, f: {}, g: {}}
design: {items_per_set: 3, sets: 7}
simulate:
  groups:
    x: {respondents: 60, utilities: {a: 1.2, b: 0.6, c: 0.3, d: -0.2, g: GVALUE}}
model: {MODEL}
importance: {draws: 100}
"""

RANK = """
schema_version: 1
name: sep_rank
seed: 5
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}}
simulate:
  groups:
    x: {respondents: 80, utilities: {a: 1.0, b: 0.5, c: 0.0, d: -0.5, e: EVALUE}}
model: {MODEL}
importance: {draws: 100}
"""

DCE = """
schema_version: 1
name: sep_dce
seed: 1
attributes:
  quality: {levels: [low, mid, high], reference: REF}
  price: {coding: linear}
choices:
  file: data.csv
model: {MODEL}
importance: {draws: 100}
"""


def run(tmp_path, text):
    cfg = write_config(tmp_path, text)
    return main(["run", str(cfg), "--output", str(tmp_path / "out")])


def check_marked(out, marked_term, marked_row):
    est = pd.read_csv(out / "estimates.csv")
    imp = pd.read_csv(out / "importance.csv")
    models = pd.read_csv(out / "models.csv")
    assert (models["converged"] == False).all()  # noqa: E712 (a CSV boolean)
    assert est.set_index("term")["separated"][marked_term].all()
    assert imp.set_index("attribute")["separated"][marked_row].all()
    warn = (out / "warnings.txt").read_text()
    assert "not finite in truth" in warn and "intervals mean nothing" in warn
    assert "not finite in truth" in (out / "report.md").read_text()


@pytest.mark.parametrize("model", ["", "reference_item: g", "reference_item: a",
                                   "bw_model: maxdiff", "worst_scale: estimate"])
def test_an_item_always_worst_stops_the_run_naming_it(tmp_path, capsys, model):
    assert run(tmp_path, BW.replace("GVALUE", "-60").replace("MODEL", model)) == 2
    err = capsys.readouterr().err
    assert "model: group all: the likelihood has no maximum" in err
    assert "g always chosen as worst (never as best)" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("model,words", [("", "e always ranked last"),
                                         ("reference_item: a", "e always ranked last"),
                                         ("top_k: 1", "e never ranked first")])
def test_an_item_always_ranked_last_stops_the_run(tmp_path, capsys, model, words):
    assert run(tmp_path, RANK.replace("EVALUE", "-60").replace("MODEL", model)) == 2
    assert words in capsys.readouterr().err


def test_items_warn_completes_and_marks(tmp_path):
    text = BW.replace("GVALUE", "-60").replace("MODEL", "reference_item: a, "
                                                        "on_separation: warn")
    assert run(tmp_path, text) == 0
    assert "g always chosen as worst" in (tmp_path / "out" / "warnings.txt").read_text()
    check_marked(tmp_path / "out", "g", "g")


@pytest.mark.parametrize("text", [BW.replace("GVALUE", "-2"), RANK.replace("EVALUE", "-1")])
def test_a_low_but_finite_item_still_runs(tmp_path, text):
    assert run(tmp_path, text.replace("MODEL", "")) == 0
    assert "separated" not in (tmp_path / "out" / "estimates.csv").read_text()


@pytest.mark.parametrize("mode,ref,words", [("always", "low", "quality = high always chosen"),
                                            ("always", "high", "quality = high always chosen"),
                                            ("never", "low", "quality = low never chosen")])
@pytest.mark.parametrize("model", ["engine: native", "engine: pylogit",
                                   "type: mixed_logit, random: {price: normal}, draws: 20"])
def test_attribute_paths_stop_naming_the_level(tmp_path, capsys, mode, ref, words, model):
    tmp_path.mkdir(exist_ok=True)
    long_data(mode).to_csv(tmp_path / "data.csv", index=False)
    assert run(tmp_path, DCE.replace("REF", ref).replace("MODEL", model)) == 2
    err = capsys.readouterr().err
    assert "model: group all: the likelihood has no maximum" in err and words in err


@pytest.mark.parametrize("model", ["engine: native",
                                   "type: mixed_logit, random: {price: normal}, draws: 20"])
def test_attribute_warn_completes_and_marks(tmp_path, model):
    tmp_path.mkdir(exist_ok=True)
    long_data("always").to_csv(tmp_path / "data.csv", index=False)
    text = DCE.replace("REF", "low").replace("MODEL", model + ", on_separation: warn")
    assert run(tmp_path, text) == 0
    assert "quality = high always chosen" in (tmp_path / "out" / "warnings.txt").read_text()
    check_marked(tmp_path / "out", "quality[high]", "quality")
    est = pd.read_csv(tmp_path / "out" / "estimates.csv").set_index("term")
    assert not est["separated"]["price"].any()


def test_attribute_control_runs_without_the_column(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    long_data("logit").to_csv(tmp_path / "data.csv", index=False)
    assert run(tmp_path, DCE.replace("REF", "low").replace("MODEL", "")) == 0
    out = tmp_path / "out"
    assert "separated" not in (out / "estimates.csv").read_text()
    assert "separated" not in (out / "importance.csv").read_text()
    assert (pd.read_csv(out / "models.csv")["converged"] == True).all()  # noqa: E712


def test_manifest_says_not_converged(tmp_path):
    import json

    tmp_path.mkdir(exist_ok=True)
    long_data("always").to_csv(tmp_path / "data.csv", index=False)
    text = DCE.replace("REF", "low").replace("MODEL", "on_separation: warn")
    assert run(tmp_path, text) == 0
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["converged"] == {
        "all": False}


def test_warn_with_groups_and_a_bootstrap_completes(tmp_path):
    # one group always opts out; the other is fine and stays unmarked, and so does the
    # pooled model (the users' choices bound the opt-out constant)
    text = """
schema_version: 1
name: sep_groups
seed: 1
attributes:
  a: {levels: [x, y, z]}
  b: {levels: [1, 2, 3], coding: linear}
design: {method: random, alternatives: 2, opt_out: Neither, tasks: 6}
simulate:
  groups:
    users: {respondents: 40, utilities: {a: {x: 0, y: 0.2, z: 0.5}, b: 0.1, opt_out: 0}}
    staff: {respondents: 40, utilities: {a: {x: 0, y: 0.2, z: 0.5}, b: 0.1, opt_out: 60}}
model: {by: group, on_separation: warn}
importance: {draws: 30, intervals: bootstrap}
"""
    assert run(tmp_path, text) == 0
    out = tmp_path / "out"
    models = pd.read_csv(out / "models.csv").set_index("group")["converged"]
    assert not models["staff"] and models["users"] and models["all"]
    est = pd.read_csv(out / "estimates.csv")
    marked = est[est["separated"]]
    assert set(marked["group"]) == {"staff"}
    # the opt-out constant diverges, and then no choice of staff identifies the attributes
    # (second user trial of issue 14: they were reported as precise nulls, unmarked)
    assert set(marked["term"]) == {"asc[opt_out]", "a[x]", "a[y]", "a[z]", "b"}
    assert set(est.loc[est["group"] == "staff", "term"]) == set(marked["term"])
    warned = (out / "warnings.txt").read_text()
    assert "group staff: the likelihood has no maximum" in warned
    assert "a[y], a[z], b are not identified by the other choices" in warned


RANK_GROUPS = """
schema_version: 1
name: sep_rank_groups
seed: 5
type: ranking
items: {a: {}, b: {}, c: {}, d: {}, e: {}}
simulate:
  groups:
    x: {respondents: 60, utilities: {a: 1.0, b: 0.5, c: 0.0, d: -0.5, e: XE}}
    y: {respondents: 60, utilities: {a: 1.0, b: 0.5, c: 0.0, d: -0.5, e: -1}}
    z: {respondents: 60, utilities: {a: 0.2, b: 0.5, c: 1.0, d: -0.5, e: -1}}
model: {by: group, on_separation: MODE}
importance: {draws: 100}
"""


def test_items_warn_marks_every_share_of_a_separated_group_and_leaves_it_out(tmp_path):
    # shares and ranks are compositional: one infinite utility makes every share of
    # group x meaningless, so every row of x is marked and x is in no comparison
    assert run(tmp_path, RANK_GROUPS.replace("XE", "-60").replace("MODE", "warn")) == 0
    out = tmp_path / "out"
    imp = pd.read_csv(out / "importance.csv")
    sep = imp.groupby("group")["separated"].agg(["all", "any"])
    assert sep.loc["x", "all"] and not sep.loc[["y", "z", "all"], "any"].any()
    rel = pd.read_csv(out / "relative_utilities.csv")
    assert rel[rel["group"] == "x"]["separated"].all()
    assert not rel[rel["group"] != "x"]["separated"].any()
    comp = pd.read_csv(out / "comparison.csv")
    assert set(zip(comp["group_a"], comp["group_b"])) == {("y", "z")}
    assert "x" not in set(pd.read_csv(out / "outrank.csv")["group"])
    report = (out / "report.md").read_text()
    assert "X is left out of the group comparison because its data are separated" in report
    assert "X: the ranking of the items is not estimable" in report
    assert "not estimable: separated" in report


def test_items_stop_names_every_separated_group(tmp_path, capsys):
    text = RANK_GROUPS.replace("XE", "-60").replace("MODE", "stop").replace(
        "e: -1}}\n    z", "e: -60}}\n    z")
    assert run(tmp_path, text) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "the likelihood has no maximum" in ln]
    named = {ln.split("group ")[1].split(":")[0] for ln in lines}
    assert {"x", "y"} <= named and "z" not in named
    assert all(ln.startswith("error: ") and "e always ranked last" in ln for ln in lines)


def test_attribute_warn_marks_tradeoffs_and_leaves_the_group_out(tmp_path):
    text = """
schema_version: 1
name: sep_groups3
seed: 1
attributes:
  a: {levels: [x, y, z]}
  b: {levels: [1, 2, 3], coding: linear}
design: {method: random, alternatives: 2, opt_out: Neither, tasks: 6}
simulate:
  groups:
    users: {respondents: 40, utilities: {a: {x: 0, y: 0.4, z: 0.9}, b: -0.4, opt_out: 0}}
    carers: {respondents: 40, utilities: {a: {x: 0, y: 0.3, z: 0.8}, b: -0.4, opt_out: 0}}
    staff: {respondents: 40, utilities: {a: {x: -60, y: 0.2, z: 0.5}, b: -0.4, opt_out: 0}}
model: {by: group, on_separation: warn}
tradeoffs: {denominator: b}
importance: {draws: 50}
scenarios:
  opt_out: true
  alternatives:
    - {name: low, levels: {a: x, b: 1}}
    - {name: high, levels: {a: z, b: 3}}
"""
    assert run(tmp_path, text) == 0
    out = tmp_path / "out"
    for name in ("importance", "tradeoffs", "uptake"):
        t = pd.read_csv(out / f"{name}.csv")
        assert t[t["group"] == "staff"]["separated"].all()
        assert not t[t["group"] != "staff"]["separated"].any()
    comp = pd.read_csv(out / "comparison.csv")
    assert set(zip(comp["group_a"], comp["group_b"])) == {("users", "carers")}
    report = (out / "report.md").read_text()
    assert "Staff is left out of the group comparison" in report
    assert "Staff: the ranking of the attributes is not estimable" in report
    findings = report.split("## Key findings")[1].split("## Warnings")[0]
    assert "Staff: " in findings and "%" not in findings.split("Staff: ")[1].split("\n")[0]
    warn = (out / "warnings.txt").read_text()
    assert "a = x never chosen" in warn
