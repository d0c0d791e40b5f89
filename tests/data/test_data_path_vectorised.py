"""The vectorised data path (issue 16, item 1): reading, validating and coding run column
operations, with the results of the former row-by-row code.

- acceptance: ``dce.data.choices.load`` and the coding step on 1,000 and 100,000 sets call
  the per-value helpers (``level_key``, ``Attribute.index_of``) and the package's own Python
  functions as often on both: the counts follow the levels, not the rows;
- the compiled helpers equal the Python they replace: ``strip_text`` = ``str.strip`` on
  every code point, ``Issues.add_rows`` = ``Issues.add`` row by row (hypothesis),
  ``Attribute.index_of`` = the per-value loop on lists, arrays and Series of every kind,
  ``frames.empty_cells`` = the former pandas expression, ``numbers`` = ``to_numeric``;
- Parquet and Feather files give the text cells a CSV would, and the same answers from a
  CSV, a Parquet and a Feather file give identical estimates.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dce
import dce.core.attributes as attributes_module
from dce.core import csvread
from dce.core.attributes import Attribute, level_key
from dce.core.cells import TEXT, numbers, strip_text
from dce.core.coding import ChoiceData
from dce.core.csvread import Issues
from dce.core.frames import empty_cells
from dce.data import choices
from dce.errors import DataError
from tests.callcount import python_calls

TEXT_LEVELS = ("Low", "Mid", "High")
NUMBER_LEVELS = (1, 4, 12)


# ----- acceptance: calls follow the levels, not the rows --------------------------------
def write_study(folder: Path, n_sets: int, seed: int = 0) -> Path:
    """A long CSV of n_sets sets x 3 alternatives x 10 attributes (text levels with spaces
    around some cells, numeric levels, linear values), respondents of 10 sets each, and
    its config; built with array operations."""
    rng = np.random.default_rng(seed)
    rows = n_sets * 3
    df = pd.DataFrame({"respondent": np.repeat(np.arange(n_sets // 10), 30) + 1,
                       "task": np.tile(np.repeat(np.arange(1, 11), 3), n_sets // 10),
                       "alternative": np.tile([1, 2, 3], n_sets)})
    df["chosen"] = (rng.integers(3, size=n_sets).repeat(3) == df["alternative"] - 1
                    ).astype(int)
    lines = []
    for q in range(10):
        if q % 3 == 0:
            cells = np.array([" Low", "Mid ", "High"], dtype=object)
            lines.append(f"  a{q}: {{levels: [Low, Mid, High], coding: effects}}")
        elif q % 3 == 1:
            cells = np.array(["1", "4.0", "12"], dtype=object)
            lines.append(f"  a{q}: {{levels: [1, 4, 12], coding: linear}}")
        else:
            cells = np.array(["0.5", "1.5", "3"], dtype=object)
            lines.append(f"  a{q}: {{coding: linear}}")
        df[f"a{q}"] = cells[rng.integers(3, size=rows)]
    df.to_csv(folder / "choices.csv", index=False)
    config = folder / "config.yaml"
    config.write_text("schema_version: 1\nname: calls\nseed: 1\nattributes:\n"
                      + "\n".join(lines) + "\nchoices:\n  file: choices.csv\n")
    return config


def counted_helpers(monkeypatch) -> dict:
    """Count calls of level_key wherever a dce module holds it, and of index_of."""
    calls = {"level_key": 0, "index_of": 0}
    original_key = attributes_module.level_key
    original_index = Attribute.index_of

    def key(value):
        calls["level_key"] += 1
        return original_key(value)

    def index_of(self, values):
        calls["index_of"] += 1
        return original_index(self, values)

    for name, module in list(sys.modules.items()):
        if (name == "dce" or name.startswith("dce.")) and \
                getattr(module, "level_key", None) is original_key:
            monkeypatch.setattr(module, "level_key", key)
    monkeypatch.setattr(Attribute, "index_of", index_of)
    return calls


def test_reading_and_coding_calls_follow_levels_not_rows(tmp_path, monkeypatch):
    """On 1,000 and 100,000 sets, reading (choices.load: read, strip, validate, check the
    sets) and coding (ChoiceData.from_frame) call level_key and index_of, and the package's
    own Python functions, as often on both sizes."""
    calls = counted_helpers(monkeypatch)
    seen = []
    for n_sets in (1_000, 100_000):
        folder = tmp_path / f"n{n_sets}"
        folder.mkdir()
        study = dce.load_config(write_study(folder, n_sets), need_responses=True)
        calls.update(level_key=0, index_of=0)
        (long, summary), load_dce, load_all = python_calls(choices.load, study)
        assert summary["n_choice_sets"] == n_sets
        data, code_dce, code_all = python_calls(
            ChoiceData.from_frame, long, study.attributes, group="group", block="block")
        assert data.n_sets == n_sets and data.X.shape == (3 * n_sets, 2 * 4 + 3 + 3)
        seen.append((dict(calls), load_dce, code_dce, load_all, code_all))
    (small, *_), (large, *_) = seen
    assert small == large, seen  # per attribute and distinct cell, never per row
    assert 0 < large["level_key"] <= 200 and large["index_of"] <= 20, seen
    assert seen[0][1] == seen[1][1] and seen[0][2] == seen[1][2], seen
    # pandas may take other paths on longer arrays, but 100x the rows is not 2x the calls
    assert seen[1][3] < 2 * seen[0][3] and seen[1][4] < 2 * seen[0][4], seen


# ----- the compiled helpers equal the Python they replace -------------------------------
def test_strip_text_is_python_strip_on_every_code_point():
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    texts = np.array([c + "a b" + c for c in chars] + ["", " ", "\x00x\x00 "], dtype=object)
    assert strip_text(texts).tolist() == [t.strip() for t in texts]
    with_missing = np.array([" a ", np.nan, None], dtype=object)
    out = strip_text(with_missing)
    assert out[0] == "a" and pd.isna(out[1]) and out[2] is None


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 50), st.sampled_from(["a", "b", "c"])),
                     max_size=40),
       before=st.lists(st.sampled_from(["a", "b", "c"]), max_size=12),
       kind=st.sampled_from(["k", None]))
def test_add_rows_is_add_row_by_row(rows, before, kind):
    frame = pd.DataFrame({"x": range(60)})
    frame.attrs[csvread.LINES] = np.arange(60) * 3 + 2
    one, many = Issues("f.csv", frame), Issues("f.csv", frame)
    for col in before:  # problems of the same kinds recorded earlier
        for issues in (one, many):
            issues.add(col, "m", 1, kind)
    positions = np.array([r for r, _ in rows], dtype=np.int64)
    columns = [c for _, c in rows]
    for r, c in rows:
        one.add(c, "m" if kind is None else f"row {r}", r, kind)
    many.add_rows(None, "m" if kind is None else (lambda i: f"row {positions[i]}"), positions,
                  kind, columns=columns)
    assert one.items == many.items and list(one.counts.items()) == list(many.counts.items())


def test_add_rows_counts_a_million_rows_without_messages():
    issues = Issues("f.csv")
    built = []
    issues.add_rows("col", lambda i: built.append(i) or f"bad {i}", np.arange(1_000_000), "k")
    assert built == list(range(5)) and issues.counts[("col", "k")] == 1_000_000
    with pytest.raises(DataError, match="999995 more rows"):
        issues.raise_if_any()


VALUES = [
    ["Low", " Mid ", "High", "x", "Low"],
    [1, 4.0, "12", " 4 ", 12.0, 3, np.int64(1), np.float64(4.0)],
    [True, 1, False, 0, "true", 1.0],
    [np.nan, None, "nan", "None", float("inf")],
    [-0.0, 0.0, 0, "0", "-0", 1e20, 10**20],
    [],
]


@pytest.mark.parametrize("values", VALUES)
def test_index_of_equals_the_per_value_loop(values):
    """Every input form: list, tuple, object array, typed array, Series; the keys are those
    of the values as iterating the input yields them."""
    for levels in [("Low", "Mid", "High"), (1, 4, 12), (True, False), (0, 1e20, "nan"),
                   ("None", 3)]:
        a = Attribute("a", "a", "effects", levels)
        keys = {k: i for i, k in enumerate(a.level_keys)}
        forms = [list(values), tuple(values), np.array(values, dtype=object),
                 pd.Series(values, dtype=object)]
        for form in forms:
            want = np.array([keys.get(level_key(v), -1) for v in form], dtype=np.int64)
            np.testing.assert_array_equal(a.index_of(form), want)
    for typed in [np.array([True, False, True]), np.array([1, 4, 4, 12]),
                  np.array([1.0, -0.0, np.nan, 4.0, 4.0])]:
        for form in (typed, pd.Series(typed), typed.tolist()):
            a = Attribute("a", "a", "effects", (True, 1, 4, "nan", 12, "True"))
            keys = {k: i for i, k in enumerate(a.level_keys)}
            want = np.array([keys.get(level_key(v), -1) for v in form], dtype=np.int64)
            np.testing.assert_array_equal(a.index_of(form), want)


def test_empty_cells_equals_the_former_expression():
    columns = [pd.Series([" ", "a", np.nan, "", "b ", None], dtype=object),
               pd.Series([" ", "a", np.nan, ""], dtype=TEXT),
               pd.Series([1.0, np.nan, 2.0]), pd.Series([1, 2]), pd.Series([True, False]),
               pd.Series([1, "", " ", 2.5, True, pd.NA], dtype=object),
               pd.Series(pd.to_datetime(["2020-01-01", None])), pd.Series([], dtype=object)]
    for col in columns:
        want = (col.isna() | (col.astype(str).str.strip() == "")).to_numpy(bool)
        np.testing.assert_array_equal(empty_cells(col), want)


def test_numbers_equal_to_numeric_of_stripped_cells():
    cells = pd.Series(["1", " 2", "3 ", "1.5", "x", "", "inf", "1e3", "1_000", "1,000", "1"],
                      dtype=TEXT)
    values, clean = numbers(cells)
    want = pd.to_numeric(cells.str.strip(), errors="coerce")
    np.testing.assert_array_equal(values, want.to_numpy())
    assert clean.tolist() == cells.str.strip().tolist()
    whole, _ = numbers(pd.Series(["1", " 2 ", "1"], dtype=TEXT))
    assert whole.dtype == np.int64  # the dtype pandas infers for the whole column


# ----- Parquet and Feather -------------------------------------------------------------
def answers(seed: int = 3) -> pd.DataFrame:
    """Long answers with native column types: text and numeric levels, a linear attribute
    with whole and fractional values, an opt-out alternative with empty attribute cells,
    groups, and chosen as booleans."""
    rng = np.random.default_rng(seed)
    n_resp, tasks = 80, 8
    rows = []
    for r in range(n_resp):
        for t in range(tasks):
            pick = rng.integers(3)
            for alt in range(3):
                opt = alt == 2
                rows.append({"respondent": f"r{r:03d}", "task": t + 1, "alternative": alt + 1,
                             "chosen": bool(alt == pick),
                             "quality": None if opt else TEXT_LEVELS[rng.integers(3)],
                             "waiting": np.nan if opt else float(NUMBER_LEVELS[rng.integers(3)]),
                             "cost": np.nan if opt else float(rng.choice([0.0, 2.5, 10.0])),
                             "group": "A" if r % 2 else "B"})
    return pd.DataFrame(rows)


CONFIG = """schema_version: 1
name: formats
seed: 4
attributes:
  quality: {levels: [Low, Mid, High]}
  waiting: {levels: [1, 4, 12], coding: dummy}
  cost: {coding: linear}
