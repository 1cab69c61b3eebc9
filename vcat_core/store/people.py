"""People: faces grouped across the whole catalog, kept up to date clip by clip, named once and found everywhere.

Grouping is incremental: when a clip's faces are stored, each is compared with every person's centroid (the mean
of their face vectors) and joins the nearest one closer than MATCH_DISTANCE, else it starts a new person. The cost
per clip is (faces of the clip) × (people in the catalog) distances — never all pairs of faces. Faces of a clip are
placed in order of detector score, so the clearest face of a new person founds the group and the others of the same
clip join it.

The means live in memory between clips (`_Centroids`, one matrix), read again only when the catalog's people changed
elsewhere. On Postgres one clip's faces are placed at a time (an advisory lock), so two workers never found the
same new person twice.

What a person decides wins: a name stays through re-runs (a named person left without faces keeps its centroid and
takes the faces back when the clip is analysed again); `merge` joins groups the rule kept apart — each group's mean
stays as a look-alike row (`merged_into`), so a face like either joins the merged person — and `split` parts one it
joined wrongly (look-alikes go with the side they resemble). Only these functions and `write_faces` (the store
thread, inside a clip's transaction) write `people` and `faces`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, text, update
from sqlmodel import Session

from ..errors import VcatError
from ..models import FacesResult
from .catalog import CatalogStore, bump_changes
from .tables import Clip, FaceRow, Person, utcnow

# dlib's rule: faces of one person within 0.6 of each other; a centroid sits nearer its members than they sit to
# each other, so a new face must come closer to it than that
MATCH_DISTANCE = 0.5
_LOCK = 7_100_018  # Postgres advisory lock: one clip's faces are placed at a time across every writer

F = FaceRow.__table__.c
P = Person.__table__.c


class PeopleError(VcatError):
    """A person that does not exist, or a merge / split that cannot be done."""


# ---- writing a clip's faces (the store thread) -----------------------------------------------------------------

def write_faces(s: Session, clip_id: int, result: FacesResult) -> None:
    """Replace the clip's faces with `result`'s and place each in a person (see the module docstring)."""
    if not result.faces and s.execute(select(F.id).where(F.clip_id == clip_id).limit(1)).first() is None:
        return  # nobody seen, before or now: no person to compare with
    if s.connection().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    old = s.execute(select(F.person_id, F.vector).where(F.clip_id == clip_id, F.person_id.is_not(None))).all()
    s.execute(delete(FaceRow.__table__).where(F.clip_id == clip_id))
    people = _centroids(s, result.model)
    for person_id, vector in old:  # take the old faces out of their people's means
        people.remove(person_id, np.asarray(vector, dtype=np.float32))
    touched = {pid for pid, _ in old}
    rows = []
    for face in sorted(result.faces, key=lambda f: -f.score):
        vec = np.asarray(face.vector, dtype=np.float32)
        person_id = people.nearest(vec)
        if person_id is None:
            person_id = s.execute(insert(Person.__table__).values(
                model=result.model, face_count=0, clip_count=0, created_at=utcnow(), updated_at=utcnow())
                .returning(P.id)).scalar_one()
        people.add(person_id, vec)
        touched.add(person_id)
        rows.append({"clip_id": clip_id, "time_seconds": face.time_seconds, "frame_index": face.frame_index,
                     "box": list(face.box), "frame_width": face.frame_width, "frame_height": face.frame_height,
                     "score": face.score, "model": result.model, "vector": vec, "person_id": person_id,
                     "thumbnail_path": face.thumbnail_path})
    if rows:
        s.execute(insert(FaceRow.__table__), rows)
    for person_id in touched:
        if person_id in people.row:
            s.execute(update(Person.__table__).where(P.id == person_id).values(centroid=people.centroid(person_id)))
    _refresh(s, touched)
    kept = set(s.execute(select(P.id).where(P.id.in_(sorted(touched)))).scalars()) if touched else set()
    for person_id in touched - kept:
        people.drop(person_id)
    _CACHE[_cache_key(s, result.model)] = (_signature(s, result.model), people)


class _Centroids:
    """Every person's mean face vector, one matrix row each, with their face counts. Kept per process between
    clips (the store thread writes them one after another) while the catalog's people are as this process left them:
    a person named, merged or split elsewhere changes the signature (highest id, latest update) and it is read
    again. A person without faces keeps its last mean (a named person takes their faces back on a re-run)."""

    def __init__(self, rows) -> None:
        rows = [(int(pid), np.asarray(c, np.float32), int(n), owner) for pid, c, n, owner in rows]
        self.row = {pid: i for i, (pid, _, _, _) in enumerate(rows)}
        self.ids = [pid for pid, _, _, _ in rows]
        self.owner = [owner or pid for pid, _, _, owner in rows]  # a look-alike row answers as its person
        self.matrix = np.stack([c for _, c, _, _ in rows]) if rows else np.zeros((0, 128), np.float32)
        self.counts = np.array([n for _, _, n, _ in rows], np.int64)

    def nearest(self, vec: np.ndarray) -> int | None:
        if not self.ids or self.matrix.shape[1] != vec.shape[0]:
            return None
        d = np.linalg.norm(self.matrix - vec, axis=1)
        best = int(np.argmin(d))
        return self.owner[best] if d[best] < MATCH_DISTANCE else None

    def add(self, pid: int, vec: np.ndarray) -> None:
        i = self.row.get(pid)
        if i is None:
            self.row[pid], i = len(self.ids), len(self.ids)
            self.ids.append(pid)
            self.owner.append(pid)
            self.matrix = np.vstack([self.matrix, vec[None, :]])
            self.counts = np.append(self.counts, 0)
        n = self.counts[i]
        self.matrix[i] = vec if n == 0 else (self.matrix[i] * n + vec) / (n + 1)
        self.counts[i] = n + 1

    def remove(self, pid: int, vec: np.ndarray) -> None:
        i = self.row.get(pid)
        if i is None or self.counts[i] == 0:
            return
        n = self.counts[i]
        if n > 1:
            self.matrix[i] = (self.matrix[i] * n - vec) / (n - 1)
        self.counts[i] = n - 1

    def centroid(self, pid: int) -> np.ndarray:
        return self.matrix[self.row[pid]].copy()

    def drop(self, pid: int) -> None:
        """A person deleted (with their look-alikes): their rows are never the nearest again (the rows stay, so
        the others keep their places)."""
        for i, owner in enumerate(self.owner):
            if owner == pid:
                self.matrix[i] = np.inf
                self.row.pop(self.ids[i], None)
                self.ids[i] = self.owner[i] = -1


_CACHE: dict[tuple[str, str], tuple[tuple, _Centroids]] = {}


def _cache_key(s: Session, model: str) -> tuple[str, str]:
    return (s.connection().engine.url.render_as_string(hide_password=True), model)


def _signature(s: Session, model: str) -> tuple:
    return tuple(s.execute(select(func.max(P.id), func.max(P.updated_at), func.count()).where(P.model == model)).one())


def _centroids(s: Session, model: str) -> _Centroids:
    key = _cache_key(s, model)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == _signature(s, model):
        return cached[1]
    return _Centroids(s.execute(select(P.id, P.centroid, P.face_count, P.merged_into)
                                .where(P.model == model, P.centroid.is_not(None)).order_by(P.id)))


def _refresh(s: Session, person_ids) -> None:
    """Counts and cover face of these people; an unnamed person left without faces is dropped."""
    ids = sorted({p for p in person_ids if p is not None})
    if not ids:
        return
    counts = {pid: (n, c) for pid, n, c in s.execute(
        select(F.person_id, func.count(), func.count(func.distinct(F.clip_id)))
        .where(F.person_id.in_(ids)).group_by(F.person_id))}
    for pid in ids:
        n, c = counts.get(pid, (0, 0))
        cover = s.execute(select(F.id).where(F.person_id == pid).order_by(F.score.desc(), F.id).limit(1)).scalar()
        s.execute(update(Person.__table__).where(P.id == pid).values(
            face_count=n, clip_count=c, cover_face_id=cover, updated_at=utcnow()))
    s.execute(delete(Person.__table__).where(P.id.in_(ids), P.face_count == 0, P.name.is_(None),
                                             P.merged_into.is_(None)))  # (its look-alikes go with it)


# ---- reading --------------------------------------------------------------------------------------------------

def list_people(store: CatalogStore, *, named_only: bool = False) -> list[dict[str, Any]]:
    """Every person with faces (and every named one), most often seen first."""
    stmt = (select(P.id, P.name, P.face_count, P.clip_count, F.thumbnail_path, F.clip_id, F.time_seconds)
            .select_from(Person.__table__.outerjoin(FaceRow.__table__, F.id == P.cover_face_id))
            .where((P.face_count > 0) | P.name.is_not(None), P.merged_into.is_(None))
            .order_by(P.clip_count.desc(), P.face_count.desc(), P.id))
    if named_only:
        stmt = stmt.where(P.name.is_not(None))
    with Session(store.engine) as s:
        return [{"id": r[0], "name": r[1], "faces": r[2], "clips": r[3], "thumbnail": r[4], "cover_clip_id": r[5],
                 "cover_time_seconds": r[6]} for r in s.execute(stmt)]


def person_names(store: CatalogStore) -> list[str]:
    """The names given to people (for reading "clips with Maria" in a search)."""
    with Session(store.engine) as s:
        return [n for (n,) in s.execute(select(P.name).where(P.name.is_not(None)).distinct())]


def resolve(s: Session, ref: str | int) -> int:
    """A person's id from an id ("12", "#12") or a name (any case)."""
    text_ref = str(ref).strip()
    if text_ref.lstrip("#").isdigit():
        pid = s.execute(select(func.coalesce(P.merged_into, P.id)).where(P.id == int(text_ref.lstrip("#")))).scalar()
    else:
        found = s.execute(select(P.id).where(func.lower(P.name) == text_ref.lower(), P.merged_into.is_(None))
                          .order_by(P.id)).scalars().all()
        pid = found[0] if found else None
    if pid is None:
        raise PeopleError(f"no person {ref!r} (see `vcat-core people list`)")
    return pid


