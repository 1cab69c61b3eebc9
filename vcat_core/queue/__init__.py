"""Distributed ingest on the Postgres catalog with Procrastinate (DESIGN §8): defer, work, watch, cancel, retry."""

from __future__ import annotations

import asyncio
import datetime
import re
from pathlib import Path
from typing import Any

from procrastinate import exceptions as pexc

from ..config import load_settings
from ..errors import VcatError
from ..store.engine import driver_url
from .progress import STATUSES as JOB_STATUSES
from .progress import queue_counts, schema_applied
from .analysis_pool import pool_context, start_pool
from .tasks import PRIORITY, QUEUES, RETRY, build_app

__all__ = ["QueueError", "QueueClient", "QUEUES", "pending_migrations", "rescue_stalled_jobs"]


class QueueError(VcatError):
    """The queue cannot do what was asked (no Postgres catalog, unknown job, schema missing)."""


def conninfo_of(database_url: str) -> str:
    """libpq's form of a catalog URL; QueueError when it is not a Postgres catalog."""
    if not database_url or not database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise QueueError("the job queue needs a Postgres catalog: set --database-url / VCAT_DATABASE_URL "
                         "(postgresql://…)")
    return driver_url(database_url).replace("postgresql+psycopg://", "postgresql://", 1)


