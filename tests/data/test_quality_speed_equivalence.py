"""The faster helpers of the data-quality checks (dce.data.quality_arrays) against the
pandas versions they replace, kept here as the reference (``_old_*``, unchanged but for
their names), on random inputs: ties, missing ids, one respondent, one alternative,
sets with rows apart, sets missing. Each new helper must give the same numbers, or, where
only equality matters (keys that group sets), the same partition of the sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dce.core.attributes import Attribute
from dce.data import quality
from dce.data import quality_arrays as qa

SET_KEYS = ["respondent", "block", "task"]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# ----- the references: the replaced pandas code -----------------------------------------
def _old_adjacent_sets(df: pd.DataFrame):
    change = np.zeros(len(df), dtype=bool)
    change[:1] = True
    for key in SET_KEYS:
        col = df[key].to_numpy()
        change[1:] |= col[1:] != col[:-1]
    starts = np.flatnonzero(change)
    if df[SET_KEYS].isna().to_numpy().any() or df[SET_KEYS].iloc[starts].duplicated().any():
        return None
    return np.cumsum(change) - 1


def _old_groups(df: pd.DataFrame):
    if "group" not in df:
        return np.full(df["respondent"].nunique(dropna=False), "all", dtype=object)
    first = df.groupby("respondent", sort=False)["group"].first()
    return first.reindex(pd.unique(df["respondent"])).to_numpy()


def _inferred(values) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object)).infer_objects()


# ----- random responses -----------------------------------------------------------------
ID_KINDS = ("int", "text", "float", "object")


def _ids(kind: str, n: int, missing: bool) -> list:
    """n distinct respondent ids of one kind, the last one missing when ``missing``."""
    ids: list = {"int": list(range(5, 5 + 3 * n, 3)),
                 "text": [f"r{i:02d}" for i in range(n)],
                 "float": [i + 0.5 for i in range(n)],
                 "object": [i if i % 2 else f"{i}" for i in range(n)]}[kind]
    if missing:
        ids[-1] = None if kind in ("text", "object") else np.nan
    return ids


@st.composite
def responses(draw) -> pd.DataFrame:
    """Long responses: sets of 1-4 alternatives, adjacent or not, keys possibly repeated
    or missing, ids of several types."""
    n_resp = draw(st.integers(1, 5))
    ids = _ids(draw(st.sampled_from(ID_KINDS)), n_resp, draw(st.booleans()))
    n_sets = draw(st.integers(1, 14))
    who = draw(st.lists(st.integers(0, n_resp - 1), min_size=n_sets, max_size=n_sets))
    if draw(st.booleans()):
        who = sorted(who)  # each respondent's sets together, as files list them
    rows = []
    for s, r in enumerate(who):
        block = draw(st.sampled_from([1, 2, np.nan])) if draw(st.integers(0, 9)) == 0 else 1
        task = draw(st.integers(1, 3)) if draw(st.booleans()) else s + 1  # ties: same key
        n_alts = draw(st.integers(1, 4))
        pick = draw(st.integers(0, n_alts))  # n_alts: unanswered
        for j in range(n_alts):
            rows.append({"respondent": ids[r], "block": block, "task": task,
                         "alternative": j + 1, "chosen": int(j == pick),
                         "x": draw(st.integers(0, 2)),
                         "group": draw(st.sampled_from(["g1", "g2", None]))})
    df = pd.DataFrame(rows)
    if draw(st.booleans()):
        df = df.drop(columns="group")
    if draw(st.integers(0, 3)) == 0:  # rows of a set apart
        df = df.sample(frac=1.0, random_state=draw(st.integers(0, 99))).reset_index(drop=True)
    return df


# ----- the respondent codes and the sets ------------------------------------------------
@SETTINGS
@given(responses())
def test_respondent_codes_are_pandas_factorize(df):
    expected = pd.factorize(df["respondent"], use_na_sentinel=False)[0]
    np.testing.assert_array_equal(qa.respondent_codes(df["respondent"]), expected)


@given(st.lists(st.sampled_from(["a", "b", None, np.nan, 1, 1.0, True]), max_size=30),
       st.integers(1, 4))
def test_respondent_codes_of_runs_of_mixed_objects(values, run):
    """Runs long enough to take the run path; None and NaN are one missing code."""
    column = pd.Series(np.repeat(np.array(values, dtype=object), run), dtype=object)
    expected = pd.factorize(column, use_na_sentinel=False)[0]
    np.testing.assert_array_equal(qa.respondent_codes(column), expected)


@SETTINGS
@given(responses())
def test_adjacent_sets_as_the_pandas_version(df):
    old = _old_adjacent_sets(df)
    new = qa.adjacent_sets(df, qa.respondent_codes(df["respondent"]))
    assert (old is None) == (new is None)
    if old is not None:
        np.testing.assert_array_equal(new, old)


@SETTINGS
@given(responses())
def test_respondent_and_group_columns_as_pandas_unique_and_groupby(df):
    table = quality.check(df, [Attribute("x", "X", "effects", (0, 1, 2))])
    pd.testing.assert_series_equal(table["respondent"],
                                   _inferred(pd.unique(df["respondent"])), check_names=False)
    pd.testing.assert_series_equal(table["group"], _inferred(_old_groups(df)),
                                   check_names=False)
