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

    ``table`` columns: ``block, task, alternative, <attributes>, is_opt_out``.
    """

    table: pd.DataFrame
    diagnostics: dict = field(default_factory=dict)
    source: str = "generated"

    @property
    def blocks(self) -> int:
        return int(self.table["block"].nunique())

    @property
    def opt_out(self) -> bool:
        return bool(self.table["is_opt_out"].any())


def design_file(study) -> tuple:
    """(resolved path, path as written in the config) of ``design.file``; DataError when it
    names a folder."""
    path = study.resolve(study.spec.design.file)
    if path.is_dir():
        raise DataError("design.file is a folder; give the path of the design CSV",
                        file=study.display_name, line=study.line("design", "file"),
                        key="design.file")
    return path, study.spec.design.file


def design_table(sets: np.ndarray, blocks: np.ndarray, attributes, opt_out: bool) -> pd.DataFrame:
    """Level-index choice sets -> tidy table with level labels.

    ``sets``: int array (n_sets, n_alternatives, n_attributes) of level indices;
    ``blocks``: block number (1-based) of each set. Tasks are numbered within blocks in the
    order given.
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
    return [a.name for a in attributes]
