"""Conditional logit through pylogit (``model.engine: pylogit``).

The ChoiceData is handed to pylogit in its long format: ``obs_id`` is the choice set's
number plus one (1..S; sets left out leave gaps), ``alt_id`` the alternative, ``chosen``
the 0/1 outcome and one column per term of ``X`` with a generic ("all_same") coefficient.
Alternative-specific constants are already columns of ``X``, so pylogit estimates no
intercepts of its own.
pylogit's MNL is fitted with ``fit_mle(..., method="trust-exact", just_point=True)``: a
Newton trust-region method on pylogit's analytic gradient and Hessian, stopped on a
gradient tolerance that scales with the number of sets (see ``GTOL_PER_SET``). Whether
the fit ``converged`` is then judged from pylogit's gradient and Hessian at the estimate:
the Newton decrement ``g' (-H)^-1 g`` must be at most ``DECREMENT_TOL`` (every coefficient
within 1e-6 standard errors of the maximum) or at the rounding level of the
log-likelihood. (scipy's trust-exact stops with "A bad approximation caused failure to
predict improvement" when the predicted gain falls below the rounding of the objective,
i.e. at the maximum to machine precision; that is a success, not a failure.)

Post-estimation quantities come from pylogit's estimation object for the MNL
(log-likelihood, Hessian, long-format probabilities), combined as pylogit does
(classic ``-inv(H)``; robust ``H^-1 B H^-1`` via ``choice_calcs.calc_asymptotic_covariance``)
with one exception: the BHHH matrix ``B``. pylogit's ``calc_fisher_info_matrix`` (run by
``fit_mle`` without ``just_point``) turns the sparse rows-to-sets mapping into a dense
(rows x sets) array, which needs ~224 GiB for 100,000 sets of 3. Here ``B`` is built
from the per-set score contributions ``rows_to_obs' [X * (y - p)]`` (sparse product,
linear in the data), the same quantity pylogit sums before densifying. The
cluster-by-respondent covariance sums those set scores by respondent and applies the
factor G/(G-1), as :func:`dce.models.clogit.covariances` does.

References
----------
Brathwaite, T. and Walker, J. L. (2018). Asymmetric, closed-form, finite-parameter models of
multinomial choice. Journal of Choice Modelling 29, 78-112 (pylogit).
McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
P. Zarembka (ed.), Frontiers in Econometrics, 105-142. Academic Press.
White, H. (1982). Maximum likelihood estimation of misspecified models. Econometrica
50(1), 1-25.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as np
import pandas as pd
from scipy import linalg

from dce.errors import EstimationError
from dce.models.clogit import check_identified, large_terms
from dce.models.covariance import check_vcov, cluster_vcov
from dce.models.pylogit_compat import HINT, import_pylogit
from dce.models.results import FitResult

GTOL_PER_SET = 1e-10   # stop when |gradient| < GTOL_PER_SET * (number of sets)
DECREMENT_TOL = 1e-12  # converged: Newton decrement below this (or log-likelihood rounding)
METHOD = "trust-exact"

_OBS, _ALT, _CHOICE = "obs_id", "alt_id", "chosen"


def long_frame(data, keep=None) -> tuple[pd.DataFrame, OrderedDict, OrderedDict]:
    """Long format of pylogit for the sets where ``keep`` is true (default: all), plus
    the specification (one generic coefficient per term) and the coefficient names.

    Parameters
    ----------
    data : ChoiceData
        ``X`` (rows, K), ``chosen``, ``alternative``, ``terms`` (K,).
    keep : ndarray of bool (sets,), optional
        Sets to include.

    Returns
    -------
    frame : pandas.DataFrame
        One row per kept alternative: ``obs_id`` (set number + 1), ``alt_id``, ``chosen``
        (int) and ``x0 .. x{K-1}``.
    specification : OrderedDict
        ``{"x<k>": "all_same"}``.
    names : OrderedDict
        ``{"x<k>": term}``.
    """
    rows = slice(None) if keep is None else np.repeat(keep, data.set_sizes)
    set_of_row = data.set_index[rows]
    columns = {_OBS: set_of_row + 1, _ALT: data.alternative[rows],
               _CHOICE: data.chosen[rows].astype(np.int64)}
    spec, names = OrderedDict(), OrderedDict()
    for k, term in enumerate(data.terms):
        col = f"x{k}"
        columns[col] = data.X[rows, k]
        spec[col] = "all_same"
        names[col] = term
    return pd.DataFrame(columns), spec, names


def fit(data, *, se: str = "cluster", group: str = "all", start=None, max_iter: int = 200,
        check: bool = True, **_) -> FitResult:
    """Fit a conditional logit with pylogit; the same parameters and result as
    :func:`dce.models.clogit.fit`.

    Sets without a chosen alternative are left out; convergence is judged by the Newton
    decrement (module docstring). ``max_iter`` defaults to 200 (native: 100); other
    keyword arguments are ignored.

    Returns
    -------
    FitResult
        ``engine="pylogit"``, ``params`` (K,), ``vcov`` (K, K) of kind ``se``.

    Raises
    ------
    ValueError
        An unknown ``se``.
    dce.errors.EstimationError
        pylogit unusable or failing, no terms or sets, chosen values not 0/1, a set with
        more than one chosen alternative, or (``check``) terms the data cannot identify.
    """
    check_vcov(se)
    pl = import_pylogit()
    if check:
        check_identified(data)
    K = len(data.terms)
    if K == 0:
        raise EstimationError("the model has no terms to estimate", key="model")
    keep = _sets_to_use(data)
    init = np.zeros(K) if start is None else np.array(start, dtype=float)
    try:
        df, spec, names = long_frame(data, None if keep.all() else keep)
        model = pl.create_choice_model(data=df, alt_id_col=_ALT, obs_id_col=_OBS,
                                       choice_col=_CHOICE, specification=spec,
                                       model_type="MNL", names=names)
        gtol = GTOL_PER_SET * max(int(keep.sum()), 1)
        opt = model.fit_mle(init, print_res=False, method=METHOD, loss_tol=gtol,
                            gradient_tol=gtol, maxiter=max_iter, just_point=True)
        beta = np.asarray(opt["x"], dtype=float)
        mnl = pl.conditional_logit
        estimator = mnl.MNLEstimator(model, model.get_mappings_for_fit(), None,
                                     np.zeros(K), mnl.split_param_vec)
        estimator.set_derivatives()
        ll = float(estimator.convenience_calc_log_likelihood(beta))
        ll0 = float(estimator.convenience_calc_log_likelihood(np.zeros(K)))
        grad = np.asarray(estimator.convenience_calc_gradient(beta), dtype=float).ravel()
        H = np.asarray(estimator.convenience_calc_hessian(beta), dtype=float)
        _, long_probs = estimator.convenience_calc_probs(beta)
        row_scores = estimator.design * (estimator.choice_vector - long_probs)[:, None]
        set_scores = np.asarray(estimator.rows_to_obs.T @ row_scores)
        vcovs = _covariances(pl, H, set_scores, keep, data)
    except (EstimationError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - pylogit is unmaintained; report, don't crash
        raise EstimationError(f"group {group}: pylogit failed ({type(exc).__name__}: "
                              f"{exc}); {HINT}", key="model.engine") from exc
    decrement = _newton_decrement(grad, H)
    converged = bool(np.all(np.isfinite(beta)) and np.isfinite(ll) and decrement <= max(
        DECREMENT_TOL, 8 * np.finfo(float).eps * abs(ll)))
    iterations = int(opt.get("nit", 0))
    notes = []
    if not converged:
        msg = (f"group {group}: pylogit ({METHOD}) did not converge in {iterations} "
               f"iterations ({opt.get('message', '')}; gradient norm "
               f"{np.abs(grad).max():.2e}, Newton decrement {decrement:.2e})")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    big = large_terms(beta, data)
    if big:
        msg = (f"group {group}: very large estimates for {', '.join(big)}: the data may be "
               "(quasi-)separated, e.g. one level always chosen")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    return FitResult(
        terms=tuple(data.terms), params=beta, vcov=vcovs[se], se_type=se, loglik=ll,
        null_loglik=ll0, n_obs=data.n_rows, n_sets=data.n_sets,
        n_respondents=data.n_respondents, converged=converged, iterations=iterations,
        engine="pylogit", group=group, vcovs=vcovs,
        gradient_norm=float(np.abs(grad).max()), warnings=tuple(notes))


def _sets_to_use(data) -> np.ndarray:
    """Sets with one chosen alternative (per set, bool). Sets with none carry no
    information (as in the native engine) and are left out; anything else is an error."""
    y = data.chosen
    if data.n_sets == 0:
        raise EstimationError("no choice sets to fit", key="model")
    if not np.all((y == 0) | (y == 1)):
        raise EstimationError("the pylogit engine needs chosen values of 0 or 1; " + HINT,
                              key="model.engine")
    ysum = np.add.reduceat(y, data.set_start[:-1])
    if np.any(ysum > 1):
        raise EstimationError(f"{int(np.sum(ysum > 1))} choice sets have more than one chosen "
                              "alternative, which the pylogit engine cannot fit; " + HINT,
                              key="model.engine")
    keep = ysum == 1
    if not keep.any():
        raise EstimationError("no choice set has a chosen alternative", key="model")
    return keep


def _newton_decrement(grad, H) -> float:
    """``g' (-H)^-1 g``: twice the log-likelihood gain a Newton step would still make."""
    try:
        step = linalg.solve(-H, grad, assume_a="sym")
    except (linalg.LinAlgError, ValueError):
        step = np.linalg.lstsq(-H, grad, rcond=None)[0]
    value = float(grad @ step)
    return value if np.isfinite(value) else float("inf")


def _covariances(pl, H, set_scores, keep, data) -> dict:
    """Classic and robust covariances as pylogit defines them, and the cluster one, from
    the Hessian and the score of each used set (rows of ``set_scores`` = sets in ``keep``)."""
    try:
        classic = -1.0 * linalg.inv(H)
    except linalg.LinAlgError:
        classic = -np.linalg.pinv(H)
    classic = (classic + classic.T) / 2
    bhhh = set_scores.T @ set_scores
    robust = np.asarray(pl.choice_calcs.calc_asymptotic_covariance(H, bhhh))
    scores = np.zeros((data.n_sets, set_scores.shape[1]))
    scores[keep] = set_scores
    resp = data.respondent
    resp_start = np.flatnonzero(np.r_[True, resp[1:] != resp[:-1]])
    by_resp = np.add.reduceat(scores, resp_start, axis=0)
    return {"classic": classic, "robust": (robust + robust.T) / 2,
            "cluster": cluster_vcov(classic, by_resp)}
