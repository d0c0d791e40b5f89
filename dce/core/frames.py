"""A user's DataFrame -> dce's long responses table, with every problem named.

The Python API accepts one row per respondent x task x alternative with the user's own
column names. :func:`attributes_from` turns the ``attributes`` argument into
:class:`~dce.core.attributes.Attribute` objects and :func:`long_frame` checks the columns and
returns the canonical table that :func:`dce.core.coding.encode` reads (``respondent, group,
block, task, alternative, chosen, is_opt_out, <attributes>``), sorted as encode sorts it,
with the original row positions. Problems are collected and raised together as one
:class:`~dce.errors.DataError` (a ``ValueError``) naming the argument or column, what was
expected and what was found.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

import numpy as np
import pandas as pd

from dce.core.attributes import Attribute, level_key
from dce.core.cells import strip_text
from dce.core.options import Coding, allowed, expected_text
from dce.errors import ConfigError, DataError, Problem

MAX_SHOWN = 5


def rows_text(index) -> str:
    """'3, 17, 20, 21, 40 and 12 more': the first row labels of a selection."""
    shown = [str(i) for i in list(index[:MAX_SHOWN])]
    more = len(index) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _plain(value):
    """A numpy scalar as the Python value it holds (messages show 3, not np.int64(3))."""
    return value.item() if isinstance(value, np.generic) else value


def attributes_from(spec) -> tuple[Attribute, ...]:
    """Attributes from the API's ``attributes`` argument.

    A mapping name -> list of levels (effects coding, first level omitted), ``"linear"``
    (a numeric column used as it is), ``"dummy"``/``"effects"`` with levels taken from
    the data is not allowed (levels must be listed), or a :class:`Attribute`.

    Raises
    ------
    ConfigError
        For an empty or malformed specification, naming the attribute.
    """
    if not isinstance(spec, dict) or not spec:
        raise ConfigError("expected a mapping of attribute names to levels, 'linear' or "
                          f"dce.Attribute(...), found {type(spec).__name__}",
                          key="attributes")
    out, problems = [], []
    for name, value in spec.items():
        key = f"attributes[{name!r}]"
        if isinstance(value, dict):  # the keys of a config's attributes: entry
            extra = sorted(set(value) - {"levels", "coding", "reference", "label"})
            if extra:
                problems.append(Problem(f"unknown key {extra[0]!r}; expected levels, coding, "
                                        "reference or label", key=key))
                continue
            levels = value.get("levels")
            value = Attribute(str(name), str(value.get("label") or name),
                              value.get("coding") or ("effects" if levels is not None
                                                      else "linear"),
                              tuple(levels) if levels is not None else None,
                              value.get("reference"))
        if isinstance(value, Attribute):  # the mapping's key names the column
            a = replace(value, name=str(name), label=value.label or str(name))
        elif isinstance(value, str):
            if value != "linear":
                problems.append(Problem(f"expected a list of levels, 'linear' or "
                                        f"dce.Attribute(...), found {value!r}", key=key))
                continue
            a = Attribute(str(name), str(name), "linear", None)
        elif isinstance(value, (list, tuple)):
            a = Attribute(str(name), str(name), "effects", tuple(value))
        else:
            problems.append(Problem("expected a list of levels, 'linear', a mapping "
                                    "{levels, coding, reference, label} or dce.Attribute(...), "
                                    f"found {type(value).__name__}", key=key))
            continue
        problems.extend(_check_attribute(a, key))
        out.append(a)
    if problems:
        raise ConfigError(problems)
    return tuple(out)


def _check_attribute(a: Attribute, key: str) -> list[Problem]:
    if a.coding not in allowed(Coding):
        return [Problem(f"coding: expected {expected_text(allowed(Coding))}, found "
                        f"{a.coding!r}", key=key)]
    if a.levels is None:
        if a.coding != "linear":
            return [Problem(f"{a.coding} coding needs its levels listed", key=key)]
        return []
    keys = [level_key(v) for v in a.levels]
    if len(keys) < 2 and a.coding != "linear":
        return [Problem(f"expected at least 2 levels, found {len(keys)}", key=key)]
    if len(set(keys)) < len(keys):
        return [Problem("levels must be distinct", key=key)]
    if a.reference is not None and level_key(a.reference) not in keys:
        return [Problem(f"reference {a.reference!r} is not one of the levels "
                        f"{expected_text(list(a.levels))}", key=key)]
    if a.coding == "linear":
        try:
            [float(k) for k in keys]
        except ValueError:
            return [Problem("linear coding needs numeric levels", key=key)]
    return []


def long_frame(df, attributes: tuple[Attribute, ...], *, choice: str | None, respondent: str,
               task: str, alternative: str, group: str | None = None,
               block: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The canonical long table of ``df`` and, per row of it, the row's position in df.

    Rows whose attribute cells are all empty are opt-out rows. ``choice=None`` (for
    prediction) skips the chosen column.

    Raises
    ------
    DataError
        Listing every missing column, unknown level, non-numeric value of a linear
        attribute, alternative id that is not a whole number, and choice set without
        exactly one chosen row.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, found {type(df).__name__}",
                        key="data")
    names = {"respondent": respondent, "task": task, "alternative": alternative}
    for arg, col in (("choice", choice), ("group", group), ("block", block)):
        if col is not None:
            names[arg] = col
    problems = missing_columns(df, names, attributes)
    repeated = set(df.columns[df.columns.duplicated()])
    problems += [Problem(f"column {col!r} appears more than once in the DataFrame; keep one "
                         "(which one holds the data cannot be told)", key=arg)
                 for arg, col in [*names.items(), *((a.name, a.name) for a in attributes)]
                 if col in repeated]
    if problems:
        raise DataError(problems)
    if df.empty:
        raise DataError("the DataFrame has no rows", key="data")
    problems = _empty_ids(df, names)
    if problems:
        raise DataError(problems)
    out = pd.DataFrame({"respondent": df[respondent].to_numpy(),
                        "group": df[group].astype(str).to_numpy() if group else "all",
                        "block": 1, "task": df[task].to_numpy()}, index=df.index)
    if block:
        out["block"] = df[block].to_numpy()
    attr_cols = [a.name for a in attributes]
    empty = pd.DataFrame({c: empty_cells(df[c]) for c in attr_cols}, index=df.index)
    out["is_opt_out"] = empty.all(axis=1).astype(int).to_numpy()
    problems += _alternatives(df[alternative], alternative, out)
    for a in attributes:
        opt = out["is_opt_out"]
        if a.alternatives is not None and "alternative" in out:  # labelled: absent cells
            opt = opt | (~a.applies(out["alternative"].to_numpy())).astype(int)
        problems += _attribute_column(df[a.name], a, empty[a.name], opt)
        out[a.name] = df[a.name].to_numpy()
    if choice is not None:
        problems += _choices(df[choice], choice, out)
    else:
        out["chosen"] = 0
    problems += _duplicated(out)
    if problems:
        raise DataError(problems)
    out["_position"] = np.arange(len(df))
    out = out.sort_values(["respondent", "block", "task", "alternative"], kind="stable")
    return out.drop(columns="_position").reset_index(drop=True), out["_position"].to_numpy()


def missing_columns(df, names: dict, attributes) -> list[Problem]:
    """A problem (with "did you mean") per argument or attribute column not in ``df``;
    ``names`` maps an argument name to its column."""
    cols = [str(c) for c in df.columns]
    wanted = [(f"{arg}={col!r}", col) for arg, col in names.items()]
    wanted += [(f"attributes[{a.name!r}]", a.name) for a in attributes]
    out = []
    for arg, col in wanted:
        if col not in df.columns:
            hint = difflib.get_close_matches(str(col), cols, n=1, cutoff=0.6)
            out.append(Problem(f"column {col!r} is not in the data"
                               + (f"; did you mean {hint[0]!r}?" if hint else
                                  f"; columns: {', '.join(cols[:12])}"), key=arg))
    return out


def _empty_ids(df, names: dict) -> list[Problem]:
    """Empty cells in the identifier columns (respondent, task, alternative, group,
    block): a choice set cannot be placed without them."""
    out = []
    for arg, col in names.items():
        if arg == "choice":
            continue
        empty = empty_cells(df[col])
        if empty.any():
            out.append(Problem(f"empty cells in rows with index {rows_text(df.index[empty])}",
                               key=f"{arg}={col!r}"))
    return out


def empty_cells(col: pd.Series) -> np.ndarray:
    """``col.isna() | (col.astype(str).str.strip() == "")``, worked out once per distinct
    value (numbers, booleans and dates are never blank text, so only their missing values
    count).

    Parameters
    ----------
    col : Series (rows,)

    Returns
    -------
    ndarray of bool (rows,)
    """
    if col.dtype.kind in "iubfcmM":
        return col.isna().to_numpy(bool)
    codes, uniques = pd.factorize(np.asarray(col, dtype=object))  # missing -> -1
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str)
    blank = strip_text(text.to_numpy(dtype=object)) == ""
    return np.where(codes < 0, True, blank[np.maximum(codes, 0)]) if len(blank) else \
        codes < 0


def _duplicated(out: pd.DataFrame) -> list[Problem]:
    """Two rows for the same respondent, block, task and alternative."""
    keys = ["respondent", "block", "task", "alternative"]
    if "alternative" not in out:  # the alternative ids were not usable: said already
        return []
    dup = out.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return []
    return [Problem(f"rows with index {rows_text(out.index[dup])} repeat the same "
                    "respondent, task and alternative", key="data")]


def _alternatives(col: pd.Series, name: str, out: pd.DataFrame) -> list[Problem]:
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        return [Problem(f"expected whole-number alternative ids, found "
                        f"{_plain(col[bad].iloc[0])!r} in rows with index {rows_text(col.index[bad])}",
                        key=f"column {name!r}")]
    out["alternative"] = values.astype(np.int64).to_numpy()
    return []


def _attribute_column(col: pd.Series, a: Attribute, empty: pd.Series,
                      opt: pd.Series) -> list[Problem]:
    used = ~empty.to_numpy() & (opt.to_numpy() == 0)
    partly = empty.to_numpy() & (opt.to_numpy() == 0)
    key = f"column {a.name!r}"
    out = []
    if partly.any():
        out.append(Problem(f"empty cells in rows with index {rows_text(col.index[partly])} that "
                           "are not opt-out rows (an opt-out row has every attribute "
                           "empty)", key=key))
    if a.is_linear:
        num = pd.to_numeric(col[used], errors="coerce")
        bad = num.isna()
        if bad.any():
            out.append(Problem(f"expected numbers for a linear attribute, found "
                               f"{_plain(col[used][bad].iloc[0])!r} in rows with index "
                               f"{rows_text(num.index[bad])}", key=key))
        return out
    idx = a.index_of(col[used].tolist())
    bad = idx < 0
    if bad.any():
        found = sorted({str(v) for v in pd.unique(col[used][bad].astype(str))})[:MAX_SHOWN]
        out.append(Problem(f"level {', '.join(repr(v) for v in found)} in rows with index "
                           f"{rows_text(col[used].index[bad])} is not among the listed levels "
                           f"{expected_text(list(a.levels))}", key=key))
    return out


def _choices(col: pd.Series, name: str, out: pd.DataFrame) -> list[Problem]:
    key = f"choice={name!r}"
    values = pd.to_numeric(col.replace({True: 1, False: 0}), errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        return [Problem(f"expected 0 or 1, found {_plain(col[bad].iloc[0])!r} in rows with index "
                        f"{rows_text(col.index[bad])}", key=key)]
    out["chosen"] = values.astype(int).to_numpy()
    sums = out.groupby(["respondent", "block", "task"], sort=False)["chosen"].agg(["sum", "size"])
    wrong = sums[sums["sum"] != 1]
    problems = []
    if len(wrong):
        r, b, t = (_plain(v) for v in wrong.index[0])
        problems.append(Problem(f"{len(wrong)} choice set(s) do not have exactly one chosen "
                                f"row (first: respondent {r!r}, task {t!r} has "
                                f"{int(wrong['sum'].iloc[0])})", key=key))
    small = sums[sums["size"] < 2]
    if len(small):
        r, b, t = (_plain(v) for v in small.index[0])
        problems.append(Problem(f"{len(small)} choice set(s) have a single alternative "
                                f"(first: respondent {r!r}, task {t!r})",
                                key="choice sets"))
    return problems
