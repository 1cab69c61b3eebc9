"""Sharpness (focus / blur) of a frame, normalised for resolution and compensated for noise.

The rule:

1. The frame's luma (Rec.709 Y' of RGB, 0..255) is resized with an area filter to the *analysis width* (640 px; a
   narrower frame is used as it is, never upscaled). Every clip is therefore judged at the same viewing scale: a
   4K and a 720p copy of the same shot get about the same figure, and a blur only counts in proportion to how much
   of the picture it smears (a 9-px blur is a lot at 720p, less than 2 analysis pixels at 4K).
2. Uniform black bars (letterbox / pillarbox) are cropped, so their edge with the picture is not counted as detail.
3. Gradient energy (Tenengrad): ``G^2 = gx^2 + gy^2`` with 3x3 Sobel kernels divided by 8 (so a gradient is in luma
   levels per analysis pixel), averaged over 16x16 blocks. The energy of the **most detailed quarter of the blocks**
   is kept: sharpness is about whether the subject is in focus, and a frame that is a quarter sharp subject and three
   quarters sky or soft background is a sharp frame.
4. Noise compensation: white noise of standard deviation ``s`` adds ``0.375 s^2`` to the expected ``G^2`` (the sum of
   the squared Sobel/8 weights of both kernels), so that much is subtracted, with ``s`` estimated at the analysis scale
   by ``noise.noise_sigma``. Grain does not make a soft frame look sharp.
5. ``sharpness = sqrt(max(0, energy - 0.375 s^2))``: an RMS gradient in luma levels per analysis pixel. Higher is
   sharper; a blank frame is 0. A frame narrower than the analysis width is measured as it is and the figure
   multiplied by ``width / 640``: gradients per pixel of a small frame shrink by that factor when it is shown at the
   common size (a 176-px QCIF clip, however crisp per pixel, is soft at 640 px). The figure grows with contrast as
   well as with focus (a foggy, low-contrast shot reads softer than a contrasty one with the same focus), so
   ``flags.py`` compares it with a threshold only on frames with some structure, and with a lenient one.

Typical values. Synthetic scene of saturated shapes, text and texture: sharp ~36 at 720p, 1080p and 4K alike; box
blur 5 px ~28 / 31 / 34, box blur 9 px ~19 / 25 / 31.5 at 720p / 1080p / 4K; Gaussian noise of sigma 25 changes
none of these by more than 2 %. Real footage (lower contrast): 9-22 when in focus; a Gaussian defocus of sigma 3 px
at 640 px (~9 px at 1080p) brings it to 4.5-8.
"""

from __future__ import annotations

import cv2
import numpy as np

ANALYSIS_WIDTH = 640
"""Width (px) at which scale-dependent metrics (sharpness, complexity, faces, hash) look at a frame."""

_BLOCK = 16
_LUMA_WEIGHTS = np.array([[54 / 256, 183 / 256, 19 / 256]], np.float32)  # as exposure.rgb_luma
_TOP_SHARE = 0.25
_SOBEL_NOISE_GAIN = 0.375  # sum of squared Sobel/8 weights over both kernels: (1+1+4+4+1+1)/64 * 2


def to_luma(image: np.ndarray) -> np.ndarray:
    """2-D luma of an RGB(A) or single-channel frame.

    uint8 input stays uint8 (RGB -> Rec.709 Y' with the integer weights of exposure.rgb_luma, 54/183/19 of 256,
    through one cv2.transform: within one level of rgb_luma, ~10x faster); uint16 input is scaled to 0..255
    (16-bit full scale); float input is taken as 0..255 and returned as float32.
    """
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 3:
        if a.shape[2] < 3:
            raise ValueError(f"expected H x W x 3 (RGB) or a 2-D luma plane, got shape {a.shape}")
        if a.size == 0:
            raise ValueError("empty frame")
        if a.dtype == np.uint8:
            rgb = np.ascontiguousarray(a[..., :3])
            return cv2.transform(rgb, _LUMA_WEIGHTS).reshape(rgb.shape[:2])
        f = a[..., :3].astype(np.float32)
        if a.dtype == np.uint16:
            f /= 257.0
        return (0.2126 * f[..., 0] + 0.7152 * f[..., 1] + 0.0722 * f[..., 2]).astype(np.float32)
    if a.ndim != 2:
        raise ValueError(f"expected H x W x 3 (RGB) or a 2-D luma plane, got shape {a.shape}")
    if a.size == 0:
        raise ValueError("empty frame")
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return (a.astype(np.float32) / 257.0).astype(np.float32)
    return a.astype(np.float32)


