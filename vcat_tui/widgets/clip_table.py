"""A table of clips that stays fast at any catalog size.

It is a Line API widget (Toolong's approach): it holds no row widgets, only the pages of `ClipSummary` rows the
screen has shown lately, and draws each visible line on demand. Pages (`PAGE` rows) come from a `ClipSource` in
worker threads, nearest the cursor first and at most `MAX_IN_FLIGHT` at a time; a row whose page is still on its way
is drawn as a placeholder. Moving the cursor never waits for the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vcat_core.models import ClipSummary

from .. import format as fmt
from ..messages import ClipHighlighted, SelectionChanged, TableLoaded
from ..sources import ClipSource
from .clip_pages import ClipPages, PagedClips, PageLoaded, PagesCounted, PagesFailed


def _flags(c: ClipSummary) -> str:
    out = []
    if c.exposure_warning:
        out.append({"overexposed": "over", "underexposed": "under"}.get(c.exposure_warning, c.exposure_warning))
    if c.is_vfr:
        out.append("vfr")
    if c.status == "partial":
        out.append("partial")
    if c.locations > 1:
        out.append(f"x{c.locations}")
    return " ".join(out)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # cells; the name column takes what is left (at least this)
    text: Callable[[ClipSummary], str]
    sort: str | None = None  # the catalog's sort key, when the column can be sorted
    right: bool = False
    drop: int = 0  # at narrow widths, columns with the highest `drop` go first


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", 22, lambda c: c.name, "name"),
    Column("duration", "Duration", 8, lambda c: fmt.human_duration(c.duration_seconds), "duration", right=True),
    Column("resolution", "Resolution", 10, lambda c: fmt.resolution(c.width, c.height), "width", right=True, drop=2),
    Column("fps", "FPS", 6, lambda c: fmt.fps(c.frame_rate), "fps", right=True, drop=4),
    Column("codec", "Codec", 8, lambda c: c.codec or "—", "codec", drop=3),
    Column("camera", "Camera", 14, lambda c: c.camera or "—", "camera", drop=6),
    Column("date", "Date", 16, lambda c: fmt.date(c.created_at), "created", drop=5),
    Column("flags", "Flags", 10, _flags, None, drop=1),
    Column("tags", "Tags", 14, lambda c: ", ".join(c.tags), None, drop=7),
    Column("rating", "Rating", 9, lambda c: " ".join(t for t, _ in fmt.cull_parts(c.rating, c.pick, c.label)),
           "rating", drop=1),
)
SORTABLE = [c for c in COLUMNS if c.sort]
MARK_WIDTH = 2


class ClipTable(PagedClips, ScrollView, can_focus=True):
    """Clips from a `ClipSource`, one line each, under a fixed header; space selects, enter opens."""

    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First clip", show=False),
        Binding("end,G", "last", "Last clip", show=False),
        Binding("enter", "choose", "Open"),
        Binding("space", "toggle_select", "Select"),
        Binding("s", "cycle_sort", "Sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False),
    ]

    COMPONENT_CLASSES = {
        "clip-table--header", "clip-table--header-sorted", "clip-table--cursor", "clip-table--cursor-blurred",
        "clip-table--selected", "clip-table--loading", "clip-table--flags", "clip-table--tags",
        "clip-table--message",
    }

    PAGE = 100
    MAX_PAGES = 60
    MAX_IN_FLIGHT = 2

    def __init__(self, *, empty_text: str = "No clips.", name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.empty_text = empty_text
        self.pager = ClipPages(self, page_size=self.PAGE, max_pages=self.MAX_PAGES, max_in_flight=self.MAX_IN_FLIGHT)
        self.cursor = 0
        self.selected: dict[int, ClipSummary] = {}
        self.error: str | None = None
        self._pump_scheduled = False
        self._columns_cache: tuple[int, list[tuple[Column, int]]] | None = None
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)  # drawn rows: scrolling redraws every line
        self._base_style: Style | None = None
        self._last_highlight: object = object()

    # ---- public API --------------------------------------------------------------------------------------------

    def load(self, source: ClipSource, *, keep_cursor: bool = False) -> None:
        """Show `source`'s rows. `keep_cursor` (a reload of the same query) keeps the cursor and draws the old rows
        until the new ones arrive; otherwise the cursor goes back to the first row."""
        self.pager.load(source, keep_rows=keep_cursor)
        self.error = None
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
        self._update_virtual_size()
        self.refresh()

    def clear(self, message: str) -> None:
        """No source: an empty table showing `message`."""
        self.pager.load(None)
        self.pager.total = 0
        self.empty_text, self.cursor, self.error = message, 0, None
        self.selected.clear()
        self._update_virtual_size()
        self.refresh()
        self.post_message(TableLoaded(0))
        self._announce()

    @property
    def loaded(self) -> bool:
        """The count is known and every visible row is drawn from the current source."""
        if self.total is None:
            return False
        return all(self.pager.has(p * self.PAGE) for p in self._visible_pages())

    def clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self.refresh()
            self.post_message(SelectionChanged(0))

    def move_cursor(self, index: int) -> None:
        if not self.total:
            return
        index = max(0, min(index, self.total - 1))
        old, self.cursor = self.cursor, index
        self._scroll_to_cursor()
        self.refresh_lines(old + 1)
        self.refresh_lines(index + 1)
        self._announce()
        self._schedule_pump()

    def sort_by(self, sort: str | None, descending: bool = False) -> None:
        if self.source is not None:
            self.load(self.source.sorted(sort, descending))

    # ---- loading -----------------------------------------------------------------------------------------------

    def _visible_pages(self) -> list[int]:
        if not self.total:
            return []
        first = int(self.scroll_offset.y)
        last = min(first + max(self.size.height - 1, 1), self.total) - 1
        pages = list(range(first // self.PAGE, last // self.PAGE + 1))
        cursor_page = self.cursor // self.PAGE
        return ([cursor_page] if cursor_page not in pages else []) + pages

    def _schedule_pump(self) -> None:
        if not self._pump_scheduled:
            self._pump_scheduled = True
            self.call_later(self._pump)

    def _pump(self) -> None:
        self._pump_scheduled = False
        self.pager.fetch(self._visible_pages())

    @on(PagesCounted)
    def _counted(self, msg: PagesCounted) -> None:
        if not self.pager.counted(msg):
            return
        self.cursor = max(0, min(self.cursor, msg.total - 1))
        self._update_virtual_size()
        self._scroll_to_cursor()
        self.refresh()
        self._pump()
        self.post_message(TableLoaded(msg.total))
        self._announce()

    @on(PageLoaded)
    def _page_loaded(self, msg: PageLoaded) -> None:
        if not self.pager.loaded(msg, keep=self._visible_pages()):
            self._pump()
            return
        if self.selected:  # keep selected summaries current (tags change after a reload)
            for row in msg.rows:
                if row.id in self.selected:
                    self.selected[row.id] = row
        self.refresh()
        self._pump()
        if self.cursor // self.PAGE == msg.page:
            self._announce()

    @on(PagesFailed)
    def _failed(self, msg: PagesFailed) -> None:
        if not self.pager.failed(msg):
            return
        self.error = msg.error
        self._update_virtual_size()
        self.refresh()
        self.notify(msg.error, title="Could not read the catalog", severity="error")

    def _announce(self) -> None:
        current = self.current
        key = (current.id, tuple(current.tags)) if current else None
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(ClipHighlighted(current))

    # ---- geometry ----------------------------------------------------------------------------------------------

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, (self.total or 0) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_to_cursor()
        self._schedule_pump()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._schedule_pump()

    def _scroll_to_cursor(self) -> None:
        rows_visible = max(self.size.height - 1, 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + rows_visible:
            self.scroll_to(y=self.cursor - rows_visible + 1, animate=False, immediate=True)

    def _layout(self, width: int) -> list[tuple[Column, int]]:
        if self._columns_cache and self._columns_cache[0] == width:
            return self._columns_cache[1]
        cols = list(COLUMNS)
        available = width - MARK_WIDTH

        def needed(cs: list[Column]) -> int:
            return sum(c.width + 1 for c in cs)

        while needed(cols) > available and len(cols) > 1:
            cols.remove(max(cols, key=lambda c: c.drop))
        spare = max(available - needed(cols), 0)
        out = [(c, c.width + (spare if c.key == "name" else 0)) for c in cols]
        self._columns_cache = (width, out)
        return out

    # ---- drawing -----------------------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._columns_cache = None
        self._strips.clear()

    def render_lines(self, crop):
        self._base_style = self.rich_style  # walks every ancestor's styles: once per pass, not once per line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._base_style if self._base_style is not None else self.rich_style
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if self.total is None or self.total == 0:
            if y == 1:
                text = "Loading…" if self.total is None else (self.error or self.empty_text)
                style = base + self.get_component_rich_style("clip-table--message")
                return Strip([Segment(set_cell_size(" " + text, width), style)], width)
            return Strip.blank(width, base)
        if index >= self.total:
            return Strip.blank(width, base)
        clip = self.row(index)
        if clip is None:
            self._schedule_pump()
            style = base + self.get_component_rich_style("clip-table--loading")
            if index == self.cursor:
                style += self._cursor_style()
            return Strip([Segment(set_cell_size("  …", width), style)], width)
        key = (id(clip), index, width, index == self.cursor, clip.id in self.selected, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._row(clip, index, width, base)
        return strip

    def _cursor_style(self) -> Style:
        return self.get_component_rich_style("clip-table--cursor" if self.has_focus else "clip-table--cursor-blurred")

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("clip-table--header")
        sorted_style = style + self.get_component_rich_style("clip-table--header-sorted")
        sort = self.source.sort if self.source else None
        arrow = "▼" if self.source and self.source.descending else "▲"
        segs = [Segment(" " * MARK_WIDTH, style)]
        for col, w in self._layout(width):
            is_sorted = col.sort is not None and col.sort == sort
            label = f"{col.label} {arrow}" if is_sorted else col.label
            segs.append(Segment(_fit(label, w, col.right) + " ", sorted_style if is_sorted else style))
        return _finish(segs, width, style)

    def _row(self, clip: ClipSummary, index: int, width: int, base: Style) -> Strip:
        style = base
        selected = clip.id in self.selected
        if selected:
            style += self.get_component_rich_style("clip-table--selected")
        if index == self.cursor:
            style += self._cursor_style()
        segs = [Segment("● " if selected else "  ", style)]
        for col, w in self._layout(width):
            text = _fit(col.text(clip), w, col.right) + " "
            if col.key == "flags" and text.strip():
                segs.append(Segment(text, style + self.get_component_rich_style("clip-table--flags", partial=True)))
            elif col.key == "tags" and text.strip():
                segs.append(Segment(text, style + self.get_component_rich_style("clip-table--tags", partial=True)))
            elif col.key == "rating" and text.strip():
                segs.extend(_cull_segments(clip, w, style))
            else:
                segs.append(Segment(text, style))
        return _finish(segs, width, style)

    # ---- input -------------------------------------------------------------------------------------------------

    def _page_rows(self) -> int:
        return max(self.size.height - 2, 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - self._page_rows())

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + self._page_rows())

    def _selection_toggled(self) -> None:
        self.refresh_lines(self.cursor + 1)

    def action_cycle_sort(self) -> None:
        if self.source is None:
            return
        keys = [c.sort for c in SORTABLE]
        now = self.source.sort
        nxt = keys[(keys.index(now) + 1) % len(keys)] if now in keys else keys[0]
        self.sort_by(nxt, False)

    def action_reverse_sort(self) -> None:
        if self.source is not None:
            self.sort_by(self.source.sort or "name", not self.source.descending)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = MARK_WIDTH
            for col, w in self._layout(self.scrollable_content_region.width):
                if x <= offset.x < x + w + 1 and col.sort:
                    same = self.source is not None and self.source.sort == col.sort
                    self.sort_by(col.sort, not self.source.descending if same else False)
                    return
                x += w + 1
            return
        self.move_cursor(int(self.scroll_offset.y) + offset.y - 1)
        if event.chain >= 2:
            self.action_choose()

    def on_focus(self) -> None:
        self.refresh_lines(self.cursor + 1)

    def on_blur(self) -> None:
        self.refresh_lines(self.cursor + 1)


def _cull_segments(clip: ClipSummary, width: int, style: Style) -> list[Segment]:
    """Stars, pick / reject mark and the label's coloured dot, each in its own style, padded to `width` + 1."""
    segs, used = [], 0
    for text, part_style in fmt.cull_parts(clip.rating, clip.pick, clip.label):
        piece = ("" if not segs else " ") + text
        segs.append(Segment(piece, style + Style.parse(part_style) if part_style else style))
        used += cell_len(piece)
    segs.append(Segment(" " * max(width + 1 - used, 1), style))
    return segs


def _fit(text: str, width: int, right: bool = False) -> str:
    text = text.replace("\n", " ")
    if cell_len(text) > width:
        return set_cell_size(text, max(width - 1, 0)) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - cell_len(text))
    return pad + text if right else text + pad


def _finish(segs: list[Segment], width: int, fill: Style) -> Strip:
    return Strip(segs).adjust_cell_length(width, fill)
