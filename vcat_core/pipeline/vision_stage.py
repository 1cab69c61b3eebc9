"""The vision stage of one clip: per-candidate quality (computed while thumbnails are decoded), shot boundaries,
scene-aware thumbnail selection, shot type on the representative frames, and the clip aggregate with its flags.

Cost control: candidates are measured without the face detector (the dearest step) and with noise / blockiness on a
native-resolution crop (they are per coded pixel, a crop keeps the block grid); faces are looked for only on the
frames chosen as representative of their shot. On-screen text is read on the largest thumbnail (640 px wide: a
720p lower third's letters are ~11 px there, still read whole by bench/ocr.py) of each shot's representative frame
or else a candidate in each stretch of `text_every` seconds, at most `text_frames` per clip.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..models import ThumbnailsResult, VisionResult
from .vision import (
    CandidateScore,
    FrameQuality,
    Shot,
    VisionThresholds,
    aggregate,
    blockiness,
    complexity_of_analysis,
    detect_cuts,
    dhash,
    gradient_energy,
    noise_sigma,
    rank_thumbnails,
    sharpness_of_analysis,
    shot_type,
)
from ..ai.screen_text import MODEL as TEXT_MODEL
from .vision.text_spans import spans as text_spans
from .vision.sharpness import analysis_luma, to_luma

CROP_W, CROP_H = 960, 544  # native-pixel window for noise and blockiness (multiples of 16: the block grid holds)
VERSION = "vision-1"
log = logging.getLogger(__name__)


def native_luma(frame: Any) -> np.ndarray:
    """The decoded frame's luma plane as 8-bit, without a colour conversion when the format is planar YUV."""
    fmt = frame.format.name
    if fmt.startswith(("yuv", "yuvj", "nv12", "nv21", "gray")) and not fmt.startswith("yuva"):
        plane = frame.planes[0]
        deep = fmt.endswith(("10le", "12le", "16le", "10be", "12be"))
        dtype = np.dtype("<u2" if fmt.endswith("le") else ">u2") if deep else np.dtype(np.uint8)
        row = plane.line_size // dtype.itemsize
        arr = np.frombuffer(plane, dtype).reshape(-1, row)[: frame.height, : frame.width]
        if deep:
            bits = 10 if "10" in fmt else 12 if "12" in fmt else 16
            return (arr >> (bits - 8)).astype(np.uint8)
        return arr
    return frame.to_ndarray(format="gray")


