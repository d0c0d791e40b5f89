"""Likelihood, analytic gradient and analytic Hessian of the (scale-adjusted) latent class logit.

Model
-----
Respondent ``n`` belongs to one preference class ``c = 1..C`` and one scale class
``s = 1..S`` for all of their choice sets (``S = 1``: the latent class conditional logit;
``S > 1``: the scale-adjusted latent class model of Magidson and Vermunt 2007). A segment
``g = (c, s)`` has coefficients ``b_g = lambda_s beta_c`` with ``lambda_1 = 1`` and
``lambda_s = exp(tau_s)`` for ``s >= 2``. Class membership is independent:
``P(g | n) = pi_nc rho_s``, with ``pi_nc`` a multinomial logit of the respondent's
membership covariates ``z_n`` (first column 1; class 1 is the reference,
``pi_nc = exp(z_n gamma_c) / sum_k exp(z_n gamma_k)``, ``gamma_1 = 0``) and
``rho_s = exp(delta_s) / sum_k exp(delta_k)`` constant (``delta_1 = 0``).

The panel likelihood of respondent ``n`` is
``L_n = sum_g P(g | n) prod_t P_nt(b_g)``, ``P_nt`` the conditional logit probability of the
choice in set ``t`` (McFadden 1974; the latent class form of Kamakura and Russell 1989,
Bhat 1997, Train 2009 ch. 6.9), and the log-likelihood is ``sum_n log L_n``.

Parameters, in this order: ``beta_1..beta_C`` (K each), ``tau_2..tau_S``,
``gamma_2..gamma_C`` (M each), ``delta_2..delta_S``.

Derivatives
-----------
With ``a_ng = log P(g | n) + log L_ng`` and posterior ``h_ng = exp(a_ng) / L_n``:

* gradient of respondent ``n``: ``g_n = sum_g h_ng e_ng``, ``e_ng = d a_ng / d theta``;
* Hessian: ``sum_n [sum_g h_ng (d2 a_ng + e_ng e_ng') - g_n g_n']`` (Louis 1982). The taste
  part of ``d2 a_ng`` enters only through the posterior-weighted conditional-logit Hessians
  ``sum_n h_ng H_ng(b_g)`` and scores, by the chain rule through ``b_g = exp(tau_s) beta_c``
  (``d2 b / d tau2 = b``, ``d2 b / d beta d tau = lambda I``); the membership part is the
  multinomial-logit Hessian of ``pi_n`` (and ``rho``).

Computation
-----------
Choice sets are padded to the largest set size (an absent alternative has probability 0)
and kept in respondent order; one sweep over chunks of whole respondents computes, for all
segments at once (a batched matrix product; no loop over sets or respondents), the
log-likelihood of every (segment, respondent), the posteriors and, as needed, the weighted
scores and information. Work arrays per chunk hold about ``CHUNK_ELEMENTS`` doubles.

References
----------
Bhat, C. R. (1997). An endogenous segmentation mode choice model with an application to
intercity travel. Transportation Science 31(1), 34-48.
Kamakura, W. A. and Russell, G. J. (1989). A probabilistic choice model for market
segmentation and elasticity structure. Journal of Marketing Research 26(4), 379-390.
Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
Journal of the Royal Statistical Society B 44(2), 226-233.
Magidson, J. and Vermunt, J. K. (2007). Removing the scale factor confound in multinomial
logit choice models to obtain better estimates of preference. Sawtooth Software Conference
Proceedings, 139-154.
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
P. Zarembka (ed.), Frontiers in Econometrics, 105-142. Academic Press.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

CHUNK_ELEMENTS = 1 << 21   # doubles in the largest work array of one chunk


class PanelSets:
    """Choice sets padded to ``J`` alternatives, grouped by respondent.

    Parameters
    ----------
    data : ChoiceData
        ``X`` (rows, K); any order of sets (they are reordered by respondent, stably).

    Attributes
    ----------
    X : ndarray (sets, J, K)
        Attributes of each alternative (zero where a set has fewer than J).
    pad : ndarray (sets, J) or None
        0 for a real alternative, -inf for padding (None when every set has J).
    Xy : ndarray (sets, K)
        ``sum_j chosen_j x_j`` per set.
    w : ndarray (sets,)
        Number chosen in each set.
    resp : ndarray of int (sets,)
        Respondent code of each set (non-decreasing).
    N, K, J : int
        Respondents (``len(data.respondent_ids)``), terms, largest set size.
    """

    def __init__(self, data):
        start = np.asarray(data.set_start, np.int64)
        sizes = np.diff(start)
        S, K = len(sizes), data.X.shape[1]
        order = np.argsort(data.respondent, kind="stable")
        J = int(sizes.max()) if S else 1
        set_of_row = np.repeat(np.arange(S), sizes)
        pos = np.arange(len(set_of_row)) - np.repeat(start[:-1], sizes)
        rank = np.empty(S, np.int64)
        rank[order] = np.arange(S)
        X = np.zeros((S, J, K))
        y = np.zeros((S, J))
        X[rank[set_of_row], pos] = data.X
        y[rank[set_of_row], pos] = data.chosen
        self.X, self.K, self.J, self.N = X, K, J, len(data.respondent_ids)
        self.X2 = X.reshape(S * J, K)
        self.pad = None
        if S and np.any(sizes != J):
            real = np.zeros((S, J), bool)
            real[rank[set_of_row], pos] = True
            self.pad = np.where(real, 0.0, -np.inf)          # (sets, J)
        self.Xy = np.einsum("sj,sjk->sk", y, X)
        self.w = y.sum(axis=1)
        self.resp = np.asarray(data.respondent, np.int64)[order]
        self.n_sets = S
        self.chunks = self._chunks(max(1, CHUNK_ELEMENTS // max(1, J * K * 8)))

    def _chunks(self, target):
        """Set ranges of whole respondents, about ``target`` sets each (more for a larger
        respondent): [(a, b, first set of each respondent rel. to a, respondent codes)]."""
        r = self.resp
        first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if len(r) else np.zeros(0, int)
        out, i = [], 0
        while i < len(first):
            a = first[i]
            j = int(np.searchsorted(first, a + target, side="left"))
            j = max(j, i + 1)
            b = first[j] if j < len(first) else len(r)
            out.append((int(a), int(b), first[i:j] - a, r[first[i:j]]))
            i = j
        return out

    def respondent_logliks(self, B):
        """Log-likelihood of each respondent's sets under each coefficient vector.

        Parameters
        ----------
        B : ndarray (G, K)
            One coefficient vector per segment.

        Returns
        -------
        ndarray (N, G)
            ``log prod_t P_nt(b_g)``; 0 for a respondent without sets.
        """
        out = np.zeros((self.N, len(B)))
        for a, b, first, codes in self.chunks:
            ll = self._set_logliks(a, b, B)[0]
            out[codes] = np.add.reduceat(ll, first, axis=1).T
        return out

    def _set_logliks(self, a, b, B):
        """(log P of each set under each segment (G, s), probabilities (G, s, J))."""
        J = self.J
        U = (B @ self.X2[a * J:b * J].T).reshape(len(B), b - a, J)
        if self.pad is not None:
            U += self.pad[None, a:b]
        top = U.max(axis=2)                            # (G, s)
        U -= top[:, :, None]
        np.exp(U, out=U)
        den = U.sum(axis=2)
        U /= den[:, :, None]
        lse = np.log(den) + top
        ll = B @ self.Xy[a:b].T - self.w[None, a:b] * lse
        return ll, U

    def weighted(self, B, logprior, *, info=True, per_respondent=False, weights=None):
        """Posteriors and posterior-weighted conditional-logit statistics in one sweep.

        Parameters
        ----------
        B : ndarray (G, K)
            Segment coefficients.
        logprior : ndarray (N, G)
            ``log P(g | n)``.
        info : bool
            Also the weighted information (minus the Hessian) of each segment.
        per_respondent : bool
            Also each respondent's score under each segment.
        weights : ndarray (N, G) or None
            Weights to use instead of the posteriors (the start of :mod:`latent_class_em`).

        Returns
        -------
        dict
            ``ll`` (N,) respondent log-likelihoods ``log L_n``; ``LL`` (N, G) the segment
            log-likelihoods; ``h`` (N, G) posteriors; ``score`` (G, K)
            ``sum_n h_ng d log L_ng / d b``; ``info`` (G, K, K) ``-sum_n h_ng H_ng`` (with
            ``info``); ``resp_score`` (N, G, K) (with ``per_respondent``).
        """
        G, K = B.shape
        N = self.N
        LL = np.zeros((N, G))
        score = np.zeros((G, K))
        infos = np.zeros((G, K, K)) if info else None
        rs = np.zeros((N, G, K)) if per_respondent else None
        for a, b, first, codes in self.chunks:
            ll_set, P = self._set_logliks(a, b, B)
            LLc = np.add.reduceat(ll_set, first, axis=1).T           # (r, G)
            LL[codes] = LLc
            if weights is None:
                A = LLc + logprior[codes]
                h = np.exp(A - logsumexp(A, axis=1, keepdims=True))  # (r, G)
            else:
                h = weights[codes]
            hs = np.repeat(h.T, np.diff(np.r_[first, b - a]), axis=1)   # (G, s) per set
            Xs = self.X[a:b]
            xbar = P[:, :, 0, None] * Xs[None, :, 0, :]              # (G, s, K)
            for j in range(1, self.J):                               # alternatives: a few
                xbar += P[:, :, j, None] * Xs[None, :, j, :]
            sc = self.Xy[None, a:b] - self.w[None, a:b, None] * xbar
            score += np.matmul(hs[:, None, :], sc)[:, 0]
            if per_respondent:
                rs[codes] = np.add.reduceat(sc, first, axis=1).transpose(1, 0, 2)
            if info:
                infos += _weighted_information(Xs, P, xbar, hs * self.w[None, a:b])
        ll = logsumexp(LL + logprior, axis=1)
        h = np.exp(LL + logprior - ll[:, None])
        return {"ll": ll, "LL": LL, "h": h, "score": score, "info": infos,
                "resp_score": rs}


def _weighted_information(X, P, xbar, wt):
    """``sum_s wt_gs sum_j p_gsj (x_sj - xbar_gs)(x_sj - xbar_gs)'`` for every g: (G, K, K).

    X (s, J, K), P (G, s, J), xbar (G, s, K), wt (G, s); centred, so no large nearly equal
    matrices are subtracted."""
    D = X[None] - xbar[:, :, None, :]                                # (G, s, J, K)
    D *= np.sqrt(P * wt[:, :, None])[..., None]
    G, K = D.shape[0], D.shape[3]
    Dg = D.reshape(G, -1, K)                                         # (G, s*J, K)
    return np.matmul(Dg.transpose(0, 2, 1), Dg)


class Mixture:
    """Parameter layout and derivatives of a latent class logit with scale classes.

    Parameters
    ----------
    sets : PanelSets
        The data.
    C, S : int
        Preference and scale classes (``S = 1``: no scale classes).
    Z : ndarray (N, M)
        Membership covariates of each respondent, first column 1.

    Attributes
    ----------
    P : int
        Number of parameters ``C K + (S - 1) + (C - 1) M + (S - 1)``.
    """

    def __init__(self, sets: PanelSets, C: int, S: int, Z: np.ndarray):
        self.sets, self.C, self.S, self.Z = sets, int(C), int(S), np.asarray(Z, float)
        self.K, self.M, self.N = sets.K, self.Z.shape[1], sets.N
        self.G = self.C * self.S
        K, M = self.K, self.M
        self.i_beta = 0
        self.i_tau = C * K
        self.i_gamma = self.i_tau + S - 1
        self.i_delta = self.i_gamma + (C - 1) * M
        self.P = self.i_delta + S - 1
        self.cls = np.repeat(np.arange(C), S)      # preference class of segment g = c S + s
        self.scl = np.tile(np.arange(S), C)        # scale class of segment g

    # ----- parameters ---------------------------------------------------------------------
    def unpack(self, theta):
        """(beta (C, K), lambda (S,), gamma (C, M) with row 0 zero, delta (S,) with 0 first)."""
        th = np.asarray(theta, float)
        beta = th[:self.i_tau].reshape(self.C, self.K)
        lam = np.exp(np.r_[0.0, th[self.i_tau:self.i_gamma]])
        gamma = np.vstack([np.zeros((1, self.M)),
                           th[self.i_gamma:self.i_delta].reshape(self.C - 1, self.M)])
        delta = np.r_[0.0, th[self.i_delta:]]
        return beta, lam, gamma, delta

    def pack(self, beta, lam, gamma, delta):
        """The parameter vector (P,) from :meth:`unpack`'s pieces (gamma, delta re-referenced
        to their first row / element)."""
        gamma = np.asarray(gamma, float) - np.asarray(gamma, float)[0]
        delta = np.asarray(delta, float) - float(delta[0])
        lam = np.asarray(lam, float)
        return np.r_[np.ravel(beta), np.log(lam[1:] / lam[0]), gamma[1:].ravel(), delta[1:]]

    def coefficients(self, theta):
        """Segment coefficients ``B`` (G, K): ``lambda_s beta_c``."""
        beta, lam, _, _ = self.unpack(theta)
        return beta[self.cls] * lam[self.scl][:, None]

    def class_probabilities(self, theta):
        """(pi (N, C) preference-class probabilities, rho (S,) scale-class shares)."""
        _, _, gamma, delta = self.unpack(theta)
        V = self.Z @ gamma.T
        pi = np.exp(V - logsumexp(V, axis=1, keepdims=True))
        rho = np.exp(delta - logsumexp(delta))
        return pi, rho

    def logprior(self, theta):
        """``log P(g | n)`` (N, G)."""
        pi, rho = self.class_probabilities(theta)
        with np.errstate(divide="ignore"):
            return np.log(pi)[:, self.cls] + np.log(rho)[self.scl]

    # ----- likelihood ---------------------------------------------------------------------
    def loglik(self, theta) -> float:
        """Log-likelihood ``sum_n log L_n`` at ``theta`` (P,)."""
        LL = self.sets.respondent_logliks(self.coefficients(theta))
        return float(logsumexp(LL + self.logprior(theta), axis=1).sum())

    def posterior(self, theta):
        """(posterior ``h`` (N, G), respondent log-likelihoods (N,))."""
        LL = self.sets.respondent_logliks(self.coefficients(theta))
        A = LL + self.logprior(theta)
        ll = logsumexp(A, axis=1)
        return np.exp(A - ll[:, None]), ll

    def respondent_scores(self, theta, sweep=None, louis=False):
        """The score of each respondent's log-likelihood contribution.

        Parameters
        ----------
        theta : ndarray (P,)
        sweep : dict or None
            :meth:`PanelSets.weighted` at ``theta`` with ``per_respondent`` (computed when
            None).
        louis : bool
            Also ``sum_n sum_g h_ng e_ng e_ng'`` (P, P), ``e_ng = d a_ng / d theta``.

        Returns
        -------
        g : ndarray (N, P)
            ``g_n = sum_g h_ng e_ng``.
        outer : ndarray (P, P) or None
            With ``louis``.
        sweep : dict
        """
        if sweep is None:
            sweep = self.sets.weighted(self.coefficients(theta), self.logprior(theta),
                                       info=False, per_respondent=True)
        h, rs = sweep["h"], sweep["resp_score"]
        g = np.zeros((self.N, self.P))
        outer = np.zeros((self.P, self.P)) if louis else None
        step = max(1, CHUNK_ELEMENTS // (self.G * self.P))     # respondents per block
        for a in range(0, self.N, step):
            rows = slice(a, min(a + step, self.N))
            E = self._segment_scores(theta, rs[rows], rows)
            g[rows] = np.einsum("ng,ngp->np", h[rows], E)
            if louis:
                E *= np.sqrt(h[rows])[:, :, None]
                E = E.reshape(-1, self.P)
                outer += E.T @ E
        return g, outer, sweep

    def _segment_scores(self, theta, rs, rows):
        """``e_ng = d a_ng / d theta`` (n, G, P) of the respondents ``rows`` (a slice) from
        their scores ``rs`` (n, G, K)."""
        beta, lam, _, _ = self.unpack(theta)
        pi, rho = self.class_probabilities(theta)
        pi, Z = pi[rows], self.Z[rows]
        N, G, K, M = len(pi), self.G, self.K, self.M
        E = np.zeros((N, G, self.P))
        B = beta[self.cls] * lam[self.scl][:, None]
        for g in range(G):                        # segments: a handful, not data scale
            c, s = self.cls[g], self.scl[g]
            E[:, g, c * K:(c + 1) * K] = lam[s] * rs[:, g]
            if s > 0:
                E[:, g, self.i_tau + s - 1] = rs[:, g] @ B[g]
            d = -pi[:, 1:].copy()
            if c > 0:
                d[:, c - 1] += 1.0
            E[:, g, self.i_gamma:self.i_delta] = (d[:, :, None] * Z[:, None, :]).reshape(
                N, (self.C - 1) * M)
            r = -rho[1:].copy()
            if s > 0:
                r[s - 1] += 1.0
            E[:, g, self.i_delta:] = r
        return E

    def loglik_and_gradient(self, theta):
        """(log-likelihood, gradient (P,))."""
        g, _, sweep = self.respondent_scores(theta)
        return float(sweep["ll"].sum()), g.sum(axis=0)

    def derivatives(self, theta):
        """(log-likelihood, gradient (P,), Hessian (P, P), per-respondent scores (N, P))."""
        B = self.coefficients(theta)
        sweep = self.sets.weighted(B, self.logprior(theta), info=True, per_respondent=True)
        gn, outer, _ = self.respondent_scores(theta, sweep, louis=True)
        H = self.taste_hessian(theta, sweep["score"], sweep["info"])
        H += self.membership_hessian(theta)
        H += outer - gn.T @ gn        # Louis (1982): posterior covariance of segment scores
        H = (H + H.T) / 2
        return float(sweep["ll"].sum()), gn.sum(axis=0), H, gn

    def taste_hessian(self, theta, score, info):
        """Posterior-weighted Hessian of the taste parameters (beta, tau) in the (P, P) layout,
        from the segment ``score`` (G, K) and ``info`` (G, K, K) of :meth:`PanelSets.weighted`
        (the Hessian of the EM objective Q in those parameters)."""
        beta, lam, _, _ = self.unpack(theta)
        K = self.K
        H = np.zeros((self.P, self.P))
        B = beta[self.cls] * lam[self.scl][:, None]
        for g in range(self.G):
            c, s = self.cls[g], self.scl[g]
            bc = slice(c * K, (c + 1) * K)
            H[bc, bc] -= lam[s] ** 2 * info[g]
            if s > 0:
                t = self.i_tau + s - 1
                cross = -lam[s] * (info[g] @ B[g]) + lam[s] * score[g]
                H[bc, t] += cross
                H[t, bc] += cross
                H[t, t] += -B[g] @ info[g] @ B[g] + B[g] @ score[g]
        return H

    def taste_gradient(self, theta, score):
        """Gradient of Q in (beta, tau) in the (P,) layout from the segment ``score`` (G, K)."""
        beta, lam, _, _ = self.unpack(theta)
        K = self.K
        out = np.zeros(self.P)
        for g in range(self.G):
            c, s = self.cls[g], self.scl[g]
            out[c * K:(c + 1) * K] += lam[s] * score[g]
            if s > 0:
                out[self.i_tau + s - 1] += lam[s] * beta[c] @ score[g]
        return out

    def membership_hessian(self, theta):
        """Hessian of ``sum_n log P(g | n)`` in (gamma, delta) (independent of g), (P, P)."""
        pi, rho = self.class_probabilities(theta)
        H = np.zeros((self.P, self.P))
        C, M = self.C, self.M
        if C > 1:
            q = pi[:, 1:]                                             # (N, C-1)
            V = np.einsum("nc,nd->ncd", -q, q)
            V[:, np.arange(C - 1), np.arange(C - 1)] += q
            blk = np.einsum("ncd,nm,nl->cmdl", V, self.Z, self.Z).reshape(
                (C - 1) * M, (C - 1) * M)
            H[self.i_gamma:self.i_delta, self.i_gamma:self.i_delta] = -blk
        if self.S > 1:
            r = rho[1:]
            H[self.i_delta:, self.i_delta:] = -self.N * (np.diag(r) - np.outer(r, r))
        return H