def analysis_luma(luma: np.ndarray, width: int = ANALYSIS_WIDTH) -> np.ndarray:
    """float32 luma resized (area filter) to `width` px wide; a frame already that narrow or narrower is kept."""
    f = np.asarray(luma, dtype=np.float32)
    h, w = f.shape
    if w > width:
        nh = max(1, round(h * width / w))
        f = cv2.resize(f, (width, nh), interpolation=cv2.INTER_AREA)
    return f


def crop_bars(luma: np.ndarray, level: float = 20.0, spread: float = 4.0) -> np.ndarray:
    """Remove uniform dark rows/columns at the edges (letterbox, pillarbox). Never crops below a quarter of a side."""
    h, w = luma.shape
    rows_dark = (luma.mean(axis=1) < level) & (luma.std(axis=1) < spread)
    cols_dark = (luma.mean(axis=0) < level) & (luma.std(axis=0) < spread)

    def span(dark: np.ndarray, n: int) -> tuple[int, int]:
        a, b = 0, n
        while a < n and dark[a]:
            a += 1
        while b > a and dark[b - 1]:
            b -= 1
        if b - a < max(8, n // 4):
            return 0, n
        return a, b

    r0, r1 = span(rows_dark, h)
    c0, c1 = span(cols_dark, w)
    return luma[r0:r1, c0:c1]


def gradient_energy(lum: np.ndarray) -> np.ndarray:
    """Per-pixel Tenengrad energy gx^2 + gy^2 (Sobel / 8, i.e. levels per pixel squared) of a float32 luma."""
    gx = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3, scale=0.125, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3, scale=0.125, borderType=cv2.BORDER_REPLICATE)
    return cv2.add(cv2.multiply(gx, gx), cv2.multiply(gy, gy))


def sharpness_of_analysis(
    lum: np.ndarray, noise_sigma: float | None = None, *, analysis_width: int = ANALYSIS_WIDTH
) -> float:
    """Sharpness of a luma already at the analysis scale (float32). `noise_sigma` is the noise at that scale
    (estimated here when None)."""
    from vcat_core.pipeline.vision.noise import noise_sigma as _noise_sigma

    narrow = min(1.0, lum.shape[1] / float(analysis_width))
    lum = crop_bars(lum)
    h, w = lum.shape
    if h < 3 or w < 3:
        return 0.0
    energy = gradient_energy(lum)
    b = _BLOCK if min(h, w) >= 2 * _BLOCK else max(1, min(h, w) // 2)
    hb, wb = h // b, w // b
    blocks = energy[: hb * b, : wb * b].reshape(hb, b, wb, b).mean(axis=(1, 3)).ravel()
    k = max(1, int(np.ceil(blocks.size * _TOP_SHARE)))
    top = float(np.partition(blocks, blocks.size - k)[blocks.size - k :].mean())
    if noise_sigma is None:
        noise_sigma = _noise_sigma(lum, block=8)
    return narrow * float(np.sqrt(max(0.0, top - _SOBEL_NOISE_GAIN * noise_sigma * noise_sigma)))


def sharpness(image: np.ndarray, *, analysis_width: int = ANALYSIS_WIDTH) -> float:
    """Sharpness of an RGB or luma frame (see the module docstring): noise-compensated RMS gradient, levels/px at
    the analysis width. Higher is sharper; 0 for a blank frame."""
    return sharpness_of_analysis(analysis_luma(to_luma(image), analysis_width), analysis_width=analysis_width)
