"""Where clips live on disk: the batched reads and writes of `clip_locations` behind a rescan and a drive of copies.

Cost per path is flat: look-ups are one query per chunk of paths returning plain tuples (no ORM objects), a new
location of known content is one row plus one search document of its own words (kind `path`), and the clip's own
search document is never rebuilt because a copy turned up (that rebuild read every location of the clip: 10,000
copies of one clip cost 10,000² path reads).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..models import Candidate
from .tables import Clip, ClipLocation, FileFailure, SearchDocument, StageRun, utcnow

CHUNK = 500  # paths per IN (…) clause: well under SQLite's variable limit, few round trips
DONE = ("succeeded", "skipped")
PATH_DOC = "path"  # search_documents.kind of a location's words; ref = the location's id


@dataclass(frozen=True)
class KnownLocation:
    """What the catalog remembers about a path, to decide whether a rescan must re-hash it."""

    clip_id: int
    path: str
    size: int
    mtime_ns: int
    inode: int
    fingerprint: str
    hash_algorithm: str
    stages: dict[str, str]

    def unchanged(self, cand: Candidate) -> bool:
        return (self.size, self.mtime_ns, self.inode) == (cand.size, cand.mtime_ns, cand.inode)

    def satisfies(self, stages: tuple[str, ...]) -> bool:
        return all_done(self.stages, stages)


@dataclass(frozen=True)
class KnownClip:
    clip_id: int
    stages: dict[str, str]

    def satisfies(self, stages: tuple[str, ...]) -> bool:
        return all_done(self.stages, stages)


def all_done(statuses: dict[str, str], stages: tuple[str, ...]) -> bool:
    """Every one of `stages` succeeded (or was skipped on purpose) for a clip with these statuses."""
    return all(statuses.get(s) in DONE for s in stages)


def chunks(items: list, n: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def path_words(path: str) -> str:
    """Folder and file names as words ("A001_C002_beach.mov" → "A001 C002 beach mov")."""
    return re.sub(r"[\W_]+", " ", path).strip()


def stages_of(s: Session, clip_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each clip's stage statuses, one query per chunk of clips."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    sr = StageRun.__table__.c
    for chunk in chunks(list(clip_ids)):
        for clip_id, stage, status in s.execute(select(sr.clip_id, sr.stage, sr.status)
                                                .where(sr.clip_id.in_(chunk))):
            out[clip_id][stage] = status
    return out


def lookup_paths(s: Session, paths: list[str]) -> dict[str, KnownLocation]:
    loc, clip = ClipLocation.__table__.c, Clip.__table__.c
    rows: list[Any] = []
    for chunk in chunks(paths):
        rows += s.execute(select(loc.clip_id, loc.path, loc.size, loc.mtime_ns, loc.inode, clip.fingerprint,
                                 clip.hash_algorithm).join_from(ClipLocation.__table__, Clip.__table__,
                                                                clip.id == loc.clip_id)
                          .where(loc.path.in_(chunk))).all()
    stages = stages_of(s, {r[0] for r in rows})
    return {r[1]: KnownLocation(r[0], r[1], r[2], r[3], r[4], r[5], r[6], stages.get(r[0], {})) for r in rows}


def lookup_fingerprints(s: Session, digests: list[str]) -> dict[str, KnownClip]:
    clip = Clip.__table__.c
    ids: dict[str, int] = {}
    for chunk in chunks(sorted(set(digests))):
        ids.update({fp: cid for fp, cid in s.execute(select(clip.fingerprint, clip.id)
                                                      .where(clip.fingerprint.in_(chunk)))})
    stages = stages_of(s, ids.values())
    return {fp: KnownClip(cid, stages.get(cid, {})) for fp, cid in ids.items()}


def add_path_documents(s: Session, docs: list[tuple[int, int, str]]) -> None:
    """Search documents for new locations: (clip id, location id, path). On Postgres a member recording a copy of a
    clip shared with them may not write its search documents (the owner's): those copies stay unsearchable by their
    path until the owner's next change or `reindex`, and the location itself is still recorded."""
    rows = [{"clip_id": c, "kind": PATH_DOC, "ref": lid, "text": path_words(p)} for c, lid, p in docs]
    if not rows:
        return
    if s.get_bind().dialect.name != "postgresql":
        s.execute(insert(SearchDocument.__table__), rows)
        return
    try:
        with s.begin_nested():
            s.execute(insert(SearchDocument.__table__), rows)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":
            raise
        for row in rows:  # some of the batch belongs to others: write the ones this user may
            try:
                with s.begin_nested():
                    s.execute(insert(SearchDocument.__table__), [row])
            except DBAPIError as one:
                if getattr(one.orig, "sqlstate", None) != "42501":
                    raise


def index_paths(s: Session, clip_id: int) -> None:
    """Rebuild one clip's path documents from its locations (`reindex`, upgrades)."""
    s.execute(delete(SearchDocument.__table__).where(and_(SearchDocument.__table__.c.clip_id == clip_id,
                                                          SearchDocument.__table__.c.kind == PATH_DOC)))
    loc = ClipLocation.__table__.c
    add_path_documents(s, [(clip_id, lid, p) for lid, p in s.execute(
        select(loc.id, loc.path).where(loc.clip_id == clip_id))])


def upsert_locations(s: Session, items: list[tuple[int, Candidate]]) -> None:
    """Record (clip id, file) pairs inside the caller's write transaction: new paths are inserted, known paths
    updated (a path whose content changed moves to its new clip, with its search document)."""
    if not items:
        return
    loc = ClipLocation.__table__.c
    # a spanned recording is one clip whose every part is a location of it
    by_path = {p.path: (cid, p) for cid, c in items for p in (c.parts or [c])}
    existing: dict[str, tuple[int, int]] = {}
    for chunk in chunks(list(by_path)):
        existing.update({p: (lid, cid) for lid, p, cid in s.execute(
            select(loc.id, loc.path, loc.clip_id).where(loc.path.in_(chunk)))})
    now = utcnow()
    new_rows, moved_docs, updates = [], [], []
    for path, (clip_id, c) in by_path.items():
        row = {"clip_id": clip_id, "size": c.size, "mtime_ns": c.mtime_ns, "inode": c.inode, "device": c.device,
               "seen_at": now, "online": True}
        if path not in existing:
            new_rows.append({**row, "path": path})
            continue
        lid, old_clip = existing[path]
        updates.append({**row, "b_id": lid})
        if old_clip != clip_id:
            moved_docs.append((old_clip, clip_id, lid, path))
    if updates:
        _update_many(s, updates)
    docs: list[tuple[int, int, str]] = []
    if new_rows:
        for chunk in chunks(new_rows):
            for lid, path, cid in s.execute(insert(ClipLocation.__table__).returning(loc.id, loc.path, loc.clip_id),
                                            chunk):
                docs.append((cid, lid, path))
    sd = SearchDocument.__table__.c
    for old_clip, clip_id, lid, path in moved_docs:
        s.execute(delete(SearchDocument.__table__).where(and_(sd.clip_id == old_clip, sd.kind == PATH_DOC,
                                                              sd.ref == lid)))
        docs.append((clip_id, lid, path))
    add_path_documents(s, docs)
    paths = list(by_path)
    for chunk in chunks(paths):
        s.execute(delete(FileFailure.__table__).where(FileFailure.__table__.c.path.in_(chunk)))


def _update_many(s: Session, rows: list[dict]) -> None:
    loc = ClipLocation.__table__.c
    s.execute(update(ClipLocation.__table__).where(loc.id == bindparam("b_id")).values(
        clip_id=bindparam("clip_id"), size=bindparam("size"), mtime_ns=bindparam("mtime_ns"),
        inode=bindparam("inode"), device=bindparam("device"), seen_at=bindparam("seen_at"),
        online=bindparam("online")).execution_options(synchronize_session=False), rows)


def touch_paths(s: Session, paths: list[str]) -> None:
    loc = ClipLocation.__table__.c
    now = utcnow()
    for chunk in chunks(paths):
        s.execute(update(ClipLocation.__table__).where(loc.path.in_(chunk)).values(seen_at=now, online=True)
                  .execution_options(synchronize_session=False))


def offline_missing(s: Session, roots: list[str], since: datetime | None = None) -> int:
    """Locations under a scanned folder that are not there are marked offline (never deleted). A run stamps every
    location it sees (`seen_at`), so only those not stamped `since` its start are looked for on disk."""
    loc = ClipLocation.__table__.c
    gone: list[int] = []
    for root in roots:
        prefix = root.rstrip(os.sep) + os.sep
        where = [loc.path.startswith(prefix, autoescape=True), loc.online.is_(True)]
        if since is not None:
            where.append(loc.seen_at < since)
        for lid, path in s.execute(select(loc.id, loc.path).where(*where)):
            if not os.path.exists(path):
                gone.append(lid)
    for chunk in chunks(gone):
        s.execute(update(ClipLocation.__table__).where(loc.id.in_(chunk)).values(online=False)
                  .execution_options(synchronize_session=False))
    return len(gone)
