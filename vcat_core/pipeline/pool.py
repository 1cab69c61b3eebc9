"""The embedded runner's process pool: N worker processes, one task each at a time, every task under a watchdog.

Written here rather than taken ready-made, because neither candidate can promise "no hang, ever":
- `concurrent.futures.ProcessPoolExecutor(max_tasks_per_child=…)` deadlocks once a worker retires with work queued
  (CPython gh-115634, Python 3.11 until the fixed 3.13/3.14 releases), and a hung task cannot be stopped there
  without breaking the whole pool and every task in it.
- pebble's ProcessPool has open races that leave a future unresolved for ever (pebble #153: a task acknowledged by a
  worker that was being stopped; a worker dying before it picks its task up orphans the task).
The shape here has no shared queue to lose a task in: each worker owns a duplex pipe, the parent hands a task to an
idle worker and waits for its answer with a deadline (`Connection.poll`), in a thread per worker slot. A worker
that misses its deadline, dies, or fails to start is killed (with its process group: ExifTool goes too) and the
slot starts a fresh one. Workers retire after `max_tasks` tasks or once their resident memory passes `max_rss_mb`,
so a leak in a decoder cannot grow a long run. A supervisor looks at every slot each second, as a second line:
a slot past its deadline by more than a grace period is killed from outside and reported ("says so").

Inside a task, `report_media_seconds(d)` tells the parent how long the clip is (the metadata stage knows it first),
so a long recording gets a deadline scaled by its duration while a broken short file is stopped early.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ..errors import MediaError

log = logging.getLogger(__name__)

SUPERVISE_EVERY = 1.0  # seconds between the supervisor's looks at the slots
STALL_GRACE = 15.0  # a slot this far past its deadline is stuck in the parent: killed from outside


class WatchdogTimeout(MediaError):
    """The file ran past its time bound; its worker was stopped."""


class WorkerCrashed(MediaError):
    """The worker process died while it held the task (a decoder crash, the OOM killer, a memory limit)."""


class PoolClosed(RuntimeError):
    """The pool was shut down while the task waited or ran."""


@dataclass(frozen=True)
class Budget:
    """How long one task may run: `seconds`, plus `per_media_second` for every second of footage the task reports
    (see `report_media_seconds`)."""

    seconds: float
    per_media_second: float = 0.0
    # a file's claimed duration is believed only up to this (what its bytes can plausibly hold): a hostile file of
    # a few KB claiming ten hours must not buy itself a day of decoding
    max_media_seconds: float = float("inf")

    def total(self, media_seconds: float | None) -> float:
        media = min(max(0.0, media_seconds or 0.0), self.max_media_seconds)
        return self.seconds + self.per_media_second * media


@dataclass(frozen=True)
class PoolLimits:
    max_tasks: int = 200  # a worker retires after this many tasks
    max_rss_mb: int = 3072  # … or once its resident memory passes this (0: no check)
    start_timeout: float = 120.0  # a worker not ready by then (imports, ExifTool) is killed and started again


# ---- inside a worker --------------------------------------------------------------------------------------------

_task_conn: Connection | None = None
_send_lock = threading.Lock()


def report_media_seconds(seconds: float | None) -> None:
    """Called by a task once it knows the clip's duration: the parent rescales the task's deadline. A no-op outside
    a pool worker (queue jobs, tests)."""
    conn = _task_conn
    if conn is None or not seconds or seconds <= 0:
        return
    with _send_lock:
        conn.send(("media_seconds", float(seconds)))


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _worker_main(conn: Connection, initializer: Callable | None, initargs: tuple) -> None:
    """A worker's whole life: initialise, say ready, then run tasks until told to stop or the parent goes away."""
    global _task_conn
    try:
        os.setpgid(0, 0)  # its own process group: a kill takes its helpers (ExifTool) with it
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
    if initializer is not None:
        initializer(*initargs)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if msg is None:
            return
        fn, args = msg
        _task_conn = conn
        try:
            reply: tuple = ("ok", fn(*args))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            reply = ("error", exc, traceback.format_exc())
        finally:
            _task_conn = None
        try:
            with _send_lock:
                conn.send((*reply, _rss_mb()))  # the worker's memory last, so the parent can retire it
        except (EOFError, OSError, BrokenPipeError):
            return
        except Exception as exc:  # noqa: BLE001 - the result or exception could not be pickled
            with _send_lock:
                conn.send(("error", RuntimeError(f"result could not be sent back: {exc}"), "", _rss_mb()))


