"""The Design record and the conversion of a design table into a model matrix."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dce.core.attributes import Attribute
from dce.errors import DataError

KEY_COLUMNS = ["block", "task", "alternative"]


@dataclass(frozen=True)
class Design:
    """A design: one row per block x task x alternative, with level labels.

    Attributes
    ----------
    table : DataFrame (rows, columns)
        Attribute designs: ``block, task, alternative, <attributes>, is_opt_out`` (opt-out
        rows have empty attribute cells). Item designs (:mod:`dce.design.items`):
        ``block, task, alternative, item``.
    diagnostics : dict
        JSON-ready quality measures (:func:`dce.design.diagnostics.diagnose` or
        :func:`dce.design.items.diagnose`).
    source : str
        ``"generated"``, or where a fielded design was read from.
    """

    table: pd.DataFrame
    diagnostics: dict = field(default_factory=dict)
    source: str = "generated"

    @property
    def blocks(self) -> int:
        """Number of distinct blocks in the table."""
        return int(self.table["block"].nunique())

    @property
    def opt_out(self) -> bool:
        """True when the table has an opt-out row (``is_opt_out``; attribute designs only)."""
        return bool(self.table["is_opt_out"].any())


def design_file(study) -> tuple:
    """The path of ``design.file``, resolved and as written in the config.

    Parameters
    ----------
    study : Study
        A loaded study whose ``design.file`` is set.

    Returns
    -------
    path : pathlib.Path
        Absolute path (the file need not exist).
    shown : str
        The path as written in the config (for problem messages).

    Raises
    ------
    DataError
        Key ``design.file`` (with the config line) when the path is a folder.
    """
    path = study.resolve(study.spec.design.file)
    if path.is_dir():
        raise DataError("a folder, not a file; give the path of the design CSV",
                        file=study.display_name, line=study.line("design", "file"),
                        key="design.file")
    return path, study.spec.design.file


def design_table(sets: np.ndarray, blocks: np.ndarray, attributes, opt_out: bool) -> pd.DataFrame:
    """Level-index choice sets -> tidy table with level labels.

    Parameters
    ----------
    sets : ndarray of int (n_sets, n_alternatives, n_attributes)
        Level index of each attribute of each alternative.
    blocks : ndarray of int (n_sets,)
        Block number (1-based) of each set. Tasks are numbered 1.. within each block, in
        the order of the sets.
    attributes : sequence of Attribute
        The attributes, in the order of the last axis of ``sets``.
    opt_out : bool
        Add an opt-out row (alternative ``n_alternatives + 1``, empty attribute cells,
        ``is_opt_out = 1``) to every task.

    Returns
    -------
    DataFrame
        ``block, task, alternative, <attributes>, is_opt_out``, sorted by block and task,
        with level labels (:attr:`Attribute.level_labels`) in the attribute columns.
    """
    n_sets, n_alt, _ = sets.shape
    rows = []
    task_in_block: dict[int, int] = {}
    order = np.lexsort((np.arange(n_sets), blocks))
    for s in order:
        b = int(blocks[s])
        task_in_block[b] = task_in_block.get(b, 0) + 1
        for j in range(n_alt):
            row = {"block": b, "task": task_in_block[b], "alternative": j + 1}
            for a_i, attr in enumerate(attributes):
                row[attr.name] = attr.level_labels[sets[s, j, a_i]]
            row["is_opt_out"] = 0
            rows.append(row)
        if opt_out:
            row = {"block": b, "task": task_in_block[b], "alternative": n_alt + 1}
            row.update({attr.name: "" for attr in attributes})
            row["is_opt_out"] = 1
            rows.append(row)
    cols = KEY_COLUMNS + [a.name for a in attributes] + ["is_opt_out"]
    return pd.DataFrame(rows, columns=cols)


def attribute_names(attributes: tuple[Attribute, ...]) -> list[str]:
    """The names of ``attributes``, in order.

    Parameters
    ----------
    attributes : tuple of Attribute

    Returns
    -------
    list of str
    """
    return [a.name for a in attributes]
