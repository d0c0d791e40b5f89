"""Opt-out answers (``choices.opt_out``) and missing answers (``choices.missing``) read one
way in long and wide data (issue 14, "What to build" 1 and 2).

The reference of every comparison is the same answers written in plain long format (opt-out
rows with empty attribute cells, skipped tasks deleted by hand): each other way of writing
them must give the same estimates to 1e-10, and the counts in data_summary.json must be the
tasks and respondents the test removed. The plain long fit itself is checked against a
conditional-logit likelihood written here in numpy.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from dce.cli import main
from dce.config.study import Study
from dce.errors import DataError
from dce.run.outputs import estimates_table
from dce.run.runner import analyse

COLOURS = ["red", "green", "blue"]
N_RESP, N_TASKS, N_BLOCKS = 40, 4, 2
ATTRS = {"colour": {"levels": COLOURS}, "price": {"levels": [1, 2, 3], "coding": "linear"}}


def _design(seed=7) -> pd.DataFrame:
    """A dce-format design file: block, task, alternative, colour, price (no opt-out rows)."""
    rng = np.random.default_rng(seed)
    rows = [(b, t, a, COLOURS[rng.integers(3)], int(rng.integers(1, 4)))
            for b in range(1, N_BLOCKS + 1) for t in range(1, N_TASKS + 1) for a in (1, 2)]
    return pd.DataFrame(rows, columns=["block", "task", "alternative", "colour", "price"])


def _answers(design, seed=11) -> pd.DataFrame:
    """respondent, group, block, task, choice (1, 2 or 3 = opt-out) drawn from a logit."""
    rng = np.random.default_rng(seed)
    part = {"red": -0.4, "green": 0.1, "blue": 0.3}
    rows = []
    for r in range(1, N_RESP + 1):
        b = 1 + r % N_BLOCKS
        for t in range(1, N_TASKS + 1):
            d = design[(design.block == b) & (design.task == t)]
            u = [part[c] - 0.6 * p for c, p in zip(d.colour, d.price, strict=True)] + [-0.5]
            choice = int(np.argmax(np.asarray(u) + rng.gumbel(size=3))) + 1
            rows.append((str(r), "young" if r <= N_RESP // 2 else "old", b, t, choice))
    return pd.DataFrame(rows, columns=["respondent", "group", "block", "task", "choice"])


def _long(design, answers, opt="empty") -> pd.DataFrame:
    """The answers in long format; the opt-out row written as ``opt`` says."""
    m = answers.merge(design, on=["block", "task"])
    m["chosen"] = (m["alternative"] == m["choice"]).astype(int)
    o = answers.assign(alternative=3, colour="", price="")
    o["chosen"] = (o["choice"] == 3).astype(int)
    if opt == "filler":
        o = o.assign(colour="0", price="0")
    if opt == "label":
        o = o.assign(alternative="Neither")
    out = pd.concat([m, o]).sort_values(["respondent", "task"], kind="stable")
    return out[["respondent", "group", "block", "task", "alternative", "chosen", "colour",
                "price"]]


def _wide(answers, code=lambda c: str(c)) -> pd.DataFrame:
    w = answers.assign(cell=[code(c) for c in answers["choice"]])
    w = w.pivot(index=["respondent", "group", "block"], columns="task", values="cell")
    w.columns = [f"task{t}" for t in w.columns]
    return w.reset_index()


def _config(tmp, name, data: pd.DataFrame, fmt="long", design=None, opt_out=None,
            choices_opt=None, missing=None, attrs=ATTRS) -> Study:
    data.to_csv(tmp / f"{name}.csv", index=False)
    choices = {"file": f"{name}.csv", "format": fmt,
               "columns": {"group": "group", "block": "block"}}
    if choices_opt is not None:
        choices["opt_out"] = choices_opt
    if missing is not None:
        choices["missing"] = missing
    cfg = {"schema_version": 1, "name": name, "seed": 1, "attributes": attrs,
           "choices": choices, "importance": {"draws": 50}}
    if design is not None:
        design.to_csv(tmp / "design.csv", index=False)
        cfg["design"] = {"file": "design.csv"}
    if opt_out is not None:
        cfg.setdefault("design", {})["opt_out"] = opt_out
    return Study.from_dict(cfg, base_dir=tmp)


def _fit(study):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = analyse(study, "fit")
    est = estimates_table(run)
    notes = [str(w.message) for w in caught] + [str(n) for n in run.notes]
    return est.set_index(["group", "term"])["estimate"], run, notes


@pytest.fixture(scope="module")
def study_data():
    design = _design()
    return design, _answers(design)


@pytest.fixture(scope="module")
def reference(study_data, tmp_path_factory):
    design, answers = study_data
    tmp = tmp_path_factory.mktemp("ref")
    est, run, _ = _fit(_config(tmp, "plain", _long(design, answers)))
    return est


def _same(a, b):
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=1e-10)


def test_plain_long_reference_is_the_conditional_logit_maximum(study_data, reference):
    """The reference fit maximises a conditional-logit likelihood written here (effects
    coding of colour, red omitted as -green-blue; price linear; opt-out constant)."""
    design, answers = study_data
    m = answers.merge(design, on=["block", "task"])
    X = np.zeros((len(answers), 3, 4))
    green = (m["colour"] == "green").to_numpy().astype(float)
    blue = (m["colour"] == "blue").to_numpy().astype(float)
    red = (m["colour"] == "red").to_numpy().astype(float)
    X[:, :2, 0] = (green - red).reshape(-1, 2)
    X[:, :2, 1] = (blue - red).reshape(-1, 2)
    X[:, :2, 2] = m["price"].to_numpy(float).reshape(-1, 2)
    X[:, 2, 3] = 1.0
    y = answers["choice"].to_numpy() - 1

    def nll(b):
        v = X @ b
        v -= v.max(axis=1, keepdims=True)
        return -(v[np.arange(len(y)), y] - np.log(np.exp(v).sum(axis=1))).sum()

    b = minimize(nll, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    ref = reference.loc["all"]
    np.testing.assert_allclose(
        [ref["colour[green]"], ref["colour[blue]"], ref["price"], ref["asc[opt_out]"]], b,
        atol=1e-5)


@pytest.mark.parametrize("how", ["number_filler", "label", "fit_only_design_opt_out"])
def test_long_opt_out_written_any_way_gives_the_same_estimates(study_data, reference,
                                                               tmp_path, how):
    design, answers = study_data
    if how == "number_filler":  # opt-out rows hold 0 in every attribute cell
        study = _config(tmp_path, how, _long(design, answers, "filler"),
                        choices_opt={"alternative": 3})
    elif how == "label":
        study = _config(tmp_path, how, _long(design, answers, "label"),
                        choices_opt={"label": "Neither"})
    else:  # as the docs showed: design: {opt_out: ...}, price without levels, no tasks
        attrs = {"colour": {"levels": COLOURS}, "price": {"coding": "linear"}}
        study = _config(tmp_path, how, _long(design, answers), opt_out="Neither", attrs=attrs)
    est, _, _ = _fit(study)
    _same(est, reference)


@pytest.mark.parametrize("how", ["design_opt_out", "number", "label"])
def test_wide_opt_out_with_a_design_file_without_opt_out_rows(study_data, reference,
                                                              tmp_path, how):
    design, answers = study_data
    if how == "design_opt_out":  # the documented shape, no is_opt_out column
        study = _config(tmp_path, how, _wide(answers), "wide", design, opt_out="Neither")
    elif how == "number":  # named in choices: only
        study = _config(tmp_path, how, _wide(answers), "wide", design,
                        choices_opt={"alternative": 3})
    else:
        study = _config(tmp_path, how, _wide(answers, lambda c: "Neither" if c == 3 else str(c)),
                        "wide", design, choices_opt={"label": "Neither"})
    est, _, _ = _fit(study)
    _same(est, reference)


def test_design_file_opt_out_rows_marked_by_empty_cells(study_data, reference, tmp_path):
    design, answers = study_data
    opt = design.drop_duplicates(["block", "task"]).assign(alternative=3, colour="", price="")
    with_rows = pd.concat([design, opt]).sort_values(["block", "task", "alternative"])
    est, _, _ = _fit(_config(tmp_path, "rows", _wide(answers), "wide", with_rows,
                             opt_out="Neither"))
    _same(est, reference)


# ----- missing answers -------------------------------------------------------------------
SKIPPED = {("3", 1): "", ("3", 2): "NA", ("5", 4): ".", ("8", 2): "N/A", ("9", 3): "nan"}
BROKE_OFF = "12"  # answered no task


def _skipped(answers):
    gone = pd.Series([(r, t) in SKIPPED or r == BROKE_OFF
                      for r, t in zip(answers.respondent, answers.task, strict=True)])
    return gone.to_numpy()


def _wide_skipped(answers):
    def cell(row):
        if row.respondent == BROKE_OFF:
            return ""
        return SKIPPED.get((row.respondent, row.task), str(row.choice))
    return _wide(answers.assign(choice=[cell(r) for r in answers.itertuples()]), str)


def _long_skipped(design, answers, blank):
    long = _long(design, answers)
    key = list(zip(long.respondent, long.task, strict=True))
    gone = np.array([k in SKIPPED or k[0] == BROKE_OFF for k in key])
    long["chosen"] = long["chosen"].astype(str)
    long.loc[gone, "chosen"] = blank
    return long


@pytest.fixture(scope="module")
def reference_dropped(study_data, tmp_path_factory):
    design, answers = study_data
    tmp = tmp_path_factory.mktemp("refdrop")
    kept = answers[~_skipped(answers)]
    est, run, _ = _fit(_config(tmp, "plain", _long(design, kept)))
    return est, run


@pytest.mark.parametrize("how", ["wide", "long_zero", "long_blank", "long_na"])
def test_missing_answers_are_dropped_counted_and_warned(study_data, reference_dropped,
                                                        tmp_path, how):
    design, answers = study_data
    if how == "wide":
        study = _config(tmp_path, how, _wide_skipped(answers), "wide", design,
                        opt_out="Neither")
    else:
        study = _config(tmp_path, how,
                        _long_skipped(design, answers, {"long_zero": "0", "long_blank": "",
                                                        "long_na": " NA"}[how]))
    est, run, caught = _fit(study)
    _same(est, reference_dropped[0])
    missing = run.data_summary["missing"]
    n_broke = N_TASKS
    assert missing["tasks_total"] == N_RESP * N_TASKS
    assert missing["tasks_dropped"] == len(SKIPPED) + n_broke
    assert missing["respondents_with_missing"] == 5          # 3, 5, 8, 9 and 12
    assert missing["respondents_dropped"] == 1               # 12
    # respondents 3, 5, 8, 9, 12 are all "young" (1-20)
    assert missing["by_group"]["young"] == {"tasks_total": 80, "tasks_dropped": 9,
                                            "respondents_with_missing": 5,
                                            "respondents_dropped": 1}
    assert missing["by_group"]["old"]["tasks_dropped"] == 0
    assert run.data_summary["n_respondents"] == N_RESP - 1
    assert run.data_summary["n_choice_sets"] == N_RESP * N_TASKS - 9
    assert any("9 of 160 tasks have no answer" in w and "choices.missing" in w for w in caught)


def test_missing_error_lists_each_task_at_its_line(study_data, tmp_path):
    design, answers = study_data
    study = _config(tmp_path, "werr", _wide_skipped(answers), "wide", design,
                    opt_out="Neither", missing="error")
    with pytest.raises(DataError) as err:
        analyse(study, "fit")
    text = str(err.value)
    # respondent 3 is on line 2 + its position in the file (sorted as text: 1, 10, 11, 12,
    # ..., 2, 20, 3): find it
    wide = _wide_skipped(answers)
    line = int(np.flatnonzero(wide["respondent"] == "3")[0]) + 2
    assert f"werr.csv:{line}: task1: respondent 3, task 1 has no answer" in text
    assert "choices.missing" in text


def test_long_missing_error_and_partly_blank_task(study_data, tmp_path):
    design, answers = study_data
    long = _long_skipped(design, answers, "0")
    study = _config(tmp_path, "lerr", long, missing="error")
    with pytest.raises(DataError) as err:
        analyse(study, "fit")
    assert "has no chosen alternative (a missing answer" in str(err.value)
    long = _long(design, answers)
    long["chosen"] = long["chosen"].astype(str)
    r = int(np.flatnonzero(long["chosen"].to_numpy() == "0")[0])
    long.iloc[r, long.columns.get_loc("chosen")] = ""     # a task with an answer and a blank
    with pytest.raises(DataError) as err:
        analyse(_config(tmp_path, "blank", long), "fit")
    assert f"blank.csv:{r + 2}: chosen: empty chosen cell" in str(err.value)


def test_two_chosen_rows_stay_an_error_when_dropping(study_data, tmp_path):
    design, answers = study_data
    long = _long(design, answers)
    long.iloc[0, long.columns.get_loc("chosen")] = 1
    long.iloc[1, long.columns.get_loc("chosen")] = 1
    with pytest.raises(DataError, match="2 chosen alternatives"):
        analyse(_config(tmp_path, "two", long), "fit")


def test_opt_out_rows_whose_cells_differ_are_an_error(study_data, tmp_path):
    design, answers = study_data
    long = _long(design, answers, "filler")
    rows = np.flatnonzero(long["alternative"].to_numpy() == 3)
    long.iloc[rows[4], long.columns.get_loc("colour")] = "red"
    with pytest.raises(DataError) as err:
        analyse(_config(tmp_path, "fill", long, choices_opt={"alternative": 3}), "fit")
    assert f"fill.csv:{rows[4] + 2}: colour: the opt-out (alternative 3" in str(err.value)


def test_opt_out_number_absent_from_the_data_is_located_at_the_key(study_data, tmp_path):
    design, answers = study_data
    with pytest.raises(DataError) as err:
        analyse(_config(tmp_path, "abs", _long(design, answers, "filler"),
                        choices_opt={"alternative": 4}), "fit")
    text = str(err.value)
    assert "choices.opt_out: no row of" in text and "abs.csv is the opt-out alternative 4" in text


def test_cli_writes_the_missing_counts_and_the_report_sentence(study_data, tmp_path):
    design, answers = study_data
    _wide_skipped(answers).to_csv(tmp_path / "w.csv", index=False)
    design.to_csv(tmp_path / "design.csv", index=False)
    (tmp_path / "c.yaml").write_text(
        "schema_version: 1\nname: miss\nseed: 1\nattributes:\n"
        "  colour: {levels: [red, green, blue]}\n  price: {levels: [1, 2, 3], coding: linear}\n"
        "design: {file: design.csv}\nchoices:\n  file: w.csv\n  format: wide\n"
        "  opt_out: {alternative: 3}\n  columns: {block: block, group: group}\n"
        "importance: {draws: 50}\n", encoding="utf-8")
    assert main(["run", str(tmp_path / "c.yaml"), "--output", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "data_summary.json").read_text(encoding="utf-8"))
    assert summary["missing"]["tasks_dropped"] == 9
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "9 of 160 tasks had no answer" in report
    assert "1 respondent answered none and was left out entirely" in report


def test_randomised_wide_data_with_skipped_tasks(tmp_path):
    """Answers recorded as shown in versions of a randomised design (wide, version column):
    skipped cells are dropped like the same tasks removed from the long file."""
    import dce
    from dce.design.randomize import fielding_order
    from tests.design.test_randomize import study

    r = {"tasks": True, "alternatives": True, "versions": 2}
    sim = dce.analyse(study(randomize=r, respondents=60), stage="simulate").raw
    resp = sim.responses
    shown = resp.assign(task=resp["shown_task"], alternative=resp["shown_alternative"])
    fielding_order(sim.design, sim.study).to_csv(tmp_path / "order.csv", index=False)
    chosen = shown[shown["chosen"] == 1]
    wide = chosen.pivot(index=["respondent", "block", "version"], columns="task",
                        values="alternative").add_prefix("task").reset_index().astype(str)
    skip = [(0, "task1"), (3, "task2"), (7, "task1")]
    for row, col in skip:
        wide.loc[row, col] = ""
    wide.to_csv(tmp_path / "wide.csv", index=False)
    gone = {(wide.loc[row, "respondent"], int(col[4:])) for row, col in skip}
    keep = [(str(a), int(b)) not in gone for a, b in zip(shown.respondent, shown.task,
                                                          strict=True)]
    long = shown[keep][["respondent", "block", "version", "task", "alternative", "chosen"]]
    long.to_csv(tmp_path / "long.csv", index=False)
    cols = {"block": "block", "version": "version"}
    ran = {**r, "file": "order.csv"}
    a = dce.analyse(study(base_dir=tmp_path, randomize=ran, choices={
        "file": "wide.csv", "format": "wide", "columns": {**cols, "tasks": "task"}}),
        stage="fit").raw
    b = dce.analyse(study(base_dir=tmp_path, randomize=ran, choices={
        "file": "long.csv", "columns": cols}), stage="fit").raw
    np.testing.assert_allclose(a.fits[-1].params, b.fits[-1].params, rtol=0, atol=1e-10)
    assert a.data_summary["missing"]["tasks_dropped"] == 3
    assert b.data_summary["missing"]["tasks_dropped"] == 0


def test_empty_cells_of_tasks_a_block_lacks_are_not_missing_answers(study_data, tmp_path):
    """Block 2 has 3 tasks; its respondents' task4 cells are empty: nothing is dropped."""
    design, answers = study_data
    short = design[~((design.block == 2) & (design.task == 4))]
    kept = answers[~((answers.block == 2) & (answers.task == 4))]
    wide = _wide(answers)
    wide.loc[wide["block"] == 2, "task4"] = ""
    est, run, notes = _fit(_config(tmp_path, "short", wide, "wide", short, opt_out="Neither"))
    ref, _, _ = _fit(_config(tmp_path, "shortlong", _long(short, kept)))
    _same(est, ref)
    assert run.data_summary["missing"]["tasks_dropped"] == 0
    assert run.data_summary["missing"]["tasks_total"] == len(kept)
    assert not any("no answer" in n for n in notes)


@pytest.mark.parametrize("opt", [None, {"alternative": 3}, {"label": "Neither"}])
def test_long_data_without_attribute_columns_take_the_design_opt_out(study_data, reference,
                                                                     tmp_path, opt):
    """Long answers joined to a design file without opt-out rows (design.opt_out set)."""
    design, answers = study_data
    long = _long(design, answers, "label" if opt and "label" in opt else "empty")
    long = long.drop(columns=["colour", "price"])
    est, _, _ = _fit(_config(tmp_path, "joined", long, design=design, opt_out="Neither",
                             choices_opt=opt))
    _same(est, reference)


def test_report_names_the_opt_out_of_choices_opt_out():
    """The report's constant row reads "Opt-out (Neither)" whichever key named the label."""
    from dce.report.labels import Labels

    for cfg in ({"design": {"opt_out": "Neither"}},
                {"choices": {"opt_out": {"label": "Neither"}}}):
        assert Labels(cfg).term("asc[opt_out]")[1] == "Opt-out (Neither)"
    assert Labels({"choices": {"opt_out": {"alternative": 3}}}).term("asc[opt_out]")[1] == \
        "Opt-out"
