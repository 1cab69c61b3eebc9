"""`ingest --dry-run`: what a run would do (which files, how many bytes, about how long) without doing it.

Same discovery and the same catalog look-ups as a real run; nothing is hashed, decoded or written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store.catalog import CatalogStore
from .cards.splits import SplitRule
from .decide import location_of, path_action
from .discover import DiscoveryProblem, DiscoveryStats, discover

# Throughput measured by bench/ingest.py on a 2-core machine (1080p H.264/ProRes, 30 thumbnails): hashing runs at
# ~1.5 GB/s per worker from the page cache, metadata + thumbnails cost ~0.5 s per clip per worker, a run ~1.5 s to
# start its pool. A guide, not a promise: cold disks and 4K raw footage are slower.
HASH_BYTES_PER_SECOND = 1.5e9
CLIP_SECONDS = 0.5
STARTUP_SECONDS = 1.5


@dataclass
class PlannedFile:
    path: str
    size: int
    reason: str  # new | changed | incomplete
    card: dict | None = None  # a camera card's clip (parts, sidecars, proxies): the Candidate, for queue workers


@dataclass
class IngestPlan:
    files: list[PlannedFile] = field(default_factory=list)
    known: int = 0
    deferred: int = 0
    passed_over: int = 0
    problems: list[DiscoveryProblem] = field(default_factory=list)
    estimated_seconds: float = 0.0

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict:
        return {"files": [{k: v for k, v in f.__dict__.items() if k != "card"} for f in self.files], "count": len(self.files), "bytes": self.bytes,
                "known": self.known, "deferred": self.deferred, "passed_over": self.passed_over,
                "problems": [p.__dict__ for p in self.problems],
                "estimated_seconds": round(self.estimated_seconds, 1)}


def plan_ingest(store: CatalogStore, roots: list[str], *, recursive: bool = True, stages: tuple[str, ...],
                force: bool = False, limit: int | None = None, workers: int = 1,
                hash_algorithm: str = "xxh3_128", exclude: list[str] | None = None,
                split_rule: SplitRule | None = None) -> IngestPlan:
    plan = IngestPlan()
    stats = DiscoveryStats()
    candidates = []
    for item in discover(roots, recursive=recursive, stats=stats, exclude=exclude, split_rule=split_rule):
        if isinstance(item, DiscoveryProblem):
            plan.problems.append(item)
        else:
            candidates.append(item)
    plan.passed_over = stats.passed_over
    known = store.lookup_locations([p for c in candidates for p in c.paths])
    hashed = 0
    for cand in candidates:
        loc = location_of(known, cand)
        action = path_action(loc, cand, hash_algorithm, stages, force)
        if action == "known":
            plan.known += 1
            continue
        unchanged = action == "reuse_fingerprint"
        reason = "new" if loc is None else ("incomplete" if unchanged else "changed")
        if not unchanged and limit is not None and hashed >= limit:
            plan.deferred += 1
            continue
        if not unchanged:
            hashed += 1
        card = cand.model_dump() if cand.parts or cand.sidecars or cand.proxies or cand.card else None
        plan.files.append(PlannedFile(cand.path, cand.size, reason, card))
    hash_bytes = sum(f.size for f in plan.files if f.reason != "incomplete")
    if plan.files:
        plan.estimated_seconds = STARTUP_SECONDS + (hash_bytes / HASH_BYTES_PER_SECOND
                                                    + len(plan.files) * CLIP_SECONDS) / max(1, workers)
    return plan
