"""Scene-aware thumbnail selection: pick up to n candidate frames that show what the clip really contains.

Scores (each 0..1) of a candidate:

* ``sharpness_score = s / (s + 4)`` for sharpness ``s`` (so 4 -> 0.5, 12 -> 0.75, 20 -> 0.83);
* ``exposure_score = max(0, 1 - (over% + under%) / 50)``: a quarter of the pixels clipped halves it;
* ``information_score = sqrt(complexity)``;
* a cleanliness factor ``max(0.5, 1 - noise / (4 * noisy_sigma))`` (so of two near-identical frames the cleaner wins;
  complexity alone would favour grain);
* ``score`` = the product of the four.

A candidate is **weak** (``rejected`` says why) when it is ``blank`` (complexity under
``VisionThresholds.blank_complexity``: black, white, flat or mid-fade frames), ``badly_exposed`` (more than 40 % of its
pixels clipped: fades to black, flashes), or ``blurry`` (sharpness under ``blurry_sharpness``, or under 40 % of the
sharpest candidate of the clip: motion blur, focus pulls).

Choosing, with ``shots`` from ``detect_cuts`` (an empty list means one shot):

1. Each candidate belongs to the shot its timestamp falls in. The best candidate of each shot (non-weak before weak,
   then by score) is its **representative**.
2. Chosen first: the representatives that are not weak, best score first, so every shot gets one thumbnail before
   any shot gets two.
3. Then the other non-weak candidates, always from the shot with the fewest chosen so far, best score first.
4. Then, for each shot that still has nothing chosen, its best weak candidate that is not blank (a shot that is
   soft or badly exposed throughout is still shown). Weak frames never pad the set beyond that. Blank candidates
   are chosen only when nothing else is (an all-black clip still gets one thumbnail).
5. Near-duplicates are skipped throughout: a candidate whose 64-bit dHash is within ``dedup_distance`` (10) bits of
   an already chosen one is ``duplicate_of`` it.

At most ``n`` are chosen; they are returned in time order (``rank`` keeps the order they were picked in).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from vcat_core.pipeline.vision.flags import DEFAULT_THRESHOLDS, VisionThresholds
from vcat_core.pipeline.vision.models import (
    CandidateRanking,
    CandidateScore,
    Shot,
    ThumbnailSelection,
)

DEDUP_DISTANCE = 10
BAD_EXPOSURE_PERCENT = 40.0
RELATIVE_BLUR = 0.4
_SHARPNESS_HALF = 4.0


def dhash(image: np.ndarray) -> str:
    """64-bit difference hash of an RGB or luma frame, as 16 hex digits.

    The luma is shrunk (area filter) to 9 x 8 pixels; each of the 8 x 8 bits (row-major, the first one the most
    significant) is set when pixel (row, col + 1) is brighter than pixel (row, col). Frames that look alike at a
    glance differ in few bits, whatever their size.
    """
    from vcat_core.pipeline.vision.sharpness import to_luma

    lum = np.asarray(to_luma(image), dtype=np.float32)
    small = cv2.resize(lum, (9, 8), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1] + 1e-3).ravel()
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def shot_of(t: float, shots: Sequence[Shot]) -> int | None:
    """Index of the shot whose [start, end) holds time `t` (nearest shot when `t` falls outside all)."""
    if not shots:
        return None
    for i, s in enumerate(shots):
        if s.start_seconds - 1e-6 <= t < s.end_seconds - 1e-6:
            return i
    if t >= shots[-1].end_seconds - 1e-6:
        return len(shots) - 1
    return min(range(len(shots)), key=lambda i: min(abs(t - shots[i].start_seconds), abs(t - shots[i].end_seconds)))


def score_candidate(
    c: CandidateScore, thresholds: VisionThresholds = DEFAULT_THRESHOLDS
) -> tuple[float, float, float, float]:
    """(score, sharpness_score, exposure_score, information_score) of one candidate."""
    s = max(0.0, c.quality.sharpness)
    sharp = s / (s + _SHARPNESS_HALF)
    clipped = max(0.0, c.overexposed_percentage) + max(0.0, c.underexposed_percentage)
    expo = max(0.0, 1.0 - clipped / 50.0)
    info = math.sqrt(min(1.0, max(0.0, c.quality.complexity)))
    clean = max(0.5, 1.0 - max(0.0, c.quality.noise) / (4.0 * max(thresholds.noisy_sigma, 1e-6)))
    return sharp * expo * info * clean, sharp, expo, info


def rank_thumbnails(
    candidates: Sequence[CandidateScore],
    shots: Sequence[Shot],
    n: int,
    *,
    thresholds: VisionThresholds = DEFAULT_THRESHOLDS,
    dedup_distance: int = DEDUP_DISTANCE,
) -> ThumbnailSelection:
    """Score every candidate and choose up to `n` (rule in the module docstring)."""
    cands = list(candidates)
    best_sharp = max((c.quality.sharpness for c in cands), default=0.0)
    ranks: list[CandidateRanking] = []
    for c in cands:
        score, sharp, expo, info = score_candidate(c, thresholds)
        rejected = None
        clipped = c.overexposed_percentage + c.underexposed_percentage
        if c.quality.complexity < thresholds.blank_complexity:
            rejected = "blank"
        elif clipped > BAD_EXPOSURE_PERCENT:
            rejected = "badly_exposed"
        elif c.quality.sharpness < thresholds.blurry_sharpness or c.quality.sharpness < RELATIVE_BLUR * best_sharp:
            rejected = "blurry"
        ranks.append(CandidateRanking(
            index=c.index, shot_index=shot_of(c.timestamp_seconds, shots), score=round(score, 6),
            sharpness_score=round(sharp, 6), exposure_score=round(expo, 6), information_score=round(info, 6),
            rejected=rejected,
        ))

    def key(i: int) -> tuple[int, float]:
        return (1 if ranks[i].rejected else 0, -ranks[i].score)

    by_shot: dict[int | None, list[int]] = {}
    for i, r in enumerate(ranks):
        by_shot.setdefault(r.shot_index, []).append(i)
    for members in by_shot.values():
        ranks[min(members, key=key)].representative = True

    chosen: list[int] = []
    per_shot: dict[int | None, int] = {}

    def take(i: int) -> bool:
        if ranks[i].chosen or len(chosen) >= n:
            return False
        for j in chosen:
            if hamming(cands[i].quality.dhash, cands[j].quality.dhash) <= dedup_distance:
                if ranks[i].duplicate_of is None:
                    ranks[i].duplicate_of = cands[j].index
                return False
        ranks[i].chosen = True
        ranks[i].rank = len(chosen)
        chosen.append(i)
        per_shot[ranks[i].shot_index] = per_shot.get(ranks[i].shot_index, 0) + 1
        return True

    good = [i for i, r in enumerate(ranks) if not r.rejected]
    for i in sorted((i for i in good if ranks[i].representative), key=key):
        take(i)
    rest = [i for i in good if not ranks[i].chosen]
    while rest and len(chosen) < n:
        i = min(rest, key=lambda i: (per_shot.get(ranks[i].shot_index, 0), -ranks[i].score))
        rest.remove(i)
        take(i)
    for i in sorted((i for i, r in enumerate(ranks) if r.rejected and r.rejected != "blank"), key=key):
        if per_shot.get(ranks[i].shot_index, 0) == 0:
            take(i)
    if not chosen:
        for i in sorted(range(len(ranks)), key=key):
            if take(i):
                break
    order = sorted(chosen, key=lambda i: (cands[i].timestamp_seconds, cands[i].index))
    return ThumbnailSelection(chosen=[cands[i].index for i in order], candidates=ranks)


def select_thumbnails(candidates: Sequence[CandidateScore], shots: Sequence[Shot], n: int) -> list[int]:
    """Indices (``CandidateScore.index``) of up to `n` thumbnails, in time order; see ``rank_thumbnails``."""
    return rank_thumbnails(candidates, shots, n).chosen
