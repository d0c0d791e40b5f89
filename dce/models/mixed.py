"""Panel mixed logit (random coefficients) by maximum simulated likelihood.

The panel form of Revelt and Train (1998); Train (2009), ch. 6 (mixed logit), ch. 9 (draws)
and ch. 10 (maximum simulated likelihood).

Model
-----
Respondent ``n`` has coefficients ``beta_n``; for a term without a distribution in
``random`` it is the fixed mean ``mu_k``, for a random term (with standard draw ``z``)

* ``normal``:     ``beta = mu + s z``,            z ~ N(0, 1)
* ``lognormal``:  ``beta = exp(mu + s z)``,       z ~ N(0, 1) (always positive: to model a
  negative effect, e.g. of a price, enter minus the attribute; a lognormal term whose
  conditional-logit estimate is negative with z below -1.96 stops the fit with an
  EstimationError instead of being driven to 0). The reported parameters of a
  lognormal term are ``mu`` and ``s`` (the mean and standard deviation of ``log beta``), not the
  mean of ``beta``; the mean is ``exp(mu + s^2/2)`` and the standard deviation
  ``mean * sqrt(exp(s^2) - 1)`` (see :func:`dce.models.mixed_post.population_moments`).
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

Willingness-to-pay space (``space="wtp"``, Train and Weeks 2005) and scale heterogeneity
(``scale_heterogeneity``: G-MNL, GMNL-II and S-MNL of Fiebig et al. 2010) transform these
coefficients before the same likelihood: :mod:`dce.models.mixed_scale`.

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
matrix as Hessian). Starting values come from the conditional logit (:func:`starting_values`):
means at its estimates with spreads 0.1 and 0.5 |beta|, and means 1.5 beta with spread
1.5 |beta|; every candidate is screened by its simulated log-likelihood (one evaluation
each) and the best ``n_starts`` (default 1) are optimised, keeping the best optimum.
Convergence: BFGS's gradient test (max |gradient| of the mean log-likelihood per respondent
<= 1e-6) or, when BFGS stops on precision loss, a Newton decrement ``g' (-H)^-1 g`` below
1e-5; either way the Hessian must be negative definite.

Memory: the standard draws are kept, ``respondents x random terms x draws`` doubles (360 x 6 x
500: 8.6 MB); work arrays per chunk are bounded by ``chunk_elements``.

Standard errors
---------------
* ``classic``: inverse of minus the Hessian, by forward differences of the analytic gradient;
* ``robust``: sandwich ``H^-1 (sum_n s_n s_n') H^-1`` with per-respondent scores ``s_n``
  (the panel unit: a respondent's likelihood does not split into choice sets);
* ``cluster``: the same times ``G/(G-1)`` (G respondents) -- the default;
* ``bhhh`` (in ``vcovs`` only): inverse of the outer product of the scores.

References
----------
Berndt, E. K., Hall, B. H., Hall, R. E. and Hausman, J. A. (1974). Estimation and inference
in nonlinear structural models. Annals of Economic and Social Measurement 3(4), 653-665.
Cameron, A. C. and Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. Journal of Human Resources 50(2), 317-372.
Revelt, D. and Train, K. (1998). Mixed logit with repeated choices: households' choices of
appliance efficiency level. Review of Economics and Statistics 80(4), 647-657.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press; ch. 6, 8, 9 and 10.
White, H. (1982). Maximum likelihood estimation of misspecified models. Econometrica
50(1), 1-25.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize

from dce.errors import EstimationError
from dce.models import clogit
from dce.models.covariance import bread_of, check_vcov, panel_covariances
from dce.models.mixed_likelihood import CHUNK_ELEMENTS, DISTRIBUTIONS, MixedLogit, PanelLayout
from dce.models.mixed_scale import make_model
from dce.models.results import FitResult

__all__ = ["CHUNK_ELEMENTS", "DISTRIBUTIONS", "MixedFitResult", "MixedLogit", "PanelLayout",
           "fit", "stability", "starting_values"]

OPTIMIZERS = ("bfgs", "trust-bhhh")
GTOL = 1e-6                   # BFGS: max |gradient| of the mean log-likelihood per respondent
DECREMENT_TOL = 1e-5          # converged if g' (-H)^-1 g (log-likelihood units) is below this
Z_WRONG_SIGN = 1.96          # a lognormal term whose logit estimate has z below minus this: stop


@dataclass(frozen=True)
class MixedFitResult(FitResult):
    """A FitResult with the simulation settings of a mixed logit.

    ``terms`` (P,) are the means of the K model terms, then ``sd[...]`` or ``chol[...]``
    (see the module docstring); ``params`` (P,), ``vcov`` (P, P).

    Attributes
    ----------
    distributions : tuple of (str, str)
        ``((term, distribution), ...)`` of the random terms, in term order.
    correlated : bool
        Whether the Cholesky factor of the random terms' covariance was estimated.
    n_draws : int
        Draws per respondent.
    draw_type : str
        ``"sobol"`` or ``"halton"``.
    seed_seq : numpy.random.SeedSequence
        Seed of the draws (the same seed gives the same draws).
    start_logliks : tuple of float
        Simulated log-likelihood of each screened starting value.
    n_means : int
        Number of mean parameters ``K`` (the first K of ``params``).
    space : str
        ``"preference"`` or ``"wtp"`` (:mod:`dce.models.mixed_scale`: the means are WTPs and
        the price term's slot is ``lambda``).
    price : str or None
        The price term of a WTP-space model.
    scale_heterogeneity : str
        ``"none"``, ``"smnl"``, ``"gmnl"`` or ``"gmnl2"`` (:mod:`dce.models.mixed_scale`:
        ``tau`` and ``logit[gamma]`` follow the spreads).
    """

    distributions: tuple = ()
    correlated: bool = False
    n_draws: int = 0
    draw_type: str = "sobol"
    seed_seq: object = field(default=None, repr=False, compare=False)
    start_logliks: tuple = ()
    n_means: int = 0
    space: str = "preference"
    price: str | None = None
    scale_heterogeneity: str = "none"

    @property
    def random(self) -> dict:
        """The random terms as ``{term: distribution}`` (the ``random`` argument of fit)."""
        return dict(self.distributions)


# ----- fitting -------------------------------------------------------------------------------
def starting_values(model: MixedLogit, beta) -> list[np.ndarray]:
    """Candidate starting vectors from conditional-logit estimates ``beta``.

    Three candidates: means ``beta`` with spread 0.1, means ``beta`` with spread
    ``0.5 |beta|`` and means ``1.5 beta`` with spread ``1.5 |beta|`` (spreads at least
    1e-3; a triangular spread is multiplied by sqrt(6), so its standard deviation is the
    one named). A lognormal term gets log-sd 0.1, 0.5 or 0.8 and the log-mean that puts the
    mean of the coefficient at ``max(b, 0.01 |b|, 1e-6)``, ``b`` the (scaled) estimate.
    With ``correlated`` the Cholesky factor is diagonal.

    Parameters
    ----------
    model : MixedLogit
        The model (terms, random terms, kinds, ``correlated``).
    beta : array-like (K,)
        Conditional-logit estimates, in term order.

    Returns
    -------
    list of ndarray (P,)
        The three candidate parameter vectors, means then sd/chol.
    """
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


def _starts(model, data, group, start, n_starts, notes) -> tuple[list, list]:
    """(starting vectors to optimise, simulated log-likelihood of each screened one): the
    given ``start``, else the best ``n_starts`` candidates around the conditional logit.
    Notes on the way are appended to ``notes``."""
    if start is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            base = clogit.fit(data, se="classic", group=group)
        notes += [f"starting values (conditional logit): {w.message}" for w in caught]
        means = model.start_means(base.params, notes, group)
        wrong = []
        for k in model.log_terms:
            b, se = float(base.params[k]), float(base.bse[k])
            if means[k] <= 0 and b < 0 and se > 0 and b / se < -Z_WRONG_SIGN:
                wrong.append(f"{model.terms[k]} (estimate {b:.4g}, z = {b / se:.1f})")
            elif means[k] <= 0:
                notes.append(f"group {group}: {model.terms[k]} is lognormal (positive) but its "
                             f"conditional-logit estimate is {means[k]:.4g}; the mixed logit "
                             "may push its coefficient towards 0")
        if wrong:
            raise EstimationError(
                "a lognormal coefficient is positive for every respondent, "
                f"but the conditional logit finds a clearly negative effect of "
                f"{', '.join(wrong)}; the fit would drive the coefficient to 0. Use normal "
                "or triangular for it, or give the attribute as its negative (levels and "
                "data values times -1, e.g. waiting time as -weeks)", key="random")
        candidates = [model.start_extra(c) for c in starting_values(model, means)]
        start_ll = [model.loglik(c) for c in candidates]
        order = [i for i in np.argsort([-v if np.isfinite(v) else np.inf for v in start_ll])]
        return [candidates[i] for i in order[:max(1, int(n_starts))]], start_ll
    start = np.asarray(start, dtype=float)
    if start.shape != (model.P,):
        raise ValueError(f"start must have {model.P} values ({', '.join(model.names)})")
    return [start], [model.loglik(start)]


def _flip_signs(model, theta, nit, ok, Hinv, optimizer, max_iter):
    """Report spreads non-negative: flip their signs and polish under the stored draws;
    (theta, iterations, success)."""
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
    return theta, nit, ok


def fit(data, *, random: dict, correlated: bool = False, draws: int = 500,
        draw_type: str = "sobol", seed_seq: np.random.SeedSequence, se: str = "cluster",
        group: str = "all", start=None, optimizer: str = "bfgs", n_starts: int = 1,
        max_iter: int = 1000, threads: int | None = None, covariance: bool = True,
        chunk_elements: int = CHUNK_ELEMENTS, space: str = "preference",
        price: str | None = None, scale_heterogeneity: str = "none") -> MixedFitResult:
    """Fit a panel mixed logit by maximum simulated likelihood (Revelt and Train 1998).

    Parameters
    ----------
    data, random : ChoiceData, dict
        Sets contiguous per respondent; ``{term: "normal" | "lognormal" | "triangular"}``.
    correlated, draws, draw_type, seed_seq : bool, int, {"sobol", "halton"}, SeedSequence
        Estimate the Cholesky factor of the random terms' covariance; draws per respondent,
        their sequence and its seed (:mod:`dce.models.draws`; same seed, same draws).
    se, group, start : {"cluster", "robust", "classic"}, str, array-like (P,) or None
        Kind stored as ``vcov`` (by respondent); group label; a full starting vector
        (means, then sd/chol) that skips the screening of starting values.
    optimizer, n_starts, max_iter : {"bfgs", "trust-bhhh"}, int, int
        Optimiser; screened starts optimised (best optimum kept); iteration limit.
    threads, chunk_elements, covariance : int or None, int, bool
        See :class:`MixedLogit`; ``covariance=False`` skips the Hessian (vcov NaN).
    space, price, scale_heterogeneity : str, str or None, str
        WTP space (``space="wtp"`` with the ``price`` term; Train and Weeks 2005) or scale
        heterogeneity (``"smnl"``, ``"gmnl"``, ``"gmnl2"``; Fiebig et al. 2010): see
        :mod:`dce.models.mixed_scale`.

    Returns
    -------
    MixedFitResult
        ``params`` (P,), ``vcov`` (P, P); ``model="mixed_logit"``, ``engine="native"``.

    Raises
    ------
    ValueError
        Unknown ``se``/``optimizer``, ``start`` not (P,), unsorted respondents; ConfigError
        (a ValueError) for ``random``/``draws``; EstimationError from the start fit.
    """
    check_vcov(se)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
    model = make_model(data, random, space=space, price=price,
                       scale_heterogeneity=scale_heterogeneity, correlated=correlated,
                       draws=draws, draw_type=draw_type, seed_seq=seed_seq, threads=threads,
                       chunk_elements=chunk_elements)
    notes = []
    chosen, start_ll = _starts(model, data, group, start, n_starts, notes)

    best = None
    for x0 in chosen:
        theta, nit, ok, Hinv = _optimise(model, x0, optimizer, max_iter)
        ll = model.loglik(theta)
        if best is None or ll > best[0]:
            best = (ll, theta, nit, ok, Hinv)
    ll, theta, nit, ok, Hinv = best

    theta, nit, ok = _flip_signs(model, theta, nit, ok, Hinv, optimizer, max_iter)
    ll, scores = model.evaluate(theta)
    ll = float(ll.sum())
    grad = scores.sum(axis=0)
    vcovs, converged = _vcovs(model, theta, scores, ok, covariance, group, notes)
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
        start_logliks=tuple(float(v) for v in start_ll), n_means=model.K,
        space=space, price=price if space == "wtp" else None,
        scale_heterogeneity=scale_heterogeneity)


def _vcovs(model, theta, scores, ok, covariance, group, notes):
    """(vcovs, converged) at the estimates; notes on an indefinite Hessian or, in G-MNL, a
    ``tau`` near 0 (where ``gamma`` is not identified) are appended to ``notes``."""
    P = model.P
    if getattr(model, "variant", None) == "gmnl" and abs(theta[model.n_mix]) < 0.05:
        notes.append(f"group {group}: tau is {abs(theta[model.n_mix]):.3g}, near 0 (little "
                     "scale heterogeneity), where gamma is not identified; consider "
                     "scale_heterogeneity: none or gmnl2")
    elif getattr(model, "variant", None) == "gmnl" and abs(theta[model.n_mix + 1]) > 10:
        g = "0" if theta[model.n_mix + 1] < 0 else "1"
        notes.append(f"group {group}: logit[gamma] is {theta[model.n_mix + 1]:.3g}, so gamma is "
                     f"at its bound {g}; the standard error and p-value of logit[gamma] mean "
                     "nothing there" + ("; gmnl2 is the model with gamma = 0" if g == "0"
                                        else ""))
    if not covariance:
        nan = np.full((P, P), np.nan)
        return {k: nan for k in ("classic", "robust", "cluster", "bhhh")}, ok
    vcovs, decrement, definite = _covariances(model.hessian(theta), scores,
                                              scores.sum(axis=0))
    if not definite:
        notes.append(f"group {group}: the Hessian is not negative definite at the "
                     "estimates (a saddle point or an unidentified spread); standard "
                     "errors use a pseudo-inverse")
    return vcovs, definite and (ok or decrement < DECREMENT_TOL)


def _covariances(H, scores, grad):
    """(vcovs, Newton decrement, whether -H is positive definite)."""
    bread, definite = bread_of(H)
    decrement = float(grad @ bread @ grad)
    vcovs = panel_covariances(bread, scores)
    meat = scores.T @ scores
    try:
        bhhh = linalg.inv(meat)
    except linalg.LinAlgError:
        bhhh = np.linalg.pinv(meat)
    vcovs["bhhh"] = (bhhh + bhhh.T) / 2
    return vcovs, decrement, definite


def stability(data, result: MixedFitResult, *, factor: int = 2, seed_seq=None,
              threads: int | None = None) -> dict:
    """Refit with ``factor`` times the draws (warm start at ``result``) and report the change.

    A check of simulation error (Train 2009, ch. 10): estimates that move by a sizeable
    fraction of their standard errors need more draws. The refit skips the covariance.

    Parameters
    ----------
    data : ChoiceData
        The data ``result`` was fitted to.
    result : MixedFitResult
        The fit to check.
    factor : int
        Multiplier of ``result.n_draws``.
    seed_seq : numpy.random.SeedSequence, optional
        Seed of the refit's draws; default ``result.seed_seq``.
    threads : int, optional
        Worker threads of the refit (see :class:`MixedLogit`).

    Returns
    -------
    dict
        Plain values: ``draws`` (of the refit), ``loglik`` (refit), ``loglik_change`` (refit
        minus original), ``max_coef_change`` (largest absolute change of any parameter),
        ``max_coef_change_term``, ``max_change_in_se`` (largest change in units of the
        original standard errors, NaN without them) and ``converged`` (of the refit).

    Raises
    ------
    TypeError
        ``result`` is not the MixedFitResult of :func:`fit`.
    """
    if not isinstance(result, MixedFitResult):
        raise TypeError("stability needs the MixedFitResult of mixed.fit")
    draws = int(factor) * result.n_draws
    refit = fit(data, random=result.random, correlated=result.correlated, draws=draws,
                draw_type=result.draw_type,
                seed_seq=result.seed_seq if seed_seq is None else seed_seq,
                se=result.se_type, group=result.group, start=result.params, threads=threads,
                covariance=False, space=result.space, price=result.price,
                scale_heterogeneity=result.scale_heterogeneity)
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
