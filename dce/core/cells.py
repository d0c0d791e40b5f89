"""Text cells of a table read once per distinct cell: the compiled column operations
behind every reader (strip, blank, number), so that no Python code runs per row.

A column of survey answers holds few distinct cells (levels, 0/1, task numbers) however
many rows it has: each helper hashes the column once (``pandas.factorize``), works on the
distinct cells and maps the result back to the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The dtype of text cells: pandas' text dtype with Python storage, whether or not pyarrow is
#: installed (its Arrow storage would make reading three times slower, for the same cells).
TEXT = pd.StringDtype("python", na_value=np.nan)


#: ``frame.attrs`` key of the codes a reader found while parsing (:func:`remember_codes`).
CODES = "dce_codes"


class Shared(dict):
    """A dict kept in ``DataFrame.attrs`` by reference: pandas deep-copies ``attrs`` into
    every frame and column derived from a frame, which for row-length arrays costs a copy
    per column access."""

    def __deepcopy__(self, memo):
        return self


class SharedArray(np.ndarray):
    """An array kept in ``DataFrame.attrs`` by reference (see :class:`Shared`); it is
    never written to."""

    def __deepcopy__(self, memo):
        return self


def shared(values) -> SharedArray:
    """``values`` as an array that ``DataFrame.attrs`` keeps by reference."""
    return np.asarray(values).view(SharedArray)


def remember_codes(frame: pd.DataFrame, codes: dict) -> pd.DataFrame:
    """Keep the codes of ``frame``'s columns found while parsing, so that :func:`distinct`
    of a column returns them instead of hashing its cells again.

    Parameters
    ----------
    frame : DataFrame (rows, columns) of text
    codes : dict
        Column name -> ``(codes, uniques)`` as :func:`distinct` returns them.

    Returns
    -------
    DataFrame
        ``frame``; a column is served from the memo only while it is the same array
        (any new or derived column is hashed as before).
    """
    frame.attrs[CODES] = Shared({name: (frame[name].array, *pair)
                                 for name, pair in codes.items()})
    return frame


def coded_cells(codes: np.ndarray, uniques: np.ndarray) -> pd.Categorical:
    """A column of text cells kept as codes (no text object per row): a categorical whose
    categories are the distinct cells in order of first appearance.

    Parameters
    ----------
    codes : ndarray of int (rows,)
    uniques : ndarray of object (distinct,)
        Distinct texts.

    Returns
    -------
    pandas.Categorical (rows,)
    """
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(
        pd.Index(uniques, dtype=object)))


def _remembered(col):
    memo = getattr(col, "attrs", {}).get(CODES)
    hit = memo.get(col.name) if memo is not None else None
    if hit is not None and hit[0] is col.array:
        return hit[1], hit[2]
    return None


def distinct(col) -> tuple[np.ndarray, np.ndarray]:
    """The distinct cells of a column and the code of each row (one hash pass, no Python
    code per row; none for a column whose codes the reader kept, :func:`remember_codes`).

    Parameters
    ----------
    col : Series or ndarray (rows,)
        Cells without missing values (text cells of :func:`read_table`).

    Returns
    -------
    codes : ndarray of int64 or int32 (rows,)
        Position of each row's cell in ``uniques`` (int32 when the reader kept them).
    uniques : ndarray of object (distinct,)
        The distinct cells in order of first appearance.
    """
    known = _remembered(col)
    if known is not None:
        return known
    if isinstance(getattr(col, "dtype", None), pd.CategoricalDtype):  # coded_cells, subset
        present, first = pd.factorize(np.asarray(col.cat.codes))
        if not len(first) or first.min() >= 0:  # no missing cell
            return present.astype(np.int64), np.asarray(col.cat.categories, dtype=object)[first]
    codes, uniques = factorized(np.asarray(col, dtype=object))
    return codes, np.asarray(uniques, dtype=object)


def factorized(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pandas.factorize(values, use_na_sentinel=False)``: codes in order of first
    appearance, a missing value coded like any other; without pandas' scan for missing
    values of every cell when there is none (a quarter of the time on text).

    Parameters
    ----------
    values : ndarray (rows,)

    Returns
    -------
    codes : ndarray of int64 (rows,)
    uniques : ndarray (distinct,)
    """
    codes, uniques = pd.factorize(values)
    if len(codes) and codes.min() < 0:  # a missing value: code it as pandas would
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


