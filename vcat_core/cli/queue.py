"""`vcat-core schema apply`, `worker`, `queue status|file-status|cancel|retry|healthchecks` (Postgres catalogs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from ..errors import VcatError
from .common import OutputTable, fail, open_catalog, out

queue_app = typer.Typer(help="The job queue of a Postgres catalog: status, cancel, retry.", no_args_is_help=True)
schema_app = typer.Typer(help="Create or upgrade the catalog schema.", no_args_is_help=True)
_json = typer.Option(False, "--json", help="Machine-readable JSON output.")


@schema_app.command("apply")
def schema_apply(as_json: bool = _json) -> None:
    """Create/upgrade vcat's tables and (on Postgres) the job queue's schema."""
    try:
        with open_catalog() as cat:
            result = cat.apply_schema()
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result))
    else:
        queue = {"created": "; job queue schema created", "upgraded": "; job queue schema upgraded",
                 "current": "; job queue schema current"}.get(result["queue_schema"] or "", "")
        out.print(f"catalog schema at revision {result['schema_revision']}{queue}", highlight=False)


def worker(
    queues: str = typer.Option("ingest,processing,ai,storage,system", "--queues",
                               help="Comma-separated queues to serve (ingest, processing, ai, storage, system)."),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=64, help="Jobs run at once."),
    until_empty: bool = typer.Option(False, "--until-empty", help="Stop when the queues are empty."),
    stalled_after: float = typer.Option(30.0, "--stalled-after", min=1.0,
                                        help="Seconds without a heartbeat before a worker's jobs are taken over."),
) -> None:
    """Run a worker on the Postgres catalog's job queue (any number of machines may run one)."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            q.work([x.strip() for x in queues.split(",") if x.strip()], concurrency=concurrency,
                   until_empty=until_empty, stalled_after=stalled_after)
    except VcatError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130)


@queue_app.command("status")
def queue_status(as_json: bool = _json) -> None:
    """Jobs per queue: waiting, running, done, failed, cancelled."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            rows = q.status()
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(rows))
        return
    table = OutputTable("job queues", list(rows[0]))
    for r in rows:
        table.add_row(*r.values())
    table.print()


@queue_app.command("file-status")
def queue_file_status(path: Path, as_json: bool = _json) -> None:
    """Every job about one file."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            jobs = q.file_status(str(path.expanduser().absolute()))
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(jobs))
        return
    if not jobs:
        out.print(f"no job for {escape(str(path))}")
        raise typer.Exit(1)
    table = OutputTable(str(path), ["id", "task", "queue", "status", "attempts"])
    for j in jobs:
        table.add_row(j["id"], j["task"], j["queue"], j["status"], j["attempts"])
    table.print()


@queue_app.command("jobs")
def queue_jobs(
    queue: Optional[str] = typer.Option(None, "--queue", help="Only this queue."),
    status: Optional[str] = typer.Option(None, "--status", help="Only jobs in this state: todo, doing, succeeded, "
                                         "failed, cancelled, aborted."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = _json,
) -> None:
    """Jobs, newest first (e.g. `--status failed` to find what to retry)."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            jobs = q.jobs(queue=queue, status=status, limit=limit)
    except VcatError as exc:
        fail(str(exc), 2)
    if as_json:
        print(json.dumps(jobs))
        return
    table = OutputTable("jobs", ["id", "task", "queue", "status", "attempts", "file"])
    for j in jobs:
        table.add_row(j["id"], j["task"], j["queue"], j["status"], j["attempts"], escape(j["path"] or "-"))
    table.print()


@queue_app.command("cancel")
def queue_cancel(task_id: int = typer.Option(..., "--task-id", help="The job id.")) -> None:
    """Cancel a queued job (a running one is asked to abort)."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            done = q.cancel(task_id)
    except VcatError as exc:
        fail(str(exc), 1)
    if not done:
        fail(f"job {task_id} is finished and cannot be cancelled", 1)
    out.print(f"cancelled job {task_id}", highlight=False)


@queue_app.command("retry")
def queue_retry(task_id: int = typer.Option(..., "--task-id", help="The job id.")) -> None:
    """Queue a failed or cancelled job again."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            new_id = q.retry(task_id)
    except VcatError as exc:
        fail(str(exc), 1)
    out.print(f"job {task_id} queued again" + (f" as job {new_id}" if new_id != task_id else ""), highlight=False)


@queue_app.command("healthchecks")
def queue_healthchecks(as_json: bool = _json) -> None:
    """Database reachable, queue schema applied, no stalled jobs; exit 1 on a failed check."""
    try:
        with open_catalog() as cat, cat.queue() as q:
            checks = q.healthchecks()
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(checks))
    else:
        table = OutputTable("queue health", ["check", "ok", "detail"])
        for c in checks:
            table.add_row(c["name"], "ok" if c["ok"] else "FAILED", escape(c["detail"]))
        table.print()
    if not all(c["ok"] for c in checks):
        raise typer.Exit(1)
