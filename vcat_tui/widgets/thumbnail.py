"""One thumbnail, drawn with textual-image in the app's image mode (Kitty graphics, Sixel or half cells)."""

from __future__ import annotations

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from .. import images


class Thumbnail(Widget):
    """Shows a decoded image, or a one-line placeholder while there is none."""

    def __init__(self, placeholder: str = "no thumbnail", *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.placeholder = placeholder
        self._image_cls = None

    def compose(self) -> ComposeResult:
        yield Static(self.placeholder, classes="thumbnail--placeholder")
        self._image_cls = images.widget_class(getattr(self.app, "image_mode", "halfcell"))
        if self._image_cls is not None:
            image = self._image_cls(None, classes="thumbnail--image")
            image.display = False
            yield image

    def show(self, image: PILImage.Image | None, placeholder: str | None = None) -> None:
        label = self.query_one(".thumbnail--placeholder", Static)
        if placeholder is not None:
            label.update(placeholder)
        if self._image_cls is None:
            label.display = True
            if image is not None and placeholder is None:
                label.update(f"{image.width}x{image.height} thumbnail (images off)")
            return
        widget = self.query_one(".thumbnail--image")
        widget.image = image
        widget.display = image is not None
        label.display = image is None
