"""Array operations behind the data-quality checks (:mod:`dce.data.quality`).

The long responses are sorted by choice set once (used as they are when the rows of each
set are already adjacent); levels become integer codes per
attribute (one :func:`dce.core.attributes.level_key` call per distinct cell, not per row);
every check is then a group-by over sets or respondents written with numpy (``bincount``,
``factorize``, ``lexsort``), so no Python code runs per row, set or respondent. Loops run over
attributes and over positions within a set only. The checks and their definitions are those
of :mod:`dce.data.quality` (health DCE practice: Lancsar and Louviere 2006; Tervonen et al.
2018, Value in Health 21:1192-1197).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dce.core.attributes import level_key
from dce.core.cells import factorize_runs

TOLERANCE = 1e-12  # utilities closer than this are equal
# object columns whose values compare (hash) as their text does: safe to factorize as is
SAFE_KINDS = ("string", "empty", "integer", "floating", "mixed-integer-float", "boolean")


# ----- levels as codes ------------------------------------------------------------------
def cell_keys(values) -> tuple[np.ndarray, np.ndarray]:
    """Code of each cell's canonical level key, and the keys.

    A cell is compared by the text ``str(cell)`` gives, through :func:`level_key`; empty
    cells (missing, ``""``, ``"nan"``, ``"None"`` or blanks) get the key ``""``.

    Parameters
    ----------
    values : array (rows,)
        One attribute column.

    Returns
    -------
    codes : ndarray of int32 (rows,)
        Index into ``keys``; equal keys share one code.
    keys : ndarray of object (n_keys,)
        Distinct keys (str), in order of first appearance.
    """
    arr = np.asarray(values)
    if arr.dtype == object and pd.api.types.infer_dtype(arr, skipna=True) not in SAFE_KINDS:
        arr = arr.astype(str)  # e.g. True and 1 are equal but read differently
    table = small_range(arr)
    if table is None:
        codes, uniques = pd.factorize(arr)
    else:  # small integers: codes are the values (less the smallest), looked up below
        codes, present, low = table
        uniques = np.flatnonzero(present) + low
    text = np.asarray(uniques, dtype=object).astype(str)
    keys = [level_key(u) if u not in ("", "nan", "None") else "" for u in text.tolist()]
    key_codes, distinct = pd.factorize(np.array(keys + [""], dtype=object))  # last: missing
    key_codes = key_codes.astype(np.int32)
    if table is not None:  # value -> key code in one lookup, not value -> unique -> key
        lookup = np.zeros(len(present), dtype=np.int32)
        lookup[present] = key_codes[:-1]
        key_codes = lookup
    return key_codes[codes], np.asarray(distinct, dtype=object)


def small_range(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
    """For integers of a small range (at most about four per value): the values less the
    smallest (int64), which of 0 ... range occur (bool), and the smallest; else None."""
    if arr.dtype.kind not in "iu" or not len(arr):
        return None
    low, high = int(arr.min()), int(arr.max())
    if high - low > 4 * len(arr) + 1024:
        return None
    shifted = arr.astype(np.int64) - low if low or arr.dtype != np.int64 else arr
    present = np.zeros(high - low + 1, dtype=bool)
    present[shifted] = True
    return shifted, present, low


def factorized(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) as :func:`pandas.factorize` (missing: -1), by a table lookup for
    integers of a small range."""
    table = small_range(arr)
    if table is not None:
        shifted, present, low = table
        return (np.cumsum(present) - 1)[shifted], np.flatnonzero(present) + low
    return pd.factorize(arr)


def key_utilities(keys: np.ndarray, order) -> tuple[np.ndarray, np.ndarray] | None:
    """A priori utility of each key, and whether it is known.

    Parameters
    ----------
    keys : ndarray of object (n_keys,)
        From :func:`cell_keys`.
    order : dict, number or None
        ``{level_key: utility}``, a slope per unit (numeric keys only: else no order), or
        None (no order).

    Returns
    -------
    (utility, known) : ndarrays of float and bool (n_keys,), or None without an order
    """
    if order is None:
        return None
    if isinstance(order, dict):
        given = {k: float(v) for k, v in order.items()}
        known = np.array([k in given for k in keys.tolist()], dtype=bool)
        return np.array([given.get(k, np.nan) for k in keys.tolist()], dtype=float), known
    slope = float(order)
    util = np.full(len(keys), np.nan)
    for i, k in enumerate(keys.tolist()):
        if k == "":
            continue
        try:
            util[i] = slope * float(k)
        except ValueError:
            return None
    return util, keys != ""


