"""The vision stage of one clip: per-candidate quality (computed while thumbnails are decoded), shot boundaries,
scene-aware thumbnail selection, shot type on the representative frames, and the clip aggregate with its flags.

Cost control: candidates are measured without the face detector (the dearest step) and with noise / blockiness on a
native-resolution crop (they are per coded pixel, a crop keeps the block grid); faces are looked for only on the
frames chosen as representative of their shot.
"""

from __future__ import annotations

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
from .vision.sharpness import analysis_luma, to_luma

CROP_W, CROP_H = 960, 544  # native-pixel window for noise and blockiness (multiples of 16: the block grid holds)
VERSION = "vision-1"


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
               thresholds: VisionThresholds) -> tuple[VisionResult, ThumbnailsResult]:
    """Shots, selection, shot type and aggregate; returns the result and the thumbnails with their ranking."""
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
    result = VisionResult(quality=clip.model_dump(), shots=shot_rows, algorithm_version=VERSION)
    return result, thumbs.model_copy(update={"thumbnails": kept})


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
