"""`e`: hand the selection (or the current search's results) to the edit — a timeline or a contact sheet, the
format read from the file name the user types. Runs the same service calls as `vcat-core export`."""

from __future__ import annotations

from pathlib import Path

from textual import work

from vcat_core.errors import VcatError

from .prompt_screen import PromptScreen

SUFFIX_FORMATS = {".fcpxml": "fcpxml", ".xml": "xmeml", ".edl": "edl", ".otio": "otio", ".pdf": "pdf",
                  ".png": "png"}
DEFAULT_NAME = "vcat-selects.fcpxml"


def format_for(path: str) -> str | None:
    return SUFFIX_FORMATS.get(Path(path).suffix.lower())


class ExportAction:
    """Mixin for a clip screen (with ClipActions): `export_what()` says what goes out and how to get it."""

    def export_what(self) -> tuple[str, dict] | None:
        """(what to call it, handoff_selects arguments); the selected clips, else the one under the cursor."""
        ids = self.clip_targets()
        return (f"{len(ids)} clip(s)", {"clip_ids": ids}) if ids else None

    def action_export(self) -> None:
        what = self.export_what()
        if what is None:
            self.notify("No clip here.", severity="warning")
            return
        label, args = what
        title = f"Export {label} to a file — .fcpxml, .xml (Premiere/FCP7), .edl, .otio, .pdf or .png"
        default = str(Path.cwd() / DEFAULT_NAME)
        self.app.push_screen(PromptScreen(title, value=default), lambda path: path and self._export_to(path, args))

    def _export_to(self, path: str, args: dict) -> None:
        fmt = format_for(path)
        if fmt is None:
            self.notify(f"{Path(path).suffix or 'no extension'}: use " + ", ".join(SUFFIX_FORMATS),
                        title="Not exported", severity="error")
            return
        self._run_export(str(Path(path).expanduser()), fmt, args)

    @work(thread=True, group="export", exit_on_error=False)
    def _run_export(self, path: str, fmt: str, args: dict) -> None:
        catalog = self.app.catalog
        try:
            selects = catalog.handoff_selects(**args)
            report = catalog.export_selects(selects, fmt, path, name=Path(path).stem)
        except (VcatError, ValueError, OSError) as exc:
            self.notify(str(exc), title="Not exported", severity="error")
            return
        extra = f" ({'; '.join(report.warnings)})" if report.warnings else ""
        self.notify(f"Wrote {report.clips} clip(s) to {path}{extra}", title="Exported")
