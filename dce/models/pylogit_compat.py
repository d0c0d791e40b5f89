"""Make the unmaintained ``pylogit`` 1.0.1 importable and usable on current Python and numpy.

Nothing here runs at ``import dce``: :func:`import_pylogit` is called lazily by the
``pylogit`` engine (:mod:`dce.models.pylogit_engine`). No file in site-packages is edited,
and nothing global stays changed after the call. Exactly two things are patched:

1. ``collections.Iterable`` (removed in Python 3.10; ``pylogit/choice_tools.py`` does
   ``from collections import Iterable``). While ``import pylogit`` runs, and only then,
   ``collections.Iterable`` is set to ``collections.abc.Iterable``; it is removed again
   as soon as the import finishes or fails (unless it existed before). The import binds
   the name inside ``pylogit.choice_tools``, which is all pylogit needs. pylogit's
   third-party dependencies are imported *before* the alias is set, so only pylogit's
   own modules are executed while it exists.

2. ``numpy.in1d`` (removed in numpy 2.4; called by ``pylogit.choice_tools`` when it
   builds the rows-to-observations mapping, and by ``pylogit.bootstrap_sampler`` and
   ``pylogit.mixed_logit``). The global ``numpy`` module is left alone: in those three
   pylogit modules only, the module-level name ``np`` is rebound to a thin proxy of
   numpy that forwards every attribute to numpy and adds ``in1d`` implemented with
   ``numpy.isin`` on the flattened first argument (the documented equivalent). This is
   done only when the running numpy lacks ``in1d``.

Everything else pylogit 1.0.1 uses for the conditional logit (scipy.sparse matrices,
``scipy.optimize.minimize``, ``numpy.matrix`` checks) still works with numpy 2.4, scipy
1.17 and pandas 3; the engine's tests exercise that path. If the import still fails,
:func:`import_pylogit` raises :class:`dce.errors.EstimationError` suggesting
``engine: native``.
"""

from __future__ import annotations

import collections
import collections.abc
import importlib
import logging
import threading
import types

import numpy

from dce.errors import EstimationError

log = logging.getLogger(__name__)

# pylogit modules that call ``np.in1d``
_IN1D_MODULES = ("pylogit.choice_tools", "pylogit.bootstrap_sampler", "pylogit.mixed_logit")
# third-party modules pylogit imports; loaded before the temporary alias exists
_DEPENDENCIES = ("scipy.linalg", "scipy.optimize", "scipy.sparse", "scipy.stats",
                 "pandas", "tqdm")

_lock = threading.Lock()
_pylogit = None

HINT = "use `model: {engine: native}` instead"


def _in1d(ar1, ar2, assume_unique=False, invert=False, *, kind=None):
    """``numpy.in1d`` as numpy documented it before removal: ``isin`` on ``ravel(ar1)``."""
    return numpy.isin(numpy.asarray(ar1).ravel(), ar2, assume_unique=assume_unique,
                      invert=invert, kind=kind)


class _NumpyWithIn1d(types.ModuleType):
    """Stand-in for ``numpy`` inside a few pylogit modules: numpy plus ``in1d``."""

    def __init__(self):
        super().__init__("numpy", "numpy plus in1d, for pylogit (dce.models.pylogit_compat)")
        self.in1d = _in1d

    def __getattr__(self, name):
        return getattr(numpy, name)

    def __repr__(self):
        return "<numpy, plus in1d for pylogit (dce.models.pylogit_compat)>"

    def __dir__(self):
        return sorted(set(dir(numpy)) | {"in1d"})


def _import_with_iterable_alias():
    for name in _DEPENDENCIES:
        try:
            importlib.import_module(name)
        except ImportError:  # pylogit's own import will report what is missing
            pass
    added = not hasattr(collections, "Iterable")
    if added:
        collections.Iterable = collections.abc.Iterable
    try:
        return importlib.import_module("pylogit")
    finally:
        if added:
            try:
                del collections.Iterable
            except AttributeError:
                pass


def _patch_in1d(modules) -> list[str]:
    patched = []
    if hasattr(numpy, "in1d"):
        return patched
    proxy = _NumpyWithIn1d()
    for name in modules:
        module = importlib.import_module(name)
        if getattr(module, "np", None) is numpy:
            module.np = proxy
            patched.append(name)
    return patched


def import_pylogit():
    """Import pylogit with the compatibility patches above; the module, cached.

    Thread-safe: the first call imports and patches under a lock, later calls return the
    cached module.

    Returns
    -------
    module
        ``pylogit``.

    Raises
    ------
    dce.errors.EstimationError
        Key ``model.engine``, one line suggesting ``engine: native``: pylogit is missing or
        cannot be imported even with the patches.
    """
    global _pylogit
    with _lock:
        if _pylogit is not None:
            return _pylogit
        try:
            module = _import_with_iterable_alias()
            patched = _patch_in1d(_IN1D_MODULES)
        except Exception as exc:  # noqa: BLE001 - any import failure means "not usable"
            raise EstimationError(
                f"the pylogit engine is unavailable: pylogit could not be imported "
                f"({type(exc).__name__}: {exc}); {HINT}", key="model.engine") from exc
        if patched:
            log.debug("pylogit: np.in1d provided in %s", ", ".join(patched))
        _pylogit = module
        return module


def pylogit_version() -> str | None:
    """Installed pylogit version (for the manifest), without importing pylogit.

    Returns
    -------
    str or None
        The distribution's version, None when pylogit is not installed.
    """
    from importlib import metadata

    try:
        return metadata.version("pylogit")
    except metadata.PackageNotFoundError:
        return None
