"""Real file-system faults for tests (issue 16), made with what root has on a stock Linux, no FUSE, no LD_PRELOAD:

- `small_tmpfs(dir, size)`: a size-limited tmpfs: writes past it fail with ENOSPC, as on a full disk;
- `FailingDisk`: an ext4 image on a loop device holding the given files; `fail_from(path, fraction)` cuts the
  backing image inside that file's blocks and shrinks the device, so reading on from there returns EIO, as a drive
  with bad sectors does (the file's cached pages are dropped first with posix_fadvise, for that file only);
  `heal()` puts the bytes back. Device-mapper's `error` target would be the textbook tool, but containers rarely
  have device-mapper; loop devices are common.
Both need root (and /dev/loop-control for the disk); tests skip with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def require_root(*tools: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (mount, loop devices)")
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


@contextlib.contextmanager
def small_tmpfs(where: Path, size_kb: int) -> Iterator[Path]:
    require_root("mount", "umount")
    where.mkdir(parents=True, exist_ok=True)
    try:
        _run("mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where))
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path, leave_kb: int) -> Path:
    """A filler file that leaves about `leave_kb` free on the file system of `folder`."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    filler = folder / "filler.bin"
    with open(filler, "wb") as fh:
        fh.write(b"\x00" * max(0, free - leave_kb * 1024))
    return filler


class FailingDisk:
    """An ext4 file system on a loop device, mounted at `mountpoint`."""

    def __init__(self, image: Path, mountpoint: Path, size_mb: int = 32):
        require_root("losetup", "mkfs.ext4", "filefrag", "mount")
        if not Path("/dev/loop-control").exists():
            pytest.skip("no loop devices here (/dev/loop-control)")
        self.image, self.mountpoint = image, mountpoint
        with open(image, "wb") as fh:
            fh.truncate(size_mb * 2**20)
        _run("mkfs.ext4", "-q", "-F", "-b", "1024", str(image))
        try:
            self.device = _run("losetup", "-f", "--show", str(image))
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"cannot attach a loop device: {exc.stderr.strip()}")
        mountpoint.mkdir(parents=True, exist_ok=True)
        _run("mount", self.device, str(mountpoint))
        self._cut: tuple[int, bytes] | None = None

    def freeze(self) -> None:
        """Files written: sync and make the file system read-only (no journal writes to the failing part)."""
        os.sync()
        _run("mount", "-o", "remount,ro", str(self.mountpoint))

    def fail_from(self, path: Path, fraction: float = 0.5) -> None:
        """Reads of `path` past `fraction` of it (and of anything after it on the device) fail with EIO."""
        first_block = int(re.search(r"^\s*0:\s+\d+\.\.\s*\d+:\s+(\d+)\.\.", _run("filefrag", "-v", str(path)),
                                    re.M).group(1))
        cut = first_block * 1024 + int(path.stat().st_size * fraction) // 1024 * 1024
        with open(self.image, "rb") as fh:
            fh.seek(cut)
            self._cut = (cut, fh.read())
        with open(self.image, "r+b") as fh:
            fh.truncate(cut)
        _run("losetup", "-c", self.device)
        self.drop_cache(path)

    def heal(self) -> None:
        """The bytes come back (a drive that reads again after a retry, a copy restored)."""
        assert self._cut is not None
        cut, tail = self._cut
        with open(self.image, "r+b") as fh:
            fh.seek(cut)
            fh.write(tail)
        _run("losetup", "-c", self.device)

    @staticmethod
    def drop_cache(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.mountpoint)], capture_output=True)
        subprocess.run(["losetup", "-d", self.device], capture_output=True)
        self.image.unlink(missing_ok=True)
