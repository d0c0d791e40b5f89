"""Cross-checks of the latent class keys of ``model:`` (:mod:`dce.models.latent_class`).

``classes``, ``class_criterion``, ``starts``, ``membership`` and ``scale_classes`` belong to
``model.type: latent_class``; given with another model type they are an error (as
``model.random`` without ``mixed_logit``), so that a forgotten ``type`` does not silently fit
a conditional logit. Item studies (best-worst, ranking) take the same keys
(:mod:`dce.config.item_checks` refuses ``model.worst_scale: estimate`` with them). Whether
the membership columns exist in the respondents table is checked when the table is read
(:func:`dce.data.choices.attach_groups`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LATENT_KEYS", "MAX_CLASSES", "check_latent_class", "class_count_problem",
           "class_counts", "covariate_key", "respondent_covariates"]

LATENT_KEYS = ("classes", "class_criterion", "starts", "membership", "scale_classes")
# the most classes a config may ask for: DCE studies report 2 to about 6 classes, and every
# count of a range is fitted with its starts, so [1, 200] would run for hours to no purpose
MAX_CLASSES = 20


def class_counts(classes) -> list[int]:
    """The class counts that ``model.classes`` asks for.

    Parameters
    ----------
    classes : int or list of int
        A number, or a range ``[lo, hi]`` (list or tuple).

    Returns
    -------
    list of int
        ``[classes]`` or ``lo, lo + 1, ..., hi``.
    """
    if isinstance(classes, (int, np.integer)):
        return [int(classes)]
    lo, hi = classes
    return list(range(int(lo), int(hi) + 1))


def class_count_problem(classes: object) -> str | None:
    """What is wrong with a number of classes, or None when it is a whole number >= 1 or a
    range ``[lo, hi]`` (list or tuple) of whole numbers with ``1 <= lo <= hi``.

    Parameters
    ----------
    classes : object
        ``model.classes``, or the ``classes`` argument of :func:`dce.latent_class`.

    Returns
    -------
    str or None
        The message (``expected a whole number >= 1 or a range [lo, hi], found 0``, ...).
    """
    def whole(v: object) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if isinstance(classes, (int, np.integer)) and not isinstance(classes, bool):
        if classes >= 1:
            return None
        return f"expected a whole number >= 1 or a range [lo, hi], found {classes}"
    if not isinstance(classes, (list, tuple)) or not all(whole(v) for v in classes):
        return f"expected a whole number >= 1 or a range [lo, hi], found {classes!r}"
    if len(classes) != 2:
        return f"a range of class counts is [lo, hi], found {len(classes)} numbers"
    lo, hi = classes
    if not 1 <= lo <= hi:
        return f"expected a range [lo, hi] with 1 <= lo <= hi, found [{lo}, {hi}]"
    return None


def check_latent_class(study) -> list:
    """Problems with the latent class keys of ``model:`` (module docstring).

    Parameters
    ----------
    study : dce.config.study.Study
        A study whose config passed the schema.

    Returns
    -------
    list of dce.errors.Problem
        Located at ``model.<key>``: a latent class key without ``type: latent_class``;
        ``engine: pylogit``; a class count below 1 or above :data:`MAX_CLASSES`, or a
        range that is not ``[lo, hi]`` with ``1 <= lo <= hi``; a membership name
        listed twice, reserved (in an item study also ``item``, ``best``, ``worst``,
        ``rank``), an attribute, or (other than ``group``) without a
        ``respondents:`` table.
    """
    spec = study.spec
    m = spec.model
    p = study.problem
    out: list = []
    if m.type != "latent_class":
        for key in LATENT_KEYS:
            if key in m.model_fields_set:
                out.append(p(("model", key), "a latent class setting; it needs type: "
                             f"latent_class (the model type is {m.type})"))
        return out
    if m.engine != "native":
        out.append(p(("model", "engine"), f"latent_class needs engine: native, found "
                     f"{m.engine!r}"))
    problem = class_count_problem(m.classes)
    if problem is None and max(class_counts(m.classes)) > MAX_CLASSES:
        problem = (f"at most {MAX_CLASSES} classes, found {max(class_counts(m.classes))} (each "
                   "count of a range is fitted from every start; DCE samples rarely support "
                   "more than a few classes)")
    if problem is not None:
        out.append(p(("model", "classes"), problem))
    names = {a.name for a in study.attributes}
    reserved = {"respondent", "block", "task", "alternative", "chosen"}
    if spec.type != "dce":  # the columns of item responses
        reserved |= {"item", "best", "worst", "rank"}
    seen: set = set()
    for i, col in enumerate(m.membership):
        path = ("model", "membership", i)
        if col in seen:
            out.append(p(path, f"membership column {col!r} is listed twice"))
        seen.add(col)
        if col in names or col in reserved:
            out.append(p(path, f"{col!r} cannot be a membership covariate (it is an "
                         "attribute or a reserved column)"))
        elif col != "group" and spec.respondents is None:
            out.append(p(path, f"membership covariate {col!r} needs a respondents table "
                         "(`respondents:` with that column); only `group` works without one"))
    return out


def respondent_covariates(study) -> list[str]:
    """Respondents-table columns carried into the responses: the covariates of
    ``model.interactions`` and, for a latent class model, of ``model.membership``
    (``group`` is there already).

    Parameters
    ----------
    study : dce.config.study.Study

    Returns
    -------
    list of str
        Column names, each once, in config order.
    """
    m = study.spec.model
    names = [c for _, c in m.interactions]
    if m.type == "latent_class":
        names += [c for c in m.membership if c != "group"]
    return list(dict.fromkeys(names))


def covariate_key(study, column: str) -> str:
    """The config key that names a respondent covariate (for messages):
    ``model.interactions`` or ``model.membership``."""
    inter = {c for _, c in study.spec.model.interactions}
    return "model.interactions" if column in inter else "model.membership"
