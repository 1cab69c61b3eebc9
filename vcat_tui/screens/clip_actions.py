"""What every screen that shows clips can do to them: tag, untag, add to a collection, export, play, copy the path.

Screens mix `ClipActions` in, declare the keys in their own BINDINGS (see `CLIP_BINDINGS`) and say which clips an
action applies to (`clip_targets`) and which file plays (`clip_path`). Writes run in worker threads; the result
comes back as a `LabelsApplied` message.
"""

from __future__ import annotations

import os

from textual import work
from textual.binding import Binding

from vcat_core.errors import VcatError

from .. import format as fmt
from .. import player
from ..messages import LabelsApplied
from .collection_pick_screen import CollectionChoice, CollectionPickScreen
from .export_action import ExportAction
from .tag_screen import TagScreen

CLIP_BINDINGS = [
    Binding("t", "tag", "Tag"),
    Binding("u", "untag", "Untag", show=False),
    Binding("a", "add_to_collection", "Collect"),
    Binding("o", "open_player", "Play"),
    Binding("c", "copy_path", "Copy path", show=False),
    Binding("e", "export", "Export", show=False),
]


class ClipActions(ExportAction):
    """Mixin for a Screen (`e` export comes from ExportAction)."""

    def clip_targets(self) -> list[int]:  # the selected clips, else the one under the cursor
        raise NotImplementedError

    def clip_path(self) -> str | None:  # the file of the clip under the cursor
        raise NotImplementedError

    def reload_clips(self) -> None:  # show the catalog's new state after an edit
        raise NotImplementedError

    def play_from(self) -> float | None:  # seconds into the clip where `o` starts playing (None: the start)
        return None

    def _targets_or_warn(self) -> list[int]:
        ids = self.clip_targets()
        if not ids:
            self.notify("No clip here.", severity="warning")
        return ids

    # ---- tags --------------------------------------------------------------------------------------------------

    def action_tag(self) -> None:
        if ids := self._targets_or_warn():
            self.app.push_screen(TagScreen("add", ids), lambda tags: tags and self._write_tags("add", ids, tags))

    def action_untag(self) -> None:
        if ids := self._targets_or_warn():
            self.app.push_screen(TagScreen("remove", ids),
                                 lambda tags: tags and self._write_tags("remove", ids, tags))

    @work(thread=True, group="labels", exit_on_error=False)
    def _write_tags(self, mode: str, ids: list[int], tags: list[str]) -> None:
        catalog = self.app.catalog
        try:
            if mode == "add":
                n = catalog.add_tags(ids, tags)
                text = f"Tagged {fmt.plural(len(ids), 'clip')} with {', '.join(tags)} ({n} new)"
            else:
                n = catalog.remove_tags(ids, tags)
                text = f"Removed {', '.join(tags)} from {fmt.plural(n, 'clip')}"
        except VcatError as exc:
            self.post_message(LabelsApplied(str(exc), error=True))
            return
        self.post_message(LabelsApplied(text))

    # ---- collections -------------------------------------------------------------------------------------------

    def action_add_to_collection(self) -> None:
        if ids := self._targets_or_warn():
            self.app.push_screen(CollectionPickScreen(len(ids)),
                                 lambda choice: choice and self._write_collection(choice, ids))

    @work(thread=True, group="labels", exit_on_error=False)
    def _write_collection(self, choice: CollectionChoice, ids: list[int]) -> None:
        catalog = self.app.catalog
        try:
            if choice.create and choice.name not in {c["name"] for c in catalog.list_collections()}:
                catalog.create_collection(choice.name)
            n = catalog.add_to_collection(choice.name, ids)
        except VcatError as exc:
            self.post_message(LabelsApplied(str(exc), error=True))
            return
        self.post_message(LabelsApplied(f"Added {fmt.plural(n, 'clip')} to {choice.name}"))

    def on_labels_applied(self, msg: LabelsApplied) -> None:
        msg.stop()
        if msg.error:
            self.notify(msg.text, title="Not changed", severity="error")
            return
        self.notify(msg.text)
        self.app.catalog_changed()
        self.reload_clips()

    # ---- the file ----------------------------------------------------------------------------------------------

    def action_open_player(self) -> None:
        path = self.clip_path()
        if not path:
            self.notify("No clip here.", severity="warning")
            return
        self._launch(path, self.app.player_command(self.play_from()))

    @work(thread=True, group="player", exit_on_error=False)
    def _launch(self, path: str, command: list[str] | None) -> None:
        """In a thread: the file may sit on a slow or unplugged drive, and the player runs until it exits.
        (notify is safe from a thread: it posts a message.)"""
        if not os.path.exists(path):
            self.notify(f"{path} is not reachable (offline drive?)", title="Cannot play", severity="warning")
            return
        if command is None:
            self.notify("No system player opener found (xdg-open / open). Copy the path with c instead.",
                        title="Cannot play", severity="warning")
            return
        try:
            proc = player.launch(path, command)
        except OSError as exc:
            self.notify(f"{command[0]}: {exc}", title="Cannot play", severity="error")
            return
        self.notify(f"Opening {os.path.basename(path)}")
        code = proc.wait()
        if code:
            self.notify(f"{os.path.basename(command[0])} exited with status {code}", title="Player",
                        severity="warning")

    def action_copy_path(self) -> None:
        path = self.clip_path()
        if not path:
            self.notify("No clip here.", severity="warning")
            return
        self.app.copy_to_clipboard(path)
        self.notify(f"Copied {path}")
