"""FitResult: a plain, frozen record of one model fit, separate from the fitting code.

Also :func:`tidy`, the estimates table every output is built from, and :func:`reported`,
the estimates in reporting terms (effects coding adds the omitted level).

References
----------
Akaike, H. (1974). A new look at the statistical model identification. IEEE Transactions
on Automatic Control 19(6), 716-723.
Bech, M. and Gyrd-Hansen, D. (2005). Effects coding in discrete choice experiments.
Health Economics 14(10), 1079-1083.
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
P. Zarembka (ed.), Frontiers in Econometrics, 105-142. New York: Academic Press.
Schwarz, G. (1978). Estimating the dimension of a model. Annals of Statistics 6(2),
461-464.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dce.core import normal
from dce.models.lognormal import lognormal_map


@dataclass(frozen=True)
class FitResult:
    """Estimates and statistics of one fitted model.

    ``vcov`` is the covariance of the chosen ``se_type``; ``vcovs`` holds every type that
    was computed (classic, robust, cluster).

    Attributes
    ----------
    terms : tuple of str (K,)
        Parameter names, in the order of ``params``.
    params : ndarray (K,)
        Estimates.
    vcov : ndarray (K, K)
        Covariance of ``params`` of the kind ``se_type``.
    se_type : str
        ``"classic"``, ``"robust"`` or ``"cluster"`` (see :mod:`dce.models.covariance`).
    loglik, null_loglik : float
        Log-likelihood at the estimates and with every coefficient zero (equal
        probabilities within each choice set).
    n_obs, n_sets, n_respondents : int
        Rows (alternatives), choice sets and respondents of the data fitted.
    converged : bool
        Whether the optimiser met its convergence test.
    iterations : int
        Iterations of the optimiser.
    engine, model, group : str
        Engine (``"native"``, ``"pylogit"``), model name and the group fitted.
    vcovs : dict of str to ndarray (K, K)
        Every covariance kind that was computed (may be empty).
    gradient_norm : float
        Largest absolute element of the log-likelihood gradient at the estimates.
    warnings : tuple of str
        Messages that the fit also issued as RuntimeWarning.
    separation : dce.models.separation.Separation or None
        The direction along which the likelihood has no maximum, when the data are
        separated and the run goes on (``model.on_separation: warn``); ``converged`` is
        then false.
    """

    terms: tuple
    params: np.ndarray
    vcov: np.ndarray
    se_type: str
    loglik: float
    null_loglik: float
    n_obs: int
    n_sets: int
    n_respondents: int
    converged: bool
    iterations: int
    engine: str
    model: str = "conditional_logit"
    group: str = "all"
    vcovs: dict = field(default_factory=dict, repr=False)
    gradient_norm: float = 0.0
    warnings: tuple = ()
    separation: object = field(default=None, repr=False, compare=False)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters ``K`` (what AIC and BIC count)."""
        return len(self.params)

    @property
    def bse(self) -> np.ndarray:
        """Standard errors ``sqrt(diag(vcov))``, ndarray (K,); negative variances give 0."""
        return np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))

    @property
    def aic(self) -> float:
        """Akaike's information criterion ``2 K - 2 loglik`` (Akaike 1974)."""
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> float:
        """Schwarz's criterion ``K log(n_sets) - 2 loglik`` (Schwarz 1978); the sample size
        is the number of choice sets."""
        return self.n_params * np.log(self.n_sets) - 2 * self.loglik

    @property
    def rho_squared(self) -> float:
        """McFadden's (1974) rho-squared ``1 - loglik / null_loglik`` against the model of
        equal probabilities; NaN when ``null_loglik`` is 0 (no information)."""
        return 1.0 - self.loglik / self.null_loglik if self.null_loglik else float("nan")

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        """Wald confidence intervals ``params -+ z bse``, z the normal quantile.

        Parameters
        ----------
        level : float
            Confidence level, in (0, 1).

        Returns
        -------
        ndarray (K, 2)
            Lower and upper bound of each parameter.
        """
        z = normal.quantile(0.5 + level / 2)
        return np.column_stack([self.params - z * self.bse, self.params + z * self.bse])

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table: one row per term (the source of every other output).

        Parameters
        ----------
        level : float
            Confidence level of the Wald intervals.

        Returns
        -------
        pandas.DataFrame
            The columns of :func:`tidy`, with this fit's ``group``.
        """
        return tidy(self.terms, self.params, self.vcov, level, self.group)

    def statistics(self) -> dict:
        """Fit statistics as plain values (one row of the models table).

        Returns
        -------
        dict
            ``group``, ``n_respondents``, ``n_choice_sets``, ``n_parameters``,
            ``log_likelihood``, ``null_log_likelihood``, ``aic``, ``bic``, ``converged``,
            ``iterations``, ``se_type`` and ``engine``.
        """
        return {
            "group": self.group, "n_respondents": self.n_respondents,
            "n_choice_sets": self.n_sets, "n_parameters": self.n_params,
            "log_likelihood": self.loglik, "null_log_likelihood": self.null_loglik,
            "aic": self.aic, "bic": self.bic, "converged": self.converged,
            "iterations": self.iterations, "se_type": self.se_type, "engine": self.engine,
        }

    def summary(self, level: float = 0.95) -> str:
        """A statsmodels-like text table: fit statistics, then one line per term.

        Parameters
        ----------
        level : float
            Confidence level of the intervals.

        Returns
        -------
        str
            A header (model, counts, log-likelihoods, rho-squared, AIC, BIC, standard error
            kind, convergence) and the :meth:`to_frame` table without its group column.
        """
        frame = self.to_frame(level)
        head = (f"{self.model} ({self.engine}) group={self.group}\n"
                f"respondents {self.n_respondents}  choice sets {self.n_sets}  "
                f"log-likelihood {self.loglik:.4f}  null {self.null_loglik:.4f}  "
                f"rho2 {self.rho_squared:.4f}  AIC {self.aic:.2f}  BIC {self.bic:.2f}\n"
                f"standard errors: {self.se_type}; converged: {self.converged} "
                f"({self.iterations} iterations)\n")
        body = frame.drop(columns="group").to_string(index=False, float_format="%.4f")
        return head + body


def tidy(terms, params, vcov, level=0.95, group="all") -> pd.DataFrame:
    """Estimates table with Wald z statistics, two-sided normal p-values and intervals.

    Parameters
    ----------
    terms : sequence of str (K,)
        Parameter names.
    params : ndarray (K,)
        Estimates.
    vcov : ndarray (K, K)
        Their covariance; negative variances are clipped to 0.
    level : float
        Confidence level of the intervals ``estimate -+ z std_error``.
    group : str
        Value of the ``group`` column.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``group``, ``term``, ``estimate``, ``std_error``, ``z``,
        ``p_value``, ``ci_lower``, ``ci_upper``; ``z`` and ``p_value`` are NaN where the
        standard error is 0.
    """
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, params / se, np.nan)
    p = normal.two_sided_p(z)
    q = normal.quantile(0.5 + level / 2)
    return pd.DataFrame({
        "group": group, "term": list(terms), "estimate": params, "std_error": se, "z": z,
        "p_value": p, "ci_lower": params - q * se, "ci_upper": params + q * se,
    })


def reported(result: FitResult, attributes, with_map: bool = False):
    """Estimates in reporting terms: effects coding adds each omitted level
    (minus the sum of the others) with its standard error from the covariance. In a mixed
    logit an omitted level derived from a lognormal term uses that coefficient's mean
    ``exp(mu + s^2/2)`` (delta method), while the lognormal term's own row stays ``mu``.

    The reported estimates are the linear map ``T params`` with covariance ``T vcov T'``
    (exact: the map is linear); effects coding as in Bech and Gyrd-Hansen (2005). Terms of
    no attribute (constants, interactions) are reported as they are, after the attributes.

    Parameters
    ----------
    result : FitResult
        ``terms`` (K,), ``params`` (K,) and ``vcov`` (K, K).
    attributes : sequence of Attribute
        Attributes whose terms are all in ``result.terms``.
    with_map : bool
        Also return the map ``T``.

    Returns
    -------
    names : list of str (M,)
        Each attribute's ``report_terms`` in turn, then the terms of no attribute.
    estimates : ndarray (M,)
        ``T params``.
    covariance : ndarray (M, M)
        ``T vcov T'``.
    T : ndarray (M, K)
        Only with ``with_map``.

    Raises
    ------
    KeyError
        An attribute term that is not in ``result.terms`` (but the price attribute of a
        WTP-space mixed logit, ``result.price``, is left out: its slot holds ``lambda``).
    """
    index = {t: i for i, t in enumerate(result.terms)}
    rows, names, derived = [], [], []
    K = len(result.terms)
    logn = lognormal_map(result)  # lognormal terms: reference levels from their means
    for a in attributes:
        if list(a.terms) == [getattr(result, "price", None)]:
            continue  # WTP space: the price term's slot is the scale ``lambda``
        cols = [index[t] for t in a.terms]
        R = a.report_matrix()
        mean_based = logn is not None and bool(set(a.terms) & logn[2])
        for name, r in zip(a.report_terms, R):
            row = np.zeros(K)
            row[cols] = r
            rows.append(row)
            names.append(name)
            derived.append(mean_based and not (np.count_nonzero(r) == 1 and r.max() == 1))
    covered = {t for a in attributes for t in a.terms}
    for t in result.terms:
        if t not in covered:
            row = np.zeros(K)
            row[index[t]] = 1.0
            rows.append(row)
            names.append(t)
            derived.append(False)
    T = np.array(rows).reshape(len(rows), K)
    if logn is not None and any(derived):
        # rows derived from a lognormal term use the coefficients' means m(theta): the
        # estimate T_m m and, by the delta method, covariance through the Jacobian J
        d = np.array(derived)
        m, J, _ = logn
        A = np.where(d[:, None], T @ J, T)             # d(estimate)/d(theta) by row
        est = np.where(d, T @ m, T @ result.params)
        return (names, est, A @ result.vcov @ A.T, T) if with_map else \
            (names, est, A @ result.vcov @ A.T)
    if with_map:
        return names, T @ result.params, T @ result.vcov @ T.T, T
    return names, T @ result.params, T @ result.vcov @ T.T
