"""Errors of the AI layer; each one's text is a sentence a person can act on (and never holds an API key)."""

from __future__ import annotations

from ..errors import VcatError


class AIError(VcatError):
    """Base of the AI layer's errors."""


class ModelUnavailableError(AIError):
    """A local model's package is not installed (the message names the pip package to install)."""


class ProviderError(AIError):
    """A remote provider failed after retries (HTTP status, network error)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class ProviderTimeoutError(ProviderError):
    """A remote call did not answer within its timeout, every attempt."""


class ProviderResponseError(ProviderError):
    """The provider answered, but not with what was asked for (malformed JSON, schema mismatch, empty answer)."""


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every secret (API key) replaced by ``***``: error messages may echo what a server received."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
