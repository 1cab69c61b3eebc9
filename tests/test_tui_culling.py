"""Culling in the app, driven by keys: the grid (g), stars / pick / reject / labels on a selection and in the
detail, the filter bar's `rating:>=4 pick label:red`, the grid following another process's `vcat-core rate`, the
timeline's jump and play-from-here; then the picks exported with `vcat-core export`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vcat_tui.screens.browse_screen import BrowseScreen
from vcat_tui.screens.detail_screen import DetailScreen
from vcat_tui.screens.grid_screen import GridScreen
from vcat_tui.widgets.clip_grid import ClipGrid, layout
from vcat_tui.widgets.timeline import Marks, parse_timecode, timeline_lines

from .helpers import run_cli
from .test_tui_app import SIZE, make_app, run, table_of
from .test_tui_catalogs import copy_demo_catalog, open_catalog, wait_for

KEYS = {" ": "space", ":": "colon", ">": "greater_than_sign", "=": "equals_sign", "-": "minus", ".": "full_stop"}


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[KEYS.get(ch, ch) for ch in text])


@pytest.fixture()
def demo(tmp_path: Path):
    catalog = open_catalog(copy_demo_catalog(tmp_path / "catalog"))
    yield catalog
    catalog.close()


def test_grid_cull_filter_and_export(demo, tmp_path: Path):
    folder = demo.settings.catalog

    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: table_of(app).loaded)
            await pilot.press("g")
            assert isinstance(app.screen, GridScreen)
            grid = app.screen.query_one(ClipGrid)
            await wait_for(pilot, lambda: grid.loaded, what="the grid")
            assert (grid.columns, grid.rows) == layout(grid.size.width, grid.size.height) == (5, 3)
            assert grid.total == 12 and len(grid.images) == 12  # every visible cell's image looked up once

            # select the 3rd and 5th clip (interview, IMG_0420), rate them 4, pick, label red
            await pilot.press("right", "right", "space", "right", "space")
            assert [c.name for c in grid.selected.values()] == ["A002_C001_interview.mov", "IMG_0420.MOV"]
            await pilot.press("4", "p", "6")
            await wait_for(pilot, lambda: all(grid.row(i) and (grid.row(i).rating, grid.row(i).pick,
                                                               grid.row(i).label) == (4, "pick", "red")
                                              for i in (2, 4)), what="the culling to show")
            # the drone (already 5 stars, picked): x rejects, x again unflags
            await pilot.press("escape")  # (escape leaves the grid; back in)
            assert isinstance(app.screen, BrowseScreen)
            await pilot.press("g")
            grid = app.screen.query_one(ClipGrid)
            await wait_for(pilot, lambda: grid.loaded)
            grid.move_cursor(6)
            assert grid.current.name == "drone_0007.mp4"
            await pilot.press("x")
            await wait_for(pilot, lambda: grid.current.pick == "reject", what="reject")
            await pilot.press("x")
            await wait_for(pilot, lambda: grid.current.pick is None, what="unflag")

            # the filter bar: the two clips culled above and the beach clip of the demo
            await pilot.press("f")
            await type_text(pilot, "rating:>=4 pick label:red")
            await pilot.press("enter")
            await wait_for(pilot, lambda: grid.total == 3 and grid.loaded, what="the filtered grid")
            names = [grid.row(i).name for i in range(3)]
            assert names == ["A001_C001_beach.mov", "A002_C001_interview.mov", "IMG_0420.MOV"]

            # another process rates a clip: the grid shows it without a key press
            assert run_cli(folder, "rate", "/footage/2024-05-shoot/card_b/IMG_0420.MOV", "2").code == 0
            await wait_for(pilot, lambda: grid.loaded and grid.total == 2, timeout=20, what="the live refresh")

            # the detail: 5 stars, the rating line, reject
            await pilot.press("enter")
            detail = app.screen
            assert isinstance(detail, DetailScreen)
            await wait_for(pilot, lambda: detail.doc is not None)
            await pilot.press("5")
            await wait_for(pilot, lambda: detail.doc["rating"] == 5, what="5 stars in the detail")
            assert "★★★★★" in str(detail.query_one("#detail-labels").render())

            # the list keeps the filters the grid ends on
            await pilot.press("escape", "g")
            await wait_for(pilot, lambda: isinstance(app.screen, BrowseScreen) and table_of(app).loaded)
            assert app.screen.filters.min_rating == 4 and table_of(app).total == 2

    run(go())
    picks = json.loads(run_cli(folder, "export", "--format", "json", "--picks", "--label", "red").stdout)
    assert {d["file_name"]: d["rating"] for d in picks} == {"A001_C001_beach.mov": 5, "A002_C001_interview.mov": 4,
                                                           "IMG_0420.MOV": 2}


def test_detail_jump_and_play_from_the_playhead(demo, tmp_path: Path):
    real = tmp_path / "real.mov"
    real.write_bytes(b"stand-in")
    played = tmp_path / "played.txt"
    fake = tmp_path / "fake-mpv"
    fake.write_text(f'#!/bin/sh\necho "$@" > {played}\n')
    fake.chmod(0o755)

    async def go():
        app = make_app(demo, timed_player_command=lambda start: [str(fake), f"--start={start:.3f}", "--"])
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: table_of(app).loaded)
            await pilot.press("enter")  # A001_C001_beach: 3 shots, two speech segments
            detail = app.screen
            await wait_for(pilot, lambda: detail.doc is not None)
            assert detail.position == 0.0 and detail.marks.shots[1] == (14.0, 30.5)
            await pilot.press("right")  # scrub: the next frame moves the playhead
            assert detail.index == 1 and detail.position == 14.0
            await pilot.press("colon")
            await type_text(pilot, "0:22.5")
            await pilot.press("enter")
            await wait_for(pilot, lambda: detail.position == 22.5)
            assert detail.index == 1  # the last frame before 22.5 s
            caption = str(detail.query_one("#detail-timeline").render())
            assert "0:22.5 / 0:42.0" in caption and "shot 2/3" in caption and "light on the water" in caption
            detail.doc["file_path"] = str(real)
            await pilot.press("o")
            await wait_for(pilot, lambda: played.exists(), what="the player")

    run(go())
    assert played.read_text().split() == ["--start=22.500", "--", str(real)]


def test_timecodes_and_timeline_drawing():
    assert parse_timecode("83") == 83 and parse_timecode("1:23.5") == 83.5
    assert parse_timecode("01:00:10:12", fps=24) == 3610.5
    marks = Marks(duration=40.0, shots=[(0, 10), (10, 40)], speech=[(20, 30, "hi")], frames=[0, 20],
                  moments=[30])
    shots, speech, bottom = timeline_lines(marks, 10.0, 40).plain.split("\n")
    assert shots[10] == "┃" and shots.count("┃") == 1
    assert speech[20:30] == "▬" * 10 and speech[0] == "·"
    assert bottom[10] == "▲" and bottom[30] == "◆"
