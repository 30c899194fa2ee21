"""The engines that run `process_file` over a batch's jobs: local worker processes, or Ray.

Both keep at most IN_FLIGHT_PER_WORKER jobs per worker in flight and yield results as they
finish. Local workers are forked from a fork server that loaded the models first, so they
start at once and share the models' pages.

`jobs` is read with `next(jobs, None)` each time there is room, also after it once ran dry:
the batch can plan more work while results come back (the duplicates of a file that changed
after it was hashed), and an engine ends only when `jobs` has nothing and nothing is in flight.

**Recycling.** A worker's memory grows with every new document: the word caches of the
repair and rule stages fill up (bounded, 16k–65k entries each), spaCy's StringStore keeps
every new token string, and the heap fragments: one worker went from 283 to 470 MB over
2,000 distinct noisy documents (scripts/bench_memory.py). So each pool of local workers is
retired after `recycle_after` files per worker: it finishes what it holds while a fresh pool,
forked from the loaded fork server in a few milliseconds, takes the next files. With the
default 500 the worker stayed between 280 and 388 MB over the same 2,000 documents, for
3 % more CPU time (fresh workers fill their caches again). Ray workers
get the same limit as the task's `max_calls`. (ProcessPoolExecutor's `max_tasks_per_child`
is not used: in Python 3.11–3.13 a pool whose worker exits at that limit can stop
scheduling, cpython issue 115634.)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import Any

from .work import FileResult, Job, failed, process_file, warm_up

IN_FLIGHT_PER_WORKER = 2
RECYCLE_AFTER = 500  # files per worker before a local pool is replaced (0: never); see the module docstring
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PRELOAD_REPAIR = "CHITHI_PRELOAD_REPAIR"  # tells the fork server's preload whether to load the repair models


def run_local(jobs: Iterator[Job] | list[Job], workers: int, repair: bool = True,
              work: Callable[[Job], FileResult] = process_file,
              recycle_after: int = RECYCLE_AFTER) -> Generator[FileResult, None, None]:
    """Worker processes; results stream back as they finish, at most 2×workers in flight.

    A worker that dies (a crash in a native library) breaks its pool. The files that were
    in flight there are then run again one at a time in a fresh pool, so a crash can be
    pinned on its file: a file that breaks a pool while running alone is recorded as
    WorkerCrashed, and the others go through.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    jobs = iter(jobs)
    suspects = deque[Job]()
    context = multiprocessing.get_context("forkserver")
    _start_fork_server(repair)
    pending: dict[Any, tuple[Job, ProcessPoolExecutor]] = {}
    pool: ProcessPoolExecutor | None = None
    given = 0
    limit = recycle_after * workers if recycle_after > 0 else 0
    try:
        while True:
            while len(pending) < IN_FLIGHT_PER_WORKER * workers and not (suspects and pending):
                job = suspects.popleft() if suspects else next(jobs, None)
                if job is None:
                    break
                if pool is not None and limit and given >= limit:
                    pool.shutdown(wait=False)  # retired: it finishes its files, then its workers exit
                    pool = None
                if pool is None:
                    pool, given = ProcessPoolExecutor(workers, mp_context=context, initializer=warm_up,
                                                      initargs=(repair, os.getpid())), 0
                pending[pool.submit(work, job)] = (job, pool)
                given += 1
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = set()
            for future in done:
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    broken.add(pending[future][1])
                    continue
                job, _ = pending.pop(future)
                yield _crashed(job, f"the worker failed: {error!r}") if error else future.result()
            for owner in broken:  # every file still held by a broken pool is lost with it
                lost = [f for f, (_, p) in pending.items() if p is owner]
                jobs_lost = [pending.pop(f)[0] for f in lost]
                owner.shutdown(wait=False, cancel_futures=True)
                if owner is pool:
                    pool = None
                if len(jobs_lost) == 1:
                    yield _crashed(jobs_lost[0], "the worker process died while reading this file")
                else:
                    suspects.extend(jobs_lost)
    finally:
        for owner in {p for _, p in pending.values()} | ({pool} if pool is not None else set()):
            owner.shutdown(wait=False, cancel_futures=True)


def _start_fork_server(repair: bool) -> None:
    """Start multiprocessing's fork server, which forks the workers: with the models loaded
    (`pipeline.batch._preload`; with the repair stage's when the batch repairs), and with
    the BLAS libraries limited to one thread (a value the user exported is kept).

    Workers forked from a loaded server start at once and share the models' pages: with 2
    workers the batch's PSS fell from 744 to 556 MB (bench_batch.py --files 500, repair on).
    A fork server is started once per process: a later batch of the same process reuses it.

    Each worker is meant to keep one core busy. OpenBLAS sizes its thread pool when numpy is
    imported, which happens in the fork server (or, without the preload, as a worker
    unpickles its first task), so the limit must be in the environment the fork server
    starts with: setting it in the worker comes too late. Without it, every worker's matrix
    products (the NER model's) ran on all cores and their threads fought: 9.9 instead of
    about 20 docs/s with 2 workers on 2 cores (bench_batch.py --files 500, repair on,
    OPENBLAS_NUM_THREADS unset). The parent's own environment is left as it was.
    """
    from multiprocessing import forkserver

    saved = {variable: os.environ.get(variable) for variable in (*BLAS_THREAD_VARIABLES, PRELOAD_REPAIR)}
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    os.environ[PRELOAD_REPAIR] = "1" if repair else "0"
    try:
        forkserver.set_forkserver_preload(["pipeline.batch._preload"])  # the models, loaded once
        forkserver.ensure_running()
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


def run_ray(jobs: Iterator[Job] | list[Job], workers: int, address: str | None,
            recycle_after: int = RECYCLE_AFTER) -> Generator[FileResult, None, None]:
    """The same work function as Ray tasks, with at most 2×workers tasks in flight; a Ray
    worker process is replaced after `recycle_after` files (`max_calls`)."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **options)
    task = ray.remote(num_cpus=1, max_retries=1, max_calls=max(recycle_after, 0))(process_file)
    jobs = iter(jobs)
    pending: dict = {}
    try:
        while True:
            while len(pending) < IN_FLIGHT_PER_WORKER * workers:
                job = next(jobs, None)
                if job is None:
                    break
                pending[task.remote(job)] = job
            if not pending:
                return
            yield _ray_next(pending)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


def _ray_next(pending: dict) -> FileResult:
    import ray

    (ref,), _ = ray.wait(list(pending), num_returns=1)
    job = pending.pop(ref)
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as err:  # worker died or the task could not run
        return _crashed(job, f"the Ray task failed ({type(err).__name__})")


def _crashed(job: Job, message: str) -> FileResult:
    """A file whose worker died: its planned content is recorded as failed (retried with --retry-failed)."""
    result = failed(job.path, "WorkerCrashed", message, key=job.sha256, stage="worker")
    result.planned = job.sha256
    return result
