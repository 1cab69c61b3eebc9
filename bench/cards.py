"""What recognising camera cards costs the walk: discovery over ordinary folders and over card folders, with the
card plans on and off. One command, figures printed:

    .venv/bin/python bench/cards.py [--folders 400] [--files 50]

Ordinary folders must cost the same with plans on (a look at the path and the names already listed, no syscall);
card folders pay for joining spans and naming sidecars (and AVCHD / P2 read their playlists or XML). DJI folders
check for 4 GB splits only where a file's size is near the limit: small files cost nothing more, files at the
limit (sparse here, so unreadable as video: the worst case, every check opens both files) pay for the look.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vcat_core.pipeline import discover as discover_mod  # noqa: E402


def build(root: Path, folders: int, files: int, card: str | None) -> int:
    """Empty files (sparse ones at the FAT32 limit for "dji_limit"); returns how many."""
    made = 0
    for f in range(folders):
        folder = {"gopro": f"card{f}/DCIM/100GOPRO", None: f"shoot{f}/day"}.get(card, f"dji{f}/DCIM/100MEDIA")
        d = root / folder
        d.mkdir(parents=True)
        for i in range(files):
            name = {"gopro": f"GX{(i % 3) + 1:02d}{i // 3:04d}.MP4", None: f"clip_{i:05d}.mp4"}.get(
                card, f"DJI_{i + 1:04d}.MP4")
            (d / name).touch()
            if card == "dji_limit":
                os.truncate(d / name, int(3.9 * 2**30))
            if card == "gopro":
                (d / name.replace("GX", "GL").replace(".MP4", ".LRV")).touch()
            made += 2 if card == "gopro" else 1
    return made


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
        for label, card, scale in (("ordinary folders", None, 1), ("GoPro card folders", "gopro", 1),
                                   ("DJI card folders", "dji", 1), ("DJI files at 3.9 GiB", "dji_limit", 20)):
            root = Path(tmp) / label.replace(" ", "_")
            files = build(root, max(1, args.folders // scale), args.files, card)
            off, n_off = walk_seconds(root, plans=False)
            on, n_on = walk_seconds(root, plans=True)
            print(f"{label:20s} {files:>7,d} files: plans off {off * 1e6 / files:6.1f} µs/file ({n_off:,d} items), "
                  f"plans on {on * 1e6 / files:6.1f} µs/file ({n_on:,d} items), ratio {on / off:.2f}")


if __name__ == "__main__":
    main()
