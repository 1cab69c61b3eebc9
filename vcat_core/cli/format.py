"""Small human formatting helpers for the CLI's tables."""

from __future__ import annotations

from rich.table import Table

from ..events import RunSummary
from ..humanize import human_bytes, human_duration  # noqa: F401  (re-exported for the CLI modules)


def summary_table(s: RunSummary) -> Table:
    t = Table(title="ingest summary", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("count", justify="right")
    rows = [("new", s.new), ("already known", s.known), ("duplicates", s.duplicates), ("updated", s.updated),
            ("failed", s.failed), ("passed over", s.passed_over)]
    if s.deferred:
        rows.append(("left for later (--limit)", s.deferred))
    if s.uploaded or s.upload_failed:
        rows.append(("thumbnails uploaded", s.uploaded))
    if s.upload_failed:
        rows.append(("clips not uploaded (`storage push` retries)", s.upload_failed))
    for name, value in rows:
        t.add_row(name, str(value))
    rate = s.bytes_hashed / s.seconds if s.seconds else 0
    t.add_row("time", f"{s.seconds:.1f} s ({human_bytes(rate)}/s hashed)")
    return t
