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


def test_thread_map_in_order_keeps_order_and_bounds_work_in_flight():
    import threading
    import time

    import numba

    from copytrace.parallel import thread_map_in_order

    started, lock = [], threading.Lock()

    def slow_first(number: int) -> tuple[int, int]:
        with lock:
            started.append(number)
        time.sleep(0.05 if number == 0 else 0.0)
        return number * 10, numba.get_num_threads()

    def items():
        for number in range(6):
            # The consumer has the result of number - 2 before number is read: at most 2 in flight.
            assert number < 2 or len(results) >= number - 1
            yield number

    results = []
    for result in thread_map_in_order(slow_first, items(), threads=2):
        results.append(result)
    assert [value for value, _ in results] == [0, 10, 20, 30, 40, 50]
    assert {threads for _, threads in results} == {1}  # one numba thread in each


def test_kernel_threads_are_one_under_the_workqueue_layer(monkeypatch):
    import numba

    from copytrace.candidates.shingles import token_hashes
    from copytrace.parallel import kernel_threads

    token_hashes([])
    monkeypatch.setattr(numba, "threading_layer", lambda: "workqueue")
    assert kernel_threads() == 1
    monkeypatch.setattr(numba, "threading_layer", lambda: "omp")
    assert kernel_threads() == numba.get_num_threads()
