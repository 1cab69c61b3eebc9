"""Writing one clip's analysis: plain SQL statements (SQLAlchemy Core) inside the caller's transaction.

Why not the ORM: a short clip carries ~40 rows (thumbnails at three sizes, stage runs, metrics), and the ORM's
unit of work spent ~16 ms per clip on them (autoflushes, identity map, one INSERT per object) — the single store
thread became the ingest's bottleneck on a drive of short clips. Here each table takes one executemany.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from ..models import ClipAnalysis
from . import locations
from .screen_text import write_screen_text
from .tables import (
    AnalysisRow,
    Clip,
    ClipLocation,
    ClipPartRow,
    ClipTag,
    EmbeddingRow,
    FileFailure,
    StageRun,
    Tag,
    TechnicalMetadataRow,
    ThumbnailRow,
    TranscriptRow,
    VisionMetrics,
    utcnow,
)

VISION_FIELDS = ("sharpness", "sharpness_worst", "noise", "noise_worst", "blockiness", "blockiness_worst",
                 "complexity", "shot_type", "flags")


def upsert(s: Session, table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """UPDATE the row with `key`, or INSERT it: the same two statements on SQLite and Postgres."""
    where = and_(*(table.c[k] == v for k, v in key.items()))
    if s.execute(update(table).where(where).values(**values)).rowcount == 0:
        s.execute(insert(table).values(**key, **values))


def write_analysis(s: Session, a: ClipAnalysis, *, owner: str | None, project_id: int | None) -> tuple[int, bool]:
    """Everything computed for one clip; returns (clip id, whether the clip is new). The caller holds the write
    transaction (and the content lock), re-indexes the clip's text and bumps the change counter."""
    clips = Clip.__table__
    now = utcnow()
    clip_id = s.execute(select(clips.c.id).where(clips.c.fingerprint == a.fingerprint.digest)).scalar()
    if clip_id is None and (clip_id := grown_span(s, a)) is not None:  # its missing part arrived: same clip
        s.execute(update(clips).where(clips.c.id == clip_id).values(
            fingerprint=a.fingerprint.digest, hash_algorithm=a.fingerprint.algorithm, size=a.fingerprint.size,
            name=os.path.basename(a.candidate.path)))
        created = False
    else:
        created = clip_id is None
    if created:
        row = {"fingerprint": a.fingerprint.digest, "hash_algorithm": a.fingerprint.algorithm,
               "size": a.fingerprint.size, "name": os.path.basename(a.candidate.path), "project_id": project_id,
               "first_seen_at": now, "status": "pending"}
        if owner is not None:
            row["owner"] = owner  # else the database fills it in (Postgres) or leaves it empty (SQLite)
        clip_id = s.execute(insert(clips).values(**row).returning(clips.c.id)).scalar_one()
    locations.upsert_locations(s, [(clip_id, a.candidate)])
    clip_values: dict[str, Any] = {}
    md = a.metadata
    if md is not None:
        tm = TechnicalMetadataRow.__table__
        fields = md.model_dump(exclude={"raw", "sources", "warnings"})
        fields = {k: v for k, v in fields.items() if k in tm.c}
        if fields.get("codec"):
            fields["codec"] = fields["codec"].lower()  # compared as written: `list --codec` uses the index
        s.execute(delete(tm).where(tm.c.clip_id == clip_id))
        s.execute(insert(tm).values(clip_id=clip_id, sources=dict(md.sources), warnings=list(md.warnings),
                                    raw=_jsonable(md.raw), **fields))
        clip_values.update(duration_seconds=md.duration_seconds, created_at=md.created_at)
        from .ratings import seed_from_xmp  # (ratings imports the catalog, which imports this module)

        seed_from_xmp(s, clip_id, (md.raw or {}).get("exiftool"))  # only a clip not yet rated
        _write_parts(s, clip_id, a)
        _write_keyword_tags(s, clip_id, md.keywords)
    if a.thumbnails is not None:
        _write_thumbnails(s, clip_id, a)
    if a.exposure is not None or a.vision is not None:
        values: dict[str, Any] = {}
        if a.exposure is not None:
            values.update(a.exposure.model_dump())
        if a.vision is not None:
            values.update({k: a.vision.quality.get(k) for k in VISION_FIELDS})
            values.update(shots=a.vision.shots, vision_version=a.vision.algorithm_version)
        vm = VisionMetrics.__table__
        upsert(s, vm, {"clip_id": clip_id}, {k: v for k, v in values.items() if k in vm.c})
    if a.screen_text is not None:  # None: not read this time, the old text stays
        write_screen_text(s, clip_id, a.screen_text)
    if a.faces is not None:
        from .people import write_faces  # (people imports the catalog, which imports this module)

        write_faces(s, clip_id, a.faces)
    _write_ai(s, clip_id, a, now)
    statuses = _write_stage_runs(s, clip_id, a, now)
    has_metadata = md is not None or s.execute(select(TechnicalMetadataRow.__table__.c.clip_id).where(
        TechnicalMetadataRow.__table__.c.clip_id == clip_id)).first() is not None
    s.execute(update(clips).where(clips.c.id == clip_id).values(
        status=clip_status(statuses, has_metadata), processed_at=now, **clip_values))
    ff = FileFailure.__table__
    s.execute(delete(ff).where(ff.c.path.in_(a.candidate.paths)))
    return clip_id, created


