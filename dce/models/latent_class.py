"""Latent class conditional logit and scale-adjusted latent class logit.

Respondents belong to one of ``C`` preference classes for all their choice sets, each class
with its own conditional-logit coefficients; class shares are constant or a multinomial
logit of respondent covariates (Kamakura and Russell 1989; Bhat 1997; Train 2009, ch. 6.9;
Pacifico and Yoo 2013). With ``scale_classes = S > 1`` every preference class is crossed
with ``S`` scale classes whose coefficients are multiplied by ``lambda_s`` (the scale of the
largest scale class is fixed at 1, the others ``exp(tau_s) > 0``), so that a segment of
noisy respondents is not mistaken for a segment with different tastes (Magidson and
Vermunt 2007). Likelihood and derivatives: :mod:`dce.models.latent_class_likelihood`;
EM, starting values and the Newton polish: :mod:`dce.models.latent_class_em`; the choice
of the number of classes and label matching: :mod:`dce.models.latent_class_select`.

Many seeded starts are run (each from its own child SeedSequence, optionally in parallel
through :func:`dce.core.parallel.map_seeds`); the best log-likelihood is kept and the share
of starts that reached it (within ``tolerance``) is reported; a share below
``LOW_SHARE`` warns that more starts may find a better optimum.

Identification of labels: preference classes are ordered by their share (mean prior
probability over respondents), largest first, and class 1 is the reference of the
membership logit; scale classes likewise, with scale class 1 (the largest) at scale 1.

Parameter names (``terms``): ``class<c>:<term>`` for the coefficients of class ``c``,
``scale<s>:log_scale`` for ``tau_s``, ``class<c>:membership[<covariate>]`` for the
membership logit of class ``c >= 2`` (``const`` the intercept) and
``scale<s>:membership[const]`` for the scale-class shares.

Information criteria use the number of respondents ``N`` (the independent units of a panel
latent class model, as Latent GOLD and lclogit do): BIC ``-2 LL + P log N``, CAIC
``-2 LL + P (log N + 1)`` (Bozdogan 1987), AIC3 ``-2 LL + 3 P`` (Bozdogan 1994).

References
----------
Bozdogan, H. (1987). Model selection and Akaike's information criterion (AIC).
Psychometrika 52(3), 345-370.
Bozdogan, H. (1994). Mixture-model cluster analysis using model selection criteria and a
new informational measure of complexity. In Proceedings of the First US/Japan Conference on
the Frontiers of Statistical Modeling, vol. 2, 69-113. Kluwer.
Kamakura, W. A. and Russell, G. J. (1989). A probabilistic choice model for market
segmentation and elasticity structure. Journal of Marketing Research 26(4), 379-390.
Magidson, J. and Vermunt, J. K. (2007). Removing the scale factor confound in multinomial
logit choice models to obtain better estimates of preference. Sawtooth Software Conference
Proceedings, 139-154.
Pacifico, D. and Yoo, H. I. (2013). lclogit: A Stata command for fitting latent-class
conditional logit models via the expectation-maximization algorithm. Stata Journal 13(3),
625-639.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from dce.core.parallel import map_seeds
from dce.errors import ConfigError, DataError, EstimationError
from dce.models import clogit
from dce.models.covariance import bread_of, check_vcov, panel_covariances
from dce.models.latent_class_em import run_start
from dce.models.latent_class_likelihood import Mixture, PanelSets
from dce.models.results import FitResult, tidy

__all__ = ["LatentClassResult", "fit", "membership_frame", "membership_matrix",
           "parameter_names"]

LOW_SHARE = 0.2          # fewer starts than this share reaching the best log-likelihood warns
DECREMENT_TOL = 1e-6     # converged: Newton decrement g'(-H)^-1 g below this (loglik units)
SEPARATED_GAMMA = 10.0   # |membership coefficient| beyond this: odds of e^10 per unit, separation


@dataclass(frozen=True)
class LatentClassResult(FitResult):
    """A fitted latent class (or scale-adjusted latent class) logit.

    ``terms``, ``params`` (P,) and ``vcov`` (P, P) cover every parameter (names in the module
    docstring); :meth:`tidy` splits them into class and term.

    Attributes
    ----------
    n_classes, n_scale_classes : int
        Preference classes ``C`` and scale classes ``S``.
    class_terms : tuple of str (K,)
        The model terms (columns of the data), the same in every class.
    membership_terms : tuple of str (M,)
        Membership covariates, ``const`` first.
    respondent_ids : ndarray (N,)
        Respondent identifiers, in the order of the posterior rows.
    posterior : ndarray (N, C * S)
        Posterior probability of each segment ``(c, s)`` (column ``c S + s``) per respondent.
    prior : ndarray (N, C)
        Prior preference-class probabilities (from the membership logit).
    scale_shares, scales : ndarray (S,)
        Scale-class shares and scale factors (``scales[0] = 1``).
    start_records : tuple of dict
        Per start: ``start``, ``loglik``, ``em_iterations``, ``iterations``, ``status``,
        ``min_share``, ``reached_best``.
    tolerance : float
        Log-likelihood distance within which a start counts as reaching the best.
    membership_values : ndarray (N, M)
        The membership covariates (``const`` column first), rows as ``respondent_ids``.
    """

    n_classes: int = 1
    n_scale_classes: int = 1
    class_terms: tuple = ()
    membership_terms: tuple = ("const",)
    respondent_ids: np.ndarray = field(default=None, repr=False, compare=False)
    posterior: np.ndarray = field(default=None, repr=False, compare=False)
    prior: np.ndarray = field(default=None, repr=False, compare=False)
    scale_shares: np.ndarray = field(default=None, repr=False, compare=False)
    scales: np.ndarray = field(default=None, repr=False, compare=False)
    start_records: tuple = field(default=(), repr=False, compare=False)
    tolerance: float = 1e-4
    membership_values: np.ndarray = field(default=None, repr=False, compare=False)

    # ----- information criteria (respondents as the sample size) --------------------------
    @property
    def bic(self) -> float:
        """``-2 loglik + P log N`` with ``N`` respondents (module docstring)."""
        return self.n_params * np.log(self.n_respondents) - 2 * self.loglik

    @property
    def caic(self) -> float:
        """Consistent AIC ``-2 loglik + P (log N + 1)`` (Bozdogan 1987)."""
        return self.n_params * (np.log(self.n_respondents) + 1) - 2 * self.loglik

    @property
    def aic3(self) -> float:
        """``-2 loglik + 3 P`` (Bozdogan 1994)."""
        return 3 * self.n_params - 2 * self.loglik

    # ----- starts ----------------------------------------------------------------------------
    @property
    def n_starts(self) -> int:
        """Number of starts run."""
        return len(self.start_records)

    @property
    def starts_at_best(self) -> int:
        """Starts whose log-likelihood is within ``tolerance`` of the best."""
        return sum(bool(r["reached_best"]) for r in self.start_records)

    @property
    def share_at_best(self) -> float:
        """``starts_at_best / n_starts`` (1 for a fit from a given start)."""
        return self.starts_at_best / self.n_starts if self.n_starts else 1.0

    def start_table(self) -> pd.DataFrame:
        """One row per start: ``start, loglik, em_iterations, iterations, status, min_share,
        reached_best``."""
        return pd.DataFrame(list(self.start_records))

    # ----- tables ----------------------------------------------------------------------------
    @property
    def shares(self) -> np.ndarray:
        """Preference-class shares ``mean_n pi_nc``, ndarray (C,), largest first."""
        return self.prior.mean(axis=0)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: ``group, class, term, estimate, std_error, z, p_value,
        ci_lower, ci_upper``; ``class`` is ``class<c>`` or ``scale<s>``.

        Parameters
        ----------
        level : float
            Confidence level of the Wald intervals.

        Returns
        -------
        pandas.DataFrame
        """
        out = tidy(self.terms, self.params, self.vcov, level, self.group)
        parts = out["term"].str.split(":", n=1, expand=True)
        out.insert(1, "class", parts[0])
        out["term"] = parts[1]
        return out

    def glance(self) -> pd.DataFrame:
        """One row: :meth:`statistics` plus ``model, n_classes, n_scale_classes, caic, aic3,
        n_starts, starts_at_best, share_at_best``."""
        row = self.statistics()
        row.update(model=self.model, n_classes=self.n_classes,
                   n_scale_classes=self.n_scale_classes, caic=self.caic, aic3=self.aic3,
                   n_starts=self.n_starts, starts_at_best=self.starts_at_best,
                   share_at_best=self.share_at_best)
        return pd.DataFrame([row])

    def class_shares(self, level: float = 0.95) -> pd.DataFrame:
        """Class shares with delta-method standard errors and intervals on the logit scale
        (the Wald interval of ``log(p / (1 - p))``, mapped back, so it stays inside (0, 1)).

        Returns
        -------
        pandas.DataFrame
            ``class, share, std_error, ci_lower, ci_upper`` for ``class1..classC`` (mean
            prior probability) and, with scale classes, ``scale1..scaleS`` (with a ``scale``
            column: the scale factor).
        """
        z = special.ndtri(0.5 + level / 2)
        C, S, M = self.n_classes, self.n_scale_classes, len(self.membership_terms)
        K = len(self.class_terms)
        i_gamma = C * K + S - 1
        pi = self.prior
        rows = []
        for c in range(C):
            grad = np.zeros(self.n_params)
            for k in range(1, C):
                d = ((c == k) - pi[:, k]) * pi[:, c]
                grad[i_gamma + (k - 1) * M:i_gamma + k * M] = (d[:, None] * self.membership_values).mean(0)
            rows.append((f"class{c + 1}", pi[:, c].mean(), grad, 1.0))
        rho = self.scale_shares
        i_delta = i_gamma + (C - 1) * M
        for s in range(S if S > 1 else 0):
            grad = np.zeros(self.n_params)
            grad[i_delta:] = ((s == np.arange(1, S)) - rho[1:]) * rho[s]
            rows.append((f"scale{s + 1}", rho[s], grad, self.scales[s]))
        out = []
        for name, share, grad, scale in rows:
            se = float(np.sqrt(max(grad @ self.vcov @ grad, 0.0)))
            lo, hi = _share_interval(share, se, z)
            out.append({"class": name, "share": share, "std_error": se,
                        "ci_lower": lo, "ci_upper": hi, "scale": scale})
        frame = pd.DataFrame(out)
        return frame if S > 1 else frame.drop(columns="scale")

    def posterior_frame(self) -> pd.DataFrame:
        """Posterior class probabilities, respondents x classes.

        Returns
        -------
        pandas.DataFrame
            Index ``respondent`` (the identifiers); columns ``class1..classC`` (summed over
            scale classes), with scale classes also ``scale1..scaleS``, and ``class`` (the
            most probable preference class, 1-based).
        """
        C, S = self.n_classes, self.n_scale_classes
        h = self.posterior.reshape(-1, C, S)
        frame = pd.DataFrame(h.sum(axis=2), columns=[f"class{c + 1}" for c in range(C)],
                             index=pd.Index(self.respondent_ids, name="respondent"))
        if S > 1:
            for s in range(S):
                frame[f"scale{s + 1}"] = h[:, :, s].sum(axis=1)
        frame["class"] = np.argmax(h.sum(axis=2), axis=1) + 1
        return frame

    def class_fit(self, c: int) -> FitResult:
        """The coefficients of preference class ``c`` (1-based) as a conditional-logit
        :class:`FitResult` (terms, estimates and every covariance kind of that block), for
        importance, ranks and rates of substitution per class.

        Raises
        ------
        ValueError
            ``c`` outside 1..C.
        """
        if not 1 <= int(c) <= self.n_classes:
            raise ValueError(f"class must be between 1 and {self.n_classes}, got {_plain(c)!r}")
        K = len(self.class_terms)
        sl = slice((int(c) - 1) * K, int(c) * K)
        vcovs = {k: v[sl, sl] for k, v in self.vcovs.items()}
        return FitResult(
            terms=self.class_terms, params=self.params[sl], vcov=self.vcov[sl, sl],
            se_type=self.se_type, loglik=self.loglik, null_loglik=self.null_loglik,
            n_obs=self.n_obs, n_sets=self.n_sets, n_respondents=self.n_respondents,
            converged=self.converged, iterations=self.iterations, engine=self.engine,
            model=f"{self.model}[class{int(c)}]", group=self.group, vcovs=vcovs,
            gradient_norm=self.gradient_norm, warnings=self.warnings)


