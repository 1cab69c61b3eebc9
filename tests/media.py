"""Deterministic test media, generated in-process with PyAV (no network, no binaries checked in).

`make_clip()` writes one clip with a moving test pattern (gradient + moving box + frame-counter blocks, so every frame
differs) and returns its path. Named helpers below build each fixture the tests need; `make_corpus(dir)` builds the
whole set and returns ``{name: Path}``. Camera tags are written by PyAV (Apple QuickTime "Keys" with
``movflags=use_metadata_tags``) or by ``exiftool -overwrite_original`` (Sony: UserData + XMP tags).

Each fixture's known truth is a module-level dict (``PRORES``, ``DNXHR``, ``APPLE`` …): the tests assert the
extracted metadata against these, so a change to a helper must keep its constant honest.

Cost: the whole corpus builds in ~5 s on 2 idle cores (the 4K HEVC clip is the dearest, 1–2 s; more under load).
"""

from __future__ import annotations

import os
import struct
import subprocess
import wave
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

# --------------------------------------------------------------------------------------------------------------------
# Known truths (what the extractor must report for each fixture)
# --------------------------------------------------------------------------------------------------------------------

PRORES: dict[str, Any] = dict(
    file="prores_hq.mov", container="mov", codec="prores", codec_profile="HQ", width=640, height=360,
    aspect_ratio="16:9", frame_rate=25.0, seconds=1.0, bit_depth=10, pixel_format="yuv422p10le",
    chroma_subsampling="4:2:2", audio_codec="pcm_s16le", audio_channels=2, audio_sample_rate=48000,
)
"""ProRes 422 HQ, 10-bit 4:2:2 in QuickTime, 1 s at 25 fps, PCM s16 stereo 48 kHz (prores_aw encoder)."""

DNXHR: dict[str, Any] = dict(
    file="dnxhr_hq.mxf", container="mxf", codec="dnxhd", codec_profile="DNXHR HQ", width=640, height=360,
    aspect_ratio="16:9", frame_rate=25.0, seconds=1.0, bit_depth=8, pixel_format="yuv422p",
    chroma_subsampling="4:2:2", audio_codec="pcm_s16le", audio_channels=1, audio_sample_rate=48000,
)
"""DNxHR HQ 8-bit 4:2:2 in MXF OP1a, 1 s at 25 fps, one mono PCM track (MXF carries one channel per track here)."""

DNXHR_MOV: dict[str, Any] = dict(
    file="dnxhr_sq.mov", container="mov", codec="dnxhd", codec_profile="DNXHR SQ", width=640, height=360,
    frame_rate=25.0, seconds=1.0, bit_depth=8, chroma_subsampling="4:2:2", audio_tracks=0,
)
"""DNxHR SQ 8-bit in QuickTime, no audio."""

APPLE: dict[str, Any] = dict(
    file="iphone.mov", container="mov", codec="h264", codec_profile="High", width=640, height=360,
    aspect_ratio="16:9", frame_rate=30.0, seconds=1.0, bit_depth=8, chroma_subsampling="4:2:0",
    make="Apple", model="iPhone 15 Pro", software="17.4.1",
    lens_model="iPhone 15 Pro back triple camera 6.765mm f/1.78", focal_length_35mm=24.0,
    creation_date="2024-05-17T14:23:05+02:00",  # Keys:CreationDate, local time with zone (camera tag)
    container_date="2024-05-17T12:23:07+00:00",  # mvhd CreateDate / creation_time (UTC, 2 s later)
    iso6709="+48.8584+002.2945+035.000/", gps_latitude=48.8584, gps_longitude=2.2945, gps_altitude=35.0,
    audio_codec="aac", audio_channels=2, audio_sample_rate=48000,
    color_primaries="bt709", color_transfer="bt709", color_space="bt709", color_range="limited",
)
"""iPhone-like H.264 High in QuickTime with Apple `com.apple.quicktime.*` Keys (make, model, software, creationdate
with +02:00 zone, ISO 6709 location, camera.lens_model, camera.focal_length.35mm_equivalent), BT.709 colour tags, AAC
stereo 48 kHz. ExifTool 12.57 reads the lens keys as Keys:CameraLensModel / Keys:CameraFocalLength35mmEquivalent."""

