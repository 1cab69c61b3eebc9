"""Hand-off benchmark: how long a timeline, a contact sheet and subtitles take for a large selection.

    .venv/bin/python bench/handoff.py                 # 1,000 clips, 40 transcript lines and 10 shots each
    .venv/bin/python bench/handoff.py --clips 200     # a quick look
    .venv/bin/python bench/handoff.py --json

Synthetic export documents (no catalog, no media: this times vcat's hand-off code and OTIO's adapters, not the
catalog reads, which `export --format json` already exercises): rates cycle through 23.976, 24, 25, 29.97 and 50
with source timecode, every clip carries tags, shots and transcript segments, so every marker kind is written.
Printed: seconds and clips/s per timeline format (build + write; every format re-reads the same selects), the
markers written, the file size; seconds for SRT + VTT of every clip. Contact sheets are timed over --sheet-clips
(PNG) without thumbnails (images are the reader's disk speed, not vcat's).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from vcat_core.handoff.contact_sheet import write_contact_sheet
from vcat_core.handoff.selects import make_select
from vcat_core.handoff.subtitles import transcript_text
from vcat_core.handoff.timeline import TIMELINE_FORMATS, TimelineOptions, write_timeline

RATES = [(24000 / 1001, "01:00:00:00"), (24.0, None), (25.0, "10:00:00:00"), (30000 / 1001, "01:00:00;00"),
         (50.0, "23:00:00:00")]


def synthetic_docs(n: int, lines: int, shots: int) -> list[dict]:
    docs = []
    for i in range(n):
        fps, tc = RATES[i % len(RATES)]
        length = 60.0 + i % 120
        docs.append({
            "id": i, "file_name": f"A{i // 100:03d}_C{i % 100:03d}.mov", "file_path": f"/footage/card/A{i}.mov",
            "file_checksum": f"{i:032x}", "tags": ["interview", "b-roll"][: 1 + i % 2],
            "technical_metadata": {"frame_rate": fps, "timecode": tc, "duration_seconds": length,
                                   "resolution_width": 1920, "resolution_height": 1080, "codec": "prores"},
            "shots": [{"start_seconds": k * length / shots} for k in range(shots)],
            "transcript": {"segments": [{"start_seconds": k * length / lines, "end_seconds": (k + 0.8) * length / lines,
                                         "text": f"line {k} of clip {i}", "speaker": f"SPEAKER_{k % 2 + 1}"}
                                        for k in range(lines)]}})
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--lines", type=int, default=40)
    ap.add_argument("--shots", type=int, default=10)
    ap.add_argument("--sheet-clips", type=int, default=100)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    docs = synthetic_docs(args.clips, args.lines, args.shots)
    out: dict = {"clips": args.clips, "formats": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, suffix in TIMELINE_FORMATS.items():
            t0 = time.perf_counter()
            selects = [make_select(d) for d in docs]
            report = write_timeline(selects, fmt, Path(tmp) / f"t{suffix}", TimelineOptions())
            dt = time.perf_counter() - t0
            out["formats"][fmt] = {"seconds": round(dt, 3), "clips_per_second": round(args.clips / dt),
                                   "markers": report.markers, "bytes": Path(report.path).stat().st_size}
        t0 = time.perf_counter()
        for d in docs:
            transcript_text(d, "srt"), transcript_text(d, "vtt")
        out["subtitles_seconds"] = round(time.perf_counter() - t0, 3)
        for fmt in ("pdf", "png"):
            t0 = time.perf_counter()
            write_contact_sheet([make_select(d) for d in docs[: args.sheet_clips]], fmt, Path(tmp) / f"s.{fmt}", "b")
            out[f"sheet_{fmt}_seconds"] = round(time.perf_counter() - t0, 3)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{args.clips} clips, {args.lines} transcript lines and {args.shots} shots each")
    for fmt, r in out["formats"].items():
        print(f"  {fmt:7} {r['seconds']:7.2f} s  {r['clips_per_second']:6d} clips/s  {r['markers']:7d} markers  "
              f"{r['bytes'] / 1e6:6.1f} MB")
    print(f"  SRT + VTT of every clip: {out['subtitles_seconds']:.2f} s")
    print(f"  contact sheet of {args.sheet_clips} clips: PDF {out['sheet_pdf_seconds']:.2f} s, "
          f"PNG {out['sheet_png_seconds']:.2f} s")


if __name__ == "__main__":
    main()
