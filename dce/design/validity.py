"""Validity tasks: dominance tests and repeated tasks added to every block of a design.

* A *dominance task* (``design.dominance_tasks``) has one alternative that is at least as
  good as every other on every attribute and strictly better than each of them on at least
  :data:`MIN_BETTER` attributes (and on at least half of the ordered ones), by an a priori
  order of levels (:func:`level_order`: ``data.preference_order``, else the part-worths of
  the design priors' means). Attributes without an order take one level in every
  alternative of the task, so they never break the dominance. The dominant alternative's
  position is drawn at random.
* A *repeated task* (``design.repeat_tasks``) shows a choice task of the block again at
  the end of the block (at least a third of the block's tasks after it, where the block
  allows), with its generic alternatives in reverse order when
  ``design.repeat_swap`` is on (the opt-out stays last).

The tasks follow the block's choice tasks: choice tasks keep their numbers 1..T, dominance
tasks are T+1.., repeats come last. They are marked in the design table by
``task_type`` (``choice``, ``dominance``, ``repeat``) and ``repeat_of`` (the original's
task number, 0 otherwise); both columns exist only when a block has a validity task, so
designs without them are unchanged. Design diagnostics are computed on the choice tasks
only, and the models leave the validity tasks out unless ``model.include_validity_tasks``
is on. Dominance tests and what they show are reviewed by Tervonen et al. (2018, Value in
Health 21:1192-1197); repeated tasks as a test of stability follow Johnson et al. (2013,
Value in Health 16:3-13, the ISPOR design report) and Lancsar and Louviere (2006, Health
Economics 15:797-811).
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from dce.core.random import rng as make_rng
from dce.design.base import Design, design_table
from dce.design.methods import allowed_mask
from dce.design.randomize import repeat_gap
from dce.errors import ConfigError, DataError, DesignError, Problem

TASK_TYPE = "task_type"
REPEAT_OF = "repeat_of"
MARK_COLUMNS = [TASK_TYPE, REPEAT_OF]
TASK_TYPES = ("choice", "dominance", "repeat")
MIN_BETTER = 2  # the dominant alternative is better than each other on this many attributes
ATTEMPTS = 2000  # random draws allowed to find each dominance task


def level_order(study) -> tuple[dict | None, str | None]:
    """The a priori utility of each level, and where it came from.

    ``data.preference_order`` (``increasing``: later levels / larger numbers are better,
    ``decreasing``: earlier / smaller) when given; else the part-worths of the design
    priors' means when any is non-zero; else none.

    Parameters
    ----------
    study : Study

    Returns
    -------
    order : dict or None
        Attribute -> ``{level_key: utility}``, or a slope (+-1) for a fit-only numeric
        attribute; None when no order is known.
    source : str or None
        ``"data.preference_order"``, ``"design.priors"`` or None.

    Raises
    ------
    ConfigError
        Key ``data.preference_order.<name>`` when it names no attribute (with a close
        match when there is one).
    """
    spec = study.spec
    given = spec.data.preference_order if spec.data is not None else {}
    if given:
        out = {}
        known = {a.name: a for a in study.attributes}
        for name, direction in given.items():
            if name not in known:
                hint = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
                raise ConfigError(f"{name!r} is not an attribute" + (
                    f"; did you mean {hint[0]!r}?" if hint else
                    f"; attributes: {', '.join(known)}"),
                    file=study.display_name, line=study.line("data", "preference_order", name),
                    key=f"data.preference_order.{name}")
            a = known[name]
            sign = 1.0 if direction == "increasing" else -1.0
            if a.levels is None:
                out[name] = sign
            elif a.is_linear:
                out[name] = {k: sign * float(k) for k in a.level_keys}
            else:
                out[name] = {k: sign * i for i, k in enumerate(a.level_keys)}
        return out, "data.preference_order"
    if spec.design is not None and spec.design.priors and study.attributes and \
            all(a.levels is not None for a in study.attributes):
        from dce.design.constraints import partworths
        from dce.design.priors import design_terms, prior_moments

        terms = design_terms(study)
        mean, _ = prior_moments(study, terms)
        pw = partworths(study.attributes, terms, mean)
        out = {a.name: dict(zip(a.level_keys, map(float, w), strict=True))
               for a, w in zip(study.attributes, pw, strict=True) if w is not None}
        if out:
            return out, "design.priors"
    return None, None


def has_marks(table: pd.DataFrame) -> bool:
    """True when the table marks its validity tasks (a ``task_type`` column).

    Parameters
    ----------
    table : DataFrame
        A design table or long responses.

    Returns
    -------
    bool
    """
    return TASK_TYPE in table.columns


def choice_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the choice tasks (every row when the table has no marks).

    Parameters
    ----------
    table : DataFrame (rows, columns)
        A design table or long responses, optionally with ``task_type``.

    Returns
    -------
    DataFrame
        The rows whose ``task_type`` is ``choice``, without the mark columns, with a fresh
        index; the table itself when it has no marks.
    """
    if not has_marks(table):
        return table
    keep = table[TASK_TYPE].to_numpy() == "choice"
    return table.loc[keep].drop(columns=MARK_COLUMNS).reset_index(drop=True)


