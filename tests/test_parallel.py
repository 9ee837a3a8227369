"""Worker pools: one native (BLAS) thread per worker process."""

from threadpoolctl import threadpool_info

from copytrace.parallel import process_pool


def _native_threads(_: int) -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


def test_workers_run_one_native_thread_each():
    import numpy  # noqa: F401  (loads the BLAS whose threads are limited)

    with process_pool(2) as pool:
        per_worker = list(pool.map(_native_threads, range(4)))
    assert per_worker and all(threads and set(threads) == {1} for threads in per_worker)


def _numba_threads(_: int) -> int:
    import numba

    return numba.get_num_threads()


def test_workers_run_numba_kernels_on_one_thread():
    with process_pool(2) as pool:
        assert set(pool.map(_numba_threads, range(4))) == {1}
