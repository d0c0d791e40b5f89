"""Read and validate best-worst and ranking responses.

Formats (``choices.format`` and ``choices.columns`` name the columns):

- best-worst, ``long``: one row per respondent x set x item, with ``best`` and ``worst``
  columns holding 0/1 (one best and one different worst per set);
- best-worst, ``wide``: one row per respondent x set whose ``best`` and ``worst`` cells
  name an item (its name or label) or its position (1..k) in that set of the design;
  needs the design;
- ranking, ``long``: one row per respondent x item (x set, when a ``task`` column is
  present) with ``rank`` 1 = first; an empty cell leaves the item unranked (a partial
  ranking: the ranked items were preferred to every unranked one). Ties are errors.

Every problem is collected before reporting, each with the file line and column. The
result is a long table ``respondent, group, block, task, alternative, item`` plus
``best, worst`` (best-worst) or ``rank`` (ranking; NaN = unranked), sorted by
respondent, block, task and position.
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from dce.config.latent_checks import respondent_covariates
from dce.core.cells import stripped
from dce.core.csvread import LINES, Issues, need_columns
from dce.core.items import items_of
from dce.data.answers import drop_missing, missing_cells
from dce.data.choices import attach_groups, need_design, read_choices, summarize
from dce.errors import DataError

KEYS = ["respondent", "block", "task"]


def load(study, design=None) -> tuple[pd.DataFrame, dict]:
    """Responses of an item study as a long table, and a summary of the data.

    Parameters
    ----------
    study : Study
        A best-worst or ranking study (``choices:`` gives the format and columns).
    design : Design, optional
        The item design; needed for wide best-worst data, and used to check that each
        item was shown in its set and to number positions.

    Returns
    -------
    long : DataFrame (rows, columns)
        ``respondent, group, block, task, alternative, item`` and ``best, worst`` (0/1)
        or ``rank`` (float, NaN = unranked), sorted by respondent, block, task, position.
    summary : dict
        See :func:`dce.data.choices.summarize`.

    Raises
    ------
    DataError
        Collecting every problem with file, line and column: missing columns, empty ids,
        unknown items (with a close match), non-whole numbers, best/worst not 0/1, not
        exactly one best and one other worst per set, items repeated in a set, fewer
        than three items (best-worst) or two (ranking), tied or gapped ranks, sets or
        items not in the design, and the group problems of
        :func:`dce.data.choices.attach_groups`; key ``choices.format`` for wide data
        without a design, ``choices`` for wide data of several blocks without a block
        column.
    """
    spec = study.spec.choices
    frame, display = read_choices(study)
    frame, skipped = _unanswered(study, frame, display)
    if study.spec.type == "ranking":
        long = _ranking(study, frame, design, display)
    elif spec.format == "wide":
        long = _bw_wide(study, frame, design, display)
    else:
        long = _bw_long(study, frame, design, display)
    long = _groups(study, long, frame, display)
    long = long.sort_values(KEYS + ["alternative"], kind="stable").reset_index(drop=True)
    summary = summarize(long)
    summary["missing"] = _missing_counts(study, long, skipped, display)
    return long, summary


def _unanswered(study, frame, display) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``frame`` without the sets that hold no answer, and those sets' rows (with
    ``choices.missing: drop``; under ``error`` nothing is removed and the readers report
    each such set at its line).

    A best-worst set (long: its rows; wide: its row) has no answer when every best and
    worst cell is empty, a missing-answer mark (``NA``, ``N/A``, ``NaN``, ``.``) or, in
    long data, 0; a ranking set when every rank cell is empty or such a mark. Sets are
    identified by respondent, block and task (ranking without a task column: the
    respondent)."""
    c = study.spec.choices.columns
    if study.spec.choices.missing != "drop" or c.respondent not in frame.columns:
        return frame, None
    ranking = study.spec.type == "ranking"
    cols = [c.rank] if ranking else [c.best, c.worst]
    if any(col not in frame.columns for col in cols):
        return frame, None  # the reader names the missing column
    blank = np.ones(len(frame), dtype=bool)
    for col in cols:
        cells = frame[col]
        empty = missing_cells(cells).copy()
        if not ranking and study.spec.choices.format != "wide":
            empty |= cells.str.strip().isin(["0", "0.0"]).to_numpy()
        blank &= empty
    keys = [stripped(frame[k]) for k in (c.respondent, c.block, c.task)
            if k is not None and k in frame.columns]
    whole = pd.Series(blank).groupby(keys, sort=False).transform("all").to_numpy()
    if not whole.any():
        return frame, None
    lines = frame.attrs.get(LINES)
    kept, gone = frame[~whole], frame[whole]
    for part, mask in ((kept, ~whole), (gone, whole)):
        part.attrs = dict(frame.attrs)
        if lines is not None:
            part.attrs[LINES] = np.asarray(lines)[mask]
    return kept.reset_index(drop=True), gone.reset_index(drop=True)


