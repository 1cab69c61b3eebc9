"""Small human formatting helpers for the CLI's tables."""

from __future__ import annotations

from rich.table import Table

from ..events import RunSummary


def human_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def summary_table(s: RunSummary) -> Table:
    t = Table(title="ingest summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("count", justify="right")
    rows = [("new", s.new), ("already known", s.known), ("duplicates", s.duplicates), ("updated", s.updated),
            ("failed", s.failed), ("passed over", s.passed_over)]
    if s.deferred:
        rows.append(("left for later (--limit)", s.deferred))
    for name, value in rows:
        t.add_row(name, str(value))
    rate = s.bytes_hashed / s.seconds if s.seconds else 0
    t.add_row("time", f"{s.seconds:.1f} s ({human_bytes(rate)}/s hashed)")
    return t
