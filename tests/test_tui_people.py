"""The People screen driven by keys: a face per person, their clips, name one, merge two, split them again."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcat_tui.screens.detail_screen import DetailScreen
from vcat_tui.screens.people_screen import PeopleScreen

from .test_tui_app import SIZE, make_app, run, table_of
from .test_tui_catalogs import copy_demo_catalog, open_catalog, wait_for
from .test_tui_culling import type_text


@pytest.fixture()
def demo(tmp_path: Path):
    catalog = open_catalog(copy_demo_catalog(tmp_path / "catalog"))
    yield catalog
    catalog.close()


def test_name_merge_split_and_open_a_clip(demo):
    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            screen = app.screen
            assert isinstance(screen, PeopleScreen)
            await wait_for(pilot, lambda: len(screen.people) == 2 and table_of(app).loaded, what="the people")
            unnamed = next(p for p in screen.people if p["name"] is None)
            assert screen.current == unnamed["id"] and table_of(app).total == 3  # the most often seen first
            # name the unnamed one
            await pilot.press("n")
            await type_text(pilot, "Bob")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any(p["name"] == "Bob" for p in screen.people), what="the name")
            assert {p["name"] for p in demo.list_people()} == {"Bob", "Maria Lopez"}
            # merge Bob into Maria: one person, every clip
            await pilot.press("m")
            await type_text(pilot, "Maria Lopez")
            await pilot.press("enter")
            await wait_for(pilot, lambda: len(screen.people) == 1 and table_of(app).total == 5
                           and table_of(app).loaded, what="the merge")
            assert demo.list_people()[0]["name"] == "Maria Lopez"
            # split: the two drawn faces part again
            await pilot.press("S")
            await wait_for(pilot, lambda: len(screen.people) == 2, what="the split")
            assert sorted(p["clips"] for p in demo.list_people()) == [2, 3]
            # enter on a clip opens it
            await pilot.press("tab")
            await wait_for(pilot, lambda: table_of(app).loaded)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what="the clip")

    run(go())
