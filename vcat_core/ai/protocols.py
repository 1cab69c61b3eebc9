"""One small protocol per AI capability; local and remote providers implement them (see providers.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .schema import Analysis, AudioEvent, Embedding, Speakers, Transcript


@runtime_checkable
class Transcriber(Protocol):
    """Speech to timestamped text. ``samples``: 16 kHz mono float32 (see audio.decode_audio)."""

    @property
    def name(self) -> str: ...

    def transcribe(self, samples: np.ndarray, *, language: str | None = None) -> Transcript: ...


@runtime_checkable
class AudioTagger(Protocol):
    """Non-speech (and speech) events with time ranges."""

    @property
    def name(self) -> str: ...

    def tag(self, samples: np.ndarray, *, speech: Sequence[tuple[float, float]] | None = None) -> list[AudioEvent]: ...


@runtime_checkable
class Analyzer(Protocol):
    """The structured analysis of one clip (seed §2.6)."""

    name: str

    def analyze(
        self,
        transcript: Transcript | None,
        events: Sequence[AudioEvent] = (),
        metadata: dict | None = None,
        vision: dict | None = None,
        *,
        speakers: Speakers | None = None,
        thumbnails: Sequence[str | Path] = (),
        video_path: str | Path | None = None,
    ) -> Analysis: ...


@runtime_checkable
class TextEmbedder(Protocol):
    """Texts to vectors; every Embedding carries its model name and dimension."""

    @property
    def model(self) -> str: ...

    @property
    def dim(self) -> int | None: ...

    def embed(self, texts: Sequence[str]) -> list[Embedding]: ...
