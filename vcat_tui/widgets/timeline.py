"""The clip's timeline under the picture: shots (alternating shades, a bar at each cut), where speech is (transcript
segments), the thumbnails' frames, search moments (◆) and the playhead (▲), with a caption saying where it is.

`timeline_lines` is a pure function (duration, marks, width → three lines of styled text); the widget only keeps
the marks and redraws at its width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.widget import Widget

from .. import format as fmt

SHOT_SHADES = ("on #3a4a5c", "on #2a3644")


@dataclass
class Marks:
    """What a clip's timeline shows, in seconds."""

    duration: float = 0.0
    shots: list[tuple[float, float]] = field(default_factory=list)
    speech: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, text
    frames: list[float] = field(default_factory=list)  # thumbnail timestamps
    moments: list[float] = field(default_factory=list)  # search hits inside the clip
    seen: list[tuple[float, float, str]] = field(default_factory=list)  # on-screen text: first, last seen, text

    @classmethod
    def of(cls, doc: dict[str, Any], moments: list[float] | None = None) -> "Marks":
        """The marks of a clip's detail document (`clip_document(..., detail=True)`)."""
        duration = doc.get("duration_seconds") or 0.0
        shots = [(s["start_seconds"] or 0.0, s["end_seconds"] or duration) for s in doc.get("shots") or []]
        tr = doc.get("transcript") or {}
        speech = [(s["start_seconds"] or 0.0, s["end_seconds"] or 0.0, (s.get("text") or "").strip())
                  for s in tr.get("segments") or [] if s.get("start_seconds") is not None]
        frames = sorted({t["timestamp_seconds"] for t in doc.get("thumbnails") or []})
        seen = [(s["start_seconds"], s["end_seconds"], s["text"]) for s in doc.get("screen_text") or []]
        return cls(duration, shots, speech, frames, list(moments or []), seen)

    def shot_at(self, t: float) -> int | None:
        return next((i for i, (a, b) in enumerate(self.shots) if a <= t < b or (i == len(self.shots) - 1 and t >= a)),
                    None)

    def speech_at(self, t: float) -> str | None:
        return next((text for a, b, text in self.speech if a <= t < b), None)

    def text_at(self, t: float) -> str | None:
        """The on-screen text read between its first and last frame around `t` (frames are read ~2 s apart)."""
        return next((text for a, b, text in self.seen if a - 0.05 <= t <= b + 0.05), None)


def _cell(t: float, duration: float, width: int) -> int:
    return min(max(int(t / duration * width), 0), width - 1) if duration > 0 else 0


_TIMECODE = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d+)?)(?::(\d{1,2}))?$")


def parse_timecode(text: str, fps: float | None = None) -> float:
    """Seconds from `83`, `83.5`, `1:23`, `1:02:03.5` or `01:02:03:12` (hours:minutes:seconds:frames, at `fps`,
    25 when unknown); raises ValueError for anything else."""
    m = _TIMECODE.match(text.strip())
    if not m:
        raise ValueError(f"not a timecode: {text!r} (use 83, 1:23, 1:02:03 or 01:02:03:12)")
    h, mins, secs, frames = m.groups()
    value = int(h or 0) * 3600 + int(mins or 0) * 60 + float(secs)
    if frames is not None:
        value += int(frames) / (fps or 25.0)
    return value


def timeline_lines(marks: Marks, position: float, width: int) -> Text:
    """Three lines `width` cells wide: shots and cuts, speech and frames, moments and the playhead."""
    width = max(width, 10)
    d = marks.duration
    shots = Text()
    if marks.shots and d > 0:
        cuts = {_cell(a, d, width) for a, _ in marks.shots[1:]}
        for x in range(width):
            i = marks.shot_at((x + 0.5) * d / width) or 0
            shots.append("┃" if x in cuts else " ", style=SHOT_SHADES[i % 2] + (" bold #e0e0e0" if x in cuts else ""))
    else:
        shots.append(" " * width, style=SHOT_SHADES[0])
    lane = [" "] * width
    styles = [""] * width
    for a, b, _ in marks.speech:
        for x in range(_cell(a, d, width), _cell(max(b - 1e-6, a), d, width) + 1):
            lane[x], styles[x] = "▬", "#57ab5a"
    for t in marks.frames:
        x = _cell(t, d, width)
        if lane[x] == " ":
            lane[x], styles[x] = "·", "#808080"
    speech = Text()
    for ch, st in zip(lane, styles):
        speech.append(ch, style=st)
    marks_line = [" "] * width
    mark_styles = [""] * width
    for t in marks.moments:
        x = _cell(t, d, width)
        marks_line[x], mark_styles[x] = "◆", "bold #d4a72c"
    x = _cell(position, d, width)
    marks_line[x], mark_styles[x] = "▲", "bold #539bf5"
    bottom = Text()
    for ch, st in zip(marks_line, mark_styles):
        bottom.append(ch, style=st)
    return Text("\n").join([shots, speech, bottom])


def caption(marks: Marks, position: float) -> Text:
    """`0:12.4 / 0:30.0 · shot 3/7 · “what is said here” · on screen “EXIT 14”`."""
    parts = [f"{fmt.timestamp(position)} / {fmt.timestamp(marks.duration)}"]
    shot = marks.shot_at(position)
    if shot is not None:
        parts.append(f"shot {shot + 1}/{len(marks.shots)}")
    said = marks.speech_at(position)
    if said:
        parts.append(f"“{said}”")
    seen = marks.text_at(position)
    if seen:
        parts.append(f"on screen “{seen}”")
    return Text(" · ".join(parts), no_wrap=True, overflow="ellipsis", style="dim")


class Timeline(Widget):
    """The timeline of one clip at one position."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.marks = Marks()
        self.position = 0.0

    def show(self, marks: Marks, position: float) -> None:
        self.marks, self.position = marks, position
        self.refresh()

    def render(self) -> Text:
        out = timeline_lines(self.marks, self.position, self.size.width)
        out.append("\n")
        out.append_text(caption(self.marks, self.position))
        return out
