"""Responses -> ChoiceData: the numeric arrays every engine reads.

Rows are sorted by respondent, choice set and alternative; choice sets are contiguous,
so per-set sums are ``np.add.reduceat`` over ``set_start``. Coding happens once here;
no engine re-codes data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dce.core.cells import distinct, factorize_runs, strip_text

if TYPE_CHECKING:
    from dce.core.attributes import Attribute


def design_matrix(table: pd.DataFrame, attributes, opt_out: bool,
                  constants=(), labels=None,
                  with_sets: bool = True) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Code a design or responses table into a model matrix.

    Opt-out rows have zeros for every attribute term and 1 for ``asc[opt_out]``. In a
    labelled design an attribute's terms are 0 on the rows of alternatives it does not
    appear in (their cells are empty), and an alternative-specific attribute has one block
    of terms per alternative, each non-zero only on its alternative's rows (Hensher, Rose
    and Greene 2015, Applied Choice Analysis, ch. 5, alternative-specific parameters).

    Parameters
    ----------
    table : DataFrame (rows, ...)
        Long table with ``block, task, alternative, is_opt_out`` and one column per
        attribute (level values; ignored on opt-out rows).
    attributes : sequence of Attribute
        The attributes, in the order of the term columns.
    opt_out : bool
        Add the ``asc[opt_out]`` column (1 on rows where ``is_opt_out`` is set).
    constants : sequence of int, optional
        Alternative ids that get an alternative-specific constant ``asc[<id>]``.
    labels : mapping of int to str, optional
        Alternative labels of a labelled design: the constant of alternative ``id`` is then
        named ``asc[<label>]``.
    with_sets : bool, optional
        Whether to number the choice sets (``set_index``; None when false).

    Returns
    -------
    X : ndarray of float (rows, terms)
        Attribute terms (:attr:`Attribute.terms`), then ``asc[<id>]`` (or
        ``asc[<label>]``) columns, then ``asc[opt_out]``.
    set_index : ndarray of int (rows,)
        Choice set of each row, numbered 0.. in sorted (block, task) order.
    terms : list of str
        Column names of ``X``.

    Raises
    ------
    ValueError
        From :meth:`Attribute.code` for a level that the attribute does not declare (plain
        ValueError naming the attribute; readers report such cells as DataError earlier).
    KeyError
        When ``table`` lacks one of the columns above.
    """
    terms = [t for a in attributes for t in a.terms]
    is_opt = table["is_opt_out"].to_numpy().astype(bool)
    alt = table["alternative"].to_numpy()
    parts = _coded_parts(attributes, is_opt, alt)
    labels = labels or {}
    # each block is written into its columns of one array (no per-block arrays to stack)
    X = np.zeros((len(table), sum(len(view.terms) for view, _ in parts) + len(constants)
                  + bool(opt_out)))
    at = 0
    for view, keep in parts:
        width = len(view.terms)
        if keep.all():
            X[:, at:at + width] = view.code(_cells(table, None, view))
        else:
            X[keep, at:at + width] = view.code(_cells(table, keep, view))
        at += width
    for c in constants:
        X[:, at] = alt == c
        at += 1
        terms.append(f"asc[{labels.get(c, c)}]")
    if opt_out:
        X[:, at] = is_opt
        terms.append("asc[opt_out]")
    if not with_sets:
        return X, None, terms
    keys = table["block"].astype(np.int64).to_numpy() * 1_000_000 + table["task"].astype(
        np.int64).to_numpy()
    _, set_index = np.unique(keys, return_inverse=True)
    return X, set_index, terms


def _coded_parts(attributes, is_opt, alt) -> list:
    """(attribute or alternative-specific view, bool rows (rows,) it is coded on) in the
    order of the term columns."""
    parts = []
    for attr in attributes:
        if attr.alternatives is None and not attr.specific:  # generic: as before labels
            parts.append((attr, ~is_opt))
            continue
        parts.extend((view, ~is_opt & view.applies(alt)) for view in attr.views())
    return parts


