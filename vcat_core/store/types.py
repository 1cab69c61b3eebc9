"""Column types that differ per back end."""

from __future__ import annotations

import numpy as np
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator


class VectorType(TypeDecorator):
    """An embedding: pgvector's `vector` on Postgres (HNSW-indexable), float32 bytes on SQLite (searched in-process
    with numpy, see search/). Values are numpy float32 arrays either way."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from pgvector.sqlalchemy import VECTOR

            return dialect.type_descriptor(VECTOR())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        arr = np.asarray(value, dtype=np.float32).reshape(-1)
        return arr if dialect.name == "postgresql" else arr.tobytes()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return np.asarray(value, dtype=np.float32)
        return np.frombuffer(value, dtype=np.float32)
