"""4 GB splits whose names do not say so: DJI `DJI_0001.MP4`, `DJI_0002.MP4` and Sony XAVC / XDCAM `C0001.MP4`,
`C0002.MP4` on FAT32 cards are one recording cut where the file system's size limit fell.

Two files are joined when the earlier one stopped near that limit (`SplitRule`: 3.7–4 GiB by default, a setting)
and the next-numbered one carries straight on from it: the same camera and recording settings, a start timecode of
the earlier start + its duration in frames, a creation time of the earlier one + its duration. Record-run timecode
alone would join separate takes, hence the size gate. A file that stopped near the limit with no next-numbered file
beside it names that file as missing.

Reads only what the size gate lets through: the Sony `…M01.XML` (a few KB) or the MP4's header through PyAV.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from ...models import Candidate
from ..metadata.timecode import frames_in, parse_timecode, snap_rate

FAT32_LIMIT = 2**32
_NUMBERED = re.compile(r"^(?P<prefix>DJI_(?:\d{14}_)?|.*?)(?P<number>\d{4})(?P<suffix>(?:_[A-Z]+)?\.[^.]+)$", re.IGNORECASE)
_DJI_STAMP = re.compile(r"^DJI_\d{14}_", re.IGNORECASE)


@dataclass(frozen=True)
class SplitRule:
    """Where a camera cuts a recording: a file between `min_bytes` and `max_bytes` may continue in the next one."""

    min_bytes: int = int(3.7 * 2**30)
    max_bytes: int = FAT32_LIMIT
    start_slack_seconds: float = 2.0  # container creation times are whole seconds

    def near_limit(self, size: int) -> bool:
        return self.min_bytes <= size <= self.max_bytes


@dataclass(frozen=True)
class Take:
    """What decides whether one file carries on from another."""

    camera: tuple
    settings: tuple
    start: datetime | None = None
    seconds: float | None = None
    tc_frame: int | None = None
    frames: int | None = None  # the file's length in frames (at its timecode rate)


def numbered(name: str) -> tuple[str, int, str] | None:
    """"C0001.MP4" → ("C", 1, ".MP4"); "DJI_20240101120000_0007_D.MP4" → ("DJI_", 7, "_D.MP4") (the time stamp in
    newer DJI names changes from part to part, so it is no part of the key)."""
    m = _NUMBERED.match(name)
    if m is None:
        return None
    prefix = "DJI_" if _DJI_STAMP.match(m["prefix"]) else m["prefix"]
    return prefix.upper(), int(m["number"]), m["suffix"].upper()


def continues(prev: Take, nxt: Take, rule: SplitRule) -> bool:
    """`nxt` starts where `prev` stopped: same camera and settings, and every clock both carry agrees."""
    if prev.camera != nxt.camera or prev.settings != nxt.settings:
        return False
    checked = False
    if prev.tc_frame is not None and nxt.tc_frame is not None and prev.frames is not None:
        if nxt.tc_frame != prev.tc_frame + prev.frames:
            return False
        checked = True
    if prev.start is not None and nxt.start is not None and prev.seconds is not None:
        apart = (nxt.start - prev.start).total_seconds()
        # the next file is stamped where the previous one ended, or (some bodies) with the recording's own start
        if abs(apart - prev.seconds) > rule.start_slack_seconds and abs(apart) > rule.start_slack_seconds:
            return False
        checked = True
    return checked


def sony_take(xml_path: str) -> Take | None:
    """A Sony clip's facts from its NonRealTimeMeta XML: camera, codec and rate, LTC start, length in frames."""
    from .clipmeta import read_sidecar

    facts = read_sidecar(xml_path)
    if facts is None or facts.kind != "sony_xml":
        return None
    v = facts.values
    rate = v.get("rate")
    tc = parse_timecode(v.get("timecode"), rate, v.get("drop_frame")) if rate else None
    frames = v.get("frames")
    return Take(camera=(v.get("camera_model"), v.get("camera_serial")), settings=(v.get("video_codec"), rate),
                start=v.get("created_at"), seconds=float(frames / rate) if frames and rate else None,
                tc_frame=tc.frame if tc else None, frames=frames)


def media_take(path: str) -> Take | None:
    """A file's facts from its container header (PyAV): encoder / make / model, codec, size, rate, creation
    time, duration and start timecode."""
    from ...errors import MediaError
    from ..av_open import open_video
    from ..metadata.reconcile import parse_date

    try:
        with open_video(path, "checking whether it continues a split recording") as container:
            meta = dict(container.metadata)
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None:
                return None
            rate = snap_rate(video.average_rate) if video.average_rate else None
            seconds = container.duration / 1_000_000 if container.duration else None
            tc_text = dict(video.metadata).get("timecode") or meta.get("timecode") or next(
                (dict(s.metadata).get("timecode") for s in container.streams if dict(s.metadata).get("timecode")), None)
            settings = (video.codec_context.name, video.codec_context.width, video.codec_context.height, rate)
    except (OSError, MediaError):
        return None
    tc = parse_timecode(tc_text, rate) if rate else None
    return Take(camera=(meta.get("encoder"), meta.get("make"), meta.get("model")), settings=settings,
                start=parse_date(meta.get("creation_time")), seconds=seconds, tc_frame=tc.frame if tc else None,
                frames=frames_in(seconds, Fraction(rate)) if seconds and rate else None)


def find_splits(cands: list[Candidate], names: list[str], rule: SplitRule,
                sidecar_for: dict[str, list[str]]) -> tuple[list[list[Candidate]], dict[str, list[str]]]:
    """The folder's split recordings (chains of candidates, first to last: two or more files, or one cut at the
    limit whose next file is not there) and the file each such chain is missing (first part's name → [name])."""
    by_key = {}
    for cand in cands:
        key = numbered(os.path.basename(cand.path))
        if key is not None and not cand.parts:
            by_key[key] = cand
    listed = {n.upper() for n in names}
    takes: dict[str, Take | None] = {}

    def take(cand: Candidate) -> Take | None:
        if cand.path not in takes:
            xml = next((p for p in sidecar_for.get(os.path.basename(cand.path), []) if p.upper().endswith("M01.XML")),
                       None)
            takes[cand.path] = (sony_take(xml) if xml else None) or media_take(cand.path)
        return takes[cand.path]

    chains: list[list[Candidate]] = []
    missing: dict[str, list[str]] = {}
    joined: set[str] = set()
    for (prefix, number, suffix), cand in sorted(by_key.items(), key=lambda kv: kv[0]):
        if cand.path in joined or not rule.near_limit(cand.size):
            continue
        chain = [cand]
        while rule.near_limit(chain[-1].size):
            p, n, s = numbered(os.path.basename(chain[-1].path))
            nxt = by_key.get((p, n + 1, s))
            if nxt is None:
                name = os.path.basename(chain[-1].path)
                want = f"{name[:len(name) - len(s) - 4]}{n + 1:04d}{name[len(name) - len(s):]}"
                if want.upper() not in listed and not _DJI_STAMP.match(name):
                    missing[os.path.basename(cand.path)] = [want]
                break
            prev_take, next_take = take(chain[-1]), take(nxt)
            if prev_take is None or next_take is None or not continues(prev_take, next_take, rule):
                break
            chain.append(nxt)
        joined.update(c.path for c in chain)
        if len(chain) > 1 or os.path.basename(cand.path) in missing:
            chains.append(chain)
    return chains, missing
