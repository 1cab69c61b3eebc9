"""Procrastinate tasks: the pipeline stages as jobs on the Postgres catalog, for ingest on many machines.

Queues, in the order a file goes through them:
- `ingest`: fingerprint + dedup of one file;
- `processing`: metadata, thumbnails, exposure and vision of one clip (CPU);
- `ai`: transcript, analysis and embeddings of one clip (models; give this queue to the machines that have them);
- `storage`: the clip's thumbnails copied to remote storage (Supabase), when the worker is configured for it;
- `system`: catalog upkeep.
Each task calls the same stage functions as the local runner (pipeline/worker.py) and the same store methods, so a
clip catalogued by workers is indistinguishable from one catalogued locally.

Workers need the same paths as the machine that queued the files (shared storage) and a shared catalog folder for
thumbnails (`--catalog`). They use their own database URL and settings: job arguments carry no credentials, only
who queued the file (`owner`, the clip's owner on a multi-user catalog) and the project it goes into. Workers of a
multi-user catalog therefore run as a role that may write any clip (the catalog's owner or service role). A file
that cannot be catalogued is a result (a `failures` row), not a job failure; only transient trouble (the database
or remote storage gone, a crash) fails a job, which is then retried with backoff.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import procrastinate

from ..config import load_settings
from ..errors import MediaError
from ..models import Candidate, FingerprintResult, StageOutcome
from ..pipeline.runner import Watchdog
from ..pipeline.decide import content_action, location_of, path_action, unreadable
from ..pipeline.worker import (ANALYSIS_STAGES, AnalysisOptions, needs_stored_thumbnails, run_analysis,
                               run_fingerprint, stages_to_run)
from ..store import projects
from ..store.catalog import NOT_SHARED, CatalogStore
from .analysis_pool import in_pool

QUEUES = ("ingest", "processing", "ai", "storage", "system")
QUEUE_STAGES = {
    "processing": ("metadata", "thumbnails", "exposure", "vision", "faces"),
    "ai": ("transcribe", "analyze", "embed"),
}
PRIORITY = {"interactive": 10, "batch": 0}


class _Retry(procrastinate.RetryStrategy):
    """Retry with backoff, except errors no retry can mend (remote storage refusing the key): those jobs fail at
    once and show in `queue status`; `queue retry` brings them back once the settings are fixed."""

    def get_retry_decision(self, *, exception: BaseException, job):
        from ..storage import RemoteStorageRefused

        if isinstance(exception, RemoteStorageRefused):
            return None
        return super().get_retry_decision(exception=exception, job=job)


RETRY = {
    "ingest": _Retry(max_attempts=3, exponential_wait=2),
    "processing": _Retry(max_attempts=3, exponential_wait=5),
    "ai": _Retry(max_attempts=3, exponential_wait=10),
    "storage": _Retry(max_attempts=5, exponential_wait=5),
    "system": _Retry(max_attempts=2, wait=30),
}


@lru_cache(maxsize=4)
def _store(url: str) -> CatalogStore:
    return CatalogStore(url)


def _catalog(context: procrastinate.JobContext) -> CatalogStore:
    """The catalog this worker serves (its own URL, given when the worker started)."""
    return _store(context.additional_context["database_url"])


def _settings(options: dict[str, Any]):
    """The worker's own settings (its catalog folder is the shared one), with the run's choices on top."""
    return load_settings(thumbnails=options.get("thumbnails"), hash_algorithm=options.get("hash_algorithm"))


def _candidate(path: str, by_content: bool) -> Candidate | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Candidate(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, device=st.st_dev,
                     by_content=by_content)


def _wanted(options: dict[str, Any], queue: str) -> tuple[str, ...]:
    return tuple(s for s in (options.get("stages") or ANALYSIS_STAGES) if s in QUEUE_STAGES[queue])


def _next(context: procrastinate.JobContext, task: str, lock: str, queueing_lock: str, options: dict[str, Any],
          **kwargs: Any) -> None:
    """Hand the clip on to the next queue (never queued twice: a second defer of the same step is a no-op)."""
    try:
        context.app.configure_task(task, lock=lock, queueing_lock=queueing_lock,
                                   priority=options.get("priority_value", 0)).defer(options=options, **kwargs)
    except procrastinate.exceptions.AlreadyEnqueued:
        pass


def ingest_file(context: procrastinate.JobContext, path: str, options: dict[str, Any],
                candidate: dict[str, Any] | None = None) -> str:
    """Fingerprint one file (or a camera card's clip: `candidate`, with its parts) and dedup it; new content is
    handed to the `processing` queue."""
    store = _catalog(context)
    settings = _settings(options)
    stages = tuple(options.get("stages") or ANALYSIS_STAGES)
    cand = Candidate.model_validate(candidate) if candidate else _candidate(path, options.get("by_content", False))
    if cand is None:
        store.record_failure(path, "fingerprint", "file disappeared before it could be read", "FileVanishedError",
                             owner=options.get("owner"))
        return "failed"
    known = location_of(store.lookup_locations(cand.paths), cand)
    force = bool(options.get("force"))
    action = path_action(known, cand, settings.hash_algorithm, stages, force)
    if action == "known":
        store.touch_locations(cand.paths)
        return "known"
    if action == "reuse_fingerprint":
        fp = FingerprintResult(algorithm=settings.hash_algorithm, digest=known.fingerprint, size=cand.size)
    else:
        try:
            fp = in_pool(context.additional_context, run_fingerprint, cand, settings.hash_algorithm,
                         budget=Watchdog.from_settings(settings).fingerprint(cand.size), label=path)
        except MediaError as exc:
            store.record_failure(path, "fingerprint", str(exc), type(exc).__name__, size=cand.size,
                                 mtime_ns=cand.mtime_ns, owner=options.get("owner"))
            return "failed"
    clip = store.lookup_fingerprint(fp.digest)
    if clip is None and store.content_hidden(fp.digest):  # a worker running as a member sees only what it may
        store.record_failure(path, "fingerprint", NOT_SHARED, "NotShared", size=cand.size, mtime_ns=cand.mtime_ns,
                             owner=options.get("owner"))
        return "failed"
    decision = content_action(clip, known, fp.digest, stages, force)
    if decision.outcome != "analyse":
        store.add_location(fp.digest, cand)
        return decision.outcome
    _next(context, "vcat.process_clip", f"clip:{fp.digest}", f"process:{path}", options, path=path,
          fingerprint=fp.model_dump(), candidate=cand.model_dump())
    return "queued for processing"


def process_clip(context: procrastinate.JobContext, path: str, options: dict[str, Any],
                 fingerprint: dict[str, Any], candidate: dict[str, Any]) -> str:
    """Metadata, thumbnails, exposure and vision of one clip, stored in one transaction (under a per-clip lock);
    then the clip goes on to the `ai` and `storage` queues."""
    store = _catalog(context)
    settings = _settings(options)
    cand = Candidate.model_validate(candidate)
    fp = FingerprintResult.model_validate(fingerprint)
    if not projects.may_file_into(store, options.get("owner"), options.get("project_id")):
        store.record_failure(path, "metadata", f"{options.get('owner')} is not a member of project "
                             f"#{options.get('project_id')}", "NotAMember", size=cand.size, mtime_ns=cand.mtime_ns,
                             owner=options.get("owner"))
        return "failed"
    clip = store.lookup_fingerprint(fp.digest)
    force = bool(options.get("force"))
    stages = stages_to_run(_wanted(options, "processing"), clip.stages if clip else None, force)
    if clip is None and not stages:
        stages = ("metadata",)  # every clip has its technical metadata, whatever was asked
    result = "nothing to do"
    clip_id = clip.clip_id if clip else None
    if stages:
        prior = {"stored_thumbnails": store.stored_thumbnails(fp.digest)} if needs_stored_thumbnails(stages) else None
        try:
            analysis = _analyse(context, settings, cand, fp, stages, options, prior)
        except MediaError as exc:
            return _failed_stage(store, cand, stages[0], exc, options)
        analysis.outcomes.insert(0, StageOutcome(stage="fingerprint", status="succeeded", seconds=fp.seconds))
        bad = unreadable(analysis, cand, stages)
        if bad is not None:
            return "passed over" if bad == "passed_over" else _failed(store, cand, bad, options)
        clip_id, created = store.save_analysis(analysis, owner=options.get("owner"),
                                                  project_id=options.get("project_id"))
        failed = [o for o in analysis.outcomes if o.status == "failed"]
        result = f"{'new' if created else 'updated'} clip {clip_id}" + (
            f" ({failed[0].stage} failed)" if failed else "")
    elif clip is not None:
        store.add_location(fp.digest, cand)
    after = store.lookup_fingerprint(fp.digest)
    if after is not None and stages_to_run(_wanted(options, "ai"), after.stages, force):
        _next(context, "vcat.analyze_clip", f"clip:{fp.digest}", f"ai:{path}", options, path=path,
              fingerprint=fingerprint, candidate=candidate)
    if clip_id is not None and "thumbnails" in stages and options.get("remote_storage"):
        _next(context, "vcat.upload_thumbnails", f"upload:{clip_id}", f"upload:{clip_id}", options,
              clip_id=clip_id)
    return result


def analyze_clip(context: procrastinate.JobContext, path: str, options: dict[str, Any],
                 fingerprint: dict[str, Any], candidate: dict[str, Any]) -> str:
    """Transcript, analysis and embeddings of a clip already catalogued by `processing` (under the clip's lock).

    Metadata is read again (it is cheap, and the analysis takes it as context); the chosen thumbnails and the
    vision figures come from the catalog.
    """
    from ..export import clip_document

    store = _catalog(context)
    settings = _settings(options)
    cand = Candidate.model_validate(candidate)
    fp = FingerprintResult.model_validate(fingerprint)
    clip = store.lookup_fingerprint(fp.digest)
    if clip is None:
        return "no such clip (removed meanwhile)"
    stages = stages_to_run(_wanted(options, "ai"), clip.stages, bool(options.get("force")))
    if not stages:
        return "nothing to do"
    rows = store.load_clips([clip.clip_id])
    doc = clip_document(rows[0], settings.catalog) if rows else {}
    prior = {"thumbnails": doc.get("thumbnail_paths") or [], "vision": doc.get("quality"),
             "screen_text": doc.get("screen_text") or []}
    try:
        analysis = _analyse(context, settings, cand, fp, ("metadata", *stages), options, prior)
    except MediaError as exc:
        return _failed_stage(store, cand, stages[0], exc, options)
    bad = unreadable(analysis, cand.model_copy(update={"by_content": False}), ("metadata", *stages))
    if bad is not None:  # it was a clip a moment ago: now a failure, whatever picked it
        return _failed(store, cand, bad, options)
    clip_id, _ = store.save_analysis(analysis, owner=options.get("owner"), project_id=options.get("project_id"))
    failed = [o for o in analysis.outcomes if o.status == "failed"]
    return f"analysed clip {clip_id}" + (f" ({failed[0].stage} failed)" if failed else "")


def _analyse(context: procrastinate.JobContext, settings, cand: Candidate, fp: FingerprintResult,
             stages: tuple[str, ...], options: dict[str, Any], prior: dict | None = None):
    """The analysis stages of one file in the worker's pool, under the watchdog (queue/analysis_pool.py)."""
    opts = AnalysisOptions.from_settings(settings, options.get("thumbnails"))
    return in_pool(context.additional_context, run_analysis, cand, fp, stages, opts, prior,
                   budget=Watchdog.from_settings(settings).analysis(cand.size), label=cand.path)


def _failed_stage(store: CatalogStore, cand: Candidate, stage: str, exc: MediaError, options: dict[str, Any]) -> str:
    """The file stopped by the watchdog or crashing its worker twice: a failure row, as in a local run (a later
    run or `queue retry` tries it again), not a job failure retried at once."""
    store.record_failure(cand.path, stage, str(exc), type(exc).__name__, size=cand.size, mtime_ns=cand.mtime_ns,
                         owner=options.get("owner"))
    return "failed"


def _failed(store: CatalogStore, cand: Candidate, meta: StageOutcome, options: dict[str, Any]) -> str:
    store.record_failure(cand.path, "metadata", meta.error or "unreadable", meta.error_kind or "", size=cand.size,
                         mtime_ns=cand.mtime_ns, owner=options.get("owner"))
    return "failed"


def upload_thumbnails(context: procrastinate.JobContext, clip_id: int, options: dict[str, Any]) -> str:
    """Copy a clip's thumbnails to remote storage. Any storage error fails the job (retried later, or shown as
    failed): so does a worker without the storage settings, which the machine that queued the files had."""
    from ..storage import RemoteStorageError, push_thumbnails

    settings = _settings(options)
    if not settings.remote_storage:
        raise RemoteStorageError("remote storage is not set up on this worker (supabase_url, supabase_key): "
                                 "give the storage settings to the machines serving the `storage` queue")
    key = settings.supabase_key.get_secret_value()
    storage = _remote_storage(settings.supabase_url, key, settings.storage_bucket)
    done = push_thumbnails(_catalog(context), storage, settings.catalog, [clip_id])
    return f"uploaded {done['uploaded']} thumbnail(s) to {done['bucket']}"


@lru_cache(maxsize=4)
def _remote_storage(url: str, key: str, bucket: str):
    """One storage client per worker process (its HTTP connections are kept between jobs)."""
    from ..storage import SupabaseStorage

    return SupabaseStorage(url, key, bucket)


def mark_offline(context: procrastinate.JobContext, roots: list[str]) -> int:
    """Locations under these folders that are gone are marked offline (never deleted)."""
    return _catalog(context).mark_missing_offline(roots)


def build_app(connector: procrastinate.BaseConnector) -> procrastinate.App:
    """A Procrastinate app on `connector` with vcat's tasks registered (one per client or worker)."""
    app = procrastinate.App(connector=connector)
    for name, queue, fn in (("vcat.ingest_file", "ingest", ingest_file),
                            ("vcat.process_clip", "processing", process_clip),
                            ("vcat.analyze_clip", "ai", analyze_clip),
                            ("vcat.upload_thumbnails", "storage", upload_thumbnails),
                            ("vcat.mark_offline", "system", mark_offline)):
        app.task(name=name, queue=queue, retry=RETRY[queue], pass_context=True)(fn)
    return app
