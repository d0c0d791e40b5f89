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
from typing import TYPE_CHECKING, Any

from dce.version import __version__

if TYPE_CHECKING:  # the real types for type checkers; at run time the names load lazily
    from dce.analysis.api import importance as importance
    from dce.analysis.api import item_importance as item_importance
    from dce.analysis.api import wtp as wtp
    from dce.config.study import Study as Study
    from dce.config.study import load_config as load_config
    from dce.core.attributes import Attribute as Attribute
    from dce.core.coding import ChoiceData as ChoiceData
    from dce.data.examples import example_attributes as example_attributes
    from dce.data.examples import example_items as example_items
    from dce.data.examples import load_example as load_example
    from dce.design.api import make_design as make_design
    from dce.design.base import Design as Design
    from dce.errors import ConfigError as ConfigError
    from dce.errors import DataError as DataError
    from dce.errors import DceError as DceError
    from dce.errors import DesignError as DesignError
    from dce.errors import EstimationError as EstimationError
    from dce.models.api import clogit as clogit
    from dce.models.api import mixed_logit as mixed_logit
    from dce.models.fitted import ModelResult as ModelResult
    from dce.models.items_api import best_worst as best_worst
    from dce.models.items_api import ranking as ranking
    from dce.models.latent_api import LatentClassModelResult as LatentClassModelResult
    from dce.models.latent_api import latent_class as latent_class
    from dce.run.api import Run as Run
    from dce.run.api import analyse as analyse

_EXPORTS = {
    # models
    "clogit": "dce.models.api",
    "mixed_logit": "dce.models.api",
    "latent_class": "dce.models.latent_api",
    "best_worst": "dce.models.items_api",
    "ranking": "dce.models.items_api",
    "item_importance": "dce.analysis.api",
    "ModelResult": "dce.models.fitted",
    "LatentClassModelResult": "dce.models.latent_api",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dce' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