# ---- the parent side --------------------------------------------------------------------------------------------


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ctx, initializer: Callable | None, initargs: tuple):
        parent, child = ctx.Pipe(duplex=True)
        self.conn = parent
        self._closing = threading.Lock()
        self.proc = ctx.Process(target=_worker_main, args=(child, initializer, initargs), daemon=True)
        self.proc.start()
        child.close()
        self.tasks = 0
        self.rss_mb = 0.0

    def wait_ready(self, start_timeout: float) -> None:
        """Until the worker has initialised (imports, ExifTool). Kept apart from starting it, so a pool shut down
        meanwhile (Ctrl-C) can kill a worker that is still starting instead of waiting for it."""
        try:
            ready = self.conn.poll(start_timeout)
            msg = self.conn.recv() if ready else None
        except (EOFError, OSError):
            ready, msg = True, None
        if not msg or msg[0] != "ready":
            self.kill()
            raise RuntimeError(f"a worker process did not start within {start_timeout:.0f} s"
                               if not ready else f"a worker process died while starting (exit code "
                                                 f"{self.proc.exitcode})")

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    def kill(self) -> None:
        """Kill the worker and everything it started (its process group), and reap it. Safe to call from two
        threads at once (the slot's and the supervisor's): the pipe is closed exactly once."""
        pid = self.proc.pid
        if pid is not None and self.proc.exitcode is None:
            for send in (os.killpg, os.kill):
                try:
                    send(pid, signal.SIGKILL)
                    break
                except (ProcessLookupError, PermissionError):
                    continue
        self.proc.join(5)
        with self._closing:
            if not self.conn.closed:
                self.conn.close()

    def retire(self) -> None:
        """Ask the worker to exit between tasks; kill it if it does not."""
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.proc.join(5)
        self.kill()


@dataclass
class _Slot:
    """A place for one worker. `deadline` is set (monotonic) while the slot starts a worker or runs a task."""

    index: int
    worker: _Worker | None = None
    deadline: float | None = None
    what: str = ""
    stalled: bool = False


