"""Pieces of the config cross-checks shared by attribute and item studies."""

from __future__ import annotations


def simulated_groups(study, out: list):
    """(group, its simulate settings, its config path) for each simulated group; a group
    named ``all`` (reserved for the pooled model) adds a problem to ``out``."""
    for g, sim in study.spec.simulate.groups.items():
        base = ("simulate", "groups", g)
        if g == "all":
            out.append(study.problem(base, "'all' is reserved for the pooled model; rename "
                                     "this group"))
        yield g, sim, base
