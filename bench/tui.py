"""TUI benchmark: the browse screen and the grid on a 100,000-clip catalog.

    .venv/bin/python bench/tui.py            # 100,000 clips
    .venv/bin/python bench/tui.py --clips 20000

Builds the catalog once under .bench/tui-catalog-<n>/ (bulk insert, a few seconds) and runs the real app headless
(Textual's pilot) at 120x40. Printed:

- time to first paint: app start → the first screen drawn, and → the first page of rows drawn;
- per-keystroke latency: a key, sent as the terminal driver sends it, until the app has drawn the screen update it
  caused (escape codes included), over 1,000 × down (the cursor walks 1,000 rows, crossing ten pages and
  scrolling the table each time), 50 × page down, and jumps to the last and first rows;
- how long rows take to arrive after a jump (they are fetched in a worker thread; the UI never waits for them);
- the grid (g): first paint with every visible cell's thumbnail decoded, keystroke latency over 500 × right and
  50 × page down, the cells' images arriving after a jump to the end, how many decoded images it holds (an LRU
  cache: memory stays flat however far one scrolls), and a rating keystroke until the grid shows the new stars.

Targets: first paint < 1 s, keystroke < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from tests.test_tui_catalogs import KeyTimer, build_bulk_catalog, open_catalog  # noqa: E402
from vcat_tui.app import VcatApp  # noqa: E402
from vcat_tui.widgets.clip_grid import ClipGrid  # noqa: E402
from vcat_tui.widgets.clip_table import ClipTable  # noqa: E402


def figures(name: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"{name:<28} n={len(ms):<5} mean {statistics.mean(ms):6.1f} ms   median {statistics.median(ms):6.1f} ms"
            f"   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms")


async def until(pilot, predicate, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not reached")
        await pilot.pause(0.005)
    return time.perf_counter() - start


async def run(catalog_dir: Path) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} at start (figures are wall clock)")
    catalog = open_catalog(catalog_dir)
    app = VcatApp(catalog, image_mode="halfcell", player_command=lambda: None)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        first_frame = time.perf_counter() - started
        table = app.screen.query_one(ClipTable)
        await until(pilot, lambda: table.loaded)
        first_rows = time.perf_counter() - started
        print(f"{'first paint (screen)':<28} {first_frame * 1000:7.0f} ms")
        print(f"{'first paint (rows drawn)':<28} {first_rows * 1000:7.0f} ms   ({table.total:,} clips in the catalog)")

        keys = KeyTimer(app)
        downs = [await keys.press("down", settle=0.01) for _ in range(1000)]
        print(figures("keystroke: down x1000", downs))
        assert table.cursor == 1000, table.cursor
        wait = await until(pilot, lambda: table.loaded)
        print(f"{'rows at row 1,000 drawn':<28} +{wait * 1000:6.0f} ms after the last key")

        pages = [await keys.press("pagedown", settle=0.01) for _ in range(50)]
        print(figures("keystroke: page down x50", pages))

        for key, label, note in (("end", "end (last row)", " (read from the end)"),
                                 ("s", "s (sort by next column)", ""), ("home", "home (first row)", "")):
            sent = time.perf_counter()
            latency = await keys.press(key)
            await until(pilot, lambda: table.loaded)
            rows = time.perf_counter() - sent
            print(f"{'keystroke: ' + label:<36} {latency * 1000:6.1f} ms; its rows drawn {rows * 1000:.0f} ms "
                  f"after the key{note}")
        grid_ok = await grid_figures(app, pilot, keys)
    catalog.close()
    ok = first_rows < 1.0 and statistics.mean(downs) < 0.05 and grid_ok
    print(f"targets (first paint < 1 s, keystroke < 50 ms): {'met' if ok else 'NOT met'}")


async def grid_figures(app, pilot, keys) -> bool:
    sent = time.perf_counter()
    await keys.press("g")
    await until(pilot, lambda: bool(app.screen.query(ClipGrid)))  # the screen is pushed a frame or two later
    grid = app.screen.query_one(ClipGrid)
    await until(pilot, lambda: grid.loaded)
    first = time.perf_counter() - sent
    print(f"{'grid: first paint (images)':<28} {first * 1000:7.0f} ms   ({grid.columns}x{grid.rows} cells, "
          f"{grid.total:,} clips)")
    rights = [await keys.press("right", settle=0.01) for _ in range(500)]
    print(figures("grid: right x500", rights))
    await until(pilot, lambda: grid.loaded)
    pages = [await keys.press("pagedown", settle=0.01) for _ in range(50)]
    print(figures("grid: page down x50", pages))
    sent = time.perf_counter()
    latency = await keys.press("end")
    await until(pilot, lambda: grid.loaded)
    print(f"{'grid: end (last clip)':<28} {latency * 1000:7.1f} ms; its cells and images drawn "
          f"{(time.perf_counter() - sent) * 1000:.0f} ms after the key")
    print(f"{'grid: decoded images held':<28} {len(grid.images):7,}   (LRU, at most {grid.images.maxsize:,})")
    before = grid.current.rating
    sent = time.perf_counter()
    await keys.press("5" if before != 5 else "4")
    await until(pilot, lambda: grid.current is not None and grid.current.rating != before)
    shown = time.perf_counter() - sent
    print(f"{'grid: rate key → stars shown':<28} {shown * 1000:7.0f} ms   (written; shown before the reload "
          "confirms it)")
    return first < 1.0 and statistics.mean(rights) < 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=100_000)
    args = parser.parse_args()
    catalog_dir = ROOT.parent / ".bench" / f"tui-catalog-{args.clips}-thumbs"
    if not (catalog_dir / "catalog.db").exists():
        t = time.perf_counter()
        build_bulk_catalog(catalog_dir, args.clips, thumbnails=True)
        print(f"built a {args.clips:,}-clip catalog in {time.perf_counter() - t:.1f} s ({catalog_dir})")
    asyncio.run(run(catalog_dir))


if __name__ == "__main__":
    main()
