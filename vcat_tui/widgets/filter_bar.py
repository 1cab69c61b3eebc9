"""The browse screen's filter bar: one line of `key:value` filters (see vcat_tui/filters.py), applied on enter."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Static

from vcat_core.models import ClipFilter

from ..filters import FilterError, describe, parse_filter
from ..messages import FiltersChanged
from ..suggesters import FilterSuggester

PLACEHOLDER = "codec:prores res:4k camera:sony min:10 max:2m vfr tag:… collection:… rating:>=4 pick label:red words"


class FilterBar(Horizontal):
    """Type filters, enter applies them; escape goes back to the table without applying."""

    BINDINGS = [Binding("escape", "leave", "Back to clips", show=False)]

    class Left(Message):
        """The user left the bar (escape)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.suggester = FilterSuggester()
        self.filters = ClipFilter()

    def compose(self) -> ComposeResult:
        yield Label("Filter", id="filter-label")
        yield Input(placeholder=PLACEHOLDER, suggester=self.suggester, id="filter-input")
        yield Static("", id="filter-error")

    @on(Input.Submitted, "#filter-input")
    def _apply(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply(event.value)

    def apply(self, text: str) -> bool:
        error = self.query_one("#filter-error", Static)
        try:
            filters = parse_filter(text)
        except FilterError as exc:
            error.update(str(exc))
            error.display = True
            return False
        error.display = False
        self.filters = filters
        self.post_message(FiltersChanged(filters, describe(filters)))
        return True

    def set_filters(self, filters: ClipFilter) -> None:
        self.query_one("#filter-input", Input).value = describe(filters)
        self.apply(describe(filters))

    def focus_input(self) -> None:
        self.query_one("#filter-input", Input).focus()

    def action_leave(self) -> None:
        self.query_one("#filter-input", Input).value = describe(self.filters)
        self.query_one("#filter-error", Static).display = False
        self.post_message(self.Left())
