"""Messages that cross widgets and screens. Workers report results with these; they never touch widgets."""

from __future__ import annotations

from typing import Any

from PIL import Image as PILImage
from textual.message import Message

from vcat_core.events import IngestEvent
from vcat_core.models import ClipFilter, ClipSummary


class ClipHighlighted(Message):
    """The cursor of a clip table rests on a clip (None: an empty table, or a row still loading)."""

    def __init__(self, clip: ClipSummary | None) -> None:
        super().__init__()
        self.clip = clip


class ClipChosen(Message):
    """Enter on a clip: open its detail."""

    def __init__(self, clip: ClipSummary) -> None:
        super().__init__()
        self.clip = clip


class SelectionChanged(Message):
    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count


class TableLoaded(Message):
    """A clip table knows how many rows its source has (after a new source, a sort or a reload)."""

    def __init__(self, total: int) -> None:
        super().__init__()
        self.total = total


class FiltersChanged(Message):
    def __init__(self, filters: ClipFilter, text: str) -> None:
        super().__init__()
        self.filters = filters
        self.text = text


class DetailLoaded(Message):
    """A clip's detail document and its first thumbnail, decoded in a worker."""

    def __init__(self, clip_id: int, doc: dict[str, Any] | None, image: PILImage.Image | None) -> None:
        super().__init__()
        self.clip_id = clip_id
        self.doc = doc
        self.image = image


class ThumbnailsLoaded(Message):
    """Decoded thumbnails for the clip detail: {frame_index: image}, at `size` ("strip" or "large")."""

    def __init__(self, clip_id: int, size: str, images: dict[int, PILImage.Image | None]) -> None:
        super().__init__()
        self.clip_id = clip_id
        self.size = size
        self.images = images


class CatalogChanged(Message):
    """Tags or collections were edited: screens showing clips reload them when they are next shown."""


class IngestEventReceived(Message):
    def __init__(self, event: IngestEvent) -> None:
        super().__init__()
        self.event = event


class IngestEnded(Message):
    """The run driven by the dashboard stopped: finished (its RunFinished came first), cancelled or crashed."""

    def __init__(self, state: str, error: str | None = None) -> None:
        super().__init__()
        self.state = state
        self.error = error


class RunsPolled(Message):
    """Runs started by another process (`vcat-core ingest`), with the catalog's failures since the newest began."""

    def __init__(self, runs: list[dict[str, Any]], failures: list[Any]) -> None:
        super().__init__()
        self.runs = runs
        self.failures = failures


class QueuePolled(Message):
    """The job queue's progress (`Catalog.queue_progress()`), read in a worker for the Queue panel."""

    def __init__(self, progress: Any) -> None:
        super().__init__()
        self.progress = progress


class LabelsApplied(Message):
    """Tags or collection membership changed for some clips (after a worker wrote them)."""

    def __init__(self, text: str, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error
