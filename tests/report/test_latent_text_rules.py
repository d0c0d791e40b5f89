"""Rules of the latent class sentences on hand-made tables (docs/report.md, "Latent class
segments"): a narrow criterion margin is said to be narrow, a segment below 5% of the
respondents is not compared, and differences are stated as shares, not weight."""

from __future__ import annotations

import pandas as pd

from dce.report.labels import Labels
from dce.report.latent_text import segment_differences, selection_sentence

LABELS = Labels({"attributes": {"a": {"levels": ["x", "y"], "label": "Attribute A"},
                                "b": {"levels": ["x", "y"], "label": "Attribute B"}}})


def _selection(caic_2):
    return pd.DataFrame({"classes": [1, 2], "bic": [100.0, 90.0], "caic": [100.0, caic_2],
                         "aic3": [100.0, 80.0], "criterion": "bic",
                         "chosen": ["false", "true"]})


def test_a_narrow_margin_is_called_narrow():
    said = selection_sentence(_selection(99.96))
    assert said.startswith("BIC, CAIC and AIC3 all favour 2 classes (only narrowly: CAIC by 0.04")
    assert "narrowly" not in selection_sentence(_selection(95.0))


def test_the_one_class_bic_is_said_to_count_respondents():
    """With a 1-class row, the sentence explains why its BIC differs from the model-fit
    table's (choice sets as n); without one it says nothing of it."""
    assert "counts choice sets" in selection_sentence(_selection(95.0))
    two_three = _selection(95.0).assign(classes=[2, 3])
    assert "choice sets" not in selection_sentence(two_three)


def _importance(rows):
    return pd.DataFrame(rows, columns=["class", "attribute", "importance", "ci_lower",
                                       "ci_upper"])


def test_separated_shares_are_said_as_shares_and_small_segments_are_left_out():
    imp = _importance([("class1", "a", 0.7, 0.6, 0.8), ("class1", "b", 0.3, 0.2, 0.4),
                       ("class2", "a", 0.2, 0.1, 0.3), ("class2", "b", 0.8, 0.7, 0.9),
                       ("class3", "a", 0.9, 0.85, 0.95), ("class3", "b", 0.1, 0.05, 0.15)])
    out = segment_differences(imp, LABELS, "95%", small={"class3": 0.016})
    assert out[0] == ("Segment 3 holds 1.6% of the respondents, too few to compare with the "
                      "other segments (below 5.0%).")
    assert len(out) == 2 and "segment 3" not in out[1]
    assert "Attribute A (70.0% vs 20.0%) takes a larger share of importance in segment 1" \
        in out[1]
    assert "matters more" not in out[1] and "not a claim of more weight" in out[1]
