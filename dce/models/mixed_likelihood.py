"""The simulated likelihood of a panel mixed logit: the data layout (:class:`PanelLayout`)
and the log-likelihood, gradient, per-respondent scores and Hessian (:class:`MixedLogit`).

The model, the parameters and the computation are described in :mod:`dce.models.mixed`
(panel mixed logit: Revelt and Train 1998; Train 2009, ch. 6 and 10).

References
----------
Revelt, D. and Train, K. (1998). Mixed logit with repeated choices: households' choices of
appliance efficiency level. Review of Economics and Statistics 80(4), 647-657.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dce.errors import ConfigError
from dce.models.draws import DRAW_TYPES, standard_draws

DISTRIBUTIONS = ("normal", "lognormal", "triangular")
CHUNK_ELEMENTS = 1 << 18      # rows x draws per chunk (about 2 MB per work array)


# ----- data layout ---------------------------------------------------------------------------
class PanelLayout:
    """ChoiceData as dense ``(respondents, tasks x alternatives, terms)`` arrays.

    Two forms, chosen automatically:

    * differenced (every choice set has exactly one chosen alternative, ``chosen`` 0/1):
      the rows are the non-chosen alternatives, ``x_j - x_chosen``, so that
      ``P_chosen = 1 / (1 + sum_j exp(v_j))`` -- one exponential fewer per choice set;
    * general (any non-negative ``chosen`` weights): all alternatives, centred within each
      set, ``log P = sum_j y_j v_j - ysum log sum_j exp(v_j)``.

    In both, ``1 + sum`` or the centring keeps every denominator >= 1 (no underflow).
    Padding rows (absent alternatives, empty tasks) hold zeros and ``mask`` (None when
    nothing is padded) switches them off.

    Parameters
    ----------
    data : ChoiceData
        ``respondent`` (sets,) non-decreasing codes 0..N-1; ``X`` (rows, K).
    differenced : bool, optional
        Force (True) or forbid (False) the differenced form; None: differenced exactly when
        every set has one chosen alternative (``chosen`` 0/1). Forcing it on other data is
        not checked.

    Attributes
    ----------
    N, K, T, J, M : int
        Respondents, terms, most tasks of a respondent, rows per task (alternatives, minus
        one when differenced), rows per respondent ``M = T J``.
    X : ndarray (N, M, K)
        The rows (and ``XT`` (N, K, M), the same transposed and contiguous).
    ysum : ndarray (N, T)
        Number chosen in each task (0 for padding).
    y, xy : ndarray (N, M) and (N, K), or None
        General form only: ``chosen`` per row and ``sum_m y_m x_m`` per respondent.
    mask : ndarray (N, M) or None
        1 on real rows, 0 on padding.
    differenced : bool
    base : float
        1.0 (the chosen alternative's ``exp(0)`` in the denominator) or 0.0.

    Raises
    ------
    ValueError
        ``respondent`` is not non-decreasing.
    """

    def __init__(self, data, differenced=None):
        resp = np.asarray(data.respondent)
        if resp.size and np.any(np.diff(resp) < 0):
            raise ValueError("ChoiceData.respondent must be non-decreasing")
        S, K = data.n_sets, data.X.shape[1]
        N = data.n_respondents
        sizes = data.set_sizes
        starts = data.set_start[:-1]
        y = np.asarray(data.chosen, dtype=float)
        ysum_set = np.add.reduceat(y, starts) if S else np.zeros(0)
        if differenced is None:
            differenced = bool(np.all((y == 0) | (y == 1)) and np.all(ysum_set == 1))
        self.differenced = differenced
        tasks = np.bincount(resp, minlength=N)
        first_set = np.r_[0, np.cumsum(tasks)[:-1]]
        self.N, self.K = N, K
        self.T = int(tasks.max()) if S else 1
        set_of_row = data.set_index
        t_of_set = np.arange(S) - first_set[resp]
        j_of_row = np.arange(data.n_rows) - starts[set_of_row]
        if differenced:
            chosen_row = np.flatnonzero(y == 1)            # one per set, in set order
            keep = y == 0
            Xr = (data.X - data.X[chosen_row][set_of_row])[keep]
            j_of_row = (j_of_row - (j_of_row > (chosen_row - starts)[set_of_row]))[keep]
            set_of_row = set_of_row[keep]
            self.J = max(int(sizes.max()) - 1, 1) if S else 1
            self.base = 1.0
        else:
            Xr = data.X - (np.add.reduceat(data.X, starts, axis=0) / sizes[:, None])[set_of_row]
            self.J = int(sizes.max()) if S else 1
            self.base = 0.0
        self.M = self.T * self.J
        J = self.J
        flat = (resp[set_of_row] * self.T + t_of_set[set_of_row]) * J + j_of_row
        X = np.zeros((N * self.M, K))
        X[flat] = Xr
        self.X = X.reshape(N, self.M, K)
        self.XT = np.ascontiguousarray(self.X.transpose(0, 2, 1))
        ysum = np.zeros(N * self.T)
        ysum[resp * self.T + t_of_set] = ysum_set
        self.ysum = ysum.reshape(N, self.T)
        if differenced:
            self.xy = self.y = None
        else:
            yy = np.zeros(N * self.M)
            yy[flat] = y
            self.y = yy.reshape(N, self.M)
            self.xy = np.einsum("nm,nmk->nk", self.y, self.X)
        mask = np.zeros(N * self.M)
        mask[flat] = 1.0
        if mask.all():
            self.mask = None
        else:
            mask = mask.reshape(N, self.T, J)
            if not differenced:
                # an empty task: one alternative of utility 0, so its denominator is 1
                empty = ~np.any(mask > 0, axis=2)
                mask[..., 0][empty] = 1.0
            self.mask = mask.reshape(N, self.M)


# ----- the model -----------------------------------------------------------------------------
class MixedLogit:
    """Simulated log-likelihood, gradient and per-respondent scores of a panel mixed logit.

    Parameters
    ----------
    data : ChoiceData
    random : mapping term -> "normal" | "lognormal" | "triangular"
    correlated : full covariance (Cholesky factor) of the random terms
    draws, draw_type, seed_seq : simulation draws, see :mod:`dce.models.draws`
    chunk_elements : rows x draws processed at once (memory bound)
    threads : worker threads over chunks (default 1: on a shared 2-core machine a second
        thread gained nothing for a whole fit; worth trying on larger idle machines, and keep
        1 when groups are already fitted in parallel processes)
    differenced : force (True) or forbid (False) the differenced layout; default: automatic

    Attributes
    ----------
    terms, names : tuple of str
        The K model terms; the P parameter names (means, then ``sd[...]``/``chol[...]``).
    kinds : list of str (K,)
        ``"fixed"`` or the distribution of each term.
    K, R, P, D : int
        Terms, random terms, parameters, draws per respondent.
    rand : ndarray of int (R,)
        Positions of the random terms.
    Z : ndarray (N, R, D)
        Standard draws (:func:`dce.models.draws.standard_draws`), fixed for the fit.
    layout : PanelLayout
        The data.

    Raises
    ------
    dce.errors.ConfigError
        No random term, an unknown term or distribution, correlated triangular terms, an
        unknown ``draw_type`` or fewer than 1 draw.
    ValueError
        ``seed_seq`` missing, or respondents out of order (:class:`PanelLayout`).
    """

    def __init__(self, data, random, *, correlated=False, draws=500, draw_type="sobol",
                 seed_seq=None, chunk_elements=CHUNK_ELEMENTS, threads=None, differenced=None,
                 terms=None, extra_dims=0, extra_names=()):
        self.terms = tuple(data.terms if terms is None else terms)
        self.kinds = _validate_random(self.terms, random, correlated, need=not extra_dims)
        if draw_type not in DRAW_TYPES:
            raise ConfigError(f"draw_type must be one of {', '.join(DRAW_TYPES)}, got "
                              f"{draw_type!r}", key="model.draw_type")
        if int(draws) < 1:
            raise ConfigError(f"draws must be a positive integer, got {draws!r}",
                              key="model.draws")
        if seed_seq is None:
            raise ValueError("seed_seq (numpy.random.SeedSequence) is required")
        self.correlated = bool(correlated)
        self.D = int(draws)
        self.draw_type = draw_type
        self.layout = PanelLayout(data, differenced)
        K = self.layout.K
        self.K = K
        self.rand = np.array([k for k in range(K) if self.kinds[k] != "fixed"], dtype=int)
        self.R = len(self.rand)
        rkinds = [self.kinds[k] for k in self.rand]
        self.log_pos = np.array([i for i, kd in enumerate(rkinds) if kd == "lognormal"], int)
        self.log_terms = self.rand[self.log_pos]
        dims = rkinds + ["normal"] * int(extra_dims)
        Z = (standard_draws(self.layout.N, self.D, dims, draw_type, seed_seq) if dims
             else np.zeros((self.layout.N, 0, self.D)))
        self.Z = np.ascontiguousarray(Z[:, :self.R])
        self.Zx = np.ascontiguousarray(Z[:, self.R:])     # extra draws (scale): subclasses
        rnames = [self.terms[k] for k in self.rand]
        if self.correlated:
            self.tril = np.tril_indices(self.R)
            extra = [f"chol[{rnames[a]},{rnames[b]}]" for a, b in zip(*self.tril, strict=True)]
        else:
            extra = [f"sd[{t}]" for t in rnames]
        self.n_mix = self.K + len(extra)                   # means and spreads
        self.names = self.terms + tuple(extra) + tuple(extra_names)
        self.P = len(self.names)
        per = max(1, int(chunk_elements) // max(1, self.layout.M * self.D))
        N = self.layout.N
        self.chunks = [slice(a, min(a + per, N)) for a in range(0, N, per)]
        self.threads = max(1, min(int(threads or 1), len(self.chunks)))
        self._cache = (None, None)

    # -- parameters -----------------------------------------------------------------------
    def cholesky(self, theta) -> np.ndarray:
        """The R x R lower-triangular factor (correlated) or diagonal of spreads.

        Parameters
        ----------
        theta : array-like (P,)
            Parameters: K means, then the spreads or the lower triangle row by row.

        Returns
        -------
        ndarray (R, R)
        """
        theta = np.asarray(theta, float)
        if self.correlated:
            L = np.zeros((self.R, self.R))
            L[self.tril] = theta[self.K:self.n_mix]
            return L
        return np.diag(theta[self.K:self.n_mix])

    def coefficients(self, theta, Z) -> np.ndarray:
        """Coefficient draws ``(n, K, D)`` for standard draws ``Z`` ``(n, R, D)``.

        Fixed terms take their mean; a random term ``mu + (L Z)`` (``mu + s Z`` when
        uncorrelated), exponentiated for lognormal terms.

        Parameters
        ----------
        theta : ndarray (P,)
            Parameters.
        Z : ndarray (n, R, D)
            Standard draws of ``n`` respondents.

        Returns
        -------
        ndarray (n, K, D)
        """
        mu = theta[:self.K]
        n = Z.shape[0]
        B = np.empty((n, self.K, Z.shape[2]))
        B[:] = mu[None, :, None]
        if self.correlated:
            C = np.matmul(self.cholesky(theta), Z)
        else:
            C = theta[self.K:self.n_mix][None, :, None] * Z
        C += mu[self.rand][None, :, None]
        if self.log_pos.size:
            C[:, self.log_pos] = np.exp(C[:, self.log_pos])
        B[:, self.rand] = C
        return B

    def start_means(self, beta, notes, group) -> np.ndarray:
        """Means of the mixing coefficients from conditional-logit estimates ``beta`` (K,):
        here ``beta`` itself (WTP space divides by the price coefficient); ``notes`` (list)
        and ``group`` (str) take any remark on the way.

        Returns
        -------
        ndarray (K,)
        """
        return np.asarray(beta, float)

    def start_extra(self, theta) -> np.ndarray:
        """A starting vector of means and spreads (``n_mix``,) completed to (P,) (here
        unchanged; G-MNL appends ``tau`` and ``logit[gamma]``)."""
        return theta

    # -- evaluation -----------------------------------------------------------------------
    def _chunk(self, theta, sl, gradient):
        # extreme trial parameters (line searches) may overflow: the caller sees a
        # non-finite log-likelihood and backs off, so floating-point warnings are noise
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._chunk_body(theta, sl, gradient)

    def _chunk_body(self, theta, sl, gradient):
        Z = self.Z[sl]
        A = self.coefficients(theta, Z)
        B = self.to_beta(theta, A, sl)
        ll, G = panel_loglik(self.layout, sl, B, gradient)
        if not gradient:
            return ll, None
        scores = np.zeros((B.shape[0], self.P))
        G = self.from_beta(theta, G, A, B, sl, scores)
        self.mixing_scores(theta, Z, A, G, scores)
        return ll, scores

    # -- hooks of the models built on this one (dce.models.mixed_scale) ----------------------
    def to_beta(self, theta, A, sl):
        """Utility coefficients ``(n, K, D)`` from the mixing coefficients ``A`` (n, K, D)
        of respondents ``sl`` at ``theta`` (P,): here ``A`` itself; WTP space and scale
        heterogeneity transform it."""
        return A

    def from_beta(self, theta, G, A, B, sl, scores):
        """Chain rule from ``G = d log L / d B`` (posterior-weighted, ``(n, K, D)``) to
        ``d log L / d A``; a model with parameters beyond the means and spreads writes their
        scores into ``scores[:, n_mix:]`` (and may add direct terms to the means afterwards).

        Parameters
        ----------
        theta : ndarray (P,)
        G, A, B : ndarray (n, K, D)
        sl : slice
        scores : ndarray (n, P)
            Zeros; the caller adds the means' and spreads' scores after this returns.

        Returns
        -------
        ndarray (n, K, D)
        """
        return G

    def mixing_scores(self, theta, Z, A, G, scores):
        """Scores of the means (added to ``scores[:, :K]``) and spreads
        (``scores[:, K:n_mix]``) from ``G = d log L / d A`` (posterior-weighted,
        ``(n, K, D)``); ``G`` is changed.

        Parameters
        ----------
        theta : ndarray (P,)
        Z : ndarray (n, R, D)
        A, G : ndarray (n, K, D)
        scores : ndarray (n, P)
        """
        if self.log_terms.size:
            G[:, self.log_terms] *= A[:, self.log_terms]
        scores[:, :self.K] += G.sum(axis=2)
        Gr = G[:, self.rand]
        if self.correlated:
            S = np.matmul(Gr, Z.transpose(0, 2, 1))        # (n, R, R): d / d L[a, b]
            scores[:, self.K:self.n_mix] = S[:, self.tril[0], self.tril[1]]
        else:
            scores[:, self.K:self.n_mix] = np.einsum("nrd,nrd->nr", Gr, Z)


    def evaluate(self, theta, gradient=True):
        """Per-respondent log-likelihoods ``(N,)`` and, with ``gradient``, scores ``(N, P)``.

        ``log P_n = log(1/D sum_d prod_t P_nt(beta_nd))``; the scores use the posterior
        weights of the draws (module docstring of :mod:`dce.models.mixed`). The last result
        is cached.

        Parameters
        ----------
        theta : array-like (P,)
            Parameters.
        gradient : bool
            Also compute the scores.

        Returns
        -------
        ll : ndarray (N,)
        scores : ndarray (N, P) or None

        Raises
        ------
        ValueError
            ``theta`` is not of shape (P,).
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.P,):
            raise ValueError(f"expected {self.P} parameters, got shape {theta.shape}")
        cached_theta, cached = self._cache
        if cached_theta is not None and np.array_equal(cached_theta, theta) and (
                cached[1] is not None or not gradient):
            return cached
        if self.threads > 1:
            with ThreadPoolExecutor(self.threads) as pool:
                parts = list(pool.map(lambda s: self._chunk(theta, s, gradient), self.chunks))
        else:
            parts = [self._chunk(theta, s, gradient) for s in self.chunks]
        ll = np.concatenate([p[0] for p in parts])
        scores = np.concatenate([p[1] for p in parts]) if gradient else None
        self._cache = (theta.copy(), (ll, scores))
        return ll, scores

    def loglik(self, theta) -> float:
        """Simulated log-likelihood at ``theta``, ``sum_n log P_n``.

        Parameters
        ----------
        theta : array-like (P,)

        Returns
        -------
        float
        """
        return float(self.evaluate(theta, gradient=False)[0].sum())

    def loglik_and_gradient(self, theta):
        """Simulated log-likelihood and its analytic gradient (scores summed over respondents).

        Parameters
        ----------
        theta : array-like (P,)

        Returns
        -------
        tuple of float and ndarray (P,)
        """
        ll, scores = self.evaluate(theta)
        return float(ll.sum()), scores.sum(axis=0)

    def gradient(self, theta) -> np.ndarray:
        """Analytic gradient of the simulated log-likelihood, ndarray (P,).

        The second result of :meth:`loglik_and_gradient`, with ``theta`` as there.
        """
        return self.loglik_and_gradient(theta)[1]

    def hessian(self, theta, central=False) -> np.ndarray:
        """Numerical Hessian of the log-likelihood: differences of the analytic gradient.

        Step ``h_i = 1e-5 max(1, |theta_i|)``; P gradient evaluations (forward) or 2P
        (central); the result is symmetrised.

        Parameters
        ----------
        theta : array-like (P,)
        central : bool
            Central instead of forward differences.

        Returns
        -------
        ndarray (P, P)
        """
        theta = np.asarray(theta, float)
        g0 = None if central else self.gradient(theta)
        H = np.empty((self.P, self.P))
        for i in range(self.P):
            h = 1e-5 * max(1.0, abs(theta[i]))
            up = theta.copy()
            up[i] += h
            if central:
                down = theta.copy()
                down[i] -= h
                H[:, i] = (self.gradient(up) - self.gradient(down)) / (2 * h)
            else:
                H[:, i] = (self.gradient(up) - g0) / h
        return (H + H.T) / 2

    # -- sign convention --------------------------------------------------------------------
    def sign_flips(self, theta) -> np.ndarray:
        """+-1 per parameter that makes every sd (every diagonal of L) non-negative.

        Flipping a column of ``L`` (or a spread) leaves the distribution of the coefficients
        unchanged (the simulated likelihood only up to the asymmetry of the draws).

        Parameters
        ----------
        theta : array-like (P,)

        Returns
        -------
        ndarray (P,)
            1 for the means; -1 for the spreads, or the entries of columns of ``L``, whose
            sign (diagonal) is negative.
        """
        flips = np.ones(self.P)
        if self.correlated:
            L = self.cholesky(theta)
            neg = np.flatnonzero(np.diag(L) < 0)
            if neg.size:
                Fl = np.ones((self.R, self.R))
                Fl[:, neg] = -1.0
                flips[self.K:self.n_mix] = Fl[self.tril]
        else:
            flips[self.K:self.n_mix] = np.where(theta[self.K:self.n_mix] < 0, -1.0, 1.0)
        return flips


