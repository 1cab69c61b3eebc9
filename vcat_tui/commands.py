"""The command palette (ctrl+p): every action of the app, the current screen and its widgets, found by name.

Commands are built from the same BINDINGS the footer and the help screen read, so a new key is in the palette the
moment it is declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode


@dataclass
class PaletteCommand:
    title: str
    help: str
    run: Callable


def _keys(app, binding: Binding) -> str:
    shown = []
    for key in binding.key.split(","):
        shown.append(app.get_key_display(Binding(key.strip(), binding.action, binding.description)))
    return " / ".join(shown)


def _action_name(action: str) -> str:
    return action.split("(", 1)[0]


def commands_for(app, screen) -> list[PaletteCommand]:
    """Every action reachable from `screen`: the app's, the screen's, then its own widgets' (vcat_tui's)."""
    nodes: list[tuple[DOMNode, str]] = [(screen, type(screen).__name__.replace("Screen", "")),
                                        (app, "everywhere")]
    for widget in screen.query("*"):
        if type(widget).__module__.startswith("vcat_tui.") and type(widget).BINDINGS:
            nodes.append((widget, type(widget).__name__))
    out: list[PaletteCommand] = []
    seen: set[tuple[int, str]] = set()
    for node, where in nodes:
        for binding in type(node).BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            key = (id(node), binding.action)
            if key in seen:
                continue
            seen.add(key)
            name = _action_name(binding.action)
            try:
                allowed = node.check_action(name, ())
            except Exception:  # noqa: BLE001 - a screen's check may look at widgets not there yet
                allowed = True
            if not allowed:
                continue
            help_text = f"{binding.tooltip or where} · key {_keys(app, binding)}"
            out.append(PaletteCommand(binding.description, help_text, partial(node.run_action, binding.action)))
    return out


class VcatCommands(Provider):
    async def discover(self) -> Hits:
        for cmd in commands_for(self.app, self.screen):
            yield DiscoveryHit(cmd.title, cmd.run, help=cmd.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in commands_for(self.app, self.screen):
            score = max(matcher.match(cmd.title), matcher.match(cmd.help) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(cmd.title), cmd.run, help=cmd.help)
