"""Container and stream facts from PyAV (FFmpeg's demuxers), read-only and cheap.

`probe(path)` opens the file with `av.open(path)` (read mode), reads the stream parameters FFmpeg exposes without
decoding, decodes exactly one frame of the main video stream (for the display-matrix rotation and any colour tags the
container lacked), and collects timestamps for frame-rate regularity:

* from the demuxer's sample index when it lists every frame (MOV/MP4: no I/O at all), otherwise
* from the first `MAX_PACKETS` video packets (stopping early after `MAX_BYTES` of packet data), other streams
  discarded so the demuxer skips them where it can.

It never decodes the whole file. Every value in the returned dict is JSON-serialisable; colour names are FFmpeg's
(`av_color_*_name`), times are seconds, rates are floats with the exact rational beside them as "num/den".
On failure the dict has ``ok: False`` and ``error``/``error_type`` instead of raising (the caller classifies).
"""

from __future__ import annotations

import os
import statistics
from fractions import Fraction
from typing import Any

import av

MAX_PACKETS = 1000
MAX_BYTES = 64 * 1024 * 1024
FIRST_FRAME_PACKETS = 120  # give up looking for a first decodable frame after this many packets

# libavutil/pixfmt.h enum values → av_color_*_name() strings (stable ABI). "unknown"/reserved map to None.
COLOR_PRIMARIES = {
    1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020", 10: "smpte428",
    11: "smpte431", 12: "smpte432", 22: "ebu3213",
}
COLOR_TRC = {
    1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear", 9: "log100", 10: "log316",
    11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084",
    17: "smpte428", 18: "arib-std-b67",
}
COLOR_SPACE = {
    0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco", 9: "bt2020nc",
    10: "bt2020c", 11: "smpte2085", 12: "chroma-derived-nc", 13: "chroma-derived-c", 14: "ictcp", 15: "ipt-c2",
    16: "ycgco-re", 17: "ycgco-ro",
}
COLOR_RANGE = {1: "limited", 2: "full"}  # FFmpeg: tv / pc
FIELD_ORDER = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}

# Demuxers that read still images (FFmpeg's image2 family, "*_pipe"); a "video" stream from these is a picture.
# GIF/APNG animations count as pictures too.
IMAGE_FORMAT_SUFFIX = "_pipe"
IMAGE_FORMATS = {"image2", "image2pipe", "apng", "gif", "ico"}


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return out if out == out and out not in (float("inf"), float("-inf")) else None


def _ratio(value: Fraction | None) -> str | None:
    if value is None or not value.denominator or value.numerator <= 0:
        return None
    return f"{value.numerator}/{value.denominator}"


def _seconds(ts: int | None, time_base: Fraction | None) -> float | None:
    if ts is None or time_base is None:
        return None
    return float(ts * time_base)


def _meta(mapping: Any) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in dict(mapping).items()}
    except Exception:  # noqa: BLE001 - undecodable metadata never stops a probe
        return {}


def pix_fmt_facts(pix_fmt: str | None) -> dict[str, Any]:
    """Bit depth and chroma subsampling from FFmpeg's pixel-format descriptor (e.g. yuv422p10le → 10, "4:2:2")."""
    if not pix_fmt:
        return {"bit_depth": None, "chroma_subsampling": None}
    try:
        fmt = av.VideoFormat(pix_fmt, 16, 16)
    except Exception:  # noqa: BLE001
        return {"bit_depth": None, "chroma_subsampling": None}
    comps = list(fmt.components)
    depth = max((c.bits for c in comps if not c.is_alpha), default=None)
    if "bayer" in pix_fmt:
        return {"bit_depth": depth, "chroma_subsampling": None}
    colour = [c for c in comps if not c.is_alpha]
    if fmt.is_rgb or pix_fmt.startswith(("gbr", "rgb", "bgr", "argb", "abgr", "rgba", "bgra", "x2rgb", "x2bgr")):
        chroma = "4:4:4"
    elif len(colour) == 1:
        chroma = "4:0:0"
    else:
        w = 16 // max(1, fmt.chroma_width())
        h = 16 // max(1, fmt.chroma_height())
        chroma = {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (4, 1): "4:1:1", (1, 2): "4:4:0",
                  (4, 4): "4:1:0"}.get((w, h))
    return {"bit_depth": depth, "chroma_subsampling": chroma}


