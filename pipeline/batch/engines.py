"""The engines that run `process_file` over a batch's jobs: local worker processes, or Ray.

Both keep at most IN_FLIGHT_PER_WORKER jobs per worker in flight and yield results as they
finish. Local workers are forked from a fork server that loaded the models first, so they
start at once and share the models' pages.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from .work import FileResult, Job, error_line, process_file, warm_up

IN_FLIGHT_PER_WORKER = 2
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
PRELOAD_REPAIR = "CHITHI_PRELOAD_REPAIR"  # tells the fork server's preload whether to load the repair models


def run_local(jobs: Iterable[Job], workers: int, repair: bool = True,
              work: Callable[[Job], FileResult] = process_file) -> Iterator[FileResult]:
    """Worker processes; results stream back as they finish, at most 2×workers in flight.

    A worker that dies (a crash in a native library) breaks the pool. The files that were
    in flight are then run again one at a time in a fresh pool, so a crash can be pinned on
    its file: a file that breaks the pool while running alone is recorded as WorkerCrashed,
    and the others go through.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    jobs, suspects = iter(jobs), deque[Job]()
    context = multiprocessing.get_context("forkserver")
    _start_fork_server(repair)
    while True:
        pool = None
        pending: dict = {}
        try:
            while True:
                while len(pending) < IN_FLIGHT_PER_WORKER * workers and not (suspects and pending):
                    job = suspects.popleft() if suspects else next(jobs, None)
                    if job is None:
                        break
                    if pool is None:
                        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=warm_up,
                                                   initargs=(repair, os.getpid()))
                    pending[pool.submit(work, job)] = job
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        broken = True
                        continue
                    job = pending.pop(future)
                    yield _crashed(job, f"the worker failed: {error!r}") if error else future.result()
                if broken:
                    break
            if len(pending) == 1:
                (job,) = pending.values()
                yield _crashed(job, "the worker process died while reading this file")
            else:
                suspects.extend(pending.values())
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


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


def run_ray(jobs: Iterable[Job], workers: int, address: str | None) -> Iterator[FileResult]:
    """The same work function as Ray tasks, with at most 2×workers tasks in flight."""
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        options = {"address": address} if address else {"num_cpus": workers}
        ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False, **options)
    task = ray.remote(num_cpus=1, max_retries=1)(process_file)
    pending: dict = {}
    try:
        for job in jobs:
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield _ray_next(pending)
            pending[task.remote(job)] = job
        while pending:
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
    return FileResult(job.path, job.sha256, errors=[error_line(job.path, "worker", "WorkerCrashed", message)])
