"""Findings of the README-only user trial of 2026-12-01: two columns matching one task of a
prefix, a repeated column name, a ';' file read with ',', `dce simulate` without
`simulate:`, `dce fit` over a run folder with a report, and the unit of a trade-off of an
attribute without a unit in its label."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dce.cli import main
from dce.report.labels import Labels
from tests.data.test_breakoff import _answers
from tests.data.test_breakoff import wide_config as _wide

TINY = Path(__file__).parents[1] / "bad_inputs" / "61_respondent_not_in_table"


def test_two_columns_matching_one_task_stop(tmp_path, capsys):
    """task2 and task_2 both match task 2 of the prefix: reading both gave a mixture."""
    frame = _answers()
    frame["task_2"] = frame["task1"]
    assert main(["fit", str(_wide(tmp_path, frame)), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "answers.csv:1: task2: columns task2 and task_2 both match task 2" in err
    assert main(["fit", str(_wide(tmp_path, _answers())), "--output",
                 str(tmp_path / "o")]) == 0  # without the second column: fine


def _long(tmp_path, text: str, **choices) -> Path:
    for name in ("config.yaml", "respondents.csv"):
        shutil.copy(TINY / name, tmp_path / name)
    (tmp_path / "choices.csv").write_text(text)
    cfg = yaml.safe_load((TINY / "config.yaml").read_text())
    cfg.pop("respondents")
    cfg["model"].pop("by")
    cfg["choices"].update(choices)
    cfg["tradeoffs"] = {"denominator": "price"}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    return tmp_path / "config.yaml"


def test_a_repeated_column_name_stops(tmp_path, capsys):
    """pandas reads the first of two 'price' columns (the second becomes price.1)."""
    text = (TINY / "choices.csv").read_text().splitlines()
    rows = [text[0] + ",price"] + [line + ",9" for line in text[1:]]
    cfg = _long(tmp_path, "\n".join(rows) + "\n")
    assert main(["fit", str(cfg), "--output", str(tmp_path / "o")]) == 2
    assert ("choices.csv:1: price: the column name appears 2 times in the header (columns "
            "6, 7)") in capsys.readouterr().err


def test_a_semicolon_file_read_with_commas_says_so(tmp_path, capsys):
    """Cells holding commas split differently per row: pandas reports a row with too many
    cells, and the message now names the header's own separator."""
    text = (TINY / "choices.csv").read_text().replace(",", ";").replace(
        "red", "red, dark").replace("blue", "blue, a, b")
    cfg = _long(tmp_path, text)
    assert main(["fit", str(cfg), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "the header looks semicolon-separated" in err and "choices.delimiter: ';'" in err
    cfg = _long(tmp_path, text, delimiter=";")  # as the message says: then it reads
    code = main(["fit", str(cfg), "--output", str(tmp_path / "o")])
    assert "header looks" not in capsys.readouterr().err and code == 2  # no level: fine


def test_simulate_without_a_simulate_section_stops(tmp_path, capsys):
    cfg = _long(tmp_path, (TINY / "choices.csv").read_text())
    assert main(["simulate", str(cfg), "--output", str(tmp_path / "s")]) == 2
    assert "`dce simulate` needs a `simulate:` section" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_fit_over_a_run_folder_says_the_report_went(tmp_path, capsys):
    cfg = _long(tmp_path, (TINY / "choices.csv").read_text())
    out = tmp_path / "o"
    assert main(["run", str(cfg), "--output", str(out)]) == 0
    capsys.readouterr()
    assert main(["fit", str(cfg), "--output", str(out)]) == 0
    assert f"`dce report {out}` builds them" in capsys.readouterr().err
    assert not (out / "report.html").exists()
    assert main(["fit", str(cfg), "--output", str(out)]) == 0  # no report before: no note
    assert "dce report" not in capsys.readouterr().err


@pytest.mark.parametrize("label, want", [("Waiting", "units of waiting"),
                                         ("Waiting (weeks)", "weeks of waiting")])
def test_the_unit_of_a_trade_off_is_named_once(label, want):
    labels = Labels({"attributes": {"w": {"label": label, "coding": "linear"}}})
    assert labels.unit_of("w") == want


def test_the_tradeoff_caption_names_the_unit_once(tmp_path):
    cfg = _long(tmp_path, (TINY / "choices.csv").read_text())
    assert main(["run", str(cfg), "--output", str(tmp_path / "o")]) == 0
    md = (tmp_path / "o" / "report.md").read_text()
    assert "units of units" not in md and "of price of price" not in md
    assert pd.read_csv(tmp_path / "o" / "tradeoffs.csv")["denominator"].eq("price").all()


def test_a_text_answer_in_a_prefix_column_suggests_listing_the_tasks(tmp_path, capsys):
    """A later question caught by the prefix (task3 answered 'Female') gets the same hint
    as a numeric answer there."""
    frame = _answers()
    frame["task3"] = "Female"
    assert main(["fit", str(_wide(tmp_path, frame)), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "task3: expected the chosen alternative" in err
    assert "if task3 is not a choice task, list the task columns in choices.columns.tasks" in err


def test_validate_lists_the_groups_it_found(tmp_path, capsys):
    """A group spelt two ways (young / Young) shows as two groups in `dce validate`."""
    for name in ("config.yaml", "choices.csv"):
        shutil.copy(TINY / name, tmp_path / name)
    ids = pd.read_csv(TINY / "choices.csv")["respondent"].astype(str).unique()
    pd.DataFrame({"respondent": ids, "group": ["young" if i % 3 else "Young"
                                               for i in range(len(ids))]}).to_csv(
        tmp_path / "respondents.csv", index=False)
    assert main(["validate", str(tmp_path / "config.yaml")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "read and checked: 6 respondents in 2 groups (Young 2, young 4)" in out


def test_ids_that_restart_in_each_group_are_named_as_the_cause(tmp_path, capsys):
    """Carers numbered from 1 like the patients: besides the duplicated rows, one problem
    says the ids recur across groups."""
    base = pd.read_csv(TINY / "choices.csv")
    both = pd.concat([base.assign(group="patients"), base.assign(group="carers")])
    cfg = _long(tmp_path, both.to_csv(index=False))
    data = yaml.safe_load(cfg.read_text())
    data["choices"]["columns"] = {"group": "group"}
    cfg.write_text(yaml.safe_dump(data))
    assert main(["fit", str(cfg), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "respondent ids appear in more than one group (e.g. '1' in 'patients', 'carers')" \
        in err
    assert "duplicated row" in err


def test_the_api_names_a_repeated_column():
    """dce.clogit on a frame with two 'quality' columns: a DataError (a ValueError) naming
    it, not an AttributeError from pandas (second user trial)."""
    import dce
    from dce.data.examples import example_attributes, load_example

    df = load_example()
    attrs = example_attributes()
    name = next(iter(attrs))
    twice = pd.concat([df, df[[name]]], axis=1)
    with pytest.raises(ValueError, match=f"column '{name}' appears more than once"):
        dce.clogit(twice, attrs)


def _grouped(tmp_path, groups, extra_ids=()) -> Path:
    for name in ("config.yaml", "choices.csv"):
        shutil.copy(TINY / name, tmp_path / name)
    ids = list(pd.read_csv(TINY / "choices.csv")["respondent"].astype(str).unique())
    pd.DataFrame({"respondent": ids + list(extra_ids),
                  "group": [groups(i) for i in range(len(ids) + len(extra_ids))]}).to_csv(
        tmp_path / "respondents.csv", index=False)
    return tmp_path / "config.yaml"


def test_group_names_differing_in_case_and_absent_respondents_are_said(tmp_path, capsys):
    cfg = _grouped(tmp_path, lambda i: "Staff" if i % 3 == 0 else "staff", ["98", "99"])
    assert main(["validate", str(cfg)]) == 0
    err = capsys.readouterr().err
    assert "groups 'Staff' and 'staff' differ only in upper/lower case" in err
    assert "2 respondents of " in err and "respondents.csv have no rows in " in err


def test_cluster_errors_with_too_few_respondents_are_flagged(tmp_path, capsys):
    """Three respondents per group for three parameters: the cluster covariance has rank
    2 at most; the warning names the group (second user trial)."""
    cfg = _grouped(tmp_path, lambda i: "a" if i % 2 else "b")
    assert main(["fit", str(cfg), "--output", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "group a: 3 respondents for 3 parameters: cluster-robust standard errors" in err
    assert "group all:" not in err  # 6 respondents: enough


def test_marked_dominance_tasks_not_dominant_under_the_order_are_not_denied():
    """The design marks dominance tasks but none is dominant under the order given: the
    report no longer says the design has no dominance task (second user trial)."""
    from dce.report.quality_text import quality_notes

    total = {"respondents": 10, "failed": 0, "with_dominated_task": 0,
             "with_repeated_task": 0, "never_traded_by_attribute": {}}
    dq = {"total": total, "groups": {}, "dominance_order": "data.preference_order",
          "validity_tasks": {"marked": True, "in_models": False}}
    text = " ".join(quality_notes(dq, Labels({})))
    assert "The design has no dominance task" not in text
    assert "not dominant under it; check the order (data.preference_order)" in text


def test_the_model_fit_table_says_validity_tasks_are_left_out():
    """The showcase's sample table counts 5,320 sets for a group and the model-fit table
    4,560: the report now says why next to the fit table (second user trial)."""
    md = (Path(__file__).parents[2] / "results" / "peer_support" / "report.md").read_text()
    fit = md.split("## Model fit per group", 1)[1].split("\n## ", 1)[0]
    assert "leave out the validity tasks" in fit


def test_the_api_flags_cluster_errors_with_too_few_respondents():
    """The same warning from dce.clogit (the shared fit), for 3 respondents."""
    import dce
    from dce.data.examples import example_attributes, load_example

    df = load_example()
    few = df[df["respondent"].isin(df["respondent"].unique()[:3])]
    with pytest.warns(UserWarning, match="3 respondents for .* parameters: cluster-robust"):
        dce.clogit(few, example_attributes())


def test_a_delimiter_ending_every_data_row_is_named(tmp_path, capsys):
    """Every body row ends with ',' but the header does not: pandas took the first column
    as the index and every column shifted left (third user trial); now a located error."""
    lines = (TINY / "choices.csv").read_text().splitlines()
    cfg = _long(tmp_path, "\n".join([lines[0]] + [line + "," for line in lines[1:]]) + "\n")
    assert main(["fit", str(cfg), "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "choices.csv:2: malformed CSV: every data row has 7 cells but the header has 6" in err


def test_one_id_written_as_two_numbers_is_said(tmp_path, capsys):
    """Rows of respondent 2 written '002' in half its tasks: two respondents, which the
    fit cannot know is wrong, but a warning names the ids (user trial: the cluster-robust
    errors and the per-respondent checks changed without a word)."""
    doc = yaml.safe_load((TINY / "config.yaml").read_text())
    del doc["respondents"], doc["model"]  # one group, no respondents table
    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump(doc), encoding="utf-8")
    shutil.copy(TINY / "choices.csv", tmp_path / "choices.csv")
    assert main(["validate", str(cfg)]) == 0
    assert "same number written differently" not in capsys.readouterr().err
    rows = pd.read_csv(TINY / "choices.csv", dtype=str, keep_default_na=False)
    half = (rows["respondent"] == "2") & (rows["task"].astype(int) % 2 == 0)
    rows.loc[half, "respondent"] = "002"
    rows.to_csv(tmp_path / "choices.csv", index=False)
    assert main(["validate", str(cfg)]) == 0
    err = capsys.readouterr().err
    assert "respondent ids '2' and '002' are the same number written differently" in err


def test_a_cell_with_two_spaces_is_shown_as_it_is(tmp_path, capsys):
    """The one-line message keeps the spaces inside a quoted cell ('15  to 30') and joins
    only line breaks (user trial: the cell looked identical to a listed level)."""
    from dce.errors import Problem

    assert Problem("'15  to 30' is not\n    a level").format() == \
        "error: '15  to 30' is not a level"
    cfg = tmp_path / "c.yaml"
    cfg.write_text("schema_version: 1\nname: ds\nseed: 1\nattributes:\n  travel:\n"
                   "    levels: [near, '15 to 30 minutes']\n  price: {coding: linear}\n"
                   "choices:\n  file: c.csv\nimportance: {draws: 50}\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("respondent,task,alternative,chosen,travel,price\n"
                                    "1,1,1,1,near,1\n1,1,2,0,15  to 30 minutes,2\n",
                                    encoding="utf-8")
    assert main(["validate", str(cfg)]) == 2
    assert "c.csv:3: travel: '15  to 30 minutes' is not a level" in capsys.readouterr().err
