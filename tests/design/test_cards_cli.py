"""dce cards: one card per task with labels, and a survey table matching the design."""

import pandas as pd

from dce.cli import main
from tests.conftest import SMALL, write_config


def test_cards_and_survey_table(tmp_path):
    text = SMALL.replace("label: Quality", "label: Quality <b>checked</b>")
    cfg = write_config(tmp_path, text)
    out = tmp_path / "cards"
    assert main(["cards", str(cfg), "--output", str(out)]) == 0
    design = pd.read_csv(out / "design.csv")
    survey = pd.read_csv(out / "survey.csv")
    assert len(survey) == len(design) == 2 * 8 * 3  # blocks x tasks x (2 + opt-out)
    assert "Quality <b>checked</b>" in survey.columns
    page = (out / "cards" / "block_1.html").read_text()
    assert page.count("Task ") >= 8
    assert "&lt;b&gt;checked&lt;/b&gt;" in page and "<b>checked</b>" not in page
    assert set(survey.loc[survey["is_opt_out"] == 1, "option"]) == {"Neither"}
