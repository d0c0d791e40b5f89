"""The committed showcase report opens in headless Chromium, offline.

Checks: the page loads with no failed request and no request beyond the file itself and
its data: URIs, every figure decodes with a non-zero size, the ranking table has one row
per attribute, and a screenshot is taken. Chromium comes from the Debian package
``chromium`` (.ci/run installs it); without it the test is skipped, saying so.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import yaml

from tests.chromium import find_browser, open_page

REPO = Path(__file__).resolve().parents[2]
SHOWCASE = REPO / "results" / "peer_support" / "report.html"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does it)")
    assert SHOWCASE.is_file(), "the committed showcase run results/peer_support/ is missing"
    shot = tmp_path_factory.mktemp("browser") / "report.png"
    result = open_page(SHOWCASE, shot, browser)
    result["screenshot"] = shot
    return result


def test_loads_offline_without_failed_requests(page):
    assert page["failed"] == []
    assert page["errors"] == []
    others = [u for u in page["requests"]
              if not (u.startswith("data:") or u == SHOWCASE.resolve().as_uri())]
    assert others == []
    assert page["external"] == []
    assert page["scripts"] == 2  # the scenario simulator: its data and its code, inline


def test_every_figure_decodes(page):
    assert len(page["images"]) >= 3
    for img in page["images"]:
        assert img["src"].startswith("data:image/png;base64,")
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
        assert img["shown"] > 0, img


def test_ranking_table_has_one_row_per_attribute(page):
    cfg = yaml.safe_load((REPO / "configs" / "peer_support.yaml").read_text())
    labels = [(a or {}).get("label") or name for name, a in cfg["attributes"].items()]
    assert sorted(page["ranking_rows"]) == sorted(labels)


def test_screenshot_is_a_real_page(page):
    data = page["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 50_000  # text and colour, not a blank page
