"""What the screens that pair a list (left) with the clips of its highlighted entry (right) share: Collections and
People. The screen names its two widgets' ids, composes them, and says how to `_list` its entries."""

from __future__ import annotations

from textual.widgets import OptionList

from ..widgets.clip_table import ClipTable


class ListAndClips:
    """Mixin for a Screen with an OptionList `LIST_ID` and a ClipTable `TABLE_ID` (ClipActions' clip hooks too)."""

    LIST_ID = ""
    TABLE_ID = ""

    @property
    def table(self) -> ClipTable:
        return self.query_one(f"#{self.TABLE_ID}", ClipTable)

    @property
    def options(self) -> OptionList:
        return self.query_one(f"#{self.LIST_ID}", OptionList)

    def on_mount(self) -> None:
        self._seen_version = self.app.catalog_version
        self.options.focus()
        self._list()

    def on_screen_resume(self) -> None:
        if self._seen_version != self.app.catalog_version:
            self.reload_clips()

    def _list(self) -> None:  # read the entries in a worker; post them back
        raise NotImplementedError

    def action_switch_pane(self) -> None:
        (self.table if self.options.has_focus else self.options).focus()

    def clip_targets(self) -> list[int]:
        return self.table.target_ids() if self.table.has_focus or self.table.selected else []

    def clip_path(self) -> str | None:
        current = self.table.current
        return current.path if current and self.table.has_focus else None
