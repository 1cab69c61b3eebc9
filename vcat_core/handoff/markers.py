"""What an editor wants to see on a clip in the NLE: transcript lines, shot changes, tags and the search moment,
each with its text, in frames of the clip's media (counted from its first frame)."""

from __future__ import annotations

from dataclasses import dataclass

from .selects import Select

# OTIO marker colours (FCP and Premiere map them to their own)
COLORS = {"moment": "YELLOW", "transcript": "BLUE", "shot": "RED", "tag": "GREEN"}


@dataclass(frozen=True)
class ClipMarker:
    kind: str  # moment, transcript, shot, tag
    frame: int  # from the media's first frame
    duration: int  # frames (0: a point)
    text: str

    @property
    def color(self) -> str:
        return COLORS[self.kind]


def clip_markers(sel: Select) -> list[ClipMarker]:
    """Markers that fall inside the select's in/out, in time order (moment first at equal frames)."""
    doc, out = sel.doc, []
    if sel.moment and sel.moment.get("start_seconds") is not None:
        text = (sel.moment.get("snippet") or "").strip() or "search moment"
        out.append(ClipMarker("moment", sel.in_frame, sel.out_frame - sel.in_frame, f"search: {text}"))
    for seg in ((doc.get("transcript") or {}).get("segments") or []):
        start, end = sel.frame_at(seg.get("start_seconds")), sel.frame_at(seg.get("end_seconds"))
        who = f"{seg['speaker']}: " if seg.get("speaker") else ""
        out.append(ClipMarker("transcript", start, max(0, end - start), who + (seg.get("text") or "").strip()))
    for i, shot in enumerate(doc.get("shots") or [], 1):
        if i > 1 and shot.get("start_seconds") is not None:  # the first shot starts with the clip: no boundary
            out.append(ClipMarker("shot", sel.frame_at(shot["start_seconds"]), 0, f"shot {i}"))
    for tag in doc.get("tags") or []:
        out.append(ClipMarker("tag", sel.in_frame, 0, f"tag: {tag}"))
    order = {"moment": 0, "tag": 1, "shot": 2, "transcript": 3}
    inside = [m for m in out if sel.in_frame <= m.frame < sel.out_frame]
    return sorted(inside, key=lambda m: (m.frame, order[m.kind]))
