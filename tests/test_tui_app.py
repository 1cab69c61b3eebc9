"""The `vcat` app driven by keys, like an editor would: browse → filter → detail → tag → back, selections into
collections, search as you type, ingest from the dashboard (and cancel one), follow a run of another process.

Each test runs the real app headless (`App.run_test()`) on a real catalog; only the service is called.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update
from textual import events

from vcat_core.models import ClipFilter
from vcat_core.store.catalog import CatalogStore
from vcat_core.store.tables import IngestRun
from vcat_tui.app import VcatApp
from vcat_tui.commands import commands_for
from vcat_tui.screens.browse_screen import BrowseScreen
from vcat_tui.screens.collection_pick_screen import CollectionPickScreen
from vcat_tui.screens.collections_screen import CollectionsScreen
from vcat_tui.screens.detail_screen import DetailScreen
from vcat_tui.screens.help_screen import HelpScreen
from vcat_tui.screens.ingest_screen import IngestScreen
from vcat_tui.screens.prompt_screen import ConfirmScreen
from vcat_tui.screens.search_screen import SearchScreen
from vcat_tui.screens.tag_screen import TagScreen
from vcat_tui.widgets.clip_table import ClipTable

from . import media
from .test_tui_catalogs import copy_demo_catalog, open_catalog, wait_for

SIZE = (120, 36)


@pytest.fixture()
def demo(tmp_path: Path):
    catalog = open_catalog(copy_demo_catalog(tmp_path / "catalog"))
    yield catalog
    catalog.close()


def make_app(catalog, **kw) -> VcatApp:
    kw.setdefault("player_command", lambda: None)
    kw.setdefault("timed_player_command", lambda start: None)  # no mpv / ffplay on this "desktop" either
    return VcatApp(catalog, image_mode="halfcell", **kw)


def run(coro) -> None:
    asyncio.run(coro)


def table_of(app) -> ClipTable:
    return app.screen.query_one(ClipTable)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space", ":": "colon", "/": "slash", "-": "minus", ".": "full_stop",
                         "_": "underscore"}.get(ch, ch) for ch in text])


def test_browse_filter_detail_tag_back(demo):
    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            table = table_of(app)
            await wait_for(pilot, lambda: table.loaded, what="the first page")
            assert table.total == 12 and table.current.name == "A001_C001_beach.mov"

            await pilot.press("f")
            await type_text(pilot, "codec:dnxhd")
            await pilot.press("enter")
            await wait_for(pilot, lambda: table.total == 2 and table.loaded, what="filtered rows")
            assert table.has_focus
            assert [table.row(i).name for i in range(2)] == ["A002_C001_interview.mov", "A002_C002_interview.mov"]
            assert "filtered" in str(app.screen.query_one("#browse-title").render())

            await pilot.press("f")
            await type_text(pilot, " res:weird")
            await pilot.press("enter")  # a bad filter keeps the old one and says why
            await pilot.pause()
            assert "res:" in str(app.screen.query_one("#filter-error").render())
            await pilot.press("escape")
            assert table.has_focus and table.total == 2

            await pilot.press("down", "enter")
            assert isinstance(app.screen, DetailScreen)
            detail = app.screen
            await wait_for(pilot, lambda: detail.doc is not None, what="the clip detail")
            assert detail.doc["file_name"] == "A002_C002_interview.mov"
            assert "✗ thumbnails" in str(detail.query_one("#detail-stages").render())  # that stage failed

            await pilot.press("t")
            assert isinstance(app.screen, TagScreen)
            await type_text(pilot, "hero, day-1")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "hero" in (detail.doc or {}).get("tags", []), what="tags on the clip")
            assert demo.tags_of([detail.clip_id])[detail.clip_id] == ["day-1", "hero", "interview"]

            await pilot.press("escape")
            assert isinstance(app.screen, BrowseScreen)
            await wait_for(pilot, lambda: table.loaded and "hero" in table.row(1).tags, what="the new tag in browse")

            await pilot.press("F")  # clear filters
            await wait_for(pilot, lambda: table.total == 12 and table.loaded, what="all clips again")

    run(go())


def test_selection_tags_and_collections(demo):
    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            table = table_of(app)
            await wait_for(pilot, lambda: table.loaded)
            await pilot.press("space", "space")  # select the first two rows (the cursor moves down)
            assert [c.name for c in table.selected.values()] == ["A001_C001_beach.mov", "A001_C002_beach.mov"]
            assert "2 selected" in str(app.screen.query_one("#browse-title").render())

            await pilot.press("u")  # remove a tag from both
            assert isinstance(app.screen, TagScreen)
            await type_text(pilot, "beach")
            await pilot.press("enter")
            await wait_for(pilot, lambda: demo.list_clips(ClipFilter(tags=["beach"])) == [], what="tag removed")

            await pilot.press("a")
            assert isinstance(app.screen, CollectionPickScreen)
            await wait_for(pilot, lambda: app.screen.query_one("#collection-options").option_count == 3)
            await pilot.press("tab")  # to the "new collection" field
            await type_text(pilot, "Day 1 beach")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(c["name"] == "Day 1 beach" for c in demo.list_collections()),
                           what="the new collection")
            assert {c.name for c in demo.list_clips(ClipFilter(collection="Day 1 beach"))} == {
                "A001_C001_beach.mov", "A001_C002_beach.mov"}
            await pilot.press("escape")
            assert not table.selected

            await pilot.press("4")
            assert isinstance(app.screen, CollectionsScreen)
            screen = app.screen
            clips = screen.query_one(ClipTable)
            await wait_for(pilot, lambda: screen.current == "Day 1 beach" or screen.collections, what="collections")
            assert [c["name"] for c in screen.collections] == ["Day 1 beach", "Empty bin", "Interviews", "Selects"]
            await wait_for(pilot, lambda: clips.loaded and clips.total == 2, what="the collection's clips")

            await pilot.press("n")
            await type_text(pilot, "Temp")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Temp" in [c["name"] for c in screen.collections], what="created")
            assert screen.current == "Temp"
            await pilot.press("R", "ctrl+u")
            await type_text(pilot, "Temp 2")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "Temp 2" in [c["name"] for c in screen.collections], what="renamed")
            await pilot.press("D", "y")
            await wait_for(pilot, lambda: "Temp 2" not in [c["name"] for c in screen.collections], what="deleted")

            # clips out of a collection
            screen.query_one("#collections-list").highlighted = 0  # Day 1 beach
            await wait_for(pilot, lambda: screen.current == "Day 1 beach" and clips.loaded and clips.total == 2)
            await pilot.press("tab", "x")
            await wait_for(pilot, lambda: clips.loaded and clips.total == 1, what="a clip removed")

    run(go())


def test_search_as_you_type(demo):
    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            assert isinstance(app.screen, SearchScreen)
            results = table_of(app)
            searches: list[str] = []
            original = app.screen.search
            app.screen.search = lambda text: (searches.append(text), original(text))
            for ch in "interv":  # typed at once, as a fast typist would: one search, 250 ms after the last key
                app._driver.send_message(events.Key(ch, ch))
            await wait_for(pilot, lambda: results.loaded, what="search results")
            assert searches == ["interv"]
            names = sorted(results.row(i).name for i in range(results.total))  # ranked by relevance
            assert names == ["A002_C001_interview.mov", "A002_C002_interview.mov", "zoom_call_export.mp4"]
            await type_text(pilot, "iew sony")
            await wait_for(pilot, lambda: results.loaded and results.total == 2, what="narrowed results")
            await pilot.press("down")  # into the results
            assert results.has_focus
            await pilot.press("down", "enter")
            assert isinstance(app.screen, DetailScreen)
            await wait_for(pilot, lambda: app.screen.doc is not None)
            assert app.screen.doc["file_name"] == "A002_C002_interview.mov"
            await pilot.press("right_square_bracket")  # next clip: there is none after the last result
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: app.screen.doc["file_name"] == "A002_C001_interview.mov",
                           what="the previous result in detail")
            await pilot.press("escape", "escape")
            assert app.screen.query_one("#search-input").has_focus
            await pilot.press("ctrl+u")
            await type_text(pilot, "nothing-like-this")
            await wait_for(pilot, lambda: results.loaded and results.total == 0)
            assert "Nothing matches" in str(app.screen.query_one("#search-title").render()) or results.total == 0

    run(go())


def test_detail_thumbnails_play_and_copy(demo, tmp_path: Path):
    real = tmp_path / "real.mp4"
    real.write_bytes(b"not really a video; the opener only needs a path")
    opened: list[str] = []
    fake_player = tmp_path / "fake-player"
    fake_player.write_text(f"#!/bin/sh\necho \"$1\" >> {tmp_path / 'opened.txt'}\n")
    fake_player.chmod(0o755)

    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            table = table_of(app)
            await wait_for(pilot, lambda: table.loaded)
            await pilot.press("enter")
            detail = app.screen
            await wait_for(pilot, lambda: detail.doc is not None and detail.large)
            assert len(detail.frames) == 3 and detail.index == 0
            await pilot.press("right", "right")
            assert detail.index == 2
            await wait_for(pilot, lambda: detail.frames[2]["frame_index"] in detail.large, what="the large frame")
            await pilot.press("right")
            assert detail.index == 0  # wraps
            assert "frame 1/3" in str(detail.query_one("#strip-caption").render())

            await pilot.press("c")
            assert app.clipboard == "/footage/2024-05-shoot/card_a/A001_C001_beach.mov"

            await pilot.press("o")  # the demo's files are not on this machine
            await wait_for(pilot, lambda: any("not reachable" in n.message for n in app._notifications))

            detail.doc["file_path"] = str(real)
            await pilot.press("o")  # no opener on this "desktop"
            await wait_for(pilot, lambda: any("No system player" in n.message for n in app._notifications))

            app._player_command = lambda: [str(fake_player)]
            await pilot.press("o")
            await wait_for(pilot, lambda: (tmp_path / "opened.txt").exists(), what="the player to start")
            opened.append((tmp_path / "opened.txt").read_text().strip())

    run(go())
    assert opened == [str(real)]


def test_help_and_command_palette_cover_every_key(demo):
    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            table = table_of(app)
            await wait_for(pilot, lambda: table.loaded)
            titles = {c.title for c in commands_for(app, app.screen)}
            for cls in (BrowseScreen, ClipTable, VcatApp):
                for b in cls.BINDINGS:
                    assert b.description in titles, b
            await pilot.press("ctrl+p")
            await type_text(pilot, "clear filters")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause(0.3)
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            text = " ".join(str(s.render()) for s in app.screen.query(".help-keys"))
            for cls in (BrowseScreen, DetailScreen, SearchScreen, IngestScreen, CollectionsScreen):
                for b in cls.BINDINGS:
                    assert b.description in text, b
            await pilot.press("escape")
            assert isinstance(app.screen, BrowseScreen)

    run(go())


def test_ingest_from_the_dashboard(tmp_path: Path):
    footage = tmp_path / "footage"
    footage.mkdir()
    for i in range(3):
        media.make_clip(footage / f"clip_{i}.mp4", width=160, height=90, seconds=0.4 + 0.2 * i,
                        codec_options={"preset": "ultrafast"})
    (footage / "notes.txt").write_text("not a video")
    catalog = open_catalog(tmp_path / "catalog")

    async def go():
        app = make_app(catalog, ingest_workers=2)
        async with app.run_test(size=SIZE) as pilot:
            table = table_of(app)
            await wait_for(pilot, lambda: table.total == 0)
            assert "catalog is empty" in str(table.empty_text)
            await pilot.press("3")
            screen = app.screen
            assert isinstance(screen, IngestScreen)
            await pilot.press("i")
            path_input = screen.query_one("#ingest-path")
            await type_text(pilot, str(footage)[:-4])  # ".../foo": the folder name completes
            await wait_for(pilot, lambda: path_input._suggestion == str(footage) + "/", what="the completion")
            await pilot.press("right")
            assert path_input.value == str(footage) + "/"
            await pilot.press("enter")
            assert screen.running_here
            await wait_for(pilot, lambda: screen.progress.state != "running", timeout=120, what="the ingest")
            p = screen.progress
            assert p.state == "finished" and p.outcomes["new"] == 3 and p.failed == 0
            assert set(p.stages) >= {"fingerprint", "metadata", "thumbnails", "exposure"}
            assert all(st.finished == 3 for st in p.stages.values())
            await pilot.pause(0.3)
            assert "Finished run" in str(screen.query_one("#ingest-status").render())
            await pilot.press("1")  # browse reloads what the run stored
            await wait_for(pilot, lambda: table.loaded and table.total == 3, what="the new clips in browse")

    try:
        run(go())
    finally:
        catalog.close()


def test_cancel_an_ingest(tmp_path: Path):
    footage, more = tmp_path / "footage", tmp_path / "more"
    footage.mkdir()
    more.mkdir()
    for i in range(6):
        media.make_clip(footage / f"clip_{i}.mp4", width=320, height=180, seconds=1.5 + 0.1 * i,
                        codec_options={"preset": "ultrafast"})
    for i in range(10):
        media.make_clip(more / f"more_{i}.mp4", width=640, height=360, seconds=2.0 + 0.1 * i,
                        codec_options={"preset": "ultrafast"})
    catalog = open_catalog(tmp_path / "catalog")

    async def go():
        app = make_app(catalog, ingest_workers=1)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            screen = app.screen
            screen.start(str(footage))
            await wait_for(pilot, lambda: screen.progress.run_id is not None, timeout=60, what="the run to start")
            await pilot.press("x")
            await wait_for(pilot, lambda: screen.progress.state == "cancelled", timeout=60, what="the cancel")
            assert not screen.running_here
            runs = catalog.ingest_runs(limit=1)
            assert runs[0]["status"] == "cancelled"
            assert catalog.count_clips() < 6  # it stopped; what it stored stays

            # quitting while a run goes asks first, then cancels it cleanly
            screen.start(str(more))
            await wait_for(pilot, lambda: screen.progress.run_id not in (None, runs[0]["id"]), timeout=60)
            await pilot.press("q")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
        last = catalog.ingest_runs(limit=1)[0]
        assert last["status"] == "cancelled", last  # not left "running"
        assert catalog.count_clips() < 16

    try:
        run(go())
    finally:
        catalog.close()


def test_dashboard_follows_a_run_in_another_process(demo, tmp_path: Path):
    store = CatalogStore.open_dir(demo.settings.catalog)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_id = store.start_run(["/mnt/card_c"])
        with store.writer.begin() as conn:  # as if `vcat-core ingest` (another pid) had started it
            conn.execute(update(IngestRun).where(IngestRun.id == run_id)
                         .values(pid=other.pid, host=socket.gethostname()))
        store.update_run(run_id, {"discovered": 10, "candidates": 10, "new": 4, "failed": 1, "bytes_hashed": 5e8})
        store.record_failure("/mnt/card_c/bad.mov", "metadata", "moov atom not found", "MediaError", run_id=run_id)

        async def go():
            app = make_app(demo)
            async with app.run_test(size=SIZE) as pilot:
                await pilot.press("3")
                screen = app.screen
                await wait_for(pilot, lambda: screen.watching == run_id, what="the other run")
                assert screen.progress.origin == "elsewhere" and screen.progress.done == 5
                await pilot.pause(0.3)
                assert "Watching run" in str(screen.query_one("#ingest-status").render())
                figures = str(screen.query_one("#ingest-figures").render())
                assert "5 / 10" in figures and "4 new" in figures and "1 failed" in figures
                assert [f.path for f in screen.progress.failures] == ["/mnt/card_c/bad.mov"]
                store.finish_run(run_id, "finished", {"discovered": 10, "candidates": 10, "new": 9, "failed": 1})
                await wait_for(pilot, lambda: screen.progress.state == "finished", what="the run's end")
                assert screen.watching is None and screen.progress.outcomes["new"] == 9

        run(go())
    finally:
        other.kill()
        other.wait()
        store.close()





def test_browse_shows_clips_added_by_another_process(demo, tmp_path: Path):
    """Browse is open; another process ingests a clip; its row appears without a key press."""
    clip = media.make_clip(tmp_path / "incoming" / "fresh_from_the_card.mp4", codec="libx264", width=160,
                           height=90, fps=25, seconds=0.4)

    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: (table_of(app).total or 0) > 0, what="the first rows")
            before = table_of(app).total
            env = {**__import__("os").environ, "VCAT_CATALOG": str(demo.settings.catalog),
                   "VCAT_CONFIG": str(tmp_path / "none.yaml")}
            proc = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).with_name("vcat-core")), "ingest", str(clip.parent), "--thumbnails", "2",
                "--skip-audio", "--skip-ai", env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL)
            assert await proc.wait() == 0
            await wait_for(pilot, lambda: table_of(app).total == before + 1, timeout=20, what="the new clip's row")

            def shown() -> set[str]:
                table = table_of(app)
                return {r.name for r in (table.row(i) for i in range(table.total or 0)) if r is not None}
            await wait_for(pilot, lambda: "fresh_from_the_card.mp4" in shown(), what="the new clip's name")

    run(go())


def test_catalog_commands_in_the_palette(demo):
    from vcat_tui.commands import catalog_commands
    from vcat_tui.screens.report_screen import ReportScreen

    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            titles = [c.title for c in catalog_commands(app)]
            assert {"Report: storage usage", "Report: content summary", "Report: ingest history",
                    "System: health checks", "Find near-duplicates"} <= set(titles)
            storage = next(c for c in catalog_commands(app) if c.title == "Report: storage usage")
            storage.run()
            await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen), what="the report")
            assert "BY FOLDER" in app.screen.body and "A001_C001" not in app.screen.body
            await pilot.press("escape")
            assert not isinstance(app.screen, ReportScreen)

    run(go())
