"""Item-study front ends of the Python API: best-worst scaling and rankings.

``dce.best_worst`` and ``dce.ranking`` take a long DataFrame (one row per respondent x
set x item shown) with the user's column names and the list of items, check every column
with vectorised pandas (problems are collected and raised together as one
:class:`~dce.errors.DataError`, a ``ValueError``, naming the argument or column; a wrong
option is a :class:`~dce.errors.ConfigError`), build the long item table of
:mod:`dce.items.data` and call the same expansion and fit as ``dce run``
(:func:`dce.items.models.expand_best_worst` / :func:`~dce.items.models.expand_ranking`
and :func:`dce.items.models.fit`). They return a :class:`~dce.models.fitted.ModelResult`
whose ``fit`` is an :class:`~dce.items.models.ItemFit`: ``tidy()`` lists every item in
the given order, the reference item with estimate 0 and standard error 0 (as
``estimates.csv``), plus ``worst_scale`` when it is estimated.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from dce.core.attributes import level_key
from dce.core.frames import missing_columns, rows_text
from dce.core.options import (
    BestWorstModel,
    EngineType,
    VcovType,
    check_literal,
    expected_text,
)
from dce.errors import ConfigError, DataError, EstimationError, Problem
from dce.models.fitted import ModelResult
from dce.models.separation import OnSeparation

WorstScale = Literal["fixed", "estimate"]
KEYS = ["respondent", "block", "task"]
MIN_BW_ITEMS = 3      # as the file reader (dce.items.data): a best-worst set shows >= 3

#: The ``items`` argument: item names in order, or a mapping name -> label.
ItemsArg: TypeAlias = "list[str] | tuple[str, ...] | dict[str, str | None] | pd.Index | pd.Series"


# ----- arguments -----------------------------------------------------------------------
def _items(items: object) -> tuple[list[str], list[str]]:
    """(names, labels) from a list of names or a mapping name -> label, in order."""
    if isinstance(items, dict):
        names = [str(k) for k in items]
        labels = [str(v) if v is not None and str(v) != "" else n
                  for n, v in zip(names, items.values(), strict=True)]
    elif isinstance(items, (list, tuple, pd.Index, np.ndarray, pd.Series)) and not \
            isinstance(items, str):
        names = [str(v) for v in items]
        labels = list(names)
    else:
        raise ConfigError("expected a list of item names or a mapping name -> label, found "
                          f"{type(items).__name__}", key="items")
    if len(names) < 2:
        raise ConfigError(f"expected at least 2 items, found {len(names)}", key="items")
    keys = [level_key(n) for n in names]
    dup = sorted({n for n, k in zip(names, keys, strict=True) if keys.count(k) > 1})
    if dup:
        raise ConfigError(f"items must be distinct; found {', '.join(map(repr, dup))} "
                          "more than once", key="items")
    return names, labels


def _lookup(names: list[str], labels: list[str]) -> dict[str, str]:
    """Canonical cell text (names and labels) -> item name; names win over labels."""
    out = {level_key(lab): n for n, lab in zip(names, labels, strict=True)}
    out.update({level_key(n): n for n in names})
    return out


def _reference(reference: object, names: list[str], labels: list[str]) -> str:
    if reference is None:
        return names[-1]
    found = _lookup(names, labels).get(level_key(reference))
    if found is None:
        hint = difflib.get_close_matches(str(reference), names, n=1, cutoff=0.5)
        raise ConfigError(f"{reference!r} is not one of the items "
                          f"{expected_text(names)}"
                          + (f"; did you mean {hint[0]!r}?" if hint else ""), key="reference")
    return found


def _options(vcov: str, engine: str, on_separation: str = "stop") -> None:
    check_literal(vcov, VcovType, "vcov")
    check_literal(engine, EngineType, "engine")
    check_literal(on_separation, OnSeparation, "on_separation")


# ----- columns -------------------------------------------------------------------------
def _sortable(s: pd.Series) -> np.ndarray:
    """The column's values, as text when mixed types cannot be sorted."""
    values: np.ndarray = s.to_numpy()
    try:
        pd.factorize(values, sort=True)
    except TypeError:
        text: np.ndarray = s.astype(str).to_numpy()
        return text
    return values


