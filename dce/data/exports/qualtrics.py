"""Qualtrics CSV exports of choice questions, read as wide data.

Layout (Qualtrics support, "Understanding your dataset"; Qualtrics "Download data" as
CSV): one row per response; the column names, then a row of question texts and a row of
``{"ImportId": ...}`` JSON (dropped by :func:`dce.data.exports.skip_metadata`); metadata
columns ``StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds),
Finished, RecordedDate, ResponseId, ...``; one column per question, named as in the survey
(``Q1``, ``Q2``, ...; questions repeated by Loop & Merge are ``1_Q5``, ``2_Q5``, ...);
embedded data (such as the block a respondent was given) in columns of their own. A
single-choice question holds the recode value of the option chosen (numeric export) or
its text ("Use choice text", read with ``choices.chosen_by: label``); a question not
answered is empty.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from dce.core.cells import distinct
from dce.data.taskcols import check_found, design_tasks
from dce.errors import DataError

RESPONSE_ID = "ResponseId"
log = logging.getLogger(__name__)


def to_wide(study, frame, design, display):
    """The columns of a Qualtrics export as dce's wide format reads them.

    The respondent column is ``ResponseId`` unless ``choices.columns.respondent`` is set;
    ``choices.columns.tasks`` names the choice questions (a list, or a prefix: ``Q`` finds
    ``Q1, Q2, ...``; a Loop & Merge question ``Q5`` finds ``1_Q5, 2_Q5, ...``, task =
    loop number); ``choices.columns.block`` names the embedded-data column of the block.
    Responses not finished (``Finished`` = 0 or False) keep the tasks they answered; the
    rest of their tasks are empty cells, i.e. missing answers.

    Parameters
    ----------
    study : Study
    frame : DataFrame (rows, columns) of str
        The export without its metadata rows.
    design : Design or None
        The fielded design; wide data take the attribute levels from it.
    display : str
        The file name shown in problems.

    Returns
    -------
    columns : ChoiceColumns
        ``choices.columns`` for the wide reader.
    frame : DataFrame
        ``frame`` itself.

    Raises
    ------
    DataError
        At key ``choices.format`` when there is no design; at line 1 of the file when a
        loop of the design's tasks has no column (e.g. ``1_Q5`` of ``2_Q5, 3_Q5, ...``).
    """
    if design is None:
        raise DataError([study.problem(("choices", "format"), "Qualtrics data hold only the "
                                       f"chosen option of each question of {display}; the "
                                       "design is needed for the attribute levels: add "
                                       "a `design:` section with design.file (the fielded design)")])
    c = study.spec.choices.columns
    update = {}
    if "respondent" not in c.model_fields_set:
        update["respondent"] = RESPONSE_ID
    if isinstance(c.tasks, str):
        looped = _loop_columns(frame.columns, c.tasks)
        if looped:  # a loop missing would shift the tasks after it: each must be there
            check_found(looped, design_tasks(design, bool(c.version)), display,
                        lambda t: f"{t}_{c.tasks}")
            update["tasks"] = [col for _, col in looped]
    finished = [col for col in frame.columns if col.lower() == "finished"]
    if finished:
        codes, uniques = distinct(frame[finished[0]])  # one look per distinct cell
        unfinished = int(np.isin(np.array([u.strip().lower() for u in uniques], dtype=object),
                                 ["0", "false"])[codes].sum())
        if unfinished:
            log.info("%s: %d responses not finished; their answered tasks are used",
                     display, unfinished)
    return c.model_copy(update=update), frame


def _loop_columns(columns, prefix: str) -> list[tuple[int, str]] | None:
    """Loop number and column of the Loop & Merge copies ``<n>_<prefix>`` of a question,
    in loop order, when the file has no ``<prefix><n>`` columns; None otherwise."""
    plain = re.compile(re.escape(prefix) + r"_?\d+")
    if any(plain.fullmatch(col) for col in columns):
        return None
    loop = re.compile(r"(\d+)_" + re.escape(prefix))
    found = sorted((int(m.group(1)), col) for col in columns if (m := loop.fullmatch(col)))
    return found or None
