"""One search: parse the query, retrieve by text and by meaning, fuse, filter, explain."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pydantic import BaseModel, Field

from ..models import ClipFilter, ClipSummary
from ..store.catalog import CatalogStore
from .engine import CANDIDATES, fuse, text_search, vector_search


class SearchHit(BaseModel):
    clip: ClipSummary
    score: float
    parts: dict[str, Any] = Field(default_factory=dict)  # where the score came from (text rank, vector similarity)
    moment: dict[str, Any] | None = None  # {kind, start_seconds, end_seconds, snippet}


class SearchResult(BaseModel):
    query: str
    semantic: str  # what was searched by meaning once filters were taken out
    explanation: list[str] = Field(default_factory=list)  # how the query was read
    filters: dict[str, Any] = Field(default_factory=dict)
    hits: list[SearchHit] = Field(default_factory=list)
    embedding_model: str | None = None


def merge_filters(base: ClipFilter | None, parsed: dict[str, Any]) -> ClipFilter:
    """Explicit flags win over what was read from the text; both apply. Dates read from text are whole days
    (inclusive); the store's range is [from, to) in UTC."""
    parsed = dict(parsed)
    if isinstance(parsed.get("created_from"), date) and not isinstance(parsed["created_from"], datetime):
        parsed["created_from"] = datetime.combine(parsed["created_from"], time.min, tzinfo=timezone.utc)
    if isinstance(parsed.get("created_to"), date) and not isinstance(parsed["created_to"], datetime):
        parsed["created_to"] = datetime.combine(parsed["created_to"] + timedelta(days=1), time.min,
                                                tzinfo=timezone.utc)
    given = {k: v for k, v in (base.model_dump() if base else {}).items() if v is not None}
    merged = {**{k: v for k, v in parsed.items() if v is not None}, **given}
    if parsed.get("tags") and given.get("tags"):
        merged["tags"] = sorted(set(parsed["tags"]) | set(given["tags"]))
    return ClipFilter(**merged)


def run_search(store: CatalogStore, query: str, *, filters: ClipFilter | None = None, limit: int = 50,
               ai_settings: dict | None = None, parse: bool = True) -> SearchResult:
    from ..store.people import person_names
    from .query import parse_query

    parsed = parse_query(query, people=person_names(store)) if parse else None
    semantic = parsed.semantic if parsed is not None else query
    parsed_filters = parsed.to_filter_kwargs() if parsed is not None else {}
    f = merge_filters(filters, parsed_filters)
    explanation = list(parsed.explanation) if parsed is not None else []
    active = {k: v for k, v in f.model_dump().items() if v not in (None, [], "")}
    result = SearchResult(query=query, semantic=semantic, explanation=explanation, filters=active)
    if not semantic.strip():  # filters only: every matching clip, sharpest first
        clips = store.list_clips(f, sort="sharpness", descending=True, limit=limit)
        result.hits = [SearchHit(clip=c, score=0.0, parts={"filters": True}) for c in clips]
        _face_moments(store, result.hits, f.person)
        return result
    text_docs = text_search(store, semantic, CANDIDATES)
    vector_docs = []
    try:
        from ..ai import embed_texts

        emb = embed_texts([semantic], ai_settings)[0]
        result.embedding_model = emb.model
        vector_docs = vector_search(store, emb.vector, emb.model, CANDIDATES)
    except Exception as exc:  # noqa: BLE001 - no embedder (or its provider is down): text search still answers
        result.explanation.append(f"meaning search unavailable ({type(exc).__name__}); matching words only")
    # filters are checked on the candidates only (a few hundred clips), never by listing every matching clip of
    # the catalog (a million ids at 10⁶ clips)
    candidates = sorted({d.clip_id for d in text_docs} | {d.clip_id for d in vector_docs})
    allowed = set(store.clip_ids(f.model_copy(update={"ids": candidates}), sort="id")) if active else None
    hits = fuse(text_docs, vector_docs, allowed)
    top = hits[:limit]
    summaries = {c.id: c for c in store.list_clips(ClipFilter(ids=[h.clip_id for h in top]))} if top else {}
    sharp = {cid: (c.sharpness or 0.0) for cid, c in summaries.items()}
    top = sorted(top, key=lambda h: (-round(h.score, 6), -sharp.get(h.clip_id, 0.0), h.clip_id))
    result.hits = [SearchHit(clip=summaries[h.clip_id], score=round(h.score, 6), parts=h.parts, moment=h.moment)
                   for h in top if h.clip_id in summaries]
    _face_moments(store, result.hits, f.person)
    _moment_timecodes(store, result.hits)
    return result


def _face_moments(store: CatalogStore, hits: list[SearchHit], person: str | None) -> None:
    """With a person asked for, each hit says when they are seen (`face_times`); a hit without a spoken moment
    points at the first time their face is seen."""
    if not person or not hits:
        return
    from ..store.people import face_times

    seen = face_times(store, [h.clip.id for h in hits], person)
    for h in hits:
        times = seen.get(h.clip.id)
        if not times:
            continue
        if h.moment is None:
            shown = ", ".join(f"{t:.1f}s" for t in times[:5]) + (" …" if len(times) > 5 else "")
            h.moment = {"kind": "face", "start_seconds": times[0], "end_seconds": times[-1],
                        "snippet": f"{person} seen at {shown}"}
        h.moment["face_times"] = times


def _moment_timecodes(store: CatalogStore, hits: list[SearchHit]) -> None:
    """Each moment carries the source timecode it starts at (camera cards: what an edit is handed)."""
    with_moment = [h for h in hits if h.moment and h.moment.get("start_seconds") is not None]
    if not with_moment:
        return
    codes = store.source_timecodes([h.clip.id for h in with_moment])
    for h in with_moment:
        tc = codes.get(h.clip.id)
        if tc is not None:
            at = tc.at(float(h.moment["start_seconds"]))
            h.moment.update(source_timecode=str(at), source_frame=at.frame, source_rate=tc.start.rate_text)
