"""A run's record and the order of its stages.

``analyse`` is pure: it returns a :class:`Run` of plain values. ``write_run`` turns a
Run into files in a hidden temporary sibling folder and swaps it in only when complete,
so an interrupted or failed run leaves the previous folder untouched.
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

STAGES = ("design", "simulate", "fit", "run")


@dataclass
class Run:
    """Everything one run produced, as plain values.

    Filled in by the stages (:func:`dce.run.fit.attribute_stages`,
    :func:`dce.run.items.analyse_items`) and turned into files by
    :func:`dce.run.outputs.run_files`; fields of stages not reached keep their defaults.

    Attributes
    ----------
    study : dce.config.study.Study
        The validated study.
    stage : str
        The last stage: one of :data:`STAGES`, or ``power`` / ``cards`` for those commands.
    design : dce.design.Design or None
        The design (design.csv and design_diagnostics.json).
    responses : pandas.DataFrame or None
        The choices in long form, one row per alternative (responses.csv when simulated).
    simulated : bool
        Whether the responses were simulated.
    data_summary : dict
        data_summary.json (with the data-quality counts of attribute studies).
    fits : list
        One fitted model per group, the pooled model (group ``all``) last.
    importance : dce.analysis.importance.Importance or None
        Importance (shares of preference for items), importance.csv.
    comparison : dce.analysis.compare.Comparison or None
        The group comparisons: comparison.csv and outrank.csv.
    notes : list of str
        Warnings of the run (warnings.txt).
    inputs : list of pathlib.Path
        Input files read, hashed into manifest.json.
    bootstrap : dict or None
        Group -> bootstrap replicates of the coefficients, with
        ``importance.intervals: bootstrap``.
    base_fits : dict
        Group -> conditional logit behind a mixed logit, for the scale tests.
    constants_loglik : dict
        Group -> log-likelihood of the constants-only model (models.csv).
    stability : dict
        Group -> the mixed logit's stability check at twice the draws.
    tradeoffs : dce.analysis.wtp.Tradeoffs or None
        Trade-offs against the denominator (tradeoffs.csv).
    uptake : pandas.DataFrame or None
        Predicted shares of the config's scenarios (uptake.csv).
    jobs : int
        Parallel workers for the bootstrap.
    quality : pandas.DataFrame or None
        Data-quality checks, one row per respondent (data_quality.csv).
    fit_responses : pandas.DataFrame or None
        The responses fitted, when respondents who failed a check are excluded.
    all_respondents : Run or None
        The same analysis with every respondent (all_respondents/), when some were
        excluded.
    tables : dict
        Extra tables, name -> pandas.DataFrame written as ``<name>.csv``
        (coefficient_draws, relative_utilities, bw_counts, rank_counts).
    latent : dict
        Group -> :class:`dce.models.latent_class_select.ClassSelection` (the latent class
        fits over ``model.classes`` and the chosen count), with ``type: latent_class``.
    timings : dict
        Stage -> wall seconds (:func:`timed`), written to manifest.json as
        ``stage_seconds``.
    """

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
    timings: dict = field(default_factory=dict)  # stage -> wall seconds (manifest.json)
    latent: dict = field(default_factory=dict)  # group -> latent class ClassSelection


@contextmanager
def timed(run: Run, stage: str):
    """Add the wall time of the ``with`` block to ``run.timings[stage]`` (seconds).

    Parameters
    ----------
    run : Run
    stage : str
        A short stage name (``read``, ``quality``, ``coding``, ``fit`` ...); the time of
        several blocks with one name adds up.
    """
    t0 = time.perf_counter()
    try:
        yield
    finally:
        run.timings[stage] = run.timings.get(stage, 0.0) + time.perf_counter() - t0


def run_stages(run: Run, stages) -> Run:
    """Call ``stages(run)``, keeping the warnings raised on the way as the run's notes.

    Parameters
    ----------
    run : Run
        A new run (study, stage and jobs set).
    stages : callable
        Fills ``run`` in place, e.g. :func:`dce.run.fit.attribute_stages`.

    Returns
    -------
    Run
        ``run``, with the text of each distinct ``RuntimeWarning`` and ``UserWarning``
        (subclasses included) appended to its ``notes`` in order; other warnings are
        dropped.

    Raises
    ------
    dce.errors.DceError
        Whatever ``stages`` raises (user problems as a DceError), unchanged; the
        warnings caught so far are then lost.
    """
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
    """Whether ``stage`` comes at or after ``wanted`` in :data:`STAGES`.

    Parameters
    ----------
    stage, wanted : {"design", "simulate", "fit", "run"}
        Stage names.

    Returns
    -------
    bool
        True when ``stage`` is ``wanted`` or a later stage.

    Raises
    ------
    ValueError
        When either is not one of :data:`STAGES`.
    """
    return STAGES.index(stage) >= STAGES.index(wanted)


def progress(items, desc: str):
    """A progress bar over finished items, silent when stderr is not a terminal.

    Parameters
    ----------
    items : iterable
        What to iterate over.
    desc : str
        The bar's label, e.g. "fitting models".

    Returns
    -------
    iterable
        ``items`` itself when stderr is not a terminal (tqdm is then not even imported:
        0.05 s), else a ``tqdm`` iterator over them (the bar is removed when done).
    """
    import sys

    if not sys.stderr.isatty():
        return items
    from tqdm.std import tqdm  # not tqdm.auto: a notebook's stderr is no terminal either

    return tqdm(items, desc=desc, leave=False)
