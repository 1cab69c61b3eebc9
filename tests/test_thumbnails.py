"""Thumbnail extraction on small clips generated here with PyAV (no shared fixtures, no binary test data)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from vcat_core.errors import CorruptMediaError, MediaError, NotAVideoError
from vcat_core.pipeline import thumbnails as thumbs_mod
from vcat_core.pipeline.thumbnails import extract_thumbnails

# --------------------------------------------------------------------------------------------------- media


def _picture(w: int, h: int, i: int, n: int, solid: int | None, marker: bool) -> np.ndarray:
    if solid is not None:
        return np.full((h, w, 3), solid, np.uint8)
    x = np.arange(w, dtype=np.uint16)
    y = np.arange(h, dtype=np.uint16)
    r = np.broadcast_to(((x[None, :] + i * 4) % 200 + 30).astype(np.uint8), (h, w))
    g = np.broadcast_to(((y[:, None] + i * 2) % 200 + 30).astype(np.uint8), (h, w))
    b = np.full((h, w), 30 + (i * 190 // max(n - 1, 1)), np.uint8)
    img = np.stack([r, g, b], -1)
    if marker:  # a red block in the stored top-left corner, to check orientation
        img[: h // 4, : w // 4] = (255, 0, 0)
    return img


def _encode(
    path: Path,
    *,
    codec: str = "libx264",
    w: int = 320,
    h: int = 240,
    n: int = 90,
    fps: int = 30,
    gop: int | None = 12,
    bframes: int = 2,
    pix_fmt: str = "yuv420p",
    fmt: str | None = None,
    rotation: int | None = None,
    sar: Fraction | None = None,
    solid: int | None = None,
    marker: bool = False,
) -> Path:
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        opts: dict[str, str] = {}
        if codec == "libx264":
            s.codec_context.max_b_frames = bframes
            opts["preset"] = "ultrafast" if bframes == 0 else "veryfast"
            opts["x264-params"] = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}"
        elif codec == "libx265":
            opts["preset"] = "ultrafast"
            opts["x265-params"] = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}:log-level=error"
        elif codec == "libvpx-vp9":
            opts.update({"deadline": "realtime", "cpu-used": "8"})
            s.codec_context.gop_size = gop
        elif codec == "mpeg2video":
            s.codec_context.gop_size = gop
            s.codec_context.max_b_frames = bframes
        s.options = opts
        if sar is not None:
            s.codec_context.sample_aspect_ratio = sar
        if rotation is not None:
            s.set_display_rotation(rotation)
        for i in range(n):
            frame = av.VideoFrame.from_ndarray(_picture(w, h, i, n, solid, marker), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


_SPECS: dict[str, dict] = {
    "h264": {"name": "h264.mp4"},  # 3 s, gop 12 (8 keyframes), 2 B-frames
    "hevc": {"name": "hevc.mp4", "codec": "libx265"},
    "prores": {
        "name": "prores.mov",
        "codec": "prores_aw",
        "pix_fmt": "yuv422p10le",
        "n": 300,
        "gop": None,
    },  # 10 s intra
    "mpeg2ts": {"name": "mpeg2.ts", "codec": "mpeg2video", "fmt": "mpegts"},
    "vp9": {"name": "vp9.webm", "codec": "libvpx-vp9"},
    "mkv": {"name": "h264.mkv"},
    "rotated": {"name": "rotated.mp4", "n": 30, "rotation": -90, "marker": True},  # iPhone-style portrait
    "anamorphic": {"name": "anamorphic.mp4", "n": 30, "sar": Fraction(4, 3)},
    "longgop": {"name": "longgop.mp4", "n": 120, "gop": 300},  # 4 s, a single keyframe
    "twogop_mp4": {"name": "twogop.mp4", "n": 120, "gop": 60},  # 4 s, keyframes at 0 and 2 s
    "twogop_ts": {"name": "twogop.ts", "n": 120, "gop": 60, "fmt": "mpegts"},
    "one": {"name": "one.mp4", "n": 1},
    "white": {"name": "white.mp4", "n": 30, "solid": 255, "bframes": 0},
    "black": {"name": "black.mp4", "n": 30, "solid": 0, "bframes": 0},
    "raw": {"name": "raw.h264", "n": 60, "fmt": "h264"},  # no container: no duration, no index
}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    root = tmp_path_factory.mktemp("thumb_media")
    made: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in made:
            spec = dict(_SPECS[kind])
            made[kind] = _encode(root / spec.pop("name"), **spec)
        return made[kind]

    return get


def _run(path: Path, out: Path, **kw):
    return extract_thumbnails(str(path), out, "thumbs/clip", **kw)


def _frames_in(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(c.streams.video[0]) if p.size)


def _check_images(res, out: Path) -> None:
    for t in res.thumbnails:
        assert t.images, "every thumbnail has at least one image"
        for im in t.images:
            assert im.path.startswith("thumbs/clip/")
            name = im.path.rsplit("/", 1)[1]
            assert name.startswith(f"{t.index:03d}_")
            with Image.open(out / name) as pil:
                assert pil.format == "JPEG"
                assert pil.size == (im.width, im.height)
            assert im.height % 2 == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"], "no temporary left"


# --------------------------------------------------------------------------------------------------- tests


def test_h264_bframes_keyframes_only(media, tmp_path):
    path = media("h264")
    res = _run(path, tmp_path, count=8)
    assert len(res.thumbnails) == 8
    # 8 targets, 8 keyframes (every 0.4 s): each target gets its own keyframe, nothing else is decoded.
    assert all(t.is_keyframe for t in res.thumbnails)
    assert res.frames_decoded == 8 < _frames_in(path)
    stamps = [t.timestamp_seconds for t in res.thumbnails]
    assert stamps == sorted(stamps) and len(set(stamps)) == 8
    assert stamps == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8], abs=1e-3)
    assert [t.frame_number for t in res.thumbnails] == [0, 12, 24, 36, 48, 60, 72, 84]
    assert [t.index for t in res.thumbnails] == list(range(8))
    # 320x240 source: 160 and 320 wide, 640 would upscale and is skipped.
    for t in res.thumbnails:
        assert [(i.width, i.height) for i in t.images] == [(160, 120), (320, 240)]
        assert t.exposure is not None and t.exposure.exposure_warning is None
    _check_images(res, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{i:03d}_{w}.jpg" for i in range(8) for w in (160, 320)
    )
    assert res.seconds > 0


@pytest.mark.parametrize("kind", ["hevc", "mpeg2ts", "vp9", "mkv"])
def test_other_codecs_and_containers(media, tmp_path, kind):
    path = media(kind)
    res = _run(path, tmp_path, count=6)
    assert len(res.thumbnails) == 6
    stamps = [t.timestamp_seconds for t in res.thumbnails]
    assert stamps == sorted(stamps) and len(set(stamps)) == 6
    assert stamps[0] < 0.5 and stamps[-1] > 2.3  # spread over the 3 s clip
    assert all(t.is_keyframe for t in res.thumbnails)
    assert res.frames_decoded <= 8 < _frames_in(path)
    _check_images(res, tmp_path)


def test_intra_only_prores_decodes_only_the_chosen_frames(media, tmp_path):
    path = media("prores")  # 300 frames, every one a keyframe
    res = _run(path, tmp_path, count=10)
    assert len(res.thumbnails) == 10
    assert res.frames_decoded == 10  # never a full decode
    stamps = [t.timestamp_seconds for t in res.thumbnails]
    assert stamps == pytest.approx([0.5 + i for i in range(10)], abs=0.05)  # bin centres
    assert all(t.is_keyframe for t in res.thumbnails)
    _check_images(res, tmp_path)


def test_long_gop_fills_gaps_within_budget(media, tmp_path):
    path = media("longgop")  # 120 frames, one keyframe
    only_key = _run(path, tmp_path / "a", count=10, decode_budget_frames=0)
    assert len(only_key.thumbnails) == 1 and only_key.frames_decoded == 1
    assert only_key.thumbnails[0].is_keyframe

    default = _run(path, tmp_path / "b", count=10)  # budget 4 x 10 = 40 frames
    assert 2 <= len(default.thumbnails) < 10
    assert default.frames_decoded <= 40
    assert next(t.is_keyframe for t in default.thumbnails) is True
    assert not any(t.is_keyframe for t in default.thumbnails[1:])

    generous = _run(path, tmp_path / "c", count=10, decode_budget_frames=500)
    assert len(generous.thumbnails) == 10
    assert generous.frames_decoded <= 121  # one forward run through the single GOP, never twice
    stamps = [t.timestamp_seconds for t in generous.thumbnails]
    expected = [0.0] + [0.2 + 0.4 * i for i in range(1, 10)]  # target 0 (0.2 s) took the keyframe at 0
    assert stamps == pytest.approx(expected, abs=0.02)
    _check_images(generous, tmp_path / "c")


@pytest.mark.parametrize("kind", ["twogop_mp4", "twogop_ts"])  # index mode (seek) and scan mode (re-read)
def test_gap_filling_over_two_gops(media, tmp_path, kind):
    res = _run(media(kind), tmp_path, count=8, decode_budget_frames=500)
    stamps = [t.timestamp_seconds for t in res.thumbnails]
    # Targets at 0.25, 0.75, ... 3.75 s; keyframes at 0 and 2 s serve 0.25 and 1.75 (nearest), the rest decode
    # forward from the keyframe before them.
    assert stamps == pytest.approx([0.0, 0.75, 1.25, 2.0, 2.25, 2.75, 3.25, 3.75], abs=0.02)
    assert [t.is_keyframe for t in res.thumbnails] == [True, False, False, True, False, False, False, False]
    assert res.frames_decoded <= 2 + 40 + 60
    _check_images(res, tmp_path)


def test_mp4_with_edit_list_trimmed_mid_gop(media, tmp_path):
    # Shift every packet 9 frames earlier: the MP4 muxer writes an edit list hiding the first 0.3 s, so the clip starts
    # mid-GOP, the first keyframe is a discarded sample and keyframes sit at 0.1, 0.5, 0.9 ... s.
    src = av.open(str(media("h264")))
    trimmed = tmp_path / "trimmed.mp4"
    with src, av.open(str(trimmed), "w") as out:
        v = src.streams.video[0]
        o = out.add_stream_from_template(v)
        shift = 9 * round(1 / (30 * v.time_base))
        for p in src.demux(v):
            if p.dts is None:
                continue
            p.pts, p.dts, p.stream = p.pts - shift, p.dts - shift, o
            out.mux(p)
    res = _run(trimmed, tmp_path / "out", count=6)
    stamps = [t.timestamp_seconds for t in res.thumbnails]
    assert stamps == pytest.approx([0.1, 0.5, 1.3, 1.7, 2.1, 2.5], abs=1e-3)
    assert all(t.is_keyframe for t in res.thumbnails) and res.frames_decoded == 6


def test_rotated_portrait_clip_is_upright(media, tmp_path):
    path = media("rotated")  # stored 320x240, display matrix -90 degrees: shown 240x320
    res = _run(path, tmp_path, count=2)
    assert len(res.thumbnails) == 2
    for t in res.thumbnails:
        # Display width 240: only the 160 px image fits; height keeps the 3:4 portrait aspect.
        assert [(i.width, i.height) for i in t.images] == [(160, 214)]
    big = _run(path, tmp_path / "big", count=1, widths=(240,))
    (im,) = big.thumbnails[0].images
    assert (im.width, im.height) == (240, 320)
    rgb = np.asarray(Image.open(tmp_path / "big" / im.path.rsplit("/", 1)[1]).convert("RGB")).astype(int)
    red = np.argwhere((rgb[..., 0] > 200) & (rgb[..., 1] < 80))
    # The stored top-left block is shown top-right after a quarter turn clockwise (as ffmpeg/players show it).
    cy, cx = red.mean(axis=0)
    assert cy < 80 and cx > 160


def test_sample_aspect_ratio_sets_display_width(media, tmp_path):
    path = media("anamorphic")  # 320x240 pixels of 4:3 -> displayed 427x240 (16:9)
    res = _run(path, tmp_path, count=1)
    assert [(i.width, i.height) for i in res.thumbnails[0].images] == [(160, 90), (320, 180)]


def test_never_upscales_but_always_writes_one_image(media, tmp_path):
    path = media("h264")
    res = _run(path, tmp_path, count=2, widths=(640, 1280))
    for t in res.thumbnails:
        assert [(i.width, i.height) for i in t.images] == [(320, 240)]
        assert t.images[0].path.endswith("_320.jpg")
    _check_images(res, tmp_path)


def test_one_frame_clip(media, tmp_path):
    res = _run(media("one"), tmp_path, count=30)
    assert len(res.thumbnails) == 1
    assert res.thumbnails[0].timestamp_seconds == 0.0 and res.thumbnails[0].frame_number == 0
    assert res.frames_decoded <= 2


def test_raw_stream_without_duration_or_index(media, tmp_path):
    path = media("raw")  # 60 frames, keyframes every 12
    res = _run(path, tmp_path, count=5)
    assert len(res.thumbnails) == 5
    assert [t.frame_number for t in res.thumbnails] == [0, 12, 24, 36, 48]
    assert res.frames_decoded <= 8


def test_exposure_of_white_and_black_clips(media, tmp_path):
    white = _run(media("white"), tmp_path / "w", count=2)
    black = _run(media("black"), tmp_path / "b", count=2)
    for t in white.thumbnails:
        assert t.exposure.exposure_warning == "overexposed"
        assert t.exposure.overexposed_percentage > 95
        assert t.exposure.exposure_stops > 2
    for t in black.thumbnails:
        assert t.exposure.exposure_warning == "underexposed"
        assert t.exposure.underexposed_percentage > 95
        assert t.exposure.exposure_stops < -5


def test_damaged_keyframes_are_skipped(media, tmp_path):
    src = media("h264")
    with av.open(str(src)) as c:
        keys = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size and p.is_keyframe]
    data = bytearray(src.read_bytes())
    for pos, size in keys[2:4]:  # wreck the 3rd and 4th keyframes (0.8 s and 1.2 s)
        data[pos + 8 : pos + size - 8] = b"\xff" * (size - 16)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    res = _run(bad, tmp_path / "out", count=8)
    stamps = [t.timestamp_seconds for t in res.thumbnails]
    assert 5 <= len(stamps) <= 7
    assert 0.8 not in stamps and 1.2 not in stamps
    assert stamps[0] == 0.0 and stamps[-1] == pytest.approx(2.8)
    _check_images(res, tmp_path / "out")


def test_truncated_mp4_cannot_be_opened(media, tmp_path):
    src = media("h264")  # moov at the end: half a file has no index
    bad = tmp_path / "half.mp4"
    bad.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(CorruptMediaError) as err:
        _run(bad, tmp_path / "out")
    assert "half.mp4" in str(err.value)


def test_truncated_transport_stream_keeps_what_is_there(media, tmp_path):
    src = media("mpeg2ts")
    bad = tmp_path / "half.ts"
    bad.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    res = _run(bad, tmp_path / "out", count=4)
    assert 1 <= len(res.thumbnails) <= 4
    assert all(t.timestamp_seconds < 2.0 for t in res.thumbnails)


def test_not_a_video(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("hello, this is not a video\n" * 50)
    with pytest.raises(CorruptMediaError, match="notes.mp4"):
        _run(text, tmp_path / "o1")

    audio = tmp_path / "voice.m4a"
    with av.open(str(audio), "w") as c:
        s = c.add_stream("aac", rate=48000)
        for i in range(10):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate, f.pts = 48000, i * 1024
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with pytest.raises(NotAVideoError, match="no video stream"):
        _run(audio, tmp_path / "o2")

    png = tmp_path / "still.png"
    Image.new("RGB", (64, 48), (10, 20, 30)).save(png)
    with pytest.raises(NotAVideoError, match="still image"):
        _run(png, tmp_path / "o3")

    with pytest.raises(MediaError, match="gone.mp4"):
        _run(tmp_path / "gone.mp4", tmp_path / "o4")


def test_failed_write_leaves_no_partial_files(media, tmp_path, monkeypatch):
    calls = {"n": 0}
    real = thumbs_mod._encode

    def flaky(rgb, dest, ext, quality):
        calls["n"] += 1
        if calls["n"] == 4:
            dest.write_bytes(b"\xff\xd8 half a jpeg")  # the process dies mid-write
            raise OSError("disk full")
        real(rgb, dest, ext, quality)

    monkeypatch.setattr(thumbs_mod, "_encode", flaky)
    with pytest.raises(OSError):
        _run(media("h264"), tmp_path, count=4)
    assert list(tmp_path.iterdir()) == []


def test_other_formats_and_rel_dir(media, tmp_path):
    res = extract_thumbnails(str(media("h264")), tmp_path, "t/abc/", count=2, widths=(160,), fmt="webp")
    assert [i.path for t in res.thumbnails for i in t.images] == ["t/abc/000_160.webp", "t/abc/001_160.webp"]
    with Image.open(tmp_path / "000_160.webp") as im:
        assert im.format == "WEBP"
    with pytest.raises(ValueError):
        extract_thumbnails(str(media("h264")), tmp_path, "t", fmt="bmp")


def test_rerun_replaces_an_earlier_run(media, tmp_path):
    path = media("h264")
    _run(path, tmp_path, count=8)
    (tmp_path / "keep.txt").write_text("not ours")
    res = _run(path, tmp_path, count=3)
    assert len(res.thumbnails) == 3
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"{i:03d}_{w}.jpg" for i in range(3) for w in (160, 320)] + ["keep.txt"])
