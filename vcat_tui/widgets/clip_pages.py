"""The rows of a `ClipSource`, a page at a time, for the widgets that show clips (ClipTable, ClipGrid).

The count and each page are read in worker threads of the owning widget and come back as messages to it
(`PagesCounted`, `PageLoaded`, `PagesFailed`); each carries the generation of the source it was read from, so an
answer for a source that has since been replaced is dropped. A reload of the same query (`keep_rows`) keeps the old
rows as stand-ins until the new ones arrive, so nothing blinks.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from textual.message import Message
from textual.widget import Widget

from vcat_core.models import ClipSummary

from ..messages import ClipChosen, SelectionChanged
from ..sources import ClipSource


class PagesCounted(Message, bubble=False):
    def __init__(self, generation: int, total: int) -> None:
        super().__init__()
        self.generation, self.total = generation, total


class PageLoaded(Message, bubble=False):
    def __init__(self, generation: int, page: int, rows: list[ClipSummary]) -> None:
        super().__init__()
        self.generation, self.page, self.rows = generation, page, rows


class PagesFailed(Message, bubble=False):
    def __init__(self, generation: int, page: int | None, error: str) -> None:
        super().__init__()
        self.generation, self.page, self.error = generation, page, error


class ClipPages:
    """Pages of `page_size` rows of one source, at most `max_pages` kept and `max_in_flight` read at a time."""

    def __init__(self, owner: Widget, *, page_size: int, max_pages: int, max_in_flight: int) -> None:
        self.owner = owner
        self.page_size, self.max_pages, self.max_in_flight = page_size, max_pages, max_in_flight
        self.source: ClipSource | None = None
        self.total: int | None = None
        self.generation = 0
        self.pages: OrderedDict[int, list[ClipSummary]] = OrderedDict()
        self.stale: dict[int, list[ClipSummary]] = {}
        self.loading: set[int] = set()

    def load(self, source: ClipSource | None, *, keep_rows: bool = False) -> None:
        """Switch to `source` (None: no rows) and, when there is one, start counting its rows."""
        self.source = source
        self.generation += 1
        self.stale = dict(self.pages) if keep_rows else {}
        self.pages.clear()
        self.loading.clear()
        if not keep_rows:
            self.total = None
        if source is None:
            return
        generation, owner = self.generation, self.owner

        def work() -> None:
            try:
                total = source.count()
            except Exception as exc:  # noqa: BLE001 - shown by the widget, the app keeps running
                owner.post_message(PagesFailed(generation, None, str(exc)))
                return
            owner.post_message(PagesCounted(generation, total))

        owner.run_worker(work, thread=True, group="clip-pages-count", exit_on_error=False)
        if not keep_rows:
            self._start(0)  # the first page is read beside the count (at 10⁶ clips each takes a few hundred ms)

    def row(self, index: int) -> ClipSummary | None:
        if self.total is None or not 0 <= index < self.total:
            return None
        page = self.pages.get(index // self.page_size) or self.stale.get(index // self.page_size)
        if page is None or index % self.page_size >= len(page):
            return None
        return page[index % self.page_size]

    def has(self, index: int) -> bool:
        """Whether `index`'s page is read from the current source (not a stand-in)."""
        return index // self.page_size in self.pages

    def fetch(self, pages: Iterable[int]) -> None:
        """Start reading these pages (in this order) that are neither here nor on their way."""
        if self.source is None or self.total is None:
            return
        for page in pages:
            if len(self.loading) >= self.max_in_flight:
                break
            if page not in self.pages and page not in self.loading:
                self._start(page)

    def _start(self, page: int) -> None:
        self.loading.add(page)
        source, generation, owner, size = self.source, self.generation, self.owner, self.page_size

        def work() -> None:
            try:
                rows = source.page(page * size, size)
            except Exception as exc:  # noqa: BLE001
                owner.post_message(PagesFailed(generation, page, str(exc)))
                return
            owner.post_message(PageLoaded(generation, page, rows))

        owner.run_worker(work, thread=True, group="clip-pages", exit_on_error=False)

    def counted(self, msg: PagesCounted) -> bool:
        """Take a count; False when it is for a replaced source."""
        if msg.generation != self.generation:
            return False
        self.total = msg.total
        self.stale = {p: rows for p, rows in self.stale.items() if p * self.page_size < msg.total}
        return True

    def loaded(self, msg: PageLoaded, keep: Iterable[int] = ()) -> bool:
        """Take a page (dropping the oldest pages not in `keep` beyond `max_pages`); False when it is stale."""
        self.loading.discard(msg.page)
        if msg.generation != self.generation:
            return False
        self.pages[msg.page] = msg.rows
        self.pages.move_to_end(msg.page)
        self.stale.pop(msg.page, None)
        keep = set(keep)
        while len(self.pages) > self.max_pages:
            oldest = next((p for p in self.pages if p not in keep), None)
            if oldest is None:
                break
            del self.pages[oldest]
        return True

    def failed(self, msg: PagesFailed) -> bool:
        """Take a failure; False when it is for a replaced source."""
        if msg.page is not None:
            self.loading.discard(msg.page)
        if msg.generation != self.generation:
            return False
        if self.total is None:
            self.total = 0
        return True

    def replace_rows(self, clip_ids: set[int], update: dict) -> list[ClipSummary]:
        """Rows of these clips with new field values (in place, pages and stand-ins); returns the new rows."""
        out = []
        for rows in (*self.pages.values(), *self.stale.values()):
            for i, row in enumerate(rows):
                if row.id in clip_ids:
                    rows[i] = row.model_copy(update=update)
                    out.append(rows[i])
        return out


class PagedClips:
    """What a widget showing clips through `self.pager` answers the same way (ClipTable, ClipGrid): its source and
    count, the row at an index, the clip under the cursor, what an action applies to, a reload in place."""

    pager: ClipPages
    cursor: int
    selected: dict[int, ClipSummary]

    def load(self, source: ClipSource, *, keep_cursor: bool = False) -> None:
        raise NotImplementedError

    @property
    def source(self) -> ClipSource | None:
        return self.pager.source

    @property
    def total(self) -> int | None:
        return self.pager.total

    def row(self, index: int) -> ClipSummary | None:
        return self.pager.row(index)

    @property
    def current(self) -> ClipSummary | None:
        return self.row(self.cursor)

    def target_ids(self) -> list[int]:
        """What an action applies to: the selected clips, else the one under the cursor."""
        if self.selected:
            return list(self.selected)
        current = self.current
        return [current.id] if current else []

    def reload(self) -> None:
        if self.source is not None:
            self.load(self.source.refreshed(), keep_cursor=True)

    # the keys both share (each widget binds them and moves its own cursor)

    def move_cursor(self, index: int) -> None:
        raise NotImplementedError

    def _selection_toggled(self) -> None:
        """The current clip's selection mark changed: redraw it (before the cursor moves on)."""

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor((self.total or 1) - 1)

    def action_choose(self) -> None:
        if (clip := self.current) is not None:
            self.post_message(ClipChosen(clip))

    def action_toggle_select(self) -> None:
        clip = self.current
        if clip is None:
            return
        if clip.id in self.selected:
            del self.selected[clip.id]
        else:
            self.selected[clip.id] = clip
        self._selection_toggled()
        self.post_message(SelectionChanged(len(self.selected)))
        self.move_cursor(self.cursor + 1)
