"""Pieces of the config cross-checks shared by attribute and item studies."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(word: object, choices: Iterable[object]) -> str:
    """A message suffix for an unknown name: ``; did you mean 'x'?`` for a close match,
    else ``; expected one of: a, b, c`` (empty when there are no choices).

    Parameters
    ----------
    word : object
        The name found.
    choices : iterable
        The names allowed.

    Returns
    -------
    str
    """
    names = [str(c) for c in choices]
    if not names:
        return ""
    hint = difflib.get_close_matches(str(word), names, n=1, cutoff=0.5)
    return f"; did you mean {hint[0]!r}?" if hint else f"; expected one of: {', '.join(names)}"


def simulated_groups(study, out: list):
    """The simulated groups of a config, with the config path of each.

    Parameters
    ----------
    study : dce.config.study.Study
        A study with a ``simulate:`` section.
    out : list of dce.errors.Problem
        Problems found so far; a group named ``all`` (reserved for the pooled model) adds
        one.

    Yields
    ------
    tuple of (str, dce.config.schema.GroupSimulation, tuple)
        The group name, its settings and its key path ``("simulate", "groups", name)``.
    """
    for g, sim in study.spec.simulate.groups.items():
        base = ("simulate", "groups", g)
        if g == "all":
            out.append(study.problem(base, "'all' is reserved for the pooled model; rename "
                                     "this group"))
        yield g, sim, base
