"""Designs exported by Ngene, Sawtooth, idefix and cbcTools read as dce's own design.

The example files in tests/design/imports/ hold one 12-set design (2 blocks of 6 tasks, 2
alternatives; colour 3 levels effects, price 10/20/40 linear, mode 2 levels dummy) written
in each tool's documented layout (docs/designs.md); idefix has no blocks, so its files
hold the same sets as one block of 12 (design_dce_one_block.csv). The acceptance test
fits the same simulated study to each file and to dce's own file: estimates must agree
to 1e-12, and so must the design tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dce
from dce.core.attributes import Attribute
from dce.design import build
from dce.design.import_checks import level_index
from dce.design.imports import decode_coded, detect, read_rows
from dce.errors import ConfigError, DataError

HERE = __import__("pathlib").Path(__file__).resolve().parent / "imports"

BASE = {
    "schema_version": 1, "name": "imported", "seed": 11,
    "attributes": {"colour": {"levels": ["red", "green", "blue"]},
                   "price": {"levels": [10, 20, 40], "coding": "linear"},
                   "mode": {"levels": ["online", "face"], "coding": "dummy"}},
    "design": {"alternatives": 2},  # tasks and blocks: the file's
    "simulate": {"groups": {"g": {"respondents": 150, "utilities": {
        "colour": {"red": 0, "green": 0.5, "blue": 0.9}, "price": -0.04,
        "mode": {"online": 0, "face": 0.6}}}}},
    "importance": {"draws": 50},
}

TWO_BLOCKS = ["design.ngd", "design_sawtooth.csv", "design_cbctools.csv"]
ONE_BLOCK = ["design_idefix_decoded.csv", "design_idefix_coded.csv"]
WITH_OPT_OUT = {"design.ngd": "design_dce_optout.csv",
                "design_sawtooth_none.csv": "design_dce_optout.csv",
                "design_sawtooth.csv": "design_dce_optout.csv",
                "design_cbctools_nochoice.csv": "design_dce_optout.csv",
                "design_idefix_nochoice.csv": "design_dce_one_block_optout.csv",
                "design_idefix_coded.csv": "design_dce_one_block_optout.csv"}


def study(file, opt_out=None, **design):
    cfg = {**BASE, "design": {**BASE["design"], "file": file, **design}}
    if opt_out:
        cfg["design"]["opt_out"] = opt_out
        utilities = {**cfg["simulate"]["groups"]["g"]["utilities"], "opt_out": -0.5}
        cfg["simulate"] = {"groups": {"g": {"respondents": 150, "utilities": utilities}}}
    return dce.Study.from_dict(cfg, base_dir=HERE)


def reference_for(name):
    return "design_dce_one_block.csv" if name in ONE_BLOCK else "design_dce.csv"


# ----- same design table ------------------------------------------------------------------
@pytest.mark.parametrize("name", TWO_BLOCKS + ONE_BLOCK)
def test_each_format_gives_the_same_design_table(name):
    ref = build(study(reference_for(name)))
    got = build(study(name))
    pd.testing.assert_frame_equal(got.table, ref.table)
    assert ref.diagnostics["file_format"] == "dce"
    assert got.diagnostics["file_format"] == detect_name(name)
    assert got.diagnostics["method"] == f"read from {name}"
    drop = ("file_format", "method")
    assert ({k: v for k, v in got.diagnostics.items() if k not in drop}
            == {k: v for k, v in ref.diagnostics.items() if k not in drop})
    assert got.source == f"file:{name}"


def detect_name(name: str) -> str:
    """The format a test file is written in, from its name."""
    return next(f for f in ("sawtooth", "idefix", "cbctools") if f in name) \
        if "." in name and not name.endswith(".ngd") else "ngene"


@pytest.mark.parametrize("name", sorted(WITH_OPT_OUT))
def test_opt_out_rows_are_read_or_added(name):
    ref = build(study(WITH_OPT_OUT[name], opt_out="Neither")).table
    got = build(study(name, opt_out="Neither")).table
    pd.testing.assert_frame_equal(got, ref)
    assert int(got["is_opt_out"].sum()) == got.groupby(["block", "task"]).ngroups


def test_dce_format_still_reads_without_is_opt_out():
    table = build(study("design_dce.csv", format="dce")).table
    assert (table["is_opt_out"] == 0).all() and len(table) == 24


# ----- acceptance: the same estimates ---------------------------------------------------------
def estimates(s):
    return dce.analyse(s, stage="fit").tables["estimates"]


@pytest.mark.parametrize("opt_out", [None, "Neither"])
def test_same_estimates_from_every_format(opt_out):
    names = (TWO_BLOCKS + ONE_BLOCK) if opt_out is None else sorted(WITH_OPT_OUT)
    refs = {}
    for name in names:
        ref_name = (reference_for(name) if opt_out is None else WITH_OPT_OUT[name])
        if ref_name not in refs:
            refs[ref_name] = estimates(study(ref_name, opt_out))
        got = estimates(study(name, opt_out))
        ref = refs[ref_name]
        assert list(got["term"]) == list(ref["term"])
        np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=0, atol=1e-12)
    # the fit is informative: every slope is estimated, not a degenerate zero
    assert refs and all(np.isfinite(r["std_error"]).all() for r in refs.values())


# ----- the level-code rule -----------------------------------------------------------------
LEVELS = Attribute(name="price", coding="linear", levels=(10, 20, 40, 80))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=30),
       st.sampled_from(["values", "one-based", "zero-based"]))
def test_level_codes_round_trip(index, rule):
    index = np.array(index)
    cells = {"values": [str(LEVELS.levels[i]) for i in index],
             "one-based": [str(i + 1) for i in index],
             "zero-based": [str(i) for i in index]}[rule]
    got, used = level_index(LEVELS, pd.Series(cells), rule)
    np.testing.assert_array_equal(got, index)
    assert used == rule


def test_auto_rule_values_then_codes():
    attr = Attribute(name="colour", levels=("red", "green", "blue"))
    assert level_index(attr, pd.Series(["red", "blue"]), "auto")[1] == "values"
    idx, rule = level_index(attr, pd.Series(["0", "2", "1"]), "auto")
    assert rule == "zero-based" and idx.tolist() == [0, 2, 1]
    idx, rule = level_index(attr, pd.Series(["1", "3"]), "auto")
    assert rule == "one-based" and idx.tolist() == [0, 2]
    idx, _ = level_index(attr, pd.Series(["1", "4", "x"]), "auto")
    assert idx.tolist() == [0, -1, -1]
    # numeric levels that are also valid codes are read as values (stated rule)
    num = Attribute(name="n", coding="linear", levels=(1, 2, 3))
    assert level_index(num, pd.Series(["1", "2"]), "auto")[0].tolist() == [0, 1]


def hand_code(index, n, coding):
    """idefix's Profiles coding written out: dummy drops level 1, effects codes level n as
    -1 on every column (R's contr.treatment / contr.sum)."""
    out = np.zeros((len(index), n - 1))
    for r, i in enumerate(index):
        if coding == "D" and i > 0:
            out[r, i - 1] = 1
        elif coding == "E":
            out[r] = -1 if i == n - 1 else np.eye(n - 1)[i]
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.sampled_from(["D", "E"]), st.data())
def test_idefix_coded_columns_decode(n, coding, data):
    index = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=12))
    levels = [f"L{i}" for i in range(n)]
    s = dce.Study.from_dict({"schema_version": 1, "name": "c", "seed": 1,
                             "attributes": {"a": {"levels": levels}},
                             "design": {"tasks": 2},
                             "simulate": {"groups": {"g": {"respondents": 5}}}}, base_dir=HERE)
    cols = [f"Var1{lv}" for lv in (range(2, n + 1) if coding == "D" else range(1, n))]
    rows = pd.DataFrame(hand_code(index, n, coding), columns=cols).astype(int).astype(str)
    rows["_line"] = np.arange(2, len(rows) + 2)
    problems = []
    got = decode_coded(s, rows, cols, "x.csv", problems)
    assert problems == []
    assert got["a"].tolist() == list(index)


