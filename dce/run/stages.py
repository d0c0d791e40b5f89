"""A run's record and the order of its stages.

``analyse`` is pure: it returns a :class:`Run` of plain values. ``write_run`` turns a
Run into files in a hidden temporary sibling folder and swaps it in only when complete,
so an interrupted or failed run leaves the previous folder untouched.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

STAGES = ("design", "simulate", "fit", "run")


@dataclass
class Run:
    """Everything one run produced, as plain values."""

    study: object
    stage: str = "run"
    design: object | None = None
    responses: pd.DataFrame | None = None
    simulated: bool = False
    data_summary: dict = field(default_factory=dict)
    fits: list = field(default_factory=list)
    importance: object | None = None
    comparison: object | None = None
    notes: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    bootstrap: dict | None = None
    base_fits: dict = field(default_factory=dict)
    constants_loglik: dict = field(default_factory=dict)
    stability: dict = field(default_factory=dict)
    tradeoffs: object | None = None
    uptake: pd.DataFrame | None = None
    jobs: int = 1
    quality: pd.DataFrame | None = None  # data-quality checks, one row per respondent
    fit_responses: pd.DataFrame | None = None  # responses fitted, when some are excluded
    all_respondents: object | None = None  # a Run fitted with every respondent
    tables: dict = field(default_factory=dict)  # extra tables: name -> DataFrame (name.csv)


def run_stages(run: Run, stages) -> Run:
    """Call ``stages(run)``, keeping the warnings raised on the way as the run's notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stages(run)
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen and issubclass(w.category, (RuntimeWarning, UserWarning)):
            seen.add(text)
            run.notes.append(text)
    return run


def stage_at_least(stage: str, wanted: str) -> bool:
    """Whether ``stage`` comes at or after ``wanted`` in :data:`STAGES`."""
    return STAGES.index(stage) >= STAGES.index(wanted)


def progress(items, desc: str):
    """A progress bar over finished items, silent when stderr is not a terminal."""
    import sys

    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, leave=False, disable=not sys.stderr.isatty())
