"""`vcat-core project …` (clips shared with a team) and `vcat-core schema grant ROLE` (make a role a team member)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from ..errors import VcatError
from .common import OutputTable, fail, open_catalog, out

project_app = typer.Typer(help="Projects: clips shared with their members (enforced by Postgres catalogs).",
                          no_args_is_help=True)

_json = typer.Option(False, "--json", help="Machine-readable JSON output.")
_clips = typer.Argument(..., help="Clips: ids, paths or checksums.")


@project_app.command("create")
def project_create(name: str,
                   member: Optional[list[str]] = typer.Option(None, "--member",
                                                              help="A role that may read its clips (repeat).")
                   ) -> None:
    """Create a project; you manage its members (on Postgres you are its first member)."""
    with open_catalog() as cat:
        try:
            cat.create_project(name, member or [])
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"created project {name!r}", highlight=False)


@project_app.command("add-member")
def project_add_member(name: str, role: str = typer.Argument(..., help="Postgres role or Supabase user id.")
                       ) -> None:
    """Let a role read the project's clips (the project's creator only)."""
    with open_catalog() as cat:
        try:
            added = cat.add_project_member(name, role)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"{role} {'added to' if added else 'was already in'} {name!r}", highlight=False)


@project_app.command("remove-member")
def project_remove_member(name: str, role: str) -> None:
    """Stop a role reading the project's clips (the creator removes anyone; a member may leave)."""
    with open_catalog() as cat:
        try:
            n = cat.remove_project_member(name, role)
        except VcatError as exc:
            fail(str(exc), 1)
    if not n:
        fail(f"{role} is not a member of {name!r} (or you may not manage it)", 1)
    out.print(f"removed {role} from {name!r}", highlight=False)


@project_app.command("list")
def project_list(as_json: bool = _json) -> None:
    """The projects you can see, their members and how many of their clips you can see."""
    with open_catalog() as cat:
        rows = cat.list_projects()
    if as_json:
        print(json.dumps(rows))
        return
    table = OutputTable(f"{len(rows)} project(s)", ["name", "clips", "created by", "members"], wrap=("members",))
    for r in rows:
        table.add_row(escape(r["name"]), str(r["clips"]), escape(r["created_by"] or "-"),
                      escape(", ".join(r["members"])))
    table.print()


@project_app.command("assign")
def project_assign(name: str, clips: list[str] = _clips) -> None:
    """Put clips into a project, sharing them with its members (on Postgres: only your own clips move)."""
    _move(name, clips, f"to {name!r}")


@project_app.command("unassign")
def project_unassign(clips: list[str] = _clips) -> None:
    """Take clips out of their project (only their owner sees them afterwards)."""
    _move(None, clips, "out of their project")


def _move(name: str | None, clips: list[str], where: str) -> None:
    """Assign or unassign; exit 1 when some clips were not the user's to move."""
    with open_catalog() as cat:
        try:
            ids = cat.resolve_clips(clips)
            n = cat.assign_to_project(name, ids)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"{'assigned' if name else 'took'} {n} of {len(ids)} clip(s) {where}", highlight=False)
    if n < len(ids):
        fail(f"{len(ids) - n} clip(s) are not yours: only a clip's owner may move it", 1)


def schema_grant(role: str = typer.Argument(..., help="An existing Postgres role (e.g. one made with CREATE ROLE "
                                                       "… LOGIN PASSWORD …, or Supabase's `authenticated`)."),
                 revoke: bool = typer.Option(False, "--revoke", help="Take the membership away instead."),
                 worker: bool = typer.Option(False, "--worker", help="A queue worker's login instead of a member: "
                                             "every clip's rows for any owner, and nothing else (vcat_worker).")
                 ) -> None:
    """Make a Postgres role a team member of this catalog (GRANT vcat_member TO ROLE), or a queue worker
    (--worker: GRANT vcat_worker); run as the admin."""
    group = "vcat_worker" if worker else "vcat_member"
    try:
        with open_catalog() as cat:
            cat.grant_member(role, revoke=revoke, worker=worker)
    except VcatError as exc:
        fail(str(exc))
    out.print(f"{'revoked' if revoke else 'granted'} {group} {'from' if revoke else 'to'} {role}", highlight=False)
