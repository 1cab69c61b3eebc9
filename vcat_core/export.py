"""Clip documents in the seed §6.1.1 shape (JSON) and their flat CSV form: what `export`, `show --json` and
`list --json` print, and what scripts depend on — keep the field names stable."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from .store import ratings
from .store.tables import TechnicalMetadataRow

_TM_FIELDS = [
    # seed §6.1.1 names first, then vcat's additions
    "codec", "container", "resolution_width", "resolution_height", "aspect_ratio", "frame_rate", "bit_rate_kbps",
    "duration_seconds", "bit_depth", "color_space", "camera_make", "camera_model", "focal_length",
    "exposure_warning", "exposure_stops", "overexposed_percentage", "underexposed_percentage",
    "is_vfr", "color_primaries", "color_transfer", "color_range", "camera_serial", "audio_codec", "audio_channels",
    "audio_sample_rate", "audio_tracks", "codec_profile", "codec_long_name", "pixel_format", "chroma_subsampling",
    "scan_type", "frame_count", "pixel_aspect_ratio", "lens_model", "focal_length_35mm", "software",
    "video_bit_rate_kbps", "gps_latitude", "gps_longitude",
    "gps_altitude", "timecode", "rotation", "exposure_issue", "mean_luma",
    # camera cards: source timecode typed, HDR / log facets, sidecar facts, spans
    "timecode_frame", "timecode_rate", "timecode_drop_frame", "hdr_format", "mastering_display", "log_profile",
    "gamma", "max_cll", "max_fall", "iso", "exposure_index", "card_layout", "decodable", "part_count",
    "parts_missing", "description", "created_at_local",
]
_RENAMED = {"resolution_width": "width", "resolution_height": "height"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def clip_document(row: dict[str, Any], catalog_dir: Path, *, detail: bool = False) -> dict[str, Any]:
    clip, md, vm = row["clip"], row["metadata"], row["vision"]
    locs = row["locations"]
    primary = next((loc for loc in locs if loc.online), locs[0] if locs else None)
    tm: dict[str, Any] = {}
    for name in _TM_FIELDS:
        src = _RENAMED.get(name, name)
        tm[name] = getattr(md, src, None) if md is not None and src in TechnicalMetadataRow.model_fields else None
    tm["duration_seconds"] = md.duration_seconds if md is not None else clip.duration_seconds
    if md is not None and md.timecode_rate_num:
        tm["timecode_rate"] = f"{md.timecode_rate_num}/{md.timecode_rate_den}"
    if vm is not None:
        tm.update(exposure_warning=vm.exposure_warning is not None, exposure_issue=vm.exposure_warning,
                  exposure_stops=vm.exposure_stops, overexposed_percentage=vm.overexposed_percentage,
                  underexposed_percentage=vm.underexposed_percentage, mean_luma=vm.mean_luma)
    thumbs = [
        {"path": str(catalog_dir / t.path), "width": t.width, "height": t.height,
         "timestamp_seconds": round(t.timestamp_seconds, 3), "frame_number": t.frame_number,
         "frame_index": t.frame_index, "is_keyframe": t.is_keyframe, "scores": t.scores or {},
         "remote_path": t.remote_path}
        for t in row["thumbnails"]
    ]
    largest: dict[int, dict] = {}
    for t in thumbs:
        if t["frame_index"] not in largest or t["width"] > largest[t["frame_index"]]["width"]:
            largest[t["frame_index"]] = t
    quality = None
    shots = []
    if vm is not None and vm.vision_version:
        quality = {"sharpness": vm.sharpness, "noise": vm.noise, "blockiness": vm.blockiness,
                   "complexity": vm.complexity, "shot_type": vm.shot_type, "flags": list(vm.flags or []),
                   "sharpness_worst": vm.sharpness_worst, "noise_worst": vm.noise_worst,
                   "blockiness_worst": vm.blockiness_worst}
        for shot in vm.shots or []:
            rep = largest.get(shot.get("thumbnail_index"))
            shots.append({"start_seconds": shot.get("start_seconds"), "end_seconds": shot.get("end_seconds"),
                          "thumbnail": rep["path"] if rep else None})
    doc = {
        "id": clip.id,
        "file_path": primary.path if primary else None,
        "file_name": clip.name if primary is None else Path(primary.path).name,
        "file_checksum": clip.fingerprint,
        "checksum_algorithm": clip.hash_algorithm,
        "file_size_bytes": clip.size,
        "created_at": _iso(clip.created_at),
        "processed_at": _iso(clip.processed_at),
        "duration_seconds": clip.duration_seconds,
        "status": clip.status,
        "technical_metadata": tm,
        "quality": quality,
        "shots": shots,
        "thumbnail_paths": _picked(largest),
        "thumbnails": thumbs,
        "locations": [{"path": loc.path, "online": loc.online, "seen_at": _iso(loc.seen_at)} for loc in locs],
        "transcript": _transcript(row.get("transcript")),
        "screen_text": [{"start_seconds": sp["start_seconds"], "end_seconds": sp["end_seconds"], "text": sp["text"]}
                        for sp in row.get("screen_text") or []],
        "non_speech_events": list((row["transcript"].events or []) if row.get("transcript") else []),
        "analysis": _analysis(row.get("analysis")),
        "tags": list(row.get("tags", [])),
        "collections": list(row.get("collections", [])),
        **ratings.as_dict(row.get("rating")),  # culling: rating (0-5), pick ("pick" | "reject" | None), label
        "parts": [{"index": p.part_index, "role": p.role, "path": p.path, "size": p.size,
                   "duration_seconds": p.duration_seconds, "offset_seconds": p.offset_seconds,
                   "timecode": p.timecode, "timecode_frame": p.timecode_frame} for p in row.get("parts", [])],
    }
    if detail:
        doc["stages"] = {s.stage: {"status": s.status, "error": s.error, "attempts": s.attempts,
                                   "seconds": s.seconds, "read_from": s.read_from} for s in row["stages"]}
        doc["metadata_sources"] = (md.sources or {}) if md is not None else {}
        doc["metadata_warnings"] = (md.warnings or []) if md is not None else []
        doc["created_at_source"] = md.created_at_source if md is not None else None
    return doc


def _transcript(tr) -> dict[str, Any] | None:
    if tr is None:
        return None
    return {"language": tr.language, "text": tr.text, "no_speech": tr.no_speech, "model": tr.model,
            "segments": [{"start_seconds": seg.get("start"), "end_seconds": seg.get("end"), "text": seg.get("text"),
                          "speaker": seg.get("speaker")} for seg in (tr.segments or [])],
            "speakers": tr.speakers}


def _analysis(an) -> dict[str, Any] | None:
    if an is None:
        return None
    return {"summary": an.summary, "keywords": an.keywords or [], "entities": an.entities or [],
            "scene_classification": an.scene_classification,
            "sentiment": {"label": an.sentiment_label, "score": an.sentiment_score},
            "content_warnings": an.content_warnings or [], "technical_quality": an.technical_quality,
            "provider": an.provider, "model": an.model, "complete": an.complete, "problems": an.problems or []}


def _picked(largest: dict[int, dict]) -> list[str]:
    """The thumbnails the vision stage chose (best, no near-duplicates, one per shot first) in time order; every
    candidate when no selection was made."""
    chosen = [k for k, t in largest.items() if (t["scores"].get("ranking") or {}).get("chosen")]
    return [largest[k]["path"] for k in sorted(chosen or largest)]


def write_json(docs: Iterable[dict[str, Any]], out: TextIO) -> None:
    """Stream a JSON array (one document at a time: exports of 100k clips stay flat in memory)."""
    out.write("[")
    for i, doc in enumerate(docs):
        out.write(",\n" if i else "\n")
        out.write(json.dumps(doc, ensure_ascii=False, default=str))
    out.write("\n]\n")


CSV_COLUMNS = (["id", "file_path", "file_name", "file_checksum", "checksum_algorithm", "file_size_bytes",
                "created_at", "processed_at", "duration_seconds", "status"]
               + [f for f in _TM_FIELDS if f != "duration_seconds"]
               + ["sharpness", "noise", "blockiness", "complexity", "shot_type", "quality_flags", "shots",
                  "summary", "keywords", "scene", "sentiment", "language", "transcript",
                  "locations", "tags", "collections", "thumbnail_count", "thumbnail_paths",
                  "rating", "pick", "label", "screen_text"])


def csv_row(doc: dict[str, Any]) -> dict[str, Any]:
    row = {k: doc.get(k) for k in CSV_COLUMNS[:10]}
    tm = doc["technical_metadata"]
    row.update({k: tm.get(k) for k in _TM_FIELDS if k != "duration_seconds"})
    row["parts_missing"] = " | ".join(tm.get("parts_missing") or [])
    row["locations"] = " | ".join(loc["path"] for loc in doc["locations"])
    q = doc.get("quality") or {}
    for k in ("sharpness", "noise", "blockiness", "complexity", "shot_type"):
        row[k] = q.get(k)
    row["quality_flags"] = " | ".join(q.get("flags") or [])
    row["shots"] = len(doc.get("shots") or [])
    an = doc.get("analysis") or {}
    row["summary"], row["scene"] = an.get("summary"), an.get("scene_classification")
    row["keywords"] = " | ".join(an.get("keywords") or [])
    row["sentiment"] = (an.get("sentiment") or {}).get("label")
    tr = doc.get("transcript") or {}
    row["language"], row["transcript"] = tr.get("language"), tr.get("text")
    row["tags"] = " | ".join(doc["tags"])
    row["collections"] = " | ".join(doc["collections"])
    row["thumbnail_count"] = len(doc["thumbnail_paths"])
    row["thumbnail_paths"] = " | ".join(doc["thumbnail_paths"])
    row.update(rating=doc.get("rating", 0), pick=doc.get("pick"), label=doc.get("label"))
    row["screen_text"] = " | ".join(sp["text"] for sp in doc.get("screen_text") or [])
    return row


def write_csv(docs: Iterable[dict[str, Any]], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for doc in docs:
        writer.writerow(csv_row(doc))
