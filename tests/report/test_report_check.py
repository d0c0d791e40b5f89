"""`dce report` rebuilds only from the files its run wrote (manifest.json hashes), names
a file it cannot read, and says so when asked to build from edited files (--force)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dce.cli import main
from tests.conftest import write_config

NOTE = 'id="edited-note"'


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("check")
    cfg = write_config(folder)
    assert main(["run", str(cfg), "--output", str(folder / "out")]) == 0
    return folder / "out"


@pytest.fixture
def copy(run_dir, tmp_path) -> Path:
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


def files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def report(args, capsys) -> tuple[int, str]:
    code = main(["report", *map(str, args)])
    err = capsys.readouterr().err
    return code, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_edited_config_is_refused_and_nothing_is_written(copy, capsys):
    cfg = copy / "config.yaml"
    cfg.write_text(cfg.read_text().replace("draws: 300", "draws: 50"))
    before = files(copy)
    code, err = report([copy], capsys)
    line = one_error_line(err)
    assert code == 2 and "config.yaml" in line and "--force" in line
    assert "importance.csv" not in line  # only the edited file is named
    assert files(copy) == before


def test_force_builds_from_edited_files_with_a_note_at_the_top(run_dir, copy, capsys):
    assert NOTE not in (run_dir / "report.html").read_text()
    imp = copy / "importance.csv"
    table = pd.read_csv(imp)
    table.loc[0, "importance"] = 0.999  # a finding outside its own interval
    table.to_csv(imp, index=False)
    assert report([copy, "--force"], capsys)[0] == 0
    html, md = (copy / "report.html").read_text(), (copy / "report.md").read_text()
    note = html[html.index(NOTE):]
    assert html.index(NOTE) < html.index('id="findings"')
    assert "importance.csv" in note[:note.index("</p>")] and "--force" in note[:400]
    assert "Edited files." in md[:md.index("## Key findings")]
    # the manifest keeps the run's hash of importance.csv: the next rebuild refuses again
    code, err = report([copy], capsys)
    assert code == 2 and "importance.csv" in one_error_line(err)


def test_a_table_listed_in_the_manifest_must_be_there(copy, capsys):
    (copy / "comparison.csv").unlink()
    code, err = report([copy], capsys)
    line = one_error_line(err)
    assert code == 2 and "comparison.csv missing" in line


def test_a_table_the_run_did_not_write_is_refused(copy, capsys):
    (copy / "class_selection.csv").write_text("group,classes,chosen\nusers,2,true\n")
    code, err = report([copy], capsys)
    assert code == 2 and "class_selection.csv" in one_error_line(err)


def test_a_folder_without_manifest_needs_force(copy, capsys):
    (copy / "manifest.json").unlink()
    for name in ("estimates.csv", "comparison.csv", "design_diagnostics.json"):
        (copy / name).unlink()
    code, err = report([copy], capsys)
    assert code == 2 and "manifest.json" in one_error_line(err)
    assert not (copy / "manifest.json").exists()
    assert report([copy, "--force"], capsys)[0] == 0
    assert NOTE in (copy / "report.html").read_text()
    assert not (copy / "manifest.json").exists()


def _non_numeric(folder):
    table = pd.read_csv(folder / "importance.csv").astype(object)
    table.loc[0, "importance"] = "high"
    table.to_csv(folder / "importance.csv", index=False)


def _five_columns(folder):
    pd.read_csv(folder / "importance.csv").iloc[:, :5].to_csv(folder / "importance.csv",
                                                             index=False)


def _renamed_column(folder):
    pd.read_csv(folder / "estimates.csv").rename(columns={"std_error": "se"}).to_csv(
        folder / "estimates.csv", index=False)


def _broken_yaml(folder):
    with open(folder / "config.yaml", "a") as fh:
        fh.write("extra: [unclosed\n")


@pytest.mark.parametrize("name, damage, expected", [
    ("importance.csv", _non_numeric, "high"),
    ("importance.csv", _five_columns, "'rank'"),
    ("importance.csv", lambda f: (f / "importance.csv").write_text(""), "cannot be read"),
    ("estimates.csv", _renamed_column, "'std_error'"),
    ("config.yaml", _broken_yaml, "cannot be read"),
    ("data_summary.json", lambda f: (f / "data_summary.json").write_text("{"),
     "cannot be read"),
])
def test_broken_files_with_force_give_one_located_error(copy, capsys, name, damage,
                                                        expected):
    damage(copy)
    code, err = report([copy, "--force"], capsys)
    line = one_error_line(err)
    assert code == 2 and name in line and expected in line, line
    assert "internal error" not in err


def test_a_missing_folder_is_named_as_missing(tmp_path, capsys):
    code, err = report([tmp_path / "nowhere"], capsys)
    line = one_error_line(err)
    assert code == 2 and "nowhere" in line and "no such folder" in line
    assert "dce fit" in line


def test_a_folder_without_the_run_tables_mentions_run_and_fit(tmp_path, capsys):
    (tmp_path / "config.yaml").write_text("name: x\n")
    code, err = report([tmp_path], capsys)
    line = one_error_line(err)
    assert code == 2 and "importance.csv" in line and "dce run" in line and "dce fit" in line
