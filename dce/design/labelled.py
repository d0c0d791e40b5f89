"""Labelled designs: alternative j of every task carries label j (``design.labels``).

In a labelled design the alternatives are not exchangeable: each has its constant
``asc[<label>]`` (all but the first label's, unless ``model.constants`` says otherwise), an
attribute may appear in some alternatives only (``attributes.<a>.alternatives``; its cells
are empty elsewhere) and may have one set of coefficients per alternative
(``model.alternative_specific``, terms ``<term>@<label>``). The coded row of a profile
therefore depends on its position, which the generic search (:mod:`dce.design.exchange`)
does not model; the labelled methods live here:

* ``random``: tasks of random profiles, position by position; absent attributes are left
  empty; no task repeats.
* ``full-factorial``: the shifted design of :func:`dce.design.methods.shifted_factorial`,
  read position by position.
* ``d-efficient`` / ``bayesian``: coordinate exchange (Meyer and Nachtsheim 1995,
  Technometrics 37:60-69; for choice designs Kessels et al. 2009, J. Business and Economic
  Statistics 27:279-291) on the position-specific coding, minimising the D-error at the
  prior means or the DB-error over quasi-random prior draws (Sandor and Wedel 2001, J.
  Marketing Research 38:430-444), with ``design.starts`` random starts. Every level change
  of one attribute of one alternative in one task is scored in one batch, through the
  determinant lemma (one inverse of the other tasks' information per task and draw, then a
  determinant of the task's size minus one per candidate); the best change is kept while it
  lowers the error. Afterwards every level left out is put where it costs least. Labelled designs and their
  efficiency: Rose and Bliemer (2009, Transport Reviews 29:587-617), Hensher, Rose and
  Greene (2015, Applied Choice Analysis, ch. 6).

``orthogonal`` designs are generic and are refused for labels by the config checks.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from dce.core.attributes import level_key
from dce.design.diagnostics import draw_errors, null_terms
from dce.design.efficient import DesignSearchWarning
from dce.design.exchange import set_information
from dce.design.methods import shifted_factorial
from dce.design.priors import prior_draws, prior_moments
from dce.errors import DesignError

MAX_PASSES = 50
RIDGE = 1e-8


def is_labelled(study) -> bool:
    """True when the study's design has ``design.labels``."""
    return bool(study.alternative_labels)


def absent(study) -> np.ndarray:
    """Where each attribute does not appear: bool array (alternatives, attributes)."""
    J = study.spec.design.alternatives
    alts = np.arange(1, J + 1)
    return np.column_stack([~a.applies(alts) for a in study.attributes]).reshape(
        J, len(study.attributes))


def labelled_design_terms(study) -> list[str]:
    """Coded terms of a labelled design's model: attribute terms (each alternative-specific
    attribute once per label), the label constants ``asc[<label>]``, then ``asc[opt_out]``.

    Parameters
    ----------
    study : Study

    Returns
    -------
    list of str
        In the column order of :func:`dce.core.coding.design_matrix` with the study's
        constants and labels.
    """
    labels = study.alternative_labels
    terms = [t for a in study.attributes for t in a.terms]
    terms += [f"asc[{labels[c]}]" for c in study.constants if c in labels]
    if study.spec.design.opt_out:
        terms.append("asc[opt_out]")
    return terms


def position_codings(study) -> tuple[list, np.ndarray]:
    """The coded contribution of every level of every attribute at every position.

    Returns
    -------
    codes : list (J,) of list (A,) of ndarray (levels, K)
        Row l of ``codes[j][a]`` is what level l of attribute a adds to the coded row of
        alternative j+1 (zeros where the attribute does not appear).
    asc : ndarray of float (J, K)
        The constants' columns of each alternative.
    """
    terms = labelled_design_terms(study)
    index = {t: i for i, t in enumerate(terms)}
    J, K = study.spec.design.alternatives, len(terms)
    codes = [[np.zeros((a.n_levels, K)) for a in study.attributes] for _ in range(J)]
    for q, a in enumerate(study.attributes):
        for view in a.views():
            cols = [index[t] for t in view.terms]
            for j in np.flatnonzero(view.applies(np.arange(1, J + 1))):
                codes[j][q][:, cols] = view.level_matrix()
    asc = np.zeros((J, K))
    labels = study.alternative_labels
    for c in study.constants:
        if c in labels:
            asc[c - 1, index[f"asc[{labels[c]}]"]] = 1.0
    return codes, asc