def grown_span(s: Session, a: ClipAnalysis) -> int | None:
    """The clip a spanned recording already is, catalogued while a part was missing: one whose recording had
    `parts_missing`, whose every location is one of this span's files and whose parts still hold the same bytes
    (a card formatted and shot again reuses the names). Adding the part changes the content's fingerprint, never
    the clip (its tags, ratings, collections stay)."""
    paths = [p.path for p in a.candidate.parts or []]
    if not paths:
        return None
    digests = dict(zip(paths, a.fingerprint.parts or []))
    loc, tm, cp = ClipLocation.__table__.c, TechnicalMetadataRow.__table__.c, ClipPartRow.__table__.c
    owners = {cid for (cid,) in s.execute(select(loc.clip_id).where(loc.path.in_(paths)))}
    for cid in sorted(owners):
        missing = s.execute(select(tm.parts_missing).where(tm.clip_id == cid)).scalar()
        where = {p for (p,) in s.execute(select(loc.path).where(loc.clip_id == cid))}
        had = s.execute(select(cp.path, cp.fingerprint).where(cp.clip_id == cid, cp.role == "part")).all()
        if missing and where <= set(paths) and had and all(fp and digests.get(path) == fp for path, fp in had):
            return cid
    return None


def _write_parts(s: Session, clip_id: int, a: ClipAnalysis) -> None:
    """The files of a spanned recording (and its proxies), in order, with their own duration and timecode."""
    table = ClipPartRow.__table__
    s.execute(delete(table).where(table.c.clip_id == clip_id))
    rows = [{"clip_id": clip_id, "part_index": p.index, "role": p.role, "path": p.path, "size": p.size,
             "fingerprint": p.fingerprint, "duration_seconds": p.duration_seconds, "offset_seconds": p.offset_seconds,
             "timecode": p.timecode, "timecode_frame": p.timecode_frame} for p in a.metadata.parts]
    if rows:
        s.execute(insert(table), rows)


def _write_keyword_tags(s: Session, clip_id: int, keywords: list[str]) -> None:
    """XMP / sidecar keywords become tags (added, never removed: tags are the user's once they exist)."""
    names = sorted({" ".join(k.strip().lower().split())[:100] for k in keywords if k and k.strip()})
    if not names:
        return
    tags, links = Tag.__table__, ClipTag.__table__
    for name in names:
        tag_id = s.execute(select(tags.c.id).where(tags.c.name == name)).scalar()
        if tag_id is None:
            tag_id = s.execute(insert(tags).values(name=name, created_at=utcnow()).returning(tags.c.id)).scalar_one()
        if s.execute(select(links.c.clip_id).where(links.c.clip_id == clip_id, links.c.tag_id == tag_id)).first() \
                is None:
            s.execute(insert(links).values(clip_id=clip_id, tag_id=tag_id, added_at=utcnow()))


