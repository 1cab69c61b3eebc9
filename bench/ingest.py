"""Ingest benchmark: vcat's pipeline vs the spec's reference approach vs the floor, on one generated corpus.

    .venv/bin/python bench/ingest.py            # 20 × 60 s 1080p30 H.264 (1 s GOP, AAC) + 2 × 30 s 1080p ProRes
    .venv/bin/python bench/ingest.py --small    # 4 × 10 s + 1 × 5 s, for a quick look

The corpus is built once under bench/.corpus/ (ffmpeg CLI, a few minutes) and reused. Everything is measured with
the corpus in the page cache (it is read once first), so the figures compare CPU work, not the disk.

Printed: clips/min, MB/s, per-stage seconds (summed over workers), peak RSS of the whole process tree; the same for
the reference (sequential MD5, a new exiftool process per file, seek + decode + PIL resize per thumbnail, at the
same thumbnail count), and the floor (reading every byte once + decoding only the sampled keyframes), with ratios.
RSS is measured on half the corpus and on all of it, to show it stays flat as the corpus grows.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import av
import psutil
from PIL import Image

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from vcat_core.config import load_settings  # noqa: E402
from vcat_core.events import RunFinished  # noqa: E402
from vcat_core.service import Catalog  # noqa: E402


def build_corpus(dest: Path, small: bool) -> list[Path]:
    n_h264, h264_s, n_prores, prores_s = (4, 10, 1, 5) if small else (20, 60, 2, 30)
    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n_h264):
        out = dest / f"h264_{i:02d}.mp4"
        if not out.exists():
            _ffmpeg(out, h264_s, f"testsrc2=size=1920x1080:rate=30,hue=h={i * 17}",
                    ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-g", "30", "-pix_fmt", "yuv420p",
                     "-c:a", "aac", "-b:a", "128k"])
        files.append(out)
    for i in range(n_prores):
        out = dest / f"prores_{i:02d}.mov"
        if not out.exists():
            _ffmpeg(out, prores_s, f"testsrc=size=1920x1080:rate=25,hue=h={i * 40}",
                    ["-c:v", "prores_ks", "-profile:v", "2", "-pix_fmt", "yuv422p10le", "-c:a", "pcm_s16le"])
        files.append(out)
    return files


def _ffmpeg(out: Path, seconds: int, video: str, codec_args: list[str]) -> None:
    print(f"  building {out.name} ...", flush=True)
    tmp = out.with_suffix(".part" + out.suffix)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", video, "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000", "-t", str(seconds), "-map", "0:v", "-map", "1:a",
                    *codec_args, str(tmp)], check=True)
    os.replace(tmp, out)


class RssSampler:
    """Peak resident memory of this process and all its children, sampled every 100 ms."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


CORE_STAGES = ("metadata", "thumbnails", "exposure")  # what the reference does too (plus fingerprint)


def run_vcat(files: list[Path], thumbs: int, workers: int, stages: tuple[str, ...] | None = CORE_STAGES) -> dict:
    with tempfile.TemporaryDirectory(prefix="vcat-bench-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for f in files:  # symlinks: the same bytes, a fresh folder per run
            os.symlink(f, src / f.name)
        settings = load_settings(catalog=Path(tmp) / "catalog", workers=workers, thumbnails=thumbs)
        summary = None
        with RssSampler() as rss, Catalog(settings) as catalog:
            started = time.perf_counter()

            async def drive():
                nonlocal summary
                async for ev in catalog.ingest([str(src)], stages=stages):
                    if isinstance(ev, RunFinished):
                        summary = ev.summary

            asyncio.run(drive())
            seconds = time.perf_counter() - started
        assert summary is not None and summary.failed == 0, summary
        return {"seconds": seconds, "stages": summary.stage_seconds, "peak_rss": rss.peak, "clips": summary.new}


def run_reference(files: list[Path], thumbs: int, widths=(160, 320, 640)) -> dict:
    """The spec's reference: one file at a time, MD5, a new exiftool per file, seek+decode+PIL per thumbnail."""
    stages = {"md5": 0.0, "exiftool": 0.0, "thumbnails": 0.0}
    with tempfile.TemporaryDirectory(prefix="vcat-ref-") as tmp, RssSampler() as rss:
        started = time.perf_counter()
        for f in files:
            t = time.perf_counter()
            h = hashlib.md5()
            with open(f, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            stages["md5"] += time.perf_counter() - t
            t = time.perf_counter()
            json.loads(subprocess.run(["exiftool", "-json", "-G", str(f)], capture_output=True, check=True).stdout)
            stages["exiftool"] += time.perf_counter() - t
            t = time.perf_counter()
            with av.open(str(f)) as c:
                vs = c.streams.video[0]
                duration = float(c.duration / av.time_base)
                for i in range(thumbs):
                    target = duration * (i + 0.5) / thumbs
                    c.seek(int(target / vs.time_base), stream=vs)
                    frame = None
                    for frame in c.decode(vs):
                        if frame.time is not None and frame.time >= target:
                            break
                    if frame is None:
                        continue
                    img = frame.to_image()
                    for w in widths:
                        img.resize((w, round(img.height * w / img.width)), Image.LANCZOS).save(
                            Path(tmp) / f"{f.stem}_{i}_{w}.jpg", quality=85)
            stages["thumbnails"] += time.perf_counter() - t
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "stages": stages, "peak_rss": rss.peak}


def run_floor(files: list[Path], thumbs: int, workers: int) -> dict:
    """The least any ingest must do: read every byte once and decode the sampled keyframes (spread over workers)."""
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_floor_one, files, [thumbs] * len(files)))
    return {"seconds": time.perf_counter() - started}


