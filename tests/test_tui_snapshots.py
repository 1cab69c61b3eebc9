"""Screenshots of every screen (pytest-textual-snapshot), compared with the SVG baselines in `snapshots/`.

Deterministic by construction: a fixed 120x36 terminal, half-cell thumbnails with a pinned cell size, the demo
catalog (fixed names, paths, dates; rebuilt at a fixed path), a fixed clock for the ingest dashboard.

Update the baselines after an intended change with:

    .venv/bin/python -m pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from vcat_core.events import (
    ClipDone,
    DiscoveryFinished,
    FileDiscovered,
    RunStarted,
    StageFailed,
    StageFinished,
    StageStarted,
)
from vcat_tui.app import VcatApp
from vcat_tui.ingest_progress import IngestProgress
from vcat_tui.screens.detail_screen import DetailScreen
from vcat_tui.widgets.clip_grid import ClipGrid
from vcat_tui.widgets.clip_preview import ClipPreview
from vcat_tui.widgets.clip_table import ClipTable

from .test_tui_catalogs import DEMO_DIR, build_demo_catalog, open_catalog, pin_cell_size, wait_for

SNAPSHOTS = Path(__file__).resolve().parent.parent / "snapshots"
SIZE = (120, 36)


class RepoSnapshots(SVGImageExtension):
    """The plugin's SVG extension, storing baselines in the repository's snapshots/<test module>/ folder."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(SNAPSHOTS / Path(test_location.filepath).stem)


class RepoSnapshotAssertion(SnapshotAssertion):
    def use_extension(self, extension_class=None):  # snap_compare asks for its own extension: keep ours
        return self.with_defaults(extension_class=RepoSnapshots)


@pytest.fixture
def snapshot(request) -> SnapshotAssertion:
    return RepoSnapshotAssertion(update_snapshots=request.config.option.update_snapshots,
                                 extension_class=RepoSnapshots, test_location=PyTestLocation(request.node),
                                 session=request.session.config._syrupy)


@pytest.fixture(scope="module")
def demo_dir() -> Path:
    return build_demo_catalog(DEMO_DIR)  # once: no screenshot test writes to the catalog


@pytest.fixture
def app(demo_dir: Path):
    pin_cell_size()
    catalog = open_catalog(demo_dir)
    yield VcatApp(catalog, image_mode="halfcell", player_command=lambda: None)
    catalog.close()


async def browse_ready(pilot) -> None:
    screen = pilot.app.screen
    table = screen.query_one(ClipTable)
    await wait_for(pilot, lambda: table.loaded, what="rows")
    preview = screen.query_one(ClipPreview)
    await wait_for(pilot, lambda: str(preview.query_one("#preview-title").render()) == table.current.name,
                   what="the preview")
    await pilot.pause(0.1)


async def detail_ready(pilot) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen)
    await wait_for(pilot, lambda: screen.doc is not None and screen.frames
                   and screen.frames[screen.index]["frame_index"] in screen.large
                   and len(screen.query_one("ThumbnailStrip").images) == len(screen.frames), what="the detail")
    await pilot.pause(0.1)


def test_browse(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=browse_ready)


