"""Gemini analysis through the official ``google-genai`` client: one ``generateContent`` call per clip.

The call carries the video (inline when at most ``inline_max_bytes``, else uploaded with the Files API and waited on
until ACTIVE), up to ``max_thumbnails`` thumbnails, and the clip's metadata, vision figures, transcript and audio
events as JSON text. ``response_schema`` is ``AnalysisContent``, so the answer is the seed §2.6 JSON; it is validated
again here (a model can still answer malformed JSON) and checked by ``quality.validate_analysis``.

Rate limit (requests per minute, process-wide), retries with backoff on 429/5xx/timeouts (the SDK's own retries are
off, so attempts are counted here), a per-request timeout, and the token usage of each call (``Usage``). The API key
is passed to the client and never logged or put into an error message.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import (
    ModelUnavailableError,
    ProviderError,
    ProviderResponseError,
    ProviderTimeoutError,
    redact,
)
from .retry import (
    RETRYABLE_STATUS,
    Failure,
    RateLimiter,
    RetryPolicy,
    call_with_retries,
    parse_retry_after,
)
from .schema import Analysis, AnalysisContent, AudioEvent, Speakers, Transcript, Usage

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gemini-2.5-flash"

PROMPT = """You are cataloguing video footage for a searchable library. Watch the video (and the thumbnails), use the
metadata, transcript and audio events given as JSON, and fill the response schema:
- summary: 3 to 5 sentences on what the clip shows and what is said;
- keywords: 5 to 10 search keywords, most important first;
- entities: named people (PERSON), organisations (ORG) and places (LOCATION) seen or mentioned;
- scene_classification: a short scene label (e.g. interview, talking head, b-roll, event, sports, music, nature);
- sentiment: label positive/negative/neutral/mixed and score -1..1;
- content_warnings: e.g. violence, profanity, nudity, flashing lights; empty list when none;
- technical_quality: rating (excellent/good/fair/poor), score 0..1, issues, one sentence of notes;
- on_screen_text: each legible text shown in the picture (slate, sign, lower third, title, screen recording) as
  written, with when it appears and disappears in seconds; empty list when none.
