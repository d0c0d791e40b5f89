"""`method: d-efficient` and `method: bayesian`: search for designs with a small (D)B-error.

Objective: the multinomial-logit D-error det(I(b))^(-1/K), information summed over every
choice set of the design (all blocks), at fixed priors (d-efficient: the prior means, 0
where none is given) or averaged over quasi-random draws from normal priors (bayesian:
DB-error).

Search: ``design.starts`` starts, each improved until a full pass changes nothing. A pass
visits every set and

* exchanges each alternative for the best allowed profile: with at most
  ``FEDOROV_LIMIT`` allowed profiles every one of them is tried (a modified Fedorov
  algorithm over the candidate set); with more, the profiles that differ from the current
  one in one attribute (coordinate exchange);
* then tries every permutation of one attribute's levels among the set's alternatives
  (the swaps of Huber & Zwerina), which keeps level balance but changes which levels meet.

Exclusions hold because only allowed profiles are ever proposed; alternatives of a task
stay distinct and no two tasks show the same set of profiles. The opt-out alternative, when
the design has one, is in every set with its constant ``asc[opt_out]``.

The first start is the Street-Burgess design of ``method: orthogonal`` when a construction
fits the request and the exclusions (optimal at zero coefficients, a good start otherwise);
for ``bayesian`` it is the D-efficient design at the prior means (found first by the same
search with one draw); the others are random. With ``construction_start=False`` every
start of a d-efficient search is random.

Speed: changing set s only changes that set's information. With R = I - I_s (+ a tiny
ridge so that singular starting designs can still improve), det(R + X_s' H X_s) =
det(R) det(I + Q H), where X_s holds the set's differences from a reference alternative,
Q = X_s R^-1 X_s' and H = diag(p) - p p' (both of the set's size minus one). One inverse
per set and draw serves every candidate; only one row of X_s depends on the candidate, and
the candidates are evaluated together as arrays.

Starts run on child seeds spawned from the design generator, so the result does not depend
on the number of workers; ``joblib.parallel_config(n_jobs=...)`` set by the caller runs them
in parallel. ``design.time_limit`` stops the passes of every start at a wall-clock deadline
(the result may then differ between runs, and a warning says so).
"""

from __future__ import annotations

import itertools
import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from joblib import Parallel, delayed

from dce.design.blocking import balanced_blocks
from dce.design.constraints import dominated, overlap, partworths
from dce.design.diagnostics import draw_errors, null_terms
from dce.design.methods import MAX_ENUMERATED, allowed_mask, full_factorial
from dce.design.priors import design_terms, prior_draws, prior_moments
from dce.errors import DesignError

FEDOROV_LIMIT = 3000  # exchange against every allowed profile up to this many
MAX_PASSES = 100
RIDGE = 1e-8
_CHUNK = 2_000_000  # floats per evaluation block


class DesignSearchWarning(UserWarning):
    """The search stopped early (time limit) or could not do what was asked."""


