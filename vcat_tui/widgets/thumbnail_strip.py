"""A row of small thumbnails around the current one (left/right step through them), with a caption."""

from __future__ import annotations

from typing import Any

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from .. import format as fmt
from .thumbnail import Thumbnail

SLOTS = 5


def caption(frames: list[dict[str, Any]], index: int) -> str:
    if not frames:
        return "no thumbnails"
    f = frames[index]
    parts = [f"frame {index + 1}/{len(frames)}", fmt.timestamp(f.get("timestamp_seconds"))]
    if f.get("is_keyframe"):
        parts.append("keyframe")
    exposure = (f.get("scores") or {}).get("exposure") or {}
    if exposure.get("exposure_stops") is not None:
        parts.append(f"{exposure['exposure_stops']:+.1f} EV")
    if exposure.get("exposure_warning"):
        parts.append(exposure["exposure_warning"])
    return " · ".join(parts)


def window(count: int, index: int, slots: int = SLOTS) -> range:
    """The frame indexes shown: `slots` of them, the current one centred where possible."""
    start = max(0, min(index - slots // 2, count - slots))
    return range(start, min(start + slots, count))


class ThumbnailStrip(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.frames: list[dict[str, Any]] = []
        self.images: dict[int, PILImage.Image | None] = {}
        self.index = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="strip-slots"):
            for _ in range(SLOTS):
                yield Thumbnail("", classes="strip-slot")
        yield Static("", id="strip-caption")

    def set_frames(self, frames: list[dict[str, Any]]) -> None:
        self.frames = frames
        self.index = min(self.index, max(len(frames) - 1, 0))
        self._draw()

    def set_images(self, images: dict[int, PILImage.Image | None]) -> None:
        self.images.update(images)
        self._draw()

    def select(self, index: int) -> None:
        self.index = index
        self._draw()

    def _draw(self) -> None:
        slots = list(self.query(".strip-slot").results(Thumbnail))
        shown = list(window(len(self.frames), self.index))
        for slot_no, slot in enumerate(slots):
            if slot_no < len(shown):
                i = shown[slot_no]
                frame_index = self.frames[i]["frame_index"]
                slot.display = True
                slot.show(self.images.get(frame_index), "…")
                slot.set_class(i == self.index, "-current")
            else:
                slot.display = False
        self.query_one("#strip-caption", Static).update(caption(self.frames, self.index))