def _matrix_name(value: int, pix_fmt: str | None) -> str | None:
    """AVCOL_SPC_RGB (0) only means something for RGB pixel formats; elsewhere it is an unset field."""
    if value == 0 and not (pix_fmt or "").startswith(("gbr", "rgb", "bgr", "argb", "abgr", "rgba", "bgra")):
        return None
    return COLOR_SPACE.get(value)


def _is_attached_pic(stream: Any) -> bool:
    try:
        return bool(int(stream.disposition) & int(type(stream.disposition).attached_pic))
    except Exception:  # noqa: BLE001
        return False


def _codec_names(ctx: Any) -> tuple[str | None, str | None]:
    try:
        codec = ctx.codec
        return (codec.canonical_name or codec.name), codec.long_name
    except Exception:  # noqa: BLE001 - unknown codec (no decoder): FFmpeg still knows the id name
        return getattr(ctx, "name", None), None


def _video_stream(stream: Any) -> dict[str, Any]:
    ctx = stream.codec_context
    name, long_name = _codec_names(ctx)
    pix_fmt = getattr(ctx, "pix_fmt", None)
    sar = stream.sample_aspect_ratio
    dar = stream.display_aspect_ratio
    out: dict[str, Any] = {
        "index": stream.index,
        "codec": name,
        "codec_long_name": long_name,
        "profile": stream.profile,
        "width": ctx.width or None,
        "height": ctx.height or None,
        "sample_aspect_ratio": _ratio(sar),
        "display_aspect_ratio": _ratio(dar),
        "average_rate": _float(stream.average_rate),
        "average_rate_ratio": _ratio(stream.average_rate),
        "guessed_rate": _float(stream.guessed_rate),
        "base_rate": _float(stream.base_rate),
        "frames": stream.frames or None,
        "time_base": _ratio(stream.time_base),
        "start_time": _seconds(stream.start_time, stream.time_base),
        "duration": _seconds(stream.duration, stream.time_base),
        "pix_fmt": pix_fmt,
        "bit_rate": ctx.bit_rate or None,
        "color_primaries": COLOR_PRIMARIES.get(ctx.color_primaries),
        "color_transfer": COLOR_TRC.get(ctx.color_trc),
        "color_space": _matrix_name(ctx.colorspace, pix_fmt),
        "color_range": COLOR_RANGE.get(ctx.color_range),
        "field_order": FIELD_ORDER.get(getattr(ctx, "field_order", 0) or 0),
        "attached_pic": _is_attached_pic(stream),
        "metadata": _meta(stream.metadata),
    }
    out.update(pix_fmt_facts(pix_fmt))
    return out


def _audio_stream(stream: Any) -> dict[str, Any]:
    ctx = stream.codec_context
    name, long_name = _codec_names(ctx)
    channels = None
    layout = None
    try:
        layout = ctx.layout.name
        channels = ctx.layout.nb_channels or None
    except Exception:  # noqa: BLE001
        channels = getattr(ctx, "channels", None) or None
    return {
        "index": stream.index,
        "codec": name,
        "codec_long_name": long_name,
        "profile": stream.profile,
        "channels": channels,
        "layout": layout,
        "sample_rate": ctx.sample_rate or None,
        "bit_rate": ctx.bit_rate or None,
        "duration": _seconds(stream.duration, stream.time_base),
        "metadata": _meta(stream.metadata),
    }


def _vfr_from_timestamps(ts: list[int]) -> dict[str, Any]:
    """Regularity of sorted timestamps: deltas within ±1 tick or 3 % of the median count as constant.

    More than 2 % irregular deltas (and at least 2 of them) is variable frame rate. The last delta is ignored (a
    final frame is often shorter).
    """
    uniq = sorted(set(ts))
    deltas = [b - a for a, b in zip(uniq, uniq[1:], strict=False)][:-1] if len(uniq) > 3 else []
    if len(deltas) < 2:
        return {"count": len(uniq), "vfr": None}
    med = statistics.median(deltas)
    tol = max(1.0, 0.03 * med)
    irregular = sum(1 for d in deltas if abs(d - med) > tol)
    return {
        "count": len(uniq),
        "delta_median": med,
        "delta_min": min(deltas),
        "delta_max": max(deltas),
        "irregular": irregular,
        "vfr": irregular >= 2 and irregular > 0.02 * len(deltas),
    }


