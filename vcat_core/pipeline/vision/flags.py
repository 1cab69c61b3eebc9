"""Quality flags and the per-clip aggregate of frame figures.

Flags (each threshold is a field of ``VisionThresholds``; the defaults are documented there):

* ``blurry``: the clip's median sharpness is below ``blurry_sharpness``. Frames with complexity under
  ``blank_complexity`` (black, white, flat frames) have no detail to be sharp or soft and are left out of that
  median; a clip made only of such frames is never blurry.
* ``noisy``: the median noise sigma is above ``noisy_sigma``.
* ``heavy_compression``: the median blockiness is above ``heavy_blockiness``.
* ``overexposed`` / ``underexposed``: the median of the over- (under-) exposed percentages that the caller measured
  with ``pipeline/exposure.py`` is above ``exposure_percentage`` (the exposure stage's own 5 % warning level).

Using the median means a flag says "most of the clip is like this": one blurry whip-pan or one blown-out frame does
not flag a clip. The worst value of each metric is kept beside the median in ``ClipQuality`` for callers that want a
stricter rule. ``frame_flags`` applies the same thresholds to a single frame.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from vcat_core.models import ExposureMetrics
from vcat_core.pipeline.vision.models import (
    ClipQuality,
    FrameQuality,
    ShotType,
    VisionFlag,
)


@dataclass(frozen=True)
class VisionThresholds:
    """Thresholds of the vision flags (units as in ``FrameQuality``).

    blurry_sharpness: a clip (or frame) is blurry below this sharpness (noise-compensated RMS luma gradient at the
        640-px analysis width, levels/px). In-focus footage reads 9-22 (very contrasty synthetic frames ~36); a
        Gaussian defocus of sigma 3 px at 640 px (~9 px at 1080p) brings real footage to 4.5-8, sigma 4 to 4-6.5.
        5.0 flags clearly soft footage only, because the figure also falls with contrast (fog, night).
    noisy_sigma: noisy above this noise sigma (8-bit luma levels at coded resolution, flattest quarter of the
        frame). Clean or compressed footage reads under 1-2; visible grain (high-ISO sensor noise) is 4 and up.
    heavy_blockiness: heavy compression above this blockiness (1.0 = block boundaries twice as rough as block
        interiors). Good encodes read under ~0.2; MPEG-2 at its coarsest quantiser or JPEG quality 8 read 1.7-2.9.
    exposure_percentage: over/underexposed when more than this percentage of pixels is clipped (same level as
        ``ExposureThresholds.warn_percentage``).
    blank_complexity: frames under this complexity count as blank (black, white, flat): left out of the blurry
        rule, and passed over when choosing thumbnails.
    """

    blurry_sharpness: float = 5.0
    noisy_sigma: float = 4.0
    heavy_blockiness: float = 1.0
    exposure_percentage: float = 5.0
    blank_complexity: float = 0.15


DEFAULT_THRESHOLDS = VisionThresholds()


def frame_flags(
    q: FrameQuality, exposure: ExposureMetrics | None = None, t: VisionThresholds = DEFAULT_THRESHOLDS
) -> list[VisionFlag]:
    """Flags of one frame, by the same thresholds as the clip rule."""
    flags: list[VisionFlag] = []
    if q.complexity >= t.blank_complexity and q.sharpness < t.blurry_sharpness:
        flags.append("blurry")
    if q.noise > t.noisy_sigma:
        flags.append("noisy")
    if exposure is not None and exposure.overexposed_percentage > t.exposure_percentage:
        flags.append("overexposed")
    if exposure is not None and exposure.underexposed_percentage > t.exposure_percentage:
        flags.append("underexposed")
    if q.blockiness > t.heavy_blockiness:
        flags.append("heavy_compression")
    return flags


def clip_flags(c: ClipQuality, t: VisionThresholds = DEFAULT_THRESHOLDS) -> list[VisionFlag]:
    """Flags of a clip from its aggregate (rule in the module docstring)."""
    flags: list[VisionFlag] = []
    if c.sharpness is not None and c.sharpness < t.blurry_sharpness:
        flags.append("blurry")
    if c.noise is not None and c.noise > t.noisy_sigma:
        flags.append("noisy")
    if c.overexposed_percentage is not None and c.overexposed_percentage > t.exposure_percentage:
        flags.append("overexposed")
    if c.underexposed_percentage is not None and c.underexposed_percentage > t.exposure_percentage:
        flags.append("underexposed")
    if c.blockiness is not None and c.blockiness > t.heavy_blockiness:
        flags.append("heavy_compression")
    return flags


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def aggregate(
    frames: Sequence[FrameQuality],
    *,
    representative: Sequence[int] | None = None,
    exposures: Sequence[ExposureMetrics | None] | None = None,
    thresholds: VisionThresholds = DEFAULT_THRESHOLDS,
) -> ClipQuality:
    """Clip aggregate of per-frame figures: median and worst of each metric, shot type, flags.

    `representative`: positions (in `frames`) of the frames chosen as representative of their shot
    (``CandidateRanking.representative``); the clip's shot type is the most common non-unknown type among them
    (ties: the tighter framing first), or among all frames when None. `exposures`: the exposure of each frame
    (same order, None where unknown), for the exposure flags.
    """
    frames = list(frames)
    out = ClipQuality(frames=len(frames))
    if not frames:
        return out
    structured = [f.sharpness for f in frames if f.complexity >= thresholds.blank_complexity]
    out.sharpness = _median(structured)
    out.sharpness_worst = min(structured) if structured else None
    noise = [f.noise for f in frames]
    out.noise, out.noise_worst = _median(noise), max(noise)
    block = [f.blockiness for f in frames]
    out.blockiness, out.blockiness_worst = _median(block), max(block)
    comp = [f.complexity for f in frames]
    out.complexity, out.complexity_min = _median(comp), min(comp)
    if exposures is not None:
        ex = [e for e in exposures if e is not None]
        if ex:
            over = [e.overexposed_percentage for e in ex]
            under = [e.underexposed_percentage for e in ex]
            out.overexposed_percentage, out.overexposed_worst = _median(over), max(over)
            out.underexposed_percentage, out.underexposed_worst = _median(under), max(under)
    pool = [frames[i] for i in representative if 0 <= i < len(frames)] if representative is not None else frames
    out.shot_type = _common_type([f.shot_type for f in pool])
    out.flags = clip_flags(out, thresholds)
    return out


_TIGHTNESS: dict[str, int] = {"extreme_close_up": 0, "close_up": 1, "medium": 2, "wide": 3}


def _common_type(types: Sequence[ShotType]) -> ShotType:
    counts = Counter(t for t in types if t != "unknown")
    if not counts:
        return "unknown"
    return min(counts, key=lambda k: (-counts[k], _TIGHTNESS.get(k, 9)))