def _missing_counts(study, long, skipped, display) -> dict:
    """data_summary.json's ``missing`` of an item study (as
    :func:`dce.data.answers.drop_missing` counts an attribute study's), with its warning
    when sets were left out."""
    c = study.spec.choices.columns
    sets = long.drop_duplicates(KEYS)[["respondent", "group", "block", "task"]].assign(
        chosen=1)
    if skipped is not None:
        probe = pd.DataFrame({"respondent": skipped[c.respondent].str.strip()})
        probe["block"] = skipped[c.block].str.strip() if c.block in skipped else 1
        probe["task"] = skipped[c.task].str.strip() if c.task in skipped else 1
        probe = probe.assign(alternative=1, chosen=0)
        probe = attach_groups(study, probe, skipped, display)
        probe = probe.drop_duplicates(KEYS)[["respondent", "group", "block", "task", "chosen"]]
        sets = pd.concat([sets.astype({"block": str, "task": str}),
                          probe.astype({"block": str, "task": str})], ignore_index=True)
    return drop_missing(study, sets, display)[1]


# ----- helpers ---------------------------------------------------------------------------
class _Lookup:
    """Item names and labels -> item name."""

    def __init__(self, study):
        self.items = items_of(study)
        self.names = [i.name for i in self.items]
        self.map = {i.label: i.name for i in self.items}
        self.map.update({i.name: i.name for i in self.items})

    def __call__(self, cells: pd.Series) -> pd.Series:
        return cells.map(self.map)

    def unknown(self, value) -> str:
        hint = difflib.get_close_matches(str(value), list(self.map), n=1, cutoff=0.5)
        more = f"; did you mean {self.map[hint[0]]!r}?" if hint else (
            f"; the items are {', '.join(self.names)}")
        return f"{value!r} is not an item{more}"


def _ints(frame, col, issues, what="a whole number") -> np.ndarray:
    cells = stripped(frame[col])
    values = pd.to_numeric(cells, errors="coerce")
    bad = values.isna() | ~np.isfinite(values) | (values != values.round())
    for r in np.flatnonzero(bad.to_numpy()):
        issues.add(col, f"expected {what}, found {frame[col].iloc[r]!r}", r, "int")
    return values.where(~bad, -1).to_numpy().astype(np.int64)


def _ids(frame, c, issues, need_block: bool) -> pd.DataFrame:
    out = pd.DataFrame({"respondent": stripped(frame[c.respondent])})
    for r in np.flatnonzero((out["respondent"] == "").to_numpy()):
        issues.add(c.respondent, "empty respondent id", r)
    out["block"] = _ints(frame, c.block, issues) if need_block else 1
    return out


def _where(row) -> str:
    return f"respondent {row['respondent']}, task {row['task']}"


def _design_sets(design) -> dict:
    """(block, task) -> list of items in position order."""
    if design is None:
        return {}
    t = design.table.sort_values(["block", "task", "alternative"])
    return {k: list(g["item"]) for k, g in t.groupby(["block", "task"], sort=False)}


def _check_membership(out, ok, design, c, issues, block_known: bool) -> None:
    """With a design and known blocks, every item of a set must be in that set."""
    sets = _design_sets(design)
    if not sets or not (block_known or design.table["block"].nunique() == 1):
        return
    for r in np.flatnonzero(ok):
        key = (int(out["block"].iloc[r]), int(out["task"].iloc[r]))
        shown_items = sets.get(key)
        if shown_items is None:
            issues.add(c.task, f"block {key[0]}, task {key[1]} is not in the design", r, "join")
        elif out["item"].iloc[r] not in shown_items:
            issues.add(c.item, f"item {out['item'].iloc[r]!r} is not in block {key[0]}, task "
                       f"{key[1]} of the design (it shows {', '.join(shown_items)})", r, "memb")


