"""`vcat-core storage status|push`: the remote copies of thumbnails (Supabase Storage)."""

from __future__ import annotations

import json

import typer

from ..errors import VcatError
from .common import OutputTable, fail, open_catalog, out

storage_app = typer.Typer(help="Remote thumbnail storage (Supabase Storage): status, push.", no_args_is_help=True)
_json = typer.Option(False, "--json", help="Machine-readable JSON output.")


@storage_app.command("status")
def storage_status(as_json: bool = _json) -> None:
    """Where thumbnails go, and how many have their remote copy."""
    try:
        with open_catalog() as cat:
            st = cat.storage_status()
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(st))
        return
    if not st["configured"]:
        out.print("remote storage: not set up (thumbnails stay in the catalog folder)", highlight=False)
    table = OutputTable("remote thumbnail storage", ["url", "bucket", "thumbnails", "uploaded", "pending"])
    table.add_row(st["url"] or "-", st["bucket"], str(st["thumbnails"]), str(st["uploaded"]), str(st["pending"]))
    table.print()


@storage_app.command("push")
def storage_push(as_json: bool = _json) -> None:
    """Upload every thumbnail that has no remote copy yet (exit 2 when storage fails; a rerun goes on from there)."""
    try:
        with open_catalog() as cat:
            done = cat.push_thumbnails()
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(done))
    else:
        out.print(f"uploaded {done['uploaded']} thumbnail(s) to bucket {done['bucket']}"
                  + (f"; {done['missing_locally']} missing from the local cache" if done["missing_locally"] else ""),
                  highlight=False)
