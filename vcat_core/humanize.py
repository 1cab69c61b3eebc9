"""Sizes and durations as people read them; shared by the CLI and the TUI."""

from __future__ import annotations


def human_bytes(n: float | None, missing: str = "-") -> str:
    """1000-based like a drive's label: 512 B, 1.5 MB, 2.3 TB."""
    if n is None:
        return missing
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


def human_duration(seconds: float | None, missing: str = "-") -> str:
    """0:42, 12:03, 1:02:03."""
    if seconds is None:
        return missing
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
