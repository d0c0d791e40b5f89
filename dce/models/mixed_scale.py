"""Mixed logit in willingness-to-pay space and with scale heterogeneity (G-MNL, S-MNL).

Both are panel mixed logits (:mod:`dce.models.mixed`) whose utility coefficients are a
transformation of the mixing coefficients ``a_n`` of :class:`~dce.models.mixed_likelihood.
MixedLogit` (means ``mu``, spreads or Cholesky factor, normal / lognormal / triangular
terms). They share its draws, panel likelihood (:func:`~dce.models.mixed_likelihood.
panel_loglik`) and chain rule; only the map ``a_n -> beta_n`` and its derivative differ.

WTP space (Train and Weeks 2005; Scarpa, Thiene and Train 2008)
---------------------------------------------------------------
With price attribute ``p``, ``U = lambda_n (sum_{k != p} w_nk x_k - x_p) + e``: the
coefficients ``w`` are willingnesses to pay (money per unit of the term) and ``lambda`` is the
price coefficient (``beta_p = -lambda``, ``beta_k = lambda w_k``). In the parameter vector
the price term's slot is named ``lambda``: fixed (``lambda`` itself) unless the price term is
listed in ``random`` as ``lognormal``, when ``lambda = exp(lambda + sd[lambda] z)`` (so the
reported ``lambda`` and ``sd[lambda]`` are the mean and standard deviation of
``log lambda``), as logitr's ``randPrice = "ln"`` (Helveston 2023). The other terms keep their
names and carry WTPs; ``sd[<term>]`` is the spread of a WTP. With ``correlated`` the Cholesky
factor also covers ``lambda`` (WTP correlated with price sensitivity).

G-MNL (Fiebig, Keane, Louviere and Wasi 2010)
---------------------------------------------
``beta_n = sigma_n mu + [gamma + (1 - gamma) sigma_n] eta_n`` with ``eta_n`` the random
deviations of the mixed logit (``a_n - mu``; normal or triangular terms) and the scale
``sigma_n = exp(-tau^2 / 2 + tau e_n)``, ``e_n ~ N(0, 1)`` (Fiebig et al.'s normalisation:
``E sigma = 1``). Greene and Hensher (2010) normalise instead by the sample mean of the scale
draws and add a heterogeneity in the mean of ``sigma``; Keane and Wasi (2013) discuss both.
Variants (``scale_heterogeneity``):

* ``gmnl``: ``gamma`` estimated, reported as ``logit[gamma]`` (``gamma = 1 / (1 +
  exp(-logit[gamma]))`` keeps it in [0, 1]);
* ``gmnl2``: G-MNL-II, ``gamma = 0`` (the deviations scale with ``sigma_n``);
* ``smnl``: scale heterogeneity only (no random terms), ``beta_n = sigma_n mu``.

``tau`` is reported non-negative (a sign flip of ``tau`` leaves the model unchanged).
With ``tau -> 0``, ``sigma_n = 1`` and G-MNL is the mixed logit. The scale draw ``e_n`` is one
more dimension of the same quasi-random sequence (:mod:`dce.models.draws`).

References
----------
Fiebig, D. G., Keane, M. P., Louviere, J. and Wasi, N. (2010). The generalized multinomial
logit model: accounting for scale and coefficient heterogeneity. Marketing Science 29(3),
393-421.
Greene, W. H. and Hensher, D. A. (2010). Does scale heterogeneity across individuals matter?
An empirical assessment of alternative logit models. Transportation 37(3), 413-428.
Helveston, J. P. (2023). logitr: fast estimation of multinomial and mixed logit models with
preference space and willingness-to-pay space utility parameterizations. Journal of
Statistical Software 105(10), 1-37.
Keane, M. and Wasi, N. (2013). Comparing alternative models of heterogeneity in consumer
choice behavior. Journal of Applied Econometrics 28(6), 1018-1045.
Scarpa, R., Thiene, M. and Train, K. (2008). Utility in willingness to pay space: a tool to
address confounding random scale effects in destination choice to the Alps. American Journal
of Agricultural Economics 90(4), 994-1010.
Train, K. and Weeks, M. (2005). Discrete choice models in preference space and
willingness-to-pay space. In Scarpa, R. and Alberini, A. (eds), Applications of Simulation
Methods in Environmental and Resource Economics, Springer, 1-16.
"""

from __future__ import annotations

import numpy as np

from dce.errors import ConfigError
from dce.models.mixed_likelihood import MixedLogit

SPACES = ("preference", "wtp")
SCALE_MODELS = ("none", "smnl", "gmnl", "gmnl2")
SCALE_NAME = "lambda"


# ----- the maps from mixing to utility coefficients (also used on population draws) -------
def wtp_to_beta(A, price) -> np.ndarray:
    """Preference-space coefficients from WTP-space ones: ``beta_k = lambda w_k``,
    ``beta_price = -lambda``.

    Parameters
    ----------
    A : ndarray (..., K, D) or, with ``axis`` last, any array whose axis -2 holds the terms
        WTPs ``w_k`` and, at position ``price``, ``lambda``.
    price : int
        Position of the price term.

    Returns
    -------
    ndarray, same shape as ``A``
    """
    lam = A[..., price:price + 1, :]
    B = A * lam
    B[..., price, :] = -A[..., price, :]
    return B