def _show(value: object) -> str:
    """Repr of a cell, without numpy's type wrapper."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _empty(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype(str).str.strip() == "")


def _base(df: pd.DataFrame, columns: dict[str, Any], names: list[str], labels: list[str]
          ) -> tuple[pd.DataFrame, list[Problem]]:
    """Respondent, group, block, task and item of every row of ``df`` (in df's order)
    and the problems of those columns (missing columns raise at once)."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, found {type(df).__name__}", key="df")
    wanted = {k: v for k, v in columns.items() if v is not None}
    problems = missing_columns(df, wanted, ())
    if problems:
        raise DataError(problems)
    out = pd.DataFrame(index=df.index)
    for role, default in (("respondent", None), ("group", "all"), ("block", 1),
                          ("task", 1), ("item", None)):
        col = columns.get(role)
        if col is None:
            out[role] = default
            continue
        empty = _empty(df[col])
        if empty.any():
            problems.append(Problem(f"empty cells in rows with index "
                                    f"{rows_text(df.index[empty])}", key=f"column {col!r}"))
        out[role] = df[col].astype(str).to_numpy() if role == "group" else _sortable(df[col])
    problems += _map_items(df[columns["item"]], columns["item"], names, labels, out)
    return out, problems


def _map_items(cells: pd.Series, col: str, names: list[str], labels: list[str],
               out: pd.DataFrame) -> list[Problem]:
    """Item cells (names or labels; ``4``, ``4.0`` and ``"4"`` match) -> item names."""
    lookup = _lookup(names, labels)
    uniq = pd.unique(cells[~_empty(cells)])
    mapping = {u: lookup.get(level_key(u)) for u in uniq}   # one look-up per distinct cell
    out["item"] = cells.map(mapping).to_numpy(dtype=object)
    unknown = out["item"].isna().to_numpy() & ~_empty(cells).to_numpy()
    if not unknown.any():
        return []
    found = sorted({str(v) for v in cells[unknown]})
    hint = difflib.get_close_matches(found[0], list(names) + list(labels), n=1, cutoff=0.5)
    return [Problem(f"{', '.join(map(repr, found[:5]))} in rows with index "
                    f"{rows_text(cells.index[unknown])} "
                    f"{'is' if len(found) == 1 else 'are'} not among the items "
                    f"{expected_text(names)}"
                    + (f"; did you mean {lookup[level_key(hint[0])]!r}?" if hint else ""),
                    key=f"column {col!r}")]


def _binary(s: pd.Series, col: str) -> tuple[np.ndarray, list[Problem]]:
    values = pd.to_numeric(s, errors="coerce")
    bad = ~values.isin([0, 1]).to_numpy()
    if bad.any():
        return np.zeros(len(s), np.int64), [Problem(
            f"expected 0 or 1, found {_show(s[bad].iloc[0])} in rows with index "
            f"{rows_text(s.index[bad])}", key=f"column {col!r}")]
    return values.astype(np.int64).to_numpy(), []


def _ranks(s: pd.Series, col: str) -> tuple[np.ndarray, list[Problem]]:
    """Ranks as floats (NaN = empty cell, an unranked item)."""
    blank = _empty(s)
    values = pd.to_numeric(s.where(~blank), errors="coerce").astype(float)
    bad = (~blank & (values.isna() | ~np.isfinite(values) | (values != values.round())
                     | (values < 1))).to_numpy()
    if bad.any():
        return values.to_numpy(), [Problem(
            f"expected a rank (1 = first, 2, ...) or an empty cell for an unranked item, "
            f"found {_show(s[bad].iloc[0])} in rows with index {rows_text(s.index[bad])}",
            key=f"column {col!r}")]
    return values.to_numpy(), []


# ----- sets ----------------------------------------------------------------------------
def _where(t: pd.DataFrame, mask: np.ndarray, task: object) -> str:
    """``"first: respondent r, task t"``: the first set where ``mask``."""
    row = t[mask].iloc[0]
    return (f"first: respondent {_show(row['respondent'])}"
            + (f", task {_show(row['task'])}" if task is not None else ""))


def _duplicates(t: pd.DataFrame, col: str) -> list[Problem]:
    dup = t.duplicated(KEYS + ["item"]).to_numpy()
    if not dup.any():
        return []
    return [Problem(f"rows with index {rows_text(t.index[dup])} repeat an item already shown "
                    "in the same set; each item may appear once per set",
                    key=f"column {col!r}")]


