"""The heterogeneity tables of a mixed-logit run: individual.csv (conditional means per
respondent, Revelt and Train 2000) and heterogeneity.csv (per level against its reference:
population mean and SD of the utility difference and the share preferring the level).

Both are added to ``run.tables`` (written as CSV and as sheets of results.xlsx, and read
back by the report). Conditional-logit runs are left untouched.
"""

from __future__ import annotations

import pandas as pd

from dce.analysis.mixed_heterogeneity import COLUMNS, heterogeneity_table
from dce.core.random import rng as make_rng
from dce.models.mixed import MixedFitResult
from dce.models.mixed_individual import individual_table
from dce.run.stages import Run, timed

KR_OFFSET = 2000   # "importance" sub-streams: i (coefficient draws), 1000 + i (mixed importance)


def add_tables(run: Run, parts: dict) -> None:
    """Add ``individual`` and ``heterogeneity`` to ``run.tables`` for a mixed-logit run.

    Fits with separated data (``model.on_separation: warn``) are left out: their
    estimates do not exist in truth. heterogeneity.csv covers only mixed logits in
    preference space without scale heterogeneity (a WTP-space or G-MNL fit gets a note);
    individual.csv covers every mixed logit (utility coefficients). The conditional means use each fit's own draws (its
    draw seed), so they add no randomness; the Krinsky-Robb draws of the shares come from
    the ``importance`` stream, sub-stream ``2000 + i`` for the i-th fit (0-based, as in
    ``run.fits``), which no other step uses.

    Parameters
    ----------
    run : dce.run.stages.Run
        A fitted run (``study``, ``fits``); its ``tables`` gain two entries, its
        ``timings`` the stage ``heterogeneity``.
    parts : dict
        Group -> the ChoiceData each fit was fitted to.
    """
    spec = run.study.spec
    fits = [(i, r) for i, r in enumerate(run.fits)
            if isinstance(r, MixedFitResult) and getattr(r, "separation", None) is None]
    if spec.model.type != "mixed_logit" or not fits:
        return
    with timed(run, "heterogeneity"):
        run.tables["individual"] = pd.concat(
            [individual_table(r, parts[r.group]) for _, r in fits], ignore_index=True)
        plain = [(i, r) for i, r in fits if _preference_space(r)]
        for _, r in fits:
            if not _preference_space(r):
                run.notes.append(f"group {r.group}: heterogeneity.csv covers mixed logits in "
                                 "preference space without scale heterogeneity, so this "
                                 "model is left out of it (individual.csv has its conditional "
                                 "means of the utility coefficients)")
        frames = [heterogeneity_table(r, run.study.attributes,
                                      make_rng(run.study.seed, "importance", KR_OFFSET + i),
                                      draws=spec.importance.draws,
                                      level=spec.importance.level) for i, r in plain]
        frames = [f for f in frames if not f.empty]
        run.tables["heterogeneity"] = (pd.concat(frames, ignore_index=True) if frames
                                       else pd.DataFrame(columns=list(COLUMNS)))


def _preference_space(result) -> bool:
    """A mixed logit in preference space without scale heterogeneity (the closed forms of
    :mod:`dce.analysis.mixed_heterogeneity` apply)."""
    return (getattr(result, "space", "preference") == "preference"
            and getattr(result, "scale_heterogeneity", "none") in (None, "none"))
