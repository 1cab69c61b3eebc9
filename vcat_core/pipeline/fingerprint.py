"""Whole-file streaming fingerprint: xxh3-128 by default (fastest here), BLAKE3 or MD5 on request.

Files are opened read-only and read in large blocks with `readinto` on one reused buffer, so memory stays flat
whatever the file size.
"""

from __future__ import annotations

import hashlib
import os
import time

import blake3
import xxhash

from ..errors import FileVanishedError, UnreadableFileError
from ..models import Candidate, FingerprintResult

BLOCK = 8 * 1024 * 1024


def _hasher(algorithm: str):
    if algorithm == "xxh3_128":
        return xxhash.xxh3_128()
    if algorithm == "blake3":
        return blake3.blake3(max_threads=1)
    if algorithm == "md5":
        return hashlib.md5(usedforsecurity=False)
    raise ValueError(f"unknown hash algorithm {algorithm!r} (xxh3_128, blake3, md5)")


def fingerprint_file(candidate: Candidate, algorithm: str = "xxh3_128") -> FingerprintResult:
    """Hash every byte of the file; raise a per-file error if it vanished, changed or cannot be read. A spanned
    recording (`candidate.parts`) is fingerprinted from its parts' fingerprints, in order: the same card copied
    elsewhere is the same clip."""
    if candidate.parts:
        return _fingerprint_span(candidate, algorithm)
    started = time.perf_counter()
    hasher = _hasher(algorithm)
    buf = bytearray(BLOCK)
    view = memoryview(buf)
    total = 0
    try:
        fd = os.open(candidate.path, os.O_RDONLY)
    except FileNotFoundError as exc:
        raise FileVanishedError("file disappeared before it could be read") from exc
    except PermissionError as exc:
        raise UnreadableFileError("permission denied: the file cannot be read") from exc
    except OSError as exc:
        raise UnreadableFileError(f"cannot open file: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if st.st_ino != candidate.inode or st.st_size != candidate.size:
            raise FileVanishedError("file was replaced or changed size while being catalogued; will retry next run")
        with os.fdopen(fd, "rb", buffering=0, closefd=True) as fh:
            fd = -1
            while True:
                n = fh.readinto(buf)
                if not n:
                    break
                hasher.update(view[:n])
                total += n
    except OSError as exc:
        raise UnreadableFileError(f"read error after {total} bytes: {exc.strerror or exc}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
    if total != candidate.size:
        raise FileVanishedError(f"file changed while being read ({total} of {candidate.size} bytes); will retry")
    return FingerprintResult(
        algorithm=algorithm, digest=hasher.hexdigest(), size=total, seconds=time.perf_counter() - started
    )


def _fingerprint_span(candidate: Candidate, algorithm: str) -> FingerprintResult:
    started = time.perf_counter()
    parts = [fingerprint_file(p, algorithm) for p in candidate.parts or []]
    hasher = _hasher(algorithm)
    hasher.update(("span:" + ",".join(p.digest for p in parts)).encode())
    return FingerprintResult(algorithm=algorithm, digest=hasher.hexdigest(), size=sum(p.size for p in parts),
                             seconds=time.perf_counter() - started, parts=[p.digest for p in parts])
