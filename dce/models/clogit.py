"""Native conditional (multinomial) logit: Newton's method on analytic derivatives.

Data layout
-----------
A likelihood evaluation only ever needs differences between alternatives of the same set
(a shift common to a set cancels). :class:`Evaluator` therefore stores, once per data set,
``c_j = x_j - x_0`` for the alternatives ``j = 1..J-1`` of every set (``x_0`` is the set's
first row), grouped by set size and laid out alternative-major: ``C[k]`` is a contiguous
(sets x terms) array holding the (k+1)-th alternative of each set. That is (J-1)/J of the
size of ``X``; the evaluations never read ``X`` again. The differences keep full precision
for columns with large offsets (a price around 1e6 that varies by 1 within sets) and are
exactly zero for a column that is constant within sets. Sets of one alternative carry no
information and are dropped.

One evaluation
--------------
The log-likelihood, gradient and Hessian come from one sweep over the differences, in
steps of ``CHUNK_ROWS`` rows so that a step's intermediate arrays stay in the CPU cache;
there is no loop over choice sets and no (rows x terms x terms) temporary. For a set with
utilities ``u_j = c_j b`` (``u_0 = 0``), probabilities ``p`` (the set's largest utility
is subtracted before ``exp``) and weight ``w`` (the number chosen in the set, 1 as a rule):

* ``loglik = sum_j y_j u_j - w log sum_j exp(u_j)``
* ``gradient = sum_{j>=1} (y_j - w p_j) c_j``
* ``Hessian = -w C' (diag(p) - p p') C`` over the rows ``j >= 1``.

``diag(p) - p p'`` (the covariance of a multinomial draw, with alternative 0 left out) is
factored in closed form, ``L L'``, by sequential ("stick-breaking") conditioning: with
tail masses ``S_k = p_0 + sum_{i>=k} p_i``, row ``k`` of ``W = L' C`` is
``sqrt(w p_k S_{k+1} / S_k) (c_k - t_k)`` where ``t_k`` is the mean of ``c_i`` over
``i > k`` (and ``c_0 = 0``) weighted by ``p_i``. The Hessian is then ``-W'W``: one matrix
product per step, exactly symmetric and negative semi-definite, with no subtraction of
large nearly equal matrices. Each set adds J-1 rows to ``W``, not J.

Newton's method needs one sweep per iteration. The per-set scores for the robust and
cluster covariances are accumulated (their cross-product and their sums by respondent)
in the sweep at the point that Newton's quadratic convergence predicts to be the last
(the decrement ``d = g'(-H)^-1 g`` falls as ``d' = q d^2``, ``q`` from the last two steps),
so a fit from zero costs as many sweeps as evaluations. The fit stops at
``d <= TOL_DECREMENT``; a step is halved until the log-likelihood does not fall.

BLAS calls are kept single-threaded: OpenBLAS spreads calls above a size threshold (and
every syrk) over threads whose start-up and spinning cost more than these thin products
gain, badly so on a machine shared with other work. The sweep therefore keeps each gemv
and gemm below OpenBLAS's thresholds and forms ``W W'`` with gemm, not syrk.

Everything is float64. Extra memory is the differences ((J-1)/J of ``X``), one value per
set (weights, chosen), and cache-sized buffers.

References
----------
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
P. Zarembka (ed.), Frontiers in Econometrics, 105-142. Academic Press.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed., ch. 3 (logit) and
ch. 8 (Newton-Raphson). Cambridge University Press.
"""

from __future__ import annotations

import warnings

import numpy as np

from dce.core.coding import ChoiceData
from dce.errors import EstimationError
from dce.models.covariance import bread_of, check_vcov
from dce.models.covariance import covariances as sandwich
from dce.models.newton import newton
from dce.models.results import FitResult
from dce.models.separation import collinear_sets

