"""Where the timeline says the media is: absolute file URLs, or paths relative to a root the user names (so the
project opens on another machine that mounts the footage elsewhere); a proxy instead of the original on request."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

PROXY_FOLDERS = ("Proxy", "Proxies", "proxy", "proxies")  # Resolve/Premiere/FCP conventions beside the media
PROXY_SUFFIXES = (".mov", ".mp4", ".mxf", ".m4v")


def find_proxy(path: str, doc: dict | None = None) -> str | None:
    """A proxy of `path` that exists on disk: one the catalog links to the clip (camera cards: `parts` with role
    proxy), else the same stem in a Proxy/Proxies folder beside it (Resolve / Premiere habits)."""
    for part in (doc or {}).get("parts") or []:
        if part.get("role") == "proxy" and part.get("path") and Path(part["path"]).is_file():
            return str(part["path"])
    p = Path(path)
    for folder in PROXY_FOLDERS:
        for suffix in PROXY_SUFFIXES:
            for candidate in (p.parent / folder / (p.stem + suffix), p.parent / folder / (p.stem + "_Proxy" + suffix)):
                if candidate.is_file():
                    return str(candidate)
    return None


def media_url(path: str, root: str | Path | None = None) -> str:
    """`file:///abs/path` (percent-encoded), or a relative URL when `root` is given and holds the file."""
    absolute = Path(os.path.abspath(path))
    if root is not None:
        rel = os.path.relpath(absolute, os.path.abspath(root))
        return quote(Path(rel).as_posix())
    return absolute.as_uri()
