"""A clip's on-screen text as the catalog keeps it: one search document per span (kind `screen_text`, ref = the
span's order, start/end seconds, the text), so the full-text indexes (FTS5 / tsvector) find it and a hit is a moment.
Written with the vision stage's result; `index_clip` leaves these rows alone (they are not derived from other
tables) and adds their words to the clip's own document.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from .tables import SearchDocument

SCREEN_TEXT_DOC = "screen_text"


def write_screen_text(s: Session, clip_id: int, spans: list[dict[str, Any]]) -> None:
    """Replace the clip's on-screen text with `spans` (vision.TextSpan dicts; [] clears it)."""
    sd = SearchDocument.__table__
    s.execute(delete(sd).where(sd.c.clip_id == clip_id, sd.c.kind == SCREEN_TEXT_DOC))
    rows = [{"clip_id": clip_id, "kind": SCREEN_TEXT_DOC, "ref": i, "start_seconds": sp["start_seconds"],
             "end_seconds": sp["end_seconds"], "text": sp["text"]} for i, sp in enumerate(spans) if sp.get("text")]
    if rows:
        s.execute(insert(sd), rows)


def screen_text_of(s: Session, clip_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each clip's on-screen text spans ({ref, start_seconds, end_seconds, text}), in time order."""
    sd = SearchDocument.__table__.c
    out: dict[int, list[dict[str, Any]]] = {cid: [] for cid in clip_ids}
    if not clip_ids:
        return out
    for cid, ref, start, end, text in s.execute(
            select(sd.clip_id, sd.ref, sd.start_seconds, sd.end_seconds, sd.text)
            .where(sd.clip_id.in_(clip_ids), sd.kind == SCREEN_TEXT_DOC).order_by(sd.clip_id, sd.start_seconds, sd.ref)):
        out[cid].append({"ref": ref, "start_seconds": start, "end_seconds": end, "text": text})
    return out
