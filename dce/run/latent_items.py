"""The latent class stage of an item study (best-worst or ranking, ``model.type:
latent_class``).

The item models of :func:`dce.run.items.analyse_items` stay the group models (the source of
estimates.csv, importance.csv, relative utilities, comparisons, scale tests and bootstrap);
this stage adds, for every group of ``model.by`` and the pooled model ``all``, a latent class
logit (:mod:`dce.models.latent_class`) fitted to the expanded choice sets of the item model
(:func:`dce.models.items.expand`): the best and worst choices of the sequential best-worst
model, the ordered pairs of maxdiff (both with the worst scale fixed at 1) or the stages of
the rank-ordered logit, so that each class is that item model with its own item utilities
and a respondent belongs to one class for all their sets. The fits over ``model.classes``
and the shared tables come from :mod:`dce.run.latent` (same seeds: the starts of group ``i``,
in fit order with the pooled model last, use ``seed_sequence(seed, "latent_class", i)``):

- ``class_selection.csv``, ``class_shares.csv``, ``classes.csv``: as in attribute studies;
- ``class_estimates.csv``: per class the utility of every item, the reference item at 0
  (standard error 0), then the membership (and scale-class) terms;
- ``class_importance.csv``: per class the items' shares of preference ``exp(v_i) / sum_j
  exp(v_j)`` with intervals and rank probabilities (:func:`dce.analysis.items.rank`, as
  importance.csv), from Krinsky-Robb draws of the class's utilities (the ``importance``
  stream with sub-indices ``(3000 + i, c)``) or, with ``importance.intervals: delta``, the
  delta method; the bootstrap of the group models is not repeated for the classes.
"""

from __future__ import annotations

import pandas as pd

from dce.analysis import items as item_importance
from dce.core.random import rng as make_rng
from dce.models.items import embed
from dce.models.results import tidy
from dce.run.latent import fit_group, segment_tables
from dce.run.stages import Run, timed

__all__ = ["class_item_fits", "latent_classes"]


def latent_classes(run: Run, parts: dict, items, reference: str) -> None:
    """Fit the latent class models of an item study with ``model.type: latent_class`` and
    add their tables (module docstring) to ``run.tables`` and the fits to ``run.latent``
    (nothing for other model types).

    Parameters
    ----------
    run : dce.run.stages.Run
        The run being filled (study, jobs, responses).
    parts : dict of str to dce.models.items.Expanded
        The expanded sets of each group fitted, pooled ``all`` last (as the item models).
    items : sequence
        The items (with ``name``), in the order of the utilities.
    reference : str
        The item whose utility is 0 in every class.

    Raises
    ------
    dce.errors.DataError
        Bad membership covariates (key ``model.membership``) or fewer respondents than
        segments (key ``model.classes``), naming the group.
    dce.errors.EstimationError
        Every start of a group failed.
    """
    spec = run.study.spec
    if spec.model.type != "latent_class":
        return
    with timed(run, "latent_class"):
        for i, (g, part) in enumerate(parts.items()):
            run.latent[g] = fit_group(run, g, part.data, i, run.responses)
        seg = segment_tables(run, list(parts), run.responses)
        est, imp = [], []
        names = [it.name for it in items]
        method = "delta" if spec.importance.intervals == "delta" else "krinsky-robb"
        for i, (g, part) in enumerate(parts.items()):
            sel = run.latent[g]
            res = sel.fits[sel.chosen]
            fits = class_item_fits(res, names, reference, part.n_tasks)
            est.append(_estimates(res, fits, spec.importance.level))
            for c, fc in enumerate(fits, start=1):
                draws = item_importance.utility_draws(
                    fc, len(names), spec.importance.draws,
                    make_rng(run.study.seed, "importance", 3000 + i, c))
                t = item_importance.rank(fc, items, utilities=draws, intervals=method,
                                         level=spec.importance.level).table
                t.insert(1, "class", f"class{c}")
                imp.append(t)
        run.tables.update({"class_selection": seg["class_selection"],
                           "class_estimates": pd.concat(est, ignore_index=True),
                           "class_shares": seg["class_shares"], "classes": seg["classes"],
                           "class_importance": pd.concat(imp, ignore_index=True)})


def class_item_fits(res, names, reference: str, n_tasks: int) -> list:
    """The item utilities of each preference class of a latent class fit on expanded item
    data, as item fits with the reference item at 0.

    Parameters
    ----------
    res : dce.models.latent_class.LatentClassResult
        Fitted to :attr:`dce.models.items.Expanded.data` (terms: the items but the
        reference).
    names : sequence of str (I,)
        Every item.
    reference : str
        The reference item.
    n_tasks : int
        Observed sets (or rankings) behind the expanded sets.

    Returns
    -------
    list of dce.models.items.ItemFit
        One per class (class 1 first): ``params`` (I,), ``vcov`` (I, I) the class's block of
        the latent class covariance with zero row and column for the reference; ``model``
        ``latent_class[class<c>]``.
    """
    out = []
    for c in range(1, res.n_classes + 1):
        cf = res.class_fit(c)
        out.append(embed(cf, names, reference, cf.model, n_tasks))
    return out


def _estimates(res, fits: list, level: float) -> pd.DataFrame:
    """class_estimates rows of one group: every item per class (reference at 0), then the
    membership and scale-class terms of the latent class fit."""
    rows = []
    for c, fc in enumerate(fits, start=1):
        t = tidy(fc.terms, fc.params, fc.vcov, level, fc.group)
        t.insert(1, "class", f"class{c}")
        rows.append(t)
    rest = res.tidy(level)
    rows.append(rest[~rest["term"].isin(res.class_terms)
                     | ~rest["class"].str.startswith("class")])
    return pd.concat(rows, ignore_index=True)