def _floor_one(path: Path, thumbs: int) -> int:
    buf = bytearray(8 << 20)
    with open(path, "rb", buffering=0) as fh:
        while fh.readinto(buf):
            pass
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        keys = [p for p in c.demux(vs) if p.is_keyframe and p.pts is not None]
        if not keys:
            return 0
        step = max(1, len(keys) // thumbs)
        chosen = keys[::step][:thumbs]
        n = 0
        cc = vs.codec_context
        for p in chosen:
            n += len(cc.decode(p))
        n += len(cc.decode(None))
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="a small corpus for a quick look")
    ap.add_argument("--thumbnails", type=int, default=30)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()
    if not shutil.which("ffmpeg") or not shutil.which("exiftool"):
        sys.exit("bench needs the ffmpeg and exiftool commands (bash scripts/setup.sh)")
    corpus_dir = ROOT / ".corpus" / ("small" if args.small else "full")
    print(f"corpus: {corpus_dir}")
    files = build_corpus(corpus_dir, args.small)
    total = sum(f.stat().st_size for f in files)
    for f in files:  # into the page cache
        with open(f, "rb") as fh:
            while fh.read(8 << 20):
                pass
    mb = total / 1e6
    print(f"{len(files)} files, {mb:.0f} MB, {args.thumbnails} thumbnails each, {args.workers} workers\n")

    half = run_vcat(files[: len(files) // 2], args.thumbnails, args.workers)
    vc = run_vcat(files, args.thumbnails, args.workers)
    fl = run_floor(files, args.thumbnails, args.workers)
    full = run_vcat(files, args.thumbnails, args.workers, stages=None)
    rows = [("vcat", vc), ("floor", fl), ("vcat full", full)]
    ref = None
    if not args.skip_reference:
        ref = run_reference(files, args.thumbnails)
        rows.append(("reference", ref))
    print(f"{'run':<10} {'seconds':>8} {'clips/min':>10} {'MB/s':>8} {'peak RSS':>10}")
    for name, r in rows:
        rss = f"{r['peak_rss'] / 1e6:.0f} MB" if "peak_rss" in r else "-"
        print(f"{name:<10} {r['seconds']:8.1f} {len(files) / r['seconds'] * 60:10.1f} {mb / r['seconds']:8.1f} "
              f"{rss:>10}")
    print("\nvcat = fingerprint, metadata, thumbnails, exposure (the reference's work); vcat full = every stage "
          "(+ vision: cuts, quality, selection; transcript, analysis, embeddings)")
    print("vcat per-stage seconds (summed over workers): "
          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(vc["stages"].items())))
    print("vcat full per-stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(full["stages"].items())))
    if ref:
        print("reference per-stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in ref["stages"].items()))
        print(f"\nspeed-up over the reference: {ref['seconds'] / vc['seconds']:.1f}x (target >= 5x)")
    print(f"vcat / floor: {vc['seconds'] / fl['seconds']:.2f}x (target <= 1.5x)")
    print(f"peak RSS, half corpus {half['peak_rss'] / 1e6:.0f} MB -> full corpus {vc['peak_rss'] / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
