"""Attributes, their levels and their coding into model terms.

Term names follow SPEC.md: a linear attribute is its name (``waiting``); a categorical
level is ``attribute[level]``. Effects-coded attributes also *report* their omitted
level, whose estimate is minus the sum of the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

CODINGS = ("effects", "dummy", "linear")


def level_key(value) -> str:
    """Canonical text of a level, so that config values and data cells match.

    ``4``, ``4.0``, ``"4"`` and ``" 4.0 "`` all give ``"4"``; other numbers give
    their ``repr`` (``2.5`` and ``"2.5"`` give ``"2.5"``); booleans give ``"true"`` /
    ``"false"``. Text is stripped of outer spaces and otherwise kept: text with a comma
    (``"1,000"``) stays text, so a thousands separator never silently becomes a number.

    Parameters
    ----------
    value : object
        A level as written in the config or a data cell (number, bool or text).

    Returns
    -------
    str
        The key used to compare levels (see :attr:`Attribute.level_keys`).
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


#: Kinds of object arrays (pandas' ``infer_dtype``) whose equal values always have the same
#: :func:`level_key`; others (booleans mixed with numbers, None with NaN) are keyed one by one.
_SAME_KEY_KINDS = ("string", "integer", "floating", "mixed-integer-float", "empty")


def distinct_values(values) -> tuple[np.ndarray | None, list | np.ndarray]:
    """The distinct values of ``values`` as iterating it would give them, and each value's
    position among them, so that a per-value helper such as :func:`level_key` runs once per
    distinct value instead of once per row.

    Values are grouped only where equal values are sure to have equal keys (numbers, text);
    otherwise (e.g. ``True`` beside ``1``) every value stands alone.

    Parameters
    ----------
    values : iterable (n,)
        A list, tuple, 1-d array or Series.

    Returns
    -------
    codes : ndarray of int64 (n,) or None
        Position of each value in ``uniques``; None when ``uniques`` is every value in
        order.
    uniques : list or ndarray (distinct,)
        The distinct values, each as iterating ``values`` yields it (numpy scalars from an
        array, Python scalars from a list or a Series).
    """
    import pandas as pd

    if isinstance(values, pd.Series) and isinstance(values.dtype, np.dtype):
        arr, python = values.to_numpy(), True  # a Series iterates as Python scalars
    elif isinstance(values, np.ndarray) and values.ndim == 1:
        arr, python = values, False
    elif isinstance(values, (list, tuple)):
        arr, python = np.empty(len(values), dtype=object), True
        try:
            arr[:] = values
        except (ValueError, TypeError):
            return None, list(values)
    else:
        return None, list(values)
    if arr.dtype == object and pd.api.types.infer_dtype(arr, skipna=False) not in \
            _SAME_KEY_KINDS:
        return None, list(arr)
    codes, uniques = pd.factorize(arr, use_na_sentinel=False)
    uniques = np.asarray(uniques)
    return codes.astype(np.int64, copy=False), (uniques.tolist() if python else uniques)


