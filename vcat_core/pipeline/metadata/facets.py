"""Facets derived from a reconciled record (pure): typed start timecode, HDR format, log profile, light levels.

Run at the end of `reconcile` and again after sidecars or parts changed the record, so every source of a field
(the file, a sidecar, XMP) ends in the same typed columns that filters and exports read.
"""

from __future__ import annotations

import re
from typing import Any

from vcat_core.models import TechnicalMetadata

from .timecode import parse_timecode

HDR_TRANSFERS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}


def derive_facets(md: TechnicalMetadata) -> TechnicalMetadata:
    _timecode(md)
    aware = md.created_at is not None and md.created_at.tzinfo is not None
    md.created_at_local = md.created_at.isoformat() if aware else None  # the zone the camera recorded in
    _hdr(md)
    if md.log_profile is None and md.gamma:
        from ..cards.sidecars import log_profile

        md.log_profile = log_profile(md.gamma)
        if md.log_profile:
            md.sources.setdefault("log_profile", md.sources.get("gamma", "derived"))
    if md.log_profile is None and md.hdr_format == "HLG":
        md.log_profile = "HLG"
        md.sources["log_profile"] = "derived"
    return md


def _timecode(md: TechnicalMetadata) -> None:
    tc = parse_timecode(md.timecode, md.frame_rate, md.timecode_drop_frame)
    if tc is None:
        md.timecode_frame = md.timecode_rate_num = md.timecode_rate_den = md.timecode_drop_frame = None
        return
    md.timecode = str(tc)  # normalised: two digits each, ';' exactly when drop-frame
    md.timecode_frame = tc.frame
    md.timecode_rate_num, md.timecode_rate_den = tc.rate.numerator, tc.rate.denominator
    md.timecode_drop_frame = tc.drop_frame
    src = md.sources.get("timecode", "derived")
    for f in ("timecode_frame", "timecode_rate_num", "timecode_rate_den", "timecode_drop_frame"):
        md.sources[f] = src


def _video_track(md: TechnicalMetadata) -> dict[str, Any]:
    tracks = ((md.raw or {}).get("mediainfo") or {}).get("tracks") or []
    return next((t for t in tracks if isinstance(t, dict) and t.get("track_type") == "Video"), {})


def _hdr(md: TechnicalMetadata) -> None:
    mv = _video_track(md)
    hdr_text = str(mv.get("hdr_format") or "")
    fmt = None
    if "dolby vision" in hdr_text.lower() or _dovi_side_data(md):
        fmt, src = "Dolby Vision", "mediainfo" if hdr_text else "pyav"
    elif md.color_transfer in HDR_TRANSFERS:
        fmt, src = HDR_TRANSFERS[md.color_transfer], md.sources.get("color_transfer", "derived")
    if fmt and md.hdr_format is None:
        md.hdr_format = fmt
        md.sources["hdr_format"] = src
    lum = mv.get("mastering_display_luminance") or mv.get("masteringdisplay_luminance")
    prim = mv.get("mastering_display_color_primaries") or mv.get("masteringdisplay_colorprimaries")
    if (lum or prim) and md.mastering_display is None:
        m = re.findall(r"([\d.]+)\s*cd/m2", str(lum or ""))
        md.mastering_display = {"primaries": prim, "min_luminance": float(m[0]) if m else None,
                                "max_luminance": float(m[1]) if len(m) > 1 else None}
        md.sources["mastering_display"] = "mediainfo"
    for field, key in (("max_cll", "maximum_content_light_level"), ("max_fall", "maximum_frameaverage_light_level")):
        n = re.match(r"\s*(\d+)", str(mv.get(key) or ""))
        if n and getattr(md, field) is None:
            setattr(md, field, int(n[1]))
            md.sources[field] = "mediainfo"


def _dovi_side_data(md: TechnicalMetadata) -> bool:
    pyav = (md.raw or {}).get("pyav") or {}
    return any("dovi" in str(s).lower() or "dolby" in str(s).lower()
               for v in pyav.get("video") or [] for s in (v.get("side_data") or []))
