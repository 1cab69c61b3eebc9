"""`vcat-core tag …` and `vcat-core collection …`: the same operations the TUI offers."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from ..errors import VcatError
from .common import OutputTable, fail, open_catalog, out

tag_app = typer.Typer(help="Add, remove and list tags.", no_args_is_help=True)
collection_app = typer.Typer(help="Create collections and put clips in them.", no_args_is_help=True)

_clips = typer.Argument(..., help="Clips: ids, paths or checksums.")
_json = typer.Option(False, "--json", help="Machine-readable JSON output.")


@tag_app.command("add")
def tag_add(tag: str = typer.Argument(..., help="Tag (comma-separate several)."), clips: list[str] = _clips) -> None:
    """Tag clips, e.g. `vcat-core tag add interview 12 14 /footage/a.mov`."""
    with open_catalog() as cat:
        try:
            n = cat.add_tags(cat.resolve_clips(clips), tag.split(","))
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"tagged: {n} new tag(s) added", highlight=False)


@tag_app.command("remove")
def tag_remove(tag: str = typer.Argument(..., help="Tag (comma-separate several)."), clips: list[str] = _clips
               ) -> None:
    """Remove a tag from clips."""
    with open_catalog() as cat:
        try:
            n = cat.remove_tags(cat.resolve_clips(clips), tag.split(","))
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"removed: {n}", highlight=False)


@tag_app.command("list")
def tag_list(clip: Optional[str] = typer.Argument(None, help="Only this clip's tags."), as_json: bool = _json
             ) -> None:
    """Every tag with its clip count (or one clip's tags)."""
    with open_catalog() as cat:
        try:
            if clip is not None:
                cid = cat.resolve_clips([clip])[0]
                rows = [(t, 1) for t in cat.tags_of([cid])[cid]]
            else:
                rows = cat.list_tags()
        except VcatError as exc:
            fail(str(exc), 1)
    if as_json:
        print(json.dumps([{"tag": t, "clips": n} for t, n in rows]))
        return
    table = OutputTable(f"{len(rows)} tag(s)", ["tag", "clips"])
    for t, n in rows:
        table.add_row(escape(t), str(n))
    table.print()


@collection_app.command("create")
def collection_create(name: str, description: Optional[str] = typer.Option(None, "--description")) -> None:
    """Create an empty collection."""
    with open_catalog() as cat:
        try:
            cat.create_collection(name, description)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"created collection {name!r}", highlight=False)


@collection_app.command("add")
def collection_add(name: str, clips: list[str] = _clips) -> None:
    """Add clips to a collection."""
    with open_catalog() as cat:
        try:
            n = cat.add_to_collection(name, cat.resolve_clips(clips))
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"added {n} clip(s) to {name!r}", highlight=False)


@collection_app.command("remove")
def collection_remove(name: str, clips: list[str] = _clips) -> None:
    """Take clips out of a collection (they stay in the catalog)."""
    with open_catalog() as cat:
        try:
            n = cat.remove_from_collection(name, cat.resolve_clips(clips))
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"removed {n} clip(s) from {name!r}", highlight=False)


@collection_app.command("rename")
def collection_rename(old: str, new: str) -> None:
    with open_catalog() as cat:
        try:
            cat.rename_collection(old, new)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"renamed {old!r} to {new!r}", highlight=False)


@collection_app.command("delete")
def collection_delete(name: str) -> None:
    """Delete a collection (its clips stay in the catalog)."""
    with open_catalog() as cat:
        try:
            cat.delete_collection(name)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"deleted collection {name!r}", highlight=False)


@collection_app.command("list")
def collection_list(as_json: bool = _json) -> None:
    with open_catalog() as cat:
        rows = cat.list_collections()
    if as_json:
        print(json.dumps(rows))
        return
    table = OutputTable(f"{len(rows)} collection(s)", ["name", "clips", "description"], wrap=("description",))
    for r in rows:
        table.add_row(escape(r["name"]), str(r["clips"]), escape(r["description"] or ""))
    table.print()


@collection_app.command("show")
def collection_show(name: str, as_json: bool = _json) -> None:
    """The clips of a collection, in the order they were added."""
    with open_catalog() as cat:
        try:
            docs = cat.collection_documents(name)
        except VcatError as exc:
            fail(str(exc), 1)
    if as_json:
        print(json.dumps(docs, ensure_ascii=False, default=str))
        return
    table = OutputTable(f"{name}: {len(docs)} clip(s)", ["id", "name", "duration", "path"], wrap=("path",))
    for d in docs:
        table.add_row(str(d["id"]), escape(d["file_name"]), f"{d['duration_seconds'] or 0:.1f}s",
                      escape(d["file_path"] or ""))
    table.print()
