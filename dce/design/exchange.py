"""The exchange search behind `method: d-efficient` and `bayesian`: one start improved
until a full pass changes nothing (see :mod:`dce.design.efficient` for the algorithm).

Changing set s only changes that set's information, so one inverse per set and draw serves
every candidate profile of the set, and the candidates are evaluated together as arrays.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from dce.design.balance import balanced_start, level_counts, moves_ok, scramble, violation
from dce.design.constraints import dominated, overlap
from dce.design.diagnostics import draw_errors
from dce.errors import DesignError

MAX_PASSES = 100
RIDGE = 1e-8
RESCUE_ROUNDS = 40  # rounds allowed while a start's design is still singular
START_TRIES = 20  # random designs tried for one that meets the level bounds
PERTURB = 8  # a round swaps (slots x attributes) / PERTURB levels (at least 2)
_CHUNK = 2_000_000  # floats per evaluation block


# ----- the search problem ------------------------------------------------------------------
@dataclass
class SearchProblem:
    """Everything a start needs, as plain arrays (picklable for worker processes).

    A = attributes, K = coded terms (with ``asc[opt_out]`` last when ``opt_out``), R =
    draws, C = candidate profiles. Field comments give the shapes. ``cand_X`` and
    ``cand_code`` are filled from ``candidates`` on construction.
    """

    levels: np.ndarray          # (A,)
    codings: list               # level matrix of each attribute (levels x its terms)
    n_sets: int
    n_alt: int                  # generic alternatives per set
    opt_out: bool
    n_terms: int
    draws: np.ndarray           # (R, K)
    weights: np.ndarray         # (R,)
    candidates: np.ndarray | None  # (C, A) allowed profiles, or None: coordinate exchange
    rules: list                 # exclusions as lists of (attribute index, level index)
    deadline: float | None = None
    perms: list = field(default_factory=list)  # permutations of the alternatives (swaps)
    no_dominance: bool = False
    max_overlap: int | None = None
    pw: list = field(default_factory=list)  # part-worths by the prior means (dominance)
    bounds: tuple | None = None  # (lo, hi) of the level counts per attribute (A,), or None
    rounds: int = 0             # perturbation rounds of each start (iterated local search)
    cand_X: np.ndarray | None = None    # coded candidates
    cand_code: np.ndarray | None = None  # integer code of each candidate profile

    def __post_init__(self):
        if self.candidates is not None:
            self.cand_X = self.code(self.candidates)
            self.cand_code = self.profile_code(self.candidates)

    def profile_code(self, prof: np.ndarray) -> np.ndarray:
        """Mixed-radix integer code of profiles (one number per profile).

        Parameters
        ----------
        prof : ndarray of int (..., A)
            Level indices.

        Returns
        -------
        ndarray of int64 (...)
            ``sum_q prof[..., q] * prod(levels[q + 1:])``, unique per profile.
        """
        strides = np.array([math.prod(self.levels[i + 1:].tolist())
                            for i in range(len(self.levels))], dtype=np.int64)
        return prof @ strides

    def code(self, prof: np.ndarray) -> np.ndarray:
        """Coded rows of profiles; the opt-out column is 0.

        Parameters
        ----------
        prof : ndarray of int (..., A)
            Level indices (one per attribute) of the profiles to code.

        Returns
        -------
        ndarray of float (..., K)
            Each attribute's :meth:`~dce.core.attributes.Attribute.level_matrix` row, then a
            0 for ``asc[opt_out]`` when the design has an opt-out.
        """
        parts = [c[prof[..., q]] for q, c in enumerate(self.codings)]
        if self.opt_out:
            parts.append(np.zeros(prof.shape[:-1] + (1,)))
        return np.concatenate(parts, axis=-1)

    def allowed(self, prof: np.ndarray) -> np.ndarray:
        """True for profiles that no exclusion rule forbids.

        Parameters
        ----------
        prof : ndarray of int (..., A)
            Level indices of the profiles to check.

        Returns
        -------
        ndarray of bool (...)
            False where every (attribute, level) of some rule matches.
        """
        ok = np.ones(prof.shape[:-1], dtype=bool)
        for rule in self.rules:
            hit = np.ones(prof.shape[:-1], dtype=bool)
            for q, lev in rule:
                hit &= prof[..., q] == lev
            ok &= ~hit
        return ok

    @property
    def set_rules(self) -> bool:
        """True when whole-set constraints apply (``no_dominance`` or ``max_overlap``)."""
        return self.no_dominance or self.max_overlap is not None

    def sets_ok(self, sets: np.ndarray) -> np.ndarray:
        """Whole-set constraints (dominance, overlap) for sets.

        Parameters
        ----------
        sets : ndarray of int (..., J, A)
            Level indices of the generic alternatives.

        Returns
        -------
        ndarray of bool (...)
            False where more than ``max_overlap`` attributes have one level across the set
            or, with ``no_dominance``, an alternative dominates another by ``pw``.
        """
        ok = np.ones(sets.shape[:-2], dtype=bool)
        if self.max_overlap is not None:
            ok &= overlap(sets) <= self.max_overlap
        if self.no_dominance:
            ok &= ~dominated(sets, self.pw)
        return ok

    def set_matrix(self, prof_set: np.ndarray) -> np.ndarray:
        """Coded rows of one set, or of several.

        Parameters
        ----------
        prof_set : ndarray of int (..., J, A)
            Level indices of each set's generic alternatives.

        Returns
        -------
        ndarray of float (..., J_total, K)
            :meth:`code` of each alternative and, with an opt-out, a last row that is 0
            except 1 for ``asc[opt_out]`` (J_total = J + 1).
        """
        X = self.code(prof_set)
        if self.opt_out:
            opt = np.zeros(X.shape[:-2] + (1, self.n_terms))
            opt[..., 0, -1] = 1.0
            X = np.concatenate([X, opt], axis=-2)
        return X


def _softmax(V: np.ndarray) -> np.ndarray:
    """Choice probabilities over the last axis (few alternatives: slices beat reductions)."""
    top = V[..., 0].copy()
    for i in range(1, V.shape[-1]):
        np.maximum(top, V[..., i], out=top)
    E = np.exp(V - top[..., None])
    total = E[..., 0].copy()
    for i in range(1, V.shape[-1]):
        total += E[..., i]
    return E / total[..., None]


def set_information(X: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """MNL information of each choice set at each draw.

    X_s' (diag(p) - p p') X_s with logit probabilities p (Huber and Zwerina 1996; at prior
    draws, Sandor and Wedel 2001).

    Parameters
    ----------
    X : ndarray of float (..., J, K)
        Coded rows of one or more sets.
    draws : ndarray of float (R, K)
        Coefficient draws.

    Returns
    -------
    ndarray of float (R, ..., K, K)
        Information per draw and set (sum over sets for the design's information).
    """
    V = np.einsum("...jk,rk->r...j", X, draws)
    P = _softmax(V)
    Xb = np.einsum("r...j,...jk->r...k", P, X)
    W = P[..., None] * X[None]
    return np.swapaxes(W, -1, -2) @ X[None] - Xb[..., :, None] * Xb[..., None, :]


def _det_entries(M: list) -> np.ndarray:
    """Determinant of a small matrix given as a list of rows of equally shaped arrays."""
    n = len(M)
    if n == 1:
        return M[0][0]
    if n == 2:
        return M[0][0] * M[1][1] - M[0][1] * M[1][0]
    if n == 3:
        return (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1])
                - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0])
                + M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]))
    stacked = np.stack([np.stack(row, axis=-1) for row in M], axis=-2)
    return np.linalg.det(stacked)


def _objective(Q, p, J1, ld_rest, weights, K):
    """Weighted ``exp(-log det / K)`` over the draws, with ``det = det(R) det(I + Q H)``,
    ``H = diag(p) - p p'`` (Q as nested lists of arrays, p the probabilities of the
    non-reference alternatives)."""
    Qp = []
    for a in range(J1):
        acc = Q[a][0] * p[0]
        for b in range(1, J1):
            acc = acc + Q[a][b] * p[b]
        Qp.append(acc)
    # M = I + Q H, H = diag(p) - p p'
    M = [[(1.0 if a == b else 0.0) + (Q[a][b] - Qp[a]) * p[b] for b in range(J1)]
         for a in range(J1)]
    det = _det_entries(M)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logdet = ld_rest[:, None] + np.log(np.maximum(det, 1e-300))
        return weights @ np.exp(-logdet / K)


def _candidate_objective(prob: SearchProblem, Xs: np.ndarray, j: int, Xc: np.ndarray,
                         A: np.ndarray, ld_rest: np.ndarray) -> np.ndarray:
    """Objective of set s with alternative j replaced by each coded candidate row of Xc.

    ``A`` (R, K, K) is the inverse and ``ld_rest`` (R,) the log-determinant of the
    information without set s (plus ridge), at each draw. The set's rows are taken as
    differences from a reference alternative other than j, so only one row of X_s (and one
    row and column of Q = X_s A X_s') depends on the candidate.
    """
    draws = prob.draws
    R, K = draws.shape
    C = len(Xc)
    Jt = Xs.shape[0]
    J1 = Jt - 1
    ref = Jt - 1 if j != Jt - 1 else 0
    others = [i for i in range(Jt) if i not in (ref, j)]
    F = Xs[others] - Xs[ref]                                  # (J1-1, K)
    FA = np.matmul(F, A)                                      # (R, J1-1, K)
    FAF = np.matmul(FA, F.T)                                  # (R, J1-1, J1-1)
    V_ref = draws @ Xs[ref]                                   # (R,)
    V_oth = draws @ Xs[others].T                              # (R, J1-1)
    out = np.empty(C)
    step = max(1, _CHUNK // max(1, R * K))
    for lo in range(0, C, step):
        xc = Xc[lo:lo + step]
        dC = xc - Xs[ref]                                     # (c, K)
        FAd = np.matmul(FA, dC.T)                             # (R, J1-1, c)
        dAd = np.einsum("rck,ck->rc", np.matmul(dC, A), dC)   # (R, c)
        Vj = draws @ xc.T                                     # (R, c)
        top = np.maximum(Vj, np.max(np.column_stack([V_ref, V_oth]), axis=1)[:, None])
        e_ref = np.exp(V_ref[:, None] - top)
        e_oth = [np.exp(V_oth[:, a, None] - top) for a in range(J1 - 1)]
        e_j = np.exp(Vj - top)
        total = e_ref + e_j
        for e in e_oth:
            total = total + e
        p = [e / total for e in e_oth] + [e_j / total]       # non-reference alternatives
        Q = [[FAF[:, a, b, None] for b in range(J1 - 1)] + [FAd[:, a]] for a in range(J1 - 1)]
        Q.append([FAd[:, b] for b in range(J1 - 1)] + [dAd])
        out[lo:lo + len(xc)] = _objective(Q, p, J1, ld_rest, prob.weights, K)
    return out


def _sets_objective(prob: SearchProblem, Xn: np.ndarray, A: np.ndarray,
                    ld_rest: np.ndarray) -> np.ndarray:
    """Objective with set s replaced by each whole candidate set Xn (c, Jt, K)."""
    draws = prob.draws
    R, K = draws.shape
    c, Jt, _ = Xn.shape
    J1 = Jt - 1
    D = Xn[:, :-1] - Xn[:, -1:]                                       # (c, J1, K)
    DA = np.matmul(D.reshape(c * J1, K), A).reshape(R, c, J1, K)
    Qa = np.einsum("rcak,cbk->abrc", DA, D)                           # (J1, J1, R, c)
    V = (Xn.reshape(c * Jt, K) @ draws.T).T.reshape(R, c, Jt)
    P = _softmax(V)
    p = [P[..., a] for a in range(J1)]
    Q = [[Qa[a, b] for b in range(J1)] for a in range(J1)]
    return _objective(Q, p, J1, ld_rest, prob.weights, K)


def exact_objective(prob: SearchProblem, prof: np.ndarray) -> float:
    """(D)B-error of a design (no ridge); inf when the information is singular.

    Parameters
    ----------
    prob : SearchProblem
    prof : ndarray of int (n_sets, J, A)
        Level indices of the design.

    Returns
    -------
    float
        Weighted mean over ``prob.draws`` of det(I)^(-1/K) (see
        :func:`~dce.design.diagnostics.draw_errors`; singular draws left out).
    """
    info = set_information(prob.set_matrix(prof), prob.draws).sum(axis=1)
    return draw_errors(info, prob.weights)[0]


# ----- moves -------------------------------------------------------------------------------
def set_key(prof_set: np.ndarray) -> tuple:
    """A hashable key of a choice set that ignores the order of its alternatives.

    Parameters
    ----------
    prof_set : ndarray of int (J, A)
        Level indices of the set's alternatives.

    Returns
    -------
    tuple of bytes
        The alternatives' raw bytes, sorted (equal for the same profiles in any order).
    """
    return tuple(sorted(r.tobytes() for r in np.ascontiguousarray(prof_set)))


def _random_set(prob: SearchProblem, rng, keys) -> np.ndarray | None:
    J = prob.n_alt
    for _ in range(1000):
        if prob.candidates is not None:
            pick = prob.candidates[rng.choice(len(prob.candidates), J, replace=False)]
        else:
            pick = np.column_stack([rng.integers(0, nl, size=J) for nl in prob.levels])
            if not prob.allowed(pick).all() or len({r.tobytes() for r in pick}) < J:
                continue
        if prob.set_rules and not prob.sets_ok(pick[None])[0]:
            continue
        if set_key(pick) not in keys:
            return pick
    return None


def _random_start(prob: SearchProblem, rng) -> np.ndarray:
    prof = np.zeros((prob.n_sets, prob.n_alt, len(prob.levels)), dtype=np.int64)
    keys: set = set()
    for s in range(prob.n_sets):
        pick = _random_set(prob, rng, keys)
        if pick is None:
            raise DesignError("could not draw enough distinct allowed choice sets; reduce "
                              "tasks or relax `exclude`, `no_dominance` or `max_overlap`",
                              key="design.tasks")
        keys.add(set_key(pick))
        prof[s] = pick
    return prof


def _candidates_for(prob: SearchProblem, prof_set: np.ndarray, j: int, counts=None):
    """Profiles that may replace alternative j, and their coded rows (current one first);
    with level-count bounds, only those that keep the counts within them (or no worse)."""
    cur = prof_set[j]
    others = np.delete(prof_set, j, axis=0)
    if prob.candidates is not None:
        codes = prob.profile_code(prof_set)
        keep = ~np.isin(prob.cand_code, codes)
        if prob.set_rules:
            variants = np.repeat(prof_set[None], len(keep), axis=0)
            variants[:, j] = prob.candidates
            keep &= prob.sets_ok(variants)
        keep &= moves_ok(counts, prob.bounds, cur, prob.candidates)
        cur_x = prob.code(cur)[None]
        return (np.vstack([cur[None], prob.candidates[keep]]),
                np.vstack([cur_x, prob.cand_X[keep]]))
    rows = [cur[None]]
    for q, nl in enumerate(prob.levels):
        alt = np.repeat(cur[None], nl - 1, axis=0)
        alt[:, q] = [v for v in range(nl) if v != cur[q]]
        rows.append(alt)
    cands = np.vstack(rows)
    keep = prob.allowed(cands)
    keep &= ~(cands[:, None, :] == others[None, :, :]).all(axis=2).any(axis=1)
    if prob.set_rules:
        variants = np.repeat(prof_set[None], len(cands), axis=0)
        variants[:, j] = cands
        keep &= prob.sets_ok(variants)
    keep &= moves_ok(counts, prob.bounds, cur, cands)
    keep[0] = True
    cands = cands[keep]
    return cands, prob.code(cands)


class _State:
    """A design under search: profiles, coded sets, per-set information, set keys."""

    def __init__(self, prob: SearchProblem, prof: np.ndarray):
        self.prof = prof
        self.X = prob.set_matrix(prof)                             # (N, Jt, K)
        self.Is = set_information(self.X, prob.draws)               # (R, N, K, K)
        self.counts = level_counts(prof, prob.levels)
        self.keys: dict = {}
        for s in range(len(prof)):
            k = set_key(prof[s])
            self.keys[k] = self.keys.get(k, 0) + 1

    def apply(self, s: int, prof_set: np.ndarray, X_set: np.ndarray) -> bool:
        """Put a new set in place s unless it repeats another set; True if done."""
        old, new = set_key(self.prof[s]), set_key(prof_set)
        if new != old and self.keys.get(new, 0) > 0:
            return False
        self.keys[old] -= 1
        self.keys[new] = self.keys.get(new, 0) + 1
        A = prof_set.shape[1]
        np.subtract.at(self.counts, (np.tile(np.arange(A), len(prof_set)),
                                     self.prof[s].ravel()), 1)
        np.add.at(self.counts, (np.tile(np.arange(A), len(prof_set)), prof_set.ravel()), 1)
        self.prof[s] = prof_set
        self.X[s] = X_set
        return True


def _exchange(prob: SearchProblem, st: _State, s: int, A, ld_rest) -> bool:
    """Best allowed replacement of each alternative of set s in turn."""
    changed = False
    for j in range(prob.n_alt):
        cands, Xc = _candidates_for(prob, st.prof[s], j, st.counts)
        obj = _candidate_objective(prob, st.X[s], j, Xc, A, ld_rest)
        for c in np.argsort(obj, kind="stable")[:20]:
            if not obj[c] < obj[0] * (1 - 1e-10):
                break
            new = st.prof[s].copy()
            new[j] = cands[c]
            X_new = st.X[s].copy()
            X_new[j] = Xc[c]
            if st.apply(s, new, X_new):
                changed = True
                break
    return changed


def _swap(prob: SearchProblem, st: _State, s: int, A, ld_rest) -> bool:
    """Best permutation of one attribute's levels among the alternatives of set s."""
    J = prob.n_alt
    cur = st.prof[s]
    variants = [cur]
    for q in range(len(prob.levels)):
        col = cur[:, q]
        seen = {tuple(col.tolist())}
        for perm in prob.perms:
            new_col = tuple(col[list(perm)].tolist())
            if new_col not in seen:
                seen.add(new_col)
                v = cur.copy()
                v[:, q] = new_col
                variants.append(v)
    if len(variants) == 1:
        return False
    V = np.stack(variants)
    ok = prob.allowed(V).all(axis=1)
    for a in range(J):
        for b in range(a + 1, J):
            ok &= ~(V[:, a] == V[:, b]).all(axis=1)
    if prob.set_rules:
        ok &= prob.sets_ok(V)
    ok[0] = True
    V = V[ok]
    Xn = prob.set_matrix(V)
    obj = _sets_objective(prob, Xn, A, ld_rest)
    for c in np.argsort(obj, kind="stable")[:10]:
        if not obj[c] < obj[0] * (1 - 1e-10):
            return False
        if st.apply(s, V[c], Xn[c]):
            return True
    return False


def _descend(prob: SearchProblem, st: _State, rng) -> tuple[int, bool]:
    """Passes over the sets (random order: exchanges, then swaps) until one changes nothing;
    (passes, timed out)."""
    ridge = RIDGE * np.eye(prob.n_terms)
    passes = 0
    for _ in range(MAX_PASSES):
        passes += 1
        improved = False
        Itot = st.Is.sum(axis=1)
        for s in rng.permutation(prob.n_sets):
            Irest = Itot - st.Is[:, s] + ridge
            _, ld_rest = np.linalg.slogdet(Irest)
            A = np.linalg.inv(Irest)
            changed = _exchange(prob, st, s, A, ld_rest)
            changed = _swap(prob, st, s, A, ld_rest) or changed
            if changed:
                improved = True
                st.Is[:, s] = set_information(st.X[s], prob.draws)
                Itot = Irest - ridge + st.Is[:, s]
        if not improved:
            return passes, False
        if prob.deadline is not None and time.time() > prob.deadline:
            return passes, True
    return passes, False


def _first_design(prob: SearchProblem, rng) -> np.ndarray:
    """A random start: distinct random allowed sets; with bounded counts, the first of
    :data:`START_TRIES` such designs that meets the bounds, else balanced columns
    (:func:`~dce.design.balance.balanced_start`), else the last random design."""
    prof = _random_start(prob, rng)
    if prob.bounds is None:
        return prof
    for _ in range(START_TRIES):
        if violation(level_counts(prof, prob.levels), prob.levels, prob.bounds) == 0:
            return prof
        prof = _random_start(prob, rng)
    balanced = balanced_start(prob, rng)
    return prof if balanced is None else balanced


def run_start(prob: SearchProblem, seed_seq, initial: np.ndarray | None = None) -> dict:
    """One start (random unless ``initial`` is given), improved until a pass changes nothing,
    then ``prob.rounds`` perturbation rounds (iterated local search).

    Each pass visits the sets in random order: exchange of each alternative, then the
    swaps (see :mod:`dce.design.efficient`). At most :data:`MAX_PASSES` passes; a pass
    that ends after ``prob.deadline`` stops the start. A round scrambles the best design so
    far (random swaps of attribute levels between slots, which keep the level counts, see
    :func:`~dce.design.balance.scramble`), improves it the same way and keeps it when its
    objective is lower (Lourenco, Martin and Stuetzle 2003, iterated local search, in
    Handbook of Metaheuristics, Kluwer, 321-353). While the design is singular (tight
    level bounds can trap the exchange there), up to :data:`RESCUE_ROUNDS` rounds run.

    Parameters
    ----------
    prob : SearchProblem
    seed_seq : numpy.random.SeedSequence
        Seed of this start (random start, visiting order, perturbations).
    initial : ndarray of int (n_sets, J, A), optional
        The starting design (copied).

    Returns
    -------
    dict
        ``design`` (n_sets, J, A) level indices, ``objective`` (:func:`exact_objective`,
        inf when singular), ``passes``, ``timed_out`` and ``violation`` (distance of the
        level counts from ``prob.bounds``).

    Raises
    ------
    DesignError
        Key ``design.tasks`` when a random start cannot draw enough distinct allowed sets.
    """
    rng = np.random.default_rng(seed_seq)
    st = _State(prob, _first_design(prob, rng) if initial is None else initial.copy())
    passes, timed_out = _descend(prob, st, rng)
    best, best_obj = st.prof.copy(), exact_objective(prob, st.prof)
    n_slots = prob.n_sets * prob.n_alt
    for r in range(max(prob.rounds, RESCUE_ROUNDS)):
        if r >= prob.rounds and np.isfinite(best_obj):
            break  # the extra rounds only rescue a start that identifies nothing yet
        if timed_out or (prob.deadline is not None and time.time() > prob.deadline):
            timed_out = True
            break
        trial = scramble(prob, best, rng, max(2, n_slots * len(prob.levels) // PERTURB))
        if trial is None:
            continue
        st = _State(prob, trial)
        more, timed_out = _descend(prob, st, rng)
        passes += more
        obj = exact_objective(prob, st.prof)
        if obj < best_obj * (1 - 1e-10):
            best, best_obj = st.prof.copy(), obj
    return {"design": best, "objective": best_obj, "passes": passes, "timed_out": timed_out,
            "violation": violation(level_counts(best, prob.levels), prob.levels, prob.bounds)}
