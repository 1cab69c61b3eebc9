"""FCPXML (Final Cut Pro, DaVinci Resolve) from an OTIO timeline.

OTIO's `fcpx_xml` adapter writes only whole-number rates (it has no frame duration for 23.976 or 29.97 and
reads rates back as integers), so vcat writes the published FCPXML 1.9 structure itself, with every time an exact
rational of seconds on the clip's own frame grid: resources (format, asset), library › event › project ›
sequence › spine › asset-clip (offset, start, duration, tcFormat) › marker. The adapter still reads the result.

`start` is on the clip's own frame grid; `offset` and `duration` are in the sequence's time, on its frame grid (the
first clip's rate): a clip at another rate is conformed, as Final Cut does. With `--proxies`, an asset carries its
original and its proxy (`media-rep` kinds original-media and proxy-media)."""

from __future__ import annotations

from fractions import Fraction
from xml.etree import ElementTree as ET

import opentimelineio as otio

from .timing import is_drop_frame_rate, ntsc_base

FCPXML_VERSION = "1.9"


def frame_duration(rate: float) -> Fraction:
    """Seconds per frame as FCP writes them: 1001/24000 for 23.976, 1/25 for 25…"""
    base = ntsc_base(rate)
    if base:
        return Fraction(1001, base * 1000)
    return Fraction(1, 1) / Fraction(rate).limit_denominator(1000)


def seconds(frames: float, rate: float) -> Fraction:
    return round(frames) * frame_duration(rate)


def rational(value: Fraction) -> str:
    if value == 0:
        return "0s"
    return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"


def _format_name(rate: float, width: int | None, height: int | None) -> str:
    rate_txt = {23.976: "2398", 29.97: "2997", 59.94: "5994"}.get(round(rate, 3), str(round(rate)))
    if height in (720, 1080, 2160) and width:
        return f"FFVideoFormat{height}p{rate_txt}"
    return "FFVideoFormatRateUndefined"


def timeline_to_fcpxml(timeline: otio.schema.Timeline) -> str:
    root = ET.Element("fcpxml", version=FCPXML_VERSION)
    resources = ET.SubElement(root, "resources")
    formats: dict[tuple, str] = {}
    assets: dict[str, str] = {}
    ids = iter(f"r{i}" for i in range(1, 10 ** 6))

    def format_id(rate: float, width=None, height=None) -> str:
        key = (round(rate, 6), width, height)
        if key not in formats:
            attrs = {"id": next(ids), "frameDuration": rational(frame_duration(rate)),
                     "name": _format_name(rate, width, height)}
            if width and height:
                attrs.update(width=str(width), height=str(height))
            formats[key] = ET.SubElement(resources, "format", attrs).get("id")
        return formats[key]

    clips = list(timeline.find_clips())
    seq_rate = clips[0].source_range.duration.rate if clips else 24.0
    first = clips[0].metadata.get("vcat", {}) if clips else {}
    seq_format = format_id(seq_rate, first.get("width"), first.get("height"))
    library = ET.SubElement(root, "library")
    event = ET.SubElement(library, "event", name=timeline.name or "vcat")
    project = ET.SubElement(event, "project", name=timeline.name or "vcat selects")
    seq_dur = Fraction(0)
    sequence = ET.SubElement(project, "sequence", format=seq_format, tcStart="0s",
                             tcFormat="DF" if is_drop_frame_rate(seq_rate) else "NDF", audioLayout="stereo",
                             audioRate="48k")
    seq_fd = frame_duration(seq_rate)
    spine = ET.SubElement(sequence, "spine")
    for clip in clips:
        meta = clip.metadata.get("vcat", {})
        rate = clip.source_range.duration.rate
        fmt = format_id(rate, meta.get("width"), meta.get("height"))
        ref = clip.media_reference
        avail = ref.available_range
        if ref.target_url not in assets:
            asset = ET.SubElement(resources, "asset", {
                "id": next(ids), "name": clip.name, "uid": str(meta.get("checksum") or ref.target_url),
                "start": rational(seconds(avail.start_time.value, rate)),
                "duration": rational(seconds(avail.duration.value, rate)),
                "hasVideo": "1", "hasAudio": "1" if meta.get("has_audio", True) else "0", "format": fmt})
            original = meta.get("original_url") or ref.target_url
            ET.SubElement(asset, "media-rep", kind="original-media", src=original)
            if original != ref.target_url:
                ET.SubElement(asset, "media-rep", kind="proxy-media", src=ref.target_url)
            assets[ref.target_url] = asset.get("id")
        own = seconds(clip.source_range.duration.value, rate)
        duration = round(own / seq_fd) * seq_fd  # in the sequence's frames
        ac = ET.SubElement(spine, "asset-clip", {
            "ref": assets[ref.target_url], "name": clip.name, "offset": rational(seq_dur),
            "start": rational(seconds(clip.source_range.start_time.value, rate)), "duration": rational(duration),
            "format": fmt, "tcFormat": "DF" if meta.get("drop_frame", is_drop_frame_rate(rate)) else "NDF"})
        for marker in clip.markers:
            ET.SubElement(ac, "marker", {"start": rational(seconds(marker.marked_range.start_time.value, rate)),
                                         "duration": rational(seconds(max(1, marker.marked_range.duration.value),
                                                                      rate)),
                                         "value": marker.name})
        for kw in meta.get("tags", []):
            ET.SubElement(ac, "keyword", {"start": rational(seconds(clip.source_range.start_time.value, rate)),
                                          "duration": rational(own), "value": kw})
        seq_dur += duration
    sequence.set("duration", rational(seq_dur))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + ET.tostring(root, encoding="unicode") + "\n"

