"""`export --format fcpxml|xmeml|edl|otio|pdf|png` (timelines and contact sheets) and `transcript CLIP`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import VcatError
from ..handoff.deliver import HANDOFF_FORMATS
from ..handoff.subtitles import TRANSCRIPT_FORMATS
from ..models import ClipFilter
from .common import err, fail, open_catalog, out


def export_handoff(fmt: str, output: Optional[Path], filters: ClipFilter, *, search: Optional[str],
                   root: Optional[Path], proxies: bool, name: Optional[str], as_json: bool = False) -> None:
    """Selects of a search or of the filters, written as a timeline or a contact sheet to `output`."""
    if output is None:
        fail(f"--format {fmt} writes a file: give -o FILE")
    with open_catalog() as catalog:
        try:
            selects = catalog.handoff_selects(filters, query=search)
            if not selects:
                fail("nothing to export: no clip matches", code=1)
            report = catalog.export_selects(selects, fmt, output, name=name or (search or "vcat selects"),
                                            root=str(root) if root else None, proxies=proxies)
        except (VcatError, ValueError) as exc:
            fail(str(exc))
    for w in report.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False)
    if as_json:
        print(json.dumps(report.__dict__))
    else:
        where = ", ".join(report.files) if len(report.files) > 1 else report.path
        out.print(f"wrote {report.clips} clip(s), {report.markers} marker(s) to {where} ({fmt})", markup=False,
                  highlight=False)


def transcript(
    ref: str = typer.Argument(..., help="Clip id, a path of the clip, or its checksum."),
    fmt: str = typer.Option("srt", "--format", help=" | ".join(TRANSCRIPT_FORMATS) + "."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """A clip's transcript as subtitles (SRT, WebVTT), text or JSON; speakers labelled where known."""
    if fmt not in TRANSCRIPT_FORMATS:
        fail(f"unknown format {fmt!r}; one of: {', '.join(TRANSCRIPT_FORMATS)}")
    with open_catalog() as catalog:
        try:
            text = catalog.transcript(ref, fmt)
        except VcatError as exc:
            fail(str(exc), code=1)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


__all__ = ["HANDOFF_FORMATS", "export_handoff", "transcript"]
