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


def catalog_commands(app) -> list[PaletteCommand]:
    """Catalog-wide actions that have no key (the same service calls as `vcat-core report|system|duplicates`)."""
    from .screens.report_screen import render_sections

    def dups(groups: list[dict]) -> str:
        lines = []
        for i, g in enumerate(groups, 1):
            lines.append(f"group {i} (similarity {g['similarity']})")
            lines += [f"  {c['id']:>6}  {c['name']}  {c['width']}x{c['height']} {c['codec']}" for c in g["clips"]]
        return "\n".join(lines) or "no near-duplicates"

    def checks(rows: list[dict]) -> str:
        return "\n".join(f"{'ok    ' if c['ok'] else 'FAILED'}  {c['name']}: {c['detail']}" for c in rows)

    specs = [
        ("Report: storage usage", "bytes and hours by folder, codec, camera; duplicates reclaimable",
         lambda c: render_sections(c.report("storage-usage"))),
        ("Report: content summary", "clips, hours, quality flags, cameras, tags",
         lambda c: render_sections(c.report("content-summary"))),
        ("Report: ingest history", "every ingest run and its counts",
         lambda c: render_sections(c.report("ingest-history"))),
        ("System: health checks", "everything an ingest needs, checked now", lambda c: checks(c.healthchecks())),
        ("System: check models", "load every local model, report versions", lambda c: checks(c.update_models())),
        ("Find near-duplicates", "the same footage re-encoded, resized or trimmed",
         lambda c: dups(c.near_duplicates())),
        ("Rebuild search index", "re-index every clip's words", lambda c: f"re-indexed {c.reindex()} clip(s)"),
    ]
    return [PaletteCommand(title, f"catalog · {help_text}", partial(app.show_report, title, fn))
            for title, help_text, fn in specs]


class VcatCommands(Provider):
    async def discover(self) -> Hits:
        for cmd in commands_for(self.app, self.screen) + catalog_commands(self.app):
            yield DiscoveryHit(cmd.title, cmd.run, help=cmd.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in commands_for(self.app, self.screen) + catalog_commands(self.app):
            score = max(matcher.match(cmd.title), matcher.match(cmd.help) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(cmd.title), cmd.run, help=cmd.help)
