"""ModelResult: what the Python API returns for a fitted choice model.

A thin, frozen wrapper around the engine's :class:`~dce.models.results.FitResult` that
speaks the names of the field: ``tidy()`` is the one table every accessor reads (as in
pyfixest's result accessors), ``glance()`` the one-row model summary (broom / logitr),
``vcov`` a labelled covariance, ``with_vcov()`` another covariance type of the same fit
without refitting. Terms are the reported terms of ``estimates.csv``: with effects coding
the omitted level is included, with its standard error (its estimate is minus the sum of
the others).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from dce.core.options import VcovType, check_literal
from dce.models.results import FitResult, reported, tidy

GLANCE = ["n_respondents", "n_choice_sets", "n_parameters", "log_likelihood",
          "null_log_likelihood", "aic", "bic", "converged", "iterations", "se_type", "engine",
          "model", "constants_log_likelihood", "rho_squared"]


@dataclass(frozen=True)
class ModelResult:
    """A fitted choice model (conditional logit, mixed logit, best-worst or ranking).

    Attributes
    ----------
    fit : FitResult
        The engine's record: ``params`` (K,), ``vcov`` (K, K), ``vcovs`` by type, counts.
    attributes : tuple of Attribute
        The coded attributes (or items), used to report effects-coded omitted levels.
    constants_loglik : float
        Log-likelihood of the model with only the alternative-specific constants.
    columns : dict
        The column names of the data it was fitted on (for :meth:`predict`).
    value_ranges : dict
        Observed (min, max) of linear attributes declared without levels (importance).
    """

    fit: FitResult
    attributes: tuple = ()
    constants_loglik: float = float("nan")
    columns: dict = field(default_factory=dict, repr=False)
    value_ranges: dict = field(default_factory=dict, repr=False)

    # ----- the one table -----------------------------------------------------------
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per reported term: ``term, estimate, std_error, z, p_value, ci_lower,
        ci_upper`` (estimates.csv without ``group``), Wald intervals at ``level``.

        >>> import dce
        >>> df = dce.load_example()
        >>> res = dce.clogit(df[df.group == "public_used"], attributes=dce.example_attributes())
        >>> list(res.tidy().columns)
        ['term', 'estimate', 'std_error', 'z', 'p_value', 'ci_lower', 'ci_upper']

        A fit of separated data run with ``on_separation="warn"`` adds ``separated``
        (True on the rows whose estimate is not finite in truth).
        """
        if not 0 < float(level) < 1:
            from dce.errors import ConfigError

            raise ConfigError(f"expected a number between 0 and 1, found {level!r}",
                              key="level")
        names, est, cov = self._reported()
        frame = tidy(names, est, cov, level, self.fit.group).drop(columns="group")
        sep = getattr(self.fit, "separation", None)
        if sep is not None:  # rows whose estimate runs to infinity along the separation
            d = sep.along(self.fit.terms)
            if self.attributes and not getattr(self.fit, "fixed", ()):
                d = reported(self.fit, self.attributes, with_map=True)[3] @ d
            frame["separated"] = np.abs(d) > 1e-9
        return frame

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Alias of :meth:`tidy` (the name FitResult and statsmodels users know)."""
        return self.tidy(level)

    def _reported(self):
        if self.attributes and not getattr(self.fit, "fixed", ()):
            return reported(self.fit, self.attributes)
        return list(self.fit.terms), self.fit.params, self.fit.vcov

    def coef(self) -> pd.Series:
        """Estimates indexed by term (from :meth:`tidy`)."""
        t = self.tidy()
        return pd.Series(t["estimate"].to_numpy(), index=t["term"], name="estimate")

    def se(self) -> pd.Series:
        """Standard errors of the chosen covariance type, indexed by term."""
        t = self.tidy()
        return pd.Series(t["std_error"].to_numpy(), index=t["term"], name="std_error")

    def pvalue(self) -> pd.Series:
        """Two-sided Wald p-values indexed by term."""
        t = self.tidy()
        return pd.Series(t["p_value"].to_numpy(), index=t["term"], name="p_value")

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """Wald intervals (``ci_lower``, ``ci_upper``) indexed by term."""
        return self.tidy(level).set_index("term")[["ci_lower", "ci_upper"]]

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the reported terms (terms x terms), labelled."""
        names, _, cov = self._reported()
        return pd.DataFrame(cov, index=names, columns=names)

    @property
    def vcov_type(self) -> str:
        """The covariance type of :attr:`vcov`: "cluster", "robust" or "classic"."""
        return self.fit.se_type

    def with_vcov(self, vcov: str) -> ModelResult:
        """The same fit with another covariance type (``"cluster"``, ``"robust"`` or
        ``"classic"``), without refitting.

        Raises
        ------
        ConfigError
            (a ``ValueError``) for an unknown type or one this engine did not compute.
        """
        check_literal(vcov, VcovType, "vcov")
        V = (self.fit.vcovs or {}).get(vcov)
        if V is None:
            from dce.errors import ConfigError

            raise ConfigError(f"this fit has no {vcov!r} covariance (computed: "
                              f"{', '.join(sorted(self.fit.vcovs or {})) or 'none'})",
                              key="vcov")
        return replace(self, fit=replace(self.fit, vcov=V, se_type=vcov))

    # ----- model statistics --------------------------------------------------------
    def glance(self) -> pd.DataFrame:
        """One row with the columns of models.csv (without ``group``)."""
        row = self.fit.statistics()
        row["model"] = self.fit.model
        row["constants_log_likelihood"] = self.constants_loglik
        row["rho_squared"] = self.fit.rho_squared
        return pd.DataFrame([{k: row[k] for k in GLANCE}])

    def summary(self, level: float = 0.95) -> str:
        """A text table: the model line, fit statistics and :meth:`tidy`."""
        f = self.fit
        head = (f"{f.model} ({f.engine} engine)  respondents {f.n_respondents}  choice sets "
                f"{f.n_sets}\nlog-likelihood {f.loglik:.4f}  null {f.null_loglik:.4f}  "
                f"rho2 {f.rho_squared:.4f}  AIC {f.aic:.2f}  BIC {f.bic:.2f}\n"
                f"vcov: {f.se_type}; converged: {f.converged} ({f.iterations} iterations)\n")
        t = self.tidy(level)
        p = t.pop("p_value")
        t["p_value"] = [("< 1e-16" if v < 1e-16 else f"{v:.1e}") if v < 1e-4 else f"{v:.4f}"
                        for v in p]
        return head + t.to_string(index=False, float_format="%.4f")

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        f = self.fit
        caption = html.escape(f"{f.model} ({f.engine}): {f.n_respondents} respondents, "
                              f"{f.n_sets} choice sets, log-likelihood {f.loglik:.3f}, "
                              f"vcov {f.se_type}")
        table = self.tidy().to_html(index=False, float_format="%.4f", border=0)
        return f"<div><p><strong>{caption}</strong></p>{table}</div>"

    # ----- prediction --------------------------------------------------------------
    def predict(self, df: pd.DataFrame) -> pd.Series:
        """Choice probabilities of every row of ``df`` (same columns as the fitted
        data; the choice column is not needed), a Series aligned with ``df.index``.

        Raises
        ------
        DataError
            For a missing column or an unknown level, naming it.
        """
        if getattr(self.fit, "fixed", ()):
            from dce.errors import ConfigError

            raise ConfigError(f"predict() gives choice probabilities of attribute models; "
                              f"this is a {self.fit.model} fit of item utilities (use "
                              "dce.importance for shares of preference)", key="predict")
        from dce.core.coding import encode
        from dce.core.frames import long_frame

        c = self.columns
        table, position = long_frame(df, self.attributes, choice=None,
                                     respondent=c["respondent"], task=c["task"],
                                     alternative=c["alternative"], group=c.get("group"),
                                     block=c.get("block"))
        data = encode(table, self.attributes, c.get("asc", ()), labels=c.get("labels"))
        index = {t: i for i, t in enumerate(data.terms)}
        beta = np.zeros(len(data.terms))
        for t, b in zip(self.fit.terms, self.fit.params):
            if t in index:
                beta[index[t]] = b
        v = data.X @ beta
        starts = data.set_start[:-1]
        v = v - np.maximum.reduceat(v, starts)[data.set_index]
        e = np.exp(v)
        p = e / np.add.reduceat(e, starts)[data.set_index]
        out = np.empty(len(df))
        out[position] = p
        return pd.Series(out, index=df.index, name="probability")
