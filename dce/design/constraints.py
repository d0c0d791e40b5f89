"""Constraints on whole choice sets: dominance (by the priors) and attribute overlap.

* An alternative *dominates* another when, by the prior means, it is at least as good on
  every attribute and better on at least one. An attribute with no prior (all its terms 0)
  has no known order, so a set whose alternatives differ on it is never called dominated
  through it.
* The *overlap* of a set is the number of attributes whose level is the same in every
  generic alternative (such an attribute tells nothing in that task).

Minimal overlap is one of Huber and Zwerina's (1996, The importance of utility balance in
efficient choice designs, J. Marketing Research 33:307-317) principles of efficient choice
designs; the ISPOR design report (Johnson et al. 2013, Value in Health 16:3-13) advises
against dominated alternatives, which tell little about trade-offs.
"""

from __future__ import annotations

import itertools

import numpy as np


def partworths(attributes, terms, beta) -> list:
    """Utility of each level by the prior means, per attribute (None: no prior given).

    Parameters
    ----------
    attributes : sequence of Attribute
    terms : sequence of str
        Term names of ``beta`` (terms not named get 0).
    beta : array of float (terms,)
        Prior means.

    Returns
    -------
    list (n_attributes,) of ndarray (n_levels,) or None
        :meth:`Attribute.level_matrix` @ the attribute's coefficients; None when all of
        them are 0, and for an alternative-specific attribute of a labelled design.
    """
    beta = dict(zip(terms, np.asarray(beta, float), strict=False))
    out = []
    for a in attributes:
        if a.specific:  # labelled, one set per alternative: no order shared by all of them
            out.append(None)
            continue
        b = np.array([beta.get(t, 0.0) for t in a.terms])
        out.append(None if not b.any() else a.level_matrix() @ b)
    return out


def overlap(sets: np.ndarray) -> np.ndarray:
    """Attributes with one level across all alternatives, per set.

    Parameters
    ----------
    sets : ndarray of int (..., J, A)
        Level indices of J alternatives on A attributes.

    Returns
    -------
    ndarray of int (...)
        Number of attributes whose level is the same in every alternative of the set.
    """
    return (sets == sets[..., :1, :]).all(axis=-2).sum(axis=-1)


def dominated(sets: np.ndarray, pw: list) -> np.ndarray:
    """True for sets in which some alternative dominates another by the prior means.

    Parameters
    ----------
    sets : ndarray of int (..., J, A)
        Level indices of J alternatives on A attributes.
    pw : list (A,) of ndarray or None
        Part-worths from :func:`partworths`; an attribute with None has no known order.

    Returns
    -------
    ndarray of bool (...)
        True when an alternative is at least as good as another on every attribute
        (within 1e-12) and better by more than 1e-12 on at least one; an attribute without
        an order is "at least as good" only where the two share its level.
    """
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
