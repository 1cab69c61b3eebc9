"""The per-file decision shared by the runner, the queue workers and --dry-run (pure logic)."""

from __future__ import annotations

from vcat_core.models import Candidate
from vcat_core.pipeline.decide import content_action, path_action
from vcat_core.store.catalog import KnownClip, KnownLocation

ALL = ("metadata", "thumbnails", "exposure")
DONE = {s: "succeeded" for s in ALL}
CAND = Candidate(path="/f/a.mov", size=10, mtime_ns=5, inode=7, device=1)


def loc(stages=DONE, *, size=10, algo="xxh3_128", digest="d1") -> KnownLocation:
    return KnownLocation(clip_id=1, path="/f/a.mov", size=size, mtime_ns=5, inode=7, fingerprint=digest,
                         hash_algorithm=algo, stages=stages)


def test_path_action():
    assert path_action(None, CAND, "xxh3_128", ALL, False) == "fingerprint"
    assert path_action(loc(), CAND, "xxh3_128", ALL, False) == "known"
    assert path_action(loc(), CAND, "xxh3_128", ALL, True) == "reuse_fingerprint"  # --force: redo, same bytes
    assert path_action(loc({"metadata": "succeeded"}), CAND, "xxh3_128", ALL, False) == "reuse_fingerprint"
    assert path_action(loc(size=11), CAND, "xxh3_128", ALL, False) == "fingerprint"  # changed on disk
    assert path_action(loc(algo="md5"), CAND, "xxh3_128", ALL, False) == "fingerprint"


def test_content_action():
    assert content_action(None, None, "d1", ALL, False).stages == ALL  # new content: everything
    complete = KnownClip(1, DONE)
    assert content_action(complete, None, "d1", ALL, False).outcome == "duplicate"
    assert content_action(complete, loc(digest="d1"), "d1", ALL, False).outcome == "known"  # touched file
    assert content_action(complete, loc(digest="d0"), "d1", ALL, False).outcome == "duplicate"
    partial = content_action(KnownClip(1, {"metadata": "succeeded", "thumbnails": "failed"}), None, "d1", ALL,
                             False)
    assert partial.outcome == "analyse" and partial.stages == ("thumbnails", "exposure")
    assert content_action(complete, None, "d1", ALL, True).stages == ALL
