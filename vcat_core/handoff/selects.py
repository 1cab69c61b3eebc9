"""A select: one clip and the part of it that goes to the edit (a search moment, or the whole clip), in frames of
the clip's own rate. Everything after this (timelines, markers, contact sheets) works on selects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .timing import SourceTiming, source_timing


@dataclass
class Select:
    doc: dict[str, Any]  # the clip's export document (vcat_core.export.clip_document)
    timing: SourceTiming
    in_frame: int  # first frame, counted from the media's first frame
    out_frame: int  # one past the last frame
    total_frames: int
    moment: dict[str, Any] | None = None  # the search moment this select was cut around
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.timing.rate

    @property
    def name(self) -> str:
        return self.doc.get("file_name") or f"clip {self.doc.get('id')}"

    def frame_at(self, seconds: float | None) -> int:
        """The frame a time in the clip falls on (nearest frame boundary), within the media."""
        return max(0, min(self.total_frames, round((seconds or 0.0) * self.rate)))


def _total_frames(doc: dict[str, Any], rate: float) -> int:
    tm = doc.get("technical_metadata") or {}
    if tm.get("frame_count"):
        return int(tm["frame_count"])
    return max(1, round((tm.get("duration_seconds") or doc.get("duration_seconds") or 0.0) * rate))


def make_select(doc: dict[str, Any], moment: dict[str, Any] | None = None) -> Select:
    timing = source_timing(doc)
    total = _total_frames(doc, timing.rate)
    sel = Select(doc, timing, 0, total, total, moment)
    if moment and moment.get("start_seconds") is not None:
        start = sel.frame_at(moment["start_seconds"])
        end = sel.frame_at(moment.get("end_seconds")) if moment.get("end_seconds") is not None else total
        sel.in_frame, sel.out_frame = min(start, total - 1), max(min(end, total), min(start, total - 1) + 1)
    return sel


def selects_from_documents(docs: list[dict[str, Any]], moments: list[dict[str, Any] | None] | None = None,
                           ) -> list[Select]:
    """Selects in the given order; a moment (search hit) trims its clip to that moment."""
    moments = moments or [None] * len(docs)
    return [make_select(doc, m) for doc, m in zip(docs, moments)]
