"""One entry for every hand-off format: timelines (fcpxml, xmeml, edl, otio) and contact sheets (pdf, png)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .contact_sheet import SHEET_FORMATS, write_contact_sheet
from .selects import Select
from .timeline import TIMELINE_FORMATS, TimelineOptions, write_timeline

HANDOFF_FORMATS = (*TIMELINE_FORMATS, *SHEET_FORMATS)


@dataclass
class HandoffReport:
    path: str
    format: str
    clips: int
    markers: int = 0
    rates: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file written (a long PNG sheet: several)


def write_handoff(selects: list[Select], fmt: str, path: str | Path, options: TimelineOptions) -> HandoffReport:
    if fmt in TIMELINE_FORMATS:
        r = write_timeline(selects, fmt, path, options)
        return HandoffReport(r.path, fmt, r.clips, r.markers, r.rates, r.warnings, [r.path])
    if fmt in SHEET_FORMATS:
        files = [str(f) for f in write_contact_sheet(selects, fmt, path, options.name)]
        return HandoffReport(str(path), fmt, len(selects), files=files)
    raise ValueError(f"unknown hand-off format {fmt!r}; one of: {', '.join(HANDOFF_FORMATS)}")