# ----- layouts ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, fmt", [("design.ngd", "ngene"), ("design_sawtooth.csv", "sawtooth"),
                                       ("design_cbctools.csv", "cbctools"),
                                       ("design_idefix_coded.csv", "idefix"),
                                       ("design_dce.csv", "dce")])
def test_detect(name, fmt):
    header, rows = read_rows(HERE / name, name, stop_at_bar=True)
    assert detect(header, rows) == fmt


def test_ngene_trailer_is_ignored_and_lines_counted():
    header, rows = read_rows(HERE / "design.ngd", "design.ngd", stop_at_bar=True)
    assert len(rows) == 12 and rows["_line"].tolist() == list(range(2, 14))
    assert "Block" in header and "" not in header


def test_sawtooth_positional_attribute_columns(tmp_path):
    text = (HERE / "design_sawtooth.csv").read_text().splitlines()
    text[0] = "Version,Task,Concept,Att 1,Att 2,Att 3"
    (tmp_path / "d.csv").write_text("\n".join(text) + "\n")
    cfg = {**BASE, "design": {**BASE["design"], "file": "d.csv"}}
    got = build(dce.Study.from_dict(cfg, base_dir=tmp_path)).table
    pd.testing.assert_frame_equal(got, build(study("design_dce.csv")).table)


