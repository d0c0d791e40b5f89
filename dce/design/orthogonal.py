"""`method: orthogonal`: the Street-Burgess construction of :mod:`dce.design.street_burgess`,
checked against the study's exclusions, overlap and dominance rules; when no construction
fits, a warning says so and the design falls back to the D-efficient search.

The arrays come from :func:`dce.design.oa_mixed.construct_mixed`: regular, Hadamard and
product arrays, and mixed-level arrays from difference schemes (e.g. 2^1 3^7 in 18 runs,
2^11 3^12 in 36). Without ``tasks`` the smallest design is made; with it, the array with most
runs whose copies give tasks x blocks sets (fewest repeated sets).
"""

from __future__ import annotations

import warnings

from dce.design.constraints import dominated, overlap, partworths
from dce.design.efficient import d_efficient_design, identification_check
from dce.design.methods import allowed_mask
from dce.design.priors import design_terms, prior_moments
from dce.design.street_burgess import feasible_sizes, street_burgess_plan
from dce.errors import DesignError


class DesignWarning(UserWarning):
    """A design was built, but not the way the config asked (e.g. a fallback was used)."""


# ----- the method ------------------------------------------------------------------------
def orthogonal_design(study, rng):
    """Street-Burgess design from an orthogonal array; warns and searches when none fits.

    Optimal for main effects at zero coefficients (Street and Burgess 2007, ch. 6). When
    no construction fits the levels, alternatives and number of sets, or it breaks
    ``exclude``, ``max_overlap`` or ``no_dominance``, a DesignWarning says so and the
    D-efficient search is used; another DesignWarning reports repeated choice sets.

    Parameters
    ----------
    study : Study
    rng : numpy.random.Generator
        The ``design`` stream (array variants, blocking, task order).

    Returns
    -------
    sets : ndarray of int (n_sets, alternatives, n_attributes)
        Tasks in random order.
    blocks : ndarray of int (n_sets,)
    info : dict
        ``{"construction": ...}`` (array, generators, level shifts per attribute), or the
        fallback's info with ``"fallback"`` (requested, used, reason).

    Raises
    ------
    DesignError
        Key ``design.tasks`` when no construction fits and ``tasks`` is not set (the
        message lists numbers of sets that work); ``design`` when the design cannot
        identify every term; and those of the fallback search.
    """
    d = study.spec.design
    attrs = study.attributes
    levels = [a.n_levels for a in attrs]
    m = d.alternatives
    n_sets = d.tasks * d.blocks if d.tasks is not None else None
    plan = street_burgess_plan(levels, m, n_sets, d.blocks, rng)
    reason = None
    if plan is None:
        sizes = feasible_sizes(levels, m, d.blocks)
        shown = ", ".join(str(s) for s in sizes[:8]) or "none up to 200"
        reason = (f"no orthogonal-array construction is known for levels "
                  f"{'x'.join(map(str, levels))} in sets of {m}"
                  + (f" with {n_sets} choice sets" if n_sets else "")
                  + f"; numbers of sets (tasks x blocks) that work: {shown}")
        if n_sets is None:
            raise DesignError(reason + "; set `tasks` or use method: d-efficient",
                              key="design.tasks")
    else:
        sets, blk, info, _array = plan
        profiles = sets.reshape(-1, len(attrs))
        if d.exclude and not allowed_mask(profiles, attrs, d.exclude).all():
            reason = ("the orthogonal design shows profiles that `exclude` forbids "
                      f"(array {info['array']})")
        elif d.max_overlap is not None and (overlap(sets) > d.max_overlap).any():
            reason = f"the orthogonal design has tasks with more than {d.max_overlap} " \
                     "attributes at one level (max_overlap)"
        elif d.no_dominance:
            terms = design_terms(study)
            pw = partworths(attrs, terms, prior_moments(study, terms)[0])
            if dominated(sets, pw).any():
                reason = ("the orthogonal design has tasks where one alternative dominates "
                          "another by the priors (no_dominance)")
    if reason is not None:
        warnings.warn(f"design.method orthogonal: {reason}; falling back to the D-efficient "
                      "search", DesignWarning, stacklevel=2)
        sets, blk, info = d_efficient_design(study, rng)
        info = dict(info)
        info["fallback"] = {"requested": "orthogonal", "used": "d-efficient", "reason": reason}
        return sets, blk, info
    info["level_shifts"] = {a.name: f for a, f in zip(attrs, info["level_shifts"], strict=True)}
    if info["repeated_sets"]:
        warnings.warn(f"design.method orthogonal: the Street-Burgess design repeats "
                      f"{info['repeated_sets']} of its {len(sets)} choice sets (too few "
                      "distinct optimal sets for this many tasks); use fewer tasks or method: "
                      "d-efficient to avoid repeats", DesignWarning, stacklevel=2)
    identification_check(study, sets)
    # present tasks in a random order within each block
    order = rng.permutation(len(sets))
    sets, blk = sets[order], blk[order]
    return sets, blk, {"construction": info}
