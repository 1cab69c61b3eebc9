"""Selects → one OpenTimelineIO timeline → the file an editing system opens (FCPXML, FCP7 XML, CMX 3600 EDL,
.otio). Each clip keeps its own rate and source timecode; in/out and markers are whole frames of that rate."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import opentimelineio as otio
from opentimelineio.opentime import RationalTime, TimeRange

from .fcpxml import timeline_to_fcpxml
from .markers import clip_markers
from .media_paths import find_proxy, media_url
from .selects import Select
from .timing import is_drop_frame_rate

TIMELINE_FORMATS = {"fcpxml": ".fcpxml", "xmeml": ".xml", "edl": ".edl", "otio": ".otio"}


@dataclass
class TimelineOptions:
    name: str = "vcat selects"
    root: str | None = None  # media paths relative to this folder (None: absolute file URLs)
    proxies: bool = False  # point at a proxy where one is found beside the original


@dataclass
class TimelineReport:
    path: str
    format: str
    clips: int
    markers: int
    rates: list[float]
    warnings: list[str] = field(default_factory=list)


def _reel(name: str) -> str:
    """An 8-character CMX reel name from the file name (letters and digits, as Avid expects)."""
    return (re.sub(r"[^A-Za-z0-9]", "", Path(name).stem) or "AX")[:8].upper()


def build_timeline(selects: list[Select], options: TimelineOptions) -> tuple[otio.schema.Timeline, list[str]]:
    warnings: list[str] = []
    timeline = otio.schema.Timeline(name=options.name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for sel in selects:
        path = sel.doc.get("file_path")
        if not path:
            warnings.append(f"{sel.name}: no known location, left out")
            continue
        if options.proxies:
            proxy = find_proxy(path, sel.doc)
            if proxy:
                path = proxy
            else:
                warnings.append(f"{sel.name}: no proxy found beside it, the original is used")
        rate, start = sel.rate, sel.timing.start
        ref = otio.schema.ExternalReference(
            target_url=media_url(path, options.root),
            available_range=TimeRange(start, RationalTime(sel.total_frames, rate)))
        tm = sel.doc.get("technical_metadata") or {}
        clip = otio.schema.Clip(
            name=sel.name, media_reference=ref,
            source_range=TimeRange(start + RationalTime(sel.in_frame, rate),
                                   RationalTime(sel.out_frame - sel.in_frame, rate)),
            metadata={"vcat": {"clip_id": sel.doc.get("id"), "checksum": sel.doc.get("file_checksum"),
                               "timecode_source": sel.timing.source, "drop_frame": sel.timing.drop_frame,
                               "width": tm.get("resolution_width"), "height": tm.get("resolution_height"),
                               "has_audio": bool(tm.get("audio_codec")), "tags": list(sel.doc.get("tags") or []),
                               "original_url": media_url(sel.doc["file_path"], options.root)},
                      "cmx_3600": {"reel": _reel(sel.name)}})
        for m in clip_markers(sel):
            clip.markers.append(otio.schema.Marker(
                name=m.text, color=m.color, metadata={"vcat": {"kind": m.kind}},
                marked_range=TimeRange(start + RationalTime(m.frame, rate), RationalTime(m.duration, rate))))
        track.append(clip)
    return timeline, warnings


def timeline_text(timeline: otio.schema.Timeline, fmt: str) -> str:
    if fmt == "fcpxml":
        return timeline_to_fcpxml(timeline)
    if fmt == "xmeml":
        return otio.adapters.write_to_string(timeline, "fcp_xml")
    if fmt == "otio":
        return otio.adapters.write_to_string(timeline, "otio_json")
    if fmt == "edl":
        return _edl(timeline)
    raise ValueError(f"unknown timeline format {fmt!r}; one of: {', '.join(TIMELINE_FORMATS)}")


def _edl(timeline: otio.schema.Timeline) -> str:
    """CMX 3600 at the first clip's rate, with the FCM line the adapter leaves out. The adapter writes 29.97/59.94
    in drop-frame timecode whatever the source counted in (the frame numbers are the same), so FCM says so.
    An EDL has one rate: clips at another rate are listed at the record rate."""
    clips = list(timeline.find_clips())
    rate = clips[0].source_range.duration.rate if clips else 24.0
    text = otio.adapters.write_to_string(timeline, "cmx_3600", rate=rate, style="avid")
    fcm = "FCM: DROP FRAME" if is_drop_frame_rate(rate) else "FCM: NON-DROP FRAME"
    lines = text.splitlines()
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    return "\n".join(lines[:at] + [fcm] + lines[at:]) + "\n"


def write_timeline(selects: list[Select], fmt: str, path: str | Path, options: TimelineOptions) -> TimelineReport:
    timeline, warnings = build_timeline(selects, options)
    clips = list(timeline.find_clips())
    if not clips:
        raise ValueError("nothing to export: " + ("; ".join(warnings) or "no clips"))
    rates = sorted({c.source_range.duration.rate for c in clips})
    if fmt == "edl" and len(rates) > 1:
        warnings.append("clips at several frame rates: an EDL has one, so the record side uses the first clip's")
    text = timeline_text(timeline, fmt)
    Path(path).write_text(text, encoding="utf-8")
    return TimelineReport(str(path), fmt, len(clips), sum(len(c.markers) for c in clips), rates, warnings)