def _cells(table: pd.DataFrame, keep: np.ndarray | None, attr):
    """The cells of ``attr``'s column on the rows ``keep`` (None: every row): an array for a
    linear attribute (read as floats), else the list of values (its levels are keyed as
    Python values)."""
    values = table[attr.name].to_numpy()
    if keep is not None:
        values = values[keep]
    return values if attr.is_linear else values.tolist()


@dataclass(frozen=True)
class ChoiceData:
    """Coded choice data.

    Attributes
    ----------
    X : float64 array (rows, terms)
    chosen : float64 array (rows,), 1 for the chosen alternative of each set
    set_start : int64 array (sets + 1,), first row of each set (and the row count last)
    respondent : int64 array (sets,), respondent code 0..R-1 of each set (non-decreasing)
    respondent_ids : array (R,), the original respondent identifiers
    group : object array (sets,), respondent group of each set
    alternative : int64 array (rows,), alternative id of each row
    terms : tuple of term names (columns of X)

    Build one with :meth:`from_frame` (a user's DataFrame) or :func:`encode` (the
    validated responses table of :mod:`dce.data.choices`).
    """

    X: np.ndarray
    chosen: np.ndarray
    set_start: np.ndarray
    respondent: np.ndarray
    respondent_ids: np.ndarray
    group: np.ndarray
    alternative: np.ndarray
    terms: tuple

    @classmethod
    def from_frame(cls, df: pd.DataFrame,
                   attributes: Sequence[Attribute] | Mapping[str, Any], *,
                   choice: str | None = "chosen", respondent: str = "respondent",
                   task: str = "task", alternative: str = "alternative",
                   group: str | None = None, block: str | None = None,
                   asc: Sequence[int] = (),
                   interactions: Iterable[Sequence[str]] | None = (),
                   labels: Mapping[int, str] | None = None,
                   checked: bool = False) -> ChoiceData:
        """Code a long DataFrame (one row per respondent x task x alternative).

        Rows whose attribute cells are all empty are opt-out rows (they get the constant
        ``asc[opt_out]``).

        Parameters
        ----------
        df : DataFrame (rows, columns)
            The user's long data.
        attributes : tuple or list of Attribute, or mapping
            Attributes, or the API's mapping (see :func:`dce.core.frames.attributes_from`).
        choice, respondent, task, alternative, group, block : str or None
            Column names. ``choice=None`` (prediction) sets ``chosen`` to 0; without
            ``group`` every set is in group ``"all"``; without ``block`` in block 1.
        asc : sequence of int
            Alternative ids that get an alternative-specific constant.
        interactions : sequence of (attribute, covariate)
            Attribute x covariate terms (see :func:`interaction_columns`).
        labels : mapping of int to str, optional
            Alternative labels of a labelled design (constants ``asc[<label>]``).
        checked : bool, optional
            ``df`` is the responses table of :func:`dce.data.choices.load` (columns
            ``respondent, group, block, task, alternative, chosen, is_opt_out``, the
            attributes and covariates, every problem reported already): it is coded as
            it is (:func:`encode`), without the checks and renaming of a user's frame.

        Returns
        -------
        ChoiceData

        Raises
        ------
        DataError
            Naming every missing column, empty id, unknown level, non-numeric linear
            value, duplicated row and choice set without exactly one chosen row.
        ConfigError
            For a malformed ``attributes`` mapping, naming the attribute.
        """
        from dce.core.frames import attributes_from, long_frame

        attrs = (tuple(attributes) if isinstance(attributes, (tuple, list))
                 else attributes_from(attributes))
        if checked:  # the readers' table (dce.data.choices): checked, canonical columns
            return encode(df, attrs, tuple(asc or ()),
                          tuple(tuple(pair) for pair in (interactions or ())), labels)
        table, position = long_frame(df, attrs, choice=choice, respondent=respondent,
                                     task=task, alternative=alternative, group=group,
                                     block=block)
        interactions = tuple(tuple(pair) for pair in (interactions or ()))
        for _, cov in interactions:  # covariates ride along, in the table's row order
            if cov not in df.columns:
                from dce.errors import DataError

                raise DataError(f"column {cov!r} is not in the data", key="interactions")
            table[cov] = df[cov].to_numpy()[position]
        return encode(table, attrs, tuple(asc or ()), interactions, labels)

    @property
    def n_rows(self) -> int:
        """Number of rows (alternatives over all sets)."""
        return self.X.shape[0]

    @property
    def n_sets(self) -> int:
        """Number of choice sets."""
        return len(self.set_start) - 1

    @property
    def n_respondents(self) -> int:
        """Number of distinct respondents."""
        return len(self.respondent_ids)

    @property
    def set_index(self) -> np.ndarray:
        """Set number (0-based) of every row: int array (rows,)."""
        return np.repeat(np.arange(self.n_sets), np.diff(self.set_start))

    @property
    def set_sizes(self) -> np.ndarray:
        """Number of alternatives of each set: int64 array (sets,)."""
        return np.diff(self.set_start)

    def select_sets(self, keep: np.ndarray) -> ChoiceData:
        """A new ChoiceData with the sets where ``keep`` is true.

        Parameters
        ----------
        keep : array of bool (sets,)
            Which choice sets to keep.

        Returns
        -------
        ChoiceData
            The kept sets in their order; respondents are re-coded 0..R'-1 and
            ``respondent_ids`` holds only the respondents that keep a set.
        """
        keep = np.asarray(keep, dtype=bool)
        rows = np.repeat(keep, self.set_sizes)
        sizes = self.set_sizes[keep]
        resp = self.respondent[keep]
        uniq, new_resp = np.unique(resp, return_inverse=True)
        return ChoiceData(
            X=self.X[rows], chosen=self.chosen[rows],
            set_start=np.r_[0, np.cumsum(sizes)].astype(np.int64),
            respondent=new_resp.astype(np.int64), respondent_ids=self.respondent_ids[uniq],
            group=self.group[keep], alternative=self.alternative[rows], terms=self.terms)

    def for_group(self, group: str) -> ChoiceData:
        """The sets of one respondent group (see :meth:`select_sets`).

        Parameters
        ----------
        group : str
            A label of :attr:`group`; an unknown label gives a ChoiceData without sets.

        Returns
        -------
        ChoiceData
        """
        return self.select_sets(self.group == group)

    def groups(self) -> list:
        """Group labels, in order of first appearance among the sets."""
        _, first = np.unique(self.group, return_index=True)
        return [self.group[i] for i in sorted(first)]