def _match(person: str):
    ref = person.strip()
    if ref.startswith("#") and ref[1:].isdigit():  # (an id merged away answers as the person it joined)
        merged = Person.__table__.alias("merged")
        return P.id == select(func.coalesce(merged.c.merged_into, merged.c.id)).where(
            merged.c.id == int(ref[1:])).scalar_subquery()
    return func.lower(P.name) == ref.lower()


def person_clause(person: str):
    """SQL: ids of clips in which `person` (a name, any case, or "#ID") is seen — for ClipFilter.person."""
    return select(F.clip_id).join(Person.__table__, P.id == F.person_id).where(_match(person))


def face_times(store: CatalogStore, clip_ids: list[int], person: str) -> dict[int, list[float]]:
    """For each clip, the times (seconds) at which `person` is seen, in order."""
    if not clip_ids:
        return {}
    out: dict[int, list[float]] = {}
    with Session(store.engine) as s:
        for cid, t in s.execute(select(F.clip_id, F.time_seconds).join(Person.__table__, P.id == F.person_id)
                                .where(_match(person), F.clip_id.in_(clip_ids)).order_by(F.clip_id, F.time_seconds)):
            times = out.setdefault(cid, [])
            if not times or times[-1] != t:
                times.append(float(t))
    return out


def person_detail(store: CatalogStore, ref: str | int) -> dict[str, Any]:
    """One person: name, counts and every clip they are seen in with the times."""
    with Session(store.engine) as s:
        pid = resolve(s, ref)
        p = s.execute(select(P.id, P.name, P.face_count, P.clip_count).where(P.id == pid)).one()
        clips: dict[int, dict[str, Any]] = {}
        for cid, name, t in s.execute(select(F.clip_id, Clip.__table__.c.name, F.time_seconds)
                                      .join(Clip.__table__, Clip.__table__.c.id == F.clip_id)
                                      .where(F.person_id == pid).order_by(F.clip_id, F.time_seconds)):
            entry = clips.setdefault(cid, {"clip_id": cid, "name": name, "times": []})
            if not entry["times"] or entry["times"][-1] != t:
                entry["times"].append(float(t))
    return {"id": p[0], "name": p[1], "faces": p[2], "clips": p[3], "seen_in": list(clips.values())}


