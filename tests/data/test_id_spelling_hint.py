"""A respondent id written two ways inside one task (``7`` on two rows, ``007`` on the
third) splits the choice set; the single-alternative error says why.

Reference, independent of the code under test: the files written here, where the split is
known by construction (line 7 of choices.csv holds the ``007`` row of respondent 7's
task 2), checked through the public path (``dce fit`` and ``dce.data.choices.load``).
"""

from __future__ import annotations

import textwrap
import warnings

import pytest

from dce.cli import main
from dce.config.study import load_config
from dce.data import choices
from dce.errors import DataError

CONFIG = """
schema_version: 1
name: id_spelling
seed: 1
attributes:
  colour:
    levels: [red, green, blue]
  price:
    coding: linear
choices:
  file: choices.csv
importance:
  draws: 50
"""

LEVELS = ["red", "green", "blue"]


def write(tmp_path, spelled: dict) -> str:
    """Three respondents x 3 tasks x 3 alternatives; ``spelled`` maps (respondent, task,
    alternative) to the id written on that row (default: the respondent number)."""
    rows = ["respondent,task,alternative,chosen,colour,price"]
    for r in (7, 8, 9):
        for t in (1, 2, 3):
            for a in (1, 2, 3):
                rid = spelled.get((r, t, a), str(r))
                rows.append(f"{rid},{t},{a},{int(a == 1 + (r + t) % 3)},"
                            f"{LEVELS[(a + t) % 3]},{1 + (a * t + r) % 4}")
    (tmp_path / "choices.csv").write_text("\n".join(rows) + "\n")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(textwrap.dedent(CONFIG).lstrip())
    return str(cfg)


def test_fit_names_the_two_spellings_of_the_id(tmp_path, capsys, monkeypatch):
    write(tmp_path, {(7, 2, 3): "007"})   # line 1 + 3 + 3 = 7
    monkeypatch.chdir(tmp_path)   # files shown as the user wrote them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["fit", "config.yaml", "--output", "out"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    line = [s for s in err.splitlines() if "single alternative" in s]
    assert len(line) == 1, err
    assert line[0].startswith("error: choices.csv:7: alternative: respondent 007, task 2")
    assert "respondent ids '007' and '7' are read as two respondents" in line[0]
    assert "write each id one way" in line[0]


@pytest.mark.parametrize("other", ["7.0", " 07"])
def test_load_names_any_spelling_of_the_same_number(tmp_path, other):
    single = single_alternative_problems(write(tmp_path, {(7, 3, 1): other, (8, 1, 2): "8"}))
    assert [p.line for p in single] == [8]
    assert f"respondent ids {other.strip()!r} and '7'" in single[0].message


def test_no_hint_without_a_second_spelling(tmp_path):
    single = single_alternative_problems(write(tmp_path, {(9, 1, 2): "10"}))  # another id
    assert [p.line for p in single] == [21]
    assert single[0].message.endswith("a choice needs at least two")


def single_alternative_problems(cfg):
    """The single-alternative problems of loading ``cfg`` (which must fail)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as e:
            choices.load(load_config(cfg))
    return [p for p in e.value.problems if "single alternative" in p.message]