def _index_truncation(container: Any, file_size: int) -> str | None:
    """Sample-table containers (MOV/MP4) list every sample's file offset: one beyond EOF means data is missing."""
    worst = 0
    for stream in container.streams:
        try:
            entries = stream.index_entries
            n = len(entries)
        except Exception:  # noqa: BLE001
            continue
        if n == 0:
            continue
        tail = entries[max(0, n - 64) :]
        worst = max(worst, max(((e.pos + e.size) for e in tail if e.pos is not None and e.pos >= 0), default=0))
    if worst > file_size:
        return f"sample index reaches byte {worst} but the file has {file_size} bytes"
    return None


def probe(path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "error": None, "error_type": None}
    try:
        file_size = os.path.getsize(path)
    except OSError:
        file_size = None
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except Exception as exc:  # noqa: BLE001 - classified by the caller
        out["error"] = str(exc)
        out["error_type"] = type(exc).__name__
        out["is_permission_error"] = isinstance(exc, PermissionError)
        out["is_missing"] = isinstance(exc, FileNotFoundError)
        out["is_os_error"] = isinstance(exc, OSError)  # EIO & co. (bad data is InvalidDataError, a ValueError)
        return out
    try:
        _probe_open(container, out, file_size)
        out["ok"] = True
    except Exception as exc:  # noqa: BLE001
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["error_type"] = type(exc).__name__
        out["ok"] = "main_video" in out  # stream facts were gathered: a later step failing is only noted
    finally:
        try:
            container.close()
        except Exception:  # noqa: BLE001
            pass
    return out


def _probe_open(container: Any, out: dict[str, Any], file_size: int | None) -> None:
    fmt_name = container.format.name
    out["format"] = {
        "name": fmt_name,
        "long_name": container.format.long_name,
        "duration": container.duration / 1_000_000 if container.duration else None,
        "start_time": container.start_time / 1_000_000 if container.start_time is not None else None,
        "bit_rate": container.bit_rate or None,
        "size": file_size,
        "metadata": _meta(container.metadata),
    }
    videos = [s for s in container.streams if s.type == "video"]
    video_info = [_video_stream(s) for s in videos]
    out["video"] = video_info
    out["audio"] = [_audio_stream(s) for s in container.streams if s.type == "audio"]
    out["subtitle_tracks"] = sum(1 for s in container.streams if s.type == "subtitle")
    out["data"] = [
        {"index": s.index, "type": s.type, "metadata": _meta(s.metadata)}
        for s in container.streams
        if s.type not in ("video", "audio", "subtitle")
    ]
    main_idx = next((i for i, v in enumerate(video_info) if not v["attached_pic"]), None)
    out["main_video"] = main_idx
    # Only the demuxer decides: PNG, JPEG 2000 or DPX inside MOV/MXF are real video codecs.
    out["is_image"] = bool(
        main_idx is not None and (fmt_name.endswith(IMAGE_FORMAT_SUFFIX) or fmt_name in IMAGE_FORMATS)
    )
    out["timecode"] = _timecode(container, videos[main_idx] if main_idx is not None else None)
    if file_size is not None:
        out["truncated_evidence"] = _index_truncation(container, file_size)
    if main_idx is None or out["is_image"]:
        return
    vstream = videos[main_idx]
    _scan(container, vstream, out)


def _timecode(container: Any, vstream: Any) -> str | None:
    candidates = []
    if vstream is not None:
        candidates.append(vstream.metadata)
    candidates.extend(s.metadata for s in container.streams if s.type == "data")
    candidates.append(container.metadata)
    candidates.extend(s.metadata for s in container.streams)
    for meta in candidates:
        try:
            tc = dict(meta).get("timecode")
        except Exception:  # noqa: BLE001
            tc = None
        if tc:
            return str(tc)
    return None


