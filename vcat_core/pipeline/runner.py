"""The embedded runner: asyncio orchestration over a process pool, emitting typed progress events.

Flow: discover (a thread, batches of paths, never waiting on the pool) → one catalog look-up per batch (unchanged,
complete files end there) → fingerprint (pool, small files grouped into one task) → one look-up per group of
fingerprints → known content at a new path is queued and written in batches (one transaction per few hundred
copies) → new content: analysis stages (pool, one file per task under the watchdog) → store (one transaction per
clip, on the single store thread). Only this process writes the catalog.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..errors import CatalogDiskFull, MediaError
from ..events import (
    ClipDone,
    DiscoveryFinished,
    FileDiscovered,
    FilesUnchanged,
    IngestEvent,
    PoolWarning,
    RunFinished,
    RunStarted,
    RunSummary,
    StageFailed,
    StageFinished,
    StageStarted,
)
from ..models import Candidate, ClipAnalysis, FingerprintResult, StageOutcome
from ..store.catalog import NOT_SHARED, CatalogStore, KnownClip, KnownLocation
from ..store.tables import utcnow
from .decide import content_action, location_of, path_action, unreadable
from .cards.splits import SplitRule
from .discover import DiscoveryProblem, DiscoveryStats, discover
from .pool import Budget, PoolLimits, WatchdogTimeout, WorkerCrashed, WorkerPool
from .worker import (ANALYSIS_STAGES, AnalysisOptions, needs_stored_thumbnails, run_analysis, run_fingerprints,
                     start_worker)

_END = object()
LOOKUP_BATCH = 512  # paths per catalog look-up
WALK_AHEAD = 200  # batches discovery may run ahead of the catalog look-ups (bounded memory on a huge drive)
WALK_FLUSH_SECONDS = 0.2  # a slow walk still hands over what it found this often
HASH_GROUP_FILES = 64  # small files hashed in one pool task
HASH_GROUP_BYTES = 64 * 2**20
LOCATION_BATCH = 500  # copies of known content written per transaction
LOCATION_FLUSH_SECONDS = 0.25
TOUCH_BATCH = 5000  # unchanged paths marked seen per transaction
PROGRESS_EVERY = 1.0
DISK_FULL = ("the disk holding the catalog is full: free some space and run the same command again (what was "
             "catalogued is kept; the run resumes where it stopped)")
WORKER_PRELOAD = ["vcat_core.pipeline.worker", "vcat_core.pipeline.metadata", "vcat_core.pipeline.thumbnails"]


@dataclass(frozen=True)
class Watchdog:
    """Per-file time bounds (settings `watchdog_*`): a file is stopped once it runs past `seconds` plus
    `per_media_second` for each second of footage, plus reading its bytes at `read_bytes_per_second`."""

    seconds: float = 300.0
    per_media_second: float = 3.0
    read_bytes_per_second: float = 10 * 2**20
    # the leanest footage still takes ~1 KB per second (a static screen recording at 8 kbit/s): a longer claimed
    # duration than the bytes allow is not believed (see Budget.max_media_seconds)
    min_bytes_per_media_second: float = 1000.0

    @classmethod
    def from_settings(cls, settings) -> Watchdog:
        return cls(seconds=settings.watchdog_seconds, per_media_second=settings.watchdog_per_media_second)

    def fingerprint(self, size: int) -> Budget:
        return Budget(self.seconds + size / self.read_bytes_per_second)

    def analysis(self, size: int) -> Budget:
        return Budget(self.seconds + size / self.read_bytes_per_second, self.per_media_second,
                      max_media_seconds=size / self.min_bytes_per_media_second)


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
    watchdog: Watchdog = field(default_factory=Watchdog)
    pool: PoolLimits = field(default_factory=PoolLimits)  # worker recycling: tasks and memory per worker
    memory_limit_mb: int | None = None  # address-space cap per worker (None: the `worker_address_space_mb` setting)
    split_rule: SplitRule | None = None  # camera cards: where DJI / Sony cut a recording (None: the FAT32 limit)


class IngestRunner:
    """One ingest run. Iterate `events()` to drive it; cancelling the iteration cancels the run cleanly."""

    def __init__(self, store: CatalogStore, roots: list[str], options: IngestOptions):
        self.store = store
        self.roots = [os.path.abspath(os.path.expanduser(r)) for r in roots]
        self.opt = options
        self.summary = RunSummary()
        self._queue: asyncio.Queue = asyncio.Queue()
        self._inflight: dict[str, asyncio.Future] = {}
        self._analysed: set[str] = set()  # contents analysed by this run (a look-up made before may be stale)
        self._discovered = 0  # paths walked (a count: a drive of millions must not be held in memory)
        self._started_at = utcnow()  # every location seen by this run is stamped at or after this
        self._unchanged: list[str] = []
        self._pending_locations: list[tuple[str, Candidate, str]] = []
        self._tasks: set[asyncio.Task] = set()
        self._run_id: int | None = None
        self._started = 0
        self._postgres = store.engine.dialect.name == "postgresql"
        self._pool_start: asyncio.Future | None = None
        self._fatal: CatalogDiskFull | None = None  # the catalog's disk is full: the run stops

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
        started = time.perf_counter()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vcat-store")
        self._uploads: set[asyncio.Future] = set()
        self._net = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vcat-upload") \
            if self.opt.after_store else None
        run_id = self._run_id = await self._store(self.store.start_run, self.roots)
        self._emit(RunStarted(run_id=run_id, roots=self.roots, workers=self.opt.workers))
        self._pool = self._new_pool()
        status = "crashed"
        reporter = asyncio.create_task(self._report_progress(run_id))
        try:
            await self._drive()
            status = "finished"
        except asyncio.CancelledError:
            status = "cancelled"
            self.summary.cancelled = True
            raise
        finally:
            reporter.cancel()
            for t in list(self._tasks):
                t.cancel()
            if status == "finished":
                await self._pool.aclose()  # workers finish in a thread, the loop's other work goes on
            else:
                self._pool.shutdown(wait=False)  # cancelled or crashed: kill every worker now
            self.summary.workers_started = self._pool.started
            try:
                if self._net is not None:
                    if status == "finished" and self._uploads:
                        await asyncio.wait(self._uploads)
                    self._net.shutdown(wait=status == "finished", cancel_futures=True)
                self.summary.seconds = time.perf_counter() - started
                if status == "finished":
                    await self._store(self.store.touch_locations, self._unchanged)
                    await self._store(self.store.mark_missing_offline,
                                      [r for r in self.roots if os.path.isdir(r)], self._started_at)
                counts = self.summary.model_dump(exclude={"stage_seconds"})  # uploads included
                try:
                    await asyncio.shield(self._store(self.store.finish_run, run_id, status, counts))
                except CatalogDiskFull:
                    if self._fatal is None:
                        raise  # else the run already stops for it: one message, not two
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
            counts["discovered"] = self._discovered
            if counts != last:
                try:
                    await self._store(self.store.update_run, run_id, counts)
                except Exception:  # noqa: BLE001 - progress is best effort; the run must not fail on it
                    pass
                last = counts

    def _new_pool(self) -> WorkerPool:
        # forkserver: workers never inherit this process's threads; the heavy modules are imported once, in the
        # server, not per worker (a recycled worker starts in milliseconds)
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(WORKER_PRELOAD)
        return WorkerPool(self.opt.workers, initializer=start_worker,
                          initargs=(self.opt.priority, self.opt.memory_limit_mb),
                          limits=self.opt.pool, context=ctx,
                          on_warning=lambda text: self._emit(PoolWarning(message=text)))

    async def _in_pool(self, fn, *args, budget: Budget, label: str = ""):
        """Run in the process pool. A worker that dies (a decoder crash on a hostile file) is replaced and the task
        tried once more, so only a file that crashes it twice is failed; one that runs past its bound is stopped
        by the watchdog and failed at once."""
        for attempt in (1, 2):
            try:
                return await self._pool.run(fn, *args, budget=budget, label=label)
            except WorkerCrashed:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _store(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    def _spawn(self, coro, release: asyncio.Semaphore | None = None) -> None:
        t = asyncio.create_task(coro)
        self._tasks.add(t)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if release is not None:
                release.release()
        t.add_done_callback(done)

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        found: asyncio.Queue = asyncio.Queue()
        stats = DiscoveryStats()
        ahead = threading.BoundedSemaphore(WALK_AHEAD)
        stop = threading.Event()

        def hand_over(batch: list) -> bool:
            while not ahead.acquire(timeout=0.5):  # the look-ups are behind: wait, unless the run is over
                if stop.is_set():
                    return False
            loop.call_soon_threadsafe(found.put_nowait, batch)
            return True

        def walk() -> None:
            batch: list = []
            last = time.monotonic()
            try:
                for item in discover(self.roots, recursive=self.opt.recursive, stats=stats,
                                     exclude=[self.opt.analysis.catalog_dir], split_rule=self.opt.split_rule):
                    batch.append(item)
                    if len(batch) >= LOOKUP_BATCH or time.monotonic() - last > WALK_FLUSH_SECONDS:
                        if stop.is_set() or not hand_over(batch):
                            return
                        batch, last = [], time.monotonic()
                if batch:
                    hand_over(batch)
            finally:
                loop.call_soon_threadsafe(found.put_nowait, _END)

        walker = loop.run_in_executor(None, walk)
        flusher = asyncio.create_task(self._flush_locations_every())
        hashing = asyncio.Semaphore(self.opt.workers * 2)
        self._analysing = asyncio.Semaphore(self.opt.workers * 2)
        total_bytes = 0
        try:
            while (batch := await found.get()) is not _END:
                ahead.release()
                total_bytes += await self._take(batch, hashing)
                if self._fatal is not None:
                    raise self._fatal
            await walker
            self.summary.candidates = stats.candidates
            self.summary.passed_over += stats.passed_over
            self._emit(DiscoveryFinished(candidates=stats.candidates, bytes=total_bytes,
                                         passed_over=stats.passed_over, problems=stats.problems))
            if self._pool_start is not None:
                await self._pool_start
            while self._tasks:
                await asyncio.wait(set(self._tasks))
            if self._fatal is not None:
                raise self._fatal
            await self._flush_locations()
        finally:
            stop.set()
            flusher.cancel()
            if self._pool_start is not None and not self._pool_start.done():
                self._pool_start.cancel()

    async def _take(self, batch: list, hashing: asyncio.Semaphore) -> int:
        """One batch of discovered paths: one catalog look-up decides which are unchanged; the rest go to the pool
        in groups. Returns the batch's bytes."""
        cands: list[Candidate] = []
        size = 0
        for item in batch:
            if isinstance(item, DiscoveryProblem):
                await self._fail_path(item.path, "discover", item.error, "DiscoveryProblem")
                continue
            cands.append(item)
            self._discovered += len(item.paths)  # every part of a spanned recording
            size += item.size
        known = await self._store(self.store.lookup_locations, [p for c in cands for p in c.paths])
        algo = self.opt.hash_algorithm
        to_hash: list[tuple[Candidate, KnownLocation | None]] = []
        reuse: list[tuple[Candidate, FingerprintResult, KnownLocation | None]] = []
        unchanged = unchanged_bytes = 0
        for cand in cands:
            k = location_of(known, cand)
            action = path_action(k, cand, algo, self.opt.stages, self.opt.force)
            if action == "known":
                self._unchanged.extend(cand.paths)
                unchanged += 1
                unchanged_bytes += cand.size
                continue
            self._emit(FileDiscovered(path=cand.path, size=cand.size))
            if self._pool_start is None:  # the first file with work: workers start now (a rescan needs none)
                self._pool_start = asyncio.ensure_future(self._pool.start())
            elif self._pool_start.done() and self._pool_start.exception() is not None:
                self._pool_start.result()  # the workers cannot start: the run cannot go on (raised to the caller)
            if action == "reuse_fingerprint":  # unchanged, but stages are missing: its fingerprint stands
                reuse.append((cand, FingerprintResult(algorithm=algo, digest=k.fingerprint, size=cand.size), k))
            elif self._take_budget(cand):
                to_hash.append((cand, k))
        if unchanged:
            self.summary.known += unchanged
            self._emit(FilesUnchanged(count=unchanged, bytes=unchanged_bytes))
        if len(self._unchanged) >= TOUCH_BATCH:
            touched, self._unchanged = self._unchanged, []
            await self._store(self.store.touch_locations, touched)
        if reuse:
            await hashing.acquire()
            self._spawn(self._guard([c for c, _, _ in reuse], self._after_fingerprints(reuse)), release=hashing)
        for group in _hash_groups(to_hash):
            await hashing.acquire()
            self._spawn(self._guard([c for c, _ in group], self._fingerprint_group(group)), release=hashing)
        return size

    async def _guard(self, cands: list[Candidate], coro) -> None:
        """A bug on some files must not end the run: they are failed, the rest go on. A full catalog disk is no
        file's fault: it stops the run (and nothing is recorded against the files)."""
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except CatalogDiskFull as exc:
            self._stop_for(exc)
        except Exception as exc:  # noqa: BLE001
            if self._fatal is not None:
                return
            try:
                for cand in cands:
                    await self._fail_path(cand.path, "ingest", f"internal error ({type(exc).__name__}: {exc})",
                                          type(exc).__name__, cand)
            except CatalogDiskFull as full:
                self._stop_for(full)

    def _stop_for(self, exc: CatalogDiskFull) -> None:
        """The first full-disk error ends the run: no new work, the files in flight are left for the next run."""
        if self._fatal is None:
            self._fatal = exc
        me = asyncio.current_task()
        for t in list(self._tasks):
            if t is not me:
                t.cancel()

    # ---- fingerprints and content decisions ---------------------------------------------------------------------

    async def _fingerprint_group(self, group: list[tuple[Candidate, KnownLocation | None]],
                                 announce: bool = True) -> None:
        if announce:
            for cand, _ in group:
                self._emit(StageStarted(path=cand.path, stage="fingerprint"))
        cands = [c for c, _ in group]
        try:
            results = await self._in_pool(run_fingerprints, cands, self.opt.hash_algorithm,
                                          budget=self.opt.watchdog.fingerprint(sum(c.size for c in cands)),
                                          label=f"hashing {len(cands)} file(s) from {cands[0].path}")
        except MediaError as exc:
            if len(group) > 1:  # find the one file that hangs or crashes; the others are hashed alone
                for item in group:
                    await self._fingerprint_group([item], announce=False)
                return
            if isinstance(exc, WatchdogTimeout):
                self._count("timed_out")
            self._emit(StageFailed(path=cands[0].path, stage="fingerprint", error=str(exc)))
            await self._fail_path(cands[0].path, "fingerprint", str(exc), type(exc).__name__, cands[0])
            return
        ready = []
        for (cand, k), res in zip(group, results):
            if isinstance(res, tuple):
                error, kind = res
                self._emit(StageFailed(path=cand.path, stage="fingerprint", error=error))
                await self._fail_path(cand.path, "fingerprint", error, kind, cand)
                continue
            self.summary.bytes_hashed += res.size
            self._add_time("fingerprint", res.seconds)
            self._emit(StageFinished(path=cand.path, stage="fingerprint", seconds=res.seconds))
            ready.append((cand, res, k))
        await self._after_fingerprints(ready)

    async def _after_fingerprints(self, items: list[tuple[Candidate, FingerprintResult, KnownLocation | None]]):
        """One look-up for the group's contents, then each file's decision."""
        if not items:
            return
        clips = await self._store(self.store.lookup_fingerprints, [fp.digest for _, fp, _ in items])
        for cand, fp, k in items:
            # the same content is being analysed from another path right now, or was stored since the look-up
            if fp.digest in self._inflight or (fp.digest not in clips and fp.digest in self._analysed):
                self._spawn(self._guard([cand], self._decide_after_other(cand, fp, k)))
            else:
                await self._decide(cand, fp, k, clips.get(fp.digest))

    async def _decide_after_other(self, cand: Candidate, fp: FingerprintResult, k: KnownLocation | None) -> None:
        while (other := self._inflight.get(fp.digest)) is not None:
            await asyncio.shield(other)
        await self._decide(cand, fp, k, await self._store(self.store.lookup_fingerprint, fp.digest))

    async def _decide(self, cand: Candidate, fp: FingerprintResult, k: KnownLocation | None,
                      clip: KnownClip | None) -> None:
        if clip is None and self._postgres and await self._store(self.store.content_hidden, fp.digest):
            await self._fail_path(cand.path, "fingerprint", NOT_SHARED, "NotShared", cand)
            return
        action = content_action(clip, k, fp.digest, self.opt.stages, self.opt.force)
        if action.outcome != "analyse":  # a copy of known content, or a touched file with the same bytes
            self._queue_location(fp.digest, cand, "duplicate" if action.outcome == "duplicate" else "known")
            return
        if fp.digest in self._inflight:  # another path of this content claimed it meanwhile: join it after
            self._spawn(self._guard([cand], self._decide_after_other(cand, fp, k)))
            return
        # the claim is taken before any await, so two copies fingerprinted at the same moment never both analyse
        claim = self._inflight[fp.digest] = asyncio.get_running_loop().create_future()

        async def analyse() -> None:
            try:
                await self._analyse_and_store(cand, fp, action.stages, fingerprinted=k is None or not k.unchanged(cand))
            finally:
                self._analysed.add(fp.digest)
                claim.set_result(None)
                self._inflight.pop(fp.digest, None)

        await self._analysing.acquire()
        self._spawn(self._guard([cand], analyse()), release=self._analysing)

    # ---- copies of known content, written in batches ------------------------------------------------------------

    def _queue_location(self, digest: str, cand: Candidate, outcome: str) -> None:
        self._pending_locations.append((digest, cand, outcome))
        if len(self._pending_locations) >= LOCATION_BATCH:
            self._spawn(self._flush_locations())

    async def _flush_locations_every(self) -> None:
        while True:
            await asyncio.sleep(LOCATION_FLUSH_SECONDS)
            if self._pending_locations:
                self._spawn(self._flush_locations())

    async def _flush_locations(self) -> None:
        items, self._pending_locations = self._pending_locations, []
        if not items:
            return
        try:
            clip_ids = await self._store(self.store.add_locations, [(d, c) for d, c, _ in items])
        except Exception as exc:  # noqa: BLE001 - the batch's files are failed; the run goes on
            for _, cand, _ in items:
                await self._fail_path(cand.path, "fingerprint", f"could not record this copy ({exc})",
                                      type(exc).__name__, cand)
            return
        for _, cand, outcome in items:  # done once the transaction holding them committed
            self._count("duplicates" if outcome == "duplicate" else "known")
            self._emit(ClipDone(path=cand.path, outcome=outcome, clip_id=clip_ids.get(cand.path), bytes=cand.size))

    # ---- one file's analysis -----------------------------------------------------------------------------------

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
                                 fingerprinted: bool) -> None:
        for st in stages:
            self._emit(StageStarted(path=cand.path, stage=st))
        prior: dict = {}
        if "embed" in stages and "vision" not in stages:  # the on-screen text was read by an earlier run
            prior["screen_text"] = await self._store(self.store.screen_text_of, fp.digest)
        if needs_stored_thumbnails(stages):  # faces on a clip catalogued before: its stored thumbnails
            prior["stored_thumbnails"] = await self._store(self.store.stored_thumbnails, fp.digest)
        try:
            analysis: ClipAnalysis = await self._in_pool(run_analysis, cand, fp, stages, self.opt.analysis, prior,
                                                         budget=self.opt.watchdog.analysis(cand.size),
                                                         label=cand.path)
        except MediaError as exc:
            if isinstance(exc, WatchdogTimeout):
                self._count("timed_out")
            for st in stages:
                self._emit(StageFailed(path=cand.path, stage=st, error=str(exc)))
            await self._fail_path(cand.path, stages[0], str(exc), type(exc).__name__, cand)
            return
        if any(o.error_kind == "CatalogDiskFull" for o in analysis.outcomes):  # thumbnails could not be written
            raise CatalogDiskFull(DISK_FULL)
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


def _hash_groups(items: list[tuple[Candidate, KnownLocation | None]]):
    """Small files together (up to HASH_GROUP_FILES files or HASH_GROUP_BYTES), a large one alone."""
    group: list[tuple[Candidate, KnownLocation | None]] = []
    size = 0
    for item in items:
        if group and (len(group) >= HASH_GROUP_FILES or size + item[0].size > HASH_GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(item)
        size += item[0].size
    if group:
        yield group
