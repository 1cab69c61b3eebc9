"""Frame metrics, shot type, thumbnail selection, aggregate and flags (pipeline/vision) on frames made here.

The known cases (sharp vs blurred, clean vs noisy, high vs low quality encode, blank frames) are checked at 720p,
1080p and 4K: the same synthetic scene is rendered once at 4K and area-downscaled, so every size shows the same
content, and each metric must order the cases at every size (no threshold tuned to one resolution).
"""

from __future__ import annotations

import dataclasses
import io
from functools import cache, lru_cache

import av
import cv2
import numpy as np
import pytest

from vcat_core.pipeline.exposure import frame_exposure, rgb_luma
from vcat_core.pipeline.vision import (
    DEFAULT_THRESHOLDS,
    CandidateScore,
    FrameQuality,
    Shot,
    VisionThresholds,
    aggregate,
    analyse_frame,
    blockiness,
    classify_face_ratio,
    complexity,
    dhash,
    frame_flags,
    hamming,
    noise_sigma,
    rank_thumbnails,
    select_thumbnails,
    sharpness,
    shot_type,
    shot_type_from_faces,
)

RES = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}

# --------------------------------------------------------------------------------------------------- frames


def render_scene(w: int, h: int, seed: int = 1) -> np.ndarray:
    """Shapes, text, a non-grid-aligned checkerboard over a smooth 1/f-like texture (RGB uint8), in coordinates
    relative to the frame size."""
    rng = np.random.default_rng(seed)
    s = w / 1280.0
    tex = np.zeros((h, w), np.float32)
    for octave, amp in ((8, 50), (32, 25), (128, 12)):
        n = rng.standard_normal((max(2, octave * 9 // 16), octave)).astype(np.float32)
        tex += amp * cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)
    base = np.clip(110 + tex, 0, 255)
    img = np.dstack([base * 0.9, base, base * 1.1 - 10]).clip(0, 255).astype(np.uint8).copy()
    for _ in range(40):
        c = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(15, 90) * s
        if rng.integers(0, 2):
            cv2.circle(img, (int(x), int(y)), int(r), c, -1)
        else:
            cv2.rectangle(img, (int(x), int(y)), (int(x + 1.7 * r), int(y + r)), c, -1)
    for _ in range(12):
        txt = "".join(chr(int(v)) for v in rng.integers(65, 91, 10))
        cv2.putText(img, txt, (int(rng.uniform(0, w * 0.7)), int(rng.uniform(h * 0.05, h))),
                    cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.6, 1.6) * s,
                    tuple(int(v) for v in rng.integers(0, 256, 3)), max(1, int(2 * s)))
    p = max(2, round(13 * s))
    yy, xx = np.mgrid[0 : int(200 * s), 0 : int(300 * s)]
    board = (((yy // p) + (xx // p)) % 2 * 200 + 30).astype(np.uint8)
    y0, x0 = int(500 * s) + 3, int(900 * s) + 5
    img[y0 : y0 + board.shape[0], x0 : x0 + board.shape[1]] = board[..., None]
    return img


@cache
def _scene_4k(seed: int = 1) -> np.ndarray:
    return render_scene(3840, 2160, seed)


@cache
def scene(res: str, seed: int = 1) -> np.ndarray:
    w, h = RES.get(res, (640, 360))
    big = _scene_4k(seed)
    return big if (w, h) == big.shape[1::-1] else cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=6)
def _unit_noise(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape, dtype=np.float32)


def noisy(img: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """`img` plus white Gaussian noise of standard deviation `sigma` (per channel), clipped to uint8."""
    out = _unit_noise(img.shape, seed) * np.float32(sigma)
    out += img
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def mpeg2_roundtrip(rgb: np.ndarray, q: int) -> np.ndarray:
    """Encode one frame as an MPEG-2 intra picture with a fixed quantiser (qmin = qmax = q), decode it, return the
    decoded luma plane (coded resolution)."""
    h, w = rgb.shape[:2]
    buf = io.BytesIO()
    with av.open(buf, "w", format="mpeg2video") as c:
        s = c.add_stream("mpeg2video", rate=25)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.bit_rate = 200_000_000 if q <= 2 else 100_000
        s.codec_context.options = {"qmin": str(q), "qmax": str(q)}
        for p in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    buf.seek(0)
    with av.open(buf, format="mpeg2video") as c:
        frame = next(c.decode(video=0))
        return frame.to_ndarray(format="gray")


def draw_face(size: int) -> np.ndarray:
    """A simple shaded face (RGB) filling a size x size square: skin oval, hair, brows, eyes, nose, mouth. OpenCV's
    Haar frontal-face cascade fires on it (box ~0.88 x size), which makes an honest end-to-end shot-type test."""
    s = size
    img = np.full((s, s, 3), (140, 110, 90), np.uint8)
    cv2.ellipse(img, (s // 2, int(s * 0.42)), (int(s * 0.40), int(s * 0.42)), 0, 0, 360, (25, 30, 40), -1)
    cv2.ellipse(img, (s // 2, int(s * 0.55)), (int(s * 0.33), int(s * 0.43)), 0, 0, 360, (215, 180, 150), -1)
    for dx in (-1, 1):
        ex, ey = s // 2 + dx * int(s * 0.14), int(s * 0.47)
        cv2.ellipse(img, (ex, int(s * 0.40)), (int(s * 0.09), int(s * 0.02)), 0, 0, 360, (50, 40, 40), -1)
        cv2.ellipse(img, (ex, ey), (int(s * 0.075), int(s * 0.035)), 0, 0, 360, (235, 235, 235), -1)
        cv2.circle(img, (ex, ey), int(s * 0.03), (20, 20, 30), -1)
        cv2.ellipse(img, (ex, ey + int(s * 0.05)), (int(s * 0.08), int(s * 0.03)), 0, 0, 360, (185, 150, 120), -1)
    cv2.line(img, (s // 2, int(s * 0.48)), (s // 2, int(s * 0.63)), (230, 200, 175), max(1, s // 40))
    cv2.ellipse(img, (s // 2, int(s * 0.66)), (int(s * 0.06), int(s * 0.02)), 0, 0, 360, (140, 110, 90), -1)
    cv2.ellipse(img, (s // 2, int(s * 0.77)), (int(s * 0.12), int(s * 0.03)), 0, 0, 360, (140, 60, 60), -1)
    return cv2.GaussianBlur(img, (0, 0), s / 120)


def frame_with_face(w: int, h: int, face_ratio: float) -> np.ndarray:
    """A plain-ish background with one drawn face whose Haar box should be ~face_ratio x frame height."""
    img = np.empty((h, w, 3), np.uint8)
    img[...] = np.linspace(60, 140, w, dtype=np.float32)[None, :, None].astype(np.uint8)
    size = min(h, int(face_ratio * h / 0.88))
    face = draw_face(size)
    y0, x0 = (h - size) // 2, w // 3
    img[y0 : y0 + size, x0 : x0 + size] = face
    return img


# --------------------------------------------------------------------------------------------------- sharpness


@pytest.mark.parametrize("res", list(RES))
def test_sharpness_orders_box_blur(res):
    img = scene(res)
    sharp, b5, b9 = (sharpness(x) for x in (img, cv2.blur(img, (5, 5)), cv2.blur(img, (9, 9))))
    assert sharp > b5 > b9 > 0
    assert b5 < 0.97 * sharp and b9 < 0.97 * b5  # a real gap, even at 4K where 9 px is < 2 analysis px


def test_sharpness_is_normalised_for_resolution():
    values = [sharpness(scene(r)) for r in RES]
    assert max(values) / min(values) < 1.1
    # the same blur *relative to the picture* reads the same at every size
    rel = [sharpness(cv2.GaussianBlur(scene(r), (0, 0), 2.0 * RES[r][0] / 1280)) for r in RES]
    assert max(rel) / min(rel) < 1.15


@pytest.mark.parametrize("res", list(RES) + ["640"])
def test_sharpness_not_fooled_by_noise(res):
    img = scene(res)
    b9 = cv2.blur(img, (9, 9))
    sharp, soft = sharpness(img), sharpness(b9)
    # grain neither makes a soft frame sharp nor a sharp frame soft
    assert sharpness(noisy(b9, 25)) < sharp
    assert sharpness(noisy(b9, 25)) == pytest.approx(soft, rel=0.3)
    assert sharpness(noisy(img, 25)) == pytest.approx(sharp, rel=0.05)


def test_sharpness_of_a_small_frame_is_scaled_down():
    """A 320-px frame is judged as it would look at 640 px: half the per-pixel gradient."""
    big = scene("640")
    small = cv2.resize(big, (320, 180), interpolation=cv2.INTER_AREA)
    assert sharpness(small) < 0.75 * sharpness(big)


# --------------------------------------------------------------------------------------------------- noise


@pytest.mark.parametrize("res", list(RES))
def test_noise_estimate_tracks_added_noise(res):
    lum = rgb_luma(scene(res))
    clean = noise_sigma(lum)
    assert clean < 1.0  # texture, text and edges are not counted as noise
    for sigma in (3.0, 8.0, 20.0):
        est = noise_sigma(noisy(lum, sigma))
        assert est == pytest.approx(sigma, rel=0.15)
    assert noise_sigma(noisy(lum, 3)) < noise_sigma(noisy(lum, 8)) < noise_sigma(noisy(lum, 20))


@pytest.mark.parametrize("res", list(RES))
def test_noise_not_fooled_by_blur_or_detail(res):
    img = scene(res)
    assert noise_sigma(cv2.blur(img, (9, 9))) < 1.0
    # blurring first does not hide noise added afterwards, and detail does not add to it
    a, b = noise_sigma(noisy(img, 15)), noise_sigma(noisy(cv2.blur(img, (9, 9)), 15))
    assert a == pytest.approx(b, rel=0.1)


# --------------------------------------------------------------------------------------------------- blockiness


@pytest.mark.parametrize("res", list(RES))
def test_blockiness_orders_mpeg2_quality(res):
    img = scene(res)
    hq = blockiness(mpeg2_roundtrip(img, 2))
    lq = blockiness(mpeg2_roundtrip(img, 31))
    raw = blockiness(rgb_luma(img))
    assert raw < 0.1
    assert hq < DEFAULT_THRESHOLDS.heavy_blockiness < lq
    assert lq > hq + 1.0


@pytest.mark.parametrize("res", list(RES))
def test_blockiness_orders_jpeg_quality(res):
    img = scene(res)

    def jpeg(q: int) -> np.ndarray:
        _, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
        return cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)

    assert blockiness(jpeg(95)) < 0.2
    assert blockiness(jpeg(8)) > DEFAULT_THRESHOLDS.heavy_blockiness


def test_blockiness_ignores_noise_blur_and_needs_the_grid():
    img = scene("720p")
    assert blockiness(noisy(img, 20)) < 0.1
    assert blockiness(cv2.blur(img, (9, 9))) < 0.1
    blocky = mpeg2_roundtrip(img, 31)
    assert blockiness(blocky) > 1.0
    # shifted off the grid by 3 px the same picture no longer shows block edges where the metric looks
    assert blockiness(blocky[3:, 3:]) < 0.5 * blockiness(blocky)


# --------------------------------------------------------------------------------------------------- complexity


@pytest.mark.parametrize("res", list(RES))
def test_blank_frames(res):
    w, h = RES[res]
    for value in (0, 255, 128):
        q = analyse_frame(np.full((h, w, 3), value, np.uint8))
        assert q.complexity < 0.02 and q.sharpness == 0.0 and q.noise == 0.0 and q.blockiness == 0.0
        assert q.shot_type == "unknown"
    # black with sensor noise is still (almost) blank
    assert complexity(noisy(np.full((h, w), 8, np.uint8), 2)) < DEFAULT_THRESHOLDS.blank_complexity
    assert complexity(scene(res)) > 0.8


def test_complexity_orders_information():
    ramp = np.tile(np.linspace(0, 255, 1280, dtype=np.float32).astype(np.uint8), (720, 1))
    img = scene("720p")
    values = [complexity(np.zeros((720, 1280), np.uint8)), complexity(ramp), complexity(cv2.blur(img, (25, 25))),
              complexity(img)]
    assert values == sorted(values) and values[0] < 0.01 and values[-1] <= 1.0


def test_exposure_flags_come_from_the_caller_percentages():
    black, white = np.zeros((360, 640), np.uint8), np.full((360, 640), 255, np.uint8)
    qb, qw = analyse_frame(black), analyse_frame(white)
    eb, ew = frame_exposure(black), frame_exposure(white)
    assert frame_flags(qb, eb) == ["underexposed"]
    assert frame_flags(qw, ew) == ["overexposed"]
    assert frame_flags(qb) == []  # no exposure given: no exposure flag, and a blank frame is not "blurry"
    clip = aggregate([qb, qb, qw], exposures=[eb, eb, ew])
    assert clip.underexposed_percentage == 100.0 and clip.overexposed_worst == 100.0
    assert clip.flags == ["underexposed"]
    assert clip.sharpness is None  # no frame with structure


# --------------------------------------------------------------------------------------------------- shot type


@pytest.mark.parametrize(
    "ratio,kind",
    [(None, "unknown"), (0.0, "unknown"), (0.05, "wide"), (0.099, "wide"), (0.10, "medium"), (0.2, "medium"),
     (0.25, "close_up"), (0.5, "close_up"), (0.55, "extreme_close_up"), (0.9, "extreme_close_up")],
)
def test_shot_type_rule(ratio, kind):
    assert classify_face_ratio(ratio) == kind


def test_shot_type_rule_uses_the_largest_face():
    boxes = [(10, 10, 40, 40), (300, 100, 300, 300)]
    assert shot_type_from_faces(boxes, 1080) == ("close_up", pytest.approx(300 / 1080))
    assert shot_type_from_faces([(0, 0, 50, 50)], 1080)[0] == "wide"
    assert shot_type_from_faces([], 1080) == ("unknown", None)


@pytest.mark.parametrize("res", ["720p", "1080p", "4k"])
@pytest.mark.parametrize("ratio,kind", [(0.15, "medium"), (0.35, "close_up"), (0.7, "extreme_close_up")])
def test_shot_type_from_a_drawn_face(res, ratio, kind):
    w, h = RES[res]
    q = analyse_frame(frame_with_face(w, h, ratio))
    assert q.shot_type == kind, q
    assert q.face_height_ratio == pytest.approx(ratio, abs=0.05)
    assert q.faces == 1


@pytest.mark.parametrize("res", list(RES))
def test_shot_type_unknown_without_a_subject(res):
    img = scene(res)
    for x in (img, noisy(img, 20), cv2.blur(img, (9, 9)), scene(res, seed=2)):
        assert shot_type(x)[0] == "unknown"


# --------------------------------------------------------------------------------------------------- analyse_frame


def test_analyse_frame_inputs():
    img = scene("640")
    q = analyse_frame(img)
    assert isinstance(q, FrameQuality) and (q.width, q.height) == (640, 360) and len(q.dhash) == 16
    lum = rgb_luma(img)
    assert analyse_frame(lum).sharpness == pytest.approx(q.sharpness, rel=1e-3)
    assert analyse_frame(lum[..., None]).dhash == analyse_frame(lum).dhash
    q16 = analyse_frame(img.astype(np.uint16) * 257)  # rgb48
    assert q16.sharpness == pytest.approx(q.sharpness, rel=0.02)
    rgba = np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])
    assert analyse_frame(rgba).dhash == q.dhash
    tiny = analyse_frame(np.zeros((4, 6, 3), np.uint8))
    assert tiny.complexity == 0.0
    with pytest.raises(ValueError):
        analyse_frame(np.zeros((4, 4, 2), np.uint8))
    FrameQuality.model_validate_json(q.model_dump_json())  # crosses a process boundary as JSON


def test_dhash_is_stable_across_resolutions_and_separates_content():
    hashes = [dhash(scene(r)) for r in RES]
    assert all(hamming(hashes[0], h) <= 4 for h in hashes)
    assert hamming(hashes[0], dhash(scene("720p", seed=2))) > 16
    assert hamming(dhash(scene("720p")), dhash(noisy(scene("720p"), 10))) <= 6


# --------------------------------------------------------------------------------------------------- selection


def _candidate(index: int, t: float, img: np.ndarray) -> CandidateScore:
    e = frame_exposure(rgb_luma(img))
    return CandidateScore(index=index, timestamp_seconds=t, quality=analyse_frame(img),
                          overexposed_percentage=e.overexposed_percentage,
                          underexposed_percentage=e.underexposed_percentage, mean_luma=e.mean_luma)


@pytest.fixture(scope="module")
def candidates() -> tuple[list[CandidateScore], list[Shot]]:
    a, b, c = (scene("640", seed=s) for s in (1, 2, 3))
    shift = np.roll(a, 4, axis=1)  # the same shot a few frames later: near-identical
    cands = [
        _candidate(0, 0.0, np.zeros_like(a)),  # black first frame (shot A)
        _candidate(1, 0.5, a),  # shot A, sharp
        _candidate(2, 0.8, shift),  # shot A, near-duplicate of 1
        _candidate(3, 0.9, cv2.GaussianBlur(a, (0, 0), 4)),  # shot A, blurry
        _candidate(4, 1.2, cv2.GaussianBlur(b, (0, 0), 5)),  # shot B, blurry (before the sharp one)
        _candidate(5, 1.6, b),  # shot B, sharp
        _candidate(6, 2.4, c),  # shot C, sharp
        _candidate(7, 2.5, noisy(c, 3)),  # shot C, near-duplicate of 6
        _candidate(8, 2.9, np.clip(c.astype(np.int16) + 170, 0, 255).astype(np.uint8)),  # shot C, blown out
    ]
    shots = [Shot(start_seconds=0, end_seconds=1), Shot(start_seconds=1, end_seconds=2),
             Shot(start_seconds=2, end_seconds=3)]
    return cands, shots


def test_selection_skips_black_blurry_and_duplicates_one_per_shot_first(candidates):
    cands, shots = candidates
    chosen = select_thumbnails(cands, shots, 3)
    assert len(chosen) == 3 and chosen[0] in (1, 2) and chosen[1:] == [5, 6]  # 1 and 2 are the same picture
    a = chosen[0]
    sel = rank_thumbnails(cands, shots, 9)
    assert sel.chosen == chosen  # nothing else is both good and distinct: no padding with weak frames
    by = {r.index: r for r in sel.candidates}
    assert by[0].rejected == "blank" and not by[0].chosen
    assert by[3].rejected == by[4].rejected == "blurry"
    assert by[8].rejected == "badly_exposed"
    assert by[3 - a].duplicate_of == a and by[7].duplicate_of == 6  # 7 is 6 with a little grain
    assert by[6].score > by[7].score  # of two near-identical frames the cleaner scores higher
    assert [r.index for r in sel.candidates if r.representative] == [a, 5, 6]
    assert {by[i].shot_index for i in chosen} == {0, 1, 2}
    assert sorted(by[i].rank for i in chosen) == [0, 1, 2]
    assert all(0.0 <= r.score <= 1.0 for r in sel.candidates)
    assert by[a].score > by[3].score and by[5].score > by[4].score


def test_selection_prefers_one_per_shot_before_seconds(candidates):
    cands, shots = candidates
    two = rank_thumbnails(cands, shots, 2)
    assert len(two.chosen) == 2
    assert len({r.shot_index for r in two.candidates if r.chosen}) == 2
    # with no shots known every candidate is one shot: the best distinct frames still win
    assert len(set(select_thumbnails(cands, [], 3)) & {1, 2}) == 1 and {5, 6} <= set(select_thumbnails(cands, [], 3))
    # a shot with only weak frames is still represented, by its best weak frame
    only_soft_b = [c for c in cands if c.index != 5]
    assert 4 in select_thumbnails(only_soft_b, shots, 5)


def test_selection_falls_back_to_weak_frames_only_when_needed():
    black = np.zeros((180, 320, 3), np.uint8)
    blank = [_candidate(i, i * 0.5, black) for i in range(4)]
    assert len(select_thumbnails(blank, [], 3)) == 1  # an all-black clip still gets one thumbnail
    soft = [_candidate(0, 0.0, cv2.GaussianBlur(scene("640"), (0, 0), 8)), _candidate(1, 1.0, black)]
    assert select_thumbnails(soft, [], 2) == [0]  # a blurry frame beats a black one; black is not added
    assert select_thumbnails([], [], 3) == []


# --------------------------------------------------------------------------------------------------- aggregate


def _q(**kw) -> FrameQuality:
    base = {"width": 1920, "height": 1080, "sharpness": 12.0, "noise": 1.0, "blockiness": 0.1, "complexity": 0.7,
            "dhash": "0" * 16}
    base.update(kw)
    return FrameQuality(**base)


def test_aggregate_medians_worst_and_shot_type():
    frames = [_q(sharpness=10, noise=1, shot_type="close_up"), _q(sharpness=2, noise=9, shot_type="wide"),
              _q(sharpness=14, noise=2, shot_type="close_up"), _q(sharpness=0, complexity=0.01)]
    c = aggregate(frames)
    assert c.frames == 4
    assert c.sharpness == 10 and c.sharpness_worst == 2  # the blank frame is left out of sharpness
    assert c.noise == 1.5 and c.noise_worst == 9
    assert c.shot_type == "close_up" and c.flags == []
    assert aggregate(frames, representative=[1]).shot_type == "wide"
    assert aggregate([_q(shot_type="unknown")]).shot_type == "unknown"
    assert aggregate([]).frames == 0 and aggregate([]).flags == []


def test_clip_flags_use_documented_thresholds():
    t = VisionThresholds()
    assert (t.blurry_sharpness, t.noisy_sigma, t.heavy_blockiness, t.exposure_percentage, t.blank_complexity) == \
        (5.0, 4.0, 1.0, 5.0, 0.15)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.noisy_sigma = 1  # type: ignore[misc]
    bad = [_q(sharpness=3, noise=6, blockiness=2.5) for _ in range(3)] + [_q()]
    assert aggregate(bad).flags == ["blurry", "noisy", "heavy_compression"]
    assert aggregate(bad, thresholds=VisionThresholds(blurry_sharpness=2, noisy_sigma=10,
                                                      heavy_blockiness=3)).flags == []
    # one bad frame in four does not flag the clip
    mostly_good = [_q(sharpness=3, noise=6, blockiness=2.5)] + [_q() for _ in range(3)]
    assert aggregate(mostly_good).flags == []


def test_flags_on_real_metrics():
    """End to end at 1080p: blurred, noisy and blocky versions of the scene raise their own flag only."""
    img = scene("1080p")
    lum = rgb_luma(img)
    assert frame_flags(analyse_frame(img)) == []
    assert frame_flags(analyse_frame(cv2.GaussianBlur(img, (0, 0), 18))) == ["blurry"]
    assert frame_flags(analyse_frame(noisy(lum, 12))) == ["noisy"]
    assert frame_flags(analyse_frame(mpeg2_roundtrip(img, 31))) == ["heavy_compression"]
