"""The one API the CLI and the TUI call (DESIGN §1): open a catalog, ingest, list, show, export, failures, stats.

Nothing above this layer touches the database, ffmpeg or a model.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO


from .config import Settings, load_settings
from .errors import ConfigError
from .events import ClipDone, IngestEvent
from .export import clip_document, write_csv, write_json
from .models import ClipFilter, ClipSummary, FailureRecord
from .pipeline.cards.splits import SplitRule
from .pipeline.plan import IngestPlan, plan_ingest
from .pipeline.pool import PoolLimits
from .pipeline.runner import IngestOptions, IngestRunner, Watchdog
from .pipeline.stages import select_stages
from .pipeline.watch import watch_batches
from .pipeline.worker import AnalysisOptions
from . import reports, system
from .store import labels, people, projects, ratings
from .store.catalog import CatalogStore
# what the TUI needs of culling's vocabulary, through the one API (DESIGN §1: the UI never reaches into store/)
from .store.ratings import LABELS, RatingError, describe_rating, parse_rating  # noqa: F401 - re-exported
from .storage import open_remote_storage, push_thumbnails

if TYPE_CHECKING:
    from pathlib import Path

    from .queue import QueueClient
    from .store import integrity
    from .queue.progress import QueueProgress
    from .search.hybrid import SearchResult
    from .handoff import Select
    from .handoff.deliver import HandoffReport

EXPORT_PAGE = 500


class Catalog:
    """An open catalog. Cheap to create; call `close()` (or use `with`) when done."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = CatalogStore.open_dir(settings.catalog, settings.database_url)

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # ---- ingest ------------------------------------------------------------------------------------------------

    def fingerprint_algorithm(self) -> str:
        """The catalog keeps the hash it started with: fingerprints of different hashes never match."""
        used = self.store.hash_algorithm_in_use()
        wanted = self.settings.hash_algorithm
        if used and used != wanted:
            raise ConfigError(
                f"this catalog fingerprints files with {used}; hash_algorithm={wanted} would not match its clips "
                f"(use a new --catalog for {wanted})")
        return wanted

    def _analysis_options(self, thumbnails: int | None) -> AnalysisOptions:
        return AnalysisOptions.from_settings(self.settings, thumbnails)

    def ingest(self, paths: list[str], *, workers: int | None = None, thumbnails: int | None = None,
               recursive: bool = True, force: bool = False, focus: str | None = None, skip_visual: bool = False,
               skip_audio: bool = False, skip_ai: bool = False, limit: int | None = None,
               priority: str = "interactive", min_age: float = 0.0,
               stages: tuple[str, ...] | None = None) -> AsyncIterator[IngestEvent]:
        """Start an ingest; iterate the returned async iterator of progress events to run it to the end.
        `stages` names the analysis stages exactly (benchmarks); otherwise focus / skip_* choose them."""
        if priority not in ("interactive", "batch"):
            raise ConfigError(f"unknown priority {priority!r}; use interactive or batch")
        if stages is None:
            stages = select_stages(focus=focus, skip_visual=skip_visual, skip_audio=skip_audio, skip_ai=skip_ai,
                                   depth=self.settings.analysis_depth,
                                   faces=self.settings.face_analysis)
        project_id = projects.ensure_project(self.store, self.settings.project) if self.settings.project else None
        storage = open_remote_storage(self.settings)  # thumbnails also to Supabase Storage, after each clip
        upload = None if storage is None else (
            lambda clip_id: push_thumbnails(self.store, storage, self.settings.catalog, [clip_id])["uploaded"])
        opts = IngestOptions(workers=workers or self.settings.workers, hash_algorithm=self.fingerprint_algorithm(),
                             analysis=self._analysis_options(thumbnails), recursive=recursive, force=force,
                             stages=stages, limit=limit, priority=priority, min_age=min_age,
                             after_store=upload, project_id=project_id,
                             watchdog=Watchdog.from_settings(self.settings),
                             pool=PoolLimits(max_tasks=self.settings.worker_max_tasks,
                                             max_rss_mb=self.settings.worker_max_memory_mb),
                             memory_limit_mb=self.settings.worker_address_space_mb, split_rule=self.split_rule())
        events = IngestRunner(self.store, paths, opts).events()
        return events if storage is None else _closing(events, storage)

    # ---- remote storage (Supabase) -------------------------------------------------------------------------------

    def push_thumbnails(self) -> dict[str, Any]:
        """Copy every thumbnail still lacking a remote copy (after an outage, or when storage was just set up)."""
        storage = open_remote_storage(self.settings)
        if storage is None:
            raise ConfigError("remote storage is not set up: set supabase_url and supabase_key "
                              "(`vcat-core config init --supabase-url … --supabase-key …`)")
        with storage:
            return push_thumbnails(self.store, storage, self.settings.catalog)

    def storage_status(self) -> dict[str, Any]:
        """Remote storage settings and how many thumbnails have their remote copy."""
        return system.remote_status(self.store, self.settings)

    def plan_ingest(self, paths: list[str], *, workers: int | None = None, recursive: bool = True,
                    force: bool = False, focus: str | None = None, skip_visual: bool = False,
                    skip_audio: bool = False, skip_ai: bool = False, limit: int | None = None) -> IngestPlan:
        """What `ingest` would do with the same arguments (`--dry-run`): files, bytes, an estimate of time."""
        stages = select_stages(focus=focus, skip_visual=skip_visual, skip_audio=skip_audio, skip_ai=skip_ai,
                                   depth=self.settings.analysis_depth,
                                   faces=self.settings.face_analysis)
        return plan_ingest(self.store, [str(p) for p in paths], recursive=recursive, stages=stages, force=force,
                           limit=limit, workers=workers or self.settings.workers,
                           hash_algorithm=self.fingerprint_algorithm(), exclude=[str(self.settings.catalog)],
                           split_rule=self.split_rule())

    def split_rule(self) -> SplitRule:
        """Where DJI and Sony cameras cut a recording into files (the card_split_* settings)."""
        return SplitRule(min_bytes=self.settings.card_split_min_bytes, max_bytes=self.settings.card_split_max_bytes)

    async def watch(self, paths: list[str], *, settle: float = 5.0, recursive: bool = True,
                    **ingest_options: Any) -> AsyncIterator[IngestEvent]:
        """Ingest `paths` now, then whatever lands in them, once each file has stopped changing for `settle`
        seconds. Runs until cancelled; every batch is an ordinary ingest run (events as `ingest`)."""
        tracker_seed: list[str] = []
        async for ev in self.ingest(paths, recursive=recursive, min_age=settle, **ingest_options):
            if isinstance(ev, ClipDone) and ev.outcome == "deferred":
                tracker_seed.append(ev.path)  # still being written: the watcher picks it up when it settles
            yield ev
        async for batch in watch_batches(paths, settle=settle, recursive=recursive, initial=tracker_seed):
            # min_age again: a card file's whole folder is looked at (its span), and a chapter of it may still be
            # landing; the span then waits for that chapter's own settle
            async for ev in self.ingest(batch, recursive=False, min_age=settle, **ingest_options):
                yield ev

    # ---- AI ---------------------------------------------------------------------------------------------------

    def analyze(self, refs: list[str], *, all_clips: bool = False, force: bool = False,
                workers: int | None = None) -> AsyncIterator[IngestEvent]:
        """Run the AI stages (transcript, analysis, embeddings) on catalogued clips: those missing, or all with
        `force`. The clips are reached through their online paths; the run's events are an ingest's."""
        ids = self.store.clip_ids() if all_clips else self.resolve_clips(refs)
        paths = []
        for row in self.store.load_clips(ids):
            online = [loc.path for loc in row["locations"] if loc.online and os.path.exists(loc.path)]
            if online:
                paths.append(online[0])
        if not paths:
            raise labels.LabelError("none of these clips is online (their files are not reachable)")
        return self.ingest(paths, workers=workers, force=force, recursive=False,
                           stages=("transcribe", "analyze", "embed"))

    def reembed(self) -> dict[str, Any]:
        """Rebuild every clip's vectors with the configured embedding model, from the stored transcripts and
        analyses (no media needed): after switching models, old and new vectors are never mixed."""
        from .ai import Transcript
        from .pipeline.worker import AnalysisOptions, embed_clip

        ai_settings = AnalysisOptions.from_settings(self.settings).ai
        done, model = 0, None
        ids = self.store.clip_ids()
        rows = (row for i in range(0, len(ids), EXPORT_PAGE) for row in self.store.load_clips(ids[i:i + EXPORT_PAGE]))
        for row in rows:
            cid = row["clip"].id
            tr, an, seen = row["transcript"], row["analysis"], row["screen_text"]
            if tr is None and an is None and not seen:
                continue
            transcript = Transcript.model_validate({"language": tr.language, "no_speech": tr.no_speech,
                                                    "segments": tr.segments or []}) if tr is not None else None
            analysis = SimpleNamespace(summary=an.summary, keywords=an.keywords or [],
                                       entities=[SimpleNamespace(text=e.get("text", "")) for e in an.entities or []],
                                       scene_classification=an.scene_classification) if an is not None else None
            vectors = embed_clip(transcript, analysis, ai_settings, seen)
            self.store.replace_embeddings(cid, vectors)
            done += 1
            model = vectors[0]["model"] if vectors else model
        return {"clips": done, "model": model}

    # ---- the job queue (Postgres catalogs) -------------------------------------------------------------------

    def queue(self) -> "QueueClient":
        """Procrastinate on this catalog's Postgres database (raises QueueError for a SQLite catalog)."""
        from .queue import QueueClient

        return QueueClient(self.settings.database_url or "")

    def queue_progress(self, *, recent: int = 10) -> "QueueProgress":
        """A queue-backed ingest as the job tables see it: counts per queue, running jobs, latest failures,
        throughput. For a SQLite catalog (or no queue schema) its `state` says so instead of raising, and so it does
        when the database cannot be read (state `unreachable`)."""
        from .queue.progress import QueueProgress, read_progress

        try:
            return read_progress(self.settings.database_url, recent=recent)
        except Exception as exc:  # noqa: BLE001 - a dashboard shows it; the next poll tries again
            return QueueProgress("unreachable", f"cannot read the job queue: {type(exc).__name__}: {exc}")

    @staticmethod
    def job_stopped(status: str) -> bool:
        """Whether a job in this status may be retried (failed or cancelled)."""
        from .queue.progress import STOPPED

        return status in STOPPED

    def apply_schema(self) -> dict[str, Any]:
        """Create/upgrade everything: vcat's tables (done on open) and the job queue's schema."""
        queue_state = None
        if self.settings.database_url:
            with projects.denied_as_error("applying the schema", "only the catalog's admin (the role owning its "
                                          "tables) creates or upgrades it"):
                with self.queue() as q:
                    queue_state = q.apply_schema()
                if queue_state != "current":  # members and workers use the queue (migrations granted what existed)
                    with self.store.writer.begin() as conn:
                        projects.grant_role_privileges(conn)
        from .store import migrate
        from .store.vector_index import ensure_all_vector_indexes

        return {"schema_revision": migrate.current_revision(self.store.engine), "queue_schema": queue_state,
                "queue_schema_created": queue_state == "created",
                "vector_indexes": ensure_all_vector_indexes(self.store.engine)}

    def defer_ingest(self, paths: list[str], *, thumbnails: int | None = None, recursive: bool = True,
                     force: bool = False, focus: str | None = None, skip_visual: bool = False,
                     skip_audio: bool = False, skip_ai: bool = False, limit: int | None = None,
                     priority: str = "batch") -> dict[str, Any]:
        """`ingest --queue`: queue every file that needs work for the workers instead of running it here."""
        stages = select_stages(focus=focus, skip_visual=skip_visual, skip_audio=skip_audio, skip_ai=skip_ai,
                                   depth=self.settings.analysis_depth,
                                   faces=self.settings.face_analysis)
        plan = self.plan_ingest(paths, recursive=recursive, force=force, focus=focus, skip_visual=skip_visual,
                                skip_audio=skip_audio, skip_ai=skip_ai, limit=limit)
        options = {"stages": list(stages), "force": force, "thumbnails": thumbnails,
                   "hash_algorithm": self.fingerprint_algorithm(),
                   "remote_storage": self.settings.remote_storage,  # thumbnails to Supabase: a `storage` job
                   # the workers catalogue on behalf of whoever queued the files (the database writes the
                   # owner into each job), into their project
                   "project_id": projects.ensure_project(self.store, self.settings.project)
                   if self.settings.project else None}
        queued, already = [], 0
        with self.queue() as q, projects.denied_as_error("queueing files"):
            if not q.schema_applied():
                raise ConfigError("the job queue is not set up on this database: run `vcat-core schema apply`")
            for f in plan.files:
                job_id = q.defer_file(f.path, options, priority, candidate=f.card)
                if job_id is None:
                    already += 1
                else:
                    queued.append({"path": f.path, "job_id": job_id})
        return {"queued": queued, "already_queued": already, "known": plan.known, "deferred": plan.deferred,
                "passed_over": plan.passed_over}

    # ---- reports and system -------------------------------------------------------------------------------------

    def report(self, name: str, *, collection: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """`storage-usage`, `content-summary` (optionally of one collection) or `ingest-history`."""
        if name == "storage-usage":
            return reports.storage_usage(self.store)
        if name == "content-summary":
            return reports.content_summary(self.store, collection)
        if name == "ingest-history":
            return reports.ingest_history(self.store)
        raise ConfigError(f"unknown report {name!r}; one of: storage-usage, content-summary, ingest-history")

    def system_status(self) -> dict[str, Any]:
        return system.status(self.store, self.settings)

    def healthchecks(self) -> list[dict[str, Any]]:
        return system.healthchecks(self.store, self.settings)

    def update_models(self) -> list[dict[str, Any]]:
        return system.update_models(self.settings)

    # ---- reading -----------------------------------------------------------------------------------------------

    def list_clips(self, filters: ClipFilter | None = None, *, sort: str = "name", descending: bool = False,
                   limit: int | None = None, offset: int = 0, from_end: bool = False) -> list[ClipSummary]:
        """A page of clips; `from_end`: `offset` counts back from the last row (deep pages read quickly)."""
        return self.store.list_clips(filters, sort=sort, descending=descending, limit=limit, offset=offset,
                                     from_end=from_end)

    def count_clips(self, filters: ClipFilter | None = None) -> int:
        return self.store.count_clips(filters)

    def change_counter(self) -> int:
        """A number that grows whenever any process changes the catalog: poll it to refresh views."""
        return self.store.change_counter()

    def find_clip(self, ref: str) -> int | None:
        return self.store.find_clip_id(ref)

    def clip_detail(self, ref: str) -> dict[str, Any] | None:
        clip_id = self.store.find_clip_id(ref)
        if clip_id is None:
            return None
        rows = self.store.load_clips([clip_id])
        if not rows:
            return None
        doc = clip_document(rows[0], self.settings.catalog, detail=True)
        doc["people"] = people.clip_people(self.store, clip_id)  # who is seen, and when
        return doc

    def poster_thumbnails(self, clip_ids: list[int], width: int = 160) -> dict[int, str]:
        """One thumbnail file per clip (absolute paths) for grids: {clip id: path}; clips without one are absent."""
        return {cid: str(self.settings.catalog / rel) for cid, rel in self.store.poster_thumbnails(clip_ids,
                                                                                                  width).items()}

    def iter_documents(self, filters: ClipFilter | None = None, *, sort: str = "name") -> Iterator[dict[str, Any]]:
        """Every matching clip as an export document, loaded a page at a time."""
        offset = 0
        while True:
            page = self.store.list_clips(filters, sort=sort, limit=EXPORT_PAGE, offset=offset)
            if not page:
                return
            for row in self.store.load_clips([c.id for c in page]):
                yield clip_document(row, self.settings.catalog)
            offset += len(page)

    def export(self, fmt: str, out: TextIO, filters: ClipFilter | None = None) -> None:
        if fmt == "json":
            write_json(self.iter_documents(filters), out)
        elif fmt == "csv":
            write_csv(self.iter_documents(filters), out)
        else:
            raise ConfigError(f"unknown export format {fmt!r}; use json or csv")

    def search(self, query: str, filters: ClipFilter | None = None, *, limit: int = 100,
               offset: int = 0) -> list[ClipSummary]:
        """Clips for a natural-language query, best first (hybrid: meaning + words, filters read from the text)."""
        result = self.search_hits(query, filters, limit=limit + offset)
        return [h.clip for h in result.hits[offset:offset + limit]]

    def source_timecode(self, clip_id: int):
        """The clip's source start timecode and rate (store.timecodes.SourceTimecode: `.timecode` "01:00:00;00",
        `.start.frame`, `.rate` Fraction, `.drop_frame`, `.parts`, `.at(seconds)`), or None when it has none:
        what an export to an editing system hands on."""
        return self.store.source_timecodes([clip_id]).get(clip_id)

    def search_hits(self, query: str, filters: ClipFilter | None = None, *, limit: int = 50) -> "SearchResult":
        """The full answer: hits with scores, the parts they came from, the moment inside each clip, and how the
        query was read (`--explain`)."""
        from .search.hybrid import run_search
        from .pipeline.worker import AnalysisOptions

        return run_search(self.store, query, filters=filters, limit=limit,
                          ai_settings=AnalysisOptions.from_settings(self.settings).ai)

    def reindex(self) -> int:
        """Rebuild the full-text search documents of every clip."""
        return self.store.reindex()

    def near_duplicates(self) -> list[dict[str, Any]]:
        """Groups of clips that are the same footage re-encoded, resized or trimmed."""
        from .search.duplicates import near_duplicate_groups

        return near_duplicate_groups(self.store)

    def search_documents_for(self, clip_ids: list[int]) -> list[dict[str, Any]]:
        """Export documents of these clips, in this order."""
        rows = {r["clip"].id: r for r in self.store.load_clips(clip_ids)}
        return [clip_document(rows[i], self.settings.catalog) for i in clip_ids if i in rows]

    # ---- hand-off to the edit (timelines, contact sheets, transcripts) -------------------------------------------

    def handoff_selects(self, filters: ClipFilter | None = None, *, query: str | None = None,
                        clip_ids: list[int] | None = None, limit: int = 200) -> list["Select"]:
        """What goes to the edit: the hits of a search (each trimmed to its moment, best first), these clips (in
        this order), or every clip the filters match (a tag, a collection…, by name)."""
        from .handoff import selects_from_documents

        if query:
            hits = self.search_hits(query, filters, limit=limit).hits
            docs = self.search_documents_for([h.clip.id for h in hits])
            moments = {h.clip.id: h.moment for h in hits}
            return selects_from_documents(docs, [moments.get(d["id"]) for d in docs])
        if clip_ids is not None:
            return selects_from_documents(self.search_documents_for(clip_ids))
        return selects_from_documents(list(self.iter_documents(filters)))

    def export_selects(self, selects: list["Select"], fmt: str, path: str | os.PathLike, *,
                       name: str = "vcat selects", root: str | None = None, proxies: bool = False) -> "HandoffReport":
        """Write selects as a timeline (fcpxml, xmeml, edl, otio) or a contact sheet (pdf, png)."""
        from .handoff.deliver import write_handoff
        from .handoff.timeline import TimelineOptions

        if not selects:
            raise labels.LabelError("nothing to export: no clip matches")
        return write_handoff(selects, fmt, path, TimelineOptions(name=name, root=root, proxies=proxies))

    def transcript(self, ref: str, fmt: str) -> str:
        """One clip's transcript as srt, vtt, txt or json (LabelError when no clip matches)."""
        from .handoff.subtitles import transcript_text

        doc = self.clip_detail(ref)
        if doc is None:
            raise labels.LabelError(f"no clip matches {ref!r}")
        return transcript_text(doc, fmt)

    # ---- tags and collections ----------------------------------------------------------------------------------

    def resolve_clips(self, refs: list[str]) -> list[int]:
        """Clip ids for ids, paths or checksums; unknown ones raise LabelError naming them."""
        ids, missing = [], []
        for ref in refs:
            cid = self.store.find_clip_id(ref)
            (ids.append(cid) if cid is not None else missing.append(ref))
        if missing:
            raise labels.LabelError(f"no clip matches {', '.join(map(repr, missing[:5]))}")
        return ids

    def add_tags(self, clip_ids: list[int], tags: list[str]) -> int:
        with projects.denied_as_error("tagging"):
            return labels.add_tags(self.store, clip_ids, tags)

    def remove_tags(self, clip_ids: list[int], tags: list[str]) -> int:
        with projects.denied_as_error("removing tags"):
            return labels.remove_tags(self.store, clip_ids, tags)

    def list_tags(self) -> list[tuple[str, int]]:
        return labels.list_tags(self.store)

    def tags_of(self, clip_ids: list[int]) -> dict[int, list[str]]:
        return labels.tags_of(self.store, clip_ids)

    def create_collection(self, name: str, description: str | None = None) -> int:
        return labels.create_collection(self.store, name, description)

    def rename_collection(self, old: str, new: str) -> None:
        labels.rename_collection(self.store, old, new)

    def delete_collection(self, name: str) -> None:
        labels.delete_collection(self.store, name)

    def add_to_collection(self, name: str, clip_ids: list[int]) -> int:
        with projects.denied_as_error(f"adding clips to collection {name!r}"):
            return labels.add_to_collection(self.store, name, clip_ids)

    def remove_from_collection(self, name: str, clip_ids: list[int]) -> int:
        return labels.remove_from_collection(self.store, name, clip_ids)

    def list_collections(self) -> list[dict[str, Any]]:
        return labels.list_collections(self.store)

    def collection_documents(self, name: str) -> list[dict[str, Any]]:
        ids = labels.collection_clip_ids(self.store, name)
        return [clip_document(r, self.settings.catalog) for r in self.store.load_clips(ids)]

    # ---- culling: ratings, pick / reject, colour labels --------------------------------------------------------

    def rate(self, clip_ids: list[int], stars: int) -> int:
        """Give clips 0-5 stars; returns how many changed."""
        with projects.denied_as_error("rating"):
            return ratings.rate(self.store, clip_ids, stars)

    def set_pick(self, clip_ids: list[int], flag: str | None) -> int:
        """Flag clips as "pick" or "reject", or clear the flag (None)."""
        with projects.denied_as_error("flagging"):
            return ratings.set_flag(self.store, clip_ids, flag)

    def set_label(self, clip_ids: list[int], label: str | None) -> int:
        """Give clips a colour label (red, yellow, green, blue, purple), or clear it (None)."""
        with projects.denied_as_error("labelling"):
            return ratings.set_label(self.store, clip_ids, label)

    # ---- people (faces grouped across the catalog: store/people.py) -------------------------------------------

    def list_people(self, *, named_only: bool = False) -> list[dict[str, Any]]:
        """Every person seen (and every named one), most often seen first, with the path of a face thumbnail."""
        return people.list_people(self.store, named_only=named_only)

    def person(self, ref: str) -> dict[str, Any]:
        """One person (id, "#id" or name): counts and the clips they are seen in, with the times."""
        return people.person_detail(self.store, ref)

    def people_in_clip(self, clip_id: int) -> list[dict[str, Any]]:
        return people.clip_people(self.store, clip_id)

    def name_person(self, ref: str, name: str) -> dict[str, Any]:
        return people.name_person(self.store, ref, name)

    def merge_people(self, refs: list[str]) -> dict[str, Any]:
        return people.merge_people(self.store, refs)

    def split_person(self, ref: str, *, face_ids: list[int] | None = None,
                     clip_ids: list[int] | None = None) -> dict[str, Any]:
        return people.split_person(self.store, ref, face_ids=face_ids, clip_ids=clip_ids)

    def forget_faces(self) -> dict[str, int]:
        """Delete every face vector, person and face crop of the catalog."""
        return people.forget_faces(self.store, self.settings.catalog)

    # ---- projects (shared catalogs) ----------------------------------------------------------------------------

    def create_project(self, name: str, members: list[str] | None = None) -> int:
        return projects.create_project(self.store, name, members or [])

    def add_project_member(self, name: str, member: str) -> bool:
        return projects.add_member(self.store, name, member)

    def remove_project_member(self, name: str, member: str) -> int:
        return projects.remove_member(self.store, name, member)

    def list_projects(self) -> list[dict[str, Any]]:
        return projects.list_projects(self.store)

    def assign_to_project(self, name: str | None, clip_ids: list[int]) -> int:
        """Put clips into a project (None: out of theirs); on Postgres only your own clips move."""
        return projects.assign(self.store, name, clip_ids)

    def grant_member(self, role: str, *, revoke: bool = False, worker: bool = False) -> None:
        """Make a Postgres role a team member of this catalog, or a queue worker (`worker`); admin only."""
        projects.grant_role(self.store, role, revoke=revoke, worker=worker)

    def ingest_runs(self, *, limit: int = 20, running_only: bool = False) -> list[dict[str, Any]]:
        """Recent ingest runs with their (live, while running) counts."""
        return self.store.ingest_runs(limit=limit, running_only=running_only)

    def failures(self) -> list[FailureRecord]:
        return self.store.failures()

    def stats(self) -> dict[str, Any]:
        return self.store.stats()


async def _closing(events: AsyncIterator[IngestEvent], resource) -> AsyncIterator[IngestEvent]:
    """The run's events, then `resource` closed (however the run ends)."""
    try:
        async for event in events:
            yield event
    finally:
        resource.close()


def open_catalog(settings: Settings | None = None, **overrides: Any) -> Catalog:
    return Catalog(settings or load_settings(**overrides))


# ---- a damaged catalog (SQLite): checked and recovered without opening it as a catalog ----------------------------

def catalog_file(settings: Settings) -> "Path":
    """The SQLite file of the configured catalog; ConfigError for a Postgres catalog (the server checks its own)."""
    from pathlib import Path

    if settings.database_url:
        raise ConfigError("`catalog check` and `catalog recover` are for the SQLite catalog file; a Postgres "
                          "server checks its own pages (pg_amcheck, and restore from its backups)")
    return Path(settings.catalog) / "catalog.db"


def check_catalog(settings: Settings) -> "integrity.CheckReport":
    from .store import integrity

    path = catalog_file(settings)
    if not path.exists():
        raise ConfigError(f"no catalog at {path}")
    return integrity.check(path)


def recover_catalog(settings: Settings, *, use_cli: bool = True) -> "integrity.RecoverReport":
    from .store import integrity

    return integrity.recover(catalog_file(settings), use_cli=use_cli)