def interaction_columns(df: pd.DataFrame, X: np.ndarray, terms: list, attributes,
                        interactions) -> tuple[np.ndarray, list]:
    """Attribute x covariate columns: a numeric covariate multiplies the attribute's
    terms (``term:covariate``); a text covariate adds one block per level other than the
    first in sorted order (``term:covariate[level]``).

    A covariate is numeric when every cell (as stripped text) parses as a number.

    Parameters
    ----------
    df : DataFrame (rows, ...)
        The table that ``X`` was coded from, in the same row order, with the covariate
        columns.
    X : ndarray of float (rows, terms)
        The coded matrix.
    terms : list of str
        Column names of ``X``.
    attributes : sequence of Attribute
    interactions : sequence of (attribute name, covariate column)

    Returns
    -------
    X : ndarray of float (rows, terms + new)
        ``X`` with the interaction columns appended (``X`` itself when there are none).
    terms : list of str
        ``terms`` with the new names appended.

    Raises
    ------
    KeyError
        When a covariate column is not in ``df``.
    StopIteration
        When an interaction names no attribute (the config checks prevent both).
    """
    cols, names = [], []
    index = {t: i for i, t in enumerate(terms)}
    for attr_name, cov in interactions:
        attr = next(a for a in attributes if a.name == attr_name)
        codes, uniques = distinct(df[cov].astype(str))  # each distinct cell read once
        clean = strip_text(uniques)
        numeric = pd.to_numeric(pd.Series(clean, dtype=object), errors="coerce")
        if numeric.notna().all():
            parts = [(f"{cov}", numeric.to_numpy(float)[codes])]
        else:
            values = clean[codes]
            levels = sorted(pd.unique(clean))
            parts = [(f"{cov}[{lv}]", (values == lv).astype(float)) for lv in levels[1:]]
        for label, z in parts:
            for t in attr.terms:
                cols.append(X[:, index[t]] * z)
                names.append(f"{t}:{label}")
    if not cols:
        return X, terms
    return np.column_stack([X] + cols), terms + names


