"""The items of an item study (best-worst scaling, rankings) and its reference item."""


from __future__ import annotations

from dataclasses import dataclass

ITEM_TYPES = ("best-worst", "ranking")


@dataclass(frozen=True)
class Item:
    """One object of an item study: its name (key of ``items:``) and label.

    Attributes
    ----------
    name : str
        The key under ``items:`` (as text); data cells may give the name or the label.
    label : str
        The label shown in tables (the name when the config gives none).
    """

    name: str
    label: str


def items_of(study) -> tuple[Item, ...]:
    """The study's items in config order.

    Parameters
    ----------
    study : Study
        A loaded study (best-worst or ranking) whose ``spec.items`` maps names to specs.

    Returns
    -------
    tuple of Item
        Empty when the config has no ``items:``.
    """
    return tuple(Item(str(name), (spec.label if spec is not None and spec.label else str(name)))
                 for name, spec in (study.spec.items or {}).items())


def reference_item(study) -> str:
    """The item whose utility is fixed at 0 (``model.reference_item``, else the last).

    Parameters
    ----------
    study : Study
        A loaded item study.

    Returns
    -------
    str
        The item's name; a ``model.reference_item`` that names no item is ignored.

    Raises
    ------
    IndexError
        When the study has no items (the config checks report that first).
    """
    names = [i.name for i in items_of(study)]
    ref = study.spec.model.reference_item
    return ref if ref in names else names[-1]


def is_item_study(study) -> bool:
    """True for a best-worst or ranking study (``type`` in :data:`ITEM_TYPES`).

    Parameters
    ----------
    study : Study
        A loaded study of any ``type``.

    Returns
    -------
    bool
    """
    return study.spec.type in ITEM_TYPES
