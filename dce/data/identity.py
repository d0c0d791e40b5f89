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