def requested(study) -> bool:
    """True when the config asks for dominance or repeated tasks.

    Parameters
    ----------
    study : Study

    Returns
    -------
    bool
    """
    d = study.spec.design
    return d is not None and (d.dominance_tasks > 0 or d.repeat_tasks > 0)


def fielded_by_dce(design_spec) -> bool:
    """True when the fielded tasks include validity tasks or a randomised order made by
    dce, which reading the responses needs (marks, positions shown), so the design is
    built even for long data with attribute columns.

    Parameters
    ----------
    design_spec : DesignSpec or None
        The config's ``design:`` section.

    Returns
    -------
    bool
    """
    d = design_spec
    return d is not None and bool(d.dominance_tasks or d.repeat_tasks or
                                  d.randomize is not None)


def add_tasks(design: Design, study) -> Design:
    """The design with the validity tasks the config asks for (the hook of
    :func:`dce.design.build.build`).

    A design that already marks its tasks (a fielded file with ``task_type``) is checked
    and kept; otherwise ``design.dominance_tasks`` dominance tasks and
    ``design.repeat_tasks`` repeats are added to every block (random numbers from the
    ``validity`` stream of the config seed). The diagnostics, computed on the choice tasks,
    gain a ``validity_tasks`` entry.

    Parameters
    ----------
    design : Design
        Choice tasks only, or a marked design read from a file.
    study : Study

    Returns
    -------
    Design
        Unchanged when there is nothing to add or check; else with the mark columns.

    Raises
    ------
    DesignError
        Key ``design.dominance_tasks`` when fewer than :data:`MIN_BETTER` attributes have
        an a priori order, or when no dominance task is found (too few ordered levels
        for the alternatives, or the exclusions); key
        ``design.repeat_tasks`` when a block has fewer choice tasks than repeats.
    """
    if has_marks(design.table):  # checked by the reader (dce.design.build.from_file)
        info = summary(design.table, study)
        return Design(design.table, {**design.diagnostics, "validity_tasks": info},
                      design.source)
    if not requested(study):
        return design
    d = study.spec.design
    table = design.table
    rng = make_rng(study.seed, "validity")
    dom = None
    if d.dominance_tasks:
        dom = dominance_table(study, table, d.dominance_tasks, rng)
    table = _assemble(table, dom, d.repeat_tasks, d.repeat_swap, rng, study)
    return Design(table, {**design.diagnostics, "validity_tasks": summary(table, study)},
                  design.source)


def summary(table: pd.DataFrame, study) -> dict:
    """The ``validity_tasks`` entry of the diagnostics.

    Parameters
    ----------
    table : DataFrame
        A marked design table.
    study : Study

    Returns
    -------
    dict
        Counts per block of each task type, ``repeat_swap``, the source of the dominance
        order and a note that the other diagnostics concern the choice tasks only.
    """
    tasks = table.drop_duplicates(["block", "task"])
    per_block = tasks.groupby("block")[TASK_TYPE].value_counts().unstack(fill_value=0)
    d = study.spec.design
    return {
        "dominance_tasks_per_block": int(per_block.get("dominance", pd.Series([0])).max()),
        "repeat_tasks_per_block": int(per_block.get("repeat", pd.Series([0])).max()),
        "repeat_swap": bool(d.repeat_swap) if d is not None else False,
        "dominance_order": level_order(study)[1],
        "tasks_per_block_fielded": int(tasks.groupby("block").size().max()),
        "note": "D-error, A-error, DB-error, level balance, overlap, correlations, "
                "efficiency and S-estimates are computed on the choice tasks only; the "
                "dominance and repeated tasks are left out of estimation unless "
                "model.include_validity_tasks is on",
    }