def encode(responses: pd.DataFrame, attributes, constants=(), interactions=(),
           labels=None) -> ChoiceData:
    """Code a long responses table (see :mod:`dce.data.choices`) into a ChoiceData.

    Rows are sorted (stably) by respondent, block, task and alternative; each run of
    equal (respondent, block, task) is one choice set. Respondents are coded in order of
    first appearance after sorting; ``asc[opt_out]`` is added when any row is an opt-out.

    Parameters
    ----------
    responses : DataFrame (rows, ...)
        ``respondent, group, block, task, alternative, chosen``, the attribute columns,
        optionally ``is_opt_out`` and the covariates named in ``interactions``.
    attributes : sequence of Attribute
    constants : sequence of int, optional
        Alternative ids with an alternative-specific constant.
    interactions : sequence of (attribute name, covariate column), optional
    labels : mapping of int to str, optional
        Alternative labels of a labelled design (constants ``asc[<label>]``).

    Returns
    -------
    ChoiceData

    Raises
    ------
    ValueError
        From :meth:`Attribute.code` for an undeclared level (the readers report it first).
    KeyError
        For a missing column.
    """
    keys = ["respondent", "block", "task", "alternative"]
    codes = [_key_codes(responses[k].to_numpy()) for k in keys]
    order = _row_order(codes)
    # only the columns coded below are put in order (the text columns respondent and group
    # are read on the first row of each set only)
    names = ["alternative", "chosen", "is_opt_out"] + [a.name for a in attributes] + [
        cov for _, cov in interactions]
    df = responses[[c for c in dict.fromkeys(names) if c != "is_opt_out" or c in responses]]
    df = df.reset_index(drop=True) if order is None else df.take(order).reset_index(drop=True)
    opt_out = bool(df["is_opt_out"].any()) if "is_opt_out" in df else False
    if "is_opt_out" not in df:
        df = df.assign(is_opt_out=0)
    new_set = np.ones(len(df), bool)
    for c in codes[:3]:  # a set starts where any key changes (codes are equal where cells are)
        c = c if order is None else c[order]
        new_set[1:] &= c[1:] == c[:-1]
    new_set[1:] = ~new_set[1:]
    X, _, terms = design_matrix(df, attributes, opt_out, constants, labels, with_sets=False)
    X, terms = interaction_columns(df, X, terms, attributes, interactions)
    set_start = np.r_[np.flatnonzero(new_set), len(df)].astype(np.int64)
    first = set_start[:-1]
    source = first if order is None else order[first]  # first row of each set, as given
    resp = codes[0][source]  # sorted: a respondent's sets are consecutive
    change = np.r_[True, resp[1:] != resp[:-1]] if len(resp) else np.zeros(0, bool)
    return ChoiceData(
        X=np.ascontiguousarray(X, dtype=np.float64),
        chosen=df["chosen"].to_numpy().astype(np.float64),
        set_start=set_start,
        respondent=(np.cumsum(change) - 1).astype(np.int64),
        respondent_ids=np.asarray(responses["respondent"].to_numpy()[source[change]]),
        group=_as_text(responses["group"].to_numpy()[source]),
        alternative=df["alternative"].to_numpy().astype(np.int64),
        terms=tuple(terms),
    )


