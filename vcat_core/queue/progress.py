"""How a queue-backed ingest is going, read from Procrastinate's own tables (procrastinate 3.10 schema).

The job tables are the truth for a distributed ingest: workers on any machine move jobs todo → doing → succeeded /
failed, and a trigger writes every transition to `procrastinate_events` with its time. So progress, the running
jobs, the latest failures and the throughput are all plain reads of those two tables; no worker has to report
anything. Everything here is a read; cancel and retry stay with `QueueClient`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from .tasks import QUEUES

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")
FINAL = ("succeeded", "failed", "cancelled", "aborted")
STOPPED = ("failed", "cancelled", "aborted")
"""Final states a job can be retried from (`QueueClient.retry`)."""

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class QueueCounts:
    """Jobs of one queue by status."""

    queue: str
    todo: int = 0
    doing: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    aborted: int = 0

    @property
    def total(self) -> int:
        return self.todo + self.doing + self.done

    @property
    def done(self) -> int:
        """Jobs that will not run again by themselves (retrying makes a new job)."""
        return self.succeeded + self.failed + self.cancelled + self.aborted


@dataclass(frozen=True)
class JobInfo:
    """One job as the dashboard lists it. `at`: when it started (doing), stopped (failed…) or was queued (todo)."""

    id: int
    task: str
    queue: str
    status: str
    attempts: int
    path: str | None
    worker_id: int | None = None
    at: datetime | None = None
    seconds: float | None = None  # since `at`, on the database's clock
    scheduled_at: datetime | None = None  # a retry waiting for its backoff

    @property
    def file_name(self) -> str:
        return os.path.basename(self.path) if self.path else "—"


@dataclass
class QueueProgress:
    """Everything the queue panel shows. `state` is "ready" only when the tables could be read; otherwise
    `reason` says briefly why not ("no-postgres": a SQLite catalog, which has no job queue at all)."""

    state: str
    reason: str = ""
    queues: list[QueueCounts] = field(default_factory=list)
    running: list[JobInfo] = field(default_factory=list)
    failures: list[JobInfo] = field(default_factory=list)
    waiting: list[JobInfo] = field(default_factory=list)
    finished_in_window: int = 0
    window_seconds: float = WINDOW_SECONDS
    workers: int = 0  # workers with a heartbeat in the window
    as_of: datetime | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def total(self) -> int:
        return sum(q.total for q in self.queues)

    @property
    def done(self) -> int:
        return sum(q.done for q in self.queues)

    def count(self, status: str) -> int:
        return sum(getattr(q, status) for q in self.queues)

    @property
    def jobs_per_second(self) -> float:
        return self.finished_in_window / self.window_seconds if self.window_seconds > 0 else 0.0

    def queue(self, name: str) -> QueueCounts:
        return next((q for q in self.queues if q.queue == name), QueueCounts(name))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (`--json` output, tests)."""
        out = asdict(self)
        out.update(total=self.total, done=self.done, jobs_per_second=self.jobs_per_second)
        for key in ("running", "failures", "waiting"):
            out[key] = [{**j, "file_name": os.path.basename(j["path"]) if j["path"] else None} for j in out[key]]
        return _isoformat(out)


def _isoformat(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _isoformat(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoformat(v) for v in value]
    return value


# ---- reading -----------------------------------------------------------------------------------------------------

_JOB_COLUMNS = ("j.id, j.task_name, j.queue_name, j.status::text, j.attempts, j.args->>'path', j.worker_id")


def _job(row: tuple, at: datetime | None, seconds: float | None, scheduled_at: datetime | None = None) -> JobInfo:
    return JobInfo(id=row[0], task=row[1], queue=row[2], status=row[3], attempts=row[4], path=row[5],
                   worker_id=row[6], at=at, seconds=None if seconds is None else float(seconds),
                   scheduled_at=scheduled_at)


def schema_applied(conn) -> bool:
    row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL "
                       "AND to_regclass('procrastinate_events') IS NOT NULL").fetchone()
    return bool(row and row[0])


