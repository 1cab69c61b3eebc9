"""Dialog: pick the collection to add the selected clips to, or name a new one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from .. import format as fmt


@dataclass
class CollectionChoice:
    name: str
    create: bool = False


class CollectionPickScreen(ModalScreen[CollectionChoice | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class _Loaded(Message, bubble=False):
        def __init__(self, collections: list[dict]) -> None:
            super().__init__()
            self.collections = collections

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="collection-dialog", classes="dialog"):
            yield Label(f"Add {fmt.plural(self.count, 'clip')} to a collection", classes="dialog-title")
            yield OptionList(id="collection-options")
            yield Input(placeholder="…or type a new collection's name", id="collection-new")
            yield Static("enter: choose · tab: switch · escape: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        self.post_message(self._Loaded(self.app.catalog.list_collections()))

    @on(_Loaded)
    def _show(self, msg: _Loaded) -> None:
        collections = msg.collections
        options = self.query_one(OptionList)
        options.add_options([Option(f"{c['name']}  ({fmt.plural(c['clips'], 'clip')})", id=c["name"])
                             for c in collections])
        if collections:
            options.highlighted = 0
            options.focus()
        else:
            options.display = False
            self.query_one(Input).focus()

    @on(OptionList.OptionSelected, "#collection-options")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(CollectionChoice(str(event.option.id)))

    @on(Input.Submitted, "#collection-new")
    def _named(self, event: Input.Submitted) -> None:
        name = " ".join(event.value.split())
        if name:
            self.dismiss(CollectionChoice(name, create=True))

    def action_cancel(self) -> None:
        self.dismiss(None)
