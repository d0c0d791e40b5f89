"""One parallel map for every Monte Carlo step (bootstrap, power, design starts).

Task ``i`` gets its own child ``SeedSequence(entropy, spawn_key=root.spawn_key + (i,))``
of the root sequence, never a shared generator, so a task's numbers depend only on the
root seed and its index: not on the number of workers, their order or the backend. The
backend is whatever the caller set with ``joblib.parallel_config`` (local processes by
default; ``backend="dask"`` inside a ``dask.distributed.Client`` runs on a cluster).
Failures are recorded (task, spawn key, message), never dropped silently.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Failure:
    """A task of :func:`map_seeds` that raised.

    Attributes
    ----------
    task : int
        The task index.
    spawn_key : tuple
        Spawn key of the task's SeedSequence (to rerun it alone).
    message : str
        ``ExceptionType: message`` of the exception.
    """

    task: int
    spawn_key: tuple
    message: str


@dataclass(frozen=True)
class MapResult:
    """Results in task order (``None`` where a task failed) and the failures.

    Attributes
    ----------
    results : list (n_tasks,)
        Return value of each task, ``None`` for a failed task.
    failures : list of Failure
        Sorted by task.
    """

    results: list
    failures: list = field(default_factory=list)

    @property
    def ok(self) -> list:
        """The results that are not ``None``, in task order."""
        return [r for r in self.results if r is not None]


def child(root: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """The i-th child of ``root``, computed without mutating ``root``.

    Unlike ``root.spawn``, the child does not depend on how many children were spawned
    before, so task ``i`` always gets the same numbers.

    Parameters
    ----------
    root : numpy.random.SeedSequence
    i : int
        Child index, appended to ``root.spawn_key``.

    Returns
    -------
    numpy.random.SeedSequence
        Same entropy and pool size as ``root``, spawn key ``root.spawn_key + (i,)``.
    """
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (i,),
                                  pool_size=root.pool_size)


def _run_chunk(func, tasks, root, args):
    out = []
    for i in tasks:
        seq = child(root, i)
        try:
            out.append((i, func(seq, *args), None))
        except Exception as exc:  # noqa: BLE001 - recorded, reported by the caller
            out.append((i, None, Failure(i, tuple(seq.spawn_key), f"{type(exc).__name__}: "
                                         f"{exc}")))
    return out


def map_seeds(func, n_tasks: int, root: np.random.SeedSequence, *, args=(), jobs: int = 1,
              progress: bool | None = None, desc: str = "tasks",
              chunks_per_worker: int = 4) -> MapResult:
    """Run ``func(seed_sequence, *args)`` for tasks ``0..n_tasks-1``.

    Tasks are grouped into chunks so that large ``args`` (data) travel once per chunk.
    The progress bar counts finished tasks and is silent when stderr is not a terminal.

    Parameters
    ----------
    func : callable
        ``func(seq, *args)``; ``seq`` is :func:`child` ``(root, i)``. Must be picklable
        when ``jobs != 1``.
    n_tasks : int
        Number of tasks.
    root : numpy.random.SeedSequence
        Root of every task's seed.
    args : tuple
        Extra arguments passed to every call.
    jobs : int
        1 runs in this process (20 chunks at most); otherwise joblib's ``n_jobs`` (-1:
        all cores) with about ``chunks_per_worker`` chunks per worker (64 workers
        assumed for chunking when ``jobs`` < 1).
    progress : bool or None
        Show a tqdm bar; ``None``: only when stderr is a terminal.
    desc : str
        Label of the progress bar.
    chunks_per_worker : int
        Chunks per worker when running in parallel.

    Returns
    -------
    MapResult
        Results in task order whatever the order of completion; an exception of a task is
        recorded as a :class:`Failure`, never raised.
    """
    if progress is None:
        progress = sys.stderr.isatty()
    workers = jobs if jobs > 0 else 64
    n_chunks = max(1, min(n_tasks, 20 if jobs == 1 else workers * chunks_per_worker))
    chunks = [[int(i) for i in c] for c in np.array_split(np.arange(n_tasks), n_chunks) if len(c)]
    results: list = [None] * n_tasks
    failures: list = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_tasks, desc=desc, leave=False)
    try:
        if jobs == 1:
            stream = (_run_chunk(func, c, root, args) for c in chunks)
        else:
            from joblib import Parallel, delayed  # imported when used (0.1 s)

            stream = Parallel(n_jobs=jobs, return_as="generator_unordered")(
                delayed(_run_chunk)(func, c, root, args) for c in chunks)
        for done in stream:
            for i, value, failure in done:
                results[i] = value
                if failure is not None:
                    failures.append(failure)
            if bar is not None:
                bar.update(len(done))
    finally:
        if bar is not None:
            bar.close()
    failures.sort(key=lambda f: f.task)
    return MapResult(results, failures)


class backend:
    """Context for the parallel backend: ``local`` (joblib's processes) or ``dask``
    (joblib's dask backend on a distributed scheduler at ``scheduler``).

    ``local`` does nothing. ``dask`` connects a ``dask.distributed.Client`` (10 s
    timeout) on entry and sets ``joblib.parallel_config(backend="dask")`` until exit,
    when the client is closed.

    Parameters
    ----------
    name : {"local", "dask"}
        The backend (any other name behaves as ``local``).
    scheduler : str, optional
        Address of the dask scheduler, e.g. ``tcp://HOST:PORT``.

    Raises
    ------
    ConfigError
        On entering a ``dask`` context: no scheduler (key ``parallel.scheduler``),
        ``dask.distributed`` not installed (key ``parallel.backend``), or the scheduler
        cannot be reached (key ``parallel.scheduler``).
    """

    def __init__(self, name: str = "local", scheduler: str | None = None):
        self.name, self.scheduler = name, scheduler
        self._client = self._config = None

    def __enter__(self):
        if self.name != "dask":
            return self
        from dce.errors import ConfigError

        if not self.scheduler:
            raise ConfigError("the dask backend needs a scheduler address (--scheduler "
                           "tcp://HOST:PORT or parallel.scheduler)", key="parallel.scheduler")
        try:
            from dask.distributed import Client
        except ImportError:
            raise ConfigError("the dask backend needs dask.distributed: pip install "
                           "'dce-toolkit[dask]'", key="parallel.backend") from None
        import joblib

        try:
            self._client = Client(self.scheduler, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the dask scheduler {self.scheduler!r} ({exc})",
                           key="parallel.scheduler") from None
        self._config = joblib.parallel_config(backend="dask")
        self._config.__enter__()
        return self

    def __exit__(self, *exc):
        if self._config is not None:
            self._config.__exit__(*exc)
        if self._client is not None:
            self._client.close()
        return False
