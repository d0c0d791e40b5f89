"""The faster coding of issue 16 (ordering whole respondent runs, columns written into one
array, keys hashed once per run, group text converted once per run) gives the ChoiceData
and design matrices of the former code, kept here as the reference, bit for bit."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dce.core.attributes import Attribute
from dce.core.coding import _row_order, design_matrix, encode, interaction_columns, sorted_rows

KEYS = ["respondent", "block", "task", "alternative"]
ATTRS = (Attribute("price", "price", "linear", (1, 2, 5)),
         Attribute("q", "q", "dummy", ("a", "b", "c"), reference="b"),
         Attribute("w", "w", "effects", ("V", "P", "N"), alternatives=(1, 2)),
         Attribute("s", "s", "effects", ("x", "y"), specific=((1, "A"), (2, "B"))))


# ----- the former code (the reference) ----------------------------------------------------
def _old_cells(table, keep, attr):
    values = table[attr.name].to_numpy()[keep]
    return values if attr.is_linear else values.tolist()


def _old_design_matrix(table, attributes, opt_out, constants=(), labels=None):
    terms = [t for a in attributes for t in a.terms]
    is_opt = table["is_opt_out"].to_numpy().astype(bool)
    alt = table["alternative"].to_numpy()
    blocks = []
    for attr in attributes:
        if attr.alternatives is None and not attr.specific:
            col = np.zeros((len(table), len(attr.terms)))
            keep = ~is_opt
            col[keep] = attr.code(_old_cells(table, keep, attr))
            blocks.append(col)
            continue
        for view in attr.views():
            col = np.zeros((len(table), len(view.terms)))
            keep = ~is_opt & view.applies(alt)
            col[keep] = view.code(_old_cells(table, keep, view))
            blocks.append(col)
    labels = labels or {}
    for c in constants:
        blocks.append((alt == c).astype(float)[:, None])
        terms.append(f"asc[{labels.get(c, c)}]")
    if opt_out:
        blocks.append(is_opt.astype(float)[:, None])
        terms.append("asc[opt_out]")
    X = np.hstack(blocks) if blocks else np.zeros((len(table), 0))
    keys = table["block"].astype(np.int64).to_numpy() * 1_000_000 + table["task"].astype(
        np.int64).to_numpy()
    _, set_index = np.unique(keys, return_inverse=True)
    return X, set_index, terms


def _old_sorted_rows(frame, keys):
    codes = [pd.factorize(frame[k].to_numpy(), sort=True)[0] for k in keys]
    order = np.lexsort(codes[::-1])
    return frame.take(order).reset_index(drop=True)


def _old_encode(responses, attributes, constants=(), interactions=(), labels=None):
    df = _old_sorted_rows(responses, KEYS)
    opt_out = bool(df["is_opt_out"].any()) if "is_opt_out" in df else False
    if "is_opt_out" not in df:
        df = df.assign(is_opt_out=0)
    new_set = np.ones(len(df), bool)
    for key in ("respondent", "block", "task"):
        values = df[key].to_numpy()
        new_set[1:] &= values[1:] == values[:-1]
    new_set[1:] = ~new_set[1:]
    X, _, terms = _old_design_matrix(df, attributes, opt_out, constants, labels)
    X, terms = interaction_columns(df, X, terms, attributes, interactions)
    set_start = np.r_[np.flatnonzero(new_set), len(df)].astype(np.int64)
    first = set_start[:-1]
    resp_codes, resp_ids = pd.factorize(df["respondent"].to_numpy()[first], sort=False)
    return dict(X=np.ascontiguousarray(X, dtype=np.float64),
                chosen=df["chosen"].to_numpy().astype(np.float64), set_start=set_start,
                respondent=resp_codes.astype(np.int64), respondent_ids=np.asarray(resp_ids),
                group=df["group"].to_numpy()[first].astype(str).astype(object),
                alternative=df["alternative"].to_numpy().astype(np.int64), terms=tuple(terms))


# ----- random responses tables ------------------------------------------------------------
@st.composite
def responses(draw):
    """Sets of 1-4 alternatives (some opt-outs) of respondents with text or integer ids,
    in blocks and tasks, in sorted, grouped-by-respondent or shuffled row order."""
    text_ids = draw(st.booleans())
    n_resp = draw(st.integers(1, 5))
    pool = ["1", "10", "9", "007", "b", "a"] if text_ids else [3, 1, 12, 2, 7, 5]
    ids = draw(st.lists(st.sampled_from(pool), min_size=n_resp, max_size=n_resp, unique=True))
    rows = []
    for r, rid in enumerate(ids):
        group = draw(st.sampled_from(["all", "g1", "g2"]))
        for task in range(1, draw(st.integers(1, 3)) + 1):
            size = draw(st.integers(1, 4))
            opt = draw(st.booleans()) and size > 1
            pick = draw(st.integers(1, size))
            for alt in range(1, size + 1):
                is_opt = opt and alt == size
                rows.append(dict(
                    respondent=rid, group=group, block=1 + r % 2, task=task,
                    alternative=alt, chosen=int(alt == pick), is_opt_out=int(is_opt),
                    price=None if is_opt else draw(st.sampled_from([1, 2, 5])),
                    q=None if is_opt else draw(st.sampled_from("abc")),
                    w=None if is_opt or alt > 2 else draw(st.sampled_from("VPN")),
                    s=None if is_opt or alt > 2 else draw(st.sampled_from("xy")),
                    age=draw(st.sampled_from([30, 41, 55])), sex=draw(st.sampled_from("fm"))))
    frame = pd.DataFrame(rows)
    how = draw(st.sampled_from(["sorted", "as built", "shuffled", "respondents shuffled"]))
    if how == "sorted":
        frame = frame.sort_values(KEYS, kind="stable")
    elif how == "shuffled":
        frame = frame.sample(frac=1.0, random_state=draw(st.integers(0, 99)))
    elif how == "respondents shuffled":
        order = draw(st.permutations(ids))
        frame = pd.concat([frame[frame["respondent"] == rid] for rid in order])
    if text_ids:
        frame["respondent"] = frame["respondent"].astype("str")
    return frame


@settings(max_examples=150, deadline=None)
@given(responses(), st.booleans(), st.booleans())
def test_encode_equals_the_former_code(frame, with_constants, with_interactions):
    constants = (1, 2) if with_constants else ()
    interactions = (("price", "age"), ("q", "sex")) if with_interactions else ()
    got = encode(frame, ATTRS, constants, interactions, {1: "A"})
    want = _old_encode(frame, ATTRS, constants, interactions, {1: "A"})
    for name, value in want.items():
        mine = getattr(got, name)
        if isinstance(value, np.ndarray):
            assert mine.dtype == value.dtype and mine.shape == value.shape, name
            assert (mine == value).all(), name
        else:
            assert mine == value, name


@settings(max_examples=100, deadline=None)
@given(responses())
def test_design_matrix_equals_the_former_code(frame):
    frame = frame.reset_index(drop=True)
    got = design_matrix(frame, ATTRS, True, (1, 3), {3: "C"})
    want = _old_design_matrix(frame, ATTRS, True, (1, 3), {3: "C"})
    assert got[0].flags.c_contiguous and got[0].dtype == want[0].dtype
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[2] == want[2]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.integers(0, 2)),
                min_size=0, max_size=40),
       st.sampled_from(["as drawn", "grouped", "grouped and ordered"]))
def test_row_order_is_the_stable_lexicographic_order(rows, how):
    """Including rows in order (None), runs of the first key moved whole, a first-key value
    in several runs and runs out of order inside (lexsort)."""
    if how != "as drawn":
        rows = sorted(rows, key=lambda r: r[0] * 7 % 5)  # each first key one run
    if how == "grouped and ordered":
        rows = sorted(rows, key=lambda r: (r[0] * 7 % 5, r[1], r[2]))
    codes = [np.array([r[k] for r in rows], dtype=np.int64).reshape(-1) for k in range(3)]
    got = _row_order(codes)
    want = np.lexsort(codes[::-1]) if rows else np.zeros(0, np.intp)
    assert np.array_equal(np.arange(len(rows)) if got is None else got, want)


@settings(max_examples=60, deadline=None)
@given(responses())
def test_sorted_rows_equals_the_former_code(frame):
    pd.testing.assert_frame_equal(sorted_rows(frame, KEYS), _old_sorted_rows(frame, KEYS))


def test_one_respondent_in_one_run_of_many_sets():
    frame = pd.DataFrame({"respondent": ["r"] * 6, "group": "all", "block": 1,
                          "task": [2, 2, 1, 1, 3, 3], "alternative": [1, 2] * 3,
                          "chosen": [1, 0, 0, 1, 1, 0], "price": [1, 2, 5, 1, 2, 5]})
    got = encode(frame, ATTRS[:1])
    assert list(got.X[:, 0]) == [5, 1, 1, 2, 2, 5] and list(got.set_start) == [0, 2, 4, 6]
    assert list(got.respondent) == [0, 0, 0] and list(got.respondent_ids) == ["r"]
