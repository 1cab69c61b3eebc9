"""Container and stream facts from MediaInfo (pymediainfo's bundled libmediainfo), normalised to FFmpeg's vocabulary.

`probe(path)` parses the file by name (MediaInfo opens it read-only; the by-name parse sees more than the buffer API,
e.g. QuickTime tmcd timecodes) and returns:

* ``general``: container format (+ our ffmpeg-style ``container`` name), duration (s), overall bit rate, frame rate and
  count, encoded/tagged/recorded dates as MediaInfo prints them, ``is_truncated``, and every vendor tag MediaInfo lifted
  (``make``, ``model``, ``comapplequicktime…`` keys …) under ``tags``.
* ``video`` / ``audio`` / ``other`` / ``image`` / ``text``: one normalised dict per track. Video carries ``codec``
  (ffmpeg short name mapped from MediaInfo's Format), ``format``/``format_profile``/``commercial_name`` as printed,
  ``bit_depth``, ``chroma_subsampling``, colour fields mapped to FFmpeg names, ``frame_rate_mode`` ("CFR"/"VFR"),
  ``scan_type`` ("progressive"/"interlaced"), ``rotation`` (clockwise degrees), ``time_code_of_first_frame``.
* ``tracks``: MediaInfo's own track dicts (``other_*`` display variants dropped) for provenance.

Never raises: failures come back as ``ok: False`` with ``error``.
"""

from __future__ import annotations

import re
from typing import Any

# MediaInfo "Format" → FFmpeg codec short names.
VIDEO_CODECS = {
    "avc": "h264", "hevc": "hevc", "prores": "prores", "prores raw": "prores_raw", "vc-3": "dnxhd", "vp9": "vp9",
    "vp8": "vp8", "av1": "av1", "mpeg-4 visual": "mpeg4", "jpeg": "mjpeg", "jpeg 2000": "jpeg2000", "dv": "dvvideo",
    "ffv1": "ffv1", "theora": "theora", "vc-1": "vc1", "h.263": "h263", "cineform": "cfhd", "huffyuv": "huffyuv",
    "vvc": "vvc", "wmv1": "wmv1", "wmv2": "wmv2", "realvideo 4": "rv40", "hap": "hap", "dirac": "dirac",
    "sorenson spark": "flv1", "utvideo": "utvideo", "magicyuv": "magicyuv", "qtrle": "qtrle", "rle": "qtrle",
    "png": "png", "gif": "gif", "mpeg-4 visual (mpeg-4 part 2)": "mpeg4",
}
AUDIO_CODECS = {
    "aac": "aac", "ac-3": "ac3", "e-ac-3": "eac3", "opus": "opus", "vorbis": "vorbis", "flac": "flac", "alac": "alac",
    "dts": "dts", "mlp fba": "truehd", "amr": "amr_nb", "wma": "wmav2", "speex": "speex", "adpcm": "adpcm",
}
CONTAINERS = {
    "matroska": "matroska", "webm": "webm", "mxf": "mxf", "mpeg-ts": "mpegts", "bdav": "mpegts", "mpeg-ps": "mpeg",
    "avi": "avi", "flash video": "flv", "windows media": "asf", "ogg": "ogg", "dv": "dv", "wave": "wav",
    "real media": "rm", "gxf": "gxf", "lxf": "lxf", "png": "png", "jpeg": "jpeg", "mpeg audio": "mp3",
}
PRIMARIES = {
    "bt.709": "bt709", "bt.2020": "bt2020", "bt.601 ntsc": "smpte170m", "bt.601 pal": "bt470bg",
    "bt.470 system m": "bt470m", "bt.470 system b/g": "bt470bg", "smpte 240m": "smpte240m", "generic film": "film",
    "xyz": "smpte428", "dci p3": "smpte431", "display p3": "smpte432", "ebu tech 3213": "ebu3213",
}
TRANSFER = {
    "bt.709": "bt709", "pq": "smpte2084", "smpte st 2084": "smpte2084", "hlg": "arib-std-b67",
    "arib std-b67": "arib-std-b67", "bt.601": "smpte170m", "bt.470 system m": "gamma22",
    "bt.470 system b/g": "gamma28", "smpte 240m": "smpte240m", "linear": "linear", "logarithmic (100:1)": "log100",
    "logarithmic (316.22777:1)": "log316", "xvycc": "iec61966-2-4", "bt.1361": "bt1361e", "srgb/sycc": "iec61966-2-1",
    "bt.2020 (10-bit)": "bt2020-10", "bt.2020 (12-bit)": "bt2020-12", "smpte 428m": "smpte428",
    "bt.2020": "bt2020-10",
}
MATRIX = {
    "bt.709": "bt709", "bt.2020 non-constant": "bt2020nc", "bt.2020 constant": "bt2020c", "bt.601": "smpte170m",
    "bt.470 system b/g": "bt470bg", "fcc 73.682": "fcc", "smpte 240m": "smpte240m", "ycgco": "ycgco",
    "identity": "gbr", "rgb": "gbr", "ictcp": "ictcp", "chromaticity-derived non-constant": "chroma-derived-nc",
    "chromaticity-derived constant": "chroma-derived-c", "smpte 2085": "smpte2085",
}

