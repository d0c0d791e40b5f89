"""Respondent ids and groups of the responses: their codes (hashed once per table) and
the checks of how they are written (two spellings of one group, one id written as two
numbers, ids repeated across groups)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from dce.core.cells import factorized, strip_text


def respondent_keys(long: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                   np.ndarray]:
    """The respondent and group columns hashed once, for
    :func:`dce.data.answers.drop_missing` and :func:`dce.data.answers.summarize` of the
    same table.

    Parameters
    ----------
    long : DataFrame (rows, columns)
        Responses with ``respondent`` and ``group``.

    Returns
    -------
    person : ndarray of int64 (rows,)
        Respondent codes 0, 1, ... in order of first appearance.
    group : ndarray of int64 (rows,)
        Group codes likewise.
    names : ndarray (groups,)
        The group of each group code.
    ids : ndarray (respondents,)
        The id of each respondent code.
    """
    person, ids = factorized(long["respondent"].to_numpy())
    group, names = factorized(long["group"].to_numpy())
    return person, group, names, ids


def similar_ids(ids) -> None:
    """Warn when respondent ids differ as text but not as numbers (``7``, ``007``,
    ``7.0``): they are analysed as different respondents, although an export that wrote
    one person's id in two formats is the likelier cause.

    Parameters
    ----------
    ids : ndarray (respondents,)
        The distinct ids (not rows).
    """
    text = pd.Series(strip_text(np.asarray(ids, dtype=object)))
    value = pd.to_numeric(text, errors="coerce")
    twice = (value.notna() & value.duplicated(keep=False)).to_numpy()  # no Python per id
    if not twice.any():
        return
    text, value = text[twice], value[twice]
    first = text[value == value.iloc[0]].tolist()[:3]
    n = int(value.nunique())
    shown = ", ".join(map(repr, first[:-1])) + f" and {first[-1]!r}"
    warnings.warn(f"respondent ids {shown} are the same number "
                  f"written differently ({n:,} such number{'s' * (n != 1)}); they are "
                  "analysed as different respondents: check the format of the id column",
                  UserWarning, stacklevel=3)


def other_spelling(person, ids, rows) -> np.ndarray:
    """For each of ``rows``, another id of the data that is the same number as the row's
    respondent id but written differently (``'007'`` for ``'7'``; see :func:`similar_ids`),
    or None: the likely reason a choice set is split in two.

    Works on the distinct ids (one sort of the codes), not per row or per set.

    Parameters
    ----------
    person : ndarray of int (n,)
        Respondent codes of the rows (equal for equal ids).
    ids : Series (n,)
        The respondent id (text) of each row.
    rows : ndarray of int (k,)
        Positions of the rows asked about.

    Returns
    -------
    ndarray of object (k,)
        The other spelling, or None.
    """
    person = np.asarray(person)
    codes, at = np.unique(person, return_index=True)  # sorted codes, first row of each
    text = pd.Series(strip_text(ids.to_numpy()[at].astype(object)))
    number, _ = pd.factorize(pd.to_numeric(text, errors="coerce"))  # -1: not a number
    order = np.argsort(number, kind="stable")  # the ids of one number side by side
    sorted_number = number[order]
    new = np.r_[True, sorted_number[1:] != sorted_number[:-1]]
    start = np.flatnonzero(new)[np.cumsum(new) - 1]  # where each id's number starts
    size = np.diff(np.r_[np.flatnonzero(new), len(order)])[np.cumsum(new) - 1]
    partner = np.where(np.arange(len(order)) == start, start + 1, start)  # first or second
    twin = np.full(len(order), -1)
    has = (size > 1) & (sorted_number >= 0)
    twin[order[has]] = order[partner[has]]
    found = twin[np.searchsorted(codes, person[np.asarray(rows, dtype=np.int64)])]
    return np.where(found >= 0, text.to_numpy()[np.maximum(found, 0)], None)


def spelling_hint(respondent, other) -> str:
    """``; respondent ids '7' and '007' are read as two respondents: ...`` (or "")."""
    if other is None:
        return ""
    return (f"; respondent ids {str(respondent).strip()!r} and {other!r} are read as two "
            "respondents: write each id one way")


def similar_groups(groups) -> None:
    """Warn when two group names differ only in upper/lower case or spaces (``Staff`` and
    ``staff``): they are fitted and reported as separate groups.

    Parameters
    ----------
    groups : Series (rows,)
        The group of each row.
    """
    names = pd.Series(pd.unique(groups.to_numpy()))  # the distinct cells, then their names
    names = pd.Series(pd.unique(names.dropna().astype(str).to_numpy()))
    key = names.str.casefold().str.replace(r"\s+", "", regex=True)
    for _, same in names.groupby(key.to_numpy(), sort=False):  # group names, not rows
        if len(same) > 1:
            warnings.warn(f"groups {' and '.join(map(repr, same))} differ only in upper/lower "
                          "case or spaces; they are analysed as separate groups: check the "
                          "spelling of the group column", UserWarning, stacklevel=3)


def ids_across_groups(ids, groups, issues, c) -> None:
    """One problem when respondent ids recur in several groups (ids numbered from 1 in
    each group): dce tells respondents apart by id alone, so their rows read as duplicated
    rows and sets with several chosen rows."""
    r, g = pd.factorize(ids.to_numpy())[0], pd.factorize(groups.to_numpy())[0]
    pairs = np.unique(np.column_stack([r, g]), axis=0)
    twice = np.flatnonzero(np.bincount(pairs[:, 0]) > 1)
    if len(twice):
        first = int(np.flatnonzero(r == twice[0])[0])
        shared = pd.unique(groups.to_numpy()[r == twice[0]])
        issues.add(c.respondent, f"{len(twice):,} respondent ids appear in more than one "
                   f"group (e.g. {ids.iloc[first]!r} in {', '.join(map(repr, shared))}); "
                   "ids must be unique across groups (e.g. prefix them with the group): "
                   "this is likely why rows look duplicated", first, "idgroups")
