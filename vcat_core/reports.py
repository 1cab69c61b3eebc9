"""Reports over the catalog (seed §5.4): storage usage, content summary, ingest history.

Each report is a dict of named sections, every section a list of flat rows, so the CLI can print it as tables,
JSON or CSV without knowing what is inside.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from .store.catalog import CatalogStore
from .store.labels import collection_clip_ids
from .store.tables import Clip, ClipLocation, ClipTag, Tag, TechnicalMetadataRow, VisionMetrics

Report = dict[str, list[dict[str, Any]]]
LIVE = ("ready", "partial")


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 4)


def storage_usage(store: CatalogStore) -> Report:
    """Bytes and hours by folder, codec and camera, and what removing duplicate copies would reclaim."""
    by_folder: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    by_codec: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    by_camera: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    reclaim_bytes = reclaim_copies = 0
    total_bytes = total_files = 0
    with Session(store.engine) as s:
        rows = s.exec(select(ClipLocation.clip_id, ClipLocation.path, ClipLocation.size, ClipLocation.online,
                             Clip.duration_seconds, TechnicalMetadataRow.codec, TechnicalMetadataRow.camera_make,
                             TechnicalMetadataRow.camera_model)
                      .join(Clip, Clip.id == ClipLocation.clip_id)
                      .outerjoin(TechnicalMetadataRow, TechnicalMetadataRow.clip_id == Clip.id)
                      .where(col(Clip.status).in_(LIVE)).order_by(ClipLocation.clip_id, ClipLocation.id))
        first_of_clip: set[int] = set()
        for clip_id, path, size, online, duration, codec, make, model in rows:
            seconds = duration or 0.0
            folder = os.path.dirname(path)
            for table, key in ((by_folder, folder), (by_codec, codec or "unknown"),
                               (by_camera, " ".join(x for x in (make, model) if x) or "unknown")):
                table[key][0] += 1
                table[key][1] += size
                table[key][2] += seconds
            total_bytes += size
            total_files += 1
            if clip_id in first_of_clip and online:
                reclaim_bytes += size
                reclaim_copies += 1
            first_of_clip.add(clip_id)

    def rows_of(table: dict[str, list[float]], name: str) -> list[dict[str, Any]]:
        return [{name: k, "files": int(v[0]), "bytes": int(v[1]), "hours": _hours(v[2])}
                for k, v in sorted(table.items(), key=lambda kv: (-kv[1][1], kv[0]))]

    return {
        "totals": [{"files": total_files, "bytes": total_bytes, "duplicate_copies": reclaim_copies,
                    "reclaimable_bytes": reclaim_bytes}],
        "by_folder": rows_of(by_folder, "folder"),
        "by_codec": rows_of(by_codec, "codec"),
        "by_camera": rows_of(by_camera, "camera"),
    }


def content_summary(store: CatalogStore, collection: str | None = None) -> Report:
    """What is in the catalog (or one collection): clips, duration, quality flags, cameras, tags."""
    with Session(store.engine) as s:
        ids_stmt = select(Clip.id).where(col(Clip.status).in_(LIVE))
        if collection:
            ids = collection_clip_ids(store, collection)
            ids_stmt = ids_stmt.where(col(Clip.id).in_(ids))
        ids_sub = ids_stmt.subquery()
        n, seconds, size = s.exec(select(func.count(Clip.id), func.coalesce(func.sum(Clip.duration_seconds), 0),
                                         func.coalesce(func.sum(Clip.size), 0))
                                  .where(col(Clip.id).in_(select(ids_sub.c.id)))).one()
        flags = Counter()
        for warning, vfr, status, rotation in s.exec(
                select(VisionMetrics.exposure_warning, TechnicalMetadataRow.is_vfr, Clip.status,
                       TechnicalMetadataRow.rotation)
                .select_from(Clip).outerjoin(VisionMetrics, VisionMetrics.clip_id == Clip.id)
                .outerjoin(TechnicalMetadataRow, TechnicalMetadataRow.clip_id == Clip.id)
                .where(col(Clip.id).in_(select(ids_sub.c.id)))):
            if warning:
                flags[warning] += 1
            if vfr:
                flags["variable_frame_rate"] += 1
            if status == "partial":
                flags["partial"] += 1
            if rotation in (90, 270):
                flags["portrait"] += 1
        cameras = s.exec(select(TechnicalMetadataRow.camera_make, TechnicalMetadataRow.camera_model,
                                func.count(TechnicalMetadataRow.clip_id))
                         .where(col(TechnicalMetadataRow.clip_id).in_(select(ids_sub.c.id)))
                         .group_by(TechnicalMetadataRow.camera_make, TechnicalMetadataRow.camera_model)
                         .order_by(func.count(TechnicalMetadataRow.clip_id).desc()).limit(10)).all()
        tags = s.exec(select(Tag.name, func.count(ClipTag.clip_id)).join(ClipTag, ClipTag.tag_id == Tag.id)
                      .where(col(ClipTag.clip_id).in_(select(ids_sub.c.id))).group_by(Tag.name)
                      .order_by(func.count(ClipTag.clip_id).desc(), Tag.name).limit(20)).all()
    return {
        "totals": [{"collection": collection or "", "clips": int(n), "hours": _hours(float(seconds)),
                    "bytes": int(size)}],
        "quality_flags": [{"flag": k, "clips": v} for k, v in sorted(flags.items(), key=lambda kv: -kv[1])],
        "top_cameras": [{"camera": " ".join(x for x in (mk, md) if x) or "unknown", "clips": int(c)}
                        for mk, md, c in cameras],
        "top_tags": [{"tag": t, "clips": int(c)} for t, c in tags],
    }


def ingest_history(store: CatalogStore, limit: int = 50) -> Report:
    runs = store.ingest_runs(limit=limit)
    rows = []
    for r in runs:
        c = r["counts"] or {}
        rows.append({"run": r["id"], "status": r["status"], "started_at": r["started_at"],
                     "finished_at": r["finished_at"] or "", "paths": " | ".join(r["paths"]),
                     "new": c.get("new", 0), "known": c.get("known", 0), "duplicates": c.get("duplicates", 0),
                     "failed": c.get("failed", 0), "seconds": round(c.get("seconds", 0.0), 1)})
    return {"runs": rows}
