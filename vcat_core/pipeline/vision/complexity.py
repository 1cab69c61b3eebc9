"""Scene complexity: how much information a frame carries, 0..1.

The rule, on the luma at the 640-px analysis width (see ``sharpness.py``):

* ``entropy``: Shannon entropy of a 32-bin luma histogram, divided by its maximum (5 bits), 0..1. Coarse bins keep a
  black frame with a little sensor noise near 0.
* ``edge_density``: share of pixels whose gradient (Sobel / 8) exceeds 8 luma levels per pixel, divided by 0.2 and
  capped at 1 (a fifth of the picture being edges already counts as fully busy).
* ``complexity = (entropy + edge_density) / 2``.

A black or white frame is ~0, a smooth gradient ~0.4-0.5 (tones but no detail), a detailed scene 0.6-0.9. Noise
counts as information here (it is on the picture); ``noise.py`` tells grain apart.
"""

from __future__ import annotations

import numpy as np

from vcat_core.pipeline.vision.sharpness import (
    ANALYSIS_WIDTH,
    analysis_luma,
    gradient_energy,
    to_luma,
)

BINS = 32
EDGE_LEVEL = 8.0
EDGE_SATURATION = 0.2


def complexity_of_analysis(lum: np.ndarray, energy: np.ndarray | None = None) -> float:
    """Complexity of a float32 luma already at the analysis scale (`energy`: its gradient energy, if computed)."""
    if lum.size == 0:
        return 0.0
    hist, _ = np.histogram(lum, bins=BINS, range=(0.0, 256.0))
    p = hist[hist > 0].astype(np.float64) / lum.size
    entropy = float(-(p * np.log2(p)).sum()) / np.log2(BINS)
    if energy is None:
        energy = gradient_energy(lum)
    edges = float(np.count_nonzero(energy > EDGE_LEVEL * EDGE_LEVEL)) / energy.size
    return float(min(1.0, max(0.0, 0.5 * entropy + 0.5 * min(1.0, edges / EDGE_SATURATION))))


def complexity(image: np.ndarray, *, analysis_width: int = ANALYSIS_WIDTH) -> float:
    """Information density of an RGB or luma frame, 0..1 (see the module docstring)."""
    return complexity_of_analysis(analysis_luma(to_luma(image), analysis_width))
