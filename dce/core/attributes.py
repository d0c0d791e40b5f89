"""Attributes, their levels and their coding into model terms.

Term names follow SPEC.md: a linear attribute is its name (``waiting``); a categorical
level is ``attribute[level]``. Effects-coded attributes also *report* their omitted
level, whose estimate is minus the sum of the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

CODINGS = ("effects", "dummy", "linear")


def level_key(value) -> str:
    """Canonical text of a level, so that config values and data cells match.

    ``4``, ``4.0`` and ``"4"`` all give ``"4"``; text is stripped of outer spaces.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isfinite(f) and f.is_integer():
            return str(int(f))
        return repr(f)
    text = str(value).strip()
    try:
        f = float(text.replace(",", "")) if text and text[0] in "+-.0123456789" else None
    except ValueError:
        f = None
    if f is not None and math.isfinite(f) and "," not in text:
        return str(int(f)) if f.is_integer() else repr(f)
    return text


def level_text(value) -> str:
    """How a level is written in tables (CSV cells, term names)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Attribute:
    """One attribute of the profiles, with its levels and coding.

    ``levels`` is ``None`` for a fit-only numeric attribute whose values come straight
    from the data column. In the Python API an attribute can be given without its name,
    which then comes from the key of the ``attributes`` mapping:
    ``dce.Attribute(levels=["Face", "Online"], coding="dummy", reference="Face")``.

    Parameters
    ----------
    name, label : str
        Column name in the data and the label shown in tables (default: the name).
    coding : {"effects", "dummy", "linear"}
        Effects and dummy coding give one term per level but the reference; linear gives
        one coefficient per unit of the numeric level (Hensher, Rose and Greene 2015,
        Applied Choice Analysis, ch. 5).
    levels : sequence or None
        The levels, in the order of every table.
    reference : level or None
        The omitted (base) level of effects or dummy coding (default: the first).
    """

    name: str = ""
    label: str = ""
    coding: str = "effects"
    levels: tuple | None = None
    reference: object | None = None
    _keys: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        keys = tuple(level_key(v) for v in self.levels) if self.levels is not None else ()
        object.__setattr__(self, "_keys", keys)

    # ----- levels -----------------------------------------------------------------
    @property
    def is_linear(self) -> bool:
        return self.coding == "linear"

    @property
    def level_keys(self) -> tuple:
        return self._keys

    @property
    def level_labels(self) -> tuple:
        return tuple(level_text(v) for v in self.levels or ())

    @property
    def n_levels(self) -> int:
        return len(self.levels or ())

    @property
    def reference_index(self) -> int:
        if self.reference is None:
            return 0
        return self._keys.index(level_key(self.reference))

    def index_of(self, values) -> np.ndarray:
        """Level index (0-based) of each value; -1 where the value is not a level."""
        lookup = {k: i for i, k in enumerate(self._keys)}
        return np.array([lookup.get(level_key(v), -1) for v in values], dtype=np.int64)

    def numeric_levels(self) -> np.ndarray:
        return np.array([float(k) for k in self._keys], dtype=float)

    # ----- terms ------------------------------------------------------------------
    @property
    def terms(self) -> list[str]:
        """Coded terms, in the order of the design matrix columns."""
        if self.is_linear:
            return [self.name]
        ref = self.reference_index
        return [f"{self.name}[{lab}]" for i, lab in enumerate(self.level_labels) if i != ref]

    @property
    def report_terms(self) -> list[str]:
        """Terms shown in estimates tables (effects coding adds the omitted level)."""
        if self.coding == "effects":
            return [f"{self.name}[{lab}]" for lab in self.level_labels]
        return self.terms

    def level_matrix(self) -> np.ndarray:
        """Rows: levels; columns: coded terms. Row i is how level i is coded."""
        if self.is_linear:
            return self.numeric_levels()[:, None]
        n, ref = self.n_levels, self.reference_index
        mat = np.zeros((n, n - 1))
        others = [i for i in range(n) if i != ref]
        for col, i in enumerate(others):
            mat[i, col] = 1.0
        if self.coding == "effects":
            mat[ref, :] = -1.0
        return mat

    def report_matrix(self) -> np.ndarray:
        """Maps this attribute's coefficients to its reported terms."""
        if self.coding == "effects":
            return self.level_matrix()
        return np.eye(len(self.terms))

    def partworth_matrix(self) -> np.ndarray:
        """Maps coefficients to the utility of each level (linear: slope x level)."""
        if self.levels is None:
            raise ValueError(f"attribute {self.name!r} has no declared levels")
        return self.level_matrix()

    def code(self, values) -> np.ndarray:
        """Code a column of level values into the attribute's term columns."""
        if self.is_linear:
            return np.asarray(values, dtype=float)[:, None]
        idx = self.index_of(values)
        if (idx < 0).any():
            bad = [v for v, i in zip(values, idx) if i < 0][:3]
            raise ValueError(f"unknown levels {bad} for attribute {self.name!r}")
        return self.level_matrix()[idx]
