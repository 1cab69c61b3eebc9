"""Turn ingest events into Rich progress bars (a terminal) or JSON lines (scripts)."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ..events import (
    ClipDone,
    DiscoveryFinished,
    FileDiscovered,
    FilesUnchanged,
    IngestEvent,
    PoolWarning,
    RunFinished,
    StageFailed,
    StageFinished,
    StageStarted,
)


class JsonLinesRenderer:
    """One JSON object per event on stdout, flushed as it happens (at most every FLUSH_EVERY seconds when events
    come faster: a rescan reports tens of thousands of files a second)."""

    FLUSH_EVERY = 0.05

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self._flushed = 0.0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.out.flush()
        return False

    def handle(self, ev: IngestEvent) -> None:
        self.out.write(json.dumps(ev.model_dump(mode="json"), ensure_ascii=False) + "\n")
        now = time.monotonic()
        if now - self._flushed >= self.FLUSH_EVERY or isinstance(ev, RunFinished):
            self.out.flush()
            self._flushed = now


class RichRenderer:
    """Files, bytes and per-stage activity with ETA, drawn on stderr; failures printed as they happen."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console, transient=False,
        )
        self.bytes_progress = Progress(
            TextColumn("[bold]{task.description:<11}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), console=console,
        )
        self.files = self.progress.add_task("files", total=None)
        self.stage_tasks: dict[str, int] = {}
        self.bytes = self.bytes_progress.add_task("bytes", total=None)
        self.active: Counter[str] = Counter()
        self.total_bytes = 0
        self.done_bytes = 0
        self.started = time.monotonic()
        from rich.console import Group
        from rich.live import Live

        self.live = Live(Group(self.progress, self.bytes_progress), console=console, refresh_per_second=8)

    def __enter__(self):
        self.live.__enter__()
        return self

    def __exit__(self, *exc):
        self.live.__exit__(*exc)
        return False

    def _stage(self, stage: str) -> int:
        if stage not in self.stage_tasks:
            self.stage_tasks[stage] = self.progress.add_task(stage, total=0)
        return self.stage_tasks[stage]

    def handle(self, ev: IngestEvent) -> None:
        if isinstance(ev, FileDiscovered):
            self.total_bytes += ev.size
            total = self.progress.tasks[self.files].total or 0
            self.progress.update(self.files, total=total + 1)
            self.bytes_progress.update(self.bytes, total=self.total_bytes)
        elif isinstance(ev, FilesUnchanged):
            self.total_bytes += ev.bytes
            self.done_bytes += ev.bytes
            total = self.progress.tasks[self.files].total or 0
            self.progress.update(self.files, total=total + ev.count, advance=ev.count)
            self.bytes_progress.update(self.bytes, total=self.total_bytes, completed=self.done_bytes)
        elif isinstance(ev, DiscoveryFinished):
            self.progress.update(self.files, total=ev.candidates)
        elif isinstance(ev, StageStarted):
            tid = self._stage(ev.stage)
            self.progress.update(tid, total=(self.progress.tasks[tid].total or 0) + 1)
        elif isinstance(ev, (StageFinished, StageFailed)):
            self.progress.advance(self._stage(ev.stage))
            if isinstance(ev, StageFailed):
                self.console.print(f"[red]✗[/red] {ev.path}: {ev.stage}: {ev.error}", markup=True,
                                   highlight=False)
        elif isinstance(ev, ClipDone):
            self.progress.advance(self.files)
            self.done_bytes += ev.bytes
            self.bytes_progress.update(self.bytes, completed=self.done_bytes)
        elif isinstance(ev, PoolWarning):
            self.console.print(f"[yellow]![/yellow] {ev.message}", markup=True, highlight=False)
        elif isinstance(ev, RunFinished):
            self.progress.update(self.files, completed=self.progress.tasks[self.files].total or 0)
            self.bytes_progress.update(self.bytes, completed=self.total_bytes)


class QuietRenderer:
    """Not a terminal and not --json: print only failures, as they happen, on stderr."""

    def __init__(self, console: Console):
        self.console = console

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def handle(self, ev: IngestEvent) -> None:
        if isinstance(ev, ClipDone) and ev.outcome == "failed":
            self.console.print(f"failed: {ev.path}: {ev.error}", markup=False, highlight=False)
        elif isinstance(ev, StageFailed) and ev.stage == "upload":  # the clip is catalogued; its remote copy is not
            self.console.print(f"upload failed: {ev.path}: {ev.error}", markup=False, highlight=False)
        elif isinstance(ev, PoolWarning):
            self.console.print(f"warning: {ev.message}", markup=False, highlight=False)