def strip_text(values: np.ndarray) -> np.ndarray:
    """``str.strip()`` of every text in an object array, in compiled code.

    numpy's string functions strip the same white space as Python's ``str.strip`` (checked
    over every code point in the tests), and also NUL, which Python keeps: texts with a
    NUL are stripped by Python. With numpy < 2, Arrow's ``utf8_trim_whitespace`` (the same
    white space) does it.

    Parameters
    ----------
    values : ndarray of object (n,)
        Texts.

    Returns
    -------
    ndarray of object (n,)
    """
    values = np.asarray(values, dtype=object)
    if not len(values):
        return values
    na = pd.isna(values)
    if na.any():  # missing cells stay missing, as with Series.str.strip
        out = values.copy()
        out[~na] = strip_text(values[~na])
        return out
    if not hasattr(np, "strings"):  # numpy < 2: Arrow trims the same white space
        import pyarrow as pa
        import pyarrow.compute as pc

        trimmed = pc.utf8_trim_whitespace(pa.array(values, type=pa.string()))
        return np.asarray(trimmed.to_numpy(zero_copy_only=False), dtype=object)
    text = np.asarray(values, dtype=np.dtypes.StringDType())
    out = np.strings.strip(text).astype(object)
    nul = np.strings.find(text, "\x00") >= 0
    if nul.any():
        out[nul] = [v.strip() for v in values[nul]]
    return out


def stripped(col: pd.Series) -> pd.Series:
    """``col.str.strip()`` computed once per distinct cell.

    Parameters
    ----------
    col : Series of str (rows,)

    Returns
    -------
    Series of str (rows,)
        ``col`` itself when no cell has surrounding white space; else a new Series with the
        same index and dtype.
    """
    codes, uniques = distinct(col)
    clean = strip_text(uniques)
    if (clean == uniques).all():
        return col
    dtype = TEXT if isinstance(col.dtype, pd.CategoricalDtype) else col.dtype
    return pd.Series(clean[codes], index=col.index, dtype=dtype, name=col.name)


def blank_cells(col) -> np.ndarray:
    """True where a text cell is empty or only white space (per distinct cell).

    Parameters
    ----------
    col : Series or ndarray of str (rows,)

    Returns
    -------
    ndarray of bool (rows,)
    """
    codes, uniques = distinct(col)
    return (strip_text(uniques) == "")[codes]


def blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for the rows all of whose cells are blank (column by column, stopping as soon
    as no row can be blank).

    Parameters
    ----------
    frame : DataFrame (rows, columns) of str

    Returns
    -------
    ndarray of bool (rows,)
    """
    blank = np.ones(len(frame), bool)
    for name in range(frame.shape[1]):
        rows = np.flatnonzero(blank)  # only rows still blank need a look
        if not len(rows):
            break
        col = frame.iloc[:, name]
        blank[rows] = (blank_cells(col)[rows] if len(rows) == len(blank)  # codes kept
                       else blank_cells(col.to_numpy()[rows]))
    return blank


def numbers(col) -> tuple[np.ndarray, np.ndarray]:
    """``pd.to_numeric(col.str.strip(), errors="coerce")``, parsed once per distinct cell.

    Parameters
    ----------
    col : Series or ndarray of str (rows,)

    Returns
    -------
    values : ndarray (rows,)
        The numbers, with the dtype pandas infers for these cells (int64 when every cell
        is a whole number, float64 with NaN where a cell is not a number).
    clean : ndarray of object (rows,)
        The stripped cells.
    """
    codes, uniques = distinct(col)
    clean = strip_text(uniques)
    values = pd.to_numeric(pd.Series(clean, dtype=object), errors="coerce").to_numpy()
    return values[codes], clean[codes]


def column_codes(values) -> tuple[np.ndarray, int]:
    """Codes of one key column and how many there can be: ``value - min`` for whole
    numbers of a small range (no hashing), else ``pandas.factorize`` codes.

    Parameters
    ----------
    values : Series or ndarray (rows,)

    Returns
    -------
    codes : ndarray of int64 (rows,)
        Equal codes exactly for equal cells.
    span : int
        An upper bound of the codes plus one.
    """
    values = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if values.dtype.kind in "iu" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low < 1 << 24:
            codes = values.astype(np.int64, copy=False)
            return (codes - low if low else codes), high - low + 1
    codes, uniques = factorized(values)
    return codes, max(len(uniques), 1)


def group_codes(*columns) -> np.ndarray:
    """The code of each row's combination of key cells, numbered in order of first
    appearance: ``DataFrame(columns).groupby(..., sort=False).ngroup()`` with one hash of
    one integer column instead of a hash per column and a group-by.

    Parameters
    ----------
    *columns : Series or ndarray (rows,)
        The key columns (each hashed once; whole numbers of a small range not at all).

    Returns
    -------
    ndarray of int64 (rows,)
        0, 1, ... by first appearance; equal exactly for rows with equal keys.
    """
    key, span = np.zeros(len(columns[0]), np.int64), 1
    for col in columns:
        codes, n = column_codes(col)
        if span * n >= 1 << 62:  # renumber the keys so far densely to keep room
            key = dense_codes(key)
            span = int(key.max(initial=0)) + 1
        key *= n  # in place: key is always this function's own array
        key += codes
        span *= n
    return dense_codes(key)


def dense_codes(key: np.ndarray) -> np.ndarray:
    """``pandas.factorize(key)[0]``: 0, 1, ... by first appearance. When the rows of each
    key are adjacent and the keys increase from one run of rows to the next (a file sorted
    by its keys, the usual case), the codes are the run numbers, found without hashing.

    Parameters
    ----------
    key : ndarray of int64 (rows,)

    Returns
    -------
    ndarray of int64 (rows,)
    """
    if len(key):
        change = np.empty(len(key), bool)
        change[0] = True
        np.not_equal(key[1:], key[:-1], out=change[1:])
        runs = key[change]
        if (runs[1:] > runs[:-1]).all():  # every key in one run: runs are the groups
            return np.cumsum(change, dtype=np.int64) - 1
    return pd.factorize(key)[0].astype(np.int64, copy=False)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """True at the first row of each code, for codes numbered in order of first appearance
    (:func:`group_codes`): ``~Series(codes).duplicated()`` without a hash.

    Parameters
    ----------
    codes : ndarray of int (rows,)

    Returns
    -------
    ndarray of bool (rows,)
    """
    seen = np.maximum.accumulate(codes) if len(codes) else codes
    return np.r_[len(codes) > 0, seen[1:] > seen[:-1]][:len(codes)]


def factorize_runs(values, sort: bool = False, use_na_sentinel: bool = False) -> np.ndarray:
    """``pandas.factorize(values, sort=sort, use_na_sentinel=use_na_sentinel)[0]`` as
    int64, hashing only the first cell of each run of equal adjacent cells (files list a
    respondent's rows together); every cell when runs are short.

    Parameters
    ----------
    values : Series or ndarray (rows,)
    sort, use_na_sentinel : bool
        As for ``pandas.factorize``.

    Returns
    -------
    ndarray of int64 (rows,)
    """
    values = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    options = {"sort": sort, "use_na_sentinel": use_na_sentinel}
    change = np.ones(len(values), dtype=bool)
    change[1:] = values[1:] != values[:-1]
    heads = np.flatnonzero(change)
    if 2 * len(heads) > len(values):  # short runs: factorizing them saves nothing
        return pd.factorize(values, **options)[0].astype(np.int64, copy=False)
    codes = pd.factorize(values[heads], **options)[0].astype(np.int64, copy=False)
    return codes[np.cumsum(change) - 1]
