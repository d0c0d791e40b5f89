"""Survey-platform exports (Qualtrics, Sawtooth, label answers) read as they come.

The acceptance of issue 14: the same answers, simulated once with a seed and written here
in each layout (long, wide, Qualtrics with numbers, Qualtrics with choice text and Loop &
Merge columns, Sawtooth with level numbers, Sawtooth without attribute columns, wide with
labels), give identical estimates (1e-10) and counts.
"""

import csv
import io
import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dce.config.study import Study, load_config
from dce.core.csvread import LINES, read_table, record_lines
from dce.data.choices import load
from dce.data.exports.labels import label_numbers
from dce.data.simulate import responses
from dce.design import build
from dce.errors import ConfigError, DataError
from dce.run.runner import analyse
from tests.conftest import SMALL, write_config

LABELS = {1: "Option A", 2: "Option B", 3: "Neither"}
QUESTION = "Which service would you choose?\nPick one."


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """Simulated answers (seeded), some respondents breaking off after task 5."""
    folder = tmp_path_factory.mktemp("answers")
    study = load_config(write_config(folder / "sim"))
    design = build(study)
    resp = responses(study, design)
    broke_off = (resp["respondent"] % 7 == 0) & (resp["task"] > 5)
    resp = resp[~broke_off].reset_index(drop=True)
    design.table.to_csv(folder / "design.csv", index=False)
    return folder, design, resp


def _config(choices: str) -> str:
    head = SMALL.split("simulate:")[0].replace("  blocks: 2", "  blocks: 2\n  file: design.csv")
    return head + textwrap.dedent(choices) + "model: {by: group}\nimportance: {draws: 50}\n"


def _chosen(resp) -> pd.DataFrame:
    return resp[resp["chosen"] == 1].pivot(index=["respondent", "group", "block"],
                                           columns="task", values="alternative")


def _long(folder, resp):
    resp.drop(columns=["is_opt_out"]).to_csv(folder / "long.csv", index=False)
    return "choices:\n  file: long.csv\n  columns: {block: block, group: group}\n"


def _wide_labels(folder, resp):
    wide = _chosen(resp).apply(lambda col: col.map(LABELS)).add_prefix("task").reset_index()
    wide.to_csv(folder / "wide_labels.csv", index=False)
    return ("choices:\n  file: wide_labels.csv\n  format: wide\n  chosen_by: label\n"
            "  labels: {Option A: 1, Option B: 2, Neither: 3}\n"
            "  columns: {block: block, group: group}\n")


def _qualtrics_table(resp, cells, names) -> str:
    """A Qualtrics CSV: metadata columns, embedded block and group, question columns,
    the question-text row (with a line break) and the ImportId row."""
    wide = _chosen(resp)
    n = len(wide)
    meta = pd.DataFrame({
        "StartDate": "2024-03-01 10:00:00", "EndDate": "2024-03-01 10:09:00",
        "Status": "0", "Progress": np.where(wide.isna().any(axis=1), "62", "100"),
        "Duration (in seconds)": "540",
        "Finished": np.where(wide.isna().any(axis=1), "0", "1"),
        "ResponseId": [f"R_{i:015d}" for i in range(n)],
        "block": wide.index.get_level_values("block").astype(str),
        "group": wide.index.get_level_values("group")})
    answers = cells(wide).fillna("")
    answers.columns = [names(t) for t in answers.columns]
    table = pd.concat([meta, answers.reset_index(drop=True)], axis=1)
    texts = {"StartDate": "Start Date", "EndDate": "End Date", "Status": "Response Type",
             "Progress": "Progress", "Duration (in seconds)": "Duration (in seconds)",
             "Finished": "Finished", "ResponseId": "Response ID", "block": "block",
             "group": "group"}
    first = [texts.get(c, QUESTION) for c in table.columns]
    second = [json.dumps({"ImportId": c if c in texts else f"QID{i}"})
              for i, c in enumerate(table.columns)]
    head = pd.DataFrame([first, second], columns=table.columns)
    return pd.concat([head, table]).to_csv(index=False)


def _qualtrics(folder, resp):
    text = _qualtrics_table(resp, lambda w: w.map(lambda v: "" if np.isnan(v) else str(int(v))),
                            lambda t: f"Q{t}")
    (folder / "qualtrics.csv").write_text(text)
    return ("choices:\n  file: qualtrics.csv\n  format: qualtrics\n"
            "  columns: {block: block, group: group, tasks: Q}\n")