def _positions(out, design) -> np.ndarray:
    """Position of each row's item in its set: from the design, else the file order."""
    order = out.groupby(KEYS, sort=False).cumcount().to_numpy() + 1
    sets = _design_sets(design)
    if not sets:
        return order
    pos = {(b, t, it): j + 1 for (b, t), items in sets.items() for j, it in enumerate(items)}
    found = [pos.get((int(b), int(t), it)) for b, t, it in
             zip(out["block"], out["task"], out["item"], strict=True)]
    return np.array([f if f is not None else o for f, o in zip(found, order, strict=True)],
                    dtype=np.int64)


def _open(study, frame, display, needed: dict):
    """Check the columns ``needed`` (role -> column; the block column is added when the
    config names one) and start reading: (issues, item lookup, respondent/block ids)."""
    c = study.spec.choices.columns
    if c.block:
        needed["block"] = c.block
    need_columns(frame, needed, display, study.spec.choices.delimiter)
    issues = Issues(display, frame)
    lookup = _Lookup(study)
    return issues, lookup, _ids(frame, c, issues, bool(c.block))


# ----- best-worst, long -------------------------------------------------------------------
def _bw_long(study, frame, design, display) -> pd.DataFrame:
    c = study.spec.choices.columns
    issues, lookup, out = _open(study, frame, display, {
        "respondent": c.respondent, "task": c.task, "item": c.item, "best": c.best,
        "worst": c.worst})
    out["task"] = _ints(frame, c.task, issues)
    raw_item = frame[c.item].str.strip()
    out["item"] = lookup(raw_item)
    for r in np.flatnonzero(out["item"].isna().to_numpy()):
        issues.add(c.item, "empty item cell" if raw_item.iloc[r] == "" else
                   lookup.unknown(raw_item.iloc[r]), r, "item")
    for col, role in ((c.best, "best"), (c.worst, "worst")):
        v = _ints(frame, col, issues, "0 or 1")
        for r in np.flatnonzero(~np.isin(v, [0, 1]) & (v != -1)):
            issues.add(col, f"expected 0 or 1, found {frame[col].iloc[r]!r}", r, "01")
        out[role] = v
    both = ((out["best"] == 1) & (out["worst"] == 1)).to_numpy()
    for r in np.flatnonzero(both):
        issues.add(c.worst, f"{_where(out.iloc[r])}: item {out['item'].iloc[r]!r} is marked "
                   "both best and worst; the worst item must differ from the best", r, "both")
    ids_ok = ((out["respondent"] != "") & (out["block"] != -1) & (out["task"] != -1)).to_numpy()
    _check_bw_sets(out, ids_ok, c, issues)
    _check_membership(out, ids_ok & out["item"].notna().to_numpy(), design, c, issues,
                      bool(c.block))
    _raise(issues)
    out["alternative"] = _positions(out, design)
    return out


def _whole_sets(out, good: np.ndarray) -> np.ndarray:
    """Rows of sets where every row is readable (a set with a bad cell is reported once,
    for that cell, not again as an incomplete set)."""
    return pd.Series(good).groupby([out[k] for k in KEYS], sort=False).transform("all") \
        .to_numpy()


def _raise(issues) -> None:
    """Report the problems in the order of the file."""
    issues.items.sort(key=lambda p: p.line or 0)
    issues.raise_if_any()


