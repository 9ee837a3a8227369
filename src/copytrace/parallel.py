"""Worker processes for the stages that run on all cores.

Each worker does its own share of the work on one core, so the native thread
pools inside it (the BLAS behind numpy's matrix products, numba's parallel
kernels) are limited to one thread: with one BLAS pool of ``cores`` threads per worker, the threads of all
workers spin against each other and the run gets slower, not faster (measured:
600 PAN pairs compared on 2 workers took 9.8 s with default BLAS threads and
5.5 s with one).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numba
from threadpoolctl import threadpool_limits


def one_native_thread() -> None:
    """Pool initializer: one thread for BLAS, OpenMP and numba in this process."""
    numba.set_num_threads(1)  # first: it may load an OpenMP runtime, limited next
    threadpool_limits(limits=1)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` single-threaded workers, started fresh (spawn): a
    forked worker would inherit the parent's memory (a scan's store cache, its ids) and
    its threads (DuckDB's, numba's) in whatever state they were."""
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=one_native_thread)