def test_browse_filtered_with_selection(app, snap_compare):
    async def run_before(pilot):
        await browse_ready(pilot)
        await pilot.press("f", *"tag:b-roll", "enter")
        table = pilot.app.screen.query_one(ClipTable)
        await wait_for(pilot, lambda: table.loaded and table.total == 3)
        await pilot.press("space", "down", "space", "up")
        await browse_ready(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_clip_detail(app, snap_compare):
    async def run_before(pilot):
        await browse_ready(pilot)
        await pilot.press("enter")
        await detail_ready(pilot)
        await pilot.press("right")
        await detail_ready(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_clip_detail_light_theme(app, snap_compare):
    async def run_before(pilot):
        pilot.app.theme = "textual-light"
        await browse_ready(pilot)
        await pilot.press("down", "down", "down", "enter")  # the clip whose thumbnails stage failed
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.doc is not None)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_search(app, snap_compare):
    async def run_before(pilot):
        await pilot.press("2", *"interview")
        table = pilot.app.screen.query_one(ClipTable)
        await wait_for(pilot, lambda: table.loaded and table.total == 3, what="results")
        await pilot.press("down")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_ingest_dashboard_mid_run(app, snap_compare):
    async def run_before(pilot):
        await pilot.press("3")
        screen = pilot.app.screen
        p = IngestProgress(roots=["/media/card_c"], state="running", started_at=0.0)
        events = [RunStarted(run_id=7, roots=["/media/card_c"], workers=2)]
        for i in range(6):
            path = f"/media/card_c/C{i:04d}.MP4"
            events.append(FileDiscovered(path=path, size=400_000_000))
        events.append(DiscoveryFinished(candidates=6, bytes=2_400_000_000, passed_over=1, problems=0))
        for i in range(4):
            path = f"/media/card_c/C{i:04d}.MP4"
            events.append(StageStarted(path=path, stage="fingerprint"))
            events.append(StageFinished(path=path, stage="fingerprint", seconds=1.2))
            for stage in ("metadata", "thumbnails", "exposure"):
                events.append(StageStarted(path=path, stage=stage))
            if i == 2:
                for stage in ("metadata", "thumbnails", "exposure"):
                    events.append(StageFailed(path=path, stage=stage, error="moov atom not found"))
                events.append(ClipDone(path=path, outcome="failed", bytes=400_000_000,
                                       error="metadata: moov atom not found"))
            elif i < 3:
                for stage, secs in (("metadata", 0.4), ("thumbnails", 2.5), ("exposure", 0.3)):
                    events.append(StageFinished(path=path, stage=stage, seconds=secs))
                events.append(ClipDone(path=path, outcome="new", clip_id=i + 1, bytes=400_000_000))
        events.append(StageStarted(path="/media/card_c/C0004.MP4", stage="fingerprint"))
        for n, ev in enumerate(events):
            p.apply(ev, n * 0.5)
        screen.clock = lambda: 60.0
        screen.progress = p
        screen._dirty = True
        screen._redraw()
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_collections(app, snap_compare):
    async def run_before(pilot):
        await pilot.press("4")
        screen = pilot.app.screen
        table = screen.query_one(ClipTable)
        await wait_for(pilot, lambda: screen.collections and table.loaded)
        await pilot.press("down", "down")  # Selects
        await wait_for(pilot, lambda: screen.current == "Selects" and table.loaded and table.total == 3
                       and all(table.row(i) is not None for i in range(3)))  # every row paged in, not just counted
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_people(app, snap_compare):
    async def run_before(pilot):
        await pilot.press("5")
        screen = pilot.app.screen
        table = screen.query_one(ClipTable)
        await wait_for(pilot, lambda: screen.people and table.loaded)
        await pilot.press("down")  # Maria Lopez: two clips
        await wait_for(pilot, lambda: screen.current is not None and table.loaded and table.total == 2
                       and all(table.row(i) is not None for i in range(2)))
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(app, snap_compare):
    async def run_before(pilot):
        await browse_ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_tag_dialog(app, snap_compare):
    async def run_before(pilot):
        await browse_ready(pilot)
        await pilot.press("space", "space", "t")
        await wait_for(pilot, lambda: "tagged now" in str(pilot.app.screen.query_one("#tag-current").render()))
        await pilot.press(*"b-r")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def grid_ready(pilot) -> None:
    grid = pilot.app.screen.query_one(ClipGrid)
    await wait_for(pilot, lambda: grid.loaded, what="the grid")
    await pilot.pause(0.2)


def test_grid(app, snap_compare):
    async def run_before(pilot):
        await browse_ready(pilot)
        await pilot.press("g")
        await grid_ready(pilot)
        await pilot.press("right", "space", "down")
        await grid_ready(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_grid_filtered_by_rating(app, snap_compare):
    async def run_before(pilot):
        await browse_ready(pilot)
        await pilot.press("g", "f", *"rating:>=3 label:red", "enter")
        grid = pilot.app.screen.query_one(ClipGrid)
        await wait_for(pilot, lambda: grid.total == 1, what="one clip")
        await grid_ready(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_detail_at_a_search_moment(app, snap_compare):
    async def run_before(pilot):
        await pilot.press("2", *"light on the water")
        table = pilot.app.screen.query_one(ClipTable)
        await wait_for(pilot, lambda: table.loaded and table.total >= 1, what="results")
        await pilot.press("down", "enter")
        await detail_ready(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
