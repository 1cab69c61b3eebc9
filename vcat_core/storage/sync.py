"""Copy thumbnails that have no remote copy yet to remote storage and record where they went."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .remote import SupabaseStorage


def push_thumbnails(store, storage: SupabaseStorage, catalog_dir: Path, clip_ids: list[int] | None = None,
                    *, batch: int = 200) -> dict[str, Any]:
    """Upload every thumbnail of `clip_ids` (or of the whole catalog) still lacking a remote copy, page by page.

    Files missing from the local cache (made on another machine) are counted and passed over; the first upload
    error stops the push and is raised after recording what did reach the bucket (a rerun goes on from there).
    """
    uploaded, missing, after = 0, 0, 0
    storage.ensure_bucket()
    while True:
        rows = store.thumbnails_without_remote(clip_ids, after_id=after, limit=batch)
        if not rows:
            break
        after = rows[-1]["id"]
        done: dict[int, str] = {}
        try:
            for row in rows:
                local = Path(catalog_dir) / row["path"]
                if not local.is_file():
                    missing += 1
                    continue
                done[row["id"]] = storage.upload(local, row["path"])
        finally:
            uploaded += store.record_remote_paths(done)
    return {"uploaded": uploaded, "missing_locally": missing, "bucket": storage.bucket}
