"""The Queue panel of the ingest dashboard: a queue-backed ingest (`vcat-core ingest --queue` and workers on any
machine) followed through Procrastinate's job tables, as `Catalog.queue_progress()` reads them.

Shown only for a Postgres catalog: a SQLite catalog has no job queue, and the panel stays hidden there (so the
dashboard looks as it always did). `r` retries the failed or cancelled job under the cursor, `c` cancels a queued
one; the keys live on the job table, so they are in the footer only while it has focus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, ProgressBar, Static

from .. import format as fmt

if TYPE_CHECKING:  # importing the queue loads Procrastinate: left until a Postgres catalog asks (startup time)
    from vcat_core.queue.progress import JobInfo, QueueProgress

STATUS_LABEL = {"doing": "running", "todo": "queued", "failed": "failed", "cancelled": "cancelled",
                "aborted": "aborted", "succeeded": "succeeded"}
STATUS_STYLE = {"doing": "$text-primary", "failed": "$text-error", "cancelled": "$text-warning",
                "aborted": "$text-warning", "todo": "$foreground-muted"}
COLUMNS = ("Job", "Status", "Task", "File", "Attempts", "Worker", "Queue", "When")


def headline(qp: QueueProgress) -> Content:
    """`12 / 20 jobs done (60%) · 0.80 jobs/s (last minute) · 2 running · 8 queued · 1 failed · 3 workers alive`."""
    if not qp.ready:
        return Content.styled(qp.reason, "$foreground-muted")
    total, done = qp.total, qp.done
    if not total:
        return Content.styled("No jobs yet. Queue files with vcat-core ingest DIR --queue; workers run them.",
                              "$foreground-muted")
    window = "last minute" if qp.window_seconds == 60 else f"last {qp.window_seconds:.0f} s"
    parts = [f"{done:,} / {total:,} jobs done ({round(done * 100 / total)}%)",
             f"{qp.jobs_per_second:.2f} jobs/s ({window})",
             f"{qp.count('doing'):,} running", f"{qp.count('todo'):,} queued"]
    failed = qp.count("failed")
    if failed:
        parts.append(f"{failed:,} failed")
    parts.append(fmt.plural(qp.workers, "worker") + " alive")
    return Content(" · ".join(parts))


def counts_table(qp: QueueProgress) -> Content:
    """One line per queue: todo, doing, succeeded, failed, cancelled (aborted jobs count as cancelled)."""
    head = f"{'queue':<12}{'todo':>8}{'doing':>8}{'succeeded':>11}{'failed':>8}{'cancelled':>11}"
    lines = [Content.styled(head, "$foreground-muted")]
    for q in qp.queues:
        row = (f"{q.queue:<12}{q.todo:>8,}{q.doing:>8,}{q.succeeded:>11,}{q.failed:>8,}"
               f"{q.cancelled + q.aborted:>11,}")
        lines.append(Content.styled(row, "$foreground-muted") if not q.total else Content(row))
    return Content("\n").join(lines)


def _when(job: JobInfo) -> str:
    if job.seconds is None:
        return "—"
    ago = fmt.human_duration(max(job.seconds, 0))
    if job.status == "doing":
        return f"for {ago}"
    if job.status == "todo":
        return "retry waiting" if job.attempts else f"queued {ago} ago"
    return f"{ago} ago"


def job_rows(qp: QueueProgress) -> list[tuple[JobInfo, tuple]]:
    """Running jobs, then the latest failed or cancelled ones, then the next queued: (job, cells)."""
    out = []
    for job in [*qp.running, *qp.failures, *qp.waiting]:
        status = Content.styled(STATUS_LABEL.get(job.status, job.status), STATUS_STYLE.get(job.status, ""))
        worker = f"#{job.worker_id}" if job.worker_id is not None else "—"
        out.append((job, (f"{job.id}", status, job.task.removeprefix("vcat."), job.file_name, f"{job.attempts}",
                          worker, job.queue, _when(job))))
    return out


class QueueJobs(DataTable):
    """The jobs worth acting on; the cursor stays on its job across refreshes."""

    BINDINGS = [
        Binding("r", "retry_job", "Retry job", tooltip="Queue the failed or cancelled job again"),
        Binding("c", "cancel_job", "Cancel job", tooltip="Cancel the queued job"),
    ]

    class Requested(Message):
        """Retry or cancel this job (the screen does it off the UI thread)."""

        def __init__(self, action: str, job: JobInfo) -> None:
            super().__init__()
            self.action = action
            self.job = job

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.jobs: list[JobInfo] = []
        self._shown: list[tuple] | None = None

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    @property
    def selected(self) -> JobInfo | None:
        if not self.jobs or not 0 <= self.cursor_row < len(self.jobs):
            return None
        return self.jobs[self.cursor_row]

    def show(self, rows: list[tuple[JobInfo, tuple]]) -> None:
        key = [(job.id, job.status, cells[-1], cells[4], cells[5]) for job, cells in rows]
        if key == self._shown:
            return
        self._shown = key
        current = self.selected.id if self.selected is not None else None
        self.clear()
        self.jobs = [job for job, _ in rows]
        for job, cells in rows:
            self.add_row(*cells, key=str(job.id))
        ids = [job.id for job in self.jobs]
        if current in ids:
            self.move_cursor(row=ids.index(current), animate=False)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("retry_job", "cancel_job"):
            return True
        job = self.selected
        if job is None:
            return None
        ok = self.app.catalog.job_stopped(job.status) if action == "retry_job" else job.status == "todo"
        return True if ok else None

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()

    def action_retry_job(self) -> None:
        if self.selected is not None:
            self.post_message(self.Requested("retry", self.selected))

    def action_cancel_job(self) -> None:
        if self.selected is not None:
            self.post_message(self.Requested("cancel", self.selected))


class QueuePanel(Vertical):
    """Hidden until a poll says the catalog has a job queue; then the figures, the bar, the counts and the jobs."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display = False
        self.progress: QueueProgress | None = None

    def compose(self) -> ComposeResult:
        yield Static("Queue", classes="section-title", id="queue-title")
        yield Static("", id="queue-headline")
        yield ProgressBar(total=None, show_eta=False, id="queue-bar")
        yield Static("", id="queue-counts")
        yield QueueJobs(id="queue-jobs")

    def show(self, qp: QueueProgress | None) -> None:
        if not self.is_attached:
            return
        self.progress = qp
        self.display = qp is not None and qp.state != "no-postgres"
        if not self.display or qp is None:
            return
        self.query_one("#queue-headline", Static).update(headline(qp))
        ready = qp.ready and qp.total > 0
        for part in ("#queue-bar", "#queue-counts", "#queue-jobs"):
            self.query_one(part).display = ready
        if not ready:
            return
        self.query_one("#queue-bar", ProgressBar).update(total=qp.total, progress=qp.done)
        self.query_one("#queue-counts", Static).update(counts_table(qp))
        self.query_one(QueueJobs).show(job_rows(qp))
