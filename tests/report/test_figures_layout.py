"""Report figures on the committed showcase runs: every drawn text lies inside the canvas,
legends sit outside the plotting areas, and the bytes are the same on every build."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from dce.report import figures, read_run, text
from dce.report.labels import Labels

ROOT = Path(__file__).resolve().parents[2]
RUNS = ["peer_support", "peer_support_bws"]
TOL = 1.0  # display pixels

LONG_GROUPS = ["people_who_have_used_peer_support_services",
               "people_who_have_not_used_peer_support_services",
               "health_and_social_care_workforce_in_the_region",
               "peer_support_workers_and_volunteers"]


def _run(name: str) -> dict:
    run = read_run(ROOT / "results" / name)
    imp, cfg = run["importance"], run["config"]
    groups = list(dict.fromkeys(imp["group"]))
    models = run["models"]
    return {"imp": imp, "est": run["estimates"], "labels": Labels(cfg, groups),
            "groups": groups, "order": text.attribute_order(imp),
            "level": float((cfg.get("importance") or {}).get("level", 0.95)),
            "counts": {r["group"]: int(r["n_respondents"]) for _, r in models.iterrows()}}


def power_table() -> pd.DataFrame:
    """Shaped like dce.analysis.power.analyse: COLUMNS, 4 groups with long names, all 6 pairs."""
    rows = []
    terms = ["quality[b]", "quality[c]", "waiting", "asc[opt_out]"]
    for s, n in enumerate([50, 100, 200, 400, 800]):
        for g_i, g in enumerate(LONG_GROUPS):
            for t_i, t in enumerate(terms):
                value = min(1.0, 0.1 + 0.2 * s + 0.05 * t_i - 0.03 * g_i)
                rows.append((n, g, "power", t, value, 100))
                rows.append((n, g, "coverage", t, 0.95, 100))
            rows.append((n, g, "top_3_correct", "", min(1.0, 0.2 + 0.18 * s), 100))
            rows.append((n, g, "converged", "", 1.0, 100))
        for p_i, (a, b) in enumerate(itertools.combinations(LONG_GROUPS, 2)):
            rows.append((n, f"{a} vs {b}", "swait_louviere_power", "",
                         min(1.0, 0.05 + 0.15 * s + 0.02 * p_i), 100))
        rows.append((n, "", "failed_replications", "", 0.0, 100))
    return pd.DataFrame(rows, columns=["sample_size", "group", "measure", "term", "value",
                                       "replications"])


def _build(kind: str, run_name: str | None):
    if kind == "power":
        return figures._power_figure(power_table(), 0.05)
    r = _run(run_name)
    if kind == "importance":
        return figures._importance_figure(r["imp"], r["labels"], r["groups"], r["level"],
                                          r["order"], r["counts"])
    if kind == "ranks":
        return figures._rank_figure(r["imp"], r["labels"], r["groups"], r["order"])
    return figures._forest_figure(r["est"], r["labels"], r["groups"], r["level"])


CASES = [(k, run) for run in RUNS for k in ("importance", "ranks", "forest")] + \
    [("power", None)]
IDS = [f"{k}-{run}" if run else k for k, run in CASES]


def _draw(fig, monkeypatch) -> list[tuple[str, object]]:
    """Draw with Agg; (text, window extent) of every Text artist that was drawn."""
    drawn = []
    original = Text.draw

    def spy(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_window_extent(renderer)))
        return original(self, renderer)

    monkeypatch.setattr(Text, "draw", spy)
    canvas = FigureCanvasAgg(fig)
    with matplotlib.rc_context(figures.RC):
        canvas.draw()
    monkeypatch.setattr(Text, "draw", original)
    return drawn


@pytest.mark.parametrize(("kind", "run"), CASES, ids=IDS)
def test_every_text_lies_inside_the_canvas(kind, run, monkeypatch):
    fig = _build(kind, run)
    drawn = _draw(fig, monkeypatch)
    width, height = fig.bbox.width, fig.bbox.height
    assert len(drawn) > 5
    outside = [(t, tuple(round(v) for v in b.extents)) for t, b in drawn
               if b.x0 < -TOL or b.y0 < -TOL or b.x1 > width + TOL or b.y1 > height + TOL]
    assert not outside, f"canvas {width:.0f}x{height:.0f}: {outside}"


@pytest.mark.parametrize(("kind", "run"), CASES, ids=IDS)
def test_legends_lie_outside_every_plotting_area(kind, run, monkeypatch):
    fig = _build(kind, run)
    _draw(fig, monkeypatch)
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    if kind != "ranks":  # the rank chart colours its group labels instead of a legend
        assert legends
    for leg in legends:
        box = leg.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width + TOL
        assert 0 <= box.y0 and box.y1 <= fig.bbox.height + TOL
        for ax in fig.axes:
            assert not box.overlaps(ax.bbox), f"legend over the axes '{ax.get_title()}'"


def test_forest_puts_constants_and_per_unit_terms_in_their_own_panels():
    r = _run("peer_support")
    fig = figures._forest_figure(r["est"], r["labels"], r["groups"], r["level"])
    assert len(fig.axes) == 3
    spans = [ax.get_xlim()[1] - ax.get_xlim()[0] for ax in fig.axes]
    assert min(spans) < 0.2 * max(spans)  # the per-unit panel has its own, narrower scale
    bws = _run("peer_support_bws")
    assert len(figures._forest_figure(bws["est"], bws["labels"], bws["groups"],
                                      bws["level"]).axes) == 1


@pytest.mark.parametrize(("kind", "run"), CASES, ids=IDS)
def test_same_input_gives_the_same_png_and_svg_bytes(kind, run):
    first = figures._save(_build(kind, run))
    second = figures._save(_build(kind, run))
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert first[0][:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in first[1]
