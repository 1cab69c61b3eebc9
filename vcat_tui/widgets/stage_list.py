"""Per-stage progress of a run: a bar per stage with done / failed / active counts and the mean time per clip."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar, Static

from ..ingest_progress import IngestProgress, StageProgress


def stage_text(st: StageProgress) -> str:
    """`12 ok · 1 failed · 2 busy · 0.41 s` (the last: mean seconds per clip)."""
    parts = [f"{st.finished:,} ok"]
    if st.failed:
        parts.append(f"{st.failed:,} failed")
    if st.active:
        parts.append(f"{st.active:,} busy")
    if st.mean_seconds is not None:
        parts.append(f"{st.mean_seconds:.2f} s")
    return " · ".join(parts)


class StageRow(Horizontal):
    def __init__(self, name: str) -> None:
        super().__init__(classes="stage-row")
        self.stage = name

    def compose(self) -> ComposeResult:
        yield Label(self.stage, classes="stage-name")
        yield ProgressBar(total=None, show_eta=False, show_percentage=False, classes="stage-bar")
        yield Static("", classes="stage-counts")

    def show(self, st: StageProgress, total: int | None) -> None:
        self.query_one(ProgressBar).update(total=total, progress=st.done)
        self.query_one(".stage-counts", Static).update(stage_text(st))


class StageList(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("", id="stage-note")

    def show(self, p: IngestProgress | None) -> None:
        if not self.is_attached:  # the app is closing
            return
        note = self.query_one("#stage-note", Static)
        if p is None or p.origin != "here":
            for row in self.query(StageRow):
                row.remove()
            note.update("" if p is None else "Per-stage progress is shown for runs started here.")
            note.display = p is not None
            return
        note.display = not p.stages
        note.update("waiting for the first file…")
        rows = {row.stage: row for row in self.query(StageRow)}
        for name in set(rows) - set(p.stages):  # rows of a previous run
            rows.pop(name).remove()
        for name, st in p.stages.items():
            row = rows.get(name)
            if row is None:
                row = StageRow(name)
                self.mount(row)
                row.call_after_refresh(row.show, st, p.stage_total())
            else:
                row.show(st, p.stage_total())
