"""``dce.analyse``: a whole study in memory, as ``dce run`` would do it, and its Run.

The Run holds every table of a run folder as a DataFrame (``run.tables["importance"]``)
and the fitted models as :class:`~dce.models.fitted.ModelResult` objects
(``run.models["public_used"]``); ``run.write(folder)`` writes the same atomic run folder
as ``dce run``. Nothing is written or printed until ``write`` is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from dce.config.study import Study
    from dce.models.fitted import ModelResult
    from dce.run.stages import Run as StageRun


@dataclass(frozen=True)
class Run:
    """The result of :func:`analyse`.

    Attributes
    ----------
    study : Study
    raw : dce.pipeline.Run
        The stages' plain values (design, responses, fits, importance, comparison, ...).
    """

    study: Study
    raw: StageRun = field(repr=False)

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every CSV table of the run folder, by file name without ``.csv``
        (``estimates``, ``models``, ``importance``, ``comparison``, ``tradeoffs``, ...)."""
        from dce.run.outputs import csv_table, run_files

        files = run_files(self.raw, xlsx=False)
        return {name[:-4]: csv_table(raw) for name, raw in files.items()
                if name.endswith(".csv")}

    @property
    def models(self) -> dict[str, ModelResult]:
        """The fitted model of each group (and ``all``), as ModelResult."""
        from dce.models.fitted import ModelResult

        columns = {"respondent": "respondent", "task": "task", "alternative": "alternative",
                   "group": "group", "block": "block",
                   "asc": tuple(self.study.constants),
                   "labels": self.study.alternative_labels}
        attributes: tuple[Any, ...] = tuple(self.study.attributes)
        if self.study.spec.type != "dce":
            from dce.core.items import items_of

            attributes = tuple(items_of(self.study))
        return {r.group: ModelResult(r, attributes,
                                     self.raw.constants_loglik.get(r.group, float("nan")),
                                     columns)
                for r in self.raw.fits}

    @property
    def warnings(self) -> list[str]:
        """Every warning raised on the way (warnings.txt)."""
        return list(self.raw.notes)

    def write(self, folder: str | Path, force: bool = False) -> Path:
        """Write the run folder (tables, report.html/md, figures, results.xlsx, manifest)
        atomically: a failed write leaves an existing folder untouched. ``force`` allows
        replacing a folder that is not a dce run folder.

        Raises
        ------
        ConfigError
            When ``folder`` cannot be written or is not a dce run folder.
        """
        from dataclasses import replace

        from dce.errors import DceError
        from dce.run.runner import write_run

        try:
            return write_run(self.raw, folder, force)
        except DceError as exc:  # the same checks as the CLI, in the API's words
            words = {"--output": "folder", "pass --force": "pass force=True",
                     "--force": "force=True"}
            problems = []
            for p in exc.problems:
                message = p.message
                for a, b in words.items():
                    message = message.replace(a, b)
                problems.append(replace(p, message=message, file=str(Path(folder)), line=None))
            raise type(exc)(problems) from None

    def __repr__(self) -> str:
        groups = [r.group for r in self.raw.fits]
        return (f"Run({self.study.name!r}, stage={self.raw.stage!r}, "
                f"groups={groups}, tables={sorted(self.tables)})")


def analyse(study: Study, *, stage: str = "run", jobs: int = 1) -> Run:
    """Run a study's stages in memory (design, responses, models, importance,
    comparison) and return a :class:`Run`; nothing is written.

    Parameters
    ----------
    study : Study
        From :func:`dce.load_config` or :meth:`dce.Study.from_dict`.
    stage : {"design", "simulate", "fit", "run"}
    jobs : int
        Workers for Monte Carlo steps (bootstrap); the numbers do not depend on it.

    Raises
    ------
    DataError, ConfigError, EstimationError
        As ``dce run`` (ValueError / RuntimeError).
    """
    from dce.config.study import Study
    from dce.errors import ConfigError
    from dce.run.runner import analyse as run_stages
    from dce.run.stages import STAGES

    if not isinstance(study, Study):
        raise ConfigError("expected a Study (dce.load_config or dce.Study.from_dict), found "
                          f"{type(study).__name__}", key="study")
    if stage not in STAGES:
        raise ConfigError(f"expected one of {', '.join(map(repr, STAGES))}, found {stage!r}",
                          key="stage")
    spec = study.spec
    if stage != "design" and spec.choices is None and spec.simulate is None:
        raise ConfigError("this study has no responses yet (neither choices: nor simulate:); "
                          "use stage='design', or dce.make_design", key="stage")
    return Run(study, run_stages(study, stage, jobs=jobs))
