"""What the pool's workers are doing now: how many files each stage holds, and which files."""

from __future__ import annotations

import os

from textual.content import Content
from textual.widgets import Static

from ..ingest_progress import IngestProgress

MAX_FILES = 8


def activity(p: IngestProgress | None) -> Content:
    if p is None:
        return Content("")
    if p.origin != "here":
        return Content.styled("Worker activity is shown for runs started here.", "$foreground-muted")
    busy = p.workers_busy()
    head = f"{p.workers} worker processes" if p.workers else "starting…"
    if p.state != "running":
        return Content(f"{head} · idle")
    lines = [Content(head + (" · " + ", ".join(f"{n} {stage}" for stage, n in busy.items()) if busy else " · idle"))]
    for path in list(p.in_flight)[:MAX_FILES]:
        stage = p.current_stage(path) or ""
        lines.append(Content.assemble((f"{stage:<12}", "$foreground-muted"), os.path.basename(path)))
    if len(p.in_flight) > MAX_FILES:
        lines.append(Content.styled(f"… and {len(p.in_flight) - MAX_FILES} more", "$foreground-muted"))
    return Content("\n").join(lines)


class WorkerActivity(Static):
    def show(self, p: IngestProgress | None) -> None:
        self.update(activity(p))