def _check_bw_sets(t: pd.DataFrame, c: dict[str, Any]) -> list[Problem]:
    """One best and one different worst item per set, no item twice, >= 3 items."""
    problems = []
    both = ((t["best"] == 1) & (t["worst"] == 1)).to_numpy()
    if both.any():
        problems.append(Problem(f"rows with index {rows_text(t.index[both])} mark the same item "
                                "as best and worst; the worst item must differ from the best",
                                key=f"column {c['worst']!r}"))
    problems += _duplicates(t, c["item"])
    g = t.groupby(KEYS, sort=False)
    first = ~t.duplicated(KEYS).to_numpy()
    for role in ("best", "worst"):
        n = g[role].transform("sum").to_numpy()
        wrong = first & (n != 1)
        if wrong.any():
            problems.append(Problem(
                f"{int(wrong.sum())} set(s) do not have exactly one {role} item "
                f"({_where(t, wrong, c['task'])} has {int(n[wrong][0])}); exactly one "
                f"item per set must have {c[role]} = 1", key=f"column {c[role]!r}"))
    size = g["item"].transform("size").to_numpy()
    small = first & (size < MIN_BW_ITEMS)
    if small.any():
        problems.append(Problem(
            f"{int(small.sum())} set(s) have fewer than {MIN_BW_ITEMS} items "
            f"({_where(t, small, c['task'])} has {int(size[small][0])}); a best-worst set "
            f"needs at least {MIN_BW_ITEMS}", key=f"column {c['item']!r}"))
    return problems


def _check_rank_sets(t: pd.DataFrame, c: dict[str, Any]) -> list[Problem]:
    """No item twice, no tied ranks, ranks 1..m without gaps, >= 2 items per set."""
    problems = _duplicates(t, c["item"])
    ranked = t["rank"].notna().to_numpy()
    tie = ranked & t.duplicated(KEYS + ["rank"], keep=False).to_numpy()
    if tie.any():
        problems.append(Problem(f"tied ranks in rows with index {rows_text(t.index[tie])}; give "
                                "each item its own rank, or leave the lower positions empty "
                                "for a partial ranking", key=f"column {c['rank']!r}"))
    g = t.assign(_tie=tie).groupby(KEYS, sort=False)
    first = ~t.duplicated(KEYS).to_numpy()
    m = g["rank"].transform("count").to_numpy()
    top = g["rank"].transform("max").to_numpy()
    tied = g["_tie"].transform("any").to_numpy()
    size = g["item"].transform("size").to_numpy()
    for mask, what, col in (
            (first & (size < 2), "have a single item; a ranking needs at least two", "item"),
            (first & (size >= 2) & (m == 0), "have no ranked item", "rank"),
            (first & (m > 0) & ~tied & (top != m),
             "have ranks with gaps; ranks must run 1, 2, 3, ... without gaps", "rank")):
        if mask.any():
            problems.append(Problem(f"{int(mask.sum())} set(s) {what} "
                                    f"({_where(t, mask, c['task'])})", key=f"column {c[col]!r}"))
    return problems


# ----- fit -----------------------------------------------------------------------------
def _fit(table: pd.DataFrame, names: list[str], labels: list[str], ref: str,
         columns: dict[str, Any], *, kind: str, vcov: str, engine: str,
         model: str = "sequential", worst_scale: str = "fixed", top_k: int | None = None,
         on_separation: str = "stop") -> ModelResult:
    """Expand and fit with the pipeline's code (dce.items.models) -> ModelResult."""
    from dce.core.items import Item
    from dce.models import items as models

    if kind == "ranking":
        exp = models.expand_ranking(table, names, ref, top_k)
    else:
        exp = models.expand_best_worst(table, names, ref, model)
    data = exp.data
    if vcov == "cluster" and data.n_respondents < 2:
        raise EstimationError("cluster-robust errors need at least 2 respondents; use "
                              "vcov='robust'", key="vcov")
    if data.n_sets < data.X.shape[1] + 1:
        raise EstimationError(f"{exp.n_tasks} set(s) give {data.n_sets} choices, too few to "
                              f"estimate {data.X.shape[1]} item utilities", key="df")
    from dce.models import separation

    at = [names.index(t) for t in data.terms]
    try:
        result = separation.fit_and_check(
            partial(models.fit, exp, names, ref, kind=kind, bw_model=model,
                    worst_scale=worst_scale, engine=engine, se=vcov),
            data, partial(separation.describe_items, names=names, kind=kind, top_k=top_k),
            on_separation=on_separation, beta_of=lambda r: r.params[at])
    except EstimationError as exc:
        p = exc.problems[0]
        raise EstimationError(p.message.removeprefix("group all: "), key=p.key) from None
    if result.separation is None and not (np.isfinite(result.params).all()
                                          and np.isfinite(result.vcov).all()):
        raise EstimationError("estimates are not finite; an item may always (or never) be "
                              "chosen", key="items")
    meta = dict(columns, items=tuple(names), reference=ref, kind=kind)
    return ModelResult(result, tuple(Item(n, lab) for n, lab in zip(names, labels,
                                                                   strict=True)),
                       result.null_loglik, meta)