def sorted_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame.sort_values(keys, kind="stable").reset_index(drop=True)``, sorting integer
    codes instead of the cells (integers as they are; other key columns hashed once per run
    of equal cells, ``pandas.factorize`` with ``sort=True``, whose order is the column's
    sort order), copying nothing when the rows are in order already (exported surveys
    usually are) and moving whole runs of the first key when only those are out of order
    (text respondent ids "1", "2", ..., "10" in numeric order).

    Parameters
    ----------
    frame : DataFrame (rows, ...)
        Key columns without missing values (text or numbers, not mixed within a column).
    keys : list of str
        Sort keys, most significant first.

    Returns
    -------
    DataFrame (rows, ...)
        The rows in order, with a fresh RangeIndex.
    """
    codes = [_key_codes(frame[k].to_numpy()) for k in keys]
    order = _row_order(codes)
    if order is None:
        return frame.reset_index(drop=True)
    return frame.take(order).reset_index(drop=True)


def _as_text(values: np.ndarray) -> np.ndarray:
    """``values.astype(str).astype(object)``, converting one cell per run of equal texts
    (a respondent group is one run of many sets) when every cell is a Python str."""
    if values.dtype != object or len(values) < 2:
        return values.astype(str).astype(object)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    heads = values[starts]
    if pd.api.types.infer_dtype(heads, skipna=False) != "string":
        return values.astype(str).astype(object)
    return np.repeat(heads.astype(str).astype(object), np.diff(np.r_[starts, len(values)]))


def _key_codes(values: np.ndarray) -> np.ndarray:
    """Codes of one sort key whose order and equality are those of the cells: integers as
    they are; other cells ``pandas.factorize(values, sort=True)`` codes, hashing only the
    first cell of each run of equal cells (a respondent's rows are usually together)."""
    return values if values.dtype.kind in "iu" else factorize_runs(values, sort=True,
                                                                   use_na_sentinel=True)


def _row_order(codes: list[np.ndarray]) -> np.ndarray | None:
    """The stable lexicographic order of rows with sort keys ``codes`` (most significant
    first), ``np.lexsort(codes[::-1])``; None when the rows are in order already. When each
    value of the first key is one run of rows, ordered by the other keys, the order moves
    whole runs (no sort of the rows)."""
    if len(codes[0]) < 2 or _in_order(codes):
        return None
    runs = _run_order(codes)
    return runs if runs is not None else np.lexsort(codes[::-1])


def _run_order(codes: list[np.ndarray]) -> np.ndarray | None:
    first = codes[0]
    n = len(first)
    starts = np.flatnonzero(np.r_[True, first[1:] != first[:-1]])
    heads = first[starts]
    rank = np.argsort(heads, kind="stable")
    if (np.diff(heads[rank]) == 0).any() or not _in_order(codes[1:], first[1:] == first[:-1]):
        return None  # a value of the first key in several runs, or a run out of order
    lengths = np.diff(np.r_[starts, n])[rank]
    shift = np.repeat(np.cumsum(lengths) - lengths - starts[rank], lengths)
    return np.arange(n, dtype=np.intp) - shift


def _in_order(codes: list[np.ndarray], within: np.ndarray | None = None) -> bool:
    """Whether rows whose sort keys are ``codes`` (most significant first) are sorted: each
    row's keys are not lexicographically before the previous row's (only where ``within``,
    bool (rows - 1,), is true, when given)."""
    undecided = np.ones(len(codes[0]) - 1, bool) if within is None else within.copy()
    for c in codes:
        step = np.diff(c)
        if (undecided & (step < 0)).any():
            return False
        undecided &= step == 0
    return True

