"""What to do with one file: decided in one place for the local runner, the queue workers and `--dry-run`.

Pure functions over what the catalog already knows (no I/O), so the three always agree on when a file is skipped,
when its fingerprint is re-used, when it is a duplicate and which stages it still needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ..errors import NotAVideoError
from ..models import Candidate, ClipAnalysis, StageOutcome
from ..store.catalog import KnownClip, KnownLocation
from .worker import stages_to_run

PathAction = Literal["known", "reuse_fingerprint", "fingerprint"]


def path_action(known: KnownLocation | None, cand: Candidate, algorithm: str, wanted: tuple[str, ...],
                force: bool) -> PathAction:
    """Before reading a byte: `known` (unchanged, nothing left to do), `reuse_fingerprint` (unchanged but stages
    missing: its recorded fingerprint stands) or `fingerprint` (new or changed: hash it)."""
    if known is not None and known.unchanged(cand) and known.hash_algorithm == algorithm:
        return "known" if known.satisfies(wanted) and not force else "reuse_fingerprint"
    return "fingerprint"


def location_of(known: dict[str, KnownLocation], cand: Candidate) -> KnownLocation | None:
    """What the catalog knows of this candidate's path. A spanned recording is unchanged when every part is and
    all belong to one clip: then its first part's row stands for the whole span (sizes summed like the
    candidate's)."""
    if not cand.parts:
        return known.get(cand.path)
    rows = [known.get(p.path) for p in cand.parts]
    if rows[0] is None:
        return None
    if all(r is not None and r.unchanged(p) for r, p in zip(rows, cand.parts)) and \
            len({r.clip_id for r in rows}) == 1:
        return replace(rows[0], size=cand.size, mtime_ns=cand.mtime_ns, inode=cand.inode)
    return rows[0]


@dataclass(frozen=True)
class ContentAction:
    """After fingerprinting: `duplicate` (the content is catalogued from another path), `known` (this path, touched
    but the same bytes) or `analyse` with the stages still to run (all of them for new content)."""

    outcome: Literal["duplicate", "known", "analyse"]
    stages: tuple[str, ...] = ()


def content_action(clip: KnownClip | None, known: KnownLocation | None, digest: str, wanted: tuple[str, ...],
                   force: bool) -> ContentAction:
    if clip is not None and clip.satisfies(wanted) and not force:
        at_this_path = known is not None and known.fingerprint == digest
        return ContentAction("known" if at_this_path else "duplicate")
    return ContentAction("analyse", stages_to_run(wanted, clip.stages if clip else None, force))


def unreadable(analysis: ClipAnalysis, cand: Candidate, stages: tuple[str, ...]) -> Literal["passed_over"] | \
        StageOutcome | None:
    """After analysis: None when the clip can be stored; `passed_over` when a file picked by its bytes alone
    turned out not to be video; else the failed metadata outcome (the file is a failure, not a clip)."""
    if analysis.metadata is not None or "metadata" not in stages:
        return None
    meta = next(o for o in analysis.outcomes if o.stage == "metadata")
    if cand.by_content and meta.error_kind == NotAVideoError.__name__:
        return "passed_over"
    return meta
