"""pgvector HNSW indexes on a Postgres catalog: one partial expression index per embedding model.

Made when a model's first vectors are written (and by `schema apply` / `reindex` for catalogs that already hold
vectors), never by a search: building an index over a large table takes minutes and locks writes to
`embeddings`, and only the table's owner may build it. Vectors of other models never mix (the index is partial on
model and dimension, and the search query repeats that condition so the planner uses it).
"""

from __future__ import annotations

import hashlib
import threading

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

_known: set[tuple[str, str, int]] = set()
_lock = threading.Lock()
_BUILD_LOCK = 7364022  # advisory lock: two workers storing a model's first vectors build its index once


def index_name(model: str, dim: int) -> str:
    return "ix_embeddings_hnsw_" + hashlib.sha1(f"{model}:{dim}".encode()).hexdigest()[:12]


HNSW_MAX_DIM = 2000  # pgvector's limit for an HNSW index on `vector` (larger models are searched exactly)


def ensure_vector_index(engine: Engine, model: str, dim: int) -> bool:
    """Make the model's HNSW index unless it exists (checked once per process). Returns whether it exists now;
    False for a role that does not own the table (a team member: the admin's next write or `reindex` makes it),
    for vectors too long for HNSW, or when the build fails - never an error: the vectors are stored already and
    searches still work (exact scan)."""
    if engine.dialect.name != "postgresql" or int(dim) > HNSW_MAX_DIM:
        return False
    key = (str(engine.url), model, int(dim))
    if key in _known:
        return True
    name = index_name(model, dim)
    with _lock:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None
            owner = exists or conn.execute(text(
                "SELECT pg_has_role(tableowner, 'USAGE') FROM pg_tables "
                "WHERE tablename = 'embeddings' AND schemaname = current_schema()")).scalar()
        if not exists and owner:
            try:
                with engine.begin() as conn:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _BUILD_LOCK})
                    conn.execute(text(
                        f"CREATE INDEX IF NOT EXISTS {name} ON embeddings USING hnsw "
                        f"((vector::vector({int(dim)})) vector_cosine_ops) "
                        f"WHERE model = '{model.replace(chr(39), chr(39) * 2)}' AND dim = {int(dim)}"))
            except DBAPIError as exc:
                log.warning("no HNSW index for %s (%d dims): %s", model, dim, str(exc.orig).splitlines()[0])
                return False
            exists = True
        if exists:
            _known.add(key)
        return exists


def ensure_all_vector_indexes(engine: Engine) -> list[str]:
    """Indexes for every model the catalog holds vectors of (after an upgrade, or vectors written by a member)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        pairs = conn.execute(text("SELECT DISTINCT model, dim FROM embeddings")).all()
    return [index_name(m, d) for m, d in pairs if ensure_vector_index(engine, m, d)]
