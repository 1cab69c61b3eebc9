"""Vision stage: pure functions over decoded frames (numpy arrays) and one cheap decode for cuts.

Per frame -- ``analyse_frame(rgb_or_luma) -> FrameQuality``:

* ``sharpness``  (sharpness.py)  noise-compensated gradient energy at a 640-px analysis width; higher = sharper.
* ``noise``      (noise.py)      Immerkaer noise sigma in the flattest blocks, at the resolution passed in.
* ``blockiness`` (blockiness.py) 8/16-px block-grid excess, at the resolution passed in (pass the coded size).
* ``complexity`` (complexity.py) luma entropy + edge density, 0..1.
* ``shot_type``  (shot_type.py)  largest Haar face vs frame height -> wide / medium / close_up / extreme_close_up,
  else ``unknown``.
* ``dhash``      (select.py)     64-bit difference hash for near-duplicate detection.

Per clip: ``detect_cuts(path) / analyse_clip_cuts(path) -> list[Shot]`` (cuts.py), ``select_thumbnails`` /
``rank_thumbnails`` (select.py), ``aggregate(frames) -> ClipQuality`` and the flags with their ``VisionThresholds``
(flags.py). Everything here is picklable input -> pydantic output, for a process pool.

Pass frames at their decoded (coded) size: noise and blockiness are per coded pixel; the other figures are
resolution-normalised internally.
"""

from __future__ import annotations

import os

import numpy as np

from vcat_core.pipeline.vision.blockiness import blockiness
from vcat_core.pipeline.vision.complexity import complexity, complexity_of_analysis
from vcat_core.pipeline.vision.cuts import CutParams, CutScan, cut_scan, detect_cuts
from vcat_core.pipeline.vision.flags import (
    DEFAULT_THRESHOLDS,
    VisionThresholds,
    aggregate,
    clip_flags,
    frame_flags,
)
from vcat_core.pipeline.vision.models import (
    CandidateRanking,
    CandidateScore,
    ClipQuality,
    FrameQuality,
    Shot,
    ShotType,
    ThumbnailSelection,
    VisionFlag,
)
from vcat_core.pipeline.vision.noise import noise_sigma
from vcat_core.pipeline.vision.select import (
    dhash,
    hamming,
    rank_thumbnails,
    select_thumbnails,
)
from vcat_core.pipeline.vision.sharpness import (
    ANALYSIS_WIDTH,
    analysis_luma,
    gradient_energy,
    sharpness,
    sharpness_of_analysis,
    to_luma,
)
from vcat_core.pipeline.vision.shot_type import (
    classify_face_ratio,
    detect_faces,
    shot_type,
    shot_type_from_faces,
)

__all__ = [
    "ANALYSIS_WIDTH",
    "DEFAULT_THRESHOLDS",
    "CandidateRanking",
    "CandidateScore",
    "ClipQuality",
    "CutParams",
    "CutScan",
    "FrameQuality",
    "Shot",
    "ShotType",
    "ThumbnailSelection",
    "VisionFlag",
    "VisionThresholds",
    "aggregate",
    "analyse_clip_cuts",
    "analyse_frame",
    "blockiness",
    "classify_face_ratio",
    "clip_flags",
    "complexity",
    "cut_scan",
    "detect_cuts",
    "detect_faces",
    "dhash",
    "frame_flags",
    "hamming",
    "noise_sigma",
    "rank_thumbnails",
    "select_thumbnails",
    "sharpness",
    "shot_type",
    "shot_type_from_faces",
]


def analyse_frame(rgb_or_luma: np.ndarray, *, faces: bool = True) -> FrameQuality:
    """Every per-frame figure of one decoded frame (H x W x 3 RGB uint8, or a 2-D luma plane), at its coded size.

    `faces=False` skips the face detector (the dearest step on busy frames): shot_type is then ``unknown``."""
    lum = to_luma(rgb_or_luma)
    h, w = lum.shape
    small = analysis_luma(lum)
    energy = gradient_energy(small)
    kind: ShotType = "unknown"
    ratio: float | None = None
    count = 0
    if faces:
        boxes = detect_faces(small)
        kind, ratio = shot_type_from_faces(boxes, small.shape[0])
        count = len(boxes)
    return FrameQuality(
        width=int(w),
        height=int(h),
        sharpness=round(sharpness_of_analysis(small), 4),
        noise=round(noise_sigma(lum), 4),
        blockiness=round(blockiness(lum), 4),
        complexity=round(complexity_of_analysis(small, energy), 4),
        shot_type=kind,
        face_height_ratio=None if ratio is None else round(ratio, 4),
        faces=count,
        dhash=dhash(small),
    )


def analyse_clip_cuts(path: str | os.PathLike[str], **params: object) -> list[Shot]:
    """Shots of the clip at `path` (``detect_cuts`` with its defaults; keyword overrides as in ``CutParams``)."""
    return detect_cuts(path, **params)  # type: ignore[arg-type]
