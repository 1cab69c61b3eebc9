"""`e` in the app: select three clips, export a timeline, read it back through OpenTimelineIO; on the search
screen with nothing selected, the search's results go out, best first."""

from __future__ import annotations

import asyncio
from pathlib import Path

import opentimelineio as otio
from textual.widgets import Input

from vcat_tui.screens.prompt_screen import PromptScreen
from vcat_tui.screens.search_screen import SearchScreen

from .test_tui_app import SIZE, demo, make_app, table_of, type_text  # noqa: F401 - `demo` is a fixture
from .test_tui_catalogs import wait_for


async def _export_to(pilot, app, path: Path) -> None:
    await pilot.press("e")
    assert isinstance(app.screen, PromptScreen)
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await wait_for(pilot, lambda: path.exists() and path.stat().st_size > 0,
                   what=f"{path.name} written ({[n.message for n in app._notifications]})")


def test_select_three_clips_export_and_read_back(demo, tmp_path: Path):  # noqa: F811 - the fixture
    async def go():
        app = make_app(demo)
        async with app.run_test(size=SIZE) as pilot:
            table = table_of(app)
            await wait_for(pilot, lambda: table.loaded)
            await pilot.press("space", "space", "space")
            chosen = [c.name for c in table.selected.values()]
            assert len(chosen) == 3
            out = tmp_path / "three.xml"  # .xml: Premiere / FCP7 XML
            await _export_to(pilot, app, out)
            clips = otio.adapters.read_from_file(str(out), "fcp_xml").find_clips()
            assert [c.name for c in clips] == chosen
            for c, summary in zip(clips, table.selected.values()):
                rate = c.source_range.duration.rate
                assert abs(c.source_range.duration.to_seconds() - summary.duration_seconds) < 1.5 / rate

            await pilot.press("2")
            assert isinstance(app.screen, SearchScreen)
            await type_text(pilot, "interview")
            results = table_of(app)
            await wait_for(pilot, lambda: results.loaded and results.total, what="search results")
            await pilot.press("down")
            hits = [results.row(i).name for i in range(results.total)]
            out = tmp_path / "hits.otio"
            await _export_to(pilot, app, out)
            assert [c.name for c in otio.adapters.read_from_file(str(out)).find_clips()] == hits

            await pilot.press("4")  # collections: the highlighted collection goes out whole
            await wait_for(pilot, lambda: app.screen.current is not None, what="a collection")
            assert app.screen.current == "Empty bin"
            await pilot.press("e")
            app.screen.query_one(Input).value = str(tmp_path / "empty.edl")
            await pilot.press("enter")
            await wait_for(pilot, lambda: any("nothing to export" in str(n.message) for n in app._notifications),
                           what="nothing to export")
            assert not (tmp_path / "empty.edl").exists()
            await pilot.press("down")
            await wait_for(pilot, lambda: app.screen.current == "Interviews", what="Interviews")
            name = app.screen.current
            members = [d["file_name"] for d in demo.collection_documents(name)]
            out = tmp_path / "collection.edl"
            await _export_to(pilot, app, out)
            edl = otio.adapters.read_from_file(str(out), "cmx_3600", rate=25)
            assert sorted(c.name for c in edl.find_clips()) == sorted(members)

            await pilot.press("e")
            app.screen.query_one(Input).value = str(tmp_path / "bad.mp4")
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert not (tmp_path / "bad.mp4").exists()
            assert any("Not exported" in (n.title or "") for n in app._notifications)

    asyncio.run(go())
