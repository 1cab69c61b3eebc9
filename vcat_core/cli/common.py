"""What every `vcat-core` command shares: consoles, global options, opening the catalog, failing clearly."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..config import Settings, load_settings
from ..service import Catalog

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class State:
    """Global options given before the command (`vcat-core --catalog DIR list`)."""

    overrides: dict[str, Any] = {}


def settings(**more: Any) -> Settings:
    return load_settings(**{**State.overrides, **more})


def open_catalog(**more: Any) -> Catalog:
    return Catalog(settings(**more))


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


class OutputTable:
    """A Rich table in a terminal; tab-separated plain text when piped (scripts read it with `cut`/`awk`)."""

    def __init__(self, title: str | None, columns: list[str], *, show_header: bool = True,
                 wrap: tuple[str, ...] = (), title_when_piped: bool = False):
        self.title, self.columns, self.show_header, self.wrap = title, columns, show_header, wrap
        self.title_when_piped = title_when_piped
        self.rows: list[tuple[str, ...]] = []

    def add_row(self, *cells: object) -> None:
        self.rows.append(tuple("" if c is None else str(c) for c in cells))

    def print(self) -> None:
        if out.is_terminal:
            table = Table(title=self.title, show_header=self.show_header)
            for c in self.columns:
                table.add_column(c, overflow="fold", no_wrap=c not in self.wrap)
            for row in self.rows:
                table.add_row(*row)
            out.print(table)
            return
        lines = []
        if self.title_when_piped and self.title:
            lines.append(f"# {self.title}")
        if self.show_header:
            lines.append("\t".join(self.columns))
        for row in self.rows:
            lines.append("\t".join(_plain(c) for c in row))
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
        sys.stdout.flush()


def _plain(cell: str) -> str:
    text = Text.from_markup(cell).plain if "[" in cell else cell
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
