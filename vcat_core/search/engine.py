"""Hybrid retrieval: vector similarity and full-text match, fused by reciprocal rank, filtered, quality as tie-break.

* Full text: FTS5 (bm25) on SQLite, `to_tsvector` / `ts_rank` on Postgres, over `search_documents` (one document per
  clip — names, paths, metadata, tags, analysis, transcript — and one per transcript segment). Every word must
  match (as a prefix, for search-as-you-type); when nothing holds them all, any word does. Only the newest
  RANK_CAP matching documents are ranked: words found in 125,000 documents of a million-clip catalog cost 0.4–0.7 s
  to rank in full, and so broad a match says little the meaning search does not.
* Vector hits below MIN_SIMILARITY are dropped (noise, not an answer).
* Vectors: embeddings of the configured model only (never mixing models or dimensions). SQLite: a memory-mapped
  matrix file of the unit vectors beside the catalog, scanned chunk by chunk (search/vector_file.py: exact, and
  the process's memory stays at one chunk however large the catalog); Postgres: pgvector `<=>` with an HNSW index
  on the model's vectors.
* Fusion: reciprocal-rank fusion (k = 60) of the two lists at clip level (a clip's best document in each list);
  the moment shown is the clip's best-ranked transcript segment or on-screen text span (`screen_text`), when one
  matched. Quality (sharpness) breaks ties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlmodel import Session, select

from ..store.catalog import CatalogStore
from ..store.tables import EmbeddingRow
from . import vector_file

RRF_K = 60
CANDIDATES = 200
RANK_CAP = 2_000  # matching documents ranked by relevance (the newest ones when more match)
# Below this cosine similarity (all-MiniLM-L6-v2 scale) a vector hit is noise: every clip has *some* similarity to
# any query, and listing the whole catalog is not an answer.
MIN_SIMILARITY = 0.2
MOMENT_KINDS = ("segment", "screen_text")  # documents that are a time inside the clip
_WORD = re.compile(r"[\w']+", re.UNICODE)


@dataclass
class Doc:
    clip_id: int
    kind: str
    ref: int
    start_seconds: float | None
    end_seconds: float | None
    text: str
    score: float  # bm25 / ts_rank (text) or cosine similarity (vector)


@dataclass
class Hit:
    clip_id: int
    score: float = 0.0
    parts: dict[str, Any] = field(default_factory=dict)  # {"text": {rank, score}, "vector": {rank, similarity}}
    moment: dict[str, Any] | None = None  # {kind, start_seconds, end_seconds, snippet}


STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have he her his i in into is it its me my no not of on or our she so "
    "than that the their them then there these they this to was we were what when where which who will with you "
    "your".split())


def words(query: str) -> list[str]:
    """The words a full-text match uses: lower-cased, stop words dropped (they would match everything)."""
    return [w.lower() for w in _WORD.findall(query)
            if (len(w) > 1 or w.isdigit()) and w.lower() not in STOP_WORDS]


# ---- full text ------------------------------------------------------------------------------------------------------

def text_search(store: CatalogStore, query: str, limit: int = CANDIDATES) -> list[Doc]:
    """Documents holding every word (each word also as a prefix, for search-as-you-type); when none holds them
    all, documents holding any of them, ranked by relevance."""
    terms = words(query)
    if not terms:
        return []
    docs = _text_query(store, terms, "AND", limit)
    return docs if docs else _text_query(store, terms, "OR", limit)


# A clip's locations are documents of their own (kind `path`): of those, only the best one per clip competes, so a
# clip found at 10,000 paths takes one place among the results, not all of them.
def _one_path_per_clip(best_first: str) -> str:
    return (f"CASE WHEN kind = 'path' THEN row_number() OVER (PARTITION BY clip_id, kind = 'path' "
            f"ORDER BY {best_first}) ELSE 1 END AS n")


_PG_RANK = "ts_rank(to_tsvector('english', text), to_tsquery('english', :q))"


def _text_query(store: CatalogStore, terms: list[str], op: str, limit: int) -> list[Doc]:
    with Session(store.engine) as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            match = f" {op} ".join('"' + t.replace('"', '') + '"*' for t in terms)
            floor = conn.execute(text(  # the newest RANK_CAP matches only (FTS5 walks rowids without ranking)
                "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :cap"),
                {"q": match, "cap": RANK_CAP}).scalar() or 0
            rows = conn.execute(text(  # bm25() cannot sit in a window: rank first (materialized), then collapse
                "WITH m AS MATERIALIZED (SELECT d.clip_id, d.kind, d.ref, d.start_seconds, d.end_seconds, d.text, "
                "bm25(search_fts) AS r FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid "
                "WHERE search_fts MATCH :q AND search_fts.rowid > :floor) "
                "SELECT clip_id, kind, ref, start_seconds, end_seconds, text, r FROM ("
                f"SELECT m.*, {_one_path_per_clip('r')} FROM m) WHERE n = 1 ORDER BY r LIMIT :k"),
                {"q": match, "k": limit, "floor": floor}).all()
            return [Doc(r[0], r[1], r[2], r[3], r[4], r[5], -float(r[6])) for r in rows]
        cleaned = [re.sub(r"[^\w]", "", t) for t in terms]
        tsq = (" & " if op == "AND" else " | ").join(f"{t}:*" for t in cleaned if t)
        if not tsq:
            return []
        ids = _pg_newest_matches(conn, tsq)
        if not ids:
            return []
        rows = conn.execute(text(
            "SELECT clip_id, kind, ref, start_seconds, end_seconds, text, r FROM ("
            f"SELECT m.*, {_one_path_per_clip('r DESC')} FROM ("
            f"SELECT clip_id, kind, ref, start_seconds, end_seconds, text, {_PG_RANK} AS r "
            "FROM search_documents WHERE id = ANY(:ids)) AS m) AS x WHERE n = 1 ORDER BY r DESC LIMIT :k"),
            {"q": tsq, "k": limit, "ids": ids}).all()
        return [Doc(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6])) for r in rows]


def _pg_newest_matches(conn, tsq: str) -> list[int]:
    """Ids of the newest RANK_CAP documents matching, looked for among the newest 16 x RANK_CAP documents first,
    then among all: the newest of 125,000 matches are otherwise found by reading every match's row (~160 ms at 10⁶
    clips), where a window of recent ids is read through the primary key alongside the word index."""
    top = conn.execute(text("SELECT coalesce(max(id), 0) FROM search_documents")).scalar()
    for window in (16 * RANK_CAP, None):
        floor = 0 if window is None else top - window
        ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM search_documents WHERE to_tsvector('english', text) @@ to_tsquery('english', :q) "
            "AND id > :floor ORDER BY id DESC LIMIT :cap"), {"q": tsq, "floor": floor, "cap": RANK_CAP})]
        if len(ids) == RANK_CAP or floor <= 0:
            return ids
    return []


# ---- vectors --------------------------------------------------------------------------------------------------------

def vector_search(store: CatalogStore, vector: list[float], model: str, limit: int = CANDIDATES) -> list[Doc]:
    q = np.asarray(vector, dtype=np.float32)
    q /= max(float(np.linalg.norm(q)), 1e-12)
    if store.engine.dialect.name == "postgresql":
        return _pg_vector_search(store, q, model, limit)
    near = [(eid, sim) for eid, sim in vector_file.nearest(store, q, model, limit) if sim >= MIN_SIMILARITY]
    if not near:
        return []
    e = EmbeddingRow.__table__.c
    with Session(store.engine) as s:  # texts and times for the hits only (the file holds vectors and ids)
        meta = {r[0]: r[1:] for r in s.connection().execute(
            select(e.id, e.clip_id, e.kind, e.ref, e.start_seconds, e.end_seconds, e.text)
            .where(e.id.in_([eid for eid, _ in near])))}
    return [Doc(*meta[eid], sim) for eid, sim in near if eid in meta]


def _pg_vector_search(store: CatalogStore, q: np.ndarray, model: str, limit: int) -> list[Doc]:
    """pgvector through the model's HNSW index (store/vector_index.py). The index answers at most `ef_search`
    rows (40 by default), so it is raised to the number asked for, for this transaction only."""
    dim = int(q.shape[0])
    literal = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
    with Session(store.engine) as s:
        s.connection().execute(text(f"SET LOCAL hnsw.ef_search = {min(max(int(limit), 40), 1000)}"))
        rows = s.connection().execute(text(
            f"SELECT clip_id, kind, ref, start_seconds, end_seconds, text, "
            f"1 - ((vector::vector({dim})) <=> CAST(:q AS vector({dim}))) AS sim FROM embeddings "
            f"WHERE model = :m AND dim = {dim} ORDER BY (vector::vector({dim})) <=> CAST(:q AS vector({dim})) "
            f"LIMIT :k"), {"q": literal, "m": model, "k": limit}).all()
    return [Doc(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6])) for r in rows if float(r[6]) >= MIN_SIMILARITY]


# ---- fusion ---------------------------------------------------------------------------------------------------------

def fuse(text_docs: list[Doc], vector_docs: list[Doc], allowed: set[int] | None,
         sharpness: dict[int, float] | None = None) -> list[Hit]:
    """Reciprocal-rank fusion at clip level; the moment is the best transcript segment or on-screen text that
    matched."""
    hits: dict[int, Hit] = {}
    best_moment: dict[int, tuple[float, Doc]] = {}
    for source, docs in (("text", text_docs), ("vector", vector_docs)):
        rank = 0
        seen: set[int] = set()
        for doc in docs:
            if allowed is not None and doc.clip_id not in allowed:
                continue
            contribution = 1.0 / (RRF_K + rank + 1)
            if doc.kind in MOMENT_KINDS:
                prev = best_moment.get(doc.clip_id)
                if prev is None or contribution > prev[0]:
                    best_moment[doc.clip_id] = (contribution, doc)
            if doc.clip_id in seen:
                continue
            seen.add(doc.clip_id)
            hit = hits.setdefault(doc.clip_id, Hit(doc.clip_id))
            hit.score += contribution
            hit.parts[source] = {"rank": rank + 1, ("similarity" if source == "vector" else "score"):
                                 round(doc.score, 4), "matched": doc.kind}
            rank += 1
    for cid, (_, doc) in best_moment.items():
        if cid in hits:
            hits[cid].moment = {"kind": doc.kind, "start_seconds": doc.start_seconds,
                                "end_seconds": doc.end_seconds, "snippet": doc.text[:200]}
    sharp = sharpness or {}
    return sorted(hits.values(), key=lambda h: (-h.score, -(sharp.get(h.clip_id) or 0.0), h.clip_id))
