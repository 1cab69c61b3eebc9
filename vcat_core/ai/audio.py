"""Decode a file's audio once, with PyAV, to 16 kHz mono float32 (what Whisper and every detector here expect).

A file without an audio stream gives ``DecodedAudio(samples=empty, has_audio=False)``, never an error: most B-roll
has no sound. A damaged stream gives what decoded before the damage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32, mono, -1..1, SAMPLE_RATE Hz
    sample_rate: int = SAMPLE_RATE
    has_audio: bool = True
    stream_index: int | None = None
    decode_errors: int = 0

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


def decode_audio(path: str | Path, *, stream: int | None = None, max_seconds: float | None = None) -> DecodedAudio:
    """Decode the first (or the ``stream``-th) audio stream of ``path`` to 16 kHz mono float32.

    Raises ``vcat_core.errors.MediaError`` subclasses only when the file cannot be opened at all.
    """
    import av

    from ..errors import CorruptMediaError, FileVanishedError, UnreadableFileError

    p = Path(path)
    try:
        from ..pipeline.av_open import open_args

        container = av.open(str(p), metadata_errors="ignore", **open_args(str(p)))
    except FileNotFoundError as exc:
        raise FileVanishedError(f"{p}: file is gone") from exc
    except PermissionError as exc:
        raise UnreadableFileError(f"{p}: permission denied") from exc
    except av.error.FFmpegError as exc:  # type: ignore[attr-defined]
        raise CorruptMediaError(f"{p}: cannot open the container ({exc})") from exc
    with container:
        streams = list(container.streams.audio)
        if not streams:
            return DecodedAudio(np.zeros(0, np.float32), has_audio=False)
        st = streams[stream or 0]
        st.thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        total = 0
        limit = int(max_seconds * SAMPLE_RATE) if max_seconds else None
        errors = 0
        try:
            for packet in container.demux(st):
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:  # type: ignore[attr-defined]
                    errors += 1
                    if errors > 50:
                        break
                    continue
                for frame in frames:
                    frame.pts = None  # let the resampler count samples itself (broken pts would add gaps)
                    for out in resampler.resample(frame):
                        arr = out.to_ndarray().reshape(-1)
                        chunks.append(arr)
                        total += arr.size
                if limit is not None and total >= limit:
                    break
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError:  # type: ignore[attr-defined]
            errors += 1
        samples = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
        if limit is not None:
            samples = samples[:limit]
        np.clip(samples, -1.0, 1.0, out=samples)
        return DecodedAudio(samples, has_audio=True, stream_index=st.index, decode_errors=errors)
