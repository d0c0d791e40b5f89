"""Survey-platform exports, turned into the long or wide tables that dce reads.

``choices.format: qualtrics`` (a Qualtrics CSV: metadata header rows, ``ResponseId``, one
column per choice question) becomes wide data; ``choices.format: sawtooth`` (a Sawtooth
CBC export, one row per concept) becomes long data; ``choices.chosen_by: label`` turns the
labels in task cells into alternative numbers. Each reader returns the study with
``choices.format`` and ``choices.columns`` naming the converted table, so the long and
wide readers of :mod:`dce.data.choices` do the rest (and locate every problem at the
export's own file lines and columns). Layouts: docs/data.md, "Survey-platform exports".
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from dce.core.csvread import LINES, drop_rows, metadata_rows
from dce.data.exports.labels import to_numbers
from dce.data.exports.qualtrics import to_wide
from dce.data.exports.sawtooth import to_long
from dce.errors import DataError, Problem

PLATFORMS = ("qualtrics", "sawtooth")
log = logging.getLogger(__name__)


def applies(spec) -> bool:
    """True when the choices file needs converting (a platform export, or labels).

    Parameters
    ----------
    spec : ChoicesSpec
        The config's ``choices:`` section.

    Returns
    -------
    bool
    """
    return spec.format in PLATFORMS or spec.chosen_by == "label"


def to_standard(study, frame, design, display):
    """The study and table that the long or wide reader reads in place of an export.

    Parameters
    ----------
    study : Study
        Its ``choices:`` section names the export's format and columns.
    frame : DataFrame (rows, columns) of str
        The export as read by :func:`dce.data.choices.read_choices` (metadata rows gone).
    design : Design or None
        The fielded design (needed by Qualtrics data and by labels).
    display : str
        The file name shown in problems.

    Returns
    -------
    study : Study
        A copy whose ``choices.format`` is ``long`` or ``wide`` and whose
        ``choices.columns`` name the columns of ``frame``.
    frame : DataFrame (rows, columns) of str
        The converted table; ``attrs[LINES]`` still maps each row to its file line.

    Raises
    ------
    DataError
        Located problems of :func:`~dce.data.exports.qualtrics.to_wide`,
        :func:`~dce.data.exports.sawtooth.to_long` and
        :func:`~dce.data.exports.labels.to_numbers`.
    """
    spec = study.spec.choices
    update = {"chosen_by": "number"}
    if spec.format == "sawtooth":
        columns, frame = to_long(study, frame, design, display)
        update.update(format="long", columns=columns)
    elif spec.format == "qualtrics":
        columns, frame = to_wide(study, frame, design, display)
        update.update(format="wide", columns=columns)
    if spec.chosen_by == "label":
        frame = to_numbers(study, frame, update.get("columns", spec.columns), design, display)
    choices = spec.model_copy(update=update)
    return dataclasses.replace(study, spec=study.spec.model_copy(update={"choices": choices})), frame


def skip_metadata(study, frame, display):
    """The choices table without the rows that are not answers.

    With ``choices.skip_rows`` the rows it names are dropped (a number n: the n rows under
    the header; a list: those file lines). Without it, Qualtrics' metadata rows (question
    texts and ``{"ImportId": ...}``, :func:`dce.core.csvread.metadata_rows`) are
    recognised and dropped, noted in the log at INFO level.

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
        As read by :func:`dce.core.csvread.read_table`.
    display : str
        The file name shown in problems.

    Returns
    -------
    DataFrame
        The remaining rows, each with its file line (``attrs[LINES]``).

    Raises
    ------
    DataError
        At key ``choices.skip_rows`` when it names line 1 or lines the file does not have,
        or leaves no rows; at the file line of an ``ImportId`` row left in the data; and,
        for ``format: qualtrics``, at line 2 when it holds Qualtrics' question texts but no
        ``ImportId`` row follows (header rows not the expected ones).
    """
    spec = study.spec.choices
    lines = np.asarray(frame.attrs[LINES])
    skip = spec.skip_rows
    if skip is None:
        n = metadata_rows(frame)
        if n:
            log.info("%s: skipped %d Qualtrics header rows (lines %s)", display, n,
                     ", ".join(str(x) for x in lines[:n]))
            return drop_rows(frame, np.arange(n))
        _question_row_alone(study, frame, display)
        return frame
    where = ("choices", "skip_rows")
    if isinstance(skip, int):
        if not 0 <= skip < len(frame):
            raise DataError([study.problem(where, f"expected a number from 0 to "
                                           f"{len(frame) - 1} (rows under the header to skip; "
                                           f"{display} has {len(frame)} rows), found {skip}")])
        rows = np.arange(skip)
    else:
        wanted = np.asarray(skip, dtype=np.int64)
        bad = [int(x) for x in wanted if x < 2 or x not in lines]
        if bad:
            inside = bool(lines[0] < bad[0] < lines[-1])  # within a multi-line row
            starts = ", ".join(str(x) for x in lines[:4])
            raise DataError([study.problem(where, f"line {bad[0]} is not where a row of "
                                           f"{display} starts" + (
                                               " (it is inside a quoted cell that spans "
                                               "lines, as Qualtrics question texts do)"
                                               if inside else "") +
                                           f"; rows start on lines {starts}, ... (header = "
                                           "line 1); or leave skip_rows out to skip Qualtrics' "
                                           "header rows as found")])
        rows = np.flatnonzero(np.isin(lines, wanted))
        if len(rows) == len(frame):
            raise DataError([study.problem(where, f"skips every row of {display}; list only "
                                           "the lines that are not answers")])
    out = drop_rows(frame, rows)
    left = metadata_rows(out)
    if left:
        line = int(out.attrs[LINES][left - 1])
        raise DataError([Problem("a Qualtrics metadata row ({\"ImportId\": ...}) is read as "
                                 f"answers; add line {line} to choices.skip_rows", display,
                                 line, "choices.skip_rows")])
    return out


def _question_row_alone(study, frame, display) -> None:
    """A Qualtrics export whose question-text row is not followed by the ImportId row."""
    if study.spec.choices.format != "qualtrics":
        return
    titles = {"finished": "Finished", "responseid": "Response ID", "startdate": "Start Date"}
    first = {str(c).lower(): str(frame[c].iloc[0]).strip() for c in frame.columns}
    found = [c for c, t in titles.items() if first.get(c) == t]
    if found:
        line = int(frame.attrs[LINES][0])
        raise DataError([Problem(
            f"line {line} holds Qualtrics' question texts ({first[found[0]]!r}), but the "
            "next row is not the {\"ImportId\": ...} row Qualtrics writes under them; set "
            f"choices.skip_rows to the lines that are not answers (e.g. [{line}])", display,
            line, "choices.skip_rows")])
