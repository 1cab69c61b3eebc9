"""Tags and collections: what people add to the catalog by hand. Same rules everywhere (CLI, TUI)."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ..errors import VcatError
from .catalog import CatalogStore, _chunks, bump_changes, index_clip
from .tables import Clip, ClipTag, Collection, CollectionClip, Tag


class LabelError(VcatError):
    """A tag or collection operation that cannot be done (unknown name, empty name, unknown clip)."""


def normalise_tag(name: str) -> str:
    tag = " ".join(name.strip().lower().split())
    if not tag:
        raise LabelError("a tag cannot be empty")
    if len(tag) > 100:
        raise LabelError("a tag is at most 100 characters")
    return tag


def _check_clips(s: Session, clip_ids: list[int]) -> None:
    found = set()
    for chunk in _chunks(list(set(clip_ids)), 500):
        found |= set(s.exec(select(Clip.id).where(col(Clip.id).in_(chunk))).all())
    missing = sorted(set(clip_ids) - found)
    if missing:
        raise LabelError(f"no clip with id {', '.join(map(str, missing[:10]))}")


def add_tags(store: CatalogStore, clip_ids: list[int], tags: list[str]) -> int:
    """Tag every clip with every tag; returns how many (clip, tag) pairs were new."""
    names = sorted({normalise_tag(t) for t in tags})
    added = 0
    with Session(store.writer) as s, s.begin():
        _check_clips(s, clip_ids)
        for name in names:
            tag = s.exec(select(Tag).where(Tag.name == name)).first()
            if tag is None:
                tag = Tag(name=name)
                s.add(tag)
                s.flush()
            have = set(s.exec(select(ClipTag.clip_id).where(ClipTag.tag_id == tag.id)).all())
            for cid in dict.fromkeys(clip_ids):
                if cid not in have:
                    s.add(ClipTag(clip_id=cid, tag_id=tag.id))
                    added += 1
        s.flush()
        for cid in dict.fromkeys(clip_ids):
            index_clip(s, cid)  # tags are searchable
        bump_changes(s)
    return added


def remove_tags(store: CatalogStore, clip_ids: list[int], tags: list[str]) -> int:
    names = {normalise_tag(t) for t in tags}
    with Session(store.writer) as s, s.begin():
        tag_ids = s.exec(select(Tag.id).where(col(Tag.name).in_(names))).all()
        if not tag_ids:
            return 0
        res = s.exec(delete(ClipTag).where(col(ClipTag.tag_id).in_(tag_ids), col(ClipTag.clip_id).in_(clip_ids)))
        # drop tags no clip uses any more, so `tag list` stays meaningful
        used = select(ClipTag.tag_id).distinct()
        s.exec(delete(Tag).where(col(Tag.id).in_(tag_ids), col(Tag.id).not_in(used)))
        for cid in dict.fromkeys(clip_ids):
            index_clip(s, cid)
        bump_changes(s)
        return res.rowcount or 0


def list_tags(store: CatalogStore) -> list[tuple[str, int]]:
    """Every tag with how many clips carry it, most used first."""
    with Session(store.engine) as s:
        rows = s.exec(select(Tag.name, func.count(ClipTag.clip_id)).outerjoin(ClipTag, ClipTag.tag_id == Tag.id)
                      .group_by(Tag.id).order_by(func.count(ClipTag.clip_id).desc(), Tag.name)).all()
    return [(name, int(n)) for name, n in rows]


def tags_of(store: CatalogStore, clip_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {cid: [] for cid in clip_ids}
    with Session(store.engine) as s:
        for chunk in _chunks(clip_ids, 500):
            for cid, name in s.exec(select(ClipTag.clip_id, Tag.name).join(Tag, Tag.id == ClipTag.tag_id)
                                    .where(col(ClipTag.clip_id).in_(chunk)).order_by(Tag.name)):
                out[cid].append(name)
    return out


def collections_of(store: CatalogStore, clip_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {cid: [] for cid in clip_ids}
    with Session(store.engine) as s:
        for chunk in _chunks(clip_ids, 500):
            for cid, name in s.exec(select(CollectionClip.clip_id, Collection.name)
                                    .join(Collection, Collection.id == CollectionClip.collection_id)
                                    .where(col(CollectionClip.clip_id).in_(chunk)).order_by(Collection.name)):
                out[cid].append(name)
    return out


def _collection_name(name: str) -> str:
    name = " ".join(name.strip().split())
    if not name:
        raise LabelError("a collection needs a name")
    return name


def _get_collection(s: Session, name: str) -> Collection:
    coll = s.exec(select(Collection).where(Collection.name == _collection_name(name))).first()
    if coll is None:
        raise LabelError(f"no collection named {name!r}")
    return coll


def _owned(s: Session, coll: Collection, action: str) -> None:
    """On Postgres only a collection's owner may rename or delete it (migration 0013's policies decide; this says
    so in a sentence instead of a write that silently changes nothing)."""
    if s.get_bind().dialect.name != "postgresql":
        return
    if not s.exec(select(func.vcat_current_user() == coll.owner)).one():
        raise LabelError(f"collection {coll.name!r} belongs to {coll.owner}: only its owner may {action} it")


def create_collection(store: CatalogStore, name: str, description: str | None = None) -> int:
    name = _collection_name(name)
    with Session(store.writer) as s, s.begin():
        if s.exec(select(Collection.id).where(Collection.name == name)).first() is not None:
            raise LabelError(f"a collection named {name!r} already exists")
        coll = Collection(name=name, description=description)
        s.add(coll)
        s.flush()
        assert coll.id is not None
        bump_changes(s)
        return coll.id


def rename_collection(store: CatalogStore, old: str, new: str) -> None:
    new = _collection_name(new)
    with Session(store.writer) as s, s.begin():
        coll = _get_collection(s, old)
        if new != coll.name and s.exec(select(Collection.id).where(Collection.name == new)).first() is not None:
            raise LabelError(f"a collection named {new!r} already exists")
        _owned(s, coll, "rename")
        coll.name = new
        s.add(coll)
        bump_changes(s)


def delete_collection(store: CatalogStore, name: str) -> None:
    """Delete the collection (its clips stay in the catalog)."""
    with Session(store.writer) as s, s.begin():
        coll = _get_collection(s, name)
        _owned(s, coll, "delete")
        s.exec(delete(CollectionClip).where(CollectionClip.collection_id == coll.id))
        s.delete(coll)
        bump_changes(s)


def add_to_collection(store: CatalogStore, name: str, clip_ids: list[int]) -> int:
    with Session(store.writer) as s, s.begin():
        coll = _get_collection(s, name)
        _check_clips(s, clip_ids)
        have = set(s.exec(select(CollectionClip.clip_id).where(CollectionClip.collection_id == coll.id)).all())
        pos = s.exec(select(func.coalesce(func.max(CollectionClip.position), -1))
                     .where(CollectionClip.collection_id == coll.id)).one()
        added = 0
        for cid in dict.fromkeys(clip_ids):
            if cid not in have:
                pos += 1
                s.add(CollectionClip(collection_id=coll.id, clip_id=cid, position=pos))
                added += 1
        bump_changes(s)
        return added


def remove_from_collection(store: CatalogStore, name: str, clip_ids: list[int]) -> int:
    with Session(store.writer) as s, s.begin():
        coll = _get_collection(s, name)
        res = s.exec(delete(CollectionClip).where(CollectionClip.collection_id == coll.id,
                                                  col(CollectionClip.clip_id).in_(clip_ids)))
        bump_changes(s)
        return res.rowcount or 0


def list_collections(store: CatalogStore) -> list[dict]:
    with Session(store.engine) as s:
        rows = s.exec(select(Collection, func.count(CollectionClip.clip_id))
                      .outerjoin(CollectionClip, CollectionClip.collection_id == Collection.id)
                      .group_by(Collection.id).order_by(Collection.name)).all()
    return [{"name": c.name, "description": c.description, "clips": int(n), "created_at": c.created_at.isoformat()}
            for c, n in rows]


def collection_clip_ids(store: CatalogStore, name: str) -> list[int]:
    with Session(store.engine) as s:
        coll = _get_collection(s, name)
        return list(s.exec(select(CollectionClip.clip_id).where(CollectionClip.collection_id == coll.id)
                           .order_by(CollectionClip.position)).all())