def profile_ids(codes: list[np.ndarray], n_rows: int) -> np.ndarray:
    """One id per distinct profile (tuple of level codes over the attributes), per row.

    Returns
    -------
    ndarray of int64 (n_rows,)
    """
    pid, size = np.zeros(n_rows, dtype=np.int64), 1
    for c in codes:
        radix = int(c.max(initial=0)) + 1
        if size * radix >= 2**52:  # renumber densely before the product could overflow
            pid = dense(pid)
            size = int(pid.max(initial=0)) + 1
        pid *= radix  # in place: no new array per attribute
        pid += c
        size *= radix
    return dense(pid)


def dense(x: np.ndarray) -> np.ndarray:
    """Renumber non-negative integers 0, 1, ..., one number per distinct value.

    Parameters
    ----------
    x : ndarray of int (n,)

    Returns
    -------
    ndarray of int64 (n,)
        Numbers in the order of the values when their range is small (a table lookup),
        else in order of first appearance (hashing, :func:`pandas.factorize`); every
        number from 0 to the largest appears.
    """
    x = np.asarray(x, dtype=np.int64)
    top = int(x.max(initial=-1)) + 1
    if top > 4 * len(x) + 1024:
        return pd.factorize(x)[0].astype(np.int64)
    seen = np.zeros(top, dtype=bool)
    seen[x] = True
    return (np.cumsum(seen) - 1)[x]


def pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One number per distinct pair (a[i], b[i]) of non-negative integers: int64 (n,),
    dense (:func:`dense`)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    return dense(a * (int(b.max(initial=0)) + 1) + b)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each number, for dense numbers (:func:`dense`):
    int64 (n_codes,)."""
    first = np.empty(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first
    return first


SET_KEYS = ["respondent", "block", "task"]  # one choice set


# ----- the choice sets ------------------------------------------------------------------
@dataclass
class ChoiceSets:
    """The responses' rows sorted by choice set (``respondent, block, task``), with the
    per-set facts every check needs. Row arrays are in sorted order; set arrays are
    indexed by set (order of first appearance)."""

    rows: np.ndarray  # (rows,) position in the responses of each sorted row
    set_of: np.ndarray  # (rows,) set index of each row
    start: np.ndarray  # (sets,) first row of each set
    is_opt: np.ndarray  # (rows,) opt-out rows
    chosen_row: np.ndarray  # (sets,) first chosen row, -1 when none was chosen
    respondent: np.ndarray  # (sets,) respondent code (order of first appearance)
    n_respondents: int
    in_order: bool = False  # the rows were sorted already: ``rows`` is 0, 1, ...

    def take(self, values: np.ndarray) -> np.ndarray:
        """A row array of the responses in sorted order (itself when already sorted)."""
        return values if self.in_order else values[self.rows]

    @property
    def n_sets(self) -> int:
        """Number of choice sets."""
        return len(self.start)

    @property
    def answered(self) -> np.ndarray:
        """(sets,) bool: a row of the set was chosen."""
        return self.chosen_row >= 0

    @property
    def opt_chosen(self) -> np.ndarray:
        """(sets,) bool: the (first) chosen row is the opt-out; false when unanswered."""
        return self.answered & self.is_opt[np.maximum(self.chosen_row, 0)]

    def per_respondent(self, sets: np.ndarray) -> np.ndarray:
        """Count of the true ``sets`` (bool, (sets,)) per respondent: int64 (respondents,)."""
        return np.bincount(self.respondent[sets], minlength=self.n_respondents)


def respondent_codes(column: pd.Series) -> np.ndarray:
    """Codes of a column in order of first appearance, missing values one code: equal to
    ``pandas.factorize(column, use_na_sentinel=False)[0]``, found by factorizing only the
    first row of each run of equal adjacent values (files list a respondent's rows together).

    Parameters
    ----------
    column : Series (rows,)

    Returns
    -------
    ndarray of int64 (rows,)
    """
    return factorize_runs(column)


def adjacent_sets(df: pd.DataFrame, respondent: np.ndarray) -> np.ndarray | None:
    """Set number of each row when the rows of every set are adjacent (as files and
    simulations write them): sets numbered in order, no sort needed. None when a set's rows
    are apart or a key is missing.

    Parameters
    ----------
    df : DataFrame (rows, columns)
    respondent : ndarray of int64 (rows,)
        :func:`respondent_codes` of the ``respondent`` column.

    Returns
    -------
    ndarray of int64 (rows,) or None
    """
    change = np.zeros(len(df), dtype=bool)
    change[:1] = True
    change[1:] = respondent[1:] != respondent[:-1]
    for key in SET_KEYS[1:]:
        col = df[key].to_numpy()
        change[1:] |= col[1:] != col[:-1]
    starts = np.flatnonzero(change)
    ids = df["respondent"].to_numpy()[first_rows(respondent)]
    if pd.isna(ids).any() or df[SET_KEYS[1:]].isna().to_numpy().any():
        return None
    key = respondent[starts]
    for name in SET_KEYS[1:]:  # a set's key seen in two runs: its rows are apart
        key = pair_codes(key, factorized(df[name].to_numpy()[starts])[0])
    if int(key.max(initial=-1)) + 1 < len(starts):  # dense: fewer numbers than runs
        return None
    return np.cumsum(change) - 1


def choice_sets(df: pd.DataFrame, respondent: np.ndarray | None = None) -> ChoiceSets:
    """Sort long responses (default index) by set; see :class:`ChoiceSets`.

    Parameters
    ----------
    df : DataFrame (rows, columns)
        Long responses with ``respondent, block, task, chosen`` (``is_opt_out`` optional).
    respondent : ndarray of int64 (rows,), optional
        :func:`respondent_codes` of the ``respondent`` column, when known already.

    Returns
    -------
    ChoiceSets
    """
    if respondent is None:
        respondent = respondent_codes(df["respondent"])
    set_of = adjacent_sets(df, respondent)
    if set_of is None:  # sets in order of first appearance, rows in order within a set
        set_id = df.groupby(SET_KEYS, sort=False).ngroup().to_numpy()
        rows = np.argsort(set_id, kind="stable")
        sid = set_id[rows]
        set_of = np.cumsum(np.r_[True, sid[1:] != sid[:-1]] if len(sid) else sid) - 1
        in_order = bool((rows == np.arange(len(df))).all())
    else:
        rows, in_order = np.arange(len(df)), True
    start = np.flatnonzero(np.r_[True, set_of[1:] != set_of[:-1]]) if len(df) else set_of
    is_opt = df["is_opt_out"].to_numpy().astype(bool) if "is_opt_out" in df else \
        np.zeros(len(rows), bool)
    is_opt = is_opt if in_order else is_opt[rows]
    chosen = df["chosen"].to_numpy().astype(int) == 1
    hit = np.flatnonzero(chosen if in_order else chosen[rows])
    first = np.r_[True, set_of[hit][1:] != set_of[hit][:-1]] if len(hit) else hit.astype(bool)
    chosen_row = np.full(len(start), -1, dtype=np.int64)
    chosen_row[set_of[hit[first]]] = hit[first]
    return ChoiceSets(rows, set_of, start, is_opt, chosen_row, respondent[rows[start]],
                      int(respondent.max(initial=-1)) + 1, in_order)


# ----- the checks -----------------------------------------------------------------------
def position_counts(sets: ChoiceSets, shown: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per respondent: answered sets, sets answered with the opt-out, and distinct positions
    chosen otherwise.

    Parameters
    ----------
    sets : ChoiceSets
    shown : ndarray (rows,)
        Position of each sorted row (``shown_alternative`` or ``alternative``), read as int.

    Returns
    -------
    tasks, opted, positions : ndarrays of int64 (respondents,)
    """
    answered, opted = sets.answered, sets.opt_chosen
    tasks = sets.per_respondent(answered)
    picked = answered & ~opted
    pos = np.asarray(shown[sets.chosen_row[picked]]).astype(np.int64)
    distinct = first_rows(pair_codes(sets.respondent[picked], pd.factorize(pos)[0]))
    positions = np.bincount(sets.respondent[picked][distinct], minlength=sets.n_respondents)
    return tasks, sets.per_respondent(opted), positions


def dominated_rows(sets: ChoiceSets, codes: list, utilities: list, eligible: np.ndarray,
                   min_better: int) -> np.ndarray:
    """Rows that another alternative of their set dominates.

    Alternative k dominates j when, on every attribute where they differ, both levels have
    a known utility and k's is not lower, and k's is higher on at least ``min_better``.
    Pairs are taken by their distance within the set (1, 2, ... up to the largest set), so
    memory stays linear in the rows whatever the set sizes.

    Parameters
    ----------
    sets : ChoiceSets
    codes : list of ndarray of int (rows,)
        Level codes per attribute (:func:`cell_keys`).
    utilities : list of (utility, known) or None
        Per attribute (:func:`key_utilities`).
    eligible : ndarray of bool (sets,)
        Sets tested (opt-out rows never are).
    min_better : int

    Returns
    -------
    ndarray of bool (rows,)
    """
    out = np.zeros(len(sets.set_of), dtype=bool)
    if sum(u is not None for u in utilities) < min_better:
        return out  # too few ordered attributes for any pair to reach min_better
    rows = np.flatnonzero(~sets.is_opt & eligible[sets.set_of])
    s = sets.set_of[rows]
    # attributes without an order first: pairs that differ there drop out soonest
    pairs = sorted(zip(codes, utilities, strict=True), key=lambda cu: cu[1] is not None)
    run = int(np.bincount(s).max(initial=0))
    for d in range(1, run):  # distances within a set, not sets
        same = s[d:] == s[:-d]
        first, second = rows[:-d][same], rows[d:][same]
        for j, k in ((first, second), (second, first)):
            out[j[dominates(j, k, pairs, min_better)]] = True
    return out


def dominates(j: np.ndarray, k: np.ndarray, pairs: list, min_better: int) -> np.ndarray:
    """For pairs of rows: k dominates j (see :func:`dominated_rows`). ``pairs``: (codes,
    utility) per attribute. Returns bool (pairs,)."""
    n = len(j)
    keep = np.arange(n)
    better = np.zeros(n, dtype=np.int32)
    for c, u in pairs:
        cj, ck = c[j], c[k]
        differ = cj != ck
        if u is None:
            ok = ~differ
        else:
            util, known = u
            uj, uk = util[cj], util[ck]
            ok = ~differ | (known[cj] & known[ck] & ~(uk < uj - TOLERANCE))
            better += differ & (uk > uj + TOLERANCE)
        j, k, better, keep = j[ok], k[ok], better[ok], keep[ok]
    out = np.zeros(n, dtype=bool)
    out[keep[better >= min_better]] = True
    return out


def never_traded(sets: ChoiceSets, codes: list, utilities: list, trading: np.ndarray,
                 min_informative: int) -> np.ndarray:
    """Per attribute and respondent: in at least ``min_informative`` trading sets where the
    alternatives differed on the attribute, the chosen level was always the better one.

    Parameters
    ----------
    sets : ChoiceSets
    codes, utilities : lists per attribute
        As in :func:`dominated_rows`.
    trading : ndarray of bool (sets,)
        Answered sets, not with the opt-out, that are choice tasks.
    min_informative : int

    Returns
    -------
    ndarray of bool (attributes, respondents)
        "Better" as in :func:`worse_edges`.
    """
    out = np.zeros((len(codes), sets.n_respondents), dtype=bool)
    others = np.flatnonzero(~sets.is_opt & trading[sets.set_of])
    chosen = sets.chosen_row[sets.set_of[others]]
    others, chosen = others[others != chosen], chosen[others != chosen]
    edge_set = sets.set_of[others]  # sorted
    heads = np.flatnonzero(np.r_[True, edge_set[1:] != edge_set[:-1]]) if len(others) \
        else others  # each set's first edge
    run = int(np.diff(np.r_[heads, len(others)]).max(initial=0))  # most edges of a set
    width = run if len(others) == run * len(heads) else 0  # every set has ``run`` edges
    head_respondent = sets.respondent[edge_set[heads]]
    for q, (c, u) in enumerate(zip(codes, utilities, strict=True)):
        a, b = c[chosen], c[others]
        differ = a != b
        if not differ.any():
            continue
        worse = worse_edges(a, b, differ, edge_set, int(c.max()) + 1, u, run)
        informative = np.bincount(head_respondent, per_set_any(differ, heads, width),
                                  minlength=sets.n_respondents)
        broke = np.bincount(head_respondent, per_set_any(worse, heads, width),
                            minlength=sets.n_respondents)
        out[q] = (informative >= min_informative) & (broke == 0)
    return out


def per_set_any(flags: np.ndarray, heads: np.ndarray, width: int) -> np.ndarray:
    """Whether any flag of each set is true: bool (sets,). ``flags`` (edges,) with the
    edges of a set adjacent, ``heads`` each set's first; ``width``: the edges of every set,
    when all have as many (then read by strides), else 0."""
    if not width:
        return np.logical_or.reduceat(flags, heads)
    out = flags[::width].copy()
    for j in range(1, width):  # edges within a set, not sets
        out |= flags[j::width]
    return out


def worse_edges(a: np.ndarray, b: np.ndarray, differ: np.ndarray, edge_set: np.ndarray,
                n_keys: int, utility, run: int | None = None) -> np.ndarray:
    """The "chosen over" pairs (a, b) of different levels where ``a`` is not the better.

    ``a`` is better by the a priori utilities when given; else by the sample: when it was
    chosen over ``b`` in more sets than ``b`` over ``a`` (each pair counted once per set).
    Pairs are judged by a (levels, levels) table when it is small (at most about four
    entries per pair), else each pair by itself.

    Parameters
    ----------
    a, b : ndarrays of int (edges,)
        Level codes: chosen, and another level of the same set.
    differ : ndarray of bool (edges,)
        ``a != b``.
    edge_set : ndarray of int (edges,)
        Set of each edge, the edges of a set adjacent.
    n_keys : int
        More than the largest code.
    utility : (utility, known) or None
        Per level code (:func:`key_utilities`), or None for the sample's order.
    run : int, optional
        The most edges of a set, when known.

    Returns
    -------
    ndarray of bool (edges,)
    """
    small = n_keys * n_keys <= 4 * len(a) + 1024
    if utility is not None and not small:
        util, known = utility
        return differ & ~(known[a] & known[b] & (util[a] > util[b] + TOLERANCE))
    if utility is not None:
        util, known = utility[0][:n_keys], utility[1][:n_keys]
        worse = ~(known[:, None] & known[None, :] & (util[:, None] > util[None, :] + TOLERANCE))
        np.fill_diagonal(worse, False)  # the same level: not a trade
        return worse.ravel()[a.astype(np.int64) * n_keys + b]
    edge = a.astype(np.int64) * n_keys + b
    once = differ.copy()  # an edge counts once per set: drop repeats
    run = int(np.bincount(edge_set).max(initial=0)) if run is None else run
    for d in range(1, run):  # edges of a set are adjacent, at most ``run`` of them
        once[d:] &= (edge_set[d:] != edge_set[:-d]) | (edge[d:] != edge[:-d])
    if small:
        counts = np.bincount(edge, once, minlength=n_keys * n_keys).reshape(n_keys, n_keys)
        worse = ~(counts > counts.T)
        np.fill_diagonal(worse, False)
        return worse.ravel()[edge]
    codes, values = pd.factorize(edge)
    counts = np.bincount(codes, once, minlength=len(values))
    back = pd.Index(values).get_indexer(b.astype(np.int64) * n_keys + a)  # (b, a)
    return differ & ~(counts[codes] > np.where(back >= 0, counts[back], 0))


def multiset_keys(sets: ChoiceSets, pid: np.ndarray) -> np.ndarray:
    """One code per distinct set content: the profiles of its generic alternatives in any
    order (as a multiset) and whether it has an opt-out.

    Each set's profiles fill one row of a (sets, largest set) table, sorted along the row
    (empty places first); the rows are then numbered as base-(profiles + 1) numbers. When
    the sets' sizes differ so much that the table would be more than twice the rows, the
    profiles are sorted within sets instead (:func:`_sorted_multiset_keys`).

    Parameters
    ----------
    sets : ChoiceSets
    pid : ndarray of int64 (rows,)
        Profile of each sorted row (:func:`profile_ids`).

    Returns
    -------
    ndarray of int64 (sets,)
        Dense (:func:`dense`): equal numbers for equal contents only.
    """
    generic = np.flatnonzero(~sets.is_opt)
    s = sets.set_of[generic]  # sorted: the rows of a set are adjacent
    size = np.bincount(s, minlength=sets.n_sets)
    has_opt = np.bincount(sets.set_of[sets.is_opt], minlength=sets.n_sets) > 0
    width = int(size.max(initial=0))
    if sets.n_sets * width > 2 * len(s) + 1024:
        return _sorted_multiset_keys(sets, pid, generic, size, has_opt)
    if len(s) == sets.n_sets * width:  # every set as large: the rows are the table
        table = (pid[generic] + 1).reshape(sets.n_sets, width)
    else:
        table = np.zeros((sets.n_sets, width), dtype=np.int64)  # 0: no alternative here
        table[s, np.arange(len(s)) - (np.cumsum(size) - size)[s]] = pid[generic] + 1
    table.sort(axis=1)
    key, top = has_opt.astype(np.int64), 2
    radix = int(pid.max(initial=0)) + 2
    for column in table.T:  # positions within a set, not sets
        if top * radix >= 2**62:  # renumber densely before the product could overflow
            key = dense(key)
            top = int(key.max(initial=0)) + 1
        key = key * radix + column
        top *= radix
    return dense(key)


def _sorted_multiset_keys(sets: ChoiceSets, pid: np.ndarray, generic: np.ndarray,
                          size: np.ndarray, has_opt: np.ndarray) -> np.ndarray:
    """:func:`multiset_keys` by sorting the profiles within sets (any set sizes)."""
    order = np.lexsort((pid[generic], sets.set_of[generic]))
    s, p = sets.set_of[generic][order], pid[generic][order]
    shape = pair_codes(size, has_opt)
    key = shape.copy()
    position = np.arange(len(s)) - (np.cumsum(size) - size)[s]
    for i in range(int(size.max(initial=0))):  # positions within a set, not sets
        at = position == i
        key[s[at]] = pair_codes(key[s[at]], p[at])
    return pair_codes(shape, key)


def repeat_counts(sets: ChoiceSets, key: np.ndarray, answer: np.ndarray) -> tuple:
    """Per respondent: answered sets beyond the first of each content, and whether two
    answers to the same content differ.

    Parameters
    ----------
    sets : ChoiceSets
    key : ndarray of int64 (sets,)
        Same key: the same task (marked repeats) or the same content (:func:`multiset_keys`);
        non-negative.
    answer : ndarray of int64 (sets,)
        Profile chosen (-1: the opt-out).

    Returns
    -------
    repeated : ndarray of int64 (respondents,)
    inconsistent : ndarray of bool (respondents,)
    """
    answered = np.flatnonzero(sets.answered)
    k = key[answered]
    if int(k.max(initial=-1)) < 4 * len(k) + 1024:  # a key met once is no repeat: skip it
        answered = answered[np.bincount(k)[k] > 1]
    resp = sets.respondent[answered]
    group = pair_codes(resp, key[answered])  # a respondent's sets of one content
    first = first_rows(group)
    repeated = np.bincount(resp, minlength=sets.n_respondents) - \
        np.bincount(resp[first], minlength=sets.n_respondents)
    given = answer[answered]
    differs = given != given[first[group]]  # two answers differ: one differs from the first
    inconsistent = np.bincount(resp[differs], minlength=sets.n_respondents) > 0
    return repeated, inconsistent