def _qualtrics_text(folder, resp):
    text = _qualtrics_table(resp, lambda w: w.apply(lambda col: col.map(LABELS)),
                            lambda t: f"{t}_Q5")
    (folder / "qualtrics_text.csv").write_text(text)
    return ("choices:\n  file: qualtrics_text.csv\n  format: qualtrics\n  chosen_by: label\n"
            "  labels: {Option A: 1, Option B: 2, Neither: 3}\n"
            "  columns: {block: block, group: group, tasks: Q5}\n")


def _sawtooth(folder, resp, attributes=True):
    study = load_config(write_config(folder / "sim"))
    out = pd.DataFrame({"sys_RespNum": resp["respondent"], "Version": resp["block"],
                        "Task": resp["task"], "Concept": resp["alternative"]})
    if attributes:
        for i, a in enumerate(study.attributes, start=1):
            cells = resp[a.name].map(lambda v, a=a: "" if pd.isna(v) else str(v))
            codes = np.array(a.index_of(cells.tolist())) + 1
            out[f"Att {i}" if i == 1 else a.name.capitalize()] = np.where(
                resp["is_opt_out"] == 1, 0, codes)
    out["Response"] = resp["chosen"]
    out["group"] = resp["group"]
    name = "sawtooth.csv" if attributes else "sawtooth_design.csv"
    out.to_csv(folder / name, index=False)
    return f"choices:\n  file: {name}\n  format: sawtooth\n  columns: {{group: group}}\n"


LAYOUTS = {"wide_labels": _wide_labels, "qualtrics": _qualtrics,
           "qualtrics_text": _qualtrics_text, "sawtooth": _sawtooth,
           "sawtooth_design": lambda f, r: _sawtooth(f, r, attributes=False)}


@pytest.fixture(scope="module")
def long_fit(answers):
    folder, _, resp = answers
    return analyse(load_config(write_config(folder, _config(_long(folder, resp)), "long.yaml")))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_same_answers_same_estimates(answers, long_fit, layout):
    folder, _, resp = answers
    cfg = write_config(folder, _config(LAYOUTS[layout](folder, resp)), f"{layout}.yaml")
    run = analyse(load_config(cfg))
    assert [f.group for f in run.fits] == [f.group for f in long_fit.fits]
    for a, b in zip(long_fit.fits, run.fits):
        np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-12)
        assert (b.n_sets, b.n_respondents) == (a.n_sets, a.n_respondents)
    assert run.data_summary["n_choice_sets"] == long_fit.data_summary["n_choice_sets"]


def _study(folder, choices: str):
    return load_config(write_config(folder, _config(choices), "study.yaml"))


def _responses(study, design):
    return load(study, design)[0]


def test_metadata_rows_skipped_as_found_or_as_told(answers):
    """Qualtrics' two header rows are recognised; skip_rows as a number or as file lines
    reads the same rows; every row keeps its file line (the question text spans two)."""
    folder, design, resp = answers
    _qualtrics(folder, resp)
    text = (folder / "qualtrics.csv").read_text()
    cfg = "choices:\n  file: qualtrics.csv\n  format: qualtrics\n" \
          "  columns: {block: block, group: group, tasks: Q}\n"
    physical = text.split("\n")
    ids = next(i for i, line in enumerate(physical) if "ImportId" in line) + 1  # file line
    assert ids == 11  # eight two-line question texts in one row: lines 2 to 10
    found = _responses(_study(folder, cfg), design)
    for skip in ("2", f"[2, {ids}]"):
        told = _responses(_study(folder, cfg + f"  skip_rows: {skip}\n"), design)
        pd.testing.assert_frame_equal(told, found)
    frame = read_table(folder / "qualtrics.csv", "qualtrics.csv")
    assert list(frame.attrs[LINES][:3]) == [2, ids, ids + 1]
    assert physical[ids].startswith("2024-03-01")
    # a bad answer is reported at its own file line
    bad = text.replace(",R_000000000000003,", ",R_000000000000003,").split("\n")
    row = next(i for i, line in enumerate(bad) if ",R_000000000000003," in line)
    bad[row] = bad[row][: bad[row].rindex(",")] + ",7"
    (folder / "bad_qualtrics.csv").write_text("\n".join(bad))
    with pytest.raises(DataError) as err:
        _responses(_study(folder, cfg.replace("qualtrics.csv", "bad_qualtrics.csv")), design)
    assert f"bad_qualtrics.csv:{row + 1}: Q8" in str(err.value)
    assert "'7'" in str(err.value) and len(err.value.problems) == 1


