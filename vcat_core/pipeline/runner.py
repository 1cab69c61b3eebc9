"""The embedded runner: asyncio orchestration over a process pool, emitting typed progress events.

Flow per file: discover (thread) → batch catalog look-up (skip unchanged, complete files) → fingerprint (pool) →
dedup by fingerprint (another path of known content becomes a location) → analysis stages (pool) → store (one
transaction per clip, on the single store thread). Only this process writes the catalog.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..errors import MediaError
from ..events import (
    ClipDone,
    DiscoveryFinished,
    FileDiscovered,
    IngestEvent,
    RunFinished,
    RunStarted,
    RunSummary,
    StageFailed,
    StageFinished,
    StageStarted,
)
from ..models import Candidate, ClipAnalysis, FingerprintResult, StageOutcome
from ..store.catalog import NOT_SHARED, CatalogStore, KnownLocation
from .decide import content_action, path_action, unreadable
from .discover import DiscoveryProblem, DiscoveryStats, discover
from .worker import (
    ANALYSIS_STAGES,
    AnalysisOptions,
    run_analysis,
    run_fingerprint,
    warm_up,
    worker_init,
)

_END = object()
LOOKUP_BATCH = 256
POOL_TASKS_PER_CHILD = 200
PROGRESS_EVERY = 1.0
WORKER_PRELOAD = ["vcat_core.pipeline.worker", "vcat_core.pipeline.metadata", "vcat_core.pipeline.thumbnails"]


@dataclass
class IngestOptions:
    workers: int
    hash_algorithm: str
    analysis: AnalysisOptions
    recursive: bool = True
    force: bool = False
    stages: tuple[str, ...] = ANALYSIS_STAGES  # analysis stages asked for (`--skip-visual` … narrow it)
    limit: int | None = None  # process at most this many new or changed files
    priority: str = "interactive"  # "batch" lowers the workers' CPU priority
    min_age: float = 0.0  # leave files modified less than this many seconds ago for later (watch: still copying)
    # called with each stored clip's id in a thread of its own (network I/O, e.g. thumbnails to remote storage);
    # returns how many items it sent; an exception is reported per clip and the run goes on
    after_store: Callable[[int], int] | None = None
    project_id: int | None = None  # new clips go into this project (`ingest --project`)


class IngestRunner:
    """One ingest run. Iterate `events()` to drive it; cancelling the iteration cancels the run cleanly."""

    def __init__(self, store: CatalogStore, roots: list[str], options: IngestOptions):
        self.store = store
        self.roots = [os.path.abspath(os.path.expanduser(r)) for r in roots]
        self.opt = options
        self.summary = RunSummary()
        self._queue: asyncio.Queue = asyncio.Queue()
        self._inflight: dict[str, asyncio.Future] = {}
        self._seen_paths: set[str] = set()
        self._unchanged: list[str] = []
        self._run_id: int | None = None
        self._started = 0

    def _emit(self, event: IngestEvent) -> None:
        self._queue.put_nowait(event)

    async def events(self) -> AsyncIterator[IngestEvent]:
        task = asyncio.create_task(self._run_guarded())
        try:
            while True:
                ev = await self._queue.get()
                if ev is _END:
                    break
                yield ev
            await task
        finally:
            if not task.done():
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down after the caller left
                    pass

    # ------------------------------------------------------------------------------------------------------------

    async def _run_guarded(self) -> None:
        """Whatever happens (the catalog unwritable, the pool failing to start), the event stream ends and the
        error reaches whoever iterates it, instead of leaving them waiting forever."""
        self._ended = False
        try:
            await self._run()
        finally:
            if not self._ended:
                self._queue.put_nowait(_END)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vcat-store")
        self._uploads: set[asyncio.Future] = set()
        self._net = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vcat-upload") \
            if self.opt.after_store else None
        run_id = self._run_id = await self._store(self.store.start_run, self.roots)
        self._emit(RunStarted(run_id=run_id, roots=self.roots, workers=self.opt.workers))
        self._pool = self._new_pool()
        self._pool_generation = 0
        status = "crashed"
        reporter = asyncio.create_task(self._report_progress(run_id))
        try:
            await self._drive(loop)
            status = "finished"
        except asyncio.CancelledError:
            status = "cancelled"
            self.summary.cancelled = True
            raise
        finally:
            reporter.cancel()
            self._pool.shutdown(wait=status == "finished", cancel_futures=True)
            try:
                if self._net is not None:
                    if status == "finished" and self._uploads:
                        await asyncio.wait(self._uploads)
                    self._net.shutdown(wait=status == "finished", cancel_futures=True)
                self.summary.seconds = time.perf_counter() - started
                if status == "finished":
                    await self._store(self.store.touch_locations, self._unchanged)
                    await self._store(self.store.mark_missing_offline,
                                      [r for r in self.roots if os.path.isdir(r)], self._seen_paths)
                counts = self.summary.model_dump(exclude={"stage_seconds"})  # uploads included
                await asyncio.shield(self._store(self.store.finish_run, run_id, status, counts))
            finally:
                self._db.shutdown(wait=True)
            self._emit(RunFinished(run_id=run_id, summary=self.summary, exit_code=self.summary.exit_code))
            self._queue.put_nowait(_END)
            self._ended = True

    async def _report_progress(self, run_id: int) -> None:
        """Write the live counts to the run's row every second (for dashboards in other processes)."""
        last = None
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            counts = self.summary.model_dump(exclude={"stage_seconds"})
            counts["discovered"] = len(self._seen_paths)
            if counts != last:
                try:
                    await self._store(self.store.update_run, run_id, counts)
                except Exception:  # noqa: BLE001 - progress is best effort; the run must not fail on it
                    pass
                last = counts

    def _new_pool(self) -> ProcessPoolExecutor:
        # forkserver: workers never inherit this process's threads; recycled now and then so a leak in a decoder
        # cannot grow memory over a long run
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(WORKER_PRELOAD)  # import the heavy modules once, in the server, not per worker
        pool = ProcessPoolExecutor(max_workers=self.opt.workers, initializer=worker_init, mp_context=ctx,
                                   initargs=(self.opt.priority,), max_tasks_per_child=POOL_TASKS_PER_CHILD)
        for _ in range(self.opt.workers):  # start the workers now, while discovery runs
            pool.submit(warm_up)
        return pool

    async def _in_pool(self, fn, *args):
        """Run in the process pool. A worker that dies (a decoder crash on a hostile file) breaks the whole pool:
        replace it and retry once, so only a file that crashes it twice is failed."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            generation = self._pool_generation
            try:
                return await loop.run_in_executor(self._pool, fn, *args)
            except BrokenProcessPool:
                if generation == self._pool_generation:  # the first task to notice replaces the pool
                    self._pool_generation += 1
                    old, self._pool = self._pool, self._new_pool()
                    old.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise MediaError("the decoder crashed while reading this file (damaged or hostile data)")
        raise AssertionError("unreachable")

    async def _store(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def _drive(self, loop: asyncio.AbstractEventLoop) -> None:
        found: asyncio.Queue = asyncio.Queue()
        stats = DiscoveryStats()

        def walk() -> None:
            try:
                for item in discover(self.roots, recursive=self.opt.recursive, stats=stats,
                                     exclude=[self.opt.analysis.catalog_dir]):
                    loop.call_soon_threadsafe(found.put_nowait, item)
            finally:
                loop.call_soon_threadsafe(found.put_nowait, _END)

        walker = loop.run_in_executor(None, walk)
        limiter = asyncio.Semaphore(self.opt.workers * 2)
        tasks: set[asyncio.Task] = set()
        total_bytes = 0
        done = False
        try:
            while not done:
                batch: list[Candidate] = []
                item = await found.get()
                while True:
                    if item is _END:
                        done = True
                        break
                    if isinstance(item, DiscoveryProblem):
                        await self._fail_path(item.path, "discover", item.error, "DiscoveryProblem")
                    else:
                        batch.append(item)
                        self._seen_paths.add(item.path)
                        total_bytes += item.size
                        self._emit(FileDiscovered(path=item.path, size=item.size))
                    if len(batch) >= LOOKUP_BATCH or found.empty():
                        break
                    item = found.get_nowait()
                if batch:
                    known = await self._store(self.store.lookup_locations, [c.path for c in batch])
                    for cand in batch:
                        await limiter.acquire()
                        t = asyncio.create_task(self._one(cand, known.get(cand.path)))
                        tasks.add(t)
                        t.add_done_callback(lambda t: (tasks.discard(t), limiter.release()))
            await walker
            self.summary.candidates = stats.candidates
            self.summary.passed_over += stats.passed_over
            self._emit(DiscoveryFinished(candidates=stats.candidates, bytes=total_bytes,
                                         passed_over=stats.passed_over, problems=stats.problems))
            if tasks:
                await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            raise

    # ---- one file ----------------------------------------------------------------------------------------------

    async def _one(self, cand: Candidate, known: KnownLocation | None) -> None:
        try:
            await self._process(cand, known)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug on one file must not end the run
            await self._fail_path(cand.path, "ingest", f"internal error ({type(exc).__name__}: {exc})",
                                  type(exc).__name__, cand)

    async def _process(self, cand: Candidate, known: KnownLocation | None) -> None:
        loop = asyncio.get_running_loop()
        algo = self.opt.hash_algorithm
        action = path_action(known, cand, algo, self.opt.stages, self.opt.force)
        if action == "known":
            self._unchanged.append(cand.path)
            self._count("known")
            self._emit(ClipDone(path=cand.path, outcome="known", clip_id=known.clip_id, bytes=cand.size))
            return
        if action == "reuse_fingerprint":
            fp = FingerprintResult(algorithm=algo, digest=known.fingerprint, size=cand.size)
        else:
            if not self._take_budget(cand):
                return
            self._emit(StageStarted(path=cand.path, stage="fingerprint"))
            try:
                fp = await self._in_pool(run_fingerprint, cand, algo)
            except MediaError as exc:
                self._emit(StageFailed(path=cand.path, stage="fingerprint", error=str(exc)))
                await self._fail_path(cand.path, "fingerprint", str(exc), type(exc).__name__, cand)
                return
            self.summary.bytes_hashed += fp.size
            self._add_time("fingerprint", fp.seconds)
            self._emit(StageFinished(path=cand.path, stage="fingerprint", seconds=fp.seconds))

        # Another file with the same content may be analysed right now: wait for it, then join it. The claim is
        # taken before any await, so two copies fingerprinted at the same moment never both analyse.
        other = self._inflight.get(fp.digest)
        if other is not None:
            await asyncio.shield(other)
            claim = None
        else:
            claim = self._inflight[fp.digest] = loop.create_future()
        try:
            await self._decide_and_analyse(cand, fp, known)
        finally:
            if claim is not None:
                claim.set_result(None)
                self._inflight.pop(fp.digest, None)

    async def _decide_and_analyse(self, cand: Candidate, fp: FingerprintResult, known: KnownLocation | None) -> None:
        clip = await self._store(self.store.lookup_fingerprint, fp.digest)
        if clip is None and await self._store(self.store.content_hidden, fp.digest):
            await self._fail_path(cand.path, "fingerprint", NOT_SHARED, "NotShared", cand)
            return
        action = content_action(clip, known, fp.digest, self.opt.stages, self.opt.force)
        if action.outcome != "analyse":  # a duplicate, or a touched file with the same bytes: one more location
            clip_id = await self._store(self.store.add_location, fp.digest, cand)
            self._count("duplicates" if action.outcome == "duplicate" else "known")
            self._emit(ClipDone(path=cand.path, outcome=action.outcome, clip_id=clip_id, bytes=cand.size))
            return
        await self._analyse_and_store(cand, fp, action.stages, is_new=clip is None, fingerprinted=known is None
                                      or not known.unchanged(cand))

    def _take_budget(self, cand: Candidate) -> bool:
        """`--limit N`: the first N files that need work get it; the rest wait for a later run. A file modified
        within `min_age` seconds may still be being copied: it waits too."""
        if self.opt.min_age and time.time() - cand.mtime_ns / 1e9 < self.opt.min_age:
            self._count("deferred")
            self._emit(ClipDone(path=cand.path, outcome="deferred", bytes=cand.size))
            return False
        if self.opt.limit is None:
            return True
        if self._started >= self.opt.limit:
            self._count("deferred")
            self._emit(ClipDone(path=cand.path, outcome="deferred", bytes=cand.size))
            return False
        self._started += 1
        return True

    async def _analyse_and_store(self, cand: Candidate, fp: FingerprintResult, stages: tuple[str, ...],
                                 is_new: bool, fingerprinted: bool) -> None:
        for st in stages:
            self._emit(StageStarted(path=cand.path, stage=st))
        try:
            analysis: ClipAnalysis = await self._in_pool(run_analysis, cand, fp, stages, self.opt.analysis)
        except MediaError as exc:
            for st in stages:
                self._emit(StageFailed(path=cand.path, stage=st, error=str(exc)))
            await self._fail_path(cand.path, stages[0], str(exc), type(exc).__name__, cand)
            return
        failures = []
        for out in analysis.outcomes:
            self._add_time(out.stage, out.seconds)
            if out.status == "failed":
                failures.append(out)
                self._emit(StageFailed(path=cand.path, stage=out.stage, error=out.error or "failed"))
            else:
                self._emit(StageFinished(path=cand.path, stage=out.stage, seconds=out.seconds))
        if fingerprinted:
            analysis.outcomes.insert(0, StageOutcome(stage="fingerprint", status="succeeded", seconds=fp.seconds))
        bad = unreadable(analysis, cand, stages)
        if bad == "passed_over":  # only its bytes looked like video, and they were not
            self._count("passed_over")
            self._emit(ClipDone(path=cand.path, outcome="passed_over", bytes=cand.size))
            return
        if bad is not None:
            await self._fail_path(cand.path, "metadata", bad.error or "unreadable", bad.error_kind or "", cand)
            return
        clip_id, created = await self._store(
            lambda: self.store.save_analysis(analysis, project_id=self.opt.project_id))
        if self._net is not None and analysis.thumbnails is not None:
            self._after_store(cand.path, clip_id)
        if failures:
            self._count("failed")
            self._emit(ClipDone(path=cand.path, outcome="failed", clip_id=clip_id, bytes=cand.size,
                                error=f"{failures[0].stage}: {failures[0].error}"))
        else:
            outcome = "new" if created else "updated"
            self._count("new" if created else "updated")
            self._emit(ClipDone(path=cand.path, outcome=outcome, clip_id=clip_id, bytes=cand.size))

    def _after_store(self, path: str, clip_id: int) -> None:
        """Send the stored clip on (remote storage) without holding up the next clip."""
        started = time.perf_counter()
        self._emit(StageStarted(path=path, stage="upload"))
        fut = asyncio.get_running_loop().run_in_executor(self._net, self.opt.after_store, clip_id)
        self._uploads.add(fut)

        def done(f: asyncio.Future) -> None:
            self._uploads.discard(f)
            if f.cancelled():
                return
            if f.exception() is not None:
                self._count("upload_failed")
                self._emit(StageFailed(path=path, stage="upload", error=str(f.exception())))
            else:
                self.summary.uploaded += f.result() or 0
                self._emit(StageFinished(path=path, stage="upload", seconds=time.perf_counter() - started))
        fut.add_done_callback(done)

    async def _fail_path(self, path: str, stage: str, error: str, kind: str, cand: Candidate | None = None) -> None:
        await self._store(lambda: self.store.record_failure(
            path, stage, error, kind, size=cand.size if cand else None, mtime_ns=cand.mtime_ns if cand else None,
            run_id=self._run_id))
        self._count("failed")
        self._emit(ClipDone(path=path, outcome="failed", error=f"{stage}: {error}", bytes=cand.size if cand else 0))

    def _count(self, field: str) -> None:
        setattr(self.summary, field, getattr(self.summary, field) + 1)

    def _add_time(self, stage: str, seconds: float) -> None:
        self.summary.stage_seconds[stage] = self.summary.stage_seconds.get(stage, 0.0) + seconds