SONY: dict[str, Any] = dict(
    file="sony_a7iv.mp4", container="mp4", codec="h264", width=640, height=360, frame_rate=25.0, seconds=1.0,
    make="Sony", model="ILCE-7M4", serial="5123456", lens_model="FE 24-70mm F2.8 GM II", focal_length=35.0,
    date_time_original="2024-03-02T09:15:30+09:00",  # UserData:DateTimeOriginal (camera tag)
    container_date="2024-03-02T00:15:31+00:00",  # mvhd CreateDate (UTC)
    audio_codec="aac", audio_channels=2, audio_sample_rate=48000,
)
"""Sony-like H.264 MP4: exiftool writes UserData:Make/Model/SerialNumber/DateTimeOriginal (udta ©mak ©mod slno ©day)
and XMP-exifEX:LensModel + XMP-exif:FocalLength (real Sony XAVC keeps these in an NRT XML box exiftool can't write;
its tags read back as XML:DeviceManufacturer/DeviceModelName/DeviceSerialNo, which the extractor also knows)."""

HEVC_HDR: dict[str, Any] = dict(
    file="hevc_4k_hdr.mp4", container="mp4", codec="hevc", codec_profile="Main 10", width=3840, height=2160,
    aspect_ratio="16:9", frame_rate=24.0, seconds=0.5, bit_depth=10, pixel_format="yuv420p10le",
    chroma_subsampling="4:2:0", color_primaries="bt2020", color_transfer="smpte2084", color_space="bt2020nc",
    color_range="limited", audio_tracks=0,
)
"""4K HEVC Main 10 (libx265 ultrafast), BT.2020 primaries, PQ (SMPTE 2084) transfer, BT.2020 NCL matrix, 12 frames."""

HLG: dict[str, Any] = dict(
    file="hevc_hlg.mov", container="mov", codec="hevc", codec_profile="Main 10", width=640, height=360,
    frame_rate=25.0, seconds=0.48, bit_depth=10, color_primaries="bt2020", color_transfer="arib-std-b67",
    color_space="bt2020nc",
)
"""Small HEVC Main 10 with HLG (ARIB STD-B67) transfer."""

VP9: dict[str, Any] = dict(
    file="vp9.webm", container="webm", codec="vp9", width=320, height=240, aspect_ratio="4:3", frame_rate=30.0,
    seconds=1.0, bit_depth=8, chroma_subsampling="4:2:0", audio_codec="opus", audio_channels=2,
    audio_sample_rate=48000,
)
"""VP9 8-bit in WebM with Opus stereo 48 kHz."""

MPEG2_TS: dict[str, Any] = dict(
    file="mpeg2.ts", container="mpegts", codec="mpeg2video", width=720, height=576, frame_rate=25.0, seconds=2.0,
    bit_depth=8, chroma_subsampling="4:2:0", audio_codec="mp2", audio_channels=2, audio_sample_rate=48000,
)
"""MPEG-2 video (4:2:0, 720x576 SAR 1:1 → DAR 5:4) + MP2 audio in MPEG-TS (188-byte packets), 2 s at 25 fps.
Duration must come from PyAV (timestamps), not MediaInfo's estimate."""

MPEG2_MTS: dict[str, Any] = dict(MPEG2_TS, file="avchd_like.MTS", container="mpegts")
"""Same content as MPEG2_TS in M2TS mode (192-byte packets, `mpegts_m2ts_mode`), named .MTS as on AVCHD cards."""

MPEG4_AVI: dict[str, Any] = dict(
    file="mpeg4.avi", container="avi", codec="mpeg4", width=320, height=240, frame_rate=25.0, seconds=1.0,
    bit_depth=8, chroma_subsampling="4:2:0", audio_codec="pcm_s16le", audio_channels=2, audio_sample_rate=44100,
)
"""MPEG-4 Part 2 (Simple Profile) in AVI with PCM 16-bit stereo 44.1 kHz."""

MKV: dict[str, Any] = dict(
    file="h264.mkv", container="matroska", codec="h264", width=480, height=270, aspect_ratio="16:9",
    frame_rate=25.0, seconds=1.0, bit_depth=8, audio_codec="opus", audio_channels=2, audio_sample_rate=48000,
    title="vcat test mkv",
)
"""H.264 + Opus in Matroska with a title tag."""

