"""Panel mixed logit (random coefficients) by maximum simulated likelihood.

Model
-----
Respondent ``n`` has coefficients ``beta_n``; for a term without a distribution in
``random`` it is the fixed mean ``mu_k``, for a random term (with standard draw ``z``)

* ``normal``:     ``beta = mu + s z``,            z ~ N(0, 1)
* ``lognormal``:  ``beta = exp(mu + s z)``,       z ~ N(0, 1) (always positive: to model a
  negative effect, e.g. of a price, enter minus the attribute). The reported parameters of a
  lognormal term are ``mu`` and ``s`` (the mean and standard deviation of ``log beta``), not the
  mean of ``beta``; the mean is ``exp(mu + s^2/2)`` and the standard deviation
  ``mean * sqrt(exp(s^2) - 1)`` (see :func:`population_moments`).
* ``triangular``: ``beta = mu + s t``,            t symmetric triangular on [-1, 1], so ``s``
  is the spread (half-width) and the standard deviation is ``s / sqrt(6)``.

With ``correlated=True`` the standard normal draws of the random terms are combined through a
lower-triangular Cholesky factor ``L`` of their covariance: ``c = mu_r + L z`` (lognormal terms
then take ``exp(c)``); triangular terms cannot be correlated.

The panel likelihood of respondent ``n`` is the average over ``D`` draws of the product of
their choice probabilities over all their tasks, ``P_n = 1/D sum_d prod_t P_nt(beta_nd)``;
the simulated log-likelihood is ``sum_n log P_n``. Draws: :mod:`dce.models.draws`
(scrambled Sobol or Halton sequences from ``scipy.stats.qmc``, one block of ``D`` points per
respondent).

Parameters and names
--------------------
The parameter vector holds the means ``mu`` of all terms in ``ChoiceData.terms`` order (fixed
terms: the coefficient itself; lognormal: the mean of the log), followed by

* ``sd[<term>]`` for each random term, in ``ChoiceData.terms`` order (normal: standard
  deviation; lognormal: standard deviation of the log; triangular: spread), or
* with ``correlated=True``, the lower triangle of ``L`` row by row:
  ``chol[a,a], chol[b,a], chol[b,b], chol[c,a], ...`` (``chol[b,a]`` is ``L[b, a]``).

Standard deviations are reported non-negative (and the diagonal of ``L`` positive): the
likelihood is (up to the tiny asymmetry of quasi-random draws) unchanged by a sign flip, so the
estimate is flipped after convergence and the optimiser polishes it under the stored draws.

Computation
-----------
The data are laid out as ``(respondents, tasks, alternatives)`` (padding unequal panels with
empty tasks and absent alternatives, which contribute nothing). With one chosen alternative per
set (the usual case) the rows hold ``x_j - x_chosen`` for the other alternatives, so that
``P = 1 / (1 + sum_j exp(v_j))``: one exponential fewer per set and a denominator >= 1 (no
underflow); other ``chosen`` weights use all alternatives centred within each set (see
:class:`PanelLayout`). Overflow falls back to subtracting the set maxima. Respondents are
processed in chunks (bounded memory; optionally on threads: numpy releases the GIL) and every
step is vectorised over draws and rows: utilities of a chunk are one batched matrix product
``X_n B_n`` (rows x terms times terms x draws). The analytic gradient uses the posterior draw
weights ``w_nd = L_nd / sum_d L_nd``: the score of respondent ``n`` is
``sum_d w_nd (d log L_nd / d theta)``.

Optimisation: BFGS (``scipy.optimize.minimize``, analytic gradient) started with the inverse
BHHH matrix as its inverse Hessian, or ``optimizer="trust-bhhh"`` (trust-region with the BHHH
matrix as Hessian). Starting values come from the conditional logit: means at its estimates
and several spreads (0.1, 0.5 |beta|, and 1.5 beta with spread |beta|); every candidate is
screened by its simulated log-likelihood (one evaluation each) and the best ``n_starts``
(default 1) are optimised, keeping the best optimum. Convergence: BFGS's gradient test
(max |gradient| of the mean log-likelihood per respondent <= 1e-6) or, when BFGS stops on
precision loss, a Newton decrement ``g' (-H)^-1 g`` below 1e-5; either way the Hessian must be
negative definite.

Memory: the standard draws are kept, ``respondents x random terms x draws`` doubles (360 x 6 x
500: 8.6 MB); work arrays per chunk are bounded by ``chunk_elements``.

Standard errors
---------------
* ``classic``: inverse of minus the Hessian, by forward differences of the analytic gradient;
* ``robust``: sandwich ``H^-1 (sum_n s_n s_n') H^-1`` with per-respondent scores ``s_n``
  (the panel unit: a respondent's likelihood does not split into choice sets);
* ``cluster``: the same times ``G/(G-1)`` (G respondents) -- the default;
* ``bhhh`` (in ``vcovs`` only): inverse of the outer product of the scores.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from dce.errors import ConfigError
from dce.models import clogit
from dce.models.draws import DRAW_TYPES, standard_draws
from dce.models.results import FitResult

DISTRIBUTIONS = ("normal", "lognormal", "triangular")
SE_TYPES = ("cluster", "robust", "classic")
OPTIMIZERS = ("bfgs", "trust-bhhh")
CHUNK_ELEMENTS = 1 << 18      # rows x draws per chunk (about 2 MB per work array)
GTOL = 1e-6                   # BFGS: max |gradient| of the mean log-likelihood per respondent
DECREMENT_TOL = 1e-5          # converged if g' (-H)^-1 g (log-likelihood units) is below this


@dataclass(frozen=True)
class MixedFitResult(FitResult):
    """A FitResult with the simulation settings of a mixed logit.

    ``distributions``: ``((term, distribution), ...)`` of the random terms in term order;
    ``start_logliks``: simulated log-likelihood of each screened starting value.
    """

    distributions: tuple = ()
    correlated: bool = False
    n_draws: int = 0
    draw_type: str = "sobol"
    seed_seq: object = field(default=None, repr=False, compare=False)
    start_logliks: tuple = ()
    n_means: int = 0

    @property
    def random(self) -> dict:
        return dict(self.distributions)


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
    """

    def __init__(self, data, random, *, correlated=False, draws=500, draw_type="sobol",
                 seed_seq=None, chunk_elements=CHUNK_ELEMENTS, threads=None, differenced=None):
        self.terms = tuple(data.terms)
        self.kinds = _validate_random(self.terms, random, correlated)
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
        self.Z = standard_draws(self.layout.N, self.D, rkinds, draw_type, seed_seq)
        rnames = [self.terms[k] for k in self.rand]
        if self.correlated:
            self.tril = np.tril_indices(self.R)
            extra = [f"chol[{rnames[a]},{rnames[b]}]" for a, b in zip(*self.tril, strict=True)]
        else:
            extra = [f"sd[{t}]" for t in rnames]
        self.names = self.terms + tuple(extra)
        self.P = len(self.names)
        per = max(1, int(chunk_elements) // max(1, self.layout.M * self.D))
        N = self.layout.N
        self.chunks = [slice(a, min(a + per, N)) for a in range(0, N, per)]
        self.threads = max(1, min(int(threads or 1), len(self.chunks)))
        self._cache = (None, None)

    # -- parameters -----------------------------------------------------------------------
    def cholesky(self, theta) -> np.ndarray:
        """The R x R lower-triangular factor (correlated) or diagonal of spreads."""
        theta = np.asarray(theta, float)
        if self.correlated:
            L = np.zeros((self.R, self.R))
            L[self.tril] = theta[self.K:]
            return L
        return np.diag(theta[self.K:])

    def coefficients(self, theta, Z) -> np.ndarray:
        """Coefficient draws ``(n, K, D)`` for standard draws ``Z`` ``(n, R, D)``."""
        mu = theta[:self.K]
        n = Z.shape[0]
        B = np.empty((n, self.K, Z.shape[2]))
        B[:] = mu[None, :, None]
        if self.correlated:
            C = np.matmul(self.cholesky(theta), Z)
        else:
            C = theta[self.K:][None, :, None] * Z
        C += mu[self.rand][None, :, None]
        if self.log_pos.size:
            C[:, self.log_pos] = np.exp(C[:, self.log_pos])
        B[:, self.rand] = C
        return B

    # -- evaluation -----------------------------------------------------------------------
    def _chunk(self, theta, sl, gradient):
        # extreme trial parameters (line searches) may overflow: the caller sees a
        # non-finite log-likelihood and backs off, so floating-point warnings are noise
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._chunk_body(theta, sl, gradient)

    def _chunk_body(self, theta, sl, gradient):
        lay = self.layout
        X = lay.X[sl]
        n, T, J, D = X.shape[0], lay.T, lay.J, self.D
        Z = self.Z[sl]
        B = self.coefficients(theta, Z)
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
        if self.log_terms.size:
            G[:, self.log_terms] *= B[:, self.log_terms]
        scores = np.empty((n, self.P))
        scores[:, :self.K] = G.sum(axis=2)
        Gr = G[:, self.rand]
        if self.correlated:
            S = np.matmul(Gr, Z.transpose(0, 2, 1))        # (n, R, R): d / d L[a, b]
            scores[:, self.K:] = S[:, self.tril[0], self.tril[1]]
        else:
            scores[:, self.K:] = np.einsum("nrd,nrd->nr", Gr, Z)
        return ll, scores

    def evaluate(self, theta, gradient=True):
        """Per-respondent log-likelihoods ``(N,)`` and, with ``gradient``, scores ``(N, P)``."""
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
        """Simulated log-likelihood at ``theta``."""
        return float(self.evaluate(theta, gradient=False)[0].sum())

    def loglik_and_gradient(self, theta):
        ll, scores = self.evaluate(theta)
        return float(ll.sum()), scores.sum(axis=0)

    def gradient(self, theta) -> np.ndarray:
        return self.loglik_and_gradient(theta)[1]

    def hessian(self, theta, central=False) -> np.ndarray:
        """Numerical Hessian of the log-likelihood: differences of the analytic gradient."""
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
        """+-1 per parameter that makes every sd (every diagonal of L) non-negative."""
        flips = np.ones(self.P)
        if self.correlated:
            L = self.cholesky(theta)
            neg = np.flatnonzero(np.diag(L) < 0)
            if neg.size:
                Fl = np.ones((self.R, self.R))
                Fl[:, neg] = -1.0
                flips[self.K:] = Fl[self.tril]
        else:
            flips[self.K:] = np.where(theta[self.K:] < 0, -1.0, 1.0)
        return flips


def _validate_random(terms, random, correlated) -> list:
    random = dict(random or {})
    if not random:
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


# ----- fitting -------------------------------------------------------------------------------
def starting_values(model: MixedLogit, beta) -> list[np.ndarray]:
    """Candidate starting vectors from conditional-logit estimates ``beta``."""
    beta = np.asarray(beta, float)
    out = []
    for scale, spread in ((1.0, "0.1"), (1.0, "0.5"), (1.5, "1")):
        mu = beta * scale
        sd = np.empty(model.R)
        for i, k in enumerate(model.rand):
            b = mu[k]
            kind = model.kinds[k]
            if kind == "lognormal":
                s = {"0.1": 0.1, "0.5": 0.5, "1": 0.8}[spread]
                pos = max(b, 0.01 * abs(b), 1e-6)
                mu[k] = np.log(pos) - s * s / 2
            else:
                s = 0.1 if spread == "0.1" else max(float(spread) * abs(b), 1e-3)
                if kind == "triangular":
                    s *= np.sqrt(6.0)
            sd[i] = s
        if model.correlated:
            L = np.diag(sd)
            theta = np.r_[mu, L[model.tril]]
        else:
            theta = np.r_[mu, sd]
        out.append(theta)
    return out


def _optimise(model, x0, optimizer, max_iter, hess_inv0=None):
    """Maximise the simulated log-likelihood from x0; returns (theta, nit, success, Hinv)."""
    N = model.layout.N

    def objective(x):
        ll, g = model.loglik_and_gradient(x)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(x)
        return -ll / N, -g / N

    if optimizer == "trust-bhhh":
        def bhhh(x):
            _, s = model.evaluate(x)
            return s.T @ s / N + 1e-10 * np.eye(model.P)

        res = optimize.minimize(objective, x0, jac=True, hess=bhhh, method="trust-exact",
                                options={"gtol": GTOL, "maxiter": max_iter})
        return res.x, int(res.nit), bool(res.success), None
    if hess_inv0 is None:
        _, s = model.evaluate(x0)
        hess_inv0 = _inverse_bhhh(s, N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(objective, x0, jac=True, method="BFGS",
                                options={"gtol": GTOL, "maxiter": max_iter,
                                         "hess_inv0": hess_inv0})
    return res.x, int(res.nit), bool(res.success), res.hess_inv


def _inverse_bhhh(scores, N):
    B = scores.T @ scores / N
    B += 1e-8 * np.trace(B) / len(B) * np.eye(len(B))
    try:
        Hinv = linalg.inv(B)
    except linalg.LinAlgError:
        Hinv = np.linalg.pinv(B)
    return _positive_definite(Hinv)


def _positive_definite(A):
    """Symmetric A with eigenvalues clipped to at least 1e-8 x the largest."""
    A = (A + A.T) / 2
    w, v = np.linalg.eigh(A)
    floor = 1e-8 * max(w.max(), 1e-8)
    if w.min() <= floor:
        A = (v * np.clip(w, floor, None)) @ v.T
        A = (A + A.T) / 2
    return A


def fit(data, *, random: dict, correlated: bool = False, draws: int = 500,
        draw_type: str = "sobol", seed_seq: np.random.SeedSequence, se: str = "cluster",
        group: str = "all", start=None, optimizer: str = "bfgs", n_starts: int = 1,
        max_iter: int = 1000, threads: int | None = None, covariance: bool = True,
        chunk_elements: int = CHUNK_ELEMENTS) -> MixedFitResult:
    """Fit a panel mixed logit by maximum simulated likelihood.

    Parameters
    ----------
    data : ChoiceData (sets contiguous per respondent)
    random : {term: "normal" | "lognormal" | "triangular"}; unlisted terms stay fixed
    correlated : estimate the Cholesky factor of the random terms' covariance
    draws, draw_type, seed_seq : draws per respondent, "sobol" or "halton", and the seed
        (see :mod:`dce.models.draws`; the same seed_seq gives the same draws)
    se : "cluster" (by respondent, G/(G-1)), "robust" (by respondent) or "classic"
    start : optional full starting vector (means, then sd/chol); skips the screening
    optimizer : "bfgs" (default) or "trust-bhhh"
    n_starts : how many of the screened starting values to optimise (best optimum kept)
    covariance : compute standard errors (False: vcov is NaN, used by :func:`stability`)

    Returns
    -------
    MixedFitResult (a FitResult; ``model="mixed_logit"``, ``engine="native"``).
    """
    if se not in SE_TYPES:
        raise ConfigError(f"se must be one of {', '.join(SE_TYPES)}, got {se!r}", key="model.se")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
    model = MixedLogit(data, random, correlated=correlated, draws=draws, draw_type=draw_type,
                       seed_seq=seed_seq, threads=threads, chunk_elements=chunk_elements)
    notes = []
    if start is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            base = clogit.fit(data, se="classic", group=group)
        notes += [f"starting values (conditional logit): {w.message}" for w in caught]
        for k in model.log_terms:
            if base.params[k] <= 0:
                notes.append(f"group {group}: {model.terms[k]} is lognormal (positive) but its "
                             f"conditional-logit estimate is {base.params[k]:.4g}; to model a "
                             "negative effect enter minus the attribute")
        candidates = starting_values(model, base.params)
        start_ll = [model.loglik(c) for c in candidates]
        order = [i for i in np.argsort([-v if np.isfinite(v) else np.inf for v in start_ll])]
        chosen = [candidates[i] for i in order[:max(1, int(n_starts))]]
    else:
        start = np.asarray(start, dtype=float)
        if start.shape != (model.P,):
            raise ValueError(f"start must have {model.P} values ({', '.join(model.names)})")
        chosen, start_ll = [start], [model.loglik(start)]

    best = None
    for x0 in chosen:
        theta, nit, ok, Hinv = _optimise(model, x0, optimizer, max_iter)
        ll = model.loglik(theta)
        if best is None or ll > best[0]:
            best = (ll, theta, nit, ok, Hinv)
    ll, theta, nit, ok, Hinv = best

    flips = model.sign_flips(theta)
    if np.any(flips < 0):
        theta = theta * flips
        if optimizer == "bfgs" and Hinv is not None:
            theta, extra, ok, _ = _optimise(model, theta, optimizer, max(50, max_iter // 10),
                                            hess_inv0=_positive_definite(
                                                Hinv * np.outer(flips, flips)))
        else:
            theta, extra, ok, _ = _optimise(model, theta, optimizer, max(50, max_iter // 10))
        nit += extra
        theta = theta * model.sign_flips(theta)
    ll, scores = model.evaluate(theta)
    ll = float(ll.sum())
    grad = scores.sum(axis=0)
    P = model.P
    if covariance:
        H = model.hessian(theta)
        vcovs, decrement, definite = _covariances(H, scores, grad)
        converged = definite and (ok or decrement < DECREMENT_TOL)
        if not definite:
            notes.append(f"group {group}: the Hessian is not negative definite at the "
                         "estimates (a saddle point or an unidentified spread); standard "
                         "errors use a pseudo-inverse")
    else:
        nan = np.full((P, P), np.nan)
        vcovs = {k: nan for k in ("classic", "robust", "cluster", "bhhh")}
        converged = ok
    if not converged:
        notes.append(f"group {group}: mixed logit did not converge in {nit} iterations "
                     f"(gradient norm {np.abs(grad).max():.2e})")
    for msg in notes:
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return MixedFitResult(
        terms=model.names, params=theta, vcov=vcovs[se], se_type=se, loglik=ll,
        null_loglik=clogit.null_loglik(data), n_obs=data.n_rows, n_sets=data.n_sets,
        n_respondents=data.n_respondents, converged=bool(converged), iterations=int(nit),
        engine="native", model="mixed_logit", group=group, vcovs=vcovs,
        gradient_norm=float(np.abs(grad).max()), warnings=tuple(notes),
        distributions=tuple((model.terms[k], model.kinds[k]) for k in model.rand),
        correlated=model.correlated, n_draws=model.D, draw_type=draw_type, seed_seq=seed_seq,
        start_logliks=tuple(float(v) for v in start_ll), n_means=model.K)


def _covariances(H, scores, grad):
    """(vcovs, Newton decrement, whether -H is positive definite)."""
    A = -H
    definite = True
    try:
        cho = linalg.cho_factor(A)
        bread = linalg.cho_solve(cho, np.eye(len(A)))
    except linalg.LinAlgError:
        definite = False
        bread = np.linalg.pinv(A)
    bread = (bread + bread.T) / 2
    decrement = float(grad @ bread @ grad)
    meat = scores.T @ scores
    robust = bread @ meat @ bread
    robust = (robust + robust.T) / 2
    G = scores.shape[0]
    factor = G / (G - 1) if G > 1 else 1.0
    try:
        bhhh = linalg.inv(meat)
    except linalg.LinAlgError:
        bhhh = np.linalg.pinv(meat)
    return ({"classic": bread, "robust": robust, "cluster": factor * robust,
             "bhhh": (bhhh + bhhh.T) / 2}, decrement, definite)


def stability(data, result: MixedFitResult, *, factor: int = 2, seed_seq=None,
              threads: int | None = None) -> dict:
    """Refit with ``factor`` times the draws (warm start at ``result``) and report the change.

    Returns a dict of plain values: ``draws`` (of the refit), ``loglik`` (refit),
    ``loglik_change`` (refit minus original), ``max_coef_change`` (largest absolute change of
    any parameter), ``max_coef_change_term``, ``max_change_in_se`` (largest change in units of
    the original standard errors, NaN without them) and ``converged`` (of the refit).
    """
    if not isinstance(result, MixedFitResult):
        raise TypeError("stability needs the MixedFitResult of mixed.fit")
    draws = int(factor) * result.n_draws
    refit = fit(data, random=result.random, correlated=result.correlated, draws=draws,
                draw_type=result.draw_type,
                seed_seq=result.seed_seq if seed_seq is None else seed_seq,
                se=result.se_type, group=result.group, start=result.params, threads=threads,
                covariance=False)
    change = refit.params - result.params
    i = int(np.argmax(np.abs(change)))
    se = result.bse
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(change) / se
    return {"draws": draws, "loglik": refit.loglik,
            "loglik_change": refit.loglik - result.loglik,
            "max_coef_change": float(np.abs(change).max()),
            "max_coef_change_term": result.terms[i],
            "max_change_in_se": float(np.nanmax(rel)) if np.isfinite(rel).any() else float("nan"),
            "converged": refit.converged}


# ----- population distribution: draws and moments ---------------------------------------
def spec_of(result):
    """(number of mean terms, mean terms, index of the random terms, their distributions)."""
    if not isinstance(result, MixedFitResult):
        raise TypeError("needs the MixedFitResult of mixed.fit")
    K = result.n_means
    terms = result.terms[:K]
    index = {t: i for i, t in enumerate(terms)}
    rand = np.array([index[t] for t, _ in result.distributions], dtype=int)
    kinds = [d for _, d in result.distributions]
    return K, terms, rand, kinds


def population_draws(result, n, rng) -> np.ndarray:
    """Standard draws ``(n, R)`` for the random terms (pseudo-random, from ``rng``)."""
    _, _, rand, kinds = spec_of(result)
    z = rng.standard_normal((n, len(rand)))
    for i, kd in enumerate(kinds):
        if kd == "triangular":
            z[:, i] = rng.triangular(-1.0, 0.0, 1.0, n)
    return z


def individual_coefficients(result, z, params=None) -> np.ndarray:
    """Coefficients of simulated individuals: ``(n, K)`` for standard draws ``z`` ``(n, R)``,
    or ``(B, n, K)`` when ``params`` holds B parameter vectors (rows)."""
    K, _, rand, kinds = spec_of(result)
    theta = np.atleast_2d(result.params if params is None else params)
    R = len(rand)
    mu = theta[:, :K]
    if result.correlated:
        L = np.zeros((theta.shape[0], R, R))
        tri = np.tril_indices(R)
        L[:, tri[0], tri[1]] = theta[:, K:]
        C = np.einsum("bij,nj->bni", L, z)
    else:
        C = theta[:, None, K:] * z[None, :, :]
    C += mu[:, None, rand]
    logs = [i for i, kd in enumerate(kinds) if kd == "lognormal"]
    if logs:
        C[..., logs] = np.exp(C[..., logs])
    B = np.repeat(mu[:, None, :], z.shape[0], axis=1)
    B[..., rand] = C
    return B[0] if params is None or np.ndim(params) == 1 else B


def population_moments(result, level: float = 0.95) -> pd.DataFrame:
    """Mean and standard deviation of each random coefficient in the population, with
    delta-method standard errors (numerical Jacobian): normal ``mu, |s|``; lognormal
    ``exp(mu + s^2/2)`` and ``mean sqrt(exp(s^2) - 1)`` (with correlation, ``s^2`` is the
    row's variance); triangular ``mu, |s|/sqrt(6)``."""
    K, terms, rand, kinds = spec_of(result)

    def moments(theta):
        R = len(rand)
        if result.correlated:
            L = np.zeros((R, R))
            L[np.tril_indices(R)] = theta[K:]
            var = (L * L).sum(axis=1)
        else:
            var = theta[K:] ** 2
        mu = theta[rand]
        out = []
        for i, kd in enumerate(kinds):
            if kd == "lognormal":
                m = np.exp(mu[i] + var[i] / 2)
                out += [m, m * np.sqrt(np.expm1(var[i]))]
            elif kd == "triangular":
                out += [mu[i], np.sqrt(var[i] / 6)]
            else:
                out += [mu[i], np.sqrt(var[i])]
        return np.array(out)

    theta = np.asarray(result.params, float)
    m0 = moments(theta)
    P = len(theta)
    Jac = np.empty((len(m0), P))
    for j in range(P):
        h = 1e-6 * max(1.0, abs(theta[j]))
        e = np.zeros(P)
        e[j] = h
        Jac[:, j] = (moments(theta + e) - moments(theta - e)) / (2 * h)
    se = np.sqrt(np.clip(np.einsum("ik,kl,il->i", Jac, result.vcov, Jac), 0, None))
    q = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for i, kd in enumerate(kinds):
        t = terms[rand[i]]
        for j, stat in enumerate(("mean", "sd")):
            v, s = m0[2 * i + j], se[2 * i + j]
            rows.append({"group": result.group, "term": t, "distribution": kd,
                         "statistic": stat, "estimate": v, "std_error": s,
                         "ci_lower": v - q * s, "ci_upper": v + q * s})
    return pd.DataFrame(rows)