def _check_bw_sets(out, ok, c, issues) -> None:
    """One best and one worst per set (sets whose 0/1 cells are all readable), no item
    twice and at least three items (sets whose items are all known)."""
    rows = np.flatnonzero(ok)
    part = out.iloc[rows]
    keys = [part[k] for k in KEYS]
    valid01 = (part["best"].isin([0, 1]) & part["worst"].isin([0, 1]))
    # a row marked both best and worst is reported once, not again as a count
    counts_ok = (valid01 & ~((part["best"] == 1) & (part["worst"] == 1))).groupby(
        keys, sort=False).transform("all").to_numpy()
    items_ok = part["item"].notna().groupby(keys, sort=False).transform("all").to_numpy()
    size = part.groupby(KEYS, sort=False)["item"].transform("size").to_numpy()
    first = ~part.duplicated(KEYS).to_numpy()
    dup = part.duplicated(KEYS + ["item"]).to_numpy() & part["item"].notna().to_numpy()
    for i in np.flatnonzero(dup):
        r = rows[i]
        issues.add(c.item, f"{_where(out.iloc[r])}: item {out['item'].iloc[r]!r} appears "
                   "more than once in the set", r, "dup")
    for role, col in (("best", c.best), ("worst", c.worst)):
        n = part[role].where(valid01, 0).groupby(keys, sort=False).transform("sum").to_numpy()
        for i in np.flatnonzero(first & counts_ok & (n != 1)):
            r = rows[i]
            row = out.iloc[r]
            if n[i] == 0:
                what = f"no {role} item"
            else:
                mask = ((part["respondent"] == row["respondent"]) & (part["block"] == row["block"])
                        & (part["task"] == row["task"]) & (part[role] == 1))
                what = (f"{n[i]} {role} items "
                        f"({', '.join(part.loc[mask, 'item'].fillna('?'))})")
            issues.add(col, f"{_where(row)} has {what}; exactly one item per set must have "
                       f"{col} = 1", r, f"n{role}")
    for i in np.flatnonzero(first & items_ok & (size < 3)):
        r = rows[i]
        issues.add(c.item, f"{_where(out.iloc[r])} has {size[i]} item(s); a best-worst set "
                   "needs at least three", r, "small")


# ----- best-worst, wide -------------------------------------------------------------------
def _bw_wide(study, frame, design, display) -> pd.DataFrame:
    """Wide best-worst rows -> the long table, with column operations only (per design
    set and per distinct cell, never per row)."""
    c = study.spec.choices.columns
    need_design(study, design, f"wide best-worst data needs the design to know which items "
                f"each set of {display} showed; add `design:` with design.file, or give long "
                "data with an item column")
    n_blocks = int(design.table["block"].nunique())
    if not c.block and n_blocks > 1:
        raise DataError([study.problem(("choices",), f"the design has {n_blocks} blocks, so "
                                       "wide data need the block of each row; name the "
                                       "column with choices.columns.block")])
    issues, lookup, ids = _open(study, frame, display, {
        "respondent": c.respondent, "task": c.task, "best": c.best, "worst": c.worst})
    ids["task"] = _ints(frame, c.task, issues)
    sets = _WideSets(design, ids)
    picked = {role: _wide_pick(frame, ids, sets, lookup, issues, role, col)
              for role, col in (("best", c.best), ("worst", c.worst))}
    block, task = ids["block"].to_numpy(), ids["task"].to_numpy()
    valid = (block != -1) & (task != -1) & (ids["respondent"] != "").to_numpy()
    best, worst = picked["best"], picked["worst"]
    join = np.flatnonzero(valid & (sets.sid < 0))
    same = np.flatnonzero(valid & pd.notna(best) & (best == worst))
    _add_in_order(issues, [
        (c.task, lambda i: f"block {block[join[i]]}, task {task[join[i]]} is not in the "
         "design", join, "join"),
        (c.worst, lambda i: f"{_where(ids.iloc[same[i]])}: the worst item {worst[same[i]]!r} "
         "is also the best; the worst item must differ from the best", same, "same")])
    dup = np.flatnonzero(ids.duplicated(KEYS).to_numpy())
    issues.add_rows(c.task, lambda i: f"{_where(ids.iloc[dup[i]])} has more than one row",
                    dup, "dup")
    _raise(issues)
    if not len(frame):
        return pd.DataFrame([], columns=KEYS + ["alternative", "item", "best", "worst"])
    return sets.long(ids, best, worst)