VFR: dict[str, Any] = dict(
    file="vfr.mp4", container="mp4", codec="h264", width=320, height=240, seconds=1.644, frames=40,
    deltas_ms=(33, 50), is_vfr=True,
)
"""H.264 in MP4, frames stamped in milliseconds with gaps alternating 33 ms / 50 ms: 40 frames, 1.644 s, ≈24.3 fps
on average (MediaInfo: Variable, 20–30.3 fps). The MP4 muxer stores the track at a 1/16000 time scale."""

TIMECODE: dict[str, Any] = dict(
    file="timecode.mov", container="mov", codec="h264", width=320, height=240, frame_rate=25.0, seconds=1.0,
    timecode="01:00:00:00",
)
"""H.264 QuickTime with a tmcd track starting 01:00:00:00 (set via the `timecode` container tag)."""

ROTATED: dict[str, Any] = dict(
    file="rotated.mp4", container="mp4", codec="h264", width=320, height=240, frame_rate=30.0, seconds=1.0,
    rotation=90,
)
"""H.264 MP4 shot 'portrait': coded 320x240 with a display matrix that rotates 90° clockwise on playback (the
FFmpeg side-data value is -90, counter-clockwise; MediaInfo and ExifTool say 90)."""

CFR: dict[str, Any] = dict(
    file="cfr.mp4", container="mp4", codec="h264", width=320, height=240, frame_rate=25.0, seconds=1.0,
    is_vfr=False, frames=25, audio_tracks=0,
)
"""Plain H.264 CFR MP4 with `faststart` (moov first), no audio: the source of the truncated copy."""

# Bad inputs: expected error class name and a substring of its message (lower-case).
BAD: dict[str, tuple[str, str]] = {
    "empty": ("NotAVideoError", "empty file (0 bytes)"),
    "random_bytes": ("NotAVideoError", "not a video: unrecognised data"),
    "text": ("NotAVideoError", "looks like a text file"),
    "png": ("NotAVideoError", "png image"),
    "wav": ("NotAVideoError", "audio only"),
    "no_moov": ("CorruptMediaError", "mpeg-4 container recognised but unreadable"),
}
"""`truncated` is not here: its header is intact, so it extracts with the `truncated` warning instead of failing."""

# --------------------------------------------------------------------------------------------------------------------
# Frame and audio generation
# --------------------------------------------------------------------------------------------------------------------

_BASE_CACHE: dict[tuple[int, int], np.ndarray] = {}


def _base(width: int, height: int) -> np.ndarray:
    key = (width, height)
    if key not in _BASE_CACHE:
        x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
        y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
        img = np.empty((height, width, 3), np.uint8)
        img[..., 0] = x.astype(np.uint8)
        img[..., 1] = y.astype(np.uint8)
        img[..., 2] = ((x + y) / 2).astype(np.uint8)
        _BASE_CACHE[key] = img
    return _BASE_CACHE[key]


