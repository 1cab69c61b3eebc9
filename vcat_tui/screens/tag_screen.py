"""Dialog: tags to add to (or remove from) the selected clips, comma separated, with completion of known tags."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label, Static

from .. import format as fmt


class TagSuggester(Suggester):
    """Completes the last tag of a comma-separated list from the catalog's tags."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.tags: list[str] = []

    async def get_suggestion(self, value: str) -> str | None:
        last = value.rpartition(",")[2]
        word = last.lstrip()
        if not word:
            return None
        for tag in self.tags:
            if tag.startswith(word.lower()) and tag != word.lower():
                return value + tag[len(word):]
        return None


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class TagScreen(ModalScreen[list[str] | None]):
    """Returns the tags typed (None when cancelled). `mode` is "add" or "remove"."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    class _Loaded(Message, bubble=False):
        def __init__(self, known: list[str], on_clips: list[str]) -> None:
            super().__init__()
            self.known, self.on_clips = known, on_clips

    def __init__(self, mode: str, clip_ids: list[int]) -> None:
        super().__init__()
        self.mode = mode
        self.clip_ids = clip_ids
        self.suggester = TagSuggester()

    def compose(self) -> ComposeResult:
        what = fmt.plural(len(self.clip_ids), "clip")
        title = f"Add tags to {what}" if self.mode == "add" else f"Remove tags from {what}"
        with Vertical(id="tag-dialog", classes="dialog"):
            yield Label(title, classes="dialog-title")
            yield Static("", id="tag-current", classes="dialog-note")
            yield Input(placeholder="tag, another tag", suggester=self.suggester, id="tag-input")
            yield Static("enter: apply · → accepts a suggestion · escape: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._load_tags()

    @work(thread=True, exit_on_error=False)
    def _load_tags(self) -> None:
        catalog = self.app.catalog
        known = [name for name, _ in catalog.list_tags()]
        on_clips = sorted({t for tags in catalog.tags_of(self.clip_ids[:500]).values() for t in tags})
        self.post_message(self._Loaded(known, on_clips))

    @on(_Loaded)
    def _show_tags(self, msg: _Loaded) -> None:
        self.suggester.tags = msg.on_clips if self.mode == "remove" else sorted(msg.known)
        note = self.query_one("#tag-current", Static)
        note.update(f"tagged now: {', '.join(msg.on_clips)}" if msg.on_clips else "no tags yet")

    @on(Input.Submitted, "#tag-input")
    def _submit(self, event: Input.Submitted) -> None:
        tags = split_tags(event.value)
        self.dismiss(tags or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
