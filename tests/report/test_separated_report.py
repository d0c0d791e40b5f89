"""The report with separated fits (issue 14, user trial): a group whose fit is separated
(``model.on_separation: warn``, every row of it marked ``separated`` in importance.csv and
tradeoffs.csv) has no ranking in the key findings or the importance table, no trade-off
cells or sentences, and is named once as left out of the group comparison; and the
warnings' names are relabelled only where they are exact names in a list.

The tables are written by hand here (small, as read back from the run folder).
"""

from __future__ import annotations

import pandas as pd

from dce.report import compare_text, context, text
from dce.report.labels import Labels

ITEMS_CFG = {"name": "t", "type": "ranking",
             "items": {"a": {"label": "Alpha"}, "b": {"label": "Bravo"},
                       "c": {"label": "Charlie"}, "time": {"label": "Waiting time"}}}


def importance(separated: dict) -> pd.DataFrame:
    rows = []
    for g, sep in separated.items():
        for rank, (item, share) in enumerate([("a", 0.4), ("b", 0.3), ("c", 0.2),
                                              ("time", 0.1)], start=1):
            rows.append({"group": g, "attribute": item, "importance": share,
                         "ci_lower": share - 0.05, "ci_upper": share + 0.05, "rank": rank,
                         "rank_ci_lower": rank, "rank_ci_upper": rank, "separated": sep})
    return pd.DataFrame(rows)


def test_key_findings_give_no_ranking_of_a_separated_group():
    imp = importance({"x": True, "y": False, "z": False, "all": False})
    labels = Labels(ITEMS_CFG, ["x", "y", "z", "all"])
    lines = text.headline(imp, labels)
    x = [s for s in lines if s.startswith("X:")]
    assert x == ["X: the ranking of the items is not estimable, because the data of this "
                 "group are separated (the likelihood has no maximum; see Warnings)."]
    assert any(s.startswith("Y: alpha (40.0%)") for s in lines)
    # the groups not separated share their top two; x takes no part in that sentence
    assert lines[0].startswith("Every group puts the same two items first")


def test_importance_cells_of_a_separated_group_say_not_estimable():
    imp = importance({"x": True, "y": False})
    rows = text.ranking_matrix(imp, Labels(ITEMS_CFG, ["x", "y"]), ["x", "y"])
    for row in rows:
        x, y = row["cells"]
        assert x["text"] == "not estimable: separated" and x["rank"] is None
        assert "%" in y["text"] and y["rank"] is not None


def test_a_run_without_separation_is_unchanged():
    imp = importance({"x": False, "y": False}).drop(columns="separated")
    labels = Labels(ITEMS_CFG, ["x", "y"])
    assert text.separated_groups(imp) == []
    assert all("%" in c["text"] for r in text.ranking_matrix(imp, labels, ["x", "y"])
               for c in r["cells"])
    assert compare_text.left_out_sentence([], ["x", "y"], labels) == ""


def test_left_out_sentence_names_the_groups_and_why():
    labels = Labels(ITEMS_CFG, ["x", "y", "z", "all"])
    one = compare_text.left_out_sentence(["x", "all"], ["x", "y", "z", "all"], labels)
    assert one.startswith("X is left out of the group comparison because its data are "
                          "separated")
    two = compare_text.left_out_sentence(["x", "y"], ["x", "y", "z", "all"], labels)
    assert two.startswith("X and Y are left out") and "their data are separated" in two
    # the pooled model alone, or a run without groups: nothing is left out of anything
    assert compare_text.left_out_sentence(["all"], ["x", "y", "all"], labels) == ""
    assert compare_text.left_out_sentence(["all"], ["all"], labels) == ""