def write(tmp_path, text, **design):
    (tmp_path / "d.csv").write_text(text)
    cfg = {**BASE, "design": {**BASE["design"], "file": "d.csv", **design}}
    return dce.Study.from_dict(cfg, base_dir=tmp_path)


@pytest.mark.parametrize("text, fragments", [
    ("Choice situation,alt1.colour,alt1.size\n1,0,1\n", ["d.csv:1", "alt1.size",
                                                          "unknown column"]),
    ("Choice situation,alt1.colour,alt1.price,alt1.mode,alt2.colour,alt2.price\n"
     "1,0,10,0,1,20\n", ["alt2.mode", "missing column"]),
    ("Version,Task,Concept,colour,price,mode\n1,1,1,1,1,1\n1,1,2,4,1,1\n",
     ["d.csv:3", "colour", "'4'", "1 to 3"]),
    ("Version,Task,Concept,colour,price,mode\n1,1,1,1,1,1\n1,1,2,2,2,2\n1,2,1,1,2,1\n",
     ["d.csv:4", "missing alternatives", "[1]"]),
    ("Version,Task,Concept,colour,price,mode\n0,1,1,1,1,1\n", ["d.csv:2", "version 0"]),
    ("Version,Task,Concept,colour,price,mode\n1,1,1,1,1,1\n1,1,2,2,2,2\n1,1,3,0,0,0\n",
     ["d.csv:4", "the config names no opt-out"]),
    ('"",colour,price,mode\n"set1.alt1",red,10,online\n"row2",red,20,face\n',
     ["d.csv:3", "'row2'", "set<s>.alt<a>"]),
    ('"",Var11,Var12,Var2,Var32,Var9\n"set1.alt1",1,0,10,0,1\n', ["Var9", "unknown column"]),
    ("respID,qID,altID,colour,price,mode\n1,1,1,red,10,online\n1,1,1,red,20,face\n",
     ["d.csv:3", "appears twice"]),
    ("Choice situation,alt1.colour,alt1.price,alt1.mode\nx,0,10,0\n",
     ["d.csv:2", "Choice situation", "whole number"]),
    ("Version,Task,Concept,colour,price,mode\n1,1,1,1,1,1\n\n\n1,1,2,5,1,1\n",
     ["d.csv:5", "colour", "'5'"]),
    ("Choice situation,Block\n1,1\n", ["no <alternative>.<attribute> columns"]),
])
def test_bad_files_are_located(tmp_path, text, fragments):
    with pytest.raises(DataError) as err:
        build(write(tmp_path, text))
    for f in fragments:
        assert f in str(err.value)


