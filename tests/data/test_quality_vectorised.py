"""The array-based data-quality checks (dce.data.quality.check) against a plain-Python
oracle: ``_reference_check`` below is the per-set, per-respondent loop that ``check`` used
to be (kept here only, as the reference). Both run on many seeded random response tables
(text, numeric, linear and comma levels, opt-outs, labelled designs with empty cells,
unequal set sizes, marked validity tasks, randomised positions, shuffled rows, a priori
orders given or not) and must give the same frame, dtypes included (data_quality.csv is
written from it). A second test counts the calls of the per-value helper ``level_key``:
they follow the number of distinct cells, not the number of rows."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import dce.core.attributes as attributes_module
from dce.core.attributes import Attribute, level_key
from dce.data import quality, quality_arrays
from tests.callcount import python_calls

# ----- the reference: the former Python loop, unchanged but for its names --------------
_MIN_TASKS, _MIN_INFORMATIVE, _MIN_BETTER = 4, 6, 2
_COLUMNS = ["respondent", "group", "tasks", "same_position", "always_opt_out",
            "never_traded", "dominated_tasks", "chose_dominated", "repeated_tasks",
            "inconsistent_repeat", "failed"]


def _reference_check(responses: pd.DataFrame, attributes, order=None) -> pd.DataFrame:
    """Plain-Python oracle: one pass over the sets, tallies per respondent."""
    order = order or {}
    df = responses.reset_index(drop=True)
    names = [a.name for a in attributes]
    set_id = df.groupby(["respondent", "block", "task"], sort=False).ngroup().to_numpy()
    rows = np.argsort(set_id, kind="stable")
    set_id = set_id[rows]
    is_opt = df["is_opt_out"].to_numpy()[rows].astype(bool) if "is_opt_out" in df else \
        np.zeros(len(rows), bool)
    chosen = df["chosen"].to_numpy()[rows].astype(int)
    alt = df["shown_alternative" if "shown_alternative" in df else "alternative"].to_numpy()[rows]
    kind, rep_key = _ref_marks(df, rows)
    marked = kind is not None
    resp = df["respondent"].to_numpy()[rows]
    codes, utilities = [], []
    for a in attributes:
        c, u = _ref_codes(df[a.name].to_numpy()[rows], order.get(a.name))
        codes.append(c)
        utilities.append(u)
    profiles = list(zip(*codes, strict=True)) if codes else [()] * len(rows)
    starts = np.flatnonzero(np.r_[True, set_id[1:] != set_id[:-1]])
    ends = np.r_[starts[1:], len(rows)]

    per: dict = {}
    dom_cache: dict = {}
    pair_n = [{} for _ in names]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        r = per.setdefault(resp[s], _RefRespondent(len(names)))
        generic = [i for i in range(s, e) if not is_opt[i]]
        picked = [i for i in range(s, e) if chosen[i] == 1]
        if not picked:
            continue
        c = picked[0]
        r.tasks += 1
        r.alts.add(None if is_opt[c] else int(alt[c]))
        profs = tuple(profiles[i] for i in generic)
        key = rep_key[s] if marked else (tuple(sorted(profs)), bool(is_opt[s:e].any()))
        r.repeats.setdefault(key, []).append(None if is_opt[c] else profiles[c])
        if not marked or kind[s] == "dominance":
            if profs not in dom_cache:
                dom_cache[profs] = _ref_dominated(profs, utilities)
            if dom_cache[profs] is not None:
                r.dominated_tasks += 1
                r.chose_dominated |= not is_opt[c] and generic.index(c) in dom_cache[profs]
        if is_opt[c]:
            continue
        pc = profiles[c]
        trade = not marked or kind[s] == "choice"
        for q in range(len(names) if trade else 0):
            others = {p[q] for p in profs} - {pc[q]}
            if others:
                r.informative[q] += 1
                r.edges[q].update((pc[q], o) for o in others)
                for o in others:
                    pair_n[q][(pc[q], o)] = pair_n[q].get((pc[q], o), 0) + 1
    return pd.DataFrame(_ref_rows(df, per, names, utilities, pair_n), columns=_COLUMNS)


def _ref_marks(df, rows) -> tuple:
    if "task_type" not in df:
        return None, None
    kind = df["task_type"].to_numpy()[rows]
    task = np.where(kind == "repeat", df["repeat_of"].to_numpy()[rows],
                    df["task"].to_numpy()[rows]).astype(np.int64)
    return kind, list(zip(df["block"].to_numpy()[rows].tolist(), task.tolist(), strict=True))


def _ref_rows(df, per: dict, names, utilities, pair_n) -> list[dict]:
    groups = df.groupby("respondent", sort=False)["group"].first() if "group" in df else None
    better = [_ref_preferred(u, n) for u, n in zip(utilities, pair_n, strict=True)]
    out = []
    for rid in pd.unique(df["respondent"]):
        r = per.get(rid, _RefRespondent(len(names)))
        same = r.tasks >= _MIN_TASKS and len(r.alts) == 1 and None not in r.alts
        traded = [n for q, n in enumerate(names)
                  if r.informative[q] >= _MIN_INFORMATIVE and bool(r.edges[q])
                  and r.edges[q] <= better[q]]
        n_rep = sum(len(v) - 1 for v in r.repeats.values())
        bad_rep = any(len(set(v)) > 1 for v in r.repeats.values())
        row = {"respondent": rid, "group": groups[rid] if groups is not None else "all",
               "tasks": r.tasks, "same_position": bool(same),
               "always_opt_out": bool(r.tasks >= 2 and r.alts == {None}),
               "never_traded": ";".join(traded), "dominated_tasks": r.dominated_tasks,
               "chose_dominated": r.chose_dominated, "repeated_tasks": n_rep,
               "inconsistent_repeat": bool(bad_rep)}
        row["failed"] = bool(row["same_position"] or row["chose_dominated"] or bad_rep)
        out.append(row)
    return out


class _RefRespondent:
    def __init__(self, n_attributes: int):
        self.tasks = 0
        self.alts: set = set()
        self.informative = [0] * n_attributes
        self.edges = [set() for _ in range(n_attributes)]
        self.dominated_tasks = 0
        self.chose_dominated = False
        self.repeats: dict = {}


def _ref_codes(values, order) -> tuple[list, dict | None]:
    uniques, inverse = np.unique(np.asarray(values, dtype=object).astype(str),
                                 return_inverse=True)
    keys = [level_key(u) if u not in ("", "nan", "None") else "" for u in uniques]
    cells = [keys[i] for i in inverse]
    if order is None:
        return cells, None
    if isinstance(order, dict):
        return cells, {k: float(v) for k, v in order.items()}
    util = {}
    for k in set(keys) - {""}:
        try:
            util[k] = float(order) * float(k)
        except ValueError:
            return cells, None
    return cells, util


def _ref_dominated(profs: tuple, utilities: list) -> set | None:
    out = set()
    for j, pj in enumerate(profs):
        for k, pk in enumerate(profs):
            if j == k or j in out:
                continue
            better, ok = 0, True
            for q, u in enumerate(utilities):
                if pj[q] == pk[q]:
                    continue
                if u is None or pj[q] not in u or pk[q] not in u or \
                        u[pk[q]] < u[pj[q]] - 1e-12:
                    ok = False
                    break
                if u[pk[q]] > u[pj[q]] + 1e-12:
                    better += 1
            if ok and better >= _MIN_BETTER:
                out.add(j)
    return out or None


def _ref_preferred(utility: dict | None, pair_n: dict) -> set:
    if utility is not None:
        return {(a, b) for a in utility for b in utility if utility[a] > utility[b] + 1e-12}
    return {(a, b) for (a, b), n in pair_n.items() if n > pair_n.get((b, a), 0)}


# ----- random response tables -----------------------------------------------------------
# level sets and how their cells may be written (each writing has the same level_key)
LEVELS = {
    "text": (["Low", "Mid", "High"], lambda v, rng: v if rng.random() < .8 else f" {v} "),
    "comma": (["1,000", "2,000", "500"], lambda v, rng: v),
    "yesno": (["No", "Yes"], lambda v, rng: v),
    "int": ([1, 4, 12], lambda v, rng: v),
    "intstr": ([1, 4, 12], lambda v, rng: [v, f"{v}.0", str(v), float(v)][rng.integers(4)]),
    "float": ([0.5, 2.5, 10.0, 7.25], lambda v, rng: v),
    "many": (list(range(0, 60, 3)), lambda v, rng: v),
    "fine": ([round(i * 0.37, 2) for i in range(150)], lambda v, rng: v),  # near-continuous
}


def make_attribute(rng, q: int, n_alts: int):
    kind = list(LEVELS)[rng.integers(len(LEVELS))]
    levels, write = LEVELS[kind]
    numeric = kind in ("int", "intstr", "float", "many", "fine")
    coding = "linear" if numeric and rng.random() < .7 else "effects"
    alternatives = None
    if n_alts > 1 and rng.random() < .25:  # labelled: absent from some alternatives
        alternatives = tuple(sorted(rng.choice(np.arange(1, n_alts + 1),
                                               size=rng.integers(1, n_alts), replace=False)))
    attr = Attribute(f"a{q}", f"A{q}", coding, tuple(levels), alternatives=alternatives)
    u = rng.random()
    if u < .3:
        order = None
    elif u < .55 and numeric:
        order = float(rng.choice([-1.0, 1.0]))
    elif u < .6:
        order = -1.0  # a slope on text levels: no usable order
    else:  # a priori utilities by level key, sometimes with ties or a level missing
        vals = rng.permutation(len(levels)).astype(float)
        if rng.random() < .3:
            vals[rng.integers(len(vals))] = vals[0]
        order = {level_key(v): x for v, x in zip(levels, vals, strict=True)}
        if rng.random() < .2:
            order.pop(level_key(levels[-1]))
    return attr, levels, write, order


def utility_of(order, value) -> float:
    if order is None:
        return 0.0
    if isinstance(order, dict):
        return order.get(level_key(value), 0.0)
    try:
        return order * float(level_key(value))
    except ValueError:
        return 0.0


def simulate(seed: int) -> tuple[pd.DataFrame, list, dict]:
    """One random long response table, its attributes and an a priori order."""
    rng = np.random.default_rng(seed)
    max_alts = int(rng.integers(1, 5))
    specs = [make_attribute(rng, q, max_alts) for q in range(int(rng.integers(1, 5)))]
    attrs = [s[0] for s in specs]
    order = {a.name: s[3] for a, s in zip(attrs, specs, strict=True) if s[3] is not None}
    opt_out = rng.random() < .5
    marked = rng.random() < .3
    shown = rng.random() < .3
    unequal = rng.random() < .4
    id_text = rng.random() < .3
    rows = []
    for r in range(int(rng.integers(1, 14))):
        style = rng.choice(["random", "first", "opt", "lex", "utility"])
        lex = int(rng.integers(len(specs)))
        block = int(rng.integers(1, 3))
        seen: list = []
        for t in range(1, int(rng.integers(1, 12)) + 1):
            n = int(rng.integers(1, max_alts + 1)) if unequal else max_alts
            kind, rep_of = "choice", np.nan
            profiles = [[s[1][rng.integers(len(s[1]))] for s in specs] for _ in range(n)]
            if seen and rng.random() < (.4 if marked else .25):  # the same set again
                old_t, old = seen[rng.integers(len(seen))]
                profiles = [old[i] for i in rng.permutation(len(old))]
                n = len(profiles)
                if marked:
                    kind, rep_of = "repeat", old_t
            elif marked and rng.random() < .2:
                kind = "dominance"
            seen.append((t, profiles))
            shown_pos = rng.permutation(n) + 1 if shown else np.arange(1, n + 1)
            util = np.array([sum(utility_of(s[3], v) for s, v in zip(specs, p, strict=True))
                             for p in profiles])
            if style == "first":
                pick = int(np.argmin(shown_pos))
            elif style == "opt" and opt_out:
                pick = n
            elif style == "lex":
                lexu = [utility_of(specs[lex][3], p[lex]) + rng.random() * 1e-3 for p in profiles]
                pick = int(np.argmax(lexu))
            elif style == "utility":
                pick = int(np.argmax(util + rng.gumbel(size=n) * .3))
            else:
                pick = int(rng.integers(n + opt_out))
            answered = rng.random() > .05
            for j, prof in enumerate(profiles):
                row = {"respondent": f"r{r}" if id_text else r * 7 + 3, "block": block,
                       "task": t, "alternative": j + 1,
                       "chosen": int(answered and (pick == j or rng.random() < .01)),
                       "is_opt_out": 0, "shown_alternative": int(shown_pos[j]),
                       "task_type": kind, "repeat_of": rep_of}
                for (a, _, write, _), v in zip(specs, prof, strict=True):
                    present = a.alternatives is None or j + 1 in a.alternatives
                    row[a.name] = write(v, rng) if present else \
                        [np.nan, "", None][rng.integers(3)]
                rows.append(row)
            if opt_out:
                row = {"respondent": f"r{r}" if id_text else r * 7 + 3, "block": block,
                       "task": t, "alternative": n + 1, "chosen": int(answered and pick == n),
                       "is_opt_out": 1, "shown_alternative": n + 1,
                       "task_type": kind, "repeat_of": rep_of}
                row.update({a.name: [np.nan, ""][rng.integers(2)] for a in attrs})
                rows.append(row)
    df = pd.DataFrame(rows)
    drop = []
    if not shown:
        drop.append("shown_alternative")
    if not marked:
        drop += ["task_type", "repeat_of"]
    if not opt_out and rng.random() < .5:
        drop.append("is_opt_out")
    df = df.drop(columns=drop)
    u = rng.random()
    if u < .3:
        df["group"] = np.where(df["respondent"].astype(str).str[-1].isin(list("13579")),
                               "g1", "g2")
    elif u < .45:
        df["group"] = df["respondent"].astype(str).str.len()
    if rng.random() < .2:
        df["chosen"] = df["chosen"].astype(bool)
    if rng.random() < .3:
        df = df.sample(frac=1.0, random_state=seed)  # rows of a set need not be adjacent
    elif "is_opt_out" in df and rng.random() < .3:  # the opt-out rows last, apart from theirs
        df = df.sort_values("is_opt_out", kind="stable")
    elif rng.random() < .3:
        df.index = df.index + 100
    return df, attrs, order


SEEDS = range(400)


@pytest.fixture(scope="module")
def compared() -> list:
    out = []
    for seed in SEEDS:
        df, attrs, order = simulate(seed)
        ref = _reference_check(df, attrs, order)
        new = quality.check(df, attrs, order)
        out.append((seed, ref, new))
    return out


def test_check_matches_the_reference_loop(compared):
    for seed, ref, new in compared:
        try:
            pd.testing.assert_frame_equal(new, ref)
        except AssertionError as err:
            raise AssertionError(f"seed {seed}: {err}") from err


def test_the_random_tables_exercise_every_check(compared):
    """The comparison means something only if each flag is true somewhere (and false)."""
    ref = pd.concat([r for _, r, _ in compared], ignore_index=True)
    for col in ("same_position", "always_opt_out", "chose_dominated", "inconsistent_repeat",
                "failed"):
        assert 0 < ref[col].sum() < len(ref), col
    assert (ref["never_traded"] != "").sum() > 10
    assert (ref["dominated_tasks"] > 0).sum() > 10
    assert (ref["repeated_tasks"] > 0).sum() > 10


def test_empty_responses():
    """No rows: an empty table with the columns (the loop used to fail on it)."""
    df, attrs, order = simulate(1)
    out = quality.check(df.iloc[:0], attrs, order)
    assert list(out.columns) == quality.COLUMNS and len(out) == 0


# ----- no per-row Python code -----------------------------------------------------------
def big_table(n_sets: int, seed: int = 0) -> tuple[pd.DataFrame, list, dict]:
    """n_sets sets x 3 alternatives x 10 attributes (text and linear levels), 10 sets per
    respondent, built with array operations."""
    rng = np.random.default_rng(seed)
    rows = n_sets * 3
    df = pd.DataFrame({"respondent": np.repeat(np.arange(n_sets // 10), 30),
                       "block": 1, "task": np.tile(np.repeat(np.arange(1, 11), 3), n_sets // 10),
                       "alternative": np.tile([1, 2, 3], n_sets)})
    df["chosen"] = (rng.integers(3, size=n_sets).repeat(3) == df["alternative"] - 1).astype(int)
    attrs, order = [], {}
    for q in range(10):
        if q % 2:
            levels = ("Low", "Mid", "High")
            order[f"a{q}"] = {"Low": 0.0, "Mid": 1.0, "High": 2.0}
            attrs.append(Attribute(f"a{q}", f"A{q}", "effects", levels))
        else:
            levels = (1, 4, 12)
            order[f"a{q}"] = -1.0
            attrs.append(Attribute(f"a{q}", f"A{q}", "linear", levels))
        df[f"a{q}"] = np.array(levels, dtype=object)[rng.integers(3, size=rows)]
        if not q % 2:
            df[f"a{q}"] = df[f"a{q}"].astype(int)
    return df, attrs, order


def counted_level_key(monkeypatch) -> list:
    """Replace level_key wherever a dce module holds it; return the list of calls."""
    calls: list = []
    original = attributes_module.level_key

    def counting(value):
        calls.append(value)
        return original(value)

    for name, module in list(sys.modules.items()):
        if (name == "dce" or name.startswith("dce.")) and \
                getattr(module, "level_key", None) is original:
            monkeypatch.setattr(module, "level_key", counting)
    return calls


def test_level_key_calls_follow_levels_not_rows(monkeypatch):
    """On 1,000 and 100,000 sets the per-value helper runs once per distinct cell (so as
    often on both), and no Python code of the package runs per row, set or respondent."""
    calls = counted_level_key(monkeypatch)
    counts, dce_calls, all_calls = [], [], []
    for n_sets in (1_000, 100_000):
        df, attrs, order = big_table(n_sets)
        calls.clear()
        table, n_dce, n_all = python_calls(quality.check, df, attrs, order)
        assert len(table) == n_sets // 10
        counts.append(len(calls))
        dce_calls.append(n_dce)
        all_calls.append(n_all)
    assert counts[0] == counts[1], counts
    assert 0 < counts[1] <= 10 * 3, counts  # at most once per distinct cell
    assert dce_calls[1] == dce_calls[0], dce_calls
    # pandas may take other code paths on larger arrays, but 100x the rows is not 2x the calls
    assert all_calls[1] < 2 * all_calls[0], all_calls


def test_profile_ids_when_the_level_product_overflows():
    """Nine attributes of 500 levels (500**9 > 2**63): ids still tell profiles apart."""
    rng = np.random.default_rng(3)
    codes = [np.tile(rng.integers(0, 500, size=1000), 2) for _ in range(9)]
    codes[4][5] = codes[4][1005] + 1  # one copy differs on one attribute
    ids = quality_arrays.profile_ids(codes, 2000)
    tuples = pd.Series(list(zip(*(c.tolist() for c in codes), strict=True)))
    np.testing.assert_array_equal(pd.factorize(ids)[0], pd.factorize(tuples)[0])
    assert ids[5] != ids[1005] and ids[6] == ids[1006]