def gmnl_beta(mu, A, sigma, gamma) -> np.ndarray:
    """G-MNL coefficients ``sigma mu + (gamma + (1 - gamma) sigma)(A - mu)``
    (Fiebig et al. 2010, eq. 6).

    Parameters
    ----------
    mu : ndarray (..., K, 1)
        Means.
    A : ndarray (..., K, D)
        Mixed-logit coefficients ``mu + eta``.
    sigma : ndarray (..., 1, D)
        Scale draws.
    gamma : float

    Returns
    -------
    ndarray (..., K, D)
    """
    return sigma * mu + (gamma + (1.0 - gamma) * sigma) * (A - mu)


def scale_of(tau, e) -> np.ndarray:
    """``sigma = exp(-tau^2 / 2 + tau e)`` (mean 1 for standard normal ``e``).

    Parameters
    ----------
    tau : float
    e : ndarray
        Standard normal draws.

    Returns
    -------
    ndarray, shape of ``e``
    """
    return np.exp(-0.5 * tau * tau + tau * e)


# ----- WTP space ------------------------------------------------------------------------
class WtpSpace(MixedLogit):
    """Panel mixed logit in WTP space (module docstring).

    Parameters
    ----------
    data : ChoiceData
    random : mapping term -> distribution
        Random WTPs; the price term may be listed only as ``lognormal`` (random ``lambda``).
    price : str
        The price term (a numeric attribute's single term).
    **kwargs
        As :class:`~dce.models.mixed_likelihood.MixedLogit`.

    Attributes
    ----------
    price : int
        Position of the price term (and of ``lambda``).

    Raises
    ------
    dce.errors.ConfigError
        ``price`` not a term, a term named ``lambda``, the price term random but not
        lognormal, or as :class:`~dce.models.mixed_likelihood.MixedLogit`.
    """

    space = "wtp"

    def __init__(self, data, random, *, price, **kwargs):
        terms = tuple(data.terms)
        if price not in terms:
            raise ConfigError(f"price {price!r} is not a model term (terms: "
                              f"{', '.join(terms)})", key="model.price")
        if SCALE_NAME in terms:
            raise ConfigError(f"a term is named {SCALE_NAME!r}, the name of the WTP-space "
                              "scale; rename the attribute", key="model.price")
        random = dict(random or {})
        if price in random:
            if str(random[price]).strip().lower() != "lognormal":
                raise ConfigError(f"in WTP space the price coefficient is fixed or lognormal, "
                                  f"got {random[price]!r}", key=f"model.random.{price}")
            random[SCALE_NAME] = random.pop(price)
        self.price = terms.index(price)
        self.price_term = price
        names = tuple(SCALE_NAME if t == price else t for t in terms)
        super().__init__(data, random, terms=names, **kwargs)

    def to_beta(self, theta, A, sl):
        """``beta = lambda w``, ``beta_price = -lambda`` (see :func:`wtp_to_beta`)."""
        return wtp_to_beta(A, self.price)

    def from_beta(self, theta, G, A, B, sl, scores):
        """``d/dw_k = lambda G_k``; ``d/dlambda = sum_{k != p} w_k G_k - G_p``."""
        p = self.price
        dlam = np.einsum("nkd,nkd->nd", G, A) - G[:, p] * (A[:, p] + 1.0)
        G = G * A[:, p:p + 1]
        G[:, p] = dlam
        return G

    def start_means(self, beta, notes, group):
        """Mixing means from conditional-logit estimates: ``lambda = -beta_price`` (at least
        1e-3 |beta_price| and 1e-6) and ``w = beta / lambda``.

        Parameters
        ----------
        beta : ndarray (K,)
        notes : list of str
            A note is appended when the price coefficient is not negative.
        group : str

        Returns
        -------
        ndarray (K,)
        """
        b = np.asarray(beta, float)
        lam = -b[self.price]
        if lam <= 0:
            notes.append(f"group {group}: the price coefficient of the conditional logit is "
                         f"{-lam:.4g} (not negative): WTP space assumes that a higher "
                         f"{self.price_term} lowers utility")
        lam = max(lam, 1e-3 * abs(lam), 1e-6)
        a = b / lam
        a[self.price] = lam
        return a


