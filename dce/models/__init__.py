"""Model engines. Every engine reads a ChoiceData and returns a FitResult."""

from dce.models.results import FitResult

__all__ = ["FitResult", "fit"]


def fit(data, *, engine: str = "native", se: str = "cluster", group: str = "all", **options):
    """Fit a conditional logit with the chosen engine."""
    if engine == "native":
        from dce.models.clogit import fit as native_fit

        return native_fit(data, se=se, group=group, **options)
    if engine == "pylogit":
        from dce.models.pylogit_engine import fit as pylogit_fit

        return pylogit_fit(data, se=se, group=group, **options)
    raise ValueError(f"unknown engine {engine!r}")
