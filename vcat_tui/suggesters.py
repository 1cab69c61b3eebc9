"""Completions for the app's inputs: folders for the ingest path, keys and known values for the filter bar."""

from __future__ import annotations

import asyncio
import os

from textual.suggester import Suggester

from vcat_core.service import LABELS

from .filters import CANONICAL, KEYS, PICKS


def complete_directory(value: str) -> str | None:
    """`value` completed to the first matching folder name (with a trailing slash), or None."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    parent, prefix = os.path.split(expanded)
    parent = parent or "."
    try:
        names = sorted(e.name for e in os.scandir(parent) if e.is_dir() and e.name.startswith(prefix)
                       and (prefix.startswith(".") or not e.name.startswith(".")))
    except OSError:
        return None
    if not names:
        return None
    name = names[0]
    if name == prefix:
        return None  # already complete; the user types "/" to go in
    return value + name[len(prefix):] + os.sep


class DirectorySuggester(Suggester):
    """Suggests the rest of a folder path (→ accepts it), looking the folder up off the event loop."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_directory, value)


class FilterSuggester(Suggester):
    """Completes the last word of the filter bar: a key (`co` → `codec:`) or a known value (`codec:pr` →
    `codec:prores`). `values` maps canonical keys to what the catalog holds (filled by the screen)."""

    RESOLUTIONS = ["720p", "1080p", "2160p", "4k", "8k"]

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.values: dict[str, list[str]] = {"res": self.RESOLUTIONS, "label": list(LABELS)}

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value.endswith(" "):
            return None
        head, _, word = value.rpartition(" ")
        lead = head + " " if head else ""
        key, sep, partial = word.partition(":")
        if not sep:
            for k in CANONICAL:
                if k.startswith(word.lower()) and k != word.lower():
                    return lead + word + k[len(word):] + ("" if k in ("vfr", "exposure", *PICKS) else ":")
            return None
        field = KEYS.get(key.lower())
        canonical = next((k for k in CANONICAL if KEYS.get(k) == field), None)
        for v in self.values.get(canonical or "", []):
            quoted = f'"{v}"' if " " in v else v
            if quoted.lower().startswith(partial.lower()) and len(quoted) > len(partial):
                return lead + key + ":" + partial + quoted[len(partial):]
        return None
