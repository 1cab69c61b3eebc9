"""The catalog store: the only code that writes the catalog (DESIGN §1).

Every clip is written in one transaction (`save_analysis`), so a run killed at any moment leaves either the whole
clip or nothing of it, and a rerun redoes exactly what is missing. Writers take SQLite's write lock up front
(see engine.py), so two ingests of the same folder at once never create the same clip twice.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, case, cast, delete, func, insert, or_, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from ..models import (
    Candidate,
    ClipAnalysis,
    ClipFilter,
    ClipSummary,
    FailureRecord,
)
from . import integrity, locations, migrate, planner_stats
from .analysis_writes import write_analysis, write_embeddings
from .locations import PATH_DOC, KnownClip, KnownLocation
from .screen_text import SCREEN_TEXT_DOC, screen_text_of
from .engine import make_engine, retry_transient, sqlite_url, write_engine
from .timecodes import SourceTimecode, source_timecodes
from .vector_index import ensure_all_vector_indexes, ensure_vector_index
from .tables import (
    AnalysisRow,
    SearchDocument,
    CatalogState,
    TranscriptRow,
    Clip,
    ClipLocation,
    ClipRating,
    ClipPartRow,
    ClipTag,
    Collection,
    CollectionClip,
    FileFailure,
    IngestRun,
    StageRun,
    Tag,
    TechnicalMetadataRow,
    ThumbnailRow,
    VisionMetrics,
    utcnow,
)

NOT_SHARED = ("the same content is already in the catalog, catalogued by someone who has not shared it with you "
              "(ask its owner to add you to its project)")


def lock_content(s: Session, fingerprint: str) -> None:
    """Serialise writers of the same content. SQLite already holds its write lock (BEGIN IMMEDIATE); Postgres takes
    a transaction-scoped advisory lock on the fingerprint, so check-then-insert never creates a clip twice."""
    if s.get_bind().dialect.name == "postgresql":
        s.connection().execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:fp, 0))"), {"fp": fingerprint})


def index_clip(s: Session, clip_id: int) -> None:
    """Rebuild the clip's search documents (inside the caller's write transaction): the clip as a whole and one per
    transcript segment. The full-text indexes follow (triggers on SQLite, an expression index on Postgres). Its
    locations' words live in documents of their own (kind `path`, store/locations.py), written with each location,
    so a clip with 10,000 copies is not re-read 10,000 times; so does its on-screen text (store/screen_text.py),
    whose words the clip's document also holds."""
    sd = SearchDocument.__table__
    s.execute(delete(sd).where(sd.c.clip_id == clip_id, sd.c.kind.notin_((PATH_DOC, SCREEN_TEXT_DOC))))
    name = s.execute(select(Clip.__table__.c.name).where(Clip.__table__.c.id == clip_id)).scalar()
    if name is None:
        return
    tm, an, tr = TechnicalMetadataRow.__table__.c, AnalysisRow.__table__.c, TranscriptRow.__table__.c
    md = s.execute(select(tm.codec, tm.container, tm.camera_make, tm.camera_model, tm.lens_model, tm.description,
                          tm.log_profile, tm.hdr_format)
                   .where(tm.clip_id == clip_id)).first()
    analysis = s.execute(select(an.summary, an.keywords, an.scene_classification, an.entities)
                         .where(an.clip_id == clip_id)).first()
    transcript = s.execute(select(tr.text, tr.segments).where(tr.clip_id == clip_id)).first()
    tags = s.exec(select(Tag.name).join(ClipTag, ClipTag.tag_id == Tag.id).where(ClipTag.clip_id == clip_id)).all()
    words: list[str] = [name, *tags]
    if md is not None:
        words += [x for x in md if x]
    if analysis is not None:
        summary, keywords, scene, entities = analysis
        words += [summary or "", " ".join(keywords or []), scene or "",
                  " ".join(e.get("text", "") for e in entities or [])]
    if transcript is not None and transcript.text:
        words.append(transcript.text)
    words += [span["text"] for span in screen_text_of(s, [clip_id])[clip_id]]
    docs = [{"clip_id": clip_id, "kind": "clip", "ref": 0, "start_seconds": None, "end_seconds": None,
             "text": " ".join(w for w in words if w)}]
    for i, seg in enumerate((transcript.segments or []) if transcript is not None else []):
        said = (seg.get("text") or "").strip()
        if said:
            docs.append({"clip_id": clip_id, "kind": "segment", "ref": i, "start_seconds": seg.get("start"),
                         "end_seconds": seg.get("end"), "text": said})
    s.execute(insert(sd), docs)


def bump_changes(s: Session, *, vectors: bool = False) -> None:
    """Count one more change in the catalog (inside the caller's write transaction); `vectors`: embeddings too."""
    values: dict[str, Any] = {"changes": CatalogState.changes + 1}
    if vectors:
        values["vector_changes"] = CatalogState.vector_changes + 1
    s.exec(update(CatalogState).where(CatalogState.id == 1).values(**values))


