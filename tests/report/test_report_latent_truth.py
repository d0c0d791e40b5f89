"""The latent class section states a simulated truth and no false claim (docs/report.md,
"Latent class segments").

Truth: two equal segments of 400 respondents (simulated as two groups, fitted pooled, so
the latent class model must find them without being told), 10 tasks of two profiles each.
Segment "a_fans" weighs attribute A four times as much as B; segment "b_fans" the reverse;
attribute C has the same coefficient (0.5) in both, and since A + B + C ranges are equal in
both segments, C's importance is the same too (1/6). Class coefficients must be within 3
standard errors of the truth, C's importance within 0.05 of 1/6. The report must
- choose 2 classes by BIC from 1..2,
- say A takes a larger share of importance in one segment and B in the other,
- say nothing about C differing,
- profile each segment by the group it came from (mean posterior above 80%).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import write_config

TRUTH = """
schema_version: 1
name: lc_truth
seed: 11
attributes:
  a: {label: Attribute A, levels: ["No", "Yes"]}
  b: {label: Attribute B, levels: ["No", "Yes"]}
  c: {label: Attribute C, levels: ["No", "Yes"]}
design: {method: random, alternatives: 2, tasks: 10, blocks: 1}
simulate:
  groups:
    a_fans:
      respondents: 400
      utilities: {a: {"No": 0, "Yes": 2.0}, b: {"No": 0, "Yes": 0.5}, c: {"No": 0, "Yes": 0.5}}
    b_fans:
      respondents: 400
      utilities: {a: {"No": 0, "Yes": 0.5}, b: {"No": 0, "Yes": 2.0}, c: {"No": 0, "Yes": 0.5}}
model: {type: latent_class, classes: [1, 2], starts: 4}
importance: {draws: 500}
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lc_truth")
    out = tmp / "out"
    assert main(["run", str(write_config(tmp, TRUTH)), "--output", str(out)]) == 0
    return out


def test_two_classes_chosen_and_recovered(run_dir):
    sel = pd.read_csv(run_dir / "class_selection.csv")
    assert sel.loc[sel["chosen"], "classes"].tolist() == [2]
    shares = pd.read_csv(run_dir / "class_shares.csv")
    assert shares["share"].between(0.4, 0.6).all()  # truth 0.5 each
    est = pd.read_csv(run_dir / "class_estimates.csv").set_index(["class", "term"])
    # effects coding of two levels: the coefficient is half the difference (2.0 -> 1.0)
    for c in ("class1", "class2"):
        fan = "a" if est.loc[(c, "a[Yes]"), "estimate"] > est.loc[(c, "b[Yes]"), "estimate"] \
            else "b"
        truth = {"a[Yes]": 0.25, "b[Yes]": 0.25, "c[Yes]": 0.25, f"{fan}[Yes]": 1.0}
        for term, value in truth.items():  # within 3 standard errors
            row = est.loc[(c, term)]
            assert abs(row["estimate"] - value) < 3 * row["std_error"], (c, term)
    imp = pd.read_csv(run_dir / "class_importance.csv").set_index(["class", "attribute"])
    top = {c: imp.loc[c]["importance"].idxmax() for c in ("class1", "class2")}
    assert sorted(top.values()) == ["a", "b"]
    c1, c2 = imp.loc[("class1", "c")], imp.loc[("class2", "c")]
    assert c1["ci_lower"] < c2["ci_upper"] and c2["ci_lower"] < c1["ci_upper"]  # overlap
    assert abs(c1["importance"] - 1 / 6) < 0.05 and abs(c2["importance"] - 1 / 6) < 0.05


def test_report_states_the_truth_and_no_false_claim(run_dir):
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    section = md[md.index("## Preference segments"):]
    section = section[:section.index("\n## ", 5)]
    assert "BIC, CAIC and AIC3 all favour 2 classes" in section
    claims = [line for line in section.splitlines() if "larger share of importance" in line]
    assert len(claims) == 1
    claim = claims[0]
    imp = pd.read_csv(run_dir / "class_importance.csv").set_index(["class", "attribute"])
    seg = {imp.loc[c]["importance"].idxmax(): c[-1] for c in ("class1", "class2")}
    for attr in ("a", "b"):  # each attribute said to matter more to its own fans
        assert re.search(rf"attribute {attr.upper()} \([^)]*\) takes a larger share of "
                         rf"importance in segment {seg[attr]} than", claim, flags=re.I), claim
    assert "attribute C" not in claim  # equal in both segments: no claim
    # each segment's profile: mostly the group it was simulated from
    rows = [line for line in section.splitlines() if line.startswith("| 1 |")
            or line.startswith("| 2 |")]
    rows = [r for r in rows if "%" in r]
    assert len(rows) == 2
    for r in rows:
        shares = [int(x) for x in re.findall(r"(\d+)%", r)]
        assert max(shares) >= 80


def test_methods_names_the_model_and_references(run_dir):
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    assert "latent class conditional logit (Bhat 1997)" in md
    assert "4 seeded random starts" in md and "Train 2008" in md
