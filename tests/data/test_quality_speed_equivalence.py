"""The faster helpers of the data-quality checks (dce.data.quality_arrays) against the
pandas versions they replace, kept here as the reference (``_old_*``, unchanged but for
their names), on random inputs: ties, missing ids, one respondent, one alternative,
sets with rows apart, sets missing. Each new helper must give the same numbers, or, where
only equality matters (keys that group sets), the same partition of the sets."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dce.core.attributes import Attribute, level_key
from dce.data import quality
from dce.data import quality_arrays as qa

SET_KEYS = ["respondent", "block", "task"]
SETTINGS = settings(max_examples=100, deadline=None,
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


def _old_factorized(arr):
    if arr.dtype.kind in "iu" and len(arr):
        low = int(arr.min())
        shifted = arr.astype(np.int64) - low
        if int(shifted.max()) <= 4 * len(arr) + 1024:
            seen = np.zeros(int(shifted.max()) + 1, dtype=bool)
            seen[shifted] = True
            return (np.cumsum(seen) - 1)[shifted], np.flatnonzero(seen) + low
    return pd.factorize(arr)


def _old_cell_keys(values):
    arr = np.asarray(values)
    if arr.dtype == object and pd.api.types.infer_dtype(arr, skipna=True) not in qa.SAFE_KINDS:
        arr = arr.astype(str)
    codes, uniques = _old_factorized(arr)
    text = np.asarray(uniques, dtype=object).astype(str)
    keys = [level_key(u) if u not in ("", "nan", "None") else "" for u in text.tolist()]
    key_codes, distinct = pd.factorize(np.array(keys + [""], dtype=object))
    return key_codes.astype(np.int32)[codes], np.asarray(distinct, dtype=object)


def _old_preferred_edges(a, b, edge_set, n_keys, utility):
    if utility is not None:
        util, known = utility
        return known[a] & known[b] & (util[a] > util[b] + qa.TOLERANCE)
    a, b = a.astype(np.int64), b.astype(np.int64)
    edge, reverse = a * n_keys + b, b * n_keys + a
    once = np.ones(len(edge), dtype=bool)
    run = int(np.bincount(edge_set).max(initial=0))
    for d in range(1, run):
        once[d:] &= (edge_set[d:] != edge_set[:-d]) | (edge[d:] != edge[:-d])
    if n_keys * n_keys <= 4 * len(edge) + 1024:
        counts = np.bincount(edge[once], minlength=n_keys * n_keys)
        return counts[edge] > counts[reverse]
    codes, values = pd.factorize(edge)
    counts = np.bincount(codes[once], minlength=len(values))
    back = pd.Index(values).get_indexer(reverse)
    return counts[codes] > np.where(back >= 0, counts[back], 0)


def _old_never_traded(sets, codes, utilities, trading, min_informative):
    out = np.zeros((len(codes), sets.n_respondents), dtype=bool)
    others = np.flatnonzero(~sets.is_opt & trading[sets.set_of])
    chosen = sets.chosen_row[sets.set_of[others]]
    others, chosen = others[others != chosen], chosen[others != chosen]
    edge_set = sets.set_of[others]
    for q, (c, u) in enumerate(zip(codes, utilities, strict=True)):
        a, b = c[chosen], c[others]
        differ = a != b
        a, b, s = a[differ], b[differ], edge_set[differ]
        if not len(s):
            continue
        has = np.zeros(sets.n_sets, dtype=bool)
        has[s] = True
        informative = sets.per_respondent(has)
        good = _old_preferred_edges(a, b, s, int(c.max()) + 1, u)
        broke = np.bincount(sets.respondent[s[~good]], minlength=sets.n_respondents)
        out[q] = (informative >= min_informative) & (broke == 0)
    return out


def _old_multiset_keys(sets, pid):
    generic = np.flatnonzero(~sets.is_opt)
    top = int(pid.max(initial=0)) + 1
    order = np.argsort(sets.set_of[generic] * top + pid[generic], kind="stable") \
        if top * (sets.n_sets + 1) < 2**62 else np.lexsort((pid[generic], sets.set_of[generic]))
    s, p = sets.set_of[generic][order], pid[generic][order]
    size = np.bincount(s, minlength=sets.n_sets)
    has_opt = np.bincount(sets.set_of[sets.is_opt], minlength=sets.n_sets) > 0
    shape = qa.pair_codes(size, has_opt)
    key = shape.copy()
    position = np.arange(len(s)) - (np.cumsum(size) - size)[s]
    for i in range(int(size.max(initial=0))):
        at = position == i
        key[s[at]] = qa.pair_codes(key[s[at]], p[at])
    return qa.pair_codes(shape, key)


def _old_repeat_counts(sets, key, answer):
    answered = sets.answered
    resp = sets.respondent[answered]
    group = qa.pair_codes(resp, key[answered])
    first = qa.first_rows(group)
    repeated = sets.per_respondent(answered) - np.bincount(resp[first],
                                                           minlength=sets.n_respondents)
    answers = qa.first_rows(qa.pair_codes(group, answer[answered] + 1))
    spread = np.bincount(group[answers], minlength=len(first))
    bad = spread[group] > 1
    inconsistent = np.bincount(resp[bad], minlength=sets.n_respondents) > 0
    return repeated, inconsistent


def same_partition(new: np.ndarray, old: np.ndarray) -> None:
    """Equal numbers in the same places (the numbering itself is free)."""
    np.testing.assert_array_equal(pd.factorize(new)[0], pd.factorize(old)[0])


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
    group = draw(st.sampled_from(["none", "object", "str", "int", "Int64", "float"]))
    if group == "none":
        df = df.drop(columns="group")
    elif group == "str":
        df["group"] = df["group"].astype("str")
    elif group != "object":  # numbers, missing where the text was (but as int)
        number = df["group"].map({"g1": 1, "g2": 2}).astype("Int64" if group != "float" else float)
        df["group"] = number.fillna(3).astype("int64") if group == "int" else number
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


# ----- levels as codes -----------------------------------------------------------------
CELLS = st.one_of(
    st.lists(st.integers(-3, 3), max_size=40).map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.integers(-100, 100), max_size=40).map(lambda v: np.array(v, dtype=np.int8)),
    st.lists(st.integers(0, 250), max_size=40).map(lambda v: np.array(v, dtype=np.uint8)),
    st.lists(st.integers(0, 10**6), max_size=40).map(lambda v: np.array(v, dtype=np.int64)),
    st.lists(st.sampled_from([1.0, 4.0, np.nan, 12.5]), max_size=40).map(np.array),
    st.lists(st.sampled_from(["Low", " Low ", "", None, np.nan, 4, "4.0", True]),
             max_size=40).map(lambda v: np.array(v, dtype=object)))


@SETTINGS
@given(CELLS)
def test_cell_keys_as_the_former_version(values):
    new_codes, new_keys = qa.cell_keys(values)
    old_codes, old_keys = _old_cell_keys(values)
    assert new_codes.dtype == np.int32
    np.testing.assert_array_equal(new_codes, old_codes)
    np.testing.assert_array_equal(new_keys, old_keys)


@SETTINGS
@given(CELLS)
def test_factorized_as_the_former_version(values):
    new, old = qa.factorized(values), _old_factorized(values)
    np.testing.assert_array_equal(new[0], old[0])
    np.testing.assert_array_equal(np.asarray(new[1], dtype=object),
                                  np.asarray(old[1], dtype=object))


# ----- the checks on random sets --------------------------------------------------------
@st.composite
def choice_sets(draw):
    """ChoiceSets of 1-5 generic alternatives (some sets with an opt-out, some unanswered),
    and level codes per row of up to three attributes (a few or many levels)."""
    n_resp = draw(st.integers(1, 4))
    rows = []
    same_size = draw(st.sampled_from([None, 2, 3]))  # every set as large: strided reads
    for s in range(draw(st.integers(1, 16))):
        n_alts = same_size or draw(st.integers(1, 5))
        opt = draw(st.booleans())
        pick = draw(st.integers(-1, n_alts - 1 + opt))  # -1: unanswered
        for j in range(n_alts + opt):
            rows.append({"respondent": draw(st.integers(0, n_resp - 1)) if j == 0
                         else rows[-1]["respondent"], "block": 1, "task": s,
                         "alternative": j + 1, "chosen": int(j == pick),
                         "is_opt_out": int(j == n_alts)})
    df = pd.DataFrame(rows)
    if draw(st.booleans()):
        df = df.sample(frac=1.0, random_state=draw(st.integers(0, 99))).reset_index(drop=True)
    sets = qa.choice_sets(df)
    codes = []
    for _ in range(draw(st.integers(1, 3))):
        n_levels = draw(st.sampled_from([1, 2, 3, 40]))  # 40: more pairs than edges
        codes.append(np.array(draw(st.lists(st.integers(0, n_levels - 1), min_size=len(df),
                                            max_size=len(df))), dtype=np.int32))
    return sets, codes


@st.composite
def utility(draw, n_levels: int):
    """None (the sample's order) or a priori utilities with ties and unknown levels."""
    if draw(st.booleans()):
        return None
    util = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 1.0 + 1e-13, np.nan]),
                                  min_size=n_levels, max_size=n_levels)))
    known = np.array(draw(st.lists(st.booleans(), min_size=n_levels, max_size=n_levels)))
    return util, known & ~np.isnan(util)


