"""The run's failures as they happen: which file, which stage, and why."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ..ingest_progress import Failure


def failure_lines(failures: list[Failure]) -> Content:
    if not failures:
        return Content.styled("No failures.", "$foreground-muted")
    lines = []
    for f in failures:
        lines.append(Content.assemble(("✗ ", "$error"), f.path, (f"  {f.stage}: ", "$foreground-muted"), f.error))
    return Content("\n").join(lines)


class FailureLog(VerticalScroll):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[int, int] | None = None

    def compose(self):
        yield Static("", id="failure-lines")

    def show(self, failures: list[Failure]) -> None:
        key = (id(failures), len(failures))
        if key == self._shown:
            return
        self._shown = key
        self.query_one("#failure-lines", Static).update(failure_lines(failures))
        self.scroll_end(animate=False)