def panel_loglik(lay, sl, B, gradient):
    """Simulated panel log-likelihood of respondents ``sl`` for utility coefficients ``B``.

    ``log P_n = log(1/D sum_d prod_t P_nt(B_nd))`` (Revelt and Train 1998), with the
    layouts of :class:`PanelLayout`; overflow falls back to subtracting the set maxima.

    Parameters
    ----------
    lay : PanelLayout
    sl : slice
        Respondents.
    B : ndarray (n, K, D)
        Coefficient draws of those respondents.
    gradient : bool
        Also return the derivatives.

    Returns
    -------
    ll : ndarray (n,)
    G : ndarray (n, K, D) or None
        ``w_nd d log L_nd / d B_nd`` with the posterior draw weights
        ``w_nd = L_nd / sum_d L_nd``; summed over ``d`` it is the score of the means.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _panel_loglik(lay, sl, B, gradient)


def _panel_loglik(lay, sl, B, gradient):
    X = lay.X[sl]
    n, T, J, D = X.shape[0], lay.T, lay.J, B.shape[2]
    V = np.matmul(X, B)                               # (n, M, D) utilities
    mask = None if lay.mask is None else lay.mask[sl].reshape(n, T, J, 1)
    e4 = np.exp(V).reshape(n, T, J, D)
    if mask is not None:
        e4 *= mask
    den = e4.sum(axis=2)                              # (n, T, D)
    if lay.base:
        den += lay.base
    shift = None
    if not np.isfinite(den).all():                   # overflow: subtract the set maxima
        V4 = V.reshape(n, T, J, D)
        Vm = V4 if mask is None else np.where(mask > 0, V4, -np.inf)
        shift = Vm.max(axis=2)
        if lay.base:
            np.maximum(shift, 0.0, out=shift)
        e4 = np.exp(V4 - shift[:, :, None, :])
        if mask is not None:
            e4 *= mask
        den = e4.sum(axis=2)
        if lay.base:
            den += lay.base * np.exp(-shift)
    logden = np.log(den)
    ysum = lay.ysum[sl]
    logL = -np.matmul(ysum[:, None, :], logden)[:, 0, :]          # (n, D)
    if shift is not None:
        if lay.xy is None:
            logL -= np.matmul(ysum[:, None, :], shift)[:, 0, :]
        else:  # sum_j y_j (v_j - shift): no cancellation of huge utilities
            yv = lay.y[sl].reshape(n, T, J, 1) * (V.reshape(n, T, J, D) - shift[:, :, None])
            logL += yv.sum(axis=(1, 2))
    elif lay.xy is not None:
        logL += np.matmul(lay.xy[sl][:, None, :], B)[:, 0, :]
    del V
    top = logL.max(axis=1)
    w = np.exp(logL - top[:, None])
    wsum = w.sum(axis=1)
    ll = top + np.log(wsum / D)
    if not gradient:
        return ll, None
    w /= wsum[:, None]
    np.divide(ysum[:, :, None], den, out=den)         # ysum / den
    e4 *= den[:, :, None, :]                          # ysum * p
    G = np.matmul(lay.XT[sl], e4.reshape(n, lay.M, D))
    if lay.xy is not None:                            # d log L_nd / d beta
        np.subtract(lay.xy[sl][:, :, None], G, out=G)
    else:
        np.negative(G, out=G)
    G *= w[:, None, :]                                # posterior weights
    return ll, G


def _validate_random(terms, random, correlated, need=True) -> list:
    random = dict(random or {})
    if not random and need:
        raise ConfigError("a mixed logit needs at least one random term (model.random)",
                          key="model.random")
    kinds = ["fixed"] * len(terms)
    index = {t: i for i, t in enumerate(terms)}
    for term, dist in random.items():
        if term not in index:
            raise ConfigError(f"{term!r} is not a model term (terms: {', '.join(terms)})",
                              key=f"model.random.{term}")
        d = str(dist).strip().lower()
        if d not in DISTRIBUTIONS:
            raise ConfigError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got "
                              f"{dist!r}", key=f"model.random.{term}")
        kinds[index[term]] = d
    if correlated and "triangular" in kinds:
        bad = [t for t, k in zip(terms, kinds, strict=True) if k == "triangular"]
        raise ConfigError(f"correlated random terms must be normal or lognormal; "
                          f"{', '.join(bad)} are triangular", key="model.correlated")
    return kinds
