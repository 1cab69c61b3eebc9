"""Fingerprints: the right digest for each algorithm, and per-file errors for vanished or changed files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import blake3
import pytest
import xxhash

from vcat_core.errors import FileVanishedError
from vcat_core.models import Candidate
from vcat_core.pipeline.fingerprint import BLOCK, fingerprint_file


def _cand(path: Path) -> Candidate:
    st = path.stat()
    return Candidate(path=str(path), size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, device=st.st_dev)


@pytest.fixture()
def blob(tmp_path: Path) -> Path:
    p = tmp_path / "blob.mov"
    p.write_bytes(os.urandom(BLOCK * 2 + 12345))  # spans several read blocks
    return p


@pytest.mark.parametrize("algo,ref", [
    ("xxh3_128", lambda b: xxhash.xxh3_128(b).hexdigest()),
    ("blake3", lambda b: blake3.blake3(b).hexdigest()),
    ("md5", lambda b: hashlib.md5(b).hexdigest()),
])
def test_digest_matches_reference(blob: Path, algo, ref):
    res = fingerprint_file(_cand(blob), algo)
    assert res.digest == ref(blob.read_bytes())
    assert res.size == blob.stat().st_size and res.algorithm == algo


def test_empty_file(tmp_path: Path):
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    assert fingerprint_file(_cand(p)).digest == xxhash.xxh3_128(b"").hexdigest()


def test_vanished_file(blob: Path):
    cand = _cand(blob)
    blob.unlink()
    with pytest.raises(FileVanishedError, match="disappeared"):
        fingerprint_file(cand)


def test_file_replaced_after_discovery(blob: Path):
    cand = _cand(blob)
    with open(blob, "ab") as fh:
        fh.write(b"more")
    with pytest.raises(FileVanishedError, match="changed"):
        fingerprint_file(cand)
