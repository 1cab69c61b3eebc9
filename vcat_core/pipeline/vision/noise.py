"""Noise (sensor grain, compression mosquito noise) of a frame, measured in flat regions only.

The rule (Immerkaer's fast noise variance estimate, made local so texture is not mistaken for noise):

1. The luma is filtered with Immerkaer's 3x3 mask ``[[1,-2,1],[-2,4,-2],[1,-2,1]]``, which cancels any locally
   linear image (flat areas, ramps, the inside of gradients) and keeps mostly noise. For white Gaussian noise of
   standard deviation ``s``, ``sqrt(pi/2) / 6 * mean(|response|) = s``.
2. That estimate is made in every 16x16 block. Blocks whose mean luma is under 12 or over 243 are left out
   (clipped shadows and highlights hide noise).
3. Texture and edges raise a block's estimate, noise raises every block's: the frame's noise is the **25th
   percentile** of the block estimates, i.e. what the flattest quarter of the picture shows. A frame with no flat
   area at all (dense foliage filling the frame) is therefore over-estimated; that is the known limit.

The result is a standard deviation in 8-bit luma levels **at the resolution passed in**: pass the frame at its coded
size (as decoded) to measure sensor / compression noise as the codec stored it. (Downscaling averages noise away:
the same grain reads about half as strong on a half-size copy.) Typical values: a clean synthetic frame < 0.5;
added Gaussian noise of sigma 5 -> ~4.8, of sigma 20 -> ~18.7 (a little under 20 because of clipping at 0 / 255).

Large frames (over ~2.2 megapixels) are measured on every other band of 16 rows: noise is stationary enough that
this halves the cost of a 4K frame without changing the figure.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_MASK = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
_SCALE = math.sqrt(math.pi / 2.0) / 6.0
BLOCK = 16
PERCENTILE = 25.0
LOW_LUMA = 12.0
HIGH_LUMA = 243.0
_SUBSAMPLE_PIXELS = 2_200_000


def _bands(luma: np.ndarray, block: int) -> np.ndarray:
    """Every other band of `block` rows (keeps whole blocks), for large frames."""
    h, w = luma.shape
    hb = h // block
    if hb < 4:
        return luma
    keep = np.arange(0, hb, 2)
    return luma[: hb * block].reshape(hb, block, w)[keep].reshape(-1, w)


def block_noise(luma: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(sigma per block, mean luma per block) of a 2-D luma, blocks of `block` x `block` pixels (2-D arrays)."""
    lum = np.asarray(luma)
    if lum.dtype != np.uint8:
        lum = lum.astype(np.float32)
    h, w = lum.shape
    if h < 3 or w < 3:
        return np.zeros((0, 0), np.float32), np.zeros((0, 0), np.float32)
    if lum.dtype == np.uint8:
        resp = cv2.filter2D(lum, cv2.CV_16S, _MASK, borderType=cv2.BORDER_REPLICATE)
    else:
        resp = cv2.filter2D(lum, cv2.CV_32F, _MASK, borderType=cv2.BORDER_REPLICATE)
    # The mask response of border pixels mixes replicated values: drop a 1-px frame, then cut whole blocks.
    resp = np.abs(resp[1:-1, 1:-1]).astype(np.float32, copy=False)
    inner = lum[1:-1, 1:-1]
    h, w = resp.shape
    b = block if min(h, w) >= block else max(1, min(h, w))
    hb, wb = h // b, w // b
    sig = resp[: hb * b, : wb * b].reshape(hb, b, wb, b).mean(axis=(1, 3)) * _SCALE
    mean = inner[: hb * b, : wb * b].reshape(hb, b, wb, b).mean(axis=(1, 3), dtype=np.float32)
    return sig, mean


def noise_sigma(image: np.ndarray, *, block: int = BLOCK, percentile: float = PERCENTILE) -> float:
    """Noise standard deviation (8-bit luma levels) of an RGB or luma frame, from its flattest blocks (see the module
    docstring). 0.0 for a frame too small to measure."""
    from vcat_core.pipeline.vision.sharpness import to_luma

    lum = to_luma(image)
    if lum.size > _SUBSAMPLE_PIXELS:
        lum = _bands(lum, block)
    sig, mean = block_noise(lum, block)
    if sig.size == 0:
        return 0.0
    ok = (mean > LOW_LUMA) & (mean < HIGH_LUMA)
    vals = sig[ok] if int(ok.sum()) >= 4 else sig.ravel()
    return float(np.percentile(vals, percentile))
