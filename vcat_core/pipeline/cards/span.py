"""A spanned recording as one clip: its parts' records combined, and one readable stream across its parts.

Pure except `write_concat_list`, which writes a small list file into a worker's own temporary folder (never next
to the footage) so the decoding stages read the whole span through FFmpeg's concat demuxer.
"""

from __future__ import annotations

import os

from ...models import Candidate, ClipPart, FingerprintResult, TechnicalMetadata
from ..av_open import CONCAT_SUFFIX
from ..metadata.timecode import frames_in, snap_rate


def combine_parts(records: list[TechnicalMetadata], cand: Candidate,
                  fingerprint: FingerprintResult | None) -> TechnicalMetadata:
    """The first part's record for the whole recording, with the total duration and frame count, every part
    listed (offset, duration, start timecode) and gaps reported: a part the card's naming says is missing, or a
    part whose timecode does not follow on from the one before."""
    parts = cand.parts or [cand]
    md = records[0].model_copy(deep=True)
    digests = (fingerprint.parts if fingerprint is not None else None) or [None] * len(parts)
    durations = [r.duration_seconds for r in records]
    md.duration_seconds = round(sum(durations), 6) if all(d is not None for d in durations) else None
    counts = [r.frame_count for r in records]
    md.frame_count = sum(counts) if all(c is not None for c in counts) else None
    md.sources["duration_seconds"] = md.sources["frame_count"] = "derived"
    offset = 0.0
    out: list[ClipPart] = []
    for i, (p, r, digest) in enumerate(zip(parts, records, digests)):
        out.append(ClipPart(index=i, path=p.path, size=p.size, fingerprint=digest, duration_seconds=r.duration_seconds,
                            offset_seconds=round(offset, 6), timecode=r.timecode, timecode_frame=r.timecode_frame))
        offset += r.duration_seconds or 0.0
    md.parts, md.part_count = out, len(out)
    md.parts_missing = list(cand.missing_parts or [])
    if md.parts_missing:
        md.warnings.append("missing_part")
    rate = snap_rate(md.frame_rate)
    for prev, nxt, rec in zip(out, out[1:], records):
        if rate is None or prev.timecode_frame is None or nxt.timecode_frame is None or rec.duration_seconds is None:
            continue
        if nxt.timecode_frame != prev.timecode_frame + frames_in(rec.duration_seconds, rate):
            md.warnings.append(f"timecode_gap: part {nxt.index + 1} does not follow on from part {prev.index + 1}")
    md.warnings = list(dict.fromkeys(md.warnings))
    return md


def write_concat_list(parts: list[str], durations: list[float | None], folder: str) -> str:
    """An ffconcat list of the parts (with their durations, so the stream is seekable); returns its path."""
    path = os.path.join(folder, "span" + CONCAT_SUFFIX)
    lines = ["ffconcat version 1.0"]
    for part, seconds in zip(parts, durations):
        quoted = part.replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
        if seconds:
            lines.append(f"duration {seconds:.6f}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path
