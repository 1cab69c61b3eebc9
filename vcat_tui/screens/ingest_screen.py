"""Ingest dashboard: start an ingest of a folder here, or watch one started by `vcat-core ingest`.

A run started here is driven by an async Textual worker iterating `Catalog.ingest()`'s events; cancelling that
worker cancels the run (the runner marks it cancelled and keeps what it stored). Events update a pure
`IngestProgress`; the widgets are redrawn from it four times a second, so a fast run cannot flood the screen.
A run in another process is followed by polling `Catalog.ingest_runs(running_only=True)` (its counts are refreshed
every second by that process). On a Postgres catalog a queue-backed ingest (workers anywhere) is followed too, by
polling `Catalog.queue_progress()` into the Queue panel; on SQLite that panel never appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from datetime import timezone
from typing import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from .. import format as fmt
from ..ingest_progress import Failure, IngestProgress, _parse_time
from ..messages import IngestEnded, IngestEventReceived, QueuePolled, RunsPolled
from ..suggesters import DirectorySuggester
from ..widgets.failure_log import FailureLog
from ..widgets.ingest_overview import IngestOverview
from ..widgets.mode_bar import ModeBar
from ..widgets.queue_panel import QueueJobs, QueuePanel
from ..widgets.stage_list import StageList
from ..widgets.worker_activity import WorkerActivity

REDRAW_EVERY = 0.25
POLL_EVERY = 1.0
QUEUE_POLL_EVERY = 1.0


class IngestScreen(Screen):
    AUTO_FOCUS = "FailureLog"  # not the folder field: 1-4 must switch screens on arrival (i focuses the field)
    BINDINGS = [
        Binding("i", "focus_path", "Folder"),
        Binding("escape", "leave_path", "Leave the folder field", show=False),
        Binding("x", "cancel_ingest", "Cancel ingest"),
    ]

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.progress: IngestProgress | None = None
        self.worker: Worker | None = None
        self.watching: int | None = None  # id of a run in another process being followed
        self._dirty = True
        self._polling = False
        self._queue_polling = False
        self._queue_kind: str | None = None  # "no-postgres" once known: then the queue is never asked again

    def compose(self) -> ComposeResult:
        yield ModeBar("ingest")
        yield Static("Ingest", id="ingest-title", classes="screen-title")
        with Horizontal(id="ingest-form"):
            yield Label("Folder", id="ingest-label")
            yield Input(placeholder="/path/to/footage  (→ completes folders, enter starts)",
                        suggester=DirectorySuggester(), id="ingest-path")
            yield Button("Start", id="ingest-start", variant="primary")
        yield Static("", id="ingest-status")
        yield QueuePanel(id="queue-panel")
        yield IngestOverview(id="ingest-overview")
        with Horizontal(id="ingest-panels"):
            with Vertical(id="ingest-stages"):
                yield Static("Stages", classes="section-title")
                yield StageList()
            with Vertical(id="ingest-workers"):
                yield Static("Workers", classes="section-title")
                yield WorkerActivity(id="worker-activity")
        yield Static("Failures", classes="section-title")
        yield FailureLog(id="failure-log")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REDRAW_EVERY, self._redraw)
        self.set_interval(POLL_EVERY, self._poll)
        self.set_interval(QUEUE_POLL_EVERY, self.poll_queue)

    def on_screen_resume(self) -> None:
        self._dirty = True
        self._poll()
        self.poll_queue()
        self._redraw()

    @property
    def running_here(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_ingest":
            return True if self.running_here else None  # shown greyed out while there is nothing to cancel
        return True

    # ---- starting and cancelling -------------------------------------------------------------------------------

    def action_focus_path(self) -> None:
        self.query_one("#ingest-path", Input).focus()

    def action_leave_path(self) -> None:
        self.query_one("#failure-log", FailureLog).focus()

    @on(Input.Submitted, "#ingest-path")
    @on(Button.Pressed, "#ingest-start")
    def _start_pressed(self) -> None:
        self.start(self.query_one("#ingest-path", Input).value)

    def start(self, text: str) -> bool:
        path = os.path.abspath(os.path.expanduser(text.strip())) if text.strip() else ""
        if self.running_here:
            self.notify("An ingest is already running here; cancel it first (x).", severity="warning")
            return False
        if not path or not os.path.exists(path):
            self.notify(f"No such file or folder: {text.strip() or '(empty)'}", title="Cannot ingest",
                        severity="error")
            return False
        self.watching = None
        start_multiprocessing_helpers()
        self.progress = IngestProgress(roots=[path], state="running", started_at=self.clock())
        self.worker = self.run_worker(self._drive([path]), group="ingest", exclusive=True, exit_on_error=False)
        self.query_one("#failure-log", FailureLog).focus()
        self._dirty = True
        self._redraw()
        self.refresh_bindings()
        return True

    async def _drive(self, paths: list[str]) -> None:
        try:
            async for event in self.app.catalog.ingest(paths, workers=self.app.ingest_workers):
                self.post_message(IngestEventReceived(event))
        except asyncio.CancelledError:
            self.post_message(IngestEnded("cancelled"))
            raise
        except Exception as exc:  # noqa: BLE001 - shown on the dashboard; the app keeps running
            self.post_message(IngestEnded("crashed", f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(IngestEnded("finished"))

    async def stop_ingest(self) -> None:
        """Cancel the run driven here and wait until the runner has recorded it as cancelled (before quitting)."""
        worker = self.worker
        if worker is None or not worker.is_running:
            return
        worker.cancel()
        try:
            await worker.wait()
        except (WorkerCancelled, WorkerFailed):
            pass

    def action_cancel_ingest(self) -> None:
        if self.running_here and self.worker is not None:
            self.worker.cancel()
            self.query_one("#ingest-status", Static).update("Cancelling…")

    @on(IngestEventReceived)
    def _event(self, msg: IngestEventReceived) -> None:
        if self.progress is not None:
            self.progress.apply(msg.event, self.clock())
            self._dirty = True

    @on(IngestEnded)
    def _ended(self, msg: IngestEnded) -> None:
        p = self.progress
        if p is None:
            return
        p.end(msg.state, self.clock(), msg.error)
        self._dirty = True
        self._redraw()
        self.refresh_bindings()
        self.app.catalog_changed()
        if p.state == "finished":
            failed = p.failed
            self.notify(f"{fmt.plural(p.done, 'file')} done: {p.outcomes.get('new', 0):,} new"
                        + (f", {failed:,} failed" if failed else ""), title="Ingest finished",
                        severity="warning" if failed else "information")
        elif p.state == "cancelled":
            self.notify("Ingest cancelled; clips stored so far are kept.", title="Ingest cancelled")
        else:
            self.notify(msg.error or "the run stopped", title="Ingest failed", severity="error")

    # ---- following a run in another process --------------------------------------------------------------------

    def _poll(self) -> None:
        if self.running_here or self._polling or not self.is_current:
            return
        self._polling = True
        self._poll_runs(self.watching)

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll_runs(self, watching: int | None) -> None:
        catalog = self.app.catalog
        try:
            runs = [r for r in catalog.ingest_runs(running_only=True) if not _ours(r)]
            if not runs and watching is not None:
                runs = [r for r in catalog.ingest_runs(limit=10) if r["id"] == watching]
            failures = catalog.failures() if runs else []
        except Exception:  # noqa: BLE001 - the next poll tries again
            runs, failures = [], []
        self.post_message(RunsPolled(runs, failures))

    @on(RunsPolled)
    def _polled(self, msg: RunsPolled) -> None:
        self._polling = False
        if self.running_here or not msg.runs:
            return
        run = msg.runs[0]
        was_running = self.progress is not None and self.progress.state == "running"
        self.watching = run["id"] if run["status"] == "running" else None
        p = IngestProgress.from_run(run)
        started = _parse_time(run.get("started_at"))
        for f in msg.failures:
            when = f.last_failed_at
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if started is None or (when is not None and when >= started):
                p.add_failure(Failure(f.path, f.stage, f.error))
        self.progress = p
        self._dirty = True
        if was_running and p.state != "running":
            self.app.catalog_changed()
            self.notify(f"Run #{p.run_id} {p.state}: {p.outcomes.get('new', 0):,} new", title="Ingest")

    # ---- a queue-backed ingest (Postgres catalogs) ---------------------------------------------------------------

    def poll_queue(self) -> None:
        if self._queue_kind == "no-postgres" or self._queue_polling or not self.is_current:
            return
        self._queue_polling = True
        self._read_queue()

    @work(thread=True, group="queue-poll", exit_on_error=False)
    def _read_queue(self) -> None:
        self.post_message(QueuePolled(self.app.catalog.queue_progress()))  # unreachable: said in its state

    @on(QueuePolled)
    def _queue_polled(self, msg: QueuePolled) -> None:
        self._queue_polling = False
        self._queue_kind = msg.progress.state
        self.query_one(QueuePanel).show(msg.progress)

    @on(QueueJobs.Requested)
    def _queue_job_requested(self, msg: QueueJobs.Requested) -> None:
        self._control_job(msg.action, msg.job.id, msg.job.file_name)

    @work(thread=True, group="queue-control", exit_on_error=False)
    def _control_job(self, action: str, job_id: int, name: str) -> None:
        """Retry or cancel through the service's QueueClient; the answer is a notification, then a fresh poll."""
        try:
            with self.app.catalog.queue() as q:
                if action == "retry":
                    new_id = q.retry(job_id)
                    again = f" as #{new_id}" if new_id != job_id else ""
                    text, severity = f"Job #{job_id} ({name}) queued again{again}", "information"
                else:
                    done = q.cancel(job_id)
                    text = f"Job #{job_id} ({name}) cancelled" if done else f"Job #{job_id} could not be cancelled"
                    severity = "information" if done else "warning"
        except Exception as exc:  # noqa: BLE001 - e.g. the job moved on meanwhile: said, not raised
            text, severity = f"{action} #{job_id}: {exc}", "error"
        self.app.call_from_thread(self.notify, text, title="Queue", severity=severity)
        self.app.call_from_thread(self.poll_queue)

    # ---- drawing -----------------------------------------------------------------------------------------------

    def _redraw(self) -> None:
        running = self.progress is not None and self.progress.state == "running"
        if not self.is_attached or not self.is_current or not (self._dirty or running):
            return
        self._dirty = False
        p, now = self.progress, self.clock()
        self.query_one("#ingest-status", Static).update(self._status(p))
        self.query_one("#ingest-panels").display = p is not None
        self.query_one(IngestOverview).show(p, now)
        self.query_one(StageList).show(p)
        self.query_one(WorkerActivity).show(p)
        self.query_one(FailureLog).show(p.failures if p else [])
        title = "Ingest"
        if p is not None and p.state == "running":
            title += f" · running · {p.done:,} done"
        self.query_one("#ingest-title", Static).update(title)

    def _status(self, p: IngestProgress | None) -> str:
        if p is None:
            return ("Idle. Press i, type a folder and press enter to catalogue it. A run started with "
                    "vcat-core ingest shows up here while it runs.")
        where = ", ".join(p.roots) or "?"
        run = f"run #{p.run_id}" if p.run_id else "run"
        if p.origin == "elsewhere":
            who = "another process"
            return f"Watching {run} started by {who}: {where} · {p.state}"
        return {
            "running": f"Ingesting {where} ({run})",
            "finished": f"Finished {run}: {where}",
            "cancelled": f"Cancelled {run}: {where} (clips stored so far are kept)",
            "crashed": f"{run} stopped: {p.error or 'error'}",
        }.get(p.state, f"{run}: {p.state}")


def start_multiprocessing_helpers() -> None:
    """Start multiprocessing's resource tracker with a real stderr before the runner's process pool needs it.

    While Textual runs, sys.stderr is a capture object whose fileno() is -1; the resource tracker hands
    sys.stderr's descriptor to the process it spawns and fails on -1 ("bad value(s) in fds_to_keep"), which would
    stop every ingest started from the app. Started once here, it is reused by every pool after.
    """
    from multiprocessing import resource_tracker

    real = sys.__stderr__
    try:
        valid = real is not None and real.fileno() >= 0
    except (OSError, ValueError):
        valid = False
    with contextlib.ExitStack() as stack:
        target = real if valid else stack.enter_context(open(os.devnull, "w"))
        stack.enter_context(contextlib.redirect_stderr(target))
        resource_tracker.ensure_running()


def _ours(run: dict) -> bool:
    """A run this process started (the dashboard follows those through their events, not by polling)."""
    return run.get("pid") == os.getpid() and run.get("host") == socket.gethostname()
