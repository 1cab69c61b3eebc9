"""Tell speakers apart by clustering voice features of speech windows (numpy/scipy, no model).

Method (``METHOD``):
1. Speech ranges (VAD, or the transcript's segments) are cut into windows of 1–4 s.
2. Each window gets two voice features: its median pitch (F0 by autocorrelation, 70–400 Hz, on a log scale) and
   the mean of MFCC 1–12 over its louder frames (timbre). Within one clip the channel (microphone, room) is
   shared, so its effect cancels in the differences.
3. Two windows are "the same voice" when their pitch differs by less than ``PITCH_STEP`` (0.25 in log-Hz, ~28 %)
   AND their timbre by less than ``TIMBRE_STEP`` (9 MFCC units): distance = max(Δpitch/0.25, Δtimbre/9).
   Average-linkage agglomerative clustering (scipy) cuts at distance 1; clusters with under 1.5 s of speech are
   folded into their nearest neighbour (a cough, a mixed window at a turn change).

Why these features: measured on espeak-ng voices speaking ten different sentences, one voice's windows differ by
≤ 0.05 in log-pitch and ≤ 7.4 in timbre (what is *said* moves MFCC means a lot), while a low male and a female
voice differ by 0.65 in log-pitch. Voices that differ only slightly (two male voices 8 % apart in pitch with a
similar timbre) are NOT told apart: the count is of *clearly distinct* voices, and real recordings of two
same-sex speakers of similar pitch will often be counted as one. ``speakers_detected`` is None — "cannot tell" —
when there is under ``MIN_SPEECH`` seconds of speech or fewer than two windows to compare.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .features import mfcc, pitch_track
from .schema import Segment, Speakers, SpeakerTurn

METHOD = "median log-F0 + MFCC1-12 mean per 1-4 s window; average linkage, max(dF0/0.25, dMFCC/9) < 1"
PITCH_STEP = 0.25
TIMBRE_STEP = 9.0
MIN_SPEECH = 3.0  # seconds of speech below which the count is not attempted
MIN_CLUSTER_SECONDS = 1.5
MAX_WINDOW = 4.0
MIN_WINDOW = 1.0
MAX_WINDOWS = 800  # longer clips: cluster an even subsample, assign the rest to the nearest cluster


def _windows(ranges: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out = []
    for a, b in ranges:
        length = b - a
        if length < MIN_WINDOW:
            continue
        n = max(1, int(np.ceil(length / MAX_WINDOW)))
        step = length / n
        out.extend((a + i * step, a + (i + 1) * step) for i in range(n))
    return out


def voice_vector(x: np.ndarray) -> np.ndarray:
    """[log median F0 (NaN when unvoiced), MFCC 1-12 mean over frames louder than the 30th percentile]."""
    m = mfcc(x)
    loud = m[:, 0] >= np.percentile(m[:, 0], 30)
    f0 = pitch_track(x)
    voiced = f0[f0 > 0]
    pitch = float(np.log(np.median(voiced))) if voiced.size >= 5 else np.nan
    return np.r_[pitch, m[loud, 1:13].mean(axis=0)]


def voice_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """max(Δpitch/PITCH_STEP, Δtimbre/TIMBRE_STEP) between every row of ``a`` and of ``b`` (pitch NaN → timbre only)."""
    dp = np.abs(a[:, None, 0] - b[None, :, 0]) / PITCH_STEP
    dp = np.where(np.isnan(dp), 0.0, dp)
    dm = np.linalg.norm(a[:, None, 1:] - b[None, :, 1:], axis=2) / TIMBRE_STEP
    return np.maximum(dp, dm)


def detect_speakers(samples: np.ndarray, speech: Sequence[tuple[float, float]]) -> Speakers:
    """Count clearly distinct voices in ``speech`` ranges (seconds) of ``samples`` (16 kHz mono)."""
    total = sum(max(0.0, b - a) for a, b in speech)
    if total <= 0:
        return Speakers(speakers_detected=0, method=METHOD, reason="no speech")
    if total < MIN_SPEECH:
        return Speakers(speakers_detected=None, method=METHOD,
                        reason=f"only {total:.1f} s of speech (need {MIN_SPEECH:.0f} s) to compare voices")
    wins = _windows(speech)
    if len(wins) < 2:
        return Speakers(speakers_detected=None, method=METHOD, reason="fewer than two speech windows to compare")
    vecs = np.array([voice_vector(samples[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)]) for a, b in wins])
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    pick = np.arange(len(wins))
    if len(wins) > MAX_WINDOWS:
        pick = np.linspace(0, len(wins) - 1, MAX_WINDOWS).round().astype(int)
    d = voice_distances(vecs[pick], vecs[pick])
    np.fill_diagonal(d, 0.0)
    z = linkage(squareform(d, checks=False), method="average")
    sub = fcluster(z, t=1.0, criterion="distance")
    if len(pick) < len(wins):  # every window to the cluster of its nearest picked window
        nearest = voice_distances(vecs, vecs[pick]).argmin(axis=1)
        labels = sub[nearest]
    else:
        labels = sub
    seconds = {c: sum(b - a for (a, b), lab in zip(wins, labels, strict=True) if lab == c) for c in set(labels)}
    big = [c for c, s in seconds.items() if s >= MIN_CLUSTER_SECONDS] or [max(seconds, key=seconds.get)]  # type: ignore[arg-type]
    if len(big) < len(seconds):  # fold small clusters into the nearest big one (by mean distance of members)
        for c in set(labels) - set(big):
            members = vecs[labels == c]
            cost = {k: float(voice_distances(members, vecs[labels == k]).mean()) for k in big}
            labels[labels == c] = min(cost, key=cost.get)  # type: ignore[arg-type]
    names: dict[int, str] = {}
    for lab in labels:
        names.setdefault(int(lab), f"S{len(names) + 1}")
    turns: list[SpeakerTurn] = []
    for (a, b), lab in zip(wins, labels, strict=True):
        who = names[int(lab)]
        if turns and turns[-1].speaker == who and a - turns[-1].end < 1.0:
            turns[-1].end = round(b, 2)
        else:
            turns.append(SpeakerTurn(start=round(a, 2), end=round(b, 2), speaker=who))
    return Speakers(speakers_detected=len(names), method=METHOD,
                    reason=f"{len(wins)} windows, {total:.1f} s of speech", turns=turns)


def label_segments(segments: Sequence[Segment], speakers: Speakers) -> list[Segment]:
    """Copies of ``segments`` with ``speaker`` set to the turn that overlaps each most (None when unknown)."""
    if not speakers.turns or not speakers.speakers_detected:
        return list(segments)
    out = []
    for s in segments:
        best, overlap = None, 0.0
        for t in speakers.turns:
            o = min(s.end, t.end) - max(s.start, t.start)
            if o > overlap:
                best, overlap = t.speaker, o
        out.append(s.model_copy(update={"speaker": best}))
    return out
