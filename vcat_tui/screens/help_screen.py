"""Help (?): what vcat is for, and every key of every screen, read from the same BINDINGS the footer shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..filters import CANONICAL, PICKS
from ..widgets.clip_grid import ClipGrid
from ..widgets.clip_table import ClipTable
from ..widgets.filter_bar import FilterBar
from .browse_screen import BrowseScreen
from .collection_pick_screen import CollectionPickScreen
from .collections_screen import CollectionsScreen
from .detail_screen import DetailScreen
from .grid_screen import GridScreen
from .ingest_screen import IngestScreen
from .prompt_screen import ConfirmScreen
from .search_screen import SearchScreen
from .tag_screen import TagScreen

INTRO = (
    "vcat keeps your footage catalogue open all day: browse it as a table or a grid, filter it, look inside a clip, "
    "cull it (stars, picks, labels), search it, tag it, gather clips into collections, and ingest new cards while "
    "you work."
)
FILTER_HELP = (
    "Filter bar (f): " + " ".join(f"{k}:…" if k not in ("vfr", "exposure", *PICKS) else k for k in CANONICAL)
    + " — plus any words to find in names, paths, cameras, codecs and tags. Quote values with spaces: "
    'camera:"iphone 15". min/max take seconds or 1m30s.'
)

SECTIONS: list[tuple[str, list[type]]] = [
    ("Browse", [BrowseScreen, ClipTable, FilterBar]),
    ("Grid (g)", [GridScreen, ClipGrid]),
    ("Clip detail", [DetailScreen]),
    ("Search", [SearchScreen]),
    ("Ingest", [IngestScreen]),
    ("Collections", [CollectionsScreen]),
    ("Dialogs", [TagScreen, CollectionPickScreen, ConfirmScreen]),
]


def key_rows(app, classes: list[type]) -> list[tuple[str, str]]:
    rows, seen = [], set()
    for cls in classes:
        for binding in cls.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = " / ".join(app.get_key_display(Binding(k.strip(), binding.action, binding.description))
                              for k in binding.key.split(","))
            if (keys, binding.description) in seen:
                continue
            seen.add((keys, binding.description))
            rows.append((keys, binding.description))
    return rows


KEY_WIDTH = 16


def key_table(rows: list[tuple[str, str]]) -> Content:
    width = max([KEY_WIDTH] + [len(k) + 2 for k, _ in rows])
    return Content("\n").join(Content.assemble((f"{k:<{width}}", "bold $text-accent"), d) for k, d in rows)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        app = self.app
        with VerticalScroll(id="help-body", classes="dialog"):
            yield Static("vcat — keys", classes="dialog-title")
            yield Static(INTRO, classes="help-text")
            yield Static("Everywhere", classes="section-title")
            everywhere = key_rows(app, [type(app)]) + [("^p", "Command palette: every action by name")]
            yield Static(key_table(everywhere), classes="help-keys")
            for title, classes in SECTIONS:
                yield Static(title, classes="section-title")
                yield Static(key_table(key_rows(app, classes)), classes="help-keys")
            yield Static(FILTER_HELP, classes="help-text")
            yield Static(f"Catalog: {app.catalog.settings.catalog} · images: {app.image_mode}",
                         classes="help-text help-footnote")

    def action_close(self) -> None:
        self.dismiss(None)
