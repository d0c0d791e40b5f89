"""Quasi-random draws for simulated likelihoods (mixed logit).

Protocol (written out so that anyone can regenerate the same numbers):

1. ``seed = int(seed_seq.generate_state(1, dtype=numpy.uint64)[0])`` (an integer, so the
   caller's SeedSequence is never spawned from or changed, and the same ``seed_seq`` always
   gives the same draws);
2. ``draw_type="sobol"``: ``scipy.stats.qmc.Sobol(d=dims, scramble=True, bits=30, rng=seed)``
   and ``random(R * D)``; every point is then moved to the centre of its cell,
   ``u + 2**-31``, so no coordinate is exactly 0 or 1.
   ``draw_type="halton"``: ``scipy.stats.qmc.Halton(d=dims, scramble=True, rng=seed)``;
   the first point is dropped (``fast_forward(1)``), then ``random(R * D)``, clipped to
   ``[1e-12, 1 - 1e-12]`` as a guard;
3. the ``R * D`` points are cut into consecutive blocks of ``D``: respondent ``r`` gets points
   ``r*D .. (r+1)*D - 1`` (one point of the sequence per draw, one dimension per random
   coefficient), as in Train (2009), ch. 9;
4. the result is returned as ``(respondents, dims, draws)``.

Here ``R`` is the number of respondents, ``D`` the draws per respondent and ``dims`` the
number of random coefficients.

Transformations to the distributions of the coefficients (:func:`transform`): ``normal`` and
``lognormal`` use the standard normal inverse CDF; ``triangular`` the inverse CDF of the
symmetric triangular distribution on [-1, 1].

References
----------
Bhat, C. R. (2001). Quasi-random maximum simulated likelihood estimation of the mixed
multinomial logit model. Transportation Research Part B 35(7), 677-693.
Train, K. E. (2009). Discrete Choice Methods with Simulation, 2nd ed. Cambridge University
Press; ch. 9 (drawing from densities: Halton, randomised and scrambled sequences).
"""

from __future__ import annotations

import warnings

import numpy as np

DRAW_TYPES = ("sobol", "halton")
SOBOL_BITS = 30


def uniform_draws(n_respondents: int, n_draws: int, dims: int, draw_type: str,
                  seed_seq: np.random.SeedSequence) -> np.ndarray:
    """Uniform quasi-random draws in (0, 1), shape ``(n_respondents, dims, n_draws)``.

    Steps 1-4 of the module docstring: one block of ``n_draws`` consecutive points of a
    scrambled Sobol or Halton sequence per respondent (Train 2009, ch. 9).

    Parameters
    ----------
    n_respondents, n_draws, dims : int
        Respondents, draws per respondent, dimensions (random coefficients).
    draw_type : {"sobol", "halton"}
        The sequence.
    seed_seq : numpy.random.SeedSequence
        Seed of the scrambling; read, never spawned from or changed.

    Returns
    -------
    ndarray (n_respondents, dims, n_draws)
        C-contiguous, every value strictly inside (0, 1).

    Raises
    ------
    ValueError
        An unknown ``draw_type``, or ``n_draws`` or ``dims`` below 1.
    """
    if draw_type not in DRAW_TYPES:
        raise ValueError(f"draw_type must be one of {', '.join(DRAW_TYPES)}, got {draw_type!r}")
    if n_draws < 1 or dims < 1:
        raise ValueError("need at least one draw and one dimension")
    n = n_respondents * n_draws
    seed = int(seed_seq.generate_state(1, dtype=np.uint64)[0])
    from scipy.stats import qmc  # imported here: scipy.stats takes 0.6 s

    if draw_type == "sobol":
        sampler = qmc.Sobol(d=dims, scramble=True, bits=SOBOL_BITS, rng=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance needs n = 2^m; not required
            u = sampler.random(n)
        u += 2.0 ** -(SOBOL_BITS + 1)
    else:
        sampler = qmc.Halton(d=dims, scramble=True, rng=seed)
        sampler.fast_forward(1)
        u = np.clip(sampler.random(n), 1e-12, 1 - 1e-12)
    return np.ascontiguousarray(u.reshape(n_respondents, n_draws, dims).transpose(0, 2, 1))


def triangular_ppf(u: np.ndarray) -> np.ndarray:
    """Inverse CDF of the symmetric triangular distribution on [-1, 1] (variance 1/6).

    Parameters
    ----------
    u : array-like
        Probabilities in [0, 1].

    Returns
    -------
    ndarray
        Same shape as ``u``: ``sqrt(2u) - 1`` below 1/2, ``1 - sqrt(2(1 - u))`` above.
    """
    u = np.asarray(u, dtype=float)
    return np.where(u < 0.5, np.sqrt(2.0 * u) - 1.0, 1.0 - np.sqrt(2.0 * (1.0 - u)))


def transform(u: np.ndarray, kinds) -> np.ndarray:
    """Map uniform draws ``(..., dims, draws)`` to standard draws, one kind per dimension:
    ``normal``/``lognormal`` -> N(0, 1); ``triangular`` -> triangular on [-1, 1].

    Parameters
    ----------
    u : ndarray (..., dims, draws)
        Uniform draws in (0, 1).
    kinds : sequence of str (dims,)
        Distribution of each dimension; any kind but ``"triangular"`` gets the normal
        inverse CDF.

    Returns
    -------
    ndarray (..., dims, draws)
        A new array, ``u`` is not changed.
    """
    from scipy.special import ndtri  # scipy when a mixed logit draws, not for every fit

    out = np.empty_like(u)
    for i, kind in enumerate(kinds):
        if kind == "triangular":
            out[..., i, :] = triangular_ppf(u[..., i, :])
        else:
            out[..., i, :] = ndtri(u[..., i, :])
    return out


def standard_draws(n_respondents: int, n_draws: int, kinds, draw_type: str,
                   seed_seq: np.random.SeedSequence) -> np.ndarray:
    """Standard draws ``(n_respondents, len(kinds), n_draws)`` for the given kinds.

    :func:`uniform_draws` transformed by :func:`transform`.

    Parameters
    ----------
    n_respondents, n_draws : int
        Respondents and draws per respondent.
    kinds : sequence of str (R,)
        ``"normal"``, ``"lognormal"`` or ``"triangular"`` for each random coefficient.
    draw_type : {"sobol", "halton"}
        The quasi-random sequence.
    seed_seq : numpy.random.SeedSequence
        Seed of the scrambling (read only).

    Returns
    -------
    ndarray (n_respondents, R, n_draws)

    Raises
    ------
    ValueError
        As :func:`uniform_draws` (also for an empty ``kinds``).
    """
    u = uniform_draws(n_respondents, n_draws, len(kinds), draw_type, seed_seq)
    return transform(u, kinds)