# ----- dominance tasks -----------------------------------------------------------------
def _utilities(study) -> list:
    """Per attribute: the a priori utility of each level (array), or None."""
    order, _ = level_order(study)
    out = []
    for a in study.attributes:
        u = (order or {}).get(a.name)
        if isinstance(u, dict) and all(k in u for k in a.level_keys):
            vals = np.array([u[k] for k in a.level_keys], float)
            out.append(vals if np.ptp(vals) > 1e-12 else None)
        else:
            out.append(None)
    return out


def dominance_sets(utilities: list, n_levels: list, n_sets: int, n_alt: int, rng,
                   allowed=None, avoid=()) -> np.ndarray:
    """Random choice sets in which one alternative dominates all others.

    The dominant profile takes, on each ordered attribute, a level that is not the worst;
    each other alternative copies it and takes a strictly worse level on a random subset of
    the ordered attributes: at least half of them, and at least :data:`MIN_BETTER`.
    Unordered attributes share one random level within the set. The dominant alternative's
    position is random.

    Parameters
    ----------
    utilities : list (A,) of ndarray (n_levels,) or None
        A priori utility of each level; None: no order.
    n_levels : list of int (A,)
    n_sets : int
        Sets to draw.
    n_alt : int
        Generic alternatives per set.
    rng : numpy.random.Generator
    allowed : callable, optional
        ``allowed(profiles (J, A)) -> bool array (J,)``: the exclusions.
    avoid : iterable of frozenset
        Sets (frozensets of profile tuples) that must not be drawn again.

    Returns
    -------
    ndarray of int (n_sets, n_alt, A)
        Level indices.

    Raises
    ------
    ValueError
        ``"order"`` when fewer than :data:`MIN_BETTER` attributes are ordered; ``"draws"``
        when no new allowed set is found in :data:`ATTEMPTS` draws.
    """
    ordered = [q for q, u in enumerate(utilities) if u is not None]
    if len(ordered) < MIN_BETTER:
        raise ValueError("order")
    seen = set(avoid)
    out = []
    for _ in range(n_sets):
        for _attempt in range(ATTEMPTS):
            s = _one_dominance_set(utilities, n_levels, ordered, n_alt, rng)
            key = frozenset(map(tuple, s.tolist()))
            if len(key) == n_alt and key not in seen and (allowed is None or allowed(s).all()):
                seen.add(key)
                out.append(s)
                break
        else:
            raise ValueError("draws")
    return np.array(out, dtype=np.int64).reshape(n_sets, n_alt, len(n_levels))


