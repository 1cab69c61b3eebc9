"""Search: results update as you type (debounced), arrow down into them, enter opens a clip.

It calls `Catalog.search()`, so when search turns semantic/hybrid the screen does not change.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from .. import format as fmt
from ..messages import ClipChosen, SelectionChanged, TableLoaded
from ..sources import SearchSource
from ..widgets.clip_table import ClipTable
from ..widgets.mode_bar import ModeBar
from .clip_actions import CLIP_BINDINGS, ClipActions
from .detail_screen import DetailScreen

DEBOUNCE = 0.25
RESULTS = 500


class SearchScreen(ClipActions, Screen):
    BINDINGS = [
        Binding("down", "focus_results", "Results", show=False),
        Binding("escape", "toggle_focus", "Query ⇄ results"),
        *CLIP_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self.query_text = ""
        self._seen_version = -1

    def compose(self) -> ComposeResult:
        yield ModeBar("search")
        yield Static("Search", id="search-title", classes="screen-title")
        yield Input(placeholder="Search names, paths, cameras, codecs, tags…", id="search-input")
        yield ClipTable(id="search-results", empty_text="Type to search the catalog.")
        yield Footer()

    @property
    def table(self) -> ClipTable:
        return self.query_one("#search-results", ClipTable)

    def on_mount(self) -> None:
        self._seen_version = self.app.catalog_version
        self.query_one("#search-input", Input).focus()

    def on_screen_resume(self) -> None:
        if self._seen_version != self.app.catalog_version:
            self.reload_clips()

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self.search(value))

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if event.value != self.query_text or self.table.source is None:
            self.search(event.value)
        self.table.focus()

    def search(self, text: str) -> None:
        self.query_text = text
        table = self.table
        table.clear_selection()
        if not text.strip():
            table.empty_text = "Type to search the catalog."
        else:
            table.empty_text = f"Nothing matches {text.strip()!r}."
        table.load(SearchSource(self.app.catalog, text, limit=RESULTS))
        self._update_title()

    def _update_title(self) -> None:
        parts = ["Search"]
        total = self.table.total
        if self.query_text.strip():
            if total is None:
                parts.append("searching…")
            else:
                parts.append(fmt.plural(total, "result") + ("+" if total >= RESULTS else ""))
        if self.table.selected:
            parts.append(f"{len(self.table.selected):,} selected")
        self.query_one("#search-title", Static).update(" · ".join(parts))

    @on(TableLoaded)
    def _loaded(self) -> None:
        self._update_title()

    @on(SelectionChanged)
    def _selection(self) -> None:
        self._update_title()

    @on(ClipChosen)
    def _chosen(self, msg: ClipChosen) -> None:
        source = self.table.source
        moments = source.moments if isinstance(source, SearchSource) else {}
        self.app.push_screen(DetailScreen(msg.clip.id, step=self._step, moment_of=moments.get))

    def _step(self, delta: int) -> int | None:
        table = self.table
        table.move_cursor(table.cursor + delta)
        return table.current.id if table.current else None

    def action_focus_results(self) -> None:
        if self.table.total:
            self.table.focus()

    def action_toggle_focus(self) -> None:
        """escape: from the query to the results (so 1-4 switch screens again), and back."""
        query = self.query_one("#search-input", Input)
        if query.has_focus:
            if self.table.total:
                self.table.focus()
            else:
                self.set_focus(None)
        else:
            query.focus()

    def export_what(self) -> tuple[str, dict] | None:
        """The selection; with none, every result of the current search, each cut to its moment."""
        if not self.table.selected and self.query_text.strip() and self.table.total:
            return f"the results of {self.query_text.strip()!r}", {"query": self.query_text, "limit": RESULTS}
        return super().export_what()

    def clip_targets(self) -> list[int]:
        return self.table.target_ids() if self.table.has_focus or self.table.selected else []

    def clip_path(self) -> str | None:
        current = self.table.current
        return current.path if current and self.table.has_focus else None

    def reload_clips(self) -> None:
        self._seen_version = self.app.catalog_version
        if self.table.source is not None:
            self.table.reload()
