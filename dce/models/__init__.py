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

        return native_fit(data, se=se, group=group, **options)
    if engine == "pylogit":
        from dce.models.pylogit_engine import fit as pylogit_fit

        return pylogit_fit(data, se=se, group=group, **options)
    raise ValueError(f"unknown engine {engine!r}")
