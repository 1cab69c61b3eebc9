"""How thumbnails are drawn: Kitty graphics (TGP) or Sixel where the terminal answers that it supports them, coloured
half cells elsewhere. textual-image finds out by querying the terminal when `textual_image.widget` is first
imported, which must happen before Textual takes over stdin: `prepare()` runs in `VcatApp.__init__`, before the app
runs, and resolves `auto` to the mode found.

`VCAT_TUI_IMAGES` (or `vcat --images`) forces a mode: auto, tgp (alias kitty), sixel, halfcell, unicode or none.
Tests force `halfcell` so screenshots do not depend on the terminal.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from PIL import Image as PILImage

MODES = ("auto", "tgp", "sixel", "halfcell", "unicode", "none")
ALIASES = {"kitty": "tgp", "half": "halfcell", "off": "none"}


def normalise_mode(mode: str | None) -> str:
    mode = (mode or os.environ.get("VCAT_TUI_IMAGES") or "auto").strip().lower()
    mode = ALIASES.get(mode, mode)
    if mode not in MODES:
        raise ValueError(f"unknown image mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def prepare(mode: str) -> str:
    """Import textual-image (which queries the terminal once) and say what `auto` resolved to."""
    if mode == "none":
        return "none"
    # a terminal that does not answer the cell-size query is normal (textual-image then assumes 10x20 pixels);
    # its warning would print a traceback over the shell just before the app starts
    logging.getLogger("textual_image").setLevel(logging.ERROR)
    import textual_image.renderable as renderables
    import textual_image.widget  # noqa: F401 - the import runs the terminal query and caches the cell size

    if mode != "auto":
        return mode
    names = {renderables.TGPImage: "tgp", renderables.SixelImage: "sixel",
             renderables.HalfcellImage: "halfcell", renderables.UnicodeImage: "unicode"}
    found = names.get(renderables.Image, "halfcell")
    if found == "tgp" and not placeholders_supported(terminal_version()):
        return "halfcell"  # kitty < 0.28 answers the graphics query but cannot draw textual-image's placeholders
    return found


KITTY_PLACEHOLDERS = (0, 28)
"""textual-image places Kitty images with Unicode placeholders (U+10EEEE), which kitty draws from 0.28 on; older
kittys (Debian 12 ships 0.26.5) answer the graphics query yet show the placeholder characters instead."""


def terminal_version() -> str | None:
    """The terminal's name and version as it answers XTVERSION (`CSI > 0 q` → `DCS >| kitty(0.26.5) ST`), or None
    when it does not answer (asked before Textual owns stdin, like textual-image's own queries)."""
    import sys

    from textual_image._terminal import TerminalError, capture_terminal_response

    if not (sys.__stdout__ and sys.__stdout__.isatty()):
        return None
    try:
        with capture_terminal_response("\x1bP>|", "\x1b\\", timeout=0.2) as response:
            sys.__stdout__.write("\x1b[>0q")
            sys.__stdout__.flush()
    except (TerminalError, TimeoutError, OSError):
        return None
    return response.sequence[len("\x1bP>|"):-len("\x1b\\")].strip() or None


def placeholders_supported(version: str | None) -> bool:
    """Whether a terminal that speaks the Kitty graphics protocol draws Unicode placeholders: kitty from 0.28; other
    terminals (and kittys that do not say their version) are taken at their word."""
    m = re.match(r"kitty\((\d+)\.(\d+)", version or "")
    return m is None or (int(m.group(1)), int(m.group(2))) >= KITTY_PLACEHOLDERS


def widget_class(mode: str):
    """The textual-image widget class drawing images in `mode` (None for `none`)."""
    if mode == "none":
        return None
    from textual_image import widget

    return {"auto": widget.Image, "tgp": widget.TGPImage, "sixel": widget.SixelImage,
            "halfcell": widget.HalfcellImage, "unicode": widget.UnicodeImage}[mode]


def load(path: str | Path, max_width: int) -> PILImage.Image | None:
    """Decode one thumbnail (in a worker thread) scaled to at most `max_width` pixels; None if unreadable."""
    try:
        with PILImage.open(path) as img:
            img.draft("RGB", (max_width, max_width))
            img = img.convert("RGB")
            if img.width > max_width:
                img.thumbnail((max_width, max_width * 4))
            return img
    except (OSError, ValueError):
        return None


def pick(thumbnails: list[dict], width: int) -> dict[int, dict]:
    """For each frame (`frame_index`), the stored variant closest to `width` pixels (the smallest one not narrower,
    else the widest)."""
    out: dict[int, dict] = {}
    for t in thumbnails:
        best = out.get(t["frame_index"])
        if best is None or _better(t["width"], best["width"], width):
            out[t["frame_index"]] = t
    return dict(sorted(out.items()))


def _better(candidate: int, current: int, wanted: int) -> bool:
    if (candidate >= wanted) != (current >= wanted):
        return candidate >= wanted
    return candidate < current if candidate >= wanted else candidate > current
