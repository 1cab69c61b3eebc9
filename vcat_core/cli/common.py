"""What every `vcat-core` command shares: consoles, global options, opening the catalog, failing clearly."""

from __future__ import annotations

from typing import Any, NoReturn

import typer
from rich.console import Console

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