def queue_counts(conn) -> list[QueueCounts]:
    """Per queue and status; vcat's queues are always listed (zeros), others after them as found."""
    found: dict[str, dict[str, int]] = {}
    for queue, status, n in conn.execute(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2"):
        if status in STATUSES:
            found.setdefault(queue, {})[status] = int(n)
    names = list(QUEUES) + sorted(q for q in found if q not in QUEUES)
    return [QueueCounts(q, **found.get(q, {})) for q in names]


def running_jobs(conn, limit: int = 20) -> list[JobInfo]:
    """Jobs a worker holds now, longest-running first."""
    rows = conn.execute(
        f"SELECT {_JOB_COLUMNS}, s.at, extract(epoch FROM now() - s.at) FROM procrastinate_jobs j "
        "LEFT JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events e "
        "                   WHERE e.job_id = j.id AND e.type = 'started') s ON true "
        "WHERE j.status = 'doing' ORDER BY s.at NULLS LAST, j.id LIMIT %s", (limit,)).fetchall()
    return [_job(r[:7], r[7], r[8]) for r in rows]


def recent_failures(conn, limit: int = 10) -> list[JobInfo]:
    """The latest jobs that stopped without succeeding (failed, cancelled, aborted) and were not retried in place,
    newest first. Read from the events backwards (their ids grow with time), so a long history costs nothing."""
    rows = conn.execute(
        f"SELECT {_JOB_COLUMNS}, e.at, extract(epoch FROM now() - e.at) FROM procrastinate_events e "
        "JOIN procrastinate_jobs j ON j.id = e.job_id "
        "WHERE e.type IN ('failed', 'cancelled', 'aborted') AND j.status IN ('failed', 'cancelled', 'aborted') "
        "ORDER BY e.id DESC LIMIT %s", (limit * 2,)).fetchall()
    out: list[JobInfo] = []
    seen: set[int] = set()
    for r in rows:
        if r[0] not in seen and len(out) < limit:
            seen.add(r[0])
            out.append(_job(r[:7], r[7], r[8]))
    return out


def waiting_jobs(conn, limit: int = 10) -> list[JobInfo]:
    """The next jobs a worker will take (Procrastinate's order: priority, then age)."""
    rows = conn.execute(
        f"SELECT {_JOB_COLUMNS}, d.at, extract(epoch FROM now() - d.at), j.scheduled_at FROM procrastinate_jobs j "
        "LEFT JOIN LATERAL (SELECT min(at) AS at FROM procrastinate_events e "
        "                   WHERE e.job_id = j.id AND e.type = 'deferred') d ON true "
        "WHERE j.status = 'todo' ORDER BY j.priority DESC, j.id LIMIT %s", (limit,)).fetchall()
    return [_job(r[:7], r[7], r[8], r[9]) for r in rows]


def finished_since(conn, seconds: float) -> int:
    """Jobs that reached a final state in the last `seconds` (the events of those transitions)."""
    row = conn.execute(
        "SELECT count(*) FROM procrastinate_events WHERE type IN ('succeeded', 'failed', 'cancelled', 'aborted') "
        "AND at > now() - make_interval(secs => %s)", (seconds,)).fetchone()
    return int(row[0]) if row else 0


def live_workers(conn, seconds: float) -> int:
    row = conn.execute("SELECT count(*) FROM procrastinate_workers "
                       "WHERE last_heartbeat > now() - make_interval(secs => %s)", (seconds,)).fetchone()
    return int(row[0]) if row else 0


def queue_progress(conn, *, recent: int = 10, window: float = WINDOW_SECONDS) -> QueueProgress:
    """All of the panel's figures from one psycopg connection, in one read-only snapshot (REPEATABLE READ, so the
    counts and the job lists agree with each other)."""
    if not schema_applied(conn):
        return QueueProgress("no-schema", "the job queue is not set up here (vcat-core schema apply)")
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return QueueProgress(
            "ready", queues=queue_counts(conn), running=running_jobs(conn, max(recent, 20)),
            failures=recent_failures(conn, recent), waiting=waiting_jobs(conn, recent),
            finished_in_window=finished_since(conn, window), window_seconds=window,
            workers=live_workers(conn, window), as_of=conn.execute("SELECT now()").fetchone()[0])


def _conninfo(database_url: str) -> str | None:
    """libpq's form of a catalog URL (None: not Postgres)."""
    from . import QueueError, conninfo_of

    try:
        return conninfo_of(database_url)
    except QueueError:
        return None


def read_progress(database_url: str | None, *, recent: int = 10, window: float = WINDOW_SECONDS,
                  connect_timeout: int = 3) -> QueueProgress:
    """`queue_progress` of a catalog's database. Never raises for the expected cases: a SQLite catalog, a
    database that cannot be reached, a missing queue schema each give a state and a short reason instead."""
    conninfo = _conninfo(database_url or "")
    if conninfo is None:
        return QueueProgress("no-postgres", "the job queue needs a Postgres catalog")
    import psycopg

    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=connect_timeout) as conn:
            return queue_progress(conn, recent=recent, window=window)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return QueueProgress("unreachable", f"cannot read the job queue: {first}")
