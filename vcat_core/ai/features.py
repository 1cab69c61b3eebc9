"""Small numpy/scipy audio features shared by speakers.py and audio_events.py (16 kHz mono float32 in)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .audio import SAMPLE_RATE

FRAME = 400  # 25 ms
HOP = 160  # 10 ms
NFFT = 512


def frames(x: np.ndarray, frame: int = FRAME, hop: int = HOP) -> np.ndarray:
    """(n_frames, frame) strided view of ``x`` (zero-padded to at least one frame)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    n = 1 + (len(x) - frame) // hop
    return np.lib.stride_tricks.as_strided(x, shape=(n, frame), strides=(x.strides[0] * hop, x.strides[0]))


@lru_cache(maxsize=8)
def mel_filterbank(n_mels: int = 40, nfft: int = NFFT, sr: int = SAMPLE_RATE, fmin: float = 20.0, fmax: float = 7600.0):
    def hz2mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel2hz(m):
        return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)

    mels = np.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2)
    hz = mel2hz(mels)
    bins = np.fft.rfftfreq(nfft, 1.0 / sr)
    fb = np.zeros((n_mels, len(bins)), np.float32)
    for i in range(n_mels):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        up = (bins - lo) / max(c - lo, 1e-9)
        down = (hi - bins) / max(hi - c, 1e-9)
        fb[i] = np.maximum(0.0, np.minimum(up, down))
    return fb


def power_spectrum(x: np.ndarray, frame: int = FRAME, hop: int = HOP, nfft: int = NFFT) -> np.ndarray:
    fr = frames(x, frame, hop) * np.hamming(frame).astype(np.float32)
    return (np.abs(np.fft.rfft(fr, n=nfft, axis=1)) ** 2).astype(np.float32)


def log_mel(x: np.ndarray, n_mels: int = 40) -> np.ndarray:
    spec = power_spectrum(x)
    return np.log(spec @ mel_filterbank(n_mels).T + 1e-10)


def mfcc(x: np.ndarray, n_mfcc: int = 20, n_mels: int = 40) -> np.ndarray:
    """(n_frames, n_mfcc) MFCCs (DCT-II, orthonormal) of 25 ms frames every 10 ms."""
    from scipy.fft import dct

    return dct(log_mel(x, n_mels), type=2, axis=1, norm="ortho")[:, :n_mfcc]


def rms_db(x: np.ndarray, frame: int = FRAME, hop: int = HOP, block: int = 60_000) -> np.ndarray:
    """Per-frame level in dBFS, computed in blocks of ``block`` frames (bounded memory on hour-long audio)."""
    x = np.asarray(x, dtype=np.float32)
    if len(x) < frame:
        x = np.pad(x, (0, frame - len(x)))
    n = 1 + (len(x) - frame) // hop
    out = np.empty(n, np.float64)
    for b in range(0, n, block):
        e = min(n, b + block)
        seg = x[b * hop : (e - 1) * hop + frame].astype(np.float64)
        fr = frames(seg, frame, hop)
        out[b:e] = 10.0 * np.log10((fr**2).mean(axis=1) + 1e-12)[: e - b]
    return out


def pitch_track(x: np.ndarray, fmin: float = 70.0, fmax: float = 400.0, frame: int = 640, hop: int = 320) -> np.ndarray:
    """Per-frame fundamental frequency (Hz) by normalised autocorrelation; 0 where unvoiced."""
    fr = frames(x, frame, hop).astype(np.float64)
    fr = fr - fr.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(fr, n=2 * frame, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :frame]
    ac0 = ac[:, :1] + 1e-12
    lo, hi = int(SAMPLE_RATE / fmax), int(SAMPLE_RATE / fmin)
    seg = ac[:, lo:hi] / ac0
    lag = seg.argmax(axis=1)
    peak = seg[np.arange(len(seg)), lag]
    f0 = SAMPLE_RATE / (lag + lo)
    energy = 10 * np.log10((fr**2).mean(axis=1) + 1e-12)
    voiced = (peak > 0.45) & (energy > energy.max(initial=-120) - 35)
    return np.where(voiced, f0, 0.0)
