"""Attribute importance of a mixed logit over the population distribution of its
coefficients (the post-estimation counterpart of :func:`dce.analysis.importance.rank`).

Individuals are simulated from the estimated distribution (Train 2009, ch. 6); intervals
come from Krinsky-Robb draws of the parameters (Krinsky and Robb 1986) or bootstrap
replicates.

References
----------
Krinsky, I. and Robb, A. L. (1986). On approximating the statistical properties of
elasticities. Review of Economics and Statistics 68(4), 715-719.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from dce.analysis import importance as imp
from dce.models.mixed_post import individual_coefficients, population_draws, spec_of


def importance_draws(result, attributes, n_pop, rng, value_ranges=None, params=None,
                     z=None) -> np.ndarray:
    """Attribute importance of a mixed logit over the population distribution.

    ``n_pop`` individuals are drawn from the estimated distribution of the coefficients
    (pseudo-random standard draws from ``rng``; lognormal and correlated terms as in the
    model), each individual's importance shares are computed from their own part-worth
    ranges (:func:`dce.analysis.importance.shares`), and the shares are averaged over individuals:
    the expected share of a randomly chosen respondent (not the share of the mean
    coefficients, which can differ when ranges vary across people).

    Parameters
    ----------
    result : MixedFitResult
        The fit.
    attributes : sequence of Attribute
        The study's attributes (their ``terms`` must be mean terms of the fit).
    n_pop : int
        Individuals drawn.
    rng : numpy.random.Generator
        Used only when ``z`` is None.
    value_ranges : dict of str to (float, float), optional
        ``{attribute: (min, max)}`` for linear attributes without levels.
    params : ndarray (B, P), optional
        Parameter vectors (e.g. Krinsky-Robb draws); the same individuals are used for
        every vector (common random numbers).
    z : ndarray (n_pop, R), optional
        Standard draws (see :func:`dce.models.mixed_post.population_draws`).

    Returns
    -------
    ndarray (A,) or (B, A)
        Population-average shares for the estimates, or for each row of ``params``.

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
    ValueError
        As :func:`dce.analysis.importance.partworth_maps`.
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
    """Importance table of a mixed logit (like :func:`dce.analysis.importance.rank`).

    Point importance: :func:`importance_draws` at the estimates. Intervals and rank
    probabilities: Krinsky-Robb draws of the parameters (or ``coef_draws``, e.g. bootstrap
    replicates), each turned into population-average shares over the same ``n_pop``
    individuals; ``intervals="delta"`` uses a numerical Jacobian of the population shares
    (central differences, step ``1e-6 max(1, |theta|)``) with ``result.vcov``.

    Parameters
    ----------
    result : MixedFitResult
        The fit: ``params`` (P,), ``vcov`` (P, P).
    attributes, rng, value_ranges
        As in :func:`importance_draws`; ``rng`` also draws the Krinsky-Robb parameters.
    intervals : str
        ``"delta"``, else percentiles of the share draws.
    draws : int
        Krinsky-Robb draws (not used with ``coef_draws``).
    level : float
        Confidence level.
    n_pop : int
        Simulated individuals, the same for every parameter vector.
    coef_draws : ndarray (B, P), optional
        Parameter draws to use instead of Krinsky-Robb draws.

    Returns
    -------
    dce.analysis.importance.Importance

    Raises
    ------
    TypeError
        ``result`` is not a MixedFitResult.
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
        q = special.ndtri(1 - alpha / 2)
        lo, hi = point - q * sd, point + q * sd
    else:
        lo, hi = np.quantile(S, [alpha / 2, 1 - alpha / 2], axis=0)
    return imp.from_draws(result.group, attributes, point, S, lo, hi, level)
