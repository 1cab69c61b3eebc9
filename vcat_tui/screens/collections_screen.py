"""Collections: the list on the left (create, rename, delete), the highlighted collection's clips on the right."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from vcat_core.errors import VcatError
from vcat_core.models import ClipFilter

from .. import format as fmt
from ..messages import ClipChosen, LabelsApplied
from ..sources import CatalogSource
from ..widgets.clip_table import ClipTable
from ..widgets.mode_bar import ModeBar
from .clip_actions import CLIP_BINDINGS, ClipActions
from .detail_screen import DetailScreen
from .list_and_clips import ListAndClips
from .prompt_screen import ConfirmScreen, PromptScreen


class CollectionsScreen(ListAndClips, ClipActions, Screen):
    LIST_ID, TABLE_ID = "collections-list", "collection-clips"
    BINDINGS = [
        Binding("n", "new_collection", "New"),
        Binding("R", "rename_collection", "Rename"),
        Binding("D", "delete_collection", "Delete"),
        Binding("x", "remove_clips", "Remove from collection", show=False),
        Binding("tab", "switch_pane", "Switch pane", show=False),
        *CLIP_BINDINGS,
    ]

    class _Listed(Message, bubble=False):
        def __init__(self, collections: list[dict]) -> None:
            super().__init__()
            self.collections = collections

    def __init__(self) -> None:
        super().__init__()
        self.collections: list[dict] = []
        self.current: str | None = None
        self._seen_version = -1

    def compose(self) -> ComposeResult:
        yield ModeBar("collections")
        yield Static("Collections", id="collections-title", classes="screen-title")
        with Horizontal(id="collections-body"):
            with Vertical(id="collections-side"):
                yield OptionList(id="collections-list")
                yield Static("", id="collection-info")
            yield ClipTable(id="collection-clips", empty_text="No clips in this collection yet (a on a clip adds it).")
        yield Footer()

    @work(thread=True, group="collections", exclusive=True, exit_on_error=False)
    def _list(self) -> None:
        self.post_message(self._Listed(self.app.catalog.list_collections()))

    @on(_Listed)
    def _listed(self, msg: _Listed) -> None:
        self.collections = msg.collections
        options = self.options
        keep = self.current
        options.clear_options()
        options.add_options([Option(f"{c['name']}  ({c['clips']:,})", id=c["name"]) for c in msg.collections])
        names = [c["name"] for c in msg.collections]
        title = "Collections · " + fmt.plural(len(names), "collection")
        self.query_one("#collections-title", Static).update(title)
        if not names:
            self.current = None
            self.query_one("#collection-info", Static).update("No collections yet: n creates one.")
            self.table.clear("Create a collection with n, then add clips to it with a.")
            return
        index = names.index(keep) if keep in names else 0
        options.highlighted = index
        self._show(names[index], keep_cursor=keep == names[index])

    @on(OptionList.OptionHighlighted, "#collections-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = str(event.option.id)
        if name != self.current:
            self._show(name)

    @on(OptionList.OptionSelected, "#collections-list")
    def _selected(self) -> None:
        self.table.focus()

    def _show(self, name: str, keep_cursor: bool = False) -> None:
        self.current = name
        info = next((c for c in self.collections if c["name"] == name), None)
        text = name
        if info:
            text = f"{name} · {fmt.plural(info['clips'], 'clip')}"
            if info.get("description"):
                text += f"\n{info['description']}"
        self.query_one("#collection-info", Static).update(text)
        self.table.empty_text = "No clips in this collection yet (a on a clip adds it)."
        source = CatalogSource(self.app.catalog, ClipFilter(collection=name))
        if keep_cursor and self.table.source is not None:
            source = source.sorted(self.table.source.sort, self.table.source.descending)
        self.table.load(source, keep_cursor=keep_cursor)

    @on(ClipChosen)
    def _chosen(self, msg: ClipChosen) -> None:
        self.app.push_screen(DetailScreen(msg.clip.id, step=self._step))

    def _step(self, delta: int) -> int | None:
        table = self.table
        table.move_cursor(table.cursor + delta)
        return table.current.id if table.current else None

    # ---- collection edits --------------------------------------------------------------------------------------

    def action_new_collection(self) -> None:
        def create(name: str | None) -> None:
            if name:
                self.current = name
                self._edit("create", name)

        self.app.push_screen(PromptScreen("New collection", placeholder="name"), create)

    def action_rename_collection(self) -> None:
        if self.current is None:
            self.notify("No collection to rename.", severity="warning")
            return
        old = self.current
        def rename(new: str | None) -> None:
            if new and new != old:
                self.current = new
                self._edit("rename", old, new)

        self.app.push_screen(PromptScreen(f"Rename {old!r} to", value=old), rename)

    def action_delete_collection(self) -> None:
        if self.current is None:
            self.notify("No collection to delete.", severity="warning")
            return
        name = self.current
        def delete(yes: bool | None) -> None:
            if yes:
                self.current = None
                self._edit("delete", name)

        self.app.push_screen(ConfirmScreen(f"Delete the collection {name!r}? (its clips stay in the catalog)"),
                             delete)

    def action_remove_clips(self) -> None:
        ids = self.table.target_ids()
        if self.current is None or not ids:
            self.notify("No clip here.", severity="warning")
            return
        self._edit("remove", self.current, ids=ids)

    @work(thread=True, group="labels", exit_on_error=False)
    def _edit(self, what: str, name: str, new: str | None = None, ids: list[int] | None = None) -> None:
        catalog = self.app.catalog
        try:
            if what == "create":
                catalog.create_collection(name)
                text = f"Created {name}"
            elif what == "rename":
                catalog.rename_collection(name, new or name)
                text = f"Renamed {name} to {new}"
            elif what == "delete":
                catalog.delete_collection(name)
                text = f"Deleted {name}"
            else:
                n = catalog.remove_from_collection(name, ids or [])
                text = f"Removed {fmt.plural(n, 'clip')} from {name}"
        except VcatError as exc:
            self.post_message(LabelsApplied(str(exc), error=True))
            return
        self.post_message(LabelsApplied(text))

    # ---- ClipActions -------------------------------------------------------------------------------------------

    def export_what(self) -> tuple[str, dict] | None:
        """The selected clips (or the one under the cursor in the clip list); else the whole collection."""
        if self.clip_targets() or self.current is None:
            return super().export_what()
        return f"collection {self.current!r}", {"filters": ClipFilter(collection=self.current)}

    def reload_clips(self) -> None:
        self._seen_version = self.app.catalog_version
        self.table.clear_selection()
        self._list()
