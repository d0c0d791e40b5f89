"""Data-quality checks (dce.data.quality) on small hand-made response tables, and the
``data: {exclude_failed_checks: true}`` refit end to end."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from dce.cli import main
from dce.config.study import load_config
from dce.core.attributes import Attribute
from dce.data import quality
from dce.errors import ConfigError
from tests.conftest import SMALL, write_config

ATTRS = (Attribute("q", "Quality", "effects", ("Low", "Mid", "High")),
         Attribute("s", "Similar", "effects", ("No", "Yes")),
         Attribute("w", "Wait", "linear", (1, 4, 12)))
ORDER = {"q": {"Low": 0, "Mid": 1, "High": 2}, "w": -1.0}


def responses(tasks: dict, opt_out: bool = False) -> pd.DataFrame:
    """``tasks``: respondent -> list of (profiles, chosen) with chosen a 1-based alternative
    (len(profiles) + 1 is the opt-out when ``opt_out``)."""
    rows = []
    for rid, items in tasks.items():
        group = "g1" if rid < 100 else "g2"
        for t, (profiles, chosen) in enumerate(items, start=1):
            for j, (q, s, w) in enumerate(profiles, start=1):
                rows.append({"respondent": rid, "group": group, "block": 1, "task": t,
                             "alternative": j, "chosen": int(chosen == j), "q": q, "s": s,
                             "w": w, "is_opt_out": 0})
            if opt_out:
                j = len(profiles) + 1
                rows.append({"respondent": rid, "group": group, "block": 1, "task": t,
                             "alternative": j, "chosen": int(chosen == j), "q": "", "s": "",
                             "w": "", "is_opt_out": 1})
    return pd.DataFrame(rows)


A, B, C, D = ("Low", "No", 1), ("High", "Yes", 12), ("Mid", "No", 4), ("Mid", "Yes", 1)


def row(table, rid):
    return table.set_index("respondent").loc[rid]


def test_same_position_needs_enough_tasks():
    sets = [(A, B), (B, C), (C, D), (D, A)]
    t = quality.check(responses({1: [(p, 1) for p in sets],            # always the first
                                 2: [(p, 1) for p in sets[:3]],        # only 3 tasks
                                 3: [(p, 1 + i % 2) for i, p in enumerate(sets)]}), ATTRS)
    assert row(t, 1)["same_position"] and row(t, 1)["failed"]
    assert not row(t, 2)["same_position"]
    assert not row(t, 3)["same_position"] and not row(t, 3)["failed"]


def test_always_opt_out_is_flagged_not_failed():
    sets = [(A, B), (B, C), (C, D), (D, A)]
    t = quality.check(responses({1: [(p, 3) for p in sets]}, opt_out=True), ATTRS)
    assert row(t, 1)["always_opt_out"]
    assert not row(t, 1)["same_position"] and not row(t, 1)["failed"]


def test_never_traded_follows_the_better_level():
    # 's' differs in every task; respondent 1 always takes 'Yes', whatever else
    yes_first = [(("Low", "Yes", 12), ("High", "No", 1)), (("Mid", "Yes", 4), ("Low", "No", 1)),
                 (("High", "Yes", 12), ("Mid", "No", 1)), (("Low", "Yes", 1), ("Mid", "No", 4)),
                 (("Mid", "Yes", 12), ("High", "No", 4)), (("High", "Yes", 4), ("Low", "No", 1))]
    # 'Yes' alternates between the first and second position
    swapped = [(p if i % 2 else p[::-1]) for i, p in enumerate(yes_first)]
    picks_yes = [(p, 1 if i % 2 else 2) for i, p in enumerate(swapped)]
    mixed = [(p, 1 + (i % 3 == 0)) for i, p in enumerate(yes_first)]
    t = quality.check(responses({1: picks_yes, 2: mixed, 3: mixed,
                                 4: picks_yes[:5]}), ATTRS)
    assert row(t, 1)["never_traded"] == "s"
    assert row(t, 2)["never_traded"] == ""
    assert row(t, 4)["never_traded"] == ""  # 5 informative tasks are not enough
    assert not row(t, 1)["failed"]  # a strong preference is not a failure


def test_dominance_needs_an_order_and_two_better_attributes():
    better2 = (("High", "No", 1), ("Low", "No", 4))   # alt 1 better on q and w
    better1 = (("High", "No", 4), ("Low", "No", 4))   # alt 1 better on q only
    unknown = (("High", "No", 1), ("Low", "Yes", 4))  # differs on s: no known order
    t = quality.check(responses({1: [(better2, 2), (better1, 2), (unknown, 2)],
                                 2: [(better2, 1), (better1, 2), (unknown, 2)]}), ATTRS, ORDER)
    assert row(t, 1)["dominated_tasks"] == 1 and row(t, 1)["chose_dominated"]
    assert row(t, 2)["dominated_tasks"] == 1 and not row(t, 2)["chose_dominated"]
    assert row(t, 1)["failed"] and not row(t, 2)["failed"]
    # without an a priori order no task is a dominance task
    t0 = quality.check(responses({1: [(better2, 2)]}), ATTRS)
    assert row(t0, 1)["dominated_tasks"] == 0 and not row(t0, 1)["failed"]


def test_repeated_task_in_any_order():
    t = quality.check(responses({1: [((A, B), 1), ((C, D), 1), ((B, A), 2)],    # same: A
                                 2: [((A, B), 1), ((C, D), 1), ((B, A), 1)]}),  # A, then B
                      ATTRS)
    assert row(t, 1)["repeated_tasks"] == 1 and not row(t, 1)["inconsistent_repeat"]
    assert row(t, 2)["repeated_tasks"] == 1 and row(t, 2)["inconsistent_repeat"]
    assert row(t, 2)["failed"]


def test_summary_counts_per_group():
    sets = [(A, B), (B, C), (C, D), (D, A)]
    t = quality.check(responses({1: [(p, 1) for p in sets], 2: [(p, 2) for p in sets[:2]],
                                 101: [(p, 2) for p in sets]}), ATTRS)
    s = quality.summary(t, ATTRS, None, exclude=True)
    assert s["groups"]["g1"]["respondents"] == 2 and s["groups"]["g1"]["failed"] == 1
    assert s["groups"]["g2"]["same_position"] == 1
    assert s["total"]["failed"] == 2 and s["excluded"] == 2
    assert quality.failed_respondents(t) == {1, 101}
    csv = quality.as_csv_frame(t)
    assert set(csv["failed"]) == {"true", "false"}


def test_preference_order_names_attributes(tmp_path):
    path = write_config(tmp_path, SMALL + "data:\n  preference_order: {qualty: increasing}\n")
    with pytest.raises(ConfigError) as err:
        quality.preference_order(load_config(path))
    assert "did you mean 'quality'" in str(err.value)
    assert err.value.problems[0].key == "data.preference_order.qualty"
    path = write_config(tmp_path, SMALL + "data:\n  preference_order: {waiting: decreasing}\n")
    order, source = quality.preference_order(load_config(path))
    assert source == "data.preference_order" and order["waiting"]["12"] < order["waiting"]["1"]


def test_exclude_failed_checks_refits_without_them(tmp_path):
    """Observed data where three respondents always pick the first alternative: with
    exclude_failed_checks the models leave them out and the report shows both."""
    from dce.run.runner import analyse

    sim = analyse(load_config(write_config(tmp_path / "sim", SMALL)), "simulate").responses
    cheats = sorted(sim["respondent"].unique())[:3]
    mask = sim["respondent"].isin(cheats)
    sim.loc[mask, "chosen"] = (sim.loc[mask, "alternative"] == 1).astype(int)
    data = tmp_path / "study" / "choices.csv"
    data.parent.mkdir(parents=True)
    sim.drop(columns=["is_opt_out"]).to_csv(data, index=False)
    head = SMALL.split("simulate:")[0]
    text = head + textwrap.dedent("""
        choices:
          file: choices.csv
          columns: {respondent: respondent, task: task, alternative: alternative,
                    chosen: chosen, block: block, group: group}
        model: {by: group}
        importance: {draws: 200}
        compare: {pairs: all}
        data: {exclude_failed_checks: true}
        """)
    cfg = write_config(tmp_path / "study", text)
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    dq = pd.read_csv(out / "data_quality.csv")
    assert set(dq.loc[dq["failed"], "respondent"]) >= set(cheats)
    n_failed = int(dq["failed"].sum())
    models = pd.read_csv(out / "models.csv").set_index("group")
    full = pd.read_csv(out / "all_respondents" / "models.csv").set_index("group")
    assert full.loc["all", "n_respondents"] == sim["respondent"].nunique()
    assert models.loc["all", "n_respondents"] == full.loc["all", "n_respondents"] - n_failed
    assert (out / "all_respondents" / "importance.csv").is_file()
    html = (out / "report.html").read_text()
    assert 'id="ranking-all-respondents"' in html
    assert f"the {n_failed} respondents who failed a check" in html