def _one_dominance_set(utilities, n_levels, ordered, n_alt, rng) -> np.ndarray:
    A = len(n_levels)
    best = np.array([rng.integers(n) for n in n_levels])
    for q in ordered:
        u = utilities[q]
        best[q] = rng.choice(np.flatnonzero(u > u.min() + 1e-12))
    s = np.repeat(best[None, :], n_alt, axis=0)
    low = max(MIN_BETTER, (len(ordered) + 1) // 2)  # worse on at least half of them
    for j in range(1, n_alt):
        k = int(rng.integers(low, len(ordered) + 1))
        for q in rng.choice(ordered, size=k, replace=False):
            u = utilities[q]
            s[j, q] = rng.choice(np.flatnonzero(u < u[best[q]] - 1e-12))
    return s[rng.permutation(n_alt)] if A else s


def dominance_table(study, table: pd.DataFrame, per_block: int, rng) -> pd.DataFrame:
    """``per_block`` dominance tasks for every block of ``table``, as design rows.

    Parameters
    ----------
    study : Study
    table : DataFrame
        The choice tasks (``block, task, alternative, <attributes>, is_opt_out``).
    per_block : int
    rng : numpy.random.Generator

    Returns
    -------
    DataFrame
        Design rows (tasks numbered 1.. within each block, to be renumbered).

    Raises
    ------
    DesignError
        Key ``design.dominance_tasks`` (with its config line), as :func:`add_tasks`.
    """
    d = study.spec.design
    attrs = study.attributes
    blocks = np.unique(table["block"].to_numpy())
    generic = table[table["is_opt_out"] == 0]
    n_alt = int(generic.groupby(["block", "task"]).size().max())
    where = dict(file=study.display_name, line=study.line("design", "dominance_tasks"),
                 key="design.dominance_tasks")
    utilities = _utilities(study)
    try:
        sets = dominance_sets(utilities, [a.n_levels for a in attrs], per_block * len(blocks),
                              n_alt, rng,
                              allowed=lambda p: allowed_mask(p, attrs, d.exclude))
    except ValueError as exc:
        if str(exc) == "order":
            named = [a.name for a, u in zip(attrs, utilities, strict=True) if u is not None]
            raise DesignError(
                f"a dominance task needs an a priori order of at least {MIN_BETTER} "
                f"attributes, found {len(named)} ({', '.join(named) or 'none'}); give "
                "data.preference_order (increasing or decreasing per attribute) or non-zero "
                "design.priors", **where) from None
        named = [a.name for a, u in zip(attrs, utilities, strict=True) if u is not None]
        raise DesignError(
            f"found no dominance task with {n_alt} different alternatives in {ATTEMPTS} draws: each other "
            f"alternative must be worse on at least {MIN_BETTER} of the ordered attributes "
            f"({', '.join(named)})" + (" and respect design.exclude" if d.exclude else "")
            + "; order more attributes, or lower design.dominance_tasks", **where) from None
    return design_table(sets, np.repeat(blocks, per_block), attrs, bool(d.opt_out))


# ----- assembling the block -----------------------------------------------------------
def _assemble(table, dom, n_repeat, swap, rng, study) -> pd.DataFrame:
    """Choice tasks, then dominance tasks, then repeats, per block; marked."""
    choice = table.assign(**{TASK_TYPE: "choice", REPEAT_OF: 0})
    parts = [choice]
    last = choice.groupby("block")["task"].max()
    if dom is not None:
        dom = dom.assign(task=dom["task"] + dom["block"].map(last).to_numpy(),
                         **{TASK_TYPE: "dominance", REPEAT_OF: 0})
        parts.append(dom)
        last = pd.concat([last, dom.groupby("block")["task"].max()]).groupby(level=0).max()
    if n_repeat:
        parts.append(_repeats(choice, n_repeat, swap, last, rng, study))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["block", "task", "alternative"], kind="stable").reset_index(
        drop=True)


