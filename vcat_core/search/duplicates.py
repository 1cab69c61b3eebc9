"""Near-duplicates: the same footage re-encoded, resized or trimmed, found from the thumbnails' perceptual hashes.

Each clip has a sequence of 64-bit dHashes (one per thumbnail, from the vision stage). Two clips are near-duplicates
when most frames of the shorter sequence have a close match (Hamming distance ≤ MAX_DISTANCE) in the other. To avoid
comparing every pair, hashes are bucketed by four 16-bit bands (any close pair shares at least one exact band when
the distance is ≤ 3, and in practice most pairs at ≤ 10 do); only clips sharing a bucket are compared. Exact copies
(same bytes) are already one clip with several locations and are not listed here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from ..store.catalog import CatalogStore
from ..store.tables import Clip, ThumbnailRow

MAX_DISTANCE = 10
MIN_SHARE = 0.6


def _hashes(store: CatalogStore) -> dict[int, list[int]]:
    out: dict[int, dict[int, int]] = defaultdict(dict)
    with Session(store.engine) as s:
        rows = s.exec(select(ThumbnailRow.clip_id, ThumbnailRow.frame_index, ThumbnailRow.scores)
                      .join(Clip, Clip.id == ThumbnailRow.clip_id)
                      .where(col(Clip.status).in_(("ready", "partial")))).all()
    for clip_id, frame_index, scores in rows:
        dh = ((scores or {}).get("quality") or {}).get("dhash")
        if dh and frame_index not in out[clip_id]:
            out[clip_id][frame_index] = int(dh, 16)
    return {cid: [h for _, h in sorted(frames.items())] for cid, frames in out.items()}


def _informative(h: int) -> bool:
    """A hash of a flat or gradient-only frame (nearly all bits equal) matches every other such frame: no evidence."""
    return 6 < bin(h).count("1") < 58


def _one_way(a: list[int], b: list[int]) -> float:
    if not a:
        return 0.0
    return sum(1 for h in a if any(bin(h ^ g).count("1") <= MAX_DISTANCE for g in b)) / len(a)


def _share(a: list[int], b: list[int]) -> float:
    """How much of the shorter clip is found in the other, checked the other way too: a trimmed copy's frames are
    all in the original while the original's frames outside the trim are not, so the reverse share only has to
    be half as high."""
    a = [h for h in a if _informative(h)]
    b = [h for h in b if _informative(h)]
    if not a or not b:
        return 0.0
    short, other = (a, b) if len(a) <= len(b) else (b, a)
    return min(_one_way(short, other), 2 * _one_way(other, short))


def near_duplicate_groups(store: CatalogStore, *, min_share: float = MIN_SHARE) -> list[dict[str, Any]]:
    hashes = _hashes(store)
    buckets: dict[tuple[int, int], set[int]] = defaultdict(set)
    for cid, seq in hashes.items():
        for h in seq:
            for band in range(4):
                buckets[(band, (h >> (16 * band)) & 0xFFFF)].add(cid)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= 500:  # a huge bucket is a blank frame shared by many clips: not evidence
            ms = sorted(members)
            pairs.update((a, b) for i, a in enumerate(ms) for b in ms[i + 1:])
    parent = {cid: cid for cid in hashes}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    similarity: dict[tuple[int, int], float] = {}
    for a, b in pairs:
        share = _share(hashes[a], hashes[b])
        if share >= min_share:
            similarity[(a, b)] = share
            parent[find(a)] = find(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for cid in hashes:
        groups[find(cid)].append(cid)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort()
        best = max((v for (a, b), v in similarity.items() if a in members and b in members), default=0.0)
        docs = store.list_clips(_ids(members))
        out.append({"clips": [{"id": c.id, "name": c.name, "path": c.path, "duration_seconds": c.duration_seconds,
                               "width": c.width, "height": c.height, "codec": c.codec} for c in docs],
                    "similarity": round(best, 3)})
    return sorted(out, key=lambda g: (-len(g["clips"]), -g["similarity"]))


def _ids(ids: list[int]):
    from ..models import ClipFilter

    return ClipFilter(ids=ids)
