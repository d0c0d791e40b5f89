"""The report's scenario simulator: its precomputed coding reproduces uptake.csv, its data
block is safe inside the page, and in headless Chromium the page computes the shares of
uptake.csv first and then those of any other choice set the reader picks (checked
against dce.analysis.uptake.predict). Without Chromium the browser test is skipped, saying so."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from dce import report
from dce.analysis import uptake
from dce.cli import main
from dce.config.study import load_config
from dce.report import simulator
from dce.report.labels import Labels
from tests.conftest import write_config

CONFIG = """
schema_version: 1
name: simulator
seed: 11
attributes:
  quality:
    label: Quality
    levels: [Low, Medium, High]
    reference: High              # effects coding with a reference other than the first
  similar:
    label: Similar people
    levels: [No, Yes]
    coding: dummy
    reference: "Yes"
  waiting:
    label: Waiting (weeks)
    levels: [1, 4, 12]
    coding: linear
design: {method: random, alternatives: 2, opt_out: Neither, tasks: 8, blocks: 2}
simulate:
  groups:
    users:
      respondents: 150
      utilities:
        quality: {Low: 0, Medium: 0.6, High: 1.2}
        similar: {No: 0, "Yes": 0.8}
        waiting: -0.08
        opt_out: -0.5
    staff:
      respondents: 120
      utilities:
        quality: {Low: 0, Medium: 0.7, High: 1.3}
        similar: {No: 0, "Yes": 0.2}
        waiting: -0.1
        opt_out: 0.2
model: {by: group}
importance: {draws: 400, level: 0.9}
scenarios:
  opt_out: true
  alternatives:
    - {name: Quick, levels: {quality: Low, similar: "No", waiting: 1}}
    - {name: Good but slow, levels: {quality: High, similar: "Yes", waiting: 12}}