def code_sets(study, sets: np.ndarray, codings=None) -> np.ndarray:
    """Coded rows of labelled choice sets (with the opt-out row when there is one).

    Parameters
    ----------
    study : Study
    sets : ndarray of int (N, J, A)
        Level indices (any value where an attribute is absent).
    codings : tuple, optional
        :func:`position_codings` of the study (computed when not given).

    Returns
    -------
    ndarray of float (N, J + opt_out, K)
    """
    codes, asc = codings or position_codings(study)
    N, J, A = sets.shape
    X = np.repeat(asc[None], N, axis=0)
    for j in range(J):
        for q in range(A):
            X[:, j] += codes[j][q][sets[:, j, q]]
    if study.spec.design.opt_out:
        opt = np.zeros((N, 1, X.shape[2]))
        opt[:, 0, -1] = 1.0
        X = np.concatenate([X, opt], axis=1)
    return X


def _key(prof_set: np.ndarray) -> tuple:
    """A set's key that ignores the order of its alternatives: no task repeats another
    with the profiles moved between labels either (which the data-quality checks would
    take for a repeated task)."""
    return tuple(sorted(r.tobytes() for r in np.ascontiguousarray(prof_set)))


def _rules(study) -> list:
    names = [a.name for a in study.attributes]
    return [[(names.index(n), study.attribute(n).level_keys.index(level_key(v)))
             for n, v in r.items()] for r in study.spec.design.exclude]


def _allowed(sets: np.ndarray, rules, off: np.ndarray) -> np.ndarray:
    """True per set when no profile matches an exclusion (absent cells match nothing)."""
    prof = np.where(off[None], -1, sets)
    ok = np.ones(sets.shape[:2], dtype=bool)
    for rule in rules:
        hit = np.ones(sets.shape[:2], dtype=bool)
        for q, lev in rule:
            hit &= prof[..., q] == lev
        ok &= ~hit
    return ok.all(axis=1)


def random_labelled(study, rng) -> np.ndarray:
    """``tasks x blocks`` random labelled sets; absent cells 0; no set repeats (in any
    order of its profiles).

    Raises
    ------
    DesignError
        Key ``design.tasks`` when too many draws were rejected (exclusions or repeats).
    """
    d = study.spec.design
    off = absent(study)
    sizes = np.array([a.n_levels for a in study.attributes])
    rules = _rules(study)
    n_needed = d.tasks * d.blocks
    sets, seen = [], set()
    for _ in range(200 * n_needed + 10_000):
        batch = rng.integers(0, sizes, size=(64, d.alternatives, len(sizes)))
        batch[:, off] = 0
        for cand in batch[_allowed(batch, rules, off)]:
            key = _key(cand)
            if key not in seen:
                seen.add(key)
                sets.append(cand)
        if len(sets) >= n_needed:
            return np.stack(sets[:n_needed])
    raise DesignError("could not find enough distinct allowed labelled choice sets; reduce "
                      "tasks or relax `exclude`", key="design.tasks")


def _errors(info_rest: np.ndarray, info_new: np.ndarray, weights, K: int) -> np.ndarray:
    """Weighted mean over draws of det(I)^(-1/K) for each candidate set's information."""
    total = info_rest[:, None] + info_new                       # (R, c, K, K)
    sign, logdet = np.linalg.slogdet(total + RIDGE * np.eye(K))
    err = np.where(sign > 0, np.exp(-logdet / K), np.inf)
    return weights @ err


def _set_errors(A, ld_rest, Xc, draws, weights) -> np.ndarray:
    """(D)B-error with one set replaced by each candidate set, by the determinant lemma.

    With R the information of the other sets (plus a ridge), A = R^-1 and D the candidate's
    rows minus its last row, det(R + D' H D) = det(R) det(I + H D A D'), H = diag(p) - p p'
    over the other alternatives (a set's information does not change when one row is
    subtracted from all of its rows). Shapes: A (R, K, K), ld_rest (R,), Xc (c, Jt, K).
    """
    K = draws.shape[1]
    c, Jt, _ = Xc.shape
    D = Xc[:, :-1] - Xc[:, -1:]                                        # (c, J1, K)
    V = np.einsum("cjk,rk->rcj", Xc, draws)                            # (R, c, Jt)
    P = np.exp(V - V.max(axis=2, keepdims=True))
    p = (P / P.sum(axis=2, keepdims=True))[..., :-1]                   # (R, c, J1)
    H = p[..., :, None] * np.eye(Jt - 1) - p[..., :, None] * p[..., None, :]
    DA = np.matmul(D.reshape(1, c * (Jt - 1), K), A).reshape(len(A), c, Jt - 1, K)
    Q = np.matmul(DA, np.swapaxes(D, 1, 2)[None])                      # (R, c, J1, J1)
    det = np.linalg.det(np.eye(Jt - 1) + np.matmul(H, Q))
    with np.errstate(divide="ignore", over="ignore"):
        logdet = ld_rest[:, None] + np.log(np.maximum(det, 1e-300))
        return weights @ np.exp(-logdet / K)