# ----- G-MNL ---------------------------------------------------------------------------
class Gmnl(MixedLogit):
    """Panel G-MNL, G-MNL-II or S-MNL (module docstring); parameters: means, spreads, then
    ``tau`` and (``gmnl``) ``logit[gamma]``.

    Parameters
    ----------
    data : ChoiceData
    random : mapping term -> "normal" | "triangular"
        Random terms (none for ``smnl``).
    variant : {"gmnl", "gmnl2", "smnl"}
    **kwargs
        As :class:`~dce.models.mixed_likelihood.MixedLogit`.

    Raises
    ------
    dce.errors.ConfigError
        An unknown variant, lognormal terms, random terms with ``smnl`` or none with
        ``gmnl``/``gmnl2``, or as :class:`~dce.models.mixed_likelihood.MixedLogit`.
    """

    space = "preference"

    def __init__(self, data, random, *, variant="gmnl", **kwargs):
        if variant not in SCALE_MODELS[1:]:
            raise ConfigError(f"expected one of {', '.join(SCALE_MODELS)}, "
                              f"got {variant!r}", key="model.scale_heterogeneity")
        random = dict(random or {})
        if variant == "smnl" and random:
            raise ConfigError("smnl has scale heterogeneity only: leave model.random empty "
                              "(or use gmnl)", key="model.random")
        if variant != "smnl" and not random:
            raise ConfigError(f"{variant} needs random terms (model.random); smnl has none",
                              key="model.random")
        logs = [t for t, d in random.items() if str(d).strip().lower() == "lognormal"]
        if logs:
            raise ConfigError(f"G-MNL random terms must be normal or triangular; "
                              f"{', '.join(logs)} are lognormal", key=f"model.random.{logs[0]}")
        self.variant = variant
        extra = ("tau", "logit[gamma]") if variant == "gmnl" else ("tau",)
        super().__init__(data, random, extra_dims=1, extra_names=extra, **kwargs)

    def gamma(self, theta) -> float:
        """``gamma`` at ``theta`` (0 for gmnl2 and smnl)."""
        from scipy.special import expit  # scipy only for the models that need it

        return float(expit(theta[self.n_mix + 1])) if self.variant == "gmnl" else 0.0

    def to_beta(self, theta, A, sl):
        """:func:`gmnl_beta` with the scale draws of respondents ``sl``."""
        sigma = scale_of(theta[self.n_mix], self.Zx[sl])          # (n, 1, D)
        return gmnl_beta(theta[:self.K][None, :, None], A, sigma, self.gamma(theta))

    def from_beta(self, theta, G, A, B, sl, scores):
        """Scores of ``tau`` and ``logit[gamma]``; ``d/dA = c G`` with
        ``c = gamma + (1 - gamma) sigma``; the means' direct term
        ``sum_d gamma (sigma - 1) G`` goes into ``scores[:, :K]``."""
        tau, gamma = theta[self.n_mix], self.gamma(theta)
        e = self.Zx[sl]
        sigma = scale_of(tau, e)
        mu = theta[:self.K][None, :, None]
        eta = A - mu
        dsig = (mu + (1.0 - gamma) * eta) * (sigma * (e - tau))
        scores[:, self.n_mix] = np.einsum("nkd,nkd->n", G, dsig)
        if self.variant == "gmnl":
            scores[:, self.n_mix + 1] = (np.einsum("nkd,nkd->n", G, (1.0 - sigma) * eta)
                                         * gamma * (1.0 - gamma))
        if gamma:
            scores[:, :self.K] = (G * (gamma * (sigma - 1.0))).sum(axis=2)
        return G * (gamma + (1.0 - gamma) * sigma)

    def start_extra(self, theta):
        """Starting values of ``tau`` (0.5) and ``logit[gamma]`` (0) appended to ``theta``."""
        return np.r_[theta, 0.5, 0.0][:self.P]

    def sign_flips(self, theta) -> np.ndarray:
        """As the mixed logit, and ``tau`` made non-negative."""
        flips = super().sign_flips(theta)
        if theta[self.n_mix] < 0:
            flips[self.n_mix] = -1.0
        return flips


def make_model(data, random, *, space="preference", price=None, scale_heterogeneity="none",
               **kwargs) -> MixedLogit:
    """The likelihood object of a mixed logit, a WTP-space model or a G-MNL variant.

    Parameters
    ----------
    data : ChoiceData
    random : mapping term -> distribution
    space : {"preference", "wtp"}
    price : str, optional
        The price term (required with ``space="wtp"``).
    scale_heterogeneity : {"none", "smnl", "gmnl", "gmnl2"}
    **kwargs
        As :class:`~dce.models.mixed_likelihood.MixedLogit`.

    Returns
    -------
    MixedLogit, WtpSpace or Gmnl

    Raises
    ------
    dce.errors.ConfigError
        An unknown space or variant, WTP space without ``price`` or with scale
        heterogeneity, or as the classes.
    """
    if space not in SPACES:
        raise ConfigError(f"expected one of {', '.join(SPACES)}, got {space!r}",
                          key="model.space")
    if scale_heterogeneity not in SCALE_MODELS:
        raise ConfigError(f"expected one of {', '.join(SCALE_MODELS)}, "
                          f"got {scale_heterogeneity!r}", key="model.scale_heterogeneity")
    if space == "wtp":
        if scale_heterogeneity != "none":
            raise ConfigError("WTP space and scale heterogeneity cannot be combined (the "
                              "lognormal price coefficient already carries the scale)",
                              key="model.scale_heterogeneity")
        if price is None:
            raise ConfigError("needed by space: wtp (the price attribute)",
                              key="model.price")
        return WtpSpace(data, random, price=price, **kwargs)
    if scale_heterogeneity != "none":
        return Gmnl(data, random, variant=scale_heterogeneity, **kwargs)
    return MixedLogit(data, random, **kwargs)
