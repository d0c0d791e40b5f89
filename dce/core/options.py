"""The options of dce (spelt once) as ``Literal`` types, with one validator.

The pydantic config models (``model.se``, ``model.engine``, ...) and the Python API
(``vcov=``, ``engine=``, ...) use the same aliases, and a wrong value gets the same words
from both: ``expected 'cluster', 'robust' or 'classic', found 'HC0'`` (the config names
the YAML key and line, the API the argument). The idea follows pyfixest's
``estimation/internals/literals.py``.
"""

from __future__ import annotations

from typing import Literal, get_args

VcovType = Literal["cluster", "robust", "classic"]
"""Covariance of the estimates (``model.se``; see :mod:`dce.models.covariance`)."""
EngineType = Literal["native", "pylogit"]
ModelType = Literal["conditional_logit", "mixed_logit", "latent_class"]
DrawType = Literal["halton", "sobol"]
Distribution = Literal["normal", "lognormal", "triangular"]
Coding = Literal["effects", "dummy", "linear"]
DesignMethod = Literal["full-factorial", "random", "orthogonal", "d-efficient", "bayesian"]
IntervalMethod = Literal["krinsky-robb", "bootstrap", "delta"]
BestWorstModel = Literal["sequential", "maxdiff"]
SpaceType = Literal["preference", "wtp"]
"""Mixed logit in preference or willingness-to-pay space (``model.space``)."""
ScaleHeterogeneity = Literal["none", "smnl", "gmnl", "gmnl2"]
"""Scale heterogeneity of a mixed logit (``model.scale_heterogeneity``)."""
ClassCriterion = Literal["bic", "caic", "aic3"]
"""Criterion that chooses the number of latent classes (``model.class_criterion``)."""


def allowed(literal) -> tuple:
    """The values of a ``Literal`` alias, in order."""
    return get_args(literal)


def expected_text(values) -> str:
    """``'a', 'b' or 'c'``: the wording of pydantic's literal errors, used everywhere."""
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def check_literal(value, literal, name: str):
    """Return ``value`` if it is one of the ``literal``'s values.

    Raises
    ------
    dce.errors.ConfigError
        (also a ``ValueError``) naming ``name``, the allowed values and what was found.
    """
    from dce.errors import ConfigError

    values = allowed(literal)
    if isinstance(value, str) and value in values:
        return value
    raise ConfigError(f"expected {expected_text(values)}, found {value!r}", key=name)
