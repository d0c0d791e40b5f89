"""Newton's method with step halving for the native conditional logit
(:mod:`dce.models.clogit`; Train 2009, ch. 8), shared by the fit and the bootstrap refits
(:mod:`dce.models.clogit_refits`).
"""

from __future__ import annotations

import numpy as np

from dce.models.covariance import cholesky_solve

TOL_DECREMENT = 1e-16     # Newton decrement g'(-H)^-1 g at which we stop
SPECULATE = 1e-2          # margin on the predicted next decrement (see newton)


def newton(ev, beta, max_iter, collect):
    """Newton's method with step halving from ``beta``.

    Parameters
    ----------
    ev : dce.models.clogit.Evaluator
        Evaluator: ``ev.evaluate(beta, scores=...)`` returns (log-likelihood, gradient (K,),
        Hessian (K, K)).
    beta : ndarray (K,)
        Start.
    max_iter : int
    collect : bool
        Gather the set scores in the sweep at the point that quadratic convergence predicts
        to be the last (see :mod:`dce.models.clogit`).

    Returns
    -------
    (beta, ll, gradient, Hessian, converged, iterations)
    """
    ll, g, H = ev.evaluate(beta)
    converged, it, previous = False, 0, None
    for it in range(1, max_iter + 1):
        try:
            step = cholesky_solve(-H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(-H, g, rcond=None)[0]
        decrement = float(g @ step)
        if decrement <= TOL_DECREMENT:
            converged, it = True, it - 1
            break
        # d' = q d^2 predicts the last point: its sweep collects the set scores (module doc)
        q = decrement / previous**2 if previous else 1.0
        last = collect and q * decrement**2 < SPECULATE * TOL_DECREMENT
        previous = decrement
        t = 1.0
        while True:
            cand = beta + t * step
            ll_c, g_c, H_c = ev.evaluate(cand, scores=last)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 * abs(ll):
                break
            t *= 0.5
            if t < 1e-12:
                break
        if t < 1e-12:
            converged = decrement < 1e-10
            break
        beta, ll, g, H = cand, ll_c, g_c, H_c
    return beta, ll, g, H, converged, it
