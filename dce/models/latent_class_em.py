"""Estimation steps of the latent class logit: starting values, EM and the Newton polish.

One start
---------
1. **Starting values.** The respondents are split at random (a child SeedSequence per start)
   into the ``C S`` segments; three Newton steps of each class's conditional logit on its
   part, from the pooled conditional-logit estimates, give the class coefficients (the
   posterior-weighted M-step of step 2 with 0/1 weights, as lclogit's random assignment;
   Pacifico and Yoo 2013); shares start equal and scale class ``s`` at ``0.5^(s-1)``.
2. **EM** (Dempster, Laird and Rubin 1977; for latent class logit Bhat 1997, Train 2008,
   Pacifico and Yoo 2013). The E-step computes the posterior ``h_ng`` of every segment for
   every respondent; the M-step maximises ``Q = sum_n sum_g h_ng (log P(g | n) + log L_ng)``:
   the class coefficients by a Newton step on the posterior-weighted conditional logits of
   all classes at once (their Hessians are those of :mod:`dce.models.latent_class_likelihood`;
   a ridge keeps the step ascending when the scale parameters make ``Q`` locally
   non-concave), the constant shares in closed form (``mean_n h_nc``) and the membership
   logit by a Newton step. The step is halved until ``Q`` does not fall, so the
   log-likelihood never falls (a generalised EM). EM stops when an iteration gains less
   than ``EM_TOL`` per respondent or after ``em_iterations``.
3. **Polish**: Newton's method with a trust region (scipy ``trust-exact``) on the full
   analytic gradient and Hessian of the log-likelihood, to a gradient of the mean
   log-likelihood per respondent below ``GTOL``.

A start is recorded with its log-likelihood and a status (``converged``, ``not converged``,
``diverged: ...``, ``empty class``); a failed start is reported, never dropped.

References
----------
Bhat, C. R. (1997). An endogenous segmentation mode choice model with an application to
intercity travel. Transportation Science 31(1), 34-48.
Dempster, A. P., Laird, N. M. and Rubin, D. B. (1977). Maximum likelihood from incomplete
data via the EM algorithm. Journal of the Royal Statistical Society B 39(1), 1-38.
Pacifico, D. and Yoo, H. I. (2013). lclogit: A Stata command for fitting latent-class
conditional logit models via the expectation-maximization algorithm. Stata Journal 13(3),
625-639.
Train, K. E. (2008). EM algorithms for nonparametric estimation of mixing distributions.
Journal of Choice Modelling 1(1), 40-69.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, optimize

EM_TOL = 1e-2          # EM stops when an iteration gains less than this per respondent
GTOL = 1e-8            # polish: gradient norm of the mean log-likelihood per respondent
LARGE_UTILITY = 40.0   # |b_k| x within-set range beyond this: a start diverged
EMPTY_SHARE = 0.5
DECREMENT_TOL = 1e-6   # a start is at a maximum when g'(-H)^-1 g is below this      # a class with fewer than this many respondents' worth has emptied


def start_values(model, base, base_se, seq, method="partition") -> np.ndarray:
    """Random starting vector (P,) (module docstring, step 1).

    Parameters
    ----------
    model : Mixture
    base, base_se : ndarray (K,)
        Pooled conditional-logit estimates and their standard errors.
    seq : numpy.random.SeedSequence
        The start's seed.
    method : {"partition", "perturb"}
        Random partition of the respondents into segments followed by three Newton steps
        of the class coefficients on the partition from ``base`` (scales held at
        ``0.5^(s-1)``); or ``base`` plus normal noise (half of ``max(|b|, 2 se)``).

    Returns
    -------
    ndarray (P,)
    """
    rng = np.random.default_rng(seq)
    lam = 0.5 ** np.arange(model.S)
    gamma = np.zeros((model.C, model.M))
    if method == "perturb":
        spread = np.maximum(np.abs(base), 2 * np.nan_to_num(base_se, nan=0.1))
        spread = np.where(spread > 0, spread, 0.1)
        beta = base + 0.5 * rng.standard_normal((model.C, model.K)) * spread
        return model.pack(beta, lam, gamma, np.zeros(model.S))
    beta = np.tile(np.asarray(base, float), (model.C, 1))
    theta = model.pack(beta, lam, gamma, np.zeros(model.S))
    weights = np.zeros((model.N, model.G))
    weights[np.arange(model.N), rng.integers(model.G, size=model.N)] = 1.0
    taste = slice(0, model.i_tau)              # the class coefficients; scales stay apart
    logprior = model.logprior(theta)
    for _ in range(3):
        sw = model.sets.weighted(model.coefficients(theta), logprior, weights=weights)
        Hq = model.taste_hessian(theta, sw["score"], sw["info"])[taste, taste]
        theta[taste] += _ascent_step(Hq, model.taste_gradient(theta, sw["score"])[taste])
    return theta


def _membership_step(model, theta, h):
    """New (gamma, delta) part of theta from posteriors ``h`` (N, G): shares in closed form,
    the membership logit by one Newton step (its objective is concave)."""
    C, S, M = model.C, model.S, model.M
    hc = np.zeros((model.N, C))
    np.add.at(hc.T, model.cls, h.T)
    hs = h.reshape(model.N, C, S).sum(axis=1)
    out = theta.copy()
    if C > 1:
        if M == 1:
            share = np.maximum(hc.mean(axis=0), 1e-300)
            out[model.i_gamma:model.i_delta] = np.log(share[1:] / share[0]) / model.Z[0, 0]
        else:
            pi, _ = model.class_probabilities(theta)
            grad = ((hc[:, 1:] - pi[:, 1:])[:, :, None] * model.Z[:, None, :]).sum(axis=0)
            Hm = model.membership_hessian(theta)[model.i_gamma:model.i_delta,
                                                 model.i_gamma:model.i_delta]
            out[model.i_gamma:model.i_delta] += _ascent_step(Hm, grad.ravel())
    if S > 1:
        share = np.maximum(hs.mean(axis=0), 1e-300)
        out[model.i_delta:] = np.log(share[1:] / share[0])
    return out


def _ascent_step(H, g):
    """Newton step ``(-H)^-1 g`` of a concave objective; a ridge when ``-H`` is not positive
    definite (or singular)."""
    A = -H
    ridge = 0.0
    scale = max(float(np.abs(np.diag(A)).max()) if len(A) else 1.0, 1e-12)
    for _ in range(30):
        try:
            cho = linalg.cho_factor(A + ridge * np.eye(len(A)))
            return linalg.cho_solve(cho, g)
        except linalg.LinAlgError:
            ridge = max(2 * ridge, 1e-8 * scale)
    return g / scale


def em(model, theta, max_iter: int, tol: float = EM_TOL):
    """Generalised EM from ``theta`` (module docstring, step 2).

    Parameters
    ----------
    model : Mixture
    theta : ndarray (P,)
    max_iter : int
        Most EM iterations.
    tol : float
        Stop when an iteration gains less than ``tol`` times the number of respondents.

    Returns
    -------
    theta : ndarray (P,)
    loglik : float
    iterations : int
    """
    sets, taste = model.sets, slice(0, model.i_gamma)
    sweep = sets.weighted(model.coefficients(theta), model.logprior(theta))
    ll = float(sweep["ll"].sum())
    it = 0
    for it in range(1, max_iter + 1):
        h = sweep["h"]
        q_old = float(np.sum(h * (sweep["LL"] + _finite(model.logprior(theta)))))
        Hq = model.taste_hessian(theta, sweep["score"], sweep["info"])[taste, taste]
        step = np.zeros(model.P)
        step[taste] = _ascent_step(Hq, model.taste_gradient(theta, sweep["score"])[taste])
        step += _membership_step(model, theta, h) - theta
        t = 1.0
        while True:
            cand = theta + t * step
            new = sets.weighted(model.coefficients(cand), model.logprior(cand))
            q_new = float(np.sum(h * (new["LL"] + _finite(model.logprior(cand)))))
            if np.isfinite(q_new) and q_new >= q_old - 1e-10 * abs(q_old):
                break
            t *= 0.5
            if t < 1e-10:
                return theta, ll, it
        theta, sweep = cand, new
        ll_new = float(sweep["ll"].sum())
        gain, ll = ll_new - ll, ll_new
        if gain < tol * model.N:
            break
    return theta, ll, it


def _finite(a):
    return np.where(np.isfinite(a), a, -1e300)


def polish(model, theta, max_iter: int = 200):
    """Newton trust-region polish on the analytic gradient and Hessian (step 3).

    Parameters
    ----------
    model : Mixture
    theta : ndarray (P,)
    max_iter : int

    Returns
    -------
    theta : ndarray (P,)
    iterations : int
    success : bool
        Whether the result is a strict local maximum (:func:`_at_maximum`: ``-H`` positive
        definite, Newton decrement below ``DECREMENT_TOL``).
    """
    N = max(model.N, 1)
    cache = {}

    def evaluate(x):
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            ll, g, H, _ = model.derivatives(x)
            cache[key] = (ll, g, H)
        return cache[key]

    def objective(x):
        ll, g, _ = evaluate(x)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(x)
        return -ll / N, -g / N

    def hess(x):
        return -evaluate(x)[2] / N

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize(objective, theta, jac=True, hess=hess, method="trust-exact",
                                options={"gtol": GTOL, "maxiter": max_iter})
    _, g, H = evaluate(res.x)
    return res.x, int(res.nit), _at_maximum(g, H)


def _at_maximum(g, H, tol=DECREMENT_TOL) -> bool:
    """Whether ``-H`` is positive definite and the Newton decrement ``g'(-H)^-1 g`` is below
    ``tol`` (a strict local maximum up to rounding)."""
    if not np.all(np.isfinite(H)) or not np.all(np.isfinite(g)):
        return False
    try:
        cho = linalg.cho_factor(-H)
    except linalg.LinAlgError:
        return False
    return float(g @ linalg.cho_solve(cho, g)) < tol


def run_start(seq, model, base, base_se, spread, em_iterations, theta0=None,
              method="partition") -> dict:
    """One start: starting values from ``seq`` (or ``theta0``), EM, polish; see the module
    docstring.

    Parameters
    ----------
    seq : numpy.random.SeedSequence
    model : Mixture
    base, base_se, spread : ndarray (K,)
        Pooled conditional-logit estimates, standard errors; within-set range of each term.
    em_iterations : int
    theta0 : ndarray (P,) or None
        A given starting vector instead of a random one.

    Returns
    -------
    dict
        ``theta``, ``loglik``, ``em_iterations``, ``iterations`` (polish), ``converged``
        (polish met its gradient test), ``status`` and ``min_share`` (smallest class share).
    """
    theta = (start_values(model, base, base_se, seq, method) if theta0 is None
             else np.array(theta0, float))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        theta, ll_em, n_em = em(model, theta, em_iterations)
        theta, nit, ok = polish(model, theta)
        ll = model.loglik(theta)
    out = {"theta": theta, "loglik": ll, "em_loglik": ll_em, "em_iterations": n_em,
           "iterations": nit, "converged": ok}
    pi, rho = model.class_probabilities(theta)
    shares = np.r_[pi.mean(axis=0), rho]
    out["min_share"] = float(shares.min())
    big = np.abs(model.coefficients(theta)) * spread
    if not np.isfinite(ll) or not np.all(np.isfinite(theta)):
        out["status"] = "diverged: non-finite log-likelihood"
    elif shares.min() * model.N < EMPTY_SHARE:
        out["status"] = "empty class"
    elif np.any(big > LARGE_UTILITY):
        out["status"] = "diverged: a class coefficient grows without bound"
    else:
        out["status"] = "converged" if ok else "not converged"
    return out