# ----- the search problem ------------------------------------------------------------------
@dataclass
class SearchProblem:
    """Everything a start needs, as plain arrays (picklable for worker processes)."""

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
    cand_X: np.ndarray | None = None    # coded candidates
    cand_code: np.ndarray | None = None  # integer code of each candidate profile

    def __post_init__(self):
        if self.candidates is not None:
            self.cand_X = self.code(self.candidates)
            self.cand_code = self.profile_code(self.candidates)

    def profile_code(self, prof: np.ndarray) -> np.ndarray:
        strides = np.array([math.prod(self.levels[i + 1:].tolist())
                            for i in range(len(self.levels))], dtype=np.int64)
        return prof @ strides

    def code(self, prof: np.ndarray) -> np.ndarray:
        """Coded rows (..., K) of profiles (..., A); the opt-out column is 0."""
        parts = [c[prof[..., q]] for q, c in enumerate(self.codings)]
        if self.opt_out:
            parts.append(np.zeros(prof.shape[:-1] + (1,)))
        return np.concatenate(parts, axis=-1)

    def allowed(self, prof: np.ndarray) -> np.ndarray:
        ok = np.ones(prof.shape[:-1], dtype=bool)
        for rule in self.rules:
            hit = np.ones(prof.shape[:-1], dtype=bool)
            for q, lev in rule:
                hit &= prof[..., q] == lev
            ok &= ~hit
        return ok

    @property
    def set_rules(self) -> bool:
        return self.no_dominance or self.max_overlap is not None

    def sets_ok(self, sets: np.ndarray) -> np.ndarray:
        """Whole-set constraints (dominance, overlap) for sets (..., J, A)."""
        ok = np.ones(sets.shape[:-2], dtype=bool)
        if self.max_overlap is not None:
            ok &= overlap(sets) <= self.max_overlap
        if self.no_dominance:
            ok &= ~dominated(sets, self.pw)
        return ok

    def set_matrix(self, prof_set: np.ndarray) -> np.ndarray:
        """(J_total, K) coded rows of one set (or (..., J_total, K) of several)."""
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
    """Information of choice sets X (..., J, K) at each draw: (R, ..., K, K)."""
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
            out[lo:lo + len(xc)] = prob.weights @ np.exp(-logdet / K)
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
    Qp = []
    for a in range(J1):
        acc = Q[a][0] * p[0]
        for b in range(1, J1):
            acc = acc + Q[a][b] * p[b]
        Qp.append(acc)
    M = [[(1.0 if a == b else 0.0) + (Q[a][b] - Qp[a]) * p[b] for b in range(J1)]
         for a in range(J1)]
    det = _det_entries(M)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logdet = ld_rest[:, None] + np.log(np.maximum(det, 1e-300))
        return prob.weights @ np.exp(-logdet / K)


def exact_objective(prob: SearchProblem, prof: np.ndarray) -> float:
    """(D)B-error of a design (no ridge); inf when the information is singular."""
    info = set_information(prob.set_matrix(prof), prob.draws).sum(axis=1)
    return draw_errors(info, prob.weights)[0]


# ----- moves -------------------------------------------------------------------------------
def _set_key(prof_set: np.ndarray) -> tuple:
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
        if _set_key(pick) not in keys:
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
        keys.add(_set_key(pick))
        prof[s] = pick
    return prof


def _candidates_for(prob: SearchProblem, prof_set: np.ndarray, j: int):
    """Profiles that may replace alternative j, and their coded rows (current one first)."""
    cur = prof_set[j]
    others = np.delete(prof_set, j, axis=0)
    if prob.candidates is not None:
        codes = prob.profile_code(prof_set)
        keep = ~np.isin(prob.cand_code, codes)
        if prob.set_rules:
            variants = np.repeat(prof_set[None], len(keep), axis=0)
            variants[:, j] = prob.candidates
            keep &= prob.sets_ok(variants)
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
    keep[0] = True
    cands = cands[keep]
    return cands, prob.code(cands)


class _State:
    """A design under search: profiles, coded sets, per-set information, set keys."""

    def __init__(self, prob: SearchProblem, prof: np.ndarray):
        self.prof = prof
        self.X = prob.set_matrix(prof)                             # (N, Jt, K)
        self.Is = set_information(self.X, prob.draws)               # (R, N, K, K)
        self.keys: dict = {}
        for s in range(len(prof)):
            k = _set_key(prof[s])
            self.keys[k] = self.keys.get(k, 0) + 1

    def apply(self, s: int, prof_set: np.ndarray, X_set: np.ndarray) -> bool:
        """Put a new set in place s unless it repeats another set; True if done."""
        old, new = _set_key(self.prof[s]), _set_key(prof_set)
        if new != old and self.keys.get(new, 0) > 0:
            return False
        self.keys[old] -= 1
        self.keys[new] = self.keys.get(new, 0) + 1
        self.prof[s] = prof_set
        self.X[s] = X_set
        return True