class WorkerPool:
    """Run picklable functions in worker processes from asyncio code: `await pool.run(fn, *args, budget=…)`.

    Raises `WatchdogTimeout` when the task runs past its budget and `WorkerCrashed` when its worker dies; the pool
    carries on with a fresh worker either way. `on_warning(text)` hears about stalls the supervisor had to break.
    """

    def __init__(self, workers: int, *, initializer: Callable | None = None, initargs: tuple = (),
                 limits: PoolLimits = PoolLimits(), context=None,
                 on_warning: Callable[[str], None] | None = None):
        import multiprocessing

        self.size = max(1, workers)
        self.limits = limits
        self._ctx = context or multiprocessing.get_context("forkserver")
        self._init = initializer
        self._initargs = tuple(initargs)
        self._on_warning = on_warning
        self._slots = [_Slot(i) for i in range(self.size)]
        self._threads = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="vcat-pool")
        self._idle: asyncio.Queue[_Slot] | None = None
        self._closed = False
        self._supervisor: asyncio.Task | None = None
        self.started = 0  # worker processes started over the pool's life (recycling shows here)
        self.timeouts = 0
        self.crashes = 0

    # -- asyncio side --

    def _ensure_started(self) -> asyncio.Queue:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for slot in self._slots:
                self._idle.put_nowait(slot)
            self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        return self._idle

    async def start(self) -> None:
        """Start every worker now (imports, ExifTool), so the first files do not wait for them."""
        idle = self._ensure_started()
        slots = [idle.get_nowait() for _ in range(idle.qsize())]
        loop = asyncio.get_running_loop()
        try:
            await asyncio.gather(*(loop.run_in_executor(self._threads, self._ensure_worker, s) for s in slots))
        finally:
            for s in slots:
                idle.put_nowait(s)

    async def run(self, fn: Callable, *args: Any, budget: Budget, label: str = "") -> Any:
        if self._closed:
            raise PoolClosed("the worker pool is shut down")
        idle = self._ensure_started()
        slot = await idle.get()
        loop = asyncio.get_running_loop()

        def give_back(_f) -> None:
            try:
                loop.call_soon_threadsafe(idle.put_nowait, slot)
            except RuntimeError:  # the loop is closed: nobody waits for the slot any more
                pass

        try:
            cf = self._threads.submit(self._call, slot, fn, args, budget, label)
        except RuntimeError as exc:  # the thread pool is shut down
            idle.put_nowait(slot)
            raise PoolClosed("the worker pool is shut down") from exc
        cf.add_done_callback(give_back)  # the slot is free only once its thread is really done with it
        return await asyncio.wrap_future(cf)

    async def _supervise(self) -> None:
        """Second line of defence: a slot whose thread did not enforce its deadline is killed from here."""
        while not self._closed:
            await asyncio.sleep(SUPERVISE_EVERY)
            now = time.monotonic()
            for slot in self._slots:
                deadline, worker = slot.deadline, slot.worker
                if deadline is None or worker is None or now < deadline + STALL_GRACE or slot.stalled:
                    continue
                slot.stalled = True
                text = (f"worker {worker.pid} made no progress for {now - deadline + 0:.0f} s past its bound "
                        f"({slot.what or 'a task'}): stopped and replaced")
                log.warning(text)
                if self._on_warning is not None:
                    self._on_warning(text)
                await asyncio.get_running_loop().run_in_executor(None, worker.kill)

    async def aclose(self) -> None:
        """`shutdown()` from asyncio code without blocking its loop while workers finish (queue workers)."""
        if self._supervisor is not None:
            self._supervisor.cancel()
        await asyncio.to_thread(self.shutdown)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the pool. `wait=False` (cancelled or failed runs): kill every worker now, so no process outlives
        the run; the threads then see their workers gone and return."""
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
        if not wait:
            for slot in self._slots:
                if slot.worker is not None:
                    slot.worker.kill()
        self._threads.shutdown(wait=True, cancel_futures=True)
        for slot in self._slots:
            if slot.worker is not None:
                slot.worker.retire() if wait else slot.worker.kill()
                slot.worker = None

    def worker_pids(self) -> list[int]:
        return [s.worker.pid for s in self._slots if s.worker is not None and s.worker.pid is not None]

    # -- the slot's thread: everything blocking lives here --

    def _ensure_worker(self, slot: _Slot) -> _Worker:
        if slot.worker is not None and slot.worker.proc.exitcode is None:
            return slot.worker
        if slot.worker is not None:
            slot.worker.kill()
            slot.worker = None
        if self._closed:
            raise PoolClosed("the worker pool is shut down")
        last: Exception | None = None
        for _attempt in range(3):
            slot.deadline, slot.what, slot.stalled = time.monotonic() + self.limits.start_timeout, "starting", False
            try:
                slot.worker = worker = _Worker(self._ctx, self._init, self._initargs)  # shutdown can kill it now
                self.started += 1
                worker.wait_ready(self.limits.start_timeout)
                if self._closed:  # shut down while it started (Ctrl-C): it must not outlive the run
                    raise PoolClosed("the worker pool is shut down")
                return worker
            except RuntimeError as exc:  # PoolClosed too
                if slot.worker is not None:
                    slot.worker.kill()
                    slot.worker = None
                if self._closed:
                    raise PoolClosed("the worker pool is shut down") from None
                last = exc
                log.warning("%s; trying again", exc)
            finally:
                slot.deadline = None
        raise RuntimeError(f"worker processes cannot be started: {last}")

    def _call(self, slot: _Slot, fn: Callable, args: tuple, budget: Budget, label: str) -> Any:
        for attempt in (1, 2):
            worker = self._ensure_worker(slot)
            try:
                worker.conn.send((fn, args))
                break
            except (OSError, BrokenPipeError):  # it died while idle: not this task's fault, take a fresh one
                worker.kill()
                slot.worker = None
                if attempt == 2:
                    raise WorkerCrashed("worker processes keep dying before they take a task") from None
        started = time.monotonic()
        slot.what, slot.stalled = label, False
        slot.deadline = deadline = started + budget.total(None)
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    ready = left > 0 and worker.conn.poll(left)
                    msg = worker.conn.recv() if ready else None
                except (EOFError, OSError):
                    code = worker.proc.exitcode
                    self._drop(slot)
                    self.crashes += 1
                    if self._closed:
                        raise PoolClosed("the worker pool is shut down") from None
                    if slot.stalled:
                        raise WatchdogTimeout(_timeout_text(time.monotonic() - started)) from None
                    raise WorkerCrashed(_crash_text(code)) from None
                if msg is None:
                    if time.monotonic() < deadline:
                        continue
                    self._drop(slot)
                    self.timeouts += 1
                    raise WatchdogTimeout(_timeout_text(time.monotonic() - started))
                if msg[0] == "media_seconds":
                    slot.deadline = deadline = started + budget.total(msg[1])
                    continue
                worker.tasks += 1
                worker.rss_mb = msg[-1]
                self._maybe_retire(slot)
                if msg[0] == "ok":
                    return msg[1]
                exc = msg[1]
                if not isinstance(exc, Exception):  # SystemExit, KeyboardInterrupt… in a worker: a bug there
                    exc = RuntimeError(f"worker task ended with {type(exc).__name__}: {exc}")
                raise exc
        finally:
            slot.deadline = None

    def _drop(self, slot: _Slot) -> None:
        if slot.worker is not None:
            slot.worker.kill()
            slot.worker = None

    def _maybe_retire(self, slot: _Slot) -> None:
        w = slot.worker
        if w is None:
            return
        lim = self.limits
        if (lim.max_tasks and w.tasks >= lim.max_tasks) or (lim.max_rss_mb and w.rss_mb > lim.max_rss_mb):
            slot.worker = None  # the slot starts a fresh one for its next task; this one leaves in the background
            threading.Thread(target=w.retire, name="vcat-pool-retire", daemon=True).start()


def _timeout_text(seconds: float) -> str:
    return (f"stopped by the watchdog after {seconds:.0f} s: reading this file took longer than its bound "
            f"(setting watchdog_seconds, plus watchdog_per_media_second for each second of footage)")


def _crash_text(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = signal.Signals(-exitcode).name
        except ValueError:
            how = f"signal {-exitcode}"
        return f"the worker process died ({how}) while reading this file (damaged or hostile data, or out of memory)"
    return "the worker process died while reading this file (damaged or hostile data, or out of memory)"
