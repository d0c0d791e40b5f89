"""Individual-level conditional means of a fitted panel mixed logit.

For respondent ``n`` with choices ``y_n``, the mean of the coefficients among people who
would have made those choices (Revelt and Train 2000; Train 2009, ch. 11):

    E[beta_n | y_n] = sum_d beta_nd L_n(beta_nd) / sum_d L_n(beta_nd),

over the fit's own draws ``beta_nd`` (the same quasi-random draws, so the same seed gives
the same numbers), where ``L_n(beta) = prod_t P_nt(beta)`` is the probability of the
respondent's choices in all their tasks. The conditional standard deviation is the
square root of ``sum_d w_nd (beta_nd - E[beta_n | y_n])^2`` with the same weights
``w_nd = L_n(beta_nd) / sum_d L_n(beta_nd)``.

These are not the respondent's true coefficients: with a finite number of tasks they are
shrunk toward the population mean, and their spread across respondents is smaller than the
population standard deviation (Train 2009, section 11.2).

References
----------
Revelt, D. and Train, K. (2000). Customer-specific taste parameters and mixed logit:
households' choice of electricity supplier. Working paper E00-274, Department of
Economics, University of California, Berkeley.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press; ch. 11.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dce.models.draws import standard_draws
from dce.models.mixed_likelihood import CHUNK_ELEMENTS, PanelLayout
from dce.models.mixed_post import individual_coefficients, spec_of

__all__ = ["conditional_moments", "draw_logliks", "individual_table"]


def draw_logliks(result, data, *, chunk_elements: int = CHUNK_ELEMENTS):
    """Log-probability of each respondent's choices at each of the fit's draws.

    Parameters
    ----------
    result : MixedFitResult
        The fit (its parameters, random terms, draw type, number of draws and draw seed).
    data : ChoiceData
        The data ``result`` was fitted to (same respondents in the same order).
    chunk_elements : int
        Rows x draws processed at once (bounds memory; the result does not depend on it).

    Returns
    -------
    logL : ndarray (N, D)
        ``log L_n(beta_nd) = sum_t log P_nt(beta_nd)``.
    coefficients : ndarray (N, K, D)
        The draws ``beta_nd`` of the model terms (fixed terms constant over draws), as
        :func:`dce.models.mixed_post.individual_coefficients` gives them: the utility
        coefficients (in WTP space, price times WTP; with scale heterogeneity, scaled).

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    ValueError
        Respondents of ``data`` out of order.
    """
    K, _, _, kinds = spec_of(result)
    layout = PanelLayout(data)
    if layout.K != K:
        raise ValueError(f"the data have {layout.K} terms, the fit {K}")
    N, T, J, D = layout.N, layout.T, layout.J, int(result.n_draws)
    dims = list(kinds) + ["normal"] * _scale_dims(result)   # as the fit drew them
    Z = standard_draws(N, D, dims, result.draw_type, result.seed_seq)   # (N, dims, D)
    logL = np.empty((N, D))
    coef = np.empty((N, K, D))
    per = max(1, int(chunk_elements) // max(1, layout.M * D))
    for a in range(0, N, per):                      # chunks of respondents (memory bound)
        sl = slice(a, min(a + per, N))
        n = sl.stop - sl.start
        z = Z[sl].transpose(0, 2, 1).reshape(n * D, len(dims))
        B = individual_coefficients(result, z).reshape(n, D, K).transpose(0, 2, 1)
        coef[sl] = B
        V = np.matmul(layout.X[sl], B).reshape(n, T, J, D)
        mask = None if layout.mask is None else layout.mask[sl].reshape(n, T, J, 1) > 0
        Vm = V if mask is None else np.where(mask, V, -np.inf)
        top = Vm.max(axis=2)                          # (n, T, D)
        if layout.base:
            top = np.maximum(top, 0.0)
        with np.errstate(under="ignore"):
            den = np.exp(Vm - top[:, :, None, :]).sum(axis=2)
            if layout.base:
                den += layout.base * np.exp(-top)
        logden = np.log(den) + top                    # log sum over the set, (n, T, D)
        ysum = layout.ysum[sl]
        ll = -np.einsum("nt,ntd->nd", ysum, logden)
        if layout.y is not None:                      # general form: + sum_j y_j v_j
            ll += np.einsum("nm,nmd->nd", layout.y[sl], V.reshape(n, T * J, D))
        logL[sl] = ll
    return logL, coef


def _scale_dims(result) -> int:
    """Extra standard draws per respondent beyond the random terms: one scale draw for a
    model with scale heterogeneity (G-MNL and its variants), else none."""
    return 0 if getattr(result, "scale_heterogeneity", "none") in (None, "none") else 1


def conditional_moments(result, data, *, chunk_elements: int = CHUNK_ELEMENTS):
    """Conditional means and standard deviations of each respondent's coefficients.

    ``E[beta_n | y_n]`` and ``SD[beta_n | y_n]`` over the fit's draws, weighted by the
    probability of the respondent's observed choices (module docstring; Revelt and Train
    2000). Vectorised over respondents (in memory-bounded chunks) and draws.

    Parameters
    ----------
    result : MixedFitResult
        The fit.
    data : ChoiceData
        The data it was fitted to.
    chunk_elements : int
        Rows x draws processed at once.

    Returns
    -------
    mean : ndarray (N, K)
        Conditional means of the K model terms (a fixed term: its estimate).
    sd : ndarray (N, K)
        Conditional standard deviations (0 for fixed terms).

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    ValueError
        Respondents of ``data`` out of order, or a different number of terms.
    """
    logL, coef = draw_logliks(result, data, chunk_elements=chunk_elements)
    w = np.exp(logL - logL.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)                # posterior weights of the draws (N, D)
    mean = np.einsum("nkd,nd->nk", coef, w)
    var = np.einsum("nkd,nd->nk", (coef - mean[:, :, None]) ** 2, w)
    return mean, np.sqrt(var)


def individual_table(result, data, *, terms=None,
                     chunk_elements: int = CHUNK_ELEMENTS) -> pd.DataFrame:
    """individual.csv: one row per respondent and term with the conditional mean and SD.

    Parameters
    ----------
    result : MixedFitResult
        The fit (its ``group`` fills the ``group`` column).
    data : ChoiceData
        The data it was fitted to (its ``respondent_ids`` fill ``respondent``).
    terms : sequence of str, optional
        Terms to include, in this order; default the random terms of the fit (every term
        with scale heterogeneity, where all coefficients vary).
    chunk_elements : int
        Rows x draws processed at once.

    Returns
    -------
    pandas.DataFrame
        ``respondent, group, term, conditional_mean, conditional_sd``, respondents in data
        order and terms within each respondent.

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    ValueError
        A term that is not a model term, or as :func:`conditional_moments`.
    """
    _, model_terms, rand, _ = spec_of(result)
    if terms is None:  # with scale heterogeneity every coefficient varies
        terms = model_terms if _scale_dims(result) else [model_terms[k] for k in rand]
    names = list(terms)
    index = {t: i for i, t in enumerate(model_terms)}
    unknown = [t for t in names if t not in index]
    if unknown:
        raise ValueError(f"not model terms: {', '.join(unknown)}")
    cols = np.array([index[t] for t in names], dtype=int)
    mean, sd = conditional_moments(result, data, chunk_elements=chunk_elements)
    N = mean.shape[0]
    return pd.DataFrame({
        "respondent": np.repeat(np.asarray(data.respondent_ids), len(cols)),
        "group": result.group,
        "term": np.tile(np.array(names, dtype=object), N),
        "conditional_mean": mean[:, cols].reshape(-1),
        "conditional_sd": sd[:, cols].reshape(-1)})
