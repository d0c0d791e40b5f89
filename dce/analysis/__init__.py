"""Post-estimation analyses (scale and preference comparisons of groups, ...).

Names are re-exported lazily, so importing one analysis module does not import the others.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ScaleComparison": "dce.analysis.scale",
    "ScaledFit": "dce.analysis.scale",
    "compare_scale": "dce.analysis.scale",
    "fit_scaled": "dce.analysis.scale",
    "proportionality_test": "dce.analysis.scale",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dce.analysis' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
