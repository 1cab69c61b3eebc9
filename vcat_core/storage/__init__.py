"""Remote copies of catalog files (thumbnails) for shared catalogs: Supabase Storage behind a small interface."""

from .remote import RemoteStorageError, RemoteStorageRefused, SupabaseStorage, open_remote_storage
from .sync import push_thumbnails

__all__ = ["RemoteStorageError", "RemoteStorageRefused", "SupabaseStorage", "open_remote_storage", "push_thumbnails"]
