"""Worker processes for the stages that run on all cores.

Each worker does its own share of the work on one core, so the native thread
pools inside it (the BLAS behind numpy's matrix products, numba's parallel
kernels) are limited to one thread: with one BLAS pool of ``cores`` threads per worker, the threads of all
workers spin against each other and the run gets slower, not faster (measured:
600 PAN pairs compared on 2 workers took 9.8 s with default BLAS threads and
5.5 s with one).

:func:`worker_count` bounds the workers a stage starts by the cores this process may
use and by the memory free for them (:data:`WORKER_MEMORY_BYTES` each).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

import numba
from threadpoolctl import threadpool_limits

from copytrace.errors import InputError

Result = TypeVar("Result")
Key = TypeVar("Key")
# Peak resident memory of one scan worker: the 10,000-article scan benchmark peaked at
# 1,148 MB for all processes and 460 MB for the main one, 344 MB for each of its two workers.
WORKER_MEMORY_BYTES = 350 * 2**20


def worker_count(requested: int | None) -> int:
    """How many worker processes to start for ``requested`` (None: one per core): at most
    one per core this process may run on and one per :data:`WORKER_MEMORY_BYTES` of
    available memory, and at least one. A ``requested`` under 1 is refused."""
    if requested is not None and requested < 1:
        raise InputError("workers", f"must be at least 1, not {requested}")
    cores = available_cores()
    return max(1, min(requested or cores, cores, available_memory() // WORKER_MEMORY_BYTES))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and
    ``taskset`` narrow), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def available_memory() -> int:
    """Bytes of memory that can be given to new processes without swapping: Linux's
    ``MemAvailable`` (free memory plus caches it can drop), within what is left of the
    container's limit (cgroup v2); else the free pages."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            available = next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return min(available, _cgroup_memory_left())


def _cgroup_memory_left() -> int | float:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
    except (OSError, ValueError):
        return float("inf")
    return float("inf") if limit == "max" else max(0, int(limit) - used)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def one_native_thread() -> None:
    """One thread for BLAS, OpenMP and numba in this process."""
    numba.set_num_threads(1)  # first: it may load an OpenMP runtime, limited next
    threadpool_limits(limits=1)


def start_worker(parent_pid: int) -> None:
    """Pool initializer: a worker that dies with its parent, leaves Ctrl-C to it and runs
    one native thread.

    SIGINT is ignored (the parent stops the pool; a worker's own KeyboardInterrupt would
    print a traceback and break the pool). It arrives blocked (see :class:`_WorkerPool`),
    so a Ctrl-C while the worker was starting is dropped here. On Linux the kernel kills
    the worker when its parent dies, even by SIGKILL (``PR_SET_PDEATHSIG``); a parent that
    died before that call is seen as a new parent id."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)
    one_native_thread()


class _WorkerPool(ProcessPoolExecutor):
    """Starts its workers (on demand, in :meth:`submit`) with SIGINT blocked, as
    multiprocessing starts its resource tracker: a Ctrl-C that reaches the whole process
    group then waits in a starting worker until :func:`start_worker` ignores it."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` single-threaded workers, started fresh (spawn): a
    forked worker would inherit the parent's memory (a scan's store cache, its ids) and
    its threads (DuckDB's, numba's) in whatever state they were.

    Workers exit when this process dies (:func:`start_worker`); Linux ties that to the
    thread that started them, so submit from a thread that outlives the pool (the engine
    submits from the main thread). On Ctrl-C the KeyboardInterrupt is this process's
    alone: :func:`bounded_map` cancels the calls not started, and leaving the ``with``
    block waits for those running."""
    return _WorkerPool(workers, mp_context=get_context("spawn"), initializer=start_worker, initargs=(os.getpid(),))


def thread_starmap(function: Callable[..., Result], calls: Iterable[tuple]) -> list[Result]:
    """``function(*arguments)`` for each tuple of ``calls``, in as many threads as numba
    may use (one in a worker of :func:`process_pool`), results in order: for work that
    releases the GIL (numpy's sorts, numba's ``nogil`` kernels)."""
    calls = list(calls)
    threads = min(numba.get_num_threads(), len(calls))
    if threads <= 1:
        return [function(*arguments) for arguments in calls]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda arguments: function(*arguments), calls))


def kernel_threads() -> int:
    """How many threads may each run numba's parallel kernels at the same time: numba's
    thread count, or one under its ``workqueue`` threading layer, which aborts the
    process when two threads launch kernels at once (the ``omp`` and ``tbb`` layers are
    thread-safe; numba docs, "The Threading Layers"). Call once a parallel kernel has run."""
    return numba.get_num_threads() if numba.threading_layer() in ("omp", "tbb") else 1


def thread_map_in_order(function: Callable[..., Result], items: Iterable, threads: int) -> Iterator[Result]:
    """``function(item)`` for each item, in ``threads`` threads of one numba thread each,
    results in order and at most ``threads`` items in flight: batches side by side cost
    less than each batch split over the cores (no waiting at the end of each kernel)."""
    if threads <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(threads, initializer=numba.set_num_threads, initargs=(1,)) as pool:
        for _, result in bounded_map(pool, function, ((None, (item,)) for item in items), threads, ordered=True):
            yield result


def bounded_map(
    pool: Executor, function: Callable[..., Result], calls: Iterable[tuple[Key, tuple]], limit: int, ordered: bool
) -> Iterator[tuple[Key, Result]]:
    """``(key, function(*arguments))`` for each ``(key, arguments)`` of ``calls``, run on
    ``pool`` with at most ``limit`` calls in flight (so memory holds a few inputs, however
    many there are): in the order of ``calls``, or each as soon as it is done (a slow call
    then holds back none of the others). Calls not started are cancelled when the caller
    stops early (an error, Ctrl-C)."""
    in_flight: dict[Future, Key] = {}  # in submission order
    try:
        for key, arguments in calls:
            in_flight[pool.submit(function, *arguments)] = key
            if len(in_flight) >= limit:
                yield from _completed(in_flight, ordered, everything=False)
        yield from _completed(in_flight, ordered, everything=True)
    finally:
        for future in in_flight:
            future.cancel()


def _completed(in_flight: dict[Future, Key], ordered: bool, everything: bool) -> Iterator[tuple[Key, Result]]:
    """Wait for calls in flight (the first submitted or the first done, or all of them)
    and take them out with their keys."""
    if ordered:
        done = list(in_flight) if everything else [next(iter(in_flight))]
    else:
        done, _ = wait(in_flight, return_when=ALL_COMPLETED if everything else FIRST_COMPLETED)
    for future in done:
        yield in_flight.pop(future), future.result()


@contextmanager
def one_kernel_thread() -> Iterator[None]:
    """Run numba's parallel kernels on this thread alone, for work on one document at a
    time (the live archive): starting the kernel's thread team costs more than the
    kernel, and much more when another process holds the cores."""
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
