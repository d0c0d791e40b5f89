"""Design priors: the mean and sd of each coded term, and quasi-random draws from them."""

from __future__ import annotations

import numpy as np


def design_terms(study) -> list[str]:
    """Coded terms of the design's model: attribute terms, then ``asc[opt_out]``.

    Parameters
    ----------
    study : Study

    Returns
    -------
    list of str
        :attr:`Attribute.terms` of every attribute in order; ``asc[opt_out]`` last when
        ``design.opt_out`` is set.
    """
    terms = [t for a in study.attributes for t in a.terms]
    if study.spec.design is not None and study.spec.design.opt_out:
        terms.append("asc[opt_out]")
    return terms


def prior_moments(study, terms) -> tuple[np.ndarray, np.ndarray]:
    """Prior mean and sd of every term (0 where the config gives none; sd 0 for a number).

    Parameters
    ----------
    study : Study
        ``design.priors`` maps a term to a number or ``{mean, sd}``.
    terms : sequence of str (K,)

    Returns
    -------
    mean, sd : ndarray of float (K,)
        In the units of the coded terms (utility per coded unit).
    """
    priors = study.spec.design.priors if study.spec.design is not None else {}
    mean = np.zeros(len(terms))
    sd = np.zeros(len(terms))
    for i, t in enumerate(terms):
        v = priors.get(t)
        if v is None:
            continue
        if isinstance(v, (int, float)):
            mean[i] = float(v)
        else:
            mean[i], sd[i] = float(v.mean), float(v.sd)
    return mean, sd


def prior_draws(mean, sd, n_draws: int, rng) -> tuple[np.ndarray, dict]:
    """Quasi-random normal draws (n_draws x terms) of the coefficients.

    Scrambled Sobol points when ``n_draws`` is a power of two, scrambled Halton points
    otherwise, scrambled with a generator seeded by the first child spawned from ``rng``'s
    seed sequence (so a fresh design generator always gives the same draws). Terms with sd 0
    stay at their mean; with no uncertain term the single draw is the means. Quasi-random
    draws approximate the Bayesian (DB) criterion with far fewer draws than pseudo-random
    ones (Bliemer, Rose and Hess 2008, J. Choice Modelling 1:98-126).

    Parameters
    ----------
    mean, sd : array_like of float (K,)
        Prior means and standard deviations.
    n_draws : int
        Number of draws R.
    rng : numpy.random.Generator
        Its seed sequence gives the scrambling seed (one child is spawned from it).

    Returns
    -------
    draws : ndarray of float (R, K)
        ``(1, K)`` when no sd is above 0.
    info : dict
        ``draw_type`` (``"sobol"``, ``"halton"`` or ``"none (fixed priors)"``) and
        ``prior_draws``.
    """
    mean = np.asarray(mean, float)
    sd = np.asarray(sd, float)
    random_terms = np.flatnonzero(sd > 0)
    if len(random_terms) == 0:
        return mean[None, :].copy(), {"draw_type": "none (fixed priors)", "prior_draws": 1}
    child = rng.bit_generator.seed_seq.spawn(1)[0]
    qrng = np.random.default_rng(child)
    d = len(random_terms)
    from scipy.stats import qmc  # imported here: scipy.stats takes 0.6 s

    if n_draws & (n_draws - 1) == 0:
        engine, kind = qmc.Sobol(d, scramble=True, rng=qrng), "sobol"
    else:
        engine, kind = qmc.Halton(d, scramble=True, rng=qrng), "halton"
    u = engine.random(n_draws)
    from scipy import special  # scipy when priors are drawn, not when the package loads

    z = special.ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    draws = np.repeat(mean[None, :], n_draws, axis=0)
    draws[:, random_terms] += z * sd[random_terms]
    return draws, {"draw_type": kind, "prior_draws": int(n_draws)}