def pattern(index: int, width: int, height: int) -> np.ndarray:
    """RGB24 test frame `index`: gradient, a white box moving left→right, and 16 binary frame-counter blocks."""
    img = _base(width, height).copy()
    box = max(8, min(width, height) // 6)
    span = max(1, width - box)
    bx = (index * max(2, width // 40)) % span
    by = (height - box) // 2
    img[by : by + box, bx : bx + box] = 255
    blk = max(4, width // 32)
    for bit in range(16):
        on = (index >> bit) & 1
        img[0:blk, bit * blk : (bit + 1) * blk] = 230 if on else 20
    return img


def _video_frame(index: int, width: int, height: int, pix_fmt: str) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(pattern(index, width, height), format="rgb24")
    if pix_fmt != "rgb24":
        frame = frame.reformat(format=pix_fmt)
    return frame


def _audio_samples(n: int, rate: int, channels: int, start: int) -> np.ndarray:
    t = (np.arange(start, start + n, dtype=np.float64)) / rate
    chans = [0.25 * np.sin(2 * np.pi * (440.0 * (c + 1)) * t) for c in range(channels)]
    return np.stack(chans).astype(np.float32)


def _encode_audio(container, stream, seconds: float) -> None:
    ctx = stream.codec_context
    rate = ctx.sample_rate
    channels = ctx.layout.nb_channels
    fmt = ctx.format.name
    frame_size = ctx.frame_size or 1024
    total = int(round(seconds * rate))
    pos = 0
    while pos < total:
        n = min(frame_size, total - pos)
        data = _audio_samples(n, rate, channels, pos)
        if fmt == "fltp":
            arr = data
        elif fmt == "flt":
            arr = data.T.reshape(1, -1)
        elif fmt == "s16":
            arr = (data.T * 32767).astype(np.int16).reshape(1, -1)
        elif fmt == "s16p":
            arr = (data * 32767).astype(np.int16)
        elif fmt == "s32":
            arr = (data.T * 2147483647).astype(np.int32).reshape(1, -1)
        else:  # pragma: no cover - formats we do not use
            raise ValueError(f"unsupported sample format {fmt}")
        frame = av.AudioFrame.from_ndarray(arr, format=fmt, layout=ctx.layout.name)
        frame.sample_rate = rate
        frame.pts = pos
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            container.mux(packet)
        pos += n
    for packet in stream.encode(None):
        container.mux(packet)


def make_clip(
    path: str | os.PathLike,
    *,
    codec: str = "libx264",
    width: int = 320,
    height: int = 240,
    fps: float | Fraction = 25,
    seconds: float = 1.0,
    frames: int | None = None,
    pix_fmt: str = "yuv420p",
    format: str | None = None,
    container_options: dict[str, str] | None = None,
    codec_options: dict[str, str] | None = None,
    profile: str | None = None,
    bit_rate: int | None = None,
    gop: int | None = None,
    audio: bool | str = False,
    audio_rate: int = 48000,
    audio_layout: str = "stereo",
    audio_tracks: int = 1,
    metadata: dict[str, str] | None = None,
    stream_metadata: dict[str, str] | None = None,
    color: dict[str, int] | None = None,
    rotation: int | None = None,
    pts_ms: list[int] | None = None,
) -> Path:
    """Encode a test-pattern clip and return its path.

    `audio`: False, True (AAC) or an encoder name ("pcm_s16le", "opus", "mp2" …). `color`: codec-context integers
    ``{"color_primaries": 9, "color_trc": 16, "colorspace": 9, "color_range": 1}`` (FFmpeg enum values).
    `rotation`: degrees *clockwise* the player should apply (written as a display matrix). `pts_ms`: explicit frame
    timestamps in milliseconds (time base 1/1000) for variable-frame-rate clips; `frames` defaults to fps×seconds.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    if pts_ms is not None:
        n_frames = len(pts_ms)
    else:
        n_frames = frames if frames is not None else max(1, int(round(float(rate) * seconds)))
    container = av.open(str(path), mode="w", format=format, options=dict(container_options or {}))
    try:
        if metadata:
            container.metadata.update(metadata)
        opts = dict(codec_options or {})
        if profile is not None:
            opts["profile"] = profile
        vstream = container.add_stream(codec, rate=rate, options=opts)
        vstream.width = width
        vstream.height = height
        vstream.pix_fmt = pix_fmt
        ctx = vstream.codec_context
        if gop is not None:
            ctx.gop_size = gop
        if bit_rate is not None:
            ctx.bit_rate = bit_rate
        if pts_ms is not None:
            ctx.time_base = Fraction(1, 1000)
            vstream.time_base = Fraction(1, 1000)
        for key, value in (color or {}).items():
            setattr(ctx, key, value)
        if stream_metadata:
            vstream.metadata.update(stream_metadata)
        if rotation:
            vstream.set_display_rotation(-rotation)  # PyAV takes counter-clockwise degrees
        astreams = []
        if audio:
            acodec = "aac" if audio is True else str(audio)
            for _ in range(audio_tracks):
                astreams.append(container.add_stream(acodec, rate=audio_rate, layout=audio_layout))
        for i in range(n_frames):
            frame = _video_frame(i, width, height, pix_fmt)
            for key, value in (color or {}).items():
                setattr(frame, key, value)
            if pts_ms is not None:
                frame.pts = pts_ms[i]
                frame.time_base = Fraction(1, 1000)
            else:
                frame.pts = i
                frame.time_base = 1 / rate
            for packet in vstream.encode(frame):
                container.mux(packet)
        for packet in vstream.encode(None):
            container.mux(packet)
        clip_seconds = (pts_ms[-1] / 1000.0 + 0.04) if pts_ms is not None else n_frames / float(rate)
        for astream in astreams:
            _encode_audio(container, astream, clip_seconds)
    finally:
        container.close()
    return path


def exiftool_write(path: str | os.PathLike, *assignments: str) -> Path:
    """Write tags with `exiftool -overwrite_original -TAG=VALUE …` (fixture set-up only, never on user media)."""
    cmd = ["exiftool", "-q", "-overwrite_original", *assignments, str(path)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return Path(path)


# --------------------------------------------------------------------------------------------------------------------
# Named fixtures
# --------------------------------------------------------------------------------------------------------------------

# FFmpeg enum values (libavutil/pixfmt.h)
BT709, BT2020 = 1, 9
TRC_PQ, TRC_HLG = 16, 18
SPC_BT2020NC = 9
RANGE_LIMITED = 1


def make_prores(dir: Path) -> Path:
    t = PRORES
    return make_clip(
        Path(dir) / t["file"], codec="prores_aw", profile="3", width=t["width"], height=t["height"], fps=25,
        seconds=t["seconds"], pix_fmt="yuv422p10le", audio="pcm_s16le",
        color={"color_primaries": BT709, "color_trc": BT709, "colorspace": BT709, "color_range": RANGE_LIMITED},
    )


def make_dnxhr_mxf(dir: Path) -> Path:
    t = DNXHR
    return make_clip(
        Path(dir) / t["file"], codec="dnxhd", profile="dnxhr_hq", width=t["width"], height=t["height"], fps=25,
        seconds=t["seconds"], pix_fmt="yuv422p", format="mxf", audio="pcm_s16le", audio_layout="mono",
    )


def make_dnxhr_mov(dir: Path) -> Path:
    t = DNXHR_MOV
    return make_clip(
        Path(dir) / t["file"], codec="dnxhd", profile="dnxhr_sq", width=t["width"], height=t["height"], fps=25,
        seconds=t["seconds"], pix_fmt="yuv422p",
    )


def make_apple(dir: Path) -> Path:
    t = APPLE
    keys = {
        "com.apple.quicktime.make": t["make"],
        "com.apple.quicktime.model": t["model"],
        "com.apple.quicktime.software": t["software"],
        "com.apple.quicktime.creationdate": "2024-05-17T14:23:05+0200",
        "com.apple.quicktime.location.ISO6709": t["iso6709"],
        "com.apple.quicktime.camera.lens_model": t["lens_model"],
        "com.apple.quicktime.camera.focal_length.35mm_equivalent": "24",
        "creation_time": "2024-05-17T12:23:07.000000Z",
    }
    return make_clip(
        Path(dir) / t["file"], codec="libx264", profile="high", width=t["width"], height=t["height"], fps=30,
        seconds=t["seconds"], audio="aac", metadata=keys, container_options={"movflags": "use_metadata_tags"},
        codec_options={"preset": "veryfast"},  # (ultrafast turns CABAC/8x8 off → Constrained Baseline)
        color={"color_primaries": BT709, "color_trc": BT709, "colorspace": BT709, "color_range": RANGE_LIMITED},
    )


def make_sony(dir: Path) -> Path:
    t = SONY
    path = make_clip(
        Path(dir) / t["file"], codec="libx264", width=t["width"], height=t["height"], fps=25, seconds=t["seconds"],
        audio="aac", metadata={"creation_time": "2024-03-02T00:15:31.000000Z"}, codec_options={"preset": "ultrafast"},
    )
    return exiftool_write(
        path,
        f"-UserData:Make={t['make']}",
        f"-UserData:Model={t['model']}",
        f"-UserData:SerialNumber={t['serial']}",
        "-UserData:DateTimeOriginal=2024:03:02 09:15:30+09:00",
        f"-XMP-exifEX:LensModel={t['lens_model']}",
        f"-XMP-exif:FocalLength={t['focal_length']}",
    )


_X265_FAST = {
    "preset": "ultrafast",
    "x265-params": "log-level=error:bframes=0:rc-lookahead=0:ctu=64:min-cu-size=32:max-tu-size=32:qp=40",
}


def make_hevc_hdr(dir: Path) -> Path:
    t = HEVC_HDR
    return make_clip(
        Path(dir) / t["file"], codec="libx265", width=t["width"], height=t["height"], fps=24, seconds=t["seconds"],
        pix_fmt="yuv420p10le", codec_options=_X265_FAST,
        color={"color_primaries": BT2020, "color_trc": TRC_PQ, "colorspace": SPC_BT2020NC,
               "color_range": RANGE_LIMITED},
    )


def make_hlg(dir: Path) -> Path:
    t = HLG
    return make_clip(
        Path(dir) / t["file"], codec="libx265", width=t["width"], height=t["height"], fps=25, seconds=t["seconds"],
        pix_fmt="yuv420p10le", codec_options=_X265_FAST,
        color={"color_primaries": BT2020, "color_trc": TRC_HLG, "colorspace": SPC_BT2020NC,
               "color_range": RANGE_LIMITED},
    )


def make_vp9(dir: Path) -> Path:
    t = VP9
    return make_clip(
        Path(dir) / t["file"], codec="libvpx-vp9", width=t["width"], height=t["height"], fps=30,
        seconds=t["seconds"], audio="libopus", format="webm",
        codec_options={"deadline": "realtime", "cpu-used": "8", "b": "300k"},
    )


def make_mpeg2_ts(dir: Path) -> Path:
    t = MPEG2_TS
    return make_clip(
        Path(dir) / t["file"], codec="mpeg2video", width=t["width"], height=t["height"], fps=25,
        seconds=t["seconds"], audio="mp2", format="mpegts", gop=12, bit_rate=1_500_000,
    )


def make_mpeg2_mts(dir: Path) -> Path:
    t = MPEG2_MTS
    return make_clip(
        Path(dir) / t["file"], codec="mpeg2video", width=t["width"], height=t["height"], fps=25,
        seconds=t["seconds"], audio="mp2", format="mpegts", gop=12, bit_rate=1_500_000,
        container_options={"mpegts_m2ts_mode": "1"},
    )


def make_mpeg4_avi(dir: Path) -> Path:
    t = MPEG4_AVI
    return make_clip(
        Path(dir) / t["file"], codec="mpeg4", width=t["width"], height=t["height"], fps=25, seconds=t["seconds"],
        audio="pcm_s16le", audio_rate=44100, format="avi", bit_rate=400_000,
    )


def make_mkv(dir: Path) -> Path:
    t = MKV
    return make_clip(
        Path(dir) / t["file"], codec="libx264", width=t["width"], height=t["height"], fps=25, seconds=t["seconds"],
        audio="libopus", format="matroska", metadata={"title": t["title"]}, codec_options={"preset": "ultrafast"},
    )


def vfr_timestamps(frames: int = 40, deltas_ms: tuple[int, ...] = (33, 50)) -> list[int]:
    out, t = [], 0
    for i in range(frames):
        out.append(t)
        t += deltas_ms[i % len(deltas_ms)]
    return out


def make_vfr(dir: Path) -> Path:
    t = VFR
    return make_clip(
        Path(dir) / t["file"], codec="libx264", width=t["width"], height=t["height"], fps=30,
        pts_ms=vfr_timestamps(t["frames"], t["deltas_ms"]), codec_options={"preset": "ultrafast", "bf": "0"},
    )


def make_timecode(dir: Path) -> Path:
    t = TIMECODE
    return make_clip(
        Path(dir) / t["file"], codec="libx264", width=t["width"], height=t["height"], fps=25, seconds=t["seconds"],
        metadata={"timecode": t["timecode"]}, codec_options={"preset": "ultrafast"},
    )


def make_rotated(dir: Path) -> Path:
    t = ROTATED
    return make_clip(
        Path(dir) / t["file"], codec="libx264", width=t["width"], height=t["height"], fps=30, seconds=t["seconds"],
        rotation=t["rotation"], codec_options={"preset": "ultrafast"}, audio=True,
    )


def make_cfr(dir: Path) -> Path:
    t = CFR
    return make_clip(
        Path(dir) / t["file"], codec="libx264", width=t["width"], height=t["height"], fps=25, seconds=t["seconds"],
        container_options={"movflags": "faststart"}, codec_options={"preset": "ultrafast"},
    )


# ---- bad inputs ----------------------------------------------------------------------------------------------------


def make_empty(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.write_bytes(b"")
    return path


def make_truncated(source: str | os.PathLike, path: str | os.PathLike, fraction: float = 0.4) -> Path:
    """First `fraction` of `source` (which must have its moov first: `movflags=faststart`)."""
    data = Path(source).read_bytes()
    path = Path(path)
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def make_no_moov(path: str | os.PathLike) -> Path:
    """An MP4 cut before its moov (moov at the end, file cut at 40%): recognisably MPEG-4, but unreadable."""
    path = Path(path)
    full = make_clip(path.with_name(path.stem + "_full.mp4"), codec="libx264", seconds=1.0,
                     codec_options={"preset": "ultrafast"})
    data = full.read_bytes()
    full.unlink()
    assert data.find(b"moov") > len(data) * 0.4, "expected moov at the end"
    path.write_bytes(data[: int(len(data) * 0.4)])
    return path


def make_random_bytes(path: str | os.PathLike, size: int = 64 * 1024, seed: int = 1234) -> Path:
    path = Path(path)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def make_text(path: str | os.PathLike) -> Path:
    path = Path(path)
    path.write_text("This is not a video.\nJust some notes someone saved with the wrong extension.\n" * 20)
    return path


def make_png(path: str | os.PathLike, width: int = 64, height: int = 48) -> Path:
    """A real PNG (RGB, zlib-compressed test pattern) written without extra dependencies."""
    img = pattern(3, width, height)
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path = Path(path)
    path.write_bytes(data)
    return path


def make_wav(path: str | os.PathLike, seconds: float = 0.5, rate: int = 48000) -> Path:
    path = Path(path)
    samples = (_audio_samples(int(rate * seconds), rate, 2, 0).T * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


# --------------------------------------------------------------------------------------------------------------------

VIDEO_FIXTURES = {
    "prores": make_prores,
    "dnxhr_mxf": make_dnxhr_mxf,
    "dnxhr_mov": make_dnxhr_mov,
    "apple": make_apple,
    "sony": make_sony,
    "hevc_hdr": make_hevc_hdr,
    "hlg": make_hlg,
    "vp9": make_vp9,
    "mpeg2_ts": make_mpeg2_ts,
    "mpeg2_mts": make_mpeg2_mts,
    "mpeg4_avi": make_mpeg4_avi,
    "mkv": make_mkv,
    "vfr": make_vfr,
    "timecode": make_timecode,
    "rotated": make_rotated,
    "cfr": make_cfr,
}


def make_bad_inputs(dir: str | os.PathLike, cfr_source: Path | None = None) -> dict[str, Path]:
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    if cfr_source is None:
        cfr_source = make_cfr(dir)
    return {
        "empty": make_empty(dir / "empty.mp4"),
        "truncated": make_truncated(cfr_source, dir / "truncated.mp4"),
        "no_moov": make_no_moov(dir / "no_moov.mp4"),
        "random_bytes": make_random_bytes(dir / "random.mp4"),
        "text": make_text(dir / "notes.mp4"),
        "png": make_png(dir / "still.png"),
        "wav": make_wav(dir / "audio.wav"),
    }


def make_corpus(dir: str | os.PathLike) -> dict[str, Path]:
    """Build every fixture into `dir`; returns {name: path} (video fixtures, then the bad inputs)."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    out = {name: fn(dir) for name, fn in VIDEO_FIXTURES.items()}
    out.update(make_bad_inputs(dir, out["cfr"]))
    return out


if __name__ == "__main__":  # python tests/media.py OUTDIR
    import sys
    import time

    start = time.perf_counter()
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "media_corpus")
    for name, p in make_corpus(target).items():
        print(f"{name:14s} {p.stat().st_size:>10,d}  {p}")
    print(f"built in {time.perf_counter() - start:.1f} s")


def make_segments(dir: str | os.PathLike, count: int, *, seconds: float = 1.0, size: str = "96x64",
                  rate: int = 10, audio: bool = False, prefix: str = "seg") -> list[Path]:
    """`count` short clips cut from ONE encode (an ffmpeg segment muxer: a keyframe at every cut), so a thousand
    real, distinct files cost seconds to make: a drive's worth of clips for the scale tests and bench/scale.py."""
    out = Path(dir)
    out.mkdir(parents=True, exist_ok=True)
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000"]
    cmd = ["ffmpeg", "-loglevel", "error", "-y", *inputs, "-t", str(count * seconds), "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(max(1, round(rate * seconds))),
           "-force_key_frames", f"expr:gte(t,n_forced*{seconds})"]
    cmd += ["-c:a", "aac", "-b:a", "32k"] if audio else ["-an"]
    cmd += ["-f", "segment", "-segment_time", str(seconds), "-reset_timestamps", "1",
            str(out / f"{prefix}_%05d.mp4")]
    subprocess.run(cmd, check=True)
    return sorted(out.glob(f"{prefix}_*.mp4"))