def _improve_set(study, X, Is, s, codings, sets, keys, rules, off, draws, weights) -> bool:
    """Coordinate exchange in set s: apply the best level change while it helps."""
    codes, _ = codings
    K = draws.shape[1]
    changed = False
    rest = Is.sum(axis=1) - Is[:, s] + RIDGE * np.eye(K)
    _, ld_rest = np.linalg.slogdet(rest)
    A = np.linalg.inv(rest)
    cur_err = _set_errors(A, ld_rest, X[s][None], draws, weights)[0]
    while True:
        moves, Xc = [], []
        for j in range(sets.shape[1]):
            for q, a in enumerate(study.attributes):
                if off[j, q]:
                    continue
                now = sets[s, j, q]
                for lev in range(a.n_levels):
                    if lev != now:
                        x = X[s].copy()
                        x[j] += codes[j][q][lev] - codes[j][q][now]
                        moves.append((j, q, lev))
                        Xc.append(x)
        if not moves:
            return changed
        Xc = np.stack(Xc)
        err = _set_errors(A, ld_rest, Xc, draws, weights)
        for c in np.argsort(err, kind="stable"):
            if not err[c] < cur_err * (1 - 1e-10):
                return changed
            j, q, lev = moves[c]
            new = sets[s].copy()
            new[j, q] = lev
            if _key(new) in keys or not _allowed(new[None], rules, off)[0]:
                continue
            keys.discard(_key(sets[s]))
            keys.add(_key(new))
            sets[s], X[s], cur_err = new, Xc[c], err[c]
            Is[:, s] = set_information(Xc[c], draws)
            changed = True
            break
        else:
            return changed


def _one_start(study, rng, codings, draws, weights, deadline=None) -> tuple:
    sets = random_labelled(study, rng)
    off, rules = absent(study), _rules(study)
    X = code_sets(study, sets, codings)
    Is = set_information(X, draws)                               # (R, N, K, K)
    keys = {_key(s) for s in sets}
    for _ in range(MAX_PASSES):
        improved = False
        for s in rng.permutation(len(sets)):
            improved |= _improve_set(study, X, Is, s, codings, sets, keys, rules, off, draws,
                                     weights)
        if not improved:
            break
        if deadline is not None and time.time() > deadline:
            warnings.warn("design.time_limit reached: the labelled search stopped before it "
                          "converged (the design may differ between runs)",
                          DesignSearchWarning, stacklevel=2)
            break
    return sets, draw_errors(Is.sum(axis=1), weights)[0]


def cover_levels(study, sets, codings, draws, weights) -> tuple[np.ndarray, int]:
    """Show every declared level: each level never shown (where its attribute appears) is
    put in the task and alternative where it raises the (D)B-error least, taken from a level
    shown more than once; exclusions and distinct tasks are kept.

    Parameters
    ----------
    study : Study
    sets : ndarray of int (N, J, A)
        The searched design (changed in place).
    codings : tuple
        :func:`position_codings`.
    draws, weights : ndarray (R, K), (R,)
        The search's coefficient draws and their weights.

    Returns
    -------
    sets : ndarray of int (N, J, A)
    added : int
        Number of levels put in (0 when every level was shown).
    """
    off, rules = absent(study), _rules(study)
    K = draws.shape[1]
    added = 0
    for q, a in enumerate(study.attributes):
        where = ~off[:, q]
        for lev in range(a.n_levels):
            counts = np.bincount(sets[:, where, q].ravel(), minlength=a.n_levels)
            if counts[lev] > 0:
                continue
            X = code_sets(study, sets, codings)
            Is = set_information(X, draws)
            total = Is.sum(axis=1)
            moves, infos, rests = [], [], []
            for s in range(len(sets)):
                for j in np.flatnonzero(where):
                    if counts[sets[s, j, q]] < 2:
                        continue
                    new = sets[s].copy()
                    new[j, q] = lev
                    keys = {_key(t) for i, t in enumerate(sets) if i != s}
                    if _key(new) in keys or not _allowed(new[None], rules, off)[0]:
                        continue
                    moves.append((s, new))
                    infos.append(code_sets(study, new[None], codings)[0])
                    rests.append(total - Is[:, s])
            if not moves:
                continue  # no room: the diagnostics report the level as never shown
            new_info = set_information(np.stack(infos), draws)          # (R, c, K, K)
            err = _errors(np.zeros_like(total), np.stack(rests, axis=1) + new_info,
                          weights, K)
            s, new = moves[int(np.argmin(err))]
            sets[s] = new
            added += 1
    return sets, added


