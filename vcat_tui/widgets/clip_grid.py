"""A grid of clip thumbnails (Lightroom's Library grid) that stays fast at any catalog size.

The grid holds a fixed pool of cell widgets, as many as fit the terminal (rebuilt on resize), and binds them to the
clips around the cursor; the clips come a page at a time from a `ClipSource` in worker threads, and a cell whose
page has not arrived shows "…". Images are loaded only for the cells on screen, in a worker (one catalog query for
their thumbnail paths, then the JPEG decodes), and kept in an LRU cache, so scrolling back is instant and memory
stays flat at 100,000 clips.
"""

from __future__ import annotations

from PIL import Image as PILImage
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from vcat_core.models import ClipSummary

from .. import format as fmt
from .. import images
from ..messages import ClipHighlighted, SelectionChanged, TableLoaded
from ..sources import ClipSource
from .clip_pages import ClipPages, PagedClips, PageLoaded, PagesCounted, PagesFailed
from .thumbnail import Thumbnail

CELL_WIDTH = 24  # cells, border included
CELL_HEIGHT = 10  # image 6 rows + two caption lines + border
IMAGE_WIDTH = 160  # thumbnail variant (pixels wide) the grid decodes


def layout(width: int, height: int) -> tuple[int, int]:
    """(columns, rows) of cells that fit a `width` x `height` area; at least one of each."""
    return max(width // CELL_WIDTH, 1), max(height // CELL_HEIGHT, 1)


def caption(clip: ClipSummary) -> Text:
    """The two lines under a cell's image: the name, then duration and the culling marks."""
    text = Text(clip.name, no_wrap=True, overflow="ellipsis")
    text.append("\n")
    text.append(fmt.human_duration(clip.duration_seconds), style="dim")
    for part, style in fmt.cull_parts(clip.rating, clip.pick, clip.label):
        text.append(" ")
        text.append(part, style=style or "bold yellow")
    return text


class GridCell(Vertical):
    """One clip: its thumbnail and a caption. Bound to a clip by the grid, never owning one."""

    def __init__(self) -> None:
        super().__init__(classes="grid-cell")
        self.clip_id: int | None = None
        self._shown: tuple = (object(), None)
        self._cursor = False

    def compose(self) -> ComposeResult:
        yield Thumbnail("", classes="grid-image")
        yield Static("", classes="grid-caption")

    def bind(self, clip: ClipSummary | None, image: PILImage.Image | bool | None, *, loading: bool, cursor: bool,
             selected: bool) -> None:
        """Show `clip` (None: its page is on its way) with `image` (None: not loaded yet, False: it has none)."""
        display = clip is not None or loading
        if self.display != display:
            self.display = display
        self.clip_id = clip.id if clip else None
        if cursor != self._cursor:  # an inline outline, not a class: a class would restyle the cell's subtree
            self._cursor = cursor
            self.styles.outline = ("thick", self.app.current_theme.accent) if cursor else None
        self.set_class(selected, "-selected")
        self.set_class(clip is not None and clip.pick == "reject", "-rejected")
        # only what changed is redrawn: moving the cursor must not re-render every cell's picture
        content = (clip.id, clip.name, clip.duration_seconds, clip.rating, clip.pick, clip.label) if clip else None
        picture = image if isinstance(image, PILImage.Image) else ("none" if image is False else None)
        if (content, id(picture)) == self._shown:
            return
        self._shown = (content, id(picture))
        thumb = self.query_one(Thumbnail)
        if clip is None:
            thumb.show(None, "…")
            self.query_one(".grid-caption", Static).update("", layout=False)
            return
        if isinstance(image, PILImage.Image):
            thumb.show(image)
        else:
            thumb.show(None, "no thumbnail" if image is False else "…")
        self.query_one(".grid-caption", Static).update(caption(clip), layout=False)  # fixed 2 lines


class ClipGrid(PagedClips, Widget, can_focus=True):
    """Clips from a `ClipSource` as a grid of thumbnails; arrows move, space selects, enter opens."""

    BINDINGS = [
        Binding("left,h", "move(-1, 0)", "Left", show=False),
        Binding("right,l", "move(1, 0)", "Right", show=False),
        Binding("up,k", "move(0, -1)", "Up", show=False),
        Binding("down,j", "move(0, 1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First clip", show=False),
        Binding("end,G", "last", "Last clip", show=False),
        Binding("enter", "choose", "Open"),
        Binding("space", "toggle_select", "Select"),
    ]

    PAGE = 120
    MAX_PAGES = 40
    MAX_IN_FLIGHT = 2

    class _ImagesLoaded(Message, bubble=False):
        def __init__(self, images: dict[int, PILImage.Image | None]) -> None:
            super().__init__()
            self.images = images

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pager = ClipPages(self, page_size=self.PAGE, max_pages=self.MAX_PAGES, max_in_flight=self.MAX_IN_FLIGHT)
        self.cursor = 0
        self.top_row = 0
        self.columns, self.rows = 1, 1
        self.selected: dict[int, ClipSummary] = {}
        self.empty_text = "No clips."
        # clip id -> decoded image, or False: the clip has no thumbnail (so it is not asked again)
        self.images: LRUCache[int, PILImage.Image | bool] = LRUCache(600)
        self._images_wanted: set[int] = set()
        self._last_highlight: object = object()

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="grid-message")

    # ---- public API (the same as ClipTable's) ------------------------------------------------------------------

    def load(self, source: ClipSource, *, keep_cursor: bool = False) -> None:
        self.pager.load(source, keep_rows=keep_cursor)
        if not keep_cursor:
            self.cursor, self.top_row = 0, 0
        self._draw()

    @property
    def loaded(self) -> bool:
        """The count is known, every visible clip is drawn and every visible image has been looked for."""
        if self.total is None:
            return False
        visible = self._visible_indexes()
        if not all(self.pager.has(i) for i in visible):
            return False
        return all(self.row(i) is None or self.row(i).id in self.images for i in visible)

    def clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self._draw()
            self.post_message(SelectionChanged(0))

    def patch(self, clip_ids: list[int], values: dict) -> None:
        """Show new field values of these clips now (e.g. a rating just written), before the reload confirms them."""
        for row in self.pager.replace_rows(set(clip_ids), values):
            if row.id in self.selected:
                self.selected[row.id] = row
        self._draw()

    def move_cursor(self, index: int) -> None:
        if not self.total:
            return
        self.cursor = max(0, min(index, self.total - 1))
        row = self.cursor // self.columns
        if row < self.top_row:
            self.top_row = row
        elif row >= self.top_row + self.rows:
            self.top_row = row - self.rows + 1
        self._draw()

    # ---- geometry and drawing ----------------------------------------------------------------------------------

    async def on_resize(self, event: events.Resize) -> None:
        columns, rows = layout(event.size.width, event.size.height)
        if (columns, rows) == (self.columns, self.rows) and self.query(GridCell):
            return
        self.columns, self.rows = columns, rows
        await self.query(GridCell).remove()
        await self.mount_all([GridCell() for _ in range(columns * rows)])
        self.styles.grid_size_columns = columns
        self.move_cursor(self.cursor)
        self._draw()

    def _visible_indexes(self) -> range:
        first = self.top_row * self.columns
        return range(first, min(first + self.columns * self.rows, self.total or 0))

    def _draw(self) -> None:
        message = self.query_one("#grid-message", Static)
        cells = list(self.query(GridCell))
        if not self.total:
            message.update("Loading…" if self.total is None else self.empty_text)
            message.display = True
            for cell in cells:
                cell.display = False
            self._announce()
            return
        message.display = False
        first = self.top_row * self.columns
        want: list[int] = []
        for n, cell in enumerate(cells):
            index = first + n
            clip = self.row(index) if index < self.total else None
            image = self.images.get(clip.id) if clip is not None else None
            if clip is not None and image is None:
                want.append(clip.id)
            cell.bind(clip, image, loading=clip is None and index < self.total, cursor=index == self.cursor,
                      selected=clip is not None and clip.id in self.selected)
        # and the rows just above and below, so scrolling by a row finds their pictures decoded already
        for index in (*range(first - self.columns, first),
                      *range(first + len(cells), first + len(cells) + self.columns)):
            clip = self.row(index)
            if clip is not None and clip.id not in self.images:
                want.append(clip.id)
        self._pump()
        self._load_images(want)
        self._announce()

    def _announce(self) -> None:
        current = self.current
        key = (current.id, current.rating, current.pick, current.label, tuple(current.tags)) if current else None
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(ClipHighlighted(current))

    # ---- loading -----------------------------------------------------------------------------------------------

    def _wanted_pages(self) -> list[int]:
        return sorted({i // self.PAGE for i in self._visible_indexes()} | {self.cursor // self.PAGE})

    def _pump(self) -> None:
        self.pager.fetch(self._wanted_pages())

    def _load_images(self, clip_ids: list[int]) -> None:
        """Decode the thumbnails of these (visible) clips in a worker; ids already on their way are skipped."""
        ids = [i for i in clip_ids if i not in self._images_wanted]
        if not ids:
            return
        self._images_wanted.update(ids)
        catalog = self.app.catalog

        def work() -> None:
            try:
                paths = catalog.poster_thumbnails(ids, IMAGE_WIDTH)
            except Exception:  # noqa: BLE001 - a busy catalog: the cells say "no thumbnail"
                paths = {}
            self.post_message(self._ImagesLoaded({i: images.load(paths[i], IMAGE_WIDTH) if i in paths else None
                                                  for i in ids}))

        self.run_worker(work, thread=True, group="clip-grid-images", exit_on_error=False)

    @on(PagesCounted)
    def _counted(self, msg: PagesCounted) -> None:
        if not self.pager.counted(msg):
            return
        self.move_cursor(self.cursor)
        self._draw()
        self.post_message(TableLoaded(msg.total))

    @on(PageLoaded)
    def _page_loaded(self, msg: PageLoaded) -> None:
        if not self.pager.loaded(msg, keep=self._wanted_pages()):
            self._pump()
            return
        for row in msg.rows:
            if row.id in self.selected:
                self.selected[row.id] = row
        self._draw()

    @on(_ImagesLoaded)
    def _images_loaded(self, msg: _ImagesLoaded) -> None:
        for clip_id, image in msg.images.items():
            self._images_wanted.discard(clip_id)
            self.images.set(clip_id, image if image is not None else False)
        self._draw()

    @on(PagesFailed)
    def _failed(self, msg: PagesFailed) -> None:
        if not self.pager.failed(msg):
            return
        self.empty_text = msg.error
        self._draw()
        self.notify(msg.error, title="Could not read the catalog", severity="error")

    # ---- input -------------------------------------------------------------------------------------------------

    def action_move(self, dx: int, dy: int) -> None:
        self.move_cursor(self.cursor + dx + dy * self.columns)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * self.columns * self.rows)


    def on_click(self, event: events.Click) -> None:
        widget = event.widget
        while widget is not None and not isinstance(widget, GridCell):
            widget = widget.parent
        if isinstance(widget, GridCell):
            cells = list(self.query(GridCell))
            self.move_cursor(self.top_row * self.columns + cells.index(widget))
            if event.chain >= 2:
                self.action_choose()