def clip_people(store: CatalogStore, clip_id: int) -> list[dict[str, Any]]:
    """Who is seen in one clip, with the times (for `show` and the clip detail)."""
    with Session(store.engine) as s:
        rows = s.execute(select(F.person_id, P.name, F.time_seconds).join(Person.__table__, P.id == F.person_id)
                         .where(F.clip_id == clip_id).order_by(F.person_id, F.time_seconds)).all()
    out: dict[int, dict[str, Any]] = {}
    for pid, name, t in rows:
        entry = out.setdefault(pid, {"id": pid, "name": name, "times": []})
        if not entry["times"] or entry["times"][-1] != t:
            entry["times"].append(float(t))
    return list(out.values())


# ---- a person's decisions -------------------------------------------------------------------------------------

def name_person(store: CatalogStore, ref: str | int, name: str) -> dict[str, Any]:
    """Name a person; naming them as someone who already has that name merges the two."""
    name = " ".join(name.split())
    if not name:
        raise PeopleError("a name cannot be empty")
    with Session(store.writer) as s, s.begin():
        pid = resolve(s, ref)
        same = s.execute(select(P.id).where(func.lower(P.name) == name.lower(), P.id != pid)).scalars().all()
        s.execute(update(Person.__table__).where(P.id == pid).values(name=name, updated_at=utcnow()))
        if same:
            _merge(s, pid, list(same))
        bump_changes(s)
    return {"id": pid, "name": name, "merged": list(same)}