"""
MACHINE = 0.0005 + 1e-9  # data-share holds 3 decimals


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("simulator")
    cfg = write_config(folder, CONFIG)
    assert main(["run", str(cfg), "--output", str(folder / "out")]) == 0
    return folder / "out"


@pytest.fixture(scope="module")
def context(run_dir):
    run = report.read_run(run_dir)
    labels = Labels(run["config"], list(dict.fromkeys(run["importance"]["group"])))
    return run, simulator.build(run, labels)


def _softmax(V):
    E = np.exp(V - V.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def _dense(pairs, n, scale=1.0):
    row = np.zeros(n)
    for i, v in pairs:
        row[i] += scale * v
    return row


def test_precomputed_vectors_reproduce_uptake(context):
    run, ctx = context
    data = json.loads(ctx["json"])
    n = len(data["terms"])
    rows = []
    for k in range(2):  # the two scenario services the page starts with
        picks = [next(o["value"] for o in c["cells"][k]["options"] if o["selected"])
                 for c in ctx["controls"]]
        rows.append(sum(_dense(a["vectors"][i], n) for a, i in zip(data["attributes"], picks)))
    assert ctx["opt_out"]["checked"]
    rows.append(_dense([[data["optOut"], 1.0]], n))
    S = np.array(rows)
    up = run["uptake"]
    assert [g["code"] for g in data["groups"]] == list(dict.fromkeys(up["group"]))
    for g in data["groups"]:
        got = up[up["group"] == g["code"]]
        point = _softmax(S @ np.array(g["beta"]))
        sims = _softmax(np.array(g["draws"]) @ S.T)
        lo, hi = np.quantile(sims, [0.05, 0.95], axis=0)
        np.testing.assert_allclose(point, got["share"], atol=1e-8)
        np.testing.assert_allclose(lo, got["ci_lower"], atol=1e-8)
        np.testing.assert_allclose(hi, got["ci_upper"], atol=1e-8)
        cells = {c["id"]: c for r in ctx["rows"] for c in r["cells"]}
        for key, share in zip(["1", "2", "optout"], got["share"]):
            assert abs(float(cells[f"sim-share-{g['id']}-{key}"]["share"]) - share) <= MACHINE
        assert cells[f"sim-share-{g['id']}-3"]["text"] == "not offered"


def test_vectors_follow_each_attributes_coding(context, run_dir):
    _, ctx = context
    data = json.loads(ctx["json"])
    study = load_config(run_dir.parent / "study.yaml")
    index = {t: i for i, t in enumerate(data["terms"])}
    assert [a["id"] for a in data["attributes"]] == [a.name for a in study.attributes]
    for attr, coded in zip(study.attributes, data["attributes"]):
        for i, level in enumerate(attr.levels):
            want = np.zeros(len(index))
            for t, v in zip(attr.terms, attr.code([level])[0]):
                want[index[t]] = v
            np.testing.assert_array_equal(_dense(coded["vectors"][i], len(index)), want)
    quality = data["attributes"][0]["vectors"]
    assert [v for _, v in quality[2]] == [-1.0, -1.0]  # effects: the reference is minus all
    assert data["attributes"][1]["vectors"][1] == []  # dummy: the reference is zero
    assert data["attributes"][2]["vectors"][2] == [[index["waiting"], 12.0]]  # linear


def test_page_data_is_safe_and_every_group_is_shown(context):
    run, ctx = context
    assert [g["label"] for g in ctx["groups"]] == ["Users", "Staff", "All respondents (pooled)"]
    evil = "</script><!--x"
    est = run["estimates"].replace({"group": {"users": evil}})
    draws = run["coefficient_draws"].replace({"group": {"users": evil}})
    labels = Labels(run["config"], [evil, "staff", "all"])
    bad = simulator.build({**run, "estimates": est, "coefficient_draws": draws}, labels)
    assert "<" not in bad["json"] and ">" not in bad["json"]
    assert json.loads(bad["json"])["groups"][0]["code"] == evil
    html_env, _ = report._environments()
    html = html_env.get_template("simulator.html.j2").render(simulator=bad)
    assert html.count("</script>") == html.count("<script") == 2
    assert "&lt;/script&gt;" in html and "<noscript>" in html
    assert "not forecasts of uptake in a population" in html


def test_no_simulator_for_item_studies_or_runs_without_draws(context):
    run, _ = context
    labels = Labels(run["config"], ["all"])
    assert simulator.build({**run, "coefficient_draws": None}, labels) is None
    items = {"name": "bws", "type": "best-worst", "items": {"a": {}, "b": {}}}
    assert simulator.build({**run, "config": items}, Labels(items, ["all"])) is None


def test_linear_without_levels_and_constants():
    cfg = {"name": "fit_only", "attributes": {"pf": {"coding": "linear"},
                                              "q": {"levels": ["a", "b"]}},
           "model": {"constants": [1]}}
    terms = ["pf", "q[b]", "asc[1]"]
    rng = np.random.default_rng(1)
    est = pd.DataFrame({"group": "all", "term": ["pf", "q[a]", "q[b]", "asc[1]"],
                        "estimate": [-0.5, -0.3, 0.3, 0.2]})
    draws = pd.DataFrame(rng.normal(size=(50, 3)) * 0.1 + [-0.5, 0.3, 0.2], columns=terms)
    draws.insert(0, "draw", np.arange(1, 51))
    draws.insert(0, "group", "all")
    ctx = simulator.build({"config": cfg, "estimates": est, "coefficient_draws": draws},
                          Labels(cfg, ["all"]))
    data = json.loads(ctx["json"])
    assert data["attributes"][0] == {"id": "pf", "kind": "number", "unit": [[0, 1.0]]}
    assert ctx["controls"][0]["cells"][0]["kind"] == "number"
    assert data["asc"] == [None, None, None] and data["optOut"] is None
    # two services by default: q = a and q = b, pf = 0; position constants left out, as
    # in dce.analysis.uptake (nuisance in a hypothetical set of named services)
    V = np.array([-0.3, 0.3])
    want = np.exp(V) / np.exp(V).sum()
    shares = [float(r["cells"][0]["share"]) for r in ctx["rows"][:2]]
    np.testing.assert_allclose(shares, want, atol=MACHINE)


# ----- in the browser -----------------------------------------------------------------------
READ = """JSON.stringify({
  computed: document.getElementById('sim-results').getAttribute('data-computed'),
  cells: Object.fromEntries(Array.from(document.querySelectorAll('#sim-results td[id]')).map(
    c => [c.id, [c.dataset.share, c.dataset.lower, c.dataset.upper, c.textContent]])),
  picks: Object.fromEntries(Array.from(document.querySelectorAll(
    '#sim-controls select')).map(s => [s.id, s.options[s.selectedIndex].text])),
  included: [1, 2, 3].map(k => document.getElementById('sim-include-' + k).checked),
  optout: document.getElementById('sim-optout').checked,
  disabled: document.querySelectorAll('#sim-controls :disabled').length
})"""

CHANGE = """(function () {
  function set(id, value) {
    var el = document.getElementById(id);
    if (el.type === 'checkbox') { el.checked = value; } else { el.value = value; }
    el.dispatchEvent(new Event('change', {bubbles: true}));
  }
  set('sim-service-1-quality', '2');   // High
  set('sim-service-2-waiting', '1');   // 4 weeks
  set('sim-service-2-similar', '0');   // No
  set('sim-include-3', true);
  set('sim-service-3-quality', '1');   // Medium
  set('sim-service-3-waiting', '0');   // 1 week
  set('sim-optout', false);
  return true;
})()"""


class _Page:
    """One tab of headless Chromium on a local file, with Runtime.evaluate."""

    def __init__(self, path: Path, executable: str):
        from tests.chromium import Browser

        self.browser = b = Browser(executable)
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = b.send("Target.attachToTarget",
                              {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            b.send(f"{domain}.enable", session=self.session)
        b.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                    "downloadThroughput": -1,
                                                    "uploadThroughput": -1},
               session=self.session)
        b.send("Page.navigate", {"url": path.resolve().as_uri()}, session=self.session)
        b.wait_for("Page.loadEventFired", timeout=60)

    def js(self, expression: str):
        out = self.browser.send("Runtime.evaluate", {"expression": expression,
                                                     "returnByValue": True},
                                session=self.session)
        assert "exceptionDetails" not in out, out["exceptionDetails"]
        return out["result"].get("value")

    def errors(self) -> list:
        return [e for e in self.browser.events if e.get("method") == "Runtime.exceptionThrown"]


def _expected(run_dir, picks: dict, included: list, opt_out: bool) -> pd.DataFrame:
    """dce.analysis.uptake.predict on the estimates and draws of the run folder, for the services
    the page shows (their levels read from the page's selects)."""
    study = load_config(run_dir.parent / "study.yaml")
    est = pd.read_csv(run_dir / "estimates.csv")
    draws = pd.read_csv(run_dir / "coefficient_draws.csv")
    terms = [c for c in draws.columns if c not in ("group", "draw")]
    alts = []
    for k, on in enumerate(included, start=1):
        if on:
            levels = {a.name: a.levels[a.level_labels.index(picks[f"sim-service-{k}-{a.name}"])]
                      for a in study.attributes}
            alts.append(SimpleNamespace(name=str(k), levels=levels))
    spec = SimpleNamespace(alternatives=alts, opt_out=opt_out)
    frames = []
    for g in dict.fromkeys(est["group"]):
        e = est[est["group"] == g].set_index("term")
        result = SimpleNamespace(group=g, terms=terms, params=e.loc[terms, "estimate"].to_numpy())
        D = draws.loc[draws["group"] == g, terms].to_numpy()
        frames.append(uptake.predict(result, study.attributes, spec, D, level=0.9))
    out = pd.concat(frames, ignore_index=True)
    out["scenario"] = out["scenario"].replace({"(opt out)": "optout"})
    return out


def _compare(cells: dict, expected: pd.DataFrame, offered: list) -> None:
    for _, r in expected.iterrows():
        share, lower, upper, shown = cells[f"sim-share-{r['group']}-{r['scenario']}"]
        for got, want in ((share, r["share"]), (lower, r["ci_lower"]), (upper, r["ci_upper"])):
            assert abs(float(got) - want) <= MACHINE, (r.to_dict(), got)
        assert shown.startswith(f"{100 * float(share):.1f}%")
    for cell_id, (share, *_rest, shown) in cells.items():
        if cell_id.rsplit("-", 1)[1] not in offered:
            assert share == "" and shown == "not offered"


@pytest.fixture(scope="module")
def page(run_dir):
    from tests.chromium import find_browser

    executable = find_browser()
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does it)")
    p = _Page(run_dir / "report.html", executable)
    yield p
    p.browser.close()


def test_page_starts_with_uptake_then_follows_the_controls(page, run_dir):
    first = json.loads(page.js(READ))
    assert first["computed"] == "page" and first["disabled"] == 0
    assert first["included"] == [True, True, False] and first["optout"]
    up = pd.read_csv(run_dir / "uptake.csv")
    names = {"Quick": "1", "Good but slow": "2", "(opt out)": "optout"}
    up["scenario"] = up["scenario"].replace(names)
    _compare(first["cells"], up, ["1", "2", "optout"])
    assert page.js(CHANGE) is True
    second = json.loads(page.js(READ))
    assert second["included"] == [True, True, True] and not second["optout"]
    assert second["picks"]["sim-service-1-quality"] == "High"
    assert second["picks"]["sim-service-2-waiting"] == "4"
    expected = _expected(run_dir, second["picks"], second["included"], False)
    assert len(expected) == 9  # three services x three groups
    _compare(second["cells"], expected, ["1", "2", "3"])
    assert second["cells"] != first["cells"]
    assert page.errors() == []
