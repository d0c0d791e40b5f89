"""``dce.make_design``: a choice-experiment design from Python, before any data exists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dce.core.options import DesignMethod, check_literal
from dce.errors import ConfigError

if TYPE_CHECKING:
    from dce.design.base import Design


def _attribute_spec(name: object, value: object) -> dict[str, Any]:
    from dce.core.attributes import Attribute

    if isinstance(value, Attribute):
        spec: dict[str, Any] = {"levels": list(value.levels) if value.levels is not None else None,
                "coding": value.coding}
        if value.label:
            spec["label"] = value.label
        if value.reference is not None:
            spec["reference"] = value.reference
        return {k: v for k, v in spec.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return {"levels": list(value)}
    if isinstance(value, dict):
        return dict(value)
    raise ConfigError("expected a list of levels, a mapping like {levels: [...], coding: "
                      "linear} or dce.Attribute(...), found " + type(value).__name__,
                      key=f"attributes[{name!r}]")


def make_design(attributes: dict[str, Any], *, alternatives: int = 2, tasks: int = 12,
                method: str = "d-efficient", blocks: int = 1, opt_out: str | None = None,
                priors: dict[str, Any] | None = None, prior_draws: int | None = None,
                exclude: list[dict[str, Any]] | None = None, seed: int = 1,
                preference_order: dict[str, str] | None = None, **options: Any) -> Design:
    """Build a design: full factorial, random, orthogonal, D-efficient or Bayesian.

    Parameters
    ----------
    attributes : dict
        Name -> list of levels, ``{"levels": [...], "coding": "linear", ...}`` (the keys
        of a config's ``attributes:``) or ``dce.Attribute(...)``. Linear attributes need
        numeric levels here (a design needs every level).
    alternatives, tasks, blocks : int
        Generic alternatives per task (without the opt-out), tasks per block, blocks.
    method : {"full-factorial", "random", "orthogonal", "d-efficient", "bayesian"}
    opt_out : str, optional
        Label of a no-choice alternative (it gets its own constant, ``asc[opt_out]``).
    priors : dict, optional
        Coded term -> number (fixed prior) or ``{"mean": m, "sd": s}`` (normal prior for
        the Bayesian search), as ``design.priors``.
    prior_draws : int, optional
        Quasi-random draws from the priors (Bayesian).
    exclude : list of dict, optional
        Prohibited combinations of levels within one profile.
    seed : int
        Root seed of the search.
    preference_order : dict, optional
        Attribute -> ``"increasing"`` or ``"decreasing"``: the a priori order of levels
        that dominance tasks (``dominance_tasks=N``) use, as the config's
        ``data.preference_order``; without it the signs of ``priors`` are used.
    **options
        Other keys of a config's ``design:`` section (``no_dominance``, ``max_overlap``,
        ``starts``, ...).

    Returns
    -------
    Design
        ``table`` (design.csv: ``block, task, alternative, <attributes>, is_opt_out``) and
        ``diagnostics`` (design_diagnostics.json as a dict: D-, A- and DB-error, balance,
        overlap, correlations, S-estimates).

    Raises
    ------
    ConfigError, DesignError
        (``ValueError``) naming the key at fault.

    Notes
    -----
    D-error as in Kessels, Goos and Vandebroek (2006), J. Marketing Research 43:409-419;
    Bayesian designs after Sandor and Wedel (2001), J. Marketing Research 38:430-444;
    orthogonal designs after Street and Burgess (2007), The Construction of Optimal
    Stated Choice Experiments.
    """
    check_literal(method, DesignMethod, "method")
    if not isinstance(attributes, dict) or not attributes:
        raise ConfigError("expected a mapping of at least one attribute name to its levels, "
                          f"found {attributes!r}", key="attributes")
    design: dict[str, Any] = {"method": method, "alternatives": alternatives, "tasks": tasks,
              "blocks": blocks, **options}
    for key, value in (("opt_out", opt_out), ("priors", priors),
                       ("prior_draws", prior_draws), ("exclude", exclude)):
        if value is not None:
            design[key] = value
    config: dict[str, Any] = {"schema_version": 1, "name": "design", "seed": seed,
              "attributes": {str(k): _attribute_spec(k, v) for k, v in attributes.items()},
              "design": design}
    if preference_order is not None:
        config["data"] = {"preference_order": dict(preference_order)}
    from dataclasses import replace

    from dce.config.study import study_from_dict
    from dce.design.build import build
    from dce.errors import DceError

    try:
        return build(study_from_dict(config, need_responses=False))
    except DceError as exc:  # name the arguments, not the keys of a config file
        raise type(exc)([replace(p, file=None, line=None, key=_argument(p.key))
                         for p in exc.problems]) from None


def _argument(key: str | None) -> str | None:
    """'design.tasks' -> 'tasks'; 'attributes.quality.levels' -> "attributes['quality']"."""
    if not key:
        return key
    if key.startswith("design."):
        return key.removeprefix("design.")
    if key.startswith("data.preference_order"):
        return key.removeprefix("data.")
    parts = key.split(".")
    if parts[0] == "attributes" and len(parts) > 1:
        return f"attributes[{parts[1]!r}]" + "".join(f".{p}" for p in parts[2:])
    return key
