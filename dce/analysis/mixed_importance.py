"""Attribute importance of a mixed logit over the population distribution of its
coefficients (the post-estimation counterpart of :func:`dce.analysis.importance.rank`)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from dce.analysis import importance as imp
from dce.models.mixed_post import individual_coefficients, population_draws, spec_of


def importance_draws(result, attributes, n_pop, rng, value_ranges=None, params=None,
                     z=None) -> np.ndarray:
    """Attribute importance of a mixed logit over the population distribution.

    ``n_pop`` individuals are drawn from the estimated distribution of the coefficients
    (pseudo-random standard draws from ``rng``; lognormal and correlated terms as in the
    model), each individual's importance shares are computed from their own part-worth
    ranges (:func:`dce.importance.shares`), and the shares are averaged over individuals:
    the expected share of a randomly chosen respondent (not the share of the mean
    coefficients, which can differ when ranges vary across people).

    Parameters
    ----------
    result : MixedFitResult
    attributes : the study's attributes (their ``terms`` must be mean terms of the fit)
    n_pop : individuals drawn
    rng : numpy Generator (used only when ``z`` is None)
    value_ranges : {attribute: (min, max)} for linear attributes without levels
    params : optional parameter vectors ``(B, P)`` (e.g. Krinsky-Robb draws); the same
        individuals are used for every vector (common random numbers)
    z : optional standard draws ``(n_pop, R)`` (see :func:`population_draws`)

    Returns
    -------
    ``(attributes,)`` for the estimates, or ``(B, attributes)`` with ``params``.
    """
    K, terms, _, _ = spec_of(result)
    maps = imp.partworth_maps(terms, attributes, value_ranges)
    if z is None:
        z = population_draws(result, int(n_pop), rng)
    if params is None:
        return imp.shares(individual_coefficients(result, z), maps).mean(axis=0)
    params = np.atleast_2d(params)
    out = np.empty((params.shape[0], len(maps)))
    block = max(1, 1_000_000 // max(1, z.shape[0] * K))
    for a in range(0, params.shape[0], block):
        Bc = individual_coefficients(result, z, params[a:a + block])
        nb = Bc.shape[0]
        S = imp.shares(Bc.reshape(nb * z.shape[0], K), maps)
        out[a:a + nb] = S.reshape(nb, z.shape[0], -1).mean(axis=1)
    return out


def rank(result, attributes, rng, *, intervals="krinsky-robb", draws=2000, level=0.95,
         value_ranges=None, n_pop=1000, coef_draws=None) -> imp.Importance:
    """Importance table of a mixed logit (like :func:`dce.importance.rank`).

    Point importance: :func:`importance_draws` at the estimates. Intervals and rank
    probabilities: Krinsky-Robb draws of the parameters (or ``coef_draws``, e.g. bootstrap
    replicates), each turned into population-average shares over the same ``n_pop``
    individuals; ``intervals="delta"`` uses a numerical Jacobian of the population shares.
    """
    z = population_draws(result, int(n_pop), rng)
    point = importance_draws(result, attributes, n_pop, rng, value_ranges, z=z)
    B = (imp.coefficient_draws(result.params, result.vcov, draws, rng)
         if coef_draws is None else np.asarray(coef_draws))
    S = importance_draws(result, attributes, n_pop, rng, value_ranges, params=B, z=z)
    alpha = 1 - level
    if intervals == "delta":
        P = len(result.params)
        E = np.eye(P) * 1e-6 * np.maximum(1.0, np.abs(result.params))
        up = importance_draws(result, attributes, n_pop, rng, value_ranges,
                              params=result.params + E, z=z)
        down = importance_draws(result, attributes, n_pop, rng, value_ranges,
                                params=result.params - E, z=z)
        Jac = ((up - down) / (2 * np.diag(E))[:, None]).T
        sd = np.sqrt(np.clip(np.einsum("ik,kl,il->i", Jac, result.vcov, Jac), 0, None))
        q = stats.norm.ppf(1 - alpha / 2)
        lo, hi = point - q * sd, point + q * sd
    else:
        lo, hi = np.quantile(S, [alpha / 2, 1 - alpha / 2], axis=0)
    return imp.from_draws(result.group, attributes, point, S, lo, hi, level)
