"""Shot-boundary detection (pipeline/vision/cuts.py) on clips encoded here with PyAV.

Every clip is small (320x180, 25 fps, a few seconds) so the whole module runs in seconds. Each cut case is checked
with GOP screening (the default) and with every frame decoded, across encodings that put the cuts inside GOPs,
on scene-cut keyframes, on regular keyframes, and in an intra-only codec.
"""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from vcat_core.errors import MediaError
from vcat_core.pipeline.vision import Shot, analyse_clip_cuts, cut_scan, detect_cuts

W, H, FPS = 320, 180, 25
FRAME = 1.0 / FPS
TOLERANCE = 2 * FRAME + 1e-6  # +-2 frames

# --------------------------------------------------------------------------------------------------- media


def _texture(w: int, h: int, seed: int, scale: int = 16) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.standard_normal((h // scale + 2, w // scale + 2)).astype(np.float32)
    fine = rng.standard_normal((h // 3 + 2, w // 3 + 2)).astype(np.float32)
    size = (w, h)
    return cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC) * 40 + \
        cv2.resize(fine, size, interpolation=cv2.INTER_LINEAR) * 10


_TEX = {"B": _texture(W * 2, H, 7), "C": _texture(W * 2, H, 9), "P": _texture(W * 4, H, 5)}


def frame_of(kind: str, i: int) -> np.ndarray:
    """Frame `i` of source `kind` (RGB uint8). Every source moves, so frames within a shot differ."""
    if kind == "A":  # blue gradient, a white box sliding right and back (no jump)
        img = np.zeros((H, W, 3), np.uint8)
        img[..., 2] = np.linspace(80, 220, W, dtype=np.float32)[None, :].astype(np.uint8)
        img[..., 1] = np.linspace(20, 90, H, dtype=np.float32)[:, None].astype(np.uint8)
        span = W - 60
        x = 10 + abs((i * 4) % (2 * span) - span)
        cv2.rectangle(img, (x, H // 3), (x + 36, H // 3 + 36), (255, 255, 255), -1)
        return img
    if kind == "B":  # orange texture, panning 3 px per frame
        base = np.clip(120 + _TEX["B"][:, i * 3 : i * 3 + W], 0, 255)
        return np.dstack([base, base * 0.7, base * 0.3]).clip(0, 255).astype(np.uint8)
    if kind == "C":  # green diagonal stripes drifting
        xx = np.arange(W, dtype=np.float32)[None, :]
        yy = np.arange(H, dtype=np.float32)[:, None]
        s = np.sin((xx + yy * 0.5 + i * 3) / 7.0) * 0.5 + 0.5
        return np.dstack([s * 60 + 20, s * 150 + 60, s * 80 + 30]).astype(np.uint8)
    raise ValueError(kind)


def write_clip(path: Path, frames: list[np.ndarray], *, codec: str = "libx264", gop: int | None = None,
               options: dict[str, str] | None = None, pix_fmt: str = "yuv420p", fmt: str | None = None) -> Path:
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=FPS)
        s.width, s.height, s.pix_fmt = W, H, pix_fmt
        if gop:
            s.codec_context.gop_size = gop
        if options:
            s.codec_context.options = options
        for img in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def three_shots(cuts=(1.0, 2.2), total=3.4) -> list[np.ndarray]:
    """Shots A | B | C, cut at the given seconds."""
    c1, c2 = round(cuts[0] * FPS), round(cuts[1] * FPS)
    return [frame_of("A" if i < c1 else "B" if i < c2 else "C", i) for i in range(round(total * FPS))]


def one_shot_with_motion(total=3.0) -> list[np.ndarray]:
    """A slow pan over a texture with a red disc crossing it: one shot, motion everywhere."""
    out = []
    for i in range(round(total * FPS)):
        base = np.clip(110 + _TEX["C"][:, i * 2 : i * 2 + W], 0, 255)
        img = np.dstack([base * 0.8, base, base * 0.9]).clip(0, 255).astype(np.uint8)
        cv2.circle(img, (20 + (i * 5) % (W - 40), H // 2), 20, (250, 60, 60), -1)
        out.append(img)
    return out


def jump_cut(cut=1.2, total=3.0) -> list[np.ndarray]:
    """One grey texture panning, then a jump to another part of it: same tones, different layout."""
    out = []
    for i in range(round(total * FPS)):
        off = i * 2 if i < round(cut * FPS) else W * 2 + i * 2
        base = np.clip(120 + _TEX["P"][:, off : off + W], 0, 255).astype(np.uint8)
        out.append(np.dstack([base, base, base]))
    return out


ENCODINGS = {
    # x264 defaults through libavcodec: GOP 12, B-frames, scene-cut keyframes (cuts land on keyframes)
    "x264": {"codec": "libx264"},
    # long GOP without scene-cut keyframes: both cuts inside a GOP (found by packet-size spikes)
    "x264_long_gop": {"codec": "libx264", "gop": 50, "options": {"x264-params": "scenecut=0"}},
    # fixed 1 s GOP, no B-frames: the cut at 1.0 s falls exactly on a regular keyframe
    "x264_fixed_gop": {"codec": "libx264", "gop": 25, "options": {"x264-params": "scenecut=0:bframes=0"}},
    # MPEG-4 part 2 in AVI (no B-frames by default, GOP 12)
    "mpeg4_avi": {"codec": "mpeg4", "fmt": "avi"},
    # intra-only: every frame a keyframe
    "mjpeg": {"codec": "mjpeg", "pix_fmt": "yuvj420p", "fmt": "avi"},
}


def _suffix(enc: dict) -> str:
    return ".avi" if enc.get("fmt") == "avi" else ".mp4"


def assert_cuts(found: list[float], expected: list[float]) -> None:
    assert len(found) == len(expected), f"cuts {found}, expected {expected}"
    for f, e in zip(found, expected):
        assert abs(f - e) <= TOLERANCE, f"cut at {f:.3f} s, expected {e:.3f} s (+-2 frames)"


def assert_tiles(shots: list[Shot], duration: float) -> None:
    """Shots are contiguous, ordered, and cover the clip."""
    assert shots[0].start_seconds == pytest.approx(0.0, abs=1e-6)
    for a, b in itertools.pairwise(shots):
        assert a.end_seconds == pytest.approx(b.start_seconds)
        assert a.start_seconds < a.end_seconds
    assert shots[-1].end_seconds == pytest.approx(duration, abs=FRAME + 1e-6)


# --------------------------------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cuts")
    out: dict[str, Path] = {}
    three, motion, jump = three_shots(), one_shot_with_motion(), jump_cut()
    for name, enc in ENCODINGS.items():
        out[f"three_{name}"] = write_clip(d / f"three_{name}{_suffix(enc)}", three, **enc)
        out[f"motion_{name}"] = write_clip(d / f"motion_{name}{_suffix(enc)}", motion, **enc)
    for name in ("x264", "x264_long_gop", "x264_fixed_gop"):
        out[f"jump_{name}"] = write_clip(d / f"jump_{name}.mp4", jump, **ENCODINGS[name])
    return out


@pytest.mark.parametrize("screen", [True, False], ids=["screened", "full"])
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_three_sources_two_cuts(clips, encoding, screen):
    r = cut_scan(clips[f"three_{encoding}"], screen=screen)
    assert_cuts(r.cuts, [1.0, 2.2])
    assert len(r.shots) == 3
    assert_tiles(r.shots, 3.4)
    assert r.shots[0].cut_score is None and all(s.cut_score and s.cut_score >= 0.3 for s in r.shots[1:])
    assert r.duration_seconds == pytest.approx(3.4, abs=1e-6)
    assert r.decode_errors == 0


@pytest.mark.parametrize("screen", [True, False], ids=["screened", "full"])
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_one_shot_with_motion_has_no_cut(clips, encoding, screen):
    shots = detect_cuts(clips[f"motion_{encoding}"], screen=screen)
    assert len(shots) == 1, shots
    assert_tiles(shots, 3.0)


@pytest.mark.parametrize("screen", [True, False], ids=["screened", "full"])
@pytest.mark.parametrize("encoding", ["x264", "x264_long_gop", "x264_fixed_gop"])
def test_jump_cut_with_the_same_tones_is_found(clips, encoding, screen):
    """Histograms barely change across this cut; the layout term must see it."""
    r = cut_scan(clips[f"jump_{encoding}"], screen=screen)
    assert_cuts(r.cuts, [1.2])


def steady_shots() -> list[np.ndarray]:
    """Two steady shots (a still texture with a small disc drifting across), cut at 2.0 s."""
    out = []
    for i in range(100):
        tex = _TEX["B"] if i < 50 else _TEX["C"]
        base = np.clip(120 + tex[:, :W], 0, 255)
        img = (np.dstack([base, base * 0.8, base * 0.6]) if i < 50 else np.dstack([base * 0.6, base * 0.9, base]))
        img = img.clip(0, 255).astype(np.uint8)
        cv2.circle(img, (40 + i * 2, H // 2), 10, (255, 255, 255), -1)
        out.append(img)
    return out


def test_screening_decodes_fewer_frames_and_agrees(clips, tmp_path):
    """Two steady shots in 12-frame GOPs: only the GOP holding the cut and the last GOP are decoded in full."""
    p = write_clip(tmp_path / "steady.mp4", steady_shots(), gop=12, options={"x264-params": "scenecut=0"})
    full = cut_scan(p, screen=False)
    fast = cut_scan(p)
    assert_cuts(full.cuts, [2.0])
    assert fast.cuts == full.cuts
    assert full.frames_decoded == 100
    assert fast.frames_decoded < 0.5 * full.frames_decoded
    assert fast.gops == 9 and fast.gops_decoded <= 3
    long_gop = cut_scan(clips["three_x264_long_gop"])
    assert long_gop.reasons.get("spike", 0) >= 1


def test_analyse_clip_cuts_is_detect_cuts(clips):
    assert analyse_clip_cuts(clips["three_x264"]) == detect_cuts(clips["three_x264"])


def test_min_shot_length_merges_a_flash(tmp_path):
    """Two frames of another source in the middle of a shot: one cut is kept, not two 0.08 s shots."""
    frames = [frame_of("A", i) for i in range(75)]
    frames[40] = frame_of("C", 40)
    frames[41] = frame_of("C", 41)
    p = write_clip(tmp_path / "flash.mp4", frames, gop=50, options={"x264-params": "scenecut=0"})
    r = cut_scan(p, screen=False)
    assert len(r.cuts) == 1, r.cuts
    assert abs(r.cuts[0] - 40 * FRAME) <= TOLERANCE or abs(r.cuts[0] - 42 * FRAME) <= TOLERANCE


# --------------------------------------------------------------------------------------------------- robustness


def test_very_short_clips(tmp_path):
    one = write_clip(tmp_path / "one.mp4", [frame_of("A", 0)])
    shots = detect_cuts(one)
    assert len(shots) == 1 and shots[0].start_seconds == 0.0
    assert shots[0].end_seconds == pytest.approx(FRAME, abs=1e-6)
    three = write_clip(tmp_path / "three.mp4", [frame_of("A", 0), frame_of("A", 1), frame_of("C", 2)])
    for screen in (True, False):
        shots = detect_cuts(three, screen=screen)
        assert len(shots) == 1  # a cut on the last frame would leave a one-frame shot
        assert shots[-1].end_seconds == pytest.approx(3 * FRAME, abs=1e-6)


def test_raw_stream_without_timestamps_or_duration(tmp_path):
    """A raw H.264 elementary stream: no container duration, packets without timestamps."""
    p = write_clip(tmp_path / "raw.h264", three_shots(), fmt="h264")
    with av.open(str(p)) as c:
        assert c.duration is None or c.streams.video[0].duration is None
    for screen in (True, False):
        r = cut_scan(p, screen=screen)
        assert_cuts(r.cuts, [1.0, 2.2])
        assert r.duration_seconds == pytest.approx(3.4, abs=FRAME + 1e-6)


def test_mpegts_unknown_duration(tmp_path):
    p = write_clip(tmp_path / "clip.ts", three_shots(), codec="mpeg2video", fmt="mpegts")
    for screen in (True, False):
        assert_cuts(cut_scan(p, screen=screen).cuts, [1.0, 2.2])


def test_corrupt_packets_are_skipped(tmp_path, clips):
    """Garbage over part of the first shot's payload: decode errors are counted, not raised; both cuts survive."""
    data = bytearray(clips["three_x264"].read_bytes())
    rng = np.random.default_rng(3)
    start = int(len(data) * 0.15)
    data[start : start + 400] = rng.integers(0, 256, 400, dtype=np.uint8).tobytes()
    p = tmp_path / "corrupt.mp4"
    p.write_bytes(bytes(data))
    for screen in (True, False):
        r = cut_scan(p, screen=screen)
        assert r.decode_errors > 0
        assert_tiles(r.shots, 3.4)
        assert_cuts(r.cuts, [1.0, 2.2])


def test_truncated_file(tmp_path):
    """An MPEG-TS cut off after 70 % of its bytes: the shots found so far, ending where the data ends."""
    p = write_clip(tmp_path / "full.ts", three_shots(), codec="mpeg2video", fmt="mpegts")
    data = p.read_bytes()
    cut = tmp_path / "truncated.ts"
    cut.write_bytes(data[: int(len(data) * 0.7)])
    for screen in (True, False):
        r = cut_scan(cut, screen=screen)
        assert r.shots and r.shots[0].start_seconds == 0.0
        assert 1.5 < r.shots[-1].end_seconds < 3.4
        assert_cuts(r.cuts[:1], [1.0])


def test_not_a_video(tmp_path):
    wav = tmp_path / "tone.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(8000, np.int16).tobytes())
    with pytest.raises(MediaError):
        detect_cuts(wav)
    with pytest.raises(MediaError):
        detect_cuts(tmp_path / "missing.mp4")
    with pytest.raises(MediaError):
        detect_cuts(tmp_path)
