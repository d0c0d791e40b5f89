"""Wide best-worst data are read with column operations (issue 16): the reader gives the
frame and the problems of the former row-by-row reader, and its Python calls follow the
design's sets and the distinct cells, not the rows.

- acceptance: ``dce.data.items.load`` on 1,000 and 100,000 wide rows makes as many calls
  of the package's own functions on both sizes;
- reference: ``old_bw_wide`` below is the former row-by-row implementation, kept verbatim
  as a plain function; on a clean file and on random files mixing every problem (empty,
  unknown and out-of-set items by name, label and position, sets not in the design, the
  same best and worst, repeated rows, unreadable ids; more than the kept few of a kind)
  both give an identical frame or an identical list of problems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dce
from dce.data import items
from dce.data.answers import missing_cells
from dce.data.choices import need_design, read_choices
from dce.data.items import KEYS, _design_sets, _ints, _open, _raise, _where
from dce.design.items import build
from dce.errors import DataError
from tests.callcount import python_calls

ITEMS = "abcdefg"
CONFIG = """schema_version: 1
name: wide_bw
seed: 1
type: best-worst
items:
{items}
design:
  items_per_set: 3
  sets: {sets}
  blocks: {blocks}
  file: design.csv
choices:
  file: choices.csv
  format: wide
{columns}importance:
  draws: 50
"""


# ----- reference: the former row-by-row reader (do not use outside this test) ------------
def old_bw_wide(study, frame, design, display) -> pd.DataFrame:
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
    sets = _design_sets(design)
    picked = {}
    for role, col in (("best", c.best), ("worst", c.worst)):
        cells = frame[col].str.strip()
        cells = cells.where(~missing_cells(cells), "")  # "NA", "." ...: an empty cell
        names = lookup(cells)
        pos = pd.to_numeric(cells, errors="coerce")
        got = []
        for r in range(len(frame)):
            key = (int(ids["block"].iloc[r]), int(ids["task"].iloc[r]))
            shown_items = sets.get(key)
            cell = cells.iloc[r]
            if shown_items is None:      # the set is reported as not in the design
                got.append(None)
                continue
            if cell == "":
                issues.add(col, f"{_where(ids.iloc[r])} has no {role} "
                           "item (empty cell)", r, "empty")
                got.append(None)
                continue
            name = names.iloc[r]
            if not isinstance(name, str) and shown_items is not None and pd.notna(pos.iloc[r]) \
                    and pos.iloc[r] == round(pos.iloc[r]) and 1 <= pos.iloc[r] <= len(shown_items):
                name = shown_items[int(pos.iloc[r]) - 1]
            if not isinstance(name, str):
                issues.add(col, lookup.unknown(cell), r, "item")
                got.append(None)
                continue
            if shown_items is not None and name not in shown_items:
                issues.add(col, f"{_where(ids.iloc[r])}: {role} item {name!r} is not in that "
                           f"set (block {key[0]}, task {key[1]} shows "
                           f"{', '.join(shown_items)})", r, "memb")
            got.append(name)
        picked[role] = got
    for r in range(len(frame)):
        key = (int(ids["block"].iloc[r]), int(ids["task"].iloc[r]))
        if -1 in key or ids["respondent"].iloc[r] == "":
            continue
        if key not in sets:
            issues.add(c.task, f"block {key[0]}, task {key[1]} is not in the design", r, "join")
        b, w = picked["best"][r], picked["worst"][r]
        if b is not None and b == w:
            issues.add(c.worst, f"{_where(ids.iloc[r])}: the worst item {w!r} is also the best; "
                       "the worst item must differ from the best", r, "same")
    dup = ids.duplicated(KEYS).to_numpy()
    for r in np.flatnonzero(dup):
        issues.add(c.task, f"{_where(ids.iloc[r])} has more than one row", r, "dup")
    _raise(issues)
    rows = []
    for r in range(len(frame)):
        key = (int(ids["block"].iloc[r]), int(ids["task"].iloc[r]))
        for j, it in enumerate(sets[key]):
            rows.append((r, ids["respondent"].iloc[r], key[0], key[1], j + 1, it,
                         int(it == picked["best"][r]), int(it == picked["worst"][r])))
    return pd.DataFrame(rows, columns=["row"] + KEYS + ["alternative", "item", "best",
                                                          "worst"]).drop(columns="row")



# ----- files -----------------------------------------------------------------------------
def write_study(folder, wide: pd.DataFrame, blocks: int):
    """A 7-item best-worst study (labels ``Item A``...) with a design of ``blocks`` blocks
    of 7 sets of 3 items (block b shifts the items by b) and the wide file ``wide``."""
    rows = [(b, t, j + 1, ITEMS[(t - 1 + b + 2 * j) % 7]) for b in range(1, blocks + 1)
            for t in range(1, 8) for j in range(3)]
    pd.DataFrame(rows, columns=["block", "task", "alternative", "item"]).to_csv(
        folder / "design.csv", index=False)
    wide.to_csv(folder / "choices.csv", index=False)
    columns = "  columns: {block: block}\n" if "block" in wide else ""
    (folder / "config.yaml").write_text(CONFIG.format(
        items="\n".join(f"  {k}: {{label: Item {k.upper()}}}" for k in ITEMS),
        sets=7 * blocks, blocks=blocks, columns=columns))
    study = dce.load_config(folder / "config.yaml", need_responses=True)
    return study, build(study)


def clean_wide(n_rows: int, blocks: int, seed: int = 0) -> pd.DataFrame:
    """n_rows wide rows (respondents of 7 sets), best and worst as names, labels or
    positions (also ``2.0``), never the same; built with array operations."""
    rng = np.random.default_rng(seed)
    respondent = np.arange(n_rows) // 7 + 1
    task = np.arange(n_rows) % 7 + 1
    block = (respondent - 1) % blocks + 1
    best_pos = rng.integers(1, 4, n_rows)
    worst_pos = (best_pos + rng.integers(0, 2, n_rows)) % 3 + 1
    cells = {}
    for role, pos in (("best", best_pos), ("worst", worst_pos)):
        name = np.array(list(ITEMS))[(task - 1 + block + 2 * (pos - 1)) % 7]
        how = rng.integers(0, 4, n_rows)
        cells[role] = np.where(how == 0, name, np.where(how == 1, np.char.add(
            "Item ", np.char.upper(name)), np.where(how == 2, pos.astype(str),
                                                     np.char.add(pos.astype(str), ".0"))))
    wide = pd.DataFrame({"respondent": respondent, "task": task, **cells})
    if blocks > 1:
        wide.insert(1, "block", block)
    return wide


def outcome(reader, study, design):
    """(frame, None) or (None, problems) of ``reader`` on the study's wide file."""
    frame, display = read_choices(study)
    try:
        return reader(study, frame, design, display), None
    except DataError as exc:
        return None, [(p.message, p.file, p.line, p.key) for p in exc.problems]


