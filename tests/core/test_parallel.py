"""The parallel map: same numbers for any worker count and backend; distinct streams."""

import numpy as np
import pytest

from dce.core.parallel import child, map_seeds


def _draw(seq, scale):
    return np.random.default_rng(seq).normal(size=4) * scale


def _fail_on_three(seq):
    if seq.spawn_key[-1] == 3:
        raise ValueError("boom")
    return 1


def test_results_do_not_depend_on_worker_count():
    root = np.random.SeedSequence(42)
    one = map_seeds(_draw, 23, root, args=(2.0,), jobs=1)
    two = map_seeds(_draw, 23, root, args=(2.0,), jobs=2)
    np.testing.assert_array_equal(np.array(one.results), np.array(two.results))


def test_tasks_receive_different_streams():
    res = np.array(map_seeds(_draw, 50, np.random.SeedSequence(1), args=(1.0,)).results)
    assert len({tuple(r) for r in res}) == 50
    # task i's stream is the i-th child, whatever else runs
    np.testing.assert_array_equal(res[7], _draw(child(np.random.SeedSequence(1), 7), 1.0))


def test_failures_are_recorded_not_dropped():
    out = map_seeds(_fail_on_three, 6, np.random.SeedSequence(0), jobs=2)
    assert out.results[3] is None and len(out.ok) == 5
    assert [(f.task, f.message) for f in out.failures] == [(3, "ValueError: boom")]


def test_dask_local_cluster_gives_the_same_numbers():
    distributed = pytest.importorskip("dask.distributed")
    import joblib

    root = np.random.SeedSequence(42)
    local = map_seeds(_draw, 12, root, args=(2.0,), jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        remote = map_seeds(_draw, 12, root, args=(2.0,), jobs=2)
    np.testing.assert_array_equal(np.array(local.results), np.array(remote.results))
