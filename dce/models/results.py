"""FitResult: a plain, frozen record of one model fit, separate from the fitting code."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class FitResult:
    """Estimates and statistics of one fitted model.

    ``vcov`` is the covariance of the chosen ``se_type``; ``vcovs`` holds every type that
    was computed (classic, robust, cluster).
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

    @property
    def n_params(self) -> int:
        return len(self.params)

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))

    @property
    def aic(self) -> float:
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> float:
        return self.n_params * np.log(self.n_sets) - 2 * self.loglik

    @property
    def rho_squared(self) -> float:
        return 1.0 - self.loglik / self.null_loglik if self.null_loglik else float("nan")

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        z = stats.norm.ppf(0.5 + level / 2)
        return np.column_stack([self.params - z * self.bse, self.params + z * self.bse])

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table: one row per term (the source of every other output)."""
        return tidy(self.terms, self.params, self.vcov, level, self.group)

    def statistics(self) -> dict:
        return {
            "group": self.group, "n_respondents": self.n_respondents,
            "n_choice_sets": self.n_sets, "n_parameters": self.n_params,
            "log_likelihood": self.loglik, "null_log_likelihood": self.null_loglik,
            "aic": self.aic, "bic": self.bic, "converged": self.converged,
            "iterations": self.iterations, "se_type": self.se_type, "engine": self.engine,
        }

    def summary(self, level: float = 0.95) -> str:
        """A statsmodels-like text table."""
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
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, params / se, np.nan)
    p = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(0.5 + level / 2)
    return pd.DataFrame({
        "group": group, "term": list(terms), "estimate": params, "std_error": se, "z": z,
        "p_value": p, "ci_lower": params - q * se, "ci_upper": params + q * se,
    })


def reported(result: FitResult, attributes, with_map: bool = False):
    """Estimates in reporting terms: effects coding adds each omitted level
    (minus the sum of the others) with its standard error from the covariance."""
    index = {t: i for i, t in enumerate(result.terms)}
    rows, names = [], []
    K = len(result.terms)
    for a in attributes:
        cols = [index[t] for t in a.terms]
        R = a.report_matrix()
        for name, r in zip(a.report_terms, R):
            row = np.zeros(K)
            row[cols] = r
            rows.append(row)
            names.append(name)
    covered = {t for a in attributes for t in a.terms}
    for t in result.terms:
        if t not in covered:
            row = np.zeros(K)
            row[index[t]] = 1.0
            rows.append(row)
            names.append(t)
    T = np.array(rows).reshape(len(rows), K)
    if with_map:
        return names, T @ result.params, T @ result.vcov @ T.T, T
    return names, T @ result.params, T @ result.vcov @ T.T
