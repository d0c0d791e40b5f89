"""Choice cards: every task and level of the design appears on its block's card; a
labelled design names each alternative by its label, wherever it is shown."""

from __future__ import annotations

import pytest
from design_refs import make_study

from dce.design import build
from dce.design.cards import html_cards, markdown_cards
from dce.design.randomize import fielded_table


def test_cards_show_every_task():
    study = make_study(attributes={"quality": {"label": "Quality <of> care",
                                               "levels": ["low", "high"]},
                                   "wait": {"levels": [1, 4], "coding": "linear"}},
                       alternatives=2, tasks=3, blocks=2, method="random", opt_out="Neither")
    design = build(study)
    md = markdown_cards(design, study)
    pages = html_cards(design, study)
    assert sorted(md) == sorted(pages) == [1, 2]
    for block in (1, 2):
        assert md[block].count("## Task") == 3
        assert md[block].count("| Neither |") == 3
        assert pages[block].count("<section>") == 3
        assert "Quality &lt;of&gt; care" in pages[block]
        assert "<script" not in pages[block]
        rows = design.table[(design.table["block"] == block) & (design.table["is_opt_out"] == 0)]
        for value in rows["quality"]:
            assert f"| {value} " in md[block] or f"| {value} |" in md[block]


LABELLED = {"who": {"levels": ["Volunteer", "Peer"]},
            "travel": {"label": "Travel", "levels": [10, 30], "coding": "linear",
                       "alternatives": ["NHS", "charity"]}}


def _cells(md: str, task: int, row: str) -> list[str]:
    section = md.split(f"## Task {task}\n")[1].split("## Task")[0]
    start = f"| {row} |" if row else "| | "
    line = next(x for x in section.splitlines() if x.startswith(start))
    return [c.strip() for c in line.strip("|").split("|")][1:]


@pytest.mark.parametrize("randomize", [None, {"alternatives": True, "versions": 2}])
def test_labelled_cards_name_each_alternative_by_its_label(randomize):
    extra = {"randomize": randomize} if randomize else {}
    study = make_study(attributes=LABELLED, alternatives=3, tasks=4, method="random",
                       labels=["NHS", "charity", "online"], **extra)
    design = build(study)
    md = markdown_cards(design, study)
    shown = fielded_table(design, study)
    alt = "design_alternative" if randomize else "alternative"
    moved = 0
    for page, text in md.items():
        for t in range(1, 5):
            head = _cells(text, t, "")
            assert sorted(head) == ["NHS", "charity", "online"]
            rows = shown[(shown["block"] == (page if randomize is None else page[0]))
                         & (shown["task"] == t)]
            if randomize:
                rows = rows[rows["version"] == page[1]]
            rows = rows.sort_values("alternative")
            # the label follows its alternative to the position shown
            assert head == [["NHS", "charity", "online"][a - 1] for a in rows[alt]]
            moved += head != ["NHS", "charity", "online"]
            travel = _cells(text, t, "Travel")
            assert [c for c, h in zip(travel, head, strict=True) if h == "online"] == ["–"]
            assert all(c in ("10", "30") for c, h in zip(travel, head, strict=True)
                       if h != "online")
    assert moved > 0 if randomize else moved == 0
    assert "Option" not in "".join(html_cards(design, study).values())
