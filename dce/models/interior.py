"""A proof that a logit likelihood has a maximum, read off a fit's own probabilities.

:mod:`dce.models.separation` looks for a direction of recession ``d``: with ``A`` the rows
``a_u = x_c - x_j`` (chosen row ``c``, every other row ``j`` of its set), one with
``A d >= 0`` and ``A d != 0``. Stiemke's theorem of the alternative (Stiemke 1915;
Mangasarian 1969, sec. 2.4) says that exactly one of these holds:

(i)  some ``d`` has ``A d >= 0`` and ``A d != 0`` (the likelihood has no maximum), or
(ii) some ``y`` with every entry positive has ``A'y = 0``.

A fit supplies a candidate for (ii). At coefficients ``b`` the probabilities of the rows
not chosen, ``y_u = p_j``, are positive, and ``A'y`` is the gradient of the conditional
logit log-likelihood, close to 0 at its maximum. Then ``y' = y - A z`` with
``A'A z = A'y`` has ``A'y' = 0`` exactly, and when every ``y'_u`` is still positive (ii)
holds: no direction exists, and the linear programs that would look for one need not run.
A bound replaces ``z``: ``|a_u'z| <= |a_u| |A'y| / lambda_min(A'A)``, widened by the
rounding error of the computed ``A'y`` and ``A'A`` (Higham 2002, ch. 3: a sum of ``U``
products is off by at most ``gamma_U = U u / (1 - U u)`` times the sum of their absolute
values, ``u = 2^-53``). The proof therefore never passes separated data: there no ``y > 0``
has ``A'y = 0``, and the probabilities a separated fit gives its decided sets (about
1e-130 in the completely separated fits of ``tests/models/test_interior.py``) are far
below the bound.

References
----------
Stiemke, E. (1915). Ueber positive Loesungen homogener linearer Gleichungen. Mathematische
Annalen 76, 340-342.
Mangasarian, O. L. (1969). Nonlinear Programming. McGraw-Hill, New York.
Higham, N. J. (2002). Accuracy and Stability of Numerical Algorithms, 2nd ed. SIAM.
"""

from __future__ import annotations

import numpy as np

__all__ = ["certified", "pair_probabilities"]

UNIT = 2.0 ** -53  # unit roundoff of float64


def pair_probabilities(margins: np.ndarray, sets: np.ndarray) -> np.ndarray | None:
    """The logit probability of the row not chosen in each pair, from the utility margins.

    Parameters
    ----------
    margins : ndarray (pairs,)
        ``u_c - u_j`` of each pair (chosen row ``c``, other row ``j``) at the fit.
    sets : ndarray of int (pairs,)
        The choice set of each pair, non-decreasing (the pairs of a set are adjacent);
        one chosen row per set.

    Returns
    -------
    ndarray (pairs,) or None
        ``p_j = exp(-m_u) / (1 + sum over the set's pairs of exp(-m_v))``, computed
        without overflow; None when ``sets`` is not non-decreasing.
    """
    if len(sets) == 0:
        return np.empty(0)
    if np.any(sets[1:] < sets[:-1]):
        return None
    starts = np.flatnonzero(np.r_[True, sets[1:] != sets[:-1]])
    t = np.negative(margins)  # log-odds of row j against the chosen row
    top = np.maximum(np.maximum.reduceat(t, starts), 0.0)  # the chosen row's log-odds is 0
    size = np.diff(np.r_[starts, len(t)])
    t -= np.repeat(top, size)
    np.exp(t, out=t)
    total = np.add.reduceat(t, starts) + np.exp(-top)
    t /= np.repeat(total, size)
    return t


def certified(D: np.ndarray, y: np.ndarray, largest=None) -> bool:
    """Whether ``y > 0`` proves that no direction of recession exists for the rows ``D``.

    Parameters
    ----------
    D : ndarray (pairs, K)
        The differences ``x_c - x_j``.
    y : ndarray (pairs,)
        Positive weights, e.g. :func:`pair_probabilities` at a fit, whose ``D'y`` (the
        gradient there) is near 0.
    largest : ndarray (K,), optional
        The largest ``|d_uk|`` of each column, when already known. The proof is made for
        ``A``, each column of ``D`` divided by its largest ``|d_uk|`` (whether a direction
        exists does not depend on the scaling; the bound is tighter when columns are
        alike).

    Returns
    -------
    bool
        True only when ``y - A z``, with ``A'A z = A'y``, is positive in every entry
        after every rounding error is allowed for (Stiemke's alternative (ii) holds, so
        the likelihood has a maximum); False when the proof fails, which says nothing
        either way.
    """
    U, K = D.shape
    if U == 0 or K == 0 or not (np.all(np.isfinite(y)) and y.min() > 0):
        return False
    if largest is None:
        largest = np.maximum(D.max(axis=0), -D.min(axis=0))  # without a (pairs, K) |D|
    if not np.all(np.isfinite(largest)):
        return False
    inv = 1.0 / np.where(largest > 0, largest, 1.0)
    gamma = U * UNIT / (1.0 - U * UNIT)
    gradient = (D.T @ y) * inv  # A'y
    # |fl(A'y) - A'y| <= gamma |A|'y <= gamma * (largest |a_uk| of column k) * sum(y)
    slack = gamma * largest * inv * y.sum() * 1.01
    size = np.linalg.norm(gradient) + np.linalg.norm(slack)
    gram = (D.T @ D) * np.outer(inv, inv)  # A'A
    trace = float(np.trace(gram))
    lowest = float(np.linalg.eigvalsh(gram)[0])
    # fl(A'A) is off by at most gamma * sum_u |a_u|^2 = gamma * trace in the 2-norm, the
    # scaling by a few units in the last place, the eigenvalue solver by a few K u |A'A|
    lowest -= (gamma + 16 * K * UNIT) * trace * 1.01
    if not lowest > 0:
        return False
    # |a_u' z| <= |a_u| |z| <= sqrt(K) max_k |a_uk| |z|, and |z| <= |A'y| / lowest
    longest = float(np.sqrt(K) * (largest * inv).max())
    return bool(y.min() > longest * (size / lowest) * (1 + 1e-6))
