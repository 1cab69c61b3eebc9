"""Shared pytest fixtures: the generated media corpus (see tests/media.py for what each file is)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import media


@pytest.fixture(scope="session")
def media_corpus(tmp_path_factory) -> dict[str, Path]:
    """Every fixture of `tests.media.make_corpus`, built once per test session: {name: path}."""
    return media.make_corpus(tmp_path_factory.mktemp("media_corpus"))
