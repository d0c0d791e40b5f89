"""report.html / report.md: sections, self-containment, escaping, determinism, and
sentences derived from the numbers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dce import report
from dce.cli import main
from dce.report import md_escape
from dce.report.compare_text import comparison_sentences, weight_sentence
from dce.report.labels import Labels
from dce.report.text import headline
from tests.conftest import SMALL, write_config

SECTIONS = ["findings", "study", "data-quality", "models", "ranking", "figure-importance",
            "figure-ranks", "figure-coefficients", "comparison", "pair-tests", "estimates",
            "methods", "design-diagnostics"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    cfg = write_config(folder, SMALL + "tradeoffs: {denominator: waiting}\n"
                       "report: {group_labels: {users: Service users}}\n")
    assert main(["run", str(cfg), "--output", str(folder / "out")]) == 0
    return folder / "out"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.urls, self.tags = set(), [], []
        self.ranking_rows, self._in = 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("src", "href"):
            if key in a:
                self.urls.append(a[key])
        if tag == "table":
            self._in.append(a.get("id"))
        if tag == "tbody" and self._in and self._in[-1] == "ranking":
            self._in.append("ranking-body")
        if tag == "tr" and self._in and self._in[-1] == "ranking-body":
            self.ranking_rows += 1

    def handle_endtag(self, tag):
        if tag in ("table", "tbody") and self._in:
            self._in.pop()


def parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def test_sections_and_one_ranking_row_per_attribute(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    tags = parse(html)
    missing = [s for s in SECTIONS if s not in tags.ids]
    assert not missing, missing
    assert tags.ranking_rows == 3  # quality, similar, waiting
    assert "Service users" in html  # report.group_labels
    for name in ("importance", "ranks", "coefficients"):
        assert (run_dir / "figures" / f"{name}.png").stat().st_size > 1000
        assert (run_dir / "figures" / f"{name}.svg").stat().st_size > 1000
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    for heading in ("## Data quality", "## Model fit per group",
                    "## Attribute importance by group", "## Group comparison", "## Methods",
                    "## Trade-offs", "## Design diagnostics"):
        assert heading in md
    assert "](figures/importance.png)" in md


def test_self_contained_no_external_urls(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    tags = parse(html)
    assert tags.urls, "expected the embedded figures"
    bad = [u for u in tags.urls if not (u.startswith("data:") or u.startswith("#"))]
    assert not bad
    assert "link" not in tags.tags
    assert not re.search(r"<script[^>]*\bsrc=", html)  # scripts only inline (the simulator)
    assert not re.search(r"\b(fetch|XMLHttpRequest|import)\s*\(", html)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", html)  # nothing from CSS either


def test_html_and_md_say_the_same_sentences(run_dir):
    run = report.read_run(run_dir)
    labels = Labels(run["config"], list(dict.fromkeys(run["importance"]["group"])))
    pairs = comparison_sentences(run["comparison"], run["importance"], run["tradeoffs"],
                                 labels, 0.95)
    sentences = [s for p in pairs for s in p["weight"] + p["weaker"] + p["ranks"]
                 + p["scale"] + p["agreement"] + ([p["none"]] if p["none"] else [])]
    sentences += headline(run["importance"], labels)
    assert sentences
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    md = (run_dir / "report.md").read_text(encoding="utf-8")
    import html as html_mod

    for s in sentences:
        assert html_mod.escape(s, quote=True) in html or html_mod.escape(s, False) in html
        assert md_escape(s) in md


def test_report_command_rebuilds_the_same_bytes(run_dir, tmp_path):
    names = ["report.html", "report.md", "figures/importance.png", "figures/importance.svg",
             "figures/ranks.svg", "figures/coefficients.png"]
    before = {n: (run_dir / n).read_bytes() for n in names}
    for n in names:
        (run_dir / n).unlink()
    assert main(["report", str(run_dir)]) == 0
    assert {n: (run_dir / n).read_bytes() for n in names} == before
    again = report.render(report.read_run(run_dir))
    assert again["report.html"] == before["report.html"]


def test_sentences_are_derived_from_the_numbers(run_dir):
    run = report.read_run(run_dir)
    labels = Labels(run["config"], list(dict.fromkeys(run["importance"]["group"])))
    comp, imp, trade = run["comparison"], run["importance"], run["tradeoffs"]
    unit = {"numeraire": "waiting", "change": labels.change_text_lower, "digits": 1,
            "fmt": lambda v: f"{v:.1f}", "suffix": " weeks"}
    r = comp[comp["test"] == "poe_tradeoff_difference"].iloc[0].copy()
    r[["value_a", "value_b", "estimate", "ci_lower", "ci_upper", "p_holm"]] = \
        [12.0, 6.0, 6.0, 3.0, 9.0, 0.01]
    first = weight_sentence(r, labels, 0.95, unit)
    assert "carries more weight for service users than for staff" in first
    assert "12.0 against 6.0 weeks; difference 6.0, 95% interval 3.0 to 9.0" in first
    r[["value_a", "value_b", "estimate", "ci_lower", "ci_upper"]] = [2.0, 8.0, -6.0, -9.0, -3.0]
    second = weight_sentence(r, labels, 0.95, unit)
    assert "carries more weight for staff than for service users" in second
    r[["value_a", "value_b"]] = [-2.0, 4.0]
    assert "opposite directions" in weight_sentence(r, labels, 0.95, unit)
    # a difference whose interval includes zero is never a claim, whatever its p-value
    rows = comp.copy()
    poe = rows["test"] == "poe_tradeoff_difference"
    rows.loc[poe, ["ci_lower", "ci_upper", "p_holm"]] = [-0.01, 0.01, 1e-9]
    pairs = comparison_sentences(rows, imp, trade, labels, 0.95)
    assert all(not p["weight"] and not p["weaker"] for p in pairs)
    # ranks: a claim only when the two rank intervals do not overlap
    wide = imp.copy()
    wide[["rank_ci_lower", "rank_ci_upper"]] = [1, 3]
    pairs = comparison_sentences(rows, wide, trade, labels, 0.95)
    assert all(not p["ranks"] for p in pairs)
    assert all(p["none"].startswith("No attribute differs clearly") for p in pairs)
    apart = imp.copy()
    apart["rank_ci_lower"] = apart["rank_ci_upper"] = apart["rank"]
    g0 = apart["group"] == "users"
    apart.loc[g0, "rank"] = apart.loc[g0, "rank"].max() + 1 - apart.loc[g0, "rank"]
    apart.loc[g0, "rank_ci_lower"] = apart.loc[g0, "rank_ci_upper"] = apart.loc[g0, "rank"]
    pairs = comparison_sentences(rows, apart, trade, labels, 0.95)
    assert any("placed higher in the ordering of" in s for p in pairs for s in p["ranks"])
    # the key findings follow the ranks
    top = headline(imp, labels)
    g = imp["group"] == imp["group"].iloc[0]
    imp.loc[g, "rank"] = imp.loc[g, "rank"].max() + 1 - imp.loc[g, "rank"]
    assert headline(imp, labels) != top


def test_config_text_is_escaped(run_dir):
    run = report.read_run(run_dir)
    evil = "<script>alert('x')</script> & <b>bold</b>"
    run["config"]["attributes"]["quality"]["label"] = evil
    run["config"]["report"] = {"title": evil, "group_labels": {"users": evil}}
    files = report.render(run)
    html = files["report.html"].decode()
    assert "<script>alert" not in html and "<b>" not in html
    assert html.count("</script>") == html.count("<script")  # no script closed early
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    md = files["report.md"].decode()
    assert "<script>" not in md and r"\<script\>" in md


def test_methods_paragraph_names_the_choices(run_dir):
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    methods = html.split('id="methods"')[1]
    for words in ("conditional (multinomial) logit", "effects-coded (reference",
                  "linear (per unit)", "cluster-robust by respondent", "Krinsky-Robb",
                  "300 draws", "seed 7", "95% intervals", "Swait and Louviere",
                  "Holm-adjusted across all pairs and terms", "D-error convention",
                  "were simulated", "manifest.json", "depends on the levels chosen"):
        assert words in methods, words


def test_group_colours_are_the_same_in_every_figure(run_dir):
    run = report.read_run(run_dir)
    labels = Labels(run["config"], list(dict.fromkeys(run["importance"]["group"])))
    for name in ("importance", "ranks", "coefficients"):
        svg = (run_dir / "figures" / f"{name}.svg").read_text().lower()
        for g in ("users", "staff"):
            assert labels.colour(g).lower() in svg, (name, g)
        assert "<dc:date>" not in svg  # no timestamp: byte-deterministic