class CatalogStore:
    """A catalog database (SQLite file by default) behind one interface."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.writer = write_engine(self.engine)
        self._all_clips_writable: bool | None = None
        sqlite_file = Path(self.engine.url.database) if self.engine.dialect.name == "sqlite" and \
            self.engine.url.database not in (None, "", ":memory:") else None
        if sqlite_file is not None:
            integrity.assert_openable(sqlite_file)
        try:
            migrate.upgrade(self.engine)
        except DBAPIError as exc:
            if sqlite_file is None or not isinstance(exc.orig, sqlite3.DatabaseError) or \
                    isinstance(exc.orig, sqlite3.OperationalError):
                raise
            self.engine.dispose()
            raise integrity.CatalogDamaged(sqlite_file, str(exc.orig)) from exc
        planner_stats.refresh_if_stale(self.engine)

    @classmethod
    def open_dir(cls, catalog_dir: Path, database_url: str | None = None) -> "CatalogStore":
        catalog_dir.mkdir(parents=True, exist_ok=True)
        return cls(database_url or sqlite_url(catalog_dir / "catalog.db"))

    def close(self) -> None:
        self.engine.dispose()

    # ---- ingest side -------------------------------------------------------------------------------------------

    def lookup_locations(self, paths: list[str]) -> dict[str, KnownLocation]:
        """Batch look-up of paths already catalogued (one query per 500 paths, not one per file)."""
        with Session(self.engine) as s:
            return locations.lookup_paths(s, paths)

    def hash_algorithm_in_use(self) -> str | None:
        """The hash this catalog's fingerprints were made with (None while it is empty)."""
        with Session(self.engine) as s:
            return s.exec(select(Clip.hash_algorithm).limit(1)).first()

    def lookup_fingerprint(self, fingerprint: str) -> KnownClip | None:
        return self.lookup_fingerprints([fingerprint]).get(fingerprint)

    def stored_thumbnails(self, fingerprint: str) -> dict[str, Any] | None:
        """The clip's stored thumbnails as a ThumbnailsResult dump (each frame with its sizes, smallest first, and
        the vision stage's ranking), for a stage that works from them without decoding again (faces)."""
        th = ThumbnailRow.__table__.c
        with Session(self.engine) as s:
            clip_id = s.execute(select(Clip.id).where(Clip.fingerprint == fingerprint)).scalar()
            if clip_id is None:
                return None
            rows = s.execute(select(th.frame_index, th.frame_number, th.timestamp_seconds, th.width, th.height,
                                    th.path, th.is_keyframe, th.scores)
                             .where(th.clip_id == clip_id).order_by(th.frame_index, th.width)).all()
        frames: dict[int, dict[str, Any]] = {}
        for r in rows:
            frame = frames.setdefault(r.frame_index, {
                "index": r.frame_index, "frame_number": r.frame_number, "timestamp_seconds": r.timestamp_seconds,
                "is_keyframe": r.is_keyframe, "images": [], "ranking": (r.scores or {}).get("ranking")})
            frame["images"].append({"width": r.width, "height": r.height, "path": r.path})
        return {"thumbnails": list(frames.values())} if frames else None

    def screen_text_of(self, fingerprint: str) -> list[dict[str, Any]]:
        """The stored on-screen text of the clip holding this content (for its vectors when the vision stage that
        read it does not run again)."""
        with Session(self.engine) as s:
            clip_id = s.execute(select(Clip.id).where(Clip.fingerprint == fingerprint)).scalar()
            return [] if clip_id is None else screen_text_of(s, [clip_id])[clip_id]

    def lookup_fingerprints(self, fingerprints: list[str]) -> dict[str, KnownClip]:
        """The clips already holding these contents (one query per chunk, for a batch of fingerprinted files)."""
        with Session(self.engine) as s:
            return locations.lookup_fingerprints(s, fingerprints)

    @retry_transient
    def content_hidden(self, fingerprint: str) -> bool:
        """Multi-user Postgres catalogs: the content is catalogued, but by someone who has not shared it with the
        connected user (row-level security hides the clip; its fingerprint is still taken)."""
        if self.engine.dialect.name != "postgresql":
            return False
        # one statement, one snapshot: taken, yet not visible. (Asked apart, content another process committed a
        # moment after our lookup would look hidden: it is only new.)
        with self.engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT vcat_fingerprint_taken(:fp) AND NOT EXISTS (SELECT 1 FROM clips WHERE fingerprint = :fp)"),
                {"fp": fingerprint}).scalar())

    @retry_transient
    def touch_locations(self, paths: list[str]) -> None:
        """Mark unchanged, already-catalogued paths as seen and online now."""
        if not paths:
            return
        with Session(self.writer) as s, s.begin():
            locations.touch_paths(s, paths)

    def add_location(self, fingerprint: str, cand: Candidate) -> int | None:
        """Record another path of known content; returns the clip id (None if the clip vanished meanwhile)."""
        return self.add_locations([(fingerprint, cand)]).get(cand.path)

    @retry_transient
    def add_locations(self, items: list[tuple[str, Candidate]]) -> dict[str, int | None]:
        """Record more paths of known content, (fingerprint, file) pairs, in one transaction: a drive of copies
        costs one row and one search document per path. Returns each path's clip id (None where the clip vanished
        meanwhile)."""
        if not items:
            return {}
        with Session(self.writer) as s, s.begin():
            for fp in sorted({fp for fp, _ in items}):  # sorted: two writers never wait on each other in a cycle
                lock_content(s, fp)
            clips = locations.lookup_fingerprints(s, [fp for fp, _ in items])
            found = {c.path: clips[fp].clip_id if fp in clips else None for fp, c in items}
            locations.upsert_locations(s, [(clips[fp].clip_id, c) for fp, c in items if fp in clips])
            bump_changes(s)
        return found

    @retry_transient
    def save_analysis(self, a: ClipAnalysis, *, owner: str | None = None,
                      project_id: int | None = None) -> tuple[int, bool]:
        """Write everything computed for one clip in ONE transaction. Returns (clip id, whether the clip is new).

        A new clip goes into `project_id` (`ingest --project`); `owner` names who it belongs to when
        the writer is not that user (a queue worker catalogues for whoever queued the file); else the database
        fills in the connected user."""
        with Session(self.writer, autoflush=False) as s, s.begin():
            lock_content(s, a.fingerprint.digest)
            result = write_analysis(s, a, owner=owner, project_id=project_id)
            index_clip(s, result[0])
            bump_changes(s, vectors=a.embeddings is not None)
        self._index_vectors(a.embeddings)
        return result

    def _index_vectors(self, embeddings: list[dict] | None) -> None:
        """Postgres: the HNSW index of each model just written (made once, when its first vectors arrive)."""
        for model, dim in {(e["model"], e["dim"]) for e in embeddings or []}:
            ensure_vector_index(self.engine, model, dim)

    @retry_transient
    def replace_embeddings(self, clip_id: int, embeddings: list[dict]) -> None:
        """A clip's vectors re-made with another model: every older vector of the clip goes (one model at a time)."""
        with Session(self.writer) as s, s.begin():
            write_embeddings(s, clip_id, embeddings, all_models=True)
            bump_changes(s, vectors=True)
        self._index_vectors(embeddings)

    def thumbnails_without_remote(self, clip_ids: list[int] | None = None, *, after_id: int = 0,
                                  limit: int = 500) -> list[dict[str, Any]]:
        """Thumbnails with no remote copy yet (of these clips, or of the whole catalog) that this connection may
        record one for, in id order after `after_id` (page by page). On a multi-user Postgres catalog a member
        sees shared clips' thumbnails but may only write their own."""
        stmt = select(ThumbnailRow.id, ThumbnailRow.clip_id, ThumbnailRow.path).where(
            ThumbnailRow.remote_path == None, ThumbnailRow.id > after_id)  # noqa: E711
        if clip_ids is not None:
            stmt = stmt.where(col(ThumbnailRow.clip_id).in_(clip_ids))
        if not self._writes_every_clip():
            stmt = stmt.join(Clip, Clip.id == ThumbnailRow.clip_id).where(Clip.owner == func.vcat_current_user())
        with Session(self.engine) as s:
            rows = s.exec(stmt.order_by(ThumbnailRow.id).limit(limit)).all()
        return [{"id": r[0], "clip_id": r[1], "path": r[2]} for r in rows]

    def _writes_every_clip(self) -> bool:
        """SQLite, or a Postgres role that row-level security does not apply to (the tables' owner, a superuser,
        BYPASSRLS): it may write any clip. Checked once."""
        if self._all_clips_writable is None:
            if self.engine.dialect.name != "postgresql":
                self._all_clips_writable = True
            else:
                with self.engine.connect() as conn:
                    self._all_clips_writable = bool(conn.execute(text(
                        "SELECT r.rolsuper OR r.rolbypassrls OR pg_has_role(t.tableowner, 'USAGE') "
                        "FROM pg_roles r, pg_tables t WHERE r.rolname = current_user AND t.tablename = 'clips' "
                        "AND t.schemaname = current_schema()")).scalar())
        return self._all_clips_writable

    def thumbnail_counts(self) -> tuple[int, int]:
        """(thumbnails, of which have a remote copy)."""
        with Session(self.engine) as s:
            row = s.exec(select(func.count(ThumbnailRow.id), func.count(ThumbnailRow.remote_path))).one()
        return int(row[0]), int(row[1])

    @retry_transient
    def record_remote_paths(self, remote: dict[int, str]) -> int:
        """Where each thumbnail's remote copy lives (thumbnail id -> "bucket/key"); returns how many were recorded
        (row-level security silently skips thumbnails of clips the connected user does not own)."""
        if not remote:
            return 0
        recorded = 0
        with Session(self.writer) as s, s.begin():
            for tid, where in remote.items():
                recorded += s.exec(update(ThumbnailRow).where(ThumbnailRow.id == tid)
                                   .values(remote_path=where)).rowcount
            bump_changes(s)
        return recorded

    @retry_transient
    def record_failure(self, path: str, stage: str, error: str, kind: str, *, size: int | None = None,
                       mtime_ns: int | None = None, run_id: int | None = None, owner: str | None = None) -> None:
        """One row per path (per owner on Postgres: a queue worker records it for whoever queued the file, so that
        they see it; otherwise the database fills in the caller)."""
        with Session(self.writer) as s, s.begin():
            stmt = select(FileFailure).where(FileFailure.path == path)
            if owner is not None:
                stmt = stmt.where(FileFailure.owner == owner)
            elif self.engine.dialect.name == "postgresql":  # the admin sees every member's row of this path
                stmt = stmt.where(FileFailure.owner == func.vcat_current_user())
            row = s.exec(stmt).first()
            if row is None:
                row = FileFailure(path=path, stage=stage, error=error, error_kind=kind, size=size,
                                  mtime_ns=mtime_ns, run_id=run_id, owner=owner)
            else:
                row.stage, row.error, row.error_kind = stage, error, kind
                row.size, row.mtime_ns, row.run_id = size, mtime_ns, run_id
                row.attempts += 1
                row.last_failed_at = utcnow()
            s.add(row)
            bump_changes(s)

    @retry_transient
    def clear_failure(self, path: str) -> None:
        with Session(self.writer) as s, s.begin():
            s.exec(delete(FileFailure).where(FileFailure.path == path))

    @retry_transient
    def mark_missing_offline(self, roots: list[str], since: datetime | None = None) -> int:
        """Locations under a scanned folder that were not found are marked offline (never deleted); those a run
        stamped as seen `since` it started are not looked at again."""
        with Session(self.writer) as s, s.begin():
            changed = locations.offline_missing(s, roots, since)
            if changed:
                bump_changes(s)
        return changed

    @retry_transient
    def start_run(self, paths: list[str]) -> int:
        with Session(self.writer) as s, s.begin():
            run = IngestRun(paths=paths, host=socket.gethostname(), pid=os.getpid())
            s.add(run)
            s.flush()
            assert run.id is not None
            return run.id

    def reindex(self) -> int:
        """Rebuild every clip's search documents (after an upgrade, or to repair the full-text index), and on
        Postgres make any missing vector index."""
        ensure_all_vector_indexes(self.engine)
        ids = self.clip_ids()
        for chunk in _chunks(ids, 200):
            with Session(self.writer) as s, s.begin():
                for cid in chunk:
                    index_clip(s, cid)
                    locations.index_paths(s, cid)
                bump_changes(s)
        return len(ids)

    def change_counter(self) -> int:
        """Goes up with every change to clips, locations, tags, collections or failures (any process)."""
        with Session(self.engine) as s:
            return int(s.exec(select(CatalogState.changes).where(CatalogState.id == 1)).first() or 0)

    def vector_counter(self) -> int:
        """Goes up whenever vectors are written or replaced (any process)."""
        with Session(self.engine) as s:
            return int(s.exec(select(CatalogState.vector_changes).where(CatalogState.id == 1)).first() or 0)

    @retry_transient
    def update_run(self, run_id: int, counts: dict[str, Any]) -> None:
        """Live counts of a running ingest, so another process (the TUI's dashboard) can follow it."""
        with Session(self.writer) as s, s.begin():
            s.exec(update(IngestRun).where(IngestRun.id == run_id).values(counts=counts))

    def ingest_runs(self, *, limit: int = 20, running_only: bool = False) -> list[dict[str, Any]]:
        """Recent ingest runs, newest first. A 'running' run whose process is gone on this host reads 'crashed'."""
        with Session(self.engine) as s:
            stmt = select(IngestRun).order_by(col(IngestRun.id).desc()).limit(limit)
            if running_only:
                stmt = stmt.where(IngestRun.status == "running")
            runs = s.exec(stmt).all()
        host = socket.gethostname()
        out = []
        for r in runs:
            status = r.status
            if status == "running" and r.host == host and r.pid and not _pid_alive(r.pid):
                status = "crashed"
            if running_only and status != "running":
                continue
            out.append({"id": r.id, "status": status, "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "paths": r.paths or [], "counts": r.counts or {}, "host": r.host, "pid": r.pid})
        return out

    @retry_transient
    def finish_run(self, run_id: int, status: str, counts: dict[str, Any]) -> None:
        with Session(self.writer) as s, s.begin():
            run = s.get(IngestRun, run_id)
            if run is not None:
                run.status, run.counts, run.finished_at = status, counts, utcnow()
                s.add(run)

    # ---- read side ---------------------------------------------------------------------------------------------

    def _filtered(self, stmt, f: ClipFilter):
        if f.status:
            stmt = stmt.where(Clip.status == f.status)
        else:
            stmt = stmt.where(col(Clip.status).in_(("ready", "partial")))
        if f.codec:
            stmt = stmt.where(TechnicalMetadataRow.codec == f.codec.lower())  # stored lower case (indexed)
        if f.resolution:
            stmt = _resolution_filter(stmt, f.resolution)
        if f.camera:
            like = f"%{f.camera.lower()}%"
            make_model = func.lower(func.coalesce(TechnicalMetadataRow.camera_make, "") + " "
                                    + func.coalesce(TechnicalMetadataRow.camera_model, ""))
            stmt = stmt.where(make_model.like(like))
        if f.min_duration is not None:
            stmt = stmt.where(Clip.duration_seconds >= f.min_duration)
        if f.max_duration is not None:
            stmt = stmt.where(Clip.duration_seconds <= f.max_duration)
        if f.vfr is not None:
            stmt = stmt.where(TechnicalMetadataRow.is_vfr == f.vfr)
        if f.exposure_warning is not None:
            cond = col(VisionMetrics.exposure_warning).is_not(None)
            stmt = stmt.where(cond if f.exposure_warning else or_(col(VisionMetrics.exposure_warning).is_(None)))
        if f.path_prefix:
            sub = select(ClipLocation.clip_id).where(col(ClipLocation.path).startswith(f.path_prefix, autoescape=True))
            stmt = stmt.where(col(Clip.id).in_(sub))
        if f.ids is not None:
            stmt = stmt.where(col(Clip.id).in_(f.ids))
        if f.min_fps is not None:
            stmt = stmt.where(TechnicalMetadataRow.frame_rate >= f.min_fps)
        if f.max_fps is not None:
            stmt = stmt.where(TechnicalMetadataRow.frame_rate <= f.max_fps)
        if f.created_from is not None:
            stmt = stmt.where(Clip.created_at >= f.created_from)
        if f.created_to is not None:
            stmt = stmt.where(Clip.created_at < f.created_to)
        if f.vertical is not None:
            w, h = TechnicalMetadataRow.width, TechnicalMetadataRow.height
            turned = func.coalesce(TechnicalMetadataRow.rotation, 0).in_((90, 270, -90))
            tall = or_((~turned) & (h > w), turned & (w > h))
            stmt = stmt.where(tall if f.vertical else ~tall)
        stmt = _card_filters(stmt, f)
        if f.shot_type:
            stmt = stmt.where(VisionMetrics.shot_type == f.shot_type)
        if f.min_sharpness is not None:
            stmt = stmt.where(VisionMetrics.sharpness >= f.min_sharpness)
        for flag in [x for x in (f.flag, "blurry" if f.blurry else None) if x]:
            # flags are a short JSON list: match the quoted name in its text (portable SQLite / Postgres)
            stmt = stmt.where(func.coalesce(cast(VisionMetrics.flags, String), "").like(f'%"{flag}"%'))
        if f.blurry is False:
            stmt = stmt.where(func.coalesce(cast(VisionMetrics.flags, String), "").not_like('%"blurry"%'))
        for tag in f.tags or []:
            sub = (select(ClipTag.clip_id).join(Tag, Tag.id == ClipTag.tag_id)
                   .where(Tag.name == " ".join(tag.strip().lower().split())))
            stmt = stmt.where(col(Clip.id).in_(sub))
        stmt = _rating_filter(stmt, f)
        if f.collection:
            sub = (select(CollectionClip.clip_id).join(Collection, Collection.id == CollectionClip.collection_id)
                   .where(Collection.name == f.collection.strip()))
            stmt = stmt.where(col(Clip.id).in_(sub))
        if f.person:
            from .people import person_clause

            stmt = stmt.where(col(Clip.id).in_(person_clause(f.person)))
        for word in (f.text or "").lower().split():
            like = f"%{_escape_like(word)}%"
            in_paths = select(ClipLocation.clip_id).where(func.lower(ClipLocation.path).like(like, escape="\\"))
            in_tags = (select(ClipTag.clip_id).join(Tag, Tag.id == ClipTag.tag_id)
                       .where(Tag.name.like(like, escape="\\")))
            meta = func.lower(func.coalesce(TechnicalMetadataRow.codec, "") + " "
                              + func.coalesce(TechnicalMetadataRow.camera_make, "") + " "
                              + func.coalesce(TechnicalMetadataRow.camera_model, "") + " "
                              + func.coalesce(TechnicalMetadataRow.container, ""))
            stmt = stmt.where(or_(func.lower(Clip.name).like(like, escape="\\"), meta.like(like, escape="\\"),
                                  col(Clip.id).in_(in_paths), col(Clip.id).in_(in_tags)))
        return stmt

    SORTS = {
        "name": Clip.name, "duration": Clip.duration_seconds, "created": Clip.created_at, "id": Clip.id,
        "size": Clip.size, "width": TechnicalMetadataRow.width, "fps": TechnicalMetadataRow.frame_rate,
        "codec": TechnicalMetadataRow.codec, "camera": TechnicalMetadataRow.camera_model,
        "sharpness": VisionMetrics.sharpness,
        "rating": func.coalesce(select(ClipRating.rating).where(ClipRating.clip_id == Clip.id)
                                .correlate(Clip).scalar_subquery(), 0),
    }

    def _clip_query(self, column, f: ClipFilter, *also):
        """`column` over the clips matching `f`, joined only with the tables `f` and `also` (a sort key) use: at 10⁶
        clips each needless join costs a lookup per row (a count went from 150 to 600 ms)."""
        used = {t.name for t in self._filtered(select(Clip.id, *also), f).get_final_froms()}
        stmt = select(column).select_from(Clip)
        for table in (TechnicalMetadataRow, VisionMetrics):
            if table.__tablename__ in used:
                stmt = stmt.outerjoin(table, table.clip_id == Clip.id)
        return self._filtered(stmt, f)

    # A page of a filtered list is first looked for among the first clips of the sort order (an index walk that
    # stops there: HEAD_ROWS, then ten times more): SQLite's planner otherwise reads every clip a common filter
    # matches through that filter's index and sorts them all for one page (`codec prores`: 250k rows, 250 ms;
    # `duration 2-3 min` 500 ms at 10⁶ clips), and sorts every clip for a sort on another table's column (by
    # sharpness: 400-700 ms). Only a filter matching under 1 in 200 clips misses both heads, and then the planner's
    # own plan (the filter's index) has few rows to sort. Filters that name their clips (tags, collection, ids,
    # paths) are read from those clips, never through a head.
    HEAD_ROWS = (2_000, 20_000)
    HEAD_SORTS = {"name": Clip.id, "duration": Clip.id, "created": Clip.id, "id": Clip.id,  # indexed key columns
                  "sharpness": VisionMetrics.clip_id, "width": TechnicalMetadataRow.clip_id,
                  "codec": TechnicalMetadataRow.clip_id, "camera": TechnicalMetadataRow.clip_id}

    def _ids_statement(self, f: ClipFilter, key, descending: bool = False, limit: int | None = None,
                       offset: int = 0, from_end: bool = False, head: int | None = None, sort: str = "name"):
        stmt = self._clip_query(Clip.id, f, key)
        # ties go the key's way (descending: the newest id first), so an index on the key, which holds the row id
        # after it, walks the whole order in either direction without a sort
        backwards = descending != from_end  # read from the end: the order turned round
        order = (key.desc(), Clip.id.desc()) if backwards else (key.asc(), Clip.id.asc())
        if head is not None:
            owner = self.HEAD_SORTS[sort]
            first = select(owner).order_by(order[0], owner.desc() if backwards else owner.asc()).limit(head)
            if owner is not Clip.id:  # descending in SQLite: missing values come last, after every value
                first = first.where(key.is_not(None))
            stmt = stmt.where(col(Clip.id).in_(first))
        stmt = stmt.order_by(*order).offset(offset)
        return stmt.limit(limit) if limit is not None else stmt

    def _page_ids(self, s: Session, f: ClipFilter, sort: str, descending: bool, limit: int | None, offset: int,
                  from_end: bool) -> list[int]:
        key, owner = self.SORTS[sort], self.HEAD_SORTS.get(sort)
        named = f.tags or f.collection or f.ids is not None or f.path_prefix
        if self.engine.dialect.name == "sqlite" and limit is not None and owner is not None and not named and \
                (f != ClipFilter() if owner is Clip.id else descending != from_end):
            for head in self.HEAD_ROWS:
                if offset + limit > head // 10:
                    break
                page = list(s.exec(self._ids_statement(f, key, descending, limit, offset, from_end, head,
                                                       sort)).all())
                if len(page) == limit:  # the head held the whole page: it is the page
                    return page
        return list(s.exec(self._ids_statement(f, key, descending, limit, offset, from_end)).all())

    def list_clips(self, f: ClipFilter | None = None, *, sort: str = "name", descending: bool = False,
                   limit: int | None = None, offset: int = 0, from_end: bool = False) -> list[ClipSummary]:
        """A page of clips as table rows; the query pages in the database, it never loads the whole catalog.
        `from_end`: `offset` counts back from the last row (the page is still in the order asked for), so the end
        of a million clips is read as quickly as its start (an OFFSET walks every row it skips)."""
        f = f or ClipFilter()
        if sort not in self.SORTS:
            raise ValueError(f"unknown sort {sort!r}; one of: {', '.join(self.SORTS)}")
        # two steps: the page's ids (filter, sort, offset: cheap columns only), then the rows of just those ids, so
        # a page deep into 100k clips does not compute every skipped row's columns
        first_path = (select(func.min(ClipLocation.path)).where(ClipLocation.clip_id == Clip.id)
                      .correlate(Clip).scalar_subquery())
        n_locations = (select(func.count(ClipLocation.id)).where(ClipLocation.clip_id == Clip.id)
                       .correlate(Clip).scalar_subquery())
        out = []
        with Session(self.engine) as s:
            page = self._page_ids(s, f, sort, descending, limit, offset, from_end)
            if not page:
                return []
            if from_end:
                page.reverse()
            order = {cid: i for i, cid in enumerate(page)}
            c, md, vm = Clip.__table__.c, TechnicalMetadataRow.__table__.c, VisionMetrics.__table__.c
            # the columns a row shows, not whole ORM objects: building three objects a row (with metadata's raw
            # JSON) cost more than the query for a page of search hits
            stmt = (select(c.id, c.name, first_path, c.size, c.duration_seconds, md.width, md.height,
                           md.frame_rate, md.codec, md.camera_make, md.camera_model, c.created_at, md.is_vfr,
                           vm.exposure_warning, c.status, n_locations, vm.flags, vm.shot_type, vm.sharpness)
                    .select_from(Clip)
                    .outerjoin(TechnicalMetadataRow, TechnicalMetadataRow.clip_id == Clip.id)
                    .outerjoin(VisionMetrics, VisionMetrics.clip_id == Clip.id).where(col(Clip.id).in_(page)))
            for r in sorted(s.exec(stmt).all(), key=lambda r: order[r[0]]):
                out.append(ClipSummary(
                    id=r.id, name=r.name, path=r[2], size=r.size, duration_seconds=r.duration_seconds,
                    width=r.width, height=r.height, frame_rate=r.frame_rate, codec=r.codec,
                    camera=_camera(r.camera_make, r.camera_model), created_at=r.created_at, is_vfr=r.is_vfr,
                    exposure_warning=r.exposure_warning, status=r.status, locations=r[15] or 0,
                    flags=list(r.flags or []), shot_type=r.shot_type, sharpness=r.sharpness,
                ))
            if out:
                tags: dict[int, list[str]] = defaultdict(list)
                for cid, name in s.exec(select(ClipTag.clip_id, Tag.name).join(Tag, Tag.id == ClipTag.tag_id)
                                        .where(col(ClipTag.clip_id).in_([c.id for c in out])).order_by(Tag.name)):
                    tags[cid].append(name)
                rated = {r.clip_id: r for r in s.exec(select(ClipRating)
                                                      .where(col(ClipRating.clip_id).in_([c.id for c in out])))}
                for c in out:
                    c.tags = tags.get(c.id, [])
                    if (r := rated.get(c.id)) is not None:
                        c.rating, c.pick, c.label = r.rating, r.flag, r.label
        return out

    def count_clips(self, f: ClipFilter | None = None) -> int:
        f = f or ClipFilter()
        if f == ClipFilter():  # the whole catalog: every clip less the few not shown (the status index's rare keys)
            listed = ("partial", "ready")
            hidden = or_(Clip.status < listed[0], and_(Clip.status > listed[0], Clip.status < listed[1]),
                         Clip.status > listed[1])
            stmt = select(select(func.count()).select_from(Clip).scalar_subquery()
                          - select(func.count()).select_from(Clip).where(hidden).scalar_subquery())
        else:
            stmt = self._clip_query(func.count(Clip.id), f)
        with Session(self.engine) as s:
            return int(s.exec(stmt).one())

    def clip_ids(self, f: ClipFilter | None = None, sort: str = "name") -> list[int]:
        """Ids of every matching clip (one indexed query: no table rows built)."""
        with Session(self.engine) as s:
            return list(s.exec(self._ids_statement(f or ClipFilter(), self.SORTS[sort])).all())

    def find_clip_id(self, ref: str) -> int | None:
        """A clip by id, by any of its paths, or by fingerprint."""
        with Session(self.engine) as s:
            if ref.isdigit():
                if s.get(Clip, int(ref)) is not None:
                    return int(ref)
            path = os.path.abspath(os.path.expanduser(ref))
            cid = s.exec(select(ClipLocation.clip_id).where(ClipLocation.path == path)).first()
            if cid is None:
                cid = s.exec(select(Clip.id).where(Clip.fingerprint == ref)).first()
            return cid

    def load_clips(self, clip_ids: list[int]) -> list[dict[str, Any]]:
        """Everything stored about these clips, as plain rows grouped per clip (in the order given)."""
        out: dict[int, dict[str, Any]] = {}
        with Session(self.engine) as s:
            for chunk in _chunks(clip_ids, 500):
                for clip in s.exec(select(Clip).where(col(Clip.id).in_(chunk))):
                    out[clip.id] = {"clip": clip, "metadata": None, "vision": None, "locations": [],
                                    "thumbnails": [], "stages": [], "tags": [], "collections": [],
                                    "transcript": None, "analysis": None, "rating": None, "parts": [],
                                    "screen_text": []}
                for md in s.exec(select(TechnicalMetadataRow).where(col(TechnicalMetadataRow.clip_id).in_(chunk))):
                    out[md.clip_id]["metadata"] = md
                for vm in s.exec(select(VisionMetrics).where(col(VisionMetrics.clip_id).in_(chunk))):
                    out[vm.clip_id]["vision"] = vm
                for loc in s.exec(select(ClipLocation).where(col(ClipLocation.clip_id).in_(chunk))
                                  .order_by(ClipLocation.id)):
                    out[loc.clip_id]["locations"].append(loc)
                for part in s.exec(select(ClipPartRow).where(col(ClipPartRow.clip_id).in_(chunk))
                                   .order_by(ClipPartRow.role, ClipPartRow.part_index)):
                    out[part.clip_id]["parts"].append(part)
                for th in s.exec(select(ThumbnailRow).where(col(ThumbnailRow.clip_id).in_(chunk))
                                 .order_by(ThumbnailRow.frame_index, ThumbnailRow.width)):
                    out[th.clip_id]["thumbnails"].append(th)
                for st in s.exec(select(StageRun).where(col(StageRun.clip_id).in_(chunk))):
                    out[st.clip_id]["stages"].append(st)
                for cid, name in s.exec(select(ClipTag.clip_id, Tag.name).join(Tag, Tag.id == ClipTag.tag_id)
                                        .where(col(ClipTag.clip_id).in_(chunk)).order_by(Tag.name)):
                    out[cid]["tags"].append(name)
                for tr in s.exec(select(TranscriptRow).where(col(TranscriptRow.clip_id).in_(chunk))):
                    out[tr.clip_id]["transcript"] = tr
                for an in s.exec(select(AnalysisRow).where(col(AnalysisRow.clip_id).in_(chunk))):
                    out[an.clip_id]["analysis"] = an
                for rt in s.exec(select(ClipRating).where(col(ClipRating.clip_id).in_(chunk))):
                    out[rt.clip_id]["rating"] = rt
                for cid, spans in screen_text_of(s, [c for c in chunk if c in out]).items():
                    out[cid]["screen_text"] = spans
                for cid, name in s.exec(select(CollectionClip.clip_id, Collection.name)
                                        .join(Collection, Collection.id == CollectionClip.collection_id)
                                        .where(col(CollectionClip.clip_id).in_(chunk)).order_by(Collection.name)):
                    out[cid]["collections"].append(name)
        return [out[i] for i in clip_ids if i in out]

    def poster_thumbnails(self, clip_ids: list[int], width: int) -> dict[int, str]:
        """One thumbnail per clip for grids (the first frame the vision stage chose, else the first frame), in the
        stored variant closest to `width` pixels: {clip id: path relative to the catalog}. One query per 500 clips,
        reading only the thumbnail rows."""
        rows: dict[int, list[tuple[int, int, str, bool]]] = defaultdict(list)
        with Session(self.engine) as s:
            for chunk in _chunks(list(clip_ids), 500):
                stmt = (select(ThumbnailRow.clip_id, ThumbnailRow.frame_index, ThumbnailRow.width, ThumbnailRow.path,
                               ThumbnailRow.scores).where(col(ThumbnailRow.clip_id).in_(chunk)))
                for cid, frame, w, path, scores in s.exec(stmt):
                    chosen = bool(((scores or {}).get("ranking") or {}).get("chosen"))
                    rows[cid].append((frame, w, path, chosen))
        out: dict[int, str] = {}
        for cid, variants in rows.items():
            frames = {f for f, _, _, c in variants if c} or {f for f, _, _, _ in variants}
            first = min(frames)
            sizes = [(w, p) for f, w, p, _ in variants if f == first]
            wide_enough = [x for x in sizes if x[0] >= width]
            out[cid] = (min(wide_enough) if wide_enough else max(sizes))[1]
        return out
    def source_timecodes(self, clip_ids: list[int]) -> dict[int, "SourceTimecode"]:
        """Start timecode (typed, with rate and drop-frame) of these clips and of their parts; clips without one
        are left out."""
        with Session(self.engine) as s:
            return source_timecodes(s, clip_ids)

    def failures(self) -> list[FailureRecord]:
        """Files that could not be catalogued, then catalogued clips with a failed stage."""
        with Session(self.engine) as s:
            rows = [FailureRecord(path=f.path, stage=f.stage, error=f.error, kind=f.error_kind,
                                  last_failed_at=f.last_failed_at, attempts=f.attempts)
                    for f in s.exec(select(FileFailure).order_by(FileFailure.path))]
            failed = s.exec(select(StageRun, ClipLocation.path)
                            .join(ClipLocation, ClipLocation.clip_id == StageRun.clip_id)
                            .where(StageRun.status == "failed").order_by(ClipLocation.path)).all()
            seen = set()
            for run, path in failed:
                if (run.clip_id, run.stage) in seen:
                    continue
                seen.add((run.clip_id, run.stage))
                rows.append(FailureRecord(path=path, stage=run.stage, error=run.error or "failed", kind="stage",
                                          clip_id=run.clip_id, last_failed_at=run.finished_at,
                                          attempts=run.attempts))
        return rows

    def stats(self) -> dict[str, Any]:
        """Totals and breakdowns by codec, resolution and camera, computed in the database."""
        live = col(Clip.status).in_(("ready", "partial"))
        with Session(self.engine) as s:
            n, seconds, size = s.exec(select(func.count(Clip.id), func.coalesce(func.sum(Clip.duration_seconds), 0),
                                             func.coalesce(func.sum(Clip.size), 0)).where(live)).one()
            locations = s.exec(select(func.count(ClipLocation.id)).join(Clip, Clip.id == ClipLocation.clip_id)
                               .where(live)).one()
            failures = s.exec(select(func.count(FileFailure.id))).one()

            def group(*cols_):
                stmt = (select(*cols_, func.count(Clip.id), func.coalesce(func.sum(Clip.duration_seconds), 0),
                               func.coalesce(func.sum(Clip.size), 0))
                        .select_from(Clip).outerjoin(TechnicalMetadataRow, TechnicalMetadataRow.clip_id == Clip.id)
                        .where(live).group_by(*cols_))
                return s.exec(stmt).all()

            by_codec = [_group_row(c or "unknown", *rest) for c, *rest in group(TechnicalMetadataRow.codec)]
            by_res = [_group_row(f"{w}x{h}" if w else "unknown", *rest)
                      for w, h, *rest in group(TechnicalMetadataRow.width, TechnicalMetadataRow.height)]
            by_cam = [_group_row(" ".join(x for x in (mk, md) if x) or "unknown", *rest)
                      for mk, md, *rest in group(TechnicalMetadataRow.camera_make, TechnicalMetadataRow.camera_model)]
        key = lambda g: (-g["clips"], g["name"])  # noqa: E731
        return {
            "clips": int(n), "hours": round(float(seconds) / 3600, 4), "duration_seconds": round(float(seconds), 3),
            "bytes": int(size), "locations": int(locations), "failures": int(failures),
            "by_codec": sorted(by_codec, key=key), "by_resolution": sorted(by_res, key=key),
            "by_camera": sorted(by_cam, key=key),
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_row(name: str, clips: int, seconds: float, size: int) -> dict[str, Any]:
    return {"name": name, "clips": int(clips), "hours": round(float(seconds) / 3600, 4), "bytes": int(size)}


def _camera(make: str | None, model: str | None) -> str | None:
    parts = [p for p in (make, model) if p]
    if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
        parts = parts[1:]
    return " ".join(parts) or None


_RES_P = re.compile(r"^(\d{3,4})p$")
_RES_WXH = re.compile(r"^(\d{2,5})x(\d{2,5})$")


def _loose(expr):
    """A name compared loosely in SQL: lower case without '-', ' ', '_' ("S-Log3" → "slog3")."""
    return func.lower(func.replace(func.replace(func.replace(func.coalesce(expr, ""), "-", ""), " ", ""), "_", ""))


def _card_filters(stmt, f: ClipFilter):
    """HDR and log facets (camera cards): `hdr`, `log`, `gamma:slog3`."""
    tm = TechnicalMetadataRow
    if f.hdr is not None:
        stmt = stmt.where(col(tm.hdr_format).is_not(None) if f.hdr else col(tm.hdr_format).is_(None))
    is_log = col(tm.log_profile).is_not(None) & (tm.log_profile != "HLG")  # HLG is a broadcast HDR curve
    if f.log is not None:
        stmt = stmt.where(is_log if f.log else ~func.coalesce(is_log, False))
    if f.gamma:
        loose = re.sub(r"[^a-z0-9]", "", f.gamma.lower())
        stmt = stmt.where(or_(_loose(tm.log_profile) == loose, _loose(tm.gamma).startswith(loose)))
    return stmt


def _resolution_filter(stmt, value: str):
    """`720p`/`1080p`/`2160p` match the short side (so vertical video counts), `4k`/`8k` the long side, WxH exact."""
    v = value.strip().lower()
    w, h = TechnicalMetadataRow.width, TechnicalMetadataRow.height
    if m := _RES_P.match(v):
        return stmt.where(_least(w, h) == int(m.group(1)))
    if v in ("4k", "uhd"):
        return stmt.where(_greatest(w, h) >= 3840, _greatest(w, h) < 7680)
    if v in ("8k",):
        return stmt.where(_greatest(w, h) >= 7680)
    if v in ("hd",):
        return stmt.where(_least(w, h) == 720)
    if v in ("fhd",):
        return stmt.where(_least(w, h) == 1080)
    if m := _RES_WXH.match(v):
        return stmt.where(w == int(m.group(1)), h == int(m.group(2)))
    raise ValueError(f"unknown resolution {value!r}: use 720p, 1080p, 2160p, 4k, 8k or WIDTHxHEIGHT")


def _rating_filter(stmt, f: ClipFilter):
    """Stars, pick / reject and labels. A clip without a ratings row is unrated, unflagged and unlabelled, so the
    conditions that row-less clips meet are written as NOT IN (the rows that fail them)."""
    def rows(*conds):
        return select(ClipRating.clip_id).where(*conds)

    if f.min_rating:
        stmt = stmt.where(col(Clip.id).in_(rows(ClipRating.rating >= f.min_rating)))
    if f.max_rating is not None:
        stmt = stmt.where(col(Clip.id).not_in(rows(ClipRating.rating > f.max_rating)))
    if f.pick in ("pick", "reject"):
        stmt = stmt.where(col(Clip.id).in_(rows(ClipRating.flag == f.pick)))
    elif f.pick == "unflagged":
        stmt = stmt.where(col(Clip.id).not_in(rows(col(ClipRating.flag).is_not(None))))
    if f.label == "none":
        stmt = stmt.where(col(Clip.id).not_in(rows(col(ClipRating.label).is_not(None))))
    elif f.label:
        stmt = stmt.where(col(Clip.id).in_(rows(ClipRating.label == f.label)))
    return stmt


def _least(a, b):
    return case((a < b, a), else_=b)  # portable: SQLite has min(a, b), Postgres least(a, b)


def _greatest(a, b):
    return case((a > b, a), else_=b)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_chunks = locations.chunks  # the one chunker (IN (…) lists under SQLite's variable limit)