def _scan(container: Any, vstream: Any, out: dict[str, Any]) -> None:
    """Decode one frame and gather timestamps (index first, packets otherwise)."""
    tb = vstream.time_base
    index_ts: list[int] | None = None
    try:
        entries = vstream.index_entries
        n = len(entries)
        if vstream.frames and n >= 2 and n >= 0.9 * vstream.frames:
            index_ts = [e.timestamp for e in entries[: min(n, MAX_PACKETS)]]
    except Exception:  # noqa: BLE001
        index_ts = None

    for s in container.streams:
        if s.index != vstream.index:
            try:
                s.discard = type(s.discard).all
            except Exception:  # noqa: BLE001
                pass
    ctx = vstream.codec_context
    try:
        ctx.skip_frame = "NONKEY"
    except Exception:  # noqa: BLE001
        pass

    first: dict[str, Any] | None = None
    decode_error = None
    pts: list[int] = []
    packets = 0
    nbytes = 0
    last_end = None
    eof = False
    fed = 0
    want_packets = index_ts is None
    try:
        for packet in container.demux(vstream):
            if packet.size == 0 and packet.dts is None:
                eof = True
                break
            packets += 1
            nbytes += packet.size
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is not None:
                pts.append(ts)
                end = ts + (packet.duration or 0)
                last_end = end if last_end is None else max(last_end, end)
            if first is None and fed < FIRST_FRAME_PACKETS:
                fed += 1
                try:
                    frames = vstream.decode(packet)
                    if frames:
                        first = _frame_facts(frames[0])
                except Exception as exc:  # noqa: BLE001 - one bad packet: keep trying the next ones
                    decode_error = f"{type(exc).__name__}: {exc}"
            if first is not None or fed >= FIRST_FRAME_PACKETS:
                if not want_packets or packets >= MAX_PACKETS or nbytes >= MAX_BYTES:
                    break
        else:
            eof = True
    except Exception as exc:  # noqa: BLE001 - a demux error mid-file is evidence, not a failure
        out["demux_error"] = f"{type(exc).__name__}: {exc}"
    if first is None:
        try:
            frames = vstream.decode(None)  # drain frames the decoder was still holding back
            if frames:
                first = _frame_facts(frames[0])
        except Exception as exc:  # noqa: BLE001
            decode_error = decode_error or f"{type(exc).__name__}: {exc}"
    if first is not None:
        decode_error = None
    elif decode_error is None:
        decode_error = f"no frame decoded from the first {fed} packets"
    out["first_frame"] = first
    out["decode_error"] = decode_error
    if first is not None:
        out["rotation"] = (-int(round(first["rotation"] or 0))) % 360
    else:
        rotate = _float((vstream.metadata or {}).get("rotate"))  # pre-FFmpeg-5 demuxers' clockwise tag
        out["rotation"] = int(rotate) % 360 if rotate is not None else None

    if index_ts is not None:
        stats = _vfr_from_timestamps(index_ts)
        stats["source"] = "index"
    else:
        stats = _vfr_from_timestamps(pts)
        stats["source"] = "packets"
        stats["packets"] = packets
        stats["bytes"] = nbytes
        stats["reached_eof"] = eof
        stats["last_end_time"] = _seconds(last_end, tb)
        stats["first_time"] = _seconds(min(pts), tb) if pts else None
    stats["time_base"] = _ratio(tb)
    out["timestamps"] = stats


def _frame_facts(frame: Any) -> dict[str, Any]:
    fmt = frame.format.name if frame.format is not None else None
    facts: dict[str, Any] = {
        "pix_fmt": fmt,
        "width": frame.width,
        "height": frame.height,
        "rotation": int(round(frame.rotation or 0)),  # FFmpeg: counter-clockwise degrees
        "color_primaries": COLOR_PRIMARIES.get(frame.color_primaries),
        "color_transfer": COLOR_TRC.get(frame.color_trc),
        "color_space": _matrix_name(frame.colorspace, fmt),
        "color_range": COLOR_RANGE.get(frame.color_range),
        "interlaced": bool(frame.interlaced_frame),
        "key_frame": bool(frame.key_frame),
        "time": _float(frame.time),
    }
    facts.update(pix_fmt_facts(fmt))
    return facts
