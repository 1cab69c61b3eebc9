"""A catalog-wide command's answer (reports, system checks, near-duplicates), shown as text over the app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class ReportScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report-body"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.body, id="report-text", markup=False)
            yield Static("esc closes", classes="dialog-hint")


def render_sections(report: dict[str, list[dict]]) -> str:
    """A report's sections as aligned plain-text tables."""
    out = []
    for section, rows in report.items():
        out.append(section.replace("_", " ").upper())
        if not rows:
            out.append("  (none)")
            continue
        cols = list(rows[0])
        widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
        out.append("  " + "  ".join(c.ljust(widths[c]) for c in cols))
        for r in rows:
            out.append("  " + "  ".join(str(r.get(c, "")).ljust(widths[c]) for c in cols))
        out.append("")
    return "\n".join(out)
