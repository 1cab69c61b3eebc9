"""Browse stays interactive on a 100,000-clip catalog: the first rows show quickly, the cursor walks 1,000 rows
with every key drawn at once (rows arrive from the catalog in worker threads), and the table holds pages, not rows.

The thresholds here are loose (this runs on a shared 2-core machine); bench/tui.py prints the real figures.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import pytest
from textual import events

from vcat_tui.app import VcatApp
from vcat_tui.widgets.clip_table import ClipTable

from .test_tui_catalogs import KeyTimer, build_bulk_catalog, open_catalog, wait_for

N = 100_000


@pytest.fixture(scope="module")
def big_catalog(tmp_path_factory) -> Path:
    return build_bulk_catalog(tmp_path_factory.mktemp("tui-scale") / "catalog", N)


def test_browse_100k_clips_stays_interactive(big_catalog: Path):
    catalog = open_catalog(big_catalog)
    expected = catalog.list_clips(limit=1, offset=1000)[0]
    figures: dict[str, float] = {}

    async def go():
        app = VcatApp(catalog, image_mode="halfcell", player_command=lambda: None)
        started = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(ClipTable)
            await wait_for(pilot, lambda: table.loaded, timeout=30, what="the first rows")
            figures["first_rows"] = time.perf_counter() - started
            assert table.total == N

            # 1,000 rows down as fast as a terminal can deliver keys: the app keeps up (it draws what it can,
            # never waits for the catalog)
            sent = time.perf_counter()
            for _ in range(1000):
                app._driver.send_message(events.Key("down", None))
            await wait_for(pilot, lambda: table.cursor == 1000, timeout=30, what="the cursor to reach row 1,000")
            figures["backlog"] = time.perf_counter() - sent

            keys = KeyTimer(app)  # and each key is drawn at once (100 more rows, timed one by one)
            latencies = [await keys.press("up") for _ in range(100)]
            figures["median_key"] = statistics.median(latencies)
            figures["p90_key"] = sorted(latencies)[90]
            assert table.cursor == 900
            await keys.press("pagedown")
            await keys.press("pagedown")
            await keys.press("pageup")
            while table.cursor < 1000:
                await keys.press("down")
            while table.cursor > 1000:
                await keys.press("up")
            await wait_for(pilot, lambda: table.loaded, timeout=30, what="the rows at the cursor")
            assert table.current.id == expected.id and table.current.name == expected.name
            # only pages near the cursor are held, never the catalog
            assert len(table.pager.pages) <= ClipTable.MAX_PAGES
            assert sum(len(rows) for rows in table.pager.pages.values()) <= 12 * ClipTable.PAGE

            await keys.press("end")  # a jump draws at once; its rows follow from the catalog
            assert table.cursor == N - 1
            await wait_for(pilot, lambda: table.loaded, timeout=60, what="the last rows")
            assert table.current.name == catalog.list_clips(limit=1, offset=N - 1)[0].name

    try:
        asyncio.run(go())
    finally:
        catalog.close()
    print(f"\nfirst rows {figures['first_rows'] * 1000:.0f} ms, 1,000 keys handled in "
          f"{figures['backlog'] * 1000:.0f} ms, key median {figures['median_key'] * 1000:.1f} ms, "
          f"p90 {figures['p90_key'] * 1000:.1f} ms")
    assert figures["first_rows"] < 5.0
    assert figures["backlog"] < 5.0
    assert figures["median_key"] < 0.05
    assert figures["p90_key"] < 0.15