class _WideSets:
    """The design's sets, and the set of each wide row (``sid``: position among the sets,
    -1 when the row's block and task are not a set of the design)."""

    def __init__(self, design, ids):
        t = design.table.sort_values(["block", "task", "alternative"])
        keys = t[["block", "task"]].drop_duplicates()
        self.index = pd.MultiIndex.from_frame(keys)
        code = self.index.get_indexer(pd.MultiIndex.from_frame(t[["block", "task"]]))
        self.size = np.bincount(code, minlength=len(self.index))
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]])
        order = np.argsort(code, kind="stable")
        self.items = t["item"].to_numpy(dtype=object)[order]
        self.names = pd.Index(pd.unique(self.items))
        self.pairs = code[order] * len(self.names) + self.names.get_indexer(self.items)
        self.sid = self.index.get_indexer(pd.MultiIndex.from_arrays(
            [ids["block"].to_numpy(), ids["task"].to_numpy()]))

    def shows(self, s) -> str:
        """The items of set ``s``, as the problems name them."""
        return ", ".join(self.items[self.start[s]:self.start[s] + self.size[s]])

    def holds(self, sid, names) -> np.ndarray:
        """Whether each item of ``names`` is in its set ``sid`` (both >= 0 rows only)."""
        code = self.names.get_indexer(pd.Index(names, dtype=object))
        return (code >= 0) & np.isin(sid * len(self.names) + code, self.pairs)

    def long(self, ids, best, worst) -> pd.DataFrame:
        """One row per wide row x item of its set, in position order."""
        n = self.size[self.sid]
        row = np.repeat(np.arange(len(ids)), n)
        alternative = np.arange(len(row)) - np.repeat(np.cumsum(n) - n, n) + 1
        item = self.items[self.start[self.sid][row] + alternative - 1]
        out = pd.DataFrame({
            "respondent": ids["respondent"].to_numpy(dtype=object)[row],
            "block": ids["block"].to_numpy().astype(np.int64)[row],
            "task": ids["task"].to_numpy().astype(np.int64)[row],
            "alternative": alternative.astype(np.int64), "item": item,
            "best": (item == best[row]).astype(np.int64),
            "worst": (item == worst[row]).astype(np.int64)})
        return out.astype({"respondent": "str", "item": "str"})


def _wide_pick(frame, ids, sets, lookup, issues, role, col) -> np.ndarray:
    """The item each row names in ``col`` (its name, label or position in the row's set;
    None when the set is not in the design or the cell is empty or unknown), reporting
    empty cells, unknown items and items not in the set."""
    cells = stripped(frame[col])
    cells = cells.where(~missing_cells(cells), "")  # "NA", "." ...: an empty cell
    text = cells.to_numpy(dtype=object)
    names = lookup(cells).to_numpy(dtype=object)
    named = pd.notna(names)
    in_set = sets.sid >= 0
    size = np.where(in_set, sets.size[sets.sid], 0)
    pos = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    whole = np.isfinite(pos) & (pos == np.round(pos)) & (pos >= 1) & (pos <= size)
    at = ~named & whole & in_set
    names[at] = sets.items[sets.start[sets.sid[at]] + pos[at].astype(np.int64) - 1]
    empty = in_set & (text == "")
    known = in_set & ~empty & (named | at)
    unknown = in_set & ~empty & ~known
    outside = np.zeros(len(text), dtype=bool)
    outside[known] = ~sets.holds(sets.sid[known], names[known])
    rows = {k: np.flatnonzero(m) for k, m in
            (("empty", empty), ("item", unknown), ("memb", outside))}

    def memb(i):
        r = rows["memb"][i]
        return (f"{_where(ids.iloc[r])}: {role} item {names[r]!r} is not in that set (block "
                f"{int(ids['block'].iloc[r])}, task {int(ids['task'].iloc[r])} shows "
                f"{sets.shows(sets.sid[r])})")

    _add_in_order(issues, [
        (col, lambda i: f"{_where(ids.iloc[rows['empty'][i]])} has no {role} item (empty "
         "cell)", rows["empty"], "empty"),
        (col, lambda i: lookup.unknown(text[rows["item"][i]]), rows["item"], "item"),
        (col, memb, rows["memb"], "memb")])
    return np.where(known, names, None)


def _add_in_order(issues, found) -> None:
    """Add each (column, message of i, rows, kind) of ``found`` with
    :meth:`Issues.add_rows`, kinds first met on an earlier row first (ties: in the order
    given), so the kept problems and the per-kind counts are those of adding the problems
    row by row, each row's checks in the order of ``found``."""
    first = [(rows[0] if len(rows) else np.inf, i) for i, (_, _, rows, _) in enumerate(found)]
    for _, i in sorted(first):
        column, message, rows, kind = found[i]
        issues.add_rows(column, message, rows, kind)


