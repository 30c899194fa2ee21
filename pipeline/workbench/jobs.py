"""Background processing: each uploaded file is read, repaired, extracted and compared with
Directive 20 in a worker process, which writes its progress to the store as it goes.

One worker process (spawned, so it shares nothing with the web server's threads) loads the
models once (`pipeline.batch.work.warm_up`) and takes the files one at a time; the web
process only reads the jobs' rows, so pages stay quick while a scan is OCRed. A job left
queued or running when the server stopped is submitted again at the next start. A worker
that dies (out of memory, a crash in a native library) fails its job with a message, and
the next job gets a new worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .storage import Store

log = logging.getLogger("chithi.workbench")
REFERENCE = "directive-20"
# Steps as the progress bar names them (labels in workbench/data/ui.json), with the share done when each starts.
STEPS = {"queued": 0.0, "reading": 0.05, "repairing": 0.3, "comparing": 0.8, "done": 1.0}


def _warm(parent_pid: int) -> None:
    """Worker initializer: exit when the server does (even one killed with no chance to stop
    its pool), then load the models."""
    from ..batch.work import warm_up

    warm_up(True, parent_pid=parent_pid)


def process_file(data_dir: str, job_id: int, sha256: str, suffix: str, name: str) -> None:
    """The job, run in the worker: ingest → repair and extract → compare each document → store."""
    from ..compare import compare_record, main_record
    from ..errors import ChithiError
    from ..ingest import ingest_path
    from ..runner import process, reference_for

    store = Store(Path(data_dir))
    try:
        store.progress(job_id, "reading", STEPS["reading"])
        ingested = ingest_path(store.file_path(sha256, suffix))
        ingested.path = name  # provenance names the user's file, never the stored path
        store.progress(job_id, "repairing", STEPS["repairing"])
        records = process(ingested)
        store.progress(job_id, "comparing", STEPS["comparing"])
        main = main_record(records)
        reference, implementing = reference_for(REFERENCE), store.implementing_numbers()
        store.save_documents(sha256, [
            (record, compare_record(record, reference, REFERENCE, implementing=implementing), record is main)
            for record in records
        ])
        store.finish(job_id, "done")
    except ChithiError as err:
        store.finish(job_id, "error", err.message)
    except Exception as err:  # a bug: the job fails with its name, the server goes on
        log.error("job %s (%s): %s", job_id, name, traceback.format_exc())
        store.finish(job_id, "error", f"lỗi nội bộ của chithi ({type(err).__name__}: {err})")


class Worker:
    """Submits jobs to one worker process and restarts it if it dies."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._stopping = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_warm, initargs=(os.getpid(),))
        return self._pool

    def start(self) -> None:
        """Start the worker (it loads the models at once) and resubmit unfinished jobs."""
        for job in self.store.unfinished_jobs():
            self.submit(job["id"], job["sha256"], job["suffix"], job["name"])
        with self._lock:
            self._executor().submit(int)  # the pool starts its process (and loads the models) on a first task

    def submit(self, job_id: int, sha256: str, suffix: str, name: str) -> None:
        with self._lock:
            future = self._executor().submit(process_file, str(self.store.data_dir), job_id, sha256, suffix, name)
        future.add_done_callback(lambda done: self._check(done, job_id))

    def _check(self, future: Future, job_id: int) -> None:
        error = None if future.cancelled() else future.exception()
        if error is None or self._stopping:  # a job cut short by stop() runs again at the next start
            return
        message = "tiến trình xử lý bị dừng đột ngột (hết bộ nhớ?)" if isinstance(error, BrokenProcessPool) else str(error)
        self.store.finish(job_id, "error", message)
        if isinstance(error, BrokenProcessPool):
            with self._lock:
                self._pool = None

    def stop(self) -> None:
        """Stop at once: the job in progress is submitted again at the next start."""
        with self._lock:
            pool, self._pool, self._stopping = self._pool, None, True
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())  # the pool has no public way to end a busy worker
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)
