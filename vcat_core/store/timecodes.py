"""Source timecode of clips, read in one place: what exports to editing systems and search moments hand on.

Start timecode lives typed in `technical_metadata` (timecode_frame, timecode_rate_num / _den, timecode_drop_frame;
the text form in `timecode`) and, for a clip made of several files, per part in `clip_parts` (timecode,
timecode_frame, offset_seconds). `source_timecodes` reads both for many clips in two queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..pipeline.metadata.timecode import Timecode, frames_in
from .locations import chunks
from .tables import ClipPartRow, TechnicalMetadataRow


@dataclass(frozen=True)
class PartTimecode:
    index: int
    path: str
    offset_seconds: float
    duration_seconds: float | None
    timecode: str | None
    frame: int | None


@dataclass(frozen=True)
class SourceTimecode:
    """A clip's start timecode at its rate; `at(seconds)` is the timecode of a moment inside the clip."""

    clip_id: int
    start: Timecode
    source: str | None = None  # which tool or file gave it: pyav, mediainfo, sidecar, xmp
    parts: list[PartTimecode] = field(default_factory=list)

    @property
    def timecode(self) -> str:
        return str(self.start)

    @property
    def rate(self) -> Fraction:
        return self.start.rate

    @property
    def drop_frame(self) -> bool:
        return self.start.drop_frame

    def at(self, seconds: float) -> Timecode:
        """The source timecode `seconds` into the clip (within a spanned recording, from the part it falls in when
        that part carries its own timecode)."""
        for part in reversed(self.parts):
            if part.frame is not None and seconds >= part.offset_seconds:
                return Timecode(part.frame, self.rate, self.drop_frame).plus(
                    frames_in(seconds - part.offset_seconds, self.rate))
        return self.start.plus(frames_in(seconds, self.rate))


def source_timecodes(s: Session, clip_ids: list[int]) -> dict[int, SourceTimecode]:
    tm, cp = TechnicalMetadataRow.__table__.c, ClipPartRow.__table__.c
    starts: dict[int, tuple[Timecode, str | None]] = {}
    parts: dict[int, list[PartTimecode]] = {}
    for chunk in chunks(list(dict.fromkeys(clip_ids))):
        for cid, frame, num, den, drop, sources in s.execute(
                select(tm.clip_id, tm.timecode_frame, tm.timecode_rate_num, tm.timecode_rate_den,
                       tm.timecode_drop_frame, tm.sources).where(tm.clip_id.in_(chunk), tm.timecode_frame.is_not(None))):
            if num and den:
                starts[cid] = (Timecode(int(frame), Fraction(num, den), bool(drop)), (sources or {}).get("timecode"))
        for row in s.execute(select(cp.clip_id, cp.part_index, cp.path, cp.offset_seconds, cp.duration_seconds,
                                    cp.timecode, cp.timecode_frame)
                             .where(cp.clip_id.in_(chunk), cp.role == "part")
                             .order_by(cp.clip_id, cp.part_index)):
            parts.setdefault(row.clip_id, []).append(PartTimecode(row.part_index, row.path, row.offset_seconds,
                                                                  row.duration_seconds, row.timecode,
                                                                  row.timecode_frame))
    return {cid: SourceTimecode(cid, start, src, parts.get(cid, [])) for cid, (start, src) in starts.items()}