# ----- inputs ----------------------------------------------------------------------------------
def membership_matrix(data, membership=None) -> tuple[np.ndarray, tuple]:
    """Membership covariates per respondent, with a leading column of ones.

    Parameters
    ----------
    data : ChoiceData
        Its ``respondent_ids`` (N,) fix the row order.
    membership : pandas.DataFrame, ndarray (N, M) or None
        A DataFrame indexed by respondent identifier (every respondent of ``data`` present;
        numeric columns as they are, text/categorical/boolean columns as indicators of
        every level but the first in sorted order, named ``column[level]``); or an array in
        the order of ``data.respondent_ids``; None: constant shares.

    Returns
    -------
    Z : ndarray (N, 1 + M)
    names : tuple of str
        ``const`` then the covariate names.

    Raises
    ------
    dce.errors.DataError
        Key ``membership``: missing respondents, missing values, a wrong array shape or a
        column that does not vary across respondents.
    """
    N = len(data.respondent_ids)
    if membership is None:
        return np.ones((N, 1)), ("const",)
    if isinstance(membership, pd.DataFrame):
        missing = pd.Index(data.respondent_ids).difference(membership.index)
        if len(missing):
            raise DataError(f"membership covariates: no row for respondents "
                            f"{', '.join(map(str, list(missing)[:3]))}"
                            f"{' ...' if len(missing) > 3 else ''} ({len(missing)} missing)",
                            key="membership")
        df = membership.loc[list(data.respondent_ids)]
        cols, names = [], []
        for col in df.columns:
            v = df[col]
            if v.isna().any():
                who = v.index[v.isna()][0]
                raise DataError(f"membership covariate {col!r} is missing for respondent "
                                f"{_plain(who)!r}", key="membership")
            if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
                cols.append(v.to_numpy(float))
                names.append(str(col))
            else:
                levels = sorted(v.astype(str).unique())
                for lev in levels[1:]:
                    cols.append((v.astype(str) == lev).to_numpy(float))
                    names.append(f"{col}[{lev}]")
        X = np.column_stack(cols) if cols else np.zeros((N, 0))
    else:
        X = np.asarray(membership, float)
        if X.ndim == 1:
            X = X[:, None]
        if X.shape[0] != N or not np.all(np.isfinite(X)):
            raise DataError(f"membership covariates: expected a finite array with {N} rows "
                            f"(one per respondent), found shape {X.shape}", key="membership")
        names = [f"z{i + 1}" for i in range(X.shape[1])]
    for i, name in enumerate(names):
        if np.ptp(X[:, i]) == 0:
            raise DataError(f"membership covariate {name!r} takes one value for every "
                            "respondent, so its effect cannot be estimated", key="membership")
    return np.column_stack([np.ones(N), X]), ("const", *names)


