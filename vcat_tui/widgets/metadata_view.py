"""A clip's technical metadata grouped the way an editor reads it (file, video, color, camera, audio, exposure),
each value with the tool it came from; then the transcript and AI analysis sections when the detail has them."""

from __future__ import annotations

from typing import Any, Callable

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from .. import format as fmt

Row = tuple[str, str, str | None]  # label, value, source tool (provenance) or None

LABEL_WIDTH = 16


def _num(value: Any, unit: str = "", digits: int = 3) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        text = f"{value:.{digits}g}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _yes_no(value: Any) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _gps(tm: dict[str, Any]) -> str | None:
    lat, lon = tm.get("gps_latitude"), tm.get("gps_longitude")
    if lat is None or lon is None:
        return None
    alt = tm.get("gps_altitude")
    return f"{lat:.5f}, {lon:.5f}" + (f" ({alt:g} m)" if alt is not None else "")


def metadata_groups(doc: dict[str, Any]) -> list[tuple[str, list[Row]]]:
    """The groups and rows the detail screen shows; rows without a value are left out."""
    tm = doc.get("technical_metadata") or {}
    src = doc.get("metadata_sources") or {}

    def row(label: str, value: Any, *source_keys: str) -> Row | None:
        if value is None or value == "":
            return None
        source = next((src[k] for k in source_keys if k in src), None)
        return (label, str(value), source)

    locations = doc.get("locations") or []
    file_rows = [
        row("path", doc.get("file_path")),
        row("size", fmt.human_bytes(doc.get("file_size_bytes"))),
        row("container", tm.get("container"), "container"),
        row("created", fmt.date(doc.get("created_at")) if doc.get("created_at") else None, "created_at"),
        row("date from", doc.get("created_at_source")),
        row("processed", fmt.date(doc.get("processed_at")) if doc.get("processed_at") else None),
        row("checksum", f"{doc.get('checksum_algorithm')} {doc.get('file_checksum')}"
            if doc.get("file_checksum") else None),
        row("status", doc.get("status")),
        row("missing parts", ", ".join(tm.get("parts_missing") or []) or None, "parts_missing"),
    ]
    for loc in locations[1:]:
        file_rows.append(row("also at", loc["path"] + ("" if loc.get("online", True) else "  (offline)")))
    if locations and not locations[0].get("online", True):
        file_rows.append(row("offline", "the first location was not found at the last scan"))

    video = [
        row("codec", tm.get("codec"), "codec"),
        row("profile", tm.get("codec_profile"), "codec_profile"),
        row("codec name", tm.get("codec_long_name"), "codec_long_name"),
        row("resolution", fmt.resolution(tm.get("resolution_width"), tm.get("resolution_height"))
            if tm.get("resolution_width") else None, "width"),
        row("aspect", tm.get("aspect_ratio"), "aspect_ratio"),
        row("pixel aspect", _num(tm.get("pixel_aspect_ratio")), "pixel_aspect_ratio"),
        row("frame rate", _num(tm.get("frame_rate"), "fps", 5), "frame_rate"),
        row("variable rate", _yes_no(tm.get("is_vfr")), "is_vfr"),
        row("frames", tm.get("frame_count"), "frame_count"),
        row("duration", fmt.timestamp(tm.get("duration_seconds")) if tm.get("duration_seconds") else None,
            "duration_seconds"),
        row("bit rate", _num(tm.get("bit_rate_kbps"), "kb/s", 6), "bit_rate_kbps"),
        row("bit depth", _num(tm.get("bit_depth"), "bit"), "bit_depth"),
        row("pixel format", tm.get("pixel_format"), "pixel_format"),
        row("chroma", tm.get("chroma_subsampling"), "chroma_subsampling"),
        row("scan", tm.get("scan_type"), "scan_type"),
        row("rotation", _num(tm.get("rotation"), "°"), "rotation"),
        row("timecode", _timecode(tm), "timecode"),
    ]
    color = [
        row("matrix", tm.get("color_space"), "color_space"),
        row("primaries", tm.get("color_primaries"), "color_primaries"),
        row("transfer", tm.get("color_transfer"), "color_transfer"),
        row("range", tm.get("color_range"), "color_range"),
        row("HDR", tm.get("hdr_format"), "hdr_format"),
        row("light levels", f"MaxCLL {tm['max_cll']}, MaxFALL {tm.get('max_fall')} cd/m²"
            if tm.get("max_cll") else None, "max_cll"),
        row("log profile", tm.get("log_profile"), "log_profile"),
        row("gamma", tm.get("gamma"), "gamma"),
    ]
    camera = [
        row("make", tm.get("camera_make"), "camera_make"),
        row("model", tm.get("camera_model"), "camera_model"),
        row("serial", tm.get("camera_serial"), "camera_serial"),
        row("lens", tm.get("lens_model"), "lens_model"),
        row("focal length", _num(tm.get("focal_length"), "mm"), "focal_length"),
        row("location", _gps(tm), "gps_latitude"),
        row("ISO", tm.get("iso"), "iso"),
        row("exposure", tm.get("exposure_index"), "exposure_index"),
        row("card", tm.get("card_layout"), "card_layout"),
        row("decodable", "no: catalogued from its metadata" if tm.get("decodable") is False else None, "decodable"),
    ]
    audio = [
        row("codec", tm.get("audio_codec"), "audio_codec"),
        row("channels", tm.get("audio_channels"), "audio_channels"),
        row("sample rate", _num(tm.get("audio_sample_rate"), "Hz", 6), "audio_sample_rate"),
        row("tracks", tm.get("audio_tracks"), "audio_tracks"),
    ]
    exposure = [
        row("warning", tm.get("exposure_issue") or ("none" if tm.get("exposure_warning") is False else None)),
        row("stops", f"{tm['exposure_stops']:+.2f} EV" if tm.get("exposure_stops") is not None else None),
        row("overexposed", _num(tm.get("overexposed_percentage"), "%"), None),
        row("underexposed", _num(tm.get("underexposed_percentage"), "%"), None),
        row("mean luma", _num(tm.get("mean_luma")), None),
    ]
    groups = [("File", file_rows), ("Video", video), ("Color", color), ("Camera", camera), ("Audio", audio),
              ("Exposure", exposure)]
    out = [(title, [r for r in rows if r is not None]) for title, rows in groups]
    for key, title, build in EXTRA_SECTIONS:
        if doc.get(key):
            out.append((title, build(doc[key])))
    return out


