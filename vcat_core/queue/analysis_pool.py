"""Queue workers read files the way a local run does: in vcat's own worker processes, under the per-file watchdog.

A Procrastinate job runs in a thread of the worker; without this it would decode in that process, where one hostile
file that hangs a decoder holds the job (and its heartbeat keeps it from being rescued) for ever, and one that
crashes a decoder takes the whole worker down. Here the job hands the file to a `WorkerPool` started with the
worker (one process per concurrent job) and waits: a file past its bound is stopped and failed, a crashed process
fails only its file (after one retry), and the job ends with a failure row, as the local runner does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from typing import Any

from ..config import Settings
from ..pipeline.pool import Budget, PoolLimits, WorkerCrashed, WorkerPool
from ..pipeline.runner import WORKER_PRELOAD
from ..pipeline.worker import start_worker

POOL_KEY, LOOP_KEY = "analysis_pool", "analysis_loop"


def start_pool(concurrency: int, settings: Settings) -> WorkerPool:
    """One worker process per job the Procrastinate worker runs at once, recycled as a local run's are."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)
    return WorkerPool(concurrency, initializer=start_worker,
                      initargs=("interactive", settings.worker_address_space_mb), context=ctx,
                      limits=PoolLimits(max_tasks=settings.worker_max_tasks,
                                        max_rss_mb=settings.worker_max_memory_mb))


def pool_context(pool: WorkerPool, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
    """What the worker adds to every job's context so its tasks can reach the pool."""
    return {POOL_KEY: pool, LOOP_KEY: loop}


def in_pool(additional_context: dict[str, Any], fn: Callable, *args: Any, budget: Budget, label: str) -> Any:
    """Run `fn(*args)` in the worker's pool from a job's thread, under `budget`; raises `WatchdogTimeout` or
    `WorkerCrashed` (both MediaError) for the file. Jobs run outside a worker (tests calling a task directly)
    run in-process, as before."""
    pool: WorkerPool | None = additional_context.get(POOL_KEY)
    if pool is None:
        return fn(*args)
    loop: asyncio.AbstractEventLoop = additional_context[LOOP_KEY]
    for attempt in (1, 2):
        try:
            return asyncio.run_coroutine_threadsafe(pool.run(fn, *args, budget=budget, label=label), loop).result()
        except WorkerCrashed:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
