"""Choice cards: every task and level of the design appears on its block's card."""

from __future__ import annotations

from design_refs import make_study

from dce.design import build
from dce.design.cards import html_cards, markdown_cards


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