def level_text(value) -> str:
    """How a level is written in tables (CSV cells, term names).

    Parameters
    ----------
    value : object
        A level as declared in the config.

    Returns
    -------
    str
        ``str(value)``, except that a whole float is written without ``.0`` (``4.0`` -> ``"4"``).
    """
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
    alternatives : tuple of int or None
        Labelled designs: the alternative numbers (1-based) the attribute appears in; its
        cells are empty, and its terms 0, in the others. ``None``: every alternative.
    specific : tuple of (int, str)
        Labelled designs: ``(alternative, label)`` pairs of an alternative-specific
        attribute (``model.alternative_specific``), one set of coefficients per pair, named
        ``<term>@<label>`` (``cost@NHS group``, ``quality[High]@NHS group``). Empty: one set
        of coefficients shared by the alternatives it appears in.
    suffix : str
        Appended to every term name (``"@NHS group"`` for one alternative's view, see
        :meth:`views`); empty otherwise.

    Notes
    -----
    Effects coding codes the reference level as -1 on every term of the attribute, so the
    reported reference estimate is minus the sum of the others (Bech and Gyrd-Hansen 2005,
    Effects coding in discrete choice experiments, Health Economics 14:1079-1083); dummy
    coding codes it as 0. The class is frozen; level comparisons go through
    :func:`level_key`.
    """

    name: str = ""
    label: str = ""
    coding: str = "effects"
    levels: tuple | None = None
    reference: object | None = None
    alternatives: tuple | None = None
    specific: tuple = ()
    suffix: str = ""
    _keys: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        keys = tuple(level_key(v) for v in self.levels) if self.levels is not None else ()
        object.__setattr__(self, "_keys", keys)

    # ----- levels -----------------------------------------------------------------
    @property
    def is_linear(self) -> bool:
        """True when the attribute is coded linearly (one slope term)."""
        return self.coding == "linear"

    @property
    def level_keys(self) -> tuple:
        """:func:`level_key` of each declared level, in level order (empty without levels)."""
        return self._keys

    @property
    def level_labels(self) -> tuple:
        """:func:`level_text` of each declared level, in level order (empty without levels)."""
        return tuple(level_text(v) for v in self.levels or ())

    @property
    def n_levels(self) -> int:
        """Number of declared levels (0 for a fit-only numeric attribute)."""
        return len(self.levels or ())

    @property
    def reference_index(self) -> int:
        """Position (0-based) of the reference level among the levels; 0 when none is set.

        Raises
        ------
        ValueError
            When ``reference`` is not one of the levels (plain ``tuple.index`` error; the
            config checks report it as a ConfigError first).
        """
        if self.reference is None:
            return 0
        return self._keys.index(level_key(self.reference))

    def index_of(self, values: Iterable[Any]) -> np.ndarray:
        """Level index (0-based) of each value; -1 where the value is not a level.

        Parameters
        ----------
        values : iterable
            Level values (config values or data cells), compared by :func:`level_key`.

        Returns
        -------
        ndarray of int64 (n_values,)
            Index into :attr:`levels` of each value, -1 for an unknown value.
        """
        lookup = {k: i for i, k in enumerate(self._keys)}
        codes, uniques = distinct_values(values)
        found = np.array([lookup.get(level_key(v), -1) for v in uniques], dtype=np.int64)
        return found[codes] if codes is not None else found

    def numeric_levels(self) -> np.ndarray:
        """The levels as numbers (for linear coding).

        Returns
        -------
        ndarray of float (n_levels,)
            ``float`` of each level key, in level order.

        Raises
        ------
        ValueError
            When a level is not numeric (plain ``float()`` error).
        """
        return np.array([float(k) for k in self._keys], dtype=float)

    # ----- terms ------------------------------------------------------------------
    @property
    def terms(self) -> list[str]:
        """Coded term names, in the order of the design matrix columns.

        Linear: ``[name]``; effects or dummy: ``name[level]`` for every level but the
        reference. An alternative-specific attribute has the terms of each of its
        :meth:`views` in turn (``cost@NHS group``, ``cost@online forum``, ...).
        """
        if self.specific:
            return [t for v in self.views() for t in v.terms]
        if self.is_linear:
            return [self.name + self.suffix]
        ref = self.reference_index
        return [f"{self.name}[{lab}]{self.suffix}" for i, lab in enumerate(self.level_labels)
                if i != ref]

    @property
    def report_terms(self) -> list[str]:
        """Term names shown in estimates tables (effects coding adds the omitted level)."""
        if self.specific:
            return [t for v in self.views() for t in v.report_terms]
        if self.coding == "effects":
            return [f"{self.name}[{lab}]{self.suffix}" for lab in self.level_labels]
        return self.terms

    # ----- labelled designs ---------------------------------------------------------
    def views(self) -> list[Attribute]:
        """One attribute per alternative-specific coefficient set.

        Returns
        -------
        list of Attribute
            For an alternative-specific attribute, one copy per ``(alternative, label)`` of
            :attr:`specific` that appears only in that alternative and whose terms end in
            ``@label``; otherwise ``[self]``. Each view's :meth:`level_matrix` codes its own
            terms, so code that pairs ``terms`` with ``level_matrix`` works view by view.
        """
        if not self.specific:
            return [self]
        from dataclasses import replace

        return [replace(self, alternatives=(alt,), specific=(), suffix=f"@{label}")
                for alt, label in self.specific]

    def applies(self, alternative: np.ndarray) -> np.ndarray:
        """True where the attribute appears in the alternative.

        Parameters
        ----------
        alternative : array of int (rows,)
            Alternative numbers (1-based).

        Returns
        -------
        ndarray of bool (rows,)
            All true when :attr:`alternatives` is None.
        """
        alternative = np.asarray(alternative)
        if self.alternatives is None:
            return np.ones(alternative.shape, dtype=bool)
        return np.isin(alternative, list(self.alternatives))

    def level_matrix(self) -> np.ndarray:
        """How each level is coded: row i is the coded row of level i.

        An alternative-specific attribute (:attr:`specific`) has this coding once per
        alternative: it maps levels to the terms of each of its :meth:`views`, not to all of
        :attr:`terms` at once.

        Returns
        -------
        ndarray of float (n_levels, n_terms)
            Linear: the numeric levels as one column. Dummy: identity rows with a zero row
            for the reference. Effects: as dummy, with -1 in every column of the reference
            row (Bech and Gyrd-Hansen 2005).
        """
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
        """Map from this attribute's coefficients to its reported terms.

        Returns
        -------
        ndarray of float (len(report_terms), len(terms))
            Effects coding: :meth:`level_matrix` (the omitted level is minus the sum of the
            others); otherwise the identity. Alternative-specific: block diagonal, one block
            per view.
        """
        if self.specific:
            from scipy.linalg import block_diag

            return block_diag(*[v.report_matrix() for v in self.views()])
        if self.coding == "effects":
            return self.level_matrix()
        return np.eye(len(self.terms))

    def partworth_matrix(self) -> np.ndarray:
        """Map from coefficients to the utility (part-worth) of each level.

        Returns
        -------
        ndarray of float (n_levels, n_terms)
            :meth:`level_matrix`; for a linear attribute the utility is slope x level.

        Raises
        ------
        ValueError
            When the attribute has no declared levels (a fit-only numeric attribute).
        """
        if self.levels is None:
            raise ValueError(f"attribute {self.name!r} has no declared levels")
        return self.level_matrix()

    def code(self, values: Sequence[Any] | np.ndarray | pd.Series) -> np.ndarray:
        """Code a column of level values into the attribute's term columns.

        Parameters
        ----------
        values : sequence
            One level value per row (numbers for a linear attribute).

        Returns
        -------
        ndarray of float (n_values, n_terms)
            Linear: the values as one column; otherwise the :meth:`level_matrix` row of each
            value's level.

        Raises
        ------
        ValueError
            ``unknown levels [...] for attribute 'name'`` (plain ValueError, not a
            DataError), naming up to three values that are not levels; a linear attribute
            raises the ``float()`` error for a non-numeric value.
        """
        if self.is_linear:
            return _floats(values)[:, None]
        idx = self.index_of(values)
        if (idx < 0).any():
            bad = [v for v, i in zip(values, idx) if i < 0][:3]
            raise ValueError(f"unknown levels {bad} for attribute {self.name!r}")
        return self.level_matrix()[idx]


def _floats(values) -> np.ndarray:
    """``np.asarray(values, dtype=float)``, converting each distinct text cell once (a
    column of survey answers holds a few distinct numbers however many rows it has)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        return arr.astype(float)
    import pandas as pd

    codes, uniques = pd.factorize(arr.astype(object, copy=False), use_na_sentinel=False)
    return np.asarray(np.asarray(uniques, dtype=object), dtype=float)[codes]
