"""Compression artifacts: blockiness at the codec's 8x8 / 16x16 block grid.

Block codecs (MPEG-2, MPEG-4 part 2, MJPEG/JPEG, H.264 at low rates despite its deblocking filter) quantise each block
on its own, so at high compression neighbouring blocks no longer join up: luma steps appear *on the block grid*.

The rule, on the luma at its **coded resolution** (the grid is in coded pixels; a resized frame loses it):

1. Absolute differences between horizontally adjacent pixels ``|Y[r, c+1] - Y[r, c]|`` (and vertically likewise) are
   clipped at 24 levels, so strong content edges (which fall on the grid by chance) weigh no more than a block step.
2. The column differences are averaged over all rows into a profile by column position ``c mod P`` for block
   periods ``P = 8`` and ``P = 16``. ``edge`` is the mean at the block boundary (between columns P-1 and P of each
   block); ``inner`` the mean at every position that is not an 8-px boundary.
3. ``ratio = edge / (inner + 0.5)`` for each period and direction; the larger period ratio of each direction is kept
   and the two directions are averaged.
4. ``blockiness = max(0, ratio - 1)``: 0 when block boundaries look like any other pixel pair (clean or
   uncompressed content), 1 when they are twice as rough as the inside of blocks, and so on.

The 0.5-level constant keeps nearly flat pictures (black frames, clean gradients) from producing huge ratios.

The grid is assumed to start at pixel (0, 0), as it does in a decoded frame (cropping, e.g. 1088 -> 1080, happens at
the bottom/right). Typical values on a detailed synthetic scene at 720p / 1080p / 4K: uncompressed 0; one MPEG-2
intra frame at quantiser 2 ~0.0-0.2, at quantiser 31 ~2.3-2.9; JPEG quality 95 0, quality 8 ~1.7-2.3.

Limit: H.264/HEVC's in-loop deblocking filter smooths block edges away, so a starved H.264 stream reads low here
(it smears rather than blocks; that shows as lost sharpness and detail instead). This flags block codecs (MPEG-2,
MPEG-4 part 2, MJPEG, DV-like) and streams decoded or encoded without deblocking.

Frames over ~2.2 megapixels use every other row for horizontal steps and every other column for vertical ones.
"""

from __future__ import annotations

import numpy as np

CLIP = 24
_EPS = 0.5
_SUBSAMPLE_PIXELS = 2_200_000


def _ratio(profile: np.ndarray) -> float:
    """Largest edge/inner ratio over the 8- and 16-px periods, for one direction's difference profile."""
    best = 0.0
    for period in (8, 16):
        n = (len(profile) // period) * period
        if n < 2 * period:
            continue
        p = profile[:n].reshape(-1, period).mean(axis=0)
        boundary = [period - 1] + ([7] if period == 16 else [])
        edge = float(p[period - 1])
        inner = float(np.delete(p, boundary).mean())
        best = max(best, edge / (inner + _EPS))
    return best


def _profile(lum: np.ndarray, axis: int, step: int) -> np.ndarray:
    """Mean clipped absolute difference along `axis` (1: between columns, 0: between rows), by position."""
    if axis == 1:
        sub = lum[::step, :]
        d = np.abs(np.diff(sub, axis=1))
        np.minimum(d, CLIP, out=d)
        return d.mean(axis=0, dtype=np.float64)
    sub = lum[:, ::step]
    d = np.abs(np.diff(sub, axis=0))
    np.minimum(d, CLIP, out=d)
    return d.mean(axis=1, dtype=np.float64)


def blockiness(image: np.ndarray) -> float:
    """Blockiness of an RGB or luma frame at its coded resolution (see the module docstring); 0 = none."""
    from vcat_core.pipeline.vision.sharpness import to_luma

    lum = to_luma(image)
    lum = lum.astype(np.int16) if lum.dtype == np.uint8 else lum.astype(np.float32)
    h, w = lum.shape
    if h < 16 or w < 16:
        return 0.0
    step = 2 if lum.size > _SUBSAMPLE_PIXELS else 1
    ratios = []
    for axis in (1, 0):
        prof = _profile(lum, axis, step)
        if len(prof) >= 32:
            ratios.append(_ratio(prof))
    if not ratios:
        return 0.0
    return float(max(0.0, float(np.mean(ratios)) - 1.0))
