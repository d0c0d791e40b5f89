"""The committed latent class showcase report (results/peer_support_lc) opens in headless
Chromium, offline, and its segment section renders: no failed request, no console error,
every figure (the class importance figure among them) decodes with a non-zero size, and the
section is on the page. Skipped, saying so, without Chromium (as test_report_browser.py).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.chromium import find_browser, open_page

REPO = Path(__file__).resolve().parents[2]
SHOWCASE = REPO / "results" / "peer_support_lc" / "report.html"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does it)")
    assert SHOWCASE.is_file(), "the committed showcase run results/peer_support_lc/ is missing"
    shot = tmp_path_factory.mktemp("browser") / "segments.png"
    result = open_page(SHOWCASE, shot, browser, anchor="segments")
    result["screenshot"] = shot
    return result


def test_loads_offline_without_errors(page):
    assert page["failed"] == []
    assert page["errors"] == []
    assert page["external"] == []


def test_every_figure_decodes_class_figure_included(page):
    html = SHOWCASE.read_text(encoding="utf-8")
    assert 'id="figure-classes"' in html and 'id="segments"' in html
    # importance, ranks, coefficients and the class importance figure
    assert len(page["images"]) == html.count("<img ") >= 4
    for img in page["images"]:
        assert img["src"].startswith("data:image/png;base64,")
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
        assert img["shown"] > 0, img


def test_segment_section_screenshot_is_a_real_page(page):
    data = page["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 50_000  # tables and a figure, not a blank page
