"""Supabase Storage through the official `supabase` client: a bucket of thumbnails shared by a team.

The local thumbnail cache stays the source every screen reads; the remote copy is what other machines (and a web
front end) can fetch. Keys mirror the catalog-relative paths (`thumbnails/<fingerprint>/<frame>_<width>.jpg`), so a
recorded remote path is `<bucket>/<key>` and re-uploading is idempotent (upsert).
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from ..ai.errors import redact
from ..errors import VcatError


class RemoteStorageError(VcatError):
    """Remote storage could not be reached or failed (after retries): trying later may work."""


class RemoteStorageRefused(RemoteStorageError):
    """Remote storage said no (bad key, no such bucket, not allowed): trying again will not help until the
    settings change."""


def _transient(exc: BaseException) -> bool:
    """Connection trouble and server-side errors are worth another try; a refusal (4xx) is not."""
    from storage3.exceptions import StorageApiError

    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, StorageApiError):
        try:
            return int(exc.status) >= 500
        except (TypeError, ValueError):
            return False
    return False


def _refusal(exc: BaseException) -> bool:
    from storage3.exceptions import StorageApiError

    return isinstance(exc, StorageApiError)


_retrying = retry(retry=retry_if_exception(_transient), stop=stop_after_attempt(3),
                  wait=wait_exponential(multiplier=0.2, max=2), reraise=True)


class SupabaseStorage:
    """One bucket of a Supabase project. Methods raise RemoteStorageError with the key redacted from messages."""

    def __init__(self, url: str, key: str, bucket: str, *, timeout: float = 30.0):
        from supabase import ClientOptions, create_client

        self.url, self.bucket, self._key = url.rstrip("/"), bucket, key
        try:
            self._http = httpx.Client(timeout=timeout, follow_redirects=True)
            client = create_client(self.url, key, options=ClientOptions(httpx_client=self._http))
        except Exception as exc:  # noqa: BLE001 - the client validates URL and key shapes
            raise RemoteStorageError(f"Supabase client: {redact(str(exc), key)}") from exc
        self._storage = client.storage
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()  # the runner uploads from two threads; one makes the bucket

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return _retrying(fn)(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - storage3 raises its own and httpx errors; one error for callers
            kind = RemoteStorageError if _transient(exc) or not _refusal(exc) else RemoteStorageRefused
            raise kind(f"Supabase Storage {what} failed: {redact(str(exc), self._key)}") from exc

    def close(self) -> None:
        """Close the HTTP connections (a long-lived worker keeps one instance instead)."""
        self._http.close()

    def __enter__(self) -> "SupabaseStorage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def bucket_exists(self) -> bool:
        """Whether the bucket is there (a check that changes nothing; refusals and outages raise)."""
        from storage3.exceptions import StorageApiError

        try:
            _retrying(self._storage.get_bucket)(self.bucket)
            return True
        except StorageApiError as exc:
            if str(getattr(exc, "status", "")) in ("400", "404") or "not found" in str(exc).lower():
                return False
            kind = RemoteStorageError if _transient(exc) else RemoteStorageRefused
            raise kind(f"Supabase Storage bucket check failed: {redact(str(exc), self._key)}") from exc
        except Exception as exc:  # noqa: BLE001
            raise RemoteStorageError(f"Supabase Storage unreachable: {redact(str(exc), self._key)}") from exc

    def ensure_bucket(self) -> bool:
        """Create the bucket (private) unless it exists; True when it was created (checked once per instance)."""
        with self._bucket_lock:
            if self._bucket_ready:
                return False
            created = False
            if not self.bucket_exists():
                try:
                    self._call("bucket create", self._storage.create_bucket, self.bucket, options={"public": False})
                    created = True
                except RemoteStorageRefused as exc:
                    if "already exists" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                        raise  # else another machine made it a moment ago
            self._bucket_ready = True
            return created

    def upload(self, local: Path, key: str) -> str:
        """Upload (or replace) one file; returns its remote path `bucket/key`."""
        ctype = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
        data = local.read_bytes()  # bytes, so a retry re-sends the whole body
        self._call(f"upload of {key}", self._storage.from_(self.bucket).upload, key, data,
                   {"content-type": ctype, "upsert": "true", "cache-control": "31536000"})
        return f"{self.bucket}/{key}"

    def download(self, key: str) -> bytes:
        return self._call(f"download of {key}", self._storage.from_(self.bucket).download, key)

    def list(self, prefix: str = "") -> list[str]:
        """Names directly under `prefix` (Storage lists one folder level at a time)."""
        names: list[str] = []
        offset = 0
        while True:
            page = self._call("list", self._storage.from_(self.bucket).list, prefix,
                              {"limit": 1000, "offset": offset})
            names += [p["name"] for p in page]
            if len(page) < 1000:
                return names
            offset += len(page)


def open_remote_storage(settings) -> SupabaseStorage | None:
    """The remote storage the settings describe, or None when thumbnails stay local only."""
    if not settings.remote_storage:
        return None
    return SupabaseStorage(settings.supabase_url, settings.supabase_key.get_secret_value(), settings.storage_bucket)