def _exchange(prob: SearchProblem, st: _State, s: int, A, ld_rest) -> bool:
    """Best allowed replacement of each alternative of set s in turn."""
    changed = False
    for j in range(prob.n_alt):
        cands, Xc = _candidates_for(prob, st.prof[s], j)
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


def run_start(prob: SearchProblem, seed_seq, initial: np.ndarray | None = None) -> dict:
    """One start (random unless ``initial`` is given), improved until a pass changes nothing."""
    rng = np.random.default_rng(seed_seq)
    st = _State(prob, _random_start(prob, rng) if initial is None else initial.copy())
    K = prob.n_terms
    ridge = RIDGE * np.eye(K)
    timed_out = False
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
            break
        if prob.deadline is not None and time.time() > prob.deadline:
            timed_out = True
            break
    return {"design": st.prof, "objective": exact_objective(prob, st.prof), "passes": passes,
            "timed_out": timed_out}


# ----- checks ----------------------------------------------------------------------------
def _rules(study) -> list:
    names = [a.name for a in study.attributes]
    return [[(names.index(n), int(study.attribute(n).index_of([v])[0])) for n, v in r.items()]
            for r in study.spec.design.exclude]


def _swap_perms(J: int) -> list:
    """Permutations tried by the swap step: all of them for up to 4 alternatives, else the
    transpositions."""
    if J <= 4:
        return [p for p in itertools.permutations(range(J)) if p != tuple(range(J))]
    out = []
    for a in range(J):
        for b in range(a + 1, J):
            p = list(range(J))
            p[a], p[b] = p[b], p[a]
            out.append(tuple(p))
    return out


def make_problem(study, draws, weights=None, n_sets=None) -> SearchProblem:
    """The search problem of a study at the given coefficient draws (R x K)."""
    d = study.spec.design
    attrs = study.attributes
    levels = np.array([a.n_levels for a in attrs], dtype=np.int64)
    candidates = None
    if math.prod(levels.tolist()) <= MAX_ENUMERATED:
        prof = full_factorial(attrs)
        ok = allowed_mask(prof, attrs, d.exclude)
        if ok.sum() <= FEDOROV_LIMIT:
            candidates = prof[ok]
    draws = np.atleast_2d(np.asarray(draws, float))
    R = len(draws)
    return SearchProblem(
        levels=levels,
        codings=[a.level_matrix() for a in attrs],
        n_sets=int(n_sets if n_sets is not None else d.tasks * d.blocks),
        n_alt=d.alternatives,
        opt_out=bool(d.opt_out),
        n_terms=draws.shape[1],
        draws=draws,
        weights=np.full(R, 1.0 / R) if weights is None else np.asarray(weights, float),
        candidates=candidates,
        rules=_rules(study),
        perms=_swap_perms(d.alternatives),
        no_dominance=bool(d.no_dominance),
        max_overlap=d.max_overlap,
        pw=partworths(attrs, design_terms(study), prior_moments(study, design_terms(study))[0]),
    )


def identification_check(study, sets: np.ndarray) -> None:
    """DesignError naming the terms a design cannot identify (information singular)."""
    terms = design_terms(study)
    prob = SearchProblem(
        levels=np.array([a.n_levels for a in study.attributes]),
        codings=[a.level_matrix() for a in study.attributes], n_sets=len(sets),
        n_alt=sets.shape[1], opt_out=bool(study.spec.design.opt_out), n_terms=len(terms),
        draws=np.zeros((1, len(terms))), weights=np.ones(1), candidates=None, rules=[])
    info = set_information(prob.set_matrix(sets), prob.draws).sum(axis=(0, 1))
    bad = null_terms(info, terms)
    if bad:
        raise DesignError(f"the design cannot identify {', '.join(bad)} (its information "
                          "matrix is singular); add tasks or alternatives, or relax `exclude`",
                          key="design")


