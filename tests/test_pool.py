"""The runner's worker pool on its own: recycling that never stalls, the per-task watchdog, crashes, memory-based
recycling, and the supervisor that breaks a stall the watchdog thread cannot see."""

from __future__ import annotations

import asyncio
import os
import struct
import time

import pytest

from vcat_core.pipeline import pool as pool_module
from vcat_core.pipeline.pool import Budget, PoolLimits, WatchdogTimeout, WorkerCrashed, WorkerPool


def sleep_then(seconds: float, value: str = "done") -> str:
    time.sleep(seconds)
    return value


def long_clip(media_seconds: float, work_seconds: float) -> str:
    pool_module.report_media_seconds(media_seconds)
    time.sleep(work_seconds)
    return "finished"


def hang_mid_answer() -> None:
    """Start an answer to the parent and never finish it: the parent's read blocks past any deadline."""
    conn = pool_module._task_conn
    os.write(conn.fileno(), struct.pack("!i", 1_000_000) + b"partial")
    time.sleep(3600)


def grow(mb: int) -> int:
    global _ballast
    _ballast = bytearray(mb * 2**20)
    for i in range(0, len(_ballast), 4096):
        _ballast[i] = 1
    return os.getpid()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=120))


def test_recycled_workers_never_stall_the_queue():
    """gh-115634's shape: more tasks queued than workers × task limit; every one completes."""
    async def go():
        p = WorkerPool(2, limits=PoolLimits(max_tasks=2))
        try:
            pids = await asyncio.gather(*(p.run(os.getpid, budget=Budget(30)) for _ in range(60)))
            return pids, p.started
        finally:
            p.shutdown()

    pids, started = run(go())
    assert len(pids) == 60 and max(pids.count(pid) for pid in pids) == 2  # each worker retired after 2 tasks
    assert started == len(set(pids)) >= 30


def test_watchdog_stops_a_task_past_its_bound_and_the_pool_goes_on():
    async def go():
        p = WorkerPool(1)
        try:
            t = time.monotonic()
            with pytest.raises(WatchdogTimeout, match="watchdog"):
                await p.run(sleep_then, 60, budget=Budget(1))
            took = time.monotonic() - t
            return took, await p.run(sleep_then, 0, "next", budget=Budget(30)), p.timeouts
        finally:
            p.shutdown()

    took, value, timeouts = run(go())
    assert took < 10 and value == "next" and timeouts == 1


def test_the_bound_grows_with_the_footage_a_task_reports():
    async def go():
        p = WorkerPool(1)
        try:
            ok = await p.run(long_clip, 3.0, 1.5, budget=Budget(1, per_media_second=1))  # 1 + 3 s allowed
            with pytest.raises(WatchdogTimeout):
                await p.run(long_clip, 0.5, 3.0, budget=Budget(1, per_media_second=1))  # 1.5 s allowed
            return ok
        finally:
            p.shutdown()

    assert run(go()) == "finished"


def test_a_claimed_duration_the_bytes_cannot_hold_buys_no_time():
    """A hostile file of 2 KB claiming ten hours: the watchdog believes at most 2 s of footage (1 KB per second)."""
    from vcat_core.pipeline.runner import Watchdog

    budget = Watchdog(seconds=1, per_media_second=1, read_bytes_per_second=1e12).analysis(2000)
    assert budget.total(36_000) == pytest.approx(3.0) and budget.total(1.0) == pytest.approx(2.0)

    async def go():
        p = WorkerPool(1)
        try:
            t = time.monotonic()
            with pytest.raises(WatchdogTimeout):
                await p.run(long_clip, 36_000.0, 60.0, budget=budget)
            return time.monotonic() - t
        finally:
            p.shutdown()

    assert run(go()) < 15


def test_a_crashed_worker_fails_only_its_task():
    async def go():
        p = WorkerPool(2)
        try:
            results = await asyncio.gather(p.run(os._exit, 9, budget=Budget(30)),
                                           *(p.run(sleep_then, 0.1, budget=Budget(30)) for _ in range(6)),
                                           return_exceptions=True)
            return results
        finally:
            p.shutdown()

    results = run(go())
    assert isinstance(results[0], WorkerCrashed) and results[1:] == ["done"] * 6


def test_a_worker_is_replaced_once_its_memory_passes_the_limit():
    async def go():
        p = WorkerPool(1, limits=PoolLimits(max_tasks=1000, max_rss_mb=150))
        try:
            small = [await p.run(os.getpid, budget=Budget(30)) for _ in range(3)]
            big = await p.run(grow, 300, budget=Budget(30))
            after = await p.run(os.getpid, budget=Budget(30))
            return small, big, after
        finally:
            p.shutdown()

    small, big, after = run(go())
    assert len(set(small)) == 1 and big == small[0] and after != big


def test_the_supervisor_breaks_a_stall_the_deadline_cannot_see(monkeypatch):
    """The parent's own read hangs (a worker stuck half-way through its answer): the supervisor kills the worker,
    says so, and the task fails as timed out."""
    monkeypatch.setattr(pool_module, "STALL_GRACE", 1.0)
    warnings: list[str] = []

    async def go():
        p = WorkerPool(1, on_warning=warnings.append)
        try:
            t = time.monotonic()
            with pytest.raises(WatchdogTimeout):
                await p.run(hang_mid_answer, budget=Budget(1))
            took = time.monotonic() - t
            return took, await p.run(sleep_then, 0, "alive", budget=Budget(30))
        finally:
            p.shutdown()

    took, value = run(go())
    assert took < 15 and value == "alive"
    assert len(warnings) == 1 and "made no progress" in warnings[0]


def test_shutdown_without_waiting_kills_busy_workers():
    async def go():
        p = WorkerPool(2)
        tasks = [asyncio.ensure_future(p.run(sleep_then, 600, budget=Budget(900))) for _ in range(2)]
        await asyncio.sleep(1.5)
        pids = p.worker_pids()
        t = time.monotonic()
        p.shutdown(wait=False)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return pids, time.monotonic() - t

    pids, took = run(go())
    assert len(pids) == 2 and took < 10
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def slow_start(seconds: float) -> None:
    time.sleep(seconds)


def test_a_pool_stopped_while_its_workers_start_kills_them_at_once():
    """Ctrl-C while workers are still initialising (imports, models, ExifTool): they are killed, not waited for."""
    import psutil

    async def go():
        p = WorkerPool(2, initializer=slow_start, initargs=(60,))
        task = asyncio.ensure_future(p.run(os.getpid, budget=Budget(120)))
        deadline = time.monotonic() + 30
        while len(p.worker_pids()) < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        pids = p.worker_pids()
        t = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, lambda: p.shutdown(wait=False))
        took = time.monotonic() - t
        with pytest.raises(Exception):
            await task
        return pids, took

    pids, took = run(go())
    assert pids and took < 15
    assert not [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
