"""The committed showcase report, and a mixed-logit report, open in headless Chromium,
offline.

Checks: the page loads with no failed request and no request beyond the file itself and
its data: URIs, every figure decodes with a non-zero size, the ranking table has one row
per attribute, and a screenshot is taken. The mixed-logit report (tests/mixed_case.py)
shows its heterogeneity section (scrolled to and captured) with no console error.
Chromium comes from the Debian package ``chromium`` (.ci/run installs it); without it the
test is skipped, saying so.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import yaml

from tests.chromium import find_browser, open_page
from tests.mixed_case import mixed_run  # noqa: F401 - fixture of the mixed-logit case

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


# ----- a mixed-logit run: the heterogeneity section ---------------------------------------
@pytest.fixture(scope="module")
def mixed_page(mixed_run, tmp_path_factory):  # noqa: F811 - the fixture imported above
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does it)")
    shot = tmp_path_factory.mktemp("browser-mixed") / "heterogeneity.png"
    html = mixed_run / "report.html"
    result = open_page(html, shot, browser, anchor="heterogeneity")  # fails without it
    result.update(screenshot=shot, html=html)
    return result


def test_mixed_logit_report_renders_heterogeneity_without_errors(mixed_page):
    assert mixed_page["failed"] == []
    assert mixed_page["errors"] == []
    others = [u for u in mixed_page["requests"]
              if not (u.startswith("data:") or u == mixed_page["html"].resolve().as_uri())]
    assert others == [] and mixed_page["external"] == []
    # importance, ranks (two groups), coefficients and the share-preferring figure
    assert len(mixed_page["images"]) == 4
    for img in mixed_page["images"]:
        assert img["complete"] and img["width"] > 0 and img["shown"] > 0, img
    html = mixed_page["html"].read_text()
    assert html.count('class="heterogeneity-table"') == 3  # two groups and pooled
    data = mixed_page["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
