"""`vcat-core people …`: the people faces were grouped into — list, show, name, merge, split, forget."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from ..errors import VcatError
from .common import OutputTable, fail, open_catalog, out

people_app = typer.Typer(help="People seen in the footage (faces grouped across the catalog).",
                         no_args_is_help=True)

_person = typer.Argument(..., help="A person: id (see `people list`) or name.")
_json = typer.Option(False, "--json", help="Machine-readable JSON output.")


def _times(times: list[float], most: int = 6) -> str:
    shown = ", ".join(f"{int(t // 60)}:{t % 60:04.1f}" for t in times[:most])
    return shown + (f" … (+{len(times) - most})" if len(times) > most else "")


@people_app.command("list")
def people_list(named: bool = typer.Option(False, "--named", help="Only people with a name."),
                as_json: bool = _json) -> None:
    """Every person seen, most often seen first: id, name, faces, clips and a face thumbnail."""
    with open_catalog() as cat:
        rows = cat.list_people(named_only=named)
        root = cat.settings.catalog
    if as_json:
        print(json.dumps([{**r, "thumbnail": str(root / r["thumbnail"]) if r["thumbnail"] else None}
                          for r in rows], ensure_ascii=False))
        return
    table = OutputTable(f"{len(rows)} person(s)", ["id", "name", "clips", "faces", "thumbnail"])
    for r in rows:
        table.add_row(str(r["id"]), escape(r["name"] or "(unnamed)"), str(r["clips"]), str(r["faces"]),
                      escape(str(root / r["thumbnail"]) if r["thumbnail"] else ""))
    table.print()


@people_app.command("show")
def people_show(person: str = _person, as_json: bool = _json) -> None:
    """The clips a person is seen in, with the times."""
    with open_catalog() as cat:
        try:
            detail = cat.person(person)
        except VcatError as exc:
            fail(str(exc), 1)
    if as_json:
        print(json.dumps(detail, ensure_ascii=False))
        return
    table = OutputTable(f"{detail['name'] or 'person #' + str(detail['id'])}: {detail['clips']} clip(s)",
                        ["clip", "name", "seen at"])
    for c in detail["seen_in"]:
        table.add_row(str(c["clip_id"]), escape(c["name"]), _times(c["times"]))
    table.print()


@people_app.command("name")
def people_name(person: str = _person, name: str = typer.Argument(..., help="The name to give.")) -> None:
    """Name a person (naming them as someone already named merges the two)."""
    with open_catalog() as cat:
        try:
            r = cat.name_person(person, name)
        except VcatError as exc:
            fail(str(exc), 1)
    merged = f" (merged #{', #'.join(map(str, r['merged']))} into it)" if r["merged"] else ""
    out.print(f"person #{r['id']} is now {escape(r['name'])}{merged}", highlight=False)


@people_app.command("merge")
def people_merge(people: list[str] = typer.Argument(..., help="Two people or more; the first one stays.")) -> None:
    """The same person grouped twice: join them into the first one given."""
    with open_catalog() as cat:
        try:
            r = cat.merge_people(people)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"merged #{', #'.join(map(str, r['merged']))} into #{r['id']}", highlight=False)


@people_app.command("split")
def people_split(person: str = _person,
                 face: Optional[list[int]] = typer.Option(None, "--face", help="Move this face (repeat)."),
                 clip: Optional[list[str]] = typer.Option(None, "--clip", help="Move their faces in this clip "
                                                          "(id, path or checksum; repeat)."),
                 as_json: bool = _json) -> None:
    """Two people grouped as one: move some faces (`--face`, `--clip`, or by themselves: the half least like the
    rest) to a new person."""
    with open_catalog() as cat:
        try:
            r = cat.split_person(person, face_ids=face or None, clip_ids=cat.resolve_clips(clip) if clip else None)
        except VcatError as exc:
            fail(str(exc), 1)
    if as_json:
        print(json.dumps(r))
        return
    out.print(f"moved {r['faces_moved']} face(s) of #{r['id']} to new person #{r['new_id']}", highlight=False)


@people_app.command("forget")
def people_forget(yes: bool = typer.Option(False, "--yes", help="Do not ask.")) -> None:
    """Delete every face vector, every person (and their names) and the face thumbnails. To find no more, set
    `face_analysis: false` (`vcat-core config set face_analysis=false`)."""
    if not yes and not typer.confirm("Delete every face and person of this catalog?"):
        fail("nothing deleted", 1)
    with open_catalog() as cat:
        r = cat.forget_faces()
    out.print(f"deleted {r['faces']} face(s) and {r['people']} person(s)", highlight=False)
