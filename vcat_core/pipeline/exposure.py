"""Exposure of a frame and of a clip (the product's seed §6.2.4 exposure semantics).

The rule, applied to the luma (Y') of a decoded frame expressed as full-range 8-bit values (0 = black, 255 = white;
limited-range video is expanded to full range before it gets here):

* ``overexposed_percentage``: share of pixels with luma >= ``over_luma`` (default 250), i.e. clipped or nearly clipped
  highlights, in percent of all pixels.
* ``underexposed_percentage``: share of pixels with luma <= ``under_luma`` (default 5), i.e. crushed shadows.
* ``mean_luma``: plain mean of the 8-bit luma values (0..255).
* ``exposure_stops``: how far the frame's average *linear* luminance sits from photographic mid-grey (18 %), in stops:
  ``log2(mean(linear(Y')) / 0.18)``. Each pixel's luma is decoded to linear light with the sRGB transfer curve (a
  256-entry lookup table), so 0 means "averages to mid-grey" (sRGB value ~118), +1 a stop brighter (twice the light),
  -1 a stop darker. An all-white frame is about +2.47 stops; an all-black frame would be minus infinity and is clamped
  to -10 (the range is clamped to [-10, +10]).
* ``exposure_warning``: ``"overexposed"`` when the overexposed percentage exceeds ``warn_percentage`` (default 5 %),
  ``"underexposed"`` when the underexposed percentage does; when both exceed it, the larger share wins (ties go to
  "overexposed"); otherwise ``None``.

A clip's exposure (``clip_exposure``) aggregates its sampled frames (the thumbnails): the mean of the two percentages,
the median of ``exposure_stops`` and of ``mean_luma``, and a warning computed by the same rule from the aggregated
percentages. The luma of a transfer other than SDR (PQ, HLG) is measured as-is; the stops figure then only means
"brighter / darker", not real stops.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

from vcat_core.models import ExposureMetrics

MID_GREY = 0.18
STOPS_LIMIT = 10.0


@dataclass(frozen=True)
class ExposureThresholds:
    """Thresholds of the exposure rule (all on full-range 8-bit luma).

    over_luma: a pixel whose luma is >= this counts as overexposed (blown highlight). 250 leaves a little room for
        encoder noise around pure white.
    under_luma: a pixel whose luma is <= this counts as underexposed (crushed shadow).
    warn_percentage: a frame or clip gets a warning when more than this percentage of its pixels is over- (or under-)
        exposed.
    """

    over_luma: int = 250
    under_luma: int = 5
    warn_percentage: float = 5.0


def _srgb_to_linear_lut() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255.0
    lin = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return lin


_LINEAR_LUT = _srgb_to_linear_lut()


def _warning(over: float, under: float, t: ExposureThresholds) -> str | None:
    over_hit = over > t.warn_percentage
    under_hit = under > t.warn_percentage
    if over_hit and under_hit:
        return "overexposed" if over >= under else "underexposed"
    if over_hit:
        return "overexposed"
    if under_hit:
        return "underexposed"
    return None


def stops_from_linear(mean_linear: float) -> float:
    """log2(mean_linear / 0.18), clamped to [-10, +10] (0 or less gives -10)."""
    if not mean_linear > 0.0:
        return -STOPS_LIMIT
    return max(-STOPS_LIMIT, min(STOPS_LIMIT, math.log2(mean_linear / MID_GREY)))


def frame_exposure(luma: np.ndarray, t: ExposureThresholds = ExposureThresholds()) -> ExposureMetrics:
    """Exposure of one frame from its 2-D uint8 full-range luma plane (see the module docstring for the rule)."""
    luma = np.asarray(luma)
    if luma.ndim != 2:
        raise ValueError(f"luma must be a 2-D array, got shape {luma.shape}")
    if luma.dtype != np.uint8:
        raise ValueError(f"luma must be uint8 (full range 0..255), got {luma.dtype}")
    total = luma.size
    if total == 0:
        raise ValueError("luma is empty")
    # One histogram gives every figure: counts per luma value.
    hist = np.bincount(luma.ravel(), minlength=256).astype(np.float64)
    over = float(hist[max(0, min(255, t.over_luma)) :].sum()) * 100.0 / total if t.over_luma <= 255 else 0.0
    under = float(hist[: max(0, min(255, t.under_luma)) + 1].sum()) * 100.0 / total if t.under_luma >= 0 else 0.0
    mean_luma = float(hist @ np.arange(256, dtype=np.float64)) / total
    mean_linear = float(hist @ _LINEAR_LUT) / total
    return ExposureMetrics(
        overexposed_percentage=over,
        underexposed_percentage=under,
        mean_luma=mean_luma,
        exposure_stops=stops_from_linear(mean_linear),
        exposure_warning=_warning(over, under, t),
    )


def rgb_luma(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 luma (Y') of a full-range RGB uint8 image (H x W x 3), as a 2-D uint8 array."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError(f"rgb must be H x W x 3, got shape {rgb.shape}")
    # Integer weights (sum 256) keep this cheap: 0.2126, 0.7152, 0.0722 -> 54, 183, 19.
    r = rgb[..., 0].astype(np.uint16)
    g = rgb[..., 1].astype(np.uint16)
    b = rgb[..., 2].astype(np.uint16)
    y = (r * 54 + g * 183 + b * 19 + 128) >> 8
    return np.minimum(y, 255).astype(np.uint8)


def clip_exposure(
    frames: list[ExposureMetrics], t: ExposureThresholds = ExposureThresholds()
) -> ExposureMetrics | None:
    """Aggregate per-frame metrics into one for the clip; None when there is no frame."""
    frames = [f for f in frames if f is not None]
    if not frames:
        return None
    over = statistics.fmean(f.overexposed_percentage for f in frames)
    under = statistics.fmean(f.underexposed_percentage for f in frames)
    return ExposureMetrics(
        overexposed_percentage=over,
        underexposed_percentage=under,
        mean_luma=float(statistics.median(f.mean_luma for f in frames)),
        exposure_stops=float(statistics.median(f.exposure_stops for f in frames)),
        exposure_warning=_warning(over, under, t),
    )