_KEEP_OTHER = {"other_display_aspect_ratio", "other_frame_rate_mode"}
_DROP = {"complete_name", "folder_name", "file_name", "file_name_extension", "file_extension",
         "file_last_modification_date", "file_last_modification_date__local", "cover_data"}


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = re.match(r"\s*(-?\d+(?:\.\d+)?)", str(value))
    return float(m.group(1)) if m else None


def _int(value: Any) -> int | None:
    n = _num(value)
    return int(round(n)) if n is not None else None


def _ms_to_s(value: Any) -> float | None:
    n = _num(value)
    return n / 1000.0 if n is not None else None


def _low(value: Any) -> str:
    return str(value).strip().lower() if value is not None else ""


def map_codec(track: dict[str, Any]) -> str | None:
    fmt = _low(track.get("format"))
    if not fmt:
        return None
    if fmt == "mpeg video":
        version = _low(track.get("format_version"))
        return "mpeg1video" if "1" in version else "mpeg2video"
    if fmt in VIDEO_CODECS:
        return VIDEO_CODECS[fmt]
    if track.get("track_type") == "Audio":
        if fmt == "pcm":
            return _pcm_name(track)
        if fmt == "mpeg audio":
            profile = _low(track.get("format_profile"))
            return {"layer 1": "mp1", "layer 2": "mp2"}.get(profile, "mp3")
        return AUDIO_CODECS.get(fmt, fmt.replace(" ", "_"))
    return fmt.replace(" ", "_")


def _pcm_name(track: dict[str, Any]) -> str:
    settings = _low(track.get("format_settings"))
    depth = _int(track.get("bit_depth")) or 16
    if "float" in settings or _low(track.get("format_settings__sign")) == "float":
        return f"pcm_f{depth}{'be' if 'big' in settings else 'le'}"
    if depth == 8:
        return "pcm_u8" if "unsigned" in settings or "signed" not in settings else "pcm_s8"
    return f"pcm_s{depth}{'be' if 'big' in settings else 'le'}"


def map_container(general: dict[str, Any]) -> str | None:
    fmt = _low(general.get("format"))
    if not fmt:
        return None
    if fmt == "mpeg-4":
        profile = _low(general.get("format_profile"))
        return "mov" if profile == "quicktime" else "mp4"
    return CONTAINERS.get(fmt, fmt.replace(" ", "_"))


def _map(table: dict[str, str], value: Any) -> str | None:
    key = _low(value)
    if not key:
        return None
    return table.get(key) or table.get(key.split(" / ")[0])


def _scan_type(value: Any) -> str | None:
    v = _low(value)
    if not v:
        return None
    if v.startswith("progressive"):
        return "progressive"
    if v in ("interlaced", "mbaff", "mixed") or "interlaced" in v:
        return "interlaced"
    return v