def merge_people(store: CatalogStore, refs: list[str]) -> dict[str, Any]:
    """Join people into the first one named: their faces, clips and (when it had none) its name."""
    if len(refs) < 2:
        raise PeopleError("merge needs two people or more")
    with Session(store.writer) as s, s.begin():
        ids = list(dict.fromkeys(resolve(s, r) for r in refs))
        if len(ids) < 2:
            raise PeopleError("those are one person already")
        _merge(s, ids[0], ids[1:])
        bump_changes(s)
    return {"id": ids[0], "merged": ids[1:]}


def _merge(s: Session, target: int, others: list[int]) -> None:
    rows = s.execute(select(P.id, P.name, P.centroid, P.face_count).where(P.id.in_([target, *others]))).all()
    total = sum(int(n) for *_, n in rows)
    vectors = [np.asarray(c, np.float32) * max(int(n), 1) for _, _, c, n in rows if c is not None]
    weight = sum(max(int(n), 1) for _, _, c, n in rows if c is not None)
    name = next((r[1] for r in rows if r[0] == target and r[1]), None) or next((r[1] for r in rows if r[1]), None)
    s.execute(update(FaceRow.__table__).where(F.person_id.in_(others)).values(person_id=target))
    # every group's mean stays as a look-alike of the merged person (frozen; the person's own mean is of all its
    # faces): a face like one of them joins it, even when the groups look unalike (one person, years apart)
    old = next((r for r in rows if r[0] == target and r[2] is not None), None)
    if old is not None:
        s.execute(insert(Person.__table__).values(model=s.execute(select(P.model).where(P.id == target)).scalar_one(),
                                                  centroid=np.asarray(old[2], np.float32), face_count=0,
                                                  clip_count=0, merged_into=target, created_at=utcnow(),
                                                  updated_at=utcnow()))
    s.execute(update(Person.__table__).where(P.merged_into.in_(others)).values(merged_into=target))
    s.execute(update(Person.__table__).where(P.id.in_(others)).values(
        merged_into=target, name=None, face_count=0, clip_count=0, cover_face_id=None, updated_at=utcnow()))
    centroid = np.sum(vectors, axis=0) / weight if vectors and (total or weight) else None
    s.execute(update(Person.__table__).where(P.id == target).values(name=name, centroid=centroid))
    _refresh(s, [target])


