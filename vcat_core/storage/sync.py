"""Copy thumbnails that have no remote copy yet to remote storage and record where they went."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .remote import SupabaseStorage


def push_thumbnails(store, storage: SupabaseStorage, catalog_dir: Path, clip_ids: list[int] | None = None,
                    *, batch: int = 200) -> dict[str, Any]:
    """Upload every thumbnail of `clip_ids` (or of the whole catalog) still lacking a remote copy.

    Files missing from the local cache are counted, not fatal; the first upload error stops the push and is
    raised after recording what did reach the bucket (a rerun picks up from there).
    """
    uploaded, missing, skip = 0, 0, set()
    storage.ensure_bucket()
    while True:
        rows = [r for r in store.thumbnails_without_remote(clip_ids, limit=batch + len(skip)) if r["id"] not in skip]
        if not rows:
            break
        done: dict[int, str] = {}
        try:
            for row in rows[:batch]:
                local = Path(catalog_dir) / row["path"]
                if not local.is_file():
                    missing += 1
                    skip.add(row["id"])
                    continue
                done[row["id"]] = storage.upload(local, row["path"])
        finally:
            store.record_remote_paths(done)
        uploaded += len(done)
        if not done:
            break
    return {"uploaded": uploaded, "missing_locally": missing, "bucket": storage.bucket}