def _trim(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in data.items():
        if k in _DROP or (k.startswith("other_") and k not in _KEEP_OTHER):
            continue
        out[k] = v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
    return out


_GENERAL_NON_TAGS = {
    "track_type", "count", "count_of_stream_of_this_kind", "kind_of_stream", "stream_identifier", "format",
    "format_profile", "codec_id", "duration", "overall_bit_rate", "overall_bit_rate_mode", "frame_rate",
    "frame_count", "stream_size", "file_size", "headersize", "datasize", "footersize", "isstreamable",
    "proportion_of_this_stream", "encoded_date", "tagged_date", "recorded_date", "istruncated", "codec_id_url",
    "audio_codecs", "audio_channels_total", "conformance_errors", "general_compliance",
}


def _general(d: dict[str, Any]) -> dict[str, Any]:
    skip_prefixes = ("count_", "format_", "codecid", "codecs_", "commercial", "internet")
    tags = {k: v for k, v in d.items()
            if k not in _GENERAL_NON_TAGS and k not in _DROP and not k.startswith(skip_prefixes)
            and isinstance(v, str) and "_list" not in k}
    return {
        "format": d.get("format"),
        "format_profile": d.get("format_profile"),
        "commercial_name": d.get("commercial_name"),
        "container": map_container(d),
        "duration": _ms_to_s(d.get("duration")),
        "overall_bit_rate": _num(d.get("overall_bit_rate")),
        "frame_rate": _num(d.get("frame_rate")),
        "frame_count": _int(d.get("frame_count")),
        "file_size": _int(d.get("file_size")),
        "encoded_date": d.get("encoded_date"),
        "tagged_date": d.get("tagged_date"),
        "recorded_date": d.get("recorded_date"),
        "is_truncated": _low(d.get("istruncated")) == "yes",
        "title": d.get("title") or d.get("movie_name"),
        "tags": tags,
    }


def _video(d: dict[str, Any]) -> dict[str, Any]:
    dar_str = None
    others = d.get("other_display_aspect_ratio")
    if isinstance(others, list) and others:
        dar_str = others[0]
    mode = d.get("frame_rate_mode")
    return {
        "codec": map_codec(d),
        "format": d.get("format"),
        "format_profile": d.get("format_profile"),
        "format_version": d.get("format_version"),
        "commercial_name": d.get("commercial_name"),
        "codec_id": d.get("codec_id"),
        "width": _int(d.get("width")),
        "height": _int(d.get("height")),
        "pixel_aspect_ratio": _num(d.get("pixel_aspect_ratio")),
        "display_aspect_ratio": _num(d.get("display_aspect_ratio")),
        "display_aspect_ratio_string": dar_str,
        "frame_rate": _num(d.get("frame_rate")),
        "frame_rate_mode": str(mode).upper() if mode else None,
        "frame_rate_mode_original": d.get("framerate_mode_original"),
        "minimum_frame_rate": _num(d.get("minimum_frame_rate")),
        "maximum_frame_rate": _num(d.get("maximum_frame_rate")),
        "frame_count": _int(d.get("frame_count")),
        "bit_depth": _int(d.get("bit_depth")),
        "chroma_subsampling": (str(d["chroma_subsampling"]).split(" ")[0] if d.get("chroma_subsampling") else None),
        "color_primaries": _map(PRIMARIES, d.get("color_primaries")),
        "color_transfer": _map(TRANSFER, d.get("transfer_characteristics")),
        "color_space": _map(MATRIX, d.get("matrix_coefficients")),
        "color_range": {"limited": "limited", "full": "full"}.get(_low(d.get("color_range"))),
        "scan_type": _scan_type(d.get("scan_type")),
        "duration": _ms_to_s(d.get("duration")),
        "bit_rate": _num(d.get("bit_rate")),
        "rotation": (_int(d.get("rotation")) or 0) % 360 if d.get("rotation") not in (None, "") else None,
        "time_code_of_first_frame": d.get("time_code_of_first_frame"),
        "hdr_format": d.get("hdr_format"),
        "encoded_date": d.get("encoded_date"),
    }


def _audio(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "codec": map_codec(d),
        "format": d.get("format"),
        "channels": _int(d.get("channel_s")),
        "sample_rate": _int(d.get("sampling_rate")),
        "bit_depth": _int(d.get("bit_depth")),
        "bit_rate": _num(d.get("bit_rate")),
        "duration": _ms_to_s(d.get("duration")),
    }


def _other(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": d.get("format"),
        "type": d.get("type"),
        "time_code_of_first_frame": d.get("time_code_of_first_frame"),
        "time_code_settings": d.get("time_code_settings"),
    }


def probe(path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "error": None}
    try:
        from pymediainfo import MediaInfo

        info = MediaInfo.parse(str(path))
    except Exception as exc:  # noqa: BLE001 - classified by the caller
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    tracks = [t.to_data() for t in info.tracks]
    out["ok"] = True
    out["tracks"] = [_trim(t) for t in tracks]
    general = next((t for t in tracks if t.get("track_type") == "General"), {})
    out["general"] = _general(general)
    out["video"] = [_video(t) for t in tracks if t.get("track_type") == "Video"]
    out["audio"] = [_audio(t) for t in tracks if t.get("track_type") == "Audio"]
    out["other"] = [_other(t) for t in tracks if t.get("track_type") == "Other"]
    out["image"] = [{"format": t.get("format"), "width": _int(t.get("width")), "height": _int(t.get("height"))}
                    for t in tracks if t.get("track_type") == "Image"]
    out["text_tracks"] = sum(1 for t in tracks if t.get("track_type") == "Text")
    return out
