"""Scale and preferences of respondent groups: a heteroskedastic conditional logit.

Logit coefficients are scale x preference. Swait and Louviere (1993) test that two groups'
coefficients are proportional (equal preferences up to scale), then estimate the relative
scale. Unlike the classic Swait-Louviere likelihood-ratio test, constants ``asc[...]`` (e.g. the
opt-out) and attributes named in ``group_specific`` get one coefficient per group, so an
opt-out propensity is not taken for scale, and inference is clustered by respondent.

References
----------
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. Journal of Human Resources 50(2), 317-372.
Swait, J. and Louviere, J. (1993). The role of the scale parameter in the estimation and
comparison of multinomial logit models. Journal of Marketing Research 30(3), 305-314.
White, H. (1982). Maximum likelihood estimation of misspecified models. Econometrica
50(1), 1-25.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import linalg, optimize, sparse, special
from scipy.linalg.blas import dgemm as _dgemm

from dce.analysis.bootstrap import concat
from dce.core.coding import ChoiceData
from dce.models import clogit
from dce.models.covariance import bread_of, cluster_vcov
from dce.models.results import tidy

TOL_DECREMENT = 1e-16     # Newton decrement g'(-H)^-1 g at which the fit stops
MAX_LOG_SCALE_STEP = 1.0  # largest change of a log scale in one Newton step
CHUNK_ROWS = 4096         # rows per block of an evaluation
_GEMM_LIMIT = 65536 * 4   # OpenBLAS runs a gemm of m*n*k up to this on one thread
_LOG_MU_GRID = np.linspace(-8.0, 8.0, 161)  # global search of log mu (mu 3e-4 .. 3e3)


def ascent_step(neg_h, g):
    """Newton step, damped (Levenberg) where -H is not positive definite: the scaled
    likelihood is not concave in (b, log mu) everywhere.

    Solves ``(-H + tau I) step = g`` with the smallest ``tau`` (0, then 1e-8 x the largest
    diagonal, doubling) at which Cholesky succeeds; after 60 failures, ``g`` over that
    diagonal.

    Parameters
    ----------
    neg_h : ndarray (P, P)
        Minus the Hessian.
    g : ndarray (P,)
        Gradient.

    Returns
    -------
    ndarray (P,)
        An ascent direction.
    """
    tau = 0.0
    scale = max(np.abs(np.diag(neg_h)).max(), 1e-12)
    for _ in range(60):
        try:
            c = np.linalg.cholesky(neg_h + tau * np.eye(len(g)))
            return np.linalg.solve(c.T, np.linalg.solve(c, g))
        except np.linalg.LinAlgError:
            tau = max(2 * tau, 1e-8 * scale)
    return g / scale



def _belongs(term: str, attribute: str) -> bool:
    """``term`` codes ``attribute`` (a level ``a[..]``, a number ``a`` or an interaction)."""
    return term == attribute or term.startswith((f"{attribute}[", f"{attribute}:"))


def _specific_mask(terms, group_specific) -> np.ndarray:
    """True for the terms that get one coefficient per group; checks the names."""
    unknown = [a for a in group_specific if not any(_belongs(t, a) for t in terms)]
    if unknown:
        raise ValueError(f"group_specific: {', '.join(map(str, unknown))} match no term "
                         f"(terms: {', '.join(terms)})")
    return np.array([t.startswith("asc[") or any(_belongs(t, a) for a in group_specific)
                     for t in terms], dtype=bool)


def _checked(parts) -> list:
    """The ChoiceData of ``parts``, after checking that they can be fitted jointly."""
    if not isinstance(parts, dict) or len(parts) < 2:
        raise ValueError("parts must be a dict of at least 2 groups {name: ChoiceData}")
    datas = list(parts.values())
    for name, p in parts.items():
        if not isinstance(p, ChoiceData):
            raise ValueError(f"group {name!r}: expected ChoiceData, got {type(p).__name__}")
        if tuple(p.terms) != tuple(datas[0].terms):
            raise ValueError(f"group {name!r} has terms {p.terms}, expected {datas[0].terms}")
        if p.n_sets == 0:
            raise ValueError(f"group {name!r} has no choice sets")
    return datas


@dataclass(frozen=True)
class ScaledFit:
    """Estimates of the heteroskedastic conditional logit (see :func:`fit_scaled`).

    ``names``: common terms as they are, group-specific terms as ``"term@group"``, log
    scales as ``"log_scale[group]"``. ``vcov`` is clustered by respondent (factor G/(G-1),
    G = respondents of all groups); ``vcov_classic`` is the inverse of minus the Hessian.

    Attributes
    ----------
    names : tuple of str (P,)
        Parameter names.
    params : ndarray (P,)
        Estimates, in the order of ``names``.
    vcov, vcov_classic : ndarray (P, P)
        Cluster-robust and classic covariances.
    loglik : float
        Log-likelihood at the estimates.
    converged : bool
        Newton's method converged and ``-H`` is positive definite.
    iterations : int
        Newton iterations.
    groups : tuple of str
        Groups, the reference first.
    reference : str
        The group whose log scale is 0.
    n_respondents : dict of str to int
        Respondents of each group.
    """

    names: tuple
    params: np.ndarray
    vcov: np.ndarray
    vcov_classic: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    groups: tuple
    reference: str
    n_respondents: dict

    @property
    def bse(self) -> np.ndarray:
        """Cluster-robust standard errors ``sqrt(diag(vcov))``, ndarray (P,)."""
        return np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))

    def to_frame(self, level: float = 0.95):
        """Tidy table, one row per parameter, with cluster-robust standard errors.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the Wald intervals.

        Returns
        -------
        pandas.DataFrame
            :func:`dce.models.results.tidy` with ``group="scaled"``.
        """
        return tidy(self.names, self.params, self.vcov, level, group="scaled")

    def relative_scale(self, group, level: float = 0.95) -> dict:
        """Scale of ``group`` relative to the reference group, ``exp(lambda)``.

        Parameters
        ----------
        group : str
            A non-reference group.
        level : float
            Confidence level, in (0, 1).

        Returns
        -------
        dict
            ``estimate``; ``ci_lower``, ``ci_upper`` (Wald interval on lambda with the
            cluster-robust standard error, transformed back: always positive); ``z`` and
            ``p_value`` (robust Wald test of lambda = 0, equal scales); ``se_log`` (the
            standard error of lambda; NaN, and so the interval, when its variance is not
            positive).

        Raises
        ------
        ValueError
            The reference group, an unknown group, a fit with fixed scales, or a level
            outside (0, 1).
        """
        name = f"log_scale[{group}]"
        if name not in self.names:
            raise ValueError(f"no free scale for group {group!r} (groups "
                             f"{', '.join(self.groups)}, reference {self.reference!r})")
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level}")
        i = self.names.index(name)
        lam, var = float(self.params[i]), float(self.vcov[i, i])
        se = float(np.sqrt(var)) if var > 0 else float("nan")
        q, z = special.ndtri(0.5 + level / 2), lam / se
        return {"estimate": float(np.exp(lam)), "ci_lower": float(np.exp(lam - q * se)),
                "ci_upper": float(np.exp(lam + q * se)), "z": z,
                "p_value": float(2 * special.ndtr(-abs(z))), "se_log": se}


class _Model:
    """Stacked data and exact derivatives of the scaled log-likelihood.

    theta = (beta, delta_1..delta_G, lambda_2..lambda_G). ``XE`` holds the common columns
    and, per group, the group-specific columns masked to its rows: ``V = s XE theta_lin``.
    dV/dtheta_lin = s XE; dV/dlambda_g = V on rows of g; second derivatives (rows of g):
    d2V/dtheta_lin dlambda_g = s XE, d2V/dlambda_g^2 = V. Hessian = -sum over sets of
    Z'(diag p - p p')Z + sum over rows of (y - p) d2V. An evaluation sweeps blocks of about
    ``CHUNK_ROWS`` rows (whole sets), so temporaries stay small: cache-sized, and no page
    faults from fresh large allocations at every evaluation.
    """

    def __init__(self, parts: dict, group_specific, fixed_scale: bool):
        datas = _checked(parts)
        self.terms, self.groups = tuple(datas[0].terms), tuple(str(g) for g in parts)
        gs = _specific_mask(self.terms, group_specific)
        common, specific = np.flatnonzero(~gs), np.flatnonzero(gs)
        if not fixed_scale and common.size == 0:
            raise ValueError("no common term: the relative scales are not identified; "
                             "fix them (fixed_scale=True) or share at least one attribute")
        G, self.n_free = len(self.groups), 0 if fixed_scale else len(self.groups) - 1
        self.data = data = concat(datas)
        self.code = np.repeat(np.arange(G), [p.n_rows for p in datas])
        Xs = data.X[:, specific]
        self.XE = np.hstack([data.X[:, common]]
                            + [Xs * (self.code == g)[:, None] for g in range(G)])
        self.k = self.XE.shape[1]
        self.weight = np.add.reduceat(data.chosen, data.set_start[:-1])  # number chosen
        self.n_respondents = {g: p.n_respondents for g, p in zip(self.groups, datas)}
        self.names = tuple([self.terms[i] for i in common]
                           + [f"{self.terms[i]}@{g}" for g in self.groups for i in specific]
                           + [f"log_scale[{g}]" for g in self.groups[1:1 + self.n_free]])
        st = data.set_start
        cuts = np.unique(np.r_[np.searchsorted(st, np.arange(0, st[-1], CHUNK_ROWS)),
                               data.n_sets])
        self.chunks = [(slice(st[a], st[b]), slice(a, b), st[a:b + 1] - st[a],
                        np.repeat(np.arange(b - a), np.diff(st[a:b + 1])))
                       for a, b in zip(cuts[:-1], cuts[1:])]
        # per block, the (sets x rows) pattern whose weights give per-set sums
        self.sums = [sparse.csr_matrix((np.ones(len(i)), np.arange(len(i)), b))
                     for _, _, b, i in self.chunks]

    def evaluate(self, theta, hessian: bool = True, scores: bool = False):
        """(log-likelihood, gradient, Hessian or None, per-set scores or None) at theta."""
        theta = np.asarray(theta, dtype=float)
        lam = np.zeros(len(self.groups))
        lam[1:1 + self.n_free] = theta[self.k:]
        P = len(theta)
        acc = [0.0, np.zeros(P), np.zeros((P, P)) if hessian else None,
               np.empty((len(self.weight), P)) if scores else None]
        for chunk, sums in zip(self.chunks, self.sums):
            self._block(theta, np.exp(lam), chunk, sums, acc)
        return tuple(acc)

    def _block(self, theta, scale, chunk, sums, acc):
        """Add one block of sets to ``acc`` = [loglik, gradient, Hessian, set scores]."""
        rows, sets, bounds, idx = chunk
        X, y, w, code = self.XE[rows], self.data.chosen[rows], self.weight[sets], self.code[rows]
        k, s, starts = self.k, scale[code], bounds[:-1]
        v = s * np.einsum("ij,j->i", X, theta[:k])   # einsum: no BLAS threads
        vs = v - np.maximum.reduceat(v, starts)[idx]
        e = np.exp(vs)
        den = np.add.reduceat(e, starts)
        acc[0] += float(y @ vs - w @ np.log(den))
        p = e / den[idx]
        r = y - w[idx] * p
        Z = np.empty((len(v), len(theta)))
        np.multiply(X, s[:, None], out=Z[:, :k])
        for j in range(self.n_free):
            Z[:, k + j] = np.where(code == j + 1, v, 0.0)
        acc[1] += np.einsum("ij,i->j", Z, r)
        if acc[3] is not None:
            acc[3][sets] = _set_sums(sums, r, Z)
        H = acc[2]
        if H is None:
            return
        Zc = Z - np.take(_set_sums(sums, p, Z), idx, axis=0)
        Zc *= np.sqrt(p * w[idx])[:, None]
        H -= _gram(Zc)
        for j in range(self.n_free):
            rm = np.where(code == j + 1, r, 0.0)
            cross = np.einsum("ij,i->j", X, rm * s)
            H[:k, k + j] += cross
            H[k + j, :k] += cross
            H[k + j, k + j] += float(rm @ v)

    def cluster_scores(self, theta) -> np.ndarray:
        """Scores at theta summed by respondent (respondents x parameters)."""
        sc, codes = self.evaluate(theta, hessian=False, scores=True)[3], self.data.respondent
        if np.any(np.diff(codes) < 0):
            order = np.argsort(codes, kind="stable")
            sc, codes = sc[order], codes[order]
        return np.add.reduceat(sc, np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]), axis=0)

    def initial(self, start) -> np.ndarray:
        """Starting values from ``start`` (term or parameter name -> value), else the fit
        with scales fixed at 1 (a conditional logit on ``XE``); log scales 0 unless named."""
        theta = np.zeros(len(self.names))
        if start is None:
            data = replace(self.data, X=self.XE, terms=self.names[:self.k])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theta[:self.k] = clogit.fit(data, se="classic", check=False).params
            return theta
        index = {n: i for i, n in enumerate(self.names)}
        unknown = [k for k in start if k not in index and k not in self.terms]
        if unknown:
            raise ValueError(f"start: unknown names {', '.join(map(str, unknown))} (use "
                             f"terms or parameter names: {', '.join(self.names)})")
        for key, value in start.items():   # group-specific terms: a value for every group
            if key not in index:
                theta[[index[f"{key}@{g}"] for g in self.groups]] = value
        for key, value in start.items():   # then parameter names, which override
            if key in index:
                theta[index[key]] = value
        return theta


def _set_sums(pattern, weights, Z) -> np.ndarray:
    """Per set ``sum over its rows of weights * Z``: a sparse product with the block's
    pattern (much faster than a 2-d reduceat), its weights set in place."""
    pattern.data[:] = weights
    return pattern @ Z


def _gram(W) -> np.ndarray:
    """``W' W`` for a tall C-ordered ``W``, as gemm calls small enough that OpenBLAS runs
    them on one thread (numpy's syrk always spreads over threads, costly on shared CPUs)."""
    n, P = W.shape
    out, step = np.zeros((P, P)), max(64, _GEMM_LIMIT // max(P * P, 1))
    for a in range(0, n, step):
        block = W[a:a + step].T          # (P, rows): a Fortran-ordered view, no copy
        out += _dgemm(1.0, block, block, trans_b=True)
    return out


def _newton(model: _Model, theta, max_iter: int):
    """Newton's method with step halving and Levenberg damping where -H is not positive
    definite (the scaled likelihood is not concave everywhere); a step moves no log scale
    by more than ``MAX_LOG_SCALE_STEP``. Returns (theta, loglik, Hessian, converged, it)."""
    ll, g, H, _ = model.evaluate(theta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        step = ascent_step(-H, g)
        decrement = float(g @ step)
        if decrement <= TOL_DECREMENT:
            converged, it = True, it - 1
            break
        jump = np.abs(step[model.k:]).max(initial=0.0)
        if jump > MAX_LOG_SCALE_STEP:
            step *= MAX_LOG_SCALE_STEP / jump
        t = 1.0
        while t >= 1e-10:
            cand = theta + t * step
            out = model.evaluate(cand)
            if np.isfinite(out[0]) and out[0] >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        if t < 1e-10:
            converged = decrement < 1e-10
            break
        theta, (ll, g, H, _) = cand, out
    try:
        linalg.cholesky(-H)
    except linalg.LinAlgError:
        converged = False
    return theta, ll, H, converged, it


def _covariances(H, scores):
    """(classic, cluster): inverse information; sandwich over respondents x G/(G-1)."""
    bread, _ = bread_of(H)
    return bread, cluster_vcov(bread, scores)


def fit_scaled(parts: dict, *, group_specific=(), start=None, fixed_scale: bool = False,
               max_iter: int = 200) -> ScaledFit:
    """Fit the heteroskedastic conditional logit of several groups jointly.

    Row of group g: ``V = s_g (x_common' beta + x_gs' delta_g)``, ``s_g = exp(lambda_g)``,
    ``lambda = 0`` for the first group of ``parts`` (the reference). Group-specific terms:
    constants ``asc[...]`` and the terms of the attributes in ``group_specific`` (``a``,
    ``a[..]`` and interactions ``a[..]:cov``, ``a:cov``); the others share ``beta``.

    Parameters
    ----------
    parts : dict {group name: ChoiceData}, at least 2 groups with the same ``terms``
    group_specific : attribute names whose terms get one coefficient per group
    start : optional dict of starting values keyed by term (used for every group) or by
        parameter name (``"term@group"``, ``"log_scale[group]"``; log scales default to
        0). Default: the fit with scales fixed at 1 (a concave problem).
    fixed_scale : if True every scale is fixed at 1 (no ``log_scale`` parameters)
    max_iter : most Newton iterations

    Returns
    -------
    ScaledFit
        ``params`` (P,) in the order of ``names`` (common terms, each group's specific
        terms, log scales of the non-reference groups); ``vcov`` (P, P) clustered by
        respondent (respondents of different groups are distinct); ``vcov_classic``.
        Warns (RuntimeWarning) and sets ``converged`` False if Newton does not converge.

    Raises
    ------
    ValueError
        Fewer than 2 groups, a value not ChoiceData, terms differing between groups, a
        group without sets, a ``group_specific`` name matching no term, no common term
        with free scales, unknown ``start`` names, ``max_iter < 1``.
    """
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter}")
    gs = (group_specific,) if isinstance(group_specific, str) else tuple(group_specific)
    model = _Model(parts, gs, fixed_scale)
    theta, ll, H, converged, it = _newton(model, model.initial(start), max_iter)
    if not converged:
        warnings.warn(f"scaled logit of groups {', '.join(model.groups)} did not converge in "
                      f"{it} iterations", RuntimeWarning, stacklevel=2)
    classic, cluster = _covariances(H, model.cluster_scores(theta))
    return ScaledFit(names=model.names, params=theta, vcov=cluster, vcov_classic=classic,
                     loglik=ll, converged=converged, iterations=it, groups=model.groups,
                     reference=model.groups[0], n_respondents=model.n_respondents)


def _inverse_pd(V, name: str, K: int) -> np.ndarray:
    V = np.asarray(V, dtype=float)
    if V.shape != (K, K) or not np.all(np.isfinite(V)):
        raise ValueError(f"{name} must be a finite ({K}, {K}) matrix, got shape {V.shape}")
    try:
        return linalg.cho_solve(linalg.cho_factor((V + V.T) / 2), np.eye(K))
    except linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None


def proportionality_test(b_a, V_a, b_b, V_b) -> dict:
    """Robust Wald (minimum-distance) test that two groups' coefficients are proportional.

    H0: ``b_b = mu b_a`` for some ``mu > 0``, equal preferences up to scale (Swait and
    Louviere 1993, Journal of Marketing Research 30:305-314). The statistic is the
    minimum-distance statistic (Chamberlain 1984; Newey and McFadden 1994, section 5)
    with the efficient weights of two independent estimates, ``Q = min over (beta, mu) of
    (b_a - beta)' V_a^-1 (b_a - beta) + (b_b - mu beta)' V_b^-1 (b_b - mu beta)``, which
    is chi2(K - 1) under H0. For fixed mu, beta has a closed form; Q is minimised over
    log mu on a grid (-8 to 8 by 0.1, for the global minimum), then by bounded Brent
    between the best grid point's neighbours.

    Parameters
    ----------
    b_a, b_b : (K,) estimates of the two groups (K >= 2), only the terms the hypothesis
        covers (e.g. without alternative-specific constants)
    V_a, V_b : (K, K) their covariances (cluster-robust for repeated choices); the two
        estimates must be independent (different respondents)

    Returns
    -------
    dict
        ``statistic`` Q, ``df`` K - 1, ``p_value``, ``mu`` (the minimiser) and
        ``se_log_mu``, the delta-method (minimum-distance) standard error of log mu,
        ``(D' W D)^-1`` with D = d(beta, mu beta)/d(beta, log mu), W = diag(V_a^-1, V_b^-1).

    Raises
    ------
    ValueError
        Vectors not finite, of different lengths or shorter than 2; covariances of the
        wrong shape, not finite or not positive definite.
    """
    b_a, b_b = np.asarray(b_a, dtype=float).ravel(), np.asarray(b_b, dtype=float).ravel()
    K = len(b_a)
    if len(b_b) != K or K < 2 or not (np.all(np.isfinite(b_a)) and np.all(np.isfinite(b_b))):
        raise ValueError(f"b_a and b_b must be finite vectors of the same length >= 2, got "
                         f"lengths {len(b_a)} and {len(b_b)}")
    A, B = _inverse_pd(V_a, "V_a", K), _inverse_pd(V_b, "V_b", K)

    def distance(t):
        """Q and the best beta at log mu = t, for an array of t."""
        mu = np.exp(np.asarray(t, dtype=float))[..., None]
        beta = np.linalg.solve(A + mu[..., None] ** 2 * B, (A @ b_a + mu * (B @ b_b))[..., None])
        da, db = b_a - beta[..., 0], b_b - mu * beta[..., 0]
        return np.einsum("...i,ij,...j", da, A, da) + np.einsum("...i,ij,...j", db, B, db), beta

    values = distance(_LOG_MU_GRID)[0]
    i = int(np.argmin(values))
    lo, hi = _LOG_MU_GRID[max(i - 1, 0)], _LOG_MU_GRID[min(i + 1, len(values) - 1)]
    res = optimize.minimize_scalar(lambda t: float(distance(t)[0]), bounds=(lo, hi),
                                   method="bounded", options={"xatol": 1e-10})
    t = float(res.x) if res.fun <= values[i] else float(_LOG_MU_GRID[i])
    q, beta = distance(t)
    q, beta, mu = float(q), beta[:, 0], np.exp(t)
    Da = np.hstack([np.eye(K), np.zeros((K, 1))])             # d b_a / d(beta, log mu)
    Db = np.hstack([mu * np.eye(K), mu * beta[:, None]])      # d (mu beta) / d(...)
    var = np.linalg.pinv(Da.T @ A @ Da + Db.T @ B @ Db)[K, K]
    return {"statistic": q, "df": K - 1, "p_value": float(special.chdtrc(K - 1, q)),
            "mu": float(mu), "se_log_mu": float(np.sqrt(var)) if var > 0 else float("nan")}


@dataclass(frozen=True)
class ScaleComparison:
    """Both steps of the comparison of two groups (see :func:`compare_scale`).

    Attributes
    ----------
    statistic_preferences, df_preferences, p_preferences : float, int, float
        Step 1, :func:`proportionality_test`: statistic, degrees of freedom, p-value.
    relative_scale : float
        Step 2: scale of group b relative to a, ``exp(lambda_b)``.
    scale_ci : tuple of (float, float)
        Its interval (:meth:`ScaledFit.relative_scale`).
    p_scale, z_scale : float
        Robust Wald test of equal scales.
    group_specific : tuple of str
        Attributes with group-specific coefficients.
    constants : tuple of str
        The ``asc[...]`` terms (also group-specific).
    scaled_fit : ScaledFit
        The joint fit of step 2.
    """

    statistic_preferences: float
    df_preferences: int
    p_preferences: float
    relative_scale: float
    scale_ci: tuple
    p_scale: float
    z_scale: float
    group_specific: tuple
    constants: tuple
    scaled_fit: ScaledFit


def compare_scale(part_a: ChoiceData, part_b: ChoiceData, fit_a, fit_b, *, group_specific=(),
                  level: float = 0.95) -> ScaleComparison:
    """Do groups a and b share preferences up to scale, and how do their scales compare?

    Step 1: :func:`proportionality_test` on the separate fits' coefficients of the terms
    that are not group-specific (constants ``asc[...]`` and the attributes in
    ``group_specific`` left out), with their cluster-robust covariances. Step 2:
    :func:`fit_scaled` of both groups (a the reference) and the scale of b relative to a,
    with its robust Wald interval and test of equal scales. Both steps are always
    computed; step 2 presumes the proportionality that step 1 tests.

    Parameters
    ----------
    part_a, part_b : ChoiceData of the two groups (same terms)
    fit_a, fit_b : their separate fits, objects with ``terms``, ``params`` (K,) and
        ``vcov`` (K, K), cluster-robust (e.g. :class:`dce.models.results.FitResult`); their
        ``group`` names label the groups of ``scaled_fit`` if they differ (else a, b)
    group_specific : attributes whose coefficients may differ between the groups
    level : confidence level of the scale interval

    Returns
    -------
    ScaleComparison

    Raises
    ------
    ValueError
        Terms differing between data and fits, fewer than 2 common terms, and those of
        :func:`proportionality_test` and :func:`fit_scaled`.
    """
    terms = tuple(fit_a.terms)
    if not (tuple(fit_b.terms) == tuple(part_a.terms) == tuple(part_b.terms) == terms):
        raise ValueError("part_a, part_b, fit_a and fit_b must have the same terms")
    gs = (group_specific,) if isinstance(group_specific, str) else tuple(group_specific)
    specific = _specific_mask(terms, gs)
    keep = np.flatnonzero(~specific)
    if keep.size < 2:
        raise ValueError(f"at least 2 terms must be common to both groups, got "
                         f"{[terms[i] for i in keep]}")
    pa, pb = np.asarray(fit_a.params, float), np.asarray(fit_b.params, float)
    Va, Vb = np.asarray(fit_a.vcov, float), np.asarray(fit_b.vcov, float)
    prop = proportionality_test(pa[keep], Va[np.ix_(keep, keep)], pb[keep],
                                Vb[np.ix_(keep, keep)])
    a, b = getattr(fit_a, "group", None), getattr(fit_b, "group", None)
    if not (isinstance(a, str) and isinstance(b, str) and a != b):
        a, b = "a", "b"
    mu0 = float(np.clip(prop["mu"], 0.05, 20.0))   # warm start: a's fit, b's constants / mu
    start = dict(zip(terms, pa))
    start.update({f"{terms[i]}@{b}": pb[i] / mu0 for i in np.flatnonzero(specific)})
    start[f"log_scale[{b}]"] = np.log(mu0)
    scaled = fit_scaled({a: part_a, b: part_b}, group_specific=gs, start=start)
    rs = scaled.relative_scale(b, level)
    return ScaleComparison(
        statistic_preferences=prop["statistic"], df_preferences=prop["df"],
        p_preferences=prop["p_value"], relative_scale=rs["estimate"],
        scale_ci=(rs["ci_lower"], rs["ci_upper"]), p_scale=rs["p_value"], z_scale=rs["z"],
        group_specific=gs, constants=tuple(t for t in terms if t.startswith("asc[")),
        scaled_fit=scaled)
