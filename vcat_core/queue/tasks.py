"""Procrastinate tasks: the pipeline stages as jobs on the Postgres catalog, for ingest on many machines.

Queues: `ingest` (fingerprint + dedup of one file), `processing` (metadata, thumbnails, exposure of one clip),
`system` (catalog upkeep). Each task calls the same stage functions as the local runner (pipeline/worker.py) and the
same store methods, so a clip catalogued by a worker is indistinguishable from one catalogued locally.

Workers need the same paths as the machine that queued the files (shared storage) and a shared catalog folder for
thumbnails (`--catalog`). A file that cannot be catalogued is a result (a `failures` row), not a job failure; only
transient trouble (the database gone, a crash) fails a job, which is then retried with backoff.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import procrastinate

from ..config import load_settings
from ..errors import MediaError, NotAVideoError
from ..models import Candidate
from ..pipeline.worker import ANALYSIS_STAGES, AnalysisOptions, run_analysis, run_fingerprint, stages_to_run
from ..store.catalog import CatalogStore

QUEUES = ("ingest", "processing", "ai", "storage", "system")
PRIORITY = {"interactive": 10, "batch": 0}
RETRY = {
    "ingest": procrastinate.RetryStrategy(max_attempts=3, exponential_wait=2),
    "processing": procrastinate.RetryStrategy(max_attempts=3, exponential_wait=5),
    "system": procrastinate.RetryStrategy(max_attempts=2, wait=30),
}



@lru_cache(maxsize=4)
def _store(url: str) -> CatalogStore:
    return CatalogStore(url)


def _settings(options: dict[str, Any]):
    """The worker's own settings (its catalog folder is the shared one), with the run's choices on top."""
    return load_settings(thumbnails=options.get("thumbnails"), hash_algorithm=options.get("hash_algorithm"))


def _analysis_options(settings, thumbnails: int | None) -> AnalysisOptions:
    return AnalysisOptions.from_settings(settings, thumbnails)


def _candidate(path: str, by_content: bool) -> Candidate | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Candidate(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, device=st.st_dev,
                     by_content=by_content)


def ingest_file(context: procrastinate.JobContext, path: str, database_url: str, options: dict[str, Any]) -> str:
    """Fingerprint one file and dedup it; new content is handed to the `processing` queue."""
    store = _store(database_url)
    settings = _settings(options)
    stages = tuple(options.get("stages") or ANALYSIS_STAGES)
    cand = _candidate(path, options.get("by_content", False))
    if cand is None:
        store.record_failure(path, "fingerprint", "file disappeared before it could be read", "FileVanishedError")
        return "failed"
    known = store.lookup_locations([path]).get(path)
    force = bool(options.get("force"))
    if known is not None and known.unchanged(cand) and known.satisfies(stages) and not force:
        store.touch_locations([path])
        return "known"
    try:
        fp = run_fingerprint(cand, settings.hash_algorithm)
    except MediaError as exc:
        store.record_failure(path, "fingerprint", str(exc), type(exc).__name__, size=cand.size,
                             mtime_ns=cand.mtime_ns)
        return "failed"
    clip = store.lookup_fingerprint(fp.digest)
    if clip is not None and clip.satisfies(stages) and not force:
        store.add_location(fp.digest, cand)
        return "duplicate"
    context.app.configure_task("vcat.process_clip", lock=f"clip:{fp.digest}", queueing_lock=f"process:{path}",
                               priority=options.get("priority_value", 0)).defer(
        path=path, database_url=database_url, options=options, fingerprint=fp.model_dump(),
        candidate=cand.model_dump())
    return "queued for processing"


def process_clip(context: procrastinate.JobContext, path: str, database_url: str, options: dict[str, Any],
                 fingerprint: dict[str, Any], candidate: dict[str, Any]) -> str:
    """Metadata, thumbnails and exposure of one clip, stored in one transaction (runs under a per-clip lock)."""
    from ..models import FingerprintResult, StageOutcome

    store = _store(database_url)
    settings = _settings(options)
    cand = Candidate.model_validate(candidate)
    fp = FingerprintResult.model_validate(fingerprint)
    wanted = tuple(options.get("stages") or ANALYSIS_STAGES)
    clip = store.lookup_fingerprint(fp.digest)
    force = bool(options.get("force"))
    stages = stages_to_run(wanted, clip.stages if clip else None, force)
    if clip is not None and not stages:  # another worker finished this content meanwhile
        store.add_location(fp.digest, cand)
        return "duplicate"
    analysis = run_analysis(cand, fp, stages, _analysis_options(settings, options.get("thumbnails")))
    analysis.outcomes.insert(0, StageOutcome(stage="fingerprint", status="succeeded", seconds=fp.seconds))
    if analysis.metadata is None and "metadata" in stages:
        meta = next(o for o in analysis.outcomes if o.stage == "metadata")
        if cand.by_content and meta.error_kind == NotAVideoError.__name__:
            return "passed over"
        store.record_failure(path, "metadata", meta.error or "unreadable", meta.error_kind or "", size=cand.size,
                             mtime_ns=cand.mtime_ns)
        return "failed"
    clip_id, created = store.save_analysis(analysis)
    failed = [o for o in analysis.outcomes if o.status == "failed"]
    return f"{'new' if created else 'updated'} clip {clip_id}" + (f" ({failed[0].stage} failed)" if failed else "")


def mark_offline(context: procrastinate.JobContext, database_url: str, roots: list[str]) -> int:
    """Locations under these folders that are gone are marked offline (never deleted)."""
    return _store(database_url).mark_missing_offline(roots, set())


def build_app(connector: procrastinate.BaseConnector) -> procrastinate.App:
    """A Procrastinate app on `connector` with vcat's tasks registered (one per client or worker)."""
    app = procrastinate.App(connector=connector)
    app.task(name="vcat.ingest_file", queue="ingest", retry=RETRY["ingest"], pass_context=True)(ingest_file)
    app.task(name="vcat.process_clip", queue="processing", retry=RETRY["processing"], pass_context=True)(process_clip)
    app.task(name="vcat.mark_offline", queue="system", retry=RETRY["system"], pass_context=True)(mark_offline)
    return app
