"""One separation check for every estimation path: a direction along which the
log-likelihood keeps rising, found from the data by linear programming.

For a logit on choice sets (the conditional logit and every model expanded into one: the
best-worst, maxdiff and rank-ordered item models), the log-likelihood at ``b + t d`` is
non-decreasing in ``t`` for every ``b`` exactly when, in every set, each chosen row ``c``
has ``(x_c - x_j) d >= 0`` for every row ``j`` of the set; it rises without bound when at
least one of these is strict. Such a ``d`` is a direction of recession: no finite maximum
exists, the optimiser stops far out along ``d`` with tiny standard errors (Albert and
Anderson 1984; Santner and Duffy 1986). The same ``d`` applied to the means of a mixed
logit (normal or triangular coefficients) raises its simulated likelihood too, and with
``lambda = 1`` it raises the likelihood of the best-worst model with an estimated worst
scale, so one check on the data covers every path.

:func:`direction` finds ``d`` with linear programs in the K coefficients only, on the
rows ``a_u`` of ``x_c - x_j`` (columns scaled by their largest absolute value), each
program solved on the rows its solutions violate, added until none is (constraint
generation; a few hundred rows of a million decide the cone): each round maximises the sum of the rows not
yet strict, ``sum a_u d``, over the cone ``a_u d >= 0`` for all ``u`` with ``|d_k| <= 1``.
Its optimum is positive exactly when some recession direction makes one of those rows
strict (every term of the sum is >= 0), so the rounds end with every difference that any
recession direction makes strict, and the sum of their directions makes all of them
strict (Konis 2007, ch. 3, for the binary case). A last program finds the sparsest ``d``
(least L1 norm) with ``a_u d >= 1`` on those differences and ``a_u d = 0`` on the rest,
which names as few terms as the data allow.

The direction is then said in the user's words: over the levels of each attribute
(:func:`describe_attributes`) or over the items (:func:`describe_items`), where the
reference level or item has its own value, so a separated reference is named as itself;
each phrase is checked on the data first (:mod:`dce.models.separation_words`).

References
----------
Albert, A. and Anderson, J. A. (1984). On the existence of maximum likelihood estimates in
logistic regression models. Biometrika 71(1), 1-10.
Santner, T. J. and Duffy, D. E. (1986). A note on A. Albert and J. A. Anderson's conditions
for the existence of maximum likelihood estimates in logistic regression models.
Biometrika 73(3), 755-758.
Konis, K. (2007). Linear programming algorithms for detecting separated data in binary
logistic regression models. DPhil thesis, University of Oxford.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dce.errors import EstimationError
from dce.models import interior
from dce.models.separation_words import describe_attributes, describe_items

__all__ = ["SeparatedError", "Separation", "check", "collinear_sets", "describe_attributes", "describe_items",
           "direction", "fit_and_check", "has_no_maximum", "mark", "suspicious", "warn_text"]

STRICT = 1e-6     # s_u above this: the difference is strict along the direction
ZERO = 1e-7       # |d_k| (largest 1) or a level value below this counts as 0
OnSeparation = Literal["stop", "warn"]
ON_SEPARATION = ("stop", "warn")
MAX_ROUNDS = 20   # linear programs that widen the set of strict differences
SCREEN = 12.0     # a within-set utility range above this at the fit calls for the check


class SeparatedError(EstimationError):
    """The likelihood has no maximum (``on_separation="stop"``): a run fitting several
    groups catches it to name every separated group before it stops."""


@dataclass(frozen=True)
class Separation:
    """A direction along which the log-likelihood rises without bound, and its words.

    Attributes
    ----------
    group : str
        The group fitted.
    terms : tuple of str
        Coded terms whose estimates run to infinity (nonzero ``direction``).
    direction : dict of str to float
        Term -> component of the direction (largest absolute value 1).
    sets : int
        Choice sets (expanded, for item models) whose choice the direction decides.
    phrases : tuple of str
        The separation in the user's words, e.g. ``"e always ranked last"``.
    names : tuple of str
        Attributes or items named by ``phrases`` (the rows marked in importance.csv).
    unidentified : tuple of str
        Other terms that no choice set left undecided by the direction identifies (e.g.
        every attribute of a group that always chose the opt-out): their estimates mean
        nothing either.
    """

    group: str
    terms: tuple
    direction: dict
    sets: int
    phrases: tuple
    names: tuple
    unidentified: tuple = ()

    @property
    def message(self) -> str:
        """One sentence: what is separated and what to do (without the group prefix)."""
        return (f"the likelihood has no maximum (the data are separated): "
                f"{'; '.join(self.phrases)}, so the estimates of {', '.join(self.terms)} "
                f"diverge{' together' if len(self.terms) > 1 else ''} (run to infinity); drop "
                "or merge those levels or items, or collect more varied choices "
                "(model.on_separation: warn runs anyway and marks them)")

    def along(self, terms) -> np.ndarray:
        """The direction over ``terms`` (0 for terms it does not involve), ndarray."""
        return np.array([self.direction.get(t, 0.0) for t in terms], dtype=float)

    def affected(self, terms) -> np.ndarray:
        """1.0 for each of ``terms`` that diverges or is left unidentified, else 0.0."""
        bad = set(self.direction) | set(self.unidentified)
        return np.array([float(t in bad) for t in terms])


def _differences(data, with_sets: bool = False):
    """``x_c - x_j`` for every chosen row ``c`` and every other row ``j`` of its set,
    ndarray (pairs, K), ordered by ``c`` then ``j``; with ``with_sets`` also the set of each
    pair, ndarray (pairs,)."""
    X, y, start = data.X, np.asarray(data.chosen), data.set_start
    sizes = np.diff(start)
    chosen = np.flatnonzero(y > 0)
    if len(sizes) and np.all(sizes == sizes[0]) and sizes[0] > 1:
        return _equal_size_differences(X, chosen, int(sizes[0]), with_sets)
    set_of_row = np.repeat(np.arange(len(sizes)), sizes)
    s = set_of_row[chosen]
    n = sizes[s]
    first = np.repeat(start[s], n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    rows = first + offset
    c = np.repeat(chosen, n)
    keep = rows != c
    if with_sets:
        return X[c[keep]] - X[rows[keep]], np.repeat(s, n)[keep]
    return X[c[keep]] - X[rows[keep]]


def _equal_size_differences(X, chosen, J, with_sets):
    """:func:`_differences` when every set has ``J`` rows: the J - 1 differences of chosen
    row ``c`` (set ``c // J``, position ``c % J``) are written in place, the other rows
    ``j`` in order (no index arrays over every pair)."""
    K = X.shape[1]
    first = chosen - chosen % J
    pos = chosen - first
    D = np.empty((len(chosen), J - 1, K))
    step = 8192  # chosen rows per step: cache-sized row buffers, not two more (n, K) arrays
    xc, other = np.empty((min(step, len(chosen)), K)), np.empty((min(step, len(chosen)), K))
    for a in range(0, len(chosen), step):
        b = min(a + step, len(chosen))
        np.take(X, chosen[a:b], axis=0, out=xc[:b - a])
        for r in range(J - 1):  # the r-th other row: r before the chosen position, else r + 1
            np.take(X, first[a:b] + r + (pos[a:b] <= r), axis=0, out=other[:b - a])
            np.subtract(xc[:b - a], other[:b - a], out=D[a:b, r])
    D = D.reshape(-1, K)
    if with_sets:
        return D, np.repeat(first // J, J - 1)
    return D


def unidentified(data, d: np.ndarray) -> tuple:
    """Terms that none of the choice sets left undecided by the direction ``d`` identifies.

    Along ``d`` a set where the chosen row gains on another (``d'(x_c - x_j) > 0``) is
    predicted with certainty in the limit and carries no information; a term that no
    remaining set varies cannot be estimated from the data.
    """
    D, sets = _differences(data, with_sets=True)
    gain = np.abs(D @ d) > 1e-9 * max(1.0, float(np.abs(D).max(initial=0.0)))
    decided = np.zeros(int(sets.max(initial=-1)) + 1, dtype=bool)
    np.logical_or.at(decided, sets, gain)
    rest = D[~decided[sets]]
    varies = np.abs(rest).max(axis=0, initial=0.0) > 0
    return tuple(t for t, v, x in zip(data.terms, varies, d, strict=True) if not v and not x)


def direction(data, beta=None) -> tuple[np.ndarray, int] | None:
    """A direction of recession of the logit log-likelihood of ``data``, if any.

    Parameters
    ----------
    data : dce.core.coding.ChoiceData
        ``X`` (rows, K), ``chosen`` (rows,), ``set_start`` (sets + 1,).
    beta : ndarray (K,), optional
        A conditional logit fit of ``data``: when its probabilities prove that the
        maximum exists (:func:`dce.models.interior.certified`, a fraction of the linear
        programs' time), the programs do not run.

    Returns
    -------
    (ndarray (K,), int) or None
        The sparsest direction ``d`` (largest ``|d_k|`` 1) of the module docstring and the
        number of choice sets it decides; None when the maximum exists (no direction).
    """
    if beta is None:
        D, sets = _differences(data), None  # scaled in place below: one (pairs, K) array
    else:
        D, sets = _differences(data, with_sets=True)
    K = D.shape[1] if D.ndim == 2 else 0
    if K == 0 or len(D) == 0:
        return None
    scale = np.maximum(D.max(axis=0), -D.min(axis=0))  # |D| column maxima, without |D|
    if sets is not None:
        y = interior.pair_probabilities(D @ np.asarray(beta, dtype=float), sets)
        if y is not None and interior.certified(D, y, largest=scale):
            return None
    scale[scale == 0] = 1.0
    A = np.divide(D, scale, out=D)
    nonzero = (A != 0).any(axis=1)
    if not nonzero.all():
        A = A[nonzero]
    if len(A) == 0:
        return None
    found = _strict_rows(A)
    if found is None:
        return None
    strict, d = found
    sparsest = _sparsest(A, strict)
    if sparsest is not None:
        d = sparsest
    d = d / scale
    d = d / np.abs(d).max()
    d[np.abs(d) < ZERO] = 0.0
    decided = _decided_sets(data, d)
    return d, decided


def _strict_rows(A) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows of ``A`` strict along some recession direction, a direction making them all
    strict), or None. Each round maximises the sum of the rows not yet strict over the
    cone ``A d >= 0`` (box ``|d_k| <= 1``): its optimum is positive exactly when some
    direction makes one of them strict, and the sum of the rounds' directions makes
    every row found strict. The cone constraints are added as they are violated
    (:func:`_cone_lp`), so the programs stay small on a million rows."""
    U, K = A.shape
    strict, total = np.zeros(U, bool), np.zeros(K)
    work = np.zeros(U, bool)
    for _ in range(MAX_ROUNDS):
        rest = ~strict
        if not rest.any():
            break
        x, value, s = _cone_lp(A, A.sum(axis=0) if rest.all() else A[rest].sum(axis=0), work)
        if x is None or value <= STRICT:
            break
        new = rest & (s > STRICT)
        if not new.any():
            break
        total += x
        strict |= new
    return (strict, total) if strict.any() else None


CUTS = 200  # most violated cone rows added to a program per pass


def _sparsest(A, strict) -> np.ndarray | None:
    """The least-L1 ``d`` with ``a_u d >= 1`` on the ``strict`` rows and ``a_u d >= 0`` on
    the rest (which the cone then holds at 0: no recession direction makes them strict),
    by constraint generation as in :func:`_cone_lp`; None when the solver fails."""
    from scipy import optimize  # 0.15 s to import: only when an exact check runs

    U, K = A.shape
    need = strict.astype(float)
    work = np.zeros(U, bool)
    for _ in range(U // CUTS + 2):
        rows = A[work]
        G = np.hstack([rows, -rows])  # d = p - q with p, q >= 0
        lp = optimize.linprog(np.ones(2 * K), A_ub=-G if work.any() else None,
                              b_ub=-need[work] if work.any() else None,
                              bounds=[(0, None)] * (2 * K), method="highs")
        if lp.status != 0:
            return None
        d = lp.x[:K] - lp.x[K:]
        slack = A @ d - need
        violated = np.flatnonzero(slack < -1e-9)
        if len(violated) == 0:
            return d
        work[_most_violated(violated, slack[violated])] = True
    return None


def _cone_lp(A, c, work) -> tuple[np.ndarray | None, float, np.ndarray | None]:
    """``max c'd`` over ``A d >= 0``, ``|d_k| <= 1``, by constraint generation: the program
    is solved on the rows marked in ``work`` (updated in place), and the rows the solution
    violates are added until it violates none; that solution is then optimal over every
    row (Dantzig, Fulkerson and Johnson 1954). Returns ``(d, c'd, A d)``, or
    ``(None, 0.0, None)`` when the solver fails."""
    from scipy import optimize  # 0.15 s to import: only when an exact check runs

    U, K = A.shape
    for _ in range(U // CUTS + 2):
        rows = A[work]
        lp = optimize.linprog(-c, A_ub=-rows if len(rows) else None,
                              b_ub=np.zeros(len(rows)) if len(rows) else None,
                              bounds=[(-1, 1)] * K, method="highs")
        if lp.status != 0:
            return None, 0.0, None
        s = A @ lp.x
        violated = np.flatnonzero(s < -1e-9)
        if len(violated) == 0:
            return lp.x, float(-lp.fun), s
        work[_most_violated(violated, s[violated])] = True
    return None, 0.0, None


def _most_violated(rows, values) -> np.ndarray:
    """The :data:`CUTS` of ``rows`` with the smallest ``values`` (ties: the earlier rows),
    ``rows[np.argsort(values, kind="stable")[:CUTS]]`` without sorting every row: only the
    rows at or below the CUTS-th smallest value are sorted."""
    if len(values) > CUTS:
        cut = np.partition(values, CUTS - 1)[CUTS - 1]
        near = np.flatnonzero(values <= cut)
        rows, values = rows[near], values[near]
    return rows[np.argsort(values, kind="stable")[:CUTS]]


def _decided_sets(data, d) -> int:
    u = data.X @ d
    tol = ZERO * max(1.0, float(np.abs(u).max(initial=0)))
    return int(np.sum(_spans(u, data.set_start) > tol)) if len(u) else 0


def _spans(u, start) -> np.ndarray:
    """``max - min`` of ``u`` (rows,) within each set (``start``: set_start, sets + 1);
    with equal set sizes over the columns of a (sets, J) view instead of ``reduceat``."""
    sizes = np.diff(start)
    if len(sizes) and sizes[0] > 0 and len(u) == len(sizes) * sizes[0] and np.all(
            sizes == sizes[0]):
        u = u.reshape(len(sizes), -1)
        hi, lo = u[:, 0].copy(), u[:, 0].copy()
        for j in range(1, u.shape[1]):  # column by column: a reduction over J is slow
            np.maximum(hi, u[:, j], out=hi)
            np.minimum(lo, u[:, j], out=lo)
        hi -= lo
        return hi
    first = start[:-1]
    return np.maximum.reduceat(u, first) - np.minimum.reduceat(u, first)


def collinear_sets(null) -> list[list[int]]:
    """Groups of terms confounded with each other, from a basis of the null space.

    Two terms are in the same group when they load together on some null vector; the
    groups are the connected parts (the null space has a basis spanning each part on its
    own, so whichever basis ``eigh`` returns, the parts are the same).

    Parameters
    ----------
    null : ndarray (K, m)
        Orthonormal null vectors (columns) of the information matrix.

    Returns
    -------
    list of list of int
        Term positions, each group in term order, groups ordered by their first term.
    """
    K = null.shape[0]
    # the projector onto the null space does not depend on the basis chosen
    P = null @ null.T
    linked = np.abs(P) > 0.05 * np.abs(np.diag(P)).max()
    involved = np.diag(linked) & (np.abs(np.diag(P)) > 1e-3)
    seen, out = np.zeros(K, bool), []
    for i in np.flatnonzero(involved):
        if seen[i]:
            continue
        group, todo = {int(i)}, [int(i)]
        while todo:
            j = todo.pop()
            for k in np.flatnonzero(linked[j] & involved):
                if int(k) not in group:
                    group.add(int(k))
                    todo.append(int(k))
        seen[list(group)] = True
        out.append(sorted(group))
    return out


# ----- the check ------------------------------------------------------------------------
def suspicious(data, beta, converged: bool, sets=None) -> bool:
    """Whether a fit shows what separation leaves behind, so that :func:`direction` must
    be asked: no convergence, a non-finite estimate, or a choice set whose utilities span
    more than :data:`SCREEN` (choice odds of e^12).

    Along a recession direction the choices it decides have probabilities ``p`` of the
    other alternatives that shrink like ``e^-margin``, and Newton's decrement falls with
    them (about ``p`` times the number of such sets), so a fit that stops as converged at
    decrement 1e-16 (native) or 1e-12 (pylogit) has margins, hence within-set spans, of
    at least ``log(1e12 / sets)``: above 12 up to 1e6 such sets. An unseparated fit
    rarely spans that much; when it does the exact check merely runs (seconds on a
    million rows with continuous attributes, much less on a design's few distinct
    differences).

    Parameters
    ----------
    data : dce.core.coding.ChoiceData
    beta : ndarray (K,)
        Estimates over ``data.terms``.
    converged : bool
    sets : ndarray of bool (sets,), optional
        Only these choice sets count (e.g. those a bootstrap resample drew).

    Returns
    -------
    bool
    """
    beta = np.asarray(beta, dtype=float)
    if not converged or not np.isfinite(beta).all():
        return True
    if data.n_sets == 0:
        return False
    span = _spans(data.X @ beta, data.set_start)
    if sets is not None:
        span = span[np.asarray(sets, dtype=bool)]
    return bool(span.max(initial=0.0) > SCREEN)


def has_no_maximum(data, result) -> bool:
    """Whether ``result`` (a conditional logit of ``data``) sits on a likelihood without a
    maximum: :func:`suspicious`, and :func:`direction` finds a direction. For refits
    (bootstrap, power) that must not count as converged.

    Parameters
    ----------
    data : dce.core.coding.ChoiceData
    result : FitResult
        Fitted to ``data`` (``params`` over ``data.terms``).

    Returns
    -------
    bool
    """
    return suspicious(data, result.params, True) and direction(data, result.params) is not None


def fit_and_check(fit, data, describe, *, on_separation: str = "stop", group: str = "all",
                  beta_of=None):
    """Fit, then :func:`check` the data when the fit looks separated (:func:`suspicious`).

    The fit's own warnings are held back and issued only when the data are not
    separated (the separation warning says more than "very large estimates").

    Parameters
    ----------
    fit : callable
        ``fit() -> FitResult``.
    data, describe, on_separation, group
        As :func:`check`.
    beta_of : callable, optional
        ``beta_of(result) -> ndarray (K,)``: the estimates over ``data.terms`` (default
        ``result.params``).

    Returns
    -------
    FitResult
        The fit, :func:`mark`-ed when separated (with ``warn``).

    Raises
    ------
    dce.errors.EstimationError
        From the fit, or the separation with ``stop``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit()
    beta = result.params if beta_of is None else beta_of(result)
    sep = None
    if suspicious(data, beta, result.converged):
        sep = check(data, describe, on_separation=on_separation, group=group, beta=beta)
    if sep is None:
        for w in caught:
            warnings.warn(w.message, stacklevel=2)
    return mark(result, sep)


def check(data, describe, *, on_separation: str = "stop", group: str = "all",
          beta=None) -> Separation | None:
    """Stop (or warn) when the log-likelihood of ``data`` has no maximum.

    Parameters
    ----------
    data : dce.core.coding.ChoiceData
        The coded (or expanded) choice sets about to be fitted.
    describe : callable
        ``describe(direction dict, data=data) -> (phrases, names)``, e.g.
        :func:`describe_attributes` with the attributes bound (phrases checked on
        ``data``, :mod:`dce.models.separation_words`).
    on_separation : {"stop", "warn"}
        Raise, or warn (UserWarning) and return the separation for the result.
    group : str
        The group, prefixed to the message.
    beta : ndarray (K,), optional
        The fit's estimates over ``data.terms``: a proof from its probabilities that the
        maximum exists spares the linear programs (:func:`direction`).

    Returns
    -------
    Separation or None
        None when the maximum exists.

    Raises
    ------
    SeparatedError
        With ``stop`` (an :class:`dce.errors.EstimationError`), key ``model``:
        ``"group <g>: the likelihood has no maximum ..."`` naming the levels or items and
        the direction, and the diverging terms.
    ValueError
        An unknown ``on_separation``.
    """
    if on_separation not in ON_SEPARATION:
        raise ValueError(f"on_separation must be 'stop' or 'warn', got {on_separation!r}")
    found = direction(data, beta)
    if found is None:
        return None
    d, n_sets = found
    terms = tuple(t for t, x in zip(data.terms, d, strict=True) if x)
    comp = {t: float(x) for t, x in zip(data.terms, d, strict=True) if x}
    phrases, names = describe(comp, data=data)
    if not phrases:
        phrases = [f"{', '.join(terms)} run to infinity"]
    sep = Separation(group, terms, comp, n_sets, tuple(phrases), tuple(dict.fromkeys(names)),
                     unidentified(data, d))
    if on_separation == "stop":
        raise SeparatedError(f"group {group}: {sep.message}", key="model")
    warnings.warn(f"group {group}: {warn_text(sep)}", UserWarning, stacklevel=2)
    return sep


def warn_text(sep: Separation) -> str:
    """The warning (and report sentence) of a separated fit run with ``warn``."""
    return (f"the likelihood has no maximum (the data are separated): "
            f"{'; '.join(sep.phrases)}. The estimates of {', '.join(sep.terms)} (marked "
            "separated = true in estimates.csv) are not finite in truth"
            + (f", and those of {', '.join(sep.unidentified)} are not identified by the "
               "other choices (marked too)" if sep.unidentified else "") + ": their values, "
            "standard errors and intervals mean nothing, and neither do the group's "
            "importance shares, ranks, trade-offs and relative utilities (every row of the "
            "group marked separated = true); the fit is reported as not converged and left "
            "out of any group comparison")


def mark(result, sep: Separation | None):
    """``result`` with the separation attached, ``converged`` false and the note added.

    Parameters
    ----------
    result : FitResult
        Any fit (conditional logit, item model, mixed logit).
    sep : Separation or None
        From :func:`check`; None returns ``result`` unchanged.

    Returns
    -------
    FitResult
        Of the same class.
    """
    if sep is None:
        return result
    note = f"group {sep.group}: {warn_text(sep)}"
    return dataclasses.replace(result, converged=False, separation=sep,
                               warnings=tuple(result.warnings) + (note,))