def membership_frame(responses: pd.DataFrame, columns: list,
                     respondent: str = "respondent") -> pd.DataFrame | None:
    """Membership covariates, one row per respondent (numeric columns as numbers, the rest as
    text), or None when ``columns`` is empty.

    Parameters
    ----------
    responses : pandas.DataFrame
        Long responses (one row per respondent x task x alternative) with the respondent
        column and the covariate columns.
    columns : list of str
        Covariates, each constant within a respondent.
    respondent : str
        The respondent column.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by respondent (in order of first appearance), one column per covariate.

    Raises
    ------
    dce.errors.DataError
        Key ``membership``: a covariate that takes more than one value within a respondent
        (naming the column and the first such respondent).
    """
    if not columns:
        return None
    groups = responses.groupby(respondent, sort=False)[list(columns)]
    counts = groups.nunique(dropna=False)
    for col in counts.columns:
        varying = counts.index[counts[col].to_numpy() > 1]
        if len(varying):
            more = f" (and {len(varying) - 1} other respondents)" if len(varying) > 1 else ""
            raise DataError(f"membership covariate {col!r} takes {counts.at[varying[0], col]} "
                            f"values within respondent {_plain(varying[0])!r}{more}; a class "
                            "membership covariate is constant within a respondent",
                            key="membership")
    frame = groups.first()
    for col in frame.columns:
        numbers = pd.to_numeric(frame[col], errors="coerce")
        if numbers.notna().all():
            frame[col] = numbers.astype(float)
    return frame