LARGE_COEFFICIENT = 25.0  # |b| x within-set range beyond this suggests separation
CHUNK_ROWS = 8192         # rows of differences per step of a sweep (cache-sized)
_TINY = np.finfo(float).tiny
# OpenBLAS stays on one thread for a gemv of fewer elements / a gemm of m*n*k at most:
_GEMV_LIMIT = 40960
_GEMM_LIMIT = 65536 * 4


def _gram(A):
    """``A A'`` for a short, wide C-ordered ``A``, in blocks of columns small enough for
    BLAS to keep on one thread (the blocks stay in cache)."""
    K, n = A.shape
    if K == 0 or n == 0:
        return np.zeros((K, K))
    step = max(64, _GEMM_LIMIT // (K * K))
    B = A[:, :step]
    out = B @ B.T
    for c in range(step, n, step):
        B = A[:, c:c + step]
        out += B @ B.T
    return out


class _Block:
    """The choice sets that have ``J`` alternatives (J >= 2)."""

    __slots__ = ("J", "m", "n", "C", "yt", "w", "sets")

    def __init__(self, J, C, yt, w, sets):
        self.J, self.m, self.n = int(J), int(J) - 1, len(w)
        self.C = C        # (J-1, K, n): x_j - x_0 for j = 1..J-1
        self.yt = yt      # (J-1, n): chosen values of alternatives 1..J-1
        self.w = w        # (n,): number chosen in each set
        self.sets = sets  # None: the sets are 0..n-1 in order; else their set numbers


class _Scores:
    """Collects per-set score contributions during a sweep: their cross-product (robust
    covariance), their sums by respondent (cluster covariance) and, optionally, all of
    them."""

    def __init__(self, n_sets, K, run, keep=False):
        self.run = run                                  # respondent run of each set
        self.bhhh = np.zeros((K, K))
        self.by_resp = np.zeros((int(run[-1]) + 1 if len(run) else 0, K))
        self.all = np.zeros((n_sets, K)) if keep else None

    def add(self, blk, a, b, sc):
        """Scores ``sc`` (terms x sets) of the sets a..b-1 of ``blk``."""
        self.bhhh += _gram(sc)
        if blk.sets is None:
            ids = self.run[a:b]
            first = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
            self.by_resp[ids[first]] += np.add.reduceat(sc, first, axis=1).T
            if self.all is not None:
                self.all[a:b] = sc.T
        else:
            sets = blk.sets[a:b]
            np.add.at(self.by_resp, self.run[sets], sc.T)
            if self.all is not None:
                self.all[sets] = sc.T


class Evaluator:
    """Per-data constants (within-set differences, weights), reused at every evaluation."""

    def __init__(self, data):
        X, y, start = data.X, data.chosen, data.set_start
        S, K = data.n_sets, X.shape[1]
        sizes = np.diff(start)
        self.n_sets, self.K, self.n_rows = S, K, X.shape[0]
        self.sizes, self.starts = sizes, start[:-1]
        self.respondent = data.respondent
        self.blocks = []
        self.spread = np.zeros(K)  # largest within-set range of each column
        self._last = None          # (beta bytes, ll, grad, H) of the latest evaluation
        self._scores = None        # (beta bytes, _Scores)
        self._run = None
        if S and np.all(sizes == sizes[0]):
            J = int(sizes[0])
            Y = y.reshape(S, J)
            self.ysum = Y[:, 0].copy()
            for j in range(1, J):
                self.ysum += Y[:, j]
            if J >= 2:
                C = np.empty((J - 1, K, S))
                step = max(1, 4 * CHUNK_ROWS // J)
                diff = np.empty((min(step, S), K))
                for a in range(0, S, step):
                    b = min(a + step, S)
                    X3 = X[a * J:b * J].reshape(b - a, J, K)
                    for j in range(1, J):
                        d = np.subtract(X3[:, j, :], X3[:, 0, :], out=diff[:b - a])
                        C[j - 1, :, a:b] = d.T
                    self._widen_spread(C[:, :, a:b])
                yt = np.ascontiguousarray(Y[:, 1:].T)
                self.blocks.append(_Block(J, C, yt, self.ysum, None))
        else:
            self.ysum = np.add.reduceat(y, start[:-1]) if S else np.zeros(0)
            for J in np.unique(sizes):
                if J < 2:
                    continue
                sets = np.flatnonzero(sizes == J)
                first = start[sets]
                C = np.empty((J - 1, K, len(sets)))
                yt = np.empty((J - 1, len(sets)))
                for j in range(1, J):
                    yt[j - 1] = y[first + j]
                step = max(1, 4 * CHUNK_ROWS // J)
                for a in range(0, len(sets), step):
                    b = min(a + step, len(sets))
                    x0 = X[first[a:b]]
                    for j in range(1, J):
                        C[j - 1, :, a:b] = (X[first[a:b] + j] - x0).T
                    self._widen_spread(C[:, :, a:b])
                self.blocks.append(_Block(J, C, yt, self.ysum[sets], sets))
        self.unit_weights = all(np.all(blk.w == 1.0) for blk in self.blocks)

    def _widen_spread(self, C):
        hi = C.max(axis=0)
        lo = C.min(axis=0)
        np.maximum(hi, 0.0, out=hi)
        np.minimum(lo, 0.0, out=lo)
        hi -= lo
        np.maximum(self.spread, hi.max(axis=1), out=self.spread)

    # ------------------------------------------------------------------ probabilities

    def probabilities(self, beta):
        """(v, p, den): per row the utility minus its set's largest and the probability;
        per set the sum of ``exp(v)``."""
        beta = np.asarray(beta, dtype=float)
        v, p, den = np.zeros(self.n_rows), np.ones(self.n_rows), np.ones(self.n_sets)
        for blk in self.blocks:
            u = np.zeros((blk.n, blk.J))
            for k in range(blk.m):
                u[:, k + 1] = beta @ blk.C[k]
            u -= u.max(axis=1, keepdims=True)
            e = np.exp(u)
            d = e.sum(axis=1)
            sets = np.arange(blk.n) if blk.sets is None else blk.sets
            rows = self.starts[sets][:, None] + np.arange(blk.J)
            v[rows], p[rows], den[sets] = u, e / d[:, None], d
        return v, p, den

    # --------------------------------------------------------------------- the sweep

    def _sweep(self, beta, *, hessian=True, unit=False, scores=None):
        """Log-likelihood, gradient and information (minus the Hessian) at ``beta``.

        ``unit``: every set gets weight 1 (information at b = 0 for the identification
        check) instead of its number chosen. ``scores``: a :class:`_Scores` to fill."""
        K = self.K
        ll, grad = 0.0, np.zeros(K)
        info = np.zeros((K, K)) if hessian else None
        for blk in self.blocks:
            m, J = blk.m, blk.J
            step = max(1, min(CHUNK_ROWS // m, _GEMV_LIMIT // max(K, 1)))
            size = min(step, blk.n)
            wbuf = np.empty(K * m * size) if hessian else None
            tmp = np.empty(K * size) if (hessian and m > 1) or scores is not None else None
            for a in range(0, blk.n, step):
                b = min(a + step, blk.n)
                s = b - a
                C = blk.C[:, :, a:b]            # (m, K, s)
                yt = blk.yt[:, a:b]
                w = None if unit else blk.w[a:b]
                u = np.empty((J, s))
                u[0] = 0.0
                np.matmul(beta, C, out=u[1:])
                top = u.max(axis=0)
                p = u - top
                np.exp(p, out=p)
                den = p.sum(axis=0)
                lse = np.log(den)
                lse += top
                ll += float(np.vdot(yt, u[1:])) - float(lse.sum() if w is None else w @ lse)
                p /= den
                r = yt - (p[1:] if w is None else p[1:] * w)
                for k in range(m):
                    grad += C[k] @ r[k]
                if scores is not None:
                    sc = C[0] * r[0]                    # (K, s)
                    for k in range(1, m):
                        t = np.multiply(C[k], r[k], out=tmp[:K * s].reshape(K, s))
                        sc += t
                    scores.add(blk, a, b, sc)
                if not hessian:
                    continue
                # tail masses S_k = p_0 + sum_{i>=k} p_i, for k = m+1 (just p_0) down to 1
                tails = np.empty((J, s))
                tails[m] = p[0]
                for k in range(m, 0, -1):
                    np.add(tails[k], p[k], out=tails[k - 1])
                Sk, Snext = tails[:m], tails[1:]    # S_k and S_{k+1} for k = 1..m
                f = p[1:] * Snext
                f /= np.maximum(Sk, _TINY)
                if w is not None:
                    f *= w
                np.sqrt(f, out=f)
                W = wbuf[:K * m * s].reshape(K, m, s)
                np.multiply(C.transpose(1, 0, 2), f, out=W)
                if m > 1:
                    t = tmp[:K * s].reshape(K, s)
                    g = f[:-1] / np.maximum(Snext[:-1], _TINY)
                    acc = None
                    for k in range(m - 1, 0, -1):   # alternative k: row k-1 of C and W
                        if k == m - 1:              # t_k from the single term c_m
                            g[k - 1] *= p[m]
                            np.multiply(C[m - 1], g[k - 1], out=t)
                        else:
                            if acc is None:
                                acc = C[m - 1] * p[m]
                            acc += C[k] * p[k + 1]
                            np.multiply(acc, g[k - 1], out=t)
                        W[:, k - 1, :] -= t
                info += _gram(W.reshape(K, m * s))
        return ll, grad, info

    def evaluate(self, beta, hessian=True, scores=False):
        """(log-likelihood, gradient, Hessian or None) at ``beta``; with ``scores`` the
        per-set score statistics at ``beta`` are kept for :meth:`score_stats`."""
        beta = np.asarray(beta, dtype=float)
        key = beta.tobytes()
        last = self._last
        if last is not None and last[0] == key and (last[3] is not None or not hessian) and (
                not scores or (self._scores is not None and self._scores[0] == key)):
            return last[1], last[2].copy(), None if not hessian else last[3].copy()
        sink = _Scores(self.n_sets, self.K, self.run) if scores else None
        ll, grad, info = self._sweep(beta, hessian=hessian, scores=sink)
        H = None if info is None else -info
        self._last = (key, ll, grad, H)
        if scores:
            self._scores = (key, sink)
        return ll, grad.copy(), None if H is None else H.copy()

    @property
    def run(self):
        """Respondent run (0, 1, ...) of each set: sets of a respondent are consecutive."""
        if self._run is None:
            r = self.respondent
            self._run = np.cumsum(np.r_[True, r[1:] != r[:-1]]) - 1 if len(r) else r
        return self._run

    def score_stats(self, beta):
        """(sum over sets of score score', scores summed by respondent) at ``beta``."""
        beta = np.asarray(beta, dtype=float)
        key = beta.tobytes()
        if self._scores is None or self._scores[0] != key:
            sink = _Scores(self.n_sets, self.K, self.run)
            self._sweep(beta, hessian=False, scores=sink)
            self._scores = (key, sink)
        sink = self._scores[1]
        return sink.bhhh, sink.by_resp

    def set_scores(self, beta):
        """Score contribution of each choice set (sets x terms)."""
        sink = _Scores(self.n_sets, self.K, self.run, keep=True)
        self._sweep(np.asarray(beta, dtype=float), hessian=False, scores=sink)
        return sink.all

    def information0(self):
        """Information at b = 0 with every set weighted 1 (whatever was chosen)."""
        zero = np.zeros(self.K)
        if self.unit_weights:
            return -self.evaluate(zero)[2]
        return self._sweep(zero, unit=True)[2]


def loglik(beta, data) -> float:
    """Log-likelihood of the conditional logit at ``beta`` (formula: module docstring).

    Parameters
    ----------
    beta, data : array-like (K,), ChoiceData
        Coefficients in the order of ``data.terms``; the data, ``X`` (rows, K).

    Returns
    -------
    float
    """
    return Evaluator(data).evaluate(np.asarray(beta, float), hessian=False)[0]


def derivatives(beta, data):
    """(log-likelihood, gradient, Hessian ``-W'W``, negative semi-definite) at ``beta``.

    Parameters as :func:`loglik`.

    Returns
    -------
    tuple of float, ndarray (K,), ndarray (K, K)
    """
    return Evaluator(data).evaluate(np.asarray(beta, float))


def null_loglik(data) -> float:
    """Log-likelihood with equal probabilities within each set (all coefficients zero).

    Parameters
    ----------
    data : ChoiceData

    Returns
    -------
    float
        ``-sum over sets of (number chosen) log(set size)``; 0 without sets.
    """
    return _null_loglik(np.add.reduceat(data.chosen, data.set_start[:-1]), data.set_sizes)


def _null_loglik(ysum, sizes) -> float:
    # an elementwise product and a sum, not a (multi-threaded) BLAS dot of length sets
    return -float(np.sum(ysum * np.log(sizes))) if len(sizes) else 0.0


def within_set_spread(data) -> np.ndarray:
    """Largest within-set range of each column (0: the column never varies in a set).

    Parameters
    ----------
    data : ChoiceData

    Returns
    -------
    ndarray (K,)
        Over sets, the largest ``max - min`` of each column within a set (its units).
    """
    X, start, S = data.X, data.set_start, data.n_sets
    K = X.shape[1]
    spread = np.zeros(K)
    sizes = np.diff(start)
    J = int(sizes[0]) if S and np.all(sizes == sizes[0]) else 0
    step = 4 * CHUNK_ROWS                      # sets per step: bounded temporaries
    for a in range(0, S, step):
        b = min(a + step, S)
        rows = X[start[a]:start[b]]
        if J:                                  # equal set sizes: maxima across J rows
            X3 = rows.reshape(b - a, J, K)
            hi, lo = X3[:, 0, :].copy(), X3[:, 0, :].copy()
            for j in range(1, J):
                np.maximum(hi, X3[:, j, :], out=hi)
                np.minimum(lo, X3[:, j, :], out=lo)
        else:
            first = start[a:b] - start[a]
            hi = np.maximum.reduceat(rows, first, axis=0)
            lo = np.minimum.reduceat(rows, first, axis=0)
        hi -= lo
        np.maximum(spread, hi.max(axis=0), out=spread)
    return spread


def check_identified(data) -> None:
    """Raise EstimationError naming terms that the data cannot separate.

    Parameters
    ----------
    data : ChoiceData

    Raises
    ------
    dce.errors.EstimationError
        Key ``model``: terms that never vary within a set; else every set of confounded
        terms (:func:`dce.models.separation.collinear_sets` of the null eigenvectors, < 1e-10 x the largest, of
        the range-scaled information at b = 0).
    """
    _check_identified(Evaluator(data), data)


def _check_identified(ev, data) -> None:
    K = ev.K
    if K == 0:
        return
    spread = ev.spread
    dead = [data.terms[i] for i in np.flatnonzero(spread == 0)]
    if dead:
        raise EstimationError(f"terms {', '.join(dead)} never vary within a choice set, so "
                              "their effects cannot be estimated; remove them or change the "
                              "design", key="model")
    # information at b = 0 with columns on a common scale
    info = ev.information0() / np.outer(spread, spread)
    w, vecs = np.linalg.eigh(info)
    null = np.flatnonzero(w < 1e-10 * w.max())
    if null.size:
        sets = collinear_sets(vecs[:, null])
        text = "; ".join(f"terms {', '.join(data.terms[i] for i in g)} are collinear"
                         for g in sets)
        raise EstimationError(f"{text} (the design confounds them), so they cannot be "
                              "estimated separately; change the design or drop one term of "
                              f"each set", key="model")


def large_terms(beta, data, spread=None) -> list[str]:
    """Terms whose estimate moves utilities within a set by more than LARGE_COEFFICIENT:
    a sign of (quasi-)separation, whatever the scale of the column.

    Parameters
    ----------
    beta, data, spread : ndarray (K,), ChoiceData, ndarray (K,) or None
        Estimates; the data; its :func:`within_set_spread` (computed when None).

    Returns
    -------
    list of str
        Terms with ``|beta_k| * spread_k > LARGE_COEFFICIENT`` (25), in term order.
    """
    spread = within_set_spread(data) if spread is None else spread
    effect = np.abs(beta) * spread
    return [data.terms[i] for i in np.flatnonzero(effect > LARGE_COEFFICIENT)]


def fit(data, *, se: str = "cluster", group: str = "all", start=None, max_iter: int = 100,
        check: bool = True) -> FitResult:
    """Fit a conditional logit (McFadden 1974) by Newton's method with step halving.

    Parameters
    ----------
    data : ChoiceData
        ``X`` (rows, K); sets of one alternative carry no information and are dropped.
    se : {"cluster", "robust", "classic"}
        Kind stored as ``vcov``; ``vcovs`` holds all three (see :func:`covariances`).
    group, start, max_iter, check : str, array-like (K,) or None, int, bool
        Label of the result and warnings; warm start (default zeros); most Newton
        iterations; whether to run :func:`check_identified` first.

    Returns
    -------
    FitResult
        Non-convergence and signs of separation (:func:`large_terms`) warn (RuntimeWarning).

    Raises
    ------
    ValueError
        An unknown ``se``.
    dce.errors.EstimationError
        With ``check``: terms that :func:`check_identified` rejects."""
    check_vcov(se)
    ev = Evaluator(data)
    if check:
        _check_identified(ev, data)
    K = data.X.shape[1]
    beta = np.zeros(K) if start is None else np.array(start, dtype=float)
    beta, ll, g, H, converged, it = newton(ev, beta, max_iter, collect=True)
    notes = []
    if not converged:
        msg = (f"group {group}: Newton's method did not converge in {it} iterations "
               f"(gradient norm {np.abs(g).max():.2e})")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    big = large_terms(beta, data, ev.spread)
    if big:
        msg = (f"group {group}: very large estimates for {', '.join(big)}: the data may be "
               "(quasi-)separated, e.g. one level always chosen")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    vcovs = covariances(ev, beta, H, data)
    null = _null_loglik(ev.ysum, ev.sizes)
    return FitResult(
        terms=tuple(data.terms), params=beta, vcov=vcovs[se], se_type=se, loglik=ll,
        null_loglik=null, n_obs=data.n_rows, n_sets=data.n_sets,
        n_respondents=data.n_respondents, converged=converged, iterations=it,
        engine="native", group=group, vcovs=vcovs, gradient_norm=float(np.abs(g).max()),
        warnings=tuple(notes))


def covariances(ev, beta, H, data) -> dict:
    """Classic (inverse information), robust (sandwich over choice sets) and cluster
    (sandwich over respondents, times G/(G-1)) covariance matrices (White 1982; Cameron and
    Miller 2015; see :mod:`dce.models.covariance`).

    Parameters
    ----------
    ev, beta, H, data : Evaluator, ndarray (K,), ndarray (K, K), ChoiceData
        Evaluator (it reuses or computes the set scores at ``beta``), estimates, Hessian.

    Returns
    -------
    dict of str to ndarray (K, K)
    """
    bread, _ = bread_of(H)
    bhhh, by_resp = ev.score_stats(beta)
    return sandwich(bread, bhhh, by_resp)


def constants_loglik(data: ChoiceData) -> float:
    """Log-likelihood of the model with only the alternative-specific constants (the
    market-share model; the null log-likelihood when there are none). Used for
    rho-squared against constants (models.csv ``constants_log_likelihood``)."""
    cols = [i for i, t in enumerate(data.terms) if t.startswith("asc[")]
    if not cols:
        return null_loglik(data)
    sub = ChoiceData(data.X[:, cols], data.chosen, data.set_start, data.respondent,
                     data.respondent_ids, data.group, data.alternative,
                     tuple(data.terms[i] for i in cols))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(sub, se="classic", check=False).loglik
