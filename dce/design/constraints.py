"""Constraints on whole choice sets: dominance (by the priors) and attribute overlap.

* An alternative *dominates* another when, by the prior means, it is at least as good on
  every attribute and better on at least one. An attribute with no prior (all its terms 0)
  has no known order, so a set whose alternatives differ on it is never called dominated
  through it.
* The *overlap* of a set is the number of attributes whose level is the same in every
  generic alternative (such an attribute tells nothing in that task).
"""

from __future__ import annotations

import itertools

import numpy as np


def partworths(attributes, terms, beta) -> list:
    """Utility of each level by the prior means, per attribute (None: no prior given)."""
    beta = dict(zip(terms, np.asarray(beta, float), strict=False))
    out = []
    for a in attributes:
        b = np.array([beta.get(t, 0.0) for t in a.terms])
        out.append(None if not b.any() else a.level_matrix() @ b)
    return out


def overlap(sets: np.ndarray) -> np.ndarray:
    """Attributes with one level across all alternatives, per set: sets (..., J, A) -> (...)."""
    return (sets == sets[..., :1, :]).all(axis=-2).sum(axis=-1)


def dominated(sets: np.ndarray, pw: list) -> np.ndarray:
    """True for sets (..., J, A) in which some alternative dominates another."""
    J = sets.shape[-2]
    U = np.full(sets.shape, np.nan)
    for q, w in enumerate(pw):
        if w is not None:
            U[..., q] = w[sets[..., q]]
    out = np.zeros(sets.shape[:-2], dtype=bool)
    with np.errstate(invalid="ignore"):
        for a, b in itertools.permutations(range(J), 2):
            equal = sets[..., a, :] == sets[..., b, :]
            diff = U[..., a, :] - U[..., b, :]
            at_least = equal | (diff >= -1e-12)
            better = ~equal & (diff > 1e-12)
            out |= at_least.all(axis=-1) & better.any(axis=-1)
    return out
