"""The grid (g from the list): the same clips, filters and live refresh as the list, drawn as thumbnails, with the
culling keys (0-5 stars, p pick, x reject, 6-9 labels). g or escape goes back to the list at the same clip and
filters."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from vcat_core.models import ClipFilter

from .. import format as fmt
from ..filters import describe, is_empty
from ..messages import ClipChosen, FiltersChanged, SelectionChanged, TableLoaded
from ..sources import CatalogSource
from ..widgets.clip_grid import ClipGrid
from ..widgets.filter_bar import FilterBar
from .clip_actions import CLIP_BINDINGS, ClipActions
from .cull_actions import CULL_BINDINGS, CullActions
from .detail_screen import DetailScreen


@dataclass(frozen=True)
class GridState:
    """What the list takes back when the grid closes."""

    filters: ClipFilter
    cursor: int


class GridScreen(CullActions, ClipActions, Screen[GridState]):
    BINDINGS = [
        Binding("g,escape", "back", "List"),
        Binding("f", "focus_filter", "Filter"),
        Binding("F", "clear_filters", "Clear filters", show=False),
        *CULL_BINDINGS,
        *CLIP_BINDINGS,
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self, filters: ClipFilter | None = None, cursor: int = 0, sort: str | None = "name",
                 descending: bool = False) -> None:
        super().__init__()
        self.filters = filters or ClipFilter()
        self._start_cursor = cursor
        self._sort, self._descending = sort, descending
        self._seen_version = -1

    def compose(self) -> ComposeResult:
        yield Static("Grid", id="grid-title", classes="screen-title")
        yield FilterBar(id="grid-filter-bar")
        yield ClipGrid(id="clip-grid")
        yield Footer()

    @property
    def grid(self) -> ClipGrid:
        return self.query_one(ClipGrid)

    def on_mount(self) -> None:
        self._seen_version = self.app.catalog_version
        bar = self.query_one(FilterBar)
        bar.filters = self.filters
        bar.query_one("#filter-input", Input).value = describe(self.filters)
        self.grid.cursor = self._start_cursor
        self._load(keep_cursor=True)
        self.grid.focus()

    def on_screen_resume(self) -> None:
        if self._seen_version != self.app.catalog_version:
            self.reload_clips()

    def _load(self, keep_cursor: bool) -> None:
        grid = self.grid
        grid.empty_text = ("The catalog is empty: press 3 in the list to ingest a folder." if is_empty(self.filters)
                           else "No clips match these filters (F clears them).")
        grid.load(CatalogSource(self.app.catalog, self.filters, self._sort, self._descending),
                  keep_cursor=keep_cursor)
        self._update_title()

    def reload_clips(self) -> None:
        self._seen_version = self.app.catalog_version
        self._load(keep_cursor=True)

    def _update_title(self) -> None:
        grid = self.grid
        parts = ["Grid", "…" if grid.total is None else fmt.plural(grid.total, "clip")]
        if not is_empty(self.filters):
            parts.append("filtered")
        if grid.selected:
            parts.append(f"{len(grid.selected):,} selected")
        current = grid.current
        if current is not None:
            parts.append(current.name)
        self.query_one("#grid-title", Static).update(" · ".join(parts), layout=False)  # one line, full width

    # ---- events ------------------------------------------------------------------------------------------------

    @on(FiltersChanged)
    def _filters_changed(self, msg: FiltersChanged) -> None:
        self.filters = msg.filters
        self.grid.clear_selection()
        self._load(keep_cursor=False)
        self.grid.focus()

    @on(FilterBar.Left)
    def _filter_left(self) -> None:
        self.grid.focus()

    @on(TableLoaded)
    @on(SelectionChanged)
    def _counts_changed(self) -> None:
        self._update_title()

    def on_clip_highlighted(self) -> None:
        self._update_title()

    @on(ClipChosen)
    def _chosen(self, msg: ClipChosen) -> None:
        self.app.push_screen(DetailScreen(msg.clip.id, step=self._step))

    def _step(self, delta: int) -> int | None:
        self.grid.move_cursor(self.grid.cursor + delta)
        current = self.grid.current
        return current.id if current else None

    # ---- actions -----------------------------------------------------------------------------------------------

    def clip_targets(self) -> list[int]:
        return self.grid.target_ids()

    def clip_path(self) -> str | None:
        current = self.grid.current
        return current.path if current else None

    def cull_current(self):
        return self.grid.current

    def cull_shown(self, ids: list[int], values: dict) -> None:
        self.grid.patch(ids, values)

    def action_back(self) -> None:
        self.dismiss(GridState(self.filters, self.grid.cursor))

    def action_focus_filter(self) -> None:
        self.query_one(FilterBar).focus_input()

    def action_clear_filters(self) -> None:
        self.query_one(FilterBar).set_filters(ClipFilter())

    def action_reload(self) -> None:
        self.reload_clips()