def _write_thumbnails(s: Session, clip_id: int, a: ClipAnalysis) -> None:
    th_table = ThumbnailRow.__table__
    s.execute(delete(th_table).where(th_table.c.clip_id == clip_id))
    rows = []
    for th in a.thumbnails.thumbnails:
        scores = {k: v for k, v in (("exposure", th.exposure.model_dump() if th.exposure else None),
                                    ("quality", th.quality), ("ranking", th.ranking)) if v} or None
        for img in th.images:
            rows.append({"clip_id": clip_id, "frame_index": th.index, "frame_number": th.frame_number,
                         "timestamp_seconds": th.timestamp_seconds, "width": img.width, "height": img.height,
                         "path": img.path, "is_keyframe": th.is_keyframe, "scores": scores})
    if rows:
        s.execute(insert(th_table), rows)


def _write_ai(s: Session, clip_id: int, a: ClipAnalysis, now) -> None:
    """Transcript, analysis and embeddings of one clip."""
    if a.audio is not None:
        t = a.audio.get("transcript") or {}
        segments = t.get("segments") or []
        upsert(s, TranscriptRow.__table__, {"clip_id": clip_id}, {
            "language": t.get("language"), "no_speech": bool(t.get("no_speech")), "model": t.get("model"),
            "text": " ".join(seg.get("text", "").strip() for seg in segments).strip(), "segments": segments,
            "speakers": a.audio.get("speakers"), "events": a.audio.get("events"),
            "duration_seconds": a.audio.get("duration"), "created_at": now})
    if a.analysis is not None:
        an = a.analysis
        sentiment = an.get("sentiment") or {}
        upsert(s, AnalysisRow.__table__, {"clip_id": clip_id}, {
            "summary": an.get("summary") or "", "keywords": an.get("keywords"), "entities": an.get("entities"),
            "scene_classification": an.get("scene_classification"), "sentiment_label": sentiment.get("label"),
            "sentiment_score": sentiment.get("score"), "content_warnings": an.get("content_warnings"),
            "technical_quality": an.get("technical_quality"), "provider": an.get("provider"),
            "model": an.get("model"), "complete": bool(an.get("complete")), "problems": an.get("problems"),
            "usage": an.get("usage"), "raw": an.get("raw"), "created_at": now})
    if a.embeddings is not None:
        write_embeddings(s, clip_id, a.embeddings)


def write_embeddings(s: Session, clip_id: int, embeddings: list[dict], *, all_models: bool = False) -> None:
    """Replace the clip's vectors of the models given (of every model with `all_models`)."""
    emb = EmbeddingRow.__table__
    models = {e["model"] for e in embeddings}
    where = emb.c.clip_id == clip_id
    if not all_models:
        if not models:
            return
        where = and_(where, emb.c.model.in_(models))
    s.execute(delete(emb).where(where))
    rows = [{"clip_id": clip_id, "kind": e["kind"], "ref": e["ref"], "start_seconds": e["start_seconds"],
             "end_seconds": e["end_seconds"], "text": e["text"], "model": e["model"], "dim": e["dim"],
             "vector": e["vector"]} for e in embeddings]
    if rows:
        s.execute(insert(emb), rows)


def _write_stage_runs(s: Session, clip_id: int, a: ClipAnalysis, now) -> dict[str, str]:
    sr = StageRun.__table__
    existing = {stage: (status, attempts) for stage, status, attempts in s.execute(
        select(sr.c.stage, sr.c.status, sr.c.attempts).where(sr.c.clip_id == clip_id))}
    for out in a.outcomes:
        values = {"status": out.status, "error": out.error, "seconds": out.seconds, "finished_at": now,
                  "read_from": out.read_from}
        if out.stage in existing:
            s.execute(update(sr).where(and_(sr.c.clip_id == clip_id, sr.c.stage == out.stage)).values(
                attempts=(existing[out.stage][1] or 0) + 1, **values))
        else:
            s.execute(insert(sr).values(clip_id=clip_id, stage=out.stage, attempts=1, **values))
        existing[out.stage] = (out.status, 0)
    return {stage: status for stage, (status, _) in existing.items()}


def clip_status(statuses: dict[str, str], has_metadata: bool) -> str:
    """ready: catalogued, no stage failed (stages not asked for yet, e.g. `--skip-visual`, do not count) ·
    partial: catalogued but a stage failed (e.g. a truncated file's readable part) · failed/pending: nothing usable."""
    if not has_metadata:
        return "failed" if "failed" in statuses.values() else "pending"
    return "partial" if "failed" in statuses.values() else "ready"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