class QueueClient:
    """Procrastinate bound to one catalog database. Use as a context manager for the sync operations."""

    def __init__(self, database_url: str):
        from procrastinate import SyncPsycopgConnector

        self.database_url = database_url
        self.conninfo = conninfo_of(database_url)
        # deferring, listing and cancelling are synchronous here; the worker gets an async connector of its own
        self.app = build_app(SyncPsycopgConnector(conninfo=self.conninfo))
        self._conn = None  # the connection defer_file keeps while the client is open

    def __enter__(self) -> "QueueClient":
        self.app.open()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self.app.close()

    # ---- schema ------------------------------------------------------------------------------------------------

    def schema_applied(self) -> bool:
        with _psycopg(self.database_url) as conn:
            return schema_applied(conn)

    def apply_schema(self) -> str:
        """Create Procrastinate's tables (`created`), bring them up to the installed Procrastinate (`upgraded`:
        its migration files since the version recorded at the last apply, in order; stop the workers first), or
        leave them (`current`). The version is recorded in `vcat_queue_schema`."""
        import procrastinate

        installed = procrastinate.__version__
        with _psycopg(self.database_url) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS vcat_queue_schema (id integer PRIMARY KEY DEFAULT 1 "
                         "CHECK (id = 1), procrastinate_version text NOT NULL)")
            row = conn.execute("SELECT procrastinate_version FROM vcat_queue_schema").fetchone()
            conn.commit()
        recorded = row[0] if row else None
        files: list[Path] = []
        if not self.schema_applied():
            self.app.schema_manager.apply_schema()
            state = "created"
        elif recorded is None:
            state = "current"  # made before versions were recorded: taken to match this Procrastinate
        else:
            files = pending_migrations(recorded, installed, self.app.schema_manager.get_migrations_path())
            state = "upgraded" if files else "current"
        with _psycopg(self.database_url) as conn:  # one transaction: the migrations and the version, or nothing
            for path in files:
                conn.execute(path.read_text(encoding="utf-8"))
            conn.execute("INSERT INTO vcat_queue_schema (id, procrastinate_version) VALUES (1, %s) "
                         "ON CONFLICT (id) DO UPDATE SET procrastinate_version = EXCLUDED.procrastinate_version",
                         (installed,))
        return state

    # ---- defer -------------------------------------------------------------------------------------------------

    def defer_file(self, path: str, options: dict[str, Any], priority: str = "batch",
                   candidate: dict[str, Any] | None = None) -> int | None:
        """Queue one file; None when it is already queued (the queueing lock: a file is never queued twice).
        `candidate`: a camera card's clip as discovery made it (its parts, sidecars, proxies).

        Through `vcat_defer_ingest` (migration 0013), the one way a team member may write to the queue: the
        database makes the caller the job's owner, checks the project against the caller's memberships and caps
        the priority, so a worker can trust what a job says about who queued it."""
        from psycopg.types.json import Jsonb

        if self._conn is None:
            self._conn = _psycopg(self.database_url)
            self._conn.autocommit = True
        row = self._conn.execute("SELECT vcat_defer_ingest(%s, %s, %s, %s)",
                                 (path, Jsonb(options), PRIORITY.get(priority, 0),
                                  Jsonb(candidate) if candidate else None)).fetchone()
        return row[0] if row else None

    # ---- watch and control -------------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """Jobs per queue and status (vcat's queues always listed, in pipeline order)."""
        with _psycopg(self.database_url) as conn:
            counts = queue_counts(conn)
        return [{"queue": q.queue, "jobs": q.total, **{st: getattr(q, st) for st in JOB_STATUSES}} for q in counts]

    def file_status(self, path: str) -> list[dict[str, Any]]:
        """Every job about one file, oldest first."""
        jobs = []
        for lock in (f"ingest:{path}", f"process:{path}", f"ai:{path}"):
            jobs += self.app.job_manager.list_jobs(queueing_lock=lock)
        return [_job(j) for j in sorted(jobs, key=lambda j: j.id or 0)]

    def jobs(self, *, queue: str | None = None, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest `limit` jobs, optionally of one queue and/or one status (read with a LIMIT: the job table
        keeps every job ever run)."""
        if status is not None and status not in JOB_STATUSES:
            raise QueueError(f"unknown job status {status!r}; statuses: {', '.join(JOB_STATUSES)}")
        with _psycopg(self.database_url) as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM procrastinate_jobs WHERE (%(q)s::text IS NULL OR queue_name = %(q)s) "
                "AND (%(s)s::text IS NULL OR status::text = %(s)s) ORDER BY id DESC LIMIT %(n)s",
                {"q": queue, "s": status, "n": limit})]
        found = {j.id: j for i in ids for j in self.app.job_manager.list_jobs(id=i)}
        return [_job(found[i]) for i in ids if i in found]

    def job(self, job_id: int) -> dict[str, Any]:
        found = self.app.job_manager.list_jobs(id=job_id)
        if not found:
            raise QueueError(f"no job with id {job_id}")
        return _job(found[0])

    def cancel(self, job_id: int) -> bool:
        """Cancel a job waiting in the queue (a running one is asked to abort)."""
        from ..store.projects import denied_as_error

        self.job(job_id)
        with denied_as_error(f"cancelling job {job_id} (the admin's to do on a shared catalog)"):
            if self.app.job_manager.cancel_job_by_id(job_id):
                return True
            return self.app.job_manager.cancel_job_by_id(job_id, abort=True)

    def retry(self, job_id: int) -> int:
        """Queue a failed or cancelled job again; returns the id that will run. A failed job comes back itself
        (same id, one more attempt, its history kept); a cancelled one as a new job with the same arguments."""
        from ..store.projects import denied_as_error

        with denied_as_error(f"retrying job {job_id} (the admin's to do on a shared catalog)"):
            return self._retry(job_id)

    def _retry(self, job_id: int) -> int:
        job = self.app.job_manager.list_jobs(id=job_id)
        if not job:
            raise QueueError(f"no job with id {job_id}")
        j = job[0]
        status = _status(j)
        if status not in ("failed", "cancelled", "aborted"):
            raise QueueError(f"job {job_id} is {status}: only failed or cancelled jobs can be retried")
        if status == "failed":
            try:
                self.app.job_manager.retry_job_by_id(job_id, retry_at=datetime.datetime.now(datetime.timezone.utc))
            except pexc.ConnectorException as exc:  # its file queued again meanwhile (the queueing lock)
                raise QueueError(f"job {job_id} cannot be retried: {str(exc).splitlines()[0]}") from exc
            return job_id
        try:
            return self.app.configure_task(j.task_name, queue=j.queue, lock=j.lock, queueing_lock=j.queueing_lock,
                                           priority=j.priority).defer(**j.task_kwargs)
        except pexc.AlreadyEnqueued as exc:
            raise QueueError(f"job {job_id}'s file is already queued again") from exc

    def stalled_jobs(self, seconds: int = 60) -> int:
        """Jobs marked running whose worker has not sent a heartbeat for `seconds` (it died mid-job)."""
        with _psycopg(self.database_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w ON w.id = j.worker_id "
                "WHERE j.status = 'doing' AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => %s))",
                (seconds,)).fetchone()
        return int(row[0]) if row else 0

    def healthchecks(self) -> list[dict[str, Any]]:
        checks = []
        try:
            self.app.check_connection()
            checks.append({"name": "database reachable", "ok": True, "detail": "ok"})
        except Exception as exc:  # noqa: BLE001
            checks.append({"name": "database reachable", "ok": False, "detail": str(exc)})
            return checks
        applied = self.schema_applied()
        checks.append({"name": "queue schema applied", "ok": applied,
                       "detail": "ok" if applied else "run `vcat-core schema apply`"})
        if applied:
            stalled = self.stalled_jobs()
            checks.append({"name": "no stalled jobs", "ok": not stalled,
                           "detail": f"{stalled} job(s) running on a worker that stopped answering"
                           if stalled else "ok"})
        return checks

    # ---- work --------------------------------------------------------------------------------------------------

    def work(self, queues: list[str], *, concurrency: int = 1, until_empty: bool = False,
             stalled_after: float = 30.0) -> None:
        """Run a worker. `until_empty`: process what is queued, then return (a job held behind a lock is
        retried until nothing is left to do).

        Jobs left running by a worker that died (SIGKILL, power loss: no heartbeat for `stalled_after` seconds)
        are put back in the queue by whichever worker notices, or failed once their queue's attempts are spent.
        """
        unknown = [q for q in queues if q not in QUEUES]
        if unknown:
            raise QueueError(f"unknown queue(s) {', '.join(unknown)}; queues: {', '.join(QUEUES)}")
        asyncio.run(self._work(queues, concurrency, until_empty, stalled_after))

    async def _work(self, queues: list[str], concurrency: int, until_empty: bool, stalled_after: float) -> None:
        from procrastinate import PsycopgConnector

        worker_app = build_app(PsycopgConnector(conninfo=self.conninfo))
        beat = max(0.5, stalled_after / 3)
        pool = start_pool(concurrency, load_settings())
        context = {"database_url": self.database_url, **pool_context(pool, asyncio.get_running_loop())}
        options = dict(queues=queues, concurrency=concurrency, update_heartbeat_interval=beat,
                       stalled_worker_timeout=stalled_after, additional_context=context)
        try:
            await self._run_worker(worker_app, queues, until_empty, stalled_after, beat, options)
        finally:
            await pool.aclose()  # no worker process outlives the worker

    async def _run_worker(self, worker_app, queues: list[str], until_empty: bool, stalled_after: float,
                          beat: float, options: dict[str, Any]) -> None:
        async with worker_app.open_async():
            if not until_empty:
                rescuer = asyncio.create_task(_rescue_forever(worker_app, queues, stalled_after, beat))
                try:
                    await worker_app.run_worker_async(wait=True, install_signal_handlers=True, **options)
                finally:
                    rescuer.cancel()
                return
            while True:
                await rescue_stalled_jobs(worker_app, queues, stalled_after)
                await worker_app.run_worker_async(wait=False, install_signal_handlers=False, **options)
                if not await asyncio.to_thread(self._left, queues):
                    return
                await asyncio.sleep(0.2)  # what is left runs elsewhere or waits behind a lock: look again soon

    def _left(self, queues: list[str]) -> bool:
        return any(r["todo"] or r["doing"] for r in self.status() if r["queue"] in queues)


_RESCUE = {  # each only while the job is still the dead worker's: another worker may have rescued it meanwhile
    "retry": "SELECT procrastinate_retry_job_v2(id, now(), NULL, NULL, NULL) FROM procrastinate_jobs "
             "WHERE id = %(job_id)s AND status = 'doing' AND worker_id IS NOT DISTINCT FROM %(worker_id)s",
    "fail": "SELECT procrastinate_finish_job_v1(id, 'failed', false) FROM procrastinate_jobs "
            "WHERE id = %(job_id)s AND status = 'doing' AND worker_id IS NOT DISTINCT FROM %(worker_id)s",
}


async def rescue_stalled_jobs(app, queues: list[str], stalled_after: float) -> list[int]:
    """Jobs of these queues held by workers silent for `stalled_after` seconds (every worker should use the same
    value): back to the queue (the lost run counts as an attempt), or failed once their queue's retries are
    spent. Several workers may rescue at once: each job changes only while it is still the dead worker's.
    Returns the ids handled."""
    touched = []
    for queue in queues:
        for job in await app.job_manager.get_stalled_jobs(queue=queue, seconds_since_heartbeat=stalled_after):
            action = "fail" if (job.attempts or 0) >= RETRY[queue].max_attempts else "retry"
            try:  # counted like Procrastinate's own retries
                rows = await app.connector.execute_query_all_async(_RESCUE[action], job_id=job.id,
                                                                   worker_id=job.worker_id)
            except Exception:  # noqa: BLE001 - it moved on meanwhile (finished, rescued): nothing to do
                continue
            if rows:
                touched.append(job.id)
    return touched


async def _rescue_forever(app, queues: list[str], stalled_after: float, every: float) -> None:
    while True:
        try:
            await rescue_stalled_jobs(app, queues, stalled_after)
        except Exception:  # noqa: BLE001 - the database may blink; the next round tries again
            pass
        await asyncio.sleep(every)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def pending_migrations(recorded: str, installed: str, folder: str) -> list[Path]:
    """Procrastinate's migration files (`03.04.00_01_pre_….sql`) newer than `recorded` and not newer than
    `installed`, in the order they must run."""
    low, high = _version(recorded), _version(installed)
    found = []
    for path in Path(folder).glob("*.sql"):
        m = re.match(r"(\d+)\.(\d+)\.(\d+)_(\d+)_", path.name)
        if m:
            version = tuple(int(x) for x in m.groups()[:3])
            if low < version <= high:
                found.append((version, int(m.group(4)), path))
    return [p for *_, p in sorted(found)]


def _status(j) -> str:
    return str(j.status.value if hasattr(j.status, "value") else j.status)


def _job(j) -> dict[str, Any]:
    return {"id": j.id, "task": j.task_name, "queue": j.queue, "status": _status(j), "attempts": j.attempts,
            "priority": j.priority, "lock": j.lock, "queueing_lock": j.queueing_lock,
            "path": (j.task_kwargs or {}).get("path"), "clip_id": (j.task_kwargs or {}).get("clip_id"),
            "scheduled_at": j.scheduled_at.isoformat() if isinstance(j.scheduled_at, datetime.datetime) else None}


def _psycopg(database_url: str):
    import psycopg

    return psycopg.connect(conninfo_of(database_url))

