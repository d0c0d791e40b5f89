"""The public Python API (SPEC.md, "Python API"): results, references, bad arguments.

- the SPEC block runs on the bundled showcase responses;
- ``dce.clogit`` on the bundled data equals the pipeline's fit of the same group
  (in memory exactly, and estimates.csv to its 10 significant digits);
- ``dce.clogit`` equals statsmodels' ConditionalLogit (run here, offline: Newton to a tight
  tolerance) on the stored reference data sets through the public API only: coefficients
  to 1e-6, classic SEs to 1e-5, and robust and cluster SEs to 1e-5 against sandwiches
  built from statsmodels' own Hessian and per-set scores; ``with_vcov`` switches without
  refitting;
- at least 20 bad arguments raise a DceError that is also a ValueError and names the
  argument or column.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dce
from dce.errors import DceError

REPO = Path(__file__).resolve().parents[2]
REF_DIR = REPO / "tests" / "reference"
REF = json.loads((REF_DIR / "clogit_statsmodels.json").read_text())


@pytest.fixture(scope="module")
def showcase():
    return dce.load_example("peer_support")


@pytest.fixture(scope="module")
def users(showcase):
    return showcase[showcase["group"] == "public_used"].reset_index(drop=True)


@pytest.fixture(scope="module")
def res(users):
    return dce.clogit(users, attributes=dce.example_attributes())


def test_spec_block_runs_on_the_showcase(users, res, tmp_path):
    attrs = dce.example_attributes()
    levels = list(attrs["format"].levels)
    spec_attrs = {"quality": list(attrs["quality"].levels), "waiting": "linear",
                  "format": dce.Attribute(levels=levels, coding="dummy", reference=levels[1]),
                  **{k: v for k, v in attrs.items() if k not in ("quality", "waiting",
                                                                  "format")}}
    r = dce.clogit(users, attributes=spec_attrs, choice="chosen", respondent="respondent",
                   task="task", alternative="alternative", vcov="cluster", asc=None)
    t = r.tidy(level=0.95)
    assert list(t.columns) == ["term", "estimate", "std_error", "z", "p_value", "ci_lower",
                               "ci_upper"]
    assert "quality[No information about quality or training]" in set(t["term"])  # omitted
    assert f"format[{levels[1]}]" not in set(t["term"])      # dummy: the reference is 0
    g = r.glance()
    assert len(g) == 1 and {"log_likelihood", "aic", "bic", "converged"} <= set(g.columns)
    assert list(r.coef().index) == list(t["term"]) == list(r.se().index)
    assert r.vcov.shape == (len(t), len(t)) and list(r.vcov.index) == list(t["term"])
    robust = r.with_vcov("robust")
    assert robust.fit.params is r.fit.params and robust.vcov_type == "robust"
    assert "conditional_logit" in r.summary() and "<table" in r._repr_html_()
    p = r.predict(users)
    assert p.index.equals(users.index)
    sums = p.groupby([users["respondent"], users["task"]]).sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    imp = dce.importance(r, draws=500, level=0.95, seed=1)
    assert list(imp.columns) == ["attribute", "importance", "ci_lower", "ci_upper", "rank",
                                 "prob_rank_1", "prob_top_3", "rank_ci_lower",
                                 "rank_ci_upper"]
    assert imp["importance"].sum() == pytest.approx(1.0)
    w = dce.wtp(r, denominator="waiting", draws=500)
    assert (w["denominator"] == "waiting").all() and len(w) == 9
    design = dce.make_design({"quality": ["A", "B", "C"], "waiting": {
        "levels": [1, 4, 12], "coding": "linear"}}, alternatives=2, tasks=6,
        method="bayesian", priors={"waiting": {"mean": -0.05, "sd": 0.02}}, seed=1)
    assert list(design.table.columns[:3]) == ["block", "task", "alternative"]
    assert design.diagnostics["db_error"] > 0
    from dce.config.yamlio import load_yaml

    path = REPO / "configs" / "peer_support.yaml"
    study = dce.load_config(path)
    raw, _ = load_yaml(path.read_text(encoding="utf-8"), path.name)
    same = dce.Study.from_dict(raw, base_dir=path.parent)
    assert isinstance(study, dce.Study) and same.spec == study.spec
    assert same.resolve("x.csv") == study.resolve("x.csv")


def test_clogit_equals_the_pipeline(users, res):
    from dce.core import coding
    from dce.models import fit

    st = dce.load_config(REPO / "configs" / "peer_support.yaml")
    cd = coding.encode(dce.load_example(), st.attributes)
    pipe = fit(cd.for_group("public_used"), se="cluster")
    np.testing.assert_array_equal(res.fit.params, pipe.params)
    np.testing.assert_array_equal(res.fit.vcov, pipe.vcov)
    est = pd.read_csv(REPO / "results" / "peer_support" / "estimates.csv")
    est = est[est["group"] == "public_used"].reset_index(drop=True)
    t = res.tidy()
    assert list(t["term"]) == list(est["term"])
    for col in ("estimate", "std_error", "ci_lower", "ci_upper"):  # %.10g in the CSV
        np.testing.assert_allclose(t[col], est[col], rtol=1e-9, atol=1e-12)
    models = pd.read_csv(REPO / "results" / "peer_support" / "models.csv").set_index("group")
    g = res.glance().iloc[0]
    for col in ("log_likelihood", "null_log_likelihood", "constants_log_likelihood", "aic"):
        assert g[col] == pytest.approx(models.loc["public_used", col], rel=1e-9)


# ----- statsmodels, through the public API only -------------------------------------------
def _statsmodels(name):
    from statsmodels.discrete.conditional_models import ConditionalLogit

    ref = REF["datasets"][name]
    df = pd.read_csv(REF_DIR / ref["file"])
    terms = list(ref["terms"])
    model = ConditionalLogit(df["chosen"], df[terms], groups=df["set"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model.fit(method="newton", maxiter=200, tol=1e-14, disp=0)
    b = fitted.params.to_numpy()
    bread = np.linalg.inv(-model.hessian(b))
    sets = list(dict.fromkeys(df["set"]))
    resp = df.groupby("set", sort=False)["respondent"].first().loc[sets].to_numpy()
    scores = np.array([model.score_grp(i, b) for i in range(len(sets))])
    robust = bread @ scores.T @ scores @ bread
    by = pd.DataFrame(scores).groupby(resp).sum().to_numpy()
    G = len(by)
    cluster = G / (G - 1) * bread @ by.T @ by @ bread
    return df, terms, b, {"classic": np.sqrt(np.diag(bread)),
                          "robust": np.sqrt(np.diag(robust)),
                          "cluster": np.sqrt(np.diag(cluster))}


@pytest.mark.reference
@pytest.mark.parametrize("name", sorted(REF["datasets"]))
def test_clogit_matches_statsmodels(name):
    df, terms, b, se = _statsmodels(name)
    consts = [t for t in terms if t.startswith("asc[")]
    attrs = {t: "linear" for t in terms if t not in consts}
    asc = [int(t[4:-1]) for t in consts]
    r = dce.clogit(df, attributes=attrs, task="set", vcov="classic", asc=asc or None)
    order = [t for t in r.coef().index]
    sm_b = pd.Series(b, index=terms)[order].to_numpy()
    np.testing.assert_allclose(r.coef().to_numpy(), sm_b, rtol=1e-6, atol=1e-9)
    for kind in ("classic", "robust", "cluster"):
        other = r.with_vcov(kind)
        assert other.fit.params is r.fit.params  # no refit
        want = pd.Series(se[kind], index=terms)[order].to_numpy()
        np.testing.assert_allclose(other.se().to_numpy(), want, rtol=1e-5, atol=0)


# ----- bad arguments ------------------------------------------------------------------------
def _small():
    rows = []
    for r in (1, 2):
        for t in (1, 2):
            for a, q, w in ((1, "Low", 1), (2, "High", 4)):
                rows.append({"respondent": r, "task": t, "alternative": a,
                             "chosen": int(a == t), "quality": q, "waiting": w})
    return pd.DataFrame(rows)


ATTRS = {"quality": ["Low", "High"], "waiting": "linear"}
BAD = [
    ("vcov", dict(vcov="HC0"), "vcov"),
    ("vcov type", dict(vcov=3), "vcov"),
    ("engine", dict(engine="biogeme"), "engine"),
    ("choice column", dict(choice="choice"), "chosen"),
    ("respondent column", dict(respondent="id"), "respondent"),
    ("task column", dict(task="set"), "set"),
    ("alternative column", dict(alternative="alt"), "alternative"),
    ("group column", dict(group="grp"), "grp"),
    ("block column", dict(block="version"), "version"),
    ("asc text", dict(asc="opt_out"), "asc"),
    ("asc unknown id", dict(asc=[5]), "asc"),
    ("attributes not a mapping", dict(attributes=["quality"]), "attributes"),
    ("attribute spec", dict(attributes={"quality": "categorical"}), "quality"),
    ("attribute missing", dict(attributes={"quality": ["Low", "High"], "price": "linear"}),
     "price"),
    ("unknown level", dict(attributes={"quality": ["Low", "Medium"], "waiting": "linear"}),
     "High"),
    ("coding", dict(attributes={"quality": dce.Attribute(levels=["Low", "High"],
                                                         coding="orthogonal")}), "coding"),
    ("reference", dict(attributes={"quality": dce.Attribute(levels=["Low", "High"],
                                                            reference="Mid")}), "reference"),
    ("one level", dict(attributes={"quality": ["Low"]}), "quality"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_clogit_arguments(case):
    _, kwargs, word = case
    args = {"attributes": ATTRS, **kwargs}
    with pytest.raises(DceError) as info:
        dce.clogit(_small(), **args)
    assert isinstance(info.value, ValueError)
    assert word in str(info.value)


def _mutate(kind):
    df = _small()
    if kind == "not numeric":
        df["waiting"] = df["waiting"].astype(object)
        df.loc[1, "waiting"] = "four"
    elif kind == "two chosen":
        df.loc[1, "chosen"] = 1
    elif kind == "chosen 2":
        df.loc[0, "chosen"] = 2
    elif kind == "alternative text":
        df["alternative"] = df["alternative"].map({1: "A", 2: "B"})
    elif kind == "not a frame":
        return df.to_dict("records")
    elif kind == "empty respondent":
        df["respondent"] = df["respondent"].astype(object)
        df.loc[2, "respondent"] = None
    elif kind == "empty task":
        df["task"] = df["task"].astype(float)
        df.loc[2, "task"] = float("nan")
    elif kind == "duplicated row":
        return pd.concat([df, df.iloc[[1]]])
    elif kind == "no rows":
        return df.iloc[:0]
    return df


DATA_BAD = [("not numeric", "waiting"), ("two chosen", "chosen"), ("chosen 2", "chosen"),
            ("alternative text", "alternative"), ("not a frame", "DataFrame"),
            ("empty respondent", "respondent"), ("empty task", "task"),
            ("duplicated row", "repeat the same respondent"), ("no rows", "no rows")]


@pytest.mark.parametrize("case", DATA_BAD, ids=[c[0] for c in DATA_BAD])
def test_bad_data(case):
    kind, word = case
    with pytest.raises(DceError) as info:
        dce.clogit(_mutate(kind), attributes=ATTRS)
    assert isinstance(info.value, ValueError) and word in str(info.value)


@pytest.mark.parametrize("call", [
    lambda r: r.with_vcov("HC1"), lambda r: r.tidy(level=95),
    lambda r: dce.importance(r, draws=5), lambda r: dce.importance(r, level=2),
    lambda r: dce.wtp(r, denominator="quality"), lambda r: dce.wtp(r, "price"),
    lambda r: dce.importance("not a result"),
    lambda r: dce.make_design({"q": ["a", "b"]}, method="optimal"),
    lambda r: dce.mixed_logit(_small(), ATTRS, random={"waiting": "gamma"}),
    lambda r: dce.mixed_logit(_small(), ATTRS, random={"speed": "normal"}),
    lambda r: dce.mixed_logit(_small(), ATTRS, random={"waiting": "normal"}, draws=0),
    lambda r: dce.analyse({"name": "x"}),
    lambda r: dce.Study.from_dict({"schema_version": 1, "name": "x", "seed": 1}),
    lambda r: r.predict(_small().drop(columns="waiting")),
], ids=lambda f: "call")
def test_bad_result_arguments(res, call):
    with pytest.raises(DceError) as info:
        call(res)
    assert isinstance(info.value, ValueError)


def test_attribute_mappings_and_names(users, res):
    """A config-style mapping works as in make_design, and the key names the column even
    when the Attribute carries another name."""
    spec = {k: ({"levels": list(a.levels), "coding": a.coding}) if a.coding != "linear" else
            {"coding": "linear"} for k, a in dce.example_attributes().items()}
    b = dce.clogit(users, attributes=spec)
    pd.testing.assert_frame_equal(res.tidy(), b.tidy())
    attrs = dict(dce.example_attributes())
    attrs["qualty"] = attrs.pop("quality")
    with pytest.raises(DceError, match="qualty"):
        dce.clogit(users, attributes=attrs)


def test_item_results_refuse_attribute_only_calls():
    bw = dce.load_example("peer_support_bws")
    r = dce.best_worst(bw[bw["group"] == "peer_workforce"], items=dce.example_items(),
                       reference="format")
    with pytest.raises(DceError, match="item studies"):
        dce.wtp(r, "cost")
    with pytest.raises(DceError, match="predict"):
        r.predict(bw)
    assert dce.importance(r)["importance"].sum() == pytest.approx(1.0)


def test_errors_inherit_builtins():
    assert issubclass(dce.ConfigError, ValueError) and issubclass(dce.DataError, ValueError)
    assert issubclass(dce.DesignError, ValueError)
    assert issubclass(dce.EstimationError, RuntimeError)


# ----- studies and runs ----------------------------------------------------------------------
def test_study_from_dict_analyse_and_write(tmp_path):
    from dce.cli import main
    from dce.config.yamlio import load_yaml
    from tests.conftest import SMALL

    data, _ = load_yaml(SMALL, "small.yaml")
    study = dce.Study.from_dict(data, base_dir=tmp_path)
    run = dce.analyse(study)
    assert {"estimates", "models", "importance", "comparison"} <= set(run.tables)
    assert set(run.models) >= {"all"}
    out = run.write(tmp_path / "api_run")
    (tmp_path / "small.yaml").write_text(SMALL, encoding="utf-8")
    assert main(["run", str(tmp_path / "small.yaml"), "--output", str(tmp_path / "cli")]) == 0
    for name in ("estimates.csv", "importance.csv", "comparison.csv", "report.md"):
        assert (out / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    imp = pd.read_csv(out / "importance.csv")
    pd.testing.assert_frame_equal(run.tables["importance"], imp, check_dtype=False)
    # the in-memory model predicts the fitted data's probabilities
    m = run.models["all"]
    resp = run.raw.responses
    p = m.predict(resp)
    assert np.allclose(p.groupby([resp["respondent"], resp["task"]]).sum(), 1.0)


def test_doctests_of_the_public_modules():
    import doctest

    import dce.data.examples
    import dce.models.fitted

    for module in (dce, dce.data.examples, dce.models.fitted):
        failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert tried > 0 and failed == 0, module.__name__
