"""The browse screen's side panel: the highlighted clip's first thumbnail and its key facts."""

from __future__ import annotations

from typing import Any

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from .. import format as fmt
from .thumbnail import Thumbnail


def facts(doc: dict[str, Any]) -> Content:
    tm = doc.get("technical_metadata") or {}
    camera = " ".join(x for x in (tm.get("camera_make"), tm.get("camera_model")) if x)
    line1 = " · ".join(x for x in (fmt.human_duration(doc.get("duration_seconds")),
                                  fmt.resolution(tm.get("resolution_width"), tm.get("resolution_height")),
                                  f"{fmt.fps(tm.get('frame_rate'))} fps" if tm.get("frame_rate") else None,
                                  tm.get("codec")) if x)
    rows: list[tuple[str, str]] = [("", line1)]
    if camera:
        rows.append(("camera", camera))
    rows.append(("date", fmt.date(doc.get("created_at"))))
    rows.append(("size", fmt.human_bytes(doc.get("file_size_bytes"))))
    rows.append(("path", doc.get("file_path") or "—"))
    flags = [x for x in (tm.get("exposure_issue"), "vfr" if tm.get("is_vfr") else None,
                         doc.get("status") if doc.get("status") not in ("ready", None) else None) if x]
    if flags:
        rows.append(("flags", ", ".join(flags)))
    if doc.get("tags"):
        rows.append(("tags", ", ".join(doc["tags"])))
    if doc.get("collections"):
        rows.append(("in", ", ".join(doc["collections"])))
    parts = []
    for label, value in rows:
        parts.append(Content.assemble((label.ljust(7), "$foreground-muted"), value) if label else Content(value))
    return Content("\n").join(parts)


class ClipPreview(Vertical):
    """Thumbnail + facts of one clip; `show(doc, image)` after a worker loaded them, `clear()` otherwise."""

    def compose(self) -> ComposeResult:
        yield Thumbnail("", id="preview-image")
        yield Static("", id="preview-title")
        yield Static("", id="preview-facts")

    def show(self, doc: dict[str, Any] | None, image: PILImage.Image | None) -> None:
        thumb = self.query_one(Thumbnail)
        if doc is None:
            self.clear()
            return
        has_thumbs = bool(doc.get("thumbnails"))
        thumb.show(image, None if image is not None else ("thumbnail unreadable" if has_thumbs else "no thumbnail"))
        self.query_one("#preview-title", Static).update(doc.get("file_name") or "")
        self.query_one("#preview-facts", Static).update(facts(doc))

    def clear(self, message: str = "") -> None:
        self.query_one(Thumbnail).show(None, message)
        self.query_one("#preview-title", Static).update("")
        self.query_one("#preview-facts", Static).update("")
