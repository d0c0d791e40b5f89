"""The report's sentence on excluding respondents who failed a data-quality check names
each group's own count (a user trial found the total across groups in every group's
sentence), and the total for the pooled model."""

import pandas as pd

from dce.report.labels import Labels
from dce.report.quality_text import exclusion_sentences


def ranks(rows):
    return pd.DataFrame(rows, columns=["group", "attribute", "rank"])


def test_each_group_names_its_own_excluded_count():
    imp = ranks([("used", "cost", 1), ("used", "time", 2), ("staff", "cost", 1),
                 ("staff", "time", 2), ("all", "cost", 2), ("all", "time", 1)])
    imp_all = ranks([("used", "cost", 2), ("used", "time", 1), ("staff", "cost", 1),
                     ("staff", "time", 2), ("all", "cost", 1), ("all", "time", 2)])
    dq = {"excluded": 300, "groups": {"used": {"failed": 217}, "staff": {"failed": 83}}}
    labels = Labels({"attributes": {"cost": {}, "time": {}}}, ["used", "staff", "all"])
    said = exclusion_sentences(imp, imp_all, labels, dq)
    assert len(said) == 3
    assert "the 217 respondents" in said[0] and "moves" in said[0]
    assert "the 83 respondents" in said[1] and "unchanged" in said[1]
    assert "the 300 respondents" in said[2]
    assert not any("300" in s for s in said[:2])


def test_unknown_counts_say_failed_respondents():
    imp = ranks([("all", "cost", 1)])
    labels = Labels({"attributes": {"cost": {}}}, ["all"])
    said = exclusion_sentences(imp, imp, labels, None)
    assert said == [f"{labels.group('all')}: excluding failed respondents leaves the "
                    "ranking unchanged."]
