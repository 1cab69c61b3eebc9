"""Browse: the whole catalog as a table (paged from the catalog, never loaded whole), a filter bar, and a preview of
the highlighted clip."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from vcat_core.models import ClipFilter
from vcat_core.service import LABELS

from .. import format as fmt
from .. import images
from ..filters import is_empty
from ..messages import (
    ClipChosen,
    ClipHighlighted,
    DetailLoaded,
    FiltersChanged,
    SelectionChanged,
    TableLoaded,
)
from ..sources import CatalogSource
from ..suggesters import FilterSuggester
from ..widgets.clip_preview import ClipPreview
from ..widgets.clip_table import ClipTable
from ..widgets.filter_bar import FilterBar
from ..widgets.mode_bar import ModeBar
from .clip_actions import CLIP_BINDINGS, ClipActions
from .detail_screen import DetailScreen
from .grid_screen import GridScreen, GridState

PREVIEW_DELAY = 0.12  # seconds the cursor must rest on a clip before its preview loads
PREVIEW_WIDTH = 320  # thumbnail variant (pixels wide) the preview decodes


class BrowseScreen(ClipActions, Screen):
    BINDINGS = [
        Binding("f", "focus_filter", "Filter"),
        Binding("g", "grid", "Grid"),
        Binding("F", "clear_filters", "Clear filters", show=False),
        *CLIP_BINDINGS,
        Binding("escape", "clear_selection", "Clear selection", show=False),
        Binding("r", "reload", "Reload", show=False),
    ]

    class _Suggestions(Message, bubble=False):
        def __init__(self, values: dict[str, list[str]]) -> None:
            super().__init__()
            self.values = values

    def __init__(self) -> None:
        super().__init__()
        self.filters = ClipFilter()
        self._preview_timer: Timer | None = None
        self._seen_version = -1
        self._suggestions_stale = True  # the filter bar's completions are read when it is first used

    def compose(self) -> ComposeResult:
        yield ModeBar("browse")
        yield Static("Catalog", id="browse-title", classes="screen-title")
        yield FilterBar(id="filter-bar")
        with Horizontal(id="browse-body"):
            yield ClipTable(id="browse-table")
            yield ClipPreview(id="browse-preview")
        yield Footer()

    @property
    def table(self) -> ClipTable:
        return self.query_one("#browse-table", ClipTable)

    def on_mount(self) -> None:
        self._seen_version = self.app.catalog_version
        self._load(keep_cursor=False)
        self.table.focus()

    def on_screen_resume(self) -> None:
        if self._seen_version != self.app.catalog_version:
            self._seen_version = self.app.catalog_version
            self.reload_clips()

    def _load(self, keep_cursor: bool) -> None:
        table = self.table
        table.empty_text = ("The catalog is empty: press 3 to ingest a folder." if is_empty(self.filters)
                            else "No clips match these filters (F clears them).")
        source = CatalogSource(self.app.catalog, self.filters)
        if keep_cursor and table.source is not None:
            source = source.sorted(table.source.sort, table.source.descending)
        table.load(source, keep_cursor=keep_cursor)
        self._update_title()

    def reload_clips(self) -> None:
        self._seen_version = self.app.catalog_version
        self._load(keep_cursor=True)
        self._suggestions_stale = True
        current = self.table.current
        if current is not None:
            self._load_preview(current.id)

    @work(thread=True, group="suggestions", exclusive=True, exit_on_error=False)
    def _load_suggestions(self) -> None:
        """Known codecs, cameras, tags and collections, for the filter bar's completion."""
        catalog = self.app.catalog
        stats = catalog.stats()
        values = {
            "codec": [g["name"] for g in stats["by_codec"] if g["name"] != "unknown"],
            "camera": [g["name"] for g in stats["by_camera"] if g["name"] != "unknown"],
            "tag": [name for name, _ in catalog.list_tags()],
            "collection": [c["name"] for c in catalog.list_collections()],
            "res": FilterSuggester.RESOLUTIONS, "label": list(LABELS),
        }
        self.post_message(self._Suggestions(values))

    @on(_Suggestions)
    def _suggestions(self, msg: _Suggestions) -> None:
        self.query_one(FilterBar).suggester.values = msg.values

    def _update_title(self) -> None:
        parts = ["Catalog"]
        total = self.table.total
        parts.append("…" if total is None else fmt.plural(total, "clip"))
        if not is_empty(self.filters):
            parts.append("filtered")
        if self.table.selected:
            parts.append(f"{len(self.table.selected):,} selected")
        self.query_one("#browse-title", Static).update(" · ".join(parts))

    # ---- events ------------------------------------------------------------------------------------------------

    @on(FiltersChanged)
    def _filters_changed(self, msg: FiltersChanged) -> None:
        self.filters = msg.filters
        self.table.clear_selection()
        self._load(keep_cursor=False)
        self.table.focus()

    @on(FilterBar.Left)
    def _filter_left(self) -> None:
        self.table.focus()

    @on(TableLoaded)
    def _table_loaded(self, msg: TableLoaded) -> None:
        self._update_title()
        if msg.total == 0:
            self.query_one(ClipPreview).clear()

    @on(SelectionChanged)
    def _selection_changed(self) -> None:
        self._update_title()

    @on(ClipHighlighted)
    def _highlighted(self, msg: ClipHighlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        if msg.clip is None:
            return
        clip_id = msg.clip.id
        self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self._load_preview(clip_id))

    @work(thread=True, group="preview", exclusive=True, exit_on_error=False)
    def _load_preview(self, clip_id: int) -> None:
        doc = self.app.catalog.clip_detail(str(clip_id))
        image = None
        if doc:
            frames = images.pick(doc.get("thumbnails") or [], PREVIEW_WIDTH)
            if frames:
                first = next(iter(frames.values()))
                image = images.load(first["path"], PREVIEW_WIDTH)
        self.post_message(DetailLoaded(clip_id, doc, image))

    @on(DetailLoaded)
    def _preview_loaded(self, msg: DetailLoaded) -> None:
        current = self.table.current
        if current is not None and current.id == msg.clip_id:
            self.query_one(ClipPreview).show(msg.doc, msg.image)

    @on(ClipChosen)
    def _chosen(self, msg: ClipChosen) -> None:
        self.app.push_screen(DetailScreen(msg.clip.id, step=self._step))

    def _step(self, delta: int) -> int | None:
        """Move the table's cursor for the detail screen's next/previous clip; the clip id there, if loaded."""
        table = self.table
        table.move_cursor(table.cursor + delta)
        current = table.current
        return current.id if current else None

    # ---- actions -----------------------------------------------------------------------------------------------

    def clip_targets(self) -> list[int]:
        return self.table.target_ids()

    def clip_path(self) -> str | None:
        current = self.table.current
        return current.path if current else None

    def action_focus_filter(self) -> None:
        if self._suggestions_stale:
            self._suggestions_stale = False
            self._load_suggestions()
        self.query_one(FilterBar).focus_input()

    def action_grid(self) -> None:
        """The same clips as thumbnails; back here at the clip and filters the grid ends on."""
        source = self.table.source
        self.app.push_screen(GridScreen(self.filters, self.table.cursor, source.sort if source else "name",
                                        source.descending if source else False), self._grid_closed)

    def _grid_closed(self, state: GridState | None) -> None:
        if state is None:
            return
        if state.filters != self.filters:
            self.query_one(FilterBar).set_filters(state.filters)
        else:
            self.table.move_cursor(state.cursor)

    def action_clear_filters(self) -> None:
        self.query_one(FilterBar).set_filters(ClipFilter())

    def action_clear_selection(self) -> None:
        self.table.clear_selection()

    def action_reload(self) -> None:
        self.reload_clips()
