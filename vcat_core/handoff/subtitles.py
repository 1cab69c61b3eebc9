"""A clip's transcript as subtitles (SRT, WebVTT), plain text or JSON, speakers labelled where known.

Times are the transcript's own (seconds from the clip's first frame), written to the millisecond."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import srt
import webvtt

TRANSCRIPT_FORMATS = ("srt", "vtt", "txt", "json")


def _segments(doc: dict[str, Any]) -> list[dict[str, Any]]:
    segs = ((doc.get("transcript") or {}).get("segments") or [])
    return [s for s in segs if (s.get("text") or "").strip() and s.get("start_seconds") is not None]


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _ms(seconds: float) -> timedelta:
    return timedelta(milliseconds=round(seconds * 1000))


def to_srt(doc: dict[str, Any]) -> str:
    subs = [srt.Subtitle(index=i, start=_ms(s["start_seconds"]), end=_ms(s.get("end_seconds") or s["start_seconds"]),
                         content=(f"{s['speaker']}: " if s.get("speaker") else "") + s["text"].strip())
            for i, s in enumerate(_segments(doc), 1)]
    return srt.compose(subs)


def to_vtt(doc: dict[str, Any]) -> str:
    """WebVTT with voice spans (`<v Speaker>`), which players and NLEs show as the speaker's name."""
    vtt = webvtt.WebVTT()
    for s in _segments(doc):
        text = s["text"].strip()
        vtt.captions.append(webvtt.Caption(_vtt_time(s["start_seconds"]),
                                           _vtt_time(s.get("end_seconds") or s["start_seconds"]),
                                           f"<v {s['speaker']}>{text}" if s.get("speaker") else text))
    return vtt.content


def to_txt(doc: dict[str, Any]) -> str:
    lines = []
    for s in _segments(doc):
        who = f"{s['speaker']}: " if s.get("speaker") else ""
        lines.append(f"[{_vtt_time(s['start_seconds'])}] {who}{s['text'].strip()}")
    return "\n".join(lines) + ("\n" if lines else "")


def to_json(doc: dict[str, Any]) -> str:
    tr = doc.get("transcript") or {}
    return json.dumps({"clip_id": doc.get("id"), "file_name": doc.get("file_name"), "language": tr.get("language"),
                       "speakers": tr.get("speakers"), "segments": _segments(doc)}, ensure_ascii=False, indent=2)


def transcript_text(doc: dict[str, Any], fmt: str) -> str:
    writers = {"srt": to_srt, "vtt": to_vtt, "txt": to_txt, "json": to_json}
    if fmt not in writers:
        raise ValueError(f"unknown transcript format {fmt!r}; one of: {', '.join(TRANSCRIPT_FORMATS)}")
    return writers[fmt](doc)
