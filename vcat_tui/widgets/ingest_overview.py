"""The dashboard's headline: overall progress bar, files and bytes, throughput, ETA and outcomes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import ProgressBar, Static

from .. import format as fmt
from ..ingest_progress import IngestProgress


def figures(p: IngestProgress, now: float) -> Content:
    elapsed = p.elapsed(now)
    total = p.total
    files = f"{p.done:,} / {total:,}" if total is not None else f"{p.done:,} / {p.discovered:,} found so far"
    if p.origin == "here":
        size = f"{fmt.human_bytes(p.done_bytes)} / {fmt.human_bytes(p.discovered_bytes)}"
    else:
        size = f"{fmt.human_bytes(p.done_bytes)} hashed"
    cpm = p.clips_per_minute(now)
    bps = p.bytes_per_second(now)
    rate = " · ".join([f"{cpm:.1f} clips/min" if cpm else "— clips/min",
                       f"{fmt.human_bytes(bps)}/s" if bps else "— MB/s",
                       f"ETA {fmt.eta(p.eta_seconds(now))}", f"elapsed {fmt.human_duration(elapsed)}"])
    outcomes = " · ".join(f"{p.outcomes[k]:,} {label}" for k, label in (
        ("new", "new"), ("updated", "updated"), ("known", "unchanged"), ("duplicate", "duplicates"),
        ("passed_over", "passed over"), ("failed", "failed")) if p.outcomes.get(k)) or "nothing finished yet"
    rows = [("Files", files), ("Bytes", size), ("Rate", rate), ("Outcome", outcomes)]
    return Content("\n").join(Content.assemble((f"{label:<9}", "$foreground-muted"), value) for label, value in rows)


class IngestOverview(Vertical):
    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="ingest-bar")
        yield Static("", id="ingest-figures")

    def show(self, p: IngestProgress | None, now: float) -> None:
        bar = self.query_one(ProgressBar)
        text = self.query_one("#ingest-figures", Static)
        self.display = p is not None
        if p is None:
            return
        total = p.total
        if total is None and p.state != "running":
            total = max(p.done, 1)
        bar.update(total=total if total is not None else None, progress=p.done if total else 0)
        text.update(figures(p, now))
