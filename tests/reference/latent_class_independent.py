"""An independent latent class logit: plain numpy likelihood and gradient, scipy BFGS from
random starts. It never imports ``dce``; tests/models/test_latent_class.py and
tests/reference/make_latent_class_reference.py use it to check dce's latent class fits.

Data are dense arrays: ``X`` (sets, J, K), ``y`` (sets,) the index of the chosen
alternative, ``resp`` (sets,) respondent codes 0..N-1. Parameters: ``beta_1..beta_C`` (K
each) then the logits ``gamma_2..gamma_C`` of the constant class shares (class 1 at 0).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from scipy import optimize

HERE = Path(__file__).resolve().parent
ELECTRICITY = HERE / "data" / "electricity.csv.gz"
ELECTRICITY_TERMS = ("pf", "cl", "loc", "wk", "tod", "seas")


def load_electricity():
    """(X (4308, 4, 6), y (4308,), resp (4308,), respondent ids) of Train's electricity data,
    read with the csv module-free numpy reader (columns choice, id, alt, pf..seas, chid)."""
    with gzip.open(ELECTRICITY, "rt") as fh:
        header = fh.readline().strip().replace('"', "").split(",")
        rows = [line.strip().split(",") for line in fh if line.strip()]
    col = {h: i for i, h in enumerate(header)}
    choice = np.array([r[col["choice"]] == "TRUE" for r in rows])
    ident = np.array([int(r[col["id"]]) for r in rows])
    chid = np.array([int(r[col["chid"]]) for r in rows])
    alt = np.array([int(r[col["alt"]]) for r in rows])
    Xr = np.array([[float(r[col[t]]) for t in ELECTRICITY_TERMS] for r in rows])
    order = np.lexsort((alt, chid))
    choice, ident, chid, Xr = choice[order], ident[order], chid[order], Xr[order]
    S = len(np.unique(chid))
    X = Xr.reshape(S, 4, len(ELECTRICITY_TERMS))
    y = choice.reshape(S, 4).argmax(axis=1)
    ids, resp = np.unique(ident.reshape(S, 4)[:, 0], return_inverse=True)
    return X, y, resp, ids


def class_logliks(beta, X, y, resp, N):
    """(N, C) log-likelihood of each respondent's sets under each class's coefficients."""
    U = np.einsum("sjk,ck->csj", X, beta)
    m = U.max(axis=2, keepdims=True)
    lse = np.log(np.exp(U - m).sum(axis=2)) + m[..., 0]
    ll_set = np.take_along_axis(U, np.broadcast_to(y[None, :, None], (len(beta), len(y), 1)),
                                axis=2)[..., 0] - lse
    out = np.zeros((N, len(beta)))
    for c in range(len(beta)):
        out[:, c] = np.bincount(resp, weights=ll_set[c], minlength=N)
    return out, U, lse


def loglik_and_gradient(theta, X, y, resp, N, C):
    """Log-likelihood and its gradient (P,) of the constant-share latent class logit."""
    K = X.shape[2]
    beta = theta[:C * K].reshape(C, K)
    gamma = np.r_[0.0, theta[C * K:]]
    logpi = gamma - np.log(np.exp(gamma - gamma.max()).sum()) - gamma.max()
    LL, U, lse = class_logliks(beta, X, y, resp, N)
    A = LL + logpi
    top = A.max(axis=1, keepdims=True)
    ll_n = np.log(np.exp(A - top).sum(axis=1)) + top[:, 0]
    h = np.exp(A - ll_n[:, None])                                  # (N, C) posteriors
    grad = np.zeros_like(theta)
    xchosen = X[np.arange(len(y)), y]                              # (S, K)
    for c in range(C):
        p = np.exp(U[c] - lse[c][:, None])                         # (S, J)
        score = xchosen - np.einsum("sj,sjk->sk", p, X)
        grad[c * K:(c + 1) * K] = (h[resp, c][:, None] * score).sum(axis=0)
    pi = np.exp(logpi)
    grad[C * K:] = (h[:, 1:] - pi[1:]).sum(axis=0)
    return float(ll_n.sum()), grad


def multistart(X, y, resp, C, starts, seed, spread=None):
    """Maximise the likelihood by scipy BFGS (analytic gradient) from random starts.

    Start ``i``: coefficients ``N(0, spread^2)`` per class and term (``spread`` default
    ``2 |b|`` with ``b`` the pooled one-class estimates, at least 0.5), share logits
    ``N(0, 1)``.

    Returns
    -------
    list of (loglik, theta, converged) sorted by loglik, best first.
    """
    N = int(resp.max()) + 1
    K = X.shape[2]
    pooled = optimize.minimize(lambda b: tuple(-v for v in loglik_and_gradient(
        b, X, y, resp, N, 1)), np.zeros(K), jac=True, method="BFGS").x
    spread = np.maximum(2 * np.abs(pooled), 0.5) if spread is None else spread
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(starts):
        x0 = np.r_[(rng.standard_normal((C, K)) * spread).ravel(), rng.standard_normal(C - 1)]

        def f(t):
            ll, g = loglik_and_gradient(t, X, y, resp, N, C)
            if not np.isfinite(ll):
                return np.inf, np.zeros_like(t)
            return -ll / N, -g / N

        with np.errstate(all="ignore"):
            res = optimize.minimize(f, x0, jac=True, method="BFGS",
                                    options={"gtol": 1e-7, "maxiter": 5000})
        out.append((-res.fun * N, res.x, bool(res.success)))
    out.sort(key=lambda r: -r[0] if np.isfinite(r[0]) else np.inf)
    return out


def biogeme_latent_class(X, y, resp, C, start, names=ELECTRICITY_TERMS):
    """Estimate the same model with biogeme (bench environment only) from ``start`` (P,).

    The model is written with biogeme's expressions: a logit per class, the product over
    each respondent's sets (``PanelLikelihoodTrajectory``, panel by respondent) and the
    log of the share-weighted sum over classes, shares ``exp(g_c) / sum_k exp(g_k)``.
    biogeme writes its report files into the current folder: call it from a temporary one.

    Returns
    -------
    dict
        ``loglik``, ``theta`` (P,) in this module's order, ``vcov_classic`` (biogeme's
        Rao-Cramer: inverse of minus its Hessian) and ``vcov_robust`` (its sandwich; with
        panel data the scores are those of each respondent), (P, P) each, ``seconds``
        (estimation only, after building the model), ``converged`` and ``version``.
    """
    import importlib.metadata
    import time

    import pandas as pd
    from biogeme import models
    from biogeme.biogeme import BIOGEME
    from biogeme.database import Database
    from biogeme.expressions import Beta, PanelLikelihoodTrajectory, Variable, exp, log
    from biogeme.parameters import Parameters

    S, J, K = X.shape
    wide = {"ID": resp + 1, "CHOICE": y + 1}
    for j in range(J):
        for k, n in enumerate(names):
            wide[f"{n}_{j + 1}"] = X[:, j, k]
    database = Database("latent_class", pd.DataFrame(wide))
    database.panel("ID")
    start = np.asarray(start, float)
    betas = [[Beta(f"b_{n}_c{c + 1}", float(start[c * K + k]), None, None, 0)
              for k, n in enumerate(names)] for c in range(C)]
    gammas = [Beta(f"g_c{c + 1}", float(start[C * K + c - 1]), None, None, 0)
              for c in range(1, C)]
    trajectories = []
    for c in range(C):
        V = {j + 1: sum(b * Variable(f"{n}_{j + 1}") for b, n in zip(betas[c], names))
             for j in range(J)}
        trajectories.append(PanelLikelihoodTrajectory(models.logit(V, None,
                                                                   Variable("CHOICE"))))
    weights = [1.0] + [exp(g) for g in gammas]
    total = weights[0]
    for w in weights[1:]:
        total = total + w
    mixture = trajectories[0]
    for w, t in zip(weights[1:], trajectories[1:]):
        mixture = mixture + w * t
    loglike = log(mixture / total)
    bio = BIOGEME(database, loglike, parameters=Parameters(), generate_html=False,
                  generate_yaml=False)
    bio.model_name = "latent_class"
    t = time.perf_counter()
    res = bio.estimate()
    seconds = time.perf_counter() - t
    values = res.get_beta_values()
    order = [f"b_{n}_c{c + 1}" for c in range(C) for n in names] + [
        f"g_c{c + 1}" for c in range(1, C)]
    theta = np.array([values[k] for k in order])
    from biogeme.results_processing import EstimateVarianceCovariance as VC

    vcov = {kind: np.asarray(res.get_sub_variance_covariance_matrix(order, getattr(VC, kind)))
            for kind in ("RAO_CRAMER", "ROBUST")}
    return {"loglik": float(res.final_log_likelihood), "theta": theta, "seconds": seconds,
            "vcov_classic": vcov["RAO_CRAMER"], "vcov_robust": vcov["ROBUST"],
            "converged": bool(res.algorithm_has_converged),
            "version": importlib.metadata.version("biogeme")}


def share_order_map(theta, C, K):
    """The linear map ``T`` (P, P) that reorders the classes of ``theta`` by share, largest
    first, re-referencing the share logits to the new class 1 (as dce reports them):
    ``T theta`` are the reordered estimates and ``T V T'`` their covariance."""
    theta = np.asarray(theta, float)
    gamma = np.r_[0.0, theta[C * K:]]
    order = np.argsort(-gamma, kind="stable")
    P = C * K + C - 1
    T = np.zeros((P, P))
    for new, old in enumerate(order):
        T[new * K:(new + 1) * K, old * K:(old + 1) * K] = np.eye(K)
    G = np.zeros((C, C - 1))          # full gamma (C,) from the free logits
    G[1:] = np.eye(C - 1)
    R = (G[order] - G[order][0])[1:]  # new free logits: gamma[order][1:] - gamma[order][0]
    T[C * K:, C * K:] = R
    return T


def order_by_share(theta, C, K):
    """``theta`` with the classes ordered by share, largest first (class 1 the reference of
    the share logits), as dce reports them."""
    return share_order_map(theta, C, K) @ np.asarray(theta, float)
