"""Culling keys, as in Lightroom's Library: 0-5 stars, p pick, x reject (again: unflag), 6-9 colour labels (again:
clear), L cycles every label. Screens where a person judges footage (the grid, the clip detail) mix `CullActions`
in next to `ClipActions` and add `CULL_BINDINGS`; the list keeps 1-4 for switching modes.

The write runs in a worker through the same service calls as `vcat-core rate|pick|reject|unflag|label`; the result
comes back as a `LabelsApplied` message, so the screen reloads what it shows.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding

from vcat_core.errors import VcatError
from vcat_core.models import ClipSummary
from vcat_core.service import LABELS

from .. import format as fmt
from ..messages import LabelsApplied

KEY_LABELS = {"6": "red", "7": "yellow", "8": "green", "9": "blue"}

CULL_BINDINGS = [
    *(Binding(str(n), f"rate({n})", f"Rate {n}" if n else "Clear rating", show=n == 0) for n in range(6)),
    Binding("p", "flag('pick')", "Pick"),
    Binding("x", "flag('reject')", "Reject"),
    Binding("U", "flag(None)", "Unflag", show=False),
    *(Binding(key, f"label('{colour}')", f"Label {colour}", show=False) for key, colour in KEY_LABELS.items()),
    Binding("L", "cycle_label", "Next label", show=False),
]


class CullActions:
    """Mixin for a Screen that also mixes in ClipActions (for `clip_targets` and the LabelsApplied handler)."""

    def cull_current(self) -> ClipSummary | dict | None:  # what the cursor is on: a summary or a detail document
        raise NotImplementedError

    def cull_shown(self, ids: list[int], values: dict) -> None:
        """The write succeeded: show it at once (the screen's reload that follows confirms it). Optional."""

    def _current_value(self, field: str):
        current = self.cull_current()
        if current is None:
            return None
        return current.get(field) if isinstance(current, dict) else getattr(current, field, None)

    def action_rate(self, stars: int) -> None:
        if ids := self._targets_or_warn():
            self._write_cull("rate", ids, stars)

    def action_flag(self, flag: str | None) -> None:
        """p / x set the flag; pressing it again on a clip that has it clears it (as in Lightroom)."""
        if ids := self._targets_or_warn():
            if flag is not None and len(ids) == 1 and self._current_value("pick") == flag:
                flag = None
            self._write_cull("flag", ids, flag)

    def action_label(self, colour: str | None) -> None:
        if ids := self._targets_or_warn():
            if colour is not None and len(ids) == 1 and self._current_value("label") == colour:
                colour = None
            self._write_cull("label", ids, colour)

    def action_cycle_label(self) -> None:
        order = [None, *LABELS]
        now = self._current_value("label")
        self.action_label(order[(order.index(now) + 1) % len(order)] if now in order else LABELS[0])

    @work(thread=True, group="labels", exit_on_error=False)
    def _write_cull(self, what: str, ids: list[int], value) -> None:
        catalog = self.app.catalog
        clips = fmt.plural(len(ids), "clip")
        try:
            if what == "rate":
                catalog.rate(ids, value)
                text = f"Rated {clips} {'★' * value}" if value else f"Cleared the rating of {clips}"
            elif what == "flag":
                catalog.set_pick(ids, value)
                verb = {"pick": "Picked", "reject": "Rejected"}.get(value, "Unflagged")
                text = f"{verb} {clips}"
            else:
                catalog.set_label(ids, value)
                text = f"Labelled {clips} {value}" if value else f"Cleared the label of {clips}"
        except VcatError as exc:
            self.post_message(LabelsApplied(str(exc), error=True))
            return
        field = {"rate": "rating", "flag": "pick", "label": "label"}[what]
        self.app.call_from_thread(self.cull_shown, ids, {field: value})
        self.post_message(LabelsApplied(text))
