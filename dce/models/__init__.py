"""Model engines. Every engine reads a ChoiceData and returns a FitResult.

:mod:`dce.models.clogit` (native conditional logit), :mod:`dce.models.pylogit_engine` (the
same model through pylogit), :mod:`dce.models.mixed` (panel mixed logit) and
:mod:`dce.models.items` (best-worst and rank-ordered item models).
"""

from dce.models.results import FitResult

__all__ = ["FitResult", "fit"]


def fit(data, *, engine: str = "native", se: str = "cluster", group: str = "all", **options):
    """Fit a conditional logit (McFadden 1974) with the chosen engine.

    Parameters
    ----------
    data : ChoiceData
        Coded choices: ``X`` (rows, K), ``chosen`` (rows,), sets and respondents.
    engine : {"native", "pylogit"}
        :func:`dce.models.clogit.fit` or :func:`dce.models.pylogit_engine.fit`.
    se : {"cluster", "robust", "classic"}
        Covariance kind stored as ``vcov`` (see :mod:`dce.models.covariance`).
    group : str
        Label of the group fitted, in the result and its warnings.
    **options
        Passed to the engine: ``start`` (K,), ``max_iter``, ``check``.

    Returns
    -------
    FitResult
        ``params`` (K,) and ``vcov`` (K, K), log-likelihoods, counts.

    Warns
    -----
    UserWarning
        Cluster-robust errors with no more respondents than parameters (not reliable).

    Raises
    ------
    ValueError
        An unknown ``engine`` or ``se``.
    dce.errors.EstimationError
        Terms the data cannot identify, or a pylogit engine that cannot be used.

    References
    ----------
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
    P. Zarembka (ed.), Frontiers in Econometrics, 105-142. New York: Academic Press.
    """
    if engine == "native":
        from dce.models.clogit import fit as native_fit

        res = native_fit(data, se=se, group=group, **options)
    elif engine == "pylogit":
        from dce.models.pylogit_engine import fit as pylogit_fit

        res = pylogit_fit(data, se=se, group=group, **options)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    if se == "cluster" and data.n_respondents <= len(res.params):
        # the cluster covariance has rank at most R - 1 (Cameron and Miller 2015, A
        # practitioner's guide to cluster-robust inference, J. Human Resources 50(2))
        import warnings

        warnings.warn(f"group {group}: {data.n_respondents} respondents for "
                      f"{len(res.params)} parameters: cluster-robust standard errors need "
                      "more respondents than parameters, so this group's standard errors, "
                      "p-values and intervals are not reliable; use robust errors "
                      "(model.se: robust; vcov='robust' in Python) or more respondents",
                      UserWarning, stacklevel=2)
    return res