def _plain(value):
    """A numpy scalar as the Python value it holds (messages show 1, not np.int64(1))."""
    return value.item() if isinstance(value, np.generic) else value


def _check_counts(data, classes, scale_classes, starts):
    for key, value, low in (("classes", classes, 1), ("scale_classes", scale_classes, 1),
                            ("starts", starts, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"expected a whole number >= {low}, found {_plain(value)!r}",
                              key=key)
    if classes * scale_classes > data.n_respondents:
        raise DataError(f"{classes * scale_classes} segments need at least as many "
                        f"respondents; the data have {data.n_respondents}", key="classes")


def parameter_names(model, terms, znames) -> tuple:
    """Names of the parameters of ``model`` (a Mixture) in order (module docstring), from
    the K model ``terms`` and the membership names ``znames``."""
    out = [f"class{c + 1}:{t}" for c in range(model.C) for t in terms]
    out += [f"scale{s + 1}:log_scale" for s in range(1, model.S)]
    out += [f"class{c + 1}:membership[{z}]" for c in range(1, model.C) for z in znames]
    out += [f"scale{s + 1}:membership[const]" for s in range(1, model.S)]
    return tuple(out)


def _reorder(model, theta):
    """Classes by share (largest first), scale classes likewise with the first at scale 1."""
    beta, lam, gamma, delta = model.unpack(theta)
    pi, rho = model.class_probabilities(theta)
    oc = np.argsort(-pi.mean(axis=0), kind="stable")
    os_ = np.argsort(-rho, kind="stable")
    ref = lam[os_[0]]
    return model.pack(beta[oc] * ref, lam[os_] / ref, gamma[oc], delta[os_])


def _membership_notes(names, theta, group) -> list[str]:
    """A note naming the membership coefficients (not the constants) beyond
    ``SEPARATED_GAMMA``: a covariate that all but decides the segment."""
    far = [f"{n} ({v:.3g})" for n, v in zip(names, theta, strict=True)
           if ":membership[" in n and not n.endswith("[const]") and abs(v) > SEPARATED_GAMMA]
    if not far:
        return []
    return [f"group {group}: membership coefficients {', '.join(far)} are so large that the "
            "covariate all but decides the segment (separation in the membership logit); "
            "their standard errors and p-values mean nothing"]


def _share_interval(p: float, se: float, z: float) -> tuple[float, float]:
    """Interval of a share ``p`` in (0, 1) with delta-method standard error ``se``: Wald on
    the logit scale (standard error ``se / (p (1 - p))``), mapped back; ``(p, p)`` for a
    share of exactly 0 or 1."""
    if not 0.0 < p < 1.0:
        return p, p
    logit, s = np.log(p / (1.0 - p)), se / (p * (1.0 - p))
    return float(special.expit(logit - z * s)), float(special.expit(logit + z * s))


# ----- fitting ---------------------------------------------------------------------------------
def _run_starts(model, base, base_se, spread, starts, seed_seq, em_iterations, jobs, start):
    """(records, thetas, failure notes) of every start."""
    if start is not None:
        start = np.asarray(start, float)
        if start.shape != (model.P,):
            raise ValueError(f"start must have {model.P} values")
        results = [run_start(seed_seq, model, base, base_se, spread, em_iterations, start)]
        failures = []
    else:
        mapped = map_seeds(run_start, int(starts), seed_seq,
                           args=(model, base, base_se, spread, int(em_iterations)), jobs=jobs,
                           desc="latent class starts")
        results, failures = mapped.results, mapped.failures
    notes = [f"start {f.task + 1} failed: {f.message}" for f in failures]
    records, thetas = [], []
    for i, r in enumerate(results):
        if r is None:
            continue
        thetas.append(r["theta"])
        records.append({"start": i + 1, "loglik": r["loglik"],
                        "em_iterations": r["em_iterations"], "iterations": r["iterations"],
                        "status": r["status"], "min_share": r["min_share"]})
    return records, thetas, notes


def _pick_best(records, tolerance, group, notes):
    """Index of the best usable start; marks ``reached_best`` and adds notes."""
    usable = [i for i, r in enumerate(records)
              if np.isfinite(r["loglik"]) and not r["status"].startswith(("diverged", "empty"))]
    pool = usable or [i for i, r in enumerate(records) if np.isfinite(r["loglik"])]
    if not pool:
        raise EstimationError(f"group {group}: every latent class start failed", key="model")
    best = max(pool, key=lambda i: records[i]["loglik"])
    top = records[best]["loglik"]
    for r in records:
        r["reached_best"] = bool(np.isfinite(r["loglik"]) and abs(r["loglik"] - top) <= tolerance)
    bad = [r for r in records if r["status"] != "converged" and r["status"] != "not converged"]
    if bad:
        kinds = sorted({r["status"] for r in bad})
        notes.append(f"group {group}: {len(bad)} of {len(records)} starts ended badly "
                     f"({'; '.join(kinds)})")
    if not usable:
        notes.append(f"group {group}: no start ended without an empty class or diverging "
                     "coefficients; the best of them is reported and marked not converged")
    n_best = sum(r["reached_best"] for r in records)
    if len(records) > 1 and n_best / len(records) < LOW_SHARE:
        notes.append(f"group {group}: only {n_best} of {len(records)} starts reached the best "
                     f"log-likelihood ({top:.4f}); more starts may find a better optimum")
    return best


def _covariances(model, theta, group, notes):
    """(loglik, gradient, covariances, converged) at the reordered optimum; notes added."""
    ll, grad, H, gn = model.derivatives(theta)
    bread, definite = bread_of(H)
    vcovs = panel_covariances(bread, gn)
    decrement = float(grad @ bread @ grad)
    converged = bool(definite and decrement < DECREMENT_TOL)
    if not definite:
        notes.append(f"group {group}: the Hessian is not negative definite at the best "
                     "optimum (an empty or unidentified class); standard errors use a "
                     "pseudo-inverse")
    if not converged:
        notes.append(f"group {group}: the latent class model did not converge (gradient norm "
                     f"{np.abs(grad).max():.2e}, decrement {decrement:.2e})")
    pi, rho = model.class_probabilities(theta)
    shares = np.r_[pi.mean(axis=0), rho if model.S > 1 else []]
    if shares.min() * model.N < 1.0:
        notes.append(f"group {group}: a class empties out (smallest share {shares.min():.2e}, "
                     "less than one respondent); fewer classes may suffice")
    return ll, grad, vcovs, converged


def fit(data, *, classes: int = 2, scale_classes: int = 1, membership=None, starts: int = 20,
        seed_seq: np.random.SeedSequence, se: str = "cluster", group: str = "all",
        em_iterations: int = 1000, jobs: int = 1, start=None,
        tolerance: float = 1e-4) -> LatentClassResult:
    """Fit a latent class conditional logit, or with ``scale_classes > 1`` a scale-adjusted
    latent class logit (Magidson and Vermunt 2007), by EM and a Newton polish from many
    seeded starts (see the module docstring and :mod:`dce.models.latent_class_em`).

    Parameters
    ----------
    data : ChoiceData
        Choice sets (rows, K terms) with respondents (the panel).
    classes, scale_classes : int
        Preference classes ``C >= 1`` and scale classes ``S >= 1``.
    membership : pandas.DataFrame, ndarray (N, M) or None
        Respondent covariates of the class-membership logit (see :func:`membership_matrix`);
        None: constant shares.
    starts, seed_seq : int, numpy.random.SeedSequence
        Number of random starts; start ``i`` uses the child ``i`` of ``seed_seq`` (same seed,
        same numbers, whatever ``jobs``).
    se, group : {"cluster", "robust", "classic"}, str
        Covariance stored as ``vcov`` (robust: sandwich over respondents; cluster: the same
        times ``G/(G-1)``); label of the result.
    em_iterations, jobs : int, int
        Most EM iterations per start; workers for the starts (:func:`map_seeds`).
    start : array-like (P,) or None
        A full starting vector (in ``terms`` order) run instead of the random starts.
    tolerance : float
        A start within this of the best log-likelihood counts as reaching it.

    Returns
    -------
    LatentClassResult
        Notes (non-convergence, a low share of starts at the best, starts that diverged or
        emptied a class, a class that empties out) are also issued as RuntimeWarning.

    Raises
    ------
    dce.errors.ConfigError
        ``classes``, ``scale_classes`` or ``starts`` not a whole number >= 1.
    dce.errors.DataError
        Fewer respondents than segments; bad membership covariates.
    dce.errors.EstimationError
        Terms the data cannot separate (:func:`dce.models.clogit.check_identified`); every
        start failed.
    """
    check_vcov(se)
    _check_counts(data, classes, scale_classes, starts)
    Z, znames = membership_matrix(data, membership)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        base = clogit.fit(data, se="classic", group=group)
    notes = [f"starting values (conditional logit): {w.message}" for w in caught]
    model = Mixture(PanelSets(data), classes, scale_classes, Z)
    records, thetas, failed = _run_starts(model, base.params, base.bse,
                                          clogit.within_set_spread(data), starts,
                                          seed_seq, em_iterations, jobs, start)
    notes += failed
    best = _pick_best(records, tolerance, group, notes)
    theta = _reorder(model, thetas[best])
    ll, grad, vcovs, converged = _covariances(model, theta, group, notes)
    converged &= not records[best]["status"].startswith(("diverged", "empty"))
    (h, _), (pi, rho) = model.posterior(theta), model.class_probabilities(theta)
    notes += _membership_notes(names := parameter_names(model, data.terms, znames), theta,
                               group)
    for msg in notes:
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    name = "latent_class" if scale_classes == 1 else "scale_adjusted_latent_class"
    return LatentClassResult(
        terms=names, params=theta, vcov=vcovs[se], se_type=se,
        loglik=ll, null_loglik=clogit.null_loglik(data), n_obs=data.n_rows,
        n_sets=data.n_sets, n_respondents=data.n_respondents, converged=converged,
        iterations=int(records[best]["em_iterations"] + records[best]["iterations"]),
        engine="native", model=name, group=group, vcovs=vcovs,
        gradient_norm=float(np.abs(grad).max()), warnings=tuple(notes),
        n_classes=int(classes), n_scale_classes=int(scale_classes),
        class_terms=tuple(data.terms), membership_terms=tuple(znames),
        respondent_ids=np.asarray(data.respondent_ids), posterior=h, prior=pi,
        scale_shares=rho, scales=model.unpack(theta)[1], start_records=tuple(records),
        tolerance=float(tolerance), membership_values=Z)
