"""Typed results of the vision stage (frame quality, shots, thumbnail selection, clip aggregate).

Plain pydantic models, so they cross the process pool and can be persisted as JSON without knowing how they were made.
Units and rules are documented in the module that computes each figure (``sharpness.py``, ``noise.py`` ...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ShotType = Literal["extreme_close_up", "close_up", "medium", "wide", "unknown"]
"""Framing of a shot, from the face-size rule in ``shot_type.py``; ``unknown`` when no rule applies."""

VisionFlag = Literal["blurry", "noisy", "overexposed", "underexposed", "heavy_compression"]
"""Quality flags, with thresholds in ``flags.VisionThresholds``."""


class FrameQuality(BaseModel):
    """Quality figures of one decoded frame (see ``vision.analyse_frame``)."""

    width: int  # of the array that was analysed
    height: int
    sharpness: float  # noise-compensated RMS luma gradient at the 640-px analysis width (levels/px); higher = sharper
    noise: float  # noise sigma in 8-bit luma levels, at the resolution passed in (flat regions only)
    blockiness: float  # 8/16-px block-edge excess over in-block differences; 0 = none, higher = more artifacts
    complexity: float  # 0..1 information density (luma entropy + edge density); ~0 for a blank frame
    shot_type: ShotType = "unknown"
    face_height_ratio: float | None = None  # height of the largest detected face box / frame height
    faces: int = 0  # number of faces detected
    dhash: str  # 64-bit difference hash of the frame, 16 hex digits (see select.dhash)


class Shot(BaseModel):
    """One shot between two hard cuts. Seconds are relative to the video stream's start time (as thumbnails are)."""

    start_seconds: float
    end_seconds: float
    cut_score: float | None = None  # score of the cut that opens this shot (None for the first shot)


class CandidateScore(BaseModel):
    """What the thumbnail stage knows about one candidate frame, as input to ``select_thumbnails``."""

    index: int  # the caller's own index for this candidate (e.g. the thumbnail index)
    timestamp_seconds: float  # same time origin as Shot
    quality: FrameQuality
    overexposed_percentage: float = 0.0  # from pipeline/exposure.py
    underexposed_percentage: float = 0.0
    mean_luma: float | None = None  # 0..255, optional (used to spot black / white frames)


class CandidateRanking(BaseModel):
    """Per-candidate scores and the selection's verdict (see ``select.py`` for the rule)."""

    index: int
    shot_index: int | None = None  # which Shot the candidate's timestamp falls in
    score: float  # overall 0..1 (product of the three scores below)
    sharpness_score: float  # 0..1
    exposure_score: float  # 0..1
    information_score: float  # 0..1
    rejected: Literal["blank", "blurry", "badly_exposed"] | None = None  # weak frame, used only when nothing better
    duplicate_of: int | None = None  # index of a chosen candidate this one looks the same as (dHash)
    representative: bool = False  # the best candidate of its shot
    chosen: bool = False
    rank: int | None = None  # order among the chosen (0 = best)


class ThumbnailSelection(BaseModel):
    chosen: list[int]  # candidate indices, in time order
    candidates: list[CandidateRanking]


class ClipQuality(BaseModel):
    """Per-clip aggregate of frame figures: the median of each metric plus the worst frame's value."""

    frames: int  # frames aggregated
    sharpness: float | None = None  # median over frames with structure (complexity >= blank threshold)
    sharpness_worst: float | None = None  # minimum over those frames
    noise: float | None = None
    noise_worst: float | None = None  # maximum
    blockiness: float | None = None
    blockiness_worst: float | None = None  # maximum
    complexity: float | None = None
    complexity_min: float | None = None
    overexposed_percentage: float | None = None  # median of the caller's per-frame percentages
    overexposed_worst: float | None = None
    underexposed_percentage: float | None = None
    underexposed_worst: float | None = None
    shot_type: ShotType = "unknown"  # most common non-unknown type among the representative frames
    flags: list[VisionFlag] = Field(default_factory=list)
