"""dce: discrete-choice experiments for health and care research.

A researcher writes one YAML file (``dce run study.yaml``) or a few lines of Python: dce
builds the design, reads or simulates the responses, fits choice models per respondent
group, ranks attributes by importance with uncertainty, compares groups on scale-free
quantities and writes a reproducible run folder.

>>> import dce
>>> df = dce.load_example("peer_support")                       # simulated showcase data
>>> res = dce.clogit(df[df.group == "public_used"], attributes=dce.example_attributes())
>>> res.tidy().shape
(17, 7)

Public names are imported lazily, so ``import dce`` stays fast.
"""

from __future__ import annotations

import importlib

from dce.version import __version__

_EXPORTS = {
    # models
    "clogit": "dce.models.api",
    "mixed_logit": "dce.models.api",
    "best_worst": "dce.models.items_api",
    "ranking": "dce.models.items_api",
    "item_importance": "dce.analysis.api",
    "ModelResult": "dce.models.fitted",
    "ChoiceData": "dce.core.coding",
    "Attribute": "dce.core.attributes",
    # post-estimation
    "importance": "dce.analysis.api",
    "wtp": "dce.analysis.api",
    # designs
    "make_design": "dce.design.api",
    "Design": "dce.design.base",
    # studies and runs
    "load_config": "dce.config.study",
    "Study": "dce.config.study",
    "analyse": "dce.run.api",
    "Run": "dce.run.api",
    # example data
    "load_example": "dce.data.examples",
    "example_attributes": "dce.data.examples",
    "example_items": "dce.data.examples",
    # errors
    "DceError": "dce.errors",
    "ConfigError": "dce.errors",
    "DataError": "dce.errors",
    "DesignError": "dce.errors",
    "EstimationError": "dce.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dce' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
