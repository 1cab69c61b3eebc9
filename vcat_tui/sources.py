"""Where a clip table's rows come from. The table asks for a count and for pages (offset/limit) from worker
threads, so a source may be slow (a database query) but must be safe to call from any thread.

- `CatalogSource` pages through `Catalog.list_clips` with filters and a sort: the catalog is never loaded whole. A
  page past the middle is read from the end (`from_end`), so `end` on a million clips costs what `home` does.
- `SearchSource` runs `Catalog.search` once (the top hits) and serves pages from that list; a sort other than
  relevance orders the hits in memory.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol

from vcat_core.models import ClipFilter, ClipSummary
from vcat_core.service import Catalog


class ClipSource(Protocol):
    sort: str | None
    descending: bool

    def count(self) -> int: ...

    def page(self, offset: int, limit: int) -> list[ClipSummary]: ...

    def sorted(self, sort: str | None, descending: bool) -> "ClipSource": ...

    def refreshed(self) -> "ClipSource": ...  # the same query, to be read again (after an edit)


@dataclass(frozen=True)
class CatalogSource:
    catalog: Catalog = field(repr=False, compare=False)
    filters: ClipFilter = field(default_factory=ClipFilter)
    sort: str | None = "name"
    descending: bool = False

    counted: dict[str, int] = field(default_factory=dict, repr=False, compare=False)  # the count, once known

    def count(self) -> int:
        self.counted["total"] = total = self.catalog.count_clips(self.filters)
        return total

    def page(self, offset: int, limit: int) -> list[ClipSummary]:
        total = self.counted.get("total")
        if total is not None and offset > total // 2:
            end = min(offset + limit, total)
            return self.catalog.list_clips(self.filters, sort=self.sort or "name", descending=self.descending,
                                           limit=max(end - offset, 0), offset=total - end, from_end=True)
        return self.catalog.list_clips(self.filters, sort=self.sort or "name", descending=self.descending,
                                       limit=limit, offset=offset)

    def sorted(self, sort: str | None, descending: bool) -> "CatalogSource":
        return replace(self, sort=sort or "name", descending=descending, counted={})

    def refreshed(self) -> "CatalogSource":
        return replace(self, counted={})  # counted again: clips may have come or gone


def _sort_key(sort: str) -> Callable[[ClipSummary], Any]:
    getters: dict[str, Callable[[ClipSummary], Any]] = {
        "name": lambda c: c.name.lower(), "duration": lambda c: c.duration_seconds,
        "created": lambda c: c.created_at, "size": lambda c: c.size, "width": lambda c: c.width,
        "fps": lambda c: c.frame_rate, "codec": lambda c: c.codec, "camera": lambda c: c.camera, "id": lambda c: c.id,
        "rating": lambda c: c.rating,
    }
    get = getters[sort]

    def key(c: ClipSummary) -> tuple:
        value = get(c)
        return (value is None, value if value is not None else 0, c.id)  # missing values last

    return key


class SearchSource:
    """The hits of one query (at most `limit`), fetched on first use and then paged from memory."""

    def __init__(self, catalog: Catalog, query: str, filters: ClipFilter | None = None, *, limit: int = 500,
                 sort: str | None = None, descending: bool = False, _hits: list[ClipSummary] | None = None):
        self.catalog, self.query, self.filters, self.limit = catalog, query, filters, limit
        self.sort, self.descending = sort, descending
        self._hits = _hits
        self.moments: dict[int, float] = {}  # clip id -> seconds: where inside the clip the hit is
        self._lock = threading.Lock()

    def _all(self) -> list[ClipSummary]:
        with self._lock:
            if self._hits is None:
                hits = []
                if self.query.strip():
                    result = self.catalog.search_hits(self.query, self.filters, limit=self.limit)
                    hits = [h.clip for h in result.hits]
                    self.moments = {h.clip.id: h.moment["start_seconds"] for h in result.hits
                                    if h.moment and h.moment.get("start_seconds") is not None}
                if self.sort:
                    hits = sorted(hits, key=_sort_key(self.sort), reverse=self.descending)
                self._hits = hits
            return self._hits

    def count(self) -> int:
        return len(self._all())

    def page(self, offset: int, limit: int) -> list[ClipSummary]:
        return self._all()[offset:offset + limit]

    def sorted(self, sort: str | None, descending: bool) -> "SearchSource":
        hits = None
        if self._hits is not None and sort:
            hits = sorted(self._hits, key=_sort_key(sort), reverse=descending)
        out = SearchSource(self.catalog, self.query, self.filters, limit=self.limit, sort=sort,
                           descending=descending, _hits=hits)
        out.moments = self.moments if hits is not None else {}
        return out

    def refreshed(self) -> "SearchSource":
        return SearchSource(self.catalog, self.query, self.filters, limit=self.limit, sort=self.sort,
                            descending=self.descending)
