"""The heterogeneity section of a mixed-logit report states the simulated truth and no
false claim (rules H1-H5 of docs/report.md), and the run writes individual.csv and
heterogeneity.csv.

Truth (tests/mixed_case.py, two groups of 400 respondents): access to a named contact
has mean 0 and SD 1.5 (divided), the quality standard mean 1.5 and SD 0.3 (most prefer
the high standard), evening sessions and waiting time are fixed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dce.report.labels import Labels
from dce.report.mixed_text import methods_text, row_sentences, section
from tests.mixed_case import mixed_run  # noqa: F401 - the shared run (fixture)


@pytest.fixture(scope="module")
def run_dir(mixed_run):  # noqa: F811 - the fixture imported above
    return mixed_run


def _section(md: str) -> str:
    start = md.index("## Preference heterogeneity")
    return md[start:md.index("\n## ", start + 5)]


def test_tables_are_written(run_dir):
    het = pd.read_csv(run_dir / "heterogeneity.csv")
    assert list(het["group"]) == ["group_a", "group_a", "group_b", "group_b", "all", "all"]
    assert set(het["term"]) == {"access[Yes]", "quality[High]"}  # fixed terms: no rows
    ind = pd.read_csv(run_dir / "individual.csv")
    assert list(ind.columns) == ["respondent", "group", "term", "conditional_mean",
                                 "conditional_sd"]
    assert len(ind) == (400 + 400 + 800) * 2
    assert ind.groupby("group")["respondent"].nunique().to_dict() == {
        "all": 800, "group_a": 400, "group_b": 400}
    # conditional means are shrunk: they spread less than the population SD of the fit
    est = pd.read_csv(run_dir / "estimates.csv").set_index(["group", "term"])["estimate"]
    spread = ind[ind["group"] == "all"].groupby("term")["conditional_mean"].std()
    assert spread["quality[High]"] < est[("all", "sd[quality[High]]")]
    assert spread["access[Yes]"] < est[("all", "sd[access[Yes]]")]


def test_report_states_the_truth_and_no_false_claim(run_dir):
    md = (run_dir / "report.md").read_text()
    part = _section(md)
    for text in (md, (run_dir / "report.html").read_text()):
        assert "Preference heterogeneity (mixed logit)" in text
    lines = [s for s in part.splitlines() if s.startswith("- ")]
    access = [s for s in lines if "access to a named contact" in s]
    quality = [s for s in lines if "quality standard" in s]
    assert len(access) == 6 and len(quality) == 6  # two sentences per group and change
    assert sum(s.startswith("- Respondents differ") for s in access) == 3
    assert sum(s.startswith("- Opinions are divided on access") for s in access) == 3
    assert not any("Most respondents" in s for s in access)
    assert sum(s.startswith("- Most respondents") and
               "prefer quality standard (high rather than basic)" in s for s in quality) == 3
    assert not any("divided" in s or "(basic rather than high)" in s for s in quality)
    for fixed in ("evening", "waiting"):  # nothing about a fixed term's spread
        assert fixed not in part.lower()
    assert "figures/heterogeneity.png" in part
    assert "Revelt and Train 2000" in md


def test_conditional_logit_has_no_section():
    assert section(None, Labels({}), 0.95) is None
    assert methods_text({"model": {"type": "conditional_logit"}}) == ""


LABELS = Labels({"attributes": {
    "q": {"label": "Quality", "levels": ["Low", "High"]},
    "w": {"label": "Waiting time (weeks)", "levels": [1, 4], "coding": "linear"}}})


def row(**kw):
    base = {"term": "q[High]", "attribute": "q", "level": "High", "reference": "Low",
            "distribution": "normal", "sd": 0.4, "sd_ci_lower": 0.2, "sd_ci_upper": 0.6,
            "share_preferring": 0.5, "share_ci_lower": 0.45, "share_ci_upper": 0.55}
    base.update(kw)
    return base


@pytest.mark.parametrize("kw,expected,absent", [
    ({}, ["Respondents differ", "Opinions are divided on quality (high rather than low)"],
     ["Most"]),
    ({"sd_ci_lower": -0.1}, ["The data do not show that respondents differ",
                             "interval 0.00 to 0.60, which includes 0"],
     ["divided", "Most", "-0.10"]),                                    # H2, nothing on share
    ({"share_preferring": 0.2, "share_ci_lower": 0.1, "share_ci_upper": 0.3},
     ["Most respondents (80%, 95% interval 70% to 90%) prefer quality (low rather than high)"],
     ["divided"]),                                                     # H3 reversed
    ({"share_preferring": 0.9, "share_ci_lower": 0.8, "share_ci_upper": 0.95},
     ["Most respondents (90%, 95% interval 80% to 95%) prefer quality (high rather than low)"],
     ["divided"]),
    ({"term": "w", "attribute": "w", "level": float("nan"), "reference": float("nan"),
      "share_preferring": 0.1, "share_ci_lower": 0.05, "share_ci_upper": 0.2},
     ["prefer less waiting time"], ["divided"]),
    ({"distribution": "lognormal", "share_preferring": 1.0, "share_ci_lower": 1.0,
      "share_ci_upper": 1.0}, ["is an assumption of the model, not a finding"], ["Most"]),
])
def test_sentence_rules(kw, expected, absent):
    text = " ".join(row_sentences(row(**kw), LABELS, 0.95))
    for e in expected:
        assert e in text, text
    for a in absent:
        assert a not in text, text