def efficient_labelled(study, rng, bayesian: bool) -> tuple[np.ndarray, dict]:
    """The best labelled design over ``design.starts`` coordinate-exchange starts.

    Parameters
    ----------
    study : Study
    rng : numpy.random.Generator
        The design stream; start i uses the i-th child of its seed sequence.
    bayesian : bool
        DB-error over ``design.prior_draws`` prior draws; else D-error at the prior means.
        ``design.time_limit`` (seconds) stops the passes of every start once reached, with
        a DesignSearchWarning.

    Returns
    -------
    sets : ndarray of int (tasks x blocks, J, A)
    info : dict
        ``search`` (what was done), ``search_error`` (the (D)B-error of the chosen design
        over the search draws, with the label constants among the terms), ``starts`` and
        ``levels_added_for_coverage`` (see :func:`cover_levels`).

    Raises
    ------
    DesignError
        Key ``design`` when the best design cannot identify every term.
    """
    d = study.spec.design
    terms = labelled_design_terms(study)
    mean, sd = prior_moments(study, terms)
    if bayesian:
        draws, _ = prior_draws(mean, sd, d.prior_draws, rng)
    else:
        draws = mean[None, :]
    weights = np.full(len(draws), 1.0 / len(draws))
    codings = position_codings(study)
    best, best_err = None, np.inf
    deadline = time.time() + d.time_limit if d.time_limit else None
    for child in rng.bit_generator.seed_seq.spawn(d.starts):
        sets, err = _one_start(study, np.random.default_rng(child), codings, draws, weights,
                               deadline)
        if best is None or err < best_err:
            best, best_err = sets, err
    added = 0
    if d.level_balance != "none":  # `none`: the unconstrained search, as for generic designs
        best, added = cover_levels(study, best, codings, draws, weights)
    if added:
        Is = set_information(code_sets(study, best, codings), draws)
        best_err = draw_errors(Is.sum(axis=1), weights)[0]
    info_zero = set_information(code_sets(study, best, codings),
                                np.zeros((1, len(terms)))).sum(axis=(0, 1))
    bad = null_terms(info_zero, terms)
    if bad:
        raise DesignError(f"the labelled design cannot identify {', '.join(bad)}; add tasks "
                          "or let the attribute appear in more alternatives", key="design")
    return best, {"search": "labelled coordinate exchange", "starts": int(d.starts),
                  "search_error": float(best_err) if np.isfinite(best_err) else None,
                  "levels_added_for_coverage": added}


def labelled_sets(study, rng) -> tuple[np.ndarray, np.ndarray, dict]:
    """Sets of a labelled design by ``design.method``: (sets, blocks, info).

    Parameters
    ----------
    study : Study
        With ``design.labels``.
    rng : numpy.random.Generator
        The design stream.

    Returns
    -------
    sets : ndarray of int (n_sets, J, A)
        Level indices; 0 where an attribute is absent (its cells are emptied by
        :func:`blank_absent`).
    blocks : ndarray of int (n_sets,)
    info : dict
        ``labels`` and what the method reported; ``dominated_tasks`` is None (dominance
        between labelled alternatives also depends on the constants and is not assessed).

    Raises
    ------
    DesignError
        From the method (``design.tasks``, ``design.exclude``, ...); key ``design.method``
        for ``orthogonal``.
    """
    d = study.spec.design
    info: dict = {}
    if d.method == "full-factorial":
        sets, blocks = shifted_factorial(study, rng)
        sets = np.where(absent(study)[None], 0, sets)
    elif d.method == "random":
        sets = random_labelled(study, rng)
        blocks = np.repeat(np.arange(1, d.blocks + 1), d.tasks)
    elif d.method in ("d-efficient", "bayesian"):
        sets, info = efficient_labelled(study, rng, d.method == "bayesian")
        blocks = np.repeat(np.arange(1, d.blocks + 1), d.tasks)
    else:
        raise DesignError(f"{d.method} designs are generic; a labelled design needs "
                          "random, full-factorial, d-efficient or bayesian",
                          key="design.method")
    info.update({"labels": list(study.alternative_labels.values()), "dominated_tasks": None})
    return sets, blocks, info


def blank_absent(table, study):
    """Empty the cells of attributes in the alternatives they do not appear in.

    Parameters
    ----------
    table : DataFrame
        Design table (``block, task, alternative, <attributes>, is_opt_out``).
    study : Study

    Returns
    -------
    DataFrame
        A copy with ``""`` in those cells (unchanged for a generic study).
    """
    table = table.copy()
    alt = table["alternative"].to_numpy()
    for a in study.attributes:
        if a.alternatives is not None:
            table.loc[~a.applies(alt), a.name] = ""
    return table
