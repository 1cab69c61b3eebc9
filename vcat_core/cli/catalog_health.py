"""`vcat-core catalog check|recover`: a damaged SQLite catalog file, found and saved as far as it can be."""

from __future__ import annotations

import json

import typer

from .. import service
from ..errors import VcatError
from .common import fail, out, settings

catalog_app = typer.Typer(help="The catalog file itself: integrity check, recovery.", no_args_is_help=True)
_json = typer.Option(False, "--json", help="Machine-readable JSON output.")


@catalog_app.command("check")
def catalog_check(as_json: bool = _json) -> None:
    """SQLite's full integrity and foreign-key check of catalog.db (exit 1 when it finds damage)."""
    try:
        report = service.check_catalog(settings())
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(report.as_dict()))
    elif report.ok:
        out.print(f"{report.path}: ok", highlight=False)
    else:
        out.print(f"{report.path}: damaged", highlight=False)
        for problem in report.problems:
            out.print(f"  {problem}", highlight=False, markup=False)
        out.print("run `vcat-core catalog recover` to save what can be read", highlight=False)
    raise typer.Exit(0 if report.ok else 1)


@catalog_app.command("recover")
def catalog_recover(no_cli: bool = typer.Option(False, "--no-cli", help="Copy row by row even when the sqlite3 "
                                                "tool (whose .recover saves more) is installed."),
                    as_json: bool = _json) -> None:
    """Rebuild catalog.db from what can be read; the damaged file is kept beside it (exit 1 if the result is
    still not clean)."""
    try:
        report = service.recover_catalog(settings(), use_cli=not no_cli)
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        out.print(f"recovered {report.path} with {report.method}; the damaged file is kept as "
                  f"{report.kept_damaged_as}", highlight=False, markup=False)
        for table, n in sorted(report.rows.items()):
            out.print(f"  {table}: {n} rows", highlight=False, markup=False)
        if report.rows_lost:
            out.print(f"  {report.rows_lost} row(s) could not be read", highlight=False)
        out.print(f"check after recovery: {'ok' if report.check_after.ok else 'still damaged'}", highlight=False)
    raise typer.Exit(0 if report.check_after.ok else 1)