@pytest.mark.parametrize("text, fragments", [
    ("Version,Task,Concept,colour,colour,mode\n1,1,1,1,1,1\n", ["d.csv:1", "appears twice"]),
    ("Version,Task,Concept,colour,price,mode\n1,1,1,1,1,1,7\n", ["d.csv:2", "7 cells"]),
    ("Version,Task,Concept,colour,price,mode\n", ["header but no rows"]),
])
def test_unreadable_tables_are_located(tmp_path, text, fragments):
    """With design.format named, the table reader reports; with auto, a table it cannot
    read goes to dce's own reader, whose messages are unchanged."""
    with pytest.raises(DataError) as err:
        build(write(tmp_path, text, format="sawtooth"))
    for f in fragments:
        assert f in str(err.value)
    with pytest.raises(DataError, match="d.csv"):
        build(write(tmp_path, text))


def test_values_rule_rejects_codes(tmp_path):
    text = (HERE / "design_cbctools.csv").read_text().replace(",blue,", ",3,", 1)
    with pytest.raises(DataError, match=r"d.csv:2: colour: expected a level of colour"):
        build(write(tmp_path, text, level_codes="values"))


@pytest.mark.parametrize("design, key", [({"format": "ngene"}, "design.format"),
                                         ({"level_codes": "one-based"}, "design.level_codes"),
                                         ({"file": "d.csv", "format": "dce",
                                           "level_codes": "zero-based"}, "design.level_codes")])
def test_config_checks(design, key):
    cfg = {**BASE, "design": {**BASE["design"], **design}}
    with pytest.raises(ConfigError, match=key):
        dce.Study.from_dict(cfg, base_dir=HERE)


def test_docs_examples_are_the_example_files():
    """Every example in docs/designs.md marked <!-- file: X --> is the head of that file."""
    doc = (HERE.parents[2] / "docs" / "designs.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```text\n(.*?)\n```", doc, flags=re.S)
    assert len(blocks) == 9
    for name, text in blocks:
        lines = text.splitlines()
        assert (HERE / name).read_text().splitlines()[:len(lines)] == lines, name


def test_semicolons_blank_lines_and_zero_based_sawtooth(tmp_path):
    """A semicolon-separated Sawtooth file with blank lines reads like the comma file; with
    level_codes: zero-based an all-zero concept is a profile (first levels), not "None"."""
    text = (HERE / "design_sawtooth.csv").read_text().replace(",", ";")
    got = build(write(tmp_path, text.replace("\n", "\n\n", 3))).table
    pd.testing.assert_frame_equal(got, build(study("design_dce.csv")).table)
    zero = "Version,Task,Concept,colour,price,mode\n1,1,1,0,0,0\n1,1,2,2,2,1\n"
    table = build(write(tmp_path, zero, level_codes="zero-based", tasks=1, blocks=1)).table
    assert table["colour"].tolist() == ["red", "blue"] and not table["is_opt_out"].any()


def test_an_imported_opt_out_may_be_named_by_choices_opt_out(tmp_path):
    """A file's own opt-out rows (a Sawtooth None concept) need only the opt-out named in
    choices.opt_out (issue 14): the design equals the one read with design.opt_out."""
    text = "Version,Task,Concept,colour,price,mode\n1,1,1,1,1,1\n1,1,2,2,2,2\n1,1,3,0,0,0\n"
    (tmp_path / "d.csv").write_text(text)
    (tmp_path / "c.csv").write_text("respondent,task,alternative,chosen\n1,1,1,1\n")
    base = {**BASE, "design": {**BASE["design"], "file": "d.csv", "tasks": 1}}
    base.pop("simulate")
    by_choices = {**base, "choices": {"file": "c.csv", "opt_out": {"alternative": 3}}}
    by_design = {**base, "design": {**base["design"], "opt_out": "Neither"},
                 "choices": {"file": "c.csv"}}
    got = build(dce.Study.from_dict(by_choices, base_dir=tmp_path)).table
    want = build(dce.Study.from_dict(by_design, base_dir=tmp_path)).table
    pd.testing.assert_frame_equal(got, want)
    assert got["is_opt_out"].tolist() == [0, 0, 1]