@pytest.mark.parametrize("blocks", [1, 2])
def test_clean_file_gives_the_former_frame(tmp_path, blocks):
    study, design = write_study(tmp_path, clean_wide(700, blocks), blocks)
    new, problems = outcome(items._bw_wide, study, design)
    old, _ = outcome(old_bw_wide, study, design)
    assert problems is None and len(new) == 3 * 700
    pd.testing.assert_frame_equal(new, old, check_dtype=True, check_index_type=True)
    assert list(new.dtypes) == list(old.dtypes)
    assert (new.groupby(KEYS)["best"].sum() == 1).all()


POOL = ["a", "b", "g", "Item A", "Item C", "1", "2", "3", "2.0", "1e0", "", "NA", ".",
        "zz", "Item Z", "0", "4", "-1", "1.5", "x1"]


@pytest.mark.parametrize("blocks", [1, 2])
@pytest.mark.parametrize("seed", range(12))
def test_random_problems_are_the_former_ones(tmp_path, blocks, seed):
    """Random cells from POOL (and, on a few rows, bad ids, tasks not in the design and
    repeated rows): the same frame, or the same problems in the same order."""
    rng = np.random.default_rng(seed)
    wide = clean_wide(140, blocks, seed).astype(object)
    n = len(wide)
    for role in ("best", "worst"):
        hit = rng.random(n) < [0.05, 0.3, 0.6][seed % 3]
        wide.loc[hit, role] = rng.choice(POOL, hit.sum())
    for col, bad in (("task", ["9", "x", "", "2.5"]), ("respondent", [""]),
                     *([("block", ["3", "y"])] if blocks > 1 else [])):
        hit = rng.random(n) < 0.03 * (seed % 4)
        wide.loc[hit, col] = rng.choice(bad, hit.sum())
    if seed % 2:
        wide = pd.concat([wide, wide.sample(5, random_state=seed)], ignore_index=True)
    study, design = write_study(tmp_path, wide, blocks)
    new, new_problems = outcome(items._bw_wide, study, design)
    old, old_problems = outcome(old_bw_wide, study, design)
    assert new_problems == old_problems
    if old is not None:
        pd.testing.assert_frame_equal(new, old, check_dtype=True)


@pytest.mark.parametrize("cell, kind", [("", "no best item"), ("zz", "is not an item"),
                                        ("4", "is not an item"), ("g", "is not in that set")])
def test_each_kind_alone_over_the_kept_few(tmp_path, cell, kind):
    """Every row with the same problem: the kept few and the count of the rest agree."""
    wide = clean_wide(70, 1).astype(object)
    wide["best"] = cell
    wide.loc[wide["task"] == 1, "worst"] = "a"
    wide.loc[wide["task"] == 1, "best"] = "a" if cell != "" else cell
    study, design = write_study(tmp_path, wide, 1)
    new, new_problems = outcome(items._bw_wide, study, design)
    old, old_problems = outcome(old_bw_wide, study, design)
    assert new is None and new_problems == old_problems
    assert any(kind in p[0] for p in new_problems)
    assert any("more rows with this problem" in p[0] for p in new_problems)


def test_infinite_position_is_an_unknown_item(tmp_path):
    """``inf`` is not a position (the former reader stopped with OverflowError)."""
    wide = clean_wide(14, 1).astype(object)
    wide.loc[3, "best"] = "inf"
    study, design = write_study(tmp_path, wide, 1)
    _, problems = outcome(items._bw_wide, study, design)
    assert len(problems) == 1 and problems[0][0].startswith("'inf' is not an item")
    assert problems[0][2] == 5 and problems[0][3] == "best"  # row 4 of the data: line 5


# ----- acceptance: calls follow the sets, not the rows -----------------------------------
def test_calls_follow_the_sets_not_the_rows(tmp_path):
    """items.load on 1,000 and 100,000 wide rows: as many calls of the package's functions,
    and far from 100x the calls in all (the former reader made ~100 per row)."""
    seen = []
    for n_rows in (1_001, 100_002):
        folder = tmp_path / f"n{n_rows}"
        folder.mkdir()
        study, design = write_study(folder, clean_wide(n_rows, 2, seed=1), 2)
        (long, summary), own, every = python_calls(items.load, study, design)
        assert len(long) == 3 * n_rows and summary["n_choice_sets"] == n_rows
        seen.append((own, every))
    assert seen[0][0] == seen[1][0], seen
    assert seen[1][1] < 2 * seen[0][1], seen
