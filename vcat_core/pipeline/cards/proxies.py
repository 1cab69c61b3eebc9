"""Proxies linked to their original: listed on the clip, and read instead of it where that is faster.

The metadata stage opens each proxy (read-only) for its duration, timecode, picture size and audio; metadata always
comes from the original. A proxy that lasts as long as its original (or part), starts at the same timecode and
has fewer pixels to decode may stand in for it when thumbnails, vision and audio read the footage
(`analysis_proxies`); each stage then records the files it read (`stage_runs.read_from`).
"""

from __future__ import annotations

import os

from ...errors import MediaError
from ...models import ClipPart, TechnicalMetadata

PROXY_TOLERANCE_SECONDS = 0.5


def link_proxies(md: TechnicalMetadata, paths: list[str]) -> None:
    """The proxies that exist, listed on the clip (role `proxy`) with their duration and timecode; one whose
    duration does not match the original's is flagged (it may belong to another take). What each proxy holds is
    kept under raw["proxies"] for `analysis_proxies`."""
    from ..av_open import open_video
    from ..metadata.timecode import parse_timecode

    pieces = [p for p in md.parts if p.role == "part"]
    # a spanned recording's proxies come one per part (GoPro LRV per chapter); otherwise each covers the clip
    spans_parts = bool(pieces) and len(pieces) == len(paths)
    found = 0
    for i, path in enumerate(paths):
        want = pieces[i].duration_seconds if spans_parts else md.duration_seconds
        want_tc = pieces[i].timecode_frame if spans_parts else md.timecode_frame
        try:
            size = os.stat(path).st_size
            with open_video(path, "reading a proxy") as container:
                seconds = container.duration / 1_000_000 if container.duration else None
                tc = next((dict(s.metadata).get("timecode") for s in container.streams
                           if dict(s.metadata).get("timecode")), None) or dict(container.metadata).get("timecode")
                video = next((s for s in container.streams if s.type == "video"), None)
                pixels = video.codec_context.width * video.codec_context.height if video is not None else None
                audio = any(s.type == "audio" for s in container.streams)
        except (OSError, MediaError):
            continue
        typed = parse_timecode(tc, md.frame_rate)
        md.parts.append(ClipPart(index=found, path=path, role="proxy", size=size, duration_seconds=seconds,
                                 timecode=str(typed) if typed else tc, timecode_frame=typed.frame if typed else None))
        found += 1
        lasts = seconds is not None and want is not None and abs(seconds - want) <= PROXY_TOLERANCE_SECONDS
        if seconds is not None and want is not None and not lasts:
            md.warnings.append(f"proxy_mismatch: {os.path.basename(path)} lasts {seconds:.2f} s, its original "
                               f"{want:.2f} s")
        same_start = typed is None or want_tc is None or typed.frame == want_tc
        md.raw.setdefault("proxies", []).append({
            "path": path, "pixels": pixels, "audio": audio, "matches": bool(lasts and same_start and pixels)})


def analysis_proxies(md: TechnicalMetadata | None) -> list[str] | None:
    """The proxy files thumbnails, vision and audio may read instead of the original (in part order): every one
    matching its original in duration and timecode, fewer pixels to decode, audio where the original has some.
    None when the original must be read."""
    if md is None or md.decodable is False:
        return None
    seen = (md.raw or {}).get("proxies") or []
    pieces = [p for p in md.parts if p.role == "part"]
    original = (md.width or 0) * (md.height or 0)

    def fits(p: dict) -> bool:
        return p["matches"] and p["pixels"] < original and (p["audio"] or not md.audio_tracks)

    if pieces:  # a spanned recording: one proxy per part, or none
        return [p["path"] for p in seen] if len(seen) == len(pieces) and all(fits(p) for p in seen) else None
    usable = [p["path"] for p in seen if fits(p)]
    return usable[:1] or None
