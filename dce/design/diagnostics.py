"""Design quality: D-error, A-error, DB-error, efficiency, S-estimates, balance, overlap.

The multinomial-logit information matrix is summed over every choice set of the design
(all blocks): I(b) = sum_s X_s' (diag(p_s) - p_s p_s') X_s. D-error = det(I)^(-1/K),
A-error = trace(I^-1) / K. With normal priors ({mean, sd}) the DB-error is the mean of
det(I(b_r))^(-1/K) over the quasi-random prior draws b_r (draws whose information is
singular are left out and counted).

D-efficiency (Street & Burgess) compares the design at b = 0 with the best design possible
for main effects with the same numbers of levels, alternatives and sets:
det C_opt = prod_q (2 l_q S_q / (m^2 (l_q - 1) L))^(l_q - 1), where C is the information
per choice set for orthonormal main-effect contrasts of the L profiles of the full
factorial, m the set size and S_q the most pairs of a set that can differ on attribute q.
D-efficiency = (det C / det C_opt)^(1/p), p = sum_q (l_q - 1). It applies to generic
alternatives of categorical attributes without an opt-out.

S-estimates (Bliemer & Rose): respondents needed for each term's prior value to be
significant at the 5% level (|z| >= 1.96), = blocks x 1.96^2 (I^-1)_kk / b_k^2, each
respondent answering one block.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from dce.core.coding import design_matrix
from dce.design.constraints import dominated, partworths
from dce.design.constraints import overlap as set_overlap
from dce.design.priors import prior_draws, prior_moments

Z_95 = 1.959963984540054


def information(X: np.ndarray, set_index: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """MNL Fisher information of a design at coefficients ``beta``.

    I(b) = sum_s X_s' (diag(p_s) - p_s p_s') X_s, with p_s the logit probabilities of set
    s (McFadden 1974; the design form of Huber and Zwerina 1996, J. Marketing Research
    33:307-317).

    Parameters
    ----------
    X : ndarray of float (rows, terms)
        Coded design, every set's alternatives (opt-out rows included).
    set_index : ndarray of int (rows,)
        Choice set (0..S-1) of each row.
    beta : ndarray of float (terms,)
        Coefficients.

    Returns
    -------
    ndarray of float (terms, terms)
        The information summed over all sets (for one respondent answering every set).
    """
    v = X @ beta
    n_sets = int(set_index.max()) + 1
    vmax = np.full(n_sets, -np.inf)
    np.maximum.at(vmax, set_index, v)
    e = np.exp(v - vmax[set_index])
    p = e / np.bincount(set_index, weights=e, minlength=n_sets)[set_index]
    xbar = np.zeros((n_sets, X.shape[1]))
    np.add.at(xbar, set_index, p[:, None] * X)
    return (X * p[:, None]).T @ X - xbar.T @ xbar


def errors(info: np.ndarray) -> dict:
    """D-error and A-error of an information matrix.

    D-error = det(I)^(-1/K) (Huber and Zwerina 1996); A-error = trace(I^-1) / K (the A
    criterion compared by Kessels et al. 2006, J. Marketing Research 43:409-419).

    Parameters
    ----------
    info : ndarray of float (K, K)
        Information matrix, e.g. from :func:`information`.

    Returns
    -------
    dict
        ``d_error``, ``a_error`` (float), ``identified`` (bool) and ``condition_number``;
        the errors and condition number are None and ``identified`` False when the
        determinant is not positive or the condition number exceeds 1e12.
    """
    k = info.shape[0]
    sign, logdet = np.linalg.slogdet(info)
    cond = float(np.linalg.cond(info)) if k else 0.0
    if sign <= 0 or not np.isfinite(logdet) or cond > 1e12:
        return {"d_error": None, "a_error": None, "identified": False, "condition_number": None}
    return {
        "d_error": float(np.exp(-logdet / k)),
        "a_error": float(np.trace(np.linalg.inv(info)) / k),
        "identified": True,
        "condition_number": cond,
    }


def draw_errors(infos: np.ndarray, weights=None, rcond: float = 1e-12) -> tuple[float, int]:
    """Weighted mean of det(I_r)^(-1/K) over draws r, and the number of singular draws.

    With draws from the prior this is the DB-error (Bayesian D-error; Sandor and Wedel
    2001, J. Marketing Research 38:430-444; Kessels et al. 2006). A draw whose information
    is singular (smallest eigenvalue at most ``rcond`` times the largest, or not finite) is
    left out of the mean and counted; the mean is inf when every draw is singular.

    Parameters
    ----------
    infos : ndarray of float (R, K, K)
        Information matrix at each draw.
    weights : array of float (R,), optional
        Weights of the draws (default equal); renormalised over the regular draws.
    rcond : float
        Relative eigenvalue threshold for a singular draw.

    Returns
    -------
    error : float
        The weighted mean; nan when K = 0, inf when every draw is singular.
    singular : int
        Number of draws left out.
    """
    R, K = infos.shape[0], infos.shape[-1]
    w = np.full(R, 1.0 / R) if weights is None else np.asarray(weights, float)
    if K == 0:
        return math.nan, 0
    finite = np.isfinite(infos).all(axis=(1, 2))
    safe = np.where(finite[:, None, None], infos, 0.0)
    ev = np.linalg.eigvalsh((safe + np.swapaxes(safe, 1, 2)) / 2)
    ok = finite & (ev[:, 0] > rcond * np.maximum(ev[:, -1], 1e-300))
    if not ok.any():
        return math.inf, int(R)
    _sign, logdet = np.linalg.slogdet(infos[ok])
    d = np.exp(-logdet / K)
    return float(w[ok] @ d / w[ok].sum()), int(R - ok.sum())


def null_terms(info: np.ndarray, terms, rtol: float = 1e-9) -> list[str]:
    """Terms involved in the null space of an information matrix (empty if it is regular).

    Parameters
    ----------
    info : ndarray of float (K, K)
        Information matrix (symmetrised before the eigen-decomposition).
    terms : sequence of str (K,)
        Term names.
    rtol : float
        Eigenvalues at most ``rtol`` times the largest absolute eigenvalue span the null
        space.

    Returns
    -------
    list of str
        Terms with a loading above 1e-6 on a null-space eigenvector, in term order.
    """
    if info.size == 0:
        return []
    w, v = np.linalg.eigh((info + info.T) / 2)
    scale = max(float(np.abs(w).max()), 1e-300)
    null = v[:, w <= rtol * scale]
    if null.shape[1] == 0:
        return []
    loads = np.abs(null).max(axis=1)
    return [t for t, x in zip(terms, loads, strict=True) if x > 1e-6]


def max_differing_pairs(levels: int, m: int) -> int:
    """S: most pairs of a set of m alternatives that can differ on an attribute of l levels.

    S = (m^2 - (l x^2 + 2 x y + y)) / 2 with m = l x + y (Street and Burgess 2007, The
    Construction of Optimal Stated Choice Experiments, ch. 6).

    Parameters
    ----------
    levels : int
        Number of levels l of the attribute.
    m : int
        Alternatives per set.

    Returns
    -------
    int
    """
    x, y = divmod(m, levels)
    return (m * m - (levels * x * x + 2 * x * y + y)) // 2


def street_burgess_det_opt(levels, m: int) -> float:
    """Closed-form det C_opt of Street & Burgess for main effects, sets of size m.

    det C_opt = prod_q (2 l_q S_q / (m^2 (l_q - 1) L))^(l_q - 1), L = prod_q l_q
    (Street and Burgess 2007, ch. 6; Burgess and Street 2005, J. Statistical Planning and
    Inference 134:288-301).

    Parameters
    ----------
    levels : sequence of int
        Number of levels of each attribute (each at least 2).
    m : int
        Alternatives per set.

    Returns
    -------
    float
    """
    L = math.prod(levels)
    return math.prod((2 * nl * max_differing_pairs(nl, m) / (m * m * (nl - 1) * L)) ** (nl - 1)
                     for nl in levels)


def street_burgess_log_det_opt(levels, m: int) -> float:
    """The log of det C_opt (:func:`street_burgess_det_opt`), summed in logs.

    det C_opt underflows to a subnormal or zero for many attributes (e.g. 2^11 3^12 in
    pairs: about 1e-315), which spoils a D-efficiency computed from it; the log does not.

    Parameters
    ----------
    levels : sequence of int
        Number of levels of each attribute (each at least 2).
    m : int
        Alternatives per set.

    Returns
    -------
    float
        sum_q (l_q - 1) log(2 l_q S_q / (m^2 (l_q - 1) L)) (Street and Burgess 2007, ch. 6).
    """
    log_l = sum(math.log(nl) for nl in levels)
    return sum((nl - 1) * (math.log(2 * nl * max_differing_pairs(nl, m) / (m * m * (nl - 1)))
                           - log_l) for nl in levels)


def contrast_information(table, attributes) -> np.ndarray:
    """Street-Burgess C: per-set information at b = 0 for orthonormal contrasts of the L
    profiles (attribute q's contrasts over its levels scaled by sqrt(l_q / L)).

    Parameters
    ----------
    table : DataFrame
        Design table (``block, task, alternative, <attributes>, is_opt_out``); opt-out
        rows are left out.
    attributes : sequence of Attribute
        Categorical attributes with declared levels.

    Returns
    -------
    ndarray of float (p, p)
        The information divided by the number of sets, p = sum_q (l_q - 1).
    """
    generic = table[table["is_opt_out"] == 0]
    L = math.prod(a.n_levels for a in attributes)
    from scipy.linalg import null_space  # scipy when a design is diagnosed, not before

    cols = []
    for a in attributes:
        c = null_space(np.ones((1, a.n_levels)))  # (l, l-1) orthonormal contrasts
        idx = a.index_of(generic[a.name].tolist())
        cols.append(c[idx] * math.sqrt(a.n_levels / L))
    X = np.hstack(cols)
    keys = generic["block"].astype(np.int64).to_numpy() * 1_000_000 + generic[
        "task"].astype(np.int64).to_numpy()
    _, set_index = np.unique(keys, return_inverse=True)
    n_sets = int(set_index.max()) + 1
    return information(X, set_index, np.zeros(X.shape[1])) / n_sets


def street_burgess(table, attributes) -> dict:
    """D-efficiency at b = 0 relative to the Street-Burgess optimum, where it applies.

    It applies to designs without an opt-out, with categorical attributes only and sets
    of one size (Street and Burgess 2007, ch. 6).

    Parameters
    ----------
    table : DataFrame
        Design table (``block, task, alternative, <attributes>, is_opt_out``).
    attributes : sequence of Attribute

    Returns
    -------
    dict
        ``applies`` and ``reason`` (why not), and where it applies ``d_efficiency`` =
        (det C / det C_opt)^(1/p) (0 when det C is not positive), ``det_c``,
        ``det_c_optimal``, ``set_size`` and ``max_differing_pairs`` per attribute.
    """
    out = {"applies": False, "reason": None, "d_efficiency": None, "det_c": None,
           "det_c_optimal": None, "set_size": None}
    if table["is_opt_out"].any():
        out["reason"] = "the design has an opt-out alternative"
        return out
    linear = [a.name for a in attributes if a.is_linear or a.levels is None]
    if linear:
        out["reason"] = f"linear coding of {', '.join(linear)}"
        return out
    generic = table[table["is_opt_out"] == 0]
    sizes = generic.groupby(["block", "task"]).size()
    if sizes.nunique() != 1:
        out["reason"] = "choice sets of different sizes"
        return out
    m = int(sizes.iloc[0])
    levels = [a.n_levels for a in attributes]
    C = contrast_information(table, attributes)
    p = C.shape[0]
    sign, logdet = np.linalg.slogdet(C)
    det_opt = street_burgess_det_opt(levels, m)
    log_opt = street_burgess_log_det_opt(levels, m)  # det_opt itself may underflow
    eff = float(np.exp((logdet - log_opt) / p)) if sign > 0 else 0.0
    out.update({"applies": True, "d_efficiency": eff,
                "det_c": float(sign * np.exp(logdet)) if sign > 0 else 0.0,
                "det_c_optimal": det_opt, "set_size": m,
                "max_differing_pairs": {a.name: max_differing_pairs(a.n_levels, m)
                                        for a in attributes}})
    return out


def s_estimates(info: np.ndarray, beta: np.ndarray, terms, blocks: int) -> dict:
    """Respondents needed for |estimate / se| >= 1.96 at the priors, per term.

    S-estimate of term k = blocks x 1.96^2 (I^-1)_kk / b_k^2 (Rose and Bliemer 2013,
    Sample size requirements for stated choice experiments, Transportation 40:1021-1041),
    each respondent answering one block.

    Parameters
    ----------
    info : ndarray of float (K, K)
        Information of the whole design (all blocks) at the priors.
    beta : ndarray of float (K,)
        Prior means.
    terms : sequence of str (K,)
        Term names.
    blocks : int
        Number of blocks.

    Returns
    -------
    dict of str -> float or None
        Respondents per term (not rounded); None where the prior is 0, the variance is
        not positive or finite, or ``info`` is singular.
    """
    try:
        avc = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return {t: None for t in terms}
    out = {}
    for k, t in enumerate(terms):
        if beta[k] == 0 or not np.isfinite(avc[k, k]) or avc[k, k] <= 0:
            out[t] = None
        else:
            out[t] = float(blocks * Z_95 ** 2 * avc[k, k] / beta[k] ** 2)
    return out


def prior_vector(study, terms) -> np.ndarray:
    """Prior mean of each term from ``design.priors`` (0 where none is given).

    Parameters
    ----------
    study : Study
        A loaded study (without a ``design:`` section every prior is 0).
    terms : sequence of str
        Term names.

    Returns
    -------
    ndarray of float (len(terms),)
        A number prior as given, a ``{mean, sd}`` prior's mean.
    """
    priors = study.spec.design.priors if study.spec.design else {}
    out = np.zeros(len(terms))
    for i, t in enumerate(terms):
        v = priors.get(t)
        out[i] = 0.0 if v is None else (v if isinstance(v, (int, float)) else v.mean)
    return out


def design_draws(study, terms, info=None):
    """Prior draws of a study's design (those the search used when ``info`` has them).

    Parameters
    ----------
    study : Study
        A loaded study with ``design.priors``.
    terms : sequence of str (K,)
        Term names of the design matrix.
    info : dict, optional
        What the design method reported; its ``_draws`` (R, K) are used when they have K
        columns.

    Returns
    -------
    draws : ndarray of float (R, K)
        Otherwise :func:`~dce.design.priors.prior_draws` on a fresh ``design`` stream:
        the same draws a Bayesian search of this study used.
    info : dict
        ``draw_type`` and ``prior_draws``.
    """
    from dce.core.random import rng as make_rng

    d = study.spec.design
    if info and info.get("_draws") is not None and info["_draws"].shape[1] == len(terms):
        draws = info["_draws"]
        kind = info.get("search", {}).get("draw_type", "given")
        return draws, {"draw_type": kind, "prior_draws": int(len(draws))}
    mean, sd = prior_moments(study, terms)
    return prior_draws(mean, sd, d.prior_draws, make_rng(study.seed, "design"))


def db_error(X, set_index, draws) -> tuple[float, int]:
    """DB-error of a coded design over prior draws, and the number of singular draws.

    Parameters
    ----------
    X : ndarray of float (rows, K)
        Coded design.
    set_index : ndarray of int (rows,)
        Choice set of each row.
    draws : ndarray of float (R, K)
        Coefficient draws, equally weighted.

    Returns
    -------
    tuple of (float, int)
        See :func:`draw_errors`.
    """
    infos = np.stack([information(X, set_index, b) for b in draws])
    return draw_errors(infos)


def _level_sets(generic, attrs):
    """Level indices (sets, alternatives, attributes) when every set has the same size."""
    groups = [g for _, g in generic.groupby(["block", "task"], sort=True)]
    if not groups or len({len(g) for g in groups}) != 1:
        return None
    return np.stack([np.column_stack([a.index_of(g.sort_values("alternative")[a.name].tolist())
                                      for a in attrs]) for g in groups])


def _level_summary(generic, attrs):
    """Level counts and overlap (share of tasks with one level) per attribute, and the
    correlations of the attributes' level indices."""
    balance, overlap = {}, {}
    for a in attrs:
        counts = generic[a.name].astype(str).value_counts()
        balance[a.name] = {lab: int(counts.get(lab, 0)) for lab in a.level_labels}
        same = generic.groupby(["block", "task"])[a.name].nunique()
        overlap[a.name] = float((same == 1).mean())
    idx = np.column_stack([a.index_of(generic[a.name].tolist()) for a in attrs]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(idx, rowvar=False) if len(attrs) > 1 else np.ones((1, 1))
    corr = np.where(np.isfinite(corr), corr, 0.0)
    return balance, overlap, corr


def _add_efficiency(result, table, study, info_priors, at_priors, beta, terms) -> None:
    """Efficiency against the Street-Burgess optimum (b = 0) and S-estimates at the prior
    means, added to ``result`` in place."""
    d = study.spec.design
    sb = street_burgess(table, study.attributes)
    if sb["applies"] and d is not None and d.exclude:
        sb["note"] = "with `exclude` rules the optimum may be out of reach"
    result["street_burgess"] = sb
    result["d_efficiency"] = sb["d_efficiency"]
    result["d_efficiency_basis"] = ("Street-Burgess optimum for main effects at zero "
                                    "coefficients" if sb["applies"] else sb["reason"])
    blocks = int(table["block"].nunique())
    if at_priors["identified"] and np.any(beta != 0):
        est = s_estimates(info_priors, beta, terms, blocks)
        result["s_estimates"] = est
        known = [v for v in est.values() if v is not None]
        result["s_estimate_respondents"] = int(math.ceil(max(known))) if known else None
    else:
        result["s_estimates"] = {t: None for t in terms}
        result["s_estimate_respondents"] = None


class LevelCoverageWarning(UserWarning):
    """A declared level never appears in the design."""


def coverage_warnings(balance: dict) -> list[str]:
    """One warning per attribute with a declared level that never appears in the design.

    A level never shown cannot be estimated, and a numeric attribute shown at some of its
    levels only cannot test the shape (e.g. linearity) across the others (Johnson et al.
    2013, ISPOR design report, Value in Health 16:3-13).

    Parameters
    ----------
    balance : dict
        ``{attribute: {level label: count}}`` over the generic alternatives.

    Returns
    -------
    list of str
        E.g. ``"level coverage: cost: levels 20, 30 never appear in the design"``.

    Warns
    -----
    LevelCoverageWarning
        The same text, once per such attribute.
    """
    out = []
    for name, counts in balance.items():
        lost = [lab for lab, c in counts.items() if c == 0]
        if lost:
            out.append(f"level coverage: {name}: level{'s' if len(lost) > 1 else ''} "
                       f"{', '.join(lost)} never appear{'s' if len(lost) == 1 else ''} in "
                       "the design")
            warnings.warn(out[-1], LevelCoverageWarning, stacklevel=3)
    return out


def diagnose(table, study, info: dict | None = None) -> dict:
    """Every diagnostic of a design table, as a JSON-ready dict.

    Parameters
    ----------
    table : DataFrame
        Design table (``block, task, alternative, <attributes>, is_opt_out``).
    study : Study
    info : dict, optional
        What the design method reported; its keys not starting with ``_`` are copied in.

    Returns
    -------
    dict
        Counts, D-/A-error at the priors and at zero (Huber and Zwerina 1996), DB-error when
        a prior has an sd (Sandor and Wedel 2001), level balance (overall and by block),
        overlap, correlations, unidentified terms, dominated tasks, Street-Burgess
        D-efficiency and S-estimates; ``warnings`` lists declared levels that never
        appear (:func:`coverage_warnings`), whatever made the design.
    """
    attrs = study.attributes
    d = study.spec.design
    opt_out = bool(table["is_opt_out"].any())
    X, set_index, terms = design_matrix(table, attrs, opt_out)
    beta = prior_vector(study, terms)
    info_priors = information(X, set_index, beta)
    at_priors = errors(info_priors)
    info_zero = information(X, set_index, np.zeros(len(terms)))
    at_zero = errors(info_zero)
    generic = table[table["is_opt_out"] == 0]
    balance, overlap, corr = _level_summary(generic, attrs)
    result = {
        "method": d.method if d else "file",
        "n_choice_sets": int(set_index.max()) + 1,
        "blocks": int(table["block"].nunique()),
        "tasks_per_block": int(table.groupby("block")["task"].nunique().max()),
        "alternatives": int(generic["alternative"].nunique()),
        "opt_out": opt_out,
        "terms": terms,
        "priors": dict(zip(terms, map(float, beta), strict=True)),
        "d_error": at_priors["d_error"],
        "a_error": at_priors["a_error"],
        "d_error_zero_priors": at_zero["d_error"],
        "identified": at_priors["identified"],
        "condition_number": at_priors["condition_number"],
        "level_balance": balance,
        "level_balance_by_block": {
            int(b): {a.name: {lab: int((g[a.name].astype(str) == lab).sum())
                              for lab in a.level_labels} for a in attrs}
            for b, g in generic.groupby("block")},
        "overlap": overlap,
        "attribute_correlations": {a.name: {b.name: round(float(corr[i, j]), 12)
                                            for j, b in enumerate(attrs)}
                                   for i, a in enumerate(attrs)},
    }
    result["unidentified_terms"] = null_terms(info_zero, terms)
    result["warnings"] = coverage_warnings(balance)
    # whole-set properties: attributes constant within a task, dominance by the priors
    sets = _level_sets(generic, attrs)
    result["max_overlap"] = result["dominated_tasks"] = None
    if sets is not None:
        result["max_overlap"] = int(set_overlap(sets).max())
        pw = partworths(attrs, terms, beta)
        result["dominated_tasks"] = (int(dominated(sets, pw).sum())
                                     if any(w is not None for w in pw) else None)
    # Bayesian: DB-error over the prior draws
    has_sd = d is not None and any(not isinstance(v, (int, float)) and v.sd > 0
                                   for v in d.priors.values())
    if has_sd:
        draws, draw_info = design_draws(study, terms, info)
        value, singular = db_error(X, set_index, draws)
        result.update({"db_error": value if np.isfinite(value) else None,
                       "db_singular_draws": singular, **draw_info})
    else:
        result["db_error"] = None
    _add_efficiency(result, table, study, info_priors, at_priors, beta, terms)
    for key, value in (info or {}).items():
        if not key.startswith("_"):
            result[key] = value
    return result
