"""Batch: the pipeline over an archive, with progress, resume and per-file error isolation.

    run        the parent: plans the jobs, commits results, writes the summary (`run_batch`)
    work       a worker: one file → its output lines (`process_file`), model warm-up
    engines    local worker processes (forked from a preloaded fork server, recycled) or Ray tasks
    inputs     folders, files and globs → files (link and special-file policy), safe reading and hashing
    folder     the output folder: its lock, whose files are whose, output errors
    manifest   the SQLite commit point that makes a killed batch resumable, and compaction
    export     JSON Lines appenders and the Parquet tables
    progress   the progress bar or line
"""

from .run import EXIT_INTERRUPTED, EXIT_OK, EXIT_OUTPUT, EXIT_SOME_FAILED, EXIT_USAGE, UsageError, run_batch  # noqa: F401
