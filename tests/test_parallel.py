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


def test_thread_starmap_keeps_the_order_of_calls_on_any_number_of_threads(numba_thread_counts):
    import time

    from copytrace.parallel import thread_starmap

    def slow_first(number: int, delay: float) -> int:
        time.sleep(delay)
        return number * 10

    calls = [(n, 0.05 if n == 0 else 0.0) for n in range(6)]
    for _ in numba_thread_counts:
        assert thread_starmap(slow_first, calls) == [0, 10, 20, 30, 40, 50]