Answer with JSON only."""


MAX_UPLOAD_BYTES = 2 * 1024**3  # Files API limit per file
# containers Gemini accepts, by file extension (others — MXF, MKV, MTS — go as thumbnails + metadata only)
_VIDEO_MIME = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mov", ".qt": "video/mov", ".mpeg": "video/mpeg",
    ".mpg": "video/mpg", ".avi": "video/avi", ".webm": "video/webm", ".wmv": "video/wmv", ".flv": "video/x-flv",
    ".3gp": "video/3gpp",
}


def video_mime(path: str | Path) -> str | None:
    return _VIDEO_MIME.get(Path(path).suffix.lower())


@dataclass
class GeminiConfig:
    api_key: str | None = None
    model: str = DEFAULT_MODEL
    base_url: str | None = None  # e.g. a proxy or a test server; None = Google's endpoint
    api_version: str | None = None
    timeout: float = 120.0  # seconds per HTTP request
    requests_per_minute: float | None = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    inline_max_bytes: int = 15 * 1024 * 1024  # inline request limit is 20 MB in all; larger videos go via Files API
    max_thumbnails: int = 6
    file_active_timeout: float = 300.0  # seconds to wait for an uploaded video to be processed
    file_poll_interval: float = 2.0
    temperature: float = 0.2
    delete_uploaded: bool = True

    def __repr__(self) -> str:  # never show the key
        return f"GeminiConfig(model={self.model!r}, base_url={self.base_url!r}, key={'set' if self.api_key else 'unset'})"


def _classify(exc: BaseException) -> Failure:
    from google.genai import errors as gerrors

    if isinstance(exc, gerrors.APIError):
        retry_after = None
        resp = getattr(exc, "response", None)
        headers = getattr(resp, "headers", None)
        if headers is not None:
            try:
                retry_after = parse_retry_after(headers.get("retry-after"))
            except Exception:  # noqa: BLE001
                retry_after = None
        return Failure(retryable=exc.code in RETRYABLE_STATUS, retry_after=retry_after)
    if _is_timeout(exc) or _is_connect(exc):
        return Failure(retryable=True)
    if isinstance(exc, _MalformedAnswer):
        return Failure(retryable=exc.retry)
    return Failure(retryable=False)


def _is_timeout(exc: BaseException) -> bool:
    name = type(exc).__name__
    return "Timeout" in name or isinstance(exc, TimeoutError)


def _is_connect(exc: BaseException) -> bool:
    return type(exc).__name__ in ("ConnectError", "RemoteProtocolError", "ReadError")


class _MalformedAnswer(Exception):
    def __init__(self, message: str, raw: str | None, retry: bool):
        super().__init__(message)
        self.raw = raw
        self.retry = retry


class GeminiAnalyzer:
    """``Analyzer`` backed by Gemini. One instance holds one client (HTTP connection pool)."""

    name = "gemini"

    def __init__(self, config: GeminiConfig):
        if not config.api_key:
            raise ProviderError("Gemini needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY)")
        try:
            from google import genai
            from google.genai import types
        except ImportError as exc:
            raise ModelUnavailableError("the Gemini provider needs: pip install google-genai") from exc
        self.config = config
        self._types = types
        http = types.HttpOptions(
            timeout=int(config.timeout * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        if config.base_url:
            http.base_url = config.base_url
        if config.api_version:
            http.api_version = config.api_version
        self.client = genai.Client(api_key=config.api_key, http_options=http)
        self.limiter = RateLimiter(f"gemini:{config.base_url or 'default'}", config.requests_per_minute)
        self.usage: deque[Usage] = deque(maxlen=1000)  # the latest calls (each Analysis also carries its own)

    # ------------------------------------------------------------------------------------------------- parts
    def _video_part(self, video_path: str | Path) -> tuple[Any, str | None]:
        """(part, uploaded file name or None); (None, None) when Gemini cannot take this container or size."""
        types = self._types
        p = Path(video_path)
        mime = video_mime(p)
        if mime is None:
            log.info("not sending %s to Gemini: container not accepted; thumbnails and metadata only", p.name)
            return None, None
        size = p.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            log.info("not sending %s to Gemini: %d bytes is over the Files API limit", p.name, size)
            return None, None
        if size <= self.config.inline_max_bytes:
            return types.Part.from_bytes(data=p.read_bytes(), mime_type=mime), None

        upload_cfg = types.UploadFileConfig(mime_type=mime, display_name=p.name)
        if self.config.base_url:
            # the upload URL the server returns names Google's upload host; keep the configured host (proxy, test)
            upload_cfg.http_options = types.HttpOptions(base_url=self.config.base_url, timeout=int(self.config.timeout * 1000))

        def upload():
            return self.client.files.upload(file=str(p), config=upload_cfg)

        f, _ = call_with_retries(upload, _classify, self.config.retry, limiter=self.limiter)
        deadline = time.monotonic() + self.config.file_active_timeout
        while str(getattr(f.state, "value", f.state)) == "PROCESSING":
            if time.monotonic() > deadline:
                raise ProviderTimeoutError(f"Gemini did not finish processing the uploaded video {p.name} in time")
            time.sleep(self.config.file_poll_interval)
            f, _ = call_with_retries(partial(self.client.files.get, name=f.name), _classify, self.config.retry)
        if str(getattr(f.state, "value", f.state)) == "FAILED":
            raise ProviderError(f"Gemini could not process the uploaded video {p.name}")
        return types.Part.from_uri(file_uri=f.uri, mime_type=f.mime_type or mime), f.name

    def _context(self, transcript, events, metadata, vision, speakers) -> str:
        ctx: dict[str, Any] = {"metadata": metadata or {}, "vision": vision or {}}
        if transcript is not None:
            ctx["transcript"] = {
                "language": transcript.language,
                "segments": [{"start": s.start, "end": s.end, "text": s.text, "speaker": s.speaker} for s in transcript.segments][:400],
            }
        if events:
            ctx["audio_events"] = [e.model_dump(exclude_none=True) for e in events][:200]
        if speakers is not None:
            ctx["speakers_detected"] = speakers.speakers_detected
        return json.dumps(ctx, default=str, ensure_ascii=False)

    # ------------------------------------------------------------------------------------------------ analyze
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
    ) -> Analysis:
        types = self._types
        parts: list[Any] = []
        uploaded: str | None = None
        if video_path is not None:
            part, uploaded = self._video_part(video_path)
            if part is not None:
                parts.append(part)
        for t in list(thumbnails)[: self.config.max_thumbnails]:
            tp = Path(t)
            mime = mimetypes.guess_type(tp.name)[0] or "image/jpeg"
            parts.append(types.Part.from_bytes(data=tp.read_bytes(), mime_type=mime))
        parts.append(types.Part.from_text(text=PROMPT))
        parts.append(types.Part.from_text(text=self._context(transcript, events, metadata, vision, speakers)))
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=AnalysisContent,
            temperature=self.config.temperature,
        )
        started = time.perf_counter()
        try:
            (content, raw, um), attempts = call_with_retries(
                lambda: self._generate(parts, config), _classify, self.config.retry, limiter=self.limiter
            )
        except _MalformedAnswer as exc:
            raise ProviderResponseError(
                f"Gemini ({self.config.model}) answered, but not with the analysis JSON: {exc}", retryable=False
            ) from None
        except Exception as exc:  # noqa: BLE001
            raise _as_provider_error(exc, self.config) from None
        finally:
            if uploaded and self.config.delete_uploaded:
                try:
                    self.client.files.delete(name=uploaded)
                except Exception:  # noqa: BLE001 - files expire by themselves after 48 h
                    log.debug("could not delete uploaded file %s", uploaded)
        usage = Usage(
            provider="gemini",
            model=self.config.model,
            input_tokens=getattr(um, "prompt_token_count", None),
            output_tokens=getattr(um, "candidates_token_count", None),
            total_tokens=getattr(um, "total_token_count", None),
            seconds=round(time.perf_counter() - started, 3),
            attempts=attempts,
        )
        self.usage.append(usage)
        return Analysis(**content.model_dump(), provider="gemini", model=self.config.model, usage=[usage], raw=raw)

    def _generate(self, parts, config):
        resp = self.client.models.generate_content(model=self.config.model, contents=parts, config=config)
        raw = None
        try:
            raw = resp.text
        except Exception:  # noqa: BLE001 - .text raises on some blocked / empty answers
            raw = None
        if not raw:
            reason = None
            if resp.candidates:
                reason = getattr(resp.candidates[0], "finish_reason", None)
            raise _MalformedAnswer(f"empty answer (finish reason: {reason})", raw, retry=True)
        try:
            content = AnalysisContent.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first.get("loc", ())) or "(top level)"
            kind = "not valid JSON" if first.get("type") == "json_invalid" else f"schema mismatch at {where}"
            raise _MalformedAnswer(f"{kind}: {first.get('msg')}", raw, retry=True) from None
        return content, raw, resp.usage_metadata


def _as_provider_error(exc: BaseException, config: GeminiConfig) -> ProviderError:
    attempts = getattr(exc, "attempts", 1)
    from google.genai import errors as gerrors

    if isinstance(exc, gerrors.APIError):
        msg = redact(str(exc.message or exc.status or "error"), config.api_key)
        hint = " (rate limited: lower requests_per_minute or try later)" if exc.code == 429 else ""
        return ProviderError(
            f"Gemini ({config.model}) failed with HTTP {exc.code} after {attempts} attempt(s): {msg}{hint}",
            status=exc.code,
            retryable=exc.code in RETRYABLE_STATUS,
        )
    if _is_timeout(exc):
        return ProviderTimeoutError(
            f"Gemini ({config.model}) did not answer within {config.timeout:g} s, {attempts} attempt(s)", retryable=True
        )
    if isinstance(exc, ProviderError):
        return exc
    return ProviderError(
        f"Gemini ({config.model}) call failed after {attempts} attempt(s): {type(exc).__name__}: "
        + redact(str(exc), config.api_key)
    )
