"""Errors a person can read: each carries a sentence meant for the `failures` list."""

from __future__ import annotations


class VcatError(Exception):
    """Base of every error vcat raises on purpose; str(err) is shown to the user as-is."""


class MediaError(VcatError):
    """A file could not be read as video; recorded per file, the run goes on."""


class NotAVideoError(MediaError):
    """The file opened (or not) but holds no video stream: text, image, audio-only, random bytes."""


class CorruptMediaError(MediaError):
    """The container is recognised but damaged or truncated beyond what can be decoded."""


class FileVanishedError(MediaError):
    """The file was there at discovery and gone (or replaced) when a stage opened it."""


class UnreadableFileError(MediaError):
    """Permission denied or an I/O error reading the file."""


class ConfigError(VcatError):
    """A bad config key or value; the message lists the valid ones."""


class CatalogDiskFull(VcatError):
    """The disk holding the catalog (database or thumbnails) is full: no file is to blame, the run must stop and
    be run again once there is space (it resumes where it stopped)."""


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC / EDQUOT from a write, SQLite's SQLITE_FULL, Postgres' disk_full (53100), however wrapped."""
    import errno

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, CatalogDiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(exc, "sqlstate", None) == "53100" or "database or disk is full" in str(exc):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
        seen += 1
    return False
