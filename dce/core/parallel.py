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
from joblib import Parallel, delayed


@dataclass(frozen=True)
class Failure:
    task: int
    spawn_key: tuple
    message: str


@dataclass(frozen=True)
class MapResult:
    """Results in task order (``None`` where a task failed) and the failures."""

    results: list
    failures: list = field(default_factory=list)

    @property
    def ok(self) -> list:
        return [r for r in self.results if r is not None]


def child(root: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """The i-th child of ``root``, computed without mutating ``root``."""
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
    (joblib's dask backend on a distributed scheduler at ``scheduler``)."""

    def __init__(self, name: str = "local", scheduler: str | None = None):
        self.name, self.scheduler = name, scheduler
        self._client = self._config = None

    def __enter__(self):
        if self.name != "dask":
            return self
        from dce.errors import DceError

        if not self.scheduler:
            raise DceError("the dask backend needs a scheduler address (--scheduler "
                           "tcp://HOST:PORT or parallel.scheduler)", key="parallel.scheduler")
        try:
            from dask.distributed import Client
        except ImportError:
            raise DceError("the dask backend needs dask.distributed: pip install "
                           "'dce-toolkit[dask]'", key="parallel.backend") from None
        import joblib

        try:
            self._client = Client(self.scheduler, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise DceError(f"cannot reach the dask scheduler {self.scheduler!r} ({exc})",
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
