"""Watch folders: ingest footage as it lands, never a file that is still being copied.

watchdog reports file-system changes (inotify on Linux, FSEvents on macOS, polling elsewhere); a file is handed to
the ingest only once its size and mtime have stayed the same for `settle` seconds, so a card offload or a slow
network copy is picked up once, after it ends. Restarting the watcher is safe: it starts with a full scan, and the
catalog already knows (path, size, mtime, inode) of everything it ingested, so nothing is ingested twice.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .sniff import NON_VIDEO_EXTENSIONS


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float


class SettleTracker:
    """Pure bookkeeping: which changed paths have stopped changing for `settle` seconds."""

    def __init__(self, settle: float):
        self.settle = settle
        self._pending: dict[str, _Seen | None] = {}

    def touch(self, path: str) -> None:
        """Something happened to `path`: (re)start watching it."""
        self._pending[path] = None

    def pending(self) -> int:
        return len(self._pending)

    def poll(self, now: float | None = None) -> list[str]:
        """Stat every pending path; return (and forget) those unchanged for `settle` seconds."""
        now = time.monotonic() if now is None else now
        ready = []
        for path, seen in list(self._pending.items()):
            try:
                st = os.stat(path)
            except OSError:
                self._pending.pop(path, None)  # gone (moved away, deleted, a temp file renamed)
                continue
            if not os.path.isfile(path):
                self._pending.pop(path, None)
                continue
            if seen is None or (st.st_size, st.st_mtime_ns) != (seen.size, seen.mtime_ns):
                self._pending[path] = _Seen(st.st_size, st.st_mtime_ns, now)
            elif now - seen.stable_since >= self.settle:
                ready.append(path)
                self._pending.pop(path, None)
        return sorted(ready)


class _Handler(FileSystemEventHandler):
    def __init__(self, loop: asyncio.AbstractEventLoop, changed: asyncio.Queue):
        self.loop, self.changed = loop, changed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            if event.event_type in ("created", "moved"):  # a folder copied or moved in: look inside it
                path = os.fsdecode(getattr(event, "dest_path", "") or event.src_path)
                self.loop.call_soon_threadsafe(self.changed.put_nowait, ("dir", path))
            return
        if event.event_type in ("created", "modified", "moved", "closed"):
            path = os.fsdecode(getattr(event, "dest_path", "") or event.src_path)
            if os.path.splitext(path)[1].lower() not in NON_VIDEO_EXTENSIONS:
                self.loop.call_soon_threadsafe(self.changed.put_nowait, ("file", path))


async def watch_batches(roots: list[str], *, settle: float = 5.0, poll_every: float = 0.5,
                        recursive: bool = True, initial: list[str] | None = None) -> AsyncIterator[list[str]]:
    """Yield batches of settled file paths under `roots`, forever (cancel to stop). `initial`: paths already
    known to be changing (found by the first scan while still being written)."""
    loop = asyncio.get_running_loop()
    changed: asyncio.Queue = asyncio.Queue()
    tracker = SettleTracker(settle)
    for path in initial or []:
        tracker.touch(path)
    observer = Observer()
    for root in roots:
        observer.schedule(_Handler(loop, changed), root, recursive=recursive)
    observer.start()
    try:
        while True:
            try:
                kind, path = await asyncio.wait_for(changed.get(), timeout=poll_every)
                items = [(kind, path)]
                while not changed.empty():
                    items.append(changed.get_nowait())
                for kind, path in items:
                    if kind == "dir":
                        for dirpath, _dirs, files in os.walk(path):
                            for name in files:
                                tracker.touch(os.path.join(dirpath, name))
                    else:
                        tracker.touch(path)
            except asyncio.TimeoutError:
                pass
            ready = tracker.poll()
            if ready:
                yield ready
    finally:
        observer.stop()
        await asyncio.to_thread(observer.join, 5)