choices:
  file: FILE
  columns: {group: group}
model: {by: group}
importance: {draws: 200}
"""


def test_same_answers_from_csv_parquet_and_feather_give_identical_estimates(tmp_path):
    df = answers()
    csv = df.assign(chosen=df["chosen"].astype(int))  # a CSV holds 0/1
    csv.to_csv(tmp_path / "a.csv", index=False)
    df.to_parquet(tmp_path / "a.parquet", index=False)
    df.to_feather(tmp_path / "a.feather")
    results = {}
    for name in ("a.csv", "a.parquet", "a.feather"):
        config = tmp_path / f"{name}.yaml"
        config.write_text(CONFIG.replace("FILE", name))
        study = dce.load_config(config, need_responses=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run = dce.analyse(study, stage="fit")
        results[name] = run.tables["estimates"]
        long, _ = choices.load(study)
        results[name + " responses"] = long
    pd.testing.assert_frame_equal(results["a.csv"], results["a.parquet"])
    pd.testing.assert_frame_equal(results["a.csv"], results["a.feather"])
    pd.testing.assert_frame_equal(results["a.csv responses"], results["a.parquet responses"])
    assert set(results["a.csv"]["group"]) == {"A", "B", "all"}


def test_columnar_cells_follow_the_documented_rules(tmp_path):
    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.parquet as parquet

    table = pa.table({
        " id ": pa.array(["a", None, "c", None]),
        "f": pa.array([1.0, 2.5, None, float("nan")]),
        "i": pa.array([3, None, -4, None], type=pa.int32()),
        "b": pa.array([True, False, None, None]),
        "d": pa.array(["x", "y", "x", None]).dictionary_encode()})
    parquet.write_table(table, tmp_path / "t.parquet")
    feather.write_feather(table, tmp_path / "t.feather")
    for name in ("t.parquet", "t.feather"):
        frame = csvread.read_table(tmp_path / name, name)
        assert list(frame.columns) == ["id", "f", "i", "b", "d"]
        # the last row is empty everywhere: dropped, like a blank line of a CSV
        assert frame.to_dict("list") == {"id": ["a", "", "c"], "f": ["1", "2.5", ""],
                                         "i": ["3", "", "-4"], "b": ["1", "0", ""],
                                         "d": ["x", "y", "x"]}
        assert frame.attrs[csvread.LINES].tolist() == [2, 3, 4]
        assert frame.dtypes.map(lambda d: d == TEXT).all()


def test_a_file_that_is_not_parquet_is_a_located_error(tmp_path):
    import pyarrow as pa
    import pyarrow.feather as feather

    (tmp_path / "bad.parquet").write_text("respondent,task\n1,1\n")
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read it as a Parquet file"):
        csvread.read_table(tmp_path / "bad.parquet", "bad.parquet")
    empty = pa.table({"a": pa.array([], pa.string())})
    feather.write_feather(empty, tmp_path / "empty.feather")
    with pytest.raises(DataError, match="expected data rows, found none"):
        csvread.read_table(tmp_path / "empty.feather", "empty.feather")


def test_respondents_table_from_parquet_or_feather_gives_the_groups_of_its_csv(tmp_path):
    df = answers()
    people = df.drop_duplicates("respondent")[["respondent", "group"]]
    df.drop(columns="group").to_parquet(tmp_path / "a.parquet", index=False)
    people.to_csv(tmp_path / "people.csv", index=False)
    people.to_parquet(tmp_path / "people.parquet", index=False)
    people.to_feather(tmp_path / "people.feather")
    loaded = []
    for name in ("people.csv", "people.parquet", "people.feather"):
        config = tmp_path / f"{name}.yaml"
        config.write_text(CONFIG.replace("FILE", "a.parquet").replace(
            "  columns: {group: group}\n", "") + f"respondents: {{file: {name}}}\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded.append(choices.load(dce.load_config(config, need_responses=True))[0])
    pd.testing.assert_frame_equal(loaded[0], loaded[1])
    pd.testing.assert_frame_equal(loaded[0], loaded[2])
    assert sorted(loaded[0]["group"].unique()) == ["A", "B"]
