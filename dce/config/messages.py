"""Pieces of the config cross-checks shared by attribute and item studies."""

from __future__ import annotations


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
