"""Shot boundaries (hard cuts) from a cheap, low-resolution decode with PyAV.

**Frame difference.** Every decoded frame is scaled by swscale (area filter) to ``analysis_width`` (160 px) in
YUV 4:4:4. Two frames ``a`` then ``b`` differ by

* ``hist``: total-variation distance of their luma (32 bins) and chroma (16 bins each) histograms,
  ``(2 TV(Y) + TV(U) + TV(V)) / 4``, 0..1: blind to motion, sees a change of tones or colours;
* ``pix`` (layout): the planes shrunk 4x more (40 px wide); the larger of their mean absolute Y/U/V difference
  divided by 48 (capped at 1) and, when neither luma is flat (std >= 3 levels), their luma decorrelation
  ``1 - Pearson r``: sees a change of layout between shots with the same tones, whatever the contrast;

and ``score = (hist + pix) / 2``, 0..1. Adjacent frames of one shot score ~0.01-0.1 (up to ~0.26 seen for a car
crossing close to the lens); hard cuts 0.5-0.9 on the footage tried.

**Adaptive threshold.** A pair of adjacent frames starts a new shot when its score is (a) at least ``threshold``
(absolute floor, default 0.3), (b) at least ``local median + k * max(local MAD-sigma, 0.02)`` with ``k = 5``, the
local statistics taken over the adjacent pairs within ``window_seconds`` (1 s) each side of it, excluding the pair
itself, so steady strong motion raises the bar where it happens; and (c) at least ``min_shot_seconds`` (0.4 s) from
a stronger cut (cuts are placed strongest first: a flash frame gives one cut, not two) and at least two frames from
the clip's ends (a clip may be trimmed close to a cut). Dissolves and fades spread their change over many frames
and are not detected (hard cuts only).

**Which frames are decoded (GOP screening).** Decoding every frame of 1080p H.264 runs at only 3-8x real time on two
cores, so by default (``screen=True``) frames are decoded only where a cut may be:

1. A demux-only pre-pass (no decoding, ~0.05 s for 30 s of 1080p) learns the usual GOP length (in packets).
2. The main pass reads every video packet; each keyframe is decoded on its own by one decoder.
3. A GOP (a keyframe and the packets up to the next keyframe) is *suspect*, and all its frames are decoded by a
   second decoder, when any of:

   * its two keyframes differ: histogram distance >= ``screen_threshold`` (0.06) or layout difference >=
     ``screen_layout`` (0.5) -- within one shot, keyframes a second apart stay under both on ordinary footage;
   * one of its packets is a size spike: at least 2.5x the median size of recent packets of its kind
     (forward-predicted or reordered, told apart by presentation order) and at least 30 % of its keyframe's size --
     an encoder must code the first frame of a new shot mostly intra, even when the two shots look alike;
   * it is shorter than 0.8x the usual GOP length: the next keyframe came early, i.e. an encoder's scene-cut
     keyframe, which sits on the cut itself;
   * it is the last GOP of the file.
4. Cuts are looked for only between adjacent decoded frames (the frames of suspect GOPs, the keyframe after each,
   and keyframes that follow each other directly, as in intra-only codecs): a GOP that is not suspect holds no cut.

Known blind spot of screening: a cut that falls exactly on a regular keyframe (fixed GOP, no scene-cut keyframes)
between two shots with the same tones and a similar layout. ``screen=False`` decodes every frame in one pass.

Robustness: packets flagged corrupt and packets the decoder rejects are skipped and counted
(``CutScan.decode_errors``); a demuxer error ends the pass quietly with what was read; a clip without any keyframe
flag is decoded in full; the duration comes from the packets (none is needed from the container). A clip with no
decodable video packet gives no shot; with no cut, one shot.

Times are seconds from the video stream's start time, as thumbnail timestamps are.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import logging
import os
import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import av.error
import numpy as np
from pydantic import BaseModel, Field

from vcat_core.errors import (
    NotAVideoError,
)
from vcat_core.pipeline.av_open import open_video, video_packets, video_stream
from vcat_core.pipeline.vision.models import Shot

log = logging.getLogger(__name__)

_Y_BINS = 32
_C_BINS = 16
_PIX_SHRINK = 4
_PIX_SCALE = 48.0
_MAD_FLOOR = 0.02
_FLAT_STD = 3.0  # luma levels: a shrunk frame flatter than this has no layout to correlate
_SIZE_HISTORY = 48


@dataclass(frozen=True)
class CutParams:
    """Tunables of ``detect_cuts`` (defaults documented in the module docstring)."""

    analysis_width: int = 160
    threshold: float = 0.3  # absolute floor of a cut's score (0..1)
    k: float = 5.0  # how many local MAD-sigmas above the local median a cut must be
    window_seconds: float = 1.0
    min_shot_seconds: float = 0.4
    screen: bool = True  # decode only suspect GOPs (see the module docstring)
    screen_threshold: float = 0.06  # keyframe-to-keyframe histogram distance that makes a GOP suspect
    screen_layout: float = 0.5  # ... or keyframe-to-keyframe layout difference
    spike_ratio: float = 2.5
    spike_key_share: float = 0.3
    short_gop: float = 0.8
    threads: int = 0  # decoder threads, 0 = FFmpeg's choice
    fast_decode: bool = True  # skip the in-loop deblocking filter (H.264/HEVC): faster, same cuts


class CutScan(BaseModel):
    """What one cut-detection pass found and what it cost."""

    shots: list[Shot]
    cuts: list[float] = Field(default_factory=list)  # start time of every shot but the first
    duration_seconds: float | None = None  # from the packets (first frame to end of the last)
    packets: int = 0
    frames_decoded: int = 0  # by both decoders
    keyframes: int = 0
    gops: int = 0
    gops_decoded: int = 0  # suspect GOPs decoded in full (all of them when screen=False)
    reasons: dict[str, int] = Field(default_factory=dict)  # why GOPs were suspect: keyframes/spike/short_gop/last
    decode_errors: int = 0
    screened: bool = True
    seconds: float = 0.0


# --------------------------------------------------------------------------------------------------- features


@dataclass
class _Feat:
    t: float
    hy: np.ndarray
    hu: np.ndarray
    hv: np.ndarray
    small: np.ndarray  # 3 x h x w float32 (Y, U, V shrunk)
    zy: np.ndarray | None  # the shrunk Y, zero-mean and unit-norm (None when it is flat)


def _features_from_yuv(t: float, yuv: np.ndarray) -> _Feat:
    """Features of a 3 x H x W uint8 Y, U, V image."""
    import cv2

    y, u, v = yuv[0], yuv[1], yuv[2]
    n = float(y.size)
    hy = np.bincount((y >> 3).ravel(), minlength=_Y_BINS).astype(np.float32) / n
    hu = np.bincount((u >> 4).ravel(), minlength=_C_BINS).astype(np.float32) / n
    hv = np.bincount((v >> 4).ravel(), minlength=_C_BINS).astype(np.float32) / n
    h, w = y.shape
    sw, sh = max(1, w // _PIX_SHRINK), max(1, h // _PIX_SHRINK)
    small = np.stack(
        [cv2.resize(p, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32) for p in (y, u, v)]
    )
    zy = small[0] - small[0].mean()
    norm = float(np.sqrt((zy * zy).sum()))
    flat = norm < _FLAT_STD * np.sqrt(zy.size)
    return _Feat(t, hy, hu, hv, small, None if flat else zy / norm)


def histogram_difference(a: _Feat, b: _Feat) -> float:
    """The ``hist`` part of the score: weighted total-variation distance of the Y, U, V histograms, 0..1."""
    tv_y = 0.5 * float(np.abs(a.hy - b.hy).sum())
    tv_u = 0.5 * float(np.abs(a.hu - b.hu).sum())
    tv_v = 0.5 * float(np.abs(a.hv - b.hv).sum())
    return (2.0 * tv_y + tv_u + tv_v) / 4.0


def layout_difference(a: _Feat, b: _Feat) -> float:
    """The ``pix`` part of the score, 0..1: the larger of the mean absolute Y/U/V difference of the shrunk frames
    (/48) and their luma decorrelation ``1 - Pearson r`` (when neither is flat)."""
    if a.small.shape != b.small.shape:
        return 1.0
    pix = min(1.0, float(np.abs(a.small - b.small).mean()) / _PIX_SCALE)
    if a.zy is not None and b.zy is not None:
        pix = max(pix, min(1.0, max(0.0, 1.0 - float((a.zy * b.zy).sum()))))
    return pix


def frame_difference(a: _Feat, b: _Feat) -> float:
    """Cut score of frame `b` following frame `a`, 0..1 (see the module docstring)."""
    return 0.5 * histogram_difference(a, b) + 0.5 * layout_difference(a, b)


def _frame_features(frame: Any, t: float, width: int) -> _Feat | None:
    w, h = frame.width, frame.height
    if not w or not h:
        return None
    aw = max(8, min(width, w))
    ah = max(2, round(aw * h / w / 2.0) * 2)
    try:
        yuv = frame.reformat(width=aw, height=ah, format="yuv444p", interpolation="AREA").to_ndarray()
    except (av.error.FFmpegError, ValueError) as err:
        log.debug("reformat failed: %s", err)
        return None
    if yuv.ndim == 3 and yuv.shape[0] != 3 and yuv.shape[-1] == 3:
        yuv = np.moveaxis(yuv, -1, 0)
    return _features_from_yuv(t, np.ascontiguousarray(yuv))


# --------------------------------------------------------------------------------------------------- decoding


class _Decoder:
    """One codec context; decode errors are counted and the packet skipped."""

    def __init__(self, cc: Any, scan: _Scan, *, threaded: bool) -> None:
        self.cc = cc
        self.scan = scan
        if threaded:
            try:
                cc.thread_type = "AUTO"
                cc.thread_count = scan.params.threads
            except (AttributeError, ValueError, av.error.FFmpegError):
                pass
        if scan.params.fast_decode:
            try:
                cc.options = dict(cc.options or {}, skip_loop_filter="all")
            except (AttributeError, TypeError, ValueError):
                pass

    def send(self, pkt: Any) -> list[Any]:
        try:
            return list(self.cc.decode(pkt))
        except (av.error.FFmpegError, ValueError) as err:
            self.scan.result.decode_errors += 1
            log.debug("decode error at pts %s: %s", getattr(pkt, "pts", None), err)
            return []

    def drain(self) -> list[Any]:
        try:
            frames = list(self.cc.decode(None))
        except (av.error.FFmpegError, ValueError) as err:
            log.debug("drain error: %s", err)
            frames = []
        try:
            self.cc.flush_buffers()
        except (av.error.FFmpegError, ValueError, AttributeError):
            pass
        return frames


@dataclass
class _Pair:
    t: float
    score: float


@dataclass
class _Scan:
    path: str
    params: CutParams
    result: CutScan
    tb: Fraction = Fraction(1, 90000)
    origin: float | None = None  # in stream ticks
    pairs: list[_Pair] = field(default_factory=list)
    first_t: float | None = None
    end_t: float | None = None  # end of the last frame, seconds
    frame_dt: float = 1 / 25.0

    def seconds(self, ticks: float) -> float:
        return float((Fraction(ticks) - Fraction(self.origin or 0)) * self.tb)

    def frame_time(self, frame: Any, fallback: float | None) -> float | None:
        pts = frame.pts
        if pts is None:
            pts = getattr(frame, "dts", None)
        if pts is None:
            if fallback is not None:
                return fallback + self.frame_dt
            return 0.0 if self.origin is None else None  # a stream with no timestamps at all starts at 0
        return self.seconds(pts)

    def note_packet(self, pkt: Any) -> None:
        ts = pkt.pts if pkt.pts is not None else pkt.dts
        if ts is None:
            return
        if self.origin is None:
            self.origin = float(ts)
        t = self.seconds(ts)
        dur = float(pkt.duration * self.tb) if pkt.duration else self.frame_dt
        end = t + (dur if 0 < dur < 10 * self.frame_dt + 1 else self.frame_dt)
        self.first_t = t if self.first_t is None else min(self.first_t, t)
        self.end_t = end if self.end_t is None else max(self.end_t, end)

    def features(self, frames: list[Any], prev: _Feat | None) -> list[_Feat]:
        out: list[_Feat] = []
        last = prev.t if prev is not None else None
        for fr in frames:
            self.result.frames_decoded += 1
            t = self.frame_time(fr, last)
            if t is None:
                continue
            f = _frame_features(fr, t, self.params.analysis_width)
            if f is not None:
                out.append(f)
                last = t
                self.first_t = t if self.first_t is None else min(self.first_t, t)
                end = t + self.frame_dt
                self.end_t = end if self.end_t is None else max(self.end_t, end)
        return out

    def chain(self, feats: list[_Feat]) -> None:
        """Score each adjacent pair in a run of consecutive frames (display order)."""
        for a, b in itertools.pairwise(feats):
            if b.t > a.t:
                self.pairs.append(_Pair(b.t, frame_difference(a, b)))


def _start_ticks(container: Any, stream: Any, tb: Fraction) -> float | None:
    if stream.start_time is not None:
        return float(stream.start_time)
    if container.start_time is not None:
        return float(Fraction(container.start_time, av.time_base) / tb)
    return None


def _frame_dt(stream: Any) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    try:
        fps = float(rate) if rate else 0.0
    except (TypeError, ZeroDivisionError):
        fps = 0.0
    return 1.0 / fps if 0.1 <= fps <= 1000 else 1 / 25.0


def _scan_full(scan: _Scan, container: Any, stream: Any) -> None:
    """Decode every frame in one pass."""
    dec = _Decoder(stream.codec_context, scan, threaded=True)
    run: list[_Feat] = []
    prev: _Feat | None = None
    for pkt in video_packets(container, stream):
        scan.result.packets += 1
        scan.note_packet(pkt)
        if pkt.is_keyframe:
            scan.result.keyframes += 1
        if pkt.is_corrupt:
            scan.result.decode_errors += 1
            continue
        feats = scan.features(dec.send(pkt), prev)
        if feats:
            run.extend(feats)
            prev = run[-1]
            if len(run) > 64:
                scan.chain(run)
                run = run[-1:]
    run.extend(scan.features(dec.drain(), prev))
    scan.chain(run)
    scan.result.gops = scan.result.gops_decoded = max(1, scan.result.keyframes)


class _SizeStats:
    """Recent packet sizes by kind (forward-predicted vs reordered), for spotting intra-coded size spikes."""

    def __init__(self) -> None:
        self.hist: dict[bool, deque[int]] = {False: deque(maxlen=_SIZE_HISTORY), True: deque(maxlen=_SIZE_HISTORY)}
        self.max_pts: float | None = None

    def spike(self, pkt: Any, key_size: int, params: CutParams) -> bool:
        ts = pkt.pts if pkt.pts is not None else pkt.dts
        reordered = ts is not None and self.max_pts is not None and ts < self.max_pts
        if ts is not None:
            self.max_pts = ts if self.max_pts is None else max(self.max_pts, ts)
        h = self.hist[reordered]
        hit = False
        if len(h) >= 4:
            med = statistics.median(h)
            hit = pkt.size >= params.spike_ratio * max(med, 1) and pkt.size >= params.spike_key_share * key_size
        h.append(pkt.size)
        return hit

    def key(self, pkt: Any) -> None:
        ts = pkt.pts if pkt.pts is not None else pkt.dts
        if ts is not None:
            self.max_pts = ts if self.max_pts is None else max(self.max_pts, ts)


def _reference_gop_length(path: str) -> float | None:
    """The clip's usual GOP length in packets, from a demux-only pass (cheap: no decoding): the median length of
    the complete GOPs when there are two or more, else the longest GOP (the last one included); None with fewer
    than two GOPs."""
    lengths: list[int] = []
    try:
        container = open_video(path, "detecting cuts")
    except Exception:  # noqa: BLE001 - the main pass reports open errors
        return None
    try:
        stream = video_stream(container, path)
        for pkt in video_packets(container, stream):
            if pkt.is_corrupt:
                continue
            if pkt.is_keyframe:
                lengths.append(1)
            elif lengths:
                lengths[-1] += 1
    except (av.error.FFmpegError, OSError, NotAVideoError) as err:
        log.debug("GOP pre-pass stopped: %s", err)
    finally:
        container.close()
    if len(lengths) < 2:
        return None
    complete = lengths[:-1]
    return float(statistics.median(complete)) if len(complete) >= 2 else float(max(lengths))


def _scan_screened(scan: _Scan, path: str, container: Any, stream: Any) -> bool:
    """GOP screening (see the module docstring). False when screening cannot work on this stream (no keyframe
    flags, or packets without timestamps): the caller then decodes every frame."""
    p = scan.params
    key_dec = _Decoder(stream.codec_context, scan, threaded=False)
    full_container: Any = None
    full_dec: _Decoder | None = None
    sizes = _SizeStats()
    ref_length = _reference_gop_length(path)

    gop: list[Any] = []
    gop_spike = False
    key_feat: _Feat | None = None
    # A run: consecutive suspect GOPs fed to the full decoder without a flush between them (frame threads keep
    # working); `run_last` is the last frame of the run so far, `run_start` the time of its first keyframe.
    run_active = False
    run_last: _Feat | None = None
    run_start: float | None = None

    def decode_key(pkt: Any) -> _Feat | None:
        frames = key_dec.send(pkt) + key_dec.drain()
        feats = scan.features(frames, None)
        return feats[-1] if feats else None

    def take(frames: list[Any]) -> None:
        nonlocal run_last
        for f in scan.features(frames, run_last):
            if run_start is not None and f.t < run_start - 1e-9:
                continue  # open GOP: leading frames of the run's first keyframe cannot be decoded from it
            if run_last is not None:
                if f.t <= run_last.t:
                    continue
                scan.pairs.append(_Pair(f.t, frame_difference(run_last, f)))
            run_last = f

    def end_run(next_feat: _Feat | None) -> None:
        nonlocal run_active, run_last, run_start
        if not run_active or full_dec is None:
            return
        take(full_dec.drain())
        if next_feat is not None and run_last is not None and next_feat.t > run_last.t:
            scan.pairs.append(_Pair(next_feat.t, frame_difference(run_last, next_feat)))
        run_active, run_last, run_start = False, None, None

    def close_gop(next_feat: _Feat | None, eof: bool) -> None:
        nonlocal full_container, full_dec, run_active, run_start
        scan.result.gops += 1
        n = len(gop)
        if n == 1:  # a lone keyframe: it and the next keyframe are adjacent frames
            end_run(key_feat)
            if key_feat is not None and next_feat is not None:
                scan.chain([key_feat, next_feat])
            return
        short = ref_length is not None and not eof and n < p.short_gop * ref_length
        far = key_feat is None or next_feat is None or \
            histogram_difference(key_feat, next_feat) >= p.screen_threshold or \
            layout_difference(key_feat, next_feat) >= p.screen_layout
        why = [name for name, hit in (("last", eof), ("keyframes", far), ("short_gop", short), ("spike", gop_spike))
               if hit]
        if not why:
            end_run(key_feat)
            return
        for name in why:
            scan.result.reasons[name] = scan.result.reasons.get(name, 0) + 1
        scan.result.gops_decoded += 1
        if full_dec is None:
            full_container = open_video(path, "detecting cuts")
            full_dec = _Decoder(video_stream(full_container, path).codec_context, scan, threaded=True)
        if not run_active:
            run_active = True
            run_start = key_feat.t if key_feat is not None else None
        for q in gop:
            take(full_dec.send(q))
        if eof:
            end_run(None)

    try:
        for pkt in video_packets(container, stream):
            if pkt.pts is None and pkt.dts is None:
                return False
            scan.result.packets += 1
            scan.note_packet(pkt)
            if pkt.is_corrupt:
                scan.result.decode_errors += 1
                continue
            if pkt.is_keyframe:
                scan.result.keyframes += 1
                sizes.key(pkt)
                feat = decode_key(pkt)
                if gop:
                    close_gop(feat, eof=False)
                gop = [pkt]
                gop_spike = False
                key_feat = feat
            elif gop:
                gop.append(pkt)
                if sizes.spike(pkt, gop[0].size, p):
                    gop_spike = True
        if gop:
            close_gop(None, eof=True)
        end_run(None)
    finally:
        if full_container is not None:
            full_container.close()
    return scan.result.keyframes > 0 or scan.result.packets == 0


def _decide(scan: _Scan) -> list[_Pair]:
    """The cuts among the scored pairs (adaptive threshold + minimum shot length)."""
    p = scan.params
    pairs = sorted(scan.pairs, key=lambda q: q.t)
    times = [q.t for q in pairs]
    scores = np.array([q.score for q in pairs], dtype=np.float64)
    start = scan.first_t if scan.first_t is not None else (times[0] if times else 0.0)
    end = scan.end_t if scan.end_t is not None else (times[-1] if times else 0.0)
    candidates: list[_Pair] = []
    for i, q in enumerate(pairs):
        if q.score < p.threshold:
            continue
        lo = bisect.bisect_left(times, q.t - p.window_seconds)
        hi = bisect.bisect_right(times, q.t + p.window_seconds)
        local = np.concatenate([scores[lo:i], scores[i + 1 : hi]])
        if local.size:
            med = float(np.median(local))
            mad = 1.4826 * float(np.median(np.abs(local - med)))
            if q.score < med + p.k * max(mad, _MAD_FLOOR):
                continue
        candidates.append(q)
    chosen: list[_Pair] = []
    edge = min(p.min_shot_seconds, 2.0 * scan.frame_dt)  # a clip may be trimmed close to a cut: 2 frames suffice
    for q in sorted(candidates, key=lambda c: c.score, reverse=True):
        if q.t - start < edge - 1e-9 or end - q.t < edge - 1e-9:
            continue
        if any(abs(q.t - c.t) < p.min_shot_seconds - 1e-9 for c in chosen):
            continue
        chosen.append(q)
    return sorted(chosen, key=lambda c: c.t)


def cut_scan(path: str | os.PathLike[str], params: CutParams | None = None, **overrides: Any) -> CutScan:
    """Detect hard cuts in the clip at `path` and report the shots with the cost of finding them.

    `params` (or keyword overrides of its fields, e.g. ``screen=False``) tune the rule in the module docstring.
    Raises the MediaError subclasses of ``vcat_core.errors`` when the file cannot be opened or has no video."""
    params = params or CutParams()
    if overrides:
        params = dataclasses.replace(params, **overrides)
    t0 = time.perf_counter()
    path = os.fspath(path)
    result = CutScan(shots=[], screened=params.screen)
    container = open_video(path, "detecting cuts")
    try:
        stream = video_stream(container, path)
        tb = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)
        scan = _Scan(path=path, params=params, result=result, tb=tb,
                     origin=_start_ticks(container, stream, tb), frame_dt=_frame_dt(stream))
        ok = True
        if params.screen:
            ok = _scan_screened(scan, path, container, stream)
        else:
            _scan_full(scan, container, stream)
    finally:
        container.close()
    if not ok:  # no keyframe flags or no timestamps: decode everything
        log.debug("%s: cannot screen GOPs, decoding every frame", path)
        full = cut_scan(path, params, screen=False)
        full.screened = False
        full.seconds = time.perf_counter() - t0
        return full
    cuts = _decide(scan)
    start = max(0.0, scan.first_t) if scan.first_t is not None else 0.0
    end = scan.end_t if scan.end_t is not None else start
    result.duration_seconds = round(end - start, 6) if scan.end_t is not None else None
    shots: list[Shot] = []
    if scan.end_t is not None and (result.frames_decoded or result.packets):
        bounds = [start] + [c.t for c in cuts] + [end]
        scores: list[float | None] = [None] + [c.score for c in cuts]
        for i in range(len(bounds) - 1):
            shots.append(Shot(start_seconds=round(bounds[i], 6), end_seconds=round(bounds[i + 1], 6),
                              cut_score=None if scores[i] is None else round(float(scores[i]), 4)))
    result.shots = shots
    result.cuts = [round(c.t, 6) for c in cuts]
    result.seconds = time.perf_counter() - t0
    return result


def detect_cuts(
    path: str | os.PathLike[str],
    *,
    analysis_width: int = 160,
    threshold: float = CutParams.threshold,
    min_shot_seconds: float = CutParams.min_shot_seconds,
    screen: bool = True,
    **params: Any,
) -> list[Shot]:
    """Shots of the clip at `path`, split at hard cuts (see the module docstring for the rule).

    A clip with no cut is one shot; a clip with no decodable video packet gives ``[]``."""
    return cut_scan(path, analysis_width=analysis_width, threshold=threshold, min_shot_seconds=min_shot_seconds,
                    screen=screen, **params).shots
