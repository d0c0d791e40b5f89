"""The fast paths of issue 16 give what the plain pandas operations give: sorting coded
keys, reading a plain CSV with Arrow, and the codes a reader keeps for a column."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dce.core.arrowcsv import plain_names, read_plain
from dce.core.cells import TEXT, dense_codes, distinct, first_rows, group_codes, remember_codes
from dce.core.coding import sorted_rows
from dce.core.csvread import LINES, read_table

KEYS = ["respondent", "block", "task", "alternative"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "10", "9", "007"]),
                          st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
                min_size=1, max_size=40),
       st.booleans())
def test_sorted_rows_equals_a_stable_sort_of_the_cells(rows, presort):
    frame = pd.DataFrame(rows, columns=KEYS)
    frame["row"] = np.arange(len(frame))  # which row went where (stability)
    if presort:
        frame = frame.sort_values(KEYS, kind="stable")
    want = frame.sort_values(KEYS, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sorted_rows(frame, KEYS), want)


@pytest.mark.parametrize("text", [
    "respondent,task,alternative,chosen,price\n1,1,1,1,10\n1,1,2,0,20\n",
    "respondent;task;x\r\n1;1;a b\r\n2;1;c\r\n",          # another delimiter, CRLF, spaces
    "respondent,task,x\n1,1,\n2,1,b\n\n\n",                # empty cell, blank lines at the end
    "respondent,task,x\n1,1,a \n2,1,b\n",                  # trailing space kept
    "respondent,task,x\n1,1,a\n\n2,1,b\n,,\n3,1,c",       # blank lines inside, no final break
    "respondent,task,x\r\n1,1,a\r\n\r\n2,1,b\r\n",
])
def test_a_plain_file_reads_as_pandas_reads_it(tmp_path, monkeypatch, text):
    """Arrow's frame, its file lines and the codes kept equal pandas' (read_table with the
    fast path switched off) and a fresh hash of the cells."""
    import dce.core.csvread as csvread

    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    delimiter = ";" if ";" in text else ","
    assert read_plain(path.read_bytes(), delimiter) is not None
    got = read_table(path, "d.csv", delimiter)
    got_coded = read_table(path, "d.csv", delimiter, coded={"task", "x"})
    monkeypatch.setattr(csvread, "read_plain", lambda data, delimiter, coded=(): None)
    want = read_table(path, "d.csv", delimiter)
    pd.testing.assert_frame_equal(got, want)
    by_pandas = read_table(path, "d.csv", delimiter, coded={"task", "x"})
    assert list(by_pandas.dtypes == "category") == list(got_coded.dtypes == "category")
    pd.testing.assert_frame_equal(got_coded.astype(object), by_pandas.astype(object))
    assert list(got.attrs[LINES]) == list(want.attrs[LINES])
    for name in got.columns:  # the codes kept equal a fresh hash of the cells
        fresh_codes, fresh = pd.factorize(np.asarray(got[name], dtype=object),
                                          use_na_sentinel=False)
        for frame in (got, got_coded):
            codes, uniques = distinct(frame[name])
            assert list(uniques) == list(fresh) and (codes == fresh_codes).all()
            assert list(frame[name]) == list(want[name])  # the same cells, coded or not
        if name in ("task", "x"):
            assert isinstance(got_coded[name].dtype, pd.CategoricalDtype)


def test_codes_over_many_blocks_are_in_order_of_first_appearance(tmp_path, monkeypatch):
    """Arrow parses blocks with a dictionary each; the unified codes still number the
    cells in order of first appearance in the file, as pandas.factorize does."""
    import dce.core.arrowcsv as arrowcsv

    rng = np.random.default_rng(7)
    ids = rng.permutation(np.repeat(np.arange(300), 3)).astype(str)
    levels = rng.choice(["lo", "mid", "hi", "", "x y"], size=ids.size)
    text = "respondent,level\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, levels))
    monkeypatch.setattr(arrowcsv, "BLOCK_BYTES", 256)  # dozens of blocks
    frame, codes = read_plain(text.encode(), ",")
    for name, cells in {"respondent": ids, "level": levels}.items():
        fresh_codes, fresh = pd.factorize(cells.astype(object), use_na_sentinel=False)
        index, uniques = codes[name]
        assert list(uniques) == list(fresh) and (index == fresh_codes).all()
        assert list(frame[name]) == list(cells)


@pytest.mark.parametrize("text", [
    'a,b\n"1,2",3\n',          # quotes: pandas reads them
    "a,b\n1, 2\n",             # a space after the delimiter: skipinitialspace
    "a,a\n1,2\n",              # repeated names: pandas renames them
    "a,b\n1,2\r3,4\n",         # a lone carriage return
    "a\n1\n",                  # one column
])
def test_files_that_are_not_plain_are_left_to_pandas(text):
    assert plain_names(text.encode(), ",") is None


@pytest.mark.parametrize("data", [b"a,b\n1,2\n3,4,5\n",  # a cell too many: pandas' message
                                  b"a,b,c\n1,2,3\n4,5\n"])  # one too few: pandas fills it
def test_a_file_arrow_refuses_is_left_to_pandas(data):
    assert read_plain(data, ",") is None


def test_codes_are_forgotten_for_a_new_column():
    frame = pd.DataFrame({"x": ["a", "b", "a"]}, dtype=TEXT)
    remember_codes(frame, {"x": (np.array([5, 5, 5]), np.array(["z"], dtype=object))})
    assert list(distinct(frame["x"])[0]) == [5, 5, 5]  # served from the memo (made up here)
    frame["x"] = pd.array(["a", "b", "a"], dtype=TEXT)  # a new array: hashed again
    assert list(distinct(frame["x"])[0]) == [0, 1, 0]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "10", "", "007"]),
                          st.integers(-1, 2), st.integers(0, 3)), max_size=40),
       st.integers(0, 3))
def test_group_codes_number_groups_as_a_group_by_does(rows, big):
    """group_codes = groupby(sort=False).ngroup(); first_rows = not duplicated; also when a
    column's range is too wide to multiply out (``big`` shifts one column by 2**40)."""
    frame = pd.DataFrame(rows, columns=["r", "b", "t"])
    frame["t"] = frame["t"] * (1 << (40 * (big == 3)))
    want = frame.groupby(["r", "b", "t"], sort=False).ngroup().to_numpy() if len(frame) \
        else np.zeros(0, np.int64)
    got = group_codes(frame["r"], frame["b"].to_numpy(), frame["t"])
    assert got.tolist() == want.tolist()
    assert first_rows(got).tolist() == (~frame.duplicated()).tolist()


def test_group_codes_renumber_keys_whose_ranges_overflow_int64():
    rng = np.random.default_rng(3)
    cols = [rng.integers(0, 2, 500) * ((1 << 24) - 1) for _ in range(5)]  # spans of 2**24
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    want = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    assert group_codes(*cols).tolist() == want.tolist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-3, 5), max_size=30), st.booleans())
def test_dense_codes_are_factorize_codes_sorted_or_not(keys, sort):
    key = np.sort(np.array(keys, dtype=np.int64)) if sort else np.array(keys, dtype=np.int64)
    assert dense_codes(key).tolist() == pd.factorize(key)[0].tolist()
