"""Vision-stage benchmark: per-frame analysis cost and cut-detection speed.

    .venv/bin/python bench/vision.py            # frames + five 30 s 1080p30 H.264 clips (built once, ~5 min)
    .venv/bin/python bench/vision.py --quick    # frames + one 10 s clip

Printed:

* ``analyse_frame`` milliseconds per frame (median of repeats; with and without the face detector) on a detailed
  synthetic frame at 640x360 (thumbnail-sized), 1920x1080 and 3840x2160, plus each metric alone at 1080p;
* cut detection as a multiple of real time (clip seconds / wall seconds), with GOP screening (the default) and
  decoding every frame, on 30 s 1080p30 clips built once under bench/.corpus/vision/ with the ffmpeg CLI
  (libx264 preset medium, CRF 20, 1 s GOP, light temporal noise ``noise=alls=4``), 6 shots of 5 s each (cuts at 5,
  10, 15, 20, 25 s) unless said otherwise:
  - ``pans``: slow camera moves (crop windows panning at 0-120 px/s) over six detailed 4K stills -- camera-like
    content; scene-cut keyframes on (an exported edit);
  - ``pans_fixed_gop``: the same with scene-cut keyframes off (fixed GOP; the cuts fall on regular keyframes);
  - ``edit`` / ``camera``: shots of lavfi sources that change all over every frame (testsrc2, moving gradients,
    life, cellauto): the worst case for screening; scene-cut keyframes on / off;
  - ``testsrc2``: one 30 s shot of testsrc2, fixed GOP, no cut (a camera original);
  with the cuts found, so accuracy is checked too.

The machine is shared and noisy: compare figures from one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests.test_vision import render_scene as scene  # noqa: E402 - the tests' synthetic detailed frame
from vcat_core.pipeline.vision import (
    analyse_frame,
    blockiness,
    complexity,
    cut_scan,
    noise_sigma,
    sharpness,
    shot_type,
)

CORPUS = ROOT / ".corpus" / "vision"
SHOT_SECONDS = 5
SOURCES = [
    "testsrc2=size=1920x1080:rate=30",
    "gradients=size=1920x1080:rate=30:speed=0.03",
    "life=size=480x270:rate=30:mold=10:ratio=0.2:death_color=#202040:life_color=#e0c040,scale=1920:1080",
    "testsrc2=size=1920x1080:rate=30,hue=h=150,vflip",
    "cellauto=size=480x270:rate=30:rule=110,scale=1920:1080",
    "testsrc2=size=1920x1080:rate=30,hflip,hue=s=0",
]


def _ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def bench_frames(repeat: int) -> None:
    print(f"analyse_frame, ms per frame (median of {repeat}):")
    print(f"  {'input':>10}  {'all':>7}  {'no faces':>8}")
    for w, h in ((640, 360), (1920, 1080), (3840, 2160)):
        img = scene(w, h)
        analyse_frame(img)
        full = _ms(lambda img=img: analyse_frame(img), repeat)
        nof = _ms(lambda img=img: analyse_frame(img, faces=False), repeat)
        print(f"  {w}x{h:<5}  {full:7.1f}  {nof:8.1f}")
    img = scene(1920, 1080)
    parts = {
        "sharpness": lambda: sharpness(img),
        "noise": lambda: noise_sigma(img),
        "blockiness": lambda: blockiness(img),
        "complexity": lambda: complexity(img),
        "shot_type": lambda: shot_type(img),
    }
    print("  each metric alone at 1920x1080 (RGB in, includes its own luma conversion):")
    for name, fn in parts.items():
        print(f"    {name:<11} {_ms(fn, repeat):6.1f} ms")


# Slow camera moves over six detailed 4K stills: (x0, y0, vx, vy) in px and px/s of a 1920x1080 window.
PANS = [(100, 200, 60, 0), (1500, 900, -40, 15), (800, 400, 0, 0), (200, 1000, 90, -30), (1700, 100, -120, 20),
        (900, 600, 25, 25)]


def _stills(n: int) -> list[Path]:
    paths = []
    for i in range(n):
        p = CORPUS / f"still_{i}.png"
        if not p.exists():
            cv2.imwrite(str(p), scene(3840, 2160, seed=10 + i)[..., ::-1])
        paths.append(p)
    return paths


def build(name: str, seconds: int) -> Path:
    CORPUS.mkdir(parents=True, exist_ok=True)
    out = CORPUS / f"{name}_{seconds}s.mp4"
    if out.exists():
        return out
    print(f"  building {out.name} ...", flush=True)
    tmp = out.with_suffix(".part.mp4")
    noise = "noise=alls=4:allf=t,format=yuv420p"
    x264 = ["-c:v", "libx264", "-preset", "medium", "-crf", "20", "-g", "30", "-pix_fmt", "yuv420p"]
    if name.startswith("pans"):
        shots = max(2, seconds // SHOT_SECONDS)
        inputs = []
        chains = []
        for i in range(shots):
            still = _stills(len(PANS))[i % len(PANS)]
            x0, y0, vx, vy = PANS[i % len(PANS)]
            inputs += ["-loop", "1", "-framerate", "30", "-t", str(SHOT_SECONDS), "-i", str(still)]
            chains.append(f"[{i}:v]crop=1920:1080:x='{x0}+t*{vx}':y='{y0}+t*{vy}',setsar=1,{noise}[v{i}]")
        graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(shots)) + f"concat=n={shots}:v=1:a=0[out]"
        extra = ["-sc_threshold", "0"] if name == "pans_fixed_gop" else []
        subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]", *x264,
                        *extra, str(tmp)], check=True)
        os.replace(tmp, out)
        return out
    if name == "testsrc2":
        cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{SOURCES[0]},{noise}", "-t", str(seconds),
               *x264, "-sc_threshold", "0", str(tmp)]
    else:
        shots = max(2, seconds // SHOT_SECONDS)
        inputs: list[str] = []
        chains = []
        for i in range(shots):
            inputs += ["-f", "lavfi", "-t", str(SHOT_SECONDS), "-i", SOURCES[i % len(SOURCES)]]
            chains.append(f"[{i}:v]format=yuv420p,setsar=1,{noise}[v{i}]")
        graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(shots)) + f"concat=n={shots}:v=1:a=0[out]"
        extra = ["-sc_threshold", "0"] if name == "camera" else []
        cmd = ["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]", *x264, *extra,
               str(tmp)]
    subprocess.run(cmd, check=True)
    os.replace(tmp, out)
    return out


def bench_cuts(seconds: int, names: list[str]) -> None:
    print(f"\ncut detection on {seconds} s 1080p30 H.264 (libx264 medium, CRF 20, 1 s GOP):")
    print(f"  {'clip':<9} {'mode':<9} {'x real time':>11} {'wall s':>7} {'decoded':>8} {'GOPs dec':>9}  cuts")
    for name in names:
        path = build(name, seconds)
        path.read_bytes()  # page cache: measure CPU work, not the disk
        expected = [] if name == "testsrc2" else [float(t) for t in range(SHOT_SECONDS, seconds, SHOT_SECONDS)]
        for screen in (True, False):
            r = cut_scan(path, screen=screen)
            dur = r.duration_seconds or seconds
            ok = len(r.cuts) == len(expected) and all(abs(a - b) <= 2.5 / 30 for a, b in zip(r.cuts, expected))
            mode = "screened" if screen else "full"
            print(f"  {name:<9} {mode:<9} {dur / r.seconds:11.1f} {r.seconds:7.2f} {r.frames_decoded:8d} "
                  f"{r.gops_decoded:>4}/{r.gops:<4}  {r.cuts} {'OK' if ok else f'MISMATCH, expected {expected}'}"
                  + (f"  suspect GOPs by reason: {r.reasons}" if screen else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, one 10 s clip")
    args = ap.parse_args()
    print(f"cv2 threads: {cv2.getNumThreads()}, cpus: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}\n")
    bench_frames(repeat=3 if args.quick else 7)
    if args.quick:
        bench_cuts(10, ["pans"])
    else:
        bench_cuts(30, ["pans", "pans_fixed_gop", "edit", "camera", "testsrc2"])


if __name__ == "__main__":
    main()
