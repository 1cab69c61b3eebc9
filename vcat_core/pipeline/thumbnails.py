"""Thumbnails: up to `count` frames spread evenly over a clip, decoded cheaply, written at a few widths.

How frames are chosen (never a full decode):

1. The clip's duration is split into `count` equal bins; each bin's centre is a *target* time.
2. Keyframes near the targets are found without decoding anything:
   * **index mode** (MP4/MOV/AVI sample tables, Matroska/WebM cues): the demuxer's index
     (``stream.index_entries``) is searched in C for the keyframe at-or-before and at-or-after each target;
   * **scan mode** (MPEG-TS/PS, MXF, raw streams, indexes that look incomplete): one demux pass over the video
     packets, reading but not decoding them, keeps for each target the keyframe packets just before and just after it
     (at most 2 x `count` packets are held).
3. Each target gets its nearest keyframe; a keyframe serves one target only (pairs are taken closest first; a target
   may take its second-nearest keyframe when it lies within one bin width).
4. Only those keyframes are decoded: one packet each, then the decoder is drained and reset. An intra-only clip
   (ProRes, DNxHD: every frame a keyframe) therefore decodes `count` frames, not all of them.
5. Long-GOP clips have fewer keyframes than targets. The targets left over are filled, widest gap first, by decoding
   forward from the keyframe before the target, as long as the total number of frames decoded stays within
   `decode_budget_frames` (default 4 x `count`); targets in one GOP share one decoding run. When the budget runs out
   fewer thumbnails come back.

Each chosen frame is scaled (swscale, area filter) to every width in `widths` that does not exceed the clip's display
width (sample aspect ratio applied; at least one image, at the display width, when all are larger), turned upright
from the display matrix (portrait phone clips; a mirroring in the matrix is ignored), and written as
``{index:03d}_{width}.{fmt}`` (indexes in time order) via a temporary name and ``os.replace``, so a killed run never
leaves a half-written image under a final name; images of an earlier run that this run did not rewrite are removed.
Its exposure (see ``exposure.py``) is measured on the Rec.709 luma of the full-range RGB image of the smallest width
>= 320 px (else the largest).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image

from vcat_core.errors import (
    CorruptMediaError,
)
from vcat_core.models import Thumbnail, ThumbnailImage, ThumbnailsResult
from vcat_core.pipeline.av_open import file_name, open_video, video_packets, video_stream
from vcat_core.pipeline.exposure import ExposureThresholds, frame_exposure, rgb_luma

log = logging.getLogger(__name__)

# Container formats FFmpeg opens for still images: a picture is not a video.

# Demuxers whose index lists the keyframes (not every sample) when the file was written with one.
_CUE_INDEX_FORMATS = {"matroska", "webm", "flv", "asf"}

# Names this module writes (final and temporary), for cleaning up after an earlier or killed run.
_FINAL_NAME = re.compile(r"\d{3,}_\d+\.(?:jpg|jpeg|png|webp)")
_TEMP_NAME = re.compile(r"\.\d{4,}_\d+\.[\w-]+\.tmp")
_STALE_TEMP_SECONDS = 600

_PIL_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}

# Exposure is measured on the smallest image at least this wide (else on the largest).
_EXPOSURE_WIDTH = 320


@dataclass(eq=False)
class _Key:
    """A keyframe candidate. `ts` is its presentation time (stream time base); exactly one of `seek_ts` (index
    mode: the index entry's timestamp, to seek to) and `packet` (scan mode: the packet itself) is set."""

    ts: float
    seek_ts: int | None = None
    packet: Any = None


@dataclass
class _Clip:
    time_base: Fraction
    start: float  # stream time-base units
    duration: float | None  # stream time-base units
    fps: float | None
    frame_ticks: float  # one frame's duration in stream time-base units (best guess)
    sar: Fraction
    rotate_tag: int  # fallback rotation (degrees counterclockwise) from a `rotate` tag
    decoded: int = 0  # packets sent to the decoder so far


def extract_thumbnails(
    path: str,
    out_dir: Path,
    rel_dir: str,
    *,
    count: int = 30,
    widths: Sequence[int] = (160, 320, 640),
    thresholds: ExposureThresholds = ExposureThresholds(),  # noqa: B008 (frozen, shared safely)
    fmt: str = "jpg",
    quality: int = 85,
    decode_budget_frames: int | None = None,
    analyser: Callable[[Any, np.ndarray], dict[str, Any]] | None = None,
) -> ThumbnailsResult:
    """Write up to `count` thumbnails of the video at `path` into `out_dir` and describe them.

    `rel_dir` is `out_dir` relative to the catalog directory; image paths in the result are ``f"{rel_dir}/{name}"``.
    `decode_budget_frames` bounds the frames decoded in all (keyframes included; default 4 x `count`); keyframe
    candidates are always decoded, gap filling only within what is left. Raises `NotAVideoError` when the file has no
    video stream (or is a still image), `CorruptMediaError` when it cannot be opened or no frame decodes,
    `FileVanishedError` / `UnreadableFileError` when it is gone or unreadable. `analyser(frame, rgb)` is called on
    every picked frame with the decoded frame (native size) and its largest upright RGB image; what it returns is
    kept as the thumbnail's `quality` (the vision stage's per-frame figures, computed without a second decode).
    """
    started = time.perf_counter()
    if count < 1:
        raise ValueError("count must be at least 1")
    ext = fmt.lower().lstrip(".")
    if ext not in _PIL_FORMATS:
        raise ValueError(f"unsupported thumbnail format {fmt!r}; use one of {sorted(_PIL_FORMATS)}")
    want_widths = sorted({int(w) for w in widths if int(w) > 0})
    if not want_widths:
        raise ValueError("widths must hold at least one positive width")
    budget = 4 * count if decode_budget_frames is None else max(0, int(decode_budget_frames))
    out_dir = Path(out_dir)
    rel_dir = rel_dir.rstrip("/")

    writer = _Writer(out_dir, rel_dir, want_widths, thresholds, ext, quality, analyser)
    container = open_video(path, "making thumbnails")
    try:
        stream = video_stream(container, path)
        clip = _clip_info(container, stream)
        out_dir.mkdir(parents=True, exist_ok=True)
        _pick_frames(path, container, stream, clip, count, budget, writer)
        if not writer.rendered:
            raise CorruptMediaError(f"No frame of {file_name(path)} could be decoded; the video data looks damaged.")
        thumbs = writer.finish(clip)
    except BaseException:
        writer.discard()
        raise
    finally:
        container.close()
    return ThumbnailsResult(thumbnails=thumbs, frames_decoded=clip.decoded, seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------------------------------- opening


def _clip_info(container: Any, stream: Any) -> _Clip:
    tb = stream.time_base or Fraction(1, 90000)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else None
    if fps is not None and not (0.1 <= fps <= 1000):
        fps = None
    start: float | None = float(stream.start_time) if stream.start_time is not None else None
    if start is None and container.start_time is not None:
        start = float(Fraction(container.start_time, av.time_base) / tb)
    duration: float | None = float(stream.duration) if stream.duration else None
    if not duration and container.duration:
        duration = float(Fraction(container.duration, av.time_base) / tb)
    if not duration and stream.frames and fps:
        duration = float(Fraction(stream.frames) / Fraction(fps) / tb)
    frame_ticks = float(1 / (Fraction(fps).limit_denominator(100000) * tb)) if fps else 0.0
    sar = stream.sample_aspect_ratio or stream.codec_context.sample_aspect_ratio or Fraction(1)
    if sar <= 0 or not (Fraction(1, 10) <= sar <= 10):
        sar = Fraction(1)
    rotate_tag = 0
    tag = (stream.metadata or {}).get("rotate")
    if tag:
        try:
            rotate_tag = -round(float(tag))  # the tag is clockwise, the display matrix counterclockwise
        except ValueError:
            rotate_tag = 0
    return _Clip(
        time_base=Fraction(tb),
        start=start or 0.0,
        duration=duration if duration and duration > 0 else None,
        fps=fps,
        frame_ticks=frame_ticks,
        sar=Fraction(sar),
        rotate_tag=rotate_tag,
    )


# --------------------------------------------------------------------------------------------------- choosing


def _targets(clip: _Clip, count: int) -> list[float]:
    assert clip.duration is not None
    step = clip.duration / count
    return [clip.start + (i + 0.5) * step for i in range(count)]


def _pick_frames(path: str, container: Any, stream: Any, clip: _Clip, count: int, budget: int, writer: _Writer) -> None:
    """Choose, decode and hand to `writer` up to `count` frames (see the module docstring)."""
    mode = "index"
    scan_container = None
    decoder: _Decoder | None = None
    taken: set[int] = set()
    targets: list[float] = []
    try:
        found = _index_neighbours(container, stream, clip, count)
        if found is None:
            mode = "scan"
            # The held packets stay valid only while the container that read them is open.
            scan_container = open_video(path, "making thumbnails")
            found = _scan_neighbours(path, scan_container, clip, count)
        targets, neighbours = found
        if not targets:
            return
        decoder = _Decoder(path, scan_container or container, clip)
        chosen = _assign(targets, neighbours, (clip.duration or 0.0) / count)
        for target_i in sorted(chosen, key=lambda i: chosen[i].ts):
            key = chosen[target_i]
            frame = decoder.keyframe(key)
            if frame is None:
                continue
            pts = _frame_pts(frame, key.ts)
            if round(pts) in taken:
                continue
            taken.add(round(pts))
            writer.add(frame, pts, True, clip)
        # Gap filling for the targets left over (long GOPs), within the budget.
        unfilled = [i for i in range(len(targets)) if i not in chosen]
        left = budget - clip.decoded
        if unfilled and left > 0:
            runs = _plan_fill(targets, neighbours, unfilled, [float(t) for t in taken], clip, left)
            for key, run_targets in runs:
                if clip.decoded >= budget:
                    break
                for frame in decoder.forward(key, [targets[i] for i in run_targets], budget):
                    pts = _frame_pts(frame, key.ts)
                    if round(pts) in taken:
                        continue
                    taken.add(round(pts))
                    writer.add(frame, pts, bool(frame.key_frame), clip)
    finally:
        if decoder is not None:
            decoder.close()
        if scan_container is not None:
            scan_container.close()
    log.debug(
        "thumbnails %s: mode=%s targets=%d written=%d decoded=%d",
        path,
        mode,
        len(targets),
        len(writer.rendered),
        clip.decoded,
    )


def _index_neighbours(
    container: Any, stream: Any, clip: _Clip, count: int
) -> tuple[list[float], list[tuple[_Key | None, _Key | None]]] | None:
    """Keyframes before/after each target from the demuxer's index, or None when the index can't be trusted."""
    if clip.duration is None:
        return None
    fmt = container.format.name or ""
    cue_format = any(f in _CUE_INDEX_FORMATS for f in fmt.split(","))
    entries = stream.index_entries
    try:
        if len(entries) < 2 and cue_format:
            # Matroska reads its cues on the first seek.
            container.seek(int(clip.start), stream=stream, backward=True)
            entries = stream.index_entries
        n = len(entries)
        if n == 0:
            return None
        last = entries[n - 1]
    except (av.error.FFmpegError, OSError, IndexError):
        return None
    complete = bool(stream.frames) and n >= 0.98 * stream.frames  # one entry per sample (MP4/MOV, AVI)
    if not complete:
        # A keyframes-only index (Matroska cues): trust it when it reaches near the end of the clip. Other demuxers
        # (MPEG-TS/PS, ...) only hold the few entries their own seeks added.
        if not cue_format:
            return None
        keys = [e.timestamp for e in entries if e.is_keyframe] if n <= 200_000 else []
        if not keys:
            return None
        gaps = sorted(b - a for a, b in itertools.pairwise(keys) if b > a)
        median_gap = gaps[len(gaps) // 2] if gaps else 0
        tolerance = max(2 * median_gap, float(10 / clip.time_base))
        if keys[-1] + tolerance < clip.start + clip.duration:
            return None
    elif last.timestamp < clip.start:
        return None
    # Per-sample indexes (MP4/MOV) hold decode times (DTS); a keyframe is shown later by the reordering delay, which
    # the first packet (a keyframe) tells: its PTS - DTS. Cue indexes (Matroska) hold presentation times already.
    offset = 0.0
    if complete:
        first_pkt = next(video_packets(container, stream), None)
        if first_pkt is not None and first_pkt.pts is not None and first_pkt.dts is not None:
            offset = float(max(0, first_pkt.pts - first_pkt.dts))
    targets = _targets(clip, count)
    cache: dict[int, _Key] = {}

    def key_at(i: int) -> _Key | None:
        if i < 0:
            return None
        k = cache.get(i)
        if k is None:
            e = entries[i]
            if not e.is_keyframe or e.is_discard:
                return None  # (discarded: before an edit list's start, the decoder would drop it)
            k = cache[i] = _Key(ts=e.timestamp + offset, seek_ts=e.timestamp)
        return k

    neighbours: list[tuple[_Key | None, _Key | None]] = []
    for t in targets:
        want = math.floor(t - offset)
        before = key_at(entries.search_timestamp(want, backward=True, any_frame=False))
        after = key_at(entries.search_timestamp(want + 1, backward=False, any_frame=False))
        neighbours.append((before, after))
    if not any(b or a for b, a in neighbours):
        return None
    return targets, neighbours


def _packet_ts(pkt: Any) -> float | None:
    if pkt.pts is not None:
        return float(pkt.pts)
    if pkt.dts is not None:
        return float(pkt.dts)
    return None



def _scan_neighbours(
    path: str, container: Any, clip: _Clip, count: int
) -> tuple[list[float], list[tuple[_Key | None, _Key | None]]]:
    """One demux pass over `container` (plus one when the duration is unknown) holding the keyframe packets
    around each target."""
    if clip.duration is None:
        first_ts, last_ts = _scan_extent(path, clip)
        if first_ts is None or last_ts is None:
            return [], []
        clip.start = first_ts
        clip.duration = max(last_ts - first_ts + max(clip.frame_ticks, 1.0), 1.0)
    targets = _targets(clip, count)
    neighbours: list[tuple[_Key | None, _Key | None]] = [(None, None)] * len(targets)
    stream = video_stream(container, path)
    j = 0
    prev: _Key | None = None
    synthetic = 0.0
    for pkt in video_packets(container, stream):
        ts = _packet_ts(pkt)
        if ts is None:
            ts = clip.start + synthetic
        synthetic += clip.frame_ticks or 1.0
        if not pkt.is_keyframe or pkt.is_corrupt:
            continue
        key = _Key(ts=ts, packet=pkt)
        while j < len(targets) and targets[j] < ts:
            neighbours[j] = (prev, key)
            j += 1
        prev = key
    for k in range(j, len(targets)):
        neighbours[k] = (prev, None)
    return targets, neighbours


def _scan_extent(path: str, clip: _Clip) -> tuple[float | None, float | None]:
    container = open_video(path, "making thumbnails")
    try:
        stream = video_stream(container, path)
        first = last = None
        for n, pkt in enumerate(video_packets(container, stream)):
            ts = _packet_ts(pkt)
            if ts is None:
                ts = n * (clip.frame_ticks or 1.0)
            first = ts if first is None else min(first, ts)
            last = ts if last is None else max(last, ts)
        return first, last
    finally:
        container.close()


def _assign(targets: list[float], neighbours: list[tuple[_Key | None, _Key | None]], spacing: float) -> dict[int, _Key]:
    """Give each target a distinct keyframe: closest pairs first; a second-nearest one only within `spacing`."""
    pairs: list[tuple[float, int, int, _Key]] = []
    for i, (t, (before, after)) in enumerate(zip(targets, neighbours)):
        cands = [k for k in (before, after) if k is not None]
        if not cands:
            continue
        cands.sort(key=lambda k: abs(k.ts - t))
        for rank, k in enumerate(cands):
            d = abs(k.ts - t)
            if rank == 0 or d <= spacing:
                pairs.append((d, rank, i, k))
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))
    chosen: dict[int, _Key] = {}
    used: set[int] = set()
    for _d, _rank, i, k in pairs:
        if i in chosen or id(k) in used:
            continue
        chosen[i] = k
        used.add(id(k))
    return chosen


def _plan_fill(
    targets: list[float],
    neighbours: list[tuple[_Key | None, _Key | None]],
    unfilled: list[int],
    have: list[float],
    clip: _Clip,
    left: int,
) -> list[tuple[_Key, list[int]]]:
    """Choose which unfilled targets to decode forward to: widest gap first, while the frame budget lasts."""
    ticks = clip.frame_ticks or (clip.duration or 1.0) / max(len(targets), 1) / 10
    have = list(have)
    pending = [i for i in unfilled if neighbours[i][0] is not None]
    runs: dict[int, tuple[_Key, list[int], int]] = {}  # id(key) -> (key, targets, frames planned)
    while pending and left > 0:

        def gap(i: int) -> float:
            return min((abs(targets[i] - h) for h in have), default=math.inf)

        pending.sort(key=gap, reverse=True)
        i = pending.pop(0)
        key = neighbours[i][0]
        assert key is not None
        if targets[i] - key.ts < ticks / 2:
            continue  # the keyframe itself is the frame at this target
        frames = math.ceil((targets[i] - key.ts) / ticks) + 1
        _k, run_targets, planned = runs.get(id(key), (key, [], 0))
        extra = max(0, frames - planned)
        if extra > left:
            continue
        left -= extra
        runs[id(key)] = (key, run_targets + [i], max(planned, frames))
        have.append(targets[i])
    out = [(key, sorted(ts, key=lambda i: targets[i])) for key, ts, _ in runs.values()]
    out.sort(key=lambda r: r[0].ts)
    return out


def _frame_pts(frame: Any, fallback: float) -> float:
    if frame.pts is not None:
        return float(frame.pts)
    if frame.dts is not None:
        return float(frame.dts)
    return float(fallback)


# --------------------------------------------------------------------------------------------------- decoding


class _Decoder:
    """Decodes single keyframes (drain + reset after each) and short forward runs; counts every packet it sends."""

    def __init__(self, path: str, container: Any, clip: _Clip) -> None:
        self.path = path
        self.clip = clip
        self.container = container
        self.stream = video_stream(container, path)
        self.cc = self.stream.codec_context
        # Scan mode: forward runs read the file once more, sequentially, from a second container; `_held` is a
        # packet read ahead.
        self._reread: Any = None
        self._scan_iter: Iterator[Any] | None = None
        self._held: Any = None

    def close(self) -> None:
        if self._reread is not None:
            self._reread.close()
            self._reread = None

    def _send(self, pkt: Any) -> list[Any] | None:
        """Decode one packet; None when the decoder rejects it (damaged data)."""
        self.clip.decoded += 1
        try:
            return list(self.cc.decode(pkt))
        except (av.error.FFmpegError, ValueError) as err:
            log.debug("decode error at pts %s: %s", pkt.pts, err)
            return None

    def _drain(self) -> list[Any]:
        try:
            return list(self.cc.decode(None))
        except (av.error.FFmpegError, ValueError) as err:
            log.debug("drain error: %s", err)
            return []

    def _reset(self) -> None:
        try:
            self.cc.flush_buffers()
        except (av.error.FFmpegError, ValueError):
            pass

    def _seek_to(self, key: _Key) -> Iterator[Any]:
        """Index mode: packets from the keyframe at `key.seek_ts` on (its own packet first)."""
        # Seek to half a frame past the keyframe's presentation time: MOV/MP4 seek by presentation time (the index
        # holds decode times, earlier by the B-frame delay), and "backward" then lands on this keyframe.
        target = math.floor(key.ts + self.clip.frame_ticks / 2)
        try:
            self.container.seek(target, stream=self.stream, backward=True)
        except (av.error.FFmpegError, OSError) as err:
            log.debug("seek to %s failed: %s", key.seek_ts, err)
            return
        found = False
        for n, pkt in enumerate(video_packets(self.container, self.stream)):
            if not found:
                ts = max(t for t in (pkt.pts, pkt.dts, -math.inf) if t is not None)
                if pkt.is_keyframe and ts >= key.seek_ts:
                    found = True
                elif n > 1000:
                    return  # the seek landed far from the keyframe: give up on it
                else:
                    continue
            yield pkt

    def _scan_from(self, key: _Key) -> Iterator[Any]:
        """Scan mode: the held keyframe packet, then the packets after it from a sequential re-read."""
        yield key.packet
        if self._scan_iter is None:
            self._reread = open_video(self.path, "making thumbnails")
            self._scan_iter = video_packets(self._reread, video_stream(self._reread, self.path))
        while True:
            pkt = self._held if self._held is not None else next(self._scan_iter, None)
            self._held = None
            if pkt is None:
                return
            ts = _packet_ts(pkt)
            if ts is not None and ts > key.ts and pkt.is_keyframe:
                self._held = pkt  # passed it: the file changed under us or timestamps are odd
                return
            if pkt.is_keyframe and ts == key.ts:
                break
        while True:
            pkt = next(self._scan_iter, None)
            if pkt is None:
                return
            if pkt.is_keyframe:
                self._held = pkt  # the next GOP: a later run may start here
                return
            yield pkt

    def keyframe(self, key: _Key) -> Any | None:
        """Decode the keyframe alone; None when it does not decode cleanly."""
        pkt = key.packet
        if pkt is None:
            packets = self._seek_to(key)
            try:
                pkt = next(packets, None)
            finally:
                packets.close()
        if pkt is None:
            return None
        sent = self._send(pkt)
        frames = (sent or []) + self._drain()
        self._reset()
        if sent is None:
            return None
        good = [f for f in frames if not f.is_corrupt]
        return good[0] if good else None

    def forward(self, key: _Key, target_ts: list[float], budget: int) -> Iterator[Any]:
        """Decode from `key` to the end of its GOP at most; yield the first frame at or after each target.

        Stops when every target is served, the GOP ends or the clip-wide `budget` of decoded frames is spent.
        """
        half = self.clip.frame_ticks / 2
        state = {"j": 0}

        def served(frames: list[Any]) -> Iterator[Any]:
            for frame in frames:
                j = state["j"]
                if j >= len(target_ts) or frame.is_corrupt or frame.pts is None or frame.pts < key.ts - half:
                    continue
                if frame.pts < target_ts[j] - half:
                    continue
                while j < len(target_ts) and frame.pts >= target_ts[j] - half:
                    j += 1  # one frame serves one target; targets it passed are dropped
                state["j"] = j
                yield frame

        packets = self._scan_from(key) if key.packet is not None else self._seek_to(key)
        try:
            sent = 0
            for pkt in packets:
                if sent and pkt.is_keyframe:
                    break  # the next GOP starts
                if self.clip.decoded >= budget:
                    break
                sent += 1
                frames = self._send(pkt)
                if frames is None:
                    return  # damaged data: what follows in this GOP would be damaged too
                yield from served(frames)
                if state["j"] >= len(target_ts):
                    return
            if sent:
                yield from served(self._drain())
        finally:
            packets.close()
            self._reset()


# --------------------------------------------------------------------------------------------------- rendering


def _even(x: float) -> int:
    return max(2, round(x / 2.0) * 2)


@dataclass
class _Rendered:
    pts: float
    is_keyframe: bool
    images: list[tuple[int, int, int, Path]]  # (requested width, width, height, temporary file)
    exposure: Any
    quality: Any = None


class _Writer:
    """Scales, turns upright and encodes each frame as soon as it is decoded (so no decoded frame is held), under
    temporary names; `finish` numbers them in time order and renames them to their final names."""

    def __init__(
        self, out_dir: Path, rel_dir: str, widths: list[int], thresholds: ExposureThresholds, ext: str, quality: int,
        analyser: Callable[[Any, np.ndarray], dict[str, Any]] | None = None,
    ) -> None:
        self.analyser = analyser
        self.out_dir = out_dir
        self.rel_dir = rel_dir
        self.widths = widths
        self.thresholds = thresholds
        self.ext = ext
        self.quality = quality
        self.rendered: list[_Rendered] = []
        self._tag = f"{os.getpid()}-{time.monotonic_ns() % 1_000_000_000}"
        # One swscale context per output size, reused from frame to frame, single-threaded: a fresh context per frame
        # (what VideoFrame.reformat does) spawns its thread pool every time and costs ~20 ms a 1080p frame.
        self._sws: dict[tuple[Any, ...], Any] = {}
        self._sws_threads: bool = True

    def _scale(self, key: tuple[Any, ...], frame: Any, **kwargs: Any) -> Any:
        sws = self._sws.get(key)
        if sws is None:
            sws = self._sws[key] = VideoReformatter()
        if self._sws_threads:
            try:
                return sws.reformat(frame, interpolation="AREA", threads=1, **kwargs)
            except TypeError:  # PyAV before `threads`
                self._sws_threads = False
        return sws.reformat(frame, interpolation="AREA", **kwargs)

    def _shrunk(self, frame: Any, width: int, height: int) -> Any:
        """The frame scaled once, in its own pixel format, to the largest output size: the RGB conversion of each
        width then starts from this small frame (cheaper than scaling the full frame once per width)."""
        if width >= frame.width and height >= frame.height:
            return frame
        try:
            return self._scale(("base", width, height), frame, width=width, height=height)
        except (av.error.FFmpegError, ValueError):
            return frame

    def add(self, frame: Any, pts: float, is_keyframe: bool, clip: _Clip) -> None:
        rotation = frame.rotation or clip.rotate_tag
        quarter = round(rotation / 90.0) % 4  # counterclockwise quarter turns the player applies
        disp_w = frame.width * clip.sar
        disp_h = Fraction(frame.height)
        if quarter % 2:
            disp_w, disp_h = disp_h, disp_w
        disp_w_px = max(2, round(disp_w))
        sizes = [w for w in self.widths if w <= disp_w_px] or [disp_w_px]
        slot = len(self.rendered)
        images: list[tuple[int, int, int, Path]] = []
        luma_src: np.ndarray | None = None
        luma_w = 0
        dims = []
        for w in sizes:
            h = _even(float(w * disp_h / disp_w))
            dims.append((w, (h, w) if quarter % 2 else (w, h)))  # (display width, size before turning upright)
        base = self._shrunk(frame, *dims[-1][1])
        try:
            for w, (sw, sh) in dims:
                rgb = self._scale(("rgb", sw, sh), base, width=sw, height=sh, format="rgb24").to_ndarray()
                if quarter:
                    rgb = np.ascontiguousarray(np.rot90(rgb, k=quarter))
                tmp = self.out_dir / f".{slot:04d}_{w}.{self._tag}.tmp"
                images.append((w, rgb.shape[1], rgb.shape[0], tmp))
                _encode(rgb, tmp, self.ext, self.quality)
                # Exposure from the smallest image at least 320 px wide (else the largest); `sizes` ascend.
                if luma_src is None or luma_w < _EXPOSURE_WIDTH:
                    luma_src, luma_w = rgb, w
        except BaseException:
            for *_x, tmp in images:
                _unlink(tmp)
            raise
        assert luma_src is not None
        exposure = frame_exposure(rgb_luma(luma_src), self.thresholds)
        quality = self.analyser(frame, rgb) if self.analyser is not None else None
        self.rendered.append(_Rendered(pts, is_keyframe, images, exposure, quality))

    def finish(self, clip: _Clip) -> list[Thumbnail]:
        thumbs: list[Thumbnail] = []
        written: set[str] = set()
        for index, r in enumerate(sorted(self.rendered, key=lambda r: r.pts)):
            images = []
            for want, w, h, tmp in r.images:
                name = f"{index:03d}_{want}.{self.ext}"
                os.replace(tmp, self.out_dir / name)
                written.add(name)
                images.append(ThumbnailImage(width=w, height=h, path=f"{self.rel_dir}/{name}"))
            images.sort(key=lambda im: im.width)
            seconds = max(0.0, float((Fraction(r.pts) - Fraction(clip.start)) * clip.time_base))
            thumbs.append(
                Thumbnail(
                    index=index,
                    frame_number=round(seconds * clip.fps) if clip.fps else index,
                    timestamp_seconds=round(seconds, 6),
                    is_keyframe=r.is_keyframe,
                    images=images,
                    exposure=r.exposure,
                    quality=r.quality,
                )
            )
        self.rendered = []
        self._remove_stale(written)
        return thumbs

    def _remove_stale(self, written: set[str]) -> None:
        """Drop images of an earlier run that this run did not rewrite, and temporaries a killed run left."""
        try:
            names = os.listdir(self.out_dir)
        except OSError:
            return
        for name in names:
            if name in written:
                continue
            if _FINAL_NAME.fullmatch(name):
                _unlink(self.out_dir / name)
            elif _TEMP_NAME.fullmatch(name) and self._tag not in name:
                try:  # a killed run's leftover (not one being written right now by another process)
                    if time.time() - os.stat(self.out_dir / name).st_mtime > _STALE_TEMP_SECONDS:
                        _unlink(self.out_dir / name)
                except OSError:
                    pass

    def discard(self) -> None:
        for r in self.rendered:
            for *_x, tmp in r.images:
                _unlink(tmp)
        self.rendered = []


def _unlink(p: Path) -> None:
    try:
        p.unlink()
    except OSError:
        pass


def _encode(rgb: np.ndarray, dest: Path, ext: str, quality: int) -> None:
    img = Image.fromarray(rgb, "RGB")
    kind = _PIL_FORMATS[ext]
    if kind == "JPEG":
        img.save(dest, format=kind, quality=quality)
    elif kind == "WEBP":
        img.save(dest, format=kind, quality=quality, method=2)
    else:
        img.save(dest, format=kind, compress_level=3)
