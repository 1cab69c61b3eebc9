"""Where a clip starts in source timecode and at which rate: the one question every timeline export asks.

Sources are tried in order; the first that answers wins. Today the catalog's reconciled `timecode` field (tmcd
track, MXF, MPEG GOP header) is the only one; the camera-card work (sidecars, spanned clips) registers its own in
front with `register_timing_source`. No answer: 00:00:00:00 at the clip's own rate."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentimelineio.opentime import RationalTime, from_timecode

_NTSC = (24, 30, 48, 60, 120)  # nominal rates whose 1000/1001 variants cameras record
_TIMECODE = re.compile(r"^\d{1,2}:\d{2}:\d{2}[:;.]\d{2,3}$")
DEFAULT_RATE = 24.0


def ntsc_base(rate: float, tolerance: float = 1e-6) -> int | None:
    """24 for 23.976, 30 for 29.97…; None for a rate that is not a 1000/1001 one."""
    return next((n for n in _NTSC if abs(rate - n * 1000 / 1001) < tolerance), None)


def exact_rate(fps: float | None) -> float:
    """The exact rate behind a measured frame rate: 23.976… → 24000/1001, 25.0003 → 25 (a float OTIO keeps)."""
    if not fps or fps <= 0:
        return DEFAULT_RATE
    base = ntsc_base(fps, 0.005)
    if base:
        return base * 1000 / 1001
    if abs(fps - round(fps)) < 0.005:
        return float(round(fps))
    return float(fps)


def is_drop_frame_rate(rate: float) -> bool:
    """29.97 and 59.94 count in drop-frame timecode (the convention of every NTSC camera and NLE)."""
    return ntsc_base(rate) in (30, 60)


@dataclass(frozen=True)
class SourceTiming:
    start: RationalTime  # first frame of the media, in source timecode, at `rate`
    rate: float
    drop_frame: bool  # the source counts in drop-frame timecode (29.97/59.94 with ";")
    source: str  # where the start came from: "catalog" (metadata), "default" (00:00:00:00), or a registered name

    @property
    def frames(self) -> int:
        return round(self.start.value)


TimingSource = Callable[[dict[str, Any], float], "SourceTiming | None"]


def _catalog_timecode(doc: dict[str, Any], rate: float) -> SourceTiming | None:
    tc = (doc.get("technical_metadata") or {}).get("timecode")
    if not tc or not _TIMECODE.match(tc.strip()):
        return None
    tc = tc.strip().replace(".", ":")
    drop = ";" in tc and is_drop_frame_rate(rate)  # a camera recording 29.97 NDF writes colons
    try:
        start = from_timecode(tc, rate)
    except ValueError:
        return None
    return SourceTiming(RationalTime(round(start.value), rate), rate, drop, "catalog")


_SOURCES: list[tuple[str, TimingSource]] = [("catalog", _catalog_timecode)]


def register_timing_source(name: str, fn: TimingSource) -> None:
    """Put a timecode source (e.g. camera-card sidecars) before the catalog's own field."""
    _SOURCES[:] = [(n, f) for n, f in _SOURCES if n != name]
    _SOURCES.insert(0, (name, fn))


def source_timing(doc: dict[str, Any]) -> SourceTiming:
    """Source start timecode and rate of one clip (an export document)."""
    rate = exact_rate((doc.get("technical_metadata") or {}).get("frame_rate"))
    for _name, fn in _SOURCES:
        found = fn(doc, rate)
        if found is not None:
            return found
    return SourceTiming(RationalTime(0, rate), rate, is_drop_frame_rate(rate), "default")
