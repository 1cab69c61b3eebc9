"""Small human formatting helpers for the app's tables and panels (pure functions)."""

from __future__ import annotations

import math
from datetime import datetime

from vcat_core import humanize


def human_bytes(n: float | None) -> str:
    return humanize.human_bytes(n, missing="—")


def human_duration(seconds: float | None) -> str:
    """0:42, 12:03, 1:02:03."""
    return humanize.human_duration(seconds, missing="—")


def timestamp(seconds: float | None) -> str:
    """A position inside a clip, to a tenth: 0:12.4, 1:02:03.0."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    tenth = int(round((seconds - whole) * 10))
    if tenth == 10:
        whole, tenth = whole + 1, 0
    return f"{human_duration(whole)}.{tenth}"


def resolution(width: int | None, height: int | None) -> str:
    return f"{width}x{height}" if width and height else "—"


def fps(rate: float | None) -> str:
    return f"{rate:.3g}" if rate else "—"


def date(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d %H:%M")


def rate_per_minute(count: float, seconds: float) -> str:
    return f"{count / seconds * 60:.1f}" if seconds > 0 else "—"


def eta(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return "—"
    return human_duration(seconds)


def count(n: int) -> str:
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


LABEL_COLOURS = {"red": "#e5534b", "yellow": "#d4a72c", "green": "#57ab5a", "blue": "#539bf5", "purple": "#b083f0"}
"""How each colour label is drawn (the same names Lightroom uses)."""


def cull_parts(rating: int, pick: str | None, label: str | None) -> list[tuple[str, str]]:
    """A clip's culling marks as (text, style) pieces: stars, ✓ pick / ✗ reject, a dot in the label's colour."""
    parts: list[tuple[str, str]] = []
    if rating:
        parts.append(("★" * rating, ""))
    if pick:
        parts.append(("✓" if pick == "pick" else "✗", "bold green" if pick == "pick" else "bold red"))
    if label:
        parts.append(("●", LABEL_COLOURS.get(label, "")))
    return parts