@SETTINGS
@given(choice_sets(), st.data())
def test_never_traded_as_the_former_version(drawn, data):
    sets, codes = drawn
    utilities = [data.draw(utility(int(c.max()) + 1)) for c in codes]
    trading = np.array(data.draw(st.lists(st.booleans(), min_size=sets.n_sets,
                                          max_size=sets.n_sets))) & sets.answered
    min_informative = data.draw(st.integers(0, 3))
    np.testing.assert_array_equal(
        qa.never_traded(sets, codes, utilities, trading, min_informative),
        _old_never_traded(sets, codes, utilities, trading, min_informative))


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=1,
                                                        max_size=4)), min_size=1, max_size=20),
       st.sampled_from([3, 100]), st.data())
@example([(0, [1, 0, 1]), (1, [0])], 3, None)  # a repeat two edges apart, and the reverse
def test_worse_edges_as_the_former_preferred_edges(sets, n_keys, data):
    """Edges (chosen level, other level) of sets of 1-4 edges, with repeats within a set
    and levels equal to the chosen one in between; 100 codes: no table of pairs."""
    a = np.array([c for c, others in sets for _ in others], dtype=np.int32)
    b = np.array([o for _, others in sets for o in others], dtype=np.int32)
    edge_set = np.repeat(np.arange(len(sets)), [len(others) for _, others in sets])
    differ = a != b
    u = data.draw(utility(3)) if data is not None else None
    expected = differ.copy()
    expected[differ] = ~_old_preferred_edges(a[differ], b[differ], edge_set[differ], n_keys, u)
    np.testing.assert_array_equal(qa.worse_edges(a, b, differ, edge_set, n_keys, u), expected)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 12), st.booleans(), st.data())