def _column_names(optional: tuple[str, ...] = ("group", "block"),
                  **columns: Any) -> dict[str, Any]:
    """The column arguments, checked to be names (``optional`` ones may be None)."""
    for arg, col in columns.items():
        if col is None and arg in optional:
            continue
        if not isinstance(col, (str, int)) or isinstance(col, bool):
            raise ConfigError(f"expected a column name, found {col!r}", key=arg)
    return columns


def _bw_table(df: pd.DataFrame, c: dict[str, Any], names: list[str],
              labels: list[str]) -> pd.DataFrame:
    """The long best-worst table of dce.items.data (``respondent, group, block, task,
    item, best, worst, alternative``; alternative = position in the set), checked."""
    t, problems = _base(df, c, names, labels)
    for role in ("best", "worst"):
        t[role], more = _binary(df[c[role]], c[role])
        problems += more
    if problems:
        raise DataError(problems)
    problems = _check_bw_sets(t, c)
    if problems:
        raise DataError(problems)
    t["alternative"] = t.groupby(KEYS, sort=False).cumcount().to_numpy() + 1
    return t.reset_index(drop=True)


# ----- the front ends ------------------------------------------------------------------
def best_worst(df: pd.DataFrame, items: ItemsArg, *, respondent: str = "respondent",
               task: str = "task", item: str = "item", best: str = "best",
               worst: str = "worst", group: str | None = None, block: str | None = None,
               reference: str | None = None, model: str = "sequential",
               worst_scale: str = "fixed", vcov: str = "cluster",
               engine: str = "native", on_separation: str = "stop") -> ModelResult:
    """Fit a best-worst scaling (object case) study on a long DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent x set x item shown (n_rows rows); a set is a respondent x
        block x task. ``best`` and ``worst`` hold 0/1 (or booleans): exactly one best and
        one different worst item per set, at least three items per set.
    items : list of str or dict
        Item names, or a mapping name -> label (item cells may hold either); the order is
        the order of the terms (K = len(items)).
    respondent, task, item, best, worst, group, block : str
        Column names (``group`` and ``block`` optional). The model is pooled over groups;
        fit a group by filtering ``df``.
    reference : str, optional
        The item whose utility is fixed at 0 (default: the last item).
    model : {"sequential", "maxdiff"}
        ``sequential``: best from the set (utilities v), then worst from the remaining
        items (utilities -v); ``maxdiff``: the (best, worst) pair from the k(k-1) ordered
        pairs of the set (utility v_best - v_worst).
    worst_scale : {"fixed", "estimate"}
        ``estimate``: worst utilities -lambda v with lambda estimated jointly (reported
        as the term ``worst_scale``; native engine only).
    vcov : {"cluster", "robust", "classic"}
        Covariance: cluster-robust by respondent (default), sandwich over the expanded
        choice sets, or the inverse information; ``with_vcov`` switches later.
    engine : {"native", "pylogit"}
    on_separation : {"stop", "warn"}
        No maximum likelihood (an item always chosen as worst, ...): raise, or warn and
        return a fit, ``converged`` false, whose ``tidy()`` marks ``separated`` rows.

    Returns
    -------
    ModelResult
        ``fit`` is an :class:`~dce.items.models.ItemFit`: ``params`` (K,) or (K + 1,)
        with ``worst_scale``, ``vcov`` of the same square shape; ``tidy()`` has one row per
        item (the reference at 0 with standard error 0), ``glance()`` counts observed
        sets in ``n_choice_sets``; ``attributes`` holds the items (``dce.items.Item``).

    Raises
    ------
    DataError
        (``ValueError``) naming the column: missing columns (with a "did you mean"),
        empty id or item cells, items not among ``items`` (with the rows), 0/1 cells
        that are not 0 or 1, an item marked both best and worst, sets without exactly
        one best and one worst item, an item twice in a set, sets of fewer than 3 items.
    ConfigError
        (``ValueError``) for a bad ``items``, ``reference``, ``model``, ``worst_scale``,
        ``vcov`` or ``engine``, naming it and the allowed values.
    EstimationError
        (``RuntimeError``) when the utilities are not identified by the data, or (with
        ``on_separation="stop"``) have no finite maximum, naming the items.

    Notes
    -----
    Marley and Louviere (2005), Some probabilistic models of best, worst, and best-worst
    choices, Journal of Mathematical Psychology 49:464-480 (sequential and maxdiff
    models); Louviere, Flynn and Marley (2015), Best-Worst Scaling: Theory, Methods and
    Applications, Cambridge University Press, ch. 1-5.
    """
    names, labels = _items(items)
    ref = _reference(reference, names, labels)
    check_literal(model, BestWorstModel, "model")
    check_literal(worst_scale, WorstScale, "worst_scale")
    _options(vcov, engine, on_separation)
    if worst_scale == "estimate" and engine != "native":
        raise ConfigError("worst_scale='estimate' is fitted by the native engine only; use "
                          "engine='native'", key="engine")
    c = _column_names(respondent=respondent, task=task, item=item, best=best, worst=worst,
                      group=group, block=block)
    return _fit(_bw_table(df, c, names, labels), names, labels, ref, c, kind="best-worst",
                model=model, worst_scale=worst_scale, vcov=vcov, engine=engine,
                on_separation=on_separation)


