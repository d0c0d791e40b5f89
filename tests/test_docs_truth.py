"""The promises in docs/reliability.md and tests/bad_inputs/README.md point at real tests.

docs/reliability.md lists guarantees in tables, each row naming the test that holds dce to
it (a test file, a test function, or cases of the bad-input catalogue). These tests check
that every row names at least one test, that every named file, function and case exists,
and that the catalogue's class table accounts for every case folder exactly once with the
counts it states. The guarantees themselves are checked by the tests the rows name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RELIABILITY = ROOT / "docs" / "reliability.md"
CATALOGUE = ROOT / "tests" / "bad_inputs"
CASE = re.compile(r"^(\d{2,3})_\w+$")


def _tables(text: str) -> list[list[list[str]]]:
    """Markdown tables of ``text``: a list of tables, each a list of body rows of cells."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = {"header": cells, "rows": []}
            elif not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current["rows"].append(cells)
        elif current is not None:
            tables.append(current["rows"])
            current = None
    if current is not None:
        tables.append(current["rows"])
    return tables


def _numbers(spec: str) -> set[int]:
    """Case numbers of a text such as ``01-10, 41, 72`` or ``cases 110-111``."""
    out: set[int] = set()
    for a, b in re.findall(r"(\d{2,3})(?:\s*-\s*(\d{2,3}))?", spec):
        lo, hi = int(a), int(b or a)
        out.update(range(lo, hi + 1))
    return out


def _case_folders() -> dict[int, str]:
    return {int(m.group(1)): p.name for p in CATALOGUE.iterdir()
            if p.is_dir() and (m := CASE.match(p.name))}


def _references(cell: str) -> list[str]:
    """Test references in a cell: backticked ``tests/...`` paths, "bad-input case(s) N"."""
    refs = re.findall(r"`(tests/[^`]+)`", cell)
    refs += [f"case {m}" for m in re.findall(r"bad-input cases? ([\d\-, ]+\d)", cell)]
    return refs


def _rows_with_tests() -> list[tuple[str, list[str]]]:
    """(guarantee, references) of every row of every reliability table; "same" repeats the
    row above's references."""
    out = []
    for table in _tables(RELIABILITY.read_text(encoding="utf-8")):
        previous: list[str] = []
        for cells in table:
            if cells[0].startswith("**"):  # a total line
                continue
            test_cell = cells[-1]
            refs = _references(test_cell)
            if test_cell.startswith("same"):
                refs = previous + refs
            out.append((cells[0], refs))
            previous = refs
    return out


ROWS = _rows_with_tests()


def test_reliability_has_guarantees():
    assert len(ROWS) >= 30


@pytest.mark.parametrize("guarantee,refs", ROWS, ids=[r[0][:50] for r in ROWS])
def test_every_guarantee_names_a_test_that_exists(guarantee, refs):
    assert refs, f"docs/reliability.md: no test named for {guarantee!r}"
    cases = _case_folders()
    for ref in refs:
        if ref.startswith("case "):
            missing = _numbers(ref) - set(cases)
            assert not missing, f"{guarantee!r}: bad-input cases {sorted(missing)} do not exist"
            continue
        path, _, name = ref.partition("::")
        file = ROOT / path
        assert file.exists(), f"{guarantee!r}: {path} does not exist"
        if name:
            pattern = name.replace("*", r"\w*")
            source = file.read_text(encoding="utf-8")
            assert re.search(rf"def {pattern}\(", source), (
                f"{guarantee!r}: {path} has no test {name}")


def _catalogue_classes() -> tuple[int, list[tuple[str, set[int], int]]]:
    text = (CATALOGUE / "README.md").read_text(encoding="utf-8")
    total = int(re.search(r"## Classes of bad input \((\d+) cases\)", text).group(1))
    section = text.split("## Classes of bad input", 1)[1]
    rows = _tables(section)[0]
    return total, [(r[0], _numbers(r[1]), int(r[2])) for r in rows]


def test_catalogue_classes_account_for_every_case_once():
    total, classes = _catalogue_classes()
    cases = set(_case_folders())
    seen: dict[int, str] = {}
    for name, numbers, count in classes:
        assert len(numbers) == count, f"class {name[:40]!r}: lists {len(numbers)} cases, says {count}"
        for n in numbers:
            assert n not in seen, f"case {n} is in two classes"
            seen[n] = name
    assert set(seen) == cases, (f"cases without a class: {sorted(cases - set(seen))}; "
                                f"classes naming no folder: {sorted(set(seen) - cases)}")
    assert total == len(cases)


def test_reliability_counts_the_catalogue():
    total, _ = _catalogue_classes()
    text = RELIABILITY.read_text(encoding="utf-8")
    stated = re.search(r"catalogue of (\d+) cases", text)
    assert stated, "docs/reliability.md should state the size of the bad-input catalogue"
    assert int(stated.group(1)) == total


def test_known_xfail_cases_are_the_marked_ones():
    text = (CATALOGUE / "README.md").read_text(encoding="utf-8")
    listed = set()
    m = re.search(r"Known problems \(`@xfail`\):(.*?)(?:\n\n|$)", text, re.S)
    if m:
        listed = {int(n) for n in re.findall(r"\b(\d{2,3}) \(", m.group(1))}
    marked = {int(CASE.match(p.parent.name).group(1))
              for p in CATALOGUE.glob("*/expected.txt") if "@xfail" in p.read_text()}
    assert listed == marked
