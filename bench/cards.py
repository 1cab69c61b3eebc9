"""What recognising camera cards costs the walk: discovery over ordinary folders and over card folders, with the
card plans on and off. One command, figures printed:

    .venv/bin/python bench/cards.py [--folders 400] [--files 50]

Ordinary folders must cost the same with plans on (a look at the path and the names already listed, no syscall);
card folders pay for joining spans and naming sidecars (and AVCHD / P2 read their playlists or XML).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vcat_core.pipeline import discover as discover_mod  # noqa: E402


def build(root: Path, folders: int, files: int, card: bool) -> None:
    for f in range(folders):
        d = root / (f"card{f}/DCIM/100GOPRO" if card else f"shoot{f}/day")
        d.mkdir(parents=True)
        for i in range(files):
            name = f"GX{(i % 3) + 1:02d}{i // 3:04d}.MP4" if card else f"clip_{i:05d}.mp4"
            (d / name).touch()
            if card:
                (d / name.replace("GX", "GL").replace(".MP4", ".LRV")).touch()


def walk_seconds(root: Path, plans: bool, repeat: int = 3) -> tuple[float, int]:
    original = discover_mod.plan_folder
    if not plans:
        discover_mod.plan_folder = lambda *a, **k: None
    try:
        best, n = float("inf"), 0
        for _ in range(repeat):
            t = time.perf_counter()
            n = sum(1 for _ in discover_mod.discover([str(root)]))
            best = min(best, time.perf_counter() - t)
        return best, n
    finally:
        discover_mod.plan_folder = original


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folders", type=int, default=400)
    ap.add_argument("--files", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for label, card in (("ordinary folders", False), ("GoPro card folders", True)):
            root = Path(tmp) / label.replace(" ", "_")
            build(root, args.folders, args.files, card)
            off, n_off = walk_seconds(root, plans=False)
            on, n_on = walk_seconds(root, plans=True)
            files = args.folders * args.files * (2 if card else 1)
            print(f"{label:20s} {files:>7,d} files: plans off {off * 1e6 / files:6.1f} µs/file ({n_off:,d} items), "
                  f"plans on {on * 1e6 / files:6.1f} µs/file ({n_on:,d} items), ratio {on / off:.2f}")


if __name__ == "__main__":
    main()