def _pre_checks(study, prob: SearchProblem, terms) -> None:
    """DesignErrors for requests no design can meet, saying what to change."""
    d = study.spec.design
    attrs = study.attributes
    J_total = prob.n_alt + (1 if prob.opt_out else 0)
    allowed = prob.candidates
    if allowed is None and math.prod(prob.levels.tolist()) <= MAX_ENUMERATED:
        prof = full_factorial(attrs)
        allowed = prof[allowed_mask(prof, attrs, d.exclude)]
    if allowed is not None:
        if len(allowed) == 0:
            raise DesignError("the exclusions forbid every profile; remove some `exclude` "
                              "rules", key="design.exclude")
        if len(allowed) < prob.n_alt:
            raise DesignError(f"only {len(allowed)} profiles are allowed, fewer than the "
                              f"{prob.n_alt} alternatives per task; relax `exclude` or lower "
                              "`alternatives`", key="design.exclude")
        missing = []
        for q, a in enumerate(attrs):
            seen = set(np.unique(allowed[:, q]).tolist())
            lost = [a.level_labels[v] for v in range(a.n_levels) if v not in seen]
            if lost and (not a.is_linear or len(seen) < 2):
                missing.append((a, lost))
        if missing:
            names = [t for a, _ in missing for t in a.terms]
            what = "; ".join(f"{a.name}: {', '.join(lost)}" for a, lost in missing)
            raise DesignError(f"the exclusions leave no allowed profile with level(s) {what}, "
                              f"so {', '.join(names)} cannot be estimated; relax `exclude`",
                              key="design.exclude")
        distinct = math.comb(len(allowed), prob.n_alt)
        if distinct < prob.n_sets:
            raise DesignError(f"{prob.n_sets} tasks requested (tasks x blocks) but only "
                              f"{distinct} distinct choice sets of allowed profiles exist; "
                              "reduce tasks or blocks", key="design.tasks")
    else:
        for rule in prob.rules:
            if len(rule) == 1 and not attrs[rule[0][0]].is_linear:
                a = attrs[rule[0][0]]
                raise DesignError(f"`exclude` forbids level {a.level_labels[rule[0][1]]} of "
                                  f"{a.name} in every profile, so {', '.join(a.terms)} cannot "
                                  "be estimated; drop the level or the rule",
                                  key="design.exclude")
    dof = prob.n_sets * (J_total - 1)
    if len(terms) > dof:
        need = math.ceil(len(terms) / (J_total - 1))
        raise DesignError(f"the model has {len(terms)} terms but {prob.n_sets} choice sets of "
                          f"{J_total} alternatives give at most {dof} independent comparisons; "
                          f"use at least {need} choice sets (tasks x blocks = {d.tasks} x "
                          f"{d.blocks} now) or more alternatives", key="design.tasks")


# ----- the search --------------------------------------------------------------------------
def _constructed_start(study, prob: SearchProblem, rng):
    """The Street-Burgess design for this request, when one exists and is allowed."""
    from dce.design.orthogonal import street_burgess_plan

    d = study.spec.design
    plan = street_burgess_plan(prob.levels.tolist(), prob.n_alt, prob.n_sets, 1, rng)
    if plan is None:
        return None
    sets = plan[0]
    if d.exclude and not prob.allowed(sets).all():
        return None
    if prob.set_rules and not prob.sets_ok(sets).all():
        return None
    if len({_set_key(s) for s in sets}) < len(sets):
        return None
    return sets


