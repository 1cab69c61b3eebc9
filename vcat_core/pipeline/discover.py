"""Find footage under one or more paths: recursive, symlink-loop safe, by extension or by content.

A file is a candidate when its extension says video, or when its first bytes are a known video container (so
`clip` with no extension is found). Things that are clearly not footage (images, text, audio, macOS `._` forks)
are passed over quietly and only counted. Directories are identified by (device, inode), so a symlink loop is
visited once and never hangs the walk.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..models import Candidate
from .cards.layouts import layout_of, plan_folder
from .cards.splits import SplitRule
from .sniff import HEADER_BYTES, NON_VIDEO_EXTENSIONS, VIDEO_EXTENSIONS, is_appledouble, sniff_container


@dataclass
class DiscoveryProblem:
    """A path discovery could not look into (unlistable folder, broken link to a video name)."""

    path: str
    error: str


@dataclass
class DiscoveryStats:
    files_seen: int = 0
    candidates: int = 0
    passed_over: int = 0
    problems: int = 0
    passed_over_examples: list[str] = field(default_factory=list)


def _read_head(path: str) -> bytes | None:
    try:
        with open(path, "rb", buffering=0) as fh:
            return fh.read(HEADER_BYTES)
    except OSError:
        return None


def classify(path: str, st: os.stat_result) -> Candidate | None:
    """Decide for one regular file: a Candidate, or None to pass it over."""
    ext = os.path.splitext(path)[1].lower()
    name = os.path.basename(path)
    by_ext = ext in VIDEO_EXTENSIONS
    if not by_ext and ext in NON_VIDEO_EXTENSIONS:
        return None
    by_content = False
    # the first bytes are read only where they decide something: a rescan of a million named clips opens none
    if name.startswith("._") or not by_ext:
        head = _read_head(path) if st.st_size > 0 else b""
        if name.startswith("._") and head is not None and is_appledouble(head):
            return None
        if not by_ext:
            if not head or sniff_container(head) is None:
                return None
            by_content = True
    return Candidate(
        path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, device=st.st_dev, by_content=by_content
    )


def discover(roots: list[str], *, recursive: bool = True, stats: DiscoveryStats | None = None,
             exclude: list[str] | None = None,
             split_rule: SplitRule | None = None) -> Iterator[Candidate | DiscoveryProblem]:
    """Yield candidates (and problems) under `roots`, depth-first, in a stable (sorted) order. Folders in
    `exclude` (the catalog's own folder) are never entered; `split_rule`: where DJI / Sony cards cut recordings."""
    stats = stats if stats is not None else DiscoveryStats()
    seen_dirs: set[tuple[int, int]] = set()
    for folder in exclude or []:
        try:
            st = os.stat(folder)
            seen_dirs.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    seen_files: set[tuple[int, int]] = set()

    def visit_file(path: str, st: os.stat_result) -> Iterator[Candidate | DiscoveryProblem]:
        stats.files_seen += 1
        key = (st.st_dev, st.st_ino)
        if key in seen_files:  # the same file reached twice (hard link or symlink): catalogue it once
            return
        seen_files.add(key)
        cand = classify(path, st)
        if cand is None:
            stats.passed_over += 1
            if len(stats.passed_over_examples) < 5:
                stats.passed_over_examples.append(path)
            return
        stats.candidates += 1
        yield cand

    def walk(directory: str, depth: int, parent_names: tuple[str, ...] = (),
             descend: bool = True) -> Iterator[Candidate | DiscoveryProblem]:
        try:
            st = os.stat(directory)
        except OSError as exc:
            stats.problems += 1
            yield DiscoveryProblem(directory, f"cannot open folder: {exc.strerror or exc}")
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            return  # symlink loop or a folder reached twice
        seen_dirs.add(key)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except PermissionError:
            stats.problems += 1
            yield DiscoveryProblem(directory, "permission denied: the folder cannot be listed")
            return
        except OSError as exc:
            stats.problems += 1
            yield DiscoveryProblem(directory, f"cannot list folder: {exc.strerror or exc}")
            return
        # a camera card folder (decided from the names just listed, no syscall): its files become the card's clips
        names = tuple(e.name for e in entries)
        plan = plan_folder(directory, list(names), parent_names, split_rule)
        held: list[Candidate] = []
        for entry in entries:
            path = entry.path
            try:
                est = entry.stat(follow_symlinks=True)
            except OSError as exc:
                if os.path.splitext(entry.name)[1].lower() in VIDEO_EXTENSIONS:
                    stats.problems += 1
                    yield DiscoveryProblem(path, f"cannot read file: {exc.strerror or exc} (broken link?)")
                continue
            if stat.S_ISDIR(est.st_mode):
                if recursive and descend:
                    yield from walk(path, depth + 1, names)
            elif stat.S_ISREG(est.st_mode):
                if plan is None:
                    yield from visit_file(path, est)
                else:
                    held.extend(visit_file(path, est))
        if plan is not None:
            clips = plan.apply([c for c in held if isinstance(c, Candidate)])
            stats.candidates -= len(held) - len(clips)
            yield from clips

    for root in roots:
        root = os.path.abspath(os.fspath(Path(root).expanduser()))
        try:
            st = os.stat(root)
        except OSError as exc:
            stats.problems += 1
            yield DiscoveryProblem(root, f"path not found or not readable: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from walk(root, 0)
        elif stat.S_ISREG(st.st_mode):
            folder = os.path.dirname(root)
            if layout_of(folder) is not None:  # a file of a camera card (`watch` hands over single files): its
                yield from walk(folder, 0, descend=False)  # folder decides which clip it belongs to
                continue
            yield from visit_file(root, st)