def _repeats(choice, n_repeat, swap, last, rng, study) -> pd.DataFrame:
    """``n_repeat`` tasks per block drawn from the first half of its choice tasks (all of
    them when the half is too short) that are early enough for each repeat, appended in the
    order of the originals at the end of the block, to follow its original with at least
    :func:`dce.design.randomize.repeat_gap` tasks between them (or the most the block
    allows)."""
    frames = []
    for b, part in choice.groupby("block", sort=True):
        tasks = np.unique(part["task"].to_numpy())
        if len(tasks) < n_repeat:
            raise DesignError(f"block {b} has {len(tasks)} choice tasks, fewer than the "
                              f"{n_repeat} to repeat; lower design.repeat_tasks",
                              file=study.display_name,
                              line=study.line("design", "repeat_tasks"),
                              key="design.repeat_tasks")
        # originals early enough that each repeat follows with repeat_gap tasks between
        # (or the most the block allows: n_fielded - n_repeat - 1), preferably in the first half
        n_fielded = int(last[b]) + n_repeat
        gap = min(repeat_gap(n_fielded), n_fielded - n_repeat - 1)
        early = tasks[tasks <= int(last[b]) - gap]
        half = early[: (len(tasks) + 1) // 2]
        pool = half if len(half) >= n_repeat else (early if len(early) >= n_repeat
                                                     else tasks[:n_repeat])
        originals = np.sort(rng.choice(pool, size=n_repeat, replace=False))
        for i, t in enumerate(originals):
            rows = part[part["task"] == t].copy()
            if swap:
                gen = rows["is_opt_out"].to_numpy() == 0
                n_gen = int(gen.sum())
                alt = rows["alternative"].to_numpy()
                rows["alternative"] = np.where(gen, n_gen + 1 - alt, alt)
            rows["task"] = int(last[b]) + i + 1
            rows[TASK_TYPE] = "repeat"
            rows[REPEAT_OF] = int(t)
            frames.append(rows)
    return pd.concat(frames, ignore_index=True)


# ----- marks read from a file ---------------------------------------------------------
def check_marks(table: pd.DataFrame, shown: str) -> None:
    """Check the ``task_type`` and ``repeat_of`` columns of a fielded design.

    Parameters
    ----------
    table : DataFrame
        The design table as read (text cells, in file order); the mark columns are
        converted in place (``repeat_of`` to int).
    shown : str
        The file name in messages.

    Raises
    ------
    DataError
        Located at the file and row line, naming the column: a ``task_type`` other than
        choice, dominance or repeat; a task whose rows disagree on it; a ``repeat_of`` that
        is not a whole number, or is not 0 outside repeats; a repeat whose ``repeat_of``
        is not a choice task of the same block, or offers other profiles than its
        original. At most five problems per kind.
    """
    problems = []
    kinds = table[TASK_TYPE].astype(str).str.strip()
    bad = np.flatnonzero(~kinds.isin(TASK_TYPES).to_numpy())
    for r in bad[:5]:
        problems.append(Problem(f"expected one of {', '.join(TASK_TYPES)}, found "
                                f"{table[TASK_TYPE].iloc[r]!r}", f"{shown}:{r + 2}", None,
                                TASK_TYPE))
    mixed = kinds.groupby([table["block"], table["task"]]).transform("nunique").to_numpy() > 1
    for r in np.flatnonzero(mixed)[:5]:
        problems.append(Problem("the rows of one task disagree on task_type",
                                f"{shown}:{r + 2}", None, TASK_TYPE))
    rep = pd.to_numeric(table[REPEAT_OF], errors="coerce")
    bad_num = rep.isna() | (rep != rep.round())
    for r in np.flatnonzero(bad_num.to_numpy())[:5]:
        problems.append(Problem(f"expected a task number (0 outside repeats), found "
                                f"{table[REPEAT_OF].iloc[r]!r}", f"{shown}:{r + 2}", None,
                                REPEAT_OF))
    if problems:
        raise DataError(problems)
    table[TASK_TYPE] = kinds.to_numpy()
    table[REPEAT_OF] = rep.astype(np.int64).to_numpy()
    _check_repeats(table, shown, problems)
    if problems:
        raise DataError(problems)


def _check_repeats(table, shown, problems) -> None:
    is_rep = table[TASK_TYPE].to_numpy() == "repeat"
    for r in np.flatnonzero(~is_rep & (table[REPEAT_OF].to_numpy() != 0))[:5]:
        problems.append(Problem("repeat_of must be 0 outside repeated tasks",
                                f"{shown}:{r + 2}", None, REPEAT_OF))
    attrs = [c for c in table.columns
             if c not in ("block", "task", "alternative", "is_opt_out", *MARK_COLUMNS)]
    profiles = table[attrs].astype(str).agg("|".join, axis=1)
    sets = profiles.groupby([table["block"], table["task"]]).agg(lambda s: tuple(sorted(s)))
    kinds = table.groupby(["block", "task"])[TASK_TYPE].first()
    first_rows = ~table.duplicated(["block", "task"]).to_numpy()
    for r in np.flatnonzero(is_rep & first_rows)[:5]:
        b, t, o = (int(table[c].iloc[r]) for c in ("block", "task", REPEAT_OF))
        if kinds.get((b, o)) != "choice":
            problems.append(Problem(f"task {t} repeats task {o}, which is not a choice task "
                                    f"of block {b}", f"{shown}:{r + 2}", None, REPEAT_OF))
        elif sets[(b, o)] != sets[(b, t)]:
            problems.append(Problem(f"task {t} offers other profiles than task {o}, which "
                                    "it repeats", f"{shown}:{r + 2}", None, REPEAT_OF))
