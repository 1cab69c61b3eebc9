"""The top line of every main screen: which mode is showing and the keys that switch modes."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

MODES = (("1", "browse", "Browse"), ("2", "search", "Search"), ("3", "ingest", "Ingest"),
         ("4", "collections", "Collections"))


EXTRA_MODES = (("5", "people", "People"),)  # shown while current (keeps the line of the other modes as it was)


def mode_line(current: str) -> Content:
    parts: list = [("vcat ", "bold")]
    for key, mode, label in MODES + tuple(m for m in EXTRA_MODES if m[1] == current):
        if mode == current:
            parts.append((f" {key} {label} ", "reverse bold"))
        else:
            parts.append((f" {key} ", "bold $text-accent"))
            parts.append((f"{label} ", "$foreground-muted"))
    parts.append(("  ? help · ^p commands", "$foreground-muted"))
    return Content.assemble(*parts)


class ModeBar(Static):
    def __init__(self, current: str) -> None:
        super().__init__(mode_line(current), classes="mode-bar")
        self.current = current