cells = st.text(alphabet=st.sampled_from(list('aé,"\n ')), max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(cells, min_size=2, max_size=2), min_size=1, max_size=6))
def test_record_lines_match_the_csv_module(rows):
    """The line each record starts on, against Python's csv reader (line_num counts the
    lines read after each record)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["x", "y"])
    writer.writerows(rows)
    text = buf.getvalue()
    reader = csv.reader(io.StringIO(text))
    ends = []
    for _ in reader:
        ends.append(reader.line_num)
    starts = [e + 1 for e in ends[:-1]]  # record k+1 starts after record k ends
    np.testing.assert_array_equal(record_lines(text, len(rows)), starts)


def test_labels_from_a_labelled_design_and_the_opt_out():
    study = Study.from_dict({
        "schema_version": 1, "name": "lab", "seed": 1,
        "attributes": {"cost": {"levels": [0, 10], "coding": "linear"}},
        "design": {"alternatives": 2, "labels": ["NHS group", "charity"], "opt_out": "Neither",
                   "tasks": 2},
        "choices": {"file": "x.csv", "format": "wide", "chosen_by": "label"}})
    assert label_numbers(study, None) == {"nhs group": 1, "charity": 2, "neither": 3}


@pytest.mark.parametrize("choices, key", [
    ({"format": "long", "chosen_by": "label", "labels": {"A": 1}}, "choices.chosen_by"),
    ({"format": "wide", "labels": {"A": 1}}, "choices.labels"),
])
def test_label_settings_that_cannot_apply(choices, key):
    with pytest.raises(ConfigError) as err:
        Study.from_dict({"schema_version": 1, "name": "x", "seed": 1,
                         "attributes": {"cost": {"levels": [0, 10], "coding": "linear"}},
                         "choices": {"file": "x.csv", **choices}})
    assert key in str(err.value)


def test_item_study_rejects_platform_formats():
    with pytest.raises(ConfigError) as err:
        Study.from_dict({"schema_version": 1, "name": "x", "seed": 1, "type": "best-worst",
                         "items": {"a": {}, "b": {}, "c": {}},
                         "design": {"items_per_set": 3, "sets": 3},
                         "choices": {"file": "x.csv", "format": "sawtooth"}})
    assert "choices.format" in str(err.value) and "attribute DCEs only" in str(err.value)


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "exports"


@pytest.fixture(scope="module")
def example_long():
    return analyse(load_config(EXAMPLES / "long.yaml"))


@pytest.mark.parametrize("name", ["qualtrics", "qualtrics_text", "sawtooth"])
def test_docs_example_files_fit_as_their_long_format(example_long, name):
    """Each example of docs/data.md reads and fits the estimates of the same answers in
    docs/examples/exports/long.csv."""
    run = analyse(load_config(EXAMPLES / f"{name}.yaml"))
    a, b = example_long.fits[0], run.fits[0]
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10, atol=1e-12)
    assert (b.n_sets, b.n_respondents) == (a.n_sets, a.n_respondents) == (95, 24)


def test_docs_examples_are_the_example_files():
    """Every block of docs/data.md marked <!-- file: X --> is the head of that file."""
    doc = (EXAMPLES.parents[1] / "data.md").read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- file: (\S+) -->\n```(?:text|yaml)\n(.*?)\n```", doc, flags=re.S)
    assert len(blocks) == 3
    for name, text in blocks:
        lines = text.splitlines()
        assert (EXAMPLES / name).read_text().splitlines()[:len(lines)] == lines, name


# ----- task columns found by a prefix: every task of the design must be there ------------
def _wide_numbers(folder, resp, names):
    wide = _chosen(resp).map(lambda v: "" if np.isnan(v) else str(int(v)))
    wide.columns = [names(t) for t in wide.columns]
    wide.reset_index().to_csv(folder / "wide_numbers.csv", index=False)
    return "choices:\n  file: wide_numbers.csv\n  format: wide\n" \
           "  columns: {block: block, group: group%s}\n"


PREFIXED = {  # layout -> (file written, config, column name of task t)
    "wide_Q": lambda f, r: _wide_numbers(f, r, lambda t: f"Q{t}") % ", tasks: Q",
    "wide_default": lambda f, r: _wide_numbers(f, r, lambda t: f"task{t}") % "",
    "wide_underscore": lambda f, r: _wide_numbers(f, r, lambda t: f"Q_{t}") % ", tasks: Q",
    "qualtrics": _qualtrics, "qualtrics_loop": _qualtrics_text}
NAMES = {"wide_Q": "Q{}", "wide_default": "task{}", "wide_underscore": "Q_{}",
         "qualtrics": "Q{}", "qualtrics_loop": "{}_Q5"}


def _drop_column(path: Path, name: str) -> None:
    """Delete column ``name`` from a CSV file (quoted multi-line cells kept)."""
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    at = rows[0].index(name)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:at] + r[at + 1:] for r in rows)
    path.write_text(out.getvalue())


@pytest.mark.parametrize("layout", sorted(PREFIXED))
@pytest.mark.parametrize("task", [1, 5, 8])
def test_prefix_missing_a_task_column_stops(answers, long_fit, layout, task):
    """A task column found by a prefix (wide ``tasks: Q``, the default ``task``, Qualtrics
    ``Q`` and Loop & Merge ``<n>_Q5``) that was renamed or deleted stops the read at that
    column, rather than reading 7 of the design's 8 tasks per respondent."""
    folder, design, resp = answers
    cfg = PREFIXED[layout](folder, resp)
    full = _responses(_study(folder, cfg), design)  # every column there: every task read
    sets = full[["respondent", "task"]].drop_duplicates()
    assert len(sets) == long_fit.data_summary["n_choice_sets"]
    assert sorted(sets["task"].unique()) == list(range(1, 9))
    file = re.search(r"file: (\S+)", cfg).group(1)
    name = NAMES[layout].format(task)
    _drop_column(folder / file, name)
    with pytest.raises(DataError) as err:
        _responses(_study(folder, cfg), design)
    [problem] = err.value.problems
    assert (Path(problem.file).name, problem.line, problem.key) == (file, 1, name)
    assert problem.message.startswith("missing task column")
    first, last = NAMES[layout].format(1), NAMES[layout].format(8)
    assert f"one column per task, {first} to {last}" in problem.message
    found = problem.message.split("the file has ")[1].split(")")[0]
    expect = {1: f"{NAMES[layout].format(2)} to {last}",
              5: f"{first} to {NAMES[layout].format(4)}, {NAMES[layout].format(6)} to {last}",
              8: f"{first} to {NAMES[layout].format(7)}"}[task]
    assert found == expect


