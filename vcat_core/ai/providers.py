"""Choose the AI providers from settings: local (offline, default) · Gemini (analysis) · OpenAI (embeddings).

``AISettings.from_any`` reads a dict or any settings-like object (e.g. ``vcat_core.config.Settings``) by attribute or
key; unknown keys are ignored. Keys it understands (each also as ``ai_<key>``):

    provider: local | gemini            analysis provider (default local)
    embed_provider: local | openai      text-embedding provider (default local)
    whisper_model: base | tiny.en | DIR
    gemini_model, gemini_base_url, gemini_timeout, gemini_rpm
    openai_embed_model, openai_base_url, openai_timeout, openai_rpm, openai_dimensions

API keys come only from the environment — ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``) and ``OPENAI_API_KEY`` — or an
explicit ``gemini_api_key``/``openai_api_key`` in a dict; they are never logged or shown (``repr`` hides them). Base
URLs can also come from ``VCAT_GEMINI_BASE_URL`` / ``VCAT_OPENAI_BASE_URL``. Provider objects are cached per
process and settings, so a pool worker builds each model or client once.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, fields
from typing import Any, Literal

from ..errors import ConfigError

AnalysisProvider = Literal["local", "gemini"]
EmbedProvider = Literal["local", "openai"]


@dataclass(frozen=True)
class AISettings:
    provider: AnalysisProvider = "local"
    embed_provider: EmbedProvider = "local"
    whisper_model: str = "base"
    language: str | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    gemini_timeout: float = 120.0
    gemini_rpm: float | None = 10.0
    gemini_api_key: str | None = None
    openai_embed_model: str = "text-embedding-3-small"
    openai_base_url: str | None = None
    openai_timeout: float = 60.0
    openai_rpm: float | None = 300.0
    openai_dimensions: int | None = None
    openai_api_key: str | None = None

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.endswith("_api_key")}
        shown["gemini_api_key"] = "set" if self.resolved_gemini_key() else "unset"
        shown["openai_api_key"] = "set" if self.resolved_openai_key() else "unset"
        return "AISettings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    __str__ = __repr__

    @classmethod
    def from_any(cls, source: Any = None, **overrides: Any) -> AISettings:
        if isinstance(source, AISettings):
            base = {f.name: getattr(source, f.name) for f in fields(cls)}
        else:
            base = {}
            for f in fields(cls):
                for key in (f.name, f"ai_{f.name}"):
                    val = source.get(key) if isinstance(source, dict) else getattr(source, key, None)
                    if val is not None:
                        base[f.name] = val
                        break
        base.update({k: v for k, v in overrides.items() if v is not None})
        if base.get("provider", "local") not in ("local", "gemini"):
            raise ConfigError(f"unknown AI provider {base['provider']!r}: use local or gemini")
        if base.get("embed_provider", "local") not in ("local", "openai"):
            raise ConfigError(f"unknown embedding provider {base['embed_provider']!r}: use local or openai")
        return cls(**base)

    def resolved_gemini_key(self) -> str | None:
        return self.gemini_api_key or os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or None

    def resolved_openai_key(self) -> str | None:
        return self.openai_api_key or os.environ.get("OPENAI_API_KEY") or None

    def resolved_gemini_base_url(self) -> str | None:
        return self.gemini_base_url or os.environ.get("VCAT_GEMINI_BASE_URL") or None

    def resolved_openai_base_url(self) -> str | None:
        return self.openai_base_url or os.environ.get("VCAT_OPENAI_BASE_URL") or None

    def cache_key(self) -> tuple:
        # keys are part of the key only as a fingerprint of "which key", never stored in clear elsewhere
        return tuple(getattr(self, f.name) for f in fields(self)) + (
            hash(self.resolved_gemini_key()), hash(self.resolved_openai_key()),
            self.resolved_gemini_base_url(), self.resolved_openai_base_url(),
        )


_lock = threading.Lock()
_cache: dict[tuple, Any] = {}


def _cached(kind: str, settings: AISettings, build):
    key = (kind, *settings.cache_key())
    with _lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]


def get_transcriber(settings: Any = None):
    s = AISettings.from_any(settings)
    from .local_whisper import WhisperTranscriber

    return _cached("transcriber", s, lambda: WhisperTranscriber(s.whisper_model, language=s.language))


def get_audio_tagger(settings: Any = None):
    s = AISettings.from_any(settings)
    from .audio_events import SignalAudioTagger

    return _cached("tagger", s, SignalAudioTagger)


def get_analyzer(settings: Any = None, provider: str | None = None):
    s = AISettings.from_any(settings, provider=provider)
    if s.provider == "gemini":
        key = s.resolved_gemini_key()
        if not key:
            raise ConfigError("provider gemini needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY)")
        from .gemini import GeminiAnalyzer, GeminiConfig

        def build():
            return GeminiAnalyzer(
                GeminiConfig(
                    api_key=key,
                    model=s.gemini_model,
                    base_url=s.resolved_gemini_base_url(),
                    timeout=s.gemini_timeout,
                    requests_per_minute=s.gemini_rpm,
                )
            )

        return _cached("analyzer", s, build)
    from .local_analyze import LocalAnalyzer

    return _cached("analyzer", s, LocalAnalyzer)


def get_text_embedder(settings: Any = None, provider: str | None = None):
    s = AISettings.from_any(settings, embed_provider=provider)
    if s.embed_provider == "openai":
        key = s.resolved_openai_key()
        if not key:
            raise ConfigError("embedding provider openai needs an API key: set OPENAI_API_KEY")
        from .openai_embed import OpenAIEmbedConfig, OpenAIEmbedder

        def build():
            return OpenAIEmbedder(
                OpenAIEmbedConfig(
                    api_key=key,
                    model=s.openai_embed_model,
                    base_url=s.resolved_openai_base_url(),
                    timeout=s.openai_timeout,
                    requests_per_minute=s.openai_rpm,
                    dimensions=s.openai_dimensions,
                )
            )

        return _cached("embedder", s, build)
    from .local_embed import MiniLMEmbedder

    return _cached("embedder", s, MiniLMEmbedder)


def clear_cache() -> None:
    with _lock:
        _cache.clear()