def _transcript_rows(transcript: Any) -> list[Row]:
    if isinstance(transcript, str):
        return [("text", transcript, None)]
    rows: list[Row] = []
    for seg in (transcript.get("segments") or [])[:200]:
        speaker = f"{seg['speaker']}: " if seg.get("speaker") else ""
        rows.append((fmt.timestamp(seg.get("start")), speaker + str(seg.get("text", "")).strip(), None))
    if not rows and transcript.get("text"):
        rows.append(("text", transcript["text"], None))
    if transcript.get("language"):
        rows.insert(0, ("language", transcript["language"], None))
    return rows


def _screen_text_rows(spans: Any) -> list[Row]:
    """Text seen in the picture (slates, signs, lower thirds), from when to when."""
    return [(fmt.timestamp(sp.get("start_seconds")),
             f"{sp.get('text', '')}  (to {fmt.timestamp(sp.get('end_seconds'))})", None) for sp in spans[:200]]


def _timecode(tm: dict[str, Any]) -> str | None:
    """"01:00:00;00  29.97 fps drop-frame": the source start timecode with its rate."""
    tc = tm.get("timecode")
    if not tc or not tm.get("timecode_rate"):
        return tc
    num, _, den = str(tm["timecode_rate"]).partition("/")
    rate = int(num) / int(den or 1)
    return f"{tc}  {rate:.5g} fps" + (" drop-frame" if tm.get("timecode_drop_frame") else "")


def _part_rows(parts: Any) -> list[Row]:
    """The files of a spanned recording and its proxies, each with where it starts and its own timecode."""
    rows: list[Row] = []
    for p in parts:
        where = f"+{fmt.timestamp(p.get('offset_seconds') or 0)}" if p.get("role") == "part" else "proxy"
        tc = f"  TC {p['timecode']}" if p.get("timecode") else ""
        rows.append((f"{p.get('role', 'part')} {p.get('index', 0) + 1}", f"{p['path']}  {where}{tc}", None))
    return rows


def _analysis_rows(analysis: Any) -> list[Row]:
    if isinstance(analysis, str):
        return [("summary", analysis, None)]
    rows: list[Row] = []
    for key, value in analysis.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            value = ", ".join(v if isinstance(v, str) else (v.get("name") or str(v)) if isinstance(v, dict)
                              else str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        rows.append((key.replace("_", " "), str(value), None))
    return rows


EXTRA_SECTIONS: list[tuple[str, str, Callable[[Any], list[Row]]]] = [
    ("parts", "Card", _part_rows),
    ("transcript", "Transcript", _transcript_rows),
    ("screen_text", "On screen", _screen_text_rows),
    ("analysis", "Analysis", _analysis_rows),
]
"""Sections drawn when the detail document carries them (the transcript and AI stages add these keys)."""


def group_content(rows: list[Row]) -> Content:
    if not rows:
        return Content.styled("none recorded", "$foreground-muted")
    lines = []
    for label, value, source in rows:
        parts: list = [(label.ljust(LABEL_WIDTH), "$foreground-muted"), value]
        if source:
            parts.append((f"  {source}", "$foreground-disabled"))
        lines.append(Content.assemble(*parts))
    return Content("\n").join(lines)


class MetadataView(VerticalScroll):
    """Scrollable groups of metadata; `show(doc)` redraws them."""

    def show(self, doc: dict[str, Any]) -> None:
        widgets = []
        prose = {title for _, title, _ in EXTRA_SECTIONS}
        for title, rows in metadata_groups(doc):
            widgets.append(Static(title, classes="metadata-title"))
            # technical values fold at the edge (a long path stays on its label's line); prose wraps by words
            classes = "metadata-group -prose" if title in prose else "metadata-group"
            widgets.append(Static(group_content(rows), classes=classes))
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(widgets)