def _crop(luma: np.ndarray) -> np.ndarray:
    h, w = luma.shape
    ch, cw = min(h, CROP_H), min(w, CROP_W)
    y = ((h - ch) // 2) // 16 * 16
    x = ((w - cw) // 2) // 16 * 16
    return luma[y:y + ch, x:x + cw]


def candidate_quality(frame: Any, rgb: np.ndarray) -> dict[str, Any]:
    """Quality of one thumbnail candidate: `frame` decoded at native size, `rgb` its largest upright image."""
    small = analysis_luma(to_luma(rgb))
    energy = gradient_energy(small)
    crop = _crop(native_luma(frame))
    q = FrameQuality(width=frame.width, height=frame.height, sharpness=round(sharpness_of_analysis(small), 4),
                     noise=round(noise_sigma(crop), 4), blockiness=round(blockiness(crop), 4),
                     complexity=round(complexity_of_analysis(small, energy), 4), dhash=dhash(small))
    return q.model_dump()


def run_vision(path: str, thumbs: ThumbnailsResult, catalog_dir: str, keep: int,
               thresholds: VisionThresholds, text_frames: int = 0,
               text_every: float = 2.0) -> tuple[VisionResult, ThumbnailsResult]:
    """Shots, selection, shot type, aggregate and (`text_frames` > 0) the on-screen text of at most `text_frames`
    frames, one per `text_every` seconds; returns the result and the thumbnails with their ranking."""
    shots: list[Shot] = detect_cuts(path)
    measured = [t for t in thumbs.thumbnails if t.quality]
    cands = [CandidateScore(index=t.index, timestamp_seconds=t.timestamp_seconds,
                            quality=FrameQuality.model_validate(t.quality),
                            overexposed_percentage=t.exposure.overexposed_percentage if t.exposure else 0.0,
                            underexposed_percentage=t.exposure.underexposed_percentage if t.exposure else 0.0,
                            mean_luma=t.exposure.mean_luma if t.exposure else None)
             for t in measured]
    selection = rank_thumbnails(cands, shots, keep, thresholds=thresholds)
    ranking = {r.index: r for r in selection.candidates}
    kept = []
    for t in thumbs.thumbnails:
        # every candidate stays (the evenly spread strip a person scrubs through); the ranking says which were
        # chosen (best, near-duplicates dropped, one per shot first) and which represents its shot
        r = ranking.get(t.index)
        if r is not None:
            t.ranking = r.model_dump()
            if r.representative and t.images:  # framing: faces on the largest image of each shot's best frame
                kind, ratio, faces = shot_type(*_faces_on(Path(catalog_dir) / t.images[-1].path))
                t.quality = {**(t.quality or {}), "shot_type": kind,
                             "face_height_ratio": None if ratio is None else round(ratio, 4), "faces": faces}
        kept.append(t)
    measured_kept = [t for t in kept if t.quality]
    frames = [FrameQuality.model_validate(t.quality) for t in measured_kept]
    reps = [i for i, t in enumerate(measured_kept) if t.ranking and t.ranking.get("representative")]
    clip = aggregate(frames, representative=reps or None, exposures=[t.exposure for t in measured_kept],
                     thresholds=thresholds)
    shot_rows = []
    for i, shot in enumerate(shots):
        rep = next((t for t in kept if t.ranking and t.ranking.get("shot_index") == i
                    and t.ranking.get("representative")), None)
        shot_rows.append({**shot.model_dump(), "thumbnail_index": rep.index if rep else None})
    screen_text = None
    if text_frames > 0:
        try:
            screen_text = read_screen_text(kept, catalog_dir, text_frames, text_every)
        except Exception as exc:  # noqa: BLE001 - the text is extra: the clip keeps its vision figures
            log.warning("on-screen text not read for %s: %s", path, exc)
    # the OCR model that read the text is part of the stage's version (vision_metrics.vision_version)
    version = VERSION if screen_text is None else f"{VERSION}+text:{TEXT_MODEL}"
    result = VisionResult(quality=clip.model_dump(), shots=shot_rows, algorithm_version=version,
                          screen_text=screen_text)
    return result, thumbs.model_copy(update={"thumbnails": kept})


def text_frames_of(thumbs: list, limit: int, every: float) -> list:
    """The thumbnails whose text is read: at most one per `every` seconds of the clip and `limit` in all (OCR's
    cost follows the footage's length, so a drive of short clips stays cheap), spread evenly: the clip is cut into
    that many equal stretches and each gives its shot's representative frame when it holds one, else its middle
    candidate (any candidate, not only the chosen: a caption over a static shot can make its frame a
    near-duplicate). In time order."""
    framed = sorted((t for t in thumbs if t.images), key=lambda t: t.timestamp_seconds)
    if not framed:
        return []
    first, last = framed[0].timestamp_seconds, framed[-1].timestamp_seconds
    count = min(limit, len(framed), max(1, math.ceil((last - first) / max(every, 1e-3)) + 1))
    width = (last - first) / count or 1.0
    picked = []
    for i in range(count):
        lo, hi = first + i * width, first + (i + 1) * width
        stretch = [t for t in framed if lo <= t.timestamp_seconds < hi or (i == count - 1 and t is framed[-1])]
        if stretch:
            reps = [t for t in stretch if (t.ranking or {}).get("representative")]
            picked.append(reps[0] if reps else stretch[len(stretch) // 2])
    return picked


def read_screen_text(thumbs: list, catalog_dir: str, limit: int, every: float) -> list[dict[str, Any]]:
    """Timed on-screen text of the clip (vision.TextSpan dicts)."""
    from ..ai.screen_text import reader

    ocr = reader()
    frames = [(t.timestamp_seconds, ocr.read(_read_rgb(Path(catalog_dir) / t.images[-1].path)))
              for t in text_frames_of(thumbs, limit, every)]
    return [s.model_dump() for s in text_spans(frames)]


def _read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def _faces_on(path: Path) -> tuple[np.ndarray, list]:
    """The frame and the boxes dlib finds on it (remembered for the faces stage); the cascade alone when dlib
    or its models are not installed."""
    from . import faces as face_model

    try:
        rgb, found = face_model.detect_file(str(path))
    except face_model.FaceModelMissing:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB")), []
    return rgb, [box for box, _score in found]
