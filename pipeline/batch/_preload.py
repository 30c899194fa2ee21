"""Imported by the batch's fork server before it forks any worker (multiprocessing's
forkserver `preload`, see `pipeline.batch.engines._start_fork_server`).

It loads the stages and their models once, and freezes them out of the garbage collector
(`pipeline.batch.work.warm_up`). Every worker then starts as a copy of the fork server: it does
not load the models again, and its pages stay shared with the other workers' until one of
them writes to them (the language model's arrays are only read).
"""

import os

try:
    from .engines import PRELOAD_REPAIR
    from .work import warm_up

    warm_up(repair=os.environ.get(PRELOAD_REPAIR) != "0")  # the batch says whether it repairs
except Exception:  # a worker that finds the models missing loads them itself, and reports what fails
    pass
