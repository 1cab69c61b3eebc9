"""Text embeddings through the official ``openai`` client (default ``text-embedding-3-small``, 1536 dims).

Batches of up to ``batch_size`` texts per request; rate limit, retries with backoff on 429/5xx/timeouts (the client's
own retries are off so attempts are counted here), a per-request timeout, and the token usage of each call. Works
with any OpenAI-compatible embeddings endpoint through ``base_url``. The key is never logged.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

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
from .schema import Embedding, Usage

DEFAULT_MODEL = "text-embedding-3-small"
KNOWN_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


@dataclass
class OpenAIEmbedConfig:
    api_key: str | None = None
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    dimensions: int | None = None  # ask the model for shorter vectors (text-embedding-3-* only)
    timeout: float = 60.0
    requests_per_minute: float | None = 300.0
    batch_size: int = 256
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __repr__(self) -> str:
        return f"OpenAIEmbedConfig(model={self.model!r}, base_url={self.base_url!r}, key={'set' if self.api_key else 'unset'})"


def _classify(exc: BaseException) -> Failure:
    import openai

    if isinstance(exc, openai.APIStatusError):
        ra = parse_retry_after(exc.response.headers.get("retry-after")) if exc.response is not None else None
        return Failure(retryable=exc.status_code in RETRYABLE_STATUS, retry_after=ra)
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return Failure(retryable=True)
    return Failure(retryable=False)


class OpenAIEmbedder:
    """``TextEmbedder`` on the OpenAI embeddings API."""

    def __init__(self, config: OpenAIEmbedConfig):
        if not config.api_key:
            raise ProviderError("OpenAI embeddings need an API key: set OPENAI_API_KEY")
        try:
            import openai
        except ImportError as exc:
            raise ModelUnavailableError("the OpenAI provider needs: pip install openai") from exc
        self.config = config
        self.client = openai.OpenAI(
            api_key=config.api_key, base_url=config.base_url, timeout=config.timeout, max_retries=0
        )
        self.limiter = RateLimiter(f"openai:{config.base_url or 'default'}", config.requests_per_minute)
        self.usage: deque[Usage] = deque(maxlen=1000)  # the latest calls: tokens, seconds, attempts

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def dim(self) -> int | None:
        return self.config.dimensions or KNOWN_DIMS.get(self.config.model)

    def embed(self, texts: Sequence[str]) -> list[Embedding]:
        out: list[Embedding] = []
        texts = [t if t.strip() else " " for t in texts]  # the API rejects empty strings
        for b in range(0, len(texts), self.config.batch_size):
            out.extend(self._batch(texts[b : b + self.config.batch_size]))
        return out

    def _batch(self, texts: list[str]) -> list[Embedding]:
        import openai

        kwargs: dict = {"model": self.config.model, "input": texts, "encoding_format": "float"}
        if self.config.dimensions:
            kwargs["dimensions"] = self.config.dimensions
        started = time.perf_counter()
        try:
            resp, attempts = call_with_retries(
                lambda: self.client.embeddings.create(**kwargs), _classify, self.config.retry, limiter=self.limiter
            )
        except openai.APITimeoutError as exc:
            raise ProviderTimeoutError(
                f"OpenAI embeddings ({self.config.model}) did not answer within {self.config.timeout:g} s, "
                f"{getattr(exc, 'attempts', 1)} attempt(s)", retryable=True
            ) from None
        except openai.APIStatusError as exc:
            raise ProviderError(
                f"OpenAI embeddings ({self.config.model}) failed with HTTP {exc.status_code} after "
                f"{getattr(exc, 'attempts', 1)} attempt(s): {redact(_message(exc), self.config.api_key)}",
                status=exc.status_code, retryable=exc.status_code in RETRYABLE_STATUS,
            ) from None
        except openai.APIConnectionError as exc:
            raise ProviderError(f"OpenAI embeddings ({self.config.model}): cannot connect ({type(exc).__name__})", retryable=True) from None
        except (ValueError, TypeError) as exc:  # the client could not parse the body
            raise ProviderResponseError(f"OpenAI embeddings ({self.config.model}) returned a malformed answer: {exc}") from None
        data = sorted(resp.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise ProviderResponseError(f"OpenAI embeddings returned {len(data)} vectors for {len(texts)} texts")
        dims = {len(d.embedding) for d in data}
        if len(dims) != 1 or (self.dim and dims != {self.dim}):
            raise ProviderResponseError(f"OpenAI embeddings returned vectors of {sorted(dims)} dims, expected {self.dim}")
        um = getattr(resp, "usage", None)
        self.usage.append(
            Usage(
                provider="openai",
                model=self.config.model,
                input_tokens=getattr(um, "prompt_tokens", None),
                total_tokens=getattr(um, "total_tokens", None),
                seconds=round(time.perf_counter() - started, 3),
                attempts=attempts,
            )
        )
        dim = dims.pop()
        return [Embedding(model=self.config.model, dim=dim, vector=[float(v) for v in d.embedding]) for d in data]


def _message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return getattr(exc, "message", None) or type(exc).__name__