def search(study, rng, draws: np.ndarray, objective_name: str,
           construction_start: bool = True, initial: np.ndarray | None = None,
           initial_name: str | None = None) -> tuple[np.ndarray, dict]:
    """Best design over ``design.starts`` starts; (sets, info).

    The first start is ``initial`` when given, else the Street-Burgess construction when
    ``construction_start`` and one fits; the other starts are random.
    """
    d = study.spec.design
    terms = design_terms(study)
    prob = make_problem(study, draws)
    _pre_checks(study, prob, terms)
    started = time.time()
    if d.time_limit is not None:
        prob.deadline = started + float(d.time_limit)
    seeds = rng.bit_generator.seed_seq.spawn(d.starts + 1)
    if initial is None and construction_start:
        initial = _constructed_start(study, prob, np.random.default_rng(seeds[-1]))
        initial_name = "Street-Burgess construction"
    par = getattr(study.spec, "parallel", None)
    jobs = getattr(par, "jobs", 1)
    results = _run_all(prob, seeds[:-1], initial, None if jobs in (None, 1) else jobs)
    values = [r["objective"] for r in results]
    best = int(np.argmin(values))  # ties: the first start
    if not np.isfinite(values[best]):
        info0 = set_information(prob.set_matrix(results[best]["design"]),
                                np.zeros((1, prob.n_terms))).sum(axis=(0, 1))
        bad = null_terms(info0, terms) or terms
        raise DesignError(f"no start found a design that identifies {', '.join(bad)}; add "
                          "tasks or alternatives, or relax `exclude`", key="design")
    timed_out = any(r["timed_out"] for r in results)
    if timed_out:
        warnings.warn(f"design.time_limit of {d.time_limit} s reached before the search "
                      "converged; the design is the best found so far and may differ between "
                      "runs", DesignSearchWarning, stacklevel=3)
    info = {
        "algorithm": ("modified Fedorov (exchange against every allowed profile) with swaps"
                      if prob.candidates is not None else "coordinate exchange with swaps"),
        "objective": objective_name,
        "objective_value": float(values[best]),
        "starts": int(d.starts),
        "first_start": initial_name if initial is not None else "random",
        "best_start": best + 1,
        "start_values": [float(v) if np.isfinite(v) else None for v in values],
        "passes": [int(r["passes"]) for r in results],
        "candidate_profiles": None if prob.candidates is None else int(len(prob.candidates)),
        "time_limit_reached": bool(timed_out),
        "seconds": round(time.time() - started, 3),
    }
    return results[best]["design"], info


def _run_all(prob: SearchProblem, seeds, initial=None, n_jobs=None) -> list[dict]:
    """Run the starts (in parallel when ``n_jobs`` or ``joblib.parallel_config`` asks)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(seeds), desc="design search", unit="start", leave=False,
               disable=not sys.stderr.isatty())
    out = []
    try:
        jobs = (delayed(run_start)(prob, s, initial if i == 0 else None)
                for i, s in enumerate(seeds))
        for res in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
            out.append(res)
            bar.update(1)
    finally:
        bar.close()
    return out


# ----- the methods -------------------------------------------------------------------------
def d_efficient_design(study, rng):
    """`method: d-efficient`: smallest D-error at the prior means (0 where none given)."""
    d = study.spec.design
    terms = design_terms(study)
    mean, _sd = prior_moments(study, terms)
    sets, info = search(study, rng, mean[None, :], "D-error")
    identification_check(study, sets)
    blocks = balanced_blocks(sets, d.blocks, [a.n_levels for a in study.attributes], rng)
    info["priors"] = "fixed, at the prior means"
    return sets, blocks, {"search": info}


def bayesian_design(study, rng):
    """`method: bayesian`: smallest DB-error over quasi-random draws from normal priors."""
    d = study.spec.design
    terms = design_terms(study)
    mean, sd = prior_moments(study, terms)
    draws, draw_info = prior_draws(mean, sd, d.prior_draws, rng)
    if not (sd > 0).any():
        warnings.warn("design.method bayesian: no prior has an sd above 0, so the design is "
                      "a d-efficient design at the prior means; give priors as {mean, sd}",
                      DesignSearchWarning, stacklevel=2)
    # first start: the D-efficient design at the prior means (a cheap search, one draw)
    local, _ = search(study, np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0]),
                      mean[None, :], "D-error")
    sets, info = search(study, rng, draws, "DB-error", initial=local,
                        initial_name="D-efficient design at the prior means")
    identification_check(study, sets)
    blocks = balanced_blocks(sets, d.blocks, [a.n_levels for a in study.attributes], rng)
    info.update(draw_info)
    return sets, blocks, {"search": info, "_draws": draws}
