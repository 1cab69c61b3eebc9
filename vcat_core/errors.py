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
