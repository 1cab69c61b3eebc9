"""`vcat-core report …`, `system …` and `config backup|restore`."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.markup import escape

from ..config import config_file_path, read_config_file, validate_config, write_config_file
from ..errors import ConfigError, VcatError
from .common import OutputTable, fail, open_catalog, out
from .format import human_bytes

report_app = typer.Typer(help="Reports: storage usage, content summary, ingest history.", no_args_is_help=True)
system_app = typer.Typer(help="What vcat runs on, and whether it works.", no_args_is_help=True)

_format = typer.Option("text", "--format", help="text (tables), json or csv.")


def _emit(report: dict[str, list[dict[str, Any]]], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        keys: list[str] = ["section"]
        for rows in report.values():
            for row in rows:
                keys += [k for k in row if k not in keys]
        writer = csv.DictWriter(sys.stdout, fieldnames=keys)
        writer.writeheader()
        for section, rows in report.items():
            for row in rows:
                writer.writerow({"section": section, **row})
    elif fmt == "text":
        for section, rows in report.items():
            cols = list(rows[0]) if rows else ["(none)"]
            table = OutputTable(section.replace("_", " "), cols, title_when_piped=True, wrap=("paths", "folder"))
            for row in rows:
                table.add_row(*(_cell(k, row[k]) for k in cols))
            table.print()
    else:
        fail(f"unknown format {fmt!r}; use text, json or csv")


def _cell(key: str, value: Any) -> str:
    if "bytes" in key and isinstance(value, int) and out.is_terminal:
        return human_bytes(value)
    return escape(str(value))


def _report(name: str, fmt: str, collection: str | None = None) -> None:
    if fmt not in ("text", "json", "csv"):
        fail(f"unknown format {fmt!r}; use text, json or csv")
    with open_catalog() as cat:
        try:
            data = cat.report(name, collection=collection)
        except VcatError as exc:
            fail(str(exc), 1)
    _emit(data, fmt)


@report_app.command("storage-usage")
def storage_usage(fmt: str = _format) -> None:
    """Bytes and hours by folder, codec and camera; what removing duplicate copies would reclaim."""
    _report("storage-usage", fmt)


@report_app.command("content-summary")
def content_summary(collection: Optional[str] = typer.Option(None, "--collection", help="Only this collection."),
                    fmt: str = _format) -> None:
    """Clips, hours, quality flags, cameras and tags (of the catalog or one collection)."""
    _report("content-summary", fmt, collection)


@report_app.command("ingest-history")
def ingest_history(fmt: str = _format) -> None:
    """Every ingest run: when, what, how it ended, its counts."""
    _report("ingest-history", fmt)


@system_app.command("status")
def system_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Catalog, store back end, tool versions, disk use, running ingests."""
    with open_catalog() as cat:
        data = cat.system_status()
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    table = OutputTable("vcat system status", ["what", "value"], show_header=False, wrap=("value",))
    table.add_row("catalog", escape(data["catalog"]))
    store = data["store"]
    table.add_row("store", f"{store['backend']}: {escape(store['database'])} (schema {store['schema_revision']})")
    table.add_row("clips", data["clips"])
    disk = data["disk"]
    table.add_row("disk", f"database {human_bytes(disk['database_bytes'])}, thumbnails "
                          f"{human_bytes(disk['thumbnails_bytes'])}, {human_bytes(disk['free_bytes'])} free")
    for k, v in data["versions"].items():
        table.add_row(k, escape(v or "not found"))
    m = data["models"]
    table.add_row("models", f"analysis {m['analysis']}, embeddings {m['embeddings']}, whisper {m['whisper']}")
    table.add_row("running ingests", len(data["running_ingests"]))
    queue = data.get("queue")
    if queue:
        table.add_row("job queue", escape(queue["error"]) if "error" in queue else ", ".join(
            f"{name} {c['todo']} waiting/{c['doing']} running/{c['failed']} failed" for name, c in queue.items()))
    remote = data["remote_storage"]
    table.add_row("remote thumbnails", f"{remote['bucket']} at {escape(remote['url'])}: {remote['uploaded']} "
                  f"uploaded, {remote['pending']} pending" if remote["configured"] else "not set up")
    table.print()


@system_app.command("healthchecks")
def system_healthchecks(as_json: bool = typer.Option(False, "--json")) -> None:
    """Check every part an ingest needs; exit 1 when one fails."""
    with open_catalog() as cat:
        checks = cat.healthchecks()
    if as_json:
        print(json.dumps(checks, indent=2))
    else:
        table = OutputTable("health checks", ["check", "result", "detail"], wrap=("detail",))
        for c in checks:
            table.add_row(c["name"], "[green]ok[/green]" if c["ok"] else "[red]FAILED[/red]", escape(c["detail"]))
        table.print()
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)


@system_app.command("update-models")
def system_update_models(as_json: bool = typer.Option(False, "--json")) -> None:
    """Load every local model (they ship inside packages), report versions; check cloud keys when configured.
    Exit 1 when something fails."""
    with open_catalog() as cat:
        checks = cat.update_models()
    if as_json:
        print(json.dumps(checks, indent=2))
    else:
        table = OutputTable("models", ["check", "result", "detail"], wrap=("detail",))
        for c in checks:
            table.add_row(c["name"], "[green]ok[/green]" if c["ok"] else "[red]FAILED[/red]", escape(c["detail"]))
        table.print()
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)


@system_app.command("tasks")
def system_tasks(as_json: bool = typer.Option(False, "--json")) -> None:
    """Ingest runs in progress (in any process on this catalog), with live counts."""
    with open_catalog() as cat:
        runs = cat.ingest_runs(running_only=True)
    if as_json:
        print(json.dumps(runs, indent=2, default=str))
        return
    table = OutputTable(f"{len(runs)} running ingest(s)", ["run", "started", "host/pid", "done", "failed", "paths"],
                        wrap=("paths",))
    for r in runs:
        c = r["counts"]
        done = sum(c.get(k, 0) for k in ("new", "known", "duplicates", "updated", "failed", "passed_over"))
        table.add_row(r["id"], r["started_at"], f"{r['host']}/{r['pid']}", f"{done}/{c.get('discovered', '?')}",
                      c.get("failed", 0), escape(" | ".join(r["paths"])))
    table.print()


def config_backup(path: Path) -> None:
    """Write the settings of the config file (what `config set` stored) to PATH."""
    data = read_config_file()
    try:
        path.write_text(f"# vcat settings, backed up from {config_file_path()}\n"
                        + yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    out.print(f"backed up {len(data)} setting(s) to {path}", highlight=False)


def config_restore(path: Path) -> None:
    """Validate PATH and make it the config file; nothing changes if any key or value is bad."""
    if not path.is_file():
        fail(f"cannot read {path}: no such file")
    try:
        data = validate_config(read_config_file(path))
    except ConfigError as exc:
        fail(f"{path} is not a valid vcat config: {exc}")
    write_config_file(data)
    out.print(f"restored {len(data)} setting(s) from {path} into {config_file_path()}", highlight=False)