def test_tradeoffs_of_a_separated_group_are_not_shown_or_said():
    cfg = {"name": "t", "attributes": {"q": {"levels": ["n", "s"]},
                                       "w": {"levels": [1, 4, 12], "coding": "linear"}}}
    trade = pd.DataFrame({"group": ["x", "y"], "term": ["q[s]", "q[s]"],
                          "denominator": ["w", "w"], "estimate": [561.7, 7.9],
                          "ci_lower": [240.0, 2.7], "ci_upper": [2780.0, 17.0],
                          "outside_tested_range": ["true", "true"],
                          "separated": ["true", "false"]})
    labels = Labels(cfg, ["x", "y"])
    table = text.tradeoff_table(trade, labels, ["x", "y"], cfg)
    assert table["rows"][0]["cells"][0] == "not estimable: separated"
    assert "1 of 1 values" in table["note"]
    said = " ".join(text.tradeoff_sentences(trade, labels, 0.95))
    assert "561.7" not in said and "For Y," in said


def test_readable_relabels_every_name_of_a_list_and_nothing_else():
    labels = Labels(ITEMS_CFG, ["x"])
    w = ("group x: the likelihood has no maximum (the data are separated): c always ranked "
         "last. The estimates of a, b, time (marked separated = true in estimates.csv) are "
         "not finite in truth")
    out = context.readable(w, labels, None)
    assert "X: the likelihood" in out
    assert ": charlie always ranked last." in out
    assert "The estimates of alpha, bravo, waiting time (marked" in out
    # an item named like a common word is left alone outside such a list
    w2 = "bootstrap: 3 of 200 replicates failed; time ran out for a few of them"
    assert context.readable(w2, labels, None) == w2


def test_readable_keeps_a_term_with_a_comma_whole():
    cfg = {"name": "t", "attributes": {"quality": {"label": "Quality",
                                                   "levels": ["none", "Trained, checked"]},
                                       "waiting": {"label": "Waiting time",
                                                   "levels": [1, 12], "coding": "linear"}}}
    labels = Labels(cfg, ["all"])
    est = pd.DataFrame({"term": ["quality[Trained, checked]", "waiting"]})
    w = ("group all: the values of quality[Trained, checked] (estimate or interval) reach "
         "beyond the tested range of waiting (a span of 11); they are extrapolations")
    out = context.readable(w, labels, est)
    assert "the values of Quality: Trained, checked (estimate" in out
    assert "tested range of waiting time (a span" in out


def test_fit_table_gives_no_fit_statistics_without_a_maximum():
    """A separated (not converged) group's log-likelihood approaches 0: its rho-squared,
    AIC and BIC are shown as n/a, not as a perfect fit (second user trial of issue 14)."""
    import pandas as pd

    from dce.report.context import _fit
    from dce.report.labels import Labels

    models = pd.DataFrame({"group": ["staff", "users"], "n_respondents": [40, 40],
                           "n_choice_sets": [240, 240], "n_parameters": [4, 4],
                           "log_likelihood": [2.7e-12, -200.0],
                           "null_log_likelihood": [-263.7, -263.7], "aic": [8.0, 408.0],
                           "bic": [22.0, 422.0], "converged": ["false", "true"],
                           "se_type": ["cluster", "cluster"]})
    rows = {r["group"]: r for r in _fit(models, Labels({}))}
    assert (rows["Staff"]["rho2"], rows["Staff"]["aic"], rows["Staff"]["bic"]) == \
        ("n/a", "n/a", "n/a")
    assert rows["Users"]["rho2"] == "0.242" and rows["Users"]["converged"] == "yes"


def test_a_top_trade_off_whose_interval_includes_zero_is_not_called_most_valued():
    """Second user trial of issue 14: "the most valued change ... worth 0.1 GBP (95%
    interval -9.5 to 9.6)" claimed more than the interval shows."""
    import pandas as pd

    from dce.report.labels import Labels
    from dce.report.text import tradeoff_sentences

    trade = pd.DataFrame({"group": ["carers", "carers", "staff"],
                          "term": ["run[peer]", "run[charity]", "run[peer]"],
                          "denominator": ["cost"] * 3, "estimate": [0.1, 0.05, 4.0],
                          "ci_lower": [-9.5, -3.0, 1.0], "ci_upper": [9.6, 3.1, 7.0],
                          "outside_tested_range": ["false"] * 3})
    carers, staff = tradeoff_sentences(trade, Labels({}), 0.95)
    assert "most valued" not in carers and "includes zero" in carers
    assert "most valued change" in staff and "1.0 to 7.0" in staff
