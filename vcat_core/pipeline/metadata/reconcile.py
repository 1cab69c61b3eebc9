"""Merge PyAV, MediaInfo and ExifTool facts into one `TechnicalMetadata` (pure: no I/O).

`reconcile(pyav, mediainfo, exif)` takes the dicts of `pyav_probe.probe`, `mediainfo_probe.probe` and
`exiftool.read_tags`, fills every field it can, records in ``sources[field]`` which tool gave it (``"derived"`` when we
computed it from other fields) and keeps the three inputs under ``raw``.

Conflict rules
--------------
Stream facts (what FFmpeg will decode):
* codec, codec_long_name, codec_profile, width/height, pixel format, bit depth, chroma subsampling, SAR, frame rate,
  frame count, audio codec/channels/rate, track counts: **PyAV first**, MediaInfo when PyAV has nothing. Codec names
  are FFmpeg short names in lower case (h264, hevc, prores, dnxhd, mpeg2video, mpeg4, vp9, av1 …: the codec
  descriptor's name, so a wrapper decoder such as libdav1d still reads "av1"); the profile is separate and in FFmpeg's
  words ("HQ" for ProRes 422 HQ, "DNXHR HQ", "Main 10", "High").
* Frame rate is the average rate (frames / time); for VFR clips it is the mean, not the container's nominal rate.
* bit_depth / chroma_subsampling come from the pixel-format descriptor (yuv422p10le → 10, "4:2:2").
* Colour (primaries, transfer, matrix → ``color_space``, range): PyAV's stream parameters, then the first decoded
  frame, then MediaInfo, in FFmpeg's vocabulary (bt709, bt2020, bt2020nc, smpte2084, arib-std-b67 …; range
  "limited"/"full"). "unspecified" is None, never a guess.
* scan_type: PyAV field order, then MediaInfo's scan type, then the first frame's interlaced flag.
* rotation (degrees clockwise the player applies, 0/90/180/270): PyAV display matrix (FFmpeg reports it
  counter-clockwise, we negate), then MediaInfo, then ExifTool Composite:Rotation.
* aspect_ratio: display aspect ratio of the coded picture (before rotation) = width × SAR / height, reduced ("16:9",
  "5:4"); written as a decimal ("1.90:1") when the reduced terms exceed 32.

Container facts:
* container: FFmpeg's demuxer name; for the MOV/MP4 family "mov" when the major brand is QuickTime ('qt  '), "3gp"
  for 3GPP brands, else "mp4"; for Matroska, "webm" when MediaInfo reads the WebM doctype.
* duration_seconds: for MPEG-TS / MPEG-PS (incl. .MTS/.m2ts) **PyAV's** container duration (FFmpeg measures first to
  last timestamp; MediaInfo extrapolates from the bit rate there); otherwise the container's duration, MediaInfo's
  first, PyAV's when MediaInfo has none, then the longest video stream.
* bit_rate_kbps is the overall (container) bit rate; video_bit_rate_kbps the video stream's own, when known.
* is_vfr: True when MediaInfo says the frame-rate mode is Variable **or** the video timestamps (sample index or first
  ~1000 packets) have irregular gaps; False when a tool looked and found them regular; None when neither could tell.
* timecode: PyAV (tmcd track / stream or container "timecode" tag, MXF), then MediaInfo's timecode track, then the
  MPEG GOP-header timecode MediaInfo reads from the video track.

Camera facts (ExifTool first, then MediaInfo's lifted tags, then PyAV's container tags):
* make / model / serial / lens / focal length / software from camera-specific groups before generic ones: Apple
  QuickTime ``Keys``, Sony/Panasonic XML (``XML:DeviceManufacturer`` …), QuickTime ``UserData``, EXIF IFDs, XMP,
  ``ItemList``. focal_length is the real focal length in mm; a 35 mm-equivalent value goes to focal_length_35mm only.
* GPS: a signed ISO 6709 triple (Keys/UserData/ItemList GPSCoordinates) first, then Composite/XMP latitude and
  longitude, altitude negated when its reference says "below sea level".
* created_at: **camera tags before container dates**. Camera: Keys:CreationDate, XML:CreationDateValue,
  DateTimeOriginal (ExifIFD with OffsetTimeOriginal, UserData, XMP, RIFF), MediaInfo's recorded date, Apple's
  creationdate key as PyAV sees it. Container: PyAV creation_time, MediaInfo encoded date, QuickTime:CreateDate
  (all UTC by definition), tagged date. A camera tag with a zone gives an aware datetime; without one it stays naive
  (local wall-clock time, zone unknown). Zero dates ("0000:00:00") and epoch placeholders (before 1971) are skipped.
  created_at_source names the tag, e.g. "exiftool:Keys:CreationDate".

Warnings (``warnings``): "truncated" (MediaInfo IsTruncated, a sample index pointing past EOF, or packets ending well
before the claimed duration), "decode_failed" (the first frame would not decode), "demux_error", "duration_mismatch"
(PyAV and MediaInfo container durations differ by > 5 % and 1 s outside TS/PS), "exiftool_no_tags",
"mediainfo_failed", "pyav_failed", and "missing_<field>" for each missing essential field (codec, width, height,
duration, frame_rate).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

from vcat_core.models import TechnicalMetadata

TS_PS_FORMATS = {"mpegts", "mpegtsraw", "mpeg", "mpegvideo", "vob", "m2ts", "mpegps", "svcd", "vcd", "dvd"}
ESSENTIAL = ("codec", "width", "height", "duration_seconds", "frame_rate")

CODEC_ALIASES = {
    "libdav1d": "av1", "libaom-av1": "av1", "av1_cuvid": "av1", "libvpx-vp9": "vp9", "libvpx": "vp8",
    "libopenjpeg": "jpeg2000", "h264_cuvid": "h264", "hevc_cuvid": "hevc", "libx264": "h264", "libx265": "hevc",
    "prores_ks": "prores", "prores_aw": "prores", "mpeg2_cuvid": "mpeg2video", "libopus": "opus",
    "libfdk_aac": "aac", "libmp3lame": "mp3", "mp3float": "mp3", "mp2float": "mp2", "libvorbis": "vorbis",
}
PRORES_PROFILES = {"422 proxy": "Proxy", "422 lt": "LT", "422": "Standard", "422 hq": "HQ", "4444": "4444",
                   "4444 xq": "XQ"}

# ExifTool tags in priority order (family-1 group : tag name). After the list, any group's tag of the same name.
MAKE_TAGS = ["Keys:Make", "XML:DeviceManufacturer", "UserData:Make", "IFD0:Make", "XMP-tiff:Make", "ItemList:Make",
             "QuickTime:Make"]
MODEL_TAGS = ["Keys:Model", "XML:DeviceModelName", "UserData:Model", "IFD0:Model", "XMP-tiff:Model",
              "ItemList:Model", "QuickTime:Model"]
SERIAL_TAGS = ["XML:DeviceSerialNo", "UserData:SerialNumber", "ExifIFD:SerialNumber", "ExifIFD:BodySerialNumber",
               "XMP-aux:SerialNumber", "XMP-exifEX:BodySerialNumber", "Keys:CameraIdentifier"]
SERIAL_NAMES = ["SerialNumber", "BodySerialNumber", "CameraSerialNumber", "DeviceSerialNo", "InternalSerialNumber"]
LENS_TAGS = ["XML:LensModelName", "Keys:CameraLensModel", "Keys:LensModel", "ExifIFD:LensModel", "XMP-exifEX:LensModel",
             "XMP-aux:Lens", "UserData:LensModel", "Composite:LensID"]
LENS_NAMES = ["LensModel", "LensModelName", "CameraLensModel", "Lens", "LensType"]
FOCAL_TAGS = ["ExifIFD:FocalLength", "XMP-exif:FocalLength", "XML:FocalLength", "UserData:FocalLength",
              "Keys:CameraFocalLength"]
FOCAL35_TAGS = ["Keys:CameraFocalLength35mmEquivalent", "Keys:FocalLengthIn35mmFormat",
                "ExifIFD:FocalLengthIn35mmFormat", "XMP-exif:FocalLengthIn35mmFilm",
                "XMP-exif:FocalLengthIn35mmFormat"]
SOFTWARE_TAGS = ["Keys:Software", "UserData:Software", "IFD0:Software", "XML:DeviceSoftware", "ItemList:Software"]
GPS_TRIPLE_TAGS = ["Keys:GPSCoordinates", "UserData:GPSCoordinates", "ItemList:GPSCoordinates"]
CAMERA_DATE_TAGS = ["Keys:CreationDate", "XML:CreationDateValue", "ExifIFD:DateTimeOriginal",
                    "UserData:DateTimeOriginal", "XMP-exif:DateTimeOriginal", "XMP-photoshop:DateCreated",
                    "RIFF:DateTimeOriginal", "ItemList:ContentCreateDate", "UserData:ContentCreateDate",
                    "QuickTime:ContentCreateDate", "XMP-xmp:CreateDate"]
CONTAINER_DATE_TAGS = ["QuickTime:CreateDate", "QuickTime:MediaCreateDate", "Track1:MediaCreateDate"]
OFFSET_FOR = {"ExifIFD:DateTimeOriginal": "ExifIFD:OffsetTimeOriginal"}

_DATE_RE = re.compile(
    r"(?P<y>\d{4})[-:](?P<mo>\d{2})[-:](?P<d>\d{2})(?:[ T](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d+)?)?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
)
_ISO6709_RE = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")


# --------------------------------------------------------------------------------------------------------------------
# small helpers


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        f = float(value)
    else:
        m = re.match(r"\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)", str(value))
        if not m:
            return None
        f = float(m.group(1))
    return f if math.isfinite(f) else None


def _frac(value: Any) -> Fraction | None:
    if not value:
        return None
    try:
        f = Fraction(str(value).replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return None
    return f if f > 0 else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip().strip("\x00").strip()
    return s or None


def normalise_codec(name: str | None) -> str | None:
    if not name:
        return None
    n = str(name).strip().lower()
    n = CODEC_ALIASES.get(n, n)
    for suffix in ("_cuvid", "_qsv", "_v4l2m2m", "_mediacodec", "_vaapi", "_videotoolbox", "_amf"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    return n


def format_aspect(ratio: Fraction) -> str:
    """16/9 → "16:9"; 256/135 → "1.90:1" (reduced terms above 32 read better as a decimal)."""
    if ratio.numerator <= 32 and ratio.denominator <= 32:
        return f"{ratio.numerator}:{ratio.denominator}"
    return f"{float(ratio):.2f}:1"


def parse_date(value: Any, assume_utc: bool = False, offset: Any = None) -> datetime | None:
    """Parse the date strings the three tools print; None for zero / placeholder dates."""
    if value is None:
        return None
    s = str(value).strip()
    m = _DATE_RE.search(s)
    if not m:
        return None
    try:
        y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
        if y < 1971 or mo == 0 or d == 0:
            return None
        h = int(m["h"] or 0)
        mi = int(m["mi"] or 0)
        sec = int(m["s"] or 0)
        micro = int(round(float(m["f"]) * 1_000_000)) if m["f"] else 0
        dt = datetime(y, mo, d, h, mi, sec, min(micro, 999_999))
    except (ValueError, TypeError):
        return None
    zone = m["z"] or (_text(offset) if offset is not None else None)
    tz = _parse_zone(zone) if zone else None
    if tz is not None:
        return dt.replace(tzinfo=tz)
    if assume_utc:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def _parse_zone(zone: str) -> timezone | None:
    z = zone.strip().upper()
    if z in ("Z", "UTC", "GMT"):
        return timezone.utc
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", z)
    if not m:
        return None
    delta = timedelta(hours=int(m[2]), minutes=int(m[3]))
    return timezone(-delta if m[1] == "-" else delta)


def parse_iso6709(value: Any) -> tuple[float, float, float | None] | None:
    """"+48.8584+002.2945+035.000/" → (48.8584, 2.2945, 35.0). Decimal-degree form only (what cameras write)."""
    if not value:
        return None
    m = _ISO6709_RE.match(str(value).strip())
    if not m:
        return None
    lat, lon = float(m[1]), float(m[2])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon, (float(m[3]) if m[3] else None)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


class _Builder:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def set(self, field: str, candidates: Iterable[tuple[Any, str]]) -> Any:
        for value, source in candidates:
            if value is None or value == "":
                continue
            self.values[field] = value
            self.sources[field] = source
            return value
        return None


def _exif_pick(exif: dict[str, Any], tags: list[str], names: list[str] | None = None) -> tuple[Any, str | None]:
    for tag in tags:
        v = exif.get(tag)
        if v not in (None, "") and not (isinstance(v, str) and not v.strip()):
            return v, tag
    for name in names or []:
        for key, v in exif.items():
            group, _, tag = key.partition(":")
            if tag == name and group not in ("System", "File", "ExifTool") and v not in (None, ""):
                return v, key
    return None, None


# --------------------------------------------------------------------------------------------------------------------


def reconcile(pyav: dict[str, Any], mediainfo: dict[str, Any], exif: dict[str, Any]) -> TechnicalMetadata:
    pyav = pyav or {}
    mediainfo = mediainfo or {}
    exif = exif or {}
    b = _Builder()
    warnings: list[str] = []

    fmt = pyav.get("format") or {}
    fmt_meta = fmt.get("metadata") or {}
    pv_videos = [v for v in (pyav.get("video") or []) if not v.get("attached_pic")]
    pv = pv_videos[0] if pv_videos else {}
    pa = (pyav.get("audio") or [{}])[0] if pyav.get("audio") else {}
    ff = pyav.get("first_frame") or {}
    ts = pyav.get("timestamps") or {}
    mg = mediainfo.get("general") or {}
    mi_tags = mg.get("tags") or {}
    mv = (mediainfo.get("video") or [{}])[0] if mediainfo.get("video") else {}
    ma = (mediainfo.get("audio") or [{}])[0] if mediainfo.get("audio") else {}

    # ---- container ------------------------------------------------------------------------------------------------
    fmt_name = fmt.get("name")
    container, container_src = _container(fmt_name, fmt_meta, mg)
    b.set("container", [(container, container_src), (mg.get("container"), "mediainfo")])
    is_ts_ps = (fmt_name or "").split(",")[0] in TS_PS_FORMATS or mg.get("container") in ("mpegts", "mpeg")

    # ---- video stream ---------------------------------------------------------------------------------------------
    b.set("codec", [(normalise_codec(pv.get("codec")), "pyav"), (mv.get("codec"), "mediainfo")])
    b.set("codec_long_name", [(pv.get("codec_long_name"), "pyav"), (mv.get("commercial_name"), "mediainfo")])
    b.set("codec_profile", [(_text(pv.get("profile")), "pyav"), (_mi_profile(mv), "mediainfo")])
    b.set("width", [(pv.get("width"), "pyav"), (mv.get("width"), "mediainfo"), (ff.get("width"), "pyav")])
    b.set("height", [(pv.get("height"), "pyav"), (mv.get("height"), "mediainfo"), (ff.get("height"), "pyav")])
    sar = _frac(pv.get("sample_aspect_ratio"))
    b.set("pixel_aspect_ratio", [(round(float(sar), 6) if sar else None, "pyav"),
                                 (mv.get("pixel_aspect_ratio"), "mediainfo")])
    _aspect(b, pv, mv)

    b.set("frame_rate", [(_rate(pv.get("average_rate")), "pyav"), (_rate(pv.get("guessed_rate")), "pyav"),
                         (_rate(mv.get("frame_rate")), "mediainfo")])
    _vfr(b, ts, mv)

    pix_fmt = pv.get("pix_fmt") or ff.get("pix_fmt")
    b.set("pixel_format", [(pix_fmt, "pyav")])
    b.set("bit_depth", [(pv.get("bit_depth"), "pyav"), (ff.get("bit_depth"), "pyav"),
                        (mv.get("bit_depth"), "mediainfo")])
    b.set("chroma_subsampling", [(pv.get("chroma_subsampling"), "pyav"), (ff.get("chroma_subsampling"), "pyav"),
                                 (mv.get("chroma_subsampling"), "mediainfo")])
    for field in ("color_primaries", "color_transfer", "color_space", "color_range"):
        b.set(field, [(pv.get(field), "pyav"), (ff.get(field), "pyav"), (mv.get(field), "mediainfo")])
    b.set("scan_type", [(_field_order_scan(pv.get("field_order")), "pyav"), (mv.get("scan_type"), "mediainfo"),
                        (({True: "interlaced", False: "progressive"}.get(ff.get("interlaced"))) if ff else None,
                         "pyav")])
    b.set("rotation", [(_rot(pyav.get("rotation")), "pyav"), (_rot(mv.get("rotation")), "mediainfo"),
                       (_rot(exif.get("Composite:Rotation")), "exiftool")])

    # ---- durations, counts, rates ---------------------------------------------------------------------------------
    pv_dur = fmt.get("duration")
    mi_dur = mg.get("duration")
    stream_dur = max((d for d in (pv.get("duration"), mv.get("duration")) if d), default=None)
    if is_ts_ps:
        b.set("duration_seconds", [(pv_dur, "pyav"), (mi_dur, "mediainfo"), (stream_dur, "pyav")])
    else:
        b.set("duration_seconds", [(mi_dur, "mediainfo"), (pv_dur, "pyav"), (pv.get("duration"), "pyav"),
                                   (mv.get("duration"), "mediainfo")])
        if pv_dur and mi_dur and abs(pv_dur - mi_dur) > max(1.0, 0.05 * max(pv_dur, mi_dur)):
            warnings.append("duration_mismatch")
    duration = b.values.get("duration_seconds")
    if duration is not None:
        b.values["duration_seconds"] = round(float(duration), 6)

    fps = b.values.get("frame_rate")
    derived_count = (int(round(duration * fps)) if duration and fps and b.values.get("is_vfr") is False else None)
    b.set("frame_count", [(pv.get("frames"), "pyav"), (mv.get("frame_count"), "mediainfo"),
                          (derived_count, "derived")])

    size = fmt.get("size") or mg.get("file_size")
    derived_rate = (size * 8 / duration) if size and duration else None
    overall = b.set("bit_rate_kbps", [(fmt.get("bit_rate"), "pyav"), (mg.get("overall_bit_rate"), "mediainfo"),
                                      (derived_rate, "derived")])
    if overall is not None:
        b.values["bit_rate_kbps"] = round(float(overall) / 1000.0, 3)
    vrate = b.set("video_bit_rate_kbps", [(pv.get("bit_rate"), "pyav"), (mv.get("bit_rate"), "mediainfo")])
    if vrate is not None:
        b.values["video_bit_rate_kbps"] = round(float(vrate) / 1000.0, 3)

    # ---- timecode ---------------------------------------------------------------------------------------------------
    mi_tc = next((o.get("time_code_of_first_frame") for o in (mediainfo.get("other") or [])
                  if o.get("time_code_of_first_frame")), None)
    b.set("timecode", [(_text(pyav.get("timecode")), "pyav"), (_text(mi_tc), "mediainfo"),
                       (_text(mv.get("time_code_of_first_frame")), "mediainfo")])

    # ---- audio / tracks ---------------------------------------------------------------------------------------------
    b.set("audio_codec", [(normalise_codec(pa.get("codec")), "pyav"), (ma.get("codec"), "mediainfo")])
    b.set("audio_channels", [(pa.get("channels"), "pyav"), (ma.get("channels"), "mediainfo")])
    b.set("audio_sample_rate", [(pa.get("sample_rate"), "pyav"), (ma.get("sample_rate"), "mediainfo")])
    if pyav.get("ok"):
        b.set("audio_tracks", [(len(pyav.get("audio") or []), "pyav")])
        b.set("video_tracks", [(len(pv_videos), "pyav")])
    else:
        b.set("audio_tracks", [(len(mediainfo.get("audio") or []), "mediainfo")])
        b.set("video_tracks", [(len(mediainfo.get("video") or []), "mediainfo")])

    # ---- camera -----------------------------------------------------------------------------------------------------
    _camera(b, exif, mi_tags, fmt_meta)
    _gps(b, exif, mi_tags, fmt_meta)
    _created(b, exif, mg, mi_tags, fmt_meta)

    # ---- warnings ---------------------------------------------------------------------------------------------------
    warnings[:0] = _warnings(pyav, mediainfo, exif, b.values, is_ts_ps)
    for field in ESSENTIAL:
        if b.values.get(field) in (None, 0):
            warnings.append(f"missing_{field.removesuffix('_seconds')}")

    values = dict(b.values)
    values["sources"] = dict(b.sources)
    values["warnings"] = list(dict.fromkeys(warnings))
    values["raw"] = _json_safe({"pyav": pyav, "mediainfo": mediainfo, "exiftool": exif})
    from .facets import derive_facets

    return derive_facets(TechnicalMetadata(**values))


# --------------------------------------------------------------------------------------------------------------------


def _container(fmt_name: str | None, fmt_meta: dict[str, Any], mg: dict[str, Any]) -> tuple[str | None, str]:
    if not fmt_name:
        return None, "pyav"
    if fmt_name.startswith("mov,mp4"):
        brand = str(fmt_meta.get("major_brand") or "").strip().lower()
        if brand == "qt":
            return "mov", "pyav"
        if brand.startswith(("3gp", "3g2")):
            return "3gp", "pyav"
        if brand:
            return "mp4", "pyav"
        return (mg.get("container") or "mp4"), ("mediainfo" if mg.get("container") else "pyav")
    if fmt_name.startswith("matroska"):
        if mg.get("container") in ("webm", "matroska"):
            return mg["container"], "mediainfo"
        return "matroska", "pyav"
    return fmt_name.split(",")[0], "pyav"


def _mi_profile(mv: dict[str, Any]) -> str | None:
    prof = _text(mv.get("format_profile"))
    if not prof:
        return None
    codec = mv.get("codec")
    if codec == "prores":
        return PRORES_PROFILES.get(prof.lower(), prof)
    if codec == "dnxhd":
        commercial = _text(mv.get("commercial_name")) or ""
        return commercial.upper() if commercial.upper().startswith(("DNXHR", "DNXHD")) else prof
    return prof.split("@")[0]


def _rate(value: Any) -> float | None:
    f = _num(value)
    if not f or f <= 0 or f > 1000:
        return None
    return round(f, 6)


def _rot(value: Any) -> int | None:
    f = _num(value)
    if f is None:
        return None
    return int(round(f / 90.0) * 90) % 360


def _field_order_scan(value: Any) -> str | None:
    if not value:
        return None
    return "progressive" if value == "progressive" else "interlaced"


def _aspect(b: _Builder, pv: dict[str, Any], mv: dict[str, Any]) -> None:
    dar = _frac(pv.get("display_aspect_ratio"))
    if dar:
        b.set("aspect_ratio", [(format_aspect(dar), "pyav")])
        return
    w, h = b.values.get("width"), b.values.get("height")
    if w and h:
        sar = _frac(pv.get("sample_aspect_ratio"))
        if sar is None and mv.get("pixel_aspect_ratio"):
            sar = Fraction(str(mv["pixel_aspect_ratio"])).limit_denominator(1000)
        ratio = Fraction(int(w), int(h)) * (sar or 1)
        b.set("aspect_ratio", [(format_aspect(ratio), "derived")])
        return
    b.set("aspect_ratio", [(mv.get("display_aspect_ratio_string"), "mediainfo")])


def _vfr(b: _Builder, ts: dict[str, Any], mv: dict[str, Any]) -> None:
    mode = mv.get("frame_rate_mode")
    mi_vfr = True if mode == "VFR" else (False if mode == "CFR" else None)
    pv_vfr = ts.get("vfr") if ts else None
    if mi_vfr or pv_vfr:
        b.set("is_vfr", [(True, "mediainfo" if mi_vfr else "pyav")])
    elif pv_vfr is False:
        b.set("is_vfr", [(False, "pyav")])
    elif mi_vfr is False:
        b.set("is_vfr", [(False, "mediainfo")])


def _camera(b: _Builder, exif: dict[str, Any], mi_tags: dict[str, Any], meta: dict[str, Any]) -> None:
    def mi(*keys: str) -> Any:
        return next((mi_tags[k] for k in keys if mi_tags.get(k)), None)

    def pm(*keys: str) -> Any:
        return next((meta[k] for k in keys if meta.get(k)), None)

    make, _ = _exif_pick(exif, MAKE_TAGS, ["Make"])
    b.set("camera_make", [(_text(make), "exiftool"), (_text(mi("comapplequicktimemake", "make")), "mediainfo"),
                          (_text(pm("com.apple.quicktime.make", "make")), "pyav")])
    model, _ = _exif_pick(exif, MODEL_TAGS, ["Model"])
    b.set("camera_model", [(_text(model), "exiftool"),
                           (_text(mi("comapplequicktimemodel", "model")), "mediainfo"),
                           (_text(pm("com.apple.quicktime.model", "model")), "pyav")])
    serial, _ = _exif_pick(exif, SERIAL_TAGS, SERIAL_NAMES)
    b.set("camera_serial", [(_text(serial), "exiftool"), (_text(mi("serialnumber", "serial_number")), "mediainfo")])
    lens, _ = _exif_pick(exif, LENS_TAGS, LENS_NAMES)
    b.set("lens_model", [(_text(lens), "exiftool"), (_text(mi("comapplequicktimecameralens_model")), "mediainfo"),
                         (_text(pm("com.apple.quicktime.camera.lens_model")), "pyav")])
    focal, _ = _exif_pick(exif, FOCAL_TAGS, ["FocalLength"])
    b.set("focal_length", [(_positive(focal), "exiftool")])
    f35, _ = _exif_pick(exif, FOCAL35_TAGS, ["FocalLengthIn35mmFormat", "FocalLengthIn35mmFilm"])
    b.set("focal_length_35mm", [
        (_positive(f35), "exiftool"),
        (_positive(mi("comapplequicktimecamerafocal_length35mm_equivalent")), "mediainfo"),
        (_positive(pm("com.apple.quicktime.camera.focal_length.35mm_equivalent")), "pyav"),
    ])
    software, _ = _exif_pick(exif, SOFTWARE_TAGS)
    b.set("software", [(_text(software), "exiftool"), (_text(mi("comapplequicktimesoftware")), "mediainfo"),
                       (_text(pm("com.apple.quicktime.software")), "pyav")])


def _positive(value: Any) -> float | None:
    f = _num(value)
    return round(f, 3) if f and f > 0 else None


def _gps(b: _Builder, exif: dict[str, Any], mi_tags: dict[str, Any], meta: dict[str, Any]) -> None:
    # 1. a signed "lat lon [alt]" triple from QuickTime tags (ExifTool -n)
    for tag in GPS_TRIPLE_TAGS:
        raw = exif.get(tag)
        if not raw:
            continue
        parts = [_num(p) for p in str(raw).replace(",", " ").split()]
        if len(parts) >= 2 and parts[0] is not None and parts[1] is not None:
            b.set("gps_latitude", [(parts[0], "exiftool")])
            b.set("gps_longitude", [(parts[1], "exiftool")])
            if len(parts) >= 3 and parts[2] is not None:
                b.set("gps_altitude", [(parts[2], "exiftool")])
            break
    # 2. Composite / XMP / GPS decimal degrees (signed with -n)
    for group in ("Composite", "GPS", "XMP-exif", "XMP-drone-dji"):
        lat, lon = _num(exif.get(f"{group}:GPSLatitude")), _num(exif.get(f"{group}:GPSLongitude"))
        if lat is not None and lon is not None:
            b.set("gps_latitude", [(lat, "exiftool")])
            b.set("gps_longitude", [(lon, "exiftool")])
            break
    if "gps_altitude" not in b.values:
        for group in ("Composite", "GPS", "XMP-exif"):
            alt = _num(exif.get(f"{group}:GPSAltitude"))
            if alt is not None:
                ref = _num(exif.get(f"{group}:GPSAltitudeRef"))
                b.set("gps_altitude", [(-abs(alt) if ref == 1 else alt, "exiftool")])
                break
    if "gps_latitude" in b.values:
        return
    # 3. ISO 6709 strings as MediaInfo / PyAV see them
    for value, source in ((mi_tags.get("comapplequicktimelocationiso6709"), "mediainfo"),
                          (mi_tags.get("xyz"), "mediainfo"),
                          (meta.get("com.apple.quicktime.location.ISO6709"), "pyav"),
                          (meta.get("location"), "pyav")):
        parsed = parse_iso6709(value)
        if parsed:
            b.set("gps_latitude", [(parsed[0], source)])
            b.set("gps_longitude", [(parsed[1], source)])
            if parsed[2] is not None:
                b.set("gps_altitude", [(parsed[2], source)])
            return


def _created(b: _Builder, exif: dict[str, Any], mg: dict[str, Any], mi_tags: dict[str, Any],
             meta: dict[str, Any]) -> None:
    candidates: list[tuple[datetime | None, str, str]] = []
    for tag in CAMERA_DATE_TAGS:
        if tag in exif:
            offset_tag = OFFSET_FOR.get(tag)
            candidates.append((parse_date(exif[tag], offset=exif.get(offset_tag) if offset_tag else None),
                               "exiftool", f"exiftool:{tag}"))
    candidates.append((parse_date(mg.get("recorded_date")), "mediainfo", "mediainfo:recorded_date"))
    candidates.append((parse_date(mi_tags.get("comapplequicktimecreationdate")), "mediainfo",
                       "mediainfo:com.apple.quicktime.creationdate"))
    candidates.append((parse_date(meta.get("com.apple.quicktime.creationdate")), "pyav",
                       "pyav:com.apple.quicktime.creationdate"))
    # container dates (UTC by definition)
    candidates.append((parse_date(meta.get("creation_time"), assume_utc=True), "pyav", "pyav:creation_time"))
    candidates.append((parse_date(mg.get("encoded_date"), assume_utc=True), "mediainfo", "mediainfo:encoded_date"))
    for tag in CONTAINER_DATE_TAGS:
        if tag in exif:
            candidates.append((parse_date(exif[tag], assume_utc=True), "exiftool", f"exiftool:{tag}"))
    candidates.append((parse_date(mg.get("tagged_date"), assume_utc=True), "mediainfo", "mediainfo:tagged_date"))
    for value, source, label in candidates:
        if value is not None:
            b.set("created_at", [(value, source)])
            b.values["created_at_source"] = label
            b.sources["created_at_source"] = source
            return


def _warnings(pyav: dict[str, Any], mediainfo: dict[str, Any], exif: dict[str, Any], values: dict[str, Any],
              is_ts_ps: bool) -> list[str]:
    out: list[str] = []
    mg = mediainfo.get("general") or {}
    ts = pyav.get("timestamps") or {}
    truncated = bool(mg.get("is_truncated") or pyav.get("truncated_evidence"))
    duration = values.get("duration_seconds")
    if not truncated and ts.get("source") == "packets" and ts.get("reached_eof") and duration and not is_ts_ps:
        last, first = ts.get("last_end_time"), ts.get("first_time") or 0.0
        if last is not None and (last - first) < duration - max(1.0, 0.1 * duration):
            truncated = True
    if truncated:
        out.append("truncated")
    if pyav.get("ok") and pyav.get("decode_error"):
        out.append("decode_failed")
    if pyav.get("demux_error"):
        out.append("demux_error")
    if not pyav.get("ok"):
        out.append("pyav_failed")
    if not mediainfo.get("ok"):
        out.append("mediainfo_failed")
    if not exif:
        out.append("exiftool_no_tags")
    return out
