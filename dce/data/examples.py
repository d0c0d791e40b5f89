"""Bundled example data, for a first run in a notebook without files of your own.

``peer_support``: the simulated answers to the choice tasks of the showcase (its dominance
and repeated tasks left out, as the models leave them out; ``configs/peer_support.yaml``,
inspired by the Health Foundation Q Lab peer support survey; the responses are simulated
from utilities in that config, not the survey's data): one row per respondent x task x
alternative, columns ``respondent, group, block, task, alternative, chosen, <7
attributes>, is_opt_out``; 2,550 respondents in four groups, 12 tasks of two services and
an opt-out ("Neither", the rows with empty attribute cells).

``peer_support_bws``: the simulated best-worst study of twelve factors
(``configs/peer_support_bws.yaml``): one row per respondent x set x item shown, columns
``respondent, group, block, task, alternative, item, best, worst``; use with
:func:`example_items`.
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

EXAMPLES = ("peer_support", "peer_support_bws")


def _file(name: str, suffix: str):
    from dce.errors import ConfigError

    if name not in EXAMPLES:
        raise ConfigError(f"expected one of {', '.join(map(repr, EXAMPLES))}, found {name!r}",
                          key="name")
    return resources.files("dce").joinpath(f"examples/{name}{suffix}")


def load_example(name: str = "peer_support") -> pd.DataFrame:
    """The long responses of a bundled example as a DataFrame (see the module doc).

    >>> import dce
    >>> df = dce.load_example()
    >>> df.shape
    (91800, 14)
    >>> sorted(df["group"].unique())
    ['health_workforce', 'peer_workforce', 'public_not_used', 'public_used']
    """
    raw = _file(name, ".csv.gz").read_bytes()
    return pd.read_csv(io.BytesIO(raw), compression="gzip", keep_default_na=False,
                       na_values=[""])


def example_attributes(name: str = "peer_support") -> dict:
    """The attributes of a bundled example: name -> :class:`dce.Attribute` (levels,
    coding, label), ready for ``dce.clogit(df, attributes=...)``.

    >>> import dce
    >>> list(dce.example_attributes())
    ['quality', 'benefit', 'similar', 'waiting', 'recommended', 'format', 'times']
    """
    from dce.core.attributes import Attribute

    data = _config(name)
    if "attributes" not in data:
        from dce.errors import ConfigError

        raise ConfigError(f"{name!r} is an item study; use dce.example_items({name!r})",
                          key="name")
    out = {}
    for key, a in data["attributes"].items():
        coding = a.get("coding") or "effects"
        out[key] = Attribute(key, a.get("label") or key, coding, tuple(a["levels"]),
                             a.get("reference"))
    return out


def example_items(name: str = "peer_support_bws") -> dict:
    """The items of a bundled best-worst example: name -> label, in table order, ready
    for ``dce.best_worst(df, items=...)``.

    Examples
    --------
    >>> import dce
    >>> list(dce.example_items())[:3]
    ['quality', 'health', 'similar']
    """
    data = _config(name)
    if "items" not in data:
        from dce.errors import ConfigError

        raise ConfigError(f"{name!r} is an attribute study; use dce.example_attributes("
                          f"{name!r})", key="name")
    return {k: (v or {}).get("label") or k for k, v in data["items"].items()}


def _config(name: str) -> dict:
    from dce.config.yamlio import load_yaml

    text = _file(name, ".yaml").read_text(encoding="utf-8")
    data, _ = load_yaml(text, f"{name}.yaml")
    return data
