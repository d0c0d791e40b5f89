"""Fuzzing: random configs and data, valid or corrupted.

Property: ``dce run`` exits 0 with a complete run folder, or exits 2 with one-line
``error:`` messages; never another status, never a traceback. CI uses a fixed,
derandomised profile; set DCE_FUZZ_PROFILE=long for a longer local search.
"""

from __future__ import annotations

import contextlib
import io
import os
import string
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dce.cli import main

settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=400, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("DCE_FUZZ_PROFILE", "ci"))

COMPLETE = ["config.yaml", "estimates.csv", "models.csv", "importance.csv",
            "comparison.csv", "report.html", "manifest.json"]
names = st.sampled_from(["quality", "access", "price", "similar", "format"])
level_text = st.text(alphabet=string.ascii_letters + " -", min_size=1, max_size=8)


@st.composite
def attributes(draw):
    out = {}
    for name in draw(st.lists(names, min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            out[name] = {"levels": draw(st.lists(st.integers(0, 20), min_size=2, max_size=4,
                                                 unique=True)), "coding": "linear"}
        else:
            out[name] = {"levels": draw(st.lists(level_text, min_size=2, max_size=4,
                                                 unique=True)),
                         "coding": draw(st.sampled_from(["effects", "dummy"]))}
    return out


@st.composite
def configs(draw):
    attrs = draw(attributes())
    groups = {}
    for g in draw(st.lists(st.sampled_from(["users", "staff", "public"]), min_size=1,
                           max_size=3, unique=True)):
        util = {}
        for name, spec in attrs.items():
            if spec["coding"] == "linear":
                util[name] = draw(st.floats(-0.3, 0.3))
            else:
                util[name] = {lv: draw(st.floats(-1, 1)) for lv in spec["levels"]}
        groups[g] = {"respondents": draw(st.integers(5, 40)), "utilities": util}
    cfg = {
        "schema_version": 1, "name": "fuzz", "seed": draw(st.integers(0, 10_000)),
        "attributes": attrs,
        "design": {"method": draw(st.sampled_from(["random", "full-factorial"])),
                   "alternatives": draw(st.integers(2, 3)), "tasks": draw(st.integers(2, 6)),
                   "blocks": draw(st.integers(1, 2))},
        "simulate": {"groups": groups},
        "model": {"by": "group", "se": draw(st.sampled_from(["cluster", "robust", "classic"]))},
        "importance": {"draws": 20, "intervals": draw(st.sampled_from(["krinsky-robb",
                                                                       "delta"]))},
    }
    if draw(st.booleans()):
        cfg["design"]["opt_out"] = "None"
    if cfg["design"]["method"] == "full-factorial":
        del cfg["design"]["tasks"]
    text = yaml.safe_dump(cfg, sort_keys=False)
    mutation = draw(st.sampled_from(["none", "none", "delete_char", "insert_char",
                                     "unknown_key", "drop_key", "bad_type"]))
    if mutation in ("delete_char", "insert_char") and text:
        i = draw(st.integers(0, len(text) - 1))
        ch = draw(st.sampled_from(list(":[]{}-'\"\t#") + ["\n  "]))
        text = text[:i] + text[i + 1:] if mutation == "delete_char" else text[:i] + ch + text[i:]
    elif mutation == "unknown_key":
        text += "modle: {by: group}\n"
    elif mutation == "drop_key":
        text = "\n".join(ln for ln in text.splitlines() if not ln.startswith("seed"))
    elif mutation == "bad_type":
        text = text.replace("blocks:", "blocks: many #", 1)
    return text


def run_cli(args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, err.getvalue()


def check(code, err, out: Path):
    assert code in (0, 2), (code, err)
    assert "Traceback" not in err
    if code == 0:
        for name in COMPLETE:
            assert (out / name).is_file(), name
    else:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert lines and all(ln.startswith(("error:", "warning:")) for ln in lines), err
        assert not out.exists()


@given(configs())
def test_random_configs(text):
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "fuzz.yaml"
        cfg.write_text(text)
        out = Path(tmp) / "out"
        check(*run_cli(["run", str(cfg), "--output", str(out)]), out)


CHOICE_CONFIG = """
schema_version: 1
name: fuzzdata
seed: 1
attributes:
  quality: {levels: [low, high]}
  price: {coding: linear}
choices:
  file: data.csv
  columns: {respondent: id, task: task, alternative: alt, chosen: chosen}
importance: {draws: 20}
"""


@st.composite
def long_data(draw):
    n_resp, n_task = draw(st.integers(1, 12)), draw(st.integers(1, 4))
    rows = []
    for r in range(n_resp):
        for t in range(n_task):
            k = draw(st.integers(2, 3))
            pick = draw(st.integers(0, k - 1))
            for j in range(k):
                rows.append({"id": r, "task": t, "alt": j + 1, "chosen": int(j == pick),
                             "quality": draw(st.sampled_from(["low", "high"])),
                             "price": draw(st.floats(0, 10, allow_nan=False)).__round__(2)})
    frame = pd.DataFrame(rows)
    mutation = draw(st.sampled_from(["none", "none", "drop_col", "bad_cell", "dup_row",
                                     "empty", "semicolon", "nan", "two_chosen"]))
    if mutation == "drop_col":
        frame = frame.drop(columns=draw(st.sampled_from(list(frame.columns))))
    elif mutation == "bad_cell":
        col = draw(st.sampled_from(list(frame.columns)))
        frame[col] = frame[col].astype(object)
        frame.loc[draw(st.integers(0, len(frame) - 1)), col] = draw(
            st.sampled_from(["", "x", "1,000", "inf", "-", "NaN", "é"]))
    elif mutation == "dup_row":
        frame = pd.concat([frame, frame.iloc[[0]]])
    elif mutation == "nan":
        frame.loc[0, "price"] = float("nan")
    elif mutation == "two_chosen":
        frame["chosen"] = 1
    if mutation == "empty":
        return ""
    return frame.to_csv(index=False, sep=";" if mutation == "semicolon" else ",")


@given(long_data())
def test_random_data(csv_text):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "data.csv").write_text(csv_text)
        cfg = Path(tmp) / "fit.yaml"
        cfg.write_text(CHOICE_CONFIG)
        out = Path(tmp) / "out"
        check(*run_cli(["run", str(cfg), "--output", str(out)]), out)
