"""The `vcat` terminal app: browse, search, ingest and collections as modes, clip detail on top, help and the
command palette everywhere. It only calls `vcat_core.service`.

    vcat [--catalog DIR] [--images auto|tgp|sixel|halfcell|unicode|none] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
from pathlib import Path
from typing import Callable

from textual.app import App
from textual.binding import Binding

from vcat_core.config import load_settings
from vcat_core.errors import VcatError
from vcat_core.service import Catalog

from . import images, player
from .commands import VcatCommands
from .screens.browse_screen import BrowseScreen
from .screens.collections_screen import CollectionsScreen
from .screens.people_screen import PeopleScreen
from .screens.grid_screen import GridScreen
from .screens.help_screen import HelpScreen
from .screens.ingest_screen import IngestScreen
from .screens.prompt_screen import ConfirmScreen
from .screens.report_screen import ReportScreen
from .screens.search_screen import SearchScreen

STYLE_FILES = ("app.tcss", "clips.tcss", "detail.tcss", "ingest.tcss", "dialogs.tcss", "grid.tcss", "people.tcss")
"""The app's TCSS, in load order. The canonical files are the repository's `styles/`; an installed distribution
carries them as data files in `<prefix>/share/vcat_tui/styles/` (see `styles_dir`)."""


def style_dirs() -> list[Path]:
    """Where the TCSS may be, in order: a source checkout (and editable installs), a copy inside the package,
    the data directory of an installed distribution (venv / system prefix, then the user scheme)."""
    here = Path(__file__).resolve().parent
    out = [here.parent / "styles", here / "styles"]
    for scheme in (None, f"{os.name}_user"):
        try:
            data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        except KeyError:
            continue
        out.append(Path(data) / "share" / "vcat_tui" / "styles")
    return out


def styles_dir() -> Path:
    for candidate in style_dirs():
        if all((candidate / name).is_file() for name in STYLE_FILES):
            return candidate
    raise FileNotFoundError(f"vcat's styles ({', '.join(STYLE_FILES)}) are missing; looked in "
                            + ", ".join(map(str, style_dirs())))


LIVE_POLL_SECONDS = 2.0


class VcatApp(App[None]):
    TITLE = "vcat"
    CSS_PATH = [styles_dir() / name for name in STYLE_FILES]
    MODES = {"browse": BrowseScreen, "search": SearchScreen, "ingest": IngestScreen,
             "collections": CollectionsScreen, "people": PeopleScreen}
    DEFAULT_MODE = "browse"
    COMMANDS = App.COMMANDS | {VcatCommands}
    BINDINGS = [
        Binding("1", "switch_mode('browse')", "Browse", show=False),
        Binding("2", "switch_mode('search')", "Search", show=False),
        Binding("slash", "switch_mode('search')", "Search", show=False),
        Binding("3", "switch_mode('ingest')", "Ingest", show=False),
        Binding("4", "switch_mode('collections')", "Collections", show=False),
        Binding("5", "switch_mode('people')", "People", show=False),
        Binding("question_mark,f1", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, catalog: Catalog, *, image_mode: str = "auto", ingest_workers: int | None = None,
                 player_command: Callable[[], list[str] | None] = player.opener,
                 timed_player_command: Callable[[float], list[str] | None] = player.at_time) -> None:
        super().__init__()
        self.catalog = catalog
        # resolved now, before Textual owns the terminal: `auto` asks the terminal what it can draw
        self.image_mode = images.prepare(images.normalise_mode(image_mode))
        self.ingest_workers = ingest_workers
        self._player_command = player_command
        self._timed_player_command = timed_player_command
        self.catalog_version = 0
        self._changes_seen: int | None = None

    def on_mount(self) -> None:
        # live updates: another process (vcat-core ingest, watch, a queue worker) changing the catalog shows up
        # here without a key press; the poll is one indexed read of a counter, off the UI thread
        try:
            self._changes_seen = self.catalog.change_counter()  # the baseline: what the screens load now
        except Exception:  # noqa: BLE001 - the first poll sets it instead
            self._changes_seen = None
        self.set_interval(LIVE_POLL_SECONDS, self._poll_changes)

    def _poll_changes(self) -> None:
        self.run_worker(self._read_changes, thread=True, exclusive=True, group="live-poll", exit_on_error=False)

    def _read_changes(self) -> None:
        try:
            counter = self.catalog.change_counter()
        except Exception:  # noqa: BLE001 - a busy or briefly locked catalog: try again at the next tick
            return
        if self._changes_seen is None:
            self._changes_seen = counter
        elif counter != self._changes_seen:
            self._changes_seen = counter
            self.call_from_thread(self._apply_changes)

    def _apply_changes(self) -> None:
        """The catalog changed (another process, or this app): the clip lists (browse, search) reload in place,
        keeping the cursor, or when next shown. Other screens are left alone: an edit in progress there (a
        rename, a confirmation) is never disturbed; they reload after their own edits as before."""
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, (BrowseScreen, SearchScreen, GridScreen)):
                    if screen is self.screen:
                        screen.reload_clips()
                    else:
                        screen._seen_version = -1  # reloads when shown again

    def show_report(self, title: str, compute) -> None:
        """Run a catalog-wide command off the UI thread, then show its answer."""
        def work() -> None:
            try:
                body = compute(self.catalog)
            except Exception as exc:  # noqa: BLE001 - shown to the person, not raised into the app
                body = f"failed: {type(exc).__name__}: {exc}"
            self.call_from_thread(self.push_screen, ReportScreen(title, body))

        self.notify(f"{title}…", timeout=2)
        self.run_worker(work, thread=True, group="reports", exit_on_error=False)

    def player_command(self, start: float | None = None) -> list[str] | None:
        """The command that plays a file: from `start` seconds when given and a player that can is installed."""
        if start is not None and (command := self._timed_player_command(start)) is not None:
            return command
        return self._player_command()

    def catalog_changed(self) -> None:
        """Tags, collections or clips changed: screens reload what they show when they are next shown."""
        self.catalog_version += 1

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        ingest = self._ingest_screen()
        if ingest is not None and ingest.running_here:
            async def stop_then_exit() -> None:
                await ingest.stop_ingest()  # the run is recorded as cancelled before the app goes
                self.exit()

            def answer(yes: bool | None) -> None:
                if yes:
                    self.call_later(stop_then_exit)

            self.push_screen(ConfirmScreen("An ingest is running. Quit and cancel it? (clips stored so far are "
                                           "kept)"), answer)
            return
        self.exit()

    def _ingest_screen(self) -> IngestScreen | None:
        stack = self._screen_stacks.get("ingest") or []  # empty until the mode was first shown
        return next((s for s in stack if isinstance(s, IngestScreen)), None)

    def on_unmount(self) -> None:
        self.catalog.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vcat", description="vcat: browse, search, tag and ingest your footage "
                                                              "catalogue in the terminal.")
    parser.add_argument("--catalog", type=Path, help="catalog folder (default: the configured one)")
    parser.add_argument("--images", default=None,
                        help="how to draw thumbnails: auto (default: detect), tgp (kitty), sixel, halfcell, "
                             "unicode or none; also VCAT_TUI_IMAGES")
    parser.add_argument("--workers", type=int, default=None, help="pool processes for ingests started here")
    args = parser.parse_args(argv)
    try:
        mode = images.normalise_mode(args.images)
        settings = load_settings(catalog=args.catalog)
        catalog = Catalog(settings)
    except (VcatError, ValueError) as exc:
        print(f"vcat: {exc}", file=sys.stderr)
        return 2
    VcatApp(catalog, image_mode=mode, ingest_workers=args.workers).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
