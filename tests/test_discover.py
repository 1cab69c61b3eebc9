"""Discovery: by extension and by content, passed-over files, symlink loops, odd names."""

from __future__ import annotations

import os
from pathlib import Path

from vcat_core.pipeline.discover import DiscoveryProblem, DiscoveryStats, discover
from vcat_core.pipeline.sniff import sniff_container

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
MKV_HEAD = b"\x1a\x45\xdf\xa3" + b"\x00" * 64
TS_HEAD = b"".join(b"\x47" + b"\x00" * 187 for _ in range(5))
MXF_HEAD = bytes.fromhex("060e2b34020501010d01020101020400") + b"\x00" * 64


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _run(*roots: Path, recursive: bool = True):
    stats = DiscoveryStats()
    items = list(discover([str(r) for r in roots], recursive=recursive, stats=stats))
    cands = [i for i in items if not isinstance(i, DiscoveryProblem)]
    problems = [i for i in items if isinstance(i, DiscoveryProblem)]
    return cands, problems, stats


def test_sniff_known_containers():
    assert sniff_container(MP4_HEAD) == "mp4/mov"
    assert sniff_container(MKV_HEAD) == "matroska/webm"
    assert sniff_container(TS_HEAD) == "mpegts"
    assert sniff_container(MXF_HEAD) == "mxf"
    assert sniff_container(b"RIFF\x00\x00\x00\x00AVI LIST") == "avi"
    assert sniff_container(b"\x00\x00\x01\xba" + b"\x00" * 20) == "mpeg-ps"
    m2ts = b"".join(b"\x00\x00\x00\x00\x47" + b"\x00" * 187 for _ in range(4))
    assert sniff_container(m2ts) == "mpegts"
    assert sniff_container(b"hello world, this is text") is None
    assert sniff_container(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30) is None


def test_extension_and_content(tmp_path: Path):
    _write(tmp_path / "a.mov", MP4_HEAD)
    _write(tmp_path / "no_extension_clip", MP4_HEAD)           # found by content
    _write(tmp_path / "weird.bin", MKV_HEAD)                     # found by content
    _write(tmp_path / "notes.txt", b"just text")                 # passed over
    _write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0" + b"0" * 50)
    _write(tmp_path / "song.m4a", MP4_HEAD)                      # audio container: passed over by extension
    _write(tmp_path / "._a.mov", bytes.fromhex("00051607") + b"\x00" * 40)  # macOS resource fork
    _write(tmp_path / "fake.mp4", b"this is text named like a video")  # candidate by extension (fails later)
    _write(tmp_path / "sub" / "deep" / "b.mts", TS_HEAD)
    cands, problems, stats = _run(tmp_path)
    names = sorted(Path(c.path).name for c in cands)
    assert names == ["a.mov", "b.mts", "fake.mp4", "no_extension_clip", "weird.bin"]
    by_content = {Path(c.path).name for c in cands if c.by_content}
    assert by_content == {"no_extension_clip", "weird.bin"}
    assert stats.passed_over == 4 and not problems


def test_not_recursive(tmp_path: Path):
    _write(tmp_path / "a.mp4", MP4_HEAD)
    _write(tmp_path / "sub" / "b.mp4", MP4_HEAD)
    cands, _, _ = _run(tmp_path, recursive=False)
    assert [Path(c.path).name for c in cands] == ["a.mp4"]


def test_symlink_loops_terminate(tmp_path: Path):
    _write(tmp_path / "x" / "clip.mp4", MP4_HEAD)
    os.symlink(tmp_path, tmp_path / "x" / "loop_to_root")
    os.symlink(tmp_path / "x", tmp_path / "x" / "loop_to_self")
    os.symlink(tmp_path / "x" / "clip.mp4", tmp_path / "alias.mp4")  # same file via a link: catalogued once
    os.symlink(tmp_path / "missing.mp4", tmp_path / "dangling.mp4")
    cands, problems, _ = _run(tmp_path, tmp_path / "x")
    assert len(cands) == 1
    assert [Path(p.path).name for p in problems] == ["dangling.mp4"]


def test_catalog_folder_is_never_entered(tmp_path: Path):
    _write(tmp_path / "a.mp4", MP4_HEAD)
    _write(tmp_path / "catalog" / "thumbnails" / "x.mp4", MP4_HEAD)
    stats = DiscoveryStats()
    found = list(discover([str(tmp_path)], stats=stats, exclude=[str(tmp_path / "catalog")]))
    assert [Path(c.path).name for c in found] == ["a.mp4"]


def test_odd_names(tmp_path: Path):
    names = ["spaces in name.mp4", "ünïcødé 日本語.mov", "new\nline.mp4", "-leading-dash.mkv", "quote'\"s.avi"]
    for n in names:
        _write(tmp_path / n, MP4_HEAD)
    cands, problems, _ = _run(tmp_path)
    assert sorted(Path(c.path).name for c in cands) == sorted(names)
    assert not problems


def test_missing_root_is_a_problem(tmp_path: Path):
    cands, problems, _ = _run(tmp_path / "nope")
    assert not cands and len(problems) == 1 and "not found" in problems[0].error
