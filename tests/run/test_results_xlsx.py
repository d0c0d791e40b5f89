"""results.xlsx: one sheet per CSV table of the run folder with the same values (numbers
as numbers), bold frozen headers, a README sheet naming every sheet and every table left
out, and the same bytes for the same run."""

from __future__ import annotations

import io
import math
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from dce.cli import main
from dce.config.study import load_config
from dce.run.outputs import XLSX_MAX_CELLS, XLSX_MAX_ROWS, run_files, sheet_name, xlsx_bytes
from dce.run.runner import analyse
from tests.conftest import write_config


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("xlsx")
    cfg = write_config(folder)
    assert main(["run", str(cfg), "--output", str(folder / "out")]) == 0
    return folder / "out"


def _readme(wb) -> dict:
    """file -> (sheet, note) from the README sheet (its table starts on row 3)."""
    rows = list(wb["README"].iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("sheet", "file", "rows", "columns", "note")
    return {r[1]: (r[0], r[4]) for r in rows[1:]}


def _same(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    if isinstance(want, (bool, np.bool_)):
        return got is bool(want)
    if isinstance(want, (int, float, np.integer, np.floating)):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and \
            math.isclose(got, float(want), rel_tol=1e-12, abs_tol=1e-300)
    return got == want


def test_one_sheet_per_csv_with_the_same_values(run_dir):
    wb = openpyxl.load_workbook(run_dir / "results.xlsx")
    csvs = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*.csv"))
    assert {"estimates.csv", "importance.csv", "responses.csv",
            "coefficient_draws.csv"} <= set(csvs)
    listed = _readme(wb)
    assert sorted(listed) == csvs
    assert wb.sheetnames[0] == "README"
    assert sorted(wb.sheetnames[1:]) == sorted(s for s, _ in listed.values())
    for path in csvs:
        ws = wb[listed[path][0]]
        frame = pd.read_csv(run_dir / path, keep_default_na=False, na_values=[""])
        rows = list(ws.iter_rows(values_only=True))
        assert list(rows[0]) == list(frame.columns), path
        assert len(rows) - 1 == len(frame), path
        for i, row in enumerate(frame.itertuples(index=False, name=None)):
            bad = [(c, g, w) for c, g, w in zip(frame.columns, rows[i + 1], row)
                   if not _same(g, w)]
            assert not bad, (path, i, bad[:3])
        assert ws.freeze_panes == "A2", path
        assert all(c.font.b for c in ws[1]), path
        assert not any(c.font.b for c in ws[2]), path
        widths = [d.width for d in ws.column_dimensions.values()]
        assert len(widths) == len(frame.columns) and all(8 <= w <= 60 for w in widths)
    numbers = wb["estimates"]["C2"]  # estimate: a number, not text
    assert numbers.data_type == "n" and isinstance(numbers.value, float)


def test_same_run_same_bytes(small_config):
    run = analyse(load_config(small_config))
    first = run_files(run)["results.xlsx"]
    time.sleep(2.1)  # zip entry times have a 2-second resolution
    second = run_files(run)["results.xlsx"]
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert core.count("2000-01-01T00:00:00Z") == 2  # created and modified


def test_sheet_names_follow_the_file_path():
    taken = {"readme"}
    assert sheet_name("all_respondents/importance.csv", taken) == "all_respondents_importance"
    long = "a_rather_long_folder_name/and_a_long_table_name.csv"
    first, second = sheet_name(long, taken), sheet_name(long, taken)
    assert len(first) == len(second) == 31 and first != second
    assert sheet_name("README.csv", taken) == "README~2"  # the README sheet keeps its name


def test_large_tables_are_left_out_and_listed():
    many_rows = pd.DataFrame({"a": np.arange(XLSX_MAX_ROWS + 1), "b": 0.5})
    cols = 12
    many_cells = pd.DataFrame(np.ones((XLSX_MAX_CELLS // cols + 1, cols)))
    small = "id,value,text,flag\n007,1.5,=1+1,true\n010,2,plain,false\n"
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({
        "responses.csv": many_rows.to_csv(index=False).encode(),
        "coefficient_draws.csv": many_cells.to_csv(index=False).encode(),
        "small.csv": small.encode()}, "big")))
    listed = _readme(wb)
    assert listed["responses.csv"][0] == "(left out)"
    assert f"more than {XLSX_MAX_ROWS:,} rows" in listed["responses.csv"][1]
    assert listed["coefficient_draws.csv"][0] == "(left out)"
    assert f"more than {XLSX_MAX_CELLS:,} cells" in listed["coefficient_draws.csv"][1]
    assert wb.sheetnames == ["README", "small"]
    row = [c for c in wb["small"][2]]
    assert [c.value for c in row] == ["007", 1.5, "=1+1", True]  # ids keep their zeros
    assert row[2].data_type == "s"  # text, not a formula