def ranking(df: pd.DataFrame, items: ItemsArg, *, respondent: str = "respondent",
            task: str | None = "task", item: str = "item", rank: str = "rank",
            group: str | None = None, block: str | None = None,
            reference: str | None = None, top_k: int | None = None,
            vcov: str = "cluster", engine: str = "native",
            on_separation: str = "stop") -> ModelResult:
    """Fit a rank-ordered (exploded) logit on a long DataFrame of rankings.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent x set x item (n_rows rows); a set is a respondent x block
        x task (``task=None``: one ranking per respondent). ``rank`` holds 1 = first, 2,
        ...; an empty cell leaves the item unranked (a partial ranking: every ranked item
        was preferred to every unranked one). No ties and no gaps.
    items : list of str or dict
        Item names, or a mapping name -> label; the order of the terms (K items).
    respondent, task, item, rank, group, block : str
        Column names (``group``, ``block`` and ``task`` optional).
    reference : str, optional
        The item whose utility is fixed at 0 (default: the last item).
    top_k : int, optional
        Use only the first ``top_k`` ranks of each ranking.
    vcov : {"cluster", "robust", "classic"}
    engine : {"native", "pylogit"}
    on_separation : {"stop", "warn"}
        As :func:`best_worst` (an item always ranked last, ...).

    Returns
    -------
    ModelResult
        As :func:`best_worst`: ``params`` (K,), ``vcov`` (K, K), the reference item at 0;
        ``glance()["n_choice_sets"]`` counts rankings, not exploded stages.

    Raises
    ------
    DataError
        (``ValueError``) naming the column: missing columns, empty id or item cells,
        unknown items, ranks that are not whole numbers >= 1, tied ranks, gaps, an item
        twice in a set, sets of a single item or with no ranked item.
    ConfigError
        (``ValueError``) for a bad ``items``, ``reference``, ``top_k``, ``vcov`` or
        ``engine``.
    EstimationError
        (``RuntimeError``) when the utilities are not identified by the data, or (with
        ``on_separation="stop"``) have no finite maximum, naming the items.

    Notes
    -----
    Beggs, Cardell and Hausman (1981), Assessing the potential demand for electric cars,
    Journal of Econometrics 17:1-19 (the rank-ordered logit, a product of logit choices
    of the first-ranked item among the items not ranked before it).
    """
    names, labels = _items(items)
    ref = _reference(reference, names, labels)
    if top_k is not None and (not isinstance(top_k, (int, np.integer))
                              or isinstance(top_k, bool) or top_k < 1):
        raise ConfigError(f"expected None or a whole number of at least 1, found {top_k!r}",
                          key="top_k")
    _options(vcov, engine, on_separation)
    c = _column_names(("group", "block", "task"), respondent=respondent, task=task,
                      item=item, rank=rank, group=group, block=block)
    if isinstance(df, pd.DataFrame) and task is not None and task not in df.columns:
        raise DataError(f"column {task!r} is not in the data; pass task=None when each "
                        "respondent ranks one set", key=f"task={task!r}")
    t, problems = _base(df, c, names, labels)
    t["rank"], more = _ranks(df[rank], rank)
    if problems + more:
        raise DataError(problems + more)
    problems = _check_rank_sets(t, c)
    if problems:
        raise DataError(problems)
    t["alternative"] = t.groupby(KEYS, sort=False).cumcount().to_numpy() + 1
    return _fit(t.reset_index(drop=True), names, labels, ref, c, kind="ranking",
                top_k=None if top_k is None else int(top_k), vcov=vcov, engine=engine,
                on_separation=on_separation)
