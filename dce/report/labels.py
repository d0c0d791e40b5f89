"""Readable names for attributes, levels, terms and groups, and one colour per group.

Everything shown in the report goes through :class:`Labels`, so tables, sentences and
figures use the same words and every figure gives a group the same colour and marker.
"""

from __future__ import annotations

import textwrap

POOLED = "all"
# Okabe-Ito colour-blind-safe palette (yellow last: weak on white); the pooled model is grey
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
           "#F0E442"]
POOLED_COLOUR = "#6E6E6E"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def pretty(code: str) -> str:
    """``public_not_used`` -> ``Public not used``."""
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else str(code)


class Labels:
    """Labels and styles from a resolved config (dict, as in config.yaml)."""

    def __init__(self, cfg: dict, groups: list | None = None):
        self.cfg = cfg
        items = cfg.get("attributes") or cfg.get("items") or {}
        self.is_items = not cfg.get("attributes") and bool(cfg.get("items"))
        self.attributes = {k: ((v or {}).get("label") or k) for k, v in items.items()}
        self.levels = {k: (v or {}).get("levels") for k, v in items.items()}
        self.codings = {k: (v or {}).get("coding") or
                        ("effects" if (v or {}).get("levels") is not None else "linear")
                        for k, v in items.items()}
        report = cfg.get("report") or {}
        self._groups = dict(report.get("group_labels") or {})
        design = cfg.get("design") or {}
        chosen_opt = (cfg.get("choices") or {}).get("opt_out")
        self.opt_out = design.get("opt_out") or (chosen_opt.get("label")
                                                 if isinstance(chosen_opt, dict) else None)
        self.alternative_labels = list(design.get("labels") or [])
        self.groups = list(groups or [])
        others = [g for g in self.groups if g != POOLED]
        self.colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(others)}
        self.markers = {g: MARKERS[i % len(MARKERS)] for i, g in enumerate(others)}
        self.colours[POOLED] = POOLED_COLOUR
        self.markers[POOLED] = "h"  # a hexagon: no group has it

    # ----- names --------------------------------------------------------------------
    def attribute(self, name: str) -> str:
        """The label of an attribute or item (its name when it has none)."""
        return self.attributes.get(name, name)

    def group(self, code) -> str:
        """The label of a group: report.group_labels, else the code made readable;
        the pooled model is "All respondents (pooled)"."""
        code = str(code)
        if code in self._groups:
            return self._groups[code]
        if code == POOLED:
            return "All respondents (pooled)"
        return pretty(code)

    def group_lower(self, code) -> str:
        """A group label inside a sentence (first letter lower-cased unless an acronym,
        also for labels from report.group_labels)."""
        text = self.group(code)
        if len(text) < 2 or text[:2].isupper():
            return text
        return text[0].lower() + text[1:]

    def attribute_lower(self, name: str) -> str:
        """An attribute label inside a sentence (first letter lower-cased unless an
        acronym)."""
        text = self.attribute(name)
        if len(text) > 1 and text[:2].isupper():
            return text
        return text[:1].lower() + text[1:]

    def term(self, term: str) -> tuple[str, str]:
        """(heading, row label) of a coded term, e.g. ('Confidence in ...', 'Independently
        checked'); a linear attribute's row is 'per unit'."""
        term = str(term)
        base, label = self.split_label(term)
        if label is not None:  # labelled design: one coefficient per alternative
            head, row = self.term(base)
            return head, f"{row}, {label}"
        if ":" in term:
            base, cov = term.split(":", 1)
            head, row = self.term(base)
            return "Interactions", f"{head}: {row} × {cov}"
        if term.startswith("sd[") and term.endswith("]"):
            head, row = self.term(term[3:-1])
            return "Standard deviations (random terms)", f"{head}: {row}"
        if term.startswith("chol["):
            return "Standard deviations (random terms)", term
        if term.startswith("asc[") and term.endswith("]"):
            inner = term[4:-1]
            if inner == "opt_out":
                return "Constants", (f"Opt-out ({self.opt_out})" if self.opt_out else "Opt-out")
            if inner in self.alternative_labels:
                return "Constants", inner[:1].upper() + inner[1:]
            return "Constants", f"Alternative {inner}"
        if "[" in term and term.endswith("]"):
            name, level = term[:-1].split("[", 1)
            return self.attribute(name), level
        if term in self.attributes:
            if self.is_items:
                return "Items", self.attribute(term)
            return self.attribute(term), "per unit"
        return "Other terms", term

    def split_label(self, term: str) -> tuple[str, str | None]:
        """``("cost", "NHS group")`` for the alternative-specific term ``cost@NHS group`` of
        a labelled design (``design.labels``); ``(term, None)`` for any other term."""
        base, at, label = str(term).rpartition("@")
        if at and label in self.alternative_labels and not base.startswith(("asc[", "sd[")):
            return base, label
        return str(term), None

    def term_text(self, term: str) -> str:
        """A coded term as one readable phrase, e.g. 'Quality: High'."""
        head, row = self.term(term)
        if head in ("Constants", "Other terms", "Interactions", "Items",
                    "Standard deviations (random terms)"):
            return row
        return f"{head}: {row}"

    def reference(self, name: str):
        """The reference level of a categorical attribute (``reference`` or the first)."""
        item = (self.cfg.get("attributes") or {}).get(name) or {}
        levels = self.levels.get(name)
        if item.get("reference") is not None:
            return item["reference"]
        return levels[0] if levels else None

    def change_text(self, term: str) -> str:
        """What a trade-off values: 'Confidence ... (trained peers ... rather than no
        information ...)' for a level (against the attribute's reference level), 'Time
        ... (one unit more)' for a linear term."""
        term = str(term)
        base, label = self.split_label(term)
        if label is not None:
            text = self.change_text(base)
            return text[:-1] + f", {label})" if text.endswith(")") else f"{text}, {label}"
        if "[" in term and term.endswith("]") and not term.startswith(("asc[", "sd[")):
            name, level = term[:-1].split("[", 1)
            ref = self.reference(name)
            other = f" rather than {_lower(str(ref))}" if ref is not None else ""
            return f"{self.attribute(name)} ({_lower(level)}{other})"
        if term in self.attributes and not self.is_items:
            return f"{self.attribute(term)} (one unit more)"
        return self.term_text(term)

    def name_and_unit(self, name: str) -> tuple[str, str]:
        """('time until you can start', 'weeks') from 'Time until you can start (weeks)';
        without a unit in brackets: (label, 'units of <label>')."""
        import re

        label = self.attribute_lower(name)
        m = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", label)
        if m and m.group(1):
            return m.group(1), m.group(2)
        return label, f"units of {label}"

    def unit_of(self, name: str) -> str:
        """'weeks of time until you can start', or 'units of waiting' for an attribute
        label without a unit in brackets (not 'units of waiting of waiting')."""
        label, unit = self.name_and_unit(name)
        return unit if unit == f"units of {label}" else f"{unit} of {label}"

    def change_text_lower(self, term: str) -> str:
        """:meth:`change_text` inside a sentence."""
        return _lower(self.change_text(term))

    def term_text_lower(self, term: str) -> str:
        """``term_text`` inside a sentence: the attribute's first letter lower-cased."""
        text = self.term_text(term)
        return text if len(text) > 1 and text[:2].isupper() else text[:1].lower() + text[1:]

    # ----- styles -------------------------------------------------------------------
    def colour(self, group) -> str:
        """The colour of a group in every figure (hex; the pooled model is grey)."""
        return self.colours.get(str(group), POOLED_COLOUR)

    def marker(self, group) -> str:
        """The matplotlib marker of a group in every figure."""
        return self.markers.get(str(group), "o")


def _lower(text: str) -> str:
    """First letter lower-cased unless the word is an acronym."""
    return text if len(text) > 1 and text[:2].isupper() else text[:1].lower() + text[1:]


def wrap(text: str, width: int = 30) -> str:
    """Text wrapped to lines of at most ``width`` characters (for axis labels)."""
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)