def test_prefix_column_beyond_the_design_is_read_only_when_empty(answers):
    """A ninth column caught by the prefix (the design has 8 tasks) is no task: empty it
    is ignored; answered it is reported at its column (bad-input case 178)."""
    folder, design, resp = answers
    cfg = PREFIXED["wide_Q"](folder, resp)
    path = folder / "wide_numbers.csv"
    full = _responses(_study(folder, cfg), design)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.assign(Q9="").to_csv(path, index=False)
    pd.testing.assert_frame_equal(_responses(_study(folder, cfg), design), full)
    table.assign(Q9="1").to_csv(path, index=False)
    with pytest.raises(DataError, match=r"wide_numbers.csv:2: Q9: block \d, task 9 is not"):
        _responses(_study(folder, cfg), design)


@pytest.mark.parametrize("cell, found", [("3", "block 3 is not a block of the design "
                                                 "(blocks: 1 to 2)"),
                                         ("two", "expected a whole number, found 'two'")])
def test_bad_block_cell_is_reported_at_the_block_column(answers, cell, found):
    folder, design, resp = answers
    cfg = PREFIXED["wide_Q"](folder, resp)
    path = folder / "wide_numbers.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[4, "block"] = cell  # file line 6
    table.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        _responses(_study(folder, cfg), design)
    assert [(Path(p.file).name, p.line, p.key, p.message) for p in err.value.problems] == [
        ("wide_numbers.csv", 6, "block", found)]