# ----- ranking ------------------------------------------------------------------------------
def _ranking(study, frame, design, display) -> pd.DataFrame:
    c = study.spec.choices.columns
    issues, lookup, out = _open(study, frame, display, {
        "respondent": c.respondent, "item": c.item, "rank": c.rank})
    has_task = c.task in frame.columns
    out["task"] = _ints(frame, c.task, issues) if has_task else 1
    raw_item = frame[c.item].str.strip()
    out["item"] = lookup(raw_item)
    for r in np.flatnonzero(out["item"].isna().to_numpy()):
        issues.add(c.item, "empty item cell" if raw_item.iloc[r] == "" else
                   lookup.unknown(raw_item.iloc[r]), r, "item")
    cells = frame[c.rank].str.strip()
    cells = cells.where(~missing_cells(cells), "")  # "NA", "." ...: not ranked
    rank = pd.to_numeric(cells, errors="coerce")
    bad = (cells != "") & (rank.isna() | (rank != rank.round()) | (rank < 1))
    for r in np.flatnonzero(bad.to_numpy()):
        issues.add(c.rank, f"expected a rank (1 = first, 2, ...) or an empty cell for an "
                   f"unranked item, found {frame[c.rank].iloc[r]!r}", r, "rank")
    out["rank"] = rank.where(~bad & (cells != "")).astype(float)
    ok = ((out["respondent"] != "") & (out["block"] != -1) & (out["task"] != -1)
          & out["item"].notna()).to_numpy()
    ids_ok = ((out["respondent"] != "") & (out["block"] != -1) & (out["task"] != -1)).to_numpy()
    _check_rank_sets(out, ids_ok & _whole_sets(out, ok & ~bad.to_numpy()), c, issues, has_task)
    _check_membership(out, ok, design, c, issues, bool(c.block))
    _raise(issues)
    out["alternative"] = _positions(out, design)
    return out


def _check_rank_sets(out, ok, c, issues, has_task) -> None:
    rows = np.flatnonzero(ok)
    part = out.iloc[rows]
    where = (lambda row: _where(row)) if has_task else (
        lambda row: f"respondent {row['respondent']}")
    dup = part.duplicated(KEYS + ["item"]).to_numpy()
    for i in np.flatnonzero(dup):
        r = rows[i]
        issues.add(c.item, f"{where(out.iloc[r])}: item {out['item'].iloc[r]!r} appears more "
                   "than once", r, "dup")
    tie = part.duplicated(KEYS + ["rank"], keep=False).to_numpy() & part["rank"].notna().to_numpy()
    reported = set()
    for i in np.flatnonzero(tie):
        r = rows[i]
        row = out.iloc[r]
        key = (row["respondent"], row["block"], row["task"], row["rank"])
        if key in reported:
            continue
        reported.add(key)
        mask = ((part["respondent"] == key[0]) & (part["block"] == key[1])
                & (part["task"] == key[2]) & (part["rank"] == key[3]))
        issues.add(c.rank, f"{where(row)}: tied ranks, items {', '.join(part.loc[mask, 'item'])} "
                   f"all have rank {int(key[3])}; ties are not allowed (give each item its own "
                   "rank, or leave the lower positions empty for a partial ranking)", r, "tie")
    for key, g in part.groupby(KEYS, sort=False):
        ranks = sorted(int(x) for x in g["rank"].dropna())
        r = rows[np.flatnonzero((part["respondent"] == key[0]).to_numpy()
                                & (part["block"] == key[1]).to_numpy()
                                & (part["task"] == key[2]).to_numpy())[0]]
        if len(g) < 2:
            issues.add(c.item, f"{where(out.iloc[r])} has a single item; a ranking needs at "
                       "least two", r, "small")
        elif not ranks:
            issues.add(c.rank, f"{where(out.iloc[r])} has no ranked item", r, "none")
        elif len(set(ranks)) == len(ranks) and ranks != list(range(1, len(ranks) + 1)):
            issues.add(c.rank, f"{where(out.iloc[r])} has ranks {', '.join(map(str, ranks))}; "
                       "ranks must run 1, 2, 3, ... without gaps", r, "gap")


# ----- groups -----------------------------------------------------------------------------
def _groups(study, long, frame, display) -> pd.DataFrame:
    """The respondent group of each row (respondents table, group column or 'all'), and
    the latent class membership covariates from the respondents table."""
    probe = long[["respondent", "block", "task"]].assign(alternative=1, chosen=0)
    grouped = attach_groups(study, probe, frame, display)
    long = long.copy()
    long["respondent"] = long["respondent"].astype(str)
    long["group"] = grouped["group"].to_numpy()
    extra = ["best", "worst"] if "best" in long else ["rank"]
    covs = [c for c in respondent_covariates(study) if c in grouped]  # model.membership
    for cov in covs:
        long[cov] = grouped[cov].to_numpy()
    return long[["respondent", "group", "block", "task", "alternative", "item"] + extra + covs]