def split_person(store: CatalogStore, ref: str | int, *, face_ids: list[int] | None = None,
                 clip_ids: list[int] | None = None) -> dict[str, Any]:
    """Move some of a person's faces to a new person: the faces given, the faces in the clips given, or (neither)
    the half of their faces farther from the other half (two-means over their vectors)."""
    with Session(store.writer) as s, s.begin():
        pid = resolve(s, ref)
        faces = s.execute(select(F.id, F.clip_id, F.vector, F.model).where(F.person_id == pid).order_by(F.id)).all()
        if face_ids or clip_ids:
            wanted = {f[0] for f in faces if (face_ids and f[0] in face_ids) or (clip_ids and f[1] in clip_ids)}
        else:
            wanted = _two_means({f[0]: np.asarray(f[2], np.float32) for f in faces})
        if not wanted or len(wanted) == len(faces):
            raise PeopleError("nothing to split off: give faces or clips of this person that are not all of them"
                              if face_ids or clip_ids else "this person's faces are all alike; nothing to split")
        new_id = s.execute(insert(Person.__table__).values(model=faces[0][3], face_count=0, clip_count=0,
                                                           created_at=utcnow(), updated_at=utcnow())
                           .returning(P.id)).scalar_one()
        s.execute(update(FaceRow.__table__).where(F.id.in_(sorted(wanted))).values(person_id=new_id))
        means = {}
        for person in (pid, new_id):
            vecs = [np.asarray(f[2], np.float32) for f in faces if (f[0] in wanted) == (person == new_id)]
            means[person] = np.mean(vecs, axis=0)
            s.execute(update(Person.__table__).where(P.id == person).values(centroid=means[person]))
        for alike, c in s.execute(select(P.id, P.centroid).where(P.merged_into == pid)).all():  # (from merges)
            c = np.asarray(c, np.float32)
            if np.linalg.norm(c - means[new_id]) < np.linalg.norm(c - means[pid]):
                s.execute(update(Person.__table__).where(P.id == alike).values(merged_into=new_id))
        _refresh(s, [pid, new_id])
        bump_changes(s)
    return {"id": pid, "new_id": new_id, "faces_moved": len(wanted)}


def _two_means(vectors: dict[int, np.ndarray]) -> set[int]:
    """The ids of the smaller of two groups k-means (k = 2) finds; empty when the faces are all alike."""
    if len(vectors) < 2:
        return set()
    ids = list(vectors)
    X = np.stack([vectors[i] for i in ids])
    far = int(np.argmax(np.linalg.norm(X - X[0], axis=1)))
    if np.linalg.norm(X[far] - X[0]) < MATCH_DISTANCE:
        return set()
    centres = np.stack([X[0], X[far]])
    for _ in range(20):
        label = np.argmin(np.linalg.norm(X[:, None, :] - centres[None], axis=2), axis=1)
        new = np.stack([X[label == k].mean(axis=0) if np.any(label == k) else centres[k] for k in (0, 1)])
        if np.allclose(new, centres):
            break
        centres = new
    minority = 1 if np.sum(label == 1) <= np.sum(label == 0) else 0
    return {ids[i] for i in range(len(ids)) if label[i] == minority}


def forget_faces(store: CatalogStore, catalog_dir: str | Path) -> dict[str, int]:
    """Delete every face vector, every person (names too) and the face crops. The faces stage stays done for the
    clips analysed so far (re-run them with `ingest --force`, or switch `face_analysis` off to find no more)."""
    with Session(store.writer) as s, s.begin():
        faces = s.execute(select(func.count()).select_from(FaceRow.__table__)).scalar_one()
        people = s.execute(select(func.count()).select_from(Person.__table__)).scalar_one()
        s.execute(delete(FaceRow.__table__))
        s.execute(delete(Person.__table__))
        bump_changes(s)
    shutil.rmtree(Path(catalog_dir) / "faces", ignore_errors=True)
    return {"faces": int(faces), "people": int(people)}