def test_per_set_any_by_strides_as_reduceat(width, n_sets, uniform, data):
    """Sets of ``width`` edges each (read by strides) or of 1 to ``width`` edges."""
    sizes = np.full(n_sets, width) if uniform else \
        np.array(data.draw(st.lists(st.integers(1, width), min_size=n_sets, max_size=n_sets)))
    flags = np.array(data.draw(st.lists(st.booleans(), min_size=int(sizes.sum()),
                                        max_size=int(sizes.sum()))), dtype=bool)
    heads = np.r_[0, np.cumsum(sizes)[:-1]]
    common = width if (sizes == width).all() else 0
    expected = np.array([flags[h:h + n].any() for h, n in zip(heads, sizes, strict=True)])
    np.testing.assert_array_equal(qa.per_set_any(flags, heads, common), expected)


@SETTINGS
@given(choice_sets(), st.data())
def test_multiset_keys_group_sets_as_the_former_version(drawn, data):
    sets, _ = drawn
    n_profiles = data.draw(st.sampled_from([1, 2, 3, 2**40]))  # 2**40: ids far apart
    pid = np.array(data.draw(st.lists(st.integers(0, 2), min_size=len(sets.rows),
                                      max_size=len(sets.rows))), dtype=np.int64)
    pid = pid * (n_profiles // 2) if n_profiles > 3 else pid % n_profiles
    new = qa.multiset_keys(sets, pid)
    assert new.min(initial=0) >= 0 and new.max(initial=-1) < sets.n_sets  # dense
    same_partition(new, _old_multiset_keys(sets, pid))


def test_multiset_keys_when_one_set_is_much_larger():
    """One set of 3,000 alternatives among 2,000 small ones: the sets are sorted instead of
    tabled (a table would be 2,000 x 3,000); the same contents get the same key."""
    rng = np.random.default_rng(5)
    sizes = np.r_[rng.integers(1, 4, size=2000), 3000]
    n_sets = len(sizes)
    df = pd.DataFrame({"respondent": 1, "block": 1, "task": np.repeat(np.arange(n_sets), sizes),
                       "chosen": 0, "is_opt_out": 0})
    df.loc[df.groupby("task").head(1).index[::3], "is_opt_out"] = 1
    sets = qa.choice_sets(df)
    pid = rng.integers(0, 3, size=len(df)).astype(np.int64)
    assert sets.n_sets * int(np.bincount(sets.set_of).max()) > 2 * len(df) + 1024
    new = qa.multiset_keys(sets, pid)
    same_partition(new, _old_multiset_keys(sets, pid))
    assert len(np.unique(new)) < n_sets / 2  # many repeated contents: the test means something


@SETTINGS
@given(choice_sets(), st.data())
def test_repeat_counts_as_the_former_version(drawn, data):
    """Keys with many ties (repeats) and answers -1 (the opt-out) or a profile."""
    sets, _ = drawn
    n = sets.n_sets
    top = data.draw(st.sampled_from([2, 20]))  # 20: most keys met once
    key = np.array(data.draw(st.lists(st.integers(0, top), min_size=n, max_size=n)), np.int64)
    key *= data.draw(st.sampled_from([1, 10**12]))  # far apart: no table of keys
    answer = np.array(data.draw(st.lists(st.integers(-1, 2), min_size=n, max_size=n)), np.int64)
    new, old = qa.repeat_counts(sets, key, answer), _old_repeat_counts(sets, key, answer)
    np.testing.assert_array_equal(new[0], old[0])
    np.testing.assert_array_equal(new[1], old[1])


# ----- the summary ----------------------------------------------------------------------
NAMES = ["a", "ab", "b", "a.b", "x y"]  # names that are parts of others


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["g1", "g2"]),
                          st.one_of(st.none(), st.lists(st.sampled_from(NAMES), unique=True))),
                max_size=30))
def test_never_traded_counts_as_the_former_text_match(rows):
    """Per group and in total: respondents whose ``;``-joined list holds the whole name."""
    table = pd.DataFrame([{"respondent": i, "group": g,
                           "never_traded": None if names is None else ";".join(names)}
                          for i, (g, names) in enumerate(rows)],
                         columns=["respondent", "group", "never_traded"])
    for col in quality.COLUMNS[2:]:
        if col != "never_traded":
            table[col] = 0 if col in ("tasks", "dominated_tasks", "repeated_tasks") else False
    attributes = [Attribute(n, n, "effects", (0, 1)) for n in NAMES]
    out = quality.summary(table, attributes)
    parts = dict(table.groupby("group", sort=False).__iter__())
    for where, counts in [("total", out["total"])] + list(out["groups"].items()):
        traded = (table if where == "total" else parts[where])["never_traded"]
        traded = traded.fillna("").astype(str)
        expected = {n: int((";" + traded + ";").str.contains(f";{n};", regex=False).sum())
                    for n in NAMES}
        assert counts["never_traded_by_attribute"] == expected
